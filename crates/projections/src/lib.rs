//! Read models built from the event store's gap-free global log, the runner that keeps them
//! current, and the rebuild that replaces one while the old one keeps serving.
//!
//! Why a runner per projection with a session advisory lock: several `vern` processes may run,
//! but a projection must be applied by one at a time. The runner takes the lock on one
//! dedicated connection and applies every batch in a transaction on that same connection, with
//! the checkpoint saved in it. If the connection dies, the lock and the open batch go with it,
//! so a standby that takes over starts from the last committed checkpoint: nothing is applied
//! twice and nothing is skipped.
//!
//! Why each view folds the streams it needs up to the position it applies (`fold`): a view
//! is then a function of the log prefix alone, so a rebuild reproduces the live rows exactly,
//! and views that answer "as of" a moment can keep history (`intervals`).
//!
//! Why the tables come from each projection's DDL rather than numbered migrations: a view's
//! tables are disposable, derived from the log. When a projection's DDL changes, `migrate`
//! drops its tables and its checkpoint, and the runner refills them from the start; a rebuild
//! creates the same DDL in a scratch schema and moves the tables in.
//!
//! Layout:
//! - [`Projection`], [`View`]: what a read model implements, and the set `vern` runs.
//! - [`Runner`], [`status`], [`read_your_writes`]: applying, lag, read-your-writes.
//! - [`failures`]: which views are stopped at an event they cannot apply, and why.
//! - [`cases`]: a municipality's cases as they stood at a moment (the registry's query).
//! - [`Memory`]: the streams a runner has applied, and the rows its batch writes (`writes`),
//!   typed and named by their columns (`rows`).
//! - [`rebuild()`], [`rebuild_all`]: replay into fresh tables and swap them in.
//! - [`worklist`], [`caseload`], [`statistics`], [`timeline`]: the read models and their queries.
//! - [`Knowledge`]: which of the two questions "as of" a moment a query asks.
//!
//! Why the views keep two times (ARCHITECTURE.md, "Two clocks"): a step may be entered after
//! the day it was taken. Every row holds from when its step was taken, and is known from when
//! the service learned of it; a row a late entry changes is kept as it was believed until then
//! (`intervals`), so "what did the list show on 15 April" and "how did things stand on 15
//! April, with all we know now" are each one query.

pub mod cases;
pub mod failures;
mod fold;
mod intervals;
mod rebuild;
#[macro_use]
mod rows;
mod runner;
mod writes;

pub mod caseload;
pub mod statistics;
pub mod timeline;
pub mod worklist;

use std::future::Future;
use std::time::Duration;

use domain::rules::RuleBook;
use eventstore::{Position, RecordedEvent};
use sqlx::PgConnection;

pub use fold::Memory;
pub use rebuild::{RebuildProgress, rebuild, rebuild_all, rebuild_with};
pub use runner::{Runner, Status, status};

/// The projections' one error type.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    // Not transparent: the store's error is this one's source, so whoever answers a caller
    // can tell from the chain whether the database was away.
    #[error("{0}")]
    Store(#[from] eventstore::Error),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("projection {projection} cannot apply event {position}: {reason}")]
    Apply {
        projection: &'static str,
        position: eventstore::Position,
        reason: String,
    },
    #[error("a view's rebuild stopped: {0}")]
    Rebuild(String),
    #[error("no projection named {0:?}; known: case_timeline, worklist, caseload, statistics")]
    UnknownProjection(String),
    /// A query asked to read its own write, and the view did not get there in time. Its
    /// source is a `TimedOut` I/O error, which says "try again" to whoever answers.
    #[error("the {view} view has not caught up with the requested position yet")]
    Behind {
        view: String,
        source: std::io::Error,
    },
}

/// A read model: its own tables, changed one event at a time inside the runner's transaction.
pub trait Projection: Send + Sync {
    /// The subscriber name, also the checkpoint's key and the advisory lock's.
    fn name(&self) -> &'static str;

