//! `lag`: how long after a command is acknowledged every view shows it, under a steady load
//! at half the maximum the same mix reached in this run. A poller reads the views'
//! checkpoints every millisecond; a command is visible once every view's checkpoint has
//! passed the position of its last event.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::append::round;
use crate::commands::COMMAND_MIX;
use crate::commands::{Ack, Plan, municipalities, run_mix};
use crate::pg::{Postgres, connect};
use crate::report::{Report, Throughput, peak_rss_mib};
use crate::vern::Vern;

pub(crate) struct Options {
    pub(crate) callers: usize,
    pub(crate) seconds: u64,
    pub(crate) calibrate_seconds: u64,
}

pub(crate) async fn run(
    postgres: &Postgres,
    data_dir: &Path,
    out: &Path,
    options: Options,
) -> anyhow::Result<()> {
    let (url, vern) = Vern::start_fresh(postgres, data_dir, "lag").await?;
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
        &vern,
        options.callers,
        Duration::from_secs(options.calibrate_seconds),
        plan.clone(),
    )
    .await?;
    let rate = maximum.per_second / 2.0;
    crate::say(&format!(
        "lag: maximum {:.0} commands/s; {} s at {rate:.0}/s",
        maximum.per_second, options.seconds
    ));
    // Let the views catch up with the calibration before measuring.
    let pool = connect(&url, 2).await?;
    crate::views::caught_up(&pool, Duration::from_secs(60)).await?;

    let (acks, mut acked) = tokio::sync::mpsc::unbounded_channel::<Ack>();
    let poller = {
        let pool = pool.clone();
        tokio::spawn(async move {
            let mut pending: Vec<Ack> = Vec::new();
            let mut lags: Vec<Duration> = Vec::new();
            let mut open = true;
            while open || !pending.is_empty() {
                loop {
                    match acked.try_recv() {
                        Ok(ack) => pending.push(ack),
                        Err(tokio::sync::mpsc::error::TryRecvError::Empty) => break,
                        Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => {
                            open = false;
                            break;
                        }
                    }
                }
                let Ok(Some(checkpoint)) = crate::views::slowest(&pool).await else {
                    continue;
                };
                let now = Instant::now();
                pending.retain(|ack| {
                    let Some(position) = &ack.position else {
                        return false;
                    };
                    let at = (
                        i64::try_from(position.transaction_id).unwrap_or(i64::MAX),
                        position.global_position,
                    );
                    if at <= checkpoint {
                        lags.push(now.saturating_duration_since(ack.at));
                        false
                    } else {
                        true
                    }
                });
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            lags
        })
    };
    let paced = Plan {
        pace: Some(Duration::from_secs_f64(
            options.callers as f64 / rate.max(1.0),
        )),
        acks: Some(acks),
        ..plan
    };
    let steady = run_mix(
        &vern,
        options.callers,
        Duration::from_secs(options.seconds),
        paced,
    )
    .await?;
    let lags = tokio::time::timeout(Duration::from_secs(120), poller).await??;
    let visible = Throughput::from_latencies(lags, 0, Duration::from_secs(options.seconds));

    let mut report = Report::new(
        "lag",
        json!({
            "callers": options.callers,
            "seconds": options.seconds,
            "calibration_seconds": options.calibrate_seconds,
            "mix": COMMAND_MIX.iter().map(|step| step.name()).collect::<Vec<_>>(),
            "views": "case_timeline, worklist, caseload, statistics",
            "measured": "from the command's answer arriving to every view's checkpoint passing its last event (checkpoints polled every 1 ms)",
        }),
        vec![
            "what", "per s", "p50 ms", "p95 ms", "p99 ms", "max ms", "count",
        ],
    );
    for (what, measured) in [
        ("maximum (calibration)", &maximum),
        ("commands at half", &steady),
        ("lag to visible", &visible),
    ] {
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
    report.summary(
        "commands_p99_ms_at_half_rate",
        json!(round(steady.p99_ms, 2)),
    );
    report.summary(
        "peak_rss_mib_of_vern",
        json!(vern.pid().and_then(peak_rss_mib).map(|m| round(m, 1))),
    );
    report.finish(out)?;
    pool.close().await;
    vern.stop().await?;
    Ok(())
}
