//! `vern.partner.v1.PartnerService`: consultations (samråd) with the police and Statens
//! barnehus, for the service's staff who invite and close, and for the invited partners.
//!
//! A partner reaches a consultation only while it is open, only if invited, and only for a
//! municipality its token serves; otherwise it is refused in the words used for a case that
//! does not exist. What it may see is fixed by the messages: `Consultation` has fields for the
//! child, the concern categories, the meeting and the decisions asked, and for nothing else
//! of the case. Each partner step is a case command (`domain::partner`), appended by the shared
//! handler; a partner's read is in the read audit like any other.

use api::common::v1::WriteResult;
use api::partner::v1 as pb;
use api::partner::v1::partner_service_server::{PartnerService, PartnerServiceServer};
use domain::case::{Case, CaseCommand, CaseId, CaseStream, ConsultationPartner};
use domain::partner::{DecisionAsked, InterviewDecision, Invitation, PartnerCommand};
use domain::report::ReportStream;
use domain::values::ChildIdentity;
use handling::CommandKey;
use handling::convert::{self as common, Fields};
use handling::principal::Principal;
use handling::{Error, Handler};
use tonic::{Request, Response, Status};

#[derive(Clone)]
pub struct Partners {
    handler: Handler,
}

/// The partner a token speaks for, from its role.
fn partner_of(principal: &Principal) -> Result<ConsultationPartner, Error> {
    match principal.role {
        handling::policy::Role::Police => Ok(ConsultationPartner::Police),
        handling::policy::Role::Barnehus => Ok(ConsultationPartner::Barnehus),
        _ => Err(Error::Denied(
            "only the police and Statens barnehus take part as partners".into(),
        )),
    }
}

fn partner(field: &str, value: i32) -> Result<ConsultationPartner, Error> {
    Ok(match common::enum_value::<pb::Partner>(field, value)? {
        pb::Partner::Police => ConsultationPartner::Police,
        pb::Partner::Barnehus => ConsultationPartner::Barnehus,
        pb::Partner::Unspecified => return Err(Error::invalid(field, "is required")),
    })
}

fn to_partner(partner: ConsultationPartner) -> pb::Partner {
    match partner {
        ConsultationPartner::Police => pb::Partner::Police,
        ConsultationPartner::Barnehus => pb::Partner::Barnehus,
    }
}

fn decision(field: &str, value: i32) -> Result<DecisionAsked, Error> {
    Ok(match common::enum_value::<pb::Decision>(field, value)? {
        pb::Decision::ForensicInterview => DecisionAsked::ForensicInterview,
        pb::Decision::PoliceReport => DecisionAsked::PoliceReport,
        pb::Decision::Unspecified => return Err(Error::invalid(field, "is required")),
    })
}

fn to_decision(decision: DecisionAsked) -> pb::Decision {
    match decision {
        DecisionAsked::ForensicInterview => pb::Decision::ForensicInterview,
        DecisionAsked::PoliceReport => pb::Decision::PoliceReport,
    }
}

/// Consultation numbers start at 1.
fn consultation_number(value: u32) -> Result<u32, Error> {
    if value == 0 {
        return Err(Error::invalid(
            "consultation",
            "is required (numbers start at 1)",
        ));
    }
    Ok(value)
}

impl Partners {
    pub fn new(handler: Handler) -> Self {
        Self { handler }
    }

    pub fn server(handler: Handler) -> PartnerServiceServer<Self> {
        PartnerServiceServer::new(Self::new(handler))
    }

