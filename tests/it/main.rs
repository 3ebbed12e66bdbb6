//! End to end over the wire: real gRPC clients, the real server, a real PostgreSQL.

mod audit;
mod authorization;
mod bad_input;
mod dating;
mod digital;
mod disclosure;
mod foster;
mod fuzz;
mod import;
mod lapses;
mod lifecycle;
mod municipalities;
mod partner;
mod plans;
mod refusals;
mod registry;
mod roles;
mod views;
mod wire;

use api::common::v1 as common;
use api::intake::v1 as intake;
use api::investigation::v1 as investigation;
use tests::TestApp;
use tonic::Code;
use uuid::Uuid;

fn command_id() -> String {
    Uuid::new_v4().to_string()
}

/// Today in Oslo, as the law counts days.
fn today() -> chrono::NaiveDate {
    domain::calendar::oslo_date(chrono::Utc::now())
}

/// A measure's plan of ninety days from today.
fn measure_plan() -> api::measures::v1::Plan {
    api::measures::v1::Plan {
        goals: vec!["A goal.".into()],
        responsible: "Caseworker 7".into(),
        starts_on: day(0),
        ends_on: day(90),
        evaluate_on: String::new(),
    }
}

fn day(offset_days: i64) -> String {
    (today() + chrono::Duration::days(offset_days)).to_string()
}

/// A synthetic child born in 2019 (distinct per seed).
fn child(seed: u32) -> common::Child {
    common::Child {
        identity: Some(common::child::Identity::NationalIdentityNumber(
            testkit::synthetic::national_identity_number(2019, 5, 17, seed)
                .expect("synthetic number"),
        )),
    }
}

fn public_reporter() -> intake::Reporter {
    intake::Reporter {
        kind: Some(intake::reporter::Kind::Public(intake::PublicReporter {
            organisation: "Testbyen barnehage".into(),
            role: "styrer".into(),
            name: "Kari Testesen".into(),
            identity_withheld_from_parties: false,
        })),
    }
}

fn report(children: Vec<common::Child>, reporter: intake::Reporter) -> intake::SubmitReportRequest {
    intake::SubmitReportRequest {
        late_reason: String::new(),
        command_id: command_id(),
        municipality: "5035".into(),
        received_at: None,
        reporter: Some(reporter),
        children,
        concerns: vec![intake::ConcernCategory::Neglect as i32],
        summary: "Synthetic test report: the child often comes to kindergarten hungry.".into(),
        urgency: common::Urgency::Yellow as i32,
    }
}

/// Every running deadline on the worklist at `as_of` (as known then), once the view has
/// applied `min_position`.
async fn review_items(
    app: &TestApp,
    as_of: &str,
    min_position: Option<common::Position>,
) -> Vec<api::worklist::v1::ReviewItem> {
    worklist_items(
        app,
        api::worklist::v1::ListCasesNeedingReviewRequest {
            as_of: Some(ts(as_of)),
            all_running: true,
            min_position,
            ..Default::default()
        },
    )
    .await
}

/// The staff's worklist's items for `request`.
async fn worklist_items(
    app: &TestApp,
    request: api::worklist::v1::ListCasesNeedingReviewRequest,
) -> Vec<api::worklist::v1::ReviewItem> {
    app.worklist()
        .list_cases_needing_review(request)
        .await
        .expect("worklist")
        .into_inner()
        .items
}

async fn submit(app: &TestApp, request: intake::SubmitReportRequest) -> String {
    app.intake()
        .submit_report(request)
        .await
        .expect("report submitted")
        .into_inner()
        .report_id
}

