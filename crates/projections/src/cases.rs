//! A municipality's cases as they stood at a moment, with their reports: what the registry
//! export and the registry's findings read. A query over the log, not a view: the registry
//! asks rarely, and asks about any past moment, so it folds each case's stream when asked.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::StoredEvent;
use domain::case::{CaseEvent, CaseId};
use domain::municipality::MunicipalityNumber;
use domain::report::{self, Report, ReportEvent, ReportId, ReportState};
use eventstore::EventStore;
use uuid::Uuid;

use crate::{Error, Knowledge};

/// One case: its events up to the moment, and its linked reports as they were then.
pub struct CaseAt {
    pub case_id: CaseId,
    pub events: Vec<CaseEvent>,
    pub reports: BTreeMap<ReportId, Report>,
}

/// Every case of `municipality` opened by `as_of`, each read up to `as_of` (by when things
/// happened in the service).
pub async fn cases_at(
    store: &EventStore,
    municipality: MunicipalityNumber,
    as_of: DateTime<Utc>,
    knowledge: Knowledge,
) -> Result<Vec<CaseAt>, Error> {
    let mut cases = Vec::new();
    // Its cases under every number it has had (`domain::municipality::numbers_of`).
    let mut streams = Vec::new();
    for number in domain::municipality::numbers_of(domain::municipality::current(municipality)) {
        streams.extend(store.streams_of("case", number.as_str()).await?);
    }
    for stream in streams {
        let Some(id) = stream
            .strip_prefix("case-")
            .and_then(|id| Uuid::parse_str(id).ok())
        else {
            continue;
        };
        let events: Vec<CaseEvent> = events_until(store, &stream, as_of, knowledge).await?;
        if events.is_empty() {
            continue;
        }
        let mut reports = BTreeMap::new();
        for event in &events {
            let reference = match event {
                CaseEvent::CaseOpenedFromReport { report, .. }
                | CaseEvent::ReportLinkedToCase { report, .. } => report,
                _ => continue,
            };
            let report_events: Vec<ReportEvent> =
                events_until(store, &reference.report_id.stream_name(), as_of, knowledge).await?;
            let state = report_events
                .iter()
                .fold(ReportState::default(), report::evolve);
            if let ReportState::Received(report) = state {
                reports.insert(reference.report_id, report);
            }
        }
        cases.push(CaseAt {
            case_id: CaseId::new(id),
            events,
            reports,
        });
    }
    Ok(cases)
}

/// A stream's events in order, up to the first that happened after `as_of` or, asked as
/// known then, that the service learned of after it (a stream's steps are in order by both).
async fn events_until<E: StoredEvent>(
    store: &EventStore,
    stream: &str,
    as_of: DateTime<Utc>,
    knowledge: Knowledge,
) -> Result<Vec<E>, Error> {
    const PAGE: u32 = 1000;
    let mut events = Vec::new();
    let mut from = 1;
    loop {
        let page = store.read_stream(stream, from, PAGE).await?;
        let read = page.len();
        for recorded in page {
            let version = u32::try_from(recorded.schema_version).unwrap_or(0);
            let event = E::from_stored(&recorded.event_type, version, &recorded.payload).map_err(
                |error| Error::Apply {
                    projection: "cases_at",
                    position: recorded.position,
                    reason: error.to_string(),
                },
            )?;
            let when = crate::When::of(&recorded, event.occurred_at());
            if !knowledge.sees(when.at, when.known, as_of) {
                return Ok(events);
            }
            events.push(event);
            from = recorded.stream_version + 1;
        }
        if read < PAGE as usize {
            return Ok(events);
        }
    }
}