    /// The case and its consultation `number`, if `principal` may see it as `partner`: a case
    /// of a municipality it serves, the consultation open and the partner invited. Anything
    /// else is the one refusal.
    async fn visible(
        &self,
        principal: &Principal,
        partner: ConsultationPartner,
        case_id: CaseId,
        number: u32,
    ) -> Result<(Case, Invitation), Error> {
        let (state, _) = self
            .handler
            .load_reachable::<CaseStream>(principal, &case_id.stream_name())
            .await
            .map_err(|error| match error {
                Error::OutOfReach(_) => Error::OutOfReach("consultation"),
                other => other,
            })?;
        let domain::case::CaseState::Opened(case) = state else {
            return Err(Error::OutOfReach("consultation"));
        };
        let invitation = number
            .checked_sub(1)
            .and_then(|index| case.invitations.get(index as usize))
            .filter(|invitation| invitation.is_open() && invitation.invites(partner))
            .cloned()
            .ok_or(Error::OutOfReach("consultation"))?;
        Ok((case, invitation))
    }

    async fn invite(
        &self,
        request: Request<pb::InviteToConsultationRequest>,
    ) -> Result<pb::Invited, Error> {
        let principal = Principal::of(&request)?;
        let mut fields = Fields::default();
        let key = fields.take(CommandKey::of(&request, &request.get_ref().command_id));
        let request = request.into_inner();
        let case_id = fields.take(common::case_id(&request.case_id));
        let partners = fields.take(common::every(
            "partners",
            &request.partners,
            |field, value| partner(field, *value),
        ));
        let decisions_asked = fields.take(common::every(
            "decisions_asked",
            &request.decisions_asked,
            |field, value| decision(field, *value),
        ));
        let meeting_at = fields.take(
            common::required("meeting_at", request.meeting_at.as_ref())
                .and_then(|meeting_at| common::timestamp("meeting_at", meeting_at)),
        );
        let place = fields.take(common::short_text("place", &request.place));
        let (key, case_id, command) = fields.done(|| {
            Some((
                key?,
                case_id?,
                PartnerCommand::Invite {
                    partners: partners?,
                    meeting_at: meeting_at?,
                    place: place?,
                    decisions_asked: decisions_asked?,
                },
            ))
        })?;
        let result = self
            .handler
            .execute_case(&key, &principal, case_id, CaseCommand::Partner(command))
            .await?;
        // The number is the one the invitation event got: read back at the version written,
        // so a replay answers with the same number.
        let event = self
            .handler
            .store()
            .read_stream(&result.stream_id, result.version, 1)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| Error::Internal("the invitation's event is not in the stream".into()))?;
        // Another event there: the id was first sent with another command on this case.
        let consultation = event
            .payload
            .get("consultation")
            .and_then(serde_json::Value::as_u64)
            .and_then(|number| u32::try_from(number).ok())
            .filter(|_| event.event_type == "PartnersInvitedToConsultation")
            .ok_or_else(Error::command_id_reused)?;
        Ok(pb::Invited {
            consultation,
            result: Some(result),
        })
    }

    async fn close(
        &self,
        request: Request<pb::CloseConsultationRequest>,
    ) -> Result<WriteResult, Error> {
        let principal = Principal::of(&request)?;
        let mut fields = Fields::default();
        let key = fields.take(CommandKey::of(&request, &request.get_ref().command_id));
        let request = request.into_inner();
        let case_id = fields.take(common::case_id(&request.case_id));
        let consultation = fields.take(consultation_number(request.consultation));
        let (key, case_id, consultation) = fields.done(|| Some((key?, case_id?, consultation?)))?;
        self.handler
            .execute_case(
                &key,
                &principal,
                case_id,
                CaseCommand::Partner(PartnerCommand::Close { consultation }),
            )
            .await
    }

    async fn get(
        &self,
        request: Request<pb::GetConsultationRequest>,
    ) -> Result<pb::Consultation, Error> {
        let principal = Principal::of(&request)?;
        let partner = partner_of(&principal)?;
        let request = request.into_inner();
        let mut fields = Fields::default();
        let case_id = fields.take(common::id("case_id", &request.case_id));
        let number = fields.take(consultation_number(request.consultation));
        let (case_id, number) = fields.done(|| Some((CaseId::new(case_id?), number?)))?;
        let (case, invitation) = self
            .handler
            .audited(
                &principal,
                handling::audit::reads::GET_CONSULTATION,
                handling::audit::Subject::Case(case_id.as_uuid()),
                None,
                self.visible(&principal, partner, case_id, number),
            )
            .await?;
        let (child_name, concerns) = self.child_and_concerns(&case).await?;
        let child_birth_date = match &case.child {
            ChildIdentity::Number(number) => number.birth_date().to_string(),
            ChildIdentity::NameAndBirthDate { birth_date, .. } => birth_date.to_string(),
            ChildIdentity::Unborn { .. } | ChildIdentity::Unidentified { .. } => String::new(),
        };
        Ok(pb::Consultation {
            case_id: case_id.as_uuid().to_string(),
            consultation: number,
            child_name,
            child_birth_date,
            concerns,
            meeting_at: Some(common::to_timestamp(invitation.meeting_at)),
            place: invitation.place.as_str().to_owned(),
            decisions_asked: invitation
                .decisions_asked
                .iter()
                .map(|decision| to_decision(*decision) as i32)
                .collect(),
            partners_invited: invitation
                .partners
                .iter()
                .map(|partner| to_partner(*partner) as i32)
                .collect(),
            attending: invitation
                .attendance
                .iter()
                .find(|(who, _)| *who == partner)
                .map(|(_, attending)| *attending),
        })
    }

    /// The child's name as a report gave it, and the concern categories of the case's
    /// reports, upper case (VIOLENCE, SEXUAL_ABUSE).
    async fn child_and_concerns(&self, case: &Case) -> Result<(String, Vec<String>), Error> {
        let mut name = match &case.child {
            ChildIdentity::NameAndBirthDate { name, .. }
            | ChildIdentity::Unidentified { name, .. } => Some(name.as_str().to_owned()),
            ChildIdentity::Number(_) | ChildIdentity::Unborn { .. } => None,
        };
        let mut concerns = Vec::new();
        for linked in &case.reports {
            let (state, _) = self
                .handler
                .load::<ReportStream>(&linked.report.report_id.stream_name())
                .await?;
            let Some(report) = state.report() else {
                continue;
            };
            for concern in &report.concerns {
                let concern = concern.as_str().to_uppercase();
                if !concerns.contains(&concern) {
                    concerns.push(concern);
                }
            }
            if name.is_none()
                && let Some(index) = report
                    .children
                    .iter()
                    .position(|child| *child == case.child)
            {
                name = report
                    .details
                    .as_ref()
                    .and_then(|details| details.children.get(index))
                    .and_then(|child| child.name.as_ref())
                    .map(|name| name.as_str().to_owned());
            }
        }
        Ok((name.unwrap_or_default(), concerns))
    }

    /// A partner's step on a consultation it may see.
    async fn record<R: prost::Message>(
        &self,
        request: Request<R>,
        ids: impl FnOnce(&R) -> (&str, &str, u32),
        step: impl FnOnce(&R, ConsultationPartner, u32) -> Result<PartnerCommand, Error>,
    ) -> Result<pb::Recorded, Error> {
        let principal = Principal::of(&request)?;
        let partner = partner_of(&principal)?;
        let mut fields = Fields::default();
        let (key, case_id, sent_number, number) = {
            let (command_id, case_id, number) = ids(request.get_ref());
            (
                fields.take(CommandKey::of(&request, command_id)),
                fields.take(common::case_id(case_id)),
                number,
                fields.take(consultation_number(number)),
            )
        };
        let request = request.into_inner();
        // Built from the number as sent, so the step's own bad fields are named even when the
        // number is bad; a command with a bad number is never run.
        let command = fields.take(step(&request, partner, sent_number));
        let (key, case_id, number, command) =
            fields.done(|| Some((key?, case_id?, number?, command?)))?;
        // A replay answers as the first time, even after the consultation closed.
        if self
            .handler
            .store()
            .command_result(key.id, Some(&key.fingerprint))
            .await?
            .is_none()
        {
            self.visible(&principal, partner, case_id, number).await?;
        }
        let result = self
            .handler
            .execute_case(&key, &principal, case_id, CaseCommand::Partner(command))
            .await?;
        Ok(pb::Recorded {
            replayed: result.replayed,
        })
    }
}

