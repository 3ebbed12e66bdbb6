//! A subscriber (a projection, a process manager) reads the global log in batches from its
//! checkpoint and then waits for more. It is woken by the NOTIFY the appending process sends
//! after each commit (coalesced: one for a burst of appends); notifications can be lost (a
//! dropped connection, a process killed between commit and notify, a transaction that holds
//! the horizon back), so it also polls: a lost notification costs latency, never an event.
//!
//! The subscription is a cursor: [`Subscription::next_batch`] advances it in memory. The
//! subscriber applies the batch and calls [`Subscription::save_checkpoint`] in the same
//! transaction. If that transaction fails, call [`Subscription::rewind`] (or open a new
//! subscription), which goes back to the durable checkpoint: events are then applied again
//! from there, never skipped and never applied twice.

use std::time::Duration;

use sqlx::PgConnection;
use sqlx::postgres::PgListener;

use crate::store::{load_checkpoint, read_all_in, save_checkpoint};
use crate::{Error, EventStore, NOTIFY_CHANNEL, Position, RecordedEvent};

/// The first look after a notification whose event was not yet readable.
const RECHECK_AFTER_NOTIFY: Duration = Duration::from_millis(10);

/// Following the global log for one named subscriber.
pub struct Subscription {
    store: EventStore,
    subscriber: String,
    position: Position,
    listener: PgListener,
    poll_interval: Duration,
    batch_size: u32,
}

impl Subscription {
    pub(crate) async fn open(store: EventStore, subscriber: &str) -> Result<Self, Error> {
        // Listen before the first read, so nothing committed between the two goes unnoticed.
        let mut listener = PgListener::connect_with(store.pool()).await?;
        listener.listen(NOTIFY_CHANNEL).await?;
        let position = {
            let mut connection = store.pool().acquire().await?;
            load_checkpoint(&mut connection, subscriber).await?
        };
        Ok(Self {
            store,
            subscriber: subscriber.to_owned(),
            position,
            listener,
            poll_interval: Duration::from_millis(500),
            batch_size: 500,
        })
    }

    /// How often to look for events when no notification comes. Default 500 ms.
    pub fn with_poll_interval(mut self, poll_interval: Duration) -> Self {
        self.poll_interval = poll_interval;
        self
    }

    /// The most events one batch holds. Default 500.
    pub fn with_batch_size(mut self, batch_size: u32) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    pub fn subscriber(&self) -> &str {
        &self.subscriber
    }

    /// Where the cursor is: after the last event handed out.
    pub fn position(&self) -> Position {
        self.position
    }

    /// The next events after the cursor, waiting until there is at least one. Cancel-safe:
    /// dropping the future before it returns leaves the cursor where it was.
    pub async fn next_batch(&mut self) -> Result<Vec<RecordedEvent>, Error> {
        let mut wait = self.poll_interval;
        loop {
            let batch = self.try_next_batch().await?;
            if !batch.is_empty() {
                return Ok(batch);
            }
            // A notification or the wait, whichever comes first; then drain the rest.
            match tokio::time::timeout(wait, self.listener.recv()).await {
                Ok(received) => {
                    received?;
                    while self.listener.next_buffered().is_some() {}
                    // Something committed. If the read after this finds nothing, the event is
                    // behind the horizon (an older transaction, in any database of the
                    // cluster, is still open) and no further notification is due: look again
                    // soon, backing off towards the poll interval.
                    wait = RECHECK_AFTER_NOTIFY.min(self.poll_interval);
                }
                Err(_) => wait = (wait * 2).min(self.poll_interval),
            }
        }
    }

    /// The next events after the cursor, if any, without waiting.
    pub async fn try_next_batch(&mut self) -> Result<Vec<RecordedEvent>, Error> {
        let mut connection = self.store.pool().acquire().await?;
        let batch = read_all_in(
            &mut connection,
            self.store.upcasters(),
            self.position,
            self.batch_size,
        )
        .await?;
        if let Some(last) = batch.last() {
            self.position = last.position;
        }
        Ok(batch)
    }

    /// Stores the cursor as the durable checkpoint, in the subscriber's own transaction.
    pub async fn save_checkpoint(&self, connection: &mut PgConnection) -> Result<(), Error> {
        save_checkpoint(connection, &self.subscriber, self.position).await
    }

    /// Moves the cursor back to the durable checkpoint, after a failed transaction.
    pub async fn rewind(&mut self) -> Result<(), Error> {
        let mut connection = self.store.pool().acquire().await?;
        self.position = load_checkpoint(&mut connection, &self.subscriber).await?;
        Ok(())
    }
}
