//! `vern`: the one binary. `vern up` runs everything in one process on the embedded default
//! database; `vern migrate` only brings the schema up to date. The gRPC services join `up` as
//! they are built.

mod database;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use eventstore::EventStore;

#[derive(Parser)]
#[command(
    name = "vern",
    version,
    about = "Case lifecycle of a municipal child welfare service"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run Vern: with no DATABASE_URL, on a private PostgreSQL kept in --data-dir.
    Up(DatabaseArgs),
    /// Run the database migrations, then exit.
    Migrate(DatabaseArgs),
}

#[derive(clap::Args)]
struct DatabaseArgs {
    /// PostgreSQL to use. Without it, Vern runs a private server from the installed
    /// PostgreSQL binaries, with its data in --data-dir.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Where the private server keeps its data between runs.
    #[arg(long, env = "VERN_DATA_DIR", default_value = ".vern")]
    data_dir: PathBuf,
}

#[tokio::main]
async fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Up(args) => up(args).await,
        Command::Migrate(args) => migrate(args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // The whole chain on one line, without a backtrace: this is for the operator.
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
}

async fn up(args: DatabaseArgs) -> anyhow::Result<()> {
    let database = database::Database::open(args.database_url, &args.data_dir).await?;
    let store = EventStore::new(database.pool().clone());
    let result = async {
        store.migrate().await.context("running migrations")?;
        tracing::info!(database = %database.describe(), "vern is up; stop with Ctrl-C");
        shutdown_signal().await?;
        tracing::info!("shutting down");
        anyhow::Ok(())
    }
    .await;
    database.close().await;
    result
}

async fn migrate(args: DatabaseArgs) -> anyhow::Result<()> {
    let database = database::Database::open(args.database_url, &args.data_dir).await?;
    let result = EventStore::new(database.pool().clone())
        .migrate()
        .await
        .context("running migrations");
    if result.is_ok() {
        tracing::info!(database = %database.describe(), "migrations applied");
    }
    database.close().await;
    result
}

/// Ctrl-C or SIGTERM, whichever comes first.
async fn shutdown_signal() -> anyhow::Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("installing the SIGTERM handler")?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result.context("waiting for Ctrl-C"),
        _ = terminate.recv() => Ok(()),
    }
}
