//! Property tests: identity numbers, deadline arithmetic, letters owed, deadlines listed.

use chrono::{Datelike, Days, NaiveDate};
use proptest::prelude::*;

use super::fixtures::*;
use crate::calendar::{self, Length};
use crate::case::{self, CaseEvent, CaseState};
use crate::deadlines::{self, DeadlineSubject};
use crate::letters;
use crate::report::{
    self, CaseAssignment, ChildScreening, LetterKind, ReportEvent, ReportState, ScreeningOutcome,
};
use crate::rules::{DeadlineKind, RuleBook};
use crate::values::{NationalIdentityNumber, Reporter, Urgency};

fn any_birth_date() -> impl Strategy<Value = NaiveDate> {
    (1854i32..=2039, 1u32..=12, 1u32..=31)
        .prop_filter_map("no such date", |(y, m, d)| NaiveDate::from_ymd_opt(y, m, d))
}

/// A valid synthetic number: date, an individual number fitting its century, D-number or not.
fn any_valid_number() -> impl Strategy<Value = (String, NaiveDate, bool)> {
    (any_birth_date(), any::<u32>(), any::<bool>()).prop_filter_map(
        "no check digit",
        |(date, pick, d)| {
            let range = individual_range(date.year());
            let individual = range.start() + pick % (range.end() - range.start() + 1);
            synthetic_number(date, individual, d).map(|number| (number, date, d))
        },
    )
}

fn any_date() -> impl Strategy<Value = NaiveDate> {
    (1995i32..=2060, 1u32..=366).prop_filter_map("no such day", |(y, ordinal)| {
        NaiveDate::from_yo_opt(y, ordinal)
    })
}

proptest! {
    #[test]
    fn valid_generated_numbers_parse_with_their_birth_date((number, date, d_number) in any_valid_number()) {
        let parsed = NationalIdentityNumber::parse("child", &number);
        prop_assert!(parsed.is_ok(), "{number}: {parsed:?}");
        let parsed = parsed.unwrap();
        prop_assert_eq!(parsed.birth_date(), date);
        prop_assert_eq!(parsed.is_d_number(), d_number);
        prop_assert_eq!(parsed.expose_digits(), number.as_str());
    }

    #[test]
    fn any_single_digit_change_is_rejected(
        (number, _, _) in any_valid_number(),
        position in 0usize..11,
        delta in 1u32..10,
    ) {
        let mut digits: Vec<u32> = number.chars().filter_map(|c| c.to_digit(10)).collect();
        digits[position] = (digits[position] + delta) % 10;
        let changed: String = digits.iter().filter_map(|d| char::from_digit(*d, 10)).collect();
        prop_assert!(NationalIdentityNumber::parse("child", &changed).is_err(), "{changed} was accepted");
    }

    #[test]
    fn numbers_are_never_printed_whole((number, _, _) in any_valid_number()) {
        let parsed = NationalIdentityNumber::parse("child", &number).unwrap();
        let shown = [format!("{parsed}"), format!("{parsed:?}")];
        for text in shown {
            prop_assert!(!text.contains(&number), "{text}");
            prop_assert!(text.contains(&number[..6]) && text.contains("*****"), "{text}");
        }
    }

    #[test]
    fn a_week_is_seven_calendar_days(start in any_date(), weeks in 1u32..10) {
        let end = calendar::add_length(start, Length::Weeks(weeks));
        prop_assert_eq!((end - start).num_days(), 7 * i64::from(weeks));
    }

    #[test]
    fn months_keep_the_day_or_clamp_to_the_month_end(start in any_date(), months in 1u32..=12) {
        let end = calendar::add_length(start, Length::Months(months));
        let month_index = start.year() * 12 + start.month0() as i32 + months as i32;
        prop_assert_eq!(end.year(), month_index.div_euclid(12));
        prop_assert_eq!(end.month0() as i32, month_index.rem_euclid(12));
        let last_of_month = NaiveDate::from_ymd_opt(end.year(), end.month(), 1)
            .and_then(|first| first.checked_add_months(chrono::Months::new(1)))
            .and_then(|next| next.pred_opt())
            .unwrap();
        prop_assert_eq!(end.day(), start.day().min(last_of_month.day()));
    }

    #[test]
    fn a_deadline_ends_exactly_at_the_end_of_its_last_oslo_day(last_day in any_date()) {
        let breached_from = calendar::end_of_oslo_day(last_day);
        let one_second_before = breached_from - chrono::Duration::seconds(1);
        prop_assert_eq!(calendar::oslo_date(one_second_before), last_day);
        prop_assert_eq!(calendar::oslo_date(breached_from), last_day + Days::new(1));
        // Across daylight saving changes a day is 23 or 25 hours, never anything else.
        let length = breached_from - calendar::start_of_oslo_day(last_day);
        prop_assert!([23, 24, 25].contains(&length.num_hours()), "{last_day}: {length}");
    }

    #[test]
    fn anonymous_reporters_are_never_owed_letters(
        received_minutes in 0i64..(60 * 24 * 400),
        later_minutes in 0i64..(60 * 24 * 400),
        outcome in prop_oneof![
            Just(ScreeningOutcome::InvestigationOpened),
            Just(dismissal(false)),
            Just(dismissal(true)),
        ],
        screened in any::<bool>(),
        concluded in any::<bool>(),
    ) {
        let received_at = at("2022-06-01T00:00:00Z") + chrono::Duration::minutes(received_minutes);
        let now = received_at + chrono::Duration::minutes(later_minutes);
        let state = anonymous_report(received_at, screened.then_some(outcome.clone()));
        let cases = if screened && concluded { vec![concluded_case(received_at)] } else { vec![] };
        prop_assert!(letters::letters_owed(&state, &cases, &RuleBook::norwegian(), now).is_empty());
    }
}

