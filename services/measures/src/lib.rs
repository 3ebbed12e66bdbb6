//! `vern.measures.v1.MeasuresService`: what follows an investigation. Measures with their
//! plans and evaluations, emergency decisions and the board's rulings, proposals to the board,
//! care plans with follow-up visits, and closing the case.
//!
//! Every RPC is a case command: converted here (each error naming its field), decided by the
//! domain, appended by the shared handler.

use api::measures::v1 as pb;
use api::measures::v1::measures_service_server::{MeasuresService, MeasuresServiceServer};
use domain::case::{
    BoardCommand, BoardOutcome, BoardProposalKind, CarePlacement, CaseCommand,
    EmergencyDecisionKind, EmergencyRuling, EvaluationChecklist, LifecycleCommand, MeasureCommand,
    MeasureKind, MeasurePlan,
};
use handling::convert::{self as common, Fields};
use handling::{Error, Handler};

#[derive(Clone)]
pub struct Measures {
    handler: Handler,
}

impl Measures {
    pub fn new(handler: Handler) -> Self {
        Self { handler }
    }

    pub fn server(handler: Handler) -> MeasuresServiceServer<Self> {
        MeasuresServiceServer::new(Self::new(handler))
    }
}

/// The measure's kind and whether it is a foster home in the family and close network.
fn measure(field: &str, measure: Option<&pb::Measure>) -> Result<(MeasureKind, bool), Error> {
    let kind = measure_kind(field, measure)?;
    let in_family_network = measure.is_some_and(|measure| measure.in_family_network);
    if in_family_network && kind != MeasureKind::FosterHome {
        return Err(Error::invalid(
            format!("{field}.in_family_network"),
            "applies only to MEASURE_KIND_FOSTER_HOME",
        ));
    }
    Ok((kind, in_family_network))
}

fn measure_kind(field: &str, measure: Option<&pb::Measure>) -> Result<MeasureKind, Error> {
    use pb::MeasureKind as P;
    let measure = common::required(field, measure)?;
    let kind_field = format!("{field}.kind");
    let description = || common::short_text(&format!("{field}.description"), &measure.description);
    Ok(match common::enum_value::<P>(&kind_field, measure.kind)? {
        P::FamilyCouncil => MeasureKind::FamilyCouncil,
        P::ParentalGuidanceCos => MeasureKind::ParentalGuidanceCos,
        P::MarteMeo => MeasureKind::MarteMeo,
        P::Pmto => MeasureKind::Pmto,
        P::Mst => MeasureKind::Mst,
        P::AcuteFamilyTeam => MeasureKind::AcuteFamilyTeam,
        P::Relief => MeasureKind::Relief,
        P::KindergartenPlace => MeasureKind::KindergartenPlace,
        P::OtherInHome => MeasureKind::OtherInHome {
            description: description()?,
        },
        P::FosterHome => MeasureKind::FosterHome,
        P::Institution => MeasureKind::Institution,
        P::OtherOutOfHome => MeasureKind::OtherOutOfHome {
            description: description()?,
        },
        P::Unspecified => return Err(Error::invalid(kind_field, "is required")),
    })
}

fn plan(field: &str, plan: Option<&pb::Plan>) -> Result<MeasurePlan, Error> {
    let plan = common::required(field, plan)?;
    let mut fields = Fields::default();
    let goals = if plan.goals.is_empty() {
        fields.fail(format!("{field}.goals"), "must name at least one goal");
        None
    } else {
        fields.take(common::every(
            &format!("{field}.goals"),
            &plan.goals,
            |field, goal| common::long_text(field, goal),
        ))
    };
    let starts_on = fields.take(common::date(&format!("{field}.starts_on"), &plan.starts_on));
    let ends_on = fields.take(common::date(&format!("{field}.ends_on"), &plan.ends_on));
    if let (Some(starts_on), Some(ends_on)) = (starts_on, ends_on)
        && ends_on < starts_on
    {
        fields.fail(format!("{field}.ends_on"), "must not be before starts_on");
    }
    let responsible = fields.take(common::short_text(
        &format!("{field}.responsible"),
        &plan.responsible,
    ));
    let evaluate_on = fields.take(common::optional_date(
        &format!("{field}.evaluate_on"),
        &plan.evaluate_on,
    ));
    fields.done(|| {
        Some(MeasurePlan {
            goals: goals?,
            responsible: responsible?,
            starts_on: starts_on?,
            ends_on: ends_on?,
            evaluate_on: evaluate_on?,
        })
    })
}

