//! `vern.investigation.v1.InvestigationService`: the investigation (undersøkelse) of a child's
//! case, from its plan through activities, consultations with police and Statens barnehus,
//! forensic interviews and reports to the police, to its conclusion.
//!
//! Every RPC is a case command: converted here (each error naming its field), decided by the
//! domain, appended by the shared handler.

use api::common::v1::WriteResult;
use api::investigation::v1 as pb;
use api::investigation::v1::investigation_service_server::{
    InvestigationService, InvestigationServiceServer,
};
use domain::case::{
    ActivityKind, AssessmentTool, BoardProposalKind, CaseCommand, CaseId, CaseStream,
    ConclusionOutcome, ConsultationOutcome, ConsultationPartner, ForensicInterviewOutcome,
    InvestigationCommand, InvestigationPlan, LifecycleCommand,
};
use handling::convert::{self as common, Fields};
use handling::principal::Principal;
use handling::{Error, Handler};
use tonic::{Request, Response, Status};

#[derive(Clone)]
pub struct Investigation {
    handler: Handler,
}

impl Investigation {
    pub fn new(handler: Handler) -> Self {
        Self { handler }
    }

    pub fn server(handler: Handler) -> InvestigationServiceServer<Self> {
        InvestigationServiceServer::new(Self::new(handler))
    }

    async fn get(&self, request: Request<pb::GetCaseRequest>) -> Result<pb::Case, Error> {
        let principal = Principal::of(&request)?;
        let mut fields = Fields::default();
        let case_id = fields.take(common::id("case_id", &request.get_ref().case_id));
        let purpose = fields.take(common::purpose("purpose", &request.get_ref().purpose));
        let (case_id, purpose) = fields.done(|| Some((CaseId::new(case_id?), purpose?)))?;
        let (state, version) = self
            .handler
            .audited(
                &principal,
                handling::audit::reads::GET_CASE,
                handling::audit::Subject::Case(case_id.as_uuid()),
                purpose.as_deref(),
                self.handler
                    .load_reachable::<CaseStream>(&principal, &case_id.stream_name()),
            )
            .await?;
        let case = state.case().ok_or(Error::OutOfReach("case"))?;
        let investigation = match case.investigations.last() {
            None => "NONE",
            Some(investigation) if investigation.conclusion.is_some() => "CONCLUDED",
            Some(investigation) if investigation.plan.is_some() => "STARTED",
            Some(_) => "OPENED",
        };
        let (team, caseworker) = common::assignee_fields(case.assignee.as_ref());
        Ok(pb::Case {
            case_id: case_id.as_uuid().to_string(),
            version,
            municipality: case.municipality.as_str().to_owned(),
            urgency: common::from_urgency(case.urgency) as i32,
            status: if case.closed.is_some() {
                "CLOSED"
            } else {
                "OPEN"
            }
            .to_owned(),
            report_ids: case
                .reports
                .iter()
                .map(|linked| linked.report.report_id.as_uuid().to_string())
                .collect(),
            investigation: investigation.to_owned(),
            active_measures: u32::try_from(case.measures.iter().filter(|m| m.is_active()).count())
                .unwrap_or(u32::MAX),
            team,
            caseworker,
        })
    }
}

fn activity(field: &str, activity: &pb::Activity) -> Result<ActivityKind, Error> {
    use pb::ActivityKind as P;
    Ok(
        match common::enum_value::<P>(&format!("{field}.kind"), activity.kind)? {
            P::StartUpMeeting => ActivityKind::StartUpMeeting,
            P::GatheringInformation => ActivityKind::GatheringInformation,
            P::ConversationWithChild => ActivityKind::ConversationWithChild,
            P::ConversationWithParents => ActivityKind::ConversationWithParents,
            P::HomeVisit => ActivityKind::HomeVisit,
            P::SummaryMeeting => ActivityKind::SummaryMeeting,
            P::AssessmentTool => ActivityKind::AssessmentTool(tool(field, activity)?),
            P::Unspecified => return Err(Error::invalid(format!("{field}.kind"), "is required")),
        },
    )
}

fn tool(field: &str, activity: &pb::Activity) -> Result<AssessmentTool, Error> {
    use pb::AssessmentTool as P;
    let tool_field = format!("{field}.tool");
    Ok(match common::enum_value::<P>(&tool_field, activity.tool)? {
        P::Asq => AssessmentTool::Asq,
        P::AsqSe => AssessmentTool::AsqSe,
        P::Dcm => AssessmentTool::Dcm,
        P::Wmci => AssessmentTool::Wmci,
        P::Crowell => AssessmentTool::Crowell,
        P::StrangeSituation => AssessmentTool::StrangeSituation,
        P::NetworkMeeting => AssessmentTool::NetworkMeeting,
        P::Other => AssessmentTool::Other {
            name: common::short_text(&format!("{field}.other_tool"), &activity.other_tool)?,
        },
        P::Unspecified => return Err(Error::invalid(tool_field, "is required")),
    })
}

