//! Where `vern`'s views are, read from their checkpoints: what the lag and fault runs watch.

use std::time::{Duration, Instant};

/// The views `vern up` runs, by their checkpoint names.
pub(crate) const VIEWS: [&str; 4] = ["case_timeline", "worklist", "caseload", "statistics"];

/// Every view's checkpoint as (transaction id, global position), in the order of `VIEWS`;
/// none until all have one.
pub(crate) async fn checkpoints(pool: &sqlx::PgPool) -> anyhow::Result<Option<Vec<(i64, i64)>>> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "select transaction_id::text::bigint, global_position from checkpoints \
         where subscriber = any($1) order by array_position($1, subscriber)",
    )
    .bind(&VIEWS[..])
    .fetch_all(pool)
    .await?;
    Ok((rows.len() == VIEWS.len()).then_some(rows))
}

/// Waits until every view has applied the last event of the log, for at most `timeout`;
/// returns whether they got there.
pub(crate) async fn caught_up(pool: &sqlx::PgPool, timeout: Duration) -> anyhow::Result<bool> {
    let started = Instant::now();
    loop {
        let behind: i64 = sqlx::query_scalar(
            "select count(*) from checkpoints c where c.subscriber = any($1) and \
             (c.transaction_id, c.global_position) < \
             (select e.transaction_id, e.global_position from events e \
              order by e.transaction_id desc, e.global_position desc limit 1)",
        )
        .bind(&VIEWS[..])
        .fetch_one(pool)
        .await?;
        if behind == 0 {
            return Ok(true);
        }
        if started.elapsed() >= timeout {
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
