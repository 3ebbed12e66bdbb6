//! Read models built from the event store's gap-free global log, and the runner that keeps
//! them current.
//!
//! Why a runner per projection with a session advisory lock: several `vern` processes may run,
//! but a projection must be applied by one at a time. The runner takes the lock on one
//! dedicated connection and applies every batch in a transaction on that same connection, with
//! the checkpoint saved in it. If the connection dies, the lock and the open batch go with it,
//! so a standby that takes over starts from the last committed checkpoint: nothing is applied
//! twice and nothing is skipped.
//!
//! Layout:
//! - [`Projection`]: what a read model implements (its name and how one event changes it).
//! - [`Runner`]: the lock, the catch-up and live loop, the batch transactions.
//! - [`status`]: checkpoint and lag of a projection.
//! - [`timeline`]: the case timeline read model.

mod runner;
pub mod timeline;

use std::future::Future;

use eventstore::RecordedEvent;
use sqlx::PgConnection;

pub use runner::{Runner, Status, status};

/// The projections' one error type.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] eventstore::Error),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("projection {projection} cannot apply event {position}: {reason}")]
    Apply {
        projection: &'static str,
        position: eventstore::Position,
        reason: String,
    },
}

/// A read model: its own tables, changed one event at a time inside the runner's transaction.
pub trait Projection: Send + Sync {
    /// The subscriber name, also the checkpoint's key and the advisory lock's.
    fn name(&self) -> &'static str;

    fn apply<'a>(
        &'a self,
        transaction: &'a mut PgConnection,
        event: &'a RecordedEvent,
    ) -> impl Future<Output = Result<(), Error>> + Send + 'a;
}

/// Creates the read models' tables. Safe beside the event store's migrations.
pub async fn migrate(pool: &sqlx::PgPool) -> Result<(), Error> {
    let mut migrator = sqlx::migrate!("./migrations");
    migrator.set_ignore_missing(true);
    migrator.run(pool).await?;
    Ok(())
}
