//! Foster-home visits over gRPC: a voluntary foster home gets the service's follow-up visits
//! and the supervisor's visits, each due every three months; two a year only by a decision,
//! for a child placed more than two years; both reach the registry export (Oppfolging, Tilsyn).

use api::measures::v1 as measures;
use tests::TestApp;
use tonic::Code;

use crate::registry::{assert_has, assert_valid, export, read, run_export, tempdir};
use crate::{at, child, command_id, public_reporter, report, screen, submit};

async fn visit_items(
    app: &TestApp,
    case_id: &str,
    as_of: &str,
    min_position: Option<api::common::v1::Position>,
) -> Vec<(String, String, String)> {
    crate::review_items(app, as_of, min_position)
        .await
        .into_iter()
        .filter(|item| item.case_id == case_id && item.kind.ends_with("_visit"))
        .map(|item| (item.kind, item.due_on, item.legal_reference))
        .collect()
}

#[tokio::test]
async fn a_voluntary_foster_home_is_visited_and_its_rate_reduced_only_by_decision() {
    let app = TestApp::spawn().await;
    app.set_now(at("2022-03-01T09:00:00Z"));
    let report_id = submit(&app, report(vec![child(81)], public_reporter())).await;
    let case_id = screen(&app, &report_id, vec![crate::open_investigation(0)])
        .await
        .remove(0);
    crate::start_investigation(&app, &case_id).await;
    app.set_now(at("2022-03-02T09:00:00Z"));
    crate::conclude_with_measures(&app, &case_id).await;
    let placed = app
        .measures()
        .start_measure(measures::StartMeasureRequest {
            command_id: command_id(),
            case_id: case_id.clone(),
            measure: Some(measures::Measure {
                in_family_network: false,
                kind: measures::MeasureKind::FosterHome as i32,
                description: String::new(),
            }),
            plan: Some(measures::Plan {
                goals: vec!["A stable home.".into()],
                responsible: "Caseworker 7".into(),
                starts_on: "2022-03-02".into(),
                ends_on: "2026-12-31".into(),
                evaluate_on: String::new(),
            }),
            ..Default::default()
        })
        .await
        .expect("placed voluntarily")
        .into_inner()
        .position;
    let old_regulations = |paragraph: &str| format!("fosterhjemsforskriften 2003 {paragraph}");
    assert_eq!(
        visit_items(&app, &case_id, "2022-03-03T12:00:00Z", placed).await,
        [
            (
                "follow_up_visit".to_owned(),
                "2022-06-02".to_owned(),
                old_regulations("§ 7")
            ),
            (
                "supervision_visit".to_owned(),
                "2022-06-02".to_owned(),
                old_regulations("§§ 8-9")
            ),
        ]
    );

    app.set_now(at("2022-05-10T09:00:00Z"));
    let visited = app
        .measures()
        .record_supervision_visit(measures::RecordSupervisionVisitRequest {
            command_id: command_id(),
            case_id: case_id.clone(),
            visited_on: "2022-05-10".into(),
            ..Default::default()
        })
        .await
        .expect("visited")
        .into_inner()
        .position;
    let items = visit_items(&app, &case_id, "2022-05-10T12:00:00Z", visited).await;
    assert!(
        items.contains(&(
            "supervision_visit".to_owned(),
            "2022-08-10".to_owned(),
            old_regulations("§§ 8-9")
        )),
        "{items:?}"
    );

    let reduce = || measures::DecideVisitRateRequest {
        command_id: command_id(),
        case_id: case_id.clone(),
        visits: measures::VisitKind::FollowUp as i32,
        per_year: 2,
        reasons: "A stable placement; the child thrives.".into(),
        ..Default::default()
    };
    app.set_now(at("2024-03-01T09:00:00Z"));
    let refused = app
        .measures()
        .decide_visit_rate(reduce())
        .await
        .expect_err("not two years yet");
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    assert!(refused.message().contains("per_year"), "{refused:?}");
    app.set_now(at("2024-03-02T09:00:00Z"));
    let reduced = app
        .measures()
        .decide_visit_rate(reduce())
        .await
        .expect("two years have passed")
        .into_inner()
        .position;
    let items = visit_items(&app, &case_id, "2024-03-02T12:00:00Z", reduced).await;
    assert!(
        items.contains(&(
            "follow_up_visit".to_owned(),
            "2022-09-02".to_owned(),
            old_regulations("§ 7")
        )),
        "half-yearly from the placement: {items:?}"
    );

    let dir = tempdir();
    run_export(&app, &export(&app, "2024-03-05T12:00:00Z", &dir)).await;
    let path = dir.join(format!("{case_id}.xml"));
    assert_valid(&path);
    let document = read(&path);
    assert_has(&document, "<Tilsyn>");
    assert_has(&document, "Kommunenummer=\"5035\"/>");
    assert_has(&document, "StartDato=\"2022-03-02\" Kode=\"4\"/>");
    assert_has(&document, "UtfortDato=\"2022-05-10\"/>");
    assert_has(&document, "StartDato=\"2024-03-02\" Kode=\"2\"/>");
}
