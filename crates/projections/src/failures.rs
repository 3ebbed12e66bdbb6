//! Which views are stopped at an event they cannot apply, and why: kept in the database, so
//! every process and every place an operator looks (`vern projections status`, the health
//! service, the dashboard's system page, the metrics) tells the same, whichever replica runs
//! the view.
//!
//! Why a view stops rather than skips: a view that passed over an event would show a
//! worklist without that case's deadlines, and nobody would know. Stopped, it is behind, and
//! this says where and why; the runner tries again every second (a cause outside the event,
//! say a full disk, may pass), and the first batch it applies clears the record.

use chrono::{DateTime, Utc};
use eventstore::Position;
use sqlx::{PgConnection, PgPool, Row as _};

use crate::Error;

/// The longest error text kept.
const MAX_ERROR: usize = 500;

/// A view stopped at an event.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    pub projection: String,
    /// The event it cannot apply.
    pub position: Position,
    pub event_type: String,
    pub error: String,
    /// When it first failed there, and how often it has tried since.
    pub failed_at: DateTime<Utc>,
    pub attempts: i64,
}

/// The table's DDL, run by `migrate` (idempotent).
pub(crate) const SCHEMA: &str = "create table if not exists projection_failures ( \
    projection      text primary key, \
    transaction_id  xid8 not null, \
    global_position bigint not null, \
    event_type      text not null, \
    error           text not null, \
    failed_at       timestamptz not null, \
    attempts        bigint not null)";

/// Every view stopped at an event, by name.
pub async fn failures(pool: &PgPool) -> Result<Vec<Failure>, Error> {
    let rows = sqlx::query(
        "select projection, transaction_id::text::bigint, global_position, event_type, error, \
                failed_at, attempts \
           from projection_failures order by projection",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Failure {
                projection: row.try_get(0)?,
                position: Position {
                    transaction_id: row.try_get::<i64, _>(1)?.unsigned_abs(),
                    global_position: row.try_get(2)?,
                },
                event_type: row.try_get(3)?,
                error: row.try_get(4)?,
                failed_at: row.try_get(5)?,
                attempts: row.try_get(6)?,
            })
        })
        .collect()
}

/// Notes that `projection` could not apply the event at `position`: the first time with
/// now, again only counting the attempt.
pub(crate) async fn record(
    connection: &mut PgConnection,
    projection: &str,
    position: Position,
    event_type: &str,
    error: &str,
) -> Result<(), Error> {
    let mut error = error.to_owned();
    if error.len() > MAX_ERROR {
        let mut end = MAX_ERROR;
        while !error.is_char_boundary(end) {
            end -= 1;
        }
        error.truncate(end);
    }
    sqlx::query(
        "insert into projection_failures \
           (projection, transaction_id, global_position, event_type, error, failed_at, attempts) \
         values ($1, $2::text::xid8, $3, $4, $5, now(), 1) \
         on conflict (projection) do update set \
           attempts = case when projection_failures.global_position = excluded.global_position \
                           then projection_failures.attempts + 1 else 1 end, \
           failed_at = case when projection_failures.global_position = excluded.global_position \
                            then projection_failures.failed_at else now() end, \
           transaction_id = excluded.transaction_id, \
           global_position = excluded.global_position, \
           event_type = excluded.event_type, \
           error = excluded.error",
    )
    .bind(projection)
    .bind(position.transaction_id.to_string())
    .bind(position.global_position)
    .bind(event_type)
    .bind(error)
    .execute(connection)
    .await?;
    Ok(())
}

/// Clears `projection`'s record: it applied a batch past it.
pub(crate) async fn clear(connection: &mut PgConnection, projection: &str) -> Result<(), Error> {
    sqlx::query("delete from projection_failures where projection = $1")
        .bind(projection)
        .execute(connection)
        .await?;
    Ok(())
}

/// Whether `projection` has a record.
pub(crate) async fn is_recorded(
    connection: &mut PgConnection,
    projection: &str,
) -> Result<bool, Error> {
    Ok(sqlx::query_scalar(
        "select exists (select 1 from projection_failures where projection = $1)",
    )
    .bind(projection)
    .fetch_one(connection)
    .await?)
}
