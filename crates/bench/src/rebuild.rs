//! `rebuild`: a log of realistic case lifecycles across 20 municipalities and two years, then
//! every view rebuilt from it, against a raw streamed read of the same events table; and the
//! rows the views then hold inserted again inside PostgreSQL, the least their writing costs.
//!
//! The log is made through the normal command path (an in-process server whose clock runs
//! through two simulated years, day by day), so every event is one the services would store.
//! Past `BASE_EVENTS` it is copied with fresh ids, the copies interleaved in the original's
//! order: the command path makes about 400 events a second here, so a million would take most
//! of an hour, and copies give the views the same work (more streams, the same lifecycles).
//! It is kept in its own database and reused while it holds the events asked for.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::NaiveDate;
use eventstore::EventStore;
use projections::Projection as _;
use serde_json::json;
use tokio_stream::StreamExt as _;
use vern::demo::simulation::events_in;

use crate::Bench;
use crate::append::round;
use crate::commands::municipalities;
use crate::load::Progress;
use crate::pg::connect;
use crate::report::{Report, peak_rss_mib};

/// `bench rebuild`'s flags.
#[derive(clap::Args)]
pub(crate) struct Options {
    #[arg(long, default_value_t = 1_000_000)]
    pub(crate) events: u64,
    /// Events per rebuild transaction.
    #[arg(long, default_value_t = 1000)]
    pub(crate) batch_size: u32,
    /// Only these views (comma-separated names); all four by default.
    #[arg(long, value_delimiter = ',')]
    pub(crate) views: Vec<String>,
    /// Only the rebuild of all four at once, not each view on its own first.
    #[arg(long, conflicts_with = "views")]
    pub(crate) at_once_only: bool,
}

/// Events made through the command path; a larger log is copies of these.
const BASE_EVENTS: u64 = 20_000;

/// The simulated service's first day.
fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 9, 2).unwrap_or_default()
}

/// Makes at least `target` events: up to `BASE_EVENTS` through the command path, the rest
/// as copies of those. Returns the number made and the commands that failed.
async fn generate(url: &str, target: u64) -> anyhow::Result<(u64, u64)> {
    let (base, failed) = through_commands(url, target.min(BASE_EVENTS)).await?;
    let pool = connect(url, 2).await?;
    let copies = target.saturating_sub(base).div_ceil(base.max(1));
    if copies > 0 {
        copy_log(&pool, base, copies).await?;
    }
    let made = events_in(&eventstore::EventStore::new(pool.clone())).await?;
    sqlx::raw_sql(&format!(
        "create table bench_generated (events bigint not null); insert into bench_generated values ({made})"
    ))
    .execute(&pool)
    .await?;
    pool.close().await;
    Ok((made, failed))
}

/// Appends `copies` copies of the first `base` events, each with its own ids: every UUID in a
/// stream id, event id, payload or metadata gets the copy's number as its third group, so
/// references within a copy still meet. Copies follow the original's order, interleaved,
/// in transactions of 500 original events each.
async fn copy_log(pool: &sqlx::PgPool, base: u64, copies: u64) -> anyhow::Result<()> {
    // The third group starts with the UUID's version (1 to 8); the copy's number, below
    // 0x1000, starts with 0 there, so a copy's id never equals an original's.
    anyhow::ensure!(copies < 0x1000, "at most 4,095 copies of the base log");
    let uuid = "([0-9a-f]{8}-[0-9a-f]{4}-)[0-9a-f]{4}";
    let rename = |column: &str| {
        format!("regexp_replace({column}, '{uuid}', '\\1' || lpad(to_hex(k), 4, '0'), 'g')")
    };
    let copies = i64::try_from(copies)?;
    let mut progress = Progress::new("copying the log");
    let positions: Vec<i64> = sqlx::query_scalar(
        "select global_position from events order by transaction_id, global_position",
    )
    .fetch_all(pool)
    .await?;
    for chunk in positions.chunks(500) {
        sqlx::query(&format!(
            "insert into events (stream_id, stream_version, event_id, event_type, schema_version, \
                                 payload, metadata, recorded_at) \
             select {}, e.stream_version, ({})::uuid, e.event_type, e.schema_version, \
                    ({})::jsonb, ({})::jsonb, e.recorded_at \
               from unnest($1::bigint[]) with ordinality as p(position, n) \
               join events e on e.global_position = p.position \
              cross join generate_series(1, $2::bigint) as k \
              order by p.n, k",
            rename("e.stream_id"),
            rename("e.event_id::text"),
            rename("e.payload::text"),
            rename("e.metadata::text"),
        ))
        .bind(chunk)
        .bind(copies)
        .execute(pool)
        .await?;
        progress.tick(
            chunk.last().copied().unwrap_or(0).unsigned_abs() * (copies.unsigned_abs() + 1),
            base * (copies.unsigned_abs() + 1),
        );
    }
    sqlx::query(&format!(
        "insert into streams (stream_id, category, municipality, version, updated_at) \
         select {}, category, municipality, version, updated_at \
           from streams cross join generate_series(1, $1::bigint) as k",
        rename("stream_id")
    ))
    .bind(copies)
    .execute(pool)
    .await?;
    Ok(())
}

