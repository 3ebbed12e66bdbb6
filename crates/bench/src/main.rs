//! `bench`: Vern's benchmarks and fault runs. Each scenario prints a table and writes a JSON
//! report; `BENCHMARKS.md` beside this crate holds the figures measured with it.
//!
//! Why a program and not timed tests: timings depend on the machine and what else runs on
//! it, so they belong in reports a person reads, next to the machine and the date, while the
//! test suite asserts only behaviour.

mod append;
mod commands;
mod fault;
mod import;
mod lag;
mod load;
mod pg;
mod reads;
mod rebuild;
mod report;
mod vern;
mod views;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The allocator `vern` uses (see its `main.rs`), so that replays and loads run in the bench
/// process as they do in the server.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "bench", about = "Vern's benchmarks and fault runs")]
struct Cli {
    /// PostgreSQL to use; by default a private server in --data-dir (kept between runs).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    database_url: Option<String>,
    /// Where the private PostgreSQL and scratch files live.
    #[arg(long, default_value = "target/bench", global = true)]
    data_dir: PathBuf,
    /// Where the JSON reports go.
    #[arg(long, default_value = "target/bench/reports", global = true)]
    out: PathBuf,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Subcommand)]
enum Scenario {
    /// Event-store appends against raw single-row INSERTs at 1, 4, 16 and 64 writers.
    Append {
        #[arg(long, value_delimiter = ',', default_value = "1,4,16,64")]
        writers: Vec<usize>,
        /// Seconds of load per concurrency, for the store and again for raw inserts.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        #[arg(long, default_value_t = 100_000)]
        streams: usize,
        #[arg(long, default_value_t = 0.9)]
        zipf_exponent: f64,
    },
    /// End-to-end gRPC commands against `vern up`: SubmitReport alone and the lifecycle mix.
    Commands {
        #[arg(long, value_delimiter = ',', default_value = "16,64")]
        callers: Vec<usize>,
        /// Seconds of load per concurrency and load.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// `vern up` processes on the one database, the callers spread over them.
        #[arg(long, default_value_t = 1)]
        instances: usize,
    },
    /// Projection lag (answer to visible in every view) at half the maximum command rate.
    Lag {
        #[arg(long, default_value_t = 16)]
        callers: usize,
        /// Seconds of steady load.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Seconds of full load that find the maximum first.
        #[arg(long, default_value_t = 5)]
        calibrate_seconds: u64,
        /// `vern up` processes on the one database, the callers spread over them.
        #[arg(long, default_value_t = 1)]
        instances: usize,
        /// Keep every view from being applied (the bench holds their locks): the commands
        /// alone, to see what the views' work costs them. No lag is measured.
        #[arg(long)]
        views_held: bool,
        /// Commands per second of the steady load; 0: half the maximum found first.
        #[arg(long, default_value_t = 0)]
        rate: u64,
    },
    /// What the read audit costs a read: GetCase against `vern up`, and the audit's insert
    /// alone at the same concurrency.
    Reads {
        #[arg(long, value_delimiter = ',', default_value = "16")]
        callers: Vec<usize>,
        /// Seconds of load per concurrency and load.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Reads per second over all callers (paced); 0: as fast as answers come.
        #[arg(long, default_value_t = 0)]
        rate: u64,
    },
    /// `vern import history` of a generated history: into an empty database, then again.
    Import {
        /// Lines of history (whole lifecycles of the example file's eight steps).
        #[arg(long, default_value_t = 100_000)]
        lines: usize,
    },
    /// A fault under command load, then a check that every acknowledged command survived.
    Fault {
        #[arg(value_enum)]
        fault: fault::Fault,
        #[arg(long, default_value_t = 8)]
        callers: usize,
        /// Judge correctness only (nothing acknowledged lost or stored twice, refusals typed)
        /// and report the timings without judging them: for CI, where the machine's load
        /// and a debug build say nothing of the code's speed.
        #[arg(long)]
        correctness: bool,
    },
    /// A log of realistic lifecycles (made once, then reused), and every view rebuilt from it;
    /// then the views' rows inserted again inside PostgreSQL, the floor under any rebuild.
    Rebuild {
        #[arg(long, default_value_t = 1_000_000)]
        events: u64,
        /// Events per rebuild transaction.
        #[arg(long, default_value_t = 1000)]
        batch_size: u32,
        /// Only these views (comma-separated names); all four by default.
        #[arg(long, value_delimiter = ',')]
        views: Vec<String>,
        /// Only the rebuild of all four at once, not each view on its own first.
        #[arg(long, conflicts_with = "views")]
        at_once_only: bool,
    },
}

/// Progress and tables, for the person running the bench.
pub(crate) fn say(text: &str) {
    #[allow(clippy::print_stdout)]
    {
        println!("{text}");
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let postgres = {
        let (url, dir) = (cli.database_url.clone(), cli.data_dir.clone());
        tokio::task::spawn_blocking(move || pg::Postgres::open(url, &dir)).await??
    };
    let outcome = scenario(cli, &postgres).await;
    let closed = tokio::task::spawn_blocking(move || postgres.close()).await?;
    outcome.and(closed)
}

/// The scenario asked, on the bench's PostgreSQL.
async fn scenario(cli: Cli, postgres: &pg::Postgres) -> anyhow::Result<()> {
    match cli.scenario {
        Scenario::Append {
            writers,
            seconds,
            streams,
            zipf_exponent,
        } => {
            append::run(
                postgres,
                &cli.out,
                append::Options {
                    writers,
                    seconds,
                    streams,
                    zipf_exponent,
                },
            )
            .await
        }
        Scenario::Import { lines } => {
            import::run(postgres, &cli.data_dir, &cli.out, import::Options { lines }).await
        }
        Scenario::Commands {
            callers,
            seconds,
            instances,
        } => {
            commands::run(
                postgres,
                &cli.data_dir,
                &cli.out,
                commands::Options {
                    callers,
                    seconds,
                    instances,
                },
            )
            .await
        }
        Scenario::Lag {
            callers,
            seconds,
            calibrate_seconds,
            instances,
            views_held,
            rate,
        } => {
            lag::run(
                postgres,
                &cli.data_dir,
                &cli.out,
                lag::Options {
                    callers,
                    seconds,
                    calibrate_seconds,
                    instances,
                    views_held,
                    rate,
                },
            )
            .await
        }
        Scenario::Reads {
            callers,
            seconds,
            rate,
        } => {
            reads::run(
                postgres,
                &cli.data_dir,
                &cli.out,
                reads::Options {
                    callers,
                    seconds,
                    rate,
                },
            )
            .await
        }
        Scenario::Fault {
            fault,
            callers,
            correctness,
        } => {
            fault::run(
                postgres,
                &cli.data_dir,
                &cli.out,
                fault,
                callers,
                correctness,
            )
            .await
        }
        Scenario::Rebuild {
            events,
            batch_size,
            views,
            at_once_only,
        } => {
            let options = rebuild::Options {
                events,
                batch_size,
                views,
                at_once_only,
            };
            rebuild::run(postgres, &cli.out, options).await
        }
    }
}