fn activities(field: &str, activities: &[pb::Activity]) -> Result<Vec<ActivityKind>, Error> {
    common::every(field, activities, activity)
}

fn partner(field: &str, value: i32) -> Result<ConsultationPartner, Error> {
    Ok(match common::enum_value::<pb::Partner>(field, value)? {
        pb::Partner::Police => ConsultationPartner::Police,
        pb::Partner::Barnehus => ConsultationPartner::Barnehus,
        pb::Partner::Unspecified => return Err(Error::invalid(field, "is required")),
    })
}

fn conclusion(request: &pb::ConcludeInvestigationRequest) -> Result<ConclusionOutcome, Error> {
    use pb::ConclusionOutcome as P;
    Ok(match common::enum_value::<P>("outcome", request.outcome)? {
        P::MeasuresDecided => ConclusionOutcome::MeasuresDecided,
        P::PetitionToBoard => ConclusionOutcome::PetitionToBoard {
            proposal: match common::enum_value::<pb::BoardProposalKind>(
                "proposal",
                request.proposal,
            )? {
                pb::BoardProposalKind::CareOrder => BoardProposalKind::CareOrder,
                pb::BoardProposalKind::BehaviourInstitution => {
                    BoardProposalKind::BehaviourInstitution
                }
                pb::BoardProposalKind::Unspecified => {
                    return Err(Error::invalid("proposal", "is required"));
                }
            },
        },
        P::DismissedOnAssessment => ConclusionOutcome::DismissedOnAssessment,
        P::DismissedPartiesDeclined => ConclusionOutcome::DismissedPartiesDeclined,
        P::DismissedFamilyMoved => ConclusionOutcome::DismissedFamilyMoved {
            new_municipality: None,
            new_municipality_notified: request.new_municipality_notified,
            moved_abroad: request.moved_abroad,
        },
        P::DismissedAfterReferral => ConclusionOutcome::DismissedAfterReferral,
        P::Unspecified => return Err(Error::invalid("outcome", "is required")),
    })
}

