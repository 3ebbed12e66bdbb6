//! `vern.intake.v1.IntakeService`: reports of concern (meldinger) come in and are screened.
//!
//! A report is acknowledged only after its events are durably appended: the lesson of a case
//! system that confirmed portal reports it never stored. Screening writes the report and every
//! child's case in one atomic append, so a report is never screened without its cases.

mod convert;
pub mod digital;

use std::collections::BTreeMap;

use api::intake::v1 as pb;
use api::intake::v1::intake_service_server::{IntakeService, IntakeServiceServer};
use domain::Aggregate as _;
use domain::case::CaseStream;
use domain::report::{self, CaseAssignment, ReportCommand, ReportId, ReportState, ReportStream};
use domain::screening;
use handling::CommandKey;
use handling::audit::Subject;
use handling::convert::{self as common, Dated as _, Fields};
use handling::principal::Principal;
use handling::{Error, Handler, writes};
use tonic::{Request, Response, Status};

/// The intake service over a command handler.
#[derive(Clone)]
pub struct Intake {
    handler: Handler,
}

impl Intake {
    pub fn new(handler: Handler) -> Self {
        Self { handler }
    }

    pub fn server(handler: Handler) -> IntakeServiceServer<Self> {
        IntakeServiceServer::new(Self::new(handler))
    }

    async fn submit(
        &self,
        request: Request<pb::SubmitReportRequest>,
    ) -> Result<pb::SubmitReportResponse, Error> {
        let principal = Principal::of(&request)?;
        let mut fields = Fields::default();
        let key = fields.take(CommandKey::of(&request, &request.get_ref().command_id));
        let request = request.into_inner();
        let dating = fields.take(request.dating());
        let now = self.handler.now();
        let command = fields.take(convert::receive_report(request, &self.handler, now));
        let (key, command) = fields.done(|| Some((key?.dated(dating?), command?)))?;
        // Fixed by the command id, so a submission sent again names the same report and the
        // handler answers it with the first result (and nothing is looked up before).
        let report_id = ReportId::new(domain::values::derived_id(&[
            b"vern/submitted-report/",
            key.id.as_bytes(),
        ]));
        let command = command(report_id);
        let result = self
            .handler
            .execute_report(
                &key,
                &principal,
                report_id,
                ReportCommand::ReceiveReport(command),
            )
            .await?;
        // Debug, as every other command: the event and the call's span record it, and a busy
        // day (or the demo's seeding) should not be a line per report.
        tracing::debug!(report_id = %report_id.as_uuid(), "report received");
        Ok(pb::SubmitReportResponse {
            report_id: report_id.as_uuid().to_string(),
            result: Some(result),
        })
    }

    async fn screen(
        &self,
        request: Request<pb::ScreenReportRequest>,
    ) -> Result<pb::ScreenReportResponse, Error> {
        let principal = Principal::of(&request)?;
        let mut fields = Fields::default();
        let key = fields.take(CommandKey::of(&request, &request.get_ref().command_id));
        let request = request.into_inner();
        let report_id = fields.take(common::id("report_id", &request.report_id));
        let dating = fields.take(request.dating());
        let command_id = key.as_ref().map_or(uuid::Uuid::nil(), |key| key.id);
        let command = fields.take(convert::screen_report(&request, command_id, &self.handler));
        let (key, report_id, command) =
            fields.done(|| Some((key?.dated(dating?), ReportId::new(report_id?), command?)))?;
        let report_stream = report_id.stream_name();
        let result = self
            .handler
            .execute_many(
                &key,
                &principal,
                (ReportStream::NOUN, &report_stream),
                |now| {
                    let (principal, report_stream, command, key) =
                        (&principal, &report_stream, &command, &key);
                    async move {
                        let handler = &self.handler;
                        let (report_state, report_version) = handler
                            .load_reachable::<ReportStream>(principal, report_stream)
                            .await?;
                        let mut cases = BTreeMap::new();
                        let mut versions = BTreeMap::new();
                        for child in &command.children {
                            if let CaseAssignment::ExistingOpenCase(case_id) = child.case {
                                let (state, version) = handler
                                    .load_reachable::<CaseStream>(principal, &case_id.stream_name())
                                    .await?;
                                cases.insert(case_id, state);
                                versions.insert(case_id, version);
                            }
                        }
                        let context = handler.step_context(
                            key,
                            now,
                            std::iter::once(ReportStream::last_step_at(&report_state))
                                .chain(cases.values().map(CaseStream::last_step_at)),
                        )?;
                        let decision = screening::decide_screening(
                            &report_state,
                            command.clone(),
                            &cases,
                            &context,
                        )?;
                        let municipality = report_state.report().map(|r| r.municipality);
                        let mut streams = vec![writes(
                            report_stream,
                            report_version,
                            municipality,
                            &decision.report_events,
                        )?];
                        for (case_id, events) in &decision.case_events {
                            let version = versions.get(case_id).copied().unwrap_or(0);
                            streams.push(writes(
                                &case_id.stream_name(),
                                version,
                                municipality,
                                events,
                            )?);
                        }
                        Ok(streams)
                    }
                },
            )
            .await?;
        let (state, _) = self.handler.load::<ReportStream>(&report_stream).await?;
        Ok(pb::ScreenReportResponse {
            result: Some(common::write_result(&report_stream, &result)),
            cases: screened_cases(&state),
        })
    }

