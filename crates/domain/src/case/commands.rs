//! What can be asked of a case, one enum per seam, as `CaseCommand::Partner` was first: each
//! seam's decisions (`decide::*`) match only their own enum, and a service builds only its
//! seam's commands.

use chrono::NaiveDate;

use super::vocabulary::{
    ActivityKind, BoardOutcome, BoardProposalKind, CarePlacement, ConclusionOutcome,
    ConsultationOutcome, ConsultationPartner, EmergencyDecisionKind, EmergencyRuling,
    EvaluationChecklist, ForensicInterviewOutcome, InvestigationPlan, MeasureKind, MeasurePlan,
    PlanKind, ReportReference, VisitKind,
};
use crate::ids::CaseId;
use crate::municipality::MunicipalityNumber;
use crate::partner::PartnerCommand;
use crate::registry::CaseContentCode;
use crate::report::ScreeningOutcome;
use crate::values::{Assignee, BoundedText, ChildIdentity, Urgency};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaseCommand {
    /// Opening, later reports, urgency, assignment and closing: the case as a whole.
    Lifecycle(LifecycleCommand),
    Investigation(InvestigationCommand),
    Measures(MeasureCommand),
    /// Emergency decisions and proposals to the board, and the care a care order brings.
    Board(BoardCommand),
    /// A step of a consultation with the police or Statens barnehus (`partner`).
    Partner(PartnerCommand),
}

/// The case as a whole, apart from what happens in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LifecycleCommand {
    /// Made by `screening::decide_screening` for a child screened into a new case.
    OpenFromReport {
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
    Assign {
        assignee: Assignee,
    },
    Close {
        reasons: BoundedText,
    },
}

/// The investigation (undersøkelse) a screening opened, and the violence and abuse track
/// (consultation, forensic interview, police report) within it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InvestigationCommand {
    Start {
        plan: InvestigationPlan,
    },
    RecordActivity {
        activity: ActivityKind,
        held_on: NaiveDate,
        summary: BoundedText,
    },
    ExtendDeadline {
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
    Conclude {
        outcome: ConclusionOutcome,
        reasons: BoundedText,
        /// The registry's grounds of the decision (Vedtaksgrunnlag), case-content codes.
        grounds: Vec<CaseContentCode>,
    },
}

/// Measures (tiltak), each with its time-limited plan and evaluations. `measure` is the
/// measure's number in the case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MeasureCommand {
    Start {
        kind: MeasureKind,
        plan: MeasurePlan,
        /// With a foster home: in the child's family and close network (registry 2.1).
        in_family_network: bool,
    },
    Evaluate {
        measure: u32,
        checklist: EvaluationChecklist,
        assessment: BoundedText,
    },
    Extend {
        measure: u32,
        reasons: BoundedText,
        plan: MeasurePlan,
    },
    Change {
        measure: u32,
        kind: MeasureKind,
        reasons: BoundedText,
        plan: MeasurePlan,
        in_family_network: bool,
    },
    End {
        measure: u32,
        reasons: BoundedText,
    },
}

/// What goes before the county board (barneverns- og helsenemnda): emergency decisions, which
/// it approves and which a petition must follow, and proposals it decides; then the care plan
/// and the visits a care order brings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BoardCommand {
    MakeEmergencyDecision {
        kind: EmergencyDecisionKind,
        grounds: BoundedText,
        /// The child is habitually resident abroad (new act § 4-2: a longer petition limit).
        habitually_resident_abroad: bool,
    },
    RecordEmergencyRuling {
        decision: u32,
        ruling: EmergencyRuling,
    },
    SendEmergencyPetition {
        decision: u32,
    },
    /// The time-driven check: records every emergency decision that has lapsed by now. Any
    /// other command records them too, before its own step.
    RecordLapses,
    Propose {
        kind: BoardProposalKind,
        grounds: BoundedText,
    },
    RecordDecision {
        outcome: BoardOutcome,
        decided_on: NaiveDate,
    },
    /// The care order carried out: the child placed (a care plan's placement says so too).
    RecordCareOrderCarriedOut {
        carried_out_on: NaiveDate,
    },
    /// The board's chair gave more time to carry out the care order, before it ran out.
    ExtendCareOrderImplementation {
        to: NaiveDate,
        reason: BoundedText,
    },
    MakeCarePlan {
        placement: CarePlacement,
        placed_on: NaiveDate,
        plan: BoundedText,
        in_family_network: bool,
    },
    /// A plan the law asks for on the way to the board: after an emergency decision (new
    /// act), or before the board decides a care order (old act).
    MakePlan {
        kind: PlanKind,
        made_on: NaiveDate,
        plan: BoundedText,
    },
    /// A follow-up visit to the foster home (care order or voluntary placement).
    RecordFollowUpVisit {
        visited_on: NaiveDate,
    },
    /// The independent supervisor's visit to the foster home.
    RecordSupervisionVisit {
        visited_on: NaiveDate,
    },
    /// How often a kind of visit is made from now: 4 a year, or 2 when sound for a child
    /// placed more than two years.
    DecideVisitRate {
        visits: VisitKind,
        per_year: u8,
        reasons: BoundedText,
    },
}
