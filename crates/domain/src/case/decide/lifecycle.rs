//! The case as a whole: opened from a screened report, given the later reports about the
//! child, its urgency and assignee changed, and closed once nothing in it runs.
//!
//! Opening and linking are decided against a case that may not exist yet, and are made only
//! by `screening`, which decides for the report at the same time.

use super::open_case;
use crate::Context;
use crate::case::{CaseEvent, CaseState, CloseReason, LifecycleCommand, ReportReference};
use crate::error::DomainError;
use crate::report::ScreeningOutcome;

pub(super) fn decide(
    state: &CaseState,
    command: LifecycleCommand,
    context: &Context<'_>,
) -> Result<Vec<CaseEvent>, DomainError> {
    let at = context.at;
    match command {
        LifecycleCommand::OpenFromReport {
            case_id,
            report,
            child,
            municipality,
            outcome,
            emergency_action,
            urgency,
            assignee,
        } => {
            if state.case().is_some() {
                return Err(DomainError::CaseAlreadyOpened { case_id });
            }
            if let Some(needs) = outcome.needs_existing_case() {
                return Err(DomainError::ScreeningOutcomeNotApplicable {
                    outcome: outcome.registry_code().to_owned(),
                    needs,
                });
            }
            let dismissed = matches!(outcome, ScreeningOutcome::Dismissed { .. });
            let opens_investigation = matches!(outcome, ScreeningOutcome::InvestigationOpened);
            let mut events = vec![CaseEvent::CaseOpenedFromReport {
                case_id,
                report,
                child,
                municipality,
                outcome,
                emergency_action,
                urgency,
                assignee,
                at,
            }];
            if opens_investigation {
                events.push(investigation_opened(report, context)?);
            }
            // A case that only holds a dismissed report has nothing left to do, unless
            // emergency action was taken and must be followed up.
            if dismissed && !emergency_action {
                events.push(CaseEvent::CaseClosed {
                    reason: CloseReason::DismissedAtScreening,
                    at,
                });
            }
            Ok(events)
        }
        LifecycleCommand::LinkReport {
            report,
            child,
            outcome,
            emergency_action,
            urgency,
        } => {
            let case = match state {
                CaseState::Opened(case) if case.closed.is_none() => case,
                CaseState::Opened(case) => {
                    return Err(DomainError::CaseNotOpen { case_id: case.id });
                }
                CaseState::NotOpened => return Err(DomainError::CaseNotOpened),
            };
            if case.child.is_known_different_from(&child) {
                return Err(DomainError::CaseIsAboutAnotherChild { case_id: case.id });
            }
            let not_applicable = |needs| DomainError::ScreeningOutcomeNotApplicable {
                outcome: outcome.registry_code().to_owned(),
                needs,
            };
            match &outcome {
                ScreeningOutcome::InvestigationOpened if case.open_investigation().is_some() => {
                    return Err(DomainError::InvestigationAlreadyOpen);
                }
                ScreeningOutcome::DismissedMeasuresActive { .. } if !case.has_active_measure() => {
                    return Err(not_applicable("active measures"));
                }
                ScreeningOutcome::ConcernsOngoingInvestigation
                    if case.open_investigation().is_none() =>
                {
                    return Err(not_applicable("an investigation under way"));
                }
                _ => {}
            }
            let opens_investigation = matches!(outcome, ScreeningOutcome::InvestigationOpened);
            let mut events = vec![CaseEvent::ReportLinkedToCase {
                report,
                outcome,
                emergency_action,
                urgency,
                at,
            }];
            if opens_investigation {
                events.push(investigation_opened(report, context)?);
            }
            Ok(events)
        }
        LifecycleCommand::Assign { assignee } => {
            let case = open_case(state)?;
            if case.assignee.as_ref() == Some(&assignee) {
                return Err(DomainError::AssigneeUnchanged);
            }
            Ok(vec![CaseEvent::CaseAssigned { assignee, at }])
        }
        LifecycleCommand::ChangeUrgency { urgency, reason } => {
            let case = open_case(state)?;
            if case.urgency == urgency {
                return Err(DomainError::UrgencyUnchanged { urgency });
            }
            Ok(vec![CaseEvent::UrgencyChanged {
                from: case.urgency,
                to: urgency,
                reason,
                at,
            }])
        }
        LifecycleCommand::Close { reasons } => {
            let case = open_case(state)?;
            let blocked = |reason| Err(DomainError::CaseCannotBeClosed { reason });
            if case.open_investigation().is_some() {
                return blocked("an investigation is open");
            }
            if case.has_active_measure() {
                return blocked("measures are active");
            }
            if case.pending_board_proposal().is_some() {
                return blocked("a proposal to the board is pending");
            }
            // Lapses due by now were recorded before this step (`decide`).
            let emergency_open = case
                .emergency_decisions
                .iter()
                .any(crate::case::EmergencyDecision::awaits_petition);
            if emergency_open {
                return blocked("an emergency decision awaits its petition");
            }
            Ok(vec![CaseEvent::CaseClosed {
                reason: CloseReason::Decided { reasons },
                at,
            }])
        }
    }
}

fn investigation_opened(
    report: ReportReference,
    context: &Context<'_>,
) -> Result<CaseEvent, DomainError> {
    // The act in force on the screening's day starts the clock (DOMAIN.md, "Which act").
    let rules = context.rules.in_force_at(context.at);
    Ok(CaseEvent::InvestigationOpened {
        report,
        counts_from: rules.investigation_counts_from(report.received_at, context.at),
        at: context.at,
    })
}
