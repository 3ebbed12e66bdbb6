//! The statutory lifecycle of a child welfare case (barnevern) as plain data and pure functions.
//!
//! This crate owns every rule of DOMAIN.md: the value types that make bad input
//! unrepresentable, the commands and events of the two streams, the decisions that say which
//! steps the law allows, the deadline table of each act and the calendar arithmetic behind it,
//! and the letters a reporter is owed. It does no IO and reads no clock: time arrives in
//! [`Context`], and what must be looked up arrives in the command. The shell (services) loads
//! a stream, folds it with `evolve`, calls `decide`, and appends the events.
//!
//! Layout:
//! - [`values`]: identity numbers, child identity, reporter, bounded text, concerns, urgency.
//! - [`details`]: what a report tells beyond the lifecycle's facts, and its digital source.
//! - [`municipality`]: municipality numbers and the registry they are checked against.
//! - [`calendar`]: Europe/Oslo date arithmetic ("one week", "three months", end of day).
//! - [`rules`]: the rule sets of the 1992 and 2021 acts as data, and the book that picks one.
//! - [`practice`]: what one service chose beside the law (a limit of its own), per municipality.
//! - [`registry`]: the national registry's reporter and case-content codes, with validity.
//! - [`ids`]: the streams' ids (`ReportId`, `CaseId`), which every stream module names.
//! - [`Aggregate`]: one stream kind as the shell drives it (fold, decide, municipality).
//! - [`report`]: the `report-<uuid>` stream (receipt, screening, letters sent).
//! - [`case`]: the `case-<uuid>` stream (investigation, measures, emergency, board, closing),
//!   a module per seam.
//! - [`partner`]: consultations with the police and Statens barnehus, as steps of a case.
//! - [`screening`]: the one decision that writes to a report and its children's cases.
//! - [`step`]: a step's two times, when it was taken and when Vern learned of it.
//! - [`deadlines`]: the running deadlines of a stream, breached or not.
//! - [`letters`]: the letters owed to a reporter.
//! - [`error`]: the crate's one error type.
//! - [`StoredEvent`]: the naming and versioning the event store needs.

mod aggregate;
pub mod calendar;
pub mod case;
pub mod deadlines;
pub mod details;
pub mod error;
pub mod ids;
pub mod letters;
pub mod municipality;
pub mod partner;
pub mod practice;
pub mod registry;
pub mod report;
pub mod rules;
pub mod screening;
pub mod step;
pub mod values;

#[cfg(test)]
mod tests;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use crate::aggregate::Aggregate;
pub use crate::error::DomainError;

/// What a decision may know besides the state and the command: the time, given by the shell
/// (there is no hidden clock), and the rules. A step has two times ([`step`]): when it was
/// taken, which every event's time and every deadline count from, and when Vern learns of it.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// When the step is taken: now, unless the caller dates it back ([`step::StepTime`]).
    pub at: DateTime<Utc>,
    /// When Vern learns of it: the shell's clock at the command.
    pub recorded_at: DateTime<Utc>,
    pub rules: &'a rules::RuleBook,
    /// Each municipality's own choices beside the law.
    pub practice: &'a practice::LocalPractice,
}

impl<'a> Context<'a> {
    /// A step taken now.
    pub fn new(now: DateTime<Utc>, rules: &'a rules::RuleBook) -> Self {
        Self {
            at: now,
            recorded_at: now,
            rules,
            practice: &practice::NONE,
        }
    }

    /// The same context, with the services' own choices.
    pub fn with_practice(self, practice: &'a practice::LocalPractice) -> Self {
        Self { practice, ..self }
    }

    /// The same context for a step with these times.
    pub fn dated(self, step: &step::StepTime) -> Self {
        Self {
            at: step.at,
            recorded_at: step.recorded_at,
            ..self
        }
    }

    /// The step's day in Oslo: the day statutory dates are compared with.
    pub fn today(&self) -> NaiveDate {
        calendar::oslo_date(self.at)
    }
}

/// An event as the event store sees it: a type name, a schema version and a JSON payload.
/// The payload carries the type name too (serde tag `type`), so it reads on its own.
pub trait StoredEvent: Serialize + DeserializeOwned {
    fn event_type(&self) -> &'static str;
    fn schema_version(&self) -> u32;

    /// When it happened in the service (see `ReportEvent::occurred_at`).
    fn occurred_at(&self) -> DateTime<Utc>;

    /// The JSON payload to store.
    fn to_payload(&self) -> serde_json::Value {
        // Serializing plain data with string keys cannot fail.
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// Reads a stored event back, refusing types and versions this build does not know (an
    /// upcaster in the shell must bring old versions up first). Reads from the payload where
    /// it lies: a view decodes each event of the log, and copying the payload first was a
    /// large part of that.
    fn from_stored(
        event_type: &str,
        schema_version: u32,
        payload: &serde_json::Value,
    ) -> Result<Self, DomainError> {
        let unknown = || DomainError::UnknownStoredEvent {
            event_type: event_type.to_owned(),
            schema_version,
        };
        let event = Self::deserialize(payload).map_err(|_| unknown())?;
        if event.event_type() != event_type || event.schema_version() != schema_version {
            return Err(unknown());
        }
        Ok(event)
    }
}

impl StoredEvent for report::ReportEvent {
    fn event_type(&self) -> &'static str {
        report::ReportEvent::event_type(self)
    }
    fn schema_version(&self) -> u32 {
        report::ReportEvent::schema_version(self)
    }
    fn occurred_at(&self) -> DateTime<Utc> {
        report::ReportEvent::occurred_at(self)
    }
}

impl StoredEvent for case::CaseEvent {
    fn event_type(&self) -> &'static str {
        case::CaseEvent::event_type(self)
    }
    fn schema_version(&self) -> u32 {
        case::CaseEvent::schema_version(self)
    }
    fn occurred_at(&self) -> DateTime<Utc> {
        case::CaseEvent::occurred_at(self)
    }
}
