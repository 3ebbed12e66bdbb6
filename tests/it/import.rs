//! A service's history loaded from a file (`vern::import`), over the wire into the real
//! server: the example file imports into the same events as the same history sent as
//! commands, a second run writes nothing, and a refused line is named with its line number and
//! field while the others go in.

use api::common::v1 as common;
use api::feedback::v1 as feedback;
use api::intake::v1 as intake;
use api::investigation::v1 as investigation;
use tests::{Bearer, TestApp};

const EXAMPLE: &str = include_str!("../../proto/vern/history/v1/example.jsonl");

const LATE: &str = "Imported from the service's previous case system.";

/// The example's line ids, in order.
fn line_id(n: u32) -> String {
    format!("0b6f4a52-8f0e-4c1e-9a43-0f0c3e5d1a{n:02}")
}

async fn import(app: &TestApp, text: &str) -> vern::import::Summary {
    vern::import::import(
        app.address,
        &app.key,
        text,
        &vern::import::Options::default(),
        |_, _| {},
    )
    .await
    .expect("the import runs")
}

fn token(app: &TestApp, subject: &str, role: &str) -> Bearer {
    Bearer::new(app.key.issue(&platform::auth::Claims::new(
        subject,
        role,
        vec!["5035".into()],
        tests::now(),
        3600,
    )))
}

/// The example's history as a client sends it: the same requests, typed, with the same
/// command ids and actors.
async fn send_the_example_as_commands(app: &TestApp) {
    let caseworker = token(app, "mottak-1", "caseworker");
    let intake_as = |bearer: Bearer| {
        api::intake::v1::intake_service_client::IntakeServiceClient::with_interceptor(
            app.channel(),
            bearer,
        )
    };
    let submitted = intake_as(caseworker.clone())
        .submit_report(intake::SubmitReportRequest {
            command_id: line_id(1),
            municipality: "5035".into(),
            received_at: crate::some_ts("2021-03-01T09:00:00Z"),
            reporter: Some(crate::public_reporter()),
            children: vec![common::Child {
                identity: Some(common::child::Identity::NameAndBirthDate(
                    common::NameAndBirthDate {
                        name: "Test Testesen".into(),
                        birth_date: "2016-05-17".into(),
                    },
                )),
            }],
            concerns: vec![intake::ConcernCategory::Neglect as i32],
            summary: "Synthetic history: the child often comes to kindergarten hungry.".into(),
            urgency: common::Urgency::Yellow as i32,
            late_reason: LATE.into(),
        })
        .await
        .expect("submitted")
        .into_inner();
    let report_id = submitted.report_id;
    intake_as(token(app, "leder-1", "team_leader"))
        .assign_report(intake::AssignReportRequest {
            command_id: line_id(2),
            report_id: report_id.clone(),
            team: "Mottak".into(),
            caseworker: "mottak-1".into(),
            decided_at: crate::some_ts("2021-03-01T10:00:00Z"),
            late_reason: LATE.into(),
        })
        .await
        .expect("assigned");
    let screened = intake_as(caseworker.clone())
        .screen_report(intake::ScreenReportRequest {
            command_id: line_id(3),
            report_id: report_id.clone(),
            children: vec![intake::ChildScreening {
                child_index: 0,
                outcome: Some(intake::child_screening::Outcome::InvestigationOpened(
                    intake::InvestigationOpened {},
                )),
                urgency: common::Urgency::Yellow as i32,
                ..Default::default()
            }],
            decided_at: crate::some_ts("2021-03-05T10:00:00Z"),
            late_reason: LATE.into(),
            ..Default::default()
        })
        .await
        .expect("screened")
        .into_inner();
    let case_id = screened.cases[0].case_id.clone();
    let mut feedback =
        api::feedback::v1::feedback_service_client::FeedbackServiceClient::with_interceptor(
            app.channel(),
            caseworker.clone(),
        );
    let letter = |kind: feedback::LetterKind, case_id: &str| feedback::Letter {
        kind: kind as i32,
        case_id: case_id.to_owned(),
    };
    feedback
        .mark_letters_sent(feedback::MarkLettersSentRequest {
            command_id: line_id(4),
            report_id: report_id.clone(),
            letters: vec![
                letter(feedback::LetterKind::Receipt, ""),
                letter(feedback::LetterKind::InvestigationOutcome, ""),
            ],
            sent_at: crate::some_ts("2021-03-08T12:00:00Z"),
            late_reason: LATE.into(),
        })
        .await
        .expect("letters sent");
    let mut investigation =
        api::investigation::v1::investigation_service_client::InvestigationServiceClient::with_interceptor(
            app.channel(),
            caseworker.clone(),
        );
    investigation
        .start_investigation(investigation::StartInvestigationRequest {
            command_id: line_id(5),
            case_id: case_id.clone(),
            themes: "Care at home; the child's nutrition.".into(),
            planned_activities: vec![investigation::Activity {
                kind: investigation::ActivityKind::HomeVisit as i32,
                ..Default::default()
            }],
            decided_at: crate::some_ts("2021-03-10T09:00:00Z"),
            late_reason: LATE.into(),
        })
        .await
        .expect("started");
    investigation
        .record_activity(investigation::RecordActivityRequest {
            command_id: line_id(6),
            case_id: case_id.clone(),
            activity: Some(investigation::Activity {
                kind: investigation::ActivityKind::HomeVisit as i32,
                ..Default::default()
            }),
            held_on: "2021-03-20".into(),
            summary: "Synthetic visit: the home was calm.".into(),
            decided_at: crate::some_ts("2021-03-20T14:00:00Z"),
            late_reason: LATE.into(),
        })
        .await
        .expect("activity");
    investigation
        .conclude_investigation(investigation::ConcludeInvestigationRequest {
            command_id: line_id(7),
            case_id: case_id.clone(),
            outcome: investigation::ConclusionOutcome::DismissedOnAssessment as i32,
            reasons: "The concern was not confirmed.".into(),
            decided_at: crate::some_ts("2021-05-20T11:00:00Z"),
            late_reason: LATE.into(),
            ..Default::default()
        })
        .await
        .expect("concluded");
    feedback
        .mark_letters_sent(feedback::MarkLettersSentRequest {
            command_id: line_id(8),
            report_id,
            letters: vec![letter(feedback::LetterKind::Conclusion, &case_id)],
            sent_at: crate::some_ts("2021-05-25T12:00:00Z"),
            late_reason: LATE.into(),
        })
        .await
        .expect("conclusion letter sent");
}

