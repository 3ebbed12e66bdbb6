//! The append-only event store in PostgreSQL: the only source of truth in Vern.
//!
//! It stores typed envelopes (stream, event type, schema version, JSON payload, metadata) and
//! knows nothing of the domain; services turn domain events into [`NewEvent`]s at their edge.
//!
//! # Guarantees
//! - **Atomic appends** to one or several streams, each with an [`ExpectedVersion`]; a mismatch
//!   is [`Error::Conflict`] and nothing is written.
//! - **Idempotent commands**: every append carries a command id; a replay returns the first
//!   [`AppendResult`] and writes nothing.
//! - **Gap-free global order.** Identity values commit out of order under concurrency, so a
//!   reader that asks for "position > last seen" can skip an event that commits later with a
//!   lower position. The log is therefore ordered by `(transaction_id, global_position)`, and
//!   [`EventStore::read_all`] returns only rows of transactions below the reader's snapshot
//!   `xmin`: every transaction below it has ended, so nothing can appear behind the reader
//!   later. A long transaction anywhere delays readers ([`EventStore::horizon`] shows how
//!   long); it never makes them skip.
//! - **What is stored reads back.** An event whose payload nests past [`MAX_PAYLOAD_DEPTH`]
//!   or holds a NUL character is refused before anything is written: the readers could not
//!   decode it, and every subscriber would stop at it.
//! - **Group commit keeps each command's answer.** Appends that queue while a batch commits
//!   are committed together in one transaction (`group`): each is checked as if it came alone,
//!   in arrival order, and gets its own result (written, replayed, conflict); a batch that
//!   fails as a whole is retried command by command. [`EventStore::with_single_appends`]
//!   commits each append alone; the store's tests run on both paths.
//! - **Per-stream order in the global log.** An append takes advisory locks on its streams
//!   before its first write, so its transaction id is assigned after the previous writer of
//!   those streams committed, and is larger. That is why an append must be the first write of
//!   its transaction ([`Error::NotFirstWrite`]).
//!
//! # Layout
//! - `model`: the envelopes, positions and results.
//! - `store`: [`EventStore`]: append, read, horizon, checkpoints.
//! - `group`: the committer that gathers concurrent appends into one transaction.
//! - `subscription`: catch up from a checkpoint, then follow live (LISTEN/NOTIFY + polling).
//! - `upcast`: old schema versions of an event brought up to date on read.
//! - `migrations/`: the schema, including the `vern_append` function that makes one append one
//!   round trip, and `vern_append_many` that makes a batch of them one.

mod error;
mod group;
mod model;
mod store;
mod subscription;
mod upcast;

pub use error::Error;
pub use model::{
    Actor, AppendRequest, AppendResult, EventMetadata, ExpectedVersion, NewEvent, Position,
    RecordedEvent, StreamVersion, StreamWrite,
};
pub use store::{
    Behind, Counts, EventStore, Horizon, MAX_PAYLOAD_DEPTH, delete_checkpoint, ensure_checkpoint,
    load_checkpoint, lock_checkpoint, save_checkpoint,
};
pub use subscription::Subscription;
pub use upcast::{UpcastFn, Upcasters};

/// The channel appends notify on commit.
pub const NOTIFY_CHANNEL: &str = "vern_events";
