//! Two clocks over the wire: a step dated back (`decided_at`) is judged on the day it was
//! taken, by the worklist, the letters owed, the statistics and the timeline, which also shows
//! when it was entered; a date in the future, before the case's latest step, or far back
//! without a reason is refused, naming its field, and writes nothing.

use api::common::v1 as common;
use api::feedback::v1 as feedback;
use api::intake::v1 as intake;
use api::investigation::v1 as investigation;
use api::worklist::v1 as worklist;
use tests::TestApp;
use tonic::Code;
use tonic_types::StatusExt as _;

use crate::{
    at, child, command_id, open_investigation, public_reporter, report, screen,
    start_investigation, submit, ts,
};

/// A public report about child `seed`, received 2024-03-04 10:00 (Oslo), screened into an
/// investigation the next day and started the day after: the case id. The investigation's
/// three months count from the end of the screening week, 2024-03-11, to 2024-06-11.
async fn investigated_case(app: &TestApp, seed: u32) -> String {
    app.set_now(at("2024-03-04T09:00:00Z"));
    let report_id = submit(app, report(vec![child(seed)], public_reporter())).await;
    app.set_now(at("2024-03-05T09:00:00Z"));
    let case_id = screen(app, &report_id, vec![open_investigation(0)])
        .await
        .remove(0);
    app.set_now(at("2024-03-06T09:00:00Z"));
    start_investigation(app, &case_id).await;
    case_id
}

fn conclusion(
    case_id: &str,
    decided_at: Option<&str>,
    late_reason: &str,
) -> investigation::ConcludeInvestigationRequest {
    investigation::ConcludeInvestigationRequest {
        command_id: command_id(),
        case_id: case_id.to_owned(),
        outcome: investigation::ConclusionOutcome::MeasuresDecided as i32,
        reasons: "Parental guidance will help the family.".into(),
        decided_at: decided_at.map(ts),
        late_reason: late_reason.into(),
        ..Default::default()
    }
}

async fn conclude(
    app: &TestApp,
    request: investigation::ConcludeInvestigationRequest,
) -> Result<common::WriteResult, tonic::Status> {
    app.investigation()
        .conclude_investigation(request)
        .await
        .map(tonic::Response::into_inner)
}

/// The field the refusal names, after checking it is INVALID_ARGUMENT.
fn refused_field(result: Result<common::WriteResult, tonic::Status>) -> (String, String) {
    let status = result.expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let violations = status
        .get_details_bad_request()
        .expect("BadRequest details")
        .field_violations;
    assert_eq!(violations.len(), 1, "{violations:?}");
    (
        violations[0].field.clone(),
        violations[0].description.clone(),
    )
}

