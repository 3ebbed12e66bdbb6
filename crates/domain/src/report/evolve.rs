//! Applies a report event to the state: the fold of `report-<uuid>`. Holds no rules.

use super::events::ReportEvent;
use super::state::{Report, ReportState, Screening, SentLetter};

/// Applies an event. Holds no rules; panics only on an event that cannot follow the state
/// (which would mean a corrupt stream).
pub fn evolve(state: ReportState, event: &ReportEvent) -> ReportState {
    let mut state = fold(state, event);
    if let ReportState::Received(report) = &mut state {
        report.last_step_at = report.last_step_at.max(event.occurred_at());
    }
    state
}

fn fold(state: ReportState, event: &ReportEvent) -> ReportState {
    match (state, event) {
        (
            ReportState::NotReceived,
            ReportEvent::ReportReceived {
                report_id,
                received_at,
                act,
                municipality,
                reporter,
                children,
                concerns,
                summary,
                urgency,
                details,
            },
        ) => ReportState::Received(Report {
            id: *report_id,
            received_at: *received_at,
            act: *act,
            municipality: *municipality,
            reporter: reporter.clone(),
            children: children.clone(),
            concerns: concerns.clone(),
            summary: summary.clone(),
            urgency: *urgency,
            details: details.clone(),
            assignee: None,
            screening: None,
            letters_sent: Vec::new(),
            last_step_at: *received_at,
        }),
        (ReportState::Received(mut report), ReportEvent::ReportAssigned { assignee, .. }) => {
            report.assignee = Some(assignee.clone());
            ReportState::Received(report)
        }
        (ReportState::Received(mut report), ReportEvent::ReportUrgencyChanged { to, .. }) => {
            report.urgency = *to;
            ReportState::Received(report)
        }
        (
            ReportState::Received(mut report),
            ReportEvent::ReportScreened {
                children,
                reporter_code,
                at,
            },
        ) => {
            report.screening = Some(Screening {
                at: *at,
                children: children.clone(),
                reporter_code: reporter_code.clone(),
            });
            ReportState::Received(report)
        }
        (ReportState::Received(mut report), ReportEvent::FeedbackLetterSent { letters, at }) => {
            report
                .letters_sent
                .extend(letters.iter().map(|kind| SentLetter {
                    kind: *kind,
                    at: *at,
                }));
            ReportState::Received(report)
        }
        (state, event) => panic!(
            "report event {} cannot follow state {state:?}: corrupt stream",
            event.event_type()
        ),
    }
}
