//! `vern.worklist.v1.WorklistService`: the views caseworkers and leaders work from.
//!
//! Every answer but the registry's findings (which read the log as the export does) comes
//! from a read model (`projections`), never from folding streams per request, so a list over
//! a whole inter-municipal service is one indexed query. Time-based state is judged at the
//! request's `as_of`, with what was known then (or, with `effective_view`, with all known
//! now), so supervision can ask what the list showed on any past day. A request may carry the
//! position a command returned; the view is then read only once it has applied that position.

pub mod audit;

use api::worklist::v1 as pb;
use api::worklist::v1::worklist_service_server::{WorklistService, WorklistServiceServer};
use domain::case::{CaseId, CaseStream};
use handling::convert::{self as common, Fields};
use handling::principal::Principal;
use handling::{Error, Handler};
use projections::Knowledge;
use projections::statistics::Counting;
use projections::statistics::Period;
use projections::worklist::WorklistQuery;
use tonic::{Request, Response, Status};

/// "Due soon" when the request does not say.
const DEFAULT_DUE_WITHIN_DAYS: u32 = 7;
/// The longest look-ahead a request may ask for.
const MAX_DUE_WITHIN_DAYS: u32 = 3660;

#[derive(Clone)]
pub struct Worklist {
    handler: Handler,
}

/// An optional filter (a team's or caseworker's name): empty is none; given, it is checked as
/// the names it is compared with were (no control characters, at most 200 characters).
fn optional(field: &str, value: &str) -> Result<Option<String>, Error> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    Ok(Some(common::short_text(field, value)?.as_str().to_owned()))
}

impl Worklist {
    pub fn new(handler: Handler) -> Self {
        Self { handler }
    }

    pub fn server(handler: Handler) -> WorklistServiceServer<Self> {
        WorklistServiceServer::new(Self::new(handler))
    }

    async fn review(
        &self,
        request: Request<pb::ListCasesNeedingReviewRequest>,
    ) -> Result<pb::CasesNeedingReview, Error> {
        let principal = Principal::of(&request)?;
        let request = request.into_inner();
        let mut fields = Fields::default();
        let as_of = fields.take(common::as_of(
            "as_of",
            request.as_of.as_ref(),
            self.handler.now(),
        ));
        let due_within = match request.due_within_days {
            _ if request.all_running => Some(None),
            0 => Some(Some(DEFAULT_DUE_WITHIN_DAYS)),
            days if days > MAX_DUE_WITHIN_DAYS => {
                fields.fail(
                    "due_within_days",
                    format!("must be at most {MAX_DUE_WITHIN_DAYS}"),
                );
                None
            }
            days => Some(Some(days)),
        };
        let page = fields.take(common::page(request.page_size, &request.page_token));
        let purpose = fields.take(common::purpose("purpose", &request.purpose));
        // Known municipalities here, with the other fields; whether the caller serves them is
        // asked in the read, where a refusal is audited.
        let asked = fields.take(common::municipalities(
            "municipalities",
            &request.municipalities,
            self.handler.municipalities(),
        ));
        let team = fields.take(optional("team", &request.team));
        let caseworker = fields.take(optional("caseworker", &request.caseworker));
        let (as_of, due_within, (limit, offset), purpose, asked, team, caseworker) =
            fields.done(|| {
                Some((
                    as_of?,
                    due_within?,
                    page?,
                    purpose?,
                    asked?,
                    team?,
                    caseworker?,
                ))
            })?;
        let listed = handling::audit::describe_list(&[
            ("municipalities", &request.municipalities.join(",")),
            ("team", team.as_deref().unwrap_or_default()),
            ("caseworker", caseworker.as_deref().unwrap_or_default()),
            ("as_of", &as_of.to_rfc3339()),
            ("effective_view", &request.effective_view.to_string()),
        ]);
        let items = self
            .handler
            .audited_list(
                &principal,
                handling::audit::reads::LIST_CASES_NEEDING_REVIEW,
                purpose.as_deref(),
                &listed,
                async {
                    let query = WorklistQuery {
                        municipalities: principal.scope("municipalities", &asked)?,
                        team,
                        caseworker,
                        as_of,
                        knowledge: Knowledge::effective(request.effective_view),
                        due_within_days: due_within,
                        letters_only: false,
                        limit,
                        offset,
                    };
                    self.caught_up("worklist", request.min_position.as_ref())
                        .await?;
                    projections::worklist::list(self.handler.store().pool(), &query)
                        .await
                        .map_err(Error::view)
                },
                |items| items.iter().map(named).collect(),
            )
            .await?;
        Ok(pb::CasesNeedingReview {
            next_page_token: common::next_page_token(limit, offset, items.len()),
            items: items.into_iter().map(review_item).collect(),
            as_of: Some(common::to_timestamp(as_of)),
            effective_view: request.effective_view,
        })
    }