/// Makes at least `target` events through the command path (`vern::demo::simulate`, 20
/// municipalities, a simulated clock from `first_day`); returns the number made and the
/// commands that failed.
async fn through_commands(url: &str, target: u64) -> anyhow::Result<(u64, u64)> {
    let pool = connect(url, 24).await?;
    let store = EventStore::new(pool.clone());
    vern::views::migrate_all(&store).await?;
    let simulation = vern::demo::Simulation {
        municipalities: municipalities(20)
            .iter()
            .map(|number| (number.clone(), 1))
            .collect(),
        first_day: first_day(),
        until: vern::demo::Until::Events(target),
        // About 8 events a lifecycle, spread over 730 days.
        reports_per_day: (target / 8 / 730).max(1) as f64,
        seed: 2024,
        demo_people: false,
    };
    let mut progress = Progress::new("generating events");
    let outcome = vern::demo::simulate(&pool, &simulation, |tick| {
        progress.tick(tick.events.min(target), target)
    })
    .await?;
    let made = events_in(&eventstore::EventStore::new(pool.clone())).await?;
    pool.close().await;
    Ok((made, outcome.failed))
}

/// The events of the generated log, each decoded as the views decode it (JSON payload and
/// metadata), in the log's order, streamed: the floor under any rebuild.
async fn raw_read(pool: &sqlx::PgPool) -> anyhow::Result<(u64, Duration)> {
    use sqlx::Row as _;
    let started = Instant::now();
    let mut rows = sqlx::query(
        "select transaction_id::text::bigint, global_position, stream_id, stream_version, \
         event_type, payload, metadata from events \
         order by events.transaction_id, events.global_position",
    )
    .fetch(pool);
    let mut read = 0u64;
    while let Some(row) = rows.next().await {
        let row = row?;
        let payload: serde_json::Value = row.try_get(5)?;
        let _metadata: serde_json::Value = row.try_get(6)?;
        std::hint::black_box(payload);
        read += 1;
    }
    Ok((read, started.elapsed()))
}

