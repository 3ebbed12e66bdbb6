//! The read models a serving process keeps current, and their schema (with the read audit's).
//!
//! Every `vern` process that serves runs a runner for every view; the runners' advisory locks
//! make one process apply each view while the others stand by, so replicas need no
//! coordination. A runner that fails is restarted from its last committed checkpoint.

use std::time::Duration;

use anyhow::Context as _;
use domain::rules::RuleBook;
use eventstore::EventStore;
use tokio::sync::watch;

/// The event store's schema and the read models', on one connection pool: for a database
/// whose one role both owns the schema and serves (a superuser's, as before roles were split).
pub async fn migrate_all(store: &EventStore) -> anyhow::Result<()> {
    migrate_owned(store.pool()).await?;
    migrate_views(store.pool()).await
}

/// The event store's schema and the read audit's, with the privileges of the serving role:
/// run as the schema's owner ([`platform::postgres::OWNER_ROLE`]). A role that does not own
/// the schema can run it when nothing is pending, which is how a serving process checks it.
pub async fn migrate_owned(pool: &sqlx::PgPool) -> anyhow::Result<()> {
    EventStore::new(pool.clone())
        .migrate()
        .await
        .context("running the event store's migrations")?;
    handling::audit::migrate(pool)
        .await
        .context("creating the read audit's table")
}

/// The read models' tables: run as the serving role, which owns them (it fills, rebuilds and
/// swaps them).
pub async fn migrate_views(pool: &sqlx::PgPool) -> anyhow::Result<()> {
    projections::migrate(pool, &projections::views(&RuleBook::norwegian()))
        .await
        .context("creating the read models' tables")
}

/// Keeps every view current until `stopped` turns true, then lets each finish its batch.
pub async fn run(store: EventStore, stopped: watch::Receiver<bool>) {
    let mut runners = tokio::task::JoinSet::new();
    for view in projections::views(&RuleBook::norwegian()) {
        runners.spawn(run_one(store.clone(), view, stopped.clone()));
    }
    while runners.join_next().await.is_some() {}
}

async fn run_one(store: EventStore, view: projections::View, mut stopped: watch::Receiver<bool>) {
    use projections::Projection as _;
    let name = view.name();
    let runner =
        projections::Runner::new(store, view).with_poll_interval(Duration::from_millis(200));
    loop {
        let mut stop = stopped.clone();
        let result = runner
            .run(async move {
                let _ = stop.wait_for(|stopped| *stopped).await;
            })
            .await;
        match result {
            Ok(()) => return,
            Err(error) => {
                tracing::error!(projection = name, %error, "projection stopped; restarting")
            }
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stopped.wait_for(|stopped| *stopped) => return,
        }
    }
}
