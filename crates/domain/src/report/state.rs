//! A report folded from its events: what `decide` checks a command against, and what the
//! letters and deadlines read.

use chrono::{DateTime, Utc};

use super::vocabulary::{ChildScreening, LetterKind};
use crate::details::ReportDetails;
use crate::error::DomainError;
use crate::ids::{CaseId, ReportId};
use crate::municipality::MunicipalityNumber;
use crate::registry::ReporterCode;
use crate::rules::Act;
use crate::values::{Assignee, BoundedText, ChildIdentity, ConcernCategory, Reporter, Urgency};

/// A report folded from its events.
// Not boxed: a state is folded once per command and `NotReceived` only lives until the first event.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, Default, PartialEq)]
pub enum ReportState {
    #[default]
    NotReceived,
    Received(Report),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub id: ReportId,
    pub received_at: DateTime<Utc>,
    pub act: Act,
    pub municipality: MunicipalityNumber,
    pub reporter: Reporter,
    pub children: Vec<ChildIdentity>,
    pub concerns: Vec<ConcernCategory>,
    pub summary: BoundedText,
    pub urgency: Urgency,
    pub details: Option<Box<ReportDetails>>,
    pub assignee: Option<Assignee>,
    pub screening: Option<Screening>,
    pub letters_sent: Vec<SentLetter>,
    /// When its latest step was taken: a step dated back may not come before it.
    pub last_step_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Screening {
    pub at: DateTime<Utc>,
    pub children: Vec<ChildScreening>,
    pub reporter_code: Option<ReporterCode>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SentLetter {
    pub kind: LetterKind,
    pub at: DateTime<Utc>,
}

impl Report {
    /// DOMAIN.md: no receipt is owed for an obviously unfounded report. Vern reads a report as
    /// obviously unfounded when every child's screening outcome says so.
    pub fn is_obviously_unfounded(&self) -> bool {
        self.screening.as_ref().is_some_and(|screening| {
            !screening.children.is_empty()
                && screening
                    .children
                    .iter()
                    .all(|child| child.outcome.is_obviously_unfounded())
        })
    }

    pub fn has_sent(&self, kind: LetterKind) -> bool {
        self.letters_sent.iter().any(|letter| letter.kind == kind)
    }

    /// The screening decision for `case_id`, if this report's screening named that case.
    pub fn screening_for_case(&self, case_id: CaseId) -> Option<&ChildScreening> {
        self.screening
            .as_ref()?
            .children
            .iter()
            .find(|child| child.case.case_id() == case_id)
    }
}

impl ReportState {
    pub fn report(&self) -> Option<&Report> {
        match self {
            Self::NotReceived => None,
            Self::Received(report) => Some(report),
        }
    }

    pub(super) fn received(&self) -> Result<&Report, DomainError> {
        self.report().ok_or(DomainError::ReportNotReceived)
    }
}
