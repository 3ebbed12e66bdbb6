//! Replaying a view into fresh tables and swapping them in while the old ones keep serving.
//!
//! The replay runs in a scratch schema (`rebuild_<name>`, first on the connection's search
//! path, so the projection's unqualified SQL writes there while `events` still resolves). The
//! swap is one transaction that first locks the view's checkpoint row, which every live batch
//! locks first too: the live runner waits, the replay catches up to the live checkpoint (or
//! moves it forward if the live runner was behind), the old tables are dropped and the new
//! ones moved into `public`. Readers see the old tables until the commit and the new ones
//! after; the live runner resumes on the new ones from the checkpoint the swap left.
//!
//! Why the scratch tables get their keys and indexes only when the replay is done, and the
//! interval rows are held in memory until they close (`Memory::hold_open_rows`): each row is
//! then inserted once, into a table with nothing to maintain beside it, where it used to be
//! inserted, later updated, and indexed at each. The statistics' tables keep their keys from
//! the start: their upserts need them. A writer task sends each batch's rows on a second
//! connection while the replay applies the next batch, so the replay's CPU and PostgreSQL's
//! overlap. What it costs is memory: every row still open, and every stream's open-row keys,
//! stay in memory to the end (peak RSS of `bench rebuild` on the million-event log 520 MiB,
//! against 303 MiB before; crates/bench/BENCHMARKS.md, "2026-12-05 (fifth stop)").
//!
//! Why `rebuild_all` reads once for every view: reading and decoding the log was a fifth of
//! the replaying process's CPU time (`perf` over the worklist's replay in `bench rebuild`),
//! and one view at a time left a core idle while it waited on PostgreSQL. The views then
//! apply side by side, each in its own scratch schema, and fold each stream once between
//! them.
//!
//! Why a rebuild's memory is ten times a live runner's (`Memory::for_rebuild`): a rebuild
//! meets every stream of the log, a live runner mostly the recent ones; with the live size
//! the million-event replay read most streams again at each of their events.

use std::sync::Arc;
use std::time::Instant;

use eventstore::{EventStore, Position, RecordedEvent};
use sqlx::{Connection as _, Executor as _, PgConnection};

use crate::fold::SharedSteps;
use crate::writes::Writes;
use crate::{Error, Memory, Projection, View};

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
    let memory = Memory::for_rebuild(store.clone(), SharedSteps::new(1));
    rebuild_with(store, projection, batch_size, memory, progress).await
}

/// [`rebuild`] with a memory of the caller's choosing (a test compares memories).
pub async fn rebuild_with<P: Projection>(
    store: &EventStore,
    projection: &P,
    batch_size: u32,
    memory: Memory,
    mut progress: impl FnMut(RebuildProgress),
) -> Result<(u64, Position), Error> {
    let started = Instant::now();
    let total = store.readable_count().await?;
    let mut report = |applied| {
        progress(RebuildProgress {
            applied,
            total,
            elapsed_seconds: started.elapsed().as_secs_f64(),
        })
    };
    let mut replay = Replay::begin(store, projection, memory).await?;
    loop {
        let batch = store.read_all(replay.position, batch_size).await?;
        if batch.is_empty() {
            break;
        }
        replay.apply(projection, &batch).await?;
        report(replay.applied);
    }
    replay.finish_loading(projection).await?;
    let (applied, checkpoint) = replay.swap(store, projection, batch_size).await?;
    report(applied);
    Ok((applied, checkpoint))
}

