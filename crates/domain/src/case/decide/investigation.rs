//! The investigation a screening opened: its plan, activities and deadline, the violence
//! and abuse track (consultation with the police and Statens barnehus, forensic interview,
//! police report), and its conclusion, which may send a proposal to the board at once.
//!
//! Each investigation keeps the rule set of the act its report was received under, which may
//! be older than the case's.

use super::check_between;
use crate::Context;
use crate::calendar;
use crate::case::{
    Case, CaseEvent, ConclusionOutcome, ForensicInterviewOutcome, InvestigationCommand,
};
use crate::error::DomainError;
use crate::values::check_not_after;

pub(super) fn decide(
    case: &Case,
    command: InvestigationCommand,
    context: &Context<'_>,
) -> Result<Vec<CaseEvent>, DomainError> {
    let at = context.at;
    let today = context.today();
    let events = match command {
        InvestigationCommand::Start { plan } => {
            let investigation = case
                .open_investigation()
                .ok_or(DomainError::NoInvestigationOpen)?;
            if investigation.plan.is_some() {
                return Err(DomainError::InvestigationAlreadyStarted);
            }
            vec![CaseEvent::InvestigationStarted { plan, at }]
        }
        InvestigationCommand::RecordActivity {
            activity,
            held_on,
            summary,
        } => {
            let investigation = case
                .open_investigation()
                .ok_or(DomainError::NoInvestigationOpen)?;
            check_between(
                "held_on",
                held_on,
                calendar::oslo_date(investigation.opened_at),
                today,
                "must not be before the investigation opened",
            )?;
            vec![CaseEvent::InvestigationActivityRecorded {
                activity,
                held_on,
                summary,
                at,
            }]
        }
        InvestigationCommand::ExtendDeadline { to_months, reason } => {
            let investigation = case
                .open_investigation()
                .ok_or(DomainError::NoInvestigationOpen)?;
            let rules = investigation.rules(context.rules);
            let max_months = rules.max_investigation_months();
            if to_months > max_months {
                return Err(DomainError::InvestigationExtensionTooLong { max_months });
            }
            let current_months = investigation.current_months(rules);
            if to_months <= current_months {
                return Err(DomainError::InvestigationExtensionNotLonger { current_months });
            }
            // An extension is decided while the deadline runs; after it, the breach stands.
            if investigation.due(rules).is_breached_at(at) {
                return Err(DomainError::InvestigationDeadlinePassed);
            }
            vec![CaseEvent::InvestigationDeadlineExtended {
                to_months,
                reason,
                at,
            }]
        }
        InvestigationCommand::HoldConsultation {
            partners,
            held_on,
            outcome,
        } => {
            if partners.is_empty() {
                return Err(DomainError::invalid(
                    "partners",
                    "must name police, barnehus or both",
                ));
            }
            check_not_after("held_on", held_on, today)?;
            let mut partners = partners;
            partners.sort();
            partners.dedup();
            vec![CaseEvent::ConsultationHeld {
                partners,
                held_on,
                outcome,
                at,
            }]
        }
        InvestigationCommand::RecordForensicInterview { outcome } => {
            if case.consultations.is_empty() {
                return Err(DomainError::NoConsultationHeld);
            }
            let already_held = case
                .forensic_interviews
                .iter()
                .any(|record| matches!(record.outcome, ForensicInterviewOutcome::Held { .. }));
            if already_held {
                return Err(DomainError::ForensicInterviewAlreadyHeld);
            }
            match outcome {
                ForensicInterviewOutcome::Held { held_on } => {
                    check_not_after("held_on", held_on, today)?;
                    vec![CaseEvent::ForensicInterviewHeld { held_on, at }]
                }
                ForensicInterviewOutcome::Postponed { to, reason } => {
                    if to < today {
                        return Err(DomainError::invalid("to", "must not be in the past"));
                    }
                    vec![CaseEvent::ForensicInterviewPostponed { to, reason, at }]
                }
                ForensicInterviewOutcome::NotHeld { reason } => {
                    vec![CaseEvent::ForensicInterviewNotHeld { reason, at }]
                }
            }
        }
        InvestigationCommand::ReportToPolice { grounds } => {
            vec![CaseEvent::ReportedToPolice { grounds, at }]
        }
        InvestigationCommand::Conclude {
            outcome,
            reasons,
            grounds,
        } => {
            let investigation = match case.investigations.last() {
                None => return Err(DomainError::NoInvestigationOpen),
                Some(investigation) if !investigation.is_open() => {
                    return Err(DomainError::NoInvestigationOpen);
                }
                Some(investigation) => investigation,
            };
            let rules = investigation.rules(context.rules);
            if rules.investigation_plan_required && investigation.plan.is_none() {
                return Err(DomainError::InvestigationNotStarted);
            }
            let petition = match &outcome {
                ConclusionOutcome::PetitionToBoard { proposal } => {
                    if case.pending_board_proposal().is_some() {
                        return Err(DomainError::BoardProposalPending);
                    }
                    Some(*proposal)
                }
                _ => None,
            };
            let mut events = vec![CaseEvent::InvestigationConcluded {
                outcome,
                reasons: reasons.clone(),
                grounds,
                at,
            }];
            if let Some(kind) = petition {
                events.push(CaseEvent::BoardProposalSent {
                    kind,
                    grounds: reasons,
                    at,
                });
            }
            events
        }
    };
    Ok(events)
}
