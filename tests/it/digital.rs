//! Reports from the national portal over the wire: the official examples become reports, every
//! broken rule is answered with feilet.v1 naming its path and stores nothing, a second delivery
//! is a no-op, and no receipt exists for a report whose append failed.

use api::intake::v1 as intake;
use domain::StoredEvent as _;
use domain::report::ReportEvent;
use domain::values::ChildIdentity;
use fiks::samples::{PRIVATE_EXAMPLE, PUBLIC_EXAMPLE, broken};
use tests::TestApp;
use tonic::Code;
use uuid::Uuid;

fn delivery(
    message_type: &str,
    message_id: Uuid,
    body: &[u8],
) -> intake::ImportDigitalReportRequest {
    intake::ImportDigitalReportRequest {
        message_type: message_type.to_owned(),
        message_id: message_id.to_string(),
        body: body.to_vec(),
        urgency: 0,
    }
}

async fn import(
    app: &TestApp,
    request: intake::ImportDigitalReportRequest,
) -> Result<intake::ImportDigitalReportResponse, tonic::Status> {
    app.intake()
        .import_digital_report(request)
        .await
        .map(tonic::Response::into_inner)
}

/// The report's first event as stored.
async fn received_event(app: &TestApp, report_id: &str) -> ReportEvent {
    let events = app
        .store
        .read_stream(&format!("report-{report_id}"), 1, 10)
        .await
        .expect("stream read");
    assert_eq!(events.len(), 1, "one event per received report");
    let event = events.into_iter().next().expect("one event");
    ReportEvent::from_stored(&event.event_type, 1, &event.payload).expect("decodes")
}

#[tokio::test]
async fn the_official_examples_become_reports_and_a_second_delivery_is_a_no_op() {
    let app = TestApp::spawn().await;
    let public_id = Uuid::new_v4();
    let answer = import(
        &app,
        delivery(fiks::PUBLIC_V2, public_id, PUBLIC_EXAMPLE.as_bytes()),
    )
    .await
    .expect("imported");
    assert_eq!(answer.reply_message_type, fiks::RECEIVED_V1);
    assert_eq!(answer.reply_body, "");
    assert!(!answer.duplicate);
    assert!(answer.violations.is_empty());
    let report = app
        .intake()
        .get_report(intake::GetReportRequest {
            purpose: String::new(),
            report_id: answer.report_id.clone(),
        })
        .await
        .expect("the receipt names a stored report")
        .into_inner();
    assert_eq!(
        report.municipality, "4601",
        "1201 Bergen is 4601 since 2020"
    );
    assert_eq!(report.reporter_kind, "PUBLIC");
    // The caseworker, who writes to the reporter, sees who it is and how to reach them.
    let reporter = report
        .reporter
        .as_ref()
        .expect("the reporter, for a caseworker");
    assert_eq!(
        (
            reporter.name.as_str(),
            reporter.organisation.as_str(),
            reporter.phone.as_str(),
            reporter.email.as_str()
        ),
        (
            "Navnesen Navn Mellomnavn",
            "Lærerskolen",
            "99999999",
            "lærer@skole.no"
        )
    );
    assert_eq!(report.children, 2);
    assert_eq!(report.urgency, api::common::v1::Urgency::Yellow as i32);
    match received_event(&app, &answer.report_id).await {
        ReportEvent::ReportReceived {
            children, details, ..
        } => {
            let numbers: Vec<_> = children
                .iter()
                .filter_map(ChildIdentity::national_identity_number)
                .map(|number| number.expose_digits().to_owned())
                .collect();
            assert_eq!(numbers, ["28071364498", "16081688781"]);
            let details = details.expect("details kept");
            assert_eq!(details.guardians.len(), 1);
            let source = details.source.expect("source kept");
            assert_eq!(source.message_id, public_id);
        }
        other => panic!("expected ReportReceived, got {other:?}"),
    }

    let before = app.event_count().await;
    let again = import(
        &app,
        delivery(fiks::PUBLIC_V2, public_id, PUBLIC_EXAMPLE.as_bytes()),
    )
    .await
    .expect("imported again");
    assert_eq!(again.reply_message_type, fiks::RECEIVED_V1);
    assert!(again.duplicate);
    assert_eq!(again.report_id, answer.report_id);
    assert_eq!(
        app.event_count().await,
        before,
        "a duplicate stores nothing"
    );

    // The private example, delivered without a transport id: the body's own id, once.
    let mut request = delivery(fiks::PRIVATE_V2, Uuid::nil(), PRIVATE_EXAMPLE.as_bytes());
    request.message_id.clear();
    let private = import(&app, request.clone()).await.expect("imported");
    assert_eq!(private.reply_message_type, fiks::RECEIVED_V1);
    let report = app
        .intake()
        .get_report(intake::GetReportRequest {
            purpose: String::new(),
            report_id: private.report_id.clone(),
        })
        .await
        .expect("stored")
        .into_inner();
    assert_eq!(
        (
            report.municipality.as_str(),
            report.reporter_kind.as_str(),
            report.children
        ),
        ("4601", "PRIVATE_NAMED", 2)
    );
    match received_event(&app, &private.report_id).await {
        ReportEvent::ReportReceived { children, .. } => {
            let names: Vec<_> = children
                .iter()
                .map(|child| match child {
                    ChildIdentity::Unidentified { name, .. } => name.as_str().to_owned(),
                    other => panic!("expected unidentified children, got {other:?}"),
                })
                .collect();
            assert_eq!(names, ["Barn Barnesen", "Bare Barnet"]);
        }
        other => panic!("expected ReportReceived, got {other:?}"),
    }
    let twice = import(&app, request).await.expect("imported again");
    assert!(twice.duplicate);
    assert_eq!(twice.report_id, private.report_id);
}