    async fn statistics(
        &self,
        request: Request<pb::GetStatisticsRequest>,
    ) -> Result<pb::Statistics, Error> {
        let principal = Principal::of(&request)?;
        let request = request.into_inner();
        let mut fields = Fields::default();
        let as_of = fields.take(common::as_of(
            "as_of",
            request.as_of.as_ref(),
            self.handler.now(),
        ));
        let year = request.year;
        let year_known = (1993..=9999).contains(&year);
        if !year_known {
            fields.fail("year", "must be between 1993 and 9999");
        }
        let period = fields.take(period(request.period, year, request.number));
        // The number is judged only in a known year of a known kind of period.
        let days = match period {
            Some(period) if year_known => {
                let days = period.days();
                if days.is_none() {
                    fields.fail(
                        "number",
                        "must be 1-4 for a quarter and 1-2 for a half-year",
                    );
                }
                days
            }
            _ => None,
        };
        let asked = fields.take(common::municipalities(
            "municipalities",
            &request.municipalities,
            self.handler.municipalities(),
        ));
        let counting = fields.take(counting(request.counting));
        let (as_of, period, (first, after), asked, counting) =
            fields.done(|| Some((as_of?, period?, days?, asked?, counting?)))?;
        let municipalities = principal.scope("municipalities", &asked)?;
        self.caught_up("statistics", request.min_position.as_ref())
            .await?;
        let rows = projections::statistics::statistics(
            self.handler.store().pool(),
            &municipalities,
            period,
            as_of,
            Knowledge::effective(request.effective_view),
            counting,
        )
        .await
        .map_err(Error::view)?;
        Ok(pb::Statistics {
            rows: rows
                .into_iter()
                .map(|row| pb::StatisticsRow {
                    municipality: row.municipality,
                    reports_received: row.reports_received,
                    reports_dismissed: row.reports_dismissed,
                    screening_breaches: row.screening_breaches,
                    investigations_concluded: row.investigations_concluded,
                    investigations_dismissed: row.investigations_dismissed,
                    investigation_breaches: row.investigation_breaches,
                    emergency_decisions: row.emergency_decisions,
                    plan_evaluations: row.plan_evaluations,
                    plan_evaluations_late: row.plan_evaluations_late,
                    letters_sent: row.letters_sent,
                    letters_sent_late: row.letters_sent_late,
                    steps_recorded_late: row.steps_recorded_late,
                    days_late_total: row.days_late_total,
                    days_late_max: row.days_late_max,
                    reports_measures_active: row.reports_measures_active,
                    reports_ongoing_investigation: row.reports_ongoing_investigation,
                })
                .collect(),
            first_day: first.to_string(),
            last_day: after.pred_opt().unwrap_or(after).to_string(),
            counting: match counting {
                Counting::ControlCommittee => pb::Counting::ControlCommittee,
                Counting::National => pb::Counting::National,
            } as i32,
        })
    }

    async fn timeline(
        &self,
        request: Request<pb::GetCaseTimelineRequest>,
    ) -> Result<pb::CaseTimeline, Error> {
        let principal = Principal::of(&request)?;
        let request = request.into_inner();
        let mut fields = Fields::default();
        let case_id = fields.take(common::id("case_id", &request.case_id));
        let purpose = fields.take(common::purpose("purpose", &request.purpose));
        let (case_id, purpose) = fields.done(|| Some((case_id?, purpose?)))?;
        let entries = self
            .handler
            .audited(
                &principal,
                handling::audit::reads::GET_CASE_TIMELINE,
                handling::audit::Subject::Case(case_id),
                purpose.as_deref(),
                async {
                    self.handler
                        .load_reachable::<CaseStream>(
                            &principal,
                            &CaseId::new(case_id).stream_name(),
                        )
                        .await?;
                    self.caught_up("case_timeline", request.min_position.as_ref())
                        .await?;
                    projections::timeline::case_timeline(self.handler.store().pool(), case_id)
                        .await
                        .map_err(Error::view)
                },
            )
            .await?;
        Ok(pb::CaseTimeline {
            case_id: case_id.to_string(),
            entries: entries
                .into_iter()
                .map(|entry| pb::TimelineEntry {
                    recorded_late: entry.days_late() > 0,
                    days_late: u32::try_from(entry.days_late()).unwrap_or(u32::MAX),
                    version: entry.stream_version.unsigned_abs(),
                    event_type: entry.event_type,
                    actor_subject: entry.actor_subject,
                    actor_role: entry.actor_role,
                    occurred_at: Some(common::to_timestamp(entry.occurred_at)),
                    recorded_at: Some(common::to_timestamp(entry.recorded_at)),
                })
                .collect(),
        })
    }

