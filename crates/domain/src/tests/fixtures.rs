//! Builders for test data and the one `check` helper every table goes through.

use std::collections::BTreeMap;
use std::fmt::Debug;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use uuid::Uuid;

use crate::case::{self, CaseCommand, CaseEvent, CaseId, CaseState, CaseStream, ReportReference};
use crate::municipality::{MunicipalityNumber, MunicipalityRegistry};
use crate::report::{
    self, CaseAssignment, ChildScreening, ReportCommand, ReportEvent, ReportId, ReportState,
    ReportStream, ScreenReport, ScreeningOutcome,
};
use crate::rules::{Act, RuleBook};
use crate::screening;
use crate::values::{
    BoundedText, ChildIdentity, ConcernCategory, NationalIdentityNumber, PrivateReporterRelation,
    Reporter, Urgency,
};
use crate::{Aggregate, Context, DomainError};

// ---------------------------------------------------------------------------------------------
// Synthetic identity numbers
// ---------------------------------------------------------------------------------------------

const FIRST: [u32; 9] = [3, 7, 6, 1, 8, 9, 4, 5, 2];
const SECOND: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

fn mod11(digits: &[u32], weights: &[u32]) -> Option<u32> {
    let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        digit => Some(digit),
    }
}

/// Eleven digits for `birth_date` and `individual`, or `None` when no check digit exists.
pub(crate) fn synthetic_number(
    birth_date: NaiveDate,
    individual: u32,
    d_number: bool,
) -> Option<String> {
    let day = birth_date.day() + if d_number { 40 } else { 0 };
    let month = birth_date.month();
    let year = birth_date.year() % 100;
    let mut digits: Vec<u32> = format!("{day:02}{month:02}{year:02}{individual:03}")
        .chars()
        .filter_map(|c| c.to_digit(10))
        .collect();
    let first = mod11(&digits, &FIRST)?;
    digits.push(first);
    let second = mod11(&digits, &SECOND)?;
    digits.push(second);
    Some(
        digits
            .iter()
            .map(|d| char::from_digit(*d, 10).unwrap_or('x'))
            .collect(),
    )
}

/// The individual numbers that give `year` its century.
pub(crate) fn individual_range(year: i32) -> std::ops::RangeInclusive<u32> {
    match year {
        1854..=1899 => 500..=749,
        1900..=1939 => 0..=499,
        1940..=1999 => 900..=999,
        _ => 500..=999,
    }
}

/// A valid synthetic number for a child born on `birth_date`.
pub(crate) fn synthetic_child(birth_date: NaiveDate, salt: u32) -> ChildIdentity {
    let range = individual_range(birth_date.year());
    let number = range
        .clone()
        .cycle()
        .skip(salt as usize % 50)
        .take(200)
        .find_map(|individual| synthetic_number(birth_date, individual, false))
        .unwrap_or_else(|| panic!("no synthetic number for {birth_date}"));
    let number = NationalIdentityNumber::parse("child", &number).unwrap();
    ChildIdentity::Number(number)
}

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

pub(crate) fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

pub(crate) fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

pub(crate) fn text(value: &str) -> BoundedText {
    BoundedText::long("text", value).unwrap()
}

/// Monday 4 March 2024, 10:00 in Oslo.
pub(crate) fn received_at() -> DateTime<Utc> {
    at("2024-03-04T09:00:00Z")
}

/// Two days after the report: inside the screening week.
pub(crate) fn now() -> DateTime<Utc> {
    at("2024-03-06T10:00:00Z")
}

pub(crate) fn report_id() -> ReportId {
    ReportId::new(Uuid::from_u128(0x1000))
}

pub(crate) fn case_id(n: u128) -> CaseId {
    CaseId::new(Uuid::from_u128(0x2000 + n))
}

pub(crate) fn tromso() -> MunicipalityNumber {
    MunicipalityNumber::parse("municipality", "5501", &MunicipalityRegistry::norway_2024()).unwrap()
}

pub(crate) fn anna() -> ChildIdentity {
    synthetic_child(day("2016-05-17"), 1)
}

pub(crate) fn ola() -> ChildIdentity {
    synthetic_child(day("2019-11-02"), 2)
}

pub(crate) fn public_reporter() -> Reporter {
    Reporter::parse_public("Eksempel skole", "kontaktlærer", "Kari Testlærer", false).unwrap()
}

pub(crate) fn private_reporter() -> Reporter {
    Reporter::parse_private_named(
        "Per Testnabo",
        PrivateReporterRelation::OtherPrivatePerson,
        true,
    )
    .unwrap()
}

