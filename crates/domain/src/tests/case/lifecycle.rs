//! The case as a whole: urgency and closing (opening and linking are screening's table,
//! assignment its own test there).

use super::*;
use crate::DomainError;
use crate::case::{CaseCommand, CaseEvent, CaseStream, CloseReason, LifecycleCommand};
use crate::values::Urgency;

#[test]
fn case_urgency() {
    let rows: Vec<CaseRow> = vec![
        Row {
            name: "urgency changes with a reason",
            given: investigating(),
            now: now(),
            when: CaseCommand::Lifecycle(LifecycleCommand::ChangeUrgency {
                urgency: Urgency::Red,
                reason: text("New information"),
            }),
            then: Ok(vec![CaseEvent::UrgencyChanged {
                from: Urgency::Yellow,
                to: Urgency::Red,
                reason: text("New information"),
                at: now(),
            }]),
        },
        Row {
            name: "urgency cannot change to what it is",
            given: investigating(),
            now: now(),
            when: CaseCommand::Lifecycle(LifecycleCommand::ChangeUrgency {
                urgency: Urgency::Yellow,
                reason: text("Same"),
            }),
            then: Err(DomainError::UrgencyUnchanged {
                urgency: Urgency::Yellow,
            }),
        },
        Row {
            name: "nothing happens to a case never opened",
            given: vec![],
            now: now(),
            when: CaseCommand::Lifecycle(LifecycleCommand::ChangeUrgency {
                urgency: Urgency::Red,
                reason: text("Why"),
            }),
            then: Err(DomainError::CaseNotOpened),
        },
    ];
    run_table(stream_decider::<CaseStream>(), rows);
}

#[test]
fn case_closing() {
    let rows: Vec<CaseRow> = vec![
        Row {
            name: "a case closes when nothing is running",
            given: with(
                investigating_with_plan(),
                [concluded(ConclusionOutcome::DismissedOnAssessment)],
            ),
            now: now(),
            when: CaseCommand::Lifecycle(LifecycleCommand::Close {
                reasons: text("Dismissed"),
            }),
            then: Ok(vec![CaseEvent::CaseClosed {
                reason: CloseReason::Decided {
                    reasons: text("Dismissed"),
                },
                at: now(),
            }]),
        },
        Row {
            name: "a case does not close during an investigation",
            given: investigating(),
            now: now(),
            when: CaseCommand::Lifecycle(LifecycleCommand::Close {
                reasons: text("Early"),
            }),
            then: Err(DomainError::CaseCannotBeClosed {
                reason: "an investigation is open",
            }),
        },
        Row {
            name: "a case does not close while measures run",
            given: with(emergency_case(), [measure_started()]),
            now: now(),
            when: CaseCommand::Lifecycle(LifecycleCommand::Close {
                reasons: text("Early"),
            }),
            then: Err(DomainError::CaseCannotBeClosed {
                reason: "measures are active",
            }),
        },
        Row {
            name: "a case does not close while an emergency decision awaits its petition",
            given: with(
                emergency_case(),
                [emergency_made(EmergencyDecisionKind::Placement)],
            ),
            now: now(),
            when: CaseCommand::Lifecycle(LifecycleCommand::Close {
                reasons: text("Early"),
            }),
            then: Err(DomainError::CaseCannotBeClosed {
                reason: "an emergency decision awaits its petition",
            }),
        },
        Row {
            name: "a case closes once",
            given: dismissed_at_screening(),
            now: now(),
            when: CaseCommand::Lifecycle(LifecycleCommand::Close {
                reasons: text("Again"),
            }),
            then: Err(DomainError::CaseClosed),
        },
    ];
    run_table(stream_decider::<CaseStream>(), rows);
}