fn anonymous_report(
    received_at: chrono::DateTime<chrono::Utc>,
    outcome: Option<ScreeningOutcome>,
) -> ReportState {
    let rules = RuleBook::norwegian();
    let act = rules.for_received_at(received_at).unwrap().act;
    let mut events = vec![received_with(received_at, act, Reporter::PrivateAnonymous)];
    if let Some(outcome) = outcome {
        events.push(ReportEvent::ReportScreened {
            reporter_code: None,
            children: vec![ChildScreening {
                case_content: Vec::new(),
                child_index: 0,
                case: CaseAssignment::NewCase(case_id(1)),
                outcome,
                emergency_action: false,
                urgency: Urgency::Red,
            }],
            at: received_at,
        });
    }
    events.iter().fold(ReportState::default(), report::evolve)
}

fn concluded_case(at: chrono::DateTime<chrono::Utc>) -> CaseState {
    let mut events = investigating_with_plan();
    events.push(CaseEvent::InvestigationConcluded {
        grounds: Vec::new(),
        outcome: case::ConclusionOutcome::MeasuresDecided,
        reasons: text("Done"),
        at,
    });
    events.iter().fold(CaseState::default(), case::evolve)
}

fn report_state(reporter: Reporter, outcome: Option<ScreeningOutcome>) -> ReportState {
    let mut events = vec![report_received(reporter, vec![anna()])];
    if let Some(outcome) = outcome {
        events.push(ReportEvent::ReportScreened {
            reporter_code: None,
            children: vec![ChildScreening {
                case_content: Vec::new(),
                child_index: 0,
                case: CaseAssignment::NewCase(case_id(1)),
                outcome,
                emergency_action: false,
                urgency: Urgency::Red,
            }],
            at: now(),
        });
    }
    events.iter().fold(ReportState::default(), report::evolve)
}

fn kinds(owed: &[letters::LetterOwed]) -> Vec<LetterKind> {
    owed.iter().map(|letter| letter.kind).collect()
}

#[test]
fn letters_owed_follow_the_reporter_kind() {
    let rules = RuleBook::norwegian();
    // Named private reporter: receipt only, due three weeks after receipt.
    let private = report_state(
        private_reporter(),
        Some(ScreeningOutcome::InvestigationOpened),
    );
    let owed = letters::letters_owed(&private, &[], &rules, now());
    assert_eq!(kinds(&owed), vec![LetterKind::Receipt]);
    assert_eq!(owed[0].due.last_day, day("2024-03-25"));
    assert!(!owed[0].breached);
    // Obviously unfounded: no receipt owed.
    let unfounded = report_state(private_reporter(), Some(dismissal(true)));
    assert!(letters::letters_owed(&unfounded, &[], &rules, now()).is_empty());
    // Public reporter: receipt and investigation outcome, then the conclusion once concluded.
    let public = report_state(
        public_reporter(),
        Some(ScreeningOutcome::InvestigationOpened),
    );
    let case = concluded_case(at("2024-04-02T10:00:00Z"));
    let owed = letters::letters_owed(
        &public,
        std::slice::from_ref(&case),
        &rules,
        at("2024-04-20T10:00:00Z"),
    );
    assert_eq!(
        kinds(&owed),
        vec![
            LetterKind::Receipt,
            LetterKind::InvestigationOutcome,
            LetterKind::Conclusion {
                case_id: case_id(1)
            }
        ]
    );
    assert!(owed[0].breached && owed[1].breached && !owed[2].breached);
    assert_eq!(owed[2].due.last_day, day("2024-04-23"));
    // Letters already sent are not owed.
    let sent = report::evolve(
        public,
        &ReportEvent::FeedbackLetterSent {
            letters: vec![LetterKind::Receipt, LetterKind::InvestigationOutcome],
            at: now(),
        },
    );
    let owed = letters::letters_owed(&sent, &[case], &rules, now());
    assert_eq!(
        kinds(&owed),
        vec![LetterKind::Conclusion {
            case_id: case_id(1)
        }]
    );
}

