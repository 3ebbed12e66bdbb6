//! What a screening decides for each child and what a reporter can be owed: the words the
//! report's commands and events carry, and the case's too (a case records the screening
//! outcome that opened it or linked a report to it). Stored inside events, so their
//! serialized form is a compatibility boundary like the events'.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::CaseId;
use crate::municipality::MunicipalityNumber;
use crate::registry::CaseContentCode;
use crate::values::{BoundedText, Urgency};

/// Which case a screened child belongs to. New case ids come from the shell, so deciding
/// stays free of randomness.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseAssignment {
    NewCase(CaseId),
    /// The child already has an open case: the report is added to it (DOMAIN.md lifecycle).
    ExistingOpenCase(CaseId),
}

impl CaseAssignment {
    pub fn case_id(&self) -> CaseId {
        match self {
            Self::NewCase(id) | Self::ExistingOpenCase(id) => *id,
        }
    }
}

/// Why a report is dismissed without investigation: registry code 1 and its refinements.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DismissalGround {
    /// 1: no grounds for investigation on the service's assessment.
    NoGroundsForInvestigation,
    /// 1.1: outside the act.
    OutsideTheAct,
    /// 1.2: referred to another agency.
    ReferredToAnotherAgency,
    /// 1.3: transferred to another municipality.
    TransferredToAnotherMunicipality { municipality: MunicipalityNumber },
}

/// The screening decision for one child, with the registry's codes (`Kodelister.md`,
/// Melding/Konklusjon; 1.1–1.3 are DOMAIN.md's refinements of 1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum ScreeningOutcome {
    /// 1 / 1.1 / 1.2 / 1.3. Written reasons are always recorded; `obviously_unfounded`
    /// marks a report the law lets the service leave without a receipt (new act § 2-1 second
    /// paragraph), recorded as such with the reasons.
    Dismissed {
        ground: DismissalGround,
        reasons: BoundedText,
        obviously_unfounded: bool,
    },
    /// 2: investigation opened.
    InvestigationOpened,
    /// 3: dismissed because measures are already active in the child's case.
    DismissedMeasuresActive { reasons: BoundedText },
    /// 4: the report concerns an investigation already under way.
    ConcernsOngoingInvestigation,
}

impl ScreeningOutcome {
    pub fn registry_code(&self) -> &'static str {
        match self {
            Self::Dismissed { ground, .. } => match ground {
                DismissalGround::NoGroundsForInvestigation => "1",
                DismissalGround::OutsideTheAct => "1.1",
                DismissalGround::ReferredToAnotherAgency => "1.2",
                DismissalGround::TransferredToAnotherMunicipality { .. } => "1.3",
            },
            Self::InvestigationOpened => "2",
            Self::DismissedMeasuresActive { .. } => "3",
            Self::ConcernsOngoingInvestigation => "4",
        }
    }

    /// Counts as "henlagt" in the report statistics (codes 1.x and 3).
    pub fn is_dismissal(&self) -> bool {
        matches!(
            self,
            Self::Dismissed { .. } | Self::DismissedMeasuresActive { .. }
        )
    }

    /// Whether the report is followed up in an investigation (opened now or under way).
    pub fn leads_to_investigation(&self) -> bool {
        matches!(
            self,
            Self::InvestigationOpened | Self::ConcernsOngoingInvestigation
        )
    }

    /// Codes 3 and 4 only make sense for a child whose case is already open.
    pub(crate) fn needs_existing_case(&self) -> Option<&'static str> {
        match self {
            Self::DismissedMeasuresActive { .. } => Some("active measures"),
            Self::ConcernsOngoingInvestigation => Some("an investigation under way"),
            _ => None,
        }
    }

    pub(super) fn is_obviously_unfounded(&self) -> bool {
        matches!(
            self,
            Self::Dismissed {
                obviously_unfounded: true,
                ..
            }
        )
    }
}

/// The screening decision for one of the report's children.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildScreening {
    /// Position of the child in the report's `children`.
    pub child_index: usize,
    pub case: CaseAssignment,
    pub outcome: ScreeningOutcome,
    /// Emergency action can come with any outcome; the emergency decision itself is recorded
    /// on the case.
    pub emergency_action: bool,
    /// Triage set at screening; the case carries it from then on.
    pub urgency: Urgency,
    /// What the report is about, in the registry's case-content codes (Saksinnhold).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub case_content: Vec<CaseContentCode>,
}

/// Letters a reporter can be owed. A public reporter's receipt and investigation-outcome
/// letters may be one letter: record both kinds in one `RecordFeedbackLetterSent`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "letter")]
pub enum LetterKind {
    Receipt,
    /// Whether an investigation was opened (public reporters).
    InvestigationOutcome,
    /// Whether the investigation in this case ended in dismissal or follow-up (public reporters).
    Conclusion {
        case_id: CaseId,
    },
}

impl fmt::Display for LetterKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Receipt => f.write_str("receipt"),
            Self::InvestigationOutcome => f.write_str("investigation outcome"),
            Self::Conclusion { case_id } => write!(f, "conclusion for {case_id}"),
        }
    }
}
