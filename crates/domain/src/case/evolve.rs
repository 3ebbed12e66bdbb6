//! Applies a case event to the state: the fold of `case-<uuid>`. Holds no rules; everything
//! it trusts was checked by `decide` before the event was stored.

use super::events::CaseEvent;
use super::state::{
    BoardProposal, CareOrderImplementation, CarePlan, Case, CaseState, Consultation,
    EmergencyDecision, ForensicInterviewRecord, Investigation, LinkedReport, Measure,
};
use super::vocabulary::{
    BoardOutcome, BoardProposalKind, ForensicInterviewOutcome, PlanKind, VisitKind,
};
use crate::report::ScreeningOutcome;

/// Applies an event. Holds no rules; panics only on an event that cannot follow the state.
pub fn evolve(state: CaseState, event: &CaseEvent) -> CaseState {
    let mut case = match (state, event) {
        (
            CaseState::NotOpened,
            CaseEvent::CaseOpenedFromReport {
                case_id,
                report,
                child,
                municipality,
                outcome,
                emergency_action,
                urgency,
                assignee,
                at,
            },
        ) => {
            return CaseState::Opened(Case {
                id: *case_id,
                child: child.clone(),
                municipality: *municipality,
                opened_at: *at,
                urgency: *urgency,
                assignee: assignee.clone(),
                reports: vec![LinkedReport {
                    report: *report,
                    outcome: outcome.clone(),
                    emergency_action: *emergency_action,
                    at: *at,
                }],
                investigations: Vec::new(),
                consultations: Vec::new(),
                invitations: Vec::new(),
                forensic_interviews: Vec::new(),
                police_reports: Vec::new(),
                measures: Vec::new(),
                emergency_decisions: Vec::new(),
                board_proposals: Vec::new(),
                care_order_granted_on: None,
                care_order: CareOrderImplementation::default(),
                care_plan: None,
                preliminary_care_plan_on: None,
                follow_up_visits: Vec::new(),
                supervision_visits: Vec::new(),
                follow_up_reduced_since: None,
                supervision_reduced_since: None,
                closed: None,
                last_step_at: *at,
            });
        }
        (CaseState::Opened(case), _) => case,
        (state, event) => panic!(
            "case event {} cannot follow state {state:?}: corrupt stream",
            event.event_type()
        ),
    };
    let corrupt = || -> ! {
        panic!(
            "case event {} has no subject in the case: corrupt stream",
            event.event_type()
        )
    };
    match event {
        CaseEvent::CaseOpenedFromReport { .. } => corrupt(),
        CaseEvent::ReportLinkedToCase {
            report,
            outcome,
            emergency_action,
            urgency,
            at,
        } => {
            if matches!(outcome, ScreeningOutcome::ConcernsOngoingInvestigation)
                && let Some(investigation) = case.investigations.last_mut()
            {
                investigation.reports.push(report.report_id);
            }
            case.urgency = *urgency;
            case.reports.push(LinkedReport {
                report: *report,
                outcome: outcome.clone(),
                emergency_action: *emergency_action,
                at: *at,
            });
        }
        CaseEvent::InvestigationOpened {
            report,
            counts_from,
            at,
        } => {
            case.investigations.push(Investigation {
                opened_by: *report,
                reports: vec![report.report_id],
                counts_from: *counts_from,
                opened_at: *at,
                plan: None,
                activities: Vec::new(),
                extended_to_months: None,
                conclusion: None,
            });
        }
        CaseEvent::UrgencyChanged { to, .. } => case.urgency = *to,
        CaseEvent::CaseAssigned { assignee, .. } => case.assignee = Some(assignee.clone()),
        CaseEvent::PartnersInvitedToConsultation { .. }
        | CaseEvent::PartnerAttendanceRecorded { .. }
        | CaseEvent::PartnerInterviewDecided { .. }
        | CaseEvent::PoliceReportDecided { .. }
        | CaseEvent::PartnerConsultationClosed { .. } => {
            if !crate::partner::evolve(&mut case, event) {
                corrupt();
            }
        }
        CaseEvent::InvestigationStarted { plan, .. } => {
            case.investigations
                .last_mut()
                .unwrap_or_else(|| corrupt())
                .plan = Some(plan.clone());
        }
        CaseEvent::InvestigationActivityRecorded {
            activity, held_on, ..
        } => {
            let investigation = case.investigations.last_mut().unwrap_or_else(|| corrupt());
            investigation.activities.push((activity.clone(), *held_on));
        }
        CaseEvent::InvestigationDeadlineExtended { to_months, .. } => {
            case.investigations
                .last_mut()
                .unwrap_or_else(|| corrupt())
                .extended_to_months = Some(*to_months);
        }
        CaseEvent::ConsultationHeld {
            partners,
            held_on,
            outcome,
            ..
        } => {
            case.consultations.push(Consultation {
                partners: partners.clone(),
                held_on: *held_on,
                outcome: outcome.clone(),
            });
        }
        CaseEvent::ForensicInterviewHeld { held_on, at } => {
            case.forensic_interviews.push(ForensicInterviewRecord {
                outcome: ForensicInterviewOutcome::Held { held_on: *held_on },
                at: *at,
            });
        }
        CaseEvent::ForensicInterviewPostponed { to, reason, at } => {
            case.forensic_interviews.push(ForensicInterviewRecord {
                outcome: ForensicInterviewOutcome::Postponed {
                    to: *to,
                    reason: reason.clone(),
                },
                at: *at,
            });
        }
        CaseEvent::ForensicInterviewNotHeld { reason, at } => {
            case.forensic_interviews.push(ForensicInterviewRecord {
                outcome: ForensicInterviewOutcome::NotHeld {
                    reason: reason.clone(),
                },
                at: *at,
            });
        }
        CaseEvent::ReportedToPolice { at, .. } => case.police_reports.push(*at),
        CaseEvent::InvestigationConcluded { outcome, at, .. } => {
            case.investigations
                .last_mut()
                .unwrap_or_else(|| corrupt())
                .conclusion = Some((outcome.clone(), *at));
        }
        CaseEvent::MeasureStarted {
            number,
            kind,
            plan,
            next_evaluation_on,
            at,
            ..
        } => {
            case.measures.push(Measure {
                number: *number,
                kind: kind.clone(),
                plan: plan.clone(),
                next_evaluation_on: *next_evaluation_on,
                plan_set_at: *at,
                evaluations: Vec::new(),
                ended_at: None,
            });
        }
        CaseEvent::MeasureEvaluated {
            number,
            checklist,
            next_evaluation_on,
            at,
            ..
        } => {
            let measure = measure_mut(&mut case, *number).unwrap_or_else(|| corrupt());
            measure.evaluations.push((*checklist, *at));
            measure.next_evaluation_on = *next_evaluation_on;
        }
        CaseEvent::MeasureExtended {
            number,
            plan,
            next_evaluation_on,
            at,
            ..
        } => {
            let measure = measure_mut(&mut case, *number).unwrap_or_else(|| corrupt());
            measure.plan = plan.clone();
            measure.next_evaluation_on = *next_evaluation_on;
            measure.plan_set_at = *at;
        }
        CaseEvent::MeasureChanged {
            number,
            kind,
            plan,
            next_evaluation_on,
            at,
            ..
        } => {
            let measure = measure_mut(&mut case, *number).unwrap_or_else(|| corrupt());
            measure.kind = kind.clone();
            measure.plan = plan.clone();
            measure.next_evaluation_on = *next_evaluation_on;
            measure.plan_set_at = *at;
        }
        CaseEvent::MeasureEnded { number, at, .. } => {
            measure_mut(&mut case, *number)
                .unwrap_or_else(|| corrupt())
                .ended_at = Some(*at);
        }
        CaseEvent::EmergencyDecisionMade {
            number,
            kind,
            habitually_resident_abroad,
            at,
            ..
        } => {
            case.emergency_decisions.push(EmergencyDecision {
                number: *number,
                kind: *kind,
                made_at: *at,
                ruling: None,
                petition_sent_at: None,
                abroad: *habitually_resident_abroad,
                lapsed_at: None,
                plan_made_on: None,
            });
        }
        CaseEvent::EmergencyDecisionApproved { number, at } => {
            emergency_mut(&mut case, *number)
                .unwrap_or_else(|| corrupt())
                .ruling = Some((true, *at));
        }
        CaseEvent::EmergencyDecisionRefused { number, at, .. } => {
            emergency_mut(&mut case, *number)
                .unwrap_or_else(|| corrupt())
                .ruling = Some((false, *at));
        }
        CaseEvent::EmergencyPetitionSent { number, at } => {
            let decision = emergency_mut(&mut case, *number).unwrap_or_else(|| corrupt());
            decision.petition_sent_at = Some(*at);
            // Entered after the lapse was recorded but sent in time: it never lapsed.
            if decision.lapsed_at.is_some_and(|lapsed| *at < lapsed) {
                decision.lapsed_at = None;
            }
        }
        CaseEvent::EmergencyDecisionLapsed { number, at } => {
            emergency_mut(&mut case, *number)
                .unwrap_or_else(|| corrupt())
                .lapsed_at = Some(*at);
            // Not a step anyone took: a step dated before it may still be entered.
            return CaseState::Opened(case);
        }
        CaseEvent::BoardProposalSent { kind, at, .. } => {
            case.board_proposals.push(BoardProposal {
                kind: *kind,
                sent_at: *at,
                decision: None,
            });
        }
        CaseEvent::BoardDecided {
            kind,
            outcome,
            decided_on,
            ..
        } => {
            case.board_proposals
                .last_mut()
                .unwrap_or_else(|| corrupt())
                .decision = Some((*outcome, *decided_on));
            // A preliminary plan serves the petition the board has now decided.
            if *kind == BoardProposalKind::CareOrder {
                case.preliminary_care_plan_on = None;
            }
            if *kind == BoardProposalKind::CareOrder && *outcome == BoardOutcome::Granted {
                case.care_order_granted_on = Some(*decided_on);
                case.care_order = CareOrderImplementation::default();
            }
        }
        CaseEvent::CareOrderCarriedOut { carried_out_on, .. } => {
            case.care_order.carried_out_on = Some(*carried_out_on);
            // Carried out in time but entered after the lapse was recorded: it never lapsed.
            case.care_order.lapsed_at = None;
        }
        CaseEvent::CareOrderImplementationExtended { to, .. } => {
            case.care_order.extended_to = Some(*to);
        }
        CaseEvent::CareOrderLapsed { at } => {
            case.care_order.lapsed_at = Some(*at);
            // Not a step anyone took (as an emergency decision's lapse).
            return CaseState::Opened(case);
        }
        CaseEvent::CarePlanMade {
            placement,
            placed_on,
            ..
        } => {
            // Placing the child carries the order out.
            case.care_order.carried_out_on.get_or_insert(*placed_on);
            case.care_plan = Some(CarePlan {
                placement: *placement,
                placed_on: *placed_on,
            });
        }
        CaseEvent::PlanMade {
            kind,
            decision,
            made_on,
            ..
        } => match (kind, decision) {
            (PlanKind::EmergencyInvestigation, Some(number)) => {
                emergency_mut(&mut case, *number)
                    .unwrap_or_else(|| corrupt())
                    .plan_made_on = Some(*made_on);
            }
            (PlanKind::EmergencyInvestigation, None) => corrupt(),
            (PlanKind::PreliminaryCare, _) => case.preliminary_care_plan_on = Some(*made_on),
        },
        CaseEvent::FollowUpVisitRecorded { visited_on, .. } => {
            case.follow_up_visits.push(*visited_on)
        }
        CaseEvent::SupervisionVisitRecorded { visited_on, .. } => {
            case.supervision_visits.push(*visited_on)
        }
        CaseEvent::VisitRateDecided {
            visits,
            per_year,
            at,
            ..
        } => {
            let since = (*per_year < 4).then(|| crate::calendar::oslo_date(*at));
            match visits {
                VisitKind::FollowUp => case.follow_up_reduced_since = since,
                VisitKind::Supervision => case.supervision_reduced_since = since,
            }
        }
        CaseEvent::CaseClosed { reason, at } => case.closed = Some((reason.clone(), *at)),
    }
    case.last_step_at = case.last_step_at.max(event.occurred_at());
    CaseState::Opened(case)
}

fn measure_mut(case: &mut Case, number: u32) -> Option<&mut Measure> {
    case.measures
        .iter_mut()
        .find(|measure| measure.number == number)
}

fn emergency_mut(case: &mut Case, number: u32) -> Option<&mut EmergencyDecision> {
    case.emergency_decisions
        .iter_mut()
        .find(|decision| decision.number == number)
}
