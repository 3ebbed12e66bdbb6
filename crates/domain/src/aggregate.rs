//! One stream kind as the shell drives it (esrs's `Aggregate`): its state, commands and
//! events, the fold and the decision, and whose data it is.
//!
//! Written once here so the handler runs every stream the same way, knowing nothing of any
//! one stream's commands: which municipality a stream belongs to, and which a command that
//! creates one names, are answers of the domain, not matches in the shell.

use crate::municipality::MunicipalityNumber;
use crate::{Context, DomainError, StoredEvent};

/// A stream kind: `decide` and `evolve` over its state, as the style's functional core has
/// them, and the facts the shell needs to load, authorize and append it.
pub trait Aggregate {
    /// What the stream holds, as a refusal names it ("case", "report").
    const NOUN: &'static str;

    type State;
    type Command;
    type Event: StoredEvent;

    /// The state of a stream with no events.
    fn initial() -> Self::State;

    /// Applies one event. Holds no rules; may panic on an event that cannot follow the state.
    fn evolve(state: Self::State, event: &Self::Event) -> Self::State;

    /// The events `command` leads to, or why the lifecycle does not allow it now.
    fn decide(
        state: &Self::State,
        command: Self::Command,
        context: &Context<'_>,
    ) -> Result<Vec<Self::Event>, DomainError>;

    /// When the stream's latest step was taken; `None` before its first event.
    fn last_step_at(state: &Self::State) -> Option<chrono::DateTime<chrono::Utc>>;

    /// The municipality whose data the stream is; `None` before its first event.
    fn municipality(state: &Self::State) -> Option<&MunicipalityNumber>;

    /// The municipality a new stream gets from the command that creates it; `None` for a
    /// command that creates no stream.
    fn new_stream_municipality(command: &Self::Command) -> Option<MunicipalityNumber>;
}