#[tokio::test]
async fn a_back_dated_conclusion_is_judged_on_the_day_it_was_made() {
    let app = TestApp::spawn().await;
    let dated = investigated_case(&app, 41).await;
    let undated = investigated_case(&app, 42).await;

    // Entered on 14 June, three days past the deadline: one concluded on 10 June (signed
    // then, entered late), one concluded on the 14th.
    app.set_now(at("2024-06-14T10:00:00Z"));
    conclude(&app, conclusion(&dated, Some("2024-06-10T11:00:00Z"), ""))
        .await
        .expect("a conclusion dated four days back needs no reason");
    let last = conclude(&app, conclusion(&undated, None, ""))
        .await
        .expect("concluded now")
        .position
        .expect("position");

    // The statistics count only the undated one as concluded after its deadline.
    let rows = app
        .worklist()
        .get_statistics(worklist::GetStatisticsRequest {
            counting: 0,
            effective_view: false,
            year: 2024,
            period: worklist::PeriodKind::Quarter as i32,
            number: 2,
            as_of: Some(ts("2024-06-20T12:00:00Z")),
            min_position: Some(last),
            municipalities: vec!["5035".into()],
        })
        .await
        .expect("statistics")
        .into_inner()
        .rows;
    assert_eq!(
        (
            rows[0].investigations_concluded,
            rows[0].investigation_breaches
        ),
        (2, 1),
        "{rows:?}"
    );

    // The conclusion letter is due three weeks from the day each was concluded.
    let items = crate::worklist_items(
        &app,
        worklist::ListCasesNeedingReviewRequest {
            as_of: Some(ts("2024-06-14T12:00:00Z")),
            all_running: true,
            min_position: Some(last),
            ..Default::default()
        },
    )
    .await;
    let letter_due = |case_id: &str| {
        items
            .iter()
            .find(|item| item.kind == "conclusion_letter" && item.case_id == case_id)
            .map(|item| item.due_on.clone())
    };
    assert_eq!(letter_due(&dated).as_deref(), Some("2024-07-01"));
    assert_eq!(letter_due(&undated).as_deref(), Some("2024-07-05"));
    assert!(
        !items.iter().any(|item| item.kind == "investigation"),
        "no investigation runs: {items:?}"
    );

    // The timeline shows both times and marks the late entry.
    let timeline = app
        .worklist()
        .get_case_timeline(worklist::GetCaseTimelineRequest {
            case_id: dated.clone(),
            min_position: Some(last),
            ..Default::default()
        })
        .await
        .expect("timeline")
        .into_inner()
        .entries;
    let concluded = timeline
        .iter()
        .find(|entry| entry.event_type == "InvestigationConcluded")
        .expect("the conclusion is on the timeline");
    assert_eq!(concluded.occurred_at, Some(ts("2024-06-10T11:00:00Z")));
    assert_eq!(concluded.recorded_at, Some(ts("2024-06-14T10:00:00Z")));
    assert!(concluded.recorded_late);
    assert_eq!(concluded.days_late, 4);
    let started = timeline
        .iter()
        .find(|entry| entry.event_type == "InvestigationStarted")
        .expect("the start is on the timeline");
    assert!(!started.recorded_late);
    assert_eq!(started.days_late, 0);
}

#[tokio::test]
async fn a_step_is_not_dated_into_the_future_before_its_case_or_far_back_without_a_reason() {
    let app = TestApp::spawn().await;
    let case_id = investigated_case(&app, 43).await;
    app.set_now(at("2024-03-26T10:00:00Z"));
    let before = app.event_count().await;

    let (field, why) =
        refused_field(conclude(&app, conclusion(&case_id, Some("2024-03-26T10:00:01Z"), "")).await);
    assert_eq!(field, "decided_at");
    assert!(why.contains("is in the future"), "{why}");

    // The investigation started on 6 March at 09:00 UTC.
    let (field, why) =
        refused_field(conclude(&app, conclusion(&case_id, Some("2024-03-06T08:59:59Z"), "")).await);
    assert_eq!(field, "decided_at");
    assert!(why.contains("is before the step it follows"), "{why}");

    // 17 days back: only with a reason.
    let (field, why) =
        refused_field(conclude(&app, conclusion(&case_id, Some("2024-03-09T10:00:00Z"), "")).await);
    assert_eq!(field, "late_reason");
    assert!(why.contains("more than 7 days back"), "{why}");

    let (field, why) =
        refused_field(conclude(&app, conclusion(&case_id, None, "Signed on paper.")).await);
    assert_eq!(field, "late_reason");
    assert!(why.contains("give decided_at too"), "{why}");
    assert_eq!(app.event_count().await, before, "a refusal writes nothing");

    let written = conclude(
        &app,
        conclusion(
            &case_id,
            Some("2024-03-09T10:00:00Z"),
            "Signed on paper during the outage.",
        ),
    )
    .await
    .expect("dated back with a reason");
    let stream = format!("case-{case_id}");
    let events = app
        .store
        .read_stream(&stream, 1, 100)
        .await
        .expect("the case's events");
    let last = events.last().expect("the conclusion");
    assert_eq!(last.event_type, "InvestigationConcluded");
    assert_eq!(last.payload["at"], "2024-03-09T10:00:00Z");
    assert_eq!(
        last.metadata.recorded_at,
        Some(at("2024-03-26T10:00:00Z")),
        "when it was entered is kept beside it"
    );
    assert_eq!(
        last.metadata.late_reason.as_deref(),
        Some("Signed on paper during the outage.")
    );
    assert_eq!(written.version, last.stream_version);
}

