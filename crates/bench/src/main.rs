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
    Append(append::Options),
    /// End-to-end gRPC commands against `vern up`: SubmitReport alone and the lifecycle mix.
    Commands(commands::Options),
    /// Projection lag (answer to visible in every view) at half the maximum command rate.
    Lag(lag::Options),
    /// What the read audit costs a read: GetCase against `vern up`, and the audit's insert
    /// alone at the same concurrency.
    Reads(reads::Options),
    /// `vern import history` of a generated history: into an empty database, then again.
    Import(import::Options),
    /// A fault under command load, then a check that every acknowledged command survived.
    Fault(fault::Options),
    /// A log of realistic lifecycles (made once, then reused), and every view rebuilt from it;
    /// then the views' rows inserted again inside PostgreSQL, the floor under any rebuild.
    Rebuild(rebuild::Options),
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

/// What every scenario runs on: the bench's PostgreSQL, the directory for its scratch files
/// (`--data-dir`), and where its report goes (`--out`).
pub(crate) struct Bench {
    pub(crate) postgres: pg::Postgres,
    pub(crate) data_dir: PathBuf,
    pub(crate) out: PathBuf,
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let postgres = {
        let (url, dir) = (cli.database_url.clone(), cli.data_dir.clone());
        tokio::task::spawn_blocking(move || pg::Postgres::open(url, &dir)).await??
    };
    let bench = Bench {
        postgres,
        data_dir: cli.data_dir,
        out: cli.out,
    };
    let outcome = scenario(cli.scenario, &bench).await;
    let closed = tokio::task::spawn_blocking(move || bench.postgres.close()).await?;
    outcome.and(closed)
}

/// The scenario asked, on the bench's PostgreSQL.
async fn scenario(scenario: Scenario, bench: &Bench) -> anyhow::Result<()> {
    match scenario {
        Scenario::Append(options) => append::run(bench, options).await,
        Scenario::Import(options) => import::run(bench, options).await,
        Scenario::Commands(options) => commands::run(bench, options).await,
        Scenario::Lag(options) => lag::run(bench, options).await,
        Scenario::Reads(options) => reads::run(bench, options).await,
        Scenario::Fault(options) => fault::run(bench, options).await,
        Scenario::Rebuild(options) => rebuild::run(bench, options).await,
    }
}
