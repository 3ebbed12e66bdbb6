//! The lifecycle as tables: every command's accepted path and every forbidden step.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::fixtures::*;
use crate::DomainError;
use crate::case::{
    ActivityKind, AssessmentTool, BoardOutcome, BoardProposalKind, CarePlacement, CaseCommand,
    CaseEvent, CloseReason, ConclusionOutcome, ConsultationOutcome, ConsultationPartner,
    EmergencyDecisionKind, EmergencyRuling, EvaluationChecklist, ForensicInterviewOutcome,
    MeasureKind, ReportReference,
};
use crate::report::{
    CaseAssignment, ChangeReportUrgency, ChildScreening, DismissalGround, LetterKind,
    ReceiveReport, RecordFeedbackLetterSent, ReportCommand, ReportEvent, ReportId, ScreenReport,
    ScreeningOutcome,
};
use crate::rules::Act;
use crate::values::{ChildIdentity, ConcernCategory, Reporter, Urgency};

// ---------------------------------------------------------------------------------------------
// Report stream
// ---------------------------------------------------------------------------------------------

fn receive(
    received_at: DateTime<Utc>,
    reporter: Reporter,
    children: Vec<ChildIdentity>,
) -> ReportCommand {
    ReportCommand::ReceiveReport(ReceiveReport {
        report_id: report_id(),
        received_at,
        municipality: tromso(),
        reporter,
        children,
        concerns: vec![ConcernCategory::Violence],
        summary: text("Synthetic concern"),
        urgency: Urgency::Yellow,
        details: None,
    })
}

fn screened(children: Vec<ChildScreening>) -> ReportEvent {
    ReportEvent::ReportScreened {
        reporter_code: None,
        children,
        at: received_at(),
    }
}

fn child(
    index: usize,
    case: CaseAssignment,
    outcome: ScreeningOutcome,
    urgency: Urgency,
) -> ChildScreening {
    ChildScreening {
        case_content: Vec::new(),
        child_index: index,
        case,
        outcome,
        emergency_action: false,
        urgency,
    }
}

fn letters(kinds: Vec<LetterKind>) -> ReportCommand {
    ReportCommand::RecordFeedbackLetterSent(RecordFeedbackLetterSent { letters: kinds })
}

fn letter_sent(kinds: Vec<LetterKind>) -> ReportEvent {
    ReportEvent::FeedbackLetterSent {
        letters: kinds,
        at: now(),
    }
}

/// A child known by name and birth date.
fn born(birth_date: &str) -> ChildIdentity {
    ChildIdentity::NameAndBirthDate {
        name: text("Synthetic Child"),
        birth_date: day(birth_date),
    }
}

/// An unborn child expected on `expected`.
fn due(expected: &str) -> ChildIdentity {
    ChildIdentity::Unborn {
        expected_birth_date: day(expected),
        mother: domain_person(),
    }
}

fn domain_person() -> crate::values::PersonIdentity {
    crate::values::PersonIdentity::NameAndBirthDate {
        name: text("Synthetic Mother"),
        birth_date: day("1990-01-01"),
    }
}

fn invalid(field: &str, reason: &str) -> DomainError {
    DomainError::invalid(field, reason)
}