    async fn change_urgency(
        &self,
        request: Request<pb::ChangeReportUrgencyRequest>,
    ) -> Result<api::common::v1::WriteResult, Error> {
        let principal = Principal::of(&request)?;
        let mut fields = Fields::default();
        let key = fields.take(CommandKey::of(&request, &request.get_ref().command_id));
        let request = request.into_inner();
        let report_id = fields.take(common::id("report_id", &request.report_id));
        let urgency = fields.take(common::urgency("urgency", request.urgency));
        let reason = fields.take(common::long_text("reason", &request.reason));
        let dating = fields.take(request.dating());
        let (key, report_id, command) = fields.done(|| {
            Some((
                key?.dated(dating?),
                ReportId::new(report_id?),
                report::ChangeReportUrgency {
                    urgency: urgency?,
                    reason: reason?,
                },
            ))
        })?;
        self.handler
            .execute_report(
                &key,
                &principal,
                report_id,
                ReportCommand::ChangeReportUrgency(command),
            )
            .await
    }

    async fn assign(
        &self,
        request: Request<pb::AssignReportRequest>,
    ) -> Result<api::common::v1::WriteResult, Error> {
        let principal = Principal::of(&request)?;
        let mut fields = Fields::default();
        let key = fields.take(CommandKey::of(&request, &request.get_ref().command_id));
        let request = request.into_inner();
        let report_id = fields.take(common::id("report_id", &request.report_id));
        let assignee = fields.take(common::assignee(&request.team, &request.caseworker));
        let dating = fields.take(request.dating());
        let (key, report_id, assignee) =
            fields.done(|| Some((key?.dated(dating?), ReportId::new(report_id?), assignee?)))?;
        self.handler
            .execute_report(
                &key,
                &principal,
                report_id,
                ReportCommand::AssignReport(assignee),
            )
            .await
    }

    async fn import_digital(
        &self,
        request: Request<pb::ImportDigitalReportRequest>,
    ) -> Result<pb::ImportDigitalReportResponse, Error> {
        let principal = Principal::of(&request)?;
        let request = request.into_inner();
        let mut fields = Fields::default();
        if request.message_type.trim().is_empty() {
            fields.fail("message_type", "is required");
        }
        let message_id = match request.message_id.trim() {
            "" => Some(None),
            id => fields.take(common::id("message_id", id)).map(Some),
        };
        let urgency = match request.urgency {
            0 => Some(domain::values::Urgency::Yellow),
            value => fields.take(common::urgency("urgency", value)),
        };
        let (message_id, urgency) = fields.done(|| Some((message_id?, urgency?)))?;
        let imported = digital::import(
            &self.handler,
            &principal,
            digital::Delivery {
                message_type: request.message_type.trim(),
                message_id,
                body: &request.body,
                urgency,
            },
        )
        .await?;
        Ok(pb::ImportDigitalReportResponse {
            reply_message_type: imported.reply.message_type().to_owned(),
            reply_body: imported.reply.body().unwrap_or_default(),
            report_id: imported
                .report_id
                .map(|id| id.as_uuid().to_string())
                .unwrap_or_default(),
            result: imported.result,
            violations: imported
                .violations
                .into_iter()
                .map(|violation| pb::DocumentViolation {
                    path: violation.path,
                    reason: violation.reason,
                })
                .collect(),
            duplicate: imported.duplicate,
        })
    }

