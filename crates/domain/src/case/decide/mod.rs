//! Which steps the law allows a case now: `decide` hands each seam's command to the seam's
//! own module, so a rule about measures is read in `measures` and nowhere else.
//!
//! Each seam checks only the case's own state; what the shell must look up arrives in the
//! command. Every seam but the lifecycle's needs a case that is open; the lifecycle's also
//! opens one, and adds reports only to one that is open.

mod board;
mod investigation;
mod lifecycle;
mod measures;

use chrono::NaiveDate;

use super::commands::CaseCommand;
use super::events::CaseEvent;
use super::state::{Case, CaseState};
use crate::Context;
use crate::error::DomainError;
use crate::values::check_not_after;

pub fn decide(
    state: &CaseState,
    command: CaseCommand,
    context: &Context<'_>,
) -> Result<Vec<CaseEvent>, DomainError> {
    // What the law made of the case before this step is recorded first, at its own moment,
    // so the step is judged against the case as it then stood (a petition after a lapse is
    // refused as late, not accepted as if the decision still held).
    let lapses = match state.case() {
        Some(case) if case.closed.is_none() && command != RECORD_LAPSES => {
            board::lapses(case, context)
        }
        _ => Vec::new(),
    };
    if lapses.is_empty() {
        return decide_step(state, command, context);
    }
    let lapsed = lapses.iter().fold(state.clone(), super::evolve::evolve);
    let mut events = lapses;
    events.extend(decide_step(&lapsed, command, context)?);
    Ok(events)
}

const RECORD_LAPSES: CaseCommand = CaseCommand::Board(super::commands::BoardCommand::RecordLapses);

fn decide_step(
    state: &CaseState,
    command: CaseCommand,
    context: &Context<'_>,
) -> Result<Vec<CaseEvent>, DomainError> {
    match command {
        CaseCommand::Lifecycle(command) => lifecycle::decide(state, command, context),
        CaseCommand::Investigation(command) => {
            investigation::decide(open_case(state)?, command, context)
        }
        CaseCommand::Measures(command) => measures::decide(open_case(state)?, command, context),
        CaseCommand::Board(command) => board::decide(open_case(state)?, command, context),
        CaseCommand::Partner(command) => {
            crate::partner::decide(open_case(state)?, command, context.at, context.today())
        }
    }
}

fn open_case(state: &CaseState) -> Result<&Case, DomainError> {
    match state {
        CaseState::NotOpened => Err(DomainError::CaseNotOpened),
        CaseState::Opened(case) if case.closed.is_some() => Err(DomainError::CaseClosed),
        CaseState::Opened(case) => Ok(case),
    }
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
