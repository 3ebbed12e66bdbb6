//! Domain state of a stream as the global log had it at a given position.
//!
//! Views need more than the event in hand: a letter owed depends on the report and on its
//! children's cases. Folding every stream the view needs, bounded by the position being
//! applied, makes each view a function of the log prefix alone, so a rebuild writes exactly
//! the rows the live runner wrote, timestamps included.

use domain::StoredEvent;
use domain::case::{self, CaseEvent, CaseId, CaseState};
use domain::report::{self, ReportEvent, ReportId, ReportState};
use eventstore::{EventStore, Position, RecordedEvent};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::Error;

/// An event of one of the domain's two stream kinds.
pub(crate) enum Decoded {
    Report(ReportId, ReportEvent),
    Case(CaseId, CaseEvent),
    /// Streams the views do not read.
    Other,
}

impl Decoded {
    /// When it happened in the service (see `ReportEvent::occurred_at`).
    pub(crate) fn occurred_at(&self, event: &RecordedEvent) -> chrono::DateTime<chrono::Utc> {
        match self {
            Self::Report(_, report) => report.occurred_at(),
            Self::Case(_, case) => case.occurred_at(),
            Self::Other => event.recorded_at,
        }
    }
}

pub(crate) fn decode(projection: &'static str, event: &RecordedEvent) -> Result<Decoded, Error> {
    let bad = |reason: String| Error::Apply {
        projection,
        position: event.position,
        reason,
    };
    let version = u32::try_from(event.schema_version).unwrap_or(0);
    if let Some(id) = event.stream_id.strip_prefix("report-") {
        let id = Uuid::parse_str(id).map_err(|_| bad("stream id is not report-<uuid>".into()))?;
        let decoded = ReportEvent::from_stored(&event.event_type, version, event.payload.clone())
            .map_err(|error| bad(error.to_string()))?;
        return Ok(Decoded::Report(ReportId::new(id), decoded));
    }
    if let Some(id) = event.stream_id.strip_prefix("case-") {
        let id = Uuid::parse_str(id).map_err(|_| bad("stream id is not case-<uuid>".into()))?;
        let decoded = CaseEvent::from_stored(&event.event_type, version, event.payload.clone())
            .map_err(|error| bad(error.to_string()))?;
        return Ok(Decoded::Case(CaseId::new(id), decoded));
    }
    Ok(Decoded::Other)
}

/// A stream's decoded events up to `until`.
async fn history<E: StoredEvent>(
    projection: &'static str,
    store: &EventStore,
    connection: &mut PgConnection,
    stream_id: &str,
    until: Position,
) -> Result<Vec<E>, Error> {
    let events = store
        .read_stream_until(connection, stream_id, until)
        .await?;
    events
        .into_iter()
        .map(|event| {
            let version = u32::try_from(event.schema_version).unwrap_or(0);
            E::from_stored(&event.event_type, version, event.payload).map_err(|error| {
                Error::Apply {
                    projection,
                    position: event.position,
                    reason: error.to_string(),
                }
            })
        })
        .collect()
}

/// The report's events up to `until`.
pub(crate) async fn report_history(
    projection: &'static str,
    store: &EventStore,
    connection: &mut PgConnection,
    id: ReportId,
    until: Position,
) -> Result<Vec<ReportEvent>, Error> {
    history(projection, store, connection, &id.stream_name(), until).await
}

/// The case's events up to `until`.
pub(crate) async fn case_history(
    projection: &'static str,
    store: &EventStore,
    connection: &mut PgConnection,
    id: CaseId,
    until: Position,
) -> Result<Vec<CaseEvent>, Error> {
    history(projection, store, connection, &id.stream_name(), until).await
}

pub(crate) fn fold_report(events: &[ReportEvent]) -> ReportState {
    events.iter().fold(ReportState::default(), report::evolve)
}

pub(crate) fn fold_case(events: &[CaseEvent]) -> CaseState {
    events.iter().fold(CaseState::default(), case::evolve)
}

pub(crate) async fn report_at(
    projection: &'static str,
    store: &EventStore,
    connection: &mut PgConnection,
    id: ReportId,
    until: Position,
) -> Result<ReportState, Error> {
    Ok(fold_report(
        &report_history(projection, store, connection, id, until).await?,
    ))
}

pub(crate) async fn case_at(
    projection: &'static str,
    store: &EventStore,
    connection: &mut PgConnection,
    id: CaseId,
    until: Position,
) -> Result<CaseState, Error> {
    Ok(fold_case(
        &case_history(projection, store, connection, id, until).await?,
    ))
}

/// The cases the report's screening named, as of `until`.
pub(crate) async fn cases_of_report(
    projection: &'static str,
    store: &EventStore,
    connection: &mut PgConnection,
    report: &ReportState,
    until: Position,
) -> Result<Vec<CaseState>, Error> {
    let Some(screening) = report.report().and_then(|report| report.screening.as_ref()) else {
        return Ok(Vec::new());
    };
    let mut cases = Vec::with_capacity(screening.children.len());
    for child in &screening.children {
        cases.push(case_at(projection, store, connection, child.case.case_id(), until).await?);
    }
    Ok(cases)
}
