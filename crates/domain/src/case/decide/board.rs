//! What goes before the county board: emergency decisions (made and sent at once, then
//! ruled on, then followed by a petition within the act's deadline or lapsed), proposals
//! the board decides, and after a care order the care plan and the visits in the foster
//! home.

use super::{check_between, check_family_network};
use crate::Context;
use crate::calendar;
use crate::case::{
    BoardCommand, BoardProposalKind, CarePlacement, Case, CaseEvent, EmergencyDecisionKind,
    EmergencyRuling, PlanKind,
};
use crate::error::DomainError;
use crate::values::check_not_after;

pub(super) fn decide(
    case: &Case,
    command: BoardCommand,
    context: &Context<'_>,
) -> Result<Vec<CaseEvent>, DomainError> {
    let at = context.at;
    let today = context.today();
    let events = match command {
        BoardCommand::MakeEmergencyDecision {
            kind,
            grounds,
            habitually_resident_abroad,
        } => {
            if habitually_resident_abroad && kind != EmergencyDecisionKind::Placement {
                return Err(DomainError::invalid(
                    "habitually_resident_abroad",
                    "the longer petition limit applies only to an emergency placement (new act § 4-2)",
                ));
            }
            vec![CaseEvent::EmergencyDecisionMade {
                number: Case::next_number(case.emergency_decisions.len()),
                kind,
                grounds,
                habitually_resident_abroad,
                at,
            }]
        }
        BoardCommand::RecordLapses => {
            let lapses = lapses(case, context);
            if lapses.is_empty() {
                return Err(DomainError::NothingLapsed);
            }
            lapses
        }
        BoardCommand::RecordEmergencyRuling { decision, ruling } => {
            let decision = case.emergency_decision(decision)?;
            if decision.ruling.is_some() {
                return Err(DomainError::EmergencyDecisionAlreadyRuled {
                    number: decision.number,
                });
            }
            match ruling {
                EmergencyRuling::Approved => {
                    vec![CaseEvent::EmergencyDecisionApproved {
                        number: decision.number,
                        at,
                    }]
                }
                EmergencyRuling::Refused { reasons } => vec![CaseEvent::EmergencyDecisionRefused {
                    number: decision.number,
                    reasons,
                    at,
                }],
            }
        }
        BoardCommand::SendEmergencyPetition { decision } => {
            let decision = case.emergency_decision(decision)?;
            let number = decision.number;
            if decision.petition_sent_at.is_some() {
                return Err(DomainError::EmergencyPetitionAlreadySent { number });
            }
            if decision.is_refused() {
                return Err(DomainError::EmergencyDecisionRefused { number });
            }
            if decision
                .petition_due(decision.rules(context.rules))
                .is_breached_at(at)
            {
                return Err(DomainError::EmergencyDecisionLapsed { number });
            }
            vec![CaseEvent::EmergencyPetitionSent { number, at }]
        }
        BoardCommand::Propose { kind, grounds } => {
            if case.pending_board_proposal().is_some() {
                return Err(DomainError::BoardProposalPending);
            }
            vec![CaseEvent::BoardProposalSent { kind, grounds, at }]
        }
        BoardCommand::RecordDecision {
            outcome,
            decided_on,
        } => {
            let proposal = case
                .pending_board_proposal()
                .ok_or(DomainError::NoBoardProposalPending)?;
            check_between(
                "decided_on",
                decided_on,
                calendar::oslo_date(proposal.sent_at),
                today,
                "must not be before the proposal was sent",
            )?;
            vec![CaseEvent::BoardDecided {
                kind: proposal.kind,
                outcome,
                decided_on,
                at,
            }]
        }
        BoardCommand::RecordCareOrderCarriedOut { carried_out_on } => {
            let granted_on = case.care_order_granted_on.ok_or(DomainError::NoCareOrder)?;
            if case.care_order.carried_out_on.is_some() {
                return Err(DomainError::CareOrderAlreadyCarriedOut);
            }
            check_between(
                "carried_out_on",
                carried_out_on,
                granted_on,
                today,
                "must not be before the board's decision",
            )?;
            // A lapse recorded before a placement dated in time is undone by it; a placement
            // after the deadline comes too late.
            let due = case
                .care_order_due_ignoring_lapse(context.rules)
                .ok_or(DomainError::NoCareOrder)?;
            if carried_out_on > due.last_day {
                return Err(DomainError::CareOrderLapsed);
            }
            vec![CaseEvent::CareOrderCarriedOut { carried_out_on, at }]
        }
        BoardCommand::ExtendCareOrderImplementation { to, reason } => {
            if case.care_order_granted_on.is_none() {
                return Err(DomainError::NoCareOrder);
            }
            if case.care_order.lapsed_at.is_some() {
                return Err(DomainError::CareOrderLapsed);
            }
            let (due, _) = case
                .care_order_due(context.rules)
                .ok_or(DomainError::CareOrderAlreadyCarriedOut)?;
            if to <= due.last_day {
                return Err(DomainError::invalid(
                    "extended_to",
                    format!("must be after the current last day, {}", due.last_day),
                ));
            }
            vec![CaseEvent::CareOrderImplementationExtended { to, reason, at }]
        }
        BoardCommand::MakeCarePlan {
            placement,
            placed_on,
            plan,
            in_family_network,
        } => {
            check_family_network(in_family_network, placement == CarePlacement::FosterHome)?;
            if case.care_order_granted_on.is_none() {
                return Err(DomainError::NoCareOrder);
            }
            if case.care_order.lapsed_at.is_some() {
                return Err(DomainError::CareOrderLapsed);
            }
            if case.care_plan.is_some() {
                return Err(DomainError::CarePlanAlreadyMade);
            }
            check_not_after("placed_on", placed_on, today)?;
            vec![CaseEvent::CarePlanMade {
                placement,
                placed_on,
                plan,
                in_family_network,
                at,
            }]
        }
        BoardCommand::MakePlan {
            kind,
            made_on,
            plan,
        } => {
            let decision = match kind {
                PlanKind::EmergencyInvestigation => {
                    let decision = case.emergency_plan_owed(context.rules).ok_or(
                        DomainError::PlanNotOwed {
                            plan: "investigation plan after an emergency decision",
                            why: "no emergency decision made under the 2021 act awaits one \
                                (one refused, lapsed, made under the 1992 act or already \
                                planned needs none)",
                        },
                    )?;
                    check_between(
                        "made_on",
                        made_on,
                        calendar::oslo_date(decision.made_at),
                        today,
                        "must not be before the emergency decision",
                    )?;
                    Some(decision.number)
                }
                PlanKind::PreliminaryCare => {
                    check_preliminary_care_plan(case, context)?;
                    check_not_after("made_on", made_on, today)?;
                    None
                }
            };
            vec![CaseEvent::PlanMade {
                kind,
                decision,
                made_on,
                plan,
                at,
            }]
        }
        BoardCommand::RecordFollowUpVisit { visited_on } => {
            let placed_on = case
                .foster_placed_on()
                .ok_or(DomainError::NoFosterHomePlacement)?;
            check_visit(visited_on, placed_on, today)?;
            vec![CaseEvent::FollowUpVisitRecorded { visited_on, at }]
        }
        BoardCommand::RecordSupervisionVisit { visited_on } => {
            let placed_on = case
                .foster_placed_on()
                .ok_or(DomainError::NoFosterHomePlacement)?;
            check_visit(visited_on, placed_on, today)?;
            vec![CaseEvent::SupervisionVisitRecorded { visited_on, at }]
        }
        BoardCommand::DecideVisitRate {
            visits,
            per_year,
            reasons,
        } => {
            let placed_on = case
                .foster_placed_on()
                .ok_or(DomainError::NoFosterHomePlacement)?;
            let rules = context.rules.in_force_at(at);
            match per_year {
                4 => {}
                2 if today >= calendar::add_length(placed_on, rules.reduced_visits_after) => {}
                2 => {
                    return Err(DomainError::invalid(
                        "per_year",
                        format!(
                            "2 a year only for a child placed more than {} (placed {placed_on})",
                            rules.reduced_visits_after
                        ),
                    ));
                }
                _ => return Err(DomainError::invalid("per_year", "must be 4 or 2")),
            }
            let (_, reduced) = case.visits(visits);
            if (per_year < 4) == reduced.is_some() {
                return Err(DomainError::VisitRateUnchanged { per_year });
            }
            vec![CaseEvent::VisitRateDecided {
                visits,
                per_year,
                reasons,
                at,
            }]
        }
    };
    Ok(events)
}