pub(crate) async fn run(bench: &Bench, options: Options) -> anyhow::Result<()> {
    let (postgres, out) = (&bench.postgres, &bench.out);
    let name = format!("bench_rebuild_{}", options.events);
    let url = postgres.database_url(&name);
    let reusable = match connect(&url, 2).await {
        Ok(pool) => {
            let made: Option<i64> = sqlx::query_scalar("select events from bench_generated")
                .fetch_optional(&pool)
                .await
                .unwrap_or(None);
            pool.close().await;
            made
        }
        Err(_) => None,
    };
    let (events, generated) = match reusable {
        Some(made) => {
            crate::say(&format!(
                "rebuild: reusing the log of {made} events in database {name}"
            ));
            (made.unsigned_abs(), None)
        }
        None => {
            crate::say(&format!(
                "rebuild: generating {} events (up to {BASE_EVENTS} through the command path, then copies) into database {name}",
                options.events
            ));
            postgres.fresh_database(&name).await?;
            let started = Instant::now();
            let (made, failed) = generate(&url, options.events).await?;
            (made, Some((started.elapsed(), failed)))
        }
    };
    let pool = connect(&url, 8).await?;
    let store = EventStore::new(pool.clone());
    let rules = domain::rules::RuleBook::norwegian();
    let mut report = Report::new(
        "rebuild",
        json!({
            "events_asked": options.events,
            "events": events,
            "batch_size": options.batch_size,
            "views": options.views,
            "municipalities": 20,
            "simulated_days": "from 2024-09-02, until the log holds the events asked",
            "generation": generated.map(|(elapsed, failed)| json!({
                "seconds": round(elapsed.as_secs_f64(), 1),
                "commands_failed": failed,
            })),
        }),
        vec!["what", "events", "seconds", "events/s", "ratio to raw read"],
    );
    let (read, read_time) = raw_read(&pool).await?;
    let raw_rate = read as f64 / read_time.as_secs_f64().max(1e-9);
    rate_row(&mut report, "raw streamed read", read, read_time, raw_rate);
    let asked: Vec<projections::View> = if options.views.is_empty() {
        projections::views(&rules)
    } else {
        options
            .views
            .iter()
            .map(|name| projections::view(&rules, name))
            .collect::<Result<_, _>>()?
    };
    // What the floor copies once the views are rebuilt.
    let tables: Vec<&str> = asked
        .iter()
        .flat_map(|view| view.tables().iter().copied())
        .collect();
    let views = if options.at_once_only {
        Vec::new()
    } else {
        asked
    };
    let mut total = Duration::ZERO;
    let mut at_once = None;
    for view in views {
        let name = view.name();
        let mut progress = Progress::new(format!("rebuilding {name}"));
        let started = Instant::now();
        let (applied, _) = projections::rebuild(&store, &view, options.batch_size, |p| {
            progress.tick(p.applied, p.total);
        })
        .await
        .with_context(|| format!("rebuilding {name}"))?;
        let elapsed = started.elapsed();
        total += elapsed;
        let what = format!("rebuild {name}");
        rate_row(&mut report, &what, applied, elapsed, raw_rate);
    }
    if options.views.is_empty() {
        let mut progress = Progress::new("rebuilding all four at once");
        let started = Instant::now();
        let rebuilt = projections::rebuild_all(
            &store,
            projections::views(&rules),
            options.batch_size,
            |p| progress.tick(p.applied, p.total),
        )
        .await
        .context("rebuilding all four at once")?;
        let elapsed = started.elapsed();
        let applied = rebuilt.first().map_or(0, |(_, applied, _)| *applied);
        let what = "all four at once, one read";
        let rate = rate_row(&mut report, what, applied, elapsed, raw_rate);
        report.summary(
            "every_view_rebuilt_at_once_events_per_second",
            json!(round(rate, 0)),
        );
        at_once = Some(elapsed);
    }
    let (rows, floor) = rows_again(&pool, &tables).await?;
    rate_row(
        &mut report,
        "the rebuilt rows inserted again, in PostgreSQL alone",
        events,
        floor,
        raw_rate,
    );
    report.summary("rows_the_rebuilt_views_hold", json!(rows));
    if let Some(at_once) = at_once {
        // The target's measure: the rebuild of all four against reading the log and
        // writing the rows it leaves, one after the other.
        let ratio = at_once.as_secs_f64() / (read_time + floor).as_secs_f64().max(1e-9);
        crate::say(&format!(
            "all four at once / (raw read + rows inserted again): {ratio:.2}"
        ));
        report.summary("all_four_at_once_to_floor", json!(round(ratio, 2)));
    }
    if !options.at_once_only {
        let all = events as f64 / total.as_secs_f64().max(1e-9);
        let key = if options.views.is_empty() {
            "every_view_rebuilt_events_per_second"
        } else {
            "the_views_asked_rebuilt_events_per_second"
        };
        report.summary(key, json!(round(all, 0)));
        report.summary("ratio_to_raw_read", json!(round(all / raw_rate, 4)));
    }
    report.summary(
        "peak_rss_mib_of_the_rebuilding_process",
        json!(peak_rss_mib(std::process::id()).map(|m| round(m, 1))),
    );
    report.finish(out)?;
    pool.close().await;
    Ok(())
}

/// Copies every row of `tables` into an empty twin (same columns, keys and indexes) inside
/// PostgreSQL, in one transaction that is then rolled back. Returns the rows and the time the
/// copies took.
///
/// Why: it is the least any rebuild of those views must spend writing their rows here, with
/// nothing to read, decode, fold or send; beside the raw read, the floor under `rebuild`.
async fn rows_again(pool: &sqlx::PgPool, tables: &[&str]) -> anyhow::Result<(u64, Duration)> {
    let mut transaction = pool.begin().await?;
    // Ordinary tables, not temporary ones: a rebuild's rows go through the WAL, and a
    // temporary table's do not (it took 0.3-0.4 s for the rows of 100,025 events against
    // 0.5-0.8 s for ordinary ones, `bench rebuild --events 100000`).
    sqlx::raw_sql("create schema bench_again")
        .execute(&mut *transaction)
        .await?;
    for table in tables {
        sqlx::raw_sql(&format!(
            "create table bench_again.{table} (like public.{table} including all)"
        ))
        .execute(&mut *transaction)
        .await?;
    }
    let started = Instant::now();
    let mut rows = 0;
    for table in tables {
        rows += sqlx::raw_sql(&format!(
            "insert into bench_again.{table} overriding system value \
             select * from public.{table}"
        ))
        .execute(&mut *transaction)
        .await?
        .rows_affected();
    }
    let elapsed = started.elapsed();
    transaction.rollback().await?;
    Ok((rows, elapsed))
}

/// A row of events, seconds, events/s and the ratio to the raw read; returns the rate.
fn rate_row(report: &mut Report, what: &str, events: u64, elapsed: Duration, raw_rate: f64) -> f64 {
    let rate = events as f64 / elapsed.as_secs_f64().max(1e-9);
    let ratio = rate / raw_rate.max(1e-9);
    report.row(
        vec![
            what.to_owned(),
            events.to_string(),
            format!("{:.1}", elapsed.as_secs_f64()),
            format!("{rate:.0}"),
            format!("{ratio:.3}"),
        ],
        json!({"what": what, "events": events, "seconds": elapsed.as_secs_f64(),
               "events_per_second": rate, "ratio_to_raw_read": ratio}),
    );
    rate
}
