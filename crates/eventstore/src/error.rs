use uuid::Uuid;

use crate::ExpectedVersion;

/// The one error type of the event store. A conflict is its own variant, never a generic
/// database error, so callers can retry it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("stream {stream_id} is at version {actual}, expected {expected}")]
    Conflict {
        stream_id: String,
        expected: ExpectedVersion,
        /// The stream's current version; 0 when it has no events.
        actual: u64,
    },
    /// The command id was first used with another command (its fingerprint differs): not a
    /// replay, and nothing was written.
    #[error("command id {command_id} was already used for another command")]
    CommandIdReused { command_id: Uuid },
    #[error("invalid append: {0}")]
    InvalidAppend(String),
    #[error("an append must be the first write of its transaction")]
    NotFirstWrite,
    #[error("an append needs read committed isolation")]
    WrongIsolation,
    #[error("event id {0} is already stored")]
    DuplicateEventId(Uuid),
    #[error("cannot upcast {event_type} from schema version {from_version}: {reason}")]
    Upcast {
        event_type: String,
        from_version: i32,
        reason: String,
    },
    #[error("stored data is malformed: {0}")]
    Malformed(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The database could not be reached for a batch this append was in, or queued behind:
    /// nothing of it was written, and it may be sent again.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl Error {
    /// Whether the database could not be reached (as opposed to refusing the request): no
    /// connection, or a connection the server ended (SQLSTATE class 08, connection
    /// exception, or 57P, operator intervention: the server shutting down or starting up).
    pub fn is_unavailable(&self) -> bool {
        match self {
            Error::Unavailable(_) => true,
            Error::Database(
                sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed,
            ) => true,
            Error::Database(sqlx::Error::Database(error)) => error
                .code()
                .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
            _ => false,
        }
    }
}
