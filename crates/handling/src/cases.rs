//! A municipality's cases as they stood at a moment, with their reports: what the registry
//! export and the registry findings read.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::StoredEvent;
use domain::case::{CaseEvent, CaseId};
use domain::report::{self, Report, ReportEvent, ReportId, ReportState};
use uuid::Uuid;

use crate::{Error, Handler};

/// One case: its events up to the moment, and its linked reports as they were then.
pub struct CaseAt {
    pub case_id: CaseId,
    pub events: Vec<CaseEvent>,
    pub reports: BTreeMap<ReportId, Report>,
}

impl Handler {
    /// Every case of `municipality` opened by `as_of`, each read up to `as_of` (by when things
    /// happened in the service).
    pub async fn cases_at(
        &self,
        municipality: &str,
        as_of: DateTime<Utc>,
    ) -> Result<Vec<CaseAt>, Error> {
        let mut cases = Vec::new();
        for stream in self.store().streams_of("case", municipality).await? {
            let Some(id) = stream
                .strip_prefix("case-")
                .and_then(|id| Uuid::parse_str(id).ok())
            else {
                continue;
            };
            let events: Vec<CaseEvent> = self.events_until(&stream, as_of).await?;
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
                let report_events: Vec<ReportEvent> = self
                    .events_until(&reference.report_id.stream_name(), as_of)
                    .await?;
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

    /// A stream's events in order, up to the first that happened after `as_of`.
    async fn events_until<E: StoredEvent>(
        &self,
        stream: &str,
        as_of: DateTime<Utc>,
    ) -> Result<Vec<E>, Error> {
        let mut events = Vec::new();
        self.each_event::<E>(stream, |event| {
            let before = event.occurred_at() <= as_of;
            if before {
                events.push(event);
            }
            before
        })
        .await?;
        Ok(events)
    }
}
