//! What can be asked of a report: one struct per command, so the shell converts a request
//! into exactly the command it names.

use chrono::{DateTime, Utc};

use super::vocabulary::{ChildScreening, LetterKind};
use crate::details::ReportDetails;
use crate::ids::ReportId;
use crate::municipality::MunicipalityNumber;
use crate::registry::ReporterCode;
use crate::values::{Assignee, BoundedText, ChildIdentity, ConcernCategory, Reporter, Urgency};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiveReport {
    pub report_id: ReportId,
    /// When the service received it (portal timestamp, letter date): not after `now`.
    pub received_at: DateTime<Utc>,
    /// The municipality whose service receives the report.
    pub municipality: MunicipalityNumber,
    pub reporter: Reporter,
    pub children: Vec<ChildIdentity>,
    pub concerns: Vec<ConcernCategory>,
    pub summary: BoundedText,
    /// Triage at intake, ordering the screening worklist.
    pub urgency: Urgency,
    /// Everything else the report tells; a digital report's source.
    pub details: Option<Box<ReportDetails>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScreenReport {
    pub children: Vec<ChildScreening>,
    /// A public reporter's registry code (Melder); a private reporter's follows from the
    /// relation, an anonymous one's is 23.
    pub reporter_code: Option<ReporterCode>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeReportUrgency {
    pub urgency: Urgency,
    pub reason: BoundedText,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordFeedbackLetterSent {
    pub letters: Vec<LetterKind>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportCommand {
    ReceiveReport(ReceiveReport),
    /// Only the report's half of screening; the shell uses `screening::decide_screening`,
    /// which also decides for the children's cases.
    ScreenReport(ScreenReport),
    ChangeReportUrgency(ChangeReportUrgency),
    RecordFeedbackLetterSent(RecordFeedbackLetterSent),
    /// Hands the report to a team (and caseworker) for screening; its cases inherit it.
    AssignReport(Assignee),
}
