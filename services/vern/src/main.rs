//! `vern`: the one binary. `vern up` runs every service in one process on the embedded default
//! database; `vern serve <service>` runs one; `vern migrate` only brings the schema up to date.
//! Each subcommand lives in `cli/`; this file parses the command line and dispatches.

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use vern::server::ServiceName;

/// mimalloc rather than the system allocator: the views and the services allocate many small
/// short-lived values (decoded events, rows as JSON), and glibc's malloc and free were a
/// third of a view replay's CPU time (`perf`, see crates/bench/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "vern",
    version,
    about = "Case lifecycle of a municipal child welfare service"
)]
struct Cli {
    /// How log lines are written to standard error. Traces and metrics also go over OTLP
    /// when OTEL_EXPORTER_OTLP_ENDPOINT is set.
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "VERN_LOG_FORMAT",
        value_enum,
        default_value_t
    )]
    log_format: vern::telemetry::LogFormat,
    #[command(flatten)]
    database: cli::DatabaseArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every service: with no DATABASE_URL, on a private PostgreSQL kept in --data-dir.
    Up(cli::serve::UpArgs),
    /// Run one service.
    Serve {
        /// The service to run (the possible values are listed below).
        service: ServiceName,
        #[command(flatten)]
        args: cli::serve::ServeArgs,
    },
    /// Run the database migrations, then exit.
    Migrate,
    /// The read models: their checkpoints and lag, and rebuilding one from the log.
    Projections {
        #[command(subcommand)]
        command: cli::projections::ProjectionsCommand,
    },
    /// Reports of concern delivered as files.
    Report {
        #[command(subcommand)]
        command: cli::report::ReportCommand,
    },
    /// Reporting to the national child welfare registry (Barnevernsregisteret).
    Registry {
        #[command(subcommand)]
        command: cli::registry::RegistryCommand,
    },
    /// Load what another system holds: a service's history of cases.
    Import {
        #[command(subcommand)]
        command: cli::import::ImportCommand,
    },
    /// Bearer tokens signed with the installation's key (`<data-dir>/signing.key`).
    Token {
        #[command(subcommand)]
        command: cli::token::TokenCommand,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let telemetry = match vern::telemetry::init(cli.log_format) {
        Ok(telemetry) => telemetry,
        Err(error) => {
            eprintln!("error: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    let exports_metrics = telemetry.exports_metrics();
    let result = match cli.command {
        Command::Up(args) => {
            cli::serve::up(args, cli.database, exports_metrics, cli.log_format).await
        }
        Command::Serve { service, args } => {
            let extras = cli::serve::Extras {
                demo: false,
                dashboard: None,
                exports_metrics,
                log_format: cli.log_format,
            };
            cli::serve::serve(args, cli.database, &[service], extras).await
        }
        Command::Migrate => cli::migrate(cli.database).await,
        Command::Projections { command } => cli::projections::run(command, cli.database).await,
        Command::Report { command } => cli::report::run(command, cli.database).await,
        Command::Registry { command } => cli::registry::run(command, cli.database).await,
        Command::Import { command } => cli::import::run(command, cli.database).await,
        Command::Token { command } => cli::token::run(command, cli.database).await,
    };
    // Spans and metrics still buffered go out before the process ends.
    let _ = tokio::task::spawn_blocking(move || telemetry.shutdown()).await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // The whole chain on one line, without a backtrace: this is for the operator.
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    /// Every option and argument of every subcommand says in a line what it is for.
    #[test]
    fn every_option_has_a_description() {
        fn undescribed(command: &clap::Command, path: &str, found: &mut Vec<String>) {
            for arg in command.get_arguments() {
                if arg.get_help().is_none() && arg.get_long_help().is_none() {
                    found.push(format!("{path} {}", arg.get_id()));
                }
            }
            for sub in command.get_subcommands() {
                undescribed(sub, &format!("{path} {}", sub.get_name()), found);
            }
        }
        let mut found = Vec::new();
        let mut command = super::Cli::command();
        command.build();
        undescribed(&command, "vern", &mut found);
        assert!(found.is_empty(), "no description: {found:?}");
    }
}