#[test]
fn report_stream() {
    let urgency = |urgency, reason: &str| {
        ReportCommand::ChangeReportUrgency(ChangeReportUrgency {
            urgency,
            reason: text(reason),
        })
    };
    let investigated = || {
        vec![child(
            0,
            CaseAssignment::NewCase(case_id(1)),
            ScreeningOutcome::InvestigationOpened,
            Urgency::Red,
        )]
    };
    let dismissed = || {
        vec![child(
            0,
            CaseAssignment::NewCase(case_id(1)),
            dismissal(false),
            Urgency::Green,
        )]
    };
    let rows: Vec<Row<ReportStream>> = vec![
        Row {
            name: "a report is received under the act in force",
            given: vec![],
            now: now(),
            when: receive(received_at(), public_reporter(), vec![anna()]),
            then: Ok(vec![report_received(public_reporter(), vec![anna()])]),
        },
        Row {
            name: "a report received 2022-12-31 in Oslo is judged by the 1992 act",
            given: vec![],
            now: now(),
            when: receive(at("2022-12-31T22:30:00Z"), public_reporter(), vec![anna()]),
            then: Ok(vec![received_with(
                at("2022-12-31T22:30:00Z"),
                Act::ChildWelfareAct1992,
                public_reporter(),
            )]),
        },
        Row {
            name: "a report received 2023-01-01 in Oslo is judged by the 2021 act",
            given: vec![],
            now: now(),
            when: receive(at("2022-12-31T23:00:00Z"), public_reporter(), vec![anna()]),
            then: Ok(vec![received_with(
                at("2022-12-31T23:00:00Z"),
                Act::ChildWelfareAct2021,
                public_reporter(),
            )]),
        },
        Row {
            name: "a report cannot be received twice",
            given: vec![report_received(public_reporter(), vec![anna()])],
            now: now(),
            when: receive(received_at(), public_reporter(), vec![anna()]),
            then: Err(DomainError::ReportAlreadyReceived),
        },
        Row {
            name: "a report cannot be received in the future",
            given: vec![],
            now: now(),
            when: receive(at("2024-03-07T00:00:00Z"), public_reporter(), vec![anna()]),
            then: Err(invalid("received_at", "must not be in the future")),
        },
        Row {
            name: "nothing of an anonymous reporter is stored, not even a way to reach them",
            given: vec![],
            now: now(),
            when: {
                let mut command = receive(received_at(), Reporter::PrivateAnonymous, vec![anna()]);
                if let ReportCommand::ReceiveReport(receive) = &mut command {
                    receive.details = Some(Box::new(crate::details::ReportDetails {
                        reporter_contact: Some(crate::details::Contact {
                            phone: Some("+47 400 00 000".into()),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }));
                }
                command
            },
            then: Err(invalid(
                "reporter_contact",
                "must be absent for an anonymous reporter: nothing of them is stored",
            )),
        },
        Row {
            name: "a report must name a child",
            given: vec![],
            now: now(),
            when: receive(received_at(), public_reporter(), vec![]),
            then: Err(invalid("children", "must name at least one child")),
        },
        Row {
            name: "a child cannot be born after the report",
            given: vec![],
            now: now(),
            when: receive(at("2019-01-01T09:00:00Z"), public_reporter(), vec![ola()]),
            then: Err(invalid(
                "children[0].national_identity_number",
                "must not be after the report was received",
            )),
        },
        Row {
            name: "a child born 25 years before the report is still a child",
            given: vec![],
            now: now(),
            when: receive(received_at(), public_reporter(), vec![born("1999-03-04")]),
            then: Ok(vec![report_received(
                public_reporter(),
                vec![born("1999-03-04")],
            )]),
        },
        Row {
            name: "a birth date more than 25 years before the report is not a child's",
            given: vec![],
            now: now(),
            when: receive(received_at(), public_reporter(), vec![born("1999-03-03")]),
            then: Err(invalid(
                "children[0].name_and_birth_date.birth_date",
                "is more than 25 years before the report was received: not a child's birth date",
            )),
        },
        Row {
            name: "an unborn child may be expected ten months after the report",
            given: vec![],
            now: now(),
            when: receive(received_at(), public_reporter(), vec![due("2025-01-04")]),
            then: Ok(vec![report_received(
                public_reporter(),
                vec![due("2025-01-04")],
            )]),
        },
        Row {
            name: "an unborn child is not expected more than ten months after the report",
            given: vec![],
            now: now(),
            when: receive(received_at(), public_reporter(), vec![due("2025-01-05")]),
            then: Err(invalid(
                "children[0].unborn.expected_birth_date",
                "is more than 10 months after the report was received (at most 2025-01-04)",
            )),
        },
        Row {
            name: "a report may name twenty children",
            given: vec![],
            now: now(),
            when: receive(received_at(), public_reporter(), vec![anna(); 20]),
            then: Ok(vec![report_received(public_reporter(), vec![anna(); 20])]),
        },
        Row {
            name: "a report names at most twenty children",
            given: vec![],
            now: now(),
            when: receive(received_at(), public_reporter(), vec![anna(); 21]),
            then: Err(invalid(
                "children",
                "names 21 children; a report names at most 20 (send more reports)",
            )),
        },
        Row {
            name: "input is checked before a rule set is looked up",
            given: vec![],
            now: now(),
            when: receive(at("1992-06-01T09:00:00Z"), public_reporter(), vec![]),
            then: Err(invalid("children", "must name at least one child")),
        },
        Row {
            name: "urgency changes with a reason before screening",
            given: vec![report_received(public_reporter(), vec![anna()])],
            now: now(),
            when: urgency(Urgency::Red, "Child afraid to go home"),
            then: Ok(vec![ReportEvent::ReportUrgencyChanged {
                from: Urgency::Yellow,
                to: Urgency::Red,
                reason: text("Child afraid to go home"),
                at: now(),
            }]),
        },
        Row {
            name: "urgency cannot change to what it is",
            given: vec![report_received(public_reporter(), vec![anna()])],
            now: now(),
            when: urgency(Urgency::Yellow, "Same"),
            then: Err(DomainError::UrgencyUnchanged {
                urgency: Urgency::Yellow,
            }),
        },
        Row {
            name: "after screening, urgency lives on the case",
            given: vec![
                report_received(public_reporter(), vec![anna()]),
                screened(investigated()),
            ],
            now: now(),
            when: urgency(Urgency::Red, "Later"),
            then: Err(DomainError::ReportAlreadyScreened),
        },
        Row {
            name: "nothing happens to a report never received",
            given: vec![],
            now: now(),
            when: urgency(Urgency::Red, "Why"),
            then: Err(DomainError::ReportNotReceived),
        },
        Row {
            name: "a named private reporter gets a receipt",
            given: vec![report_received(private_reporter(), vec![anna()])],
            now: now(),
            when: letters(vec![LetterKind::Receipt]),
            then: Ok(vec![letter_sent(vec![LetterKind::Receipt])]),
        },
        Row {
            name: "an anonymous reporter gets no letters",
            given: vec![report_received(Reporter::PrivateAnonymous, vec![anna()])],
            now: now(),
            when: letters(vec![LetterKind::Receipt]),
            then: Err(DomainError::AnonymousReporterGetsNoLetters),
        },
        Row {
            name: "a private reporter is not told whether an investigation was opened",
            given: vec![
                report_received(private_reporter(), vec![anna()]),
                screened(investigated()),
            ],
            now: now(),
            when: letters(vec![LetterKind::InvestigationOutcome]),
            then: Err(DomainError::LetterNotOwed {
                letter: "investigation outcome".into(),
            }),
        },
        Row {
            name: "a letter is not sent twice",
            given: vec![
                report_received(private_reporter(), vec![anna()]),
                letter_sent(vec![LetterKind::Receipt]),
            ],
            now: now(),
            when: letters(vec![LetterKind::Receipt]),
            then: Err(DomainError::LetterAlreadySent {
                letter: "receipt".into(),
            }),
        },
        Row {
            name: "a public reporter's receipt and investigation outcome can be one letter",
            given: vec![
                report_received(public_reporter(), vec![anna()]),
                screened(investigated()),
            ],
            now: now(),
            when: letters(vec![LetterKind::Receipt, LetterKind::InvestigationOutcome]),
            then: Ok(vec![letter_sent(vec![
                LetterKind::Receipt,
                LetterKind::InvestigationOutcome,
            ])]),
        },
        Row {
            name: "the investigation outcome cannot be told before screening",
            given: vec![report_received(public_reporter(), vec![anna()])],
            now: now(),
            when: letters(vec![LetterKind::InvestigationOutcome]),
            then: Err(DomainError::ReportNotScreened),
        },
        Row {
            name: "no conclusion letter for a child whose report was dismissed",
            given: vec![
                report_received(public_reporter(), vec![anna()]),
                screened(dismissed()),
            ],
            now: now(),
            when: letters(vec![LetterKind::Conclusion {
                case_id: case_id(1),
            }]),
            then: Err(DomainError::LetterNotOwed {
                letter: format!("conclusion for {}", case_id(1)),
            }),
        },
        Row {
            name: "a conclusion letter for an investigated child",
            given: vec![
                report_received(public_reporter(), vec![anna()]),
                screened(investigated()),
            ],
            now: now(),
            when: letters(vec![LetterKind::Conclusion {
                case_id: case_id(1),
            }]),
            then: Ok(vec![letter_sent(vec![LetterKind::Conclusion {
                case_id: case_id(1),
            }])]),
        },
        Row {
            name: "a letter must be named",
            given: vec![report_received(public_reporter(), vec![anna()])],
            now: now(),
            when: letters(vec![]),
            then: Err(invalid("letters", "must name at least one letter")),
        },
    ];
    assert!(run_table(rows) >= 20);
}

#[test]
fn reports_before_1993_have_no_rule_set() {
    let result = check::<ReportStream>(
        vec![],
        receive(
            at("1992-06-01T09:00:00Z"),
            public_reporter(),
            vec![synthetic_child(day("1985-01-01"), 3)],
        ),
        now(),
        Err(DomainError::NoRuleSetInForce {
            date: day("1992-06-01"),
        }),
    );
    assert_eq!(result, Ok(()));
}

// ---------------------------------------------------------------------------------------------
// Screening: the report and its children's cases together
// ---------------------------------------------------------------------------------------------

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

    let rows: Vec<Row<Screening>> = vec![
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
    assert!(run_table(rows) >= 19);
}

// ---------------------------------------------------------------------------------------------
// Case stream
// ---------------------------------------------------------------------------------------------

fn with(mut given: Vec<CaseEvent>, more: impl IntoIterator<Item = CaseEvent>) -> Vec<CaseEvent> {
    given.extend(more);
    given
}

fn emergency_case() -> Vec<CaseEvent> {
    vec![case_opened(1, dismissal(false), true)]
}

fn emergency_made(kind: EmergencyDecisionKind) -> CaseEvent {
    CaseEvent::EmergencyDecisionMade {
        number: 1,
        kind,
        grounds: text("Child unsafe tonight"),
        at: received_at(),
    }
}

fn measure_started() -> CaseEvent {
    CaseEvent::MeasureStarted {
        in_family_network: false,
        number: 1,
        kind: MeasureKind::Pmto,
        plan: measure_plan("2024-03-04", "2024-09-04", None),
        next_evaluation_on: day("2024-06-04"),
        at: received_at(),
    }
}

fn checklist() -> EvaluationChecklist {
    EvaluationChecklist {
        carried_out_as_planned: true,
        child_and_parents_felt_looked_after: true,
        parents_followed_up: false,
        could_have_been_done_otherwise: true,
        new_or_extended_measures_needed: true,
        goals_reached: false,
    }
}

fn measure_evaluated() -> CaseEvent {
    CaseEvent::MeasureEvaluated {
        number: 1,
        checklist: checklist(),
        assessment: text("Partly working"),
        next_evaluation_on: day("2024-06-05"),
        at: at("2024-03-05T10:00:00Z"),
    }
}

fn consultation() -> ConsultationOutcome {
    ConsultationOutcome {
        forensic_interview_planned: true,
        report_to_police_advised: true,
        protective_measures_needed: false,
        summary: text("Police will consider an interview"),
    }
}

fn consultation_held() -> CaseEvent {
    CaseEvent::ConsultationHeld {
        partners: vec![ConsultationPartner::Police, ConsultationPartner::Barnehus],
        held_on: day("2024-03-05"),
        outcome: consultation(),
        at: at("2024-03-05T12:00:00Z"),
    }
}

fn proposal_sent() -> CaseEvent {
    CaseEvent::BoardProposalSent {
        kind: BoardProposalKind::CareOrder,
        grounds: text("Serious neglect"),
        at: received_at(),
    }
}

fn care_order_granted() -> CaseEvent {
    CaseEvent::BoardDecided {
        kind: BoardProposalKind::CareOrder,
        outcome: BoardOutcome::Granted,
        decided_on: day("2024-03-05"),
        at: at("2024-03-05T14:00:00Z"),
    }
}

fn concluded(outcome: ConclusionOutcome) -> CaseEvent {
    CaseEvent::InvestigationConcluded {
        grounds: Vec::new(),
        outcome,
        reasons: text("Assessment done"),
        at: now(),
    }
}

#[test]
fn case_stream() {
    let reasons = || text("Assessment done");
    let old_act_investigation = vec![
        CaseEvent::CaseOpenedFromReport {
            case_id: case_id(1),
            report: old_act_reference(),
            child: anna(),
            municipality: tromso(),
            outcome: ScreeningOutcome::InvestigationOpened,
            emergency_action: false,
            urgency: Urgency::Yellow,
            assignee: None,
            at: old_act_reference().received_at,
        },
        investigation_opened(old_act_reference()),
    ];
    let dismissed_at_screening = vec![
        case_opened(1, dismissal(false), false),
        CaseEvent::CaseClosed {
            reason: CloseReason::DismissedAtScreening,
            at: received_at(),
        },
    ];
    let conclude = |outcome| CaseCommand::ConcludeInvestigation {
        grounds: Vec::new(),
        outcome,
        reasons: reasons(),
    };
    let moved = ConclusionOutcome::DismissedFamilyMoved {
        moved_abroad: false,
        new_municipality: Some(tromso()),
        new_municipality_notified: true,
    };

    let rows: Vec<Row<CaseStream>> = vec![
        // urgency
        Row {
            name: "urgency changes with a reason",
            given: investigating(),
            now: now(),
            when: CaseCommand::ChangeUrgency {
                urgency: Urgency::Red,
                reason: text("New information"),
            },
            then: Ok(vec![CaseEvent::UrgencyChanged {
                from: Urgency::Yellow,
                to: Urgency::Red,
                reason: text("New information"),
                at: now(),
            }]),
        },
        Row {
            name: "urgency cannot change to what it is",
            given: investigating(),
            now: now(),
            when: CaseCommand::ChangeUrgency {
                urgency: Urgency::Yellow,
                reason: text("Same"),
            },
            then: Err(DomainError::UrgencyUnchanged {
                urgency: Urgency::Yellow,
            }),
        },
        Row {
            name: "nothing happens to a case never opened",
            given: vec![],
            now: now(),
            when: CaseCommand::ChangeUrgency {
                urgency: Urgency::Red,
                reason: text("Why"),
            },
            then: Err(DomainError::CaseNotOpened),
        },
        // investigation
        Row {
            name: "an investigation starts with a plan",
            given: investigating(),
            now: now(),
            when: CaseCommand::StartInvestigation { plan: plan() },
            then: Ok(vec![CaseEvent::InvestigationStarted {
                plan: plan(),
                at: now(),
            }]),
        },
        Row {
            name: "an investigation starts once",
            given: investigating_with_plan(),
            now: now(),
            when: CaseCommand::StartInvestigation { plan: plan() },
            then: Err(DomainError::InvestigationAlreadyStarted),
        },
        Row {
            name: "no investigation to start when screening opened none",
            given: emergency_case(),
            now: now(),
            when: CaseCommand::StartInvestigation { plan: plan() },
            then: Err(DomainError::NoInvestigationOpen),
        },
        Row {
            name: "an assessment tool is recorded as an activity",
            given: investigating_with_plan(),
            now: now(),
            when: CaseCommand::RecordActivity {
                activity: ActivityKind::AssessmentTool(AssessmentTool::Asq),
                held_on: day("2024-03-05"),
                summary: text("ASQ done"),
            },
            then: Ok(vec![CaseEvent::InvestigationActivityRecorded {
                activity: ActivityKind::AssessmentTool(AssessmentTool::Asq),
                held_on: day("2024-03-05"),
                summary: text("ASQ done"),
                at: now(),
            }]),
        },
        Row {
            name: "a home visit is recorded",
            given: investigating_with_plan(),
            now: now(),
            when: CaseCommand::RecordActivity {
                activity: ActivityKind::HomeVisit,
                held_on: day("2024-03-06"),
                summary: text("Visited"),
            },
            then: Ok(vec![CaseEvent::InvestigationActivityRecorded {
                activity: ActivityKind::HomeVisit,
                held_on: day("2024-03-06"),
                summary: text("Visited"),
                at: now(),
            }]),
        },
        Row {
            name: "an activity cannot be recorded in the future",
            given: investigating_with_plan(),
            now: now(),
            when: CaseCommand::RecordActivity {
                activity: ActivityKind::SummaryMeeting,
                held_on: day("2024-03-07"),
                summary: text("Soon"),
            },
            then: Err(invalid("held_on", "must not be in the future")),
        },
        Row {
            name: "no activity in a closed case",
            given: dismissed_at_screening.clone(),
            now: now(),
            when: CaseCommand::RecordActivity {
                activity: ActivityKind::HomeVisit,
                held_on: day("2024-03-05"),
                summary: text("Visited"),
            },
            then: Err(DomainError::CaseClosed),
        },
        Row {
            name: "the investigation deadline is extended to 6 months with a reason",
            given: investigating(),
            now: now(),
            when: CaseCommand::ExtendInvestigationDeadline {
                to_months: 6,
                reason: text("Awaiting forensic interview"),
            },
            then: Ok(vec![CaseEvent::InvestigationDeadlineExtended {
                to_months: 6,
                reason: text("Awaiting forensic interview"),
                at: now(),
            }]),
        },
        Row {
            name: "an investigation cannot be extended past 6 months",
            given: investigating(),
            now: now(),
            when: CaseCommand::ExtendInvestigationDeadline {
                to_months: 7,
                reason: text("More time"),
            },
            then: Err(DomainError::InvestigationExtensionTooLong { max_months: 6 }),
        },
        Row {
            name: "an extension must lengthen the deadline",
            given: with(
                investigating(),
                [CaseEvent::InvestigationDeadlineExtended {
                    to_months: 6,
                    reason: text("r"),
                    at: received_at(),
                }],
            ),
            now: now(),
            when: CaseCommand::ExtendInvestigationDeadline {
                to_months: 5,
                reason: text("Less"),
            },
            then: Err(DomainError::InvestigationExtensionNotLonger { current_months: 6 }),
        },
        Row {
            name: "an extension comes before the deadline, not after",
            given: investigating(),
            // Last day 2024-06-11; breached from midnight Oslo (22:00 UTC, summer time).
            now: at("2024-06-11T22:00:00Z"),
            when: CaseCommand::ExtendInvestigationDeadline {
                to_months: 6,
                reason: text("Late"),
            },
            then: Err(DomainError::InvestigationDeadlinePassed),
        },
        Row {
            name: "an extension on the last day is in time",
            given: investigating(),
            now: at("2024-06-11T21:59:59Z"),
            when: CaseCommand::ExtendInvestigationDeadline {
                to_months: 6,
                reason: text("Just in time"),
            },
            then: Ok(vec![CaseEvent::InvestigationDeadlineExtended {
                to_months: 6,
                reason: text("Just in time"),
                at: at("2024-06-11T21:59:59Z"),
            }]),
        },
        // violence and abuse track
        Row {
            name: "a consultation with police and barnehus is held",
            given: investigating(),
            now: now(),
            when: CaseCommand::HoldConsultation {
                partners: vec![ConsultationPartner::Barnehus, ConsultationPartner::Police],
                held_on: day("2024-03-05"),
                outcome: consultation(),
            },
            then: Ok(vec![CaseEvent::ConsultationHeld {
                partners: vec![ConsultationPartner::Police, ConsultationPartner::Barnehus],
                held_on: day("2024-03-05"),
                outcome: consultation(),
                at: now(),
            }]),
        },
        Row {
            name: "a consultation needs a partner",
            given: investigating(),
            now: now(),
            when: CaseCommand::HoldConsultation {
                partners: vec![],
                held_on: day("2024-03-05"),
                outcome: consultation(),
            },
            then: Err(invalid("partners", "must name police, barnehus or both")),
        },
        Row {
            name: "no forensic interview without a consultation",
            given: investigating(),
            now: now(),
            when: CaseCommand::RecordForensicInterview {
                outcome: ForensicInterviewOutcome::Held {
                    held_on: day("2024-03-06"),
                },
            },
            then: Err(DomainError::NoConsultationHeld),
        },
        Row {
            name: "a forensic interview is postponed to a date",
            given: with(investigating(), [consultation_held()]),
            now: now(),
            when: CaseCommand::RecordForensicInterview {
                outcome: ForensicInterviewOutcome::Postponed {
                    to: day("2024-04-02"),
                    reason: text("Police capacity"),
                },
            },
            then: Ok(vec![CaseEvent::ForensicInterviewPostponed {
                to: day("2024-04-02"),
                reason: text("Police capacity"),
                at: now(),
            }]),
        },
        Row {
            name: "a forensic interview cannot be postponed into the past",
            given: with(investigating(), [consultation_held()]),
            now: now(),
            when: CaseCommand::RecordForensicInterview {
                outcome: ForensicInterviewOutcome::Postponed {
                    to: day("2024-03-01"),
                    reason: text("Oops"),
                },
            },
            then: Err(invalid("to", "must not be in the past")),
        },
        Row {
            name: "a forensic interview is held",
            given: with(investigating(), [consultation_held()]),
            now: now(),
            when: CaseCommand::RecordForensicInterview {
                outcome: ForensicInterviewOutcome::Held {
                    held_on: day("2024-03-06"),
                },
            },
            then: Ok(vec![CaseEvent::ForensicInterviewHeld {
                held_on: day("2024-03-06"),
                at: now(),
            }]),
        },
        Row {
            name: "a forensic interview is not held, with a reason",
            given: with(investigating(), [consultation_held()]),
            now: now(),
            when: CaseCommand::RecordForensicInterview {
                outcome: ForensicInterviewOutcome::NotHeld {
                    reason: text("Child too young"),
                },
            },
            then: Ok(vec![CaseEvent::ForensicInterviewNotHeld {
                reason: text("Child too young"),
                at: now(),
            }]),
        },
        Row {
            name: "a held forensic interview is not recorded again",
            given: with(
                investigating(),
                [
                    consultation_held(),
                    CaseEvent::ForensicInterviewHeld {
                        held_on: day("2024-03-05"),
                        at: received_at(),
                    },
                ],
            ),
            now: now(),
            when: CaseCommand::RecordForensicInterview {
                outcome: ForensicInterviewOutcome::NotHeld {
                    reason: text("Changed mind"),
                },
            },
            then: Err(DomainError::ForensicInterviewAlreadyHeld),
        },
        Row {
            name: "the service reports a possible crime to the police",
            given: investigating(),
            now: now(),
            when: CaseCommand::ReportToPolice {
                grounds: text("Suspected violence"),
            },
            then: Ok(vec![CaseEvent::ReportedToPolice {
                grounds: text("Suspected violence"),
                at: now(),
            }]),
        },
        // conclusion
        Row {
            name: "an investigation concludes with measures (1)",
            given: investigating_with_plan(),
            now: now(),
            when: conclude(ConclusionOutcome::MeasuresDecided),
            then: Ok(vec![concluded(ConclusionOutcome::MeasuresDecided)]),
        },
        Row {
            name: "an investigation concludes with a petition to the board (2), which is sent",
            given: investigating_with_plan(),
            now: now(),
            when: conclude(ConclusionOutcome::PetitionToBoard {
                proposal: BoardProposalKind::CareOrder,
            }),
            then: Ok(vec![
                concluded(ConclusionOutcome::PetitionToBoard {
                    proposal: BoardProposalKind::CareOrder,
                }),
                CaseEvent::BoardProposalSent {
                    kind: BoardProposalKind::CareOrder,
                    grounds: reasons(),
                    at: now(),
                },
            ]),
        },
        Row {
            name: "an investigation is dismissed on assessment (3)",
            given: investigating_with_plan(),
            now: now(),
            when: conclude(ConclusionOutcome::DismissedOnAssessment),
            then: Ok(vec![concluded(ConclusionOutcome::DismissedOnAssessment)]),
        },
        Row {
            name: "an investigation is dismissed as the parties decline (4)",
            given: investigating_with_plan(),
            now: now(),
            when: conclude(ConclusionOutcome::DismissedPartiesDeclined),
            then: Ok(vec![concluded(ConclusionOutcome::DismissedPartiesDeclined)]),
        },
        Row {
            name: "an investigation is dismissed as the family moved, new municipality told (5)",
            given: investigating_with_plan(),
            now: now(),
            when: conclude(moved.clone()),
            then: Ok(vec![concluded(moved.clone())]),
        },
        Row {
            name: "an investigation is dismissed after referral (6)",
            given: investigating_with_plan(),
            now: now(),
            when: conclude(ConclusionOutcome::DismissedAfterReferral),
            then: Ok(vec![concluded(ConclusionOutcome::DismissedAfterReferral)]),
        },
        Row {
            name: "under the 2021 act an investigation needs a plan before it concludes",
            given: investigating(),
            now: now(),
            when: conclude(ConclusionOutcome::MeasuresDecided),
            then: Err(DomainError::InvestigationNotStarted),
        },
        Row {
            name: "under the 1992 act an investigation concludes without a plan",
            given: old_act_investigation,
            now: now(),
            when: conclude(ConclusionOutcome::DismissedOnAssessment),
            then: Ok(vec![concluded(ConclusionOutcome::DismissedOnAssessment)]),
        },
        Row {
            name: "an investigation concludes once",
            given: with(
                investigating_with_plan(),
                [concluded(ConclusionOutcome::DismissedOnAssessment)],
            ),
            now: now(),
            when: conclude(ConclusionOutcome::MeasuresDecided),
            then: Err(DomainError::NoInvestigationOpen),
        },
        Row {
            name: "a case dismissed at screening cannot be concluded",
            given: dismissed_at_screening.clone(),
            now: now(),
            when: conclude(ConclusionOutcome::MeasuresDecided),
            then: Err(DomainError::CaseClosed),
        },
        Row {
            name: "a petition cannot be sent while another is pending",
            given: with(investigating_with_plan(), [proposal_sent()]),
            now: now(),
            when: conclude(ConclusionOutcome::PetitionToBoard {
                proposal: BoardProposalKind::BehaviourInstitution,
            }),
            then: Err(DomainError::BoardProposalPending),
        },
        // measures
        Row {
            name: "a measure starts with a plan, evaluated after 3 months by default",
            given: with(
                investigating_with_plan(),
                [concluded(ConclusionOutcome::MeasuresDecided)],
            ),
            now: now(),
            when: CaseCommand::StartMeasure {
                in_family_network: false,
                kind: MeasureKind::Pmto,
                plan: measure_plan("2024-03-06", "2024-09-06", None),
            },
            then: Ok(vec![CaseEvent::MeasureStarted {
                in_family_network: false,
                number: 1,
                kind: MeasureKind::Pmto,
                plan: measure_plan("2024-03-06", "2024-09-06", None),
                next_evaluation_on: day("2024-06-06"),
                at: now(),
            }]),
        },
        Row {
            name: "a measure plan may set its own evaluation date",
            given: emergency_case(),
            now: now(),
            when: CaseCommand::StartMeasure {
                in_family_network: false,
                kind: MeasureKind::AcuteFamilyTeam,
                plan: measure_plan("2024-03-06", "2024-04-17", Some("2024-04-10")),
            },
            then: Ok(vec![CaseEvent::MeasureStarted {
                in_family_network: false,
                number: 1,
                kind: MeasureKind::AcuteFamilyTeam,
                plan: measure_plan("2024-03-06", "2024-04-17", Some("2024-04-10")),
                next_evaluation_on: day("2024-04-10"),
                at: now(),
            }]),
        },
        Row {
            name: "the acute family team works at most 6 weeks",
            given: emergency_case(),
            now: now(),
            when: CaseCommand::StartMeasure {
                in_family_network: false,
                kind: MeasureKind::AcuteFamilyTeam,
                plan: measure_plan("2024-03-06", "2024-04-18", None),
            },
            then: Err(DomainError::MeasureTooLong {
                what: "the acute family team",
                max: "6 weeks".into(),
            }),
        },
        Row {
            name: "a measure plan needs a goal",
            given: emergency_case(),
            now: now(),
            when: CaseCommand::StartMeasure {
                in_family_network: false,
                kind: MeasureKind::Relief,
                plan: crate::case::MeasurePlan {
                    goals: vec![],
                    ..measure_plan("2024-03-06", "2024-09-06", None)
                },
            },
            then: Err(invalid("plan.goals", "must name at least one goal")),
        },
        Row {
            name: "a measure is evaluated with the six questions",
            given: with(emergency_case(), [measure_started()]),
            now: now(),
            when: CaseCommand::EvaluateMeasure {
                measure: 1,
                checklist: checklist(),
                assessment: text("Partly working"),
            },
            then: Ok(vec![CaseEvent::MeasureEvaluated {
                number: 1,
                checklist: checklist(),
                assessment: text("Partly working"),
                next_evaluation_on: day("2024-06-06"),
                at: now(),
            }]),
        },
        Row {
            name: "a measure never started cannot be evaluated",
            given: with(emergency_case(), [measure_started()]),
            now: now(),
            when: CaseCommand::EvaluateMeasure {
                measure: 2,
                checklist: checklist(),
                assessment: text("?"),
            },
            then: Err(DomainError::MeasureNotFound { number: 2 }),
        },
        Row {
            name: "an ended measure cannot be evaluated",
            given: with(
                emergency_case(),
                [
                    measure_started(),
                    CaseEvent::MeasureEnded {
                        number: 1,
                        reasons: text("Done"),
                        at: received_at(),
                    },
                ],
            ),
            now: now(),
            when: CaseCommand::EvaluateMeasure {
                measure: 1,
                checklist: checklist(),
                assessment: text("?"),
            },
            then: Err(DomainError::MeasureEnded { number: 1 }),
        },
        Row {
            name: "a measure is extended after evaluation, with new plan and evaluation date",
            given: with(emergency_case(), [measure_started(), measure_evaluated()]),
            now: now(),
            when: CaseCommand::ExtendMeasure {
                measure: 1,
                reasons: text("Goals not reached"),
                plan: measure_plan("2024-03-06", "2025-03-06", Some("2024-05-01")),
            },
            then: Ok(vec![CaseEvent::MeasureExtended {
                number: 1,
                reasons: text("Goals not reached"),
                plan: measure_plan("2024-03-06", "2025-03-06", Some("2024-05-01")),
                next_evaluation_on: day("2024-05-01"),
                at: now(),
            }]),
        },
        Row {
            name: "a measure is not extended without an evaluation",
            given: with(emergency_case(), [measure_started()]),
            now: now(),
            when: CaseCommand::ExtendMeasure {
                measure: 1,
                reasons: text("More"),
                plan: measure_plan("2024-03-06", "2025-03-06", None),
            },
            then: Err(DomainError::MeasureNotEvaluated { number: 1 }),
        },
        Row {
            name: "a measure is changed (escalated) after evaluation",
            given: with(emergency_case(), [measure_started(), measure_evaluated()]),
            now: now(),
            when: CaseCommand::ChangeMeasure {
                in_family_network: false,
                measure: 1,
                kind: MeasureKind::Mst,
                reasons: text("Needs more"),
                plan: measure_plan("2024-03-06", "2024-12-06", None),
            },
            then: Ok(vec![CaseEvent::MeasureChanged {
                in_family_network: false,
                number: 1,
                kind: MeasureKind::Mst,
                reasons: text("Needs more"),
                plan: measure_plan("2024-03-06", "2024-12-06", None),
                next_evaluation_on: day("2024-06-06"),
                at: now(),
            }]),
        },
        Row {
            name: "a measure ends with reasons",
            given: with(emergency_case(), [measure_started()]),
            now: now(),
            when: CaseCommand::EndMeasure {
                measure: 1,
                reasons: text("Goals reached"),
            },
            then: Ok(vec![CaseEvent::MeasureEnded {
                number: 1,
                reasons: text("Goals reached"),
                at: now(),
            }]),
        },
        // emergency decisions
        Row {
            name: "an emergency decision is made and sent to the board",
            given: emergency_case(),
            now: now(),
            when: CaseCommand::MakeEmergencyDecision {
                kind: EmergencyDecisionKind::Placement,
                grounds: text("Child unsafe tonight"),
            },
            then: Ok(vec![CaseEvent::EmergencyDecisionMade {
                number: 1,
                kind: EmergencyDecisionKind::Placement,
                grounds: text("Child unsafe tonight"),
                at: now(),
            }]),
        },
        Row {
            name: "the board approves an emergency decision",
            given: with(
                emergency_case(),
                [emergency_made(EmergencyDecisionKind::Placement)],
            ),
            now: now(),
            when: CaseCommand::RecordEmergencyRuling {
                decision: 1,
                ruling: EmergencyRuling::Approved,
            },
            then: Ok(vec![CaseEvent::EmergencyDecisionApproved {
                number: 1,
                at: now(),
            }]),
        },
        Row {
            name: "the board refuses an emergency decision",
            given: with(
                emergency_case(),
                [emergency_made(EmergencyDecisionKind::Placement)],
            ),
            now: now(),
            when: CaseCommand::RecordEmergencyRuling {
                decision: 1,
                ruling: EmergencyRuling::Refused {
                    reasons: text("Not urgent"),
                },
            },
            then: Ok(vec![CaseEvent::EmergencyDecisionRefused {
                number: 1,
                reasons: text("Not urgent"),
                at: now(),
            }]),
        },
        Row {
            name: "the board rules once",
            given: with(
                emergency_case(),
                [
                    emergency_made(EmergencyDecisionKind::Placement),
                    CaseEvent::EmergencyDecisionApproved {
                        number: 1,
                        at: received_at(),
                    },
                ],
            ),
            now: now(),
            when: CaseCommand::RecordEmergencyRuling {
                decision: 1,
                ruling: EmergencyRuling::Approved,
            },
            then: Err(DomainError::EmergencyDecisionAlreadyRuled { number: 1 }),
        },
        Row {
            name: "a ruling needs a decision",
            given: emergency_case(),
            now: now(),
            when: CaseCommand::RecordEmergencyRuling {
                decision: 3,
                ruling: EmergencyRuling::Approved,
            },
            then: Err(DomainError::EmergencyDecisionNotFound { number: 3 }),
        },
        Row {
            name: "the petition follows the emergency placement within 6 weeks",
            given: with(
                emergency_case(),
                [emergency_made(EmergencyDecisionKind::Placement)],
            ),
            // Made 2024-03-04: last day 2024-04-15, breached from 22:00 UTC (summer time).
            now: at("2024-04-15T21:59:00Z"),
            when: CaseCommand::SendEmergencyPetition { decision: 1 },
            then: Ok(vec![CaseEvent::EmergencyPetitionSent {
                number: 1,
                at: at("2024-04-15T21:59:00Z"),
            }]),
        },
        Row {
            name: "an emergency placement lapses without a petition within 6 weeks",
            given: with(
                emergency_case(),
                [emergency_made(EmergencyDecisionKind::Placement)],
            ),
            now: at("2024-04-15T22:00:00Z"),
            when: CaseCommand::SendEmergencyPetition { decision: 1 },
            then: Err(DomainError::EmergencyDecisionLapsed { number: 1 }),
        },
        Row {
            name: "a behaviour institution emergency decision lapses after 2 weeks",
            given: with(
                emergency_case(),
                [emergency_made(EmergencyDecisionKind::BehaviourInstitution)],
            ),
            now: at("2024-03-18T23:00:00Z"),
            when: CaseCommand::SendEmergencyPetition { decision: 1 },
            then: Err(DomainError::EmergencyDecisionLapsed { number: 1 }),
        },
        Row {
            name: "no petition after a refused emergency decision",
            given: with(
                emergency_case(),
                [
                    emergency_made(EmergencyDecisionKind::Placement),
                    CaseEvent::EmergencyDecisionRefused {
                        number: 1,
                        reasons: text("No"),
                        at: received_at(),
                    },
                ],
            ),
            now: now(),
            when: CaseCommand::SendEmergencyPetition { decision: 1 },
            then: Err(DomainError::EmergencyDecisionRefused { number: 1 }),
        },
        Row {
            name: "a petition is sent once",
            given: with(
                emergency_case(),
                [
                    emergency_made(EmergencyDecisionKind::Placement),
                    CaseEvent::EmergencyPetitionSent {
                        number: 1,
                        at: received_at(),
                    },
                ],
            ),
            now: now(),
            when: CaseCommand::SendEmergencyPetition { decision: 1 },
            then: Err(DomainError::EmergencyPetitionAlreadySent { number: 1 }),
        },
        // board, care plan, visits
        Row {
            name: "a proposal goes to the board",
            given: emergency_case(),
            now: now(),
            when: CaseCommand::ProposeToBoard {
                kind: BoardProposalKind::BehaviourInstitution,
                grounds: text("Serious behaviour"),
            },
            then: Ok(vec![CaseEvent::BoardProposalSent {
                kind: BoardProposalKind::BehaviourInstitution,
                grounds: text("Serious behaviour"),
                at: now(),
            }]),
        },
        Row {
            name: "one proposal at a time",
            given: with(emergency_case(), [proposal_sent()]),
            now: now(),
            when: CaseCommand::ProposeToBoard {
                kind: BoardProposalKind::CareOrder,
                grounds: text("Again"),
            },
            then: Err(DomainError::BoardProposalPending),
        },
        Row {
            name: "the board decides a pending proposal",
            given: with(emergency_case(), [proposal_sent()]),
            now: now(),
            when: CaseCommand::RecordBoardDecision {
                outcome: BoardOutcome::Granted,
                decided_on: day("2024-03-06"),
            },
            then: Ok(vec![CaseEvent::BoardDecided {
                kind: BoardProposalKind::CareOrder,
                outcome: BoardOutcome::Granted,
                decided_on: day("2024-03-06"),
                at: now(),
            }]),
        },
        Row {
            name: "the board decides nothing not proposed",
            given: emergency_case(),
            now: now(),
            when: CaseCommand::RecordBoardDecision {
                outcome: BoardOutcome::Rejected,
                decided_on: day("2024-03-06"),
            },
            then: Err(DomainError::NoBoardProposalPending),
        },
        Row {
            name: "a care plan follows a care order",
            given: with(emergency_case(), [proposal_sent(), care_order_granted()]),
            now: now(),
            when: CaseCommand::MakeCarePlan {
                in_family_network: false,
                placement: CarePlacement::FosterHome,
                placed_on: day("2024-03-06"),
                plan: text("Long-term foster home"),
            },
            then: Ok(vec![CaseEvent::CarePlanMade {
                in_family_network: false,
                placement: CarePlacement::FosterHome,
                placed_on: day("2024-03-06"),
                plan: text("Long-term foster home"),
                at: now(),
            }]),
        },
        Row {
            name: "no care plan without a care order",
            given: with(emergency_case(), [proposal_sent()]),
            now: now(),
            when: CaseCommand::MakeCarePlan {
                in_family_network: false,
                placement: CarePlacement::FosterHome,
                placed_on: day("2024-03-06"),
                plan: text("Plan"),
            },
            then: Err(DomainError::NoCareOrder),
        },
        Row {
            name: "a follow-up visit in the foster home is recorded",
            given: with(
                emergency_case(),
                [
                    proposal_sent(),
                    care_order_granted(),
                    CaseEvent::CarePlanMade {
                        in_family_network: false,
                        placement: CarePlacement::FosterHome,
                        placed_on: day("2024-03-05"),
                        plan: text("Plan"),
                        at: received_at(),
                    },
                ],
            ),
            now: now(),
            when: CaseCommand::RecordFollowUpVisit {
                visited_on: day("2024-03-06"),
            },
            then: Ok(vec![CaseEvent::FollowUpVisitRecorded {
                visited_on: day("2024-03-06"),
                at: now(),
            }]),
        },
        Row {
            name: "no follow-up visit without a foster home placement",
            given: emergency_case(),
            now: now(),
            when: CaseCommand::RecordFollowUpVisit {
                visited_on: day("2024-03-06"),
            },
            then: Err(DomainError::NoFosterHomePlacement),
        },
        // closing
        Row {
            name: "a case closes when nothing is running",
            given: with(
                investigating_with_plan(),
                [concluded(ConclusionOutcome::DismissedOnAssessment)],
            ),
            now: now(),
            when: CaseCommand::CloseCase {
                reasons: text("Dismissed"),
            },
            then: Ok(vec![CaseEvent::CaseClosed {
                reason: CloseReason::Decided {
                    reasons: text("Dismissed"),
                },
                at: now(),
            }]),
        },
        Row {
            name: "a case does not close during an investigation",
            given: investigating(),
            now: now(),
            when: CaseCommand::CloseCase {
                reasons: text("Early"),
            },
            then: Err(DomainError::CaseCannotBeClosed {
                reason: "an investigation is open",
            }),
        },
        Row {
            name: "a case does not close while measures run",
            given: with(emergency_case(), [measure_started()]),
            now: now(),
            when: CaseCommand::CloseCase {
                reasons: text("Early"),
            },
            then: Err(DomainError::CaseCannotBeClosed {
                reason: "measures are active",
            }),
        },
        Row {
            name: "a case does not close while an emergency decision awaits its petition",
            given: with(
                emergency_case(),
                [emergency_made(EmergencyDecisionKind::Placement)],
            ),
            now: now(),
            when: CaseCommand::CloseCase {
                reasons: text("Early"),
            },
            then: Err(DomainError::CaseCannotBeClosed {
                reason: "an emergency decision awaits its petition",
            }),
        },
        Row {
            name: "a case closes once",
            given: dismissed_at_screening,
            now: now(),
            when: CaseCommand::CloseCase {
                reasons: text("Again"),
            },
            then: Err(DomainError::CaseClosed),
        },
    ];
    assert!(run_table(rows) >= 60);
}

#[test]
fn consultations_with_the_partners() {
    use crate::partner::{DecisionAsked, InterviewDecision, PartnerCommand};
    use ConsultationPartner::{Barnehus, Police};
    let invite = |partners: Vec<ConsultationPartner>, asked: Vec<DecisionAsked>| {
        CaseCommand::Partner(PartnerCommand::Invite {
            partners,
            meeting_at: at("2024-03-08T09:00:00Z"),
            place: text("Statens barnehus Trondheim"),
            decisions_asked: asked,
        })
    };
    let both = [
        DecisionAsked::ForensicInterview,
        DecisionAsked::PoliceReport,
    ];
    let invited = CaseEvent::PartnersInvitedToConsultation {
        consultation: 1,
        partners: vec![Police, Barnehus],
        meeting_at: at("2024-03-08T09:00:00Z"),
        place: text("Statens barnehus Trondheim"),
        decisions_asked: both.to_vec(),
        at: now(),
    };
    let closed = CaseEvent::PartnerConsultationClosed {
        consultation: 1,
        at: now(),
    };
    let decide = |partner, decision| {
        CaseCommand::Partner(PartnerCommand::DecideInterview {
            consultation: 1,
            partner,
            decision,
        })
    };
    let rows: Vec<Row<CaseStream>> = vec![
        Row {
            name: "the service invites police and barnehus, each once",
            given: investigating(),
            now: now(),
            when: invite(vec![Barnehus, Police, Police], both.to_vec()),
            then: Ok(vec![invited.clone()]),
        },
        Row {
            name: "an invitation names a partner",
            given: investigating(),
            now: now(),
            when: invite(vec![], vec![]),
            then: Err(invalid("partners", "must name police, barnehus or both")),
        },
        Row {
            name: "a police report is asked of the police only",
            given: investigating(),
            now: now(),
            when: invite(vec![Barnehus], vec![DecisionAsked::PoliceReport]),
            then: Err(invalid(
                "decisions_asked",
                "a police report is the police's to decide: invite the police",
            )),
        },
        Row {
            name: "an invited partner records its attendance",
            given: with(investigating(), [invited.clone()]),
            now: now(),
            when: CaseCommand::Partner(PartnerCommand::RecordAttendance {
                consultation: 1,
                partner: Barnehus,
                attending: true,
            }),
            then: Ok(vec![CaseEvent::PartnerAttendanceRecorded {
                consultation: 1,
                partner: Barnehus,
                attending: true,
                at: now(),
            }]),
        },
        Row {
            name: "a postponed interview has a new date, not in the past",
            given: with(investigating(), [invited.clone()]),
            now: now(),
            when: decide(
                Barnehus,
                InterviewDecision::Postponed {
                    to: day("2024-01-01"),
                    reason: text("The child is ill"),
                },
            ),
            then: Err(invalid("postponed.to", "must not be in the past")),
        },
        Row {
            name: "an interview not held says why",
            given: with(investigating(), [invited.clone()]),
            now: now(),
            when: decide(
                Police,
                InterviewDecision::NotHeld {
                    reason: text("Too young to be interviewed"),
                },
            ),
            then: Ok(vec![CaseEvent::PartnerInterviewDecided {
                consultation: 1,
                partner: Police,
                decision: InterviewDecision::NotHeld {
                    reason: text("Too young to be interviewed"),
                },
                at: now(),
            }]),
        },
        Row {
            name: "the police record whether a report is filed",
            given: with(investigating(), [invited.clone()]),
            now: now(),
            when: CaseCommand::Partner(PartnerCommand::DecidePoliceReport {
                consultation: 1,
                filed: true,
            }),
            then: Ok(vec![CaseEvent::PoliceReportDecided {
                consultation: 1,
                filed: true,
                at: now(),
            }]),
        },
        Row {
            name: "a partner not invited records nothing",
            given: with(
                investigating(),
                [CaseEvent::PartnersInvitedToConsultation {
                    consultation: 1,
                    partners: vec![Barnehus],
                    meeting_at: at("2024-03-08T09:00:00Z"),
                    place: text("Statens barnehus Trondheim"),
                    decisions_asked: vec![DecisionAsked::ForensicInterview],
                    at: now(),
                }],
            ),
            now: now(),
            when: CaseCommand::Partner(PartnerCommand::DecidePoliceReport {
                consultation: 1,
                filed: true,
            }),
            then: Err(DomainError::PartnerNotInvited { number: 1 }),
        },
        Row {
            name: "after closing, no partner records anything",
            given: with(investigating(), [invited.clone(), closed.clone()]),
            now: now(),
            when: CaseCommand::Partner(PartnerCommand::RecordAttendance {
                consultation: 1,
                partner: Police,
                attending: true,
            }),
            then: Err(DomainError::ConsultationClosed { number: 1 }),
        },
        Row {
            name: "a consultation closes once",
            given: with(investigating(), [invited.clone(), closed]),
            now: now(),
            when: CaseCommand::Partner(PartnerCommand::Close { consultation: 1 }),
            then: Err(DomainError::ConsultationClosed { number: 1 }),
        },
        Row {
            name: "no consultation 2 before it is invited",
            given: with(investigating(), [invited]),
            now: now(),
            when: CaseCommand::Partner(PartnerCommand::Close { consultation: 2 }),
            then: Err(DomainError::ConsultationNotFound { number: 2 }),
        },
    ];
    assert_eq!(run_table(rows), 11);
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
        CaseCommand::AssignCase {
            assignee: other.clone(),
        },
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
