//! Measures: each started with a time-limited plan, evaluated with the six evaluation
//! questions, and only after an evaluation extended or changed; ended with reasons.
//!
//! The rule set of the act in force on the step's day gives the default evaluation interval;
//! the municipality's own practice may limit an acute family team (`crate::practice`), which
//! the law does not.

use chrono::NaiveDate;

use super::check_family_network;
use crate::Context;
use crate::calendar;
use crate::case::{Case, CaseEvent, MeasureCommand, MeasureKind, MeasurePlan};
use crate::error::DomainError;
use crate::rules::RuleSet;

pub(super) fn decide(
    case: &Case,
    command: MeasureCommand,
    context: &Context<'_>,
) -> Result<Vec<CaseEvent>, DomainError> {
    let at = context.at;
    let today = context.today();
    // A measure's plan follows the act in force on the day it is made or changed.
    let rules = context.rules.in_force_at(at);
    let practice = context.practice.of(case.municipality);
    let events = match command {
        MeasureCommand::Start {
            kind,
            plan,
            in_family_network,
        } => {
            let next_evaluation_on = check_measure_plan(&kind, &plan, rules, practice, today)?;
            check_family_network(in_family_network, kind == MeasureKind::FosterHome)?;
            vec![CaseEvent::MeasureStarted {
                number: Case::next_number(case.measures.len()),
                kind,
                plan,
                next_evaluation_on,
                in_family_network,
                at,
            }]
        }
        MeasureCommand::Evaluate {
            measure,
            checklist,
            assessment,
        } => {
            let measure = case.measure(measure)?;
            // The next evaluation falls due after the default interval unless a new plan
            // (extend or change) sets its own date.
            let next_evaluation_on = calendar::add_length(today, rules.plan_evaluation.length);
            vec![CaseEvent::MeasureEvaluated {
                number: measure.number,
                checklist,
                assessment,
                next_evaluation_on,
                at,
            }]
        }
        MeasureCommand::Extend {
            measure,
            reasons,
            plan,
        } => {
            let measure = case.measure(measure)?;
            if !measure.evaluated_since_plan() {
                return Err(DomainError::MeasureNotEvaluated {
                    number: measure.number,
                });
            }
            let next_evaluation_on =
                check_measure_plan(&measure.kind, &plan, rules, practice, today)?;
            vec![CaseEvent::MeasureExtended {
                number: measure.number,
                reasons,
                plan,
                next_evaluation_on,
                at,
            }]
        }
        MeasureCommand::Change {
            measure,
            kind,
            reasons,
            plan,
            in_family_network,
        } => {
            let measure = case.measure(measure)?;
            if !measure.evaluated_since_plan() {
                return Err(DomainError::MeasureNotEvaluated {
                    number: measure.number,
                });
            }
            let next_evaluation_on = check_measure_plan(&kind, &plan, rules, practice, today)?;
            check_family_network(in_family_network, kind == MeasureKind::FosterHome)?;
            vec![CaseEvent::MeasureChanged {
                number: measure.number,
                kind,
                reasons,
                plan,
                next_evaluation_on,
                in_family_network,
                at,
            }]
        }
        MeasureCommand::End { measure, reasons } => {
            let measure = case.measure(measure)?;
            vec![CaseEvent::MeasureEnded {
                number: measure.number,
                reasons,
                at,
            }]
        }
    };
    Ok(events)
}

/// Checks a measure plan and returns its first evaluation date.
fn check_measure_plan(
    kind: &MeasureKind,
    plan: &MeasurePlan,
    rules: &RuleSet,
    practice: &crate::practice::Practice,
    today: NaiveDate,
) -> Result<NaiveDate, DomainError> {
    if plan.goals.is_empty() {
        return Err(DomainError::invalid(
            "plan.goals",
            "must name at least one goal",
        ));
    }
    if plan.ends_on < plan.starts_on {
        return Err(DomainError::invalid(
            "plan.ends_on",
            "must not be before plan.starts_on",
        ));
    }
    if plan.ends_on < today {
        return Err(DomainError::invalid(
            "plan.ends_on",
            "must not be in the past",
        ));
    }
    if *kind == MeasureKind::AcuteFamilyTeam
        && let Some(limit) = practice.acute_family_team_max
        && plan.ends_on > calendar::add_length(plan.starts_on, limit)
    {
        return Err(DomainError::MeasureTooLong {
            what: "the acute family team, by this service's practice,",
            max: limit.to_string(),
        });
    }
    match plan.evaluate_on {
        Some(date) if date < plan.starts_on.max(today) => Err(DomainError::invalid(
            "plan.evaluate_on",
            "must not be before the start or in the past",
        )),
        Some(date) => Ok(date),
        None => Ok(calendar::add_length(
            plan.starts_on.max(today),
            rules.plan_evaluation.length,
        )),
    }
}
