//! Screening decides for several streams at once: the report and one case per child.
//!
//! The shell loads the report and every case the screening names, calls
//! [`decide_screening`], and appends all the returned events in one transaction (the event
//! store appends to several streams atomically), so a report is never screened without its
//! cases, nor a case opened from a screening that was not recorded.

use std::collections::BTreeMap;

use crate::Context;
use crate::case::{self, CaseCommand, CaseEvent, CaseState, LifecycleCommand, ReportReference};
use crate::error::DomainError;
use crate::ids::CaseId;
use crate::report::{self, CaseAssignment, ReportEvent, ReportState, ScreenReport};

/// Everything one screening appends: the report's events and each case's.
#[derive(Clone, Debug, PartialEq)]
pub struct ScreeningDecision {
    pub report_events: Vec<ReportEvent>,
    /// In the order of the command's children; each case id appears once.
    pub case_events: Vec<(CaseId, Vec<CaseEvent>)>,
}

/// Decides a screening for the report and all its children's cases.
///
/// `cases` holds the current state of every case the command names; a new case may be absent
/// (it is taken as not opened), an existing case must be present.
pub fn decide_screening(
    report_state: &ReportState,
    command: ScreenReport,
    cases: &BTreeMap<CaseId, CaseState>,
    context: &Context<'_>,
) -> Result<ScreeningDecision, DomainError> {
    let report = report_state
        .report()
        .ok_or(DomainError::ReportNotReceived)?;
    report::check_screening(report, &command)?;
    let reference = ReportReference {
        report_id: report.id,
        received_at: report.received_at,
        act: report.act,
    };
    let not_opened = CaseState::NotOpened;
    let mut case_events = Vec::with_capacity(command.children.len());
    for screening in &command.children {
        // `check_screening` has checked every index against the report's children.
        let child = report
            .children
            .get(screening.child_index)
            .cloned()
            .ok_or_else(|| DomainError::invalid("children", "child index out of range"))?;
        let (case_id, state, case_command) = match screening.case {
            CaseAssignment::NewCase(case_id) => (
                case_id,
                cases.get(&case_id).unwrap_or(&not_opened),
                CaseCommand::Lifecycle(LifecycleCommand::OpenFromReport {
                    case_id,
                    report: reference,
                    child,
                    municipality: report.municipality,
                    outcome: screening.outcome.clone(),
                    emergency_action: screening.emergency_action,
                    urgency: screening.urgency,
                    assignee: report.assignee.clone(),
                }),
            ),
            CaseAssignment::ExistingOpenCase(case_id) => {
                let state = cases
                    .get(&case_id)
                    .filter(|state| state.is_open())
                    .ok_or(DomainError::CaseNotOpen { case_id })?;
                let command = CaseCommand::Lifecycle(LifecycleCommand::LinkReport {
                    report: reference,
                    child,
                    outcome: screening.outcome.clone(),
                    emergency_action: screening.emergency_action,
                    urgency: screening.urgency,
                });
                (case_id, state, command)
            }
        };
        case_events.push((case_id, case::decide(state, case_command, context)?));
    }
    let report_events = report::decide(
        report_state,
        report::ReportCommand::ScreenReport(command),
        context,
    )?;
    Ok(ScreeningDecision {
        report_events,
        case_events,
    })
}
