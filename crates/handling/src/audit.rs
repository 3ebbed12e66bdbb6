//! The record of reads: every read of a case's or a report's content, and every such read
//! refused, with who, when, which method and the purpose the caller gave (DESIGN.md §7).
//!
//! A read is answered only once its record is committed: a read whose record cannot be
//! written fails (fail closed), since an unrecorded read of a child's case is what the
//! record exists to rule out. Reads that come together share one commit ([`Writer`]). It is append-only in the database, like the events, and not an
//! event: reads change no case, and a case's stream is the case's history, not its readers'.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::Error;
use crate::principal::Principal;

/// What was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    Case(Uuid),
    Report(Uuid),
    /// Refused by role before the request was read, so which case it named is not known.
    Unread,
    /// A list whose answer names no case or report (the caseload's counts).
    Listed,
}

/// The methods that read a case's or a report's content: each answer is recorded, and so is
/// each refusal, by role or by reach. The services name their reads with these.
pub mod reads {
    pub const GET_CASE: &str = "vern.investigation.v1.InvestigationService/GetCase";
    pub const GET_REPORT: &str = "vern.intake.v1.IntakeService/GetReport";
    pub const GET_CASE_TIMELINE: &str = "vern.worklist.v1.WorklistService/GetCaseTimeline";
    pub const GET_LETTERS_OWED: &str = "vern.feedback.v1.FeedbackService/GetLettersOwed";
    pub const RENDER_LETTER: &str = "vern.feedback.v1.FeedbackService/RenderLetter";
    pub const GET_CONSULTATION: &str = "vern.partner.v1.PartnerService/GetConsultation";
    /// The lists: each case or report an answer names is recorded as read through them.
    pub const LIST_CASES_NEEDING_REVIEW: &str =
        "vern.worklist.v1.WorklistService/ListCasesNeedingReview";
    pub const GET_CASELOAD: &str = "vern.worklist.v1.WorklistService/GetCaseload";
    pub const LIST_LETTERS_OWED: &str = "vern.feedback.v1.FeedbackService/ListLettersOwed";
    pub const LIST_REGISTRY_FINDINGS: &str =
        "vern.worklist.v1.WorklistService/ListRegistryFindings";
    pub const LIST_LATE_ENTRIES: &str = "vern.worklist.v1.WorklistService/ListLateEntries";
}

/// Every method in [`reads`].
pub const READS: [&str; 11] = [
    reads::GET_CASE,
    reads::GET_REPORT,
    reads::GET_CASE_TIMELINE,
    reads::GET_LETTERS_OWED,
    reads::RENDER_LETTER,
    reads::GET_CONSULTATION,
    reads::LIST_CASES_NEEDING_REVIEW,
    reads::GET_CASELOAD,
    reads::LIST_LETTERS_OWED,
    reads::LIST_REGISTRY_FINDINGS,
    reads::LIST_LATE_ENTRIES,
];
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
    /// A list's read: what the list was asked for (municipalities and filters).
    pub listed: Option<String>,
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

/// One read (or refusal) to record.
#[derive(Clone, Debug)]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub subject: String,
    pub role: String,
    pub method: String,
    pub what: Subject,
    pub purpose: Option<String>,
    pub outcome: Outcome,
    /// For a list's read: what the list was asked for.
    pub listed: Option<String>,
}

impl Entry {
    /// A read of `what` by `principal` through `method`, at `at`.
    pub fn new(
        principal: &Principal,
        method: &str,
        what: Subject,
        purpose: Option<&str>,
        outcome: Outcome,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            at,
            subject: principal.subject.clone(),
            role: principal.role.name().to_owned(),
            method: method.to_owned(),
            what,
            purpose: purpose.map(str::to_owned),
            outcome,
            listed: None,
        }
    }

    /// The same read, made through a list asked for `listed`.
    pub fn listed(mut self, listed: &str) -> Self {
        self.listed = Some(listed.to_owned());
        self
    }
}

