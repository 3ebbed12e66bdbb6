//! `vern registry export`: each case of a municipality as a `Barnevern_v4.xsd` document, with
//! the registry's findings.
//!
//! Why each export is an event (`RegistryExported` on `registry-<case uuid>`): the registry
//! finds gaps through each document's `ForrigeId`, so the id of the last export of every case
//! must survive restarts and be exactly one per document written. A case whose document would
//! not change since its last export is not sent again. The document is written to a
//! temporary name first, the event appended (expecting the stream's version, so two exports
//! at once cannot both claim the same predecessor), and then the file is renamed into place:
//! no file exists whose export was not recorded.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use domain::case::CaseId;
use eventstore::{Actor, AppendRequest, EventMetadata, ExpectedVersion, NewEvent, StreamWrite};
use handling::Handler;
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// What to export.
pub struct Export {
    pub municipality: String,
    /// The municipality's organisation number (9 digits), which the registry requires.
    pub organisation_number: String,
    pub district: Option<(String, String)>,
    pub as_of: DateTime<Utc>,
    pub out: PathBuf,
}

/// What an export did.
#[derive(Debug, Default)]
pub struct Exported {
    /// The documents written, by case.
    pub written: Vec<(CaseId, PathBuf)>,
    /// Cases unchanged since their last export.
    pub unchanged: Vec<CaseId>,
    /// The registry's findings, by case.
    pub findings: Vec<(CaseId, registry::Finding)>,
}

/// Exports `export`'s municipality; `progress` hears the cases done and their number.
pub async fn export(
    handler: &Handler,
    actor: &Actor,
    export: &Export,
    mut progress: impl FnMut(u64, u64),
) -> anyhow::Result<Exported> {
    // As numbered now; its cases under every number it has had are exported.
    let number = domain::municipality::MunicipalityNumber::parse(
        "--municipality",
        &export.municipality,
        handler.municipalities(),
    )?;
    let number = handler.municipalities().current(number);
    let name = handler
        .municipalities()
        .name_of(number)
        .unwrap_or_default()
        .to_owned();
    let organisation = export.organisation_number.trim();
    if organisation.len() != 9 || !organisation.bytes().all(|b| b.is_ascii_digit()) {
        anyhow::bail!("--organisation-number must be 9 digits");
    }
    std::fs::create_dir_all(&export.out)
        .with_context(|| format!("creating {}", export.out.display()))?;
    let on = domain::calendar::oslo_date(export.as_of);
    let mut exported = Exported::default();
    // Everything known now, each step dated when it was taken: the registry's dates are the
    // steps' own, and a late entry belongs in the next export.
    let cases = projections::cases::cases_at(
        handler.store(),
        number,
        export.as_of,
        projections::Knowledge::Now,
    )
    .await?;
    let total = cases.len() as u64;
    for (done, case) in cases.into_iter().enumerate() {
        progress(done as u64, total);
        let file = registry::CaseFile {
            case_id: case.case_id,
            events: &case.events,
            reports: &case.reports,
        };
        let Some(sak) = registry::Sak::read(&file) else {
            continue;
        };
        exported.findings.extend(
            registry::check(&sak, on)
                .into_iter()
                .map(|finding| (case.case_id, finding)),
        );
        let mut header = registry::Header {
            export_id: Uuid::nil(),
            previous_export_id: None,
            extracted_at: DateTime::<Utc>::UNIX_EPOCH,
            organisation_number: organisation.to_owned(),
            municipality_number: number.as_str().to_owned(),
            municipality_name: name.clone(),
            district: export.district.clone(),
        };
        let content = hex(&Sha256::digest(registry::document(&header, &sak)));
        let stream = format!("registry-{}", case.case_id.as_uuid());
        let (version, last) = last_export(handler, &stream).await?;
        if last.as_ref().is_some_and(|(_, hash)| *hash == content) {
            exported.unchanged.push(case.case_id);
            continue;
        }
        header.export_id = Uuid::new_v4();
        header.previous_export_id = last.map(|(id, _)| id);
        header.extracted_at = handler.now();
        let document = registry::document(&header, &sak);
        let path = export.out.join(format!("{}.xml", case.case_id.as_uuid()));
        let partial = path.with_extension("xml.partial");
        std::fs::write(&partial, &document)
            .with_context(|| format!("writing {}", partial.display()))?;
        record(
            handler,
            actor,
            &stream,
            version,
            &header,
            export.as_of,
            &content,
        )
        .await?;
        std::fs::rename(&partial, &path)
            .with_context(|| format!("renaming {} into place", partial.display()))?;
        exported.written.push((case.case_id, path));
    }
    progress(total, total);
    Ok(exported)
}

/// The stream's version and its last export's id and content hash.
async fn last_export(
    handler: &Handler,
    stream: &str,
) -> anyhow::Result<(u64, Option<(Uuid, String)>)> {
    let version = handler.store().stream_version(stream).await?;
    if version == 0 {
        return Ok((0, None));
    }
    let events = handler.store().read_stream(stream, version, 1).await?;
    let last = events
        .first()
        .context("the export stream has no last event")?;
    let id = last.payload["export_id"]
        .as_str()
        .and_then(|id| Uuid::parse_str(id).ok())
        .context("the last export has no export_id")?;
    let hash = last.payload["content_sha256"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    Ok((version, Some((id, hash))))
}

async fn record(
    handler: &Handler,
    actor: &Actor,
    stream: &str,
    version: u64,
    header: &registry::Header,
    as_of: DateTime<Utc>,
    content: &str,
) -> anyhow::Result<()> {
    let payload = json!({
        "export_id": header.export_id,
        "previous_export_id": header.previous_export_id,
        "extracted_at": header.extracted_at,
        "as_of": as_of,
        "content_sha256": content,
    });
    let request = AppendRequest {
        command_fingerprint: None,
        metadata: EventMetadata::for_command(Uuid::new_v4(), actor.clone()),
        streams: vec![StreamWrite {
            stream_id: stream.to_owned(),
            expected: if version == 0 {
                ExpectedVersion::NoStream
            } else {
                ExpectedVersion::Exact(version)
            },
            municipality: Some(header.municipality_number.clone()),
            events: vec![NewEvent::new("RegistryExported", 1, payload)],
        }],
    };
    handler
        .store()
        .append(&request)
        .await
        .map_err(|error| anyhow::anyhow!("recording the export in {stream}: {error}"))?;
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Where the documents go by default: `registry/<municipality>-<date>` in the data directory,
/// beside the rest of the installation's files, never wherever the command was run.
pub fn default_out(data_dir: &Path, municipality: &str, as_of: DateTime<Utc>) -> PathBuf {
    data_dir.join("registry").join(format!(
        "{municipality}-{}",
        domain::calendar::oslo_date(as_of)
    ))
}