#[tonic::async_trait]
impl PartnerService for Partners {
    #[tracing::instrument(skip_all, fields(rpc = "InviteToConsultation"))]
    async fn invite_to_consultation(
        &self,
        request: Request<pb::InviteToConsultationRequest>,
    ) -> Result<Response<pb::Invited>, Status> {
        Ok(Response::new(self.invite(request).await?))
    }

    #[tracing::instrument(skip_all, fields(rpc = "CloseConsultation"))]
    async fn close_consultation(
        &self,
        request: Request<pb::CloseConsultationRequest>,
    ) -> Result<Response<WriteResult>, Status> {
        Ok(Response::new(self.close(request).await?))
    }

    #[tracing::instrument(skip_all, fields(rpc = "GetConsultation"))]
    async fn get_consultation(
        &self,
        request: Request<pb::GetConsultationRequest>,
    ) -> Result<Response<pb::Consultation>, Status> {
        Ok(Response::new(self.get(request).await?))
    }

    #[tracing::instrument(skip_all, fields(rpc = "RecordAttendance"))]
    async fn record_attendance(
        &self,
        request: Request<pb::RecordAttendanceRequest>,
    ) -> Result<Response<pb::Recorded>, Status> {
        let recorded = self
            .record(
                request,
                |r| (&r.command_id, &r.case_id, r.consultation),
                |r, partner, consultation| {
                    Ok(PartnerCommand::RecordAttendance {
                        consultation,
                        partner,
                        attending: r.attending,
                    })
                },
            )
            .await?;
        Ok(Response::new(recorded))
    }