#[tokio::test]
async fn a_report_received_more_than_a_week_before_it_is_entered_says_why() {
    let app = TestApp::spawn().await;
    app.set_now(at("2024-03-20T10:00:00Z"));
    let late = || intake::SubmitReportRequest {
        received_at: Some(ts("2024-03-08T09:00:00Z")),
        ..report(vec![child(44)], public_reporter())
    };
    let status = app
        .intake()
        .submit_report(late())
        .await
        .expect_err("a late report without a reason");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(status.message().contains("late_reason"), "{status:?}");

    let entered = app
        .intake()
        .submit_report(intake::SubmitReportRequest {
            late_reason: "The letter lay in the wrong mailbox.".into(),
            ..late()
        })
        .await
        .expect("entered with its reason")
        .into_inner();
    // Its screening week ran out on 15 March: breached from the moment it is entered.
    let items = crate::worklist_items(
        &app,
        worklist::ListCasesNeedingReviewRequest {
            as_of: Some(ts("2024-03-20T10:00:01Z")),
            min_position: entered.result.and_then(|result| result.position),
            ..Default::default()
        },
    )
    .await;
    let screening = items
        .iter()
        .find(|item| item.kind == "screening" && item.report_id == entered.report_id)
        .expect("its screening is on the worklist");
    assert_eq!(screening.due_on, "2024-03-15");
    assert!(screening.breached);
}

/// The worklist's items at `as_of`, asked as known then or with all known now: (kind, report
/// or case id, due on, breached).
async fn worklist_at(
    app: &TestApp,
    as_of: &str,
    effective_view: bool,
) -> Vec<(String, String, String, bool)> {
    crate::worklist_items(
        app,
        worklist::ListCasesNeedingReviewRequest {
            as_of: Some(ts(as_of)),
            all_running: true,
            effective_view,
            ..Default::default()
        },
    )
    .await
    .into_iter()
    .map(|item| {
        let subject = if item.case_id.is_empty() {
            item.report_id
        } else {
            item.case_id
        };
        (item.kind, subject, item.due_on, item.breached)
    })
    .collect()
}

async fn statistics_at(
    app: &TestApp,
    quarter: u32,
    as_of: &str,
    effective_view: bool,
) -> worklist::StatisticsRow {
    app.worklist()
        .get_statistics(worklist::GetStatisticsRequest {
            counting: 0,
            year: 2024,
            period: worklist::PeriodKind::Quarter as i32,
            number: quarter,
            as_of: Some(ts(as_of)),
            municipalities: vec!["5035".into()],
            effective_view,
            ..Default::default()
        })
        .await
        .expect("statistics")
        .into_inner()
        .rows
        .remove(0)
}

