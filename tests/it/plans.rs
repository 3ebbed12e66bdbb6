//! The plans the law asks for around the board, over gRPC: the investigation plan after an
//! emergency decision (2021 act § 8-2 third paragraph), the preliminary care plan with a care
//! order's petition (1992 act § 4-15 third paragraph) and the care plan after the order, each
//! on the worklist from its clock's start, breached after its last day, met by the plan, and
//! in the registry export with its plan type (Kodelister 8, 3 and 4).

use api::common::v1 as common;
use api::measures::v1 as measures;
use tests::TestApp;
use tonic::Code;

use crate::lapses::{approve, care_order_granted, emergency_case, proposed_for_care_order};
use crate::registry::{assert_has, assert_valid, export, read, run_export, tempdir};
use crate::{at, command_id};

/// The case's item of `kind` at `as_of`: (last day, breached, legal reference).
async fn plan_item(
    app: &TestApp,
    case_id: &str,
    kind: &str,
    as_of: &str,
    min_position: Option<common::Position>,
) -> Option<(String, bool, String)> {
    crate::review_items(app, as_of, min_position)
        .await
        .into_iter()
        .find(|item| item.case_id == case_id && item.kind == kind)
        .map(|item| (item.due_on, item.breached, item.legal_reference))
}

async fn make_plan(
    app: &TestApp,
    case_id: &str,
    kind: measures::PlanKind,
    made_on: &str,
) -> Result<common::WriteResult, tonic::Status> {
    app.measures()
        .make_plan(measures::MakePlanRequest {
            command_id: command_id(),
            case_id: case_id.to_owned(),
            kind: kind as i32,
            made_on: made_on.into(),
            plan: "Interviews with the school and the parents in week 11.".into(),
            ..Default::default()
        })
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn an_emergency_decision_asks_for_its_investigation_plan_until_it_is_made() {
    let app = TestApp::spawn().await;
    // Made 5 March 2024 at 10:00 Oslo: six weeks to 16 April, breached from midnight.
    let case_id = emergency_case(&app, 71, measures::EmergencyKind::Placement).await;
    let position = approve(&app, &case_id, 1).await;
    let kind = "emergency_investigation_plan";
    let paragraph = "barnevernsloven 2021 § 8-2 third paragraph".to_owned();
    assert_eq!(
        plan_item(&app, &case_id, kind, "2024-04-16T21:59:59Z", position).await,
        Some(("2024-04-16".to_owned(), false, paragraph.clone()))
    );
    assert_eq!(
        plan_item(&app, &case_id, kind, "2024-04-16T22:00:00Z", None).await,
        Some(("2024-04-16".to_owned(), true, paragraph))
    );

    // Nothing written for input that is not a plan: every bad field named.
    let bad = app
        .measures()
        .make_plan(measures::MakePlanRequest {
            command_id: command_id(),
            case_id: case_id.clone(),
            made_on: "8 March".into(),
            ..Default::default()
        })
        .await
        .expect_err("refused");
    assert_eq!(bad.code(), Code::InvalidArgument, "{bad:?}");
    for field in ["kind", "made_on", "plan"] {
        assert!(bad.message().contains(field), "{field}: {bad:?}");
    }

    app.set_now(at("2024-03-08T10:00:00Z"));
    let made = make_plan(
        &app,
        &case_id,
        measures::PlanKind::EmergencyInvestigation,
        "2024-03-08",
    )
    .await
    .expect("plan made");
    assert_eq!(
        plan_item(&app, &case_id, kind, "2024-04-17T08:00:00Z", made.position).await,
        None,
        "met by the plan"
    );
    let again = make_plan(
        &app,
        &case_id,
        measures::PlanKind::EmergencyInvestigation,
        "2024-03-08",
    )
    .await
    .expect_err("one plan per decision");
    assert_eq!(again.code(), Code::FailedPrecondition, "{again:?}");
    assert!(
        again.message().contains("no investigation plan"),
        "{again:?}"
    );

    let dir = tempdir();
    run_export(&app, &export(&app, "2024-03-09T12:00:00Z", &dir)).await;
    let path = dir.join(format!("{case_id}.xml"));
    assert_valid(&path);
    assert_has(&read(&path), "StartDato=\"2024-03-08\" Plantype=\"8\">");
}

#[tokio::test]
async fn a_care_order_petition_under_the_1992_act_takes_a_preliminary_care_plan() {
    let app = TestApp::spawn().await;
    let (case_id, proposed) =
        proposed_for_care_order(&app, 72, "2022-03-01T09:00:00Z", "2022-03-08T09:00:00Z").await;
    // With the petition: to the end of its day (Oslo, winter time).
    let kind = "preliminary_care_plan";
    let paragraph = "barnevernloven 1992 § 4-15 third paragraph".to_owned();
    assert_eq!(
        plan_item(&app, &case_id, kind, "2022-03-08T22:59:59Z", proposed).await,
        Some(("2022-03-08".to_owned(), false, paragraph.clone()))
    );
    assert_eq!(
        plan_item(&app, &case_id, kind, "2022-03-08T23:00:00Z", None).await,
        Some(("2022-03-08".to_owned(), true, paragraph))
    );
    app.set_now(at("2022-03-09T09:00:00Z"));
    let made = make_plan(
        &app,
        &case_id,
        measures::PlanKind::PreliminaryCare,
        "2022-03-09",
    )
    .await
    .expect("made a day late");
    assert_eq!(
        plan_item(&app, &case_id, kind, "2022-03-09T10:00:00Z", made.position).await,
        None
    );
    let dir = tempdir();
    run_export(&app, &export(&app, "2022-03-10T12:00:00Z", &dir)).await;
    let path = dir.join(format!("{case_id}.xml"));
    assert_valid(&path);
    assert_has(&read(&path), "StartDato=\"2022-03-09\" Plantype=\"3\">");

    // The 2021 act has no preliminary plan: refused, saying so.
    let (new_case, _) = care_order_granted(&app, 73).await;
    let refused = make_plan(
        &app,
        &new_case,
        measures::PlanKind::PreliminaryCare,
        "2024-03-20",
    )
    .await
    .expect_err("not under the 2021 act");
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert!(refused.message().contains("2021 act"), "{refused:?}");
}

#[tokio::test]
async fn a_care_order_asks_for_its_care_plan_by_the_time_it_is_carried_out() {
    let app = TestApp::spawn().await;
    // Granted 20 March 2024: six weeks to 1 May.
    let (case_id, decided) = care_order_granted(&app, 74).await;
    let paragraph = "barnevernsloven 2021 § 8-3 fourth paragraph".to_owned();
    assert_eq!(
        plan_item(&app, &case_id, "care_plan", "2024-05-01T21:59:59Z", decided).await,
        Some(("2024-05-01".to_owned(), false, paragraph.clone()))
    );
    // Carried out without a plan: the plan is still owed, breached after its day.
    app.set_now(at("2024-04-02T09:00:00Z"));
    let carried_out = app
        .measures()
        .record_care_order_carried_out(measures::RecordCareOrderCarriedOutRequest {
            command_id: command_id(),
            case_id: case_id.clone(),
            carried_out_on: "2024-04-02".into(),
            ..Default::default()
        })
        .await
        .expect("carried out")
        .into_inner()
        .position;
    assert_eq!(
        plan_item(
            &app,
            &case_id,
            "care_plan",
            "2024-05-01T22:00:00Z",
            carried_out
        )
        .await,
        Some(("2024-05-01".to_owned(), true, paragraph))
    );
    app.set_now(at("2024-05-03T09:00:00Z"));
    let planned = app
        .measures()
        .make_care_plan(measures::MakeCarePlanRequest {
            command_id: command_id(),
            case_id: case_id.clone(),
            placement: measures::Placement::FosterHome as i32,
            placed_on: "2024-04-02".into(),
            plan: "Long-term foster home.".into(),
            ..Default::default()
        })
        .await
        .expect("plan made")
        .into_inner()
        .position;
    assert_eq!(
        plan_item(&app, &case_id, "care_plan", "2024-05-03T10:00:00Z", planned).await,
        None
    );
}