#[tokio::test]
async fn every_broken_rule_is_answered_with_feilet_naming_the_path_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let before = app.event_count().await;
    for case in broken() {
        let answer = import(
            &app,
            delivery(case.message_type, Uuid::new_v4(), &case.document()),
        )
        .await
        .expect("a rejection is an answer, not a failed call");
        assert_eq!(
            answer.reply_message_type,
            fiks::FAILED_V1,
            "{}",
            case.pointer
        );
        assert!(answer.report_id.is_empty());
        let paths: Vec<_> = answer.violations.iter().map(|v| v.path.as_str()).collect();
        assert!(
            paths.contains(&case.path),
            "{} {:?}: expected {} among {paths:?}",
            case.pointer,
            case.value,
            case.path
        );
        let body: serde_json::Value =
            serde_json::from_str(&answer.reply_body).expect("feilet body is JSON");
        let reason = body["melding"].as_str().expect("feilmelding.melding");
        assert!(reason.contains(case.path), "{reason}");
    }
    assert_eq!(app.event_count().await, before, "nothing stored");

    // A malformed transport id is the caller's error, not the document's.
    let mut bad_id = delivery(fiks::PUBLIC_V2, Uuid::nil(), PUBLIC_EXAMPLE.as_bytes());
    bad_id.message_id = "not-a-uuid".into();
    let status = import(&app, bad_id).await.expect_err("bad message id");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status.message().contains("message_id"),
        "{}",
        status.message()
    );
}

#[tokio::test]
async fn no_receipt_when_the_append_fails_and_the_redelivery_is_received_once() {
    let app = TestApp::spawn().await;
    // Inject the failure in the database itself: every insert into the log fails.
    sqlx::raw_sql(
        "create function vern_test_refuse() returns trigger language plpgsql as \
           $$ begin raise exception 'injected append failure'; end $$; \
         create trigger vern_test_refuse before insert on events \
           for each row execute function vern_test_refuse();",
    )
    .execute(app.db.pool())
    .await
    .expect("trigger created");
    let message_id = Uuid::new_v4();
    let failed = import(
        &app,
        delivery(fiks::PUBLIC_V2, message_id, PUBLIC_EXAMPLE.as_bytes()),
    )
    .await;
    let status = failed.expect_err("no answer, so no receipt, when the append fails");
    assert!(
        matches!(status.code(), Code::Internal | Code::Unavailable),
        "{status:?}"
    );
    assert_eq!(app.event_count().await, 0);

    sqlx::raw_sql("drop trigger vern_test_refuse on events")
        .execute(app.db.pool())
        .await
        .expect("trigger dropped");
    // Fiks IO delivers the unacknowledged message again.
    let answer = import(
        &app,
        delivery(fiks::PUBLIC_V2, message_id, PUBLIC_EXAMPLE.as_bytes()),
    )
    .await
    .expect("received on redelivery");
    assert_eq!(answer.reply_message_type, fiks::RECEIVED_V1);
    assert!(!answer.duplicate);
    assert_eq!(app.event_count().await, 1);
}