fn number(field: &str, value: u32) -> Result<u32, Error> {
    if value == 0 {
        return Err(Error::invalid(field, "is required (numbers start at 1)"));
    }
    Ok(value)
}

fn emergency_kind(value: i32) -> Result<EmergencyDecisionKind, Error> {
    Ok(
        match common::enum_value::<pb::EmergencyKind>("kind", value)? {
            pb::EmergencyKind::Placement => EmergencyDecisionKind::Placement,
            pb::EmergencyKind::BehaviourInstitution => EmergencyDecisionKind::BehaviourInstitution,
            pb::EmergencyKind::Unspecified => return Err(Error::invalid("kind", "is required")),
        },
    )
}

fn visit_kind(value: i32) -> Result<domain::case::VisitKind, Error> {
    Ok(
        match common::enum_value::<pb::VisitKind>("visits", value)? {
            pb::VisitKind::FollowUp => domain::case::VisitKind::FollowUp,
            pb::VisitKind::Supervision => domain::case::VisitKind::Supervision,
            pb::VisitKind::Unspecified => return Err(Error::invalid("visits", "is required")),
        },
    )
}

fn plan_kind(value: i32) -> Result<domain::case::PlanKind, Error> {
    Ok(match common::enum_value::<pb::PlanKind>("kind", value)? {
        pb::PlanKind::EmergencyInvestigation => domain::case::PlanKind::EmergencyInvestigation,
        pb::PlanKind::PreliminaryCare => domain::case::PlanKind::PreliminaryCare,
        pb::PlanKind::Unspecified => return Err(Error::invalid("kind", "is required")),
    })
}

fn board_proposal(value: i32) -> Result<BoardProposalKind, Error> {
    Ok(
        match common::enum_value::<pb::BoardProposal>("proposal", value)? {
            pb::BoardProposal::CareOrder => BoardProposalKind::CareOrder,
            pb::BoardProposal::BehaviourInstitution => BoardProposalKind::BehaviourInstitution,
            pb::BoardProposal::Unspecified => {
                return Err(Error::invalid("proposal", "is required"));
            }
        },
    )
}

fn placement(value: i32) -> Result<CarePlacement, Error> {
    Ok(
        match common::enum_value::<pb::Placement>("placement", value)? {
            pb::Placement::FosterHome => CarePlacement::FosterHome,
            pb::Placement::Institution => CarePlacement::Institution,
            pb::Placement::Unspecified => return Err(Error::invalid("placement", "is required")),
        },
    )
}

