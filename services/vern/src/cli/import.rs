//! `vern import history`: a service's history from another case system (`vern::import`), into
//! the service's database or, with `--dry-run`, into a scratch one that is dropped after.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Subcommand;
use eventstore::EventStore;
use platform::auth::{SigningKey, Verifier};
use vern::app::{App, Config};
use vern::database::Access;
use vern::server::ServiceName;

use super::{DatabaseArgs, print_lines};

#[derive(Subcommand)]
pub(crate) enum ImportCommand {
    /// Load a service's history from another case system: a JSON Lines file, one step a line
    /// (proto/vern/history/v1/line.schema.json, with example.jsonl beside it), each sent
    /// through the normal command path as the actor it names. Running it again after a crash
    /// continues: lines already stored write nothing. Prints what was imported and every
    /// refused line with its number, field and rule; fails when a line was refused.
    History {
        /// The JSON Lines file.
        file: PathBuf,
        /// Check every line as a real import would, into an empty scratch database on the
        /// same PostgreSQL that is dropped after: nothing is written to the service.
        #[arg(long)]
        dry_run: bool,
        /// The reason recorded with each step dated back whose line gives none.
        #[arg(
            long,
            default_value = "Imported from the service's previous case system."
        )]
        late_reason: String,
    },
}

/// Runs `vern import <command>`.
pub(crate) async fn run(command: ImportCommand, args: DatabaseArgs) -> anyhow::Result<()> {
    match command {
        ImportCommand::History {
            file,
            dry_run,
            late_reason,
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            std::fs::create_dir_all(&args.data_dir).with_context(|| {
                format!("creating the data directory {}", args.data_dir.display())
            })?;
            let key = SigningKey::load_or_create(&args.data_dir.join("signing.key"))?;
            let database = args.open(Access::Share).await?;
            let result = async {
                database.migrate().await?;
                let options = vern::import::Options {
                    late_reason,
                    ..vern::import::Options::default()
                };
                if dry_run {
                    let scratch = database.scratch().await?;
                    let store = EventStore::new(scratch.pool().clone());
                    let summary = history(store, &key, &text, &options).await;
                    scratch.drop().await;
                    report(&file, &summary?, true)
                } else {
                    let store = EventStore::new(database.pool().clone());
                    report(&file, &history(store, &key, &text, &options).await?, false)
                }
            }
            .await;
            database.close().await;
            result
        }
    }
}

/// Imports `text` into `store` through an in-process server that takes the installation's
/// tokens: every service, no views (the serving `vern` applies them, or the next to start).
async fn history(
    store: EventStore,
    key: &SigningKey,
    text: &str,
    options: &vern::import::Options,
) -> anyhow::Result<vern::import::Summary> {
    let app = App::build(
        store,
        Config {
            listen: "127.0.0.1:0".parse()?,
            services: ServiceName::ALL.to_vec(),
            tls: None,
            verifier: Verifier::new(key.clone()),
            dashboard: None,
            run_views: false,
            sample_gauges: false,
            practice: Default::default(),
            clock: None,
        },
    )
    .await?;
    let address = app.address()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    let mut progress = vern::progress::Progress::new("importing", None);
    let summary = vern::import::import(address, key, text, options, |done, total| {
        progress.set_total(total);
        let elapsed = progress.elapsed();
        progress.set(done, || {
            let rate = vern::progress::rate(done, elapsed);
            let left = match rate {
                0 => String::new(),
                rate => format!(", {} s left", total.saturating_sub(done) / rate),
            };
            format!("{done}/{total} lines, {rate}/s{left}")
        });
    })
    .await;
    progress.finish();
    let _ = stop.send(());
    server.await.context("the import's server")??;
    summary
}

/// Prints what the import did, every refusal with its line, field and rule; an error when a
/// line was refused, so a script sees it.
fn report(
    file: &std::path::Path,
    summary: &vern::import::Summary,
    dry_run: bool,
) -> anyhow::Result<()> {
    let mut lines = vec![format!(
        "{}: {} lines: {} {}, {} already imported, {} refused ({:.1} s)",
        file.display(),
        summary.lines,
        summary.imported,
        if dry_run {
            "would be imported (dry run, nothing written)"
        } else {
            "imported"
        },
        summary.already_imported,
        summary.refused.len(),
        summary.elapsed.as_secs_f64(),
    )];
    for refusal in &summary.refused {
        let problems: Vec<String> = refusal
            .problems
            .iter()
            .map(|(field, reason)| match field.as_str() {
                "" => reason.clone(),
                field => format!("{field}: {reason}"),
            })
            .collect();
        lines.push(format!(
            "line {}: {} (refused by {})",
            refusal.line,
            problems.join("; "),
            refusal.rule
        ));
    }
    print_lines(&lines);
    anyhow::ensure!(
        summary.refused.is_empty(),
        "{} of {} lines refused",
        summary.refused.len(),
        summary.lines
    );
    Ok(())
}
