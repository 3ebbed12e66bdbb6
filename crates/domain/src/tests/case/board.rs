//! What goes before the board: emergency decisions and their petitions, proposals, and the
//! care plan and visits a care order brings.

use super::*;
use crate::DomainError;
use crate::case::{
    BoardCommand, BoardOutcome, BoardProposalKind, CarePlacement, CaseCommand, CaseEvent,
    CaseStream, EmergencyDecisionKind, EmergencyRuling,
};

fn care_order_granted() -> CaseEvent {
    CaseEvent::BoardDecided {
        kind: BoardProposalKind::CareOrder,
        outcome: BoardOutcome::Granted,
        decided_on: day("2024-03-05"),
        at: at("2024-03-05T14:00:00Z"),
    }
}

#[test]
fn emergency_decisions() {
    let rows: Vec<CaseRow> = vec![
        Row {
            name: "an emergency decision is made and sent to the board",
            given: emergency_case(),
            now: now(),
            when: CaseCommand::Board(BoardCommand::MakeEmergencyDecision {
                kind: EmergencyDecisionKind::Placement,
                grounds: text("Child unsafe tonight"),
                habitually_resident_abroad: false,
            }),
            then: Ok(vec![CaseEvent::EmergencyDecisionMade {
                number: 1,
                kind: EmergencyDecisionKind::Placement,
                grounds: text("Child unsafe tonight"),
                habitually_resident_abroad: false,
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
            when: CaseCommand::Board(BoardCommand::RecordEmergencyRuling {
                decision: 1,
                ruling: EmergencyRuling::Approved,
            }),
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
            when: CaseCommand::Board(BoardCommand::RecordEmergencyRuling {
                decision: 1,
                ruling: EmergencyRuling::Refused {
                    reasons: text("Not urgent"),
                },
            }),
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
            when: CaseCommand::Board(BoardCommand::RecordEmergencyRuling {
                decision: 1,
                ruling: EmergencyRuling::Approved,
            }),
            then: Err(DomainError::EmergencyDecisionAlreadyRuled { number: 1 }),
        },
        Row {
            name: "a ruling needs a decision",
            given: emergency_case(),
            now: now(),
            when: CaseCommand::Board(BoardCommand::RecordEmergencyRuling {
                decision: 3,
                ruling: EmergencyRuling::Approved,
            }),
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
            when: CaseCommand::Board(BoardCommand::SendEmergencyPetition { decision: 1 }),
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
            when: CaseCommand::Board(BoardCommand::SendEmergencyPetition { decision: 1 }),
            then: Err(DomainError::EmergencyDecisionLapsed { number: 1 }),
        },
        Row {
            name: "a behaviour institution emergency decision lapses after 2 weeks",
            given: with(
                emergency_case(),
                [emergency_made(EmergencyDecisionKind::BehaviourInstitution)],
            ),
            now: at("2024-03-18T23:00:00Z"),
            when: CaseCommand::Board(BoardCommand::SendEmergencyPetition { decision: 1 }),
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
            when: CaseCommand::Board(BoardCommand::SendEmergencyPetition { decision: 1 }),
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
            when: CaseCommand::Board(BoardCommand::SendEmergencyPetition { decision: 1 }),
            then: Err(DomainError::EmergencyPetitionAlreadySent { number: 1 }),
        },
    ];
    run_table(stream_decider::<CaseStream>(), rows);
}

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
    use crate::deadlines::open_case_deadlines;
    use crate::rules::{DeadlineKind, RuleBook};
    let rules = RuleBook::norwegian();
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
    let fold = |events: &[CaseEvent]| {
        events
            .iter()
            .fold(crate::case::CaseState::default(), crate::case::evolve)
    };
    let kinds = |events: &[CaseEvent], at_text: &str| {
        open_case_deadlines(&fold(events), &rules, at(at_text))
            .into_iter()
            .map(|deadline| (deadline.kind, deadline.breached, deadline.legal_reference))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        kinds(&made, "2024-04-15T21:59:00Z"),
        [(
            DeadlineKind::EmergencyPetitionCareOrder,
            false,
            "barnevernsloven 2021 § 4-2".to_owned()
        )]
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
            DeadlineKind::EmergencyPetitionCareOrder
        ]
    );
}

#[test]
fn board_care_plan_and_visits() {
    let rows: Vec<CaseRow> = vec![
        Row {
            name: "a proposal goes to the board",
            given: emergency_case(),
            now: now(),
            when: CaseCommand::Board(BoardCommand::Propose {
                kind: BoardProposalKind::BehaviourInstitution,
                grounds: text("Serious behaviour"),
            }),
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
            when: CaseCommand::Board(BoardCommand::Propose {
                kind: BoardProposalKind::CareOrder,
                grounds: text("Again"),
            }),
            then: Err(DomainError::BoardProposalPending),
        },
        Row {
            name: "the board decides a pending proposal",
            given: with(emergency_case(), [proposal_sent()]),
            now: now(),
            when: CaseCommand::Board(BoardCommand::RecordDecision {
                outcome: BoardOutcome::Granted,
                decided_on: day("2024-03-06"),
            }),
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
            when: CaseCommand::Board(BoardCommand::RecordDecision {
                outcome: BoardOutcome::Rejected,
                decided_on: day("2024-03-06"),
            }),
            then: Err(DomainError::NoBoardProposalPending),
        },
        Row {
            name: "a care plan follows a care order",
            given: with(emergency_case(), [proposal_sent(), care_order_granted()]),
            now: now(),
            when: CaseCommand::Board(BoardCommand::MakeCarePlan {
                in_family_network: false,
                placement: CarePlacement::FosterHome,
                placed_on: day("2024-03-06"),
                plan: text("Long-term foster home"),
            }),
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
            when: CaseCommand::Board(BoardCommand::MakeCarePlan {
                in_family_network: false,
                placement: CarePlacement::FosterHome,
                placed_on: day("2024-03-06"),
                plan: text("Plan"),
            }),
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
            when: CaseCommand::Board(BoardCommand::RecordFollowUpVisit {
                visited_on: day("2024-03-06"),
            }),
            then: Ok(vec![CaseEvent::FollowUpVisitRecorded {
                visited_on: day("2024-03-06"),
                at: now(),
            }]),
        },
        Row {
            name: "no follow-up visit without a foster home placement",
            given: emergency_case(),
            now: now(),
            when: CaseCommand::Board(BoardCommand::RecordFollowUpVisit {
                visited_on: day("2024-03-06"),
            }),
            then: Err(DomainError::NoFosterHomePlacement),
        },
    ];
    run_table(stream_decider::<CaseStream>(), rows);
}

fn granted_on(on: &str) -> Vec<CaseEvent> {
    with(
        emergency_case(),
        [
            proposal_sent(),
            CaseEvent::BoardDecided {
                kind: BoardProposalKind::CareOrder,
                outcome: BoardOutcome::Granted,
                decided_on: day(on),
                at: at(&format!("{on}T12:00:00Z")),
            },
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
    use crate::deadlines::open_case_deadlines;
    use crate::rules::{DeadlineKind, RuleBook};
    let rules = RuleBook::norwegian();
    let fold = |events: &[CaseEvent]| {
        events
            .iter()
            .fold(crate::case::CaseState::default(), crate::case::evolve)
    };
    let kinds = |events: &[CaseEvent], at_text: &str| {
        open_case_deadlines(&fold(events), &rules, at(at_text))
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
        [(
            DeadlineKind::CareOrderImplementation,
            "2022-12-13".to_owned(),
            "barnevernloven 1992 § 4-13".to_owned()
        )]
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
        [(
            DeadlineKind::CareOrderImplementation,
            "2023-03-15".to_owned(),
            "barnevernsloven 2021 § 5-3".to_owned()
        )]
    );
}

/// A foster home placed on `placed_on`: by a care order and its care plan, or voluntarily
/// (a foster home measure).
fn foster_home(placed_on: &str, voluntary: bool) -> Vec<CaseEvent> {
    let placed = at(&format!("{placed_on}T10:00:00Z"));
    if voluntary {
        return with(
            emergency_case(),
            [CaseEvent::MeasureStarted {
                in_family_network: false,
                number: 1,
                kind: crate::case::MeasureKind::FosterHome,
                plan: measure_plan(placed_on, "2030-12-31", None),
                next_evaluation_on: day("2030-01-01"),
                at: placed,
            }],
        );
    }
    with(
        emergency_case(),
        [
            proposal_sent(),
            CaseEvent::BoardDecided {
                kind: BoardProposalKind::CareOrder,
                outcome: BoardOutcome::Granted,
                decided_on: day(placed_on),
                at: placed,
            },
            CaseEvent::CarePlanMade {
                placement: CarePlacement::FosterHome,
                placed_on: day(placed_on),
                plan: text("Care plan"),
                in_family_network: false,
                at: placed,
            },
        ],
    )
}

/// Visits to a foster home: recorded for a care order's placement and a voluntary one; the
/// rate reduced to 2 a year only by a decision, and only for a child placed more than two
/// years (on both sides of the day), under the 2003 and the 2023 regulations alike.
#[test]
fn foster_home_visits_and_their_rate() {
    use crate::case::VisitKind;
    let decide = |visits: VisitKind, per_year: u8| {
        CaseCommand::Board(BoardCommand::DecideVisitRate {
            visits,
            per_year,
            reasons: text("Stable placement; the child thrives"),
        })
    };
    let decided = |visits: VisitKind, per_year: u8, when: &str| {
        Ok(vec![CaseEvent::VisitRateDecided {
            visits,
            per_year,
            reasons: text("Stable placement; the child thrives"),
            at: at(when),
        }])
    };
    let too_soon = |placed_on: &str| {
        Err(invalid(
            "per_year",
            &format!("2 a year only for a child placed more than 24 months (placed {placed_on})"),
        ))
    };
    let rows: Vec<CaseRow> = vec![
        Row {
            name: "a supervision visit to a voluntary foster home",
            given: foster_home("2024-03-06", true),
            now: at("2024-05-01T10:00:00Z"),
            when: CaseCommand::Board(BoardCommand::RecordSupervisionVisit {
                visited_on: day("2024-04-30"),
            }),
            then: Ok(vec![CaseEvent::SupervisionVisitRecorded {
                visited_on: day("2024-04-30"),
                at: at("2024-05-01T10:00:00Z"),
            }]),
        },
        Row {
            name: "a follow-up visit to a voluntary foster home",
            given: foster_home("2024-03-06", true),
            now: at("2024-05-01T10:00:00Z"),
            when: CaseCommand::Board(BoardCommand::RecordFollowUpVisit {
                visited_on: day("2024-04-30"),
            }),
            then: Ok(vec![CaseEvent::FollowUpVisitRecorded {
                visited_on: day("2024-04-30"),
                at: at("2024-05-01T10:00:00Z"),
            }]),
        },
        Row {
            name: "no visit before the placement",
            given: foster_home("2024-03-06", true),
            now: at("2024-05-01T10:00:00Z"),
            when: CaseCommand::Board(BoardCommand::RecordSupervisionVisit {
                visited_on: day("2024-03-05"),
            }),
            then: Err(invalid("visited_on", "must not be before the placement")),
        },
        Row {
            name: "2023 regulations: not reduced the day before two years",
            given: foster_home("2024-03-05", false),
            now: at("2026-03-04T10:00:00Z"),
            when: decide(VisitKind::FollowUp, 2),
            then: too_soon("2024-03-05"),
        },
        Row {
            name: "2023 regulations: reduced from the day two years have passed",
            given: foster_home("2024-03-05", false),
            now: at("2026-03-05T10:00:00Z"),
            when: decide(VisitKind::FollowUp, 2),
            then: decided(VisitKind::FollowUp, 2, "2026-03-05T10:00:00Z"),
        },
        Row {
            name: "2003 regulations: the supervisor's visits not reduced before two years",
            given: foster_home("2021-06-01", false),
            now: at("2023-05-31T10:00:00Z"),
            when: decide(VisitKind::Supervision, 2),
            then: too_soon("2021-06-01"),
        },
        Row {
            name: "2003 regulations: the supervisor's visits reduced after two years",
            given: foster_home("2021-06-01", false),
            now: at("2023-06-01T10:00:00Z"),
            when: decide(VisitKind::Supervision, 2),
            then: decided(VisitKind::Supervision, 2, "2023-06-01T10:00:00Z"),
        },
        Row {
            name: "back to four a year at any time",
            given: with(
                foster_home("2021-06-01", false),
                [CaseEvent::VisitRateDecided {
                    visits: VisitKind::FollowUp,
                    per_year: 2,
                    reasons: text("Stable"),
                    at: at("2023-06-01T10:00:00Z"),
                }],
            ),
            now: at("2023-09-01T10:00:00Z"),
            when: decide(VisitKind::FollowUp, 4),
            then: decided(VisitKind::FollowUp, 4, "2023-09-01T10:00:00Z"),
        },
        Row {
            name: "a rate it already has is no decision",
            given: foster_home("2021-06-01", false),
            now: at("2023-09-01T10:00:00Z"),
            when: decide(VisitKind::FollowUp, 4),
            then: Err(DomainError::VisitRateUnchanged { per_year: 4 }),
        },
        Row {
            name: "only 4 or 2",
            given: foster_home("2021-06-01", false),
            now: at("2023-09-01T10:00:00Z"),
            when: decide(VisitKind::FollowUp, 3),
            then: Err(invalid("per_year", "must be 4 or 2")),
        },
        Row {
            name: "no rate without a foster home",
            given: emergency_case(),
            now: now(),
            when: decide(VisitKind::FollowUp, 4),
            then: Err(DomainError::NoFosterHomePlacement),
        },
    ];
    run_table(stream_decider::<CaseStream>(), rows);
}
