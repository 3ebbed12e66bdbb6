//! Steps the lifecycle does not allow: FAILED_PRECONDITION, and nothing written.

use api::intake::v1 as intake;
use api::investigation::v1 as investigation;
use api::measures::v1 as measures;
use tonic::Code;

use crate::{
    assert_code, case_under_investigation, command_id, day, open_investigation, start_investigation,
};

#[tokio::test]
async fn illegal_steps_fail_precondition_and_write_nothing() {
    let app = tests::TestApp::spawn().await;
    let case_id = case_under_investigation(&app, 20).await;
    let report_id = {
        let case = app
            .investigation()
            .get_case(investigation::GetCaseRequest {
                purpose: String::new(),
                case_id: case_id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        case.report_ids[0].clone()
    };
    let (investigation_client, measures_client, intake_client) =
        (app.investigation(), app.measures(), app.intake());
    let before = app.event_count().await;

    // Screening the same report twice.
    let twice = intake_client
        .clone()
        .screen_report(intake::ScreenReportRequest {
            decided_at: None,
            late_reason: String::new(),
            reporter_code: String::new(),
            command_id: command_id(),
            report_id: report_id.clone(),
            children: vec![open_investigation(0)],
        })
        .await;
    let status = assert_code(twice, Code::FailedPrecondition);
    assert!(
        status.message().contains("already screened"),
        "{}",
        status.message()
    );

    // Concluding an investigation that was never started with a plan.
    let early = investigation_client
        .clone()
        .conclude_investigation(investigation::ConcludeInvestigationRequest {
            command_id: command_id(),
            case_id: case_id.clone(),
            outcome: investigation::ConclusionOutcome::DismissedOnAssessment as i32,
            reasons: "No concern.".into(),
            ..Default::default()
        })
        .await;
    assert_code(early, Code::FailedPrecondition);

    // Evaluating a measure never started.
    let never_started = measures_client
        .clone()
        .evaluate_measure(measures::EvaluateMeasureRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.clone(),
            measure: 1,
            checklist: Some(measures::EvaluationChecklist::default()),
            assessment: "Nothing to evaluate.".into(),
        })
        .await;
    assert_code(never_started, Code::FailedPrecondition);

    // A forensic interview with no consultation held.
    let no_consultation = investigation_client
        .clone()
        .record_forensic_interview(investigation::RecordForensicInterviewRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.clone(),
            outcome: Some(
                investigation::record_forensic_interview_request::Outcome::Held(
                    investigation::InterviewHeld { held_on: day(0) },
                ),
            ),
        })
        .await;
    assert_code(no_consultation, Code::FailedPrecondition);

    // A petition with no emergency decision; a care plan with no care order; a board decision
    // with no proposal.
    let no_decision = measures_client
        .clone()
        .send_emergency_petition(measures::SendEmergencyPetitionRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.clone(),
            decision: 1,
        })
        .await;
    assert_code(no_decision, Code::FailedPrecondition);
    let no_care_order = measures_client
        .clone()
        .make_care_plan(measures::MakeCarePlanRequest {
            decided_at: None,
            late_reason: String::new(),
            in_family_network: false,
            command_id: command_id(),
            case_id: case_id.clone(),
            placement: measures::Placement::FosterHome as i32,
            placed_on: day(0),
            plan: "Foster home in Selbu.".into(),
        })
        .await;
    assert_code(no_care_order, Code::FailedPrecondition);
    let no_proposal = measures_client
        .clone()
        .record_board_decision(measures::RecordBoardDecisionRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.clone(),
            granted: true,
            decided_on: day(0),
        })
        .await;
    assert_code(no_proposal, Code::FailedPrecondition);

    // Closing a case while its investigation is open.
    let open = measures_client
        .clone()
        .close_case(measures::CloseCaseRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.clone(),
            reasons: "Closing early.".into(),
        })
        .await;
    assert_code(open, Code::FailedPrecondition);

    assert_eq!(
        app.event_count().await,
        before,
        "refused steps write nothing"
    );

    // Starting the investigation twice: the second is refused.
    start_investigation(&app, &case_id).await;
    let after_start = app.event_count().await;
    let again = investigation_client
        .clone()
        .start_investigation(investigation::StartInvestigationRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.clone(),
            themes: "Again.".into(),
            planned_activities: vec![],
        })
        .await;
    assert_code(again, Code::FailedPrecondition);
    assert_eq!(app.event_count().await, after_start);
}

