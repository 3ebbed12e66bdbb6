//! The case stream (`case-<uuid>`): one child's case from the first report through
//! investigation, measures, emergency decisions and the board, to closing.
//!
//! One stream per child, not per report, because the law follows the child: a new report about
//! a child with an open case is added to that case, and measures, plans and visits belong to
//! the child. Each step checks only the case's own state; what the shell must look up (the
//! report, other cases) arrives in the command.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Context;
use crate::calendar::{self, Due, Length};
use crate::error::DomainError;
use crate::municipality::MunicipalityNumber;
use crate::registry::CaseContentCode;
use crate::report::{ReportId, ScreeningOutcome};
use crate::rules::{Act, RuleSet};
use crate::values::{Assignee, BoundedText, ChildIdentity, Urgency, check_not_after};

/// Identifies a case stream. The shell generates the UUID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CaseId(Uuid);

impl CaseId {
    pub fn new(id: Uuid) -> Self {
        Self(id)
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }

    /// The event store stream name, `case-<uuid>`.
    pub fn stream_name(&self) -> String {
        format!("case-{}", self.0)
    }
}

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "case-{}", self.0)
    }
}

/// What a case needs to know about a report: which one, when it arrived, and so which act.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportReference {
    pub report_id: ReportId,
    pub received_at: DateTime<Utc>,
    pub act: Act,
}

