//! Which deadlines are running for a stream, when they fall and whether they are breached.
//!
//! Computed from state on demand rather than stored, so a change in the rule table (a value
//! "to confirm" that gets confirmed differently) is reflected everywhere at once. The worklist
//! projection calls these after each event; the order puts red cases first (DOMAIN.md: red
//! cases come first everywhere), then the earliest due.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{self, Due};
use crate::case::{CaseState, VisitKind};
use crate::report::{ReportId, ReportState};
use crate::rules::{DeadlineKind, RuleBook};
use crate::values::Urgency;

/// What a deadline is about, within its stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineSubject {
    Report(ReportId),
    Investigation,
    Measure(u32),
    EmergencyDecision(u32),
    CareOrder,
    FosterHomePlacement,
}

/// A running deadline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenDeadline {
    pub kind: DeadlineKind,
    pub subject: DeadlineSubject,
    pub due: Due,
    /// Breached at the `now` the list was computed for.
    pub breached: bool,
    pub urgency: Urgency,
    pub legal_reference: String,
}

/// The report's running deadline: screening, until the report is screened. Letters are listed
/// by `letters::letters_owed`, which also needs the cases.
pub fn open_report_deadlines(
    state: &ReportState,
    rules: &RuleBook,
    now: DateTime<Utc>,
) -> Vec<OpenDeadline> {
    let Some(report) = state.report() else {
        return Vec::new();
    };
    if report.screening.is_some() {
        return Vec::new();
    }
    let rules = rules.for_act(report.act);
    let due = rules.screening_due(report.received_at);
    vec![OpenDeadline {
        kind: DeadlineKind::Screening,
        subject: DeadlineSubject::Report(report.id),
        due,
        breached: due.is_breached_at(now),
        urgency: report.urgency,
        legal_reference: rules.screening.legal_reference.to_owned(),
    }]
}

/// A case's running deadlines: investigation, emergency approvals, petitions and plans, the
/// care order's implementation and plans, measure evaluations and foster home visits. A
/// closed case has none.
pub fn open_case_deadlines(
    state: &CaseState,
    rule_book: &RuleBook,
    now: DateTime<Utc>,
) -> Vec<OpenDeadline> {
    let Some(case) = state.case().filter(|case| case.closed.is_none()) else {
        return Vec::new();
    };
    // Each deadline under the act in force when its clock started (DOMAIN.md, "Which act").
    let mut deadlines = Vec::new();
    let mut push = |kind: DeadlineKind, subject, due: Due, legal_reference: &str| {
        deadlines.push(OpenDeadline {
            kind,
            subject,
            due,
            breached: due.is_breached_at(now),
            urgency: case.urgency,
            legal_reference: legal_reference.to_owned(),
        });
    };
    if let Some(investigation) = case.open_investigation() {
        let rules = investigation.rules(rule_book);
        push(
            DeadlineKind::Investigation,
            DeadlineSubject::Investigation,
            investigation.due(rules),
            rules.investigation.legal_reference,
        );
    }
    for decision in &case.emergency_decisions {
        let rules = decision.rules(rule_book);
        let subject = DeadlineSubject::EmergencyDecision(decision.number);
        if decision.ruling.is_none() && decision.lapsed_at.is_none() {
            push(
                DeadlineKind::EmergencyApproval,
                subject,
                decision.approval_due(rules),
                rules.emergency_approval.legal_reference,
            );
        }
        if let Some(lapsed_at) = decision.lapsed_at {
            // Until a new decision gives the placement a legal basis, the top of the list.
            if !case.decided_since(lapsed_at) {
                push(
                    DeadlineKind::EmergencyDecisionLapsed,
                    subject,
                    Due {
                        last_day: calendar::oslo_date(lapsed_at),
                        breached_from: lapsed_at,
                    },
                    rules.emergency_decision_lapsed.legal_reference,
                );
            }
        } else if decision.awaits_petition() {
            let rule = decision.petition_rule(rules);
            push(
                rule.kind,
                subject,
                decision.petition_due(rules),
                rule.legal_reference,
            );
        }
        if decision.owes_plan(rule_book) {
            push(
                DeadlineKind::EmergencyInvestigationPlan,
                subject,
                decision.plan_due(rules),
                rules.emergency_investigation_plan.legal_reference,
            );
        }
    }
    if let Some((due, rule)) = case.care_order_due(rule_book) {
        push(
            rule.kind,
            DeadlineSubject::CareOrder,
            due,
            rule.legal_reference,
        );
    }
    if let (Some(lapsed_at), Some(granted_on)) =
        (case.care_order.lapsed_at, case.care_order_granted_on)
        && !case.board_decided_since(lapsed_at)
    {
        push(
            DeadlineKind::CareOrderLapsed,
            DeadlineSubject::CareOrder,
            Due {
                last_day: calendar::oslo_date(lapsed_at),
                breached_from: lapsed_at,
            },
            rule_book
                .in_force_on(granted_on)
                .care_order_lapsed
                .legal_reference,
        );
    }
    if let Some((due, rule)) = case.preliminary_care_plan_due(rule_book) {
        push(
            rule.kind,
            DeadlineSubject::CareOrder,
            due,
            rule.legal_reference,
        );
    }
    if let Some((due, rule)) = case.care_plan_due(rule_book) {
        push(
            rule.kind,
            DeadlineSubject::CareOrder,
            due,
            rule.legal_reference,
        );
    }
    for measure in case.measures.iter().filter(|measure| measure.is_active()) {
        let rules = rule_book.in_force_at(measure.plan_set_at);
        let last_day = measure.next_evaluation_on;
        push(
            DeadlineKind::PlanEvaluation,
            DeadlineSubject::Measure(measure.number),
            Due {
                last_day,
                breached_from: calendar::end_of_oslo_day(last_day),
            },
            rules.plan_evaluation.legal_reference,
        );
    }
    if let Some(placed_on) = case.foster_placed_on() {
        let rules = rule_book.in_force_on(placed_on);
        for (kind, rule) in [
            (VisitKind::FollowUp, &rules.follow_up_visit),
            (VisitKind::Supervision, &rules.supervision_visit),
        ] {
            let (visits, reduced_since) = case.visits(kind);
            let counted_from = visits
                .iter()
                .max()
                .copied()
                .unwrap_or(placed_on)
                .max(placed_on);
            // Two a year only by the service's decision, never by time alone.
            let interval = match (reduced_since, rule.extended_length) {
                (Some(_), Some(reduced)) => reduced,
                _ => rule.length,
            };
            push(
                rule.kind,
                DeadlineSubject::FosterHomePlacement,
                calendar::due_from_date(counted_from, interval),
                rule.legal_reference,
            );
        }
    }
    deadlines
}

/// Worklist order: a lapsed decision first (a child placed without legal basis, or a care
/// order that fell away), then red,
/// yellow, green; within those the earliest due.
pub fn sort_for_worklist(deadlines: &mut [OpenDeadline]) {
    deadlines.sort_by_key(|deadline| {
        (
            !matches!(
                deadline.kind,
                DeadlineKind::EmergencyDecisionLapsed | DeadlineKind::CareOrderLapsed
            ),
            deadline.urgency,
            deadline.due.breached_from,
        )
    });
}