/// The public example with `change` made to it, as bytes.
fn public_example_with(
    change: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>),
) -> Vec<u8> {
    let mut document: serde_json::Value =
        serde_json::from_str(PUBLIC_EXAMPLE).expect("the example is JSON");
    change(document.as_object_mut().expect("an object"));
    serde_json::to_vec(&document).expect("serialises")
}

/// A document that nests far past what a stored event may, or holds a NUL character, or more
/// unmapped content than is kept, is refused with feilet.v1 naming where, and stores nothing:
/// once, such a document was received, stored, and then stopped every view.
#[tokio::test]
async fn what_could_not_be_stored_and_read_back_is_refused_by_path() {
    let app = TestApp::spawn().await;
    let mut deep = serde_json::Value::from(1);
    for _ in 0..126 {
        deep = serde_json::Value::Array(vec![deep]);
    }
    let cases: Vec<(Vec<u8>, String)> = vec![
        (
            public_example_with(|root| {
                root.insert("ekstra".into(), deep.clone());
            }),
            format!("ekstra{}", "[0]".repeat(fiks::MAX_DEPTH - 1)),
        ),
        (
            public_example_with(|root| {
                root["melding"]["melding"] = "Barnet er sulten.\u{0}".into();
            }),
            "melding.melding".to_owned(),
        ),
        (
            public_example_with(|root| {
                root.insert("ekstra\u{0}felt".into(), "verdi".into());
            }),
            "ekstra\\u0000felt".to_owned(),
        ),
        (
            public_example_with(|root| {
                root["offentligBarn"][0]["adresse"]["poststed"] = "Os\u{0}lo".into();
            }),
            "offentligBarn[0].adresse.poststed".to_owned(),
        ),
        (
            public_example_with(|root| {
                root.insert(
                    "vedlegg".into(),
                    "x".repeat(fiks::MAX_UNMAPPED_BYTES).into(),
                );
            }),
            "vedlegg".to_owned(),
        ),
    ];
    for (body, path) in cases {
        let answer = import(&app, delivery(fiks::PUBLIC_V2, Uuid::new_v4(), &body))
            .await
            .expect("a refusal is an answer");
        assert_eq!(answer.reply_message_type, fiks::FAILED_V1, "{path}");
        let paths: Vec<_> = answer.violations.iter().map(|v| v.path.as_str()).collect();
        assert!(
            paths.contains(&path.as_str()),
            "expected {path} among {paths:?}"
        );
    }
    assert_eq!(app.event_count().await, 0, "nothing stored");

    // Unmapped content within the limits is kept and reads back.
    let kept = public_example_with(|root| {
        let mut nested = serde_json::json!("innerst");
        for _ in 0..(fiks::MAX_DEPTH - 2) {
            nested = serde_json::json!({ "niva": nested });
        }
        root.insert("ekstra".into(), nested);
    });
    let answer = import(&app, delivery(fiks::PUBLIC_V2, Uuid::new_v4(), &kept))
        .await
        .expect("imported");
    assert_eq!(
        answer.reply_message_type,
        fiks::RECEIVED_V1,
        "{:?}",
        answer.violations
    );
    match received_event(&app, &answer.report_id).await {
        ReportEvent::ReportReceived { details, .. } => {
            let unmapped = details.expect("details").unmapped;
            assert!(unmapped.contains_key("ekstra"), "{unmapped:?}");
        }
        other => panic!("expected ReportReceived, got {other:?}"),
    }
}