    /// The tables it owns; a rebuild replaces exactly these.
    fn tables(&self) -> &'static [&'static str];

    /// DDL creating `tables`, with unqualified names: it runs under the search path of the
    /// schema being built.
    fn schema(&self) -> &'static str;

    /// Applies the next event of the log. `memory` must have been handed every event before
    /// it, in order, since it was made or forgotten (see [`Memory`]).
    fn apply<'a>(
        &'a self,
        transaction: &'a mut PgConnection,
        event: &'a RecordedEvent,
        memory: &'a mut Memory,
    ) -> impl Future<Output = Result<(), Error>> + Send + 'a;
}

/// Every read model `vern` runs.
pub enum View {
    CaseTimeline(timeline::CaseTimeline),
    Worklist(worklist::Worklist),
    Caseload(caseload::Caseload),
    Statistics(statistics::Statistics),
}

impl View {
    /// Whether it folds streams through its memory (`Memory::step`); the timeline does not.
    pub(crate) fn folds(&self) -> bool {
        !matches!(self, Self::CaseTimeline(_))
    }
}

/// The views in the order `vern` starts them.
pub fn views(rules: &RuleBook) -> Vec<View> {
    vec![
        View::CaseTimeline(timeline::CaseTimeline),
        View::Worklist(worklist::Worklist::new(rules.clone())),
        View::Caseload(caseload::Caseload),
        View::Statistics(statistics::Statistics::new(rules.clone())),
    ]
}

/// The view called `name`.
pub fn view(rules: &RuleBook, name: &str) -> Result<View, Error> {
    views(rules)
        .into_iter()
        .find(|view| view.name() == name)
        .ok_or_else(|| Error::UnknownProjection(name.to_owned()))
}

impl Projection for View {
    fn name(&self) -> &'static str {
        match self {
            Self::CaseTimeline(view) => view.name(),
            Self::Worklist(view) => view.name(),
            Self::Caseload(view) => view.name(),
            Self::Statistics(view) => view.name(),
        }
    }

    fn tables(&self) -> &'static [&'static str] {
        match self {
            Self::CaseTimeline(view) => view.tables(),
            Self::Worklist(view) => view.tables(),
            Self::Caseload(view) => view.tables(),
            Self::Statistics(view) => view.tables(),
        }
    }

    fn schema(&self) -> &'static str {
        match self {
            Self::CaseTimeline(view) => view.schema(),
            Self::Worklist(view) => view.schema(),
            Self::Caseload(view) => view.schema(),
            Self::Statistics(view) => view.schema(),
        }
    }

    async fn apply(
        &self,
        transaction: &mut PgConnection,
        event: &RecordedEvent,
        memory: &mut Memory,
    ) -> Result<(), Error> {
        match self {
            Self::CaseTimeline(view) => view.apply(transaction, event, memory).await,
            Self::Worklist(view) => view.apply(transaction, event, memory).await,
            Self::Caseload(view) => view.apply(transaction, event, memory).await,
            Self::Statistics(view) => view.apply(transaction, event, memory).await,
        }
    }
}

