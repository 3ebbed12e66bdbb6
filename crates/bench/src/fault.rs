//! Fault runs: `vern` killed with SIGKILL under load, PostgreSQL stopped and started under
//! load, and a long-open transaction holding the readers' horizon. Each run loads the real
//! binary with `SubmitReport` calls whose command ids it keeps, then checks what survived:
//! every acknowledged command is in the store once and in the views, and what the callers saw
//! meanwhile. A run that finds a loss fails (non-zero exit) and says what was lost.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use serde_json::json;
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::Bench;
use crate::append::round;
use crate::commands::{municipalities, today};
use crate::load::Rng;
use crate::pg::connect;
use crate::report::Report;
use crate::vern::{Clients, Vern};
use vern::demo::{Lifecycle, submit};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Fault {
    /// SIGKILL `vern` under command load, start it again.
    Kill,
    /// Stop PostgreSQL (fast shutdown) under load for a few seconds, start it again.
    PostgresRestart,
    /// Hold a transaction open while commands come in, then end it.
    LongTransaction,
}

/// One call of the load: its command id, and the report id if it was acknowledged, or the
/// gRPC code it failed with, and when it ended.
#[derive(Clone, Debug)]
struct Call {
    command_id: Uuid,
    report_id: Option<String>,
    code: Option<tonic::Code>,
    ended: Instant,
}

/// Callers sending `SubmitReport` until `stop`, each call at most 5 s.
struct Load {
    stop: Arc<AtomicBool>,
    calls: Arc<Mutex<Vec<Call>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    fn start(clients: &Clients, callers: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let calls = Arc::new(Mutex::new(Vec::new()));
        let municipalities = municipalities(5);
        let tasks = (0..callers)
            .map(|worker| {
                let (stop, calls, municipalities) =
                    (stop.clone(), calls.clone(), municipalities.clone());
                let mut clients = clients.clone();
                tokio::spawn(async move {
                    let mut rng = Rng::new(worker as u64);
                    let mut child = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        child += 1;
                        let lifecycle = Lifecycle::new(
                            municipalities[rng.below(municipalities.len() as u64) as usize].clone(),
                            (worker as u64) << 32 | child,
                            true,
                        );
                        let request = submit(&lifecycle, today(), &mut rng);
                        let command_id = request.command_id.parse().unwrap_or_default();
                        let answer = tokio::time::timeout(
                            Duration::from_secs(5),
                            clients.intake.submit_report(request),
                        )
                        .await;
                        let (report_id, code) = match answer {
                            Ok(Ok(response)) => (Some(response.into_inner().report_id), None),
                            Ok(Err(status)) => (None, Some(status.code())),
                            Err(_) => (None, Some(tonic::Code::DeadlineExceeded)),
                        };
                        if code.is_some() {
                            // Do not spin while the server is away.
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                        calls.lock().await.push(Call {
                            command_id,
                            report_id,
                            code,
                            ended: Instant::now(),
                        });
                    }
                })
            })
            .collect();
        Self { stop, calls, tasks }
    }

    async fn finish(self) -> Vec<Call> {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            let _ = task.await;
        }
        std::mem::take(&mut *self.calls.lock().await)
    }
}

/// Every acknowledged report is stored with exactly one `ReportReceived`, its command once,
/// and, once the views have caught up, has its screening deadline in the worklist exactly
/// once. Returns (acknowledged, stored reports).
async fn check_survivors(url: &str, calls: &[Call]) -> anyhow::Result<(usize, i64)> {
    // Every call the load sends is valid: one refused for what it says is a fault of the load
    // or of Vern, not of the fault injected (a load naming a retired municipality number
    // once hid a fifth of its calls this way).
    let refused = calls
        .iter()
        .filter(|call| {
            matches!(
                call.code,
                Some(
                    tonic::Code::InvalidArgument
                        | tonic::Code::FailedPrecondition
                        | tonic::Code::NotFound
                        | tonic::Code::PermissionDenied
                        | tonic::Code::Unauthenticated
                )
            )
        })
        .count();
    ensure!(
        refused == 0,
        "{refused} calls were refused for their content"
    );
    let pool = connect(url, 2).await?;
    let acked: Vec<String> = calls.iter().filter_map(|c| c.report_id.clone()).collect();
    let acked_commands: Vec<Uuid> = calls
        .iter()
        .filter(|c| c.report_id.is_some())
        .map(|c| c.command_id)
        .collect();
    let streams: Vec<String> = acked.iter().map(|id| format!("report-{id}")).collect();
    let missing: Vec<String> = sqlx::query_scalar(
        "select s from unnest($1::text[]) as s where (select count(*) from events e \
         where e.stream_id = s and e.event_type = 'ReportReceived') <> 1",
    )
    .bind(&streams)
    .fetch_all(&pool)
    .await?;
    ensure!(
        missing.is_empty(),
        "{} acknowledged reports are not stored exactly once, e.g. {:?}",
        missing.len(),
        missing.first()
    );
    let commands: i64 =
        sqlx::query_scalar("select count(*) from commands where command_id = any($1)")
            .bind(&acked_commands)
            .fetch_one(&pool)
            .await?;
    ensure!(
        commands == acked_commands.len() as i64,
        "{} of {} acknowledged commands are recorded",
        commands,
        acked_commands.len()
    );
    let twice: i64 = sqlx::query_scalar(
        "select count(*) from (select stream_id from events where event_type = 'ReportReceived' \
         group by stream_id having count(*) > 1) as t",
    )
    .fetch_one(&pool)
    .await?;
    ensure!(twice == 0, "{twice} reports were received twice");
    let stored: i64 =
        sqlx::query_scalar("select count(*) from events where event_type = 'ReportReceived'")
            .fetch_one(&pool)
            .await?;

    // The views: every checkpoint at the end of the log, then each acknowledged report in
    // the worklist once.
    ensure!(
        crate::views::caught_up(&pool, Duration::from_secs(120)).await?,
        "the views did not catch up within 120 s"
    );
    let report_uuids: Vec<Uuid> = acked.iter().filter_map(|id| id.parse().ok()).collect();
    let not_once: i64 = sqlx::query_scalar(
        "select count(*) from unnest($1::uuid[]) as r where (select count(*) from worklist_items w \
         where w.report_id = r and w.closed_at is null and w.item_key = 'screening') <> 1",
    )
    .bind(&report_uuids)
    .fetch_one(&pool)
    .await?;
    ensure!(
        not_once == 0,
        "{not_once} acknowledged reports are not in the worklist exactly once"
    );
    pool.close().await;
    Ok((acked.len(), stored))
}

