//! `vern registry export`: the national child welfare registry's documents.

use std::path::PathBuf;

use clap::Subcommand;
use handling::Handler;

use super::{DatabaseArgs, print_lines, with_store};

#[derive(Subcommand)]
pub(crate) enum RegistryCommand {
    /// Write each case of a municipality that changed since its last export as a
    /// Barnevern_v4.xsd document (one per case, named <case id>.xml), each naming the previous
    /// export of its case, and print the registry's findings.
    Export {
        /// The municipality (kommunenummer).
        #[arg(long)]
        municipality: String,
        /// The municipality's organisation number (9 digits), as the registry requires.
        #[arg(long)]
        organisation_number: String,
        /// The moment to export as of (RFC 3339); now by default.
        #[arg(long)]
        as_of: Option<chrono::DateTime<chrono::Utc>>,
        /// The directory to write into; <data-dir>/registry/<municipality>-<date> by default.
        #[arg(long)]
        out: Option<PathBuf>,
        /// The district (bydel) number, for municipalities reporting per district; with
        /// --district-name.
        #[arg(long, requires = "district_name")]
        district_number: Option<String>,
        /// The district's name, as the registry knows it; with --district-number.
        #[arg(long, requires = "district_number")]
        district_name: Option<String>,
    },
}

/// Runs `vern registry <command>`.
pub(crate) async fn run(command: RegistryCommand, args: DatabaseArgs) -> anyhow::Result<()> {
    match command {
        RegistryCommand::Export {
            municipality,
            organisation_number,
            as_of,
            out,
            district_number,
            district_name,
        } => {
            let as_of = as_of.unwrap_or_else(chrono::Utc::now);
            let out = out.unwrap_or_else(|| {
                vern::registry::default_out(&args.data_dir, &municipality, as_of)
            });
            let export = vern::registry::Export {
                out,
                municipality,
                organisation_number,
                district: district_number.zip(district_name),
                as_of,
            };
            registry_export(args, export).await
        }
    }
}

async fn registry_export(args: DatabaseArgs, export: vern::registry::Export) -> anyhow::Result<()> {
    with_store(args, |store| async move {
        let handler = Handler::new(store);
        let actor = eventstore::Actor {
            subject: "vern registry export".into(),
            role: "operator".into(),
            municipality: Some(export.municipality.clone()),
        };
        let mut progress = vern::progress::Progress::new("exporting", None);
        let exported = vern::registry::export(&handler, &actor, &export, |done, total| {
            progress.set_total(total);
            progress.set(done, || format!("{done} of {total} cases"));
        })
        .await?;
        progress.finish();
        let mut lines: Vec<String> = exported
            .written
            .iter()
            .map(|(_, path)| format!("wrote {}", path.display()))
            .collect();
        let into = std::path::absolute(&export.out).unwrap_or_else(|_| export.out.clone());
        lines.push(format!(
            "{} written into {}, {} unchanged since their last export",
            exported.written.len(),
            into.display(),
            exported.unchanged.len()
        ));
        for (case, finding) in &exported.findings {
            lines.push(format!(
                "{} case {}: {}: {}",
                finding.severity.as_str(),
                case.as_uuid(),
                finding.rule,
                finding.message
            ));
        }
        print_lines(&lines);
        anyhow::Ok(())
    })
    .await
}
