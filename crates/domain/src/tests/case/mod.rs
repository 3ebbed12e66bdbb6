//! The case stream as tables, a file per seam of `crate::case`, a test per section, so one
//! section runs alone (`cargo test -p domain emergency`).

mod acts;
mod board;
mod investigation;
mod lapses;
mod lifecycle;
mod measures;
mod partner;
mod plans;
mod visits;

use super::fixtures::*;
use crate::case::{
    BoardProposalKind, CaseEvent, CloseReason, ConclusionOutcome, EmergencyDecisionKind,
    MeasureKind,
};

pub(super) fn with(
    mut given: Vec<CaseEvent>,
    more: impl IntoIterator<Item = CaseEvent>,
) -> Vec<CaseEvent> {
    given.extend(more);
    given
}

/// The deadlines the worklist shows for the case `events` make, at `at_text`.
pub(super) fn open_at(events: &[CaseEvent], at_text: &str) -> Vec<crate::deadlines::OpenDeadline> {
    let state = events
        .iter()
        .fold(crate::case::CaseState::default(), crate::case::evolve);
    crate::deadlines::open_case_deadlines(&state, &crate::rules::RuleBook::norwegian(), at(at_text))
}

pub(super) fn emergency_case() -> Vec<CaseEvent> {
    vec![case_opened(1, dismissal(false), true)]
}

/// A case that held only a dismissed report, closed with the screening.
pub(super) fn dismissed_at_screening() -> Vec<CaseEvent> {
    vec![
        case_opened(1, dismissal(false), false),
        CaseEvent::CaseClosed {
            reason: CloseReason::DismissedAtScreening,
            at: received_at(),
        },
    ]
}

pub(super) fn emergency_made(kind: EmergencyDecisionKind) -> CaseEvent {
    CaseEvent::EmergencyDecisionMade {
        number: 1,
        kind,
        grounds: text("Child unsafe tonight"),
        habitually_resident_abroad: false,
        at: received_at(),
    }
}

pub(super) fn measure_started() -> CaseEvent {
    CaseEvent::MeasureStarted {
        in_family_network: false,
        number: 1,
        kind: MeasureKind::Pmto,
        plan: measure_plan("2024-03-04", "2024-09-04", None),
        next_evaluation_on: day("2024-06-04"),
        at: received_at(),
    }
}

pub(super) fn proposal_sent() -> CaseEvent {
    CaseEvent::BoardProposalSent {
        kind: BoardProposalKind::CareOrder,
        grounds: text("Serious neglect"),
        at: received_at(),
    }
}

pub(super) fn concluded(outcome: ConclusionOutcome) -> CaseEvent {
    CaseEvent::InvestigationConcluded {
        grounds: Vec::new(),
        outcome,
        reasons: text("Assessment done"),
        at: now(),
    }
}

/// The board granted a care order on 5 March 2024.
pub(super) fn care_order_granted() -> CaseEvent {
    granted(day("2024-03-05"), at("2024-03-05T14:00:00Z"))
}

/// The board granted a care order on `decided_on`, entered `entered`.
pub(super) fn granted(
    decided_on: chrono::NaiveDate,
    entered: chrono::DateTime<chrono::Utc>,
) -> CaseEvent {
    CaseEvent::BoardDecided {
        kind: BoardProposalKind::CareOrder,
        outcome: crate::case::BoardOutcome::Granted,
        decided_on,
        at: entered,
    }
}