/// Each letter names the paragraph of the act in force when its clock started: a report
/// received under the 1992 act, its investigation concluded under the 2021 act.
#[test]
fn each_letter_names_the_act_of_the_day_its_clock_started() {
    let rules = RuleBook::norwegian();
    let mut events = vec![report_received(public_reporter(), vec![anna()])];
    if let ReportEvent::ReportReceived {
        received_at, act, ..
    } = &mut events[0]
    {
        *received_at = at("2022-12-20T09:00:00Z");
        *act = crate::rules::Act::ChildWelfareAct1992;
    }
    events.push(ReportEvent::ReportScreened {
        reporter_code: None,
        children: vec![ChildScreening {
            case_content: Vec::new(),
            child_index: 0,
            case: CaseAssignment::NewCase(case_id(1)),
            outcome: ScreeningOutcome::InvestigationOpened,
            emergency_action: false,
            urgency: Urgency::Red,
        }],
        at: at("2022-12-21T09:00:00Z"),
    });
    let report = events.iter().fold(ReportState::default(), report::evolve);
    let case = concluded_case(at("2023-02-01T10:00:00Z"));
    let owed = letters::letters_owed(&report, &[case], &rules, at("2023-02-02T10:00:00Z"));
    let references: Vec<_> = owed.iter().map(|letter| letter.legal_reference).collect();
    assert_eq!(
        references,
        [
            "barnevernloven 1992 § 6-7a",
            "barnevernloven 1992 § 6-7a",
            "barnevernsloven 2021 § 13-4"
        ]
    );
}

#[test]
fn open_deadlines_cover_screening_investigation_measures_and_emergencies() {
    let rules = RuleBook::norwegian();
    let unscreened = report_state(public_reporter(), None);
    let report_deadlines =
        deadlines::open_report_deadlines(&unscreened, &rules, at("2024-03-11T22:59:59Z"));
    assert_eq!(report_deadlines.len(), 1);
    assert_eq!(report_deadlines[0].kind, DeadlineKind::Screening);
    assert_eq!(report_deadlines[0].due.last_day, day("2024-03-11"));
    assert!(!report_deadlines[0].breached);
    assert!(
        deadlines::open_report_deadlines(&unscreened, &rules, at("2024-03-11T23:00:00Z"))[0]
            .breached
    );

    let mut events = investigating_with_plan();
    events.push(CaseEvent::EmergencyDecisionMade {
        number: 1,
        kind: case::EmergencyDecisionKind::Placement,
        grounds: text("Unsafe"),
        habitually_resident_abroad: false,
        at: received_at(),
    });
    events.push(CaseEvent::MeasureStarted {
        in_family_network: false,
        number: 1,
        kind: case::MeasureKind::Relief,
        plan: measure_plan("2024-03-04", "2024-09-04", None),
        next_evaluation_on: day("2024-06-04"),
        at: received_at(),
    });
    let state = events.iter().fold(CaseState::default(), case::evolve);
    let mut open = deadlines::open_case_deadlines(&state, &rules, at("2024-03-06T08:59:59Z"));
    deadlines::sort_for_worklist(&mut open);
    let listed: Vec<(DeadlineKind, DeadlineSubject, NaiveDate, bool)> = open
        .iter()
        .map(|d| (d.kind, d.subject, d.due.last_day, d.breached))
        .collect();
    assert_eq!(
        listed,
        vec![
            (
                DeadlineKind::EmergencyApproval,
                DeadlineSubject::EmergencyDecision(1),
                day("2024-03-06"),
                false
            ),
            (
                DeadlineKind::EmergencyPetitionCareOrder,
                DeadlineSubject::EmergencyDecision(1),
                day("2024-04-15"),
                false
            ),
            (
                DeadlineKind::EmergencyInvestigationPlan,
                DeadlineSubject::EmergencyDecision(1),
                day("2024-04-15"),
                false
            ),
            (
                DeadlineKind::PlanEvaluation,
                DeadlineSubject::Measure(1),
                day("2024-06-04"),
                false
            ),
            (
                DeadlineKind::Investigation,
                DeadlineSubject::Investigation,
                day("2024-06-11"),
                false
            ),
        ]
    );
    // 48 hours after the decision at 09:00 UTC on 4 March.
    assert!(
        deadlines::open_case_deadlines(&state, &rules, at("2024-03-06T09:00:00Z"))
            .iter()
            .any(|d| d.kind == DeadlineKind::EmergencyApproval && d.breached)
    );
}

