//! Who sees a reporter: the roles that write to reporters see their name and contact; a
//! leader sees only what kind of reporter it was; of an anonymous reporter nothing is stored,
//! so no one sees anything.

use api::intake::v1 as intake;
use api::intake::v1::intake_service_client::IntakeServiceClient;
use platform::auth::Claims;
use tests::{Bearer, TestApp};

use crate::{child, public_reporter, report, submit};

async fn get_as(app: &TestApp, role: &str, report_id: &str) -> intake::Report {
    let token = app.key.issue(&Claims::new(
        "reader-1",
        role,
        vec!["5035".into()],
        tests::now(),
        600,
    ));
    IntakeServiceClient::with_interceptor(app.channel(), Bearer::new(token))
        .get_report(intake::GetReportRequest {
            report_id: report_id.to_owned(),
            purpose: String::new(),
        })
        .await
        .expect("report read")
        .into_inner()
}

#[tokio::test]
async fn a_reporter_is_seen_by_those_who_write_to_them_and_no_one_else() {
    let app = TestApp::spawn().await;
    let named = submit(&app, report(vec![child(90)], public_reporter())).await;
    for role in ["caseworker", "team_leader"] {
        let report = get_as(&app, role, &named).await;
        let reporter = report.reporter.expect(role);
        assert_eq!(
            (
                reporter.name.as_str(),
                reporter.organisation.as_str(),
                reporter.role.as_str()
            ),
            ("Kari Testesen", "Testbyen barnehage", "styrer"),
            "{role}"
        );
    }
    let leader = get_as(&app, "service_leader", &named).await;
    assert_eq!(leader.reporter_kind, "PUBLIC");
    assert_eq!(leader.reporter, None, "a service leader sees the kind only");

    let anonymous = submit(
        &app,
        report(
            vec![child(91)],
            intake::Reporter {
                kind: Some(intake::reporter::Kind::Anonymous(intake::Anonymous {})),
            },
        ),
    )
    .await;
    let report = get_as(&app, "caseworker", &anonymous).await;
    assert_eq!(report.reporter_kind, "ANONYMOUS");
    assert_eq!(report.reporter, None);
    // Nothing of the anonymous reporter is in the stored event either.
    let payload: serde_json::Value = sqlx::query_scalar(
        "select payload from events where stream_id = $1 and event_type = 'ReportReceived'",
    )
    .bind(format!("report-{anonymous}"))
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(payload["reporter"], serde_json::json!("private_anonymous"));
    assert!(payload["details"].get("reporter_contact").is_none());
}
