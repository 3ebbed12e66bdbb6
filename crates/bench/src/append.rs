//! `append`: the event store's append (one event per append; concurrent appends share a
//! transaction by the store's group commit) against the floor any store on PostgreSQL pays, a
//! plain single-row INSERT of the same bytes in a transaction each, at the same concurrency in
//! the same run. The ratio is the headline: what the store's guarantees
//! (expected versions, idempotent command ids, stream locks, gap-free order) cost.

use std::sync::Arc;
use std::time::Duration;

use eventstore::{
    Actor, AppendRequest, EventMetadata, EventStore, ExpectedVersion, NewEvent, StreamWrite,
};
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::Bench;
use crate::load::{Rng, Zipf, closed_loop};
use crate::pg::connect;
use crate::report::{Report, Throughput, peak_rss_mib};

/// `bench append`'s flags.
#[derive(clap::Args)]
pub(crate) struct Options {
    #[arg(long, value_delimiter = ',', default_value = "1,4,16,64")]
    pub(crate) writers: Vec<usize>,
    /// Seconds of load per concurrency, for the store and again for raw inserts.
    #[arg(long, default_value_t = 5)]
    pub(crate) seconds: u64,
    #[arg(long, default_value_t = 100_000)]
    pub(crate) streams: usize,
    #[arg(long, default_value_t = 0.9)]
    pub(crate) zipf_exponent: f64,
}

/// A payload the size of a typical report event, with a synthetic child (no real person).
pub(crate) fn payload() -> Value {
    json!({
        "type": "ReportReceived",
        "report_id": Uuid::nil(),
        "received_at": "2026-11-23T09:00:00Z",
        "municipality": "5035",
        "act": "child_welfare_act_2021",
        "reporter": {"kind": "Public", "organisation": "Testbyen barnehage", "role": "styrer",
                     "name": "Kari Testesen", "identity_withheld_from_parties": false},
        "children": [{"NameAndBirthDate": {"name": "Test Testesen", "birth_date": "2019-05-17"}}],
        "concerns": ["Neglect"],
        "summary": "Synthetic benchmark report: the child often comes to kindergarten hungry.",
        "urgency": "Yellow"
    })
}

fn actor() -> Actor {
    Actor {
        subject: "bench".into(),
        role: "caseworker".into(),
        municipality: Some("5035".into()),
    }
}

pub(crate) async fn run(bench: &Bench, options: Options) -> anyhow::Result<()> {
    let (postgres, out) = (&bench.postgres, &bench.out);
    let url = postgres.fresh_database("bench_append").await?;
    let max_writers = options.writers.iter().copied().max().unwrap_or(1);
    let pool = connect(&url, u32::try_from(max_writers)?.saturating_add(2)).await?;
    let store = EventStore::new(pool.clone());
    store.migrate().await?;
    create_raw_table(&pool).await?;
    let payload = payload();
    let metadata = metadata()?;
    let zipf = Arc::new(Zipf::new(options.streams, options.zipf_exponent));
    let stream_names = stream_names(options.streams);
    let duration = Duration::from_secs(options.seconds);
    let mut report = Report::new(
        "append",
        json!({
            "events_per_append": 1,
            "group_commit": store.groups_appends(),
            "seconds_per_load": options.seconds,
            "streams": options.streams,
            "zipf_exponent": options.zipf_exponent,
            "payload_bytes": payload.to_string().len(),
            "expected_version": "any (the stream lock and version check still run)",
        }),
        vec![
            "writers",
            "store ev/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "raw ins/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "ratio",
        ],
    );
    let mut ratios = serde_json::Map::new();
    for &writers in &options.writers {
        crate::say(&format!(
            "append: {writers} writers, {} s each for store and raw",
            options.seconds
        ));
        let store_load = {
            let store = store.clone();
            let payload = payload.clone();
            let zipf = zipf.clone();
            let names = stream_names.clone();
            closed_loop(writers, duration, move |worker, sequence| {
                let store = store.clone();
                let mut rng = Rng::new((worker as u64) << 32 | sequence);
                let stream_id = names[zipf.sample(&mut rng)].clone();
                let request = AppendRequest {
                    command_fingerprint: None,
                    metadata: EventMetadata::for_command(Uuid::new_v4(), actor()),
                    streams: vec![StreamWrite {
                        stream_id,
                        expected: ExpectedVersion::Any,
                        municipality: Some("5035".into()),
                        events: vec![NewEvent::new("ReportReceived", 1, payload.clone())],
                    }],
                };
                async move {
                    store.append(&request).await?;
                    Ok(())
                }
            })
            .await
        };
        let raw_load = raw_inserts(
            &pool,
            writers,
            duration,
            &payload,
            &metadata,
            &zipf,
            &stream_names,
        )
        .await;
        let ratio = ratio(&store_load, &raw_load);
        ratios.insert(writers.to_string(), json!(round(ratio, 3)));
        report.row(
            [
                vec![writers.to_string()],
                store_load.cells().to_vec(),
                raw_load.cells().to_vec(),
                vec![format!("{ratio:.2}")],
            ]
            .concat(),
            json!({"writers": writers, "store": store_load, "raw_insert": raw_load, "ratio": ratio}),
        );
    }
    report.summary("ratio_store_to_raw_by_writers", Value::Object(ratios));
    report.summary(
        "peak_rss_mib_of_the_appending_process",
        json!(peak_rss_mib(std::process::id()).map(|m| round(m, 1))),
    );
    report.finish(out)?;
    pool.close().await;
    Ok(())
}

pub(crate) fn ratio(ours: &Throughput, baseline: &Throughput) -> f64 {
    if baseline.per_second > 0.0 {
        ours.per_second / baseline.per_second
    } else {
        0.0
    }
}

pub(crate) fn round(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

/// The scratch table of the raw-insert baseline: one primary key, nothing else.
pub(crate) async fn create_raw_table(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::raw_sql(
        "drop table if exists bench_raw; \
         create table bench_raw (id bigint generated always as identity primary key, \
         stream_id text not null, payload jsonb not null, metadata jsonb not null)",
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The baseline: `writers` closed loops of single-row INSERTs (autocommit) of the same
/// payload and metadata an append stores.
pub(crate) async fn raw_inserts(
    pool: &PgPool,
    writers: usize,
    duration: Duration,
    payload: &Value,
    metadata: &Value,
    zipf: &Arc<Zipf>,
    stream_names: &Arc<Vec<String>>,
) -> Throughput {
    let (pool, payload, metadata, zipf, names) = (
        pool.clone(),
        payload.clone(),
        metadata.clone(),
        zipf.clone(),
        stream_names.clone(),
    );
    closed_loop(writers, duration, move |worker, sequence| {
        let pool = pool.clone();
        let mut rng = Rng::new((worker as u64) << 32 | sequence);
        let stream_id = names[zipf.sample(&mut rng)].clone();
        let payload = payload.clone();
        let metadata = metadata.clone();
        async move {
            sqlx::query("insert into bench_raw (stream_id, payload, metadata) values ($1, $2, $3)")
                .bind(stream_id)
                .bind(payload)
                .bind(metadata)
                .execute(&pool)
                .await?;
            Ok(())
        }
    })
    .await
}

/// Names of `count` small streams.
pub(crate) fn stream_names(count: usize) -> Arc<Vec<String>> {
    Arc::new((0..count).map(|k| format!("bench-{k:08}")).collect())
}

/// The metadata an append stores beside the payload.
pub(crate) fn metadata() -> anyhow::Result<Value> {
    Ok(serde_json::to_value(EventMetadata::for_command(
        Uuid::nil(),
        actor(),
    ))?)
}
