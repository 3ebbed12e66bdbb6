//! `commands`: end-to-end gRPC commands against a real `vern up` (its projections running),
//! at 16 and 64 concurrent callers: `SubmitReport` alone, then the lifecycle mix. The
//! baseline is the raw single-row INSERT at the same concurrency on the same server.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use serde_json::json;

use crate::Bench;
use crate::append::{self, ratio, round};
use crate::load::{Recorder, Rng, Zipf, workers};
use crate::pg::connect;
use crate::report::{Report, Throughput};
use crate::vern::{Clients, Vern};
use vern::demo::{Lifecycle, Step};

/// The mix the `commands` scenario sends, one lifecycle after another.
pub(crate) const COMMAND_MIX: [Step; 6] = [
    Step::Submit,
    Step::ScreenIntoInvestigation,
    Step::StartInvestigation,
    Step::RecordActivity,
    Step::ConcludeWithMeasures,
    Step::StartMeasure,
];

/// `bench commands`' flags.
#[derive(clap::Args)]
pub(crate) struct Options {
    #[arg(long, value_delimiter = ',', default_value = "16,64")]
    pub(crate) callers: Vec<usize>,
    /// Seconds of load per concurrency and load.
    #[arg(long, default_value_t = 10)]
    pub(crate) seconds: u64,
    /// `vern up` processes on the one database, the callers spread over them.
    #[arg(long, default_value_t = 1)]
    pub(crate) instances: usize,
}

/// A command the server acknowledged: the position of its last event, and when the answer
/// came.
#[derive(Clone, Debug)]
pub(crate) struct Ack {
    pub(crate) position: Option<api::common::v1::Position>,
    pub(crate) at: Instant,
}

/// How a mix worker runs.
#[derive(Clone)]
pub(crate) struct Plan {
    pub(crate) steps: Vec<Step>,
    pub(crate) municipalities: Arc<Vec<String>>,
    /// One command per this interval at most (open loop); none: as fast as answers come.
    pub(crate) pace: Option<Duration>,
    /// Told of every acknowledged command.
    pub(crate) acks: Option<tokio::sync::mpsc::UnboundedSender<Ack>>,
}

/// One caller (`worker` of `callers`): lifecycles of `plan.steps`, one after another, on its
/// own connection. A failed step abandons its lifecycle and starts a new one. Paced, the
/// callers' sends are spread evenly over the pace's interval: started together, they would
/// send in bursts of all callers at once, and each command would queue behind the others of
/// its burst.
pub(crate) async fn mix_worker(
    clients: Clients,
    plan: Plan,
    (worker, callers): (usize, usize),
    mut recorder: Recorder,
) -> Recorder {
    let mut clients = clients;
    let mut rng = Rng::new(0x5eed_0000 + worker as u64);
    let mut lifecycle = Lifecycle::new(String::new(), 0, true);
    let mut next = 0usize;
    let mut children = 0u64;
    let mut due = Instant::now()
        + plan.pace.map_or(Duration::ZERO, |pace| {
            pace.mul_f64(worker as f64 / callers.max(1) as f64)
        });
    while recorder.running() {
        if let Some(pace) = plan.pace {
            tokio::time::sleep_until(due.into()).await;
            due += pace;
        }
        let step = plan.steps[next];
        if next == 0 {
            children += 1;
            let municipality =
                plan.municipalities[rng.below(plan.municipalities.len() as u64) as usize].clone();
            lifecycle = Lifecycle::new(
                municipality,
                (worker as u64) << 32 | children,
                rng.chance(0.7),
            );
        }
        let today = today();
        let sent = recorder
            .time(vern::demo::send(
                &mut clients,
                step,
                &mut lifecycle,
                today,
                &mut rng,
            ))
            .await;
        match sent {
            Some(position) => {
                if let Some(acks) = &plan.acks {
                    let _ = acks.send(Ack {
                        position,
                        at: Instant::now(),
                    });
                }
                next = (next + 1) % plan.steps.len();
            }
            None => next = 0,
        }
    }
    recorder
}

/// Today in Oslo, as the service counts days.
pub(crate) fn today() -> NaiveDate {
    domain::calendar::oslo_date(chrono::Utc::now())
}