#[tokio::test]
async fn as_of_answers_with_what_was_known_then_unless_the_effective_view_is_asked() {
    let app = TestApp::spawn().await;
    // Received on 8 March, entered on 20 March.
    app.set_now(at("2024-03-20T10:00:00Z"));
    let entered = app
        .intake()
        .submit_report(intake::SubmitReportRequest {
            received_at: Some(ts("2024-03-08T09:00:00Z")),
            late_reason: "The letter lay in the wrong mailbox.".into(),
            ..report(vec![child(45)], public_reporter())
        })
        .await
        .expect("entered late")
        .into_inner();
    let report_id = entered.report_id.clone();
    crate::views_current(&app, entered.result.and_then(|result| result.position)).await;

    // On 15 March nobody knew of it; with all known now, its screening ran that day.
    let before = "2024-03-15T12:00:00Z";
    let then = worklist_at(&app, before, false).await;
    assert!(
        !then.iter().any(|item| item.1 == report_id),
        "not known on 15 March: {then:?}"
    );
    let now = worklist_at(&app, before, true).await;
    assert!(
        now.contains(&(
            "screening".into(),
            report_id.clone(),
            "2024-03-15".into(),
            false
        )),
        "{now:?}"
    );
    assert_eq!(
        statistics_at(&app, 1, before, false).await.reports_received,
        0
    );
    assert_eq!(
        statistics_at(&app, 1, before, true).await.reports_received,
        1
    );
    let after = statistics_at(&app, 1, "2024-03-31T12:00:00Z", false).await;
    assert_eq!(after.reports_received, 1, "known by the end of the quarter");
    assert_eq!(
        (
            after.steps_recorded_late,
            after.days_late_total,
            after.days_late_max
        ),
        (1, 12, 12),
        "one step entered 12 days late"
    );
    let awaiting = |effective_view: bool| {
        let app = &app;
        async move {
            app.worklist()
                .get_caseload(worklist::GetCaseloadRequest {
                    municipalities: vec!["5035".into()],
                    as_of: Some(ts(before)),
                    effective_view,
                    ..Default::default()
                })
                .await
                .expect("caseload")
                .into_inner()
                .rows
                .iter()
                .map(|row| row.reports_awaiting_screening)
                .sum::<i64>()
        }
    };
    assert_eq!((awaiting(false).await, awaiting(true).await), (0, 1));
    let owed = |effective_view: bool| {
        let app = &app;
        let report_id = report_id.clone();
        async move {
            app.feedback()
                .get_letters_owed(feedback::GetLettersOwedRequest {
                    report_id,
                    as_of: Some(ts(before)),
                    effective_view,
                })
                .await
                .expect("letters owed")
                .into_inner()
                .letters
                .len()
        }
    };
    assert_eq!((owed(false).await, owed(true).await), (0, 2));
}

#[tokio::test]
async fn a_back_dated_conclusion_changes_the_past_only_in_the_effective_view() {
    let app = TestApp::spawn().await;
    let case_id = investigated_case(&app, 46).await;
    app.set_now(at("2024-06-14T10:00:00Z"));
    let concluded = conclude(&app, conclusion(&case_id, Some("2024-06-10T11:00:00Z"), ""))
        .await
        .expect("concluded, dated back");
    crate::views_current(&app, concluded.position).await;

    // On 12 June the list showed the investigation breached (its last day was 11 June); with
    // all known now, it was concluded on the 10th and its letter is owed.
    let between = "2024-06-12T12:00:00Z";
    let then = worklist_at(&app, between, false).await;
    assert!(
        then.contains(&(
            "investigation".into(),
            case_id.clone(),
            "2024-06-11".into(),
            true
        )),
        "{then:?}"
    );
    assert!(
        !then.iter().any(|item| item.0 == "conclusion_letter"),
        "{then:?}"
    );
    let now = worklist_at(&app, between, true).await;
    assert!(!now.iter().any(|item| item.0 == "investigation"), "{now:?}");
    assert!(
        now.iter()
            .any(|item| item.0 == "conclusion_letter" && item.2 == "2024-07-01"),
        "{now:?}"
    );
    assert_eq!(
        statistics_at(&app, 2, between, false)
            .await
            .investigations_concluded,
        0
    );
    assert_eq!(
        statistics_at(&app, 2, between, true)
            .await
            .investigations_concluded,
        1
    );

    let findings = |effective_view: bool| {
        let app = &app;
        async move {
            app.worklist()
                .list_registry_findings(worklist::ListRegistryFindingsRequest {
                    municipality: "5035".into(),
                    as_of: Some(ts(between)),
                    effective_view,
                    ..Default::default()
                })
                .await
                .expect("findings")
                .into_inner()
                .findings
                .into_iter()
                .map(|finding| finding.rule)
                .collect::<Vec<_>>()
        }
    };
    let (then, now) = (findings(false).await, findings(true).await);
    assert!(
        then.contains(&"Undersøkelse Kontroll 11".to_owned()),
        "{then:?}"
    );
    assert!(
        !now.contains(&"Undersøkelse Kontroll 11".to_owned()),
        "{now:?}"
    );
    assert!(
        now.contains(&"Undersøkelse Kontroll 7".to_owned()),
        "{now:?}"
    );
}

