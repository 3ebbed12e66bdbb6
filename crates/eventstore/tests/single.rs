//! The event store's tests of `tests/it` again, each append committed in a transaction of its
//! own (the single path, `EventStore::with_single_appends`). The batch-only tests stay in `it`.

/// Whether this binary's stores gather appends into group commits.
const GROUP_COMMIT: bool = false;

#[path = "it/append.rs"]
mod append;
#[path = "it/global_order.rs"]
mod global_order;
#[path = "it/stress.rs"]
mod stress;
#[path = "it/subscription.rs"]
mod subscription;

include!("it/helpers.rs");
