//! Screening as a table: the report and its children's cases decided and appended as one;
//! and the assignee a case takes from its report.

use uuid::Uuid;

use super::fixtures::*;
use crate::DomainError;
use crate::case::{
    CaseCommand, CaseEvent, CloseReason, ConclusionOutcome, LifecycleCommand, MeasureKind,
    ReportReference,
};
use crate::report::{
    CaseAssignment, ChildScreening, DismissalGround, ReportCommand, ReportEvent, ReportId,
    ScreenReport, ScreeningOutcome,
};
use crate::rules::Act;
use crate::values::{ChildIdentity, Urgency};

fn earlier_reference() -> ReportReference {
    ReportReference {
        report_id: ReportId::new(Uuid::from_u128(0x1001)),
        received_at: at("2024-02-01T09:00:00Z"),
        act: Act::ChildWelfareAct2021,
    }
}

/// Case `n` for `child`, opened by an earlier report with an investigation under way.
fn earlier_case(n: u128, child: ChildIdentity) -> Vec<AnyEvent> {
    let reference = earlier_reference();
    vec![
        AnyEvent::Case(
            case_id(n),
            CaseEvent::CaseOpenedFromReport {
                case_id: case_id(n),
                report: reference,
                child,
                municipality: tromso(),
                outcome: ScreeningOutcome::InvestigationOpened,
                emergency_action: false,
                urgency: Urgency::Green,
                assignee: None,
                at: reference.received_at,
            },
        ),
        AnyEvent::Case(case_id(n), investigation_opened(reference)),
    ]
}

fn siblings_received() -> AnyEvent {
    AnyEvent::Report(report_received(public_reporter(), vec![anna(), ola()]))
}

fn screen(children: Vec<ChildScreening>) -> ScreenReport {
    ScreenReport {
        reporter_code: None,
        children,
    }
}

fn screened_now(children: Vec<ChildScreening>) -> AnyEvent {
    AnyEvent::Report(ReportEvent::ReportScreened {
        reporter_code: None,
        children,
        at: now(),
    })
}

fn opened_now(
    n: u128,
    child: ChildIdentity,
    outcome: ScreeningOutcome,
    emergency_action: bool,
    urgency: Urgency,
) -> AnyEvent {
    AnyEvent::Case(
        case_id(n),
        CaseEvent::CaseOpenedFromReport {
            case_id: case_id(n),
            report: reference(),
            child,
            municipality: tromso(),
            outcome,
            emergency_action,
            urgency,
            assignee: None,
            at: now(),
        },
    )
}

fn investigation_opened_now(n: u128) -> AnyEvent {
    AnyEvent::Case(
        case_id(n),
        CaseEvent::InvestigationOpened {
            report: reference(),
            counts_from: day("2024-03-11"),
            at: now(),
        },
    )
}