    async fn caseload(
        &self,
        request: Request<pb::GetCaseloadRequest>,
    ) -> Result<pb::Caseload, Error> {
        let principal = Principal::of(&request)?;
        let request = request.into_inner();
        let mut fields = Fields::default();
        let as_of = fields.take(common::as_of(
            "as_of",
            request.as_of.as_ref(),
            self.handler.now(),
        ));
        let asked = fields.take(common::municipalities(
            "municipalities",
            &request.municipalities,
            self.handler.municipalities(),
        ));
        let purpose = fields.take(common::purpose("purpose", &request.purpose));
        let team = fields.take(optional("team", &request.team));
        let (as_of, asked, purpose, team) =
            fields.done(|| Some((as_of?, asked?, purpose?, team?)))?;
        let municipalities = principal.scope("municipalities", &asked)?;
        let listed = handling::audit::describe_list(&[
            ("municipalities", &handling::audit::joined(&municipalities)),
            ("team", team.as_deref().unwrap_or_default()),
            ("as_of", &as_of.to_rfc3339()),
            ("effective_view", &request.effective_view.to_string()),
        ]);
        let rows = self
            .handler
            .audited_list(
                &principal,
                handling::audit::reads::GET_CASELOAD,
                purpose.as_deref(),
                &listed,
                async {
                    self.caught_up("caseload", request.min_position.as_ref())
                        .await?;
                    projections::caseload::caseload(
                        self.handler.store().pool(),
                        &municipalities,
                        team.as_deref(),
                        as_of,
                        Knowledge::effective(request.effective_view),
                    )
                    .await
                    .map_err(Error::view)
                },
                // Counts per team and caseworker: no case is named.
                |_| Vec::new(),
            )
            .await?;
        Ok(pb::Caseload {
            rows: rows
                .into_iter()
                .map(|row| pb::CaseloadRow {
                    municipality: row.municipality,
                    team: row.team.unwrap_or_default(),
                    caseworker: row.caseworker.unwrap_or_default(),
                    open_cases: row.open_cases,
                    red: row.red,
                    yellow: row.yellow,
                    green: row.green,
                    reports_awaiting_screening: row.reports_awaiting_screening,
                })
                .collect(),
        })
    }
}

impl Worklist {
    /// Waits until `view` holds the caller's own write at `min_position`, when one is named.
    async fn caught_up(
        &self,
        view: &str,
        min_position: Option<&api::common::v1::Position>,
    ) -> Result<(), Error> {
        projections::read_your_writes(
            self.handler.store().pool(),
            view,
            min_position.map(common::position),
        )
        .await
        .map_err(Error::view)
    }

    async fn late_entries(
        &self,
        request: Request<pb::ListLateEntriesRequest>,
    ) -> Result<pb::LateEntries, Error> {
        let principal = Principal::of(&request)?;
        let request = request.into_inner();
        let mut fields = Fields::default();
        let asked = fields.take(common::municipalities(
            "municipalities",
            &request.municipalities,
            self.handler.municipalities(),
        ));
        let first = fields.take(common::date("first_day", &request.first_day));
        let last = fields.take(common::date("last_day", &request.last_day));
        let page = fields.take(common::page(request.page_size, &request.page_token));
        let purpose = fields.take(common::purpose("purpose", &request.purpose));
        let (asked, first, last, (limit, offset), purpose) =
            fields.done(|| Some((asked?, first?, last?, page?, purpose?)))?;
        if last < first {
            return Err(Error::invalid("last_day", "is before first_day"));
        }
        let min_days_late = i32::try_from(request.min_days_late.max(1)).unwrap_or(i32::MAX);
        let listed = handling::audit::describe_list(&[
            ("municipalities", &request.municipalities.join(",")),
            ("first_day", &first.to_string()),
            ("last_day", &last.to_string()),
            ("min_days_late", &min_days_late.to_string()),
        ]);
        let (entries, summary) = self
            .handler
            .audited_list(
                &principal,
                handling::audit::reads::LIST_LATE_ENTRIES,
                purpose.as_deref(),
                &listed,
                async {
                    let municipalities = principal.scope("municipalities", &asked)?;
                    self.caught_up("statistics", request.min_position.as_ref())
                        .await?;
                    projections::statistics::late_entries(
                        self.handler.store().pool(),
                        &municipalities,
                        (first, last),
                        min_days_late,
                        (limit, offset),
                    )
                    .await
                    .map_err(Error::view)
                },
                |(entries, _)| entries.iter().filter_map(late_subject).collect(),
            )
            .await?;
        Ok(pb::LateEntries {
            next_page_token: common::next_page_token(limit, offset, entries.len()),
            entries: entries
                .into_iter()
                .map(|entry| {
                    let (case_id, report_id) = match late_subject(&entry) {
                        Some(handling::audit::Subject::Case(id)) => (id.to_string(), String::new()),
                        Some(handling::audit::Subject::Report(id)) => {
                            (String::new(), id.to_string())
                        }
                        _ => (String::new(), String::new()),
                    };
                    pb::LateEntry {
                        case_id,
                        report_id,
                        municipality: entry.municipality,
                        step: entry.event_type,
                        taken_at: Some(common::to_timestamp(entry.taken_at)),
                        recorded_at: Some(common::to_timestamp(entry.known_at)),
                        days_late: u32::try_from(entry.days_late).unwrap_or(0),
                    }
                })
                .collect(),
            steps: summary.steps,
            days_late_total: summary.days_late_total,
            days_late_max: summary.days_late_max,
        })
    }

