//! One error type for the whole crate, so the shell maps it to a status in one place.
//!
//! Two families live here: bad input (`InvalidField`, naming the field so the gRPC layer can
//! build a field violation) and steps the lifecycle does not allow now (every other variant,
//! which the gRPC layer maps to FAILED_PRECONDITION). Messages are lowercase, no trailing period.

use crate::ids::CaseId;

/// Everything the domain can refuse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// Input that does not parse. `field` is a path such as `children[1].birth_date`.
    #[error("invalid {field}: {reason}")]
    InvalidField { field: String, reason: String },

    /// No rule set covers the date (e.g. before the 1992 act came into force).
    #[error("no rule set in force on {date}")]
    NoRuleSetInForce { date: chrono::NaiveDate },

    /// A stored event whose type or schema version this build does not know.
    #[error("unknown stored event {event_type} version {schema_version}")]
    UnknownStoredEvent {
        event_type: String,
        schema_version: u32,
    },

    // --- report stream ---
    #[error("report already received")]
    ReportAlreadyReceived,
    #[error("report not received")]
    ReportNotReceived,
    #[error("report already screened")]
    ReportAlreadyScreened,
    #[error("report not screened")]
    ReportNotScreened,
    #[error("urgency is already {urgency}")]
    UrgencyUnchanged { urgency: crate::values::Urgency },
    #[error("anonymous reporters are sent no letters")]
    AnonymousReporterGetsNoLetters,
    #[error("letter {letter} is not owed to this reporter")]
    LetterNotOwed { letter: String },
    #[error("letter {letter} already sent")]
    LetterAlreadySent { letter: String },
    #[error("already assigned to that team and caseworker")]
    AssigneeUnchanged,

    // --- screening across streams ---
    #[error("case {case_id} is already opened")]
    CaseAlreadyOpened { case_id: CaseId },
    #[error("case {case_id} is not open")]
    CaseNotOpen { case_id: CaseId },
    #[error("case {case_id} is about another child")]
    CaseIsAboutAnotherChild { case_id: CaseId },
    #[error("screening outcome {outcome} needs a case with {needs}")]
    ScreeningOutcomeNotApplicable {
        outcome: String,
        needs: &'static str,
    },

    // --- case stream ---
    #[error("case not opened")]
    CaseNotOpened,
    #[error("case closed")]
    CaseClosed,
    #[error("no investigation is open")]
    NoInvestigationOpen,
    #[error("an investigation is already open")]
    InvestigationAlreadyOpen,
    #[error("investigation already started")]
    InvestigationAlreadyStarted,
    #[error("investigation not started with a plan")]
    InvestigationNotStarted,
    #[error("investigation deadline can be extended to at most {max_months} months")]
    InvestigationExtensionTooLong { max_months: u32 },
    #[error("investigation deadline is already {current_months} months")]
    InvestigationExtensionNotLonger { current_months: u32 },
    #[error("investigation deadline has already passed")]
    InvestigationDeadlinePassed,
    #[error("no consultation with police or barnehus has been held")]
    NoConsultationHeld,
    #[error("a forensic interview is already recorded as held")]
    ForensicInterviewAlreadyHeld,
    #[error("consultation {number} not found")]
    ConsultationNotFound { number: u32 },
    #[error("consultation {number} is closed")]
    ConsultationClosed { number: u32 },
    #[error("this partner is not invited to consultation {number}")]
    PartnerNotInvited { number: u32 },
    #[error("the consultation did not ask the partners to decide on a {decision}")]
    DecisionNotAsked { decision: &'static str },
    #[error("that answer is already recorded")]
    PartnerAnswerUnchanged,
    #[error("measure {number} not found")]
    MeasureNotFound { number: u32 },
    #[error("measure {number} has ended")]
    MeasureEnded { number: u32 },
    #[error("measure {number} has not been evaluated since its plan was set")]
    MeasureNotEvaluated { number: u32 },
    #[error("{what} lasts at most {max}")]
    MeasureTooLong { what: &'static str, max: String },
    #[error("emergency decision {number} not found")]
    EmergencyDecisionNotFound { number: u32 },
    #[error("emergency decision {number} has already been ruled on by the board")]
    EmergencyDecisionAlreadyRuled { number: u32 },
    #[error("emergency decision {number} was refused by the board")]
    EmergencyDecisionRefused { number: u32 },
    #[error("emergency decision {number} has lapsed: no petition within the deadline")]
    EmergencyDecisionLapsed { number: u32 },
    #[error("no emergency decision or care order has lapsed")]
    NothingLapsed,
    #[error(
        "the care order has lapsed: it was not carried out in time, and must go before the board again"
    )]
    CareOrderLapsed,
    #[error("the care order has already been carried out")]
    CareOrderAlreadyCarriedOut,
    #[error("these visits are already {per_year} a year")]
    VisitRateUnchanged { per_year: u8 },
    #[error("petition after emergency decision {number} already sent")]
    EmergencyPetitionAlreadySent { number: u32 },
    #[error("a proposal to the board is already pending")]
    BoardProposalPending,
    #[error("no proposal to the board is pending")]
    NoBoardProposalPending,
    #[error("no care order granted by the board")]
    NoCareOrder,
    #[error("a care plan already exists")]
    CarePlanAlreadyMade,
    #[error("no {plan} is owed: {why}")]
    PlanNotOwed {
        plan: &'static str,
        why: &'static str,
    },
    #[error("the {plan} has already been made")]
    PlanAlreadyMade { plan: &'static str },
    #[error("no care plan with a foster home placement")]
    NoFosterHomePlacement,
    #[error("case cannot be closed: {reason}")]
    CaseCannotBeClosed { reason: &'static str },
}

impl DomainError {
    /// Shorthand for the bad-input variant.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidField {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// True for bad input (INVALID_ARGUMENT), false for a refused step (FAILED_PRECONDITION).
    pub fn is_invalid_input(&self) -> bool {
        matches!(self, Self::InvalidField { .. })
    }
}