pub(crate) fn reference() -> ReportReference {
    ReportReference {
        report_id: report_id(),
        received_at: received_at(),
        act: Act::ChildWelfareAct2021,
    }
}

pub(crate) fn old_act_reference() -> ReportReference {
    ReportReference {
        report_id: report_id(),
        received_at: at("2022-11-01T09:00:00Z"),
        act: Act::ChildWelfareAct1992,
    }
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

pub(crate) fn report_received(reporter: Reporter, children: Vec<ChildIdentity>) -> ReportEvent {
    report_received_at(received_at(), Act::ChildWelfareAct2021, reporter, children)
}

/// A `ReportReceived` at another time, under the given act, from the given reporter.
pub(crate) fn received_with(
    received_at: DateTime<Utc>,
    act: Act,
    reporter: Reporter,
) -> ReportEvent {
    report_received_at(received_at, act, reporter, vec![anna()])
}

fn report_received_at(
    received_at: DateTime<Utc>,
    act: Act,
    reporter: Reporter,
    children: Vec<ChildIdentity>,
) -> ReportEvent {
    ReportEvent::ReportReceived {
        report_id: report_id(),
        received_at,
        act,
        municipality: tromso(),
        reporter,
        children,
        concerns: vec![ConcernCategory::Violence],
        summary: text("Synthetic concern"),
        urgency: Urgency::Yellow,
        details: None,
    }
}

pub(crate) fn case_opened(
    n: u128,
    outcome: report::ScreeningOutcome,
    emergency_action: bool,
) -> CaseEvent {
    case_opened_with(n, reference(), outcome, emergency_action, received_at())
}

/// Case `n` about Anna in Tromsø, opened at `at` from `report`'s screening.
pub(crate) fn case_opened_with(
    n: u128,
    report: ReportReference,
    outcome: report::ScreeningOutcome,
    emergency_action: bool,
    at: DateTime<Utc>,
) -> CaseEvent {
    CaseEvent::CaseOpenedFromReport {
        case_id: case_id(n),
        report,
        child: anna(),
        municipality: tromso(),
        outcome,
        emergency_action,
        urgency: Urgency::Yellow,
        assignee: None,
        at,
    }
}

pub(crate) fn investigation_opened(reference: ReportReference) -> CaseEvent {
    let counts_from = RuleBook::norwegian()
        .in_force_at(reference.received_at)
        .investigation_counts_from(reference.received_at, reference.received_at);
    CaseEvent::InvestigationOpened {
        report: reference,
        counts_from,
        at: reference.received_at,
    }
}

/// A case opened for Anna with an investigation under the new act.
pub(crate) fn investigating() -> Vec<CaseEvent> {
    vec![
        case_opened(1, report::ScreeningOutcome::InvestigationOpened, false),
        investigation_opened(reference()),
    ]
}

/// As [`investigating`], with the investigation started with a plan.
pub(crate) fn investigating_with_plan() -> Vec<CaseEvent> {
    let mut events = investigating();
    events.push(CaseEvent::InvestigationStarted {
        plan: plan(),
        at: received_at(),
    });
    events
}

pub(crate) fn plan() -> case::InvestigationPlan {
    case::InvestigationPlan {
        themes: text("Care situation at home"),
        planned_activities: vec![
            case::ActivityKind::StartUpMeeting,
            case::ActivityKind::HomeVisit,
        ],
    }
}

pub(crate) fn measure_plan(
    starts_on: &str,
    ends_on: &str,
    evaluate_on: Option<&str>,
) -> case::MeasurePlan {
    case::MeasurePlan {
        goals: vec![text("Stable routines at home")],
        responsible: text("Caseworker on duty"),
        starts_on: day(starts_on),
        ends_on: day(ends_on),
        evaluate_on: evaluate_on.map(day),
    }
}

/// The report's children screened, at the time it was received.
pub(crate) fn screened(children: Vec<ChildScreening>) -> ReportEvent {
    ReportEvent::ReportScreened {
        reporter_code: None,
        children,
        at: received_at(),
    }
}

/// The screening of the report's child `index`, into `case`, without emergency action.
pub(crate) fn child(
    index: usize,
    case: CaseAssignment,
    outcome: ScreeningOutcome,
    urgency: Urgency,
) -> ChildScreening {
    ChildScreening {
        case_content: Vec::new(),
        child_index: index,
        case,
        outcome,
        emergency_action: false,
        urgency,
    }
}

pub(crate) fn invalid(field: &str, reason: &str) -> DomainError {
    DomainError::invalid(field, reason)
}

pub(crate) fn dismissal(obviously_unfounded: bool) -> report::ScreeningOutcome {
    report::ScreeningOutcome::Dismissed {
        ground: report::DismissalGround::NoGroundsForInvestigation,
        reasons: text("No grounds found"),
        obviously_unfounded,
    }
}

// ---------------------------------------------------------------------------------------------
// The one check helper
// ---------------------------------------------------------------------------------------------

/// How a table's commands are decided and its events folded: a stream's own functions (its
/// [`Aggregate`]), or screening's, which decide for a report and its cases at once.
pub(crate) struct Decider<S, C, E> {
    initial: fn() -> S,
    evolve: fn(S, &E) -> S,
    decide: fn(&S, C, &Context<'_>) -> Result<Vec<E>, DomainError>,
}

/// The report stream's or the case stream's functions.
pub(crate) fn stream_decider<A: Aggregate>() -> Decider<A::State, A::Command, A::Event> {
    Decider {
        initial: A::initial,
        evolve: A::evolve,
        decide: A::decide,
    }
}

/// A report and the cases a screening touches, as one unit: what one atomic append covers.
pub(crate) fn screening_decider() -> Decider<ScreeningState, ScreenReport, AnyEvent> {
    Decider {
        initial: ScreeningState::default,
        evolve: evolve_screening,
        decide: decide_screening,
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum AnyEvent {
    Report(ReportEvent),
    Case(CaseId, CaseEvent),
}

#[derive(Debug, Default)]
pub(crate) struct ScreeningState {
    report: ReportState,
    cases: BTreeMap<CaseId, CaseState>,
}

fn decide_screening(
    state: &ScreeningState,
    command: ScreenReport,
    context: &Context<'_>,
) -> Result<Vec<AnyEvent>, DomainError> {
    let decision = screening::decide_screening(&state.report, command, &state.cases, context)?;
    let mut events: Vec<AnyEvent> = decision
        .report_events
        .into_iter()
        .map(AnyEvent::Report)
        .collect();
    for (case_id, case_events) in decision.case_events {
        events.extend(
            case_events
                .into_iter()
                .map(|event| AnyEvent::Case(case_id, event)),
        );
    }
    Ok(events)
}

fn evolve_screening(mut state: ScreeningState, event: &AnyEvent) -> ScreeningState {
    match event {
        AnyEvent::Report(event) => state.report = ReportStream::evolve(state.report, event),
        AnyEvent::Case(case_id, event) => {
            let case = state
                .cases
                .remove(case_id)
                .unwrap_or_else(CaseStream::initial);
            state
                .cases
                .insert(*case_id, CaseStream::evolve(case, event));
        }
    }
    state
}

/// One row of a given / when / then table: commands `C`, events `E`.
pub(crate) struct Row<C, E> {
    pub(crate) name: &'static str,
    pub(crate) given: Vec<E>,
    pub(crate) now: DateTime<Utc>,
    pub(crate) when: C,
    pub(crate) then: Result<Vec<E>, DomainError>,
}

pub(crate) type ReportRow = Row<ReportCommand, ReportEvent>;
pub(crate) type CaseRow = Row<CaseCommand, CaseEvent>;
pub(crate) type ScreeningRow = Row<ScreenReport, AnyEvent>;

/// Folds `given`, decides `when` at `now`, compares with `expected`, and folds the new events
/// too, so every accepted path also proves `evolve` takes its events.
pub(crate) fn check<S: Debug, C, E: Debug + PartialEq>(
    decider: &Decider<S, C, E>,
    given: Vec<E>,
    when: C,
    now: DateTime<Utc>,
    expected: Result<Vec<E>, DomainError>,
) -> Result<(), String> {
    let rules = RuleBook::norwegian();
    let context = Context::new(now, &rules);
    let state = given.iter().fold((decider.initial)(), decider.evolve);
    let actual = (decider.decide)(&state, when, &context);
    if actual != expected {
        return Err(format!("expected {expected:#?}\n   got {actual:#?}"));
    }
    if let Ok(events) = actual {
        let _state = events.iter().fold(state, decider.evolve);
    }
    Ok(())
}

/// Runs a table and reports every failing row at once. A table with no rows fails: it would
/// pass while testing nothing.
pub(crate) fn run_table<S: Debug, C, E: Debug + PartialEq>(
    decider: Decider<S, C, E>,
    rows: Vec<Row<C, E>>,
) {
    let count = rows.len();
    assert!(count > 0, "a table with no rows tests nothing");
    let failures: Vec<String> = rows
        .into_iter()
        .filter_map(|row| {
            let name = row.name;
            check(&decider, row.given, row.when, row.now, row.then)
                .err()
                .map(|error| format!("{name}: {error}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {count} rows failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