fn codes(calls: &[Call]) -> serde_json::Value {
    let mut counts = std::collections::BTreeMap::<String, u64>::new();
    for call in calls {
        let key = call
            .code
            .map_or_else(|| "OK".to_owned(), |code| format!("{code:?}"));
        *counts.entry(key).or_default() += 1;
    }
    json!(counts)
}

/// `bench fault`'s flags.
#[derive(clap::Args)]
pub(crate) struct Options {
    #[arg(value_enum)]
    fault: Fault,
    #[arg(long, default_value_t = 8)]
    callers: usize,
    /// Judge correctness only (nothing acknowledged lost or stored twice, refusals typed)
    /// and report the timings without judging them: for CI, where the machine's load
    /// and a debug build say nothing of the code's speed.
    #[arg(long)]
    correctness: bool,
}

pub(crate) async fn run(bench: &Bench, options: Options) -> anyhow::Result<()> {
    let (postgres, data_dir, out) = (&bench.postgres, &bench.data_dir, &bench.out);
    let Options {
        fault,
        callers,
        correctness: correctness_only,
    } = options;
    let (url, mut vern) = Vern::start_fresh(postgres, data_dir, "fault").await?;
    let clients = vern.clients()?;
    let mut report = Report::new(
        match fault {
            Fault::Kill => "fault-kill",
            Fault::PostgresRestart => "fault-postgres-restart",
            Fault::LongTransaction => "fault-long-transaction",
        },
        json!({"callers": callers, "command": "SubmitReport"}),
        vec!["check", "result"],
    );
    let load = Load::start(&clients, callers);
    tokio::time::sleep(Duration::from_secs(3)).await;
    match fault {
        Fault::Kill => {
            crate::say("fault: kill -9 vern under load");
            vern.kill().await?;
            let killed = Instant::now();
            tokio::time::sleep(Duration::from_secs(1)).await;
            vern.restart().await?;
            report.row(
                vec![
                    "restarted after".into(),
                    format!("{:.1} s", killed.elapsed().as_secs_f64()),
                ],
                json!({"restarted_after_seconds": killed.elapsed().as_secs_f64()}),
            );
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
        Fault::PostgresRestart => {
            crate::say("fault: PostgreSQL stopped under load for 5 s");
            let stop_started = Instant::now();
            postgres.stop()?;
            let stopped = Instant::now();
            tokio::time::sleep(Duration::from_secs(5)).await;
            postgres.start()?;
            let back = Instant::now();
            tokio::time::sleep(Duration::from_secs(8)).await;
            let calls = load.calls.lock().await.clone();
            let during: Vec<&Call> = calls
                .iter()
                .filter(|c| c.ended > stopped && c.ended < back)
                .collect();
            let unavailable = during
                .iter()
                .filter(|c| c.code == Some(tonic::Code::Unavailable))
                .count();
            let recovered = calls
                .iter()
                .filter(|c| c.ended > back && c.code.is_none())
                .map(|c| c.ended.duration_since(back))
                .min();
            report.row(
                vec![
                    "calls ended while PostgreSQL was down".into(),
                    format!("{}, of them UNAVAILABLE: {unavailable}", during.len()),
                ],
                json!({"calls_while_down": during.len(), "unavailable": unavailable,
                       "codes_while_down": codes(&during.iter().map(|c| (*c).clone()).collect::<Vec<_>>()),
                       "stop_took_seconds": stopped.duration_since(stop_started).as_secs_f64()}),
            );
            let recovered = recovered.context("no call succeeded after PostgreSQL came back")?;
            report.row(
                vec![
                    "first success after PostgreSQL was back".into(),
                    format!("{:.2} s", recovered.as_secs_f64()),
                ],
                json!({"recovered_after_seconds": recovered.as_secs_f64()}),
            );
            ensure!(
                correctness_only || recovered <= Duration::from_secs(5),
                "vern took {:.1} s to recover (at most 5 s)",
                recovered.as_secs_f64()
            );
            // A call whose answer was on its way when the server stopped may end in the
            // window with OK: acknowledged, and checked below like every other. Only the
            // failures must be UNAVAILABLE.
            ensure!(
                during
                    .iter()
                    .all(|c| c.code.is_none() || c.code == Some(tonic::Code::Unavailable)),
                "calls failed with other codes than UNAVAILABLE while PostgreSQL was down: {}",
                codes(&during.iter().map(|c| (*c).clone()).collect::<Vec<_>>())
            );
        }
        Fault::LongTransaction => {
            crate::say("fault: a transaction held open for 5 s under load");
            let pool = connect(&url, 2).await?;
            let mut holder = pool.begin().await?;
            let holder_id: i64 = sqlx::query_scalar("select pg_current_xact_id()::text::bigint")
                .fetch_one(&mut *holder)
                .await?;
            let held = Instant::now();
            tokio::time::sleep(Duration::from_secs(5)).await;
            let all = crate::views::checkpoints(&pool).await?.unwrap_or_default();
            let during = all.iter().copied().min();
            let furthest = all.iter().copied().max();
            let waiting: i64 = sqlx::query_scalar(
                "select count(*) from events where transaction_id::text::bigint > $1",
            )
            .bind(holder_id)
            .fetch_one(&pool)
            .await?;
            let horizon = eventstore::EventStore::new(pool.clone()).horizon().await?;
            let age = horizon
                .oldest_open_transaction_age
                .context("the horizon shows no open transaction")?;
            let status = std::process::Command::new(vern.binary())
                .args(["projections", "status"])
                .env("DATABASE_URL", &url)
                .env("RUST_LOG", "warn")
                .output()
                .context("running vern projections status")?;
            let status = String::from_utf8_lossy(&status.stdout).into_owned();
            crate::say(&status);
            holder.rollback().await?;
            report.row(
                vec![
                    "events committed after the open transaction began".into(),
                    format!("{waiting}; the views' checkpoints stay below it: {during:?} .. {furthest:?} < {holder_id}"),
                ],
                json!({"held_transaction": holder_id, "events_waiting": waiting,
                       "slowest_checkpoint": format!("{during:?}"),
                       "furthest_checkpoint": format!("{furthest:?}")}),
            );
            report.row(
                vec![
                    "horizon age after 5 s".into(),
                    format!(
                        "{:.1} s (held {:.1} s)",
                        age.as_secs_f64(),
                        held.elapsed().as_secs_f64()
                    ),
                ],
                json!({"horizon_age_seconds": age.as_secs_f64(), "projections_status": status}),
            );
            ensure!(
                furthest.is_some_and(|(transaction, _)| transaction < holder_id),
                "a view moved past a transaction still open"
            );
            ensure!(
                waiting > 0,
                "no command was stored while the transaction was open"
            );
            ensure!(
                correctness_only || age >= Duration::from_secs(4),
                "the horizon age ({:.1} s) does not show the held transaction",
                age.as_secs_f64()
            );
            ensure!(
                status.contains("horizon"),
                "vern projections status does not show the horizon"
            );
            pool.close().await;
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    }
    let calls = load.finish().await;
    let (acked, stored) = check_survivors(&url, &calls).await?;
    let calls_failed = calls.iter().filter(|c| c.code.is_some()).count();
    report.row(
        vec![
            "acknowledged, all stored once and in the views".into(),
            format!("{acked} (stored {stored}; failed calls {calls_failed})"),
        ],
        json!({"acknowledged": acked, "stored": stored, "calls": calls.len(),
               "codes": codes(&calls)}),
    );
    // The restarted (or reconnected) server answers for what it acknowledged.
    let mut clients = clients;
    let unanswered = calls.iter().filter(|c| c.report_id.is_none()).count();
    report.summary("unanswered_calls", json!(unanswered));
    let resent = calls
        .iter()
        .find(|c| c.report_id.is_some())
        .context("no call was acknowledged")?;
    let again = clients
        .intake
        .get_report(api::intake::v1::GetReportRequest {
            purpose: String::new(),
            report_id: resent.report_id.clone().unwrap_or_default(),
        })
        .await;
    if again.is_err() {
        bail!("an acknowledged report cannot be read back");
    }
    report.summary("lost", json!(0));
    report.summary("stored_twice", json!(0));
    report.summary(
        "acknowledged_share",
        json!(round(acked as f64 / calls.len().max(1) as f64, 3)),
    );
    report.finish(out)?;
    vern.stop().await?;
    Ok(())
}
