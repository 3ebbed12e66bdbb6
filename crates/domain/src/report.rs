//! The report stream (`report-<uuid>`): one report of concern (melding) from receipt through
//! screening to the letters its reporter is owed.
//!
//! A report lives apart from the cases it touches because it has its own deadline (screening),
//! its own statistics (reports received, dismissed, screened late) and its own reporter, while
//! each child it names gets a case of its own. Screening writes to both kinds of stream; the
//! pure function that decides for all of them is in `screening`.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Context;
use crate::calendar;
use crate::case::CaseId;
use crate::details::ReportDetails;
use crate::error::DomainError;
use crate::municipality::MunicipalityNumber;
use crate::registry::{CaseContentCode, ReporterCode};
use crate::rules::Act;
use crate::values::{Assignee, BoundedText, ChildIdentity, ConcernCategory, Reporter, Urgency};

/// Identifies a report stream. The shell generates the UUID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReportId(Uuid);

impl ReportId {
    pub fn new(id: Uuid) -> Self {
        Self(id)
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }

    /// The event store stream name, `report-<uuid>`.
    pub fn stream_name(&self) -> String {
        format!("report-{}", self.0)
    }
}

impl fmt::Display for ReportId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "report-{}", self.0)
    }
}

// ---------------------------------------------------------------------------------------------
// Screening outcomes (shared with the case stream)
// ---------------------------------------------------------------------------------------------

/// Which case a screened child belongs to. New case ids come from the shell, so deciding
/// stays free of randomness.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseAssignment {
    NewCase(CaseId),
    /// The child already has an open case: the report is added to it (DOMAIN.md lifecycle).
    ExistingOpenCase(CaseId),
}

impl CaseAssignment {
    pub fn case_id(&self) -> CaseId {
        match self {
            Self::NewCase(id) | Self::ExistingOpenCase(id) => *id,
        }
    }
}

/// Why a report is dismissed without investigation: registry code 1 and its refinements.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DismissalGround {
    /// 1: no grounds for investigation on the service's assessment.
    NoGroundsForInvestigation,
    /// 1.1: outside the act.
    OutsideTheAct,
    /// 1.2: referred to another agency.
    ReferredToAnotherAgency,
    /// 1.3: transferred to another municipality.
    TransferredToAnotherMunicipality { municipality: MunicipalityNumber },
}

/// The screening decision for one child, with the registry's codes (`Kodelister.md`,
/// Melding/Konklusjon; 1.1–1.3 are DOMAIN.md's refinements of 1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum ScreeningOutcome {
    /// 1 / 1.1 / 1.2 / 1.3. Written reasons are always recorded; `obviously_unfounded`
    /// marks a report the law lets the service leave without a receipt (new act § 2-1 second
    /// paragraph), recorded as such with the reasons.
    Dismissed {
        ground: DismissalGround,
        reasons: BoundedText,
        obviously_unfounded: bool,
    },
    /// 2: investigation opened.
    InvestigationOpened,
    /// 3: dismissed because measures are already active in the child's case.
    DismissedMeasuresActive { reasons: BoundedText },
    /// 4: the report concerns an investigation already under way.
    ConcernsOngoingInvestigation,
}

impl ScreeningOutcome {
    pub fn registry_code(&self) -> &'static str {
        match self {
            Self::Dismissed { ground, .. } => match ground {
                DismissalGround::NoGroundsForInvestigation => "1",
                DismissalGround::OutsideTheAct => "1.1",
                DismissalGround::ReferredToAnotherAgency => "1.2",
                DismissalGround::TransferredToAnotherMunicipality { .. } => "1.3",
            },
            Self::InvestigationOpened => "2",
            Self::DismissedMeasuresActive { .. } => "3",
            Self::ConcernsOngoingInvestigation => "4",
        }
    }

    /// Counts as "henlagt" in the report statistics (codes 1.x and 3).
    pub fn is_dismissal(&self) -> bool {
        matches!(
            self,
            Self::Dismissed { .. } | Self::DismissedMeasuresActive { .. }
        )
    }

    /// Whether the report is followed up in an investigation (opened now or under way).
    pub fn leads_to_investigation(&self) -> bool {
        matches!(
            self,
            Self::InvestigationOpened | Self::ConcernsOngoingInvestigation
        )
    }

    /// Codes 3 and 4 only make sense for a child whose case is already open.
    pub(crate) fn needs_existing_case(&self) -> Option<&'static str> {
        match self {
            Self::DismissedMeasuresActive { .. } => Some("active measures"),
            Self::ConcernsOngoingInvestigation => Some("an investigation under way"),
            _ => None,
        }
    }

    fn is_obviously_unfounded(&self) -> bool {
        matches!(
            self,
            Self::Dismissed {
                obviously_unfounded: true,
                ..
            }
        )
    }
}

