//! `vern.feedback.v1.FeedbackService`: the letters the law owes a reporter (DOMAIN.md, "who
//! gets which letter"), and recording that they were sent.
//!
//! Which letters are owed depends on the report and on its children's cases (a conclusion
//! letter follows the case's investigation), so this service reads both. Listing the letters
//! owed across a municipality and rendering letter text need the letters read model, which
//! comes with the projections; until then those two RPCs answer UNIMPLEMENTED.

use api::common::v1::WriteResult;
use api::feedback::v1 as pb;
use api::feedback::v1::feedback_service_server::{FeedbackService, FeedbackServiceServer};
use domain::case::{CaseId, CaseState};
use domain::report::{LetterKind, RecordFeedbackLetterSent, ReportCommand, ReportId, ReportState};
use domain::{DomainError, letters};
use handling::principal::Principal;
use handling::{CaseStream, Error, Handler, ReportStream, convert as common};
use tonic::{Request, Response, Status};

#[derive(Clone)]
pub struct Feedback {
    handler: Handler,
}

impl Feedback {
    pub fn new(handler: Handler) -> Self {
        Self { handler }
    }

    pub fn server(handler: Handler) -> FeedbackServiceServer<Self> {
        FeedbackServiceServer::new(Self::new(handler))
    }

    /// The report and the cases its screening named.
    async fn load(&self, report_id: ReportId) -> Result<(ReportState, Vec<CaseState>), Error> {
        let (report, _) = self
            .handler
            .load::<ReportStream>(&report_id.stream_name())
            .await?;
        let Some(received) = report.report() else {
            return Err(Error::NotFound("report".into()));
        };
        let mut cases = Vec::new();
        if let Some(screening) = &received.screening {
            for child in &screening.children {
                let (case, _) = self
                    .handler
                    .load::<CaseStream>(&child.case.case_id().stream_name())
                    .await?;
                cases.push(case);
            }
        }
        Ok((report, cases))
    }

    async fn owed(
        &self,
        request: Request<pb::GetLettersOwedRequest>,
    ) -> Result<pb::LettersOwed, Error> {
        Principal::of(&request)?;
        let request = request.into_inner();
        let report_id = ReportId::new(common::id("report_id", &request.report_id)?);
        let as_of = match &request.as_of {
            Some(timestamp) => common::timestamp("as_of", timestamp)?,
            None => self.handler.now(),
        };
        let (report, cases) = self.load(report_id).await?;
        let owed = letters::letters_owed(&report, &cases, self.handler.rules(), as_of);
        Ok(pb::LettersOwed {
            letters: owed
                .into_iter()
                .map(|letter| pb::LetterOwed {
                    report_id: report_id.as_uuid().to_string(),
                    letter: Some(to_letter(letter.kind)),
                    due_on: letter.due.last_day.to_string(),
                    overdue: letter.breached,
                })
                .collect(),
        })
    }

    async fn mark_sent(
        &self,
        request: Request<pb::MarkLettersSentRequest>,
    ) -> Result<WriteResult, Error> {
        let principal = Principal::of(&request)?;
        let request = request.into_inner();
        let command_id = common::command_id(&request.command_id)?;
        let report_id = ReportId::new(common::id("report_id", &request.report_id)?);
        if request.letters.is_empty() {
            return Err(Error::invalid("letters", "must name at least one letter"));
        }
        let kinds = request
            .letters
            .iter()
            .enumerate()
            .map(|(index, letter)| from_letter(&format!("letters[{index}]"), letter))
            .collect::<Result<Vec<_>, _>>()?;
        // The report alone cannot tell whether a case's investigation has concluded: a
        // conclusion letter must be among the letters owed, which sees the cases too.
        if kinds
            .iter()
            .any(|kind| matches!(kind, LetterKind::Conclusion { .. }))
            && self
                .handler
                .store()
                .command_result(command_id)
                .await?
                .is_none()
        {
            let (report, cases) = self.load(report_id).await?;
            let owed =
                letters::letters_owed(&report, &cases, self.handler.rules(), self.handler.now());
            for kind in &kinds {
                if matches!(kind, LetterKind::Conclusion { .. })
                    && !owed.iter().any(|letter| letter.kind == *kind)
                    && !report.report().is_some_and(|r| r.has_sent(*kind))
                {
                    return Err(Error::Refused(DomainError::LetterNotOwed {
                        letter: kind.to_string(),
                    }));
                }
            }
        }
        let command =
            ReportCommand::RecordFeedbackLetterSent(RecordFeedbackLetterSent { letters: kinds });
        self.handler
            .execute_report(command_id, &principal.actor(), report_id, command)
            .await
    }
}

fn to_letter(kind: LetterKind) -> pb::Letter {
    match kind {
        LetterKind::Receipt => pb::Letter {
            kind: pb::LetterKind::Receipt as i32,
            case_id: String::new(),
        },
        LetterKind::InvestigationOutcome => pb::Letter {
            kind: pb::LetterKind::InvestigationOutcome as i32,
            case_id: String::new(),
        },
        LetterKind::Conclusion { case_id } => pb::Letter {
            kind: pb::LetterKind::Conclusion as i32,
            case_id: case_id.as_uuid().to_string(),
        },
    }
}

fn from_letter(field: &str, letter: &pb::Letter) -> Result<LetterKind, Error> {
    let kind_field = format!("{field}.kind");
    Ok(
        match common::enum_value::<pb::LetterKind>(&kind_field, letter.kind)? {
            pb::LetterKind::Receipt => LetterKind::Receipt,
            pb::LetterKind::InvestigationOutcome => LetterKind::InvestigationOutcome,
            pb::LetterKind::Conclusion => LetterKind::Conclusion {
                case_id: CaseId::new(common::id(&format!("{field}.case_id"), &letter.case_id)?),
            },
            pb::LetterKind::Unspecified => return Err(Error::invalid(kind_field, "is required")),
        },
    )
}

#[tonic::async_trait]
impl FeedbackService for Feedback {
    #[tracing::instrument(skip_all, fields(rpc = "GetLettersOwed"))]
    async fn get_letters_owed(
        &self,
        request: Request<pb::GetLettersOwedRequest>,
    ) -> Result<Response<pb::LettersOwed>, Status> {
        Ok(Response::new(self.owed(request).await?))
    }

    #[tracing::instrument(skip_all, fields(rpc = "ListLettersOwed"))]
    async fn list_letters_owed(
        &self,
        request: Request<pb::ListLettersOwedRequest>,
    ) -> Result<Response<pb::LettersOwed>, Status> {
        Principal::of(&request)?;
        Err(
            Error::Unimplemented("letters owed per municipality need the letters read model")
                .into(),
        )
    }

    #[tracing::instrument(skip_all, fields(rpc = "RenderLetter"))]
    async fn render_letter(
        &self,
        request: Request<pb::RenderLetterRequest>,
    ) -> Result<Response<pb::RenderedLetter>, Status> {
        Principal::of(&request)?;
        Err(Error::Unimplemented("letter text comes with the letters read model").into())
    }

    #[tracing::instrument(skip_all, fields(rpc = "MarkLettersSent"))]
    async fn mark_letters_sent(
        &self,
        request: Request<pb::MarkLettersSentRequest>,
    ) -> Result<Response<WriteResult>, Status> {
        Ok(Response::new(self.mark_sent(request).await?))
    }
}