#[test]
fn foster_home_visits_stay_quarterly_until_the_service_decides_otherwise() {
    let rules = RuleBook::norwegian();
    let mut events = vec![case_opened(1, dismissal(false), true)];
    events.push(CaseEvent::BoardProposalSent {
        kind: case::BoardProposalKind::CareOrder,
        grounds: text("g"),
        at: received_at(),
    });
    events.push(CaseEvent::BoardDecided {
        kind: case::BoardProposalKind::CareOrder,
        outcome: case::BoardOutcome::Granted,
        decided_on: day("2024-03-05"),
        at: received_at(),
    });
    events.push(CaseEvent::CarePlanMade {
        in_family_network: false,
        placement: case::CarePlacement::FosterHome,
        placed_on: day("2024-03-05"),
        plan: text("p"),
        at: received_at(),
    });
    let state = events.iter().fold(CaseState::default(), case::evolve);
    let due = |state: &CaseState, kind: DeadlineKind| {
        deadlines::open_case_deadlines(state, &rules, now())
            .into_iter()
            .find(|d| d.kind == kind)
            .map(|d| d.due.last_day)
    };
    assert_eq!(
        due(&state, DeadlineKind::FollowUpVisit),
        Some(day("2024-06-05"))
    );
    assert_eq!(
        due(&state, DeadlineKind::SupervisionVisit),
        Some(day("2024-06-05"))
    );
    // Two years on, still every three months: a reduction is a decision, never time alone.
    let later = case::evolve(
        state,
        &CaseEvent::FollowUpVisitRecorded {
            visited_on: day("2026-03-10"),
            at: at("2026-03-10T10:00:00Z"),
        },
    );
    assert_eq!(
        due(&later, DeadlineKind::FollowUpVisit),
        Some(day("2026-06-10"))
    );
    let reduced = case::evolve(
        later,
        &CaseEvent::VisitRateDecided {
            visits: case::VisitKind::FollowUp,
            per_year: 2,
            reasons: text("Stable placement; the child thrives"),
            at: at("2026-03-11T10:00:00Z"),
        },
    );
    assert_eq!(
        due(&reduced, DeadlineKind::FollowUpVisit),
        Some(day("2026-09-10"))
    );
    // The supervisor's visits keep their own rate.
    assert_eq!(
        due(&reduced, DeadlineKind::SupervisionVisit),
        Some(day("2024-06-05"))
    );
}

#[test]
fn the_act_switch_gives_each_report_its_own_rules() {
    let rules = RuleBook::norwegian();
    let old = rules.for_received_on(day("2022-12-31")).unwrap();
    let new = rules.for_received_on(day("2023-01-01")).unwrap();
    assert_ne!(old.act, new.act);
    assert!(!old.investigation_plan_required && new.investigation_plan_required);
    assert!(old.screening.legal_reference.contains("§ 4-2"));
    assert!(new.screening.legal_reference.contains("§ 2-1"));
}

#[test]
fn stored_events_round_trip_with_type_and_version() {
    use crate::StoredEvent;
    for event in investigating_with_plan() {
        let payload = event.to_payload();
        let back = CaseEvent::from_stored(event.event_type(), 1, &payload).unwrap();
        assert_eq!(back, event);
        assert!(CaseEvent::from_stored(event.event_type(), 2, &payload).is_err());
    }
    let received = report_received(public_reporter(), vec![anna()]);
    let payload = received.to_payload();
    // The payload holds the whole number (the store needs it); printing never does.
    assert!(
        payload
            .to_string()
            .contains(anna().national_identity_number().unwrap().expose_digits())
    );
    assert_eq!(
        ReportEvent::from_stored("ReportReceived", 1, &payload).unwrap(),
        received
    );
    assert!(ReportEvent::from_stored("ReportScreened", 1, &payload).is_err());
}