    async fn registry_findings(
        &self,
        request: Request<pb::ListRegistryFindingsRequest>,
    ) -> Result<pb::RegistryFindings, Error> {
        let principal = Principal::of(&request)?;
        let request = request.into_inner();
        let mut fields = Fields::default();
        let municipality = fields.take(common::municipality(
            "municipality",
            &request.municipality,
            self.handler.municipalities(),
        ));
        let as_of = fields.take(common::as_of(
            "as_of",
            request.as_of.as_ref(),
            self.handler.now(),
        ));
        let purpose = fields.take(common::purpose("purpose", &request.purpose));
        let (municipality, as_of, purpose) =
            fields.done(|| Some((municipality?, as_of?, purpose?)))?;
        let listed = handling::audit::describe_list(&[
            ("municipality", municipality.as_str()),
            ("as_of", &as_of.to_rfc3339()),
            ("effective_view", &request.effective_view.to_string()),
        ]);
        let mut findings = self
            .handler
            .audited_list(
                &principal,
                handling::audit::reads::LIST_REGISTRY_FINDINGS,
                purpose.as_deref(),
                &listed,
                async {
                    principal.scope("municipality", &[municipality])?;
                    registry_findings(
                        &self.handler,
                        municipality,
                        as_of,
                        Knowledge::effective(request.effective_view),
                    )
                    .await
                },
                |findings| {
                    findings
                        .iter()
                        .map(|(case_id, _)| handling::audit::Subject::Case(case_id.as_uuid()))
                        .collect()
                },
            )
            .await?;
        findings.sort_by(|(a_case, a), (b_case, b)| {
            (a.severity, a_case, a.rule).cmp(&(b.severity, b_case, b.rule))
        });
        Ok(pb::RegistryFindings {
            findings: findings
                .into_iter()
                .map(|(case_id, finding)| pb::RegistryFinding {
                    case_id: case_id.as_uuid().to_string(),
                    rule: finding.rule.to_owned(),
                    severity: finding.severity.as_str().to_owned(),
                    message: finding.message,
                })
                .collect(),
        })
    }
}

/// The case or report a late step belongs to, by its stream.
fn late_subject(entry: &projections::statistics::LateEntry) -> Option<handling::audit::Subject> {
    let (kind, id) = entry.stream_id.split_once('-')?;
    let id = uuid::Uuid::parse_str(id).ok()?;
    match kind {
        "case" => Some(handling::audit::Subject::Case(id)),
        "report" => Some(handling::audit::Subject::Report(id)),
        _ => None,
    }
}

/// The registry's findings for every case of a municipality as of a moment: what an export
/// then would be told.
pub async fn registry_findings(
    handler: &Handler,
    municipality: domain::municipality::MunicipalityNumber,
    as_of: chrono::DateTime<chrono::Utc>,
    knowledge: Knowledge,
) -> Result<Vec<(domain::case::CaseId, registry::Finding)>, Error> {
    let on = domain::calendar::oslo_date(as_of);
    let mut found = Vec::new();
    let cases = projections::cases::cases_at(handler.store(), municipality, as_of, knowledge)
        .await
        .map_err(Error::view)?;
    for case in cases {
        let file = registry::CaseFile {
            case_id: case.case_id,
            events: &case.events,
            reports: &case.reports,
        };
        if let Some(sak) = registry::Sak::read(&file) {
            found.extend(
                registry::check(&sak, on)
                    .into_iter()
                    .map(|finding| (case.case_id, finding)),
            );
        }
    }
    Ok(found)
}

