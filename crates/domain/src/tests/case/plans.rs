//! The plans on the way to the board and after it: the investigation plan an emergency
//! decision asks for under the 2021 act (§ 8-2 third paragraph), the preliminary care plan a
//! care order proposed under the 1992 act asks for (§ 4-15 third paragraph), and the care plan
//! after a care order (2021 act § 8-3, 1992 act § 4-15), each on both sides of its last day.

use super::*;
use crate::DomainError;
use crate::case::{BoardCommand, BoardOutcome, CaseCommand, CaseStream, PlanKind, ReportReference};
use crate::deadlines::OpenDeadline;
use crate::rules::DeadlineKind;

/// A case opened from `reference`'s report at its receipt, then `more`.
fn case_under(
    reference: ReportReference,
    more: impl IntoIterator<Item = CaseEvent>,
) -> Vec<CaseEvent> {
    let mut opened = case_opened(1, dismissal(false), true);
    if let CaseEvent::CaseOpenedFromReport { report, at, .. } = &mut opened {
        *report = reference;
        *at = reference.received_at;
    }
    with(vec![opened], more)
}

fn decision_at(made: &str) -> CaseEvent {
    CaseEvent::EmergencyDecisionMade {
        number: 1,
        kind: EmergencyDecisionKind::Placement,
        grounds: text("Child unsafe tonight"),
        habitually_resident_abroad: false,
        at: at(made),
    }
}

fn proposal_at(kind: BoardProposalKind, sent: &str) -> CaseEvent {
    CaseEvent::BoardProposalSent {
        kind,
        grounds: text("Serious neglect"),
        at: at(sent),
    }
}

fn granted(on: &str) -> CaseEvent {
    CaseEvent::BoardDecided {
        kind: BoardProposalKind::CareOrder,
        outcome: BoardOutcome::Granted,
        decided_on: day(on),
        at: at(&format!("{on}T12:00:00Z")),
    }
}

fn make_plan(kind: PlanKind, made_on: &str) -> CaseCommand {
    CaseCommand::Board(BoardCommand::MakePlan {
        kind,
        made_on: day(made_on),
        plan: text("Who talks to whom, and when"),
    })
}

fn plan_made(kind: PlanKind, decision: Option<u32>, made_on: &str, recorded: &str) -> CaseEvent {
    CaseEvent::PlanMade {
        kind,
        decision,
        made_on: day(made_on),
        plan: text("Who talks to whom, and when"),
        at: at(recorded),
    }
}

/// The plan deadline of `kind` the worklist shows at `at_text`: its last day and whether it
/// is breached then.
fn plan_deadline(
    events: &[CaseEvent],
    kind: DeadlineKind,
    at_text: &str,
) -> Option<(String, bool)> {
    open_at(events, at_text)
        .into_iter()
        .find(|deadline: &OpenDeadline| deadline.kind == kind)
        .map(|deadline| (deadline.due.last_day.to_string(), deadline.breached))
}

#[test]
fn an_emergency_decision_asks_for_its_investigation_plan_under_the_2021_act() {
    use DeadlineKind::EmergencyInvestigationPlan as PLAN;
    let made = case_under(reference(), [decision_at("2024-03-04T09:00:00Z")]);
    // Six weeks, to the end of the last day in Oslo (summer time from 31 March).
    assert_eq!(
        plan_deadline(&made, PLAN, "2024-04-15T21:59:59Z"),
        Some(("2024-04-15".to_owned(), false))
    );
    assert_eq!(
        plan_deadline(&made, PLAN, "2024-04-15T22:00:00Z"),
        Some(("2024-04-15".to_owned(), true))
    );
    let planned = with(
        made.clone(),
        [plan_made(
            PLAN_KIND,
            Some(1),
            "2024-03-08",
            "2024-03-08T12:00:00Z",
        )],
    );
    assert_eq!(plan_deadline(&planned, PLAN, "2024-04-16T08:00:00Z"), None);
    let refused = with(
        made,
        [CaseEvent::EmergencyDecisionRefused {
            number: 1,
            reasons: text("No"),
            at: now(),
        }],
    );
    assert_eq!(plan_deadline(&refused, PLAN, "2024-03-07T08:00:00Z"), None);
    // The 1992 act had no such plan.
    let old = case_under(old_act_reference(), [decision_at("2022-11-01T10:00:00Z")]);
    assert_eq!(plan_deadline(&old, PLAN, "2022-12-14T08:00:00Z"), None);
}

const PLAN_KIND: PlanKind = PlanKind::EmergencyInvestigation;

