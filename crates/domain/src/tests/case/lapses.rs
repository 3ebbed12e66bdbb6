//! What the law makes of a case when a clock runs out: an emergency decision without its
//! petition in time (old act § 4-6 fifth paragraph; new act §§ 4-2, 4-4) and a care order not
//! carried out in time (old act § 4-13; new act § 5-3) lapse, on both sides of each last day.

use super::*;
use crate::DomainError;
use crate::case::{
    BoardCommand, BoardOutcome, BoardProposalKind, CarePlacement, CaseCommand, CaseEvent,
    CaseStream, EmergencyDecisionKind,
};

/// An emergency decision of `kind` made at `made`, in a case under `reference`'s act.
fn emergency_under(
    reference: crate::case::ReportReference,
    kind: EmergencyDecisionKind,
    abroad: bool,
    made: &str,
) -> Vec<CaseEvent> {
    let mut opened = case_opened(1, dismissal(false), true);
    if let CaseEvent::CaseOpenedFromReport { report, at, .. } = &mut opened {
        *report = reference;
        *at = reference.received_at;
    }
    vec![
        opened,
        CaseEvent::EmergencyDecisionMade {
            number: 1,
            kind,
            grounds: text("Child unsafe tonight"),
            habitually_resident_abroad: abroad,
            at: at(made),
        },
    ]
}

fn lapsed(at_text: &str) -> Result<Vec<CaseEvent>, DomainError> {
    Ok(vec![CaseEvent::EmergencyDecisionLapsed {
        number: 1,
        at: at(at_text),
    }])
}

const RECORD_LAPSES: CaseCommand = CaseCommand::Board(BoardCommand::RecordLapses);

/// Each act's petition limits on both sides of their last day: the decision lapses at the end
/// of it (Europe/Oslo), not a moment before.
#[test]
fn emergency_decisions_lapse_at_the_end_of_the_petition_deadline() {
    use EmergencyDecisionKind::{BehaviourInstitution, Placement};
    let new = reference;
    let old = old_act_reference;
    // (name, act, kind, abroad, made, the last moment it holds, the first it has lapsed)
    let limits = [
        (
            "new act § 4-2: 6 weeks",
            new(),
            Placement,
            false,
            "2024-03-04T09:00:00Z",
            "2024-04-15T21:59:59Z",
            "2024-04-15T22:00:00Z",
        ),
        (
            "new act § 4-4: 2 weeks",
            new(),
            BehaviourInstitution,
            false,
            "2024-03-04T09:00:00Z",
            "2024-03-18T22:59:59Z",
            "2024-03-18T23:00:00Z",
        ),
        (
            "new act § 4-2, child resident abroad: 6 months",
            new(),
            Placement,
            true,
            "2024-03-04T09:00:00Z",
            "2024-09-04T21:59:59Z",
            "2024-09-04T22:00:00Z",
        ),
        (
            "old act § 4-6: 6 weeks",
            old(),
            Placement,
            false,
            "2022-11-01T09:00:00Z",
            "2022-12-13T22:59:59Z",
            "2022-12-13T23:00:00Z",
        ),
        (
            "old act § 4-6 with § 4-24: 2 weeks",
            old(),
            BehaviourInstitution,
            false,
            "2022-11-01T09:00:00Z",
            "2022-11-15T22:59:59Z",
            "2022-11-15T23:00:00Z",
        ),
        (
            "old act, child resident abroad: still 6 weeks",
            old(),
            Placement,
            true,
            "2022-11-01T09:00:00Z",
            "2022-12-13T22:59:59Z",
            "2022-12-13T23:00:00Z",
        ),
    ];
    let mut rows: Vec<CaseRow> = Vec::new();
    for (name, reference, kind, abroad, made, holds, lapses) in limits {
        let given = emergency_under(reference, kind, abroad, made);
        rows.push(Row {
            name: Box::leak(format!("{name}: holds on its last day").into_boxed_str()),
            given: given.clone(),
            now: at(holds),
            when: RECORD_LAPSES,
            then: Err(DomainError::NothingLapsed),
        });
        rows.push(Row {
            name: Box::leak(format!("{name}: lapsed the moment after").into_boxed_str()),
            given: given.clone(),
            now: at(lapses),
            when: RECORD_LAPSES,
            then: lapsed(lapses),
        });
        rows.push(Row {
            name: Box::leak(
                format!("{name}: a petition on the last day stops it").into_boxed_str(),
            ),
            given: with(
                given,
                [CaseEvent::EmergencyPetitionSent {
                    number: 1,
                    at: at(holds),
                }],
            ),
            now: at(lapses),
            when: RECORD_LAPSES,
            then: Err(DomainError::NothingLapsed),
        });
    }
    run_table(stream_decider::<CaseStream>(), rows);
}

