use std::future::Future;
use std::time::{Duration, Instant};

use chrono::Utc;
use eventstore::{EventStore, Position};
use sqlx::{Connection as _, PgConnection};

use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use crate::{Error, Memory, Projection};

/// Events a runner applies between yields to the runtime (see `apply_batch`).
const YIELD_EVERY: usize = 16;

/// How soon a draining runner looks again when what is left is behind the horizon.
const DRAIN_RECHECK: Duration = Duration::from_millis(10);

/// Keeps one projection current while it holds the projection's lock.
pub struct Runner<P> {
    store: EventStore,
    projection: P,
    batch_size: u32,
    poll_interval: Duration,
    drain_limit: Duration,
}

impl<P: Projection> Runner<P> {
    pub fn new(store: EventStore, projection: P) -> Self {
        Self {
            store,
            projection,
            batch_size: 500,
            poll_interval: Duration::from_millis(500),
            drain_limit: Duration::from_secs(10),
        }
    }

    pub fn with_batch_size(mut self, batch_size: u32) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    /// How often a standby tries the lock, and a subscription polls without notifications.
    pub fn with_poll_interval(mut self, poll_interval: Duration) -> Self {
        self.poll_interval = poll_interval;
        self
    }

    /// How long a runner told to stop goes on applying what is already readable. A process
    /// that stops with its views current lets the next start serve current answers at once;
    /// past the limit, the rest waits for the next runner.
    pub fn with_drain_limit(mut self, drain_limit: Duration) -> Self {
        self.drain_limit = drain_limit;
        self
    }

    /// Runs until `shutdown` completes or an error stops it. After `shutdown` it applies what
    /// is readable then, for at most the drain limit. The caller restarts it after an error;
    /// it resumes from the last committed checkpoint.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) -> Result<(), Error> {
        let name = self.projection.name();
        tokio::pin!(shutdown);
        // The lock and every batch live on this one connection (see the crate docs).
        let mut connection = self.store.pool().acquire().await?.detach();
        loop {
            let locked: bool = sqlx::query_scalar(
                "select pg_try_advisory_lock(hashtextextended('vern.projection/' || $1, 0))",
            )
            .bind(name)
            .fetch_one(&mut connection)
            .await?;
            if locked {
                break;
            }
            tokio::select! {
                () = tokio::time::sleep(self.poll_interval) => {}
                () = &mut shutdown => return Ok(()),
            }
        }
        tracing::info!(projection = name, "projection running");
        // The row every batch locks first (see `apply_batch`).
        eventstore::ensure_checkpoint(&mut connection, name).await?;
        // Stopped at an event before (this process or another): the first batch applied
        // clears the record.
        let mut stopped_before = crate::failures::is_recorded(&mut connection, name).await?;
        let mut subscription = self
            .store
            .subscribe(name)
            .await?
            .with_batch_size(self.batch_size)
            .with_poll_interval(self.poll_interval);
        // A view refilled from the log's first event knows which streams it has not met.
        let mut memory = if subscription.position() == Position::START {
            Memory::from_start(self.store.clone())
        } else {
            Memory::new(self.store.clone())
        };
        // After the shutdown signal: until when, and up to where (the last event committed
        // then; events behind the horizon, such as another view's open batch, count too).
        let mut draining: Option<(Instant, Position)> = None;
        let result = loop {
            let from = subscription.position();
            let batch = match draining {
                None => tokio::select! {
                    batch = subscription.next_batch() => batch?,
                    () = &mut shutdown => {
                        let last = self.store.last_position().await?;
                        draining = Some((Instant::now() + self.drain_limit, last));
                        continue;
                    }
                },
                Some((_, last)) if from >= last => {
                    tracing::info!(projection = name, position = %from, "projection stopped, current");
                    break Ok(());
                }
                Some((until, _)) if Instant::now() < until => {
                    let batch = subscription.try_next_batch().await?;
                    if batch.is_empty() {
                        tokio::time::sleep(DRAIN_RECHECK).await;
                        continue;
                    }
                    batch
                }
                Some(_) => {
                    tracing::warn!(projection = name, position = %from, "projection stopped before it was current: the drain limit passed");
                    break Ok(());
                }
            };
            match self
                .apply_batch(&mut connection, &mut memory, &subscription, from, &batch)
                .await
            {
                Ok(true) if stopped_before => {
                    if let Err(error) = crate::failures::clear(&mut connection, name).await {
                        break Err(error);
                    }
                    tracing::info!(projection = name, position = %subscription.position(), "projection applied the event it had stopped at");
                    stopped_before = false;
                }
                Ok(true) => {}
                Ok(false) => {
                    tracing::info!(
                        projection = name,
                        "checkpoint moved by a rebuild; resuming from it"
                    );
                    memory.forget();
                    if let Err(error) = subscription.rewind().await {
                        break Err(error.into());
                    }
                    continue;
                }
                Err(Error::Apply {
                    projection,
                    position,
                    reason,
                }) => {
                    // Said where an operator looks (`failures`); the batch was rolled back.
                    let event_type = batch
                        .iter()
                        .find(|event| event.position == position)
                        .map_or("", |event| event.event_type.as_str());
                    tracing::error!(projection, %position, event_type, error = %reason, "projection cannot apply an event; it stops there and tries again");
                    if let Err(error) = crate::failures::record(
                        &mut connection,
                        projection,
                        position,
                        event_type,
                        &reason,
                    )
                    .await
                    {
                        tracing::error!(projection, %error, "the projection's stop could not be recorded");
                    }
                    break Err(Error::Apply {
                        projection,
                        position,
                        reason,
                    });
                }
                Err(error) => break Err(error),
            }
            tracing::debug!(projection = name, events = batch.len(), position = %subscription.position(), "batch applied");
        };
        // Closing the connection releases the session lock.
        let _ = connection.close().await;
        result
    }

    /// Applies the batch read after `from`, unless the stored checkpoint is no longer `from`
    /// (a rebuild swapped the tables in meanwhile): then nothing is applied and it returns
    /// false. A rebuild's swap locks the same checkpoint row, so the two never interleave.
    async fn apply_batch(
        &self,
        connection: &mut PgConnection,
        memory: &mut Memory,
        subscription: &eventstore::Subscription,
        from: Position,
        batch: &[eventstore::RecordedEvent],
    ) -> Result<bool, Error> {
        let span = tracing::info_span!(
            "projection batch",
            otel.name = %format!("projection {}", self.projection.name()),
            projection = self.projection.name(),
            events = batch.len(),
        );
        for event in batch {
            if let Some(context) = event.metadata.traceparent.as_deref().and_then(span_context) {
                span.add_link(context);
            }
        }
        async {
            let mut transaction = connection.begin().await?;
            let stored =
                eventstore::lock_checkpoint(&mut transaction, self.projection.name()).await?;
            if stored != from {
                transaction.rollback().await?;
                return Ok(false);
            }
            for (applied, event) in batch.iter().enumerate() {
                // Any failure is this event's: named by its position, so it can be found.
                self.projection
                    .apply(&mut transaction, event, memory)
                    .await
                    .map_err(|error| match error {
                        Error::Apply { .. } => error,
                        other => Error::Apply {
                            projection: self.projection.name(),
                            position: event.position,
                            reason: other.to_string(),
                        },
                    })?;
                // Applying from memory never waits, and a whole batch of it would hold a
                // worker thread the calls need; yielding after every event put the view
                // behind every queued call each time.
                if applied % YIELD_EVERY == YIELD_EVERY - 1 {
                    tokio::task::yield_now().await;
                }
            }
            memory.flush(&mut transaction).await?;
            subscription.save_checkpoint(&mut transaction).await?;
            transaction.commit().await?;
            Ok(true)
        }
        .instrument(span)
        .await
    }
}