/// Rebuilds every view in `views` at once from one read of the log: a reader hands each
/// batch to every view, each applies it on its own connection and task, so the views share
/// the reading, the decoding and the folding of streams (their memories share steps, see
/// `fold::SharedSteps`), and use every core the runtime has. Each view then catches up and swaps
/// in as [`rebuild`] does. Progress counts the events read, at most two batches ahead of
/// the slowest view. Returns each view's name, events applied and checkpoint; if a view
/// fails, the others still finish and swap in, and the first failure is returned. The views
/// are tasks of their own: a caller that stops waiting leaves each to catch up from the log
/// and swap in all the same.
pub async fn rebuild_all(
    store: &EventStore,
    views: Vec<View>,
    batch_size: u32,
    mut progress: impl FnMut(RebuildProgress),
) -> Result<Vec<(&'static str, u64, Position)>, Error> {
    let started = Instant::now();
    let mut senders = Vec::with_capacity(views.len());
    let mut tasks = Vec::with_capacity(views.len());
    let shared = SharedSteps::new(views.iter().filter(|view| view.folds()).count());
    for view in views {
        let (sender, batches) = tokio::sync::mpsc::channel::<Arc<Vec<RecordedEvent>>>(2);
        senders.push(sender);
        // A view that does not fold (the timeline) never steps, so never shares.
        let memory = Memory::for_rebuild(store.clone(), Arc::clone(&shared));
        tasks.push(tokio::spawn(replay_batches(
            store.clone(),
            view,
            memory,
            batches,
            batch_size,
        )));
    }
    let total = store.readable_count().await?;
    let mut position = Position::START;
    let mut read = 0u64;
    'read: loop {
        let batch = store.read_all(position, batch_size).await?;
        let Some(last) = batch.last() else {
            break;
        };
        position = last.position;
        read += batch.len() as u64;
        let batch = Arc::new(batch);
        for sender in &senders {
            // A view that stopped has failed; its task says why below.
            if sender.send(Arc::clone(&batch)).await.is_err() {
                break 'read;
            }
        }
        progress(RebuildProgress {
            applied: read,
            total,
            elapsed_seconds: started.elapsed().as_secs_f64(),
        });
    }
    drop(senders);
    // Every view ends (swapped in, or failed and left as it was) before the first failure
    // is told, so none is cut off halfway through its swap.
    let mut outcomes = Vec::with_capacity(tasks.len());
    for task in tasks {
        outcomes.push(
            task.await
                .map_err(|error| Error::Rebuild(error.to_string()))
                .and_then(|outcome| outcome),
        );
    }
    outcomes.into_iter().collect()
}

/// One view's part of [`rebuild_all`]: the batches the reader hands it, then its swap.
async fn replay_batches(
    store: EventStore,
    view: View,
    memory: Memory,
    mut batches: tokio::sync::mpsc::Receiver<Arc<Vec<RecordedEvent>>>,
    batch_size: u32,
) -> Result<(&'static str, u64, Position), Error> {
    let mut replay = Replay::begin(&store, &view, memory).await?;
    while let Some(batch) = batches.recv().await {
        replay.apply(&view, &batch).await?;
    }
    replay.finish_loading(&view).await?;
    let (applied, checkpoint) = replay.swap(&store, &view, batch_size).await?;
    Ok((view.name(), applied, checkpoint))
}

/// One view's replay into its scratch schema, on its own connection.
struct Replay {
    connection: PgConnection,
    memory: Memory,
    scratch: String,
    position: Position,
    applied: u64,
    /// Sends each batch's rows on a connection of its own while the next batch is applied,
    /// when the memory holds the open rows (the replay then reads back none of its writes).
    writer: Option<Writer>,
}

/// A task writing the batches it is handed in order, each in one transaction.
struct Writer {
    batches: tokio::sync::mpsc::Sender<Writes>,
    task: tokio::task::JoinHandle<Result<(), Error>>,
}

impl Writer {
    async fn start(store: &EventStore, scratch: &str) -> Result<Self, Error> {
        let mut connection = store.pool().acquire().await?.detach();
        let path = format!("set search_path to {scratch}, public");
        connection.execute(sqlx::raw_sql(&path)).await?;
        // One batch written while the next is applied, one waiting: the replay runs at
        // most a batch ahead, and holds at most two batches' rows.
        let (batches, mut received) = tokio::sync::mpsc::channel::<Writes>(1);
        let task = tokio::spawn(async move {
            while let Some(writes) = received.recv().await {
                let mut transaction = connection.begin().await?;
                writes.send(&mut transaction).await?;
                transaction.commit().await?;
            }
            let _ = connection.close().await;
            Ok(())
        });
        Ok(Self { batches, task })
    }

    async fn write(&mut self, writes: Writes) -> Result<(), Error> {
        if self.batches.send(writes).await.is_ok() {
            return Ok(());
        }
        // The task stopped, which it does only when a batch failed: its error says why.
        join(&mut self.task).await?;
        Err(Error::Rebuild("the rebuild's writer stopped".to_owned()))
    }

    /// Waits until every batch handed over is written.
    async fn finish(self) -> Result<(), Error> {
        drop(self.batches);
        join(self.task).await
    }
}

async fn join(
    task: impl std::future::Future<Output = Result<Result<(), Error>, tokio::task::JoinError>>,
) -> Result<(), Error> {
    task.await
        .map_err(|error| Error::Rebuild(error.to_string()))
        .and_then(|outcome| outcome)
}