handling::case_service! {
    impl MeasuresService for Measures {
        #[rpc = "StartMeasure"]
        fn start_measure(r: pb::StartMeasureRequest) {
            let mut fields = Fields::default();
            let measure = fields.take(measure("measure", r.measure.as_ref()));
            let plan = fields.take(plan("plan", r.plan.as_ref()));
            fields.done(|| {
                let (kind, in_family_network) = measure?;
                Some(CaseCommand::Measures(MeasureCommand::Start {
                    kind,
                    plan: plan?,
                    in_family_network,
                }))
            })
        }

        #[rpc = "EvaluateMeasure"]
        fn evaluate_measure(r: pb::EvaluateMeasureRequest) {
            let mut fields = Fields::default();
            let checklist = fields.take(common::required("checklist", r.checklist.as_ref()));
            let measure = fields.take(number("measure", r.measure));
            let assessment = fields.take(common::long_text("assessment", &r.assessment));
            fields.done(|| {
                let checklist = checklist?;
                Some(CaseCommand::Measures(MeasureCommand::Evaluate {
                    measure: measure?,
                    checklist: EvaluationChecklist {
                        carried_out_as_planned: checklist.carried_out_as_planned,
                        child_and_parents_felt_looked_after: checklist
                            .child_and_parents_felt_looked_after,
                        parents_followed_up: checklist.parents_followed_up,
                        could_have_been_done_otherwise: checklist.could_have_been_done_otherwise,
                        new_or_extended_measures_needed: checklist.new_or_extended_measures_needed,
                        goals_reached: checklist.goals_reached,
                    },
                    assessment: assessment?,
                }))
            })
        }

        #[rpc = "ExtendMeasure"]
        fn extend_measure(r: pb::ExtendMeasureRequest) {
            let mut fields = Fields::default();
            let measure = fields.take(number("measure", r.measure));
            let reasons = fields.take(common::long_text("reasons", &r.reasons));
            let plan = fields.take(plan("plan", r.plan.as_ref()));
            fields.done(|| {
                Some(CaseCommand::Measures(MeasureCommand::Extend {
                    measure: measure?,
                    reasons: reasons?,
                    plan: plan?,
                }))
            })
        }

        #[rpc = "ChangeMeasure"]
        fn change_measure(r: pb::ChangeMeasureRequest) {
            let mut fields = Fields::default();
            let new_measure = fields.take(measure("new_measure", r.new_measure.as_ref()));
            let measure = fields.take(number("measure", r.measure));
            let reasons = fields.take(common::long_text("reasons", &r.reasons));
            let plan = fields.take(plan("plan", r.plan.as_ref()));
            fields.done(|| {
                let (kind, in_family_network) = new_measure?;
                Some(CaseCommand::Measures(MeasureCommand::Change {
                    measure: measure?,
                    kind,
                    reasons: reasons?,
                    plan: plan?,
                    in_family_network,
                }))
            })
        }

        #[rpc = "EndMeasure"]
        fn end_measure(r: pb::EndMeasureRequest) {
            let mut fields = Fields::default();
            let measure = fields.take(number("measure", r.measure));
            let reasons = fields.take(common::long_text("reasons", &r.reasons));
            fields.done(|| {
                Some(CaseCommand::Measures(MeasureCommand::End {
                    measure: measure?,
                    reasons: reasons?,
                }))
            })
        }

        #[rpc = "MakeEmergencyDecision"]
        fn make_emergency_decision(r: pb::MakeEmergencyDecisionRequest) {
            let mut fields = Fields::default();
            let kind = fields.take(emergency_kind(r.kind));
            let grounds = fields.take(common::long_text("grounds", &r.grounds));
            fields.done(|| {
                Some(CaseCommand::Board(BoardCommand::MakeEmergencyDecision {
                    kind: kind?,
                    grounds: grounds?,
                    habitually_resident_abroad: r.habitually_resident_abroad,
                }))
            })
        }

        #[rpc = "RecordEmergencyRuling"]
        fn record_emergency_ruling(r: pb::RecordEmergencyRulingRequest) {
            let mut fields = Fields::default();
            let ruling = if r.approved {
                Some(EmergencyRuling::Approved)
            } else {
                fields
                    .take(common::long_text("refusal_reasons", &r.refusal_reasons))
                    .map(|reasons| EmergencyRuling::Refused { reasons })
            };
            let decision = fields.take(number("decision", r.decision));
            fields.done(|| {
                Some(CaseCommand::Board(BoardCommand::RecordEmergencyRuling {
                    decision: decision?,
                    ruling: ruling?,
                }))
            })
        }

        #[rpc = "SendEmergencyPetition"]
        fn send_emergency_petition(r: pb::SendEmergencyPetitionRequest) {
            Ok(CaseCommand::Board(BoardCommand::SendEmergencyPetition {
                decision: number("decision", r.decision)?,
            }))
        }

        #[rpc = "ProposeToBoard"]
        fn propose_to_board(r: pb::ProposeToBoardRequest) {
            let mut fields = Fields::default();
            let kind = fields.take(board_proposal(r.proposal));
            let grounds = fields.take(common::long_text("grounds", &r.grounds));
            fields.done(|| {
                Some(CaseCommand::Board(BoardCommand::Propose {
                    kind: kind?,
                    grounds: grounds?,
                }))
            })
        }

        #[rpc = "RecordBoardDecision"]
        fn record_board_decision(r: pb::RecordBoardDecisionRequest) {
            Ok(CaseCommand::Board(BoardCommand::RecordDecision {
                outcome: if r.granted {
                    BoardOutcome::Granted
                } else {
                    BoardOutcome::Rejected
                },
                decided_on: common::date("decided_on", &r.decided_on)?,
            }))
        }

        #[rpc = "MakeCarePlan"]
        fn make_care_plan(r: pb::MakeCarePlanRequest) {
            let mut fields = Fields::default();
            let placement = fields.take(placement(r.placement));
            if r.in_family_network
                && placement.is_some_and(|placement| placement != CarePlacement::FosterHome)
            {
                fields.fail("in_family_network", "applies only to PLACEMENT_FOSTER_HOME");
            }
            let placed_on = fields.take(common::date("placed_on", &r.placed_on));
            let plan = fields.take(common::long_text("plan", &r.plan));
            fields.done(|| {
                Some(CaseCommand::Board(BoardCommand::MakeCarePlan {
                    in_family_network: r.in_family_network,
                    placement: placement?,
                    placed_on: placed_on?,
                    plan: plan?,
                }))
            })
        }

        #[rpc = "MakePlan"]
        fn make_plan(r: pb::MakePlanRequest) {
            let mut fields = Fields::default();
            let kind = fields.take(plan_kind(r.kind));
            let made_on = fields.take(common::date("made_on", &r.made_on));
            let plan = fields.take(common::long_text("plan", &r.plan));
            fields.done(|| {
                Some(CaseCommand::Board(BoardCommand::MakePlan {
                    kind: kind?,
                    made_on: made_on?,
                    plan: plan?,
                }))
            })
        }

        #[rpc = "RecordCareOrderCarriedOut"]
        fn record_care_order_carried_out(r: pb::RecordCareOrderCarriedOutRequest) {
            Ok(CaseCommand::Board(
                BoardCommand::RecordCareOrderCarriedOut {
                    carried_out_on: common::date("carried_out_on", &r.carried_out_on)?,
                },
            ))
        }

        #[rpc = "ExtendCareOrderImplementation"]
        fn extend_care_order_implementation(r: pb::ExtendCareOrderImplementationRequest) {
            let mut fields = Fields::default();
            let to = fields.take(common::date("extended_to", &r.extended_to));
            let reason = fields.take(common::long_text("reason", &r.reason));
            fields.done(|| {
                Some(CaseCommand::Board(
                    BoardCommand::ExtendCareOrderImplementation {
                        to: to?,
                        reason: reason?,
                    },
                ))
            })
        }

        #[rpc = "RecordFollowUpVisit"]
        fn record_follow_up_visit(r: pb::RecordFollowUpVisitRequest) {
            Ok(CaseCommand::Board(BoardCommand::RecordFollowUpVisit {
                visited_on: common::date("visited_on", &r.visited_on)?,
            }))
        }

        #[rpc = "RecordSupervisionVisit"]
        fn record_supervision_visit(r: pb::RecordSupervisionVisitRequest) {
            Ok(CaseCommand::Board(BoardCommand::RecordSupervisionVisit {
                visited_on: common::date("visited_on", &r.visited_on)?,
            }))
        }

        #[rpc = "DecideVisitRate"]
        fn decide_visit_rate(r: pb::DecideVisitRateRequest) {
            let mut fields = Fields::default();
            let visits = fields.take(visit_kind(r.visits));
            let per_year = fields.take(
                u8::try_from(r.per_year).map_err(|_| Error::invalid("per_year", "must be 4 or 2")),
            );
            let reasons = fields.take(common::long_text("reasons", &r.reasons));
            fields.done(|| {
                Some(CaseCommand::Board(BoardCommand::DecideVisitRate {
                    visits: visits?,
                    per_year: per_year?,
                    reasons: reasons?,
                }))
            })
        }

        #[rpc = "CloseCase"]
        fn close_case(r: pb::CloseCaseRequest) {
            Ok(CaseCommand::Lifecycle(LifecycleCommand::Close {
                reasons: common::long_text("reasons", &r.reasons)?,
            }))
        }
    }
}