// ---------------------------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------------------------

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
    /// Up to 6 weeks of daily contact ([000]); the limit is in the rule set.
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

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaseCommand {
    /// Made by `screening::decide_screening` for a child screened into a new case.
    OpenCaseFromReport {
        case_id: CaseId,
        report: ReportReference,
        child: ChildIdentity,
        municipality: MunicipalityNumber,
        outcome: ScreeningOutcome,
        emergency_action: bool,
        urgency: Urgency,
        /// The report's team and caseworker, which the new case starts with.
        assignee: Option<Assignee>,
    },
    /// Made by `screening::decide_screening` for a child whose open case gets the report.
    LinkReport {
        report: ReportReference,
        child: ChildIdentity,
        outcome: ScreeningOutcome,
        emergency_action: bool,
        urgency: Urgency,
    },
    ChangeUrgency {
        urgency: Urgency,
        reason: BoundedText,
    },
    AssignCase {
        assignee: Assignee,
    },
    StartInvestigation {
        plan: InvestigationPlan,
    },
    RecordActivity {
        activity: ActivityKind,
        held_on: NaiveDate,
        summary: BoundedText,
    },
    ExtendInvestigationDeadline {
        to_months: u32,
        reason: BoundedText,
    },
    HoldConsultation {
        partners: Vec<ConsultationPartner>,
        held_on: NaiveDate,
        outcome: ConsultationOutcome,
    },
    RecordForensicInterview {
        outcome: ForensicInterviewOutcome,
    },
    ReportToPolice {
        grounds: BoundedText,
    },
    ConcludeInvestigation {
        outcome: ConclusionOutcome,
        reasons: BoundedText,
        /// The registry's grounds of the decision (Vedtaksgrunnlag), case-content codes.
        grounds: Vec<CaseContentCode>,
    },
    StartMeasure {
        kind: MeasureKind,
        plan: MeasurePlan,
        /// With a foster home: in the child's family and close network (registry 2.1).
        in_family_network: bool,
    },
    EvaluateMeasure {
        measure: u32,
        checklist: EvaluationChecklist,
        assessment: BoundedText,
    },
    ExtendMeasure {
        measure: u32,
        reasons: BoundedText,
        plan: MeasurePlan,
    },
    ChangeMeasure {
        measure: u32,
        kind: MeasureKind,
        reasons: BoundedText,
        plan: MeasurePlan,
        in_family_network: bool,
    },
    EndMeasure {
        measure: u32,
        reasons: BoundedText,
    },
    MakeEmergencyDecision {
        kind: EmergencyDecisionKind,
        grounds: BoundedText,
    },
    RecordEmergencyRuling {
        decision: u32,
        ruling: EmergencyRuling,
    },
    SendEmergencyPetition {
        decision: u32,
    },
    ProposeToBoard {
        kind: BoardProposalKind,
        grounds: BoundedText,
    },
    RecordBoardDecision {
        outcome: BoardOutcome,
        decided_on: NaiveDate,
    },
    MakeCarePlan {
        placement: CarePlacement,
        placed_on: NaiveDate,
        plan: BoundedText,
        in_family_network: bool,
    },
    RecordFollowUpVisit {
        visited_on: NaiveDate,
    },
    CloseCase {
        reasons: BoundedText,
    },
    /// A step of a consultation with the police or Statens barnehus (`partner`).
    Partner(crate::partner::PartnerCommand),
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

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
    CarePlanMade {
        placement: CarePlacement,
        placed_on: NaiveDate,
        plan: BoundedText,
        /// A foster home in the family and close network (registry 2.1).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        in_family_network: bool,
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
            Self::BoardProposalSent { .. } => "BoardProposalSent",
            Self::BoardDecided { .. } => "BoardDecided",
            Self::CarePlanMade { .. } => "CarePlanMade",
            Self::FollowUpVisitRecorded { .. } => "FollowUpVisitRecorded",
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
            | Self::BoardProposalSent { at, .. }
            | Self::BoardDecided { at, .. }
            | Self::CarePlanMade { at, .. }
            | Self::FollowUpVisitRecorded { at, .. }
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

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------

// Not boxed: a state is folded once per command and `NotOpened` only lives until the first event.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, Default, PartialEq)]
pub enum CaseState {
    #[default]
    NotOpened,
    Opened(Case),
}

impl CaseState {
    pub fn case(&self) -> Option<&Case> {
        match self {
            Self::NotOpened => None,
            Self::Opened(case) => Some(case),
        }
    }

    /// Opened and not closed.
    pub fn is_open(&self) -> bool {
        self.case().is_some_and(|case| case.closed.is_none())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    pub id: CaseId,
    pub child: ChildIdentity,
    pub municipality: MunicipalityNumber,
    pub opened_at: DateTime<Utc>,
    pub urgency: Urgency,
    pub assignee: Option<Assignee>,
    pub reports: Vec<LinkedReport>,
    /// Every investigation, the current one last.
    pub investigations: Vec<Investigation>,
    pub consultations: Vec<Consultation>,
    /// Consultations the partners were invited to through the partner API; `n` at `n - 1`.
    pub invitations: Vec<crate::partner::Invitation>,
    pub forensic_interviews: Vec<ForensicInterviewRecord>,
    pub police_reports: Vec<DateTime<Utc>>,
    /// Measure `n` is at index `n - 1`.
    pub measures: Vec<Measure>,
    /// Emergency decision `n` is at index `n - 1`.
    pub emergency_decisions: Vec<EmergencyDecision>,
    pub board_proposals: Vec<BoardProposal>,
    pub care_order_granted_on: Option<NaiveDate>,
    pub care_plan: Option<CarePlan>,
    pub follow_up_visits: Vec<NaiveDate>,
    pub closed: Option<(CloseReason, DateTime<Utc>)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LinkedReport {
    pub report: ReportReference,
    pub outcome: ScreeningOutcome,
    pub emergency_action: bool,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Investigation {
    pub opened_by: ReportReference,
    /// Reports followed up in this investigation: the one that opened it and those screened
    /// as concerning it (code 4).
    pub reports: Vec<ReportId>,
    pub counts_from: NaiveDate,
    pub opened_at: DateTime<Utc>,
    pub plan: Option<InvestigationPlan>,
    pub activities: Vec<(ActivityKind, NaiveDate)>,
    pub extended_to_months: Option<u32>,
    pub conclusion: Option<(ConclusionOutcome, DateTime<Utc>)>,
}

impl Investigation {
    pub fn is_open(&self) -> bool {
        self.conclusion.is_none()
    }

    pub fn act(&self) -> Act {
        self.opened_by.act
    }

    /// The investigation deadline under `rules` (the set of the act that opened it).
    pub fn due(&self, rules: &RuleSet) -> Due {
        rules.investigation_due(
            self.counts_from,
            self.extended_to_months.map(Length::Months),
        )
    }

    fn current_months(&self, rules: &RuleSet) -> u32 {
        match (self.extended_to_months, rules.investigation.length) {
            (Some(months), _) => months,
            (None, Length::Months(months)) => months,
            (None, _) => 0,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Consultation {
    pub partners: Vec<ConsultationPartner>,
    pub held_on: NaiveDate,
    pub outcome: ConsultationOutcome,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ForensicInterviewRecord {
    pub outcome: ForensicInterviewOutcome,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Measure {
    pub number: u32,
    pub kind: MeasureKind,
    pub plan: MeasurePlan,
    pub next_evaluation_on: NaiveDate,
    pub plan_set_at: DateTime<Utc>,
    pub evaluations: Vec<(EvaluationChecklist, DateTime<Utc>)>,
    pub ended_at: Option<DateTime<Utc>>,
}

impl Measure {
    pub fn is_active(&self) -> bool {
        self.ended_at.is_none()
    }

    fn evaluated_since_plan(&self) -> bool {
        self.evaluations
            .last()
            .is_some_and(|(_, at)| *at >= self.plan_set_at)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct EmergencyDecision {
    pub number: u32,
    pub kind: EmergencyDecisionKind,
    pub made_at: DateTime<Utc>,
    pub ruling: Option<(bool, DateTime<Utc>)>,
    pub petition_sent_at: Option<DateTime<Utc>>,
}

impl EmergencyDecision {
    pub fn is_refused(&self) -> bool {
        matches!(self.ruling, Some((false, _)))
    }

    pub fn approval_due(&self, rules: &RuleSet) -> Due {
        calendar::due_from_instant(self.made_at, rules.emergency_approval.length)
    }

    pub fn petition_due(&self, rules: &RuleSet) -> Due {
        let rule = match self.kind {
            EmergencyDecisionKind::Placement => &rules.emergency_petition_care_order,
            EmergencyDecisionKind::BehaviourInstitution => {
                &rules.emergency_petition_behaviour_institution
            }
        };
        calendar::due_from_instant(self.made_at, rule.length)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct BoardProposal {
    pub kind: BoardProposalKind,
    pub sent_at: DateTime<Utc>,
    pub decision: Option<(BoardOutcome, NaiveDate)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CarePlan {
    pub placement: CarePlacement,
    pub placed_on: NaiveDate,
}

impl Case {
    /// The act of the most recent report: it governs steps not tied to one investigation.
    pub fn act(&self) -> Act {
        self.reports
            .last()
            .map_or(Act::ChildWelfareAct2021, |linked| linked.report.act)
    }

    pub fn open_investigation(&self) -> Option<&Investigation> {
        self.investigations
            .last()
            .filter(|investigation| investigation.is_open())
    }

    pub fn has_active_measure(&self) -> bool {
        self.measures.iter().any(Measure::is_active)
    }

    pub fn pending_board_proposal(&self) -> Option<&BoardProposal> {
        self.board_proposals
            .last()
            .filter(|proposal| proposal.decision.is_none())
    }

    fn measure(&self, number: u32) -> Result<&Measure, DomainError> {
        let measure = self
            .measures
            .get((number as usize).wrapping_sub(1))
            .ok_or(DomainError::MeasureNotFound { number })?;
        if !measure.is_active() {
            return Err(DomainError::MeasureEnded { number });
        }
        Ok(measure)
    }

    fn emergency_decision(&self, number: u32) -> Result<&EmergencyDecision, DomainError> {
        self.emergency_decisions
            .get((number as usize).wrapping_sub(1))
            .ok_or(DomainError::EmergencyDecisionNotFound { number })
    }

    fn next_number(count: usize) -> u32 {
        u32::try_from(count + 1).unwrap_or(u32::MAX)
    }
}

// ---------------------------------------------------------------------------------------------
// Decide
// ---------------------------------------------------------------------------------------------

pub fn decide(
    state: &CaseState,
    command: CaseCommand,
    context: &Context<'_>,
) -> Result<Vec<CaseEvent>, DomainError> {
    let now = context.now;
    let today = context.today();
    match command {
        CaseCommand::OpenCaseFromReport {
            case_id,
            report,
            child,
            municipality,
            outcome,
            emergency_action,
            urgency,
            assignee,
        } => {
            if state.case().is_some() {
                return Err(DomainError::CaseAlreadyOpened { case_id });
            }
            if let Some(needs) = outcome.needs_existing_case() {
                return Err(DomainError::ScreeningOutcomeNotApplicable {
                    outcome: outcome.registry_code().to_owned(),
                    needs,
                });
            }
            let dismissed = matches!(outcome, ScreeningOutcome::Dismissed { .. });
            let opens_investigation = matches!(outcome, ScreeningOutcome::InvestigationOpened);
            let mut events = vec![CaseEvent::CaseOpenedFromReport {
                case_id,
                report,
                child,
                municipality,
                outcome,
                emergency_action,
                urgency,
                assignee,
                at: now,
            }];
            if opens_investigation {
                events.push(investigation_opened(report, context)?);
            }
            // A case that only holds a dismissed report has nothing left to do, unless
            // emergency action was taken and must be followed up.
            if dismissed && !emergency_action {
                events.push(CaseEvent::CaseClosed {
                    reason: CloseReason::DismissedAtScreening,
                    at: now,
                });
            }
            Ok(events)
        }
        CaseCommand::LinkReport {
            report,
            child,
            outcome,
            emergency_action,
            urgency,
        } => {
            let case = match state {
                CaseState::Opened(case) if case.closed.is_none() => case,
                CaseState::Opened(case) => {
                    return Err(DomainError::CaseNotOpen { case_id: case.id });
                }
                CaseState::NotOpened => return Err(DomainError::CaseNotOpened),
            };
            if case.child.is_known_different_from(&child) {
                return Err(DomainError::CaseIsAboutAnotherChild { case_id: case.id });
            }
            let not_applicable = |needs| DomainError::ScreeningOutcomeNotApplicable {
                outcome: outcome.registry_code().to_owned(),
                needs,
            };
            match &outcome {
                ScreeningOutcome::InvestigationOpened if case.open_investigation().is_some() => {
                    return Err(DomainError::InvestigationAlreadyOpen);
                }
                ScreeningOutcome::DismissedMeasuresActive { .. } if !case.has_active_measure() => {
                    return Err(not_applicable("active measures"));
                }
                ScreeningOutcome::ConcernsOngoingInvestigation
                    if case.open_investigation().is_none() =>
                {
                    return Err(not_applicable("an investigation under way"));
                }
                _ => {}
            }
            let opens_investigation = matches!(outcome, ScreeningOutcome::InvestigationOpened);
            let mut events = vec![CaseEvent::ReportLinkedToCase {
                report,
                outcome,
                emergency_action,
                urgency,
                at: now,
            }];
            if opens_investigation {
                events.push(investigation_opened(report, context)?);
            }
            Ok(events)
        }
        command => {
            let case = open_case(state)?;
            decide_on_open_case(case, command, context, now, today)
        }
    }
}

fn investigation_opened(
    report: ReportReference,
    context: &Context<'_>,
) -> Result<CaseEvent, DomainError> {
    let rules = context.rules.for_act(report.act);
    Ok(CaseEvent::InvestigationOpened {
        report,
        counts_from: rules.investigation_counts_from(report.received_at),
        at: context.now,
    })
}

fn open_case(state: &CaseState) -> Result<&Case, DomainError> {
    match state {
        CaseState::NotOpened => Err(DomainError::CaseNotOpened),
        CaseState::Opened(case) if case.closed.is_some() => Err(DomainError::CaseClosed),
        CaseState::Opened(case) => Ok(case),
    }
}

fn decide_on_open_case(
    case: &Case,
    command: CaseCommand,
    context: &Context<'_>,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<Vec<CaseEvent>, DomainError> {
    let rules = context.rules.for_act(case.act());
    let events = match command {
        CaseCommand::Partner(command) => crate::partner::decide(case, command, now, today)?,
        CaseCommand::OpenCaseFromReport { case_id, .. } => {
            return Err(DomainError::CaseAlreadyOpened { case_id });
        }
        CaseCommand::LinkReport { .. } => return Err(DomainError::CaseClosed),
        CaseCommand::AssignCase { assignee } => {
            if case.assignee.as_ref() == Some(&assignee) {
                return Err(DomainError::AssigneeUnchanged);
            }
            vec![CaseEvent::CaseAssigned { assignee, at: now }]
        }
        CaseCommand::ChangeUrgency { urgency, reason } => {
            if case.urgency == urgency {
                return Err(DomainError::UrgencyUnchanged { urgency });
            }
            vec![CaseEvent::UrgencyChanged {
                from: case.urgency,
                to: urgency,
                reason,
                at: now,
            }]
        }
        CaseCommand::StartInvestigation { plan } => {
            let investigation = case
                .open_investigation()
                .ok_or(DomainError::NoInvestigationOpen)?;
            if investigation.plan.is_some() {
                return Err(DomainError::InvestigationAlreadyStarted);
            }
            vec![CaseEvent::InvestigationStarted { plan, at: now }]
        }
        CaseCommand::RecordActivity {
            activity,
            held_on,
            summary,
        } => {
            let investigation = case
                .open_investigation()
                .ok_or(DomainError::NoInvestigationOpen)?;
            check_between(
                "held_on",
                held_on,
                calendar::oslo_date(investigation.opened_at),
                today,
                "must not be before the investigation opened",
            )?;
            vec![CaseEvent::InvestigationActivityRecorded {
                activity,
                held_on,
                summary,
                at: now,
            }]
        }
        CaseCommand::ExtendInvestigationDeadline { to_months, reason } => {
            let investigation = case
                .open_investigation()
                .ok_or(DomainError::NoInvestigationOpen)?;
            let rules = context.rules.for_act(investigation.act());
            let max_months = rules.max_investigation_months();
            if to_months > max_months {
                return Err(DomainError::InvestigationExtensionTooLong { max_months });
            }
            let current_months = investigation.current_months(rules);
            if to_months <= current_months {
                return Err(DomainError::InvestigationExtensionNotLonger { current_months });
            }
            // An extension is decided while the deadline runs; after it, the breach stands.
            if investigation.due(rules).is_breached_at(now) {
                return Err(DomainError::InvestigationDeadlinePassed);
            }
            vec![CaseEvent::InvestigationDeadlineExtended {
                to_months,
                reason,
                at: now,
            }]
        }
        CaseCommand::HoldConsultation {
            partners,
            held_on,
            outcome,
        } => {
            if partners.is_empty() {
                return Err(DomainError::invalid(
                    "partners",
                    "must name police, barnehus or both",
                ));
            }
            check_not_after("held_on", held_on, today)?;
            let mut partners = partners;
            partners.sort();
            partners.dedup();
            vec![CaseEvent::ConsultationHeld {
                partners,
                held_on,
                outcome,
                at: now,
            }]
        }
        CaseCommand::RecordForensicInterview { outcome } => {
            if case.consultations.is_empty() {
                return Err(DomainError::NoConsultationHeld);
            }
            let already_held = case
                .forensic_interviews
                .iter()
                .any(|record| matches!(record.outcome, ForensicInterviewOutcome::Held { .. }));
            if already_held {
                return Err(DomainError::ForensicInterviewAlreadyHeld);
            }
            match outcome {
                ForensicInterviewOutcome::Held { held_on } => {
                    check_not_after("held_on", held_on, today)?;
                    vec![CaseEvent::ForensicInterviewHeld { held_on, at: now }]
                }
                ForensicInterviewOutcome::Postponed { to, reason } => {
                    if to < today {
                        return Err(DomainError::invalid("to", "must not be in the past"));
                    }
                    vec![CaseEvent::ForensicInterviewPostponed {
                        to,
                        reason,
                        at: now,
                    }]
                }
                ForensicInterviewOutcome::NotHeld { reason } => {
                    vec![CaseEvent::ForensicInterviewNotHeld { reason, at: now }]
                }
            }
        }
        CaseCommand::ReportToPolice { grounds } => {
            vec![CaseEvent::ReportedToPolice { grounds, at: now }]
        }
        CaseCommand::ConcludeInvestigation {
            outcome,
            reasons,
            grounds,
        } => {
            let investigation = match case.investigations.last() {
                None => return Err(DomainError::NoInvestigationOpen),
                Some(investigation) if !investigation.is_open() => {
                    return Err(DomainError::NoInvestigationOpen);
                }
                Some(investigation) => investigation,
            };
            let rules = context.rules.for_act(investigation.act());
            if rules.investigation_plan_required && investigation.plan.is_none() {
                return Err(DomainError::InvestigationNotStarted);
            }
            let petition = match &outcome {
                ConclusionOutcome::PetitionToBoard { proposal } => {
                    if case.pending_board_proposal().is_some() {
                        return Err(DomainError::BoardProposalPending);
                    }
                    Some(*proposal)
                }
                _ => None,
            };
            let mut events = vec![CaseEvent::InvestigationConcluded {
                outcome,
                reasons: reasons.clone(),
                grounds,
                at: now,
            }];
            if let Some(kind) = petition {
                events.push(CaseEvent::BoardProposalSent {
                    kind,
                    grounds: reasons,
                    at: now,
                });
            }
            events
        }
        CaseCommand::StartMeasure {
            kind,
            plan,
            in_family_network,
        } => {
            let next_evaluation_on = check_measure_plan(&kind, &plan, rules, today)?;
            check_family_network(in_family_network, kind == MeasureKind::FosterHome)?;
            vec![CaseEvent::MeasureStarted {
                number: Case::next_number(case.measures.len()),
                kind,
                plan,
                next_evaluation_on,
                in_family_network,
                at: now,
            }]
        }
        CaseCommand::EvaluateMeasure {
            measure,
            checklist,
            assessment,
        } => {
            let measure = case.measure(measure)?;
            // The next evaluation falls due after the default interval unless a new plan
            // (extend or change) sets its own date.
            let next_evaluation_on = calendar::add_length(today, rules.plan_evaluation.length);
            vec![CaseEvent::MeasureEvaluated {
                number: measure.number,
                checklist,
                assessment,
                next_evaluation_on,
                at: now,
            }]
        }
        CaseCommand::ExtendMeasure {
            measure,
            reasons,
            plan,
        } => {
            let measure = case.measure(measure)?;
            if !measure.evaluated_since_plan() {
                return Err(DomainError::MeasureNotEvaluated {
                    number: measure.number,
                });
            }
            let next_evaluation_on = check_measure_plan(&measure.kind, &plan, rules, today)?;
            vec![CaseEvent::MeasureExtended {
                number: measure.number,
                reasons,
                plan,
                next_evaluation_on,
                at: now,
            }]
        }
        CaseCommand::ChangeMeasure {
            measure,
            kind,
            reasons,
            plan,
            in_family_network,
        } => {
            let measure = case.measure(measure)?;
            if !measure.evaluated_since_plan() {
                return Err(DomainError::MeasureNotEvaluated {
                    number: measure.number,
                });
            }
            let next_evaluation_on = check_measure_plan(&kind, &plan, rules, today)?;
            check_family_network(in_family_network, kind == MeasureKind::FosterHome)?;
            vec![CaseEvent::MeasureChanged {
                number: measure.number,
                kind,
                reasons,
                plan,
                next_evaluation_on,
                in_family_network,
                at: now,
            }]
        }
        CaseCommand::EndMeasure { measure, reasons } => {
            let measure = case.measure(measure)?;
            vec![CaseEvent::MeasureEnded {
                number: measure.number,
                reasons,
                at: now,
            }]
        }
        CaseCommand::MakeEmergencyDecision { kind, grounds } => {
            vec![CaseEvent::EmergencyDecisionMade {
                number: Case::next_number(case.emergency_decisions.len()),
                kind,
                grounds,
                at: now,
            }]
        }
        CaseCommand::RecordEmergencyRuling { decision, ruling } => {
            let decision = case.emergency_decision(decision)?;
            if decision.ruling.is_some() {
                return Err(DomainError::EmergencyDecisionAlreadyRuled {
                    number: decision.number,
                });
            }
            match ruling {
                EmergencyRuling::Approved => {
                    vec![CaseEvent::EmergencyDecisionApproved {
                        number: decision.number,
                        at: now,
                    }]
                }
                EmergencyRuling::Refused { reasons } => vec![CaseEvent::EmergencyDecisionRefused {
                    number: decision.number,
                    reasons,
                    at: now,
                }],
            }
        }
        CaseCommand::SendEmergencyPetition { decision } => {
            let decision = case.emergency_decision(decision)?;
            let number = decision.number;
            if decision.petition_sent_at.is_some() {
                return Err(DomainError::EmergencyPetitionAlreadySent { number });
            }
            if decision.is_refused() {
                return Err(DomainError::EmergencyDecisionRefused { number });
            }
            if decision.petition_due(rules).is_breached_at(now) {
                return Err(DomainError::EmergencyDecisionLapsed { number });
            }
            vec![CaseEvent::EmergencyPetitionSent { number, at: now }]
        }
        CaseCommand::ProposeToBoard { kind, grounds } => {
            if case.pending_board_proposal().is_some() {
                return Err(DomainError::BoardProposalPending);
            }
            vec![CaseEvent::BoardProposalSent {
                kind,
                grounds,
                at: now,
            }]
        }
        CaseCommand::RecordBoardDecision {
            outcome,
            decided_on,
        } => {
            let proposal = case
                .pending_board_proposal()
                .ok_or(DomainError::NoBoardProposalPending)?;
            check_between(
                "decided_on",
                decided_on,
                calendar::oslo_date(proposal.sent_at),
                today,
                "must not be before the proposal was sent",
            )?;
            vec![CaseEvent::BoardDecided {
                kind: proposal.kind,
                outcome,
                decided_on,
                at: now,
            }]
        }
        CaseCommand::MakeCarePlan {
            placement,
            placed_on,
            plan,
            in_family_network,
        } => {
            check_family_network(in_family_network, placement == CarePlacement::FosterHome)?;
            if case.care_order_granted_on.is_none() {
                return Err(DomainError::NoCareOrder);
            }
            if case.care_plan.is_some() {
                return Err(DomainError::CarePlanAlreadyMade);
            }
            check_not_after("placed_on", placed_on, today)?;
            vec![CaseEvent::CarePlanMade {
                placement,
                placed_on,
                plan,
                in_family_network,
                at: now,
            }]
        }
        CaseCommand::RecordFollowUpVisit { visited_on } => {
            let care_plan = case
                .care_plan
                .as_ref()
                .filter(|plan| plan.placement == CarePlacement::FosterHome)
                .ok_or(DomainError::NoFosterHomePlacement)?;
            check_between(
                "visited_on",
                visited_on,
                care_plan.placed_on,
                today,
                "must not be before the placement",
            )?;
            vec![CaseEvent::FollowUpVisitRecorded {
                visited_on,
                at: now,
            }]
        }
        CaseCommand::CloseCase { reasons } => {
            let blocked = |reason| Err(DomainError::CaseCannotBeClosed { reason });
            if case.open_investigation().is_some() {
                return blocked("an investigation is open");
            }
            if case.has_active_measure() {
                return blocked("measures are active");
            }
            if case.pending_board_proposal().is_some() {
                return blocked("a proposal to the board is pending");
            }
            let emergency_open = case.emergency_decisions.iter().any(|decision| {
                !decision.is_refused()
                    && decision.petition_sent_at.is_none()
                    && !decision.petition_due(rules).is_breached_at(now)
            });
            if emergency_open {
                return blocked("an emergency decision awaits its petition");
            }
            vec![CaseEvent::CaseClosed {
                reason: CloseReason::Decided { reasons },
                at: now,
            }]
        }
    };
    Ok(events)
}

/// "In the family and close network" says something only of a foster home.
fn check_family_network(in_family_network: bool, foster_home: bool) -> Result<(), DomainError> {
    if in_family_network && !foster_home {
        return Err(DomainError::invalid(
            "in_family_network",
            "applies only to a foster home",
        ));
    }
    Ok(())
}

/// Checks a measure plan and returns its first evaluation date.
fn check_measure_plan(
    kind: &MeasureKind,
    plan: &MeasurePlan,
    rules: &RuleSet,
    today: NaiveDate,
) -> Result<NaiveDate, DomainError> {
    if plan.goals.is_empty() {
        return Err(DomainError::invalid(
            "plan.goals",
            "must name at least one goal",
        ));
    }
    if plan.ends_on < plan.starts_on {
        return Err(DomainError::invalid(
            "plan.ends_on",
            "must not be before plan.starts_on",
        ));
    }
    if plan.ends_on < today {
        return Err(DomainError::invalid(
            "plan.ends_on",
            "must not be in the past",
        ));
    }
    if *kind == MeasureKind::AcuteFamilyTeam {
        let limit = rules.acute_family_team_max;
        if plan.ends_on > calendar::add_length(plan.starts_on, limit) {
            return Err(DomainError::MeasureTooLong {
                what: "the acute family team",
                max: limit.to_string(),
            });
        }
    }
    match plan.evaluate_on {
        Some(date) if date < plan.starts_on.max(today) => Err(DomainError::invalid(
            "plan.evaluate_on",
            "must not be before the start or in the past",
        )),
        Some(date) => Ok(date),
        None => Ok(calendar::add_length(
            plan.starts_on.max(today),
            rules.plan_evaluation.length,
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Evolve
// ---------------------------------------------------------------------------------------------

/// Applies an event. Holds no rules; panics only on an event that cannot follow the state.
pub fn evolve(state: CaseState, event: &CaseEvent) -> CaseState {
    let mut case = match (state, event) {
        (
            CaseState::NotOpened,
            CaseEvent::CaseOpenedFromReport {
                case_id,
                report,
                child,
                municipality,
                outcome,
                emergency_action,
                urgency,
                assignee,
                at,
            },
        ) => {
            return CaseState::Opened(Case {
                id: *case_id,
                child: child.clone(),
                municipality: *municipality,
                opened_at: *at,
                urgency: *urgency,
                assignee: assignee.clone(),
                reports: vec![LinkedReport {
                    report: *report,
                    outcome: outcome.clone(),
                    emergency_action: *emergency_action,
                    at: *at,
                }],
                investigations: Vec::new(),
                consultations: Vec::new(),
                invitations: Vec::new(),
                forensic_interviews: Vec::new(),
                police_reports: Vec::new(),
                measures: Vec::new(),
                emergency_decisions: Vec::new(),
                board_proposals: Vec::new(),
                care_order_granted_on: None,
                care_plan: None,
                follow_up_visits: Vec::new(),
                closed: None,
            });
        }
        (CaseState::Opened(case), _) => case,
        (state, event) => panic!(
            "case event {} cannot follow state {state:?}: corrupt stream",
            event.event_type()
        ),
    };
    let corrupt = || -> ! {
        panic!(
            "case event {} has no subject in the case: corrupt stream",
            event.event_type()
        )
    };
    match event {
        CaseEvent::CaseOpenedFromReport { .. } => corrupt(),
        CaseEvent::ReportLinkedToCase {
            report,
            outcome,
            emergency_action,
            urgency,
            at,
        } => {
            if matches!(outcome, ScreeningOutcome::ConcernsOngoingInvestigation)
                && let Some(investigation) = case.investigations.last_mut()
            {
                investigation.reports.push(report.report_id);
            }
            case.urgency = *urgency;
            case.reports.push(LinkedReport {
                report: *report,
                outcome: outcome.clone(),
                emergency_action: *emergency_action,
                at: *at,
            });
        }
        CaseEvent::InvestigationOpened {
            report,
            counts_from,
            at,
        } => {
            case.investigations.push(Investigation {
                opened_by: *report,
                reports: vec![report.report_id],
                counts_from: *counts_from,
                opened_at: *at,
                plan: None,
                activities: Vec::new(),
                extended_to_months: None,
                conclusion: None,
            });
        }
        CaseEvent::UrgencyChanged { to, .. } => case.urgency = *to,
        CaseEvent::CaseAssigned { assignee, .. } => case.assignee = Some(assignee.clone()),
        CaseEvent::PartnersInvitedToConsultation { .. }
        | CaseEvent::PartnerAttendanceRecorded { .. }
        | CaseEvent::PartnerInterviewDecided { .. }
        | CaseEvent::PoliceReportDecided { .. }
        | CaseEvent::PartnerConsultationClosed { .. } => {
            if !crate::partner::evolve(&mut case, event) {
                corrupt();
            }
        }
        CaseEvent::InvestigationStarted { plan, .. } => {
            case.investigations
                .last_mut()
                .unwrap_or_else(|| corrupt())
                .plan = Some(plan.clone());
        }
        CaseEvent::InvestigationActivityRecorded {
            activity, held_on, ..
        } => {
            let investigation = case.investigations.last_mut().unwrap_or_else(|| corrupt());
            investigation.activities.push((activity.clone(), *held_on));
        }
        CaseEvent::InvestigationDeadlineExtended { to_months, .. } => {
            case.investigations
                .last_mut()
                .unwrap_or_else(|| corrupt())
                .extended_to_months = Some(*to_months);
        }
        CaseEvent::ConsultationHeld {
            partners,
            held_on,
            outcome,
            ..
        } => {
            case.consultations.push(Consultation {
                partners: partners.clone(),
                held_on: *held_on,
                outcome: outcome.clone(),
            });
        }
        CaseEvent::ForensicInterviewHeld { held_on, at } => {
            case.forensic_interviews.push(ForensicInterviewRecord {
                outcome: ForensicInterviewOutcome::Held { held_on: *held_on },
                at: *at,
            });
        }
        CaseEvent::ForensicInterviewPostponed { to, reason, at } => {
            case.forensic_interviews.push(ForensicInterviewRecord {
                outcome: ForensicInterviewOutcome::Postponed {
                    to: *to,
                    reason: reason.clone(),
                },
                at: *at,
            });
        }
        CaseEvent::ForensicInterviewNotHeld { reason, at } => {
            case.forensic_interviews.push(ForensicInterviewRecord {
                outcome: ForensicInterviewOutcome::NotHeld {
                    reason: reason.clone(),
                },
                at: *at,
            });
        }
        CaseEvent::ReportedToPolice { at, .. } => case.police_reports.push(*at),
        CaseEvent::InvestigationConcluded { outcome, at, .. } => {
            case.investigations
                .last_mut()
                .unwrap_or_else(|| corrupt())
                .conclusion = Some((outcome.clone(), *at));
        }
        CaseEvent::MeasureStarted {
            number,
            kind,
            plan,
            next_evaluation_on,
            at,
            ..
        } => {
            case.measures.push(Measure {
                number: *number,
                kind: kind.clone(),
                plan: plan.clone(),
                next_evaluation_on: *next_evaluation_on,
                plan_set_at: *at,
                evaluations: Vec::new(),
                ended_at: None,
            });
        }
        CaseEvent::MeasureEvaluated {
            number,
            checklist,
            next_evaluation_on,
            at,
            ..
        } => {
            let measure = measure_mut(&mut case, *number).unwrap_or_else(|| corrupt());
            measure.evaluations.push((*checklist, *at));
            measure.next_evaluation_on = *next_evaluation_on;
        }
        CaseEvent::MeasureExtended {
            number,
            plan,
            next_evaluation_on,
            at,
            ..
        } => {
            let measure = measure_mut(&mut case, *number).unwrap_or_else(|| corrupt());
            measure.plan = plan.clone();
            measure.next_evaluation_on = *next_evaluation_on;
            measure.plan_set_at = *at;
        }
        CaseEvent::MeasureChanged {
            number,
            kind,
            plan,
            next_evaluation_on,
            at,
            ..
        } => {
            let measure = measure_mut(&mut case, *number).unwrap_or_else(|| corrupt());
            measure.kind = kind.clone();
            measure.plan = plan.clone();
            measure.next_evaluation_on = *next_evaluation_on;
            measure.plan_set_at = *at;
        }
        CaseEvent::MeasureEnded { number, at, .. } => {
            measure_mut(&mut case, *number)
                .unwrap_or_else(|| corrupt())
                .ended_at = Some(*at);
        }
        CaseEvent::EmergencyDecisionMade {
            number, kind, at, ..
        } => {
            case.emergency_decisions.push(EmergencyDecision {
                number: *number,
                kind: *kind,
                made_at: *at,
                ruling: None,
                petition_sent_at: None,
            });
        }
        CaseEvent::EmergencyDecisionApproved { number, at } => {
            emergency_mut(&mut case, *number)
                .unwrap_or_else(|| corrupt())
                .ruling = Some((true, *at));
        }
        CaseEvent::EmergencyDecisionRefused { number, at, .. } => {
            emergency_mut(&mut case, *number)
                .unwrap_or_else(|| corrupt())
                .ruling = Some((false, *at));
        }
        CaseEvent::EmergencyPetitionSent { number, at } => {
            emergency_mut(&mut case, *number)
                .unwrap_or_else(|| corrupt())
                .petition_sent_at = Some(*at);
        }
        CaseEvent::BoardProposalSent { kind, at, .. } => {
            case.board_proposals.push(BoardProposal {
                kind: *kind,
                sent_at: *at,
                decision: None,
            });
        }
        CaseEvent::BoardDecided {
            kind,
            outcome,
            decided_on,
            ..
        } => {
            case.board_proposals
                .last_mut()
                .unwrap_or_else(|| corrupt())
                .decision = Some((*outcome, *decided_on));
            if *kind == BoardProposalKind::CareOrder && *outcome == BoardOutcome::Granted {
                case.care_order_granted_on = Some(*decided_on);
            }
        }
        CaseEvent::CarePlanMade {
            placement,
            placed_on,
            ..
        } => {
            case.care_plan = Some(CarePlan {
                placement: *placement,
                placed_on: *placed_on,
            });
        }
        CaseEvent::FollowUpVisitRecorded { visited_on, .. } => {
            case.follow_up_visits.push(*visited_on)
        }
        CaseEvent::CaseClosed { reason, at } => case.closed = Some((reason.clone(), *at)),
    }
    CaseState::Opened(case)
}

fn measure_mut(case: &mut Case, number: u32) -> Option<&mut Measure> {
    case.measures
        .iter_mut()
        .find(|measure| measure.number == number)
}

fn emergency_mut(case: &mut Case, number: u32) -> Option<&mut EmergencyDecision> {
    case.emergency_decisions
        .iter_mut()
        .find(|decision| decision.number == number)
}

/// A date that happened: not after today, and not before the step it follows.
fn check_between(
    field: &str,
    date: NaiveDate,
    earliest: NaiveDate,
    today: NaiveDate,
    too_early: &str,
) -> Result<(), DomainError> {
    check_not_after(field, date, today)?;
    if date < earliest {
        return Err(DomainError::invalid(field, too_early));
    }
    Ok(())
}