/// The span a W3C `traceparent` names, to link a batch to the requests that wrote its events.
fn span_context(traceparent: &str) -> Option<SpanContext> {
    let mut parts = traceparent.split('-');
    let (Some("00"), Some(trace_id), Some(span_id), Some(flags), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let context = SpanContext::new(
        TraceId::from_hex(trace_id).ok()?,
        SpanId::from_hex(span_id).ok()?,
        TraceFlags::new(u8::from_str_radix(flags, 16).ok()?),
        true,
        TraceState::default(),
    );
    context.is_valid().then_some(context)
}

/// Where a projection stands.
#[derive(Clone, Debug, PartialEq)]
pub struct Status {
    pub checkpoint: Position,
    /// Readable events it has not applied yet.
    pub events_behind: i64,
    /// Age of the oldest of those; zero when it is caught up.
    pub seconds_behind: f64,
    /// Committed events it cannot read yet: their transactions began after one still open
    /// (the horizon; see `EventStore::horizon`).
    pub events_waiting: i64,
}

/// The projection's checkpoint and lag.
pub async fn status(store: &EventStore, projection: &str) -> Result<Status, Error> {
    let checkpoint = {
        let mut connection = store.pool().acquire().await?;
        eventstore::load_checkpoint(&mut connection, projection).await?
    };
    let behind = store.after(checkpoint).await?;
    Ok(Status {
        checkpoint,
        events_behind: behind.readable,
        seconds_behind: behind.oldest_readable.map_or(0.0, |at| {
            (Utc::now() - at).num_milliseconds() as f64 / 1000.0
        }),
        events_waiting: behind.waiting,
    })
}

#[cfg(test)]
mod tests {
    use super::span_context;

    #[test]
    fn a_traceparent_names_its_span_and_anything_else_names_none() {
        let context =
            span_context("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
        assert_eq!(
            context.trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert_eq!(context.span_id().to_string(), "00f067aa0ba902b7");
        assert!(context.is_sampled() && context.is_remote());
        for broken in [
            "",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00-zzf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            assert!(span_context(broken).is_none(), "{broken:?}");
        }
    }
}
