//! What happened to a case: the events of `case-<uuid>`, as they are stored.
//!
//! Flat, one enum for the whole stream, unlike the commands: the type tag and field names are
//! the stored form, which never changes in place (a change is a new schema version and an
//! upcaster in the shell).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::vocabulary::{
    ActivityKind, BoardOutcome, BoardProposalKind, CarePlacement, CloseReason, ConclusionOutcome,
    ConsultationOutcome, ConsultationPartner, EmergencyDecisionKind, EvaluationChecklist,
    InvestigationPlan, MeasureKind, MeasurePlan, PlanKind, ReportReference, VisitKind,
};
use crate::ids::CaseId;
use crate::municipality::MunicipalityNumber;
use crate::registry::CaseContentCode;
use crate::report::ScreeningOutcome;
use crate::values::{Assignee, BoundedText, ChildIdentity, Urgency};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum CaseEvent {
    CaseOpenedFromReport {
        case_id: CaseId,
        report: ReportReference,
        child: ChildIdentity,
        municipality: MunicipalityNumber,
        outcome: ScreeningOutcome,
        emergency_action: bool,
        urgency: Urgency,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        assignee: Option<Assignee>,
        at: DateTime<Utc>,
    },
    ReportLinkedToCase {
        report: ReportReference,
        outcome: ScreeningOutcome,
        emergency_action: bool,
        urgency: Urgency,
        at: DateTime<Utc>,
    },
    InvestigationOpened {
        report: ReportReference,
        /// The end of the screening week: the investigation deadline counts from here.
        counts_from: NaiveDate,
        at: DateTime<Utc>,
    },
    UrgencyChanged {
        from: Urgency,
        to: Urgency,
        reason: BoundedText,
        at: DateTime<Utc>,
    },
    InvestigationStarted {
        plan: InvestigationPlan,
        at: DateTime<Utc>,
    },
    InvestigationActivityRecorded {
        activity: ActivityKind,
        held_on: NaiveDate,
        summary: BoundedText,
        at: DateTime<Utc>,
    },
    InvestigationDeadlineExtended {
        to_months: u32,
        reason: BoundedText,
        at: DateTime<Utc>,
    },
    ConsultationHeld {
        partners: Vec<ConsultationPartner>,
        held_on: NaiveDate,
        outcome: ConsultationOutcome,
        at: DateTime<Utc>,
    },
    ForensicInterviewHeld {
        held_on: NaiveDate,
        at: DateTime<Utc>,
    },
    ForensicInterviewPostponed {
        to: NaiveDate,
        reason: BoundedText,
        at: DateTime<Utc>,
    },
    ForensicInterviewNotHeld {
        reason: BoundedText,
        at: DateTime<Utc>,
    },
    ReportedToPolice {
        grounds: BoundedText,
        at: DateTime<Utc>,
    },
    InvestigationConcluded {
        outcome: ConclusionOutcome,
        reasons: BoundedText,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        grounds: Vec<CaseContentCode>,
        at: DateTime<Utc>,
    },
    MeasureStarted {
        number: u32,
        kind: MeasureKind,
        plan: MeasurePlan,
        next_evaluation_on: NaiveDate,
        /// A foster home in the family and close network (registry 2.1).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        in_family_network: bool,
        at: DateTime<Utc>,
    },
    MeasureEvaluated {
        number: u32,
        checklist: EvaluationChecklist,
        assessment: BoundedText,
        next_evaluation_on: NaiveDate,
        at: DateTime<Utc>,
    },
    MeasureExtended {
        number: u32,
        reasons: BoundedText,
        plan: MeasurePlan,
        next_evaluation_on: NaiveDate,
        at: DateTime<Utc>,
    },
    MeasureChanged {
        number: u32,
        kind: MeasureKind,
        reasons: BoundedText,
        plan: MeasurePlan,
        next_evaluation_on: NaiveDate,
        /// A foster home in the family and close network (registry 2.1).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        in_family_network: bool,
        at: DateTime<Utc>,
    },
    MeasureEnded {
        number: u32,
        reasons: BoundedText,
        at: DateTime<Utc>,
    },
    /// Made and sent to the board at once (DOMAIN.md): the approval clock starts at `at`.
    EmergencyDecisionMade {
        number: u32,
        kind: EmergencyDecisionKind,
        grounds: BoundedText,
        /// Absent in events stored before the abroad rule was kept: not abroad.
        #[serde(default)]
        habitually_resident_abroad: bool,
        at: DateTime<Utc>,
    },
    EmergencyDecisionApproved {
        number: u32,
        at: DateTime<Utc>,
    },
    EmergencyDecisionRefused {
        number: u32,
        reasons: BoundedText,
        at: DateTime<Utc>,
    },
    EmergencyPetitionSent {
        number: u32,
        at: DateTime<Utc>,
    },
    /// No petition by the deadline: the decision fell away at `at`, the end of the petition
    /// deadline's last day, whenever the case recorded it.
    EmergencyDecisionLapsed {
        number: u32,
        at: DateTime<Utc>,
    },
    BoardProposalSent {
        kind: BoardProposalKind,
        grounds: BoundedText,
        at: DateTime<Utc>,
    },
    BoardDecided {
        kind: BoardProposalKind,
        outcome: BoardOutcome,
        decided_on: NaiveDate,
        at: DateTime<Utc>,
    },
    /// The care order carried out: the child placed on `carried_out_on`.
    CareOrderCarriedOut {
        carried_out_on: NaiveDate,
        at: DateTime<Utc>,
    },
    /// The board's chair extended the time to carry out the care order to `to` (its last day).
    CareOrderImplementationExtended {
        to: NaiveDate,
        reason: BoundedText,
        at: DateTime<Utc>,
    },
    /// Not carried out in time: the care order fell away at `at`, the end of the deadline's
    /// last day, whenever the case recorded it.
    CareOrderLapsed {
        at: DateTime<Utc>,
    },
    CarePlanMade {
        placement: CarePlacement,
        placed_on: NaiveDate,
        plan: BoundedText,
        /// A foster home in the family and close network (registry 2.1).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        in_family_network: bool,
        at: DateTime<Utc>,
    },
    /// After an emergency decision, the plan for the investigation; before the board decides
    /// a care order under the old act, the preliminary care plan.
    PlanMade {
        kind: PlanKind,
        /// The emergency decision an investigation plan follows.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        decision: Option<u32>,
        made_on: NaiveDate,
        plan: BoundedText,
        at: DateTime<Utc>,
    },
    SupervisionVisitRecorded {
        visited_on: NaiveDate,
        at: DateTime<Utc>,
    },
    /// The service's decision on how often a kind of visit is made: 4 a year, or 2 when that
    /// is sound for a child placed more than two years, with its reasons.
    VisitRateDecided {
        visits: VisitKind,
        per_year: u8,
        reasons: BoundedText,
        at: DateTime<Utc>,
    },
    FollowUpVisitRecorded {
        visited_on: NaiveDate,
        at: DateTime<Utc>,
    },
    CaseClosed {
        reason: CloseReason,
        at: DateTime<Utc>,
    },
    CaseAssigned {
        assignee: Assignee,
        at: DateTime<Utc>,
    },
    /// The service invited the police and/or Statens barnehus to consultation `consultation`.
    PartnersInvitedToConsultation {
        consultation: u32,
        partners: Vec<ConsultationPartner>,
        meeting_at: DateTime<Utc>,
        place: BoundedText,
        decisions_asked: Vec<crate::partner::DecisionAsked>,
        at: DateTime<Utc>,
    },
    /// An invited partner answered whether it attends.
    PartnerAttendanceRecorded {
        consultation: u32,
        partner: ConsultationPartner,
        attending: bool,
        at: DateTime<Utc>,
    },
    /// An invited partner recorded the decision on a forensic interview.
    PartnerInterviewDecided {
        consultation: u32,
        partner: ConsultationPartner,
        decision: crate::partner::InterviewDecision,
        at: DateTime<Utc>,
    },
    /// The police recorded whether a police report is filed.
    PoliceReportDecided {
        consultation: u32,
        filed: bool,
        at: DateTime<Utc>,
    },
    /// The service closed the consultation: the partners see nothing of it any more.
    PartnerConsultationClosed {
        consultation: u32,
        at: DateTime<Utc>,
    },
}

