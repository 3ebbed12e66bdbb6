//! The case's words: the plans, activities, outcomes, measures and rulings that its commands,
//! events and state are made of.
//!
//! Apart from the commands and events because both carry them (a command's plan becomes its
//! event's plan), and the registry and the views read them too. They are stored inside
//! events, so their serialized form is a compatibility boundary like the events'.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::ReportId;
use crate::municipality::MunicipalityNumber;
use crate::rules::Act;
use crate::values::BoundedText;

/// What a case needs to know about a report: which one, when it arrived, and so which act.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportReference {
    pub report_id: ReportId,
    pub received_at: DateTime<Utc>,
    pub act: Act,
}

/// Assessment tools used in investigations ([003]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssessmentTool {
    Asq,
    AsqSe,
    Dcm,
    Wmci,
    Crowell,
    /// Fremmedsituasjonen.
    StrangeSituation,
    /// Nettverksmøte.
    NetworkMeeting,
    Other {
        name: BoundedText,
    },
}

/// Investigation activities ([003]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// Oppstartsmøte with child and parents.
    StartUpMeeting,
    /// Innhenting av opplysninger.
    GatheringInformation,
    /// Samtaler med barnet (also the service's own conversation when a forensic interview
    /// is postponed, [000]).
    ConversationWithChild,
    /// Samtaler med foresatte.
    ConversationWithParents,
    HomeVisit,
    AssessmentTool(AssessmentTool),
    /// Oppsummeringsmøte.
    SummaryMeeting,
}

/// The investigation plan (new act § 2-2 third paragraph).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvestigationPlan {
    /// What the investigation must find out.
    pub themes: BoundedText,
    pub planned_activities: Vec<ActivityKind>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsultationPartner {
    Police,
    /// Statens barnehus.
    Barnehus,
}

/// What a consultation (samrådsmøte) decided ([000]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsultationOutcome {
    /// The police decide on a forensic interview (tilrettelagt avhør).
    pub forensic_interview_planned: bool,
    /// The service should report a possible crime (anmeldelse / underretning).
    pub report_to_police_advised: bool,
    pub protective_measures_needed: bool,
    pub summary: BoundedText,
}

/// How a forensic interview went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ForensicInterviewOutcome {
    Held { held_on: NaiveDate },
    Postponed { to: NaiveDate, reason: BoundedText },
    NotHeld { reason: BoundedText },
}

/// Proposals the board decides (new act § 5-1 care order, § 6-2 behaviour institution).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoardProposalKind {
    CareOrder,
    BehaviourInstitution,
}

/// Conclusion of an investigation, with the registry's codes (`Kodelister.md`,
/// Undersøkelse/Konklusjon).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum ConclusionOutcome {
    /// 1
    MeasuresDecided,
    /// 2: the petition is sent with the conclusion.
    PetitionToBoard { proposal: BoardProposalKind },
    /// 3
    DismissedOnAssessment,
    /// 4
    DismissedPartiesDeclined,
    /// 5: whether the new municipality was told is mandatory (registry; Prop. 64 L (2022–2023)).
    DismissedFamilyMoved {
        new_municipality: Option<MunicipalityNumber>,
        new_municipality_notified: bool,
        /// The family moved abroad (registry code 7 from 2026); without it and without a new
        /// municipality, the destination is unknown (code 8).
        #[serde(default)]
        moved_abroad: bool,
    },
    /// 6
    DismissedAfterReferral,
}

impl ConclusionOutcome {
    pub fn registry_code(&self) -> u8 {
        match self {
            Self::MeasuresDecided => 1,
            Self::PetitionToBoard { .. } => 2,
            Self::DismissedOnAssessment => 3,
            Self::DismissedPartiesDeclined => 4,
            Self::DismissedFamilyMoved { .. } => 5,
            Self::DismissedAfterReferral => 6,
        }
    }

    pub fn is_dismissal(&self) -> bool {
        self.registry_code() >= 3
    }
}

/// Measures (tiltak), in the home ([003], [000]) or outside it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasureKind {
    FamilyCouncil,
    ParentalGuidanceCos,
    MarteMeo,
    Pmto,
    Mst,
    /// Daily contact for a short time ([000]: "up to 6 weeks"); a service may cap it
    /// (`crate::practice`), the law does not.
    AcuteFamilyTeam,
    Relief,
    KindergartenPlace,
    OtherInHome {
        description: BoundedText,
    },
    FosterHome,
    Institution,
    OtherOutOfHome {
        description: BoundedText,
    },
}

impl MeasureKind {
    pub fn is_out_of_home(&self) -> bool {
        matches!(
            self,
            Self::FosterHome | Self::Institution | Self::OtherOutOfHome { .. }
        )
    }
}

/// A time-limited measure plan (tiltaksplan, [003]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeasurePlan {
    pub goals: Vec<BoundedText>,
    pub responsible: BoundedText,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// When to evaluate; the rule set's default interval when absent.
    pub evaluate_on: Option<NaiveDate>,
}

/// The evaluation questions of [003], answered yes (true) or no.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvaluationChecklist {
    pub carried_out_as_planned: bool,
    pub child_and_parents_felt_looked_after: bool,
    pub parents_followed_up: bool,
    pub could_have_been_done_otherwise: bool,
    pub new_or_extended_measures_needed: bool,
    pub goals_reached: bool,
}

/// Emergency decisions (akuttvedtak), by the petition deadline that follows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmergencyDecisionKind {
    /// Emergency placement / move (new act § 4-2; old act § 4-6 second paragraph): petition
    /// for a care order within 6 weeks.
    Placement,
    /// Emergency placement in a behaviour institution (new act § 4-4; old act § 4-25):
    /// petition within 2 weeks.
    BehaviourInstitution,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmergencyRuling {
    Approved,
    Refused { reasons: BoundedText },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoardOutcome {
    Granted,
    Rejected,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CarePlacement {
    FosterHome,
    Institution,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    /// Closed with the screening that dismissed the only report that opened it.
    DismissedAtScreening,
    Decided {
        reasons: BoundedText,
    },
}

/// The two kinds of visit a foster home gets, each with its own rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitKind {
    /// The service's follow-up visits (oppfølgingsbesøk).
    FollowUp,
    /// The independent supervisor's visits (tilsynsbesøk).
    Supervision,
}

/// The plans the law asks for around the board that are not a measure's plan or the care
/// plan, each with its registry plan type (Kodelister, Plan/Plantype).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanKind {
    /// The plan for the investigation after an emergency decision (new act § 8-2 third
    /// paragraph; plan type 8).
    EmergencyInvestigation,
    /// The preliminary care plan before the board decides a care order (old act § 4-15
    /// third paragraph; plan type 3, which the registry closed on 2022-12-31).
    PreliminaryCare,
}