/// Creates each view's tables, or recreates them (and resets its checkpoint, so the runner
/// refills them) when its DDL changed. Run after the event store's migrations.
pub async fn migrate(pool: &sqlx::PgPool, views: &[View]) -> Result<(), Error> {
    let mut transaction = pool.begin().await?;
    sqlx::query("select pg_advisory_xact_lock(hashtextextended('vern.projections/migrate', 0))")
        .execute(&mut *transaction)
        .await?;
    sqlx::raw_sql(
        "create table if not exists projection_schemas ( \
             projection  text primary key, \
             schema_hash text not null, \
             created_at  timestamptz not null default now())",
    )
    .execute(&mut *transaction)
    .await?;
    sqlx::raw_sql(failures::SCHEMA)
        .execute(&mut *transaction)
        .await?;
    for view in views {
        let current: Option<String> =
            sqlx::query_scalar("select schema_hash from projection_schemas where projection = $1")
                .bind(view.name())
                .fetch_optional(&mut *transaction)
                .await?;
        let wanted: String = sqlx::query_scalar("select md5($1)")
            .bind(view.schema())
            .fetch_one(&mut *transaction)
            .await?;
        if current.as_ref() == Some(&wanted) {
            continue;
        }
        tracing::info!(
            projection = view.name(),
            "creating the view's tables; it refills from the start"
        );
        for table in view.tables() {
            sqlx::raw_sql(&format!("drop table if exists {table} cascade"))
                .execute(&mut *transaction)
                .await?;
        }
        sqlx::raw_sql(view.schema())
            .execute(&mut *transaction)
            .await?;
        record_schema(&mut transaction, view).await?;
        eventstore::delete_checkpoint(&mut transaction, view.name()).await?;
        failures::clear(&mut transaction, view.name()).await?;
    }
    transaction.commit().await?;
    Ok(())
}

/// Notes the DDL the view's tables were made from, so `migrate` knows when it changes.
pub(crate) async fn record_schema(
    connection: &mut PgConnection,
    view: &impl Projection,
) -> Result<(), Error> {
    sqlx::query(
        "insert into projection_schemas (projection, schema_hash) values ($1, md5($2)) \
         on conflict (projection) do update \
           set schema_hash = excluded.schema_hash, created_at = now()",
    )
    .bind(view.name())
    .bind(view.schema())
    .execute(connection)
    .await?;
    Ok(())
}

/// How long a query that asked to read its own write waits for the view.
pub const READ_YOUR_WRITES_WAIT: Duration = Duration::from_secs(5);

/// Read-your-writes: when a query names a position (from a command's result), waits up to
/// [`READ_YOUR_WRITES_WAIT`] until `view` has applied it; [`Error::Behind`] if it has not.
pub async fn read_your_writes(
    pool: &sqlx::PgPool,
    view: &str,
    position: Option<Position>,
) -> Result<(), Error> {
    let Some(position) = position else {
        return Ok(());
    };
    if wait_for(pool, view, position, READ_YOUR_WRITES_WAIT).await? {
        Ok(())
    } else {
        Err(Error::Behind {
            view: view.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::TimedOut, "read your writes"),
        })
    }
}

/// Waits until `projection` has applied `position` (a command's result), polling its
/// checkpoint, for at most `timeout`. Returns whether it got there: a query that asked to
/// read its own write answers only from a view that has it.
pub async fn wait_for(
    pool: &sqlx::PgPool,
    projection: &str,
    position: Position,
    timeout: Duration,
) -> Result<bool, Error> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let mut connection = pool.acquire().await?;
        let checkpoint = eventstore::load_checkpoint(&mut connection, projection).await?;
        drop(connection);
        if checkpoint >= position {
            return Ok(true);
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Municipality numbers as the views' columns hold them: the queries take them typed, so a
/// number reaches the database only once it has been parsed.
pub(crate) fn numbers(municipalities: &[domain::municipality::MunicipalityNumber]) -> Vec<&str> {
    municipalities
        .iter()
        .map(|number| number.as_str())
        .collect()
}

pub use domain::step::Knowledge;

/// An event's two times as the views keep them: when its step was taken, and when the service
/// learned of it. An event stored before the second was kept counts as learned when its step
/// was taken, as every answer had it then.
#[derive(Clone, Copy, Debug)]
pub(crate) struct When {
    pub(crate) at: chrono::DateTime<chrono::Utc>,
    pub(crate) known: chrono::DateTime<chrono::Utc>,
}

impl When {
    pub(crate) fn of(
        record: &eventstore::RecordedEvent,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        Self {
            at,
            known: record.metadata.recorded_at.unwrap_or(at).max(at),
        }
    }
}
