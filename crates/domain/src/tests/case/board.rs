//! What goes before the board: emergency decisions and their petitions, proposals, and the
//! care plan and visits a care order brings.

use super::*;
use crate::DomainError;
use crate::case::{
    BoardCommand, BoardOutcome, BoardProposalKind, CarePlacement, CaseCommand, CaseEvent,
    CaseStream, EmergencyDecisionKind, EmergencyRuling,
};

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
