//! `vern.feedback.v1.FeedbackService`: the letters the law owes a reporter (DOMAIN.md, "who
//! gets which letter"), and recording that they were sent.
//!
//! Which letters are owed depends on the report and on its children's cases (a conclusion
//! letter follows the case's investigation), so this service reads both for one report. The
//! list across municipalities comes from the worklist read model, where letters are deadlines
//! like any other. Letter text is composed in `letter` from only what a letter may disclose.

mod letter;

use api::common::v1::WriteResult;
use api::feedback::v1 as pb;
use api::feedback::v1::feedback_service_server::{FeedbackService, FeedbackServiceServer};
use domain::case::{CaseId, CaseState, CaseStream};
use domain::report::{
    LetterKind, RecordFeedbackLetterSent, ReportCommand, ReportId, ReportState, ReportStream,
};
use domain::values::ChildIdentity;
use domain::{DomainError, calendar, letters};
use handling::CommandKey;
use handling::convert::{self as common, Dated as _, Fields};
use handling::principal::Principal;
use handling::{Error, Handler};
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

    /// The report, if `principal` may reach it, and the cases its screening named; a read
    /// through `method`, recorded in the read audit.
    async fn read(
        &self,
        principal: &Principal,
        method: &str,
        report_id: ReportId,
    ) -> Result<(ReportState, Vec<CaseState>), Error> {
        self.handler
            .audited(
                principal,
                method,
                handling::audit::Subject::Report(report_id.as_uuid()),
                None,
                self.load(principal, report_id),
            )
            .await
    }

    /// The report, if `principal` may reach it, and the cases its screening named.
    async fn load(
        &self,
        principal: &Principal,
        report_id: ReportId,
    ) -> Result<(ReportState, Vec<CaseState>), Error> {
        let (report, _) = self
            .handler
            .load_reachable::<ReportStream>(principal, &report_id.stream_name())
            .await?;
        let Some(received) = report.report() else {
            return Err(Error::OutOfReach("report"));
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
        let principal = Principal::of(&request)?;
        let request = request.into_inner();
        let mut fields = Fields::default();
        let report_id = fields.take(common::id("report_id", &request.report_id));
        let as_of = fields.take(common::as_of(
            "as_of",
            request.as_of.as_ref(),
            self.handler.now(),
        ));
        let knowledge = domain::step::Knowledge::effective(request.effective_view);
        let (report_id, as_of) = fields.done(|| Some((ReportId::new(report_id?), as_of?)))?;
        // The read, audited, with the reach check on the report as it is now.
        let (_, cases) = self
            .read(
                &principal,
                handling::audit::reads::GET_LETTERS_OWED,
                report_id,
            )
            .await?;
        // As the report and its cases stood at `as_of`, with the knowledge asked for.
        let report = self
            .handler
            .load_as_of::<ReportStream>(&report_id.stream_name(), as_of, knowledge)
            .await?;
        let mut cases_then = Vec::with_capacity(cases.len());
        for case in &cases {
            if let Some(case) = case.case() {
                cases_then.push(
                    self.handler
                        .load_as_of::<CaseStream>(&case.id.stream_name(), as_of, knowledge)
                        .await?,
                );
            }
        }
        let cases = cases_then;
        let municipality = report
            .report()
            .map(|report| report.municipality.as_str().to_owned())
            .unwrap_or_default();
        let owed = letters::letters_owed(&report, &cases, self.handler.rules(), as_of);
        Ok(pb::LettersOwed {
            next_page_token: String::new(),
            letters: owed
                .into_iter()
                .map(|letter| pb::LetterOwed {
                    report_id: report_id.as_uuid().to_string(),
                    letter: Some(to_letter(letter.kind)),
                    due_on: letter.due.last_day.to_string(),
                    overdue: letter.breached,
                    municipality: municipality.clone(),
                })
                .collect(),
        })
    }

    async fn list(
        &self,
        request: Request<pb::ListLettersOwedRequest>,
    ) -> Result<pb::LettersOwed, Error> {
        let principal = Principal::of(&request)?;
        let request = request.into_inner();
        let mut fields = Fields::default();
        let as_of = fields.take(common::as_of(
            "as_of",
            request.as_of.as_ref(),
            self.handler.now(),
        ));
        let asked = match request.municipality.trim() {
            "" => Some(Vec::new()),
            _ => fields
                .take(common::municipality(
                    "municipality",
                    &request.municipality,
                    self.handler.municipalities(),
                ))
                .map(|number| vec![number]),
        };
        let page = fields.take(common::page(request.page_size, &request.page_token));
        let purpose = fields.take(common::purpose("purpose", &request.purpose));
        let (as_of, asked, (limit, offset), purpose) =
            fields.done(|| Some((as_of?, asked?, page?, purpose?)))?;
        let knowledge = domain::step::Knowledge::effective(request.effective_view);
        let listed = handling::audit::describe_list(&[
            ("municipality", &handling::audit::joined(&asked)),
            ("as_of", &as_of.to_rfc3339()),
            ("effective_view", &request.effective_view.to_string()),
        ]);
        let items = self
            .handler
            .audited_list(
                &principal,
                handling::audit::reads::LIST_LETTERS_OWED,
                purpose.as_deref(),
                &listed,
                async {
                    let municipalities = principal.scope("municipality", &asked)?;
                    projections::read_your_writes(
                        self.handler.store().pool(),
                        "worklist",
                        request.min_position.as_ref().map(common::position),
                    )
                    .await
                    .map_err(Error::view)?;
                    let query = projections::worklist::WorklistQuery {
                        municipalities,
                        team: None,
                        caseworker: None,
                        as_of,
                        knowledge,
                        due_within_days: None,
                        letters_only: true,
                        limit,
                        offset,
                    };
                    projections::worklist::list(self.handler.store().pool(), &query)
                        .await
                        .map_err(Error::view)
                },
                |items| {
                    items
                        .iter()
                        .filter_map(|item| item.report_id)
                        .map(handling::audit::Subject::Report)
                        .collect()
                },
            )
            .await?;
        let next_page_token = common::next_page_token(limit, offset, items.len());
        let letters = items
            .into_iter()
            .map(|item| {
                let kind = match item.kind.as_str() {
                    "receipt_letter" => pb::LetterKind::Receipt,
                    "investigation_outcome_letter" => pb::LetterKind::InvestigationOutcome,
                    "conclusion_letter" => pb::LetterKind::Conclusion,
                    other => {
                        return Err(Error::Internal(format!(
                            "letters view holds unknown kind {other}"
                        )));
                    }
                };
                Ok(pb::LetterOwed {
                    report_id: item.report_id.map(|id| id.to_string()).unwrap_or_default(),
                    letter: Some(pb::Letter {
                        kind: kind as i32,
                        case_id: item.case_id.map(|id| id.to_string()).unwrap_or_default(),
                    }),
                    due_on: item.last_day.to_string(),
                    overdue: item.breached,
                    municipality: item.municipality,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(pb::LettersOwed {
            letters,
            next_page_token,
        })
    }

    async fn render(
        &self,
        request: Request<pb::RenderLetterRequest>,
    ) -> Result<pb::RenderedLetter, Error> {
        let principal = Principal::of(&request)?;
        let request = request.into_inner();
        let mut fields = Fields::default();
        let report_id = fields.take(common::id("report_id", &request.report_id));
        let kind = fields.take(
            common::required("letter", request.letter.as_ref())
                .and_then(|letter| from_letter("letter", letter)),
        );
        let (report_id, kind) = fields.done(|| Some((ReportId::new(report_id?), kind?)))?;
        let (report_state, cases) = self
            .read(&principal, handling::audit::reads::RENDER_LETTER, report_id)
            .await?;
        let Some(report) = report_state.report() else {
            return Err(Error::OutOfReach("report"));
        };
        let now = self.handler.now();
        let owed = letters::letters_owed(&report_state, &cases, self.handler.rules(), now);
        if !report.has_sent(kind) && !owed.iter().any(|letter| letter.kind == kind) {
            return Err(Error::Refused(DomainError::LetterNotOwed {
                letter: kind.to_string(),
            }));
        }
        let subject = match kind {
            LetterKind::Receipt => letter::Subject::Receipt,
            LetterKind::InvestigationOutcome => {
                let screening = report
                    .screening
                    .as_ref()
                    .ok_or(Error::Refused(DomainError::ReportNotScreened))?;
                letter::Subject::InvestigationOutcome(
                    screening
                        .children
                        .iter()
                        .map(|child| {
                            let label = report
                                .children
                                .get(child.child_index)
                                .map_or_else(|| "barnet".to_owned(), child_label);
                            (label, child.outcome.leads_to_investigation())
                        })
                        .collect(),
                )
            }
            LetterKind::Conclusion { case_id } => {
                let concluded = cases
                    .iter()
                    .filter_map(CaseState::case)
                    .find(|case| case.id == case_id)
                    .and_then(|case| {
                        let (outcome, _) = case
                            .investigations
                            .iter()
                            .filter(|investigation| investigation.reports.contains(&report.id))
                            .find_map(|investigation| investigation.conclusion.as_ref())?;
                        Some((child_label(&case.child), outcome.is_dismissal()))
                    });
                let (child, dismissed) = concluded.ok_or_else(|| {
                    Error::Refused(DomainError::LetterNotOwed {
                        letter: kind.to_string(),
                    })
                })?;
                letter::Subject::Conclusion { child, dismissed }
            }
        };
        let rules = self.handler.rules().for_act(report.act);
        let rule = match kind {
            LetterKind::Receipt => &rules.receipt_letter,
            LetterKind::InvestigationOutcome => &rules.investigation_outcome_letter,
            LetterKind::Conclusion { .. } => &rules.conclusion_letter,
        };
        let organisation = match &report.reporter {
            domain::values::Reporter::Public { organisation, .. } => Some(organisation.as_str()),
            _ => None,
        };
        let dated = calendar::oslo_date(now);
        let text = letter::render(&letter::Facts {
            subject,
            municipality: self
                .handler
                .municipalities()
                .name_of(report.municipality)
                .unwrap_or(report.municipality.as_str()),
            organisation,
            received_on: calendar::oslo_date(report.received_at),
            reference: report_id.as_uuid().to_string(),
            dated,
            legal_reference: statute(rule.legal_reference),
        });
        Ok(pb::RenderedLetter {
            text,
            dated: dated.to_string(),
        })
    }

    async fn mark_sent(
        &self,
        request: Request<pb::MarkLettersSentRequest>,
    ) -> Result<WriteResult, Error> {
        let principal = Principal::of(&request)?;
        let mut fields = Fields::default();
        let key = fields.take(CommandKey::of(&request, &request.get_ref().command_id));
        let request = request.into_inner();
        let report_id = fields.take(common::id("report_id", &request.report_id));
        let kinds = if request.letters.is_empty() {
            fields.fail("letters", "must name at least one letter");
            None
        } else {
            fields.take(common::every("letters", &request.letters, from_letter))
        };
        let dating = fields.take(request.dating());
        let (key, report_id, kinds) =
            fields.done(|| Some((key?.dated(dating?), ReportId::new(report_id?), kinds?)))?;
        // The report alone cannot tell whether a case's investigation has concluded: a
        // conclusion letter must be among the letters owed, which sees the cases too.
        if kinds
            .iter()
            .any(|kind| matches!(kind, LetterKind::Conclusion { .. }))
            && self
                .handler
                .store()
                .command_result(key.id, Some(&key.fingerprint))
                .await?
                .is_none()
        {
            let (report, cases) = self.load(&principal, report_id).await?;
            // Owed when they were sent, which the caller may date back.
            let sent_at = key.dating.at.unwrap_or_else(|| self.handler.now());
            let owed = letters::letters_owed(&report, &cases, self.handler.rules(), sent_at);
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
            .execute_report(&key, &principal, report_id, command)
            .await
    }
}

/// The child as the reporter knows them: by name when the report gave one, otherwise by birth
/// date; never by identity number.
fn child_label(child: &ChildIdentity) -> String {
    match child {
        ChildIdentity::NameAndBirthDate { name, .. } => name.as_str().to_owned(),
        ChildIdentity::Number(number) => {
            format!("barnet født {}", number.birth_date().format("%d.%m.%Y"))
        }
        ChildIdentity::Unborn { .. } => "det ufødte barnet".to_owned(),
        ChildIdentity::Unidentified { name, .. } => name.as_str().to_owned(),
    }
}

/// "barnevernsloven 2021 § 13-4" as a letter cites it: "barnevernsloven § 13-4".
fn statute(legal_reference: &str) -> String {
    legal_reference
        .replacen(" 2021", "", 1)
        .replacen(" 1992", "", 1)
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
        Ok(Response::new(self.list(request).await?))
    }

    #[tracing::instrument(skip_all, fields(rpc = "RenderLetter"))]
    async fn render_letter(
        &self,
        request: Request<pb::RenderLetterRequest>,
    ) -> Result<Response<pb::RenderedLetter>, Status> {
        Ok(Response::new(self.render(request).await?))
    }

    #[tracing::instrument(skip_all, fields(rpc = "MarkLettersSent"))]
    async fn mark_letters_sent(
        &self,
        request: Request<pb::MarkLettersSentRequest>,
    ) -> Result<Response<WriteResult>, Status> {
        Ok(Response::new(self.mark_sent(request).await?))
    }
}
