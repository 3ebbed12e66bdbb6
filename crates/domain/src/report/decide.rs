//! Which steps the law allows a report now: receipt (with the plausibility of what it names),
//! the report's half of screening, urgency before screening, assignment, and the letters its
//! reporter is owed.

use super::commands::{
    ChangeReportUrgency, ReceiveReport, RecordFeedbackLetterSent, ReportCommand, ScreenReport,
};
use super::events::ReportEvent;
use super::state::{Report, ReportState};
use super::vocabulary::{CaseAssignment, LetterKind};
use crate::Context;
use crate::calendar;
use crate::error::DomainError;
use crate::values::{ChildIdentity, Reporter};

pub fn decide(
    state: &ReportState,
    command: ReportCommand,
    context: &Context<'_>,
) -> Result<Vec<ReportEvent>, DomainError> {
    match command {
        ReportCommand::ReceiveReport(command) => receive(state, command, context),
        ReportCommand::ScreenReport(command) => screen(state, command, context),
        ReportCommand::ChangeReportUrgency(command) => change_urgency(state, command, context),
        ReportCommand::RecordFeedbackLetterSent(command) => letter_sent(state, command, context),
        ReportCommand::AssignReport(assignee) => {
            let report = state.received()?;
            if report.assignee.as_ref() == Some(&assignee) {
                return Err(DomainError::AssigneeUnchanged);
            }
            Ok(vec![ReportEvent::ReportAssigned {
                assignee,
                at: context.at,
            }])
        }
    }
}

/// The most children one report may name. Siblings are reported together; a report naming
/// more than a large family has is a mistake of the sender (or worse), and each child opens a
/// case at screening.
pub const MAX_CHILDREN: usize = 20;

/// How far before the report a child's birth date may be: the service follows young adults
/// up to 25 (aftercare, new act § 8-5), and an older date is a parent's, not a child's.
pub const MAX_CHILD_AGE_YEARS: u32 = 25;

/// How far after the report an unborn child's expected birth date may be: a pregnancy lasts
/// about nine months.
pub const MAX_MONTHS_TO_BIRTH: u32 = 10;

/// A child's dates as the report's day makes them plausible: born on or before it and not
/// more than [`MAX_CHILD_AGE_YEARS`] before it, or, unborn, expected within
/// [`MAX_MONTHS_TO_BIRTH`] after it. `field` is the child's path (`children[1]`); each
/// refusal names the request's own field for the date.
fn plausible_child(
    field: &str,
    child: &ChildIdentity,
    received_on: chrono::NaiveDate,
) -> Result<(), DomainError> {
    let oldest = received_on
        .checked_sub_months(chrono::Months::new(12 * MAX_CHILD_AGE_YEARS))
        .unwrap_or(chrono::NaiveDate::MIN);
    let (date_field, birth_date) = match child {
        ChildIdentity::Number(number) => (
            format!("{field}.national_identity_number"),
            number.birth_date(),
        ),
        ChildIdentity::NameAndBirthDate { birth_date, .. } => (
            format!("{field}.name_and_birth_date.birth_date"),
            *birth_date,
        ),
        ChildIdentity::Unborn {
            expected_birth_date,
            ..
        } => {
            let latest = received_on
                .checked_add_months(chrono::Months::new(MAX_MONTHS_TO_BIRTH))
                .unwrap_or(chrono::NaiveDate::MAX);
            if *expected_birth_date > latest {
                return Err(DomainError::invalid(
                    format!("{field}.unborn.expected_birth_date"),
                    format!(
                        "is more than {MAX_MONTHS_TO_BIRTH} months after the report was received \
                         (at most {latest})"
                    ),
                ));
            }
            return Ok(());
        }
        ChildIdentity::Unidentified { .. } => return Ok(()),
    };
    if birth_date > received_on {
        return Err(DomainError::invalid(
            date_field,
            "must not be after the report was received",
        ));
    }
    if birth_date < oldest {
        return Err(DomainError::invalid(
            date_field,
            format!(
                "is more than {MAX_CHILD_AGE_YEARS} years before the report was received: not a \
                 child's birth date"
            ),
        ));
    }
    Ok(())
}

fn receive(
    state: &ReportState,
    command: ReceiveReport,
    context: &Context<'_>,
) -> Result<Vec<ReportEvent>, DomainError> {
    if state.report().is_some() {
        return Err(DomainError::ReportAlreadyReceived);
    }
    if command.received_at > context.recorded_at {
        return Err(DomainError::invalid(
            "received_at",
            "must not be in the future",
        ));
    }
    if command.children.is_empty() {
        return Err(DomainError::invalid(
            "children",
            "must name at least one child",
        ));
    }
    if command.children.len() > MAX_CHILDREN {
        return Err(DomainError::invalid(
            "children",
            format!(
                "names {} children; a report names at most {MAX_CHILDREN} (send more reports)",
                command.children.len()
            ),
        ));
    }
    // An anonymous reporter is one of whom nothing is stored: a way to reach them would be.
    if matches!(command.reporter, Reporter::PrivateAnonymous)
        && command
            .details
            .as_ref()
            .is_some_and(|details| details.reporter_contact.is_some())
    {
        return Err(DomainError::invalid(
            "reporter_contact",
            "must be absent for an anonymous reporter: nothing of them is stored",
        ));
    }
    // The national portal does not categorise; its reports are categorised at screening.
    let digital = command
        .details
        .as_ref()
        .is_some_and(|details| details.source.is_some());
    if command.concerns.is_empty() && !digital {
        return Err(DomainError::invalid(
            "concerns",
            "must name at least one concern",
        ));
    }
    let received_on = calendar::oslo_date(command.received_at);
    for (index, child) in command.children.iter().enumerate() {
        plausible_child(&format!("children[{index}]"), child, received_on)?;
    }
    let rules = context.rules.for_received_at(command.received_at)?;
    Ok(vec![ReportEvent::ReportReceived {
        report_id: command.report_id,
        received_at: command.received_at,
        act: rules.act,
        municipality: command.municipality,
        reporter: command.reporter,
        children: command.children,
        concerns: command.concerns,
        summary: command.summary,
        urgency: command.urgency,
        details: command.details,
    }])
}

