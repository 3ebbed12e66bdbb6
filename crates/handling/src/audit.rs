//! The record of reads: every read of a case's or a report's content, and every such read
//! refused, with who, when, which method and the purpose the caller gave (DESIGN.md §7).
//!
//! A read is answered only once its record is committed: a read whose record cannot be
//! written fails (fail closed), since an unrecorded read of a child's case is what the
//! record exists to rule out. The record is one small insert after the read
//! (`Handler::audited`); BENCHMARKS.md has what it costs a read. It is append-only in the database, like the events, and not an
//! event: reads change no case, and a case's stream is the case's history, not its readers'.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::Error;
use crate::principal::Principal;

/// What was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    Case(Uuid),
    Report(Uuid),
}

/// Whether the read was answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Read,
    Denied,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Read => "read",
            Outcome::Denied => "denied",
        }
    }
}

/// One read, as recorded.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Record {
    pub read_at: DateTime<Utc>,
    pub subject: String,
    pub role: String,
    /// `package.Service/Method`, or `dashboard <path>`.
    pub method: String,
    pub case_id: Option<Uuid>,
    pub report_id: Option<Uuid>,
    pub purpose: Option<String>,
    pub outcome: String,
}

/// Creates the record's table (idempotent; safe from several processes at once).
pub async fn migrate(pool: &PgPool) -> Result<(), Error> {
    let mut migrator = sqlx::migrate!("./migrations");
    migrator.set_ignore_missing(true);
    migrator
        .run(pool)
        .await
        .map_err(|error| Error::Store(error.into()))
}

/// Records one read (or refusal) of `what` by `principal`.
pub async fn record(
    pool: &PgPool,
    principal: &Principal,
    method: &str,
    what: Subject,
    purpose: Option<&str>,
    outcome: Outcome,
    at: DateTime<Utc>,
) -> Result<(), Error> {
    let (case_id, report_id) = match what {
        Subject::Case(id) => (Some(id), None),
        Subject::Report(id) => (None, Some(id)),
    };
    sqlx::query(
        "insert into read_audit \
         (read_at, subject, role, method, case_id, report_id, purpose, outcome) \
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(at)
    .bind(&principal.subject)
    .bind(&principal.role)
    .bind(method)
    .bind(case_id)
    .bind(report_id)
    .bind(purpose)
    .bind(outcome.as_str())
    .execute(pool)
    .await
    .map_err(|error| Error::Store(error.into()))?;
    Ok(())
}

/// The reads of `what`, oldest first, a page at a time.
pub async fn reads_of(
    pool: &PgPool,
    what: Subject,
    limit: i64,
    offset: i64,
) -> Result<Vec<Record>, Error> {
    let (column, id) = match what {
        Subject::Case(id) => ("case_id", id),
        Subject::Report(id) => ("report_id", id),
    };
    sqlx::query_as::<_, Record>(&format!(
        "select read_at, subject, role, method, case_id, report_id, purpose, outcome \
         from read_audit where {column} = $1 order by id limit $2 offset $3"
    ))
    .bind(id)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await
    .map_err(|error| Error::Store(error.into()))
}