#[test]
fn making_the_emergency_investigation_plan() {
    let made = || case_under(reference(), [decision_at("2024-03-04T09:00:00Z")]);
    let not_owed = DomainError::PlanNotOwed {
        plan: "investigation plan after an emergency decision",
        why: "no emergency decision made under the 2021 act awaits one (one refused, lapsed, \
            made under the 1992 act or already planned needs none)",
    };
    let rows: Vec<CaseRow> = vec![
        Row {
            name: "made on the decision's day: the plan follows decision 1",
            given: made(),
            now: now(),
            when: make_plan(PLAN_KIND, "2024-03-04"),
            then: Ok(vec![plan_made(
                PLAN_KIND,
                Some(1),
                "2024-03-04",
                "2024-03-06T10:00:00Z",
            )]),
        },
        Row {
            name: "not dated before the decision",
            given: made(),
            now: now(),
            when: make_plan(PLAN_KIND, "2024-03-03"),
            then: Err(invalid(
                "made_on",
                "must not be before the emergency decision",
            )),
        },
        Row {
            name: "once",
            given: with(
                made(),
                [plan_made(
                    PLAN_KIND,
                    Some(1),
                    "2024-03-04",
                    "2024-03-05T10:00:00Z",
                )],
            ),
            now: now(),
            when: make_plan(PLAN_KIND, "2024-03-05"),
            then: Err(not_owed.clone()),
        },
        Row {
            name: "not for a decision made under the 1992 act",
            given: case_under(old_act_reference(), [decision_at("2022-11-01T10:00:00Z")]),
            now: at("2022-11-02T10:00:00Z"),
            when: make_plan(PLAN_KIND, "2022-11-02"),
            then: Err(not_owed.clone()),
        },
        Row {
            name: "not without an emergency decision",
            given: case_under(reference(), []),
            now: now(),
            when: make_plan(PLAN_KIND, "2024-03-05"),
            then: Err(not_owed),
        },
    ];
    run_table(stream_decider::<CaseStream>(), rows);
}

#[test]
fn a_care_order_proposed_under_the_1992_act_asks_for_a_preliminary_care_plan() {
    use DeadlineKind::PreliminaryCarePlan as PLAN;
    let proposed = case_under(
        old_act_reference(),
        [proposal_at(
            BoardProposalKind::CareOrder,
            "2022-11-08T09:00:00Z",
        )],
    );
    // With the petition: to the end of the day it is sent (winter time in Oslo).
    assert_eq!(
        plan_deadline(&proposed, PLAN, "2022-11-08T22:59:59Z"),
        Some(("2022-11-08".to_owned(), false))
    );
    assert_eq!(
        plan_deadline(&proposed, PLAN, "2022-11-08T23:00:00Z"),
        Some(("2022-11-08".to_owned(), true))
    );
    let planned = with(
        proposed.clone(),
        [plan_made(
            PlanKind::PreliminaryCare,
            None,
            "2022-11-08",
            "2022-11-08T12:00:00Z",
        )],
    );
    assert_eq!(plan_deadline(&planned, PLAN, "2022-11-09T08:00:00Z"), None);
    // A behaviour institution asks for none, nor does a care order proposed under the 2021 act.
    let institution = case_under(
        old_act_reference(),
        [proposal_at(
            BoardProposalKind::BehaviourInstitution,
            "2022-11-08T09:00:00Z",
        )],
    );
    assert_eq!(
        plan_deadline(&institution, PLAN, "2022-11-09T08:00:00Z"),
        None
    );
    let new_act = case_under(
        reference(),
        [proposal_at(
            BoardProposalKind::CareOrder,
            "2024-03-05T09:00:00Z",
        )],
    );
    assert_eq!(plan_deadline(&new_act, PLAN, "2024-03-06T08:00:00Z"), None);
}