/// Every stream's events as (stream, type, payload), in the log's order per stream.
async fn the_log(app: &TestApp) -> Vec<(String, String, serde_json::Value)> {
    let streams: Vec<String> =
        sqlx::query_scalar("select stream_id from streams order by stream_id")
            .fetch_all(app.db.pool())
            .await
            .expect("streams");
    let mut log = Vec::new();
    for stream in streams {
        for event in app
            .store
            .read_stream(&stream, 1, 1000)
            .await
            .expect("events")
        {
            log.push((stream.clone(), event.event_type, event.payload));
        }
    }
    log
}

#[tokio::test]
async fn an_imported_history_is_the_same_history_sent_as_commands_and_a_rerun_writes_nothing() {
    let imported = TestApp::spawn().await;
    let summary = import(&imported, EXAMPLE).await;
    assert_eq!(
        (summary.lines, summary.imported, summary.already_imported),
        (8, 8, 0),
        "{:?}",
        summary.refused
    );
    assert!(summary.refused.is_empty(), "{:?}", summary.refused);

    let sent = TestApp::spawn().await;
    send_the_example_as_commands(&sent).await;
    let log = the_log(&imported).await;
    assert_eq!(log.len(), 10, "{log:?}");
    assert_eq!(log, the_log(&sent).await);

    // A second run, as after a crash: every line answered with its first result.
    let events = imported.event_count().await;
    let again = import(&imported, EXAMPLE).await;
    assert_eq!((again.imported, again.already_imported), (0, 8));
    assert_eq!(
        imported.event_count().await,
        events,
        "a rerun writes nothing"
    );
}

#[tokio::test]
async fn a_refused_line_is_named_with_its_number_and_field_and_the_others_go_in() {
    let app = TestApp::spawn().await;
    let lines: Vec<&str> = EXAMPLE.lines().collect();
    // The report's line with its children taken away, the assignment kept: the screening
    // and everything after depend on the refused line.
    let broken = lines[0].replace(
        r#""children": [{"name_and_birth_date": {"name": "Test Testesen", "birth_date": "2016-05-17"}}]"#,
        r#""children": []"#,
    );
    assert_ne!(broken, lines[0]);
    let another_report = r#"{"id": "5d0a3b1e-2f7c-4b8e-8a55-7c3f1e9d2b10", "method": "IntakeService/SubmitReport", "actor": {"subject": "mottak-1", "role": "caseworker", "municipalities": ["5035"]}, "request": {"municipality": "5035", "received_at": "2022-02-01T09:00:00Z", "reporter": {"anonymous": {}}, "children": [{"name_and_birth_date": {"name": "Ola Testesen", "birth_date": "2018-01-02"}}], "concerns": ["CONCERN_CATEGORY_NEGLECT"], "summary": "Synthetic history: a second report.", "urgency": "URGENCY_GREEN"}}"#;
    let file = [
        broken.as_str(),
        lines[1],
        lines[2],
        "this is not JSON",
        another_report,
    ]
    .join("\n");
    let summary = import(&app, &file).await;
    assert_eq!((summary.lines, summary.imported), (5, 1), "{summary:?}");
    let refused: Vec<(usize, Vec<String>, &str)> = summary
        .refused
        .iter()
        .map(|refusal| {
            (
                refusal.line,
                refusal
                    .problems
                    .iter()
                    .map(|(field, _)| field.clone())
                    .collect(),
                refusal.rule,
            )
        })
        .collect();
    assert_eq!(
        refused,
        [
            (1, vec!["request.children".to_owned()], "a field's value"),
            (2, vec![String::new()], "an earlier line it depends on"),
            (3, vec![String::new()], "an earlier line it depends on"),
            (4, vec![String::new()], "the line's format"),
        ]
    );
    assert!(
        summary.refused[1].problems[0]
            .1
            .contains(&format!("line:{}", line_id(1))),
        "{:?}",
        summary.refused[1]
    );
    assert_eq!(app.event_count().await, 1, "only the second report went in");
}