impl CaseEvent {
    /// All case events are at schema version 1. When one changes, bump it here for that
    /// variant only and add an upcaster in the shell's decoder.
    pub const SCHEMA_VERSION: u32 = 1;

    pub fn event_type(&self) -> &'static str {
        match self {
            Self::CaseOpenedFromReport { .. } => "CaseOpenedFromReport",
            Self::ReportLinkedToCase { .. } => "ReportLinkedToCase",
            Self::InvestigationOpened { .. } => "InvestigationOpened",
            Self::UrgencyChanged { .. } => "UrgencyChanged",
            Self::InvestigationStarted { .. } => "InvestigationStarted",
            Self::InvestigationActivityRecorded { .. } => "InvestigationActivityRecorded",
            Self::InvestigationDeadlineExtended { .. } => "InvestigationDeadlineExtended",
            Self::ConsultationHeld { .. } => "ConsultationHeld",
            Self::ForensicInterviewHeld { .. } => "ForensicInterviewHeld",
            Self::ForensicInterviewPostponed { .. } => "ForensicInterviewPostponed",
            Self::ForensicInterviewNotHeld { .. } => "ForensicInterviewNotHeld",
            Self::ReportedToPolice { .. } => "ReportedToPolice",
            Self::InvestigationConcluded { .. } => "InvestigationConcluded",
            Self::MeasureStarted { .. } => "MeasureStarted",
            Self::MeasureEvaluated { .. } => "MeasureEvaluated",
            Self::MeasureExtended { .. } => "MeasureExtended",
            Self::MeasureChanged { .. } => "MeasureChanged",
            Self::MeasureEnded { .. } => "MeasureEnded",
            Self::EmergencyDecisionMade { .. } => "EmergencyDecisionMade",
            Self::EmergencyDecisionApproved { .. } => "EmergencyDecisionApproved",
            Self::EmergencyDecisionRefused { .. } => "EmergencyDecisionRefused",
            Self::EmergencyPetitionSent { .. } => "EmergencyPetitionSent",
            Self::EmergencyDecisionLapsed { .. } => "EmergencyDecisionLapsed",
            Self::BoardProposalSent { .. } => "BoardProposalSent",
            Self::BoardDecided { .. } => "BoardDecided",
            Self::CareOrderCarriedOut { .. } => "CareOrderCarriedOut",
            Self::CareOrderImplementationExtended { .. } => "CareOrderImplementationExtended",
            Self::CareOrderLapsed { .. } => "CareOrderLapsed",
            Self::CarePlanMade { .. } => "CarePlanMade",
            Self::PlanMade { .. } => "PlanMade",
            Self::FollowUpVisitRecorded { .. } => "FollowUpVisitRecorded",
            Self::SupervisionVisitRecorded { .. } => "SupervisionVisitRecorded",
            Self::VisitRateDecided { .. } => "VisitRateDecided",
            Self::CaseClosed { .. } => "CaseClosed",
            Self::CaseAssigned { .. } => "CaseAssigned",
            Self::PartnersInvitedToConsultation { .. } => "PartnersInvitedToConsultation",
            Self::PartnerAttendanceRecorded { .. } => "PartnerAttendanceRecorded",
            Self::PartnerInterviewDecided { .. } => "PartnerInterviewDecided",
            Self::PoliceReportDecided { .. } => "PoliceReportDecided",
            Self::PartnerConsultationClosed { .. } => "PartnerConsultationClosed",
        }
    }

    pub fn schema_version(&self) -> u32 {
        Self::SCHEMA_VERSION
    }

    /// When the decision was made; views that answer "as of" a moment order history by it.
    pub fn occurred_at(&self) -> DateTime<Utc> {
        match self {
            Self::CaseOpenedFromReport { at, .. }
            | Self::ReportLinkedToCase { at, .. }
            | Self::InvestigationOpened { at, .. }
            | Self::UrgencyChanged { at, .. }
            | Self::InvestigationStarted { at, .. }
            | Self::InvestigationActivityRecorded { at, .. }
            | Self::InvestigationDeadlineExtended { at, .. }
            | Self::ConsultationHeld { at, .. }
            | Self::ForensicInterviewHeld { at, .. }
            | Self::ForensicInterviewPostponed { at, .. }
            | Self::ForensicInterviewNotHeld { at, .. }
            | Self::ReportedToPolice { at, .. }
            | Self::InvestigationConcluded { at, .. }
            | Self::MeasureStarted { at, .. }
            | Self::MeasureEvaluated { at, .. }
            | Self::MeasureExtended { at, .. }
            | Self::MeasureChanged { at, .. }
            | Self::MeasureEnded { at, .. }
            | Self::EmergencyDecisionMade { at, .. }
            | Self::EmergencyDecisionApproved { at, .. }
            | Self::EmergencyDecisionRefused { at, .. }
            | Self::EmergencyPetitionSent { at, .. }
            | Self::EmergencyDecisionLapsed { at, .. }
            | Self::BoardProposalSent { at, .. }
            | Self::BoardDecided { at, .. }
            | Self::CareOrderCarriedOut { at, .. }
            | Self::CareOrderImplementationExtended { at, .. }
            | Self::CareOrderLapsed { at }
            | Self::CarePlanMade { at, .. }
            | Self::PlanMade { at, .. }
            | Self::FollowUpVisitRecorded { at, .. }
            | Self::SupervisionVisitRecorded { at, .. }
            | Self::VisitRateDecided { at, .. }
            | Self::CaseClosed { at, .. }
            | Self::CaseAssigned { at, .. }
            | Self::PartnersInvitedToConsultation { at, .. }
            | Self::PartnerAttendanceRecorded { at, .. }
            | Self::PartnerInterviewDecided { at, .. }
            | Self::PoliceReportDecided { at, .. }
            | Self::PartnerConsultationClosed { at, .. } => *at,
        }
    }
}