#[test]
fn making_the_preliminary_care_plan() {
    const PRELIMINARY: PlanKind = PlanKind::PreliminaryCare;
    let proposed = |kind| {
        case_under(
            old_act_reference(),
            [proposal_at(kind, "2022-11-08T09:00:00Z")],
        )
    };
    let rows: Vec<CaseRow> = vec![
        Row {
            name: "with the care order's petition under the 1992 act",
            given: proposed(BoardProposalKind::CareOrder),
            now: at("2022-11-08T12:00:00Z"),
            when: make_plan(PRELIMINARY, "2022-11-08"),
            then: Ok(vec![plan_made(
                PRELIMINARY,
                None,
                "2022-11-08",
                "2022-11-08T12:00:00Z",
            )]),
        },
        Row {
            name: "before the proposal, too",
            given: case_under(old_act_reference(), []),
            now: at("2022-11-07T12:00:00Z"),
            when: make_plan(PRELIMINARY, "2022-11-07"),
            then: Ok(vec![plan_made(
                PRELIMINARY,
                None,
                "2022-11-07",
                "2022-11-07T12:00:00Z",
            )]),
        },
        Row {
            name: "not dated after today",
            given: proposed(BoardProposalKind::CareOrder),
            now: at("2022-11-08T12:00:00Z"),
            when: make_plan(PRELIMINARY, "2022-11-09"),
            then: Err(invalid("made_on", "must not be in the future")),
        },
        Row {
            name: "once",
            given: with(
                proposed(BoardProposalKind::CareOrder),
                [plan_made(
                    PRELIMINARY,
                    None,
                    "2022-11-08",
                    "2022-11-08T12:00:00Z",
                )],
            ),
            now: at("2022-11-09T12:00:00Z"),
            when: make_plan(PRELIMINARY, "2022-11-09"),
            then: Err(DomainError::PlanAlreadyMade {
                plan: "preliminary care plan",
            }),
        },
        Row {
            name: "not for a behaviour institution",
            given: proposed(BoardProposalKind::BehaviourInstitution),
            now: at("2022-11-08T12:00:00Z"),
            when: make_plan(PRELIMINARY, "2022-11-08"),
            then: Err(DomainError::PlanNotOwed {
                plan: "preliminary care plan",
                why: "the proposal before the board is not a care order",
            }),
        },
        Row {
            name: "not under the 2021 act",
            given: case_under(reference(), []),
            now: now(),
            when: make_plan(PRELIMINARY, "2024-03-06"),
            then: Err(DomainError::PlanNotOwed {
                plan: "preliminary care plan",
                why: "the 2021 act has none: the care plan follows the care order",
            }),
        },
    ];
    run_table(stream_decider::<CaseStream>(), rows);
}

#[test]
fn a_care_order_asks_for_its_care_plan_by_the_time_it_is_carried_out() {
    use DeadlineKind::CarePlan as PLAN;
    let granted_2024 = case_under(
        reference(),
        [
            proposal_at(BoardProposalKind::CareOrder, "2024-03-05T09:00:00Z"),
            granted("2024-03-05"),
        ],
    );
    assert_eq!(
        plan_deadline(&granted_2024, PLAN, "2024-04-16T21:59:59Z"),
        Some(("2024-04-16".to_owned(), false))
    );
    assert_eq!(
        plan_deadline(&granted_2024, PLAN, "2024-04-16T22:00:00Z"),
        Some(("2024-04-16".to_owned(), true))
    );
    // The chair's extension moves it with the order.
    let extended = with(
        granted_2024.clone(),
        [CaseEvent::CareOrderImplementationExtended {
            to: day("2024-05-10"),
            reason: text("No foster home yet"),
            at: at("2024-04-10T10:00:00Z"),
        }],
    );
    assert_eq!(
        plan_deadline(&extended, PLAN, "2024-04-17T08:00:00Z"),
        Some(("2024-05-10".to_owned(), false))
    );
    // Carried out without a plan: still owed, breached after its day.
    let carried_out = with(
        granted_2024.clone(),
        [CaseEvent::CareOrderCarriedOut {
            carried_out_on: day("2024-04-01"),
            at: at("2024-04-01T10:00:00Z"),
        }],
    );
    assert_eq!(
        plan_deadline(&carried_out, PLAN, "2024-04-17T08:00:00Z"),
        Some(("2024-04-16".to_owned(), true))
    );
    let planned = with(
        granted_2024,
        [CaseEvent::CarePlanMade {
            placement: crate::case::CarePlacement::FosterHome,
            placed_on: day("2024-04-01"),
            plan: text("Long-term foster home"),
            in_family_network: false,
            at: at("2024-04-01T10:00:00Z"),
        }],
    );
    assert_eq!(plan_deadline(&planned, PLAN, "2024-04-17T08:00:00Z"), None);
    // The 1992 act's care order: the same six weeks, its own paragraph.
    let old = case_under(
        old_act_reference(),
        [
            proposal_at(BoardProposalKind::CareOrder, "2022-11-01T09:00:00Z"),
            granted("2022-11-01"),
        ],
    );
    let deadline = open_at(&old, "2022-12-13T22:59:59Z")
        .into_iter()
        .find(|deadline| deadline.kind == PLAN)
        .map(|deadline| {
            (
                deadline.due.last_day.to_string(),
                deadline.breached,
                deadline.legal_reference,
            )
        });
    assert_eq!(
        deadline,
        Some((
            "2022-12-13".to_owned(),
            false,
            "barnevernloven 1992 § 4-15 third paragraph".to_owned()
        ))
    );
}
