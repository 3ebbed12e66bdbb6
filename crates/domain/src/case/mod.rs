//! The case stream (`case-<uuid>`): one child's case from the first report through
//! investigation, measures, emergency decisions and the board, to closing.
//!
//! One stream per child, not per report, because the law follows the child: a new report about
//! a child with an open case is added to that case, and measures, plans and visits belong to
//! the child. Each step checks only the case's own state; what the shell must look up (the
//! report, other cases) arrives in the command.
//!
//! Layout:
//! - `vocabulary`: the plans, outcomes, measures and rulings commands and events carry.
//! - `commands`: [`CaseCommand`], one enum per seam under it.
//! - `events`: [`CaseEvent`], the stored events, flat.
//! - `state`: [`CaseState`], the folded case.
//! - `evolve`: the fold.
//! - `decide`: one module per seam: the lifecycle (opening, later reports, urgency,
//!   assignment, closing), the investigation, measures, and the board (emergency decisions,
//!   proposals, care plans and visits); the partners' consultations are decided in
//!   [`crate::partner`].
//! - [`CaseStream`]: the stream as the shell drives it ([`crate::Aggregate`]).
//!
//! Everything public is re-exported here: `domain::case::X` names it.

mod commands;
mod decide;
mod events;
mod evolve;
mod state;
mod vocabulary;

pub use self::commands::{
    BoardCommand, CaseCommand, InvestigationCommand, LifecycleCommand, MeasureCommand,
};
pub use self::decide::decide;
pub use self::events::CaseEvent;
pub use self::evolve::evolve;
pub use self::state::{
    BoardProposal, CareOrderImplementation, CarePlan, Case, CaseState, Consultation,
    EmergencyDecision, ForensicInterviewRecord, Investigation, LinkedReport, Measure,
};
pub use self::vocabulary::{
    ActivityKind, AssessmentTool, BoardOutcome, BoardProposalKind, CarePlacement, CloseReason,
    ConclusionOutcome, ConsultationOutcome, ConsultationPartner, EmergencyDecisionKind,
    EmergencyRuling, EvaluationChecklist, ForensicInterviewOutcome, InvestigationPlan, MeasureKind,
    MeasurePlan, PlanKind, ReportReference, VisitKind,
};
pub use crate::ids::CaseId;

use crate::municipality::MunicipalityNumber;
use crate::{Aggregate, Context, DomainError};

/// `case-<uuid>` as the shell drives it.
pub struct CaseStream;

impl Aggregate for CaseStream {
    const NOUN: &'static str = "case";

    type State = CaseState;
    type Command = CaseCommand;
    type Event = CaseEvent;

    fn initial() -> CaseState {
        CaseState::NotOpened
    }

    fn evolve(state: CaseState, event: &CaseEvent) -> CaseState {
        evolve(state, event)
    }

    fn decide(
        state: &CaseState,
        command: CaseCommand,
        context: &Context<'_>,
    ) -> Result<Vec<CaseEvent>, DomainError> {
        decide(state, command, context)
    }

    fn last_step_at(state: &CaseState) -> Option<chrono::DateTime<chrono::Utc>> {
        state.case().map(|case| case.last_step_at)
    }

    fn municipality(state: &CaseState) -> Option<&MunicipalityNumber> {
        state.case().map(|case| &case.municipality)
    }

    /// A case is opened only from a screened report, with the report's municipality.
    fn new_stream_municipality(command: &CaseCommand) -> Option<MunicipalityNumber> {
        match command {
            CaseCommand::Lifecycle(LifecycleCommand::OpenFromReport { municipality, .. }) => {
                Some(*municipality)
            }
            _ => None,
        }
    }
}
