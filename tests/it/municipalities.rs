//! Municipality numbers valid on the day: a report received in 2022 names the number of 2022
//! (Drammen, 3005), the reform's successor (3301) is refused for that day and the old number
//! for today, each naming the right one; and the old number's report counts under the new
//! number in lists and statistics, and is reached by who serves the new.

use api::intake::v1 as intake;
use api::worklist::v1 as worklist;
use tests::{Bearer, TestApp};
use tonic::Code;

use crate::{child, public_reporter, report};

fn serving(app: &TestApp, municipality: &str) -> Bearer {
    Bearer::new(app.key.issue(&platform::auth::Claims::new(
        "saksbehandler-drammen",
        "caseworker",
        vec![municipality.to_owned()],
        tests::now(),
        3600,
    )))
}

#[tokio::test]
async fn a_report_names_the_number_of_its_day_and_counts_under_the_number_of_today() {
    let app = TestApp::spawn().await;
    app.set_now(
        chrono::DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc),
    );
    let drammen = serving(&app, "3301");
    let mut intake = api::intake::v1::intake_service_client::IntakeServiceClient::with_interceptor(
        app.channel(),
        drammen.clone(),
    );
    let received = |municipality: &str, at: &str| intake::SubmitReportRequest {
        municipality: municipality.into(),
        received_at: crate::some_ts(at),
        late_reason: "Moved from the previous case system.".into(),
        ..report(vec![child(61)], public_reporter())
    };

    let refused = |status: tonic::Status| {
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        status.message().to_owned()
    };
    let early = intake
        .submit_report(received("3301", "2022-06-01T09:00:00Z"))
        .await
        .expect_err("3301 was not Drammen's number in 2022");
    assert!(refused(early).contains(
        "municipality 3301 is in force from 2024-01-01; on 2022-06-01 the number was 3005"
    ),);
    let retired = intake
        .submit_report(intake::SubmitReportRequest {
            received_at: None,
            late_reason: String::new(),
            ..received("3005", "2026-12-01T10:00:00Z")
        })
        .await
        .expect_err("3005 is retired");
    assert!(
        refused(retired).contains(
            "municipality 3005 was retired on 2024-01-01; from then it is 3301 (Drammen)"
        ),
    );
    let submitted = intake
        .submit_report(received("3005", "2022-06-01T09:00:00Z"))
        .await
        .expect("a report of 2022 names 2022's number")
        .into_inner();
    let position = submitted.result.and_then(|result| result.position);
    crate::views_current(&app, position).await;

    // Drammen's caseworker of today reaches it; one of another municipality does not.
    let reached = intake
        .get_report(intake::GetReportRequest {
            report_id: submitted.report_id.clone(),
            ..Default::default()
        })
        .await
        .expect("reached under today's number")
        .into_inner();
    assert_eq!(
        reached.municipality, "3005",
        "the report keeps the number of its day"
    );
    let other = app
        .intake()
        .get_report(intake::GetReportRequest {
            report_id: submitted.report_id.clone(),
            ..Default::default()
        })
        .await
        .expect_err("a caseworker of Stjørdal does not reach Drammen's report");
    assert_eq!(other.code(), Code::PermissionDenied);

    // Listed and counted under 3301, whichever number the query names.
    let mut lists =
        api::worklist::v1::worklist_service_client::WorklistServiceClient::with_interceptor(
            app.channel(),
            drammen,
        );
    for asked in ["3301", "3005"] {
        let items = lists
            .list_cases_needing_review(worklist::ListCasesNeedingReviewRequest {
                municipalities: vec![asked.into()],
                as_of: crate::some_ts("2022-06-02T12:00:00Z"),
                all_running: true,
                effective_view: true,
                ..Default::default()
            })
            .await
            .expect("worklist")
            .into_inner()
            .items;
        let screening = items
            .iter()
            .find(|item| item.kind == "screening" && item.report_id == submitted.report_id)
            .unwrap_or_else(|| panic!("asked for {asked}: {items:?}"));
        assert_eq!(screening.municipality, "3301");
        let rows = lists
            .get_statistics(worklist::GetStatisticsRequest {
                municipalities: vec![asked.into()],
                year: 2022,
                period: worklist::PeriodKind::Quarter as i32,
                number: 2,
                ..Default::default()
            })
            .await
            .expect("statistics")
            .into_inner()
            .rows;
        assert_eq!(
            rows.iter()
                .map(|row| (row.municipality.as_str(), row.reports_received))
                .collect::<Vec<_>>(),
            [("3301", 1)],
            "asked for {asked}"
        );
    }
}