    async fn get(&self, request: Request<pb::GetReportRequest>) -> Result<pb::Report, Error> {
        let principal = Principal::of(&request)?;
        let mut fields = Fields::default();
        let report_id = fields.take(common::id("report_id", &request.get_ref().report_id));
        let purpose = fields.take(common::purpose("purpose", &request.get_ref().purpose));
        let (report_id, purpose) = fields.done(|| Some((ReportId::new(report_id?), purpose?)))?;
        let (state, version) = self
            .handler
            .audited(
                &principal,
                handling::audit::reads::GET_REPORT,
                Subject::Report(report_id.as_uuid()),
                purpose.as_deref(),
                self.handler
                    .load_reachable::<ReportStream>(&principal, &report_id.stream_name()),
            )
            .await?;
        let report = state.report().ok_or(Error::OutOfReach("report"))?;
        let (team, caseworker) = common::assignee_fields(report.assignee.as_ref());
        Ok(pb::Report {
            report_id: report_id.as_uuid().to_string(),
            version,
            municipality: report.municipality.as_str().to_owned(),
            received_at: Some(common::to_timestamp(report.received_at)),
            act: report.act.as_str().to_owned(),
            reporter_kind: match &report.reporter {
                domain::values::Reporter::Public { .. } => "PUBLIC",
                domain::values::Reporter::PrivateNamed { .. } => "PRIVATE_NAMED",
                domain::values::Reporter::PrivateAnonymous => "ANONYMOUS",
            }
            .to_owned(),
            children: u32::try_from(report.children.len()).unwrap_or(u32::MAX),
            concerns: report
                .concerns
                .iter()
                .map(|concern| convert::from_concern(*concern) as i32)
                .collect(),
            urgency: common::from_urgency(report.urgency) as i32,
            screened: report.screening.is_some(),
            cases: screened_cases(&state),
            letters_sent: report
                .letters_sent
                .iter()
                .map(|letter| letter.kind.to_string())
                .collect(),
            team,
            caseworker,
            reporter: handling::policy::sees_reporter(principal.role)
                .then(|| convert::reporter_identity(report))
                .flatten(),
        })
    }
}

fn screened_cases(state: &ReportState) -> Vec<pb::ScreenedCase> {
    let Some(screening) = state.report().and_then(|report| report.screening.as_ref()) else {
        return Vec::new();
    };
    screening
        .children
        .iter()
        .map(|child| pb::ScreenedCase {
            child_index: u32::try_from(child.child_index).unwrap_or(u32::MAX),
            case_id: child.case.case_id().as_uuid().to_string(),
            linked_to_existing_case: matches!(child.case, CaseAssignment::ExistingOpenCase(_)),
        })
        .collect()
}

#[tonic::async_trait]
impl IntakeService for Intake {
    #[tracing::instrument(skip_all, fields(rpc = "SubmitReport"))]
    async fn submit_report(
        &self,
        request: Request<pb::SubmitReportRequest>,
    ) -> Result<Response<pb::SubmitReportResponse>, Status> {
        Ok(Response::new(self.submit(request).await?))
    }

    #[tracing::instrument(skip_all, fields(rpc = "ScreenReport"))]
    async fn screen_report(
        &self,
        request: Request<pb::ScreenReportRequest>,
    ) -> Result<Response<pb::ScreenReportResponse>, Status> {
        Ok(Response::new(self.screen(request).await?))
    }

    #[tracing::instrument(skip_all, fields(rpc = "AssignReport"))]
    async fn assign_report(
        &self,
        request: Request<pb::AssignReportRequest>,
    ) -> Result<Response<api::common::v1::WriteResult>, Status> {
        Ok(Response::new(self.assign(request).await?))
    }

    #[tracing::instrument(skip_all, fields(rpc = "ChangeReportUrgency"))]
    async fn change_report_urgency(
        &self,
        request: Request<pb::ChangeReportUrgencyRequest>,
    ) -> Result<Response<api::common::v1::WriteResult>, Status> {
        Ok(Response::new(self.change_urgency(request).await?))
    }

    #[tracing::instrument(skip_all, fields(rpc = "ImportDigitalReport"))]
    async fn import_digital_report(
        &self,
        request: Request<pb::ImportDigitalReportRequest>,
    ) -> Result<Response<pb::ImportDigitalReportResponse>, Status> {
        Ok(Response::new(self.import_digital(request).await?))
    }

    #[tracing::instrument(skip_all, fields(rpc = "GetReport"))]
    async fn get_report(
        &self,
        request: Request<pb::GetReportRequest>,
    ) -> Result<Response<pb::Report>, Status> {
        Ok(Response::new(self.get(request).await?))
    }
}