/// Checks a screening decision against the report alone. The cases' own checks (is the linked
/// case open, does it have the investigation or measures the outcome needs) are in `case`.
pub(crate) fn check_screening(report: &Report, command: &ScreenReport) -> Result<(), DomainError> {
    if report.screening.is_some() {
        return Err(DomainError::ReportAlreadyScreened);
    }
    let mut screened = vec![false; report.children.len()];
    let mut case_ids = Vec::with_capacity(command.children.len());
    for (index, child) in command.children.iter().enumerate() {
        let seen = screened.get_mut(child.child_index).ok_or_else(|| {
            DomainError::invalid(
                format!("children[{index}].child_index"),
                format!("the report names {} children", report.children.len()),
            )
        })?;
        if *seen {
            return Err(DomainError::invalid(
                format!("children[{index}].child_index"),
                "child screened twice",
            ));
        }
        *seen = true;
        let case_id = child.case.case_id();
        if case_ids.contains(&case_id) {
            return Err(DomainError::invalid(
                format!("children[{index}].case"),
                "each child needs a case of its own",
            ));
        }
        case_ids.push(case_id);
        if let (Some(needs), CaseAssignment::NewCase(_)) =
            (child.outcome.needs_existing_case(), child.case)
        {
            return Err(DomainError::ScreeningOutcomeNotApplicable {
                outcome: child.outcome.registry_code().to_owned(),
                needs,
            });
        }
    }
    if command.reporter_code.is_some() && !report.reporter.is_public() {
        return Err(DomainError::invalid(
            "reporter_code",
            "only for a public reporter; a private reporter's code follows from the relation",
        ));
    }
    if let Some(missing) = screened.iter().position(|seen| !seen) {
        return Err(DomainError::invalid(
            "children",
            format!("child {missing} of the report is not screened"),
        ));
    }
    Ok(())
}

fn screen(
    state: &ReportState,
    command: ScreenReport,
    context: &Context<'_>,
) -> Result<Vec<ReportEvent>, DomainError> {
    let report = state.received()?;
    check_screening(report, &command)?;
    Ok(vec![ReportEvent::ReportScreened {
        children: command.children,
        reporter_code: command.reporter_code,
        at: context.at,
    }])
}

fn change_urgency(
    state: &ReportState,
    command: ChangeReportUrgency,
    context: &Context<'_>,
) -> Result<Vec<ReportEvent>, DomainError> {
    let report = state.received()?;
    // After screening the urgency lives on each child's case.
    if report.screening.is_some() {
        return Err(DomainError::ReportAlreadyScreened);
    }
    if report.urgency == command.urgency {
        return Err(DomainError::UrgencyUnchanged {
            urgency: command.urgency,
        });
    }
    Ok(vec![ReportEvent::ReportUrgencyChanged {
        from: report.urgency,
        to: command.urgency,
        reason: command.reason,
        at: context.at,
    }])
}

fn letter_sent(
    state: &ReportState,
    command: RecordFeedbackLetterSent,
    context: &Context<'_>,
) -> Result<Vec<ReportEvent>, DomainError> {
    let report = state.received()?;
    if command.letters.is_empty() {
        return Err(DomainError::invalid(
            "letters",
            "must name at least one letter",
        ));
    }
    if report.reporter.is_anonymous() {
        return Err(DomainError::AnonymousReporterGetsNoLetters);
    }
    let mut letters: Vec<LetterKind> = Vec::with_capacity(command.letters.len());
    for kind in command.letters {
        if report.has_sent(kind) || letters.contains(&kind) {
            return Err(DomainError::LetterAlreadySent {
                letter: kind.to_string(),
            });
        }
        let not_owed = || DomainError::LetterNotOwed {
            letter: kind.to_string(),
        };
        match kind {
            // A receipt may be sent even when not owed (obviously unfounded): it discloses
            // nothing.
            LetterKind::Receipt => {}
            // Private reporters have no right to more than the receipt ([001]); telling them
            // would disclose case information.
            LetterKind::InvestigationOutcome if !report.reporter.is_public() => {
                return Err(not_owed());
            }
            LetterKind::InvestigationOutcome if report.screening.is_none() => {
                return Err(DomainError::ReportNotScreened);
            }
            LetterKind::InvestigationOutcome => {}
            LetterKind::Conclusion { .. } if !report.reporter.is_public() => return Err(not_owed()),
            LetterKind::Conclusion { case_id } => {
                if report.screening.is_none() {
                    return Err(DomainError::ReportNotScreened);
                }
                // Whether that investigation has concluded is the case stream's fact; the shell
                // sends conclusion letters from `letters::letters_owed`, which knows both.
                let followed_up = report
                    .screening_for_case(case_id)
                    .is_some_and(|child| child.outcome.leads_to_investigation());
                if !followed_up {
                    return Err(not_owed());
                }
            }
        }
        letters.push(kind);
    }
    Ok(vec![ReportEvent::FeedbackLetterSent {
        letters,
        at: context.at,
    }])
}