#[test]
fn screening_across_streams() {
    let one_child_investigated = child(
        0,
        CaseAssignment::NewCase(case_id(1)),
        ScreeningOutcome::InvestigationOpened,
        Urgency::Red,
    );
    let anna_received = || AnyEvent::Report(report_received(public_reporter(), vec![anna()]));
    let with_emergency = ChildScreening {
        emergency_action: true,
        ..child(
            0,
            CaseAssignment::NewCase(case_id(1)),
            dismissal(false),
            Urgency::Red,
        )
    };
    let linked_ongoing = child(
        0,
        CaseAssignment::ExistingOpenCase(case_id(1)),
        ScreeningOutcome::ConcernsOngoingInvestigation,
        Urgency::Yellow,
    );
    let ola_dismissed = child(
        1,
        CaseAssignment::NewCase(case_id(2)),
        dismissal(true),
        Urgency::Green,
    );
    let transferred = ScreeningOutcome::Dismissed {
        ground: DismissalGround::TransferredToAnotherMunicipality {
            municipality: tromso(),
        },
        reasons: text("Family lives elsewhere"),
        obviously_unfounded: false,
    };
    let measures_active = ScreeningOutcome::DismissedMeasuresActive {
        reasons: text("Followed up in PMTO"),
    };
    let mut case_with_measure = earlier_case(1, anna());
    case_with_measure.push(AnyEvent::Case(
        case_id(1),
        CaseEvent::MeasureStarted {
            in_family_network: false,
            number: 1,
            kind: MeasureKind::Pmto,
            plan: measure_plan("2024-02-10", "2024-12-31", None),
            next_evaluation_on: day("2024-05-10"),
            at: at("2024-02-10T09:00:00Z"),
        },
    ));
    let mut closed_case = earlier_case(1, anna());
    closed_case.push(AnyEvent::Case(
        case_id(1),
        CaseEvent::InvestigationConcluded {
            grounds: Vec::new(),
            outcome: ConclusionOutcome::DismissedOnAssessment,
            reasons: text("No concern found"),
            at: at("2024-02-20T09:00:00Z"),
        },
    ));
    closed_case.push(AnyEvent::Case(
        case_id(1),
        CaseEvent::CaseClosed {
            reason: CloseReason::Decided {
                reasons: text("Nothing more to do"),
            },
            at: at("2024-02-21T09:00:00Z"),
        },
    ));
    let prepend = |mut events: Vec<AnyEvent>, first: AnyEvent| {
        events.insert(0, first);
        events
    };

    let rows: Vec<ScreeningRow> = vec![
        Row {
            name: "one child screened into a new case with an investigation",
            given: vec![anna_received()],
            now: now(),
            when: screen(vec![one_child_investigated.clone()]),
            then: Ok(vec![
                screened_now(vec![one_child_investigated.clone()]),
                opened_now(
                    1,
                    anna(),
                    ScreeningOutcome::InvestigationOpened,
                    false,
                    Urgency::Red,
                ),
                investigation_opened_now(1),
            ]),
        },
        Row {
            name: "siblings: one report linked to an open case, one dismissed into a closed new case",
            given: prepend(earlier_case(1, anna()), siblings_received()),
            now: now(),
            when: screen(vec![linked_ongoing.clone(), ola_dismissed.clone()]),
            then: Ok(vec![
                screened_now(vec![linked_ongoing.clone(), ola_dismissed.clone()]),
                AnyEvent::Case(
                    case_id(1),
                    CaseEvent::ReportLinkedToCase {
                        report: reference(),
                        outcome: ScreeningOutcome::ConcernsOngoingInvestigation,
                        emergency_action: false,
                        urgency: Urgency::Yellow,
                        at: now(),
                    },
                ),
                opened_now(2, ola(), dismissal(true), false, Urgency::Green),
                AnyEvent::Case(
                    case_id(2),
                    CaseEvent::CaseClosed {
                        reason: CloseReason::DismissedAtScreening,
                        at: now(),
                    },
                ),
            ]),
        },
        Row {
            name: "a dismissal with emergency action keeps the case open",
            given: vec![anna_received()],
            now: now(),
            when: screen(vec![with_emergency.clone()]),
            then: Ok(vec![
                screened_now(vec![with_emergency.clone()]),
                opened_now(1, anna(), dismissal(false), true, Urgency::Red),
            ]),
        },
        Row {
            name: "dismissal 1.3 names the municipality it was transferred to",
            given: vec![anna_received()],
            now: now(),
            when: screen(vec![child(
                0,
                CaseAssignment::NewCase(case_id(1)),
                transferred.clone(),
                Urgency::Green,
            )]),
            then: Ok(vec![
                screened_now(vec![child(
                    0,
                    CaseAssignment::NewCase(case_id(1)),
                    transferred.clone(),
                    Urgency::Green,
                )]),
                opened_now(1, anna(), transferred.clone(), false, Urgency::Green),
                AnyEvent::Case(
                    case_id(1),
                    CaseEvent::CaseClosed {
                        reason: CloseReason::DismissedAtScreening,
                        at: now(),
                    },
                ),
            ]),
        },
        Row {
            name: "code 3 links to a case with active measures",
            given: prepend(case_with_measure.clone(), anna_received()),
            now: now(),
            when: screen(vec![child(
                0,
                CaseAssignment::ExistingOpenCase(case_id(1)),
                measures_active.clone(),
                Urgency::Green,
            )]),
            then: Ok(vec![
                screened_now(vec![child(
                    0,
                    CaseAssignment::ExistingOpenCase(case_id(1)),
                    measures_active.clone(),
                    Urgency::Green,
                )]),
                AnyEvent::Case(
                    case_id(1),
                    CaseEvent::ReportLinkedToCase {
                        report: reference(),
                        outcome: measures_active.clone(),
                        emergency_action: false,
                        urgency: Urgency::Green,
                        at: now(),
                    },
                ),
            ]),
        },
        Row {
            name: "a report cannot be screened twice",
            given: vec![
                anna_received(),
                AnyEvent::Report(screened(vec![one_child_investigated.clone()])),
            ],
            now: now(),
            when: screen(vec![one_child_investigated.clone()]),
            then: Err(DomainError::ReportAlreadyScreened),
        },
        Row {
            name: "a report never received cannot be screened",
            given: vec![],
            now: now(),
            when: screen(vec![one_child_investigated.clone()]),
            then: Err(DomainError::ReportNotReceived),
        },
        Row {
            name: "every child must be screened",
            given: vec![siblings_received()],
            now: now(),
            when: screen(vec![one_child_investigated.clone()]),
            then: Err(invalid("children", "child 1 of the report is not screened")),
        },
        Row {
            name: "a child cannot be screened twice",
            given: vec![anna_received()],
            now: now(),
            when: screen(vec![
                one_child_investigated.clone(),
                child(
                    0,
                    CaseAssignment::NewCase(case_id(2)),
                    dismissal(false),
                    Urgency::Red,
                ),
            ]),
            then: Err(invalid("children[1].child_index", "child screened twice")),
        },
        Row {
            name: "a child index must exist",
            given: vec![anna_received()],
            now: now(),
            when: screen(vec![child(
                3,
                CaseAssignment::NewCase(case_id(1)),
                dismissal(false),
                Urgency::Red,
            )]),
            then: Err(invalid(
                "children[0].child_index",
                "the report names 1 children",
            )),
        },
        Row {
            name: "siblings need a case each",
            given: vec![siblings_received()],
            now: now(),
            when: screen(vec![
                one_child_investigated.clone(),
                child(
                    1,
                    CaseAssignment::NewCase(case_id(1)),
                    dismissal(false),
                    Urgency::Red,
                ),
            ]),
            then: Err(invalid(
                "children[1].case",
                "each child needs a case of its own",
            )),
        },
        Row {
            name: "code 3 cannot open a new case",
            given: vec![anna_received()],
            now: now(),
            when: screen(vec![child(
                0,
                CaseAssignment::NewCase(case_id(1)),
                measures_active.clone(),
                Urgency::Red,
            )]),
            then: Err(DomainError::ScreeningOutcomeNotApplicable {
                outcome: "3".into(),
                needs: "active measures",
            }),
        },
        Row {
            name: "code 3 needs active measures in the linked case",
            given: prepend(earlier_case(1, anna()), anna_received()),
            now: now(),
            when: screen(vec![child(
                0,
                CaseAssignment::ExistingOpenCase(case_id(1)),
                measures_active.clone(),
                Urgency::Red,
            )]),
            then: Err(DomainError::ScreeningOutcomeNotApplicable {
                outcome: "3".into(),
                needs: "active measures",
            }),
        },
        Row {
            name: "code 4 needs an investigation under way",
            given: prepend(
                case_with_measure
                    .iter()
                    .filter(|e| {
                        !matches!(e, AnyEvent::Case(_, CaseEvent::InvestigationOpened { .. }))
                    })
                    .cloned()
                    .collect(),
                anna_received(),
            ),
            now: now(),
            when: screen(vec![linked_ongoing.clone()]),
            then: Err(DomainError::ScreeningOutcomeNotApplicable {
                outcome: "4".into(),
                needs: "an investigation under way",
            }),
        },
        Row {
            name: "a report cannot be linked to a closed case",
            given: prepend(closed_case.clone(), anna_received()),
            now: now(),
            when: screen(vec![linked_ongoing.clone()]),
            then: Err(DomainError::CaseNotOpen {
                case_id: case_id(1),
            }),
        },
        Row {
            name: "a report cannot be linked to a case the shell did not load",
            given: vec![anna_received()],
            now: now(),
            when: screen(vec![linked_ongoing.clone()]),
            then: Err(DomainError::CaseNotOpen {
                case_id: case_id(1),
            }),
        },
        Row {
            name: "a new case id must be new",
            given: prepend(earlier_case(1, anna()), anna_received()),
            now: now(),
            when: screen(vec![one_child_investigated.clone()]),
            then: Err(DomainError::CaseAlreadyOpened {
                case_id: case_id(1),
            }),
        },
        Row {
            name: "a report about one child cannot be linked to another child's case",
            given: prepend(earlier_case(1, ola()), anna_received()),
            now: now(),
            when: screen(vec![linked_ongoing.clone()]),
            then: Err(DomainError::CaseIsAboutAnotherChild {
                case_id: case_id(1),
            }),
        },
        Row {
            name: "a second investigation cannot open beside one under way",
            given: prepend(earlier_case(1, anna()), anna_received()),
            now: now(),
            when: screen(vec![child(
                0,
                CaseAssignment::ExistingOpenCase(case_id(1)),
                ScreeningOutcome::InvestigationOpened,
                Urgency::Red,
            )]),
            then: Err(DomainError::InvestigationAlreadyOpen),
        },
    ];
    run_table(screening_decider(), rows);
}