/// `count` municipalities spread over the country's list.
pub(crate) fn municipalities(count: usize) -> Arc<Vec<String>> {
    let registry = domain::municipality::MunicipalityRegistry::norway_2024();
    // Numbers in force today only: the register also holds those the 2024 reform retired,
    // which a report received today may not name.
    let all: Vec<String> = registry
        .in_force_on(today())
        .map(|number| number.as_str().to_owned())
        .collect();
    let step = (all.len() / count.max(1)).max(1);
    Arc::new(all.into_iter().step_by(step).take(count).collect())
}

/// Runs `callers` mix workers, each on its own connection, for `duration`; caller `i` talks
/// to instance `i % verns.len()`.
pub(crate) async fn run_mix(
    verns: &[Vern],
    callers: usize,
    duration: Duration,
    plan: Plan,
) -> anyhow::Result<Throughput> {
    let clients: Vec<Clients> = (0..callers)
        .map(|caller| verns[caller % verns.len()].clients())
        .collect::<anyhow::Result<_>>()?;
    let clients = Arc::new(clients);
    Ok(workers(callers, duration, move |worker, recorder| {
        mix_worker(
            clients[worker].clone(),
            plan.clone(),
            (worker, callers),
            recorder,
        )
    })
    .await)
}

pub(crate) async fn run(bench: &Bench, options: Options) -> anyhow::Result<()> {
    let (postgres, data_dir, out) = (&bench.postgres, &bench.data_dir, &bench.out);
    let (url, verns) =
        Vern::start_instances(postgres, data_dir, "commands", options.instances.max(1)).await?;
    let municipalities = municipalities(20);
    let max_callers = options.callers.iter().copied().max().unwrap_or(1);
    let pool = connect(&url, u32::try_from(max_callers)?.saturating_add(2)).await?;
    append::create_raw_table(&pool).await?;
    let payload = append::payload();
    let metadata = append::metadata()?;
    let zipf = Arc::new(Zipf::new(100_000, 0.9));
    let names = append::stream_names(100_000);
    let duration = Duration::from_secs(options.seconds);

    let plan = |steps: &[Step]| Plan {
        steps: steps.to_vec(),
        municipalities: municipalities.clone(),
        pace: None,
        acks: None,
    };
    // Warm up: connections, prepared statements, the views' first batches.
    run_mix(&verns, 4, Duration::from_secs(2), plan(&COMMAND_MIX)).await?;

    let mut report = Report::new(
        "commands",
        json!({
            "seconds_per_load": options.seconds,
            "mix": COMMAND_MIX.iter().map(|step| step.name()).collect::<Vec<_>>(),
            "municipalities": municipalities.len(),
            "server": "vern up (every service and the four views' runners) on its own process",
            "instances": verns.len(),
            "connections": "one HTTP/2 connection per caller",
        }),
        vec![
            "callers",
            "load",
            "cmds/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "failed",
            "raw ins/s",
            "ratio",
        ],
    );
    for &callers in &options.callers {
        crate::say(&format!(
            "commands: {callers} callers, {} s per load",
            options.seconds
        ));
        let submit = run_mix(&verns, callers, duration, plan(&[Step::Submit])).await?;
        let lifecycle = run_mix(&verns, callers, duration, plan(&COMMAND_MIX)).await?;
        let raw =
            append::raw_inserts(&pool, callers, duration, &payload, &metadata, &zipf, &names).await;
        for (load, measured) in [("SubmitReport", &submit), ("mix", &lifecycle)] {
            let ratio = ratio(measured, &raw);
            report.row(
                [
                    vec![callers.to_string(), load.to_owned()],
                    measured.cells().to_vec(),
                    vec![
                        measured.failed.to_string(),
                        format!("{:.0}", raw.per_second),
                        format!("{ratio:.2}"),
                    ],
                ]
                .concat(),
                json!({"callers": callers, "load": load, "commands": measured,
                       "raw_insert": raw, "ratio": round(ratio, 3)}),
            );
        }
    }
    report.summary("peak_rss_mib_of_vern", Vern::peak_rss(&verns));
    report.finish(out)?;
    pool.close().await;
    Vern::stop_all(verns).await
}
