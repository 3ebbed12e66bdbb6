use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// A place in the global log: the writing transaction's id, then the row's identity value.
/// The derived order compares the transaction first, which is the log's order.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Position {
    pub transaction_id: u64,
    pub global_position: i64,
}

impl Position {
    /// Before the first event.
    pub const START: Position = Position {
        transaction_id: 0,
        global_position: 0,
    };
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.transaction_id, self.global_position)
    }
}

/// What the writer believes the stream's version is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpectedVersion {
    /// Write whatever the version is.
    Any,
    /// The stream must have no events yet.
    NoStream,
    /// The stream's last event must have exactly this version (the first event is version 1).
    Exact(u64),
}

impl ExpectedVersion {
    /// The encoding `vern_append` takes: -1 any, 0 no stream, n exactly n.
    pub(crate) fn encode(self) -> Result<i64, crate::Error> {
        match self {
            ExpectedVersion::Any => Ok(-1),
            ExpectedVersion::NoStream => Ok(0),
            ExpectedVersion::Exact(0) => Err(crate::Error::InvalidAppend(
                "expected version Exact(0) does not exist: use NoStream".into(),
            )),
            ExpectedVersion::Exact(n) => i64::try_from(n).map_err(|_| {
                crate::Error::InvalidAppend(format!("expected version {n} too large"))
            }),
        }
    }

    pub(crate) fn decode(value: i64) -> Self {
        match value {
            -1 => ExpectedVersion::Any,
            0 => ExpectedVersion::NoStream,
            n => ExpectedVersion::Exact(n.unsigned_abs()),
        }
    }
}

impl fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectedVersion::Any => f.write_str("any version"),
            ExpectedVersion::NoStream => f.write_str("no stream"),
            ExpectedVersion::Exact(n) => write!(f, "version {n}"),
        }
    }
}

/// Who caused an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The authenticated subject (a user id or a system's name), never a national identity number.
    pub subject: String,
    pub role: String,
    pub municipality: Option<String>,
}

/// Stored beside every event of an append: where it came from and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMetadata {
    /// The caller's id for the command; the idempotency key.
    pub command_id: Uuid,
    /// The first command or message of the chain this belongs to.
    pub correlation_id: Uuid,
    /// The command or event that directly caused this one.
    pub causation_id: Uuid,
    pub actor: Actor,
    /// W3C trace context of the request, so a trace runs from caller to projection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
    /// The statutory rule set in force when the command was decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_set: Option<String>,
    /// When the service learned of it, by the service's clock (the event's own time is when
    /// its step was taken, which a caller may date back). Absent on events stored before
    /// steps could be dated back: their store time ([`RecordedEvent::recorded_at`]) says it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Why a step dated back was entered late, as the caller gave it. Free text: never logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_reason: Option<String>,
}

impl EventMetadata {
    /// Metadata for a command that starts its own chain.
    pub fn for_command(command_id: Uuid, actor: Actor) -> Self {
        Self {
            command_id,
            correlation_id: command_id,
            causation_id: command_id,
            actor,
            traceparent: None,
            rule_set: None,
            recorded_at: None,
            late_reason: None,
        }
    }
}

/// An event to append.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    pub event_id: Uuid,
    pub event_type: String,
    pub schema_version: i32,
    pub payload: Value,
}

impl NewEvent {
    pub fn new(event_type: impl Into<String>, schema_version: i32, payload: Value) -> Self {
        Self {
            event_id: Uuid::new_v4(),
            event_type: event_type.into(),
            schema_version,
            payload,
        }
    }
}

/// The events for one stream in an append.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamWrite {
    /// `<category>-<id>`, e.g. `report-6f0c…`; the category is what precedes the first `-`.
    pub stream_id: String,
    pub expected: ExpectedVersion,
    /// The municipality the stream belongs to, kept in `streams` for partitioning and access.
    pub municipality: Option<String>,
    /// May be empty: then the stream's version is only checked, not written.
    pub events: Vec<NewEvent>,
}

/// One atomic append: one command's events, to one or several streams.
#[derive(Clone, Debug, PartialEq)]
pub struct AppendRequest {
    pub metadata: EventMetadata,
    pub streams: Vec<StreamWrite>,
    /// What the command was, as its sender made it (a hash of its method and content): kept
    /// with the command's result, so its id sent again with anything else is
    /// [`crate::Error::CommandIdReused`] rather than a replay. `None` binds nothing.
    pub command_fingerprint: Option<Vec<u8>>,
}

/// A stream's version after an append.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamVersion {
    pub stream_id: String,
    pub version: u64,
}

/// What an append wrote; a replayed command gets the first append's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendResult {
    pub streams: Vec<StreamVersion>,
    /// The position of the first and the last event written, for read-your-writes waits.
    pub first_position: Position,
    pub last_position: Position,
    /// True when the command id had been seen before and nothing was written now.
    pub replayed: bool,
}

impl AppendResult {
    pub fn version_of(&self, stream_id: &str) -> Option<u64> {
        self.streams
            .iter()
            .find(|s| s.stream_id == stream_id)
            .map(|s| s.version)
    }
}

/// An event as stored, with its payload upcast to the newest schema version.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedEvent {
    pub position: Position,
    pub stream_id: String,
    pub stream_version: u64,
    pub event_id: Uuid,
    pub event_type: String,
    pub schema_version: i32,
    pub payload: Value,
    pub metadata: EventMetadata,
    pub recorded_at: DateTime<Utc>,
}

impl RecordedEvent {
    /// When the service learned of the event: the service's clock at its command, or for an
    /// event stored before that was kept, the store's.
    pub fn known_at(&self) -> DateTime<Utc> {
        self.metadata.recorded_at.unwrap_or(self.recorded_at)
    }
}
