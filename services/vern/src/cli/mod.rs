//! The command line's subcommands, one module each; `main.rs` only parses and dispatches.
//! What several subcommands share is here: the database flags, opening the store, printing.

pub(crate) mod import;
pub(crate) mod projections;
pub(crate) mod registry;
pub(crate) mod report;
pub(crate) mod serve;
pub(crate) mod token;

use std::path::PathBuf;

use anyhow::Context as _;
use eventstore::EventStore;
use vern::database::{Access, Database};

/// Where the data is: global options, the same for every subcommand, given before or after it.
#[derive(clap::Args)]
pub(crate) struct DatabaseArgs {
    /// PostgreSQL to use. Without it, Vern runs a private server from the installed
    /// PostgreSQL binaries, with its data in --data-dir.
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "DATABASE_URL",
        hide_env_values = true
    )]
    pub(crate) database_url: Option<String>,
    /// With DATABASE_URL: the role that owns Vern's schema, for the migrations, when the
    /// serving role of DATABASE_URL may not change tables (deploy/README.md, "Database roles").
    /// By default DATABASE_URL's own.
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "VERN_OWNER_DATABASE_URL",
        hide_env_values = true,
        requires = "database_url"
    )]
    pub(crate) owner_database_url: Option<String>,
    /// Where Vern keeps its private database, its token signing key, the operator's and the
    /// demo's tokens, and the registry's exports.
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "VERN_DATA_DIR",
        default_value = ".vern"
    )]
    pub(crate) data_dir: PathBuf,
}

impl DatabaseArgs {
    /// Opens the database these flags name (`DATABASE_URL`, or the private server in
    /// `--data-dir`), as `access` uses it.
    pub(crate) async fn open(&self, access: Access) -> anyhow::Result<Database> {
        Database::open(
            self.database_url.clone(),
            self.owner_database_url.clone(),
            &self.data_dir,
            access,
        )
        .await
    }
}

/// The longest each role's tokens may live.
#[derive(clap::Args)]
pub(crate) struct LifetimeArgs {
    /// The longest a token may live per role, as role=hours pairs (comma-separated) over the
    /// defaults: caseworker, team_leader, service_leader and supervisor 10 (a working day);
    /// reporter_portal, police and barnehus 720; operator 2160. A longer token is refused.
    #[arg(
        long = "token-lifetimes",
        env = "VERN_TOKEN_LIFETIMES",
        default_value = ""
    )]
    pub(crate) token_lifetimes: String,
}

impl LifetimeArgs {
    pub(crate) fn parse(&self) -> anyhow::Result<platform::auth::Lifetimes> {
        platform::auth::Lifetimes::parse(&self.token_lifetimes)
            .map_err(|error| anyhow::anyhow!("--token-lifetimes: {error}"))
    }
}

/// Every number is a municipality of the registry; the error names `flag`.
pub(crate) fn known_municipalities(flag: &str, numbers: &[String]) -> anyhow::Result<()> {
    let registry = domain::municipality::MunicipalityRegistry::norway_2024();
    for number in numbers {
        domain::municipality::MunicipalityNumber::parse(flag, number, &registry)
            .map_err(|error| anyhow::anyhow!("{error}"))?;
    }
    Ok(())
}

pub(crate) async fn migrate(args: DatabaseArgs) -> anyhow::Result<()> {
    let database = args.open(Access::Share).await?;
    let result = database.migrate().await;
    if result.is_ok() {
        tracing::info!(database = %database.describe(), "migrations applied");
    }
    database.close().await;
    result
}

/// Opens the database (`DATABASE_URL` or the private server in `--data-dir`), brings the
/// schema up to date, runs `work` on the store, and closes the database whatever `work` did.
pub(crate) async fn with_store<F, Fut>(args: DatabaseArgs, work: F) -> anyhow::Result<()>
where
    F: FnOnce(EventStore) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let database = args.open(Access::Share).await?;
    let store = EventStore::new(database.pool().clone());
    let result = match database.migrate().await {
        Ok(()) => work(store).await,
        Err(error) => Err(error),
    };
    database.close().await;
    result
}

/// Command output, for the operator, on standard output.
pub(crate) fn print_lines(lines: &[String]) {
    #[allow(clippy::print_stdout)]
    for line in lines {
        println!("{line}");
    }
}

/// Ctrl-C or SIGTERM, whichever comes first.
/// Installs the handlers for SIGTERM and SIGINT now, so a signal that comes at any moment
/// after this (even before the server awaits it) stops the process cleanly, and returns what
/// completes when one arrives.
pub(crate) fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate =
        signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
    })
}