handling::case_service! {
    impl InvestigationService for Investigation {
        #[rpc = "StartInvestigation"]
        fn start_investigation(r: pb::StartInvestigationRequest) {
            let mut fields = Fields::default();
            let themes = fields.take(common::long_text("themes", &r.themes));
            let planned_activities =
                fields.take(activities("planned_activities", &r.planned_activities));
            fields.done(|| {
                Some(CaseCommand::Investigation(InvestigationCommand::Start {
                    plan: InvestigationPlan {
                        themes: themes?,
                        planned_activities: planned_activities?,
                    },
                }))
            })
        }

        #[rpc = "RecordActivity"]
        fn record_activity(r: pb::RecordActivityRequest) {
            let mut fields = Fields::default();
            let activity = fields.take(
                common::required("activity", r.activity.as_ref())
                    .and_then(|value| activity("activity", value)),
            );
            let held_on = fields.take(common::date("held_on", &r.held_on));
            let summary = fields.take(common::long_text("summary", &r.summary));
            fields.done(|| {
                Some(CaseCommand::Investigation(
                    InvestigationCommand::RecordActivity {
                        activity: activity?,
                        held_on: held_on?,
                        summary: summary?,
                    },
                ))
            })
        }

        #[rpc = "ExtendDeadline"]
        fn extend_deadline(r: pb::ExtendDeadlineRequest) {
            let mut fields = Fields::default();
            if r.to_months == 0 {
                fields.fail("to_months", "is required");
            }
            let reason = fields.take(common::long_text("reason", &r.reason));
            fields.done(|| {
                Some(CaseCommand::Investigation(
                    InvestigationCommand::ExtendDeadline {
                        to_months: r.to_months,
                        reason: reason?,
                    },
                ))
            })
        }

        #[rpc = "RecordConsultation"]
        fn record_consultation(r: pb::RecordConsultationRequest) {
            let mut fields = Fields::default();
            let partners = if r.partners.is_empty() {
                fields.fail("partners", "must name the police, Statens barnehus or both");
                None
            } else {
                fields.take(common::every("partners", &r.partners, |field, value| {
                    partner(field, *value)
                }))
            };
            let held_on = fields.take(common::date("held_on", &r.held_on));
            let summary = fields.take(common::long_text("summary", &r.summary));
            fields.done(|| {
                Some(CaseCommand::Investigation(
                    InvestigationCommand::HoldConsultation {
                        partners: partners?,
                        held_on: held_on?,
                        outcome: ConsultationOutcome {
                            forensic_interview_planned: r.forensic_interview_planned,
                            report_to_police_advised: r.report_to_police_advised,
                            protective_measures_needed: r.protective_measures_needed,
                            summary: summary?,
                        },
                    },
                ))
            })
        }

        #[rpc = "ReportToPolice"]
        fn report_to_police(r: pb::ReportToPoliceRequest) {
            Ok(CaseCommand::Investigation(
                InvestigationCommand::ReportToPolice {
                    grounds: common::long_text("grounds", &r.grounds)?,
                },
            ))
        }

        #[rpc = "ChangeCaseUrgency"]
        fn change_case_urgency(r: pb::ChangeCaseUrgencyRequest) {
            let mut fields = Fields::default();
            let urgency = fields.take(common::urgency("urgency", r.urgency));
            let reason = fields.take(common::long_text("reason", &r.reason));
            fields.done(|| {
                Some(CaseCommand::Lifecycle(LifecycleCommand::ChangeUrgency {
                    urgency: urgency?,
                    reason: reason?,
                }))
            })
        }

        #[rpc = "AssignCase"]
        fn assign_case(r: pb::AssignCaseRequest) {
            Ok(CaseCommand::Lifecycle(LifecycleCommand::Assign {
                assignee: common::assignee(&r.team, &r.caseworker)?,
            }))
        }

        #[rpc = "RecordForensicInterview"]
        fn record_forensic_interview(r: pb::RecordForensicInterviewRequest) {
            use pb::record_forensic_interview_request::Outcome;
            let outcome = match r.outcome.as_ref() {
                None => {
                    return Err(Error::invalid(
                        "outcome",
                        "is required: held, postponed or not_held",
                    ));
                }
                Some(Outcome::Held(held)) => ForensicInterviewOutcome::Held {
                    held_on: common::date("held.held_on", &held.held_on)?,
                },
                Some(Outcome::Postponed(postponed)) => {
                    let mut fields = Fields::default();
                    let to = fields.take(common::date("postponed.to", &postponed.to));
                    let reason =
                        fields.take(common::long_text("postponed.reason", &postponed.reason));
                    fields.done(|| {
                        Some(ForensicInterviewOutcome::Postponed {
                            to: to?,
                            reason: reason?,
                        })
                    })?
                }
                Some(Outcome::NotHeld(not_held)) => ForensicInterviewOutcome::NotHeld {
                    reason: common::long_text("not_held.reason", &not_held.reason)?,
                },
            };
            Ok(CaseCommand::Investigation(
                InvestigationCommand::RecordForensicInterview { outcome },
            ))
        }
    }

    #[tracing::instrument(skip_all, fields(rpc = "ConcludeInvestigation"))]
    async fn conclude_investigation(
        &self,
        request: Request<pb::ConcludeInvestigationRequest>,
    ) -> Result<Response<WriteResult>, Status> {
        let handler = self.handler.clone();
        self.handler
            .case_rpc(
                request,
                |r| (&r.command_id, &r.case_id),
                |r| {
                    let mut fields = Fields::default();
                    let mut outcome = fields.take(conclusion(r));
                    if let Some(ConclusionOutcome::DismissedFamilyMoved {
                        new_municipality, ..
                    }) = &mut outcome
                        && !r.new_municipality.trim().is_empty()
                    {
                        // None when bad, its violation kept: the command is then not built.
                        *new_municipality = fields.take(common::municipality_on(
                            "new_municipality",
                            &r.new_municipality,
                            handler.municipalities(),
                            common::step_day(r.decided_at.as_ref(), handler.now()),
                        ));
                    }
                    let today = common::step_day(r.decided_at.as_ref(), handler.now());
                    let grounds =
                        fields.take(common::case_content_codes("grounds", &r.grounds, today));
                    let reasons = fields.take(common::long_text("reasons", &r.reasons));
                    fields.done(|| {
                        Some(CaseCommand::Investigation(InvestigationCommand::Conclude {
                            grounds: grounds?,
                            outcome: outcome?,
                            reasons: reasons?,
                        }))
                    })
                },
            )
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "GetCase"))]
    async fn get_case(
        &self,
        request: Request<pb::GetCaseRequest>,
    ) -> Result<Response<pb::Case>, Status> {
        Ok(Response::new(self.get(request).await?))
    }
}