/// Steps dated back, for the views' rebuild test: a report entered twelve days late and
/// screened three days back, and an investigation concluded four days back, each closing
/// rows that were believed open. The position of the last command.
pub(crate) async fn back_dated_history(app: &TestApp) -> common::Position {
    app.set_now(at("2024-03-20T10:00:00Z"));
    let report_id = submit(
        app,
        intake::SubmitReportRequest {
            received_at: Some(ts("2024-03-08T09:00:00Z")),
            late_reason: "The letter lay in the wrong mailbox.".into(),
            ..report(vec![child(48)], public_reporter())
        },
    )
    .await;
    app.set_now(at("2024-03-25T10:00:00Z"));
    app.intake()
        .screen_report(intake::ScreenReportRequest {
            command_id: command_id(),
            report_id,
            children: vec![crate::dismiss(0)],
            decided_at: Some(ts("2024-03-22T10:00:00Z")),
            ..Default::default()
        })
        .await
        .expect("screened, dated back");
    let case_id = investigated_case(app, 49).await;
    app.set_now(at("2024-06-14T10:00:00Z"));
    conclude(app, conclusion(&case_id, Some("2024-06-10T11:00:00Z"), ""))
        .await
        .expect("concluded, dated back")
        .position
        .expect("position")
}

#[tokio::test]
async fn the_steps_entered_late_are_listed_for_the_leaders_longest_delay_first() {
    let app = TestApp::spawn().await;
    let last = back_dated_history(&app).await;
    let leader = app.key.issue(&platform::auth::Claims::new(
        "leder-1",
        "service_leader",
        vec!["5035".into()],
        tests::now(),
        3600,
    ));
    let mut worklist =
        api::worklist::v1::worklist_service_client::WorklistServiceClient::with_interceptor(
            app.channel(),
            tests::Bearer::new(leader),
        );
    let listed = worklist
        .list_late_entries(worklist::ListLateEntriesRequest {
            first_day: "2024-01-01".into(),
            last_day: "2024-06-30".into(),
            min_position: Some(last),
            ..Default::default()
        })
        .await
        .expect("late entries")
        .into_inner();
    let entries: Vec<(String, u32)> = listed
        .entries
        .iter()
        .map(|entry| (entry.step.clone(), entry.days_late))
        .collect();
    // Received 8 March, entered 20 March; screened 22 March, entered 25 March; concluded 10
    // June, entered 14 June.
    assert_eq!(
        entries,
        [
            ("ReportReceived".to_owned(), 12),
            ("InvestigationConcluded".to_owned(), 4),
            ("ReportScreened".to_owned(), 3),
        ]
    );
    assert_eq!(
        (listed.steps, listed.days_late_total, listed.days_late_max),
        (3, 19, 12)
    );
    let at_least_a_week = worklist
        .list_late_entries(worklist::ListLateEntriesRequest {
            first_day: "2024-01-01".into(),
            last_day: "2024-06-30".into(),
            min_days_late: 7,
            ..Default::default()
        })
        .await
        .expect("late entries")
        .into_inner();
    assert_eq!(at_least_a_week.steps, 1);

    // A caseworker works cases; the list of late entries is the leaders'.
    let refused = app
        .worklist()
        .list_late_entries(worklist::ListLateEntriesRequest {
            first_day: "2024-01-01".into(),
            last_day: "2024-06-30".into(),
            ..Default::default()
        })
        .await
        .expect_err("a caseworker is refused");
    assert_eq!(refused.code(), Code::PermissionDenied);
}