/// The screening decision for one of the report's children.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildScreening {
    /// Position of the child in the report's `children`.
    pub child_index: usize,
    pub case: CaseAssignment,
    pub outcome: ScreeningOutcome,
    /// Emergency action can come with any outcome; the emergency decision itself is recorded
    /// on the case.
    pub emergency_action: bool,
    /// Triage set at screening; the case carries it from then on.
    pub urgency: Urgency,
    /// What the report is about, in the registry's case-content codes (Saksinnhold).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub case_content: Vec<CaseContentCode>,
}

/// Letters a reporter can be owed. A public reporter's receipt and investigation-outcome
/// letters may be one letter: record both kinds in one `RecordFeedbackLetterSent`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "letter")]
pub enum LetterKind {
    Receipt,
    /// Whether an investigation was opened (public reporters).
    InvestigationOutcome,
    /// Whether the investigation in this case ended in dismissal or follow-up (public reporters).
    Conclusion {
        case_id: CaseId,
    },
}

impl fmt::Display for LetterKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Receipt => f.write_str("receipt"),
            Self::InvestigationOutcome => f.write_str("investigation outcome"),
            Self::Conclusion { case_id } => write!(f, "conclusion for {case_id}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiveReport {
    pub report_id: ReportId,
    /// When the service received it (portal timestamp, letter date): not after `now`.
    pub received_at: DateTime<Utc>,
    /// The municipality whose service receives the report.
    pub municipality: MunicipalityNumber,
    pub reporter: Reporter,
    pub children: Vec<ChildIdentity>,
    pub concerns: Vec<ConcernCategory>,
    pub summary: BoundedText,
    /// Triage at intake, ordering the screening worklist.
    pub urgency: Urgency,
    /// Everything else the report tells; a digital report's source.
    pub details: Option<Box<ReportDetails>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScreenReport {
    pub children: Vec<ChildScreening>,
    /// A public reporter's registry code (Melder); a private reporter's follows from the
    /// relation, an anonymous one's is 23.
    pub reporter_code: Option<ReporterCode>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeReportUrgency {
    pub urgency: Urgency,
    pub reason: BoundedText,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordFeedbackLetterSent {
    pub letters: Vec<LetterKind>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportCommand {
    ReceiveReport(ReceiveReport),
    /// Only the report's half of screening; the shell uses `screening::decide_screening`,
    /// which also decides for the children's cases.
    ScreenReport(ScreenReport),
    ChangeReportUrgency(ChangeReportUrgency),
    RecordFeedbackLetterSent(RecordFeedbackLetterSent),
    /// Hands the report to a team (and caseworker) for screening; its cases inherit it.
    AssignReport(Assignee),
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ReportEvent {
    ReportReceived {
        report_id: ReportId,
        received_at: DateTime<Utc>,
        /// The act in force on the received date (Oslo); every later rule follows it.
        act: Act,
        municipality: MunicipalityNumber,
        reporter: Reporter,
        children: Vec<ChildIdentity>,
        concerns: Vec<ConcernCategory>,
        summary: BoundedText,
        urgency: Urgency,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        details: Option<Box<ReportDetails>>,
    },
    ReportUrgencyChanged {
        from: Urgency,
        to: Urgency,
        reason: BoundedText,
        at: DateTime<Utc>,
    },
    ReportScreened {
        children: Vec<ChildScreening>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reporter_code: Option<ReporterCode>,
        at: DateTime<Utc>,
    },
    FeedbackLetterSent {
        letters: Vec<LetterKind>,
        at: DateTime<Utc>,
    },
    ReportAssigned {
        assignee: Assignee,
        at: DateTime<Utc>,
    },
}

impl ReportEvent {
    /// All report events are at schema version 1. When one changes, bump it here for that
    /// variant only and add an upcaster in the shell's decoder.
    pub const SCHEMA_VERSION: u32 = 1;

    pub fn event_type(&self) -> &'static str {
        match self {
            Self::ReportReceived { .. } => "ReportReceived",
            Self::ReportUrgencyChanged { .. } => "ReportUrgencyChanged",
            Self::ReportScreened { .. } => "ReportScreened",
            Self::FeedbackLetterSent { .. } => "FeedbackLetterSent",
            Self::ReportAssigned { .. } => "ReportAssigned",
        }
    }

    /// When it happened in the service: the receipt time for a received report (which may be
    /// earlier than when it was entered), the decision time for every other event. Views that
    /// answer "as of" a moment order history by this.
    pub fn occurred_at(&self) -> DateTime<Utc> {
        match self {
            Self::ReportReceived { received_at, .. } => *received_at,
            Self::ReportUrgencyChanged { at, .. }
            | Self::ReportScreened { at, .. }
            | Self::FeedbackLetterSent { at, .. }
            | Self::ReportAssigned { at, .. } => *at,
        }
    }

    pub fn schema_version(&self) -> u32 {
        Self::SCHEMA_VERSION
    }
}

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------

/// A report folded from its events.
// Not boxed: a state is folded once per command and `NotReceived` only lives until the first event.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, Default, PartialEq)]
pub enum ReportState {
    #[default]
    NotReceived,
    Received(Report),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub id: ReportId,
    pub received_at: DateTime<Utc>,
    pub act: Act,
    pub municipality: MunicipalityNumber,
    pub reporter: Reporter,
    pub children: Vec<ChildIdentity>,
    pub concerns: Vec<ConcernCategory>,
    pub summary: BoundedText,
    pub urgency: Urgency,
    pub details: Option<Box<ReportDetails>>,
    pub assignee: Option<Assignee>,
    pub screening: Option<Screening>,
    pub letters_sent: Vec<SentLetter>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Screening {
    pub at: DateTime<Utc>,
    pub children: Vec<ChildScreening>,
    pub reporter_code: Option<ReporterCode>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SentLetter {
    pub kind: LetterKind,
    pub at: DateTime<Utc>,
}

impl Report {
    /// DOMAIN.md: no receipt is owed for an obviously unfounded report. Vern reads a report as
    /// obviously unfounded when every child's screening outcome says so.
    pub fn is_obviously_unfounded(&self) -> bool {
        self.screening.as_ref().is_some_and(|screening| {
            !screening.children.is_empty()
                && screening
                    .children
                    .iter()
                    .all(|child| child.outcome.is_obviously_unfounded())
        })
    }

    pub fn has_sent(&self, kind: LetterKind) -> bool {
        self.letters_sent.iter().any(|letter| letter.kind == kind)
    }

    /// The screening decision for `case_id`, if this report's screening named that case.
    pub fn screening_for_case(&self, case_id: CaseId) -> Option<&ChildScreening> {
        self.screening
            .as_ref()?
            .children
            .iter()
            .find(|child| child.case.case_id() == case_id)
    }
}

impl ReportState {
    pub fn report(&self) -> Option<&Report> {
        match self {
            Self::NotReceived => None,
            Self::Received(report) => Some(report),
        }
    }

    fn received(&self) -> Result<&Report, DomainError> {
        self.report().ok_or(DomainError::ReportNotReceived)
    }
}

// ---------------------------------------------------------------------------------------------
// Decide
// ---------------------------------------------------------------------------------------------

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
                at: context.now,
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
    if command.received_at > context.now {
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
        at: context.now,
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
        at: context.now,
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
        at: context.now,
    }])
}

// ---------------------------------------------------------------------------------------------
// Evolve
// ---------------------------------------------------------------------------------------------

/// Applies an event. Holds no rules; panics only on an event that cannot follow the state
/// (which would mean a corrupt stream).
pub fn evolve(state: ReportState, event: &ReportEvent) -> ReportState {
    match (state, event) {
        (
            ReportState::NotReceived,
            ReportEvent::ReportReceived {
                report_id,
                received_at,
                act,
                municipality,
                reporter,
                children,
                concerns,
                summary,
                urgency,
                details,
            },
        ) => ReportState::Received(Report {
            id: *report_id,
            received_at: *received_at,
            act: *act,
            municipality: *municipality,
            reporter: reporter.clone(),
            children: children.clone(),
            concerns: concerns.clone(),
            summary: summary.clone(),
            urgency: *urgency,
            details: details.clone(),
            assignee: None,
            screening: None,
            letters_sent: Vec::new(),
        }),
        (ReportState::Received(mut report), ReportEvent::ReportAssigned { assignee, .. }) => {
            report.assignee = Some(assignee.clone());
            ReportState::Received(report)
        }
        (ReportState::Received(mut report), ReportEvent::ReportUrgencyChanged { to, .. }) => {
            report.urgency = *to;
            ReportState::Received(report)
        }
        (
            ReportState::Received(mut report),
            ReportEvent::ReportScreened {
                children,
                reporter_code,
                at,
            },
        ) => {
            report.screening = Some(Screening {
                at: *at,
                children: children.clone(),
                reporter_code: reporter_code.clone(),
            });
            ReportState::Received(report)
        }
        (ReportState::Received(mut report), ReportEvent::FeedbackLetterSent { letters, at }) => {
            report
                .letters_sent
                .extend(letters.iter().map(|kind| SentLetter {
                    kind: *kind,
                    at: *at,
                }));
            ReportState::Received(report)
        }
        (state, event) => panic!(
            "report event {} cannot follow state {state:?}: corrupt stream",
            event.event_type()
        ),
    }
}
