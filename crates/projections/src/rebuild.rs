//! Replaying a view into fresh tables and swapping them in while the old ones keep serving.
//!
//! The replay runs in a scratch schema (`rebuild_<name>`, first on the connection's search
//! path, so the projection's unqualified SQL writes there while `events` still resolves). The
//! swap is one transaction that first locks the view's checkpoint row, which every live batch
//! locks first too: the live runner waits, the replay catches up to the live checkpoint (or
//! moves it forward if the live runner was behind), the old tables are dropped and the new
//! ones moved into `public`. Readers see the old tables until the commit and the new ones
//! after; the live runner resumes on the new ones from the checkpoint the swap left.

use std::time::Instant;

use eventstore::{EventStore, Position};
use sqlx::Connection as _;

use crate::{Error, Memory, Projection};

/// How far a rebuild has come.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RebuildProgress {
    pub applied: u64,
    /// Readable events in the log when the rebuild started.
    pub total: u64,
    pub elapsed_seconds: f64,
}

/// Replays `projection` from the start into fresh tables, reporting progress after each batch,
/// and swaps them in. Returns the number of events applied and the checkpoint it left.
pub async fn rebuild<P: Projection>(
    store: &EventStore,
    projection: &P,
    batch_size: u32,
    progress: impl FnMut(RebuildProgress),
) -> Result<(u64, Position), Error> {
    let memory = Memory::from_start(store.clone());
    rebuild_with(store, projection, batch_size, memory, progress).await
}

/// [`rebuild`] with a memory of the caller's choosing (a test compares memories).
pub async fn rebuild_with<P: Projection>(
    store: &EventStore,
    projection: &P,
    batch_size: u32,
    mut memory: Memory,
    mut progress: impl FnMut(RebuildProgress),
) -> Result<(u64, Position), Error> {
    let name = projection.name();
    let scratch = format!("rebuild_{name}");
    let started = Instant::now();
    let mut connection = store.pool().acquire().await?.detach();
    let total: i64 = sqlx::query_scalar(
        "select count(*) from events where transaction_id < pg_snapshot_xmin(pg_current_snapshot())",
    )
    .fetch_one(&mut connection)
    .await?;
    let total = total.unsigned_abs();
    sqlx::raw_sql(&format!(
        "drop schema if exists {scratch} cascade; create schema {scratch}; \
         set search_path to {scratch}, public"
    ))
    .execute(&mut connection)
    .await?;
    sqlx::raw_sql(projection.schema())
        .execute(&mut connection)
        .await?;
    let mut position = Position::START;
    let mut applied = 0u64;
    loop {
        let batch = store.read_all(position, batch_size).await?;
        if batch.is_empty() {
            break;
        }
        let mut transaction = connection.begin().await?;
        for event in &batch {
            projection
                .apply(&mut transaction, event, &mut memory)
                .await?;
            position = event.position;
        }
        memory.flush(&mut transaction).await?;
        transaction.commit().await?;
        applied += batch.len() as u64;
        progress(RebuildProgress {
            applied,
            total,
            elapsed_seconds: started.elapsed().as_secs_f64(),
        });
    }
    let mut transaction = connection.begin().await?;
    // `checkpoints` and `projection_schemas` exist only in `public`, so the search path
    // finds them there.
    eventstore::ensure_checkpoint(&mut transaction, name).await?;
    let live = eventstore::lock_checkpoint(&mut transaction, name).await?;
    // Catch up to the live view, which cannot move while its checkpoint row is locked.
    'catch_up: while position < live {
        let batch = store.read_all(position, batch_size).await?;
        if batch.is_empty() {
            break;
        }
        for event in &batch {
            if event.position > live {
                break 'catch_up;
            }
            projection
                .apply(&mut transaction, event, &mut memory)
                .await?;
            position = event.position;
            applied += 1;
        }
    }
    memory.flush(&mut transaction).await?;
    let checkpoint = position.max(live);
    for table in projection.tables() {
        sqlx::raw_sql(&format!(
            "drop table if exists public.{table} cascade; \
             alter table {scratch}.{table} set schema public"
        ))
        .execute(&mut *transaction)
        .await?;
    }
    eventstore::save_checkpoint(&mut transaction, name, checkpoint).await?;
    crate::record_schema(&mut transaction, projection).await?;
    sqlx::raw_sql(&format!("drop schema {scratch} cascade"))
        .execute(&mut *transaction)
        .await?;
    transaction.commit().await?;
    let _ = connection.close().await;
    progress(RebuildProgress {
        applied,
        total,
        elapsed_seconds: started.elapsed().as_secs_f64(),
    });
    Ok((applied, checkpoint))
}
