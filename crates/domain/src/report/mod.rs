//! The report stream (`report-<uuid>`): one report of concern (melding) from receipt through
//! screening to the letters its reporter is owed.
//!
//! A report lives apart from the cases it touches because it has its own deadline (screening),
//! its own statistics (reports received, dismissed, screened late) and its own reporter, while
//! each child it names gets a case of its own. Screening writes to both kinds of stream; the
//! pure function that decides for all of them is in `screening`.
//!
//! Layout: `vocabulary` (screening outcomes, shared with the case stream, and letters),
//! `commands`, `events`, `state`, `decide`, `evolve`, and [`ReportStream`], the stream as the
//! shell drives it. Everything public is re-exported here: `domain::report::X` names it.

mod commands;
mod decide;
mod events;
mod evolve;
mod state;
mod vocabulary;

pub use self::commands::{
    ChangeReportUrgency, ReceiveReport, RecordFeedbackLetterSent, ReportCommand, ScreenReport,
};
pub(crate) use self::decide::check_screening;
pub use self::decide::{MAX_CHILD_AGE_YEARS, MAX_CHILDREN, MAX_MONTHS_TO_BIRTH, decide};
pub use self::events::ReportEvent;
pub use self::evolve::evolve;
pub use self::state::{Report, ReportState, Screening, SentLetter};
pub use self::vocabulary::{
    CaseAssignment, ChildScreening, DismissalGround, LetterKind, ScreeningOutcome,
};
pub use crate::ids::ReportId;

use crate::municipality::MunicipalityNumber;
use crate::{Aggregate, Context, DomainError};

/// `report-<uuid>` as the shell drives it.
pub struct ReportStream;

impl Aggregate for ReportStream {
    const NOUN: &'static str = "report";

    type State = ReportState;
    type Command = ReportCommand;
    type Event = ReportEvent;

    fn initial() -> ReportState {
        ReportState::NotReceived
    }

    fn evolve(state: ReportState, event: &ReportEvent) -> ReportState {
        evolve(state, event)
    }

    fn decide(
        state: &ReportState,
        command: ReportCommand,
        context: &Context<'_>,
    ) -> Result<Vec<ReportEvent>, DomainError> {
        decide(state, command, context)
    }

    fn last_step_at(state: &ReportState) -> Option<chrono::DateTime<chrono::Utc>> {
        state.report().map(|report| report.last_step_at)
    }

    fn municipality(state: &ReportState) -> Option<&MunicipalityNumber> {
        state.report().map(|report| &report.municipality)
    }

    /// A report is created by its receipt, for the municipality whose service receives it.
    fn new_stream_municipality(command: &ReportCommand) -> Option<MunicipalityNumber> {
        match command {
            ReportCommand::ReceiveReport(receive) => Some(receive.municipality),
            _ => None,
        }
    }
}
