//! The event store against a real PostgreSQL: one test binary, one fresh database per test.
//! Appends take the default path, group commit; `tests/single.rs` runs the same tests with
//! each append committed alone.

/// Whether this binary's stores gather appends into group commits.
const GROUP_COMMIT: bool = true;

mod append;
mod batch;
mod global_order;
mod stress;
mod subscription;

include!("helpers.rs");