/// What a list was asked for, as the read audit keeps it: `name value` pairs, the empty left
/// out (`municipalities 5035,5036; as_of 2026-12-04T10:00:00+00:00`).
pub fn describe_list(parts: &[(&str, &str)]) -> String {
    parts
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("{name} {value}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Municipality numbers as a list's description names them: `5035,5036`.
pub fn joined(numbers: &[domain::municipality::MunicipalityNumber]) -> String {
    numbers
        .iter()
        .map(|number| number.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// One entry per case or report a list's answer names (each once), or, when it names none,
/// one for the list itself: the records of a list read.
pub fn list_entries(entry: &Entry, named: impl IntoIterator<Item = Subject>) -> Vec<Entry> {
    let mut seen = std::collections::HashSet::new();
    let mut entries: Vec<Entry> = named
        .into_iter()
        .filter(|subject| seen.insert(*subject))
        .map(|what| Entry {
            what,
            ..entry.clone()
        })
        .collect();
    if entries.is_empty() {
        entries.push(Entry {
            what: Subject::Listed,
            ..entry.clone()
        });
    }
    entries
}

/// Records reads on their own (the dashboard's, which come a page at a time).
pub async fn record(pool: &PgPool, entries: &[Entry]) -> Result<(), Error> {
    insert(pool, entries)
        .await
        .map_err(|error| Error::Store(error.into()))
}

/// Writes `entries` in one statement, so in one commit.
async fn insert(pool: &PgPool, entries: &[Entry]) -> Result<(), sqlx::Error> {
    let column = |f: fn(&Entry) -> Option<Uuid>| entries.iter().map(f).collect::<Vec<_>>();
    let case_ids = column(|entry| match entry.what {
        Subject::Case(id) => Some(id),
        Subject::Report(_) | Subject::Unread | Subject::Listed => None,
    });
    let report_ids = column(|entry| match entry.what {
        Subject::Report(id) => Some(id),
        Subject::Case(_) | Subject::Unread | Subject::Listed => None,
    });
    sqlx::query(
        "insert into read_audit \
         (read_at, subject, role, method, case_id, report_id, purpose, outcome, listed) \
         select * from unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], \
         $5::uuid[], $6::uuid[], $7::text[], $8::text[], $9::text[])",
    )
    .bind(entries.iter().map(|entry| entry.at).collect::<Vec<_>>())
    .bind(
        entries
            .iter()
            .map(|e| e.subject.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(entries.iter().map(|e| e.role.as_str()).collect::<Vec<_>>())
    .bind(
        entries
            .iter()
            .map(|e| e.method.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(case_ids)
    .bind(report_ids)
    .bind(
        entries
            .iter()
            .map(|e| e.purpose.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind(
        entries
            .iter()
            .map(|e| e.outcome.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        entries
            .iter()
            .map(|e| e.listed.as_deref())
            .collect::<Vec<_>>(),
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The most records one commit carries.
const MAX_BATCH: usize = 512;

type Waiting = (Entry, oneshot::Sender<Result<(), String>>);

/// Group commit for the read audit: reads that come together share one insert and one commit,
/// each answered once the commit holds its record. Without it every read paid a commit of its
/// own and, at 16 concurrent callers, a read cost twice what it cost unrecorded
/// (BENCHMARKS.md, `reads`). One writer task per process, started at the first read.
#[derive(Clone)]
pub struct Writer {
    sender: mpsc::Sender<Waiting>,
}

impl Writer {
    /// Starts the writer task on the current Tokio runtime.
    pub fn start(pool: PgPool) -> Self {
        let (sender, receiver) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(write_batches(pool, receiver));
        Self { sender }
    }

    /// Returns once every one of `entries` is committed; an error if any could not be. They
    /// are queued together, so they go in the same commit unless the batch fills.
    pub async fn record_all(&self, entries: Vec<Entry>) -> Result<(), Error> {
        let stopped = || Error::Internal("the read audit's writer has stopped".into());
        let mut written = Vec::with_capacity(entries.len());
        for entry in entries {
            let (reply, done) = oneshot::channel();
            self.sender
                .send((entry, reply))
                .await
                .map_err(|_| stopped())?;
            written.push(done);
        }
        for done in written {
            done.await
                .map_err(|_| stopped())?
                .map_err(|error| Error::Internal(format!("writing the read audit: {error}")))?;
        }
        Ok(())
    }

    /// Returns once `entry` is committed; an error if it could not be.
    pub async fn record(&self, entry: Entry) -> Result<(), Error> {
        self.record_all(vec![entry]).await
    }
}

async fn write_batches(pool: PgPool, mut receiver: mpsc::Receiver<Waiting>) {
    let mut batch: Vec<Waiting> = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let entries: Vec<Entry> = batch.iter().map(|(entry, _)| entry.clone()).collect();
        let written = insert(&pool, &entries)
            .await
            .map_err(|error| error.to_string());
        if let Err(error) = &written {
            tracing::error!(%error, records = entries.len(), "the read audit could not be written");
        }
        for (_, reply) in batch.drain(..) {
            let _ = reply.send(written.clone());
        }
    }
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
        Subject::Unread | Subject::Listed => return Ok(Vec::new()),
    };
    sqlx::query_as::<_, Record>(&format!(
        "select read_at, subject, role, method, case_id, report_id, purpose, outcome, listed \
         from read_audit where {column} = $1 order by id limit $2 offset $3"
    ))
    .bind(id)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await
    .map_err(|error| Error::Store(error.into()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_recorded_read_is_a_method_of_the_contract() {
        for method in super::READS {
            let (service, name) = method.split_once('/').unwrap();
            assert!(
                crate::policy::RULES
                    .iter()
                    .any(|(s, rules)| *s == service && rules.iter().any(|(m, _)| *m == name)),
                "{method}"
            );
        }
    }
}
