//! Which act judges a step: the one in force on the day the step was taken or its clock
//! started, not the act of the report (DOMAIN.md, "Which act"). A report received under the
//! 1992 act and screened in 2023 opens an investigation under the 2021 act.

use super::*;
use crate::DomainError;
use crate::case::{
    CaseCommand, CaseEvent, CaseStream, ConclusionOutcome, InvestigationCommand, LifecycleCommand,
};
use crate::report::ScreeningOutcome;
use crate::rules::Act;
use crate::values::Urgency;

/// A report about Anna received at `received`, under the act of that day.
fn received(received: &str) -> crate::case::ReportReference {
    let received_at = at(received);
    crate::case::ReportReference {
        report_id: report_id(),
        received_at,
        act: if received_at < at("2022-12-31T23:00:00Z") {
            Act::ChildWelfareAct1992
        } else {
            Act::ChildWelfareAct2021
        },
    }
}

fn open_investigation(report: crate::case::ReportReference) -> CaseCommand {
    CaseCommand::Lifecycle(LifecycleCommand::OpenFromReport {
        case_id: case_id(1),
        report,
        child: anna(),
        municipality: tromso(),
        outcome: ScreeningOutcome::InvestigationOpened,
        emergency_action: false,
        urgency: Urgency::Yellow,
        assignee: None,
    })
}

fn opened(
    report: crate::case::ReportReference,
    screened: &str,
    counts_from: &str,
) -> Vec<CaseEvent> {
    vec![
        case_opened_with(
            1,
            report,
            ScreeningOutcome::InvestigationOpened,
            false,
            at(screened),
        ),
        CaseEvent::InvestigationOpened {
            report,
            counts_from: day(counts_from),
            at: at(screened),
        },
    ]
}

#[test]
fn the_investigation_clock_starts_under_the_act_in_force_on_the_screening_day() {
    let rows: Vec<CaseRow> = vec![
        Row {
            name: "1992 act: from the screening's day, when it came before the week was out",
            given: Vec::new(),
            now: at("2022-11-03T09:00:00Z"),
            when: open_investigation(received("2022-11-01T09:00:00Z")),
            then: Ok(opened(
                received("2022-11-01T09:00:00Z"),
                "2022-11-03T09:00:00Z",
                "2022-11-03",
            )),
        },
        Row {
            name: "1992 act: from the end of the week, when the screening came later",
            given: Vec::new(),
            now: at("2022-11-10T09:00:00Z"),
            when: open_investigation(received("2022-11-01T09:00:00Z")),
            then: Ok(opened(
                received("2022-11-01T09:00:00Z"),
                "2022-11-10T09:00:00Z",
                "2022-11-08",
            )),
        },
        Row {
            name: "2021 act § 2-2: from the end of the week, however early the screening",
            given: Vec::new(),
            now: at("2024-03-05T09:00:00Z"),
            when: open_investigation(received("2024-03-04T09:00:00Z")),
            then: Ok(opened(
                received("2024-03-04T09:00:00Z"),
                "2024-03-05T09:00:00Z",
                "2024-03-11",
            )),
        },
        Row {
            name: "received under the 1992 act on its last day, screened under the 2021 act",
            given: Vec::new(),
            // 2 January 2023 in Oslo: the new act counts from the end of the week.
            now: at("2023-01-02T09:00:00Z"),
            when: open_investigation(received("2022-12-31T10:00:00Z")),
            then: Ok(opened(
                received("2022-12-31T10:00:00Z"),
                "2023-01-02T09:00:00Z",
                "2023-01-07",
            )),
        },
        Row {
            name: "received and screened on the 1992 act's last day",
            given: Vec::new(),
            now: at("2022-12-31T22:59:00Z"),
            when: open_investigation(received("2022-12-31T10:00:00Z")),
            then: Ok(opened(
                received("2022-12-31T10:00:00Z"),
                "2022-12-31T22:59:00Z",
                "2022-12-31",
            )),
        },
    ];
    run_table(stream_decider::<CaseStream>(), rows);
}

#[test]
fn the_plan_is_required_by_the_act_the_investigation_runs_under() {
    let conclude = CaseCommand::Investigation(InvestigationCommand::Conclude {
        grounds: Vec::new(),
        outcome: ConclusionOutcome::DismissedOnAssessment,
        reasons: text("Assessment done"),
    });
    let done = |at_text: &str| {
        Ok(vec![CaseEvent::InvestigationConcluded {
            grounds: Vec::new(),
            outcome: ConclusionOutcome::DismissedOnAssessment,
            reasons: text("Assessment done"),
            at: at(at_text),
        }])
    };
    let rows: Vec<CaseRow> = vec![
        Row {
            name: "opened under the 1992 act, concluded in 2023 without a plan",
            given: opened(
                received("2022-12-20T09:00:00Z"),
                "2022-12-22T09:00:00Z",
                "2022-12-22",
            ),
            now: at("2023-02-01T09:00:00Z"),
            when: conclude.clone(),
            then: done("2023-02-01T09:00:00Z"),
        },
        Row {
            name: "a 1992-act report opened under the 2021 act needs the plan",
            given: opened(
                received("2022-12-31T10:00:00Z"),
                "2023-01-02T09:00:00Z",
                "2023-01-07",
            ),
            now: at("2023-02-01T09:00:00Z"),
            when: conclude,
            then: Err(DomainError::InvestigationNotStarted),
        },
    ];
    run_table(stream_decider::<CaseStream>(), rows);
}

/// Deadlines and their paragraphs follow the day each clock started: an investigation opened
/// in 2022 keeps the 1992 act's paragraph; an emergency decision made in 2023 in the same case
/// runs under the 2021 act.
#[test]
fn each_deadline_names_the_act_of_the_day_its_clock_started() {
    use crate::case::EmergencyDecisionKind;
    use crate::rules::RuleBook;
    let mut events = opened(
        received("2022-12-20T09:00:00Z"),
        "2022-12-22T09:00:00Z",
        "2022-12-22",
    );
    events.push(CaseEvent::EmergencyDecisionMade {
        number: 1,
        kind: EmergencyDecisionKind::Placement,
        grounds: text("Unsafe"),
        habitually_resident_abroad: false,
        at: at("2023-01-10T09:00:00Z"),
    });
    let state = events
        .iter()
        .fold(crate::case::CaseState::default(), crate::case::evolve);
    let deadlines = crate::deadlines::open_case_deadlines(
        &state,
        &RuleBook::norwegian(),
        at("2023-01-10T10:00:00Z"),
    );
    let references: Vec<_> = deadlines
        .iter()
        .map(|deadline| {
            (
                deadline.due.last_day.to_string(),
                deadline.legal_reference.as_str(),
            )
        })
        .collect();
    assert_eq!(
        references,
        [
            ("2023-03-22".to_owned(), "barnevernloven 1992 § 4-3, § 6-9"),
            (
                "2023-01-12".to_owned(),
                "barnevernsloven 2021 § 4-2 (emergency move), § 4-4 (behaviour institution)"
            ),
            ("2023-02-21".to_owned(), "barnevernsloven 2021 § 4-2"),
            (
                "2023-02-21".to_owned(),
                "barnevernsloven 2021 § 8-2 third paragraph"
            ),
        ]
    );
}