#[test]
fn what_a_lapse_does_to_the_case() {
    let made = || {
        with(
            emergency_case(),
            [emergency_made(EmergencyDecisionKind::Placement)],
        )
    };
    let lapse = || CaseEvent::EmergencyDecisionLapsed {
        number: 1,
        at: at("2024-04-15T22:00:00Z"),
    };
    let rows: Vec<CaseRow> = vec![
        Row {
            name: "the next command records the lapse first, at its own moment",
            given: made(),
            now: at("2024-04-16T08:00:00Z"),
            when: CaseCommand::Board(BoardCommand::MakeEmergencyDecision {
                kind: EmergencyDecisionKind::Placement,
                grounds: text("Still unsafe"),
                habitually_resident_abroad: false,
            }),
            then: Ok(vec![
                lapse(),
                CaseEvent::EmergencyDecisionMade {
                    number: 2,
                    kind: EmergencyDecisionKind::Placement,
                    grounds: text("Still unsafe"),
                    habitually_resident_abroad: false,
                    at: at("2024-04-16T08:00:00Z"),
                },
            ]),
        },
        Row {
            name: "a command refused writes nothing, the lapse included",
            given: made(),
            now: at("2024-04-16T08:00:00Z"),
            when: CaseCommand::Board(BoardCommand::SendEmergencyPetition { decision: 1 }),
            then: Err(DomainError::EmergencyDecisionLapsed { number: 1 }),
        },
        Row {
            name: "a lapse is recorded once",
            given: with(made(), [lapse()]),
            now: at("2024-05-01T08:00:00Z"),
            when: RECORD_LAPSES,
            then: Err(DomainError::NothingLapsed),
        },
        Row {
            name: "a refused decision does not lapse: it fell with the refusal",
            given: with(
                made(),
                [CaseEvent::EmergencyDecisionRefused {
                    number: 1,
                    reasons: text("No"),
                    at: now(),
                }],
            ),
            now: at("2024-05-01T08:00:00Z"),
            when: RECORD_LAPSES,
            then: Err(DomainError::NothingLapsed),
        },
        Row {
            name: "the board's decision within the limit stops the clock",
            given: with(
                made(),
                [
                    proposal_sent(),
                    care_order_granted(),
                    CaseEvent::CareOrderCarriedOut {
                        carried_out_on: day("2024-03-06"),
                        at: at("2024-03-06T09:00:00Z"),
                    },
                ],
            ),
            now: at("2024-05-01T08:00:00Z"),
            when: RECORD_LAPSES,
            then: Err(DomainError::NothingLapsed),
        },
        Row {
            name: "a petition sent in time but entered after the lapse was recorded is taken",
            given: with(made(), [lapse()]),
            now: at("2024-04-15T20:00:00Z"),
            when: CaseCommand::Board(BoardCommand::SendEmergencyPetition { decision: 1 }),
            then: Ok(vec![CaseEvent::EmergencyPetitionSent {
                number: 1,
                at: at("2024-04-15T20:00:00Z"),
            }]),
        },
        Row {
            name: "the longer limit abroad is only for an emergency placement",
            given: emergency_case(),
            now: now(),
            when: CaseCommand::Board(BoardCommand::MakeEmergencyDecision {
                kind: EmergencyDecisionKind::BehaviourInstitution,
                grounds: text("Serious behaviour"),
                habitually_resident_abroad: true,
            }),
            then: Err(invalid(
                "habitually_resident_abroad",
                "the longer petition limit applies only to an emergency placement (new act § 4-2)",
            )),
        },
    ];
    run_table(stream_decider::<CaseStream>(), rows);
}