/// The statistics' period, apart so that a bad one is named beside the request's other bad
/// fields.
fn period(kind: i32, year: i32, number: u32) -> Result<Period, Error> {
    Ok(
        match common::enum_value::<pb::PeriodKind>("period", kind)? {
            pb::PeriodKind::Quarter => Period::Quarter {
                year,
                quarter: number,
            },
            pb::PeriodKind::HalfYear => Period::HalfYear { year, half: number },
            pb::PeriodKind::Year => Period::Year { year },
            pb::PeriodKind::Unspecified => return Err(Error::invalid("period", "is required")),
        },
    )
}

/// What a worklist item names: its case, or its report when it has no case yet.
fn named(item: &projections::worklist::WorklistItem) -> handling::audit::Subject {
    match (item.case_id, item.report_id) {
        (Some(case_id), _) => handling::audit::Subject::Case(case_id),
        (None, Some(report_id)) => handling::audit::Subject::Report(report_id),
        (None, None) => handling::audit::Subject::Listed,
    }
}

fn review_item(item: projections::worklist::WorklistItem) -> pb::ReviewItem {
    pb::ReviewItem {
        kind: item.kind,
        report_id: item.report_id.map(|id| id.to_string()).unwrap_or_default(),
        case_id: item.case_id.map(|id| id.to_string()).unwrap_or_default(),
        municipality: item.municipality,
        team: item.team.unwrap_or_default(),
        caseworker: item.caseworker.unwrap_or_default(),
        urgency: common::from_urgency(item.urgency) as i32,
        due_on: item.last_day.to_string(),
        breached_from: Some(common::to_timestamp(item.breached_from)),
        breached: item.breached,
        legal_reference: item.legal_reference,
        running_since: Some(common::to_timestamp(item.opened_at)),
    }
}

#[tonic::async_trait]
impl WorklistService for Worklist {
    #[tracing::instrument(skip_all, fields(rpc = "ListCasesNeedingReview"))]
    async fn list_cases_needing_review(
        &self,
        request: Request<pb::ListCasesNeedingReviewRequest>,
    ) -> Result<Response<pb::CasesNeedingReview>, Status> {
        Ok(Response::new(self.review(request).await?))
    }

    #[tracing::instrument(skip_all, fields(rpc = "GetStatistics"))]
    async fn get_statistics(
        &self,
        request: Request<pb::GetStatisticsRequest>,
    ) -> Result<Response<pb::Statistics>, Status> {
        Ok(Response::new(self.statistics(request).await?))
    }

    #[tracing::instrument(skip_all, fields(rpc = "GetCaseTimeline"))]
    async fn get_case_timeline(
        &self,
        request: Request<pb::GetCaseTimelineRequest>,
    ) -> Result<Response<pb::CaseTimeline>, Status> {
        Ok(Response::new(self.timeline(request).await?))
    }

    #[tracing::instrument(skip_all, fields(rpc = "GetCaseload"))]
    async fn get_caseload(
        &self,
        request: Request<pb::GetCaseloadRequest>,
    ) -> Result<Response<pb::Caseload>, Status> {
        Ok(Response::new(self.caseload(request).await?))
    }

    #[tracing::instrument(skip_all, fields(rpc = "ListLateEntries"))]
    async fn list_late_entries(
        &self,
        request: Request<pb::ListLateEntriesRequest>,
    ) -> Result<Response<pb::LateEntries>, Status> {
        Ok(Response::new(self.late_entries(request).await?))
    }

    #[tracing::instrument(skip_all, fields(rpc = "ListRegistryFindings"))]
    async fn list_registry_findings(
        &self,
        request: Request<pb::ListRegistryFindingsRequest>,
    ) -> Result<Response<pb::RegistryFindings>, Status> {
        Ok(Response::new(self.registry_findings(request).await?))
    }
}

/// The statistics' counting: the control committee's when unspecified.
fn counting(value: i32) -> Result<Counting, Error> {
    if value == pb::Counting::Unspecified as i32 {
        return Ok(Counting::ControlCommittee);
    }
    Ok(
        match common::enum_value::<pb::Counting>("counting", value)? {
            pb::Counting::Unspecified | pb::Counting::ControlCommittee => {
                Counting::ControlCommittee
            }
            pb::Counting::National => Counting::National,
        },
    )
}
