//! `lag`: how long after a command is acknowledged every view shows it, under a steady load
//! at half the maximum the same mix reached in this run. A poller reads the views'
//! checkpoints every few milliseconds; a command is visible once every view's checkpoint has
//! passed the position of its last event. Each view's own lag is reported too, so a slow
//! run says which view held it back.
//!
//! `--views-held` keeps every view from being applied and `--rate` fixes the steady load:
//! together they say how much of the commands' latency at half the maximum is the views' work
//! on the same two cores (BENCHMARKS.md, journal: "2026-12-05 (sixth stop): the commands' p99
//! at half the maximum, from below").

use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::Connection as _;

use crate::Bench;
use crate::append::round;
use crate::commands::COMMAND_MIX;
use crate::commands::{Ack, Plan, municipalities, run_mix};
use crate::pg::connect;
use crate::report::{Report, Throughput};
use crate::vern::Vern;
use crate::views::VIEWS;

/// How often the poller reads the checkpoints. Each read is a query on the same two cores
/// as the load: read every millisecond, they were as many as the commands and left the
/// machine 5% idle at half the maximum. A lag is measured to the read that saw it, so a
/// figure may be high by up to this much, never low.
const POLL_EVERY: Duration = Duration::from_millis(5);

/// `bench lag`'s flags.
#[derive(clap::Args)]
pub(crate) struct Options {
    #[arg(long, default_value_t = 16)]
    pub(crate) callers: usize,
    /// Seconds of steady load.
    #[arg(long, default_value_t = 20)]
    pub(crate) seconds: u64,
    /// Seconds of full load that find the maximum first.
    #[arg(long, default_value_t = 5)]
    pub(crate) calibrate_seconds: u64,
    /// `vern up` processes on the one database, the callers spread over them.
    #[arg(long, default_value_t = 1)]
    pub(crate) instances: usize,
    /// Keep every view from being applied (the bench holds their locks): the commands
    /// alone, to see what the views' work costs them. No lag is measured.
    // Each view's advisory lock is held from before `vern` starts, so no instance applies
    // it: the commands at the same load without the views' work beside them.
    #[arg(long)]
    pub(crate) views_held: bool,
    /// Commands per second of the steady load; 0: half the maximum found first.
    #[arg(long, default_value_t = 0)]
    pub(crate) rate: u64,
}