/// The worklist's view of a lapse: the top item from its moment, with the paragraph, until a
/// new decision gives the placement a legal basis again.
#[test]
fn a_lapse_stays_on_the_worklist_until_a_new_decision() {
    use crate::rules::DeadlineKind;
    let made = with(
        emergency_case(),
        [
            emergency_made(EmergencyDecisionKind::Placement),
            CaseEvent::EmergencyDecisionApproved {
                number: 1,
                at: now(),
            },
        ],
    );
    let kinds = |events: &[CaseEvent], at_text: &str| {
        open_at(events, at_text)
            .into_iter()
            .map(|deadline| (deadline.kind, deadline.breached, deadline.legal_reference))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        kinds(&made, "2024-04-15T21:59:00Z"),
        [
            (
                DeadlineKind::EmergencyPetitionCareOrder,
                false,
                "barnevernsloven 2021 § 4-2".to_owned()
            ),
            (
                DeadlineKind::EmergencyInvestigationPlan,
                false,
                "barnevernsloven 2021 § 8-2 third paragraph".to_owned()
            )
        ]
    );
    let lapsed = with(
        made,
        [CaseEvent::EmergencyDecisionLapsed {
            number: 1,
            at: at("2024-04-15T22:00:00Z"),
        }],
    );
    assert_eq!(
        kinds(&lapsed, "2024-04-15T22:00:00Z"),
        [(
            DeadlineKind::EmergencyDecisionLapsed,
            true,
            "barnevernsloven 2021 § 4-2 (emergency placement), § 4-4 (institution)".to_owned()
        )]
    );
    let decided_again = with(
        lapsed,
        [CaseEvent::EmergencyDecisionMade {
            number: 2,
            kind: EmergencyDecisionKind::Placement,
            grounds: text("Still unsafe"),
            habitually_resident_abroad: false,
            at: at("2024-04-16T08:00:00Z"),
        }],
    );
    let after: Vec<_> = kinds(&decided_again, "2024-04-16T08:00:00Z")
        .into_iter()
        .map(|(kind, ..)| kind)
        .collect();
    assert_eq!(
        after,
        [
            DeadlineKind::EmergencyApproval,
            DeadlineKind::EmergencyPetitionCareOrder,
            DeadlineKind::EmergencyInvestigationPlan
        ]
    );
}

fn granted_on(on: &str) -> Vec<CaseEvent> {
    with(
        emergency_case(),
        [
            proposal_sent(),
            granted(day(on), at(&format!("{on}T12:00:00Z"))),
        ],
    )
}

fn care_order_lapsed(at_text: &str) -> CaseEvent {
    CaseEvent::CareOrderLapsed { at: at(at_text) }
}