#[tokio::test]
async fn unknown_reports_and_cases_are_out_of_reach_like_another_municipalitys() {
    let app = tests::TestApp::spawn().await;
    let unknown = uuid::Uuid::new_v4().to_string();

    let report = app
        .intake()
        .get_report(intake::GetReportRequest {
            purpose: String::new(),
            report_id: unknown.clone(),
        })
        .await;
    assert_code(report, Code::PermissionDenied);
    let screened = app
        .intake()
        .screen_report(intake::ScreenReportRequest {
            decided_at: None,
            late_reason: String::new(),
            reporter_code: String::new(),
            command_id: command_id(),
            report_id: unknown.clone(),
            children: vec![open_investigation(0)],
        })
        .await;
    assert_code(screened, Code::PermissionDenied);
    let case = app
        .measures()
        .close_case(measures::CloseCaseRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: unknown,
            reasons: "Unknown.".into(),
        })
        .await;
    assert_code(case, Code::PermissionDenied);
    assert_eq!(app.event_count().await, 0);
}

/// A limit one service chose (Stjørdal caps its acute family team at six weeks) refuses its
/// own longer plans, and nobody else's: the law sets no such limit.
#[tokio::test]
async fn a_services_own_practice_limits_its_own_cases_only() {
    let practice = domain::practice::LocalPractice::parse(
        "--local-practice",
        &["5035:acute_family_team_weeks=6".to_owned()],
        &domain::municipality::MunicipalityRegistry::norway_2024(),
    )
    .expect("a practice");
    let app = tests::TestApp::spawn_with(practice).await;
    let start = |case_id: String, weeks: i64| {
        let mut measures = app.measures();
        async move {
            measures
                .start_measure(measures::StartMeasureRequest {
                    command_id: command_id(),
                    case_id,
                    measure: Some(measures::Measure {
                        in_family_network: false,
                        kind: measures::MeasureKind::AcuteFamilyTeam as i32,
                        description: String::new(),
                    }),
                    plan: Some(measures::Plan {
                        goals: vec!["Safety at home.".into()],
                        responsible: "Caseworker 7".into(),
                        starts_on: day(0),
                        ends_on: day(weeks * 7),
                        evaluate_on: String::new(),
                    }),
                    ..Default::default()
                })
                .await
        }
    };
    let with_measures_decided = |municipality: &'static str, seed: u32| {
        let app = &app;
        async move {
            let mut request = crate::report(vec![crate::child(seed)], crate::public_reporter());
            request.municipality = municipality.into();
            let report_id = crate::submit(app, request).await;
            let case_id = crate::screen(app, &report_id, vec![open_investigation(0)])
                .await
                .remove(0);
            start_investigation(app, &case_id).await;
            crate::conclude_with_measures(app, &case_id).await;
            case_id
        }
    };
    let stjordal = with_measures_decided("5035", 71).await;
    let refused = assert_code(start(stjordal.clone(), 7).await, Code::FailedPrecondition);
    assert!(
        refused.message().contains("by this service's practice")
            && refused.message().contains("6 weeks"),
        "{refused:?}"
    );
    start(stjordal, 6)
        .await
        .expect("six weeks is within Stjørdal's practice");
    let frosta = with_measures_decided("5036", 72).await;
    start(frosta, 7).await.expect("Frosta chose no limit");
}
