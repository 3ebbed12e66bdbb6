//! What happened to a report: the events of `report-<uuid>`, as they are stored (the type
//! tag and field names never change in place).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::vocabulary::{ChildScreening, LetterKind};
use crate::details::ReportDetails;
use crate::ids::ReportId;
use crate::municipality::MunicipalityNumber;
use crate::registry::ReporterCode;
use crate::rules::Act;
use crate::values::{Assignee, BoundedText, ChildIdentity, ConcernCategory, Reporter, Urgency};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ReportEvent {
    ReportReceived {
        report_id: ReportId,
        received_at: DateTime<Utc>,
        /// The act in force on the received date (Oslo); every later rule follows it.
        act: Act,
        municipality: MunicipalityNumber,
        reporter: Reporter,
        children: Vec<ChildIdentity>,
        concerns: Vec<ConcernCategory>,
        summary: BoundedText,
        urgency: Urgency,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        details: Option<Box<ReportDetails>>,
    },
    ReportUrgencyChanged {
        from: Urgency,
        to: Urgency,
        reason: BoundedText,
        at: DateTime<Utc>,
    },
    ReportScreened {
        children: Vec<ChildScreening>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reporter_code: Option<ReporterCode>,
        at: DateTime<Utc>,
    },
    FeedbackLetterSent {
        letters: Vec<LetterKind>,
        at: DateTime<Utc>,
    },
    ReportAssigned {
        assignee: Assignee,
        at: DateTime<Utc>,
    },
}

impl ReportEvent {
    /// All report events are at schema version 1. When one changes, bump it here for that
    /// variant only and add an upcaster in the shell's decoder.
    pub const SCHEMA_VERSION: u32 = 1;

    pub fn event_type(&self) -> &'static str {
        match self {
            Self::ReportReceived { .. } => "ReportReceived",
            Self::ReportUrgencyChanged { .. } => "ReportUrgencyChanged",
            Self::ReportScreened { .. } => "ReportScreened",
            Self::FeedbackLetterSent { .. } => "FeedbackLetterSent",
            Self::ReportAssigned { .. } => "ReportAssigned",
        }
    }

    /// When it happened in the service: the receipt time for a received report (which may be
    /// earlier than when it was entered), the decision time for every other event. Views that
    /// answer "as of" a moment order history by this.
    pub fn occurred_at(&self) -> DateTime<Utc> {
        match self {
            Self::ReportReceived { received_at, .. } => *received_at,
            Self::ReportUrgencyChanged { at, .. }
            | Self::ReportScreened { at, .. }
            | Self::FeedbackLetterSent { at, .. }
            | Self::ReportAssigned { at, .. } => *at,
        }
    }

    pub fn schema_version(&self) -> u32 {
        Self::SCHEMA_VERSION
    }
}