    #[tracing::instrument(skip_all, fields(rpc = "RecordForensicInterviewDecision"))]
    async fn record_forensic_interview_decision(
        &self,
        request: Request<pb::RecordForensicInterviewDecisionRequest>,
    ) -> Result<Response<pb::Recorded>, Status> {
        use pb::record_forensic_interview_decision_request::Decision as D;
        let recorded = self
            .record(
                request,
                |r| (&r.command_id, &r.case_id, r.consultation),
                |r, partner, consultation| {
                    let decision = match common::required("decision", r.decision.as_ref())? {
                        D::ToBeHeld(held) => InterviewDecision::ToBeHeld {
                            on: common::date("to_be_held.on", &held.on)?,
                        },
                        D::Postponed(postponed) => {
                            let mut fields = Fields::default();
                            let to = fields.take(common::date("postponed.to", &postponed.to));
                            let reason = fields
                                .take(common::long_text("postponed.reason", &postponed.reason));
                            fields.done(|| {
                                Some(InterviewDecision::Postponed {
                                    to: to?,
                                    reason: reason?,
                                })
                            })?
                        }
                        D::NotHeld(not_held) => InterviewDecision::NotHeld {
                            reason: common::long_text("not_held.reason", &not_held.reason)?,
                        },
                    };
                    Ok(PartnerCommand::DecideInterview {
                        consultation,
                        partner,
                        decision,
                    })
                },
            )
            .await?;
        Ok(Response::new(recorded))
    }

    #[tracing::instrument(skip_all, fields(rpc = "RecordPoliceReportDecision"))]
    async fn record_police_report_decision(
        &self,
        request: Request<pb::RecordPoliceReportDecisionRequest>,
    ) -> Result<Response<pb::Recorded>, Status> {
        let recorded = self
            .record(
                request,
                |r| (&r.command_id, &r.case_id, r.consultation),
                |r, _, consultation| {
                    Ok(PartnerCommand::DecidePoliceReport {
                        consultation,
                        filed: r.filed,
                    })
                },
            )
            .await?;
        Ok(Response::new(recorded))
    }
}