impl Replay {
    /// Makes the scratch schema with the view's tables, first on the connection's path.
    async fn begin<P: Projection>(
        store: &EventStore,
        projection: &P,
        mut memory: Memory,
    ) -> Result<Self, Error> {
        let scratch = format!("rebuild_{}", projection.name());
        let mut connection = store.pool().acquire().await?.detach();
        let fresh = format!(
            "drop schema if exists {scratch} cascade; create schema {scratch}; \
             set search_path to {scratch}, public"
        );
        connection.execute(sqlx::raw_sql(&fresh)).await?;
        let (tables, _) = split_schema(projection.schema());
        connection.execute(sqlx::raw_sql(tables)).await?;
        memory.hold_open_rows();
        let writer = if memory.holds_open_rows() {
            Some(Writer::start(store, &scratch).await?)
        } else {
            None
        };
        Ok(Self {
            connection,
            memory,
            scratch,
            position: Position::START,
            applied: 0,
            writer,
        })
    }

    /// Applies the next batch of the log, and sends its rows: to the writer, or in one
    /// transaction here.
    async fn apply<P: Projection>(
        &mut self,
        projection: &P,
        batch: &[RecordedEvent],
    ) -> Result<(), Error> {
        for event in batch {
            projection
                .apply(&mut self.connection, event, &mut self.memory)
                .await?;
            self.position = event.position;
        }
        let writes = self.memory.take_writes();
        match &mut self.writer {
            Some(writer) => writer.write(writes).await?,
            None => {
                let mut transaction = self.connection.begin().await?;
                writes.send(&mut transaction).await?;
                transaction.commit().await?;
            }
        }
        self.applied += batch.len() as u64;
        Ok(())
    }

    /// Sends the rows held open and waits for the writer, then adds the keys and indexes to
    /// the loaded tables.
    async fn finish_loading<P: Projection>(&mut self, projection: &P) -> Result<(), Error> {
        let held = self.memory.take_all_writes();
        let mut transaction = self.connection.begin().await?;
        match self.writer.take() {
            Some(mut writer) => {
                writer.write(held).await?;
                writer.finish().await?;
            }
            None => held.send(&mut transaction).await?,
        }
        let (_, after_loading) = split_schema(projection.schema());
        transaction.execute(sqlx::raw_sql(after_loading)).await?;
        transaction.commit().await?;
        Ok(())
    }

    /// Catches up with the live view and swaps the tables in (see the module docs).
    async fn swap<P: Projection>(
        mut self,
        store: &EventStore,
        projection: &P,
        batch_size: u32,
    ) -> Result<(u64, Position), Error> {
        let name = projection.name();
        let scratch = &self.scratch;
        let mut transaction = self.connection.begin().await?;
        // `checkpoints` and `projection_schemas` exist only in `public`, so the search path
        // finds them there.
        eventstore::ensure_checkpoint(&mut transaction, name).await?;
        let live = eventstore::lock_checkpoint(&mut transaction, name).await?;
        // Catch up to the live view, which cannot move while its checkpoint row is locked.
        'catch_up: while self.position < live {
            let batch = store.read_all(self.position, batch_size).await?;
            if batch.is_empty() {
                break;
            }
            for event in &batch {
                if event.position > live {
                    break 'catch_up;
                }
                projection
                    .apply(&mut transaction, event, &mut self.memory)
                    .await?;
                self.position = event.position;
                self.applied += 1;
            }
        }
        self.memory.flush(&mut transaction).await?;
        let checkpoint = self.position.max(live);
        for table in projection.tables() {
            let sql = format!(
                "drop table if exists public.{table} cascade; \
                 alter table {scratch}.{table} set schema public"
            );
            transaction.execute(sqlx::raw_sql(&sql)).await?;
        }
        eventstore::save_checkpoint(&mut transaction, name, checkpoint).await?;
        crate::record_schema(&mut transaction, projection).await?;
        let sql = format!("drop schema {scratch} cascade");
        transaction.execute(sqlx::raw_sql(&sql)).await?;
        transaction.commit().await?;
        let _ = self.connection.close().await;
        Ok((self.applied, checkpoint))
    }
}

/// Where a view's DDL (its `schema/*.sql`) may be cut for loading: the tables above, their
/// keys and indexes from here on, which a rebuild adds once its rows are in.
const AFTER_LOADING: &str = "-- After loading:";

/// A view's DDL as (tables, keys and indexes); the second is empty without the marker.
fn split_schema(schema: &str) -> (&str, &str) {
    schema
        .find(AFTER_LOADING)
        .map_or((schema, ""), |at| schema.split_at(at))
}