/// Each act's six weeks to carry out a care order, on both sides of the last day (old act
/// § 4-13; new act § 5-3), the chair's extension, and what a lapse refuses.
#[test]
fn a_care_order_not_carried_out_in_six_weeks_lapses() {
    let carried_out = |on: &str| {
        CaseCommand::Board(BoardCommand::RecordCareOrderCarriedOut {
            carried_out_on: day(on),
        })
    };
    let extend = |to: &str| {
        CaseCommand::Board(BoardCommand::ExtendCareOrderImplementation {
            to: day(to),
            reason: text("The child is in hospital"),
        })
    };
    let extended = |to: &str, when: &str| CaseEvent::CareOrderImplementationExtended {
        to: day(to),
        reason: text("The child is in hospital"),
        at: at(when),
    };
    let rows: Vec<CaseRow> = vec![
        // The 2021 act: decided 5 March 2024, last day 16 April, lapsed from 22:00 UTC.
        Row {
            name: "2021 act: the order holds on its last day",
            given: granted_on("2024-03-05"),
            now: at("2024-04-16T21:59:59Z"),
            when: RECORD_LAPSES,
            then: Err(DomainError::NothingLapsed),
        },
        Row {
            name: "2021 act: lapsed the moment after",
            given: granted_on("2024-03-05"),
            now: at("2024-04-16T22:00:00Z"),
            when: RECORD_LAPSES,
            then: Ok(vec![care_order_lapsed("2024-04-16T22:00:00Z")]),
        },
        Row {
            name: "2021 act: carried out on the last day",
            given: granted_on("2024-03-05"),
            now: at("2024-04-16T20:00:00Z"),
            when: carried_out("2024-04-16"),
            then: Ok(vec![CaseEvent::CareOrderCarriedOut {
                carried_out_on: day("2024-04-16"),
                at: at("2024-04-16T20:00:00Z"),
            }]),
        },
        Row {
            name: "2021 act: carried out the day after comes too late, and writes nothing",
            given: granted_on("2024-03-05"),
            now: at("2024-04-17T08:00:00Z"),
            when: carried_out("2024-04-17"),
            then: Err(DomainError::CareOrderLapsed),
        },
        Row {
            name: "a carried-out order does not lapse",
            given: with(
                granted_on("2024-03-05"),
                [CaseEvent::CareOrderCarriedOut {
                    carried_out_on: day("2024-03-20"),
                    at: at("2024-03-20T08:00:00Z"),
                }],
            ),
            now: at("2024-06-01T08:00:00Z"),
            when: RECORD_LAPSES,
            then: Err(DomainError::NothingLapsed),
        },
        Row {
            name: "a care plan's placement carries the order out",
            given: with(
                granted_on("2024-03-05"),
                [CaseEvent::CarePlanMade {
                    placement: CarePlacement::FosterHome,
                    placed_on: day("2024-03-20"),
                    plan: text("Care plan"),
                    in_family_network: false,
                    at: at("2024-03-20T08:00:00Z"),
                }],
            ),
            now: at("2024-06-01T08:00:00Z"),
            when: RECORD_LAPSES,
            then: Err(DomainError::NothingLapsed),
        },
        Row {
            name: "the board's chair extends the time before it runs out",
            given: granted_on("2024-03-05"),
            now: at("2024-04-10T08:00:00Z"),
            when: extend("2024-05-31"),
            then: Ok(vec![extended("2024-05-31", "2024-04-10T08:00:00Z")]),
        },
        Row {
            name: "extended, the order holds past the six weeks",
            given: with(
                granted_on("2024-03-05"),
                [extended("2024-05-31", "2024-04-10T08:00:00Z")],
            ),
            now: at("2024-05-31T21:59:59Z"),
            when: RECORD_LAPSES,
            then: Err(DomainError::NothingLapsed),
        },
        Row {
            name: "extended, it lapses at the end of the new last day",
            given: with(
                granted_on("2024-03-05"),
                [extended("2024-05-31", "2024-04-10T08:00:00Z")],
            ),
            now: at("2024-05-31T22:00:00Z"),
            when: RECORD_LAPSES,
            then: Ok(vec![care_order_lapsed("2024-05-31T22:00:00Z")]),
        },
        Row {
            name: "an extension after the time ran out comes too late",
            given: granted_on("2024-03-05"),
            now: at("2024-04-17T08:00:00Z"),
            when: extend("2024-05-31"),
            then: Err(DomainError::CareOrderLapsed),
        },
        Row {
            name: "an extension must give more time",
            given: granted_on("2024-03-05"),
            now: at("2024-04-10T08:00:00Z"),
            when: extend("2024-04-16"),
            then: Err(invalid(
                "extended_to",
                "must be after the current last day, 2024-04-16",
            )),
        },
        Row {
            name: "no care plan on a lapsed order",
            given: with(
                granted_on("2024-03-05"),
                [care_order_lapsed("2024-04-16T22:00:00Z")],
            ),
            now: at("2024-04-20T08:00:00Z"),
            when: CaseCommand::Board(BoardCommand::MakeCarePlan {
                placement: CarePlacement::FosterHome,
                placed_on: day("2024-04-20"),
                plan: text("Care plan"),
                in_family_network: false,
            }),
            then: Err(DomainError::CareOrderLapsed),
        },
        // The 1992 act: decided 1 November 2022, last day 13 December, lapsed from 23:00 UTC.
        Row {
            name: "1992 act: the order holds on its last day",
            given: granted_on("2022-11-01"),
            now: at("2022-12-13T22:59:59Z"),
            when: RECORD_LAPSES,
            then: Err(DomainError::NothingLapsed),
        },
        Row {
            name: "1992 act: lapsed the moment after",
            given: granted_on("2022-11-01"),
            now: at("2022-12-13T23:00:00Z"),
            when: RECORD_LAPSES,
            then: Ok(vec![care_order_lapsed("2022-12-13T23:00:00Z")]),
        },
    ];
    run_table(stream_decider::<CaseStream>(), rows);
}

