//! `vern.audit.v1.AuditService`: the read audit, for supervisors. Lives beside the worklist
//! because both only read; it writes nothing, and its own answers are not themselves audited
//! (they hold who read a case, never the case).

use api::audit::v1 as pb;
use api::audit::v1::audit_service_server::{AuditService, AuditServiceServer};
use domain::case::{CaseId, CaseStream};
use domain::report::{ReportId, ReportStream};
use handling::audit::Subject;
use handling::convert::{self as common, Fields};
use handling::principal::Principal;
use handling::{Error, Handler};
use tonic::{Request, Response, Status};

#[derive(Clone)]
pub struct Audit {
    handler: Handler,
}

impl Audit {
    pub fn new(handler: Handler) -> Self {
        Self { handler }
    }

    pub fn server(handler: Handler) -> AuditServiceServer<Self> {
        AuditServiceServer::new(Self::new(handler))
    }

    async fn reads(&self, request: Request<pb::ListReadsRequest>) -> Result<pb::Reads, Error> {
        let principal = Principal::of(&request)?;
        let request = request.into_inner();
        let mut fields = Fields::default();
        let what = fields.take(match (request.case_id.trim(), request.report_id.trim()) {
            ("", "") => Err(Error::invalid(
                "case_id",
                "is required (or report_id, not both)",
            )),
            (_, "") => common::id("case_id", &request.case_id).map(Subject::Case),
            ("", _) => common::id("report_id", &request.report_id).map(Subject::Report),
            _ => Err(Error::invalid(
                "report_id",
                "must be empty when case_id is set",
            )),
        });
        let page = fields.take(common::page(request.page_size, &request.page_token));
        let (what, (limit, offset)) = fields.done(|| Some((what?, page?)))?;
        // The supervisor reaches the case's municipality, or learns nothing, not even whether
        // the case exists.
        match what {
            Subject::Case(id) => {
                self.handler
                    .load_reachable::<CaseStream>(&principal, &CaseId::new(id).stream_name())
                    .await?;
            }
            Subject::Report(id) => {
                self.handler
                    .load_reachable::<ReportStream>(&principal, &ReportId::new(id).stream_name())
                    .await?;
            }
            Subject::Unread | Subject::Listed => {
                return Err(Error::Internal("no case or report asked for".into()));
            }
        }
        let records =
            handling::audit::reads_of(self.handler.store().pool(), what, limit, offset).await?;
        Ok(pb::Reads {
            next_page_token: common::next_page_token(limit, offset, records.len()),
            reads: records
                .into_iter()
                .map(|record| pb::Read {
                    read_at: Some(common::to_timestamp(record.read_at)),
                    subject: record.subject,
                    role: record.role,
                    method: record.method,
                    case_id: record.case_id.map(|id| id.to_string()).unwrap_or_default(),
                    report_id: record
                        .report_id
                        .map(|id| id.to_string())
                        .unwrap_or_default(),
                    purpose: record.purpose.unwrap_or_default(),
                    outcome: record.outcome.to_uppercase(),
                    listed: record.listed.unwrap_or_default(),
                })
                .collect(),
        })
    }
}

#[tonic::async_trait]
impl AuditService for Audit {
    #[tracing::instrument(skip_all, fields(rpc = "ListReads"))]
    async fn list_reads(
        &self,
        request: Request<pb::ListReadsRequest>,
    ) -> Result<Response<pb::Reads>, Status> {
        Ok(Response::new(self.reads(request).await?))
    }
}