#[test]
fn a_case_opened_at_screening_starts_with_the_reports_assignee() {
    let rules = crate::rules::RuleBook::norwegian();
    let context = crate::Context::new(now(), &rules);
    let assignee = crate::values::Assignee::parse("Mottak", "kari").unwrap();
    let report = crate::report::evolve(
        crate::report::ReportState::default(),
        &report_received(public_reporter(), vec![anna()]),
    );
    let assigned = crate::report::decide(
        &report,
        ReportCommand::AssignReport(assignee.clone()),
        &context,
    )
    .unwrap();
    let report = crate::report::evolve(report, &assigned[0]);
    assert_eq!(
        crate::report::decide(
            &report,
            ReportCommand::AssignReport(assignee.clone()),
            &context
        ),
        Err(DomainError::AssigneeUnchanged)
    );
    let decision = crate::screening::decide_screening(
        &report,
        ScreenReport {
            reporter_code: None,
            children: vec![child(
                0,
                CaseAssignment::NewCase(case_id(1)),
                ScreeningOutcome::InvestigationOpened,
                Urgency::Red,
            )],
        },
        &std::collections::BTreeMap::new(),
        &context,
    )
    .unwrap();
    let (_, case_events) = &decision.case_events[0];
    let case = case_events
        .iter()
        .fold(crate::case::CaseState::default(), crate::case::evolve);
    assert_eq!(case.case().unwrap().assignee, Some(assignee));
    let other = crate::values::Assignee::parse("Undersøkelse", "").unwrap();
    let reassigned = crate::case::decide(
        &case,
        CaseCommand::Lifecycle(LifecycleCommand::Assign {
            assignee: other.clone(),
        }),
        &context,
    )
    .unwrap();
    assert_eq!(
        reassigned,
        vec![CaseEvent::CaseAssigned {
            assignee: other,
            at: now()
        }]
    );
}