/// Dismissed at screening: no grounds for an investigation.
fn dismiss(child_index: u32) -> intake::ChildScreening {
    intake::ChildScreening {
        case_content: Vec::new(),
        child_index,
        existing_case_id: String::new(),
        outcome: Some(intake::child_screening::Outcome::Dismissed(
            intake::Dismissal {
                ground: intake::DismissalGround::NoGroundsForInvestigation as i32,
                reasons: "No grounds for an investigation.".into(),
                obviously_unfounded: false,
                transferred_to_municipality: String::new(),
            },
        )),
        emergency_action: false,
        urgency: common::Urgency::Green as i32,
    }
}

fn open_investigation(child_index: u32) -> intake::ChildScreening {
    intake::ChildScreening {
        case_content: Vec::new(),
        child_index,
        existing_case_id: String::new(),
        outcome: Some(intake::child_screening::Outcome::InvestigationOpened(
            intake::InvestigationOpened {},
        )),
        emergency_action: false,
        urgency: common::Urgency::Yellow as i32,
    }
}

/// Screens the report with the given decisions.
async fn screen_report(
    app: &TestApp,
    report_id: &str,
    children: Vec<intake::ChildScreening>,
) -> intake::ScreenReportResponse {
    app.intake()
        .screen_report(intake::ScreenReportRequest {
            decided_at: None,
            late_reason: String::new(),
            reporter_code: String::new(),
            command_id: command_id(),
            report_id: report_id.to_owned(),
            children,
        })
        .await
        .expect("report screened")
        .into_inner()
}

/// Screens the report with the given decisions; returns the case id per child.
async fn screen(
    app: &TestApp,
    report_id: &str,
    children: Vec<intake::ChildScreening>,
) -> Vec<String> {
    screen_report(app, report_id, children)
        .await
        .cases
        .into_iter()
        .map(|case| case.case_id)
        .collect()
}

/// A public report about one child, screened into an investigation: the case id.
async fn case_under_investigation(app: &TestApp, seed: u32) -> String {
    let report_id = submit(app, report(vec![child(seed)], public_reporter())).await;
    screen(app, &report_id, vec![open_investigation(0)])
        .await
        .remove(0)
}

async fn start_investigation(app: &TestApp, case_id: &str) {
    app.investigation()
        .start_investigation(investigation::StartInvestigationRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.to_owned(),
            themes: "Care at home; the child's nutrition.".into(),
            planned_activities: vec![investigation::Activity {
                kind: investigation::ActivityKind::HomeVisit as i32,
                ..Default::default()
            }],
        })
        .await
        .expect("investigation started");
}

async fn conclude_with_measures(app: &TestApp, case_id: &str) {
    app.investigation()
        .conclude_investigation(investigation::ConcludeInvestigationRequest {
            command_id: command_id(),
            case_id: case_id.to_owned(),
            outcome: investigation::ConclusionOutcome::MeasuresDecided as i32,
            reasons: "Parental guidance will help the family.".into(),
            ..Default::default()
        })
        .await
        .expect("investigation concluded");
}

fn assert_code<T: std::fmt::Debug>(result: Result<T, tonic::Status>, code: Code) -> tonic::Status {
    match result {
        Err(status) if status.code() == code => status,
        other => panic!("expected {code:?}, got {other:?}"),
    }
}

/// Waits until every view has applied `position` (a command's result), for queries that do
/// not take one.
async fn views_current(app: &TestApp, position: Option<common::Position>) {
    let position = handling::convert::position(&position.expect("a position"));
    for view in ["case_timeline", "worklist", "caseload", "statistics"] {
        projections::read_your_writes(app.store.pool(), view, Some(position))
            .await
            .expect("the view catches up");
    }
}

/// A fixed test time, RFC 3339.
fn at(text: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(text)
        .expect("test time")
        .with_timezone(&chrono::Utc)
}

/// A fixed test time as a protobuf timestamp.
fn ts(text: &str) -> prost_types::Timestamp {
    handling::convert::to_timestamp(at(text))
}

/// A fixed test time as an optional request field.
fn some_ts(text: &str) -> Option<prost_types::Timestamp> {
    Some(ts(text))
}