/// What the law has made of the case by the step's time: each emergency decision whose
/// petition deadline passed, and a care order not carried out in time, lapsed at that
/// deadline's end.
pub(super) fn lapses(case: &Case, context: &Context<'_>) -> Vec<CaseEvent> {
    let mut lapses: Vec<CaseEvent> = case
        .lapses_by(context.rules, context.at)
        .into_iter()
        .map(|(number, at)| CaseEvent::EmergencyDecisionLapsed { number, at })
        .collect();
    if let Some((due, _)) = case.care_order_due(context.rules)
        && due.is_breached_at(context.at)
    {
        lapses.push(CaseEvent::CareOrderLapsed {
            at: due.breached_from,
        });
    }
    lapses.sort_by_key(CaseEvent::occurred_at);
    lapses
}

/// A preliminary care plan is owed for a care order before the board, or about to go there,
/// under an act that asks for one (the 1992 act), once.
fn check_preliminary_care_plan(case: &Case, context: &Context<'_>) -> Result<(), DomainError> {
    const PLAN: &str = "preliminary care plan";
    if case.preliminary_care_plan_on.is_some() {
        return Err(DomainError::PlanAlreadyMade { plan: PLAN });
    }
    let pending = case.pending_board_proposal();
    if pending.is_some_and(|proposal| proposal.kind != BoardProposalKind::CareOrder) {
        return Err(DomainError::PlanNotOwed {
            plan: PLAN,
            why: "the proposal before the board is not a care order",
        });
    }
    let act_at = pending.map_or(context.at, |proposal| proposal.sent_at);
    if !context
        .rules
        .in_force_at(act_at)
        .preliminary_care_plan_required
    {
        return Err(DomainError::PlanNotOwed {
            plan: PLAN,
            why: "the 2021 act has none: the care plan follows the care order",
        });
    }
    Ok(())
}

/// A visit happened: not after today, not before the placement.
fn check_visit(
    visited_on: chrono::NaiveDate,
    placed_on: chrono::NaiveDate,
    today: chrono::NaiveDate,
) -> Result<(), DomainError> {
    check_between(
        "visited_on",
        visited_on,
        placed_on,
        today,
        "must not be before the placement",
    )
}