#[test]
fn a_lapsed_care_order_is_on_the_worklist_until_the_board_decides_again() {
    use crate::rules::DeadlineKind;
    let kinds = |events: &[CaseEvent], at_text: &str| {
        open_at(events, at_text)
            .into_iter()
            .map(|deadline| {
                (
                    deadline.kind,
                    deadline.due.last_day.to_string(),
                    deadline.legal_reference,
                )
            })
            .collect::<Vec<_>>()
    };
    let granted = granted_on("2022-11-01");
    assert_eq!(
        kinds(&granted, "2022-11-02T08:00:00Z"),
        [
            (
                DeadlineKind::CareOrderImplementation,
                "2022-12-13".to_owned(),
                "barnevernloven 1992 § 4-13".to_owned()
            ),
            (
                DeadlineKind::CarePlan,
                "2022-12-13".to_owned(),
                "barnevernloven 1992 § 4-15 third paragraph".to_owned()
            )
        ]
    );
    let lapsed = with(granted, [care_order_lapsed("2022-12-13T23:00:00Z")]);
    assert_eq!(
        kinds(&lapsed, "2022-12-14T08:00:00Z"),
        [(
            DeadlineKind::CareOrderLapsed,
            "2022-12-14".to_owned(),
            "barnevernloven 1992 § 4-13".to_owned()
        )]
    );
    let decided_again = with(
        lapsed,
        [
            CaseEvent::BoardProposalSent {
                kind: BoardProposalKind::CareOrder,
                grounds: text("Again"),
                at: at("2023-01-05T08:00:00Z"),
            },
            CaseEvent::BoardDecided {
                kind: BoardProposalKind::CareOrder,
                outcome: BoardOutcome::Granted,
                decided_on: day("2023-02-01"),
                at: at("2023-02-01T12:00:00Z"),
            },
        ],
    );
    // The new order runs under the 2021 act, its clock started in 2023.
    assert_eq!(
        kinds(&decided_again, "2023-02-02T08:00:00Z"),
        [
            (
                DeadlineKind::CareOrderImplementation,
                "2023-03-15".to_owned(),
                "barnevernsloven 2021 § 5-3".to_owned()
            ),
            (
                DeadlineKind::CarePlan,
                "2023-03-15".to_owned(),
                "barnevernsloven 2021 § 8-3 fourth paragraph".to_owned()
            )
        ]
    );
}
