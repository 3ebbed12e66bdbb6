//! How every service handles a command, written once: look up the command id (a replay gets
//! the first answer), load the streams, fold them, decide, append with the expected versions,
//! and on a concurrency conflict start again from loading, a bounded number of times.
//!
//! It also holds the one mapping from failures to gRPC status codes, with
//! `google.rpc.BadRequest` field violations for bad input, and the conversions every service
//! shares (ids, dates, texts, enums). Services keep their own request-to-command conversions.
//!
//! Layout:
//! - [`Handler`]: loading, deciding and appending with retries.
//! - [`Error`]: what can go wrong, and its `tonic::Status`.
//! - [`convert`]: shared request field parsing, each error naming its field, every bad field
//!   of a request gathered by [`convert::Fields`].
//! - [`policy`]: which roles may call which methods, and which municipalities' data.
//! - [`audit`]: the append-only record of reads of cases and reports.
//! - [`command`]: a command's id and the fingerprint that binds the id to what was sent.
//! - [`revocation`]: tokens revoked before their end.
//! - [`principal`]: who is calling, its role and municipalities parsed once, as the server's
//!   authentication left it on the request.
//! - [`trace`]: the request's trace context, recorded in every event's metadata.
//! - [`case_service!`]: the tonic impl of a case service, its RPCs listed by their conversions.

pub mod audit;
mod case_service;
pub mod command;
pub mod convert;
mod error;
mod handler;
pub mod policy;
pub mod principal;
pub mod revocation;
pub mod trace;

pub use command::CommandKey;
pub use error::Error;
pub use handler::{Clock, Handler, writes};
