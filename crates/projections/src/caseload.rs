//! Caseload: who carries which open cases, and which reports wait for screening, per team and
//! caseworker, by urgency.
//!
//! Kept as rows that hold over time (see `intervals`), like the worklist, so a leader can ask
//! what the caseload was at the end of a quarter as well as now.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use eventstore::RecordedEvent;
use sqlx::PgConnection;

use crate::fold::{Memory, Step};
use crate::rows::Row;
use crate::worklist::urgency_rank;
use crate::{Error, Knowledge, Projection, intervals};

const NAME: &str = "caseload";

/// The caseload read model.
pub struct Caseload;

fn entry(
    kind: &str,
    municipality: &str,
    assignee: Option<&domain::values::Assignee>,
    urgency: domain::values::Urgency,
) -> BTreeMap<String, Row> {
    let row = row! {
        "kind" => kind,
        "municipality" => municipality,
        "team" => assignee.map(|a| a.team.as_str()),
        "caseworker" => assignee.and_then(|a| a.caseworker.as_ref()).map(|c| c.as_str()),
        "urgency" => urgency_rank(urgency),
    };
    BTreeMap::from([(kind.to_owned(), row)])
}

impl Projection for Caseload {
    fn name(&self) -> &'static str {
        NAME
    }

    fn tables(&self) -> &'static [&'static str] {
        &["caseload_items"]
    }

    fn schema(&self) -> &'static str {
        include_str!("../schema/caseload.sql")
    }

    async fn apply(
        &self,
        transaction: &mut PgConnection,
        event: &RecordedEvent,
        memory: &mut Memory,
    ) -> Result<(), Error> {
        let step = memory.step(NAME, transaction, event).await?;
        let when = step.when(event);
        let rows = match &step {
            Step::Report { after, .. } => match after.report() {
                Some(report) if report.screening.is_none() => entry(
                    "report",
                    domain::municipality::current(report.municipality).as_str(),
                    report.assignee.as_ref(),
                    report.urgency,
                ),
                _ => BTreeMap::new(),
            },
            Step::Case { after, .. } => match after.case() {
                Some(case) if case.closed.is_none() => entry(
                    "case",
                    domain::municipality::current(case.municipality).as_str(),
                    case.assignee.as_ref(),
                    case.urgency,
                ),
                _ => BTreeMap::new(),
            },
            Step::Other => return Ok(()),
        };
        intervals::sync(
            transaction,
            memory,
            "caseload_items",
            &event.stream_id,
            rows,
            when,
        )
        .await
    }
}

/// One team's or caseworker's load at a moment.
#[derive(Clone, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct CaseloadRow {
    pub municipality: String,
    /// `None`: not assigned to a team yet.
    pub team: Option<String>,
    /// `None`: the team's cases without a named caseworker.
    pub caseworker: Option<String>,
    pub open_cases: i64,
    pub red: i64,
    pub yellow: i64,
    pub green: i64,
    /// Reports received and not yet screened.
    pub reports_awaiting_screening: i64,
}

/// The caseload at `as_of`, per municipality, team and caseworker, with `knowledge`.
pub async fn caseload(
    pool: &sqlx::PgPool,
    municipalities: &[domain::municipality::MunicipalityNumber],
    team: Option<&str>,
    as_of: DateTime<Utc>,
    knowledge: Knowledge,
) -> Result<Vec<CaseloadRow>, Error> {
    Ok(sqlx::query_as(&format!(
        "select municipality, team, caseworker, \
                count(*) filter (where kind = 'case') as open_cases, \
                count(*) filter (where kind = 'case' and urgency = 0) as red, \
                count(*) filter (where kind = 'case' and urgency = 1) as yellow, \
                count(*) filter (where kind = 'case' and urgency = 2) as green, \
                count(*) filter (where kind = 'report') as reports_awaiting_screening \
           from caseload_items \
          where {} \
            and (cardinality($2::text[]) = 0 or municipality = any($2)) \
            and ($3::text is null or team = $3) \
          group by municipality, team, caseworker \
          order by municipality, team nulls first, caseworker nulls first",
        crate::intervals::holds("$1", "$4")
    ))
    .bind(as_of)
    .bind(crate::numbers(municipalities))
    .bind(team)
    .bind(knowledge == Knowledge::Now)
    .fetch_all(pool)
    .await?)
}