pub(crate) async fn run(bench: &Bench, options: Options) -> anyhow::Result<()> {
    let (postgres, data_dir, out) = (&bench.postgres, &bench.data_dir, &bench.out);
    let url = postgres.fresh_database("bench_lag").await?;
    let holder = match options.views_held {
        true => Some(hold_views(&url).await?),
        false => None,
    };
    let verns = Vern::start_instances_on(&url, data_dir, "lag", options.instances.max(1)).await?;
    let municipalities = municipalities(20);
    let plan = Plan {
        steps: COMMAND_MIX.to_vec(),
        municipalities,
        pace: None,
        acks: None,
    };
    crate::say(&format!(
        "lag: calibrating the maximum with {} callers for {} s",
        options.callers, options.calibrate_seconds
    ));
    let maximum = run_mix(
        &verns,
        options.callers,
        Duration::from_secs(options.calibrate_seconds),
        plan.clone(),
    )
    .await?;
    let rate = match options.rate {
        0 => maximum.per_second / 2.0,
        rate => rate as f64,
    };
    crate::say(&format!(
        "lag: maximum {:.0} commands/s; {} s at {rate:.0}/s",
        maximum.per_second, options.seconds
    ));
    // Let the views catch up with the calibration before measuring.
    let pool = connect(&url, 2).await?;
    if holder.is_none() {
        crate::views::caught_up(&pool, Duration::from_secs(60)).await?;
    }

    let (acks, mut acked) = tokio::sync::mpsc::unbounded_channel::<Ack>();
    let poller = {
        let pool = pool.clone();
        tokio::spawn(async move {
            // Each pending command: when it was answered, the position of its last event,
            // and whether each view has been seen past it.
            let mut pending: Vec<(Instant, (i64, i64), [bool; VIEWS.len()])> = Vec::new();
            let mut lags: Vec<Duration> = Vec::new();
            let mut per_view: [Vec<Duration>; VIEWS.len()] = Default::default();
            let mut open = true;
            while open || !pending.is_empty() {
                loop {
                    match acked.try_recv() {
                        Ok(Ack {
                            position: Some(position),
                            at,
                        }) => {
                            let last = (
                                i64::try_from(position.transaction_id).unwrap_or(i64::MAX),
                                position.global_position,
                            );
                            pending.push((at, last, [false; VIEWS.len()]));
                        }
                        Ok(_) => {}
                        Err(tokio::sync::mpsc::error::TryRecvError::Empty) => break,
                        Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => {
                            open = false;
                            break;
                        }
                    }
                }
                let Ok(Some(checkpoints)) = crate::views::checkpoints(&pool).await else {
                    continue;
                };
                let now = Instant::now();
                pending.retain_mut(|(answered, last, seen)| {
                    let lag = now.saturating_duration_since(*answered);
                    for (view, checkpoint) in checkpoints.iter().enumerate() {
                        if !seen[view] && *last <= *checkpoint {
                            seen[view] = true;
                            per_view[view].push(lag);
                        }
                    }
                    if seen.iter().all(|&passed| passed) {
                        lags.push(lag);
                        false
                    } else {
                        true
                    }
                });
                tokio::time::sleep(POLL_EVERY).await;
            }
            (lags, per_view)
        })
    };
    let paced = Plan {
        pace: Some(Duration::from_secs_f64(
            options.callers as f64 / rate.max(1.0),
        )),
        // With the views held nothing becomes visible: the poller gets no command to wait for.
        acks: holder.is_none().then_some(acks),
        ..plan
    };
    let steady = run_mix(
        &verns,
        options.callers,
        Duration::from_secs(options.seconds),
        paced,
    )
    .await?;
    let (lags, per_view) = tokio::time::timeout(Duration::from_secs(120), poller).await??;
    let window = Duration::from_secs(options.seconds);
    let visible = Throughput::from_latencies(lags, 0, window);
    let per_view: Vec<(String, Throughput)> = VIEWS
        .iter()
        .zip(per_view)
        .map(|(view, lags)| {
            (
                format!("lag to {view}"),
                Throughput::from_latencies(lags, 0, window),
            )
        })
        .collect();

    let mut report = Report::new(
        "lag",
        json!({
            "callers": options.callers,
            "instances": verns.len(),
            "views_held": options.views_held,
            "rate": rate,
            "seconds": options.seconds,
            "calibration_seconds": options.calibrate_seconds,
            "mix": COMMAND_MIX.iter().map(|step| step.name()).collect::<Vec<_>>(),
            "views": VIEWS,
            "measured": "from the command's answer arriving to every view's checkpoint passing its last event (checkpoints polled every 5 ms, so up to 5 ms high); the rows per view, to that view's",
        }),
        vec![
            "what", "per s", "p50 ms", "p95 ms", "p99 ms", "max ms", "count",
        ],
    );
    let (steady_name, steady_p99) = match options.rate {
        0 => ("commands at half", "commands_p99_ms_at_half_rate"),
        _ => ("commands at --rate", "commands_p99_ms_at_rate"),
    };
    let rows = [
        ("maximum (calibration)", &maximum),
        (steady_name, &steady),
        ("lag to visible", &visible),
    ]
    .into_iter()
    .chain(
        per_view
            .iter()
            .map(|(what, measured)| (what.as_str(), measured)),
    );
    for (what, measured) in rows {
        report.row(
            [
                vec![what.to_owned()],
                measured.cells().to_vec(),
                vec![
                    format!("{:.2}", measured.max_ms),
                    measured.operations.to_string(),
                ],
            ]
            .concat(),
            json!({"what": what, "figures": measured}),
        );
    }
    report.summary("lag_p50_ms", json!(round(visible.p50_ms, 2)));
    report.summary("lag_p99_ms", json!(round(visible.p99_ms, 2)));
    report.summary(steady_p99, json!(round(steady.p99_ms, 2)));
    report.summary("peak_rss_mib_of_vern", Vern::peak_rss(&verns));
    report.finish(out)?;
    pool.close().await;
    Vern::stop_all(verns).await?;
    if let Some(holder) = holder {
        holder.close().await?;
    }
    Ok(())
}

/// A connection holding every view's advisory lock, the key each runner tries
/// (`projections::runner`), so that while it is open no `vern` applies a view.
async fn hold_views(url: &str) -> anyhow::Result<sqlx::PgConnection> {
    let mut connection = sqlx::PgConnection::connect(url).await?;
    for view in VIEWS {
        let held: bool = sqlx::query_scalar(
            "select pg_try_advisory_lock(hashtextextended('vern.projection/' || $1, 0))",
        )
        .bind(view)
        .fetch_one(&mut connection)
        .await?;
        anyhow::ensure!(held, "the view {view}'s lock is taken already");
    }
    Ok(connection)
}
