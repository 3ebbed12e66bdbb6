//! `vern projections`: each view's checkpoint and lag, and rebuilding a view from the log.

use anyhow::Context as _;
use clap::Subcommand;

use super::{DatabaseArgs, print_lines, with_store};

#[derive(Subcommand)]
pub(crate) enum ProjectionsCommand {
    /// Each read model's checkpoint and how far behind the log it is.
    Status,
    /// Replay one read model from the start into fresh tables and swap them in; the old
    /// tables keep serving until the swap. Works while `vern up` runs.
    Rebuild {
        /// case_timeline, worklist, caseload or statistics; `all` rebuilds every view at
        /// once from one read of the log.
        name: String,
    },
}

/// Runs `vern projections <command>`.
pub(crate) async fn run(command: ProjectionsCommand, args: DatabaseArgs) -> anyhow::Result<()> {
    match command {
        ProjectionsCommand::Status => projections_status(args).await,
        ProjectionsCommand::Rebuild { name } => rebuild(args, &name).await,
    }
}

async fn projections_status(args: DatabaseArgs) -> anyhow::Result<()> {
    use projections::Projection as _;
    with_store(args, |store| async move {
        let mut lines = vec![format!(
            "{:<14} {:>24} {:>14} {:>14} {:>22}",
            "projection", "checkpoint", "events behind", "seconds behind", "waiting for horizon"
        )];
        for view in projections::views(&domain::rules::RuleBook::norwegian()) {
            let status = projections::status(&store, view.name()).await?;
            lines.push(format!(
                "{:<14} {:>24} {:>14} {:>14.1} {:>22}",
                view.name(),
                status.checkpoint.to_string(),
                status.events_behind,
                status.seconds_behind,
                status.events_waiting
            ));
        }
        // A view stopped at an event it cannot apply: which, where, why.
        for failure in projections::failures::failures(store.pool()).await? {
            lines.push(format!(
                "{}: STOPPED at event {} ({}) since {}, {} attempts: {}",
                failure.projection,
                failure.position,
                failure.event_type,
                failure.failed_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                failure.attempts,
                failure.error
            ));
        }
        // A long-open transaction anywhere in the cluster holds every view back.
        let horizon = store.horizon().await?;
        lines.push(match horizon.oldest_open_transaction_age {
            Some(age) => format!(
                "horizon: readers held back {:.1} s by the transaction of backend {} (see pg_stat_activity)",
                age.as_secs_f64(),
                horizon.oldest_open_transaction_pid.unwrap_or_default()
            ),
            None => "horizon: no open transaction holds the readers back".to_owned(),
        });
        print_lines(&lines);
        anyhow::Ok(())
    })
    .await
}

async fn rebuild(args: DatabaseArgs, name: &str) -> anyhow::Result<()> {
    with_store(args, |store| async move {
        let rules = domain::rules::RuleBook::norwegian();
        let mut shown = vern::progress::Progress::new(format!("rebuilding {name}"), None);
        let progress = |progress: projections::RebuildProgress| {
            shown.set_total(progress.total);
            shown.set(progress.applied, || {
                format!(
                    "{} of {} events in {:.1} s",
                    progress.applied, progress.total, progress.elapsed_seconds
                )
            });
        };
        let rebuilt = if name == "all" {
            projections::rebuild_all(&store, projections::views(&rules), 1000, progress).await?
        } else {
            let view = projections::view(&rules, name)
                .context("rebuild takes the name of a view, or all")?;
            let (applied, checkpoint) = projections::rebuild(&store, &view, 1000, progress).await?;
            vec![(projections::Projection::name(&view), applied, checkpoint)]
        };
        shown.finish();
        print_lines(
            &rebuilt
                .iter()
                .map(|(name, applied, checkpoint)| {
                    format!("{name}: rebuilt from {applied} events and swapped in at {checkpoint}")
                })
                .collect::<Vec<_>>(),
        );
        anyhow::Ok(())
    })
    .await
}
