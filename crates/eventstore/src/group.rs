//! Group commit: the appends that queue while one batch commits go together in the next.
//!
//! Why: with a transaction per append, every command paid a commit of its own (a WAL flush
//! and a round trip) beside its three rows, and under concurrency the commits, not the rows,
//! bounded the store. One committer task per store (two, or four, measured no better with
//! `bench append` on two cores: smaller batches cost more per command) takes whatever has
//! queued (it waits for nothing: a lone append is a batch of one and goes the single path),
//! sends it as one call of `vern_append_many` (migration 0006), which checks and writes each
//! command in arrival order inside one transaction, and answers each caller with its own
//! result. A conflict or
//! replay is a command's own result; only an error of the whole transaction (a duplicate
//! event id, a lost connection) touches the others, and then each is retried alone, which is
//! safe because a command id is idempotent: one that did commit answers as a replay.
//!
//! When the database cannot be reached, a batch is not retried command by command: each
//! caller is answered unavailable (nothing written, safe to send again), and so is every
//! append that queued while the committer waited for a connection, so no caller waits
//! longer than it would have alone.
//!
//! Locks: the batch takes every command's and stream's advisory lock in one key order before
//! its first write, so batches never deadlock each other. The single path locks the command
//! and then its streams; should one wait on a batch holding the same command id and stream
//! (the same command sent twice at once to two instances) while that batch waits on it,
//! PostgreSQL's deadlock detector ends one of the two, and a batch ended so retries alone.

use std::sync::Arc;

use serde_json::Value;
use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::store::{Notifier, PreparedAppend, append_alone, append_error, decode_outcome};
use crate::{AppendResult, Error};

/// The most commands one transaction carries; more wait for the next.
const MOST_PER_BATCH: usize = 256;
/// Appends waiting beyond this make their callers wait to queue (backpressure).
const QUEUE: usize = 4096;

#[derive(Clone, Debug)]
pub(crate) struct GroupCommit {
    queue: mpsc::Sender<Queued>,
    pool: PgPool,
    notifier: Notifier,
}

struct Queued {
    append: Arc<PreparedAppend>,
    reply: oneshot::Sender<Result<AppendResult, Error>>,
}

impl Queued {
    /// Answers that the database could not be reached: nothing of it was written.
    fn unavailable(self, reason: &str) {
        // A caller that has gone away no longer wants its answer.
        let _ = self.reply.send(Err(Error::Unavailable(reason.to_owned())));
    }
}

impl GroupCommit {
    /// `None` outside a Tokio runtime. The committer ends when the last store clone is dropped.
    pub(crate) fn spawn(pool: PgPool, notifier: Notifier) -> Option<Self> {
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        let (queue, waiting) = mpsc::channel(QUEUE);
        runtime.spawn(committer(pool.clone(), notifier.clone(), waiting));
        Some(Self {
            queue,
            pool,
            notifier,
        })
    }

    pub(crate) async fn append(&self, append: PreparedAppend) -> Result<AppendResult, Error> {
        let append = Arc::new(append);
        let (reply, answer) = oneshot::channel();
        let queued = Queued {
            append: append.clone(),
            reply,
        };
        if self.queue.send(queued).await.is_err() {
            // The committer has stopped (its runtime is shutting down): commit alone.
            return append_alone(&self.pool, &self.notifier, &append).await;
        }
        match answer.await {
            Ok(result) => result,
            // The committer was stopped with this append in its batch, which may or may not
            // have committed: alone, it is written now or answered as a replay.
            Err(_) => append_alone(&self.pool, &self.notifier, &append).await,
        }
    }
}

async fn committer(pool: PgPool, notifier: Notifier, mut waiting: mpsc::Receiver<Queued>) {
    let mut batch = Vec::with_capacity(MOST_PER_BATCH);
    while waiting.recv_many(&mut batch, MOST_PER_BATCH).await > 0 {
        if let Some(reason) = commit(&pool, &notifier, std::mem::take(&mut batch)).await {
            // The database could not be reached (after the pool's acquire timeout, 3 s in
            // `vern`): those that queued meanwhile would wait as long again, behind each
            // other, for the same answer. They get it now, as each would alone.
            while let Ok(queued) = waiting.try_recv() {
                queued.unavailable(&reason);
            }
        }
    }
}

