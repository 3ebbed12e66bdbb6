//! `vern report import`: a report of concern delivered as a file, through the same import as
//! the portal's deliveries.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Subcommand;
use handling::Handler;

use super::{DatabaseArgs, print_lines, with_store};

#[derive(Subcommand)]
pub(crate) enum ReportCommand {
    /// Import a report from the national reporting portal: a JSON document of KS Fiks IO
    /// message type no.ks.fiks.bekymringsmelding.offentlig.v2 or .privat.v2. Prints the reply
    /// (mottatt.v1 once stored, feilet.v1 with every broken rule) and fails on feilet.v1.
    /// Importing the same file again is a no-op.
    Import {
        /// The JSON document.
        file: PathBuf,
        /// The message type; by default read from the document's shape.
        #[arg(long)]
        message_type: Option<String>,
        /// The Fiks IO message id; by default derived from the file's content.
        #[arg(long)]
        message_id: Option<uuid::Uuid>,
    },
}

/// Runs `vern report <command>`.
pub(crate) async fn run(command: ReportCommand, args: DatabaseArgs) -> anyhow::Result<()> {
    match command {
        ReportCommand::Import {
            file,
            message_type,
            message_id,
        } => import_report(args, &file, message_type, message_id).await,
    }
}

async fn import_report(
    args: DatabaseArgs,
    file: &Path,
    message_type: Option<String>,
    message_id: Option<uuid::Uuid>,
) -> anyhow::Result<()> {
    let body = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let message_type = match message_type {
        Some(message_type) => message_type,
        None => fiks::message_type_of(&body)
            .with_context(|| {
                format!(
                    "{} is neither a public (offentligMelder) nor a private (privatMelder) \
                     report; name the type with --message-type",
                    file.display()
                )
            })?
            .to_owned(),
    };
    with_store(args, |store| async move {
        let handler = Handler::new(store);
        // Whoever holds the database holds every municipality's reports: the import may
        // deliver to any of them.
        let principal = handling::principal::Principal {
            subject: "vern report import".into(),
            role: platform::auth::Role::Operator,
            municipalities: handler
                .municipalities()
                .iter()
                .map(|(number, _)| number)
                .collect(),
        };
        let imported = intake::digital::import(
            &handler,
            &principal,
            intake::digital::Delivery {
                message_type: &message_type,
                message_id,
                body: &body,
                urgency: domain::values::Urgency::Yellow,
            },
        )
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
        let mut lines = vec![imported.reply.message_type().to_owned()];
        lines.extend(imported.reply.body());
        if let Some(report_id) = imported.report_id {
            lines.push(format!(
                "report {}{}",
                report_id.as_uuid(),
                if imported.duplicate {
                    " (imported before; nothing new stored)"
                } else {
                    ""
                }
            ));
        }
        print_lines(&lines);
        match imported.reply {
            fiks::Reply::Received => anyhow::Ok(()),
            fiks::Reply::Failed(_) => anyhow::bail!("the report was rejected; nothing was stored"),
        }
    })
    .await
}
