//! `reads`: what the read audit costs a read. `GetCase` over gRPC against `vern up` at 16
//! callers (every answer waits for its audit record), and in the same run the audit's insert
//! alone, at the same concurrency on the same server. Run it with `BENCH_VERN` naming a build
//! from before the audit for the read without it.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::Bench;
use crate::append::round;
use crate::commands::{Plan, municipalities, run_mix};
use crate::load::{Rng, closed_loop, workers};
use crate::pg::connect;
use crate::report::{Report, peak_rss_mib};
use crate::vern::Vern;
use vern::demo::Step;

/// `bench reads`' flags.
#[derive(clap::Args)]
pub(crate) struct Options {
    #[arg(long, value_delimiter = ',', default_value = "16")]
    pub(crate) callers: Vec<usize>,
    /// Seconds of load per concurrency and load.
    #[arg(long, default_value_t = 10)]
    pub(crate) seconds: u64,
    /// Reads per second over all callers (paced); 0: as fast as answers come.
    // Each caller paced (open loop): a read's cost shows in its latency below saturation,
    // in throughput at it.
    #[arg(long, default_value_t = 0)]
    pub(crate) rate: u64,
}

pub(crate) async fn run(bench: &Bench, options: Options) -> anyhow::Result<()> {
    let (postgres, data_dir, out) = (&bench.postgres, &bench.data_dir, &bench.out);
    let (url, vern) = Vern::start_fresh(postgres, data_dir, "reads").await?;
    let max_callers = options.callers.iter().copied().max().unwrap_or(1);
    let pool = connect(&url, u32::try_from(max_callers)?.saturating_add(2)).await?;
    let duration = Duration::from_secs(options.seconds);

    // Cases to read: reports screened into investigations, for a few seconds.
    crate::say("reads: opening cases to read");
    run_mix(
        std::slice::from_ref(&vern),
        4,
        Duration::from_secs(4),
        Plan {
            steps: vec![Step::Submit, Step::ScreenIntoInvestigation],
            municipalities: municipalities(20),
            pace: None,
            acks: None,
        },
    )
    .await?;
    let cases: Vec<String> = sqlx::query_scalar(
        "select substr(stream_id, 6) from streams where category = 'case' order by stream_id",
    )
    .fetch_all(&pool)
    .await?;
    anyhow::ensure!(!cases.is_empty(), "no case was opened");
    let cases = Arc::new(cases);
    // The audit's insert alone goes to a table of the same shape (migration 0100 of
    // `handling`), so the real record holds only real reads.
    sqlx::query("drop table if exists bench_read_audit")
        .execute(&pool)
        .await?;
    sqlx::query(
        "create table bench_read_audit (
             id bigint generated always as identity primary key,
             read_at timestamptz not null, subject text not null, role text not null,
             method text not null, case_id uuid, report_id uuid, purpose text,
             outcome text not null check (outcome in ('read', 'denied')),
             check (case_id is not null or report_id is not null))",
    )
    .execute(&pool)
    .await?;
    sqlx::query("create index on bench_read_audit (case_id, id) where case_id is not null")
        .execute(&pool)
        .await?;

    let mut report = Report::new(
        "reads",
        json!({
            "seconds_per_load": options.seconds,
            "reads_per_second_asked": options.rate,
            "cases": cases.len(),
            "read": "InvestigationService/GetCase of a random case, with a purpose",
            "audit_insert": "the read audit's insert alone, into a table of its shape",
            "server": "vern up (every service and the four views' runners) on its own process",
        }),
        vec![
            "callers", "load", "ops/s", "p50 ms", "p95 ms", "p99 ms", "failed",
        ],
    );
    for &callers in &options.callers {
        crate::say(&format!(
            "reads: {callers} callers, {} s per load",
            options.seconds
        ));
        let clients: Vec<_> = (0..callers)
            .map(|_| vern.clients())
            .collect::<anyhow::Result<_>>()?;
        let clients = Arc::new(clients);
        let pace = (options.rate > 0)
            .then(|| Duration::from_secs_f64(callers as f64 / options.rate as f64));
        let started = tokio::time::Instant::now();
        let reads = {
            let cases = cases.clone();
            workers(callers, duration, move |worker, mut recorder| {
                let mut client = clients[worker].investigation.clone();
                let cases = cases.clone();
                async move {
                    let mut rng = Rng::new(worker as u64);
                    // Callers start spread over one interval, then keep their own pace; a
                    // read is timed from its send, not from when it was due.
                    let offset = pace.map(|pace| pace.mul_f64(worker as f64 / callers as f64));
                    let mut due = started + offset.unwrap_or_default();
                    while recorder.running() {
                        if let Some(pace) = pace {
                            tokio::time::sleep_until(due).await;
                            due += pace;
                        }
                        let case_id = cases[rng.below(cases.len() as u64) as usize].clone();
                        let request = api::investigation::v1::GetCaseRequest {
                            case_id,
                            purpose: "Benchmark".into(),
                        };
                        recorder
                            .time(async { Ok(client.get_case(request).await?) })
                            .await;
                    }
                    recorder
                }
            })
            .await
        };
        let inserts = {
            let (pool, cases) = (pool.clone(), cases.clone());
            closed_loop(callers, duration, move |worker, sequence| {
                let pool = pool.clone();
                let mut rng = Rng::new((worker as u64) << 32 | sequence);
                let case_id = cases[rng.below(cases.len() as u64) as usize].clone();
                async move {
                    sqlx::query(
                        "insert into bench_read_audit \
                         (read_at, subject, role, method, case_id, report_id, purpose, outcome) \
                         values (now(), 'bench', 'caseworker', \
                         'vern.investigation.v1.InvestigationService/GetCase', $1::uuid, null, \
                         'Benchmark', 'read')",
                    )
                    .bind(case_id)
                    .execute(&pool)
                    .await?;
                    Ok(())
                }
            })
            .await
        };
        for (load, measured) in [("GetCase", &reads), ("audit insert", &inserts)] {
            report.row(
                [
                    vec![callers.to_string(), load.to_owned()],
                    measured.cells().to_vec(),
                    vec![measured.failed.to_string()],
                ]
                .concat(),
                json!({"callers": callers, "load": load, "measured": measured}),
            );
        }
    }
    // None where the server keeps no read audit (an earlier build).
    let audited: Option<i64> = sqlx::query_scalar("select count(*) from read_audit")
        .fetch_one(&pool)
        .await
        .ok();
    report.summary("read_audit_records", json!(audited));
    report.summary(
        "peak_rss_mib_of_vern",
        json!(vern.pid().and_then(peak_rss_mib).map(|m| round(m, 1))),
    );
    report.finish(out)?;
    pool.close().await;
    vern.stop().await?;
    Ok(())
}