/// Commits one batch and answers its callers; `Some(reason)` when the database could not
/// be reached.
async fn commit(pool: &PgPool, notifier: &Notifier, mut queued: Vec<Queued>) -> Option<String> {
    if queued.len() == 1
        && let Some(only) = queued.pop()
    {
        let result = append_alone(pool, notifier, &only.append).await;
        let unavailable = match &result {
            Err(error) if error.is_unavailable() => Some(error.to_string()),
            _ => None,
        };
        let _ = only.reply.send(result);
        return unavailable;
    }
    let appends: Vec<&PreparedAppend> = queued.iter().map(|q| q.append.as_ref()).collect();
    let span = tracing::debug_span!("group commit", commands = appends.len());
    match tracing::Instrument::instrument(commit_batch(pool, notifier, &appends), span).await {
        Ok(results) => {
            for (queued, result) in queued.into_iter().zip(results) {
                // A caller that has gone away no longer wants its answer.
                let _ = queued.reply.send(result);
            }
            None
        }
        Err(error) if error.is_unavailable() => {
            // Alone, each would fail the same way: nothing was written, and each may retry.
            let reason = error.to_string();
            tracing::warn!(%error, commands = queued.len(), "a group commit could not reach the database");
            for queued in queued {
                queued.unavailable(&reason);
            }
            Some(reason)
        }
        Err(error) => {
            tracing::warn!(%error, commands = queued.len(), "a group commit failed; each of its commands is retried alone");
            for queued in queued {
                let pool = pool.clone();
                let notifier = notifier.clone();
                tokio::spawn(async move {
                    let result = append_alone(&pool, &notifier, &queued.append).await;
                    let _ = queued.reply.send(result);
                });
            }
            None
        }
    }
}

/// The appends in one transaction (one statement, committed as it ends), each command's own
/// result in the order given, and the subscribers woken if any wrote; `Err` when the
/// transaction failed as a whole and wrote nothing.
pub(crate) async fn commit_batch<A: AsRef<PreparedAppend>>(
    pool: &PgPool,
    notifier: &Notifier,
    appends: &[A],
) -> Result<Vec<Result<AppendResult, Error>>, Error> {
    let arrays = BatchArrays::of(appends)?;
    let mut connection = pool.acquire().await?;
    let outcomes: Vec<Value> = sqlx::query_scalar(
        "select vern_append_many($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&arrays.command_ids)
    .bind(&arrays.fingerprints)
    .bind(&arrays.metadata)
    .bind(&arrays.stream_from)
    .bind(&arrays.event_from)
    .bind(&arrays.streams)
    .bind(&arrays.expected)
    .bind(&arrays.municipalities)
    .bind(&arrays.event_stream)
    .bind(&arrays.event_ids)
    .bind(&arrays.event_types)
    .bind(&arrays.schema_versions)
    .bind(&arrays.payloads)
    .fetch_one(&mut *connection)
    .await
    .map_err(append_error)?;
    if outcomes.len() != appends.len() {
        return Err(Error::Malformed(format!(
            "a batch of {} commands returned {} results",
            appends.len(),
            outcomes.len()
        )));
    }
    let results: Vec<_> = outcomes
        .into_iter()
        .zip(appends)
        .map(|(outcome, append)| decode_outcome(outcome, append.as_ref().command_id))
        .collect();
    if results
        .iter()
        .any(|result| matches!(result, Ok(result) if !result.replayed))
    {
        notifier.committed();
    }
    Ok(results)
}

/// Every command's arrays concatenated, as `vern_append_many` takes them: command i's streams
/// and events begin at `stream_from[i]` and `event_from[i]` (1-based, one entry more than
/// commands), and each event's slot counts over the whole batch.
#[derive(Default)]
struct BatchArrays {
    command_ids: Vec<Uuid>,
    fingerprints: Vec<Option<Vec<u8>>>,
    metadata: Vec<Value>,
    stream_from: Vec<i32>,
    event_from: Vec<i32>,
    streams: Vec<String>,
    expected: Vec<i64>,
    municipalities: Vec<Option<String>>,
    event_stream: Vec<i32>,
    event_ids: Vec<Uuid>,
    event_types: Vec<String>,
    schema_versions: Vec<i32>,
    payloads: Vec<Value>,
}

impl BatchArrays {
    fn of<A: AsRef<PreparedAppend>>(appends: &[A]) -> Result<Self, Error> {
        let slot = |n: usize| {
            i32::try_from(n + 1).map_err(|_| Error::InvalidAppend("batch too large".into()))
        };
        let mut arrays = BatchArrays::default();
        for append in appends {
            let append = append.as_ref();
            let offset = slot(arrays.streams.len())? - 1;
            arrays.command_ids.push(append.command_id);
            arrays.fingerprints.push(append.fingerprint.clone());
            arrays.metadata.push(append.metadata.clone());
            arrays.stream_from.push(slot(arrays.streams.len())?);
            arrays.event_from.push(slot(arrays.event_ids.len())?);
            arrays.streams.extend_from_slice(&append.streams);
            arrays.expected.extend_from_slice(&append.expected);
            arrays
                .municipalities
                .extend_from_slice(&append.municipalities);
            arrays
                .event_stream
                .extend(append.event_stream.iter().map(|s| s + offset));
            arrays.event_ids.extend_from_slice(&append.event_ids);
            arrays.event_types.extend_from_slice(&append.event_types);
            arrays
                .schema_versions
                .extend_from_slice(&append.schema_versions);
            arrays.payloads.extend_from_slice(&append.payloads);
        }
        arrays.stream_from.push(slot(arrays.streams.len())?);
        arrays.event_from.push(slot(arrays.event_ids.len())?);
        Ok(arrays)
    }
}

impl AsRef<PreparedAppend> for PreparedAppend {
    fn as_ref(&self) -> &PreparedAppend {
        self
    }
}
