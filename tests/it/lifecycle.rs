//! Whole case lifecycles through the wire, as a municipal system runs them.

use api::common::v1 as common;
use api::feedback::v1 as feedback;
use api::intake::v1 as intake;
use api::investigation::v1 as investigation;
use api::measures::v1 as measures;
use tests::TestApp;
use tonic::Code;

use crate::{
    assert_code, case_under_investigation, child, command_id, conclude_with_measures, day,
    open_investigation, public_reporter, report, screen, start_investigation, submit,
};

fn plan() -> measures::Plan {
    measures::Plan {
        goals: vec!["The child eats breakfast every day.".into()],
        responsible: "Caseworker 7".into(),
        starts_on: day(0),
        ends_on: day(180),
        evaluate_on: day(30),
    }
}

async fn letters_owed(app: &TestApp, report_id: &str) -> Vec<feedback::LetterOwed> {
    app.feedback()
        .get_letters_owed(feedback::GetLettersOwedRequest {
            effective_view: false,
            report_id: report_id.to_owned(),
            as_of: None,
        })
        .await
        .expect("letters owed")
        .into_inner()
        .letters
}

fn kinds(letters: &[feedback::LetterOwed]) -> Vec<i32> {
    letters
        .iter()
        .filter_map(|l| l.letter.as_ref().map(|letter| letter.kind))
        .collect()
}

async fn get_case(app: &TestApp, case_id: &str) -> investigation::Case {
    app.investigation()
        .get_case(investigation::GetCaseRequest {
            purpose: String::new(),
            case_id: case_id.to_owned(),
        })
        .await
        .expect("case")
        .into_inner()
}

#[tokio::test]
async fn a_public_report_runs_from_screening_to_a_closed_case() {
    let app = TestApp::spawn().await;
    let report_id = submit(&app, report(vec![child(1)], public_reporter())).await;

    let stored = app
        .intake()
        .get_report(intake::GetReportRequest {
            purpose: String::new(),
            report_id: report_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stored.reporter_kind, "PUBLIC");
    assert_eq!(stored.municipality, "5035");
    assert_eq!(stored.act, "child_welfare_act_2021");
    assert!(!stored.screened);
    assert_eq!(
        kinds(&letters_owed(&app, &report_id).await),
        [
            feedback::LetterKind::Receipt as i32,
            feedback::LetterKind::InvestigationOutcome as i32
        ]
    );

    let case_id = screen(&app, &report_id, vec![open_investigation(0)])
        .await
        .remove(0);
    start_investigation(&app, &case_id).await;
    app.investigation()
        .record_activity(investigation::RecordActivityRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.clone(),
            activity: Some(investigation::Activity {
                kind: investigation::ActivityKind::AssessmentTool as i32,
                tool: investigation::AssessmentTool::AsqSe as i32,
                other_tool: String::new(),
            }),
            held_on: day(0),
            summary: "ASQ-SE with the parents.".into(),
        })
        .await
        .unwrap();
    conclude_with_measures(&app, &case_id).await;
    assert!(
        kinds(&letters_owed(&app, &report_id).await)
            .contains(&(feedback::LetterKind::Conclusion as i32))
    );

    let measures = app.measures();
    let started = measures
        .clone()
        .start_measure(measures::StartMeasureRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.clone(),
            measure: Some(measures::Measure {
                in_family_network: false,
                kind: measures::MeasureKind::ParentalGuidanceCos as i32,
                description: String::new(),
            }),
            plan: Some(plan()),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(started.stream_id, format!("case-{case_id}"));
    measures
        .clone()
        .evaluate_measure(measures::EvaluateMeasureRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.clone(),
            measure: 1,
            checklist: Some(measures::EvaluationChecklist {
                carried_out_as_planned: true,
                child_and_parents_felt_looked_after: true,
                parents_followed_up: true,
                could_have_been_done_otherwise: false,
                new_or_extended_measures_needed: false,
                goals_reached: true,
            }),
            assessment: "Goals reached.".into(),
        })
        .await
        .unwrap();
    measures
        .clone()
        .end_measure(measures::EndMeasureRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.clone(),
            measure: 1,
            reasons: "Goals reached.".into(),
        })
        .await
        .unwrap();
    let closed = measures
        .clone()
        .close_case(measures::CloseCaseRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.clone(),
            reasons: "Nothing more to do.".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(closed.version > started.version);

    let case = get_case(&app, &case_id).await;
    assert_eq!(case.status, "CLOSED");
    assert_eq!(case.investigation, "CONCLUDED");
    assert_eq!(case.report_ids, std::slice::from_ref(&report_id));

    // The letters, sent; then none is owed.
    let letters = letters_owed(&app, &report_id).await;
    app.feedback()
        .mark_letters_sent(feedback::MarkLettersSentRequest {
            late_reason: String::new(),
            sent_at: None,
            command_id: command_id(),
            report_id: report_id.clone(),
            letters: letters.iter().filter_map(|l| l.letter.clone()).collect(),
        })
        .await
        .unwrap();
    assert!(letters_owed(&app, &report_id).await.is_empty());
}

#[tokio::test]
async fn private_reporters_are_owed_a_receipt_and_anonymous_ones_nothing() {
    let app = TestApp::spawn().await;
    let private = intake::Reporter {
        kind: Some(intake::reporter::Kind::PrivateNamed(
            intake::PrivateReporter {
                name: "Ola Nabo".into(),
                relation: intake::PrivateRelation::OtherPrivatePerson as i32,
                identity_withheld_from_parties: true,
            },
        )),
    };
    let anonymous = intake::Reporter {
        kind: Some(intake::reporter::Kind::Anonymous(intake::Anonymous {})),
    };
    let private_report = submit(&app, report(vec![child(2)], private)).await;
    let anonymous_report = submit(&app, report(vec![child(3)], anonymous)).await;

    for report_id in [&private_report, &anonymous_report] {
        screen(&app, report_id, vec![open_investigation(0)]).await;
    }

    assert_eq!(
        kinds(&letters_owed(&app, &private_report).await),
        [feedback::LetterKind::Receipt as i32]
    );
    assert!(letters_owed(&app, &anonymous_report).await.is_empty());
    let refused = app
        .feedback()
        .mark_letters_sent(feedback::MarkLettersSentRequest {
            late_reason: String::new(),
            sent_at: None,
            command_id: command_id(),
            report_id: anonymous_report.clone(),
            letters: vec![feedback::Letter {
                kind: feedback::LetterKind::Receipt as i32,
                case_id: String::new(),
            }],
        })
        .await;
    assert_code(refused, Code::FailedPrecondition);
    let stored = app
        .intake()
        .get_report(intake::GetReportRequest {
            purpose: String::new(),
            report_id: anonymous_report,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stored.reporter_kind, "ANONYMOUS");
}

#[tokio::test]
async fn a_report_about_two_siblings_opens_a_case_for_each() {
    let app = TestApp::spawn().await;
    let report_id = submit(&app, report(vec![child(4), child(5)], public_reporter())).await;

    let dismiss = intake::ChildScreening {
        case_content: Vec::new(),
        child_index: 1,
        existing_case_id: String::new(),
        outcome: Some(intake::child_screening::Outcome::Dismissed(
            intake::Dismissal {
                ground: intake::DismissalGround::NoGroundsForInvestigation as i32,
                reasons: "No concern for this sibling.".into(),
                obviously_unfounded: false,
                transferred_to_municipality: String::new(),
            },
        )),
        emergency_action: false,
        urgency: common::Urgency::Green as i32,
    };
    let cases = screen(&app, &report_id, vec![open_investigation(0), dismiss]).await;

    assert_eq!(cases.len(), 2);
    assert_ne!(cases[0], cases[1]);
    assert_eq!(get_case(&app, &cases[0]).await.investigation, "OPENED");
    assert_eq!(get_case(&app, &cases[1]).await.status, "CLOSED");
}

#[tokio::test]
async fn a_second_report_about_a_child_joins_the_open_case() {
    let app = TestApp::spawn().await;
    let case_id = case_under_investigation(&app, 6).await;
    let second = submit(&app, report(vec![child(6)], public_reporter())).await;

    let response = app
        .intake()
        .screen_report(intake::ScreenReportRequest {
            decided_at: None,
            late_reason: String::new(),
            reporter_code: String::new(),
            command_id: command_id(),
            report_id: second.clone(),
            children: vec![intake::ChildScreening {
                case_content: Vec::new(),
                child_index: 0,
                existing_case_id: case_id.clone(),
                outcome: Some(
                    intake::child_screening::Outcome::ConcernsOngoingInvestigation(
                        intake::ConcernsOngoingInvestigation {},
                    ),
                ),
                emergency_action: false,
                urgency: common::Urgency::Red as i32,
            }],
        })
        .await
        .unwrap()
        .into_inner();

    assert_eq!(response.cases.len(), 1);
    assert_eq!(response.cases[0].case_id, case_id);
    assert!(response.cases[0].linked_to_existing_case);
    let case = get_case(&app, &case_id).await;
    assert_eq!(case.report_ids.len(), 2);
    assert!(case.report_ids.contains(&second));
}

#[tokio::test]
async fn an_emergency_decision_is_approved_and_followed_by_a_petition() {
    let app = TestApp::spawn().await;
    let report_id = submit(&app, report(vec![child(7)], public_reporter())).await;
    let mut screening = open_investigation(0);
    screening.emergency_action = true;
    screening.urgency = common::Urgency::Red as i32;
    let case_id = screen(&app, &report_id, vec![screening]).await.remove(0);
    let measures = app.measures();

    measures
        .clone()
        .make_emergency_decision(measures::MakeEmergencyDecisionRequest {
            decided_at: None,
            habitually_resident_abroad: false,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.clone(),
            kind: measures::EmergencyKind::Placement as i32,
            grounds: "Acute danger at home.".into(),
        })
        .await
        .unwrap();
    measures
        .clone()
        .record_emergency_ruling(measures::RecordEmergencyRulingRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.clone(),
            decision: 1,
            approved: true,
            refusal_reasons: String::new(),
        })
        .await
        .unwrap();
    measures
        .clone()
        .send_emergency_petition(measures::SendEmergencyPetitionRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.clone(),
            decision: 1,
        })
        .await
        .unwrap();
    // The same petition again is a step the lifecycle does not allow.
    let again = measures
        .clone()
        .send_emergency_petition(measures::SendEmergencyPetitionRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.clone(),
            decision: 1,
        })
        .await;
    assert_code(again, Code::FailedPrecondition);
    assert_eq!(
        get_case(&app, &case_id).await.urgency,
        common::Urgency::Red as i32
    );
}

#[tokio::test]
async fn an_investigation_can_be_extended_to_six_months_and_no_further() {
    let app = TestApp::spawn().await;
    let case_id = case_under_investigation(&app, 8).await;
    start_investigation(&app, &case_id).await;
    let extend = |months: u32| investigation::ExtendDeadlineRequest {
        decided_at: None,
        late_reason: String::new(),
        command_id: command_id(),
        case_id: case_id.clone(),
        to_months: months,
        reason: "Waiting for the forensic interview at Statens barnehus.".into(),
    };

    let too_long = app.investigation().extend_deadline(extend(7)).await;
    assert_code(too_long, Code::FailedPrecondition);
    app.investigation()
        .extend_deadline(extend(6))
        .await
        .unwrap();
    conclude_with_measures(&app, &case_id).await;
    assert_eq!(get_case(&app, &case_id).await.investigation, "CONCLUDED");
}

#[tokio::test]
async fn the_violence_track_records_consultation_interview_and_police_report() {
    let app = TestApp::spawn().await;
    let case_id = case_under_investigation(&app, 9).await;
    start_investigation(&app, &case_id).await;
    let investigation = app.investigation();

    investigation
        .clone()
        .record_consultation(investigation::RecordConsultationRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.clone(),
            partners: vec![
                investigation::Partner::Police as i32,
                investigation::Partner::Barnehus as i32,
            ],
            held_on: day(0),
            forensic_interview_planned: true,
            report_to_police_advised: true,
            protective_measures_needed: false,
            summary: "Samråd held; interview planned.".into(),
        })
        .await
        .unwrap();
    investigation
        .clone()
        .record_forensic_interview(investigation::RecordForensicInterviewRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.clone(),
            outcome: Some(
                investigation::record_forensic_interview_request::Outcome::Postponed(
                    investigation::InterviewPostponed {
                        to: day(14),
                        reason: "The child is ill.".into(),
                    },
                ),
            ),
        })
        .await
        .unwrap();
    let reported = investigation
        .clone()
        .report_to_police(investigation::ReportToPoliceRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.clone(),
            grounds: "Suspected violence at home.".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reported.stream_id, format!("case-{case_id}"));
    assert!(reported.version >= 6);
}

#[tokio::test]
async fn a_care_order_path_runs_through_the_board_to_follow_up_visits() {
    let app = TestApp::spawn().await;
    let report_id = submit(&app, report(vec![child(10)], public_reporter())).await;
    app.intake()
        .change_report_urgency(intake::ChangeReportUrgencyRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            report_id: report_id.clone(),
            urgency: common::Urgency::Red as i32,
            reason: "New information from the kindergarten.".into(),
        })
        .await
        .unwrap();
    let case_id = screen(&app, &report_id, vec![open_investigation(0)])
        .await
        .remove(0);
    start_investigation(&app, &case_id).await;
    app.investigation()
        .change_case_urgency(investigation::ChangeCaseUrgencyRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.clone(),
            urgency: common::Urgency::Red as i32,
            reason: "Serious neglect confirmed.".into(),
        })
        .await
        .unwrap();
    app.investigation()
        .conclude_investigation(investigation::ConcludeInvestigationRequest {
            command_id: command_id(),
            case_id: case_id.clone(),
            outcome: investigation::ConclusionOutcome::PetitionToBoard as i32,
            reasons: "Care order needed.".into(),
            proposal: investigation::BoardProposalKind::CareOrder as i32,
            ..Default::default()
        })
        .await
        .unwrap();
    let measures = app.measures();
    measures
        .clone()
        .record_board_decision(measures::RecordBoardDecisionRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.clone(),
            granted: true,
            decided_on: day(0),
        })
        .await
        .unwrap();
    measures
        .clone()
        .make_care_plan(measures::MakeCarePlanRequest {
            decided_at: None,
            late_reason: String::new(),
            in_family_network: false,
            command_id: command_id(),
            case_id: case_id.clone(),
            placement: measures::Placement::FosterHome as i32,
            placed_on: day(0),
            plan: "Foster home; contact with parents twice a month.".into(),
        })
        .await
        .unwrap();
    let visit = measures
        .clone()
        .record_follow_up_visit(measures::RecordFollowUpVisitRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.clone(),
            visited_on: day(0),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(visit.stream_id, format!("case-{case_id}"));

    // A measure beside the placement, evaluated, then extended and changed with new plans.
    measures
        .clone()
        .start_measure(measures::StartMeasureRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.clone(),
            measure: Some(measures::Measure {
                in_family_network: false,
                kind: measures::MeasureKind::OtherInHome as i32,
                description: "Contact support for the parents".into(),
            }),
            plan: Some(plan()),
        })
        .await
        .unwrap();
    let evaluate = || measures::EvaluateMeasureRequest {
        decided_at: None,
        late_reason: String::new(),
        command_id: command_id(),
        case_id: case_id.clone(),
        measure: 1,
        checklist: Some(measures::EvaluationChecklist {
            new_or_extended_measures_needed: true,
            ..Default::default()
        }),
        assessment: "More time needed.".into(),
    };
    measures.clone().evaluate_measure(evaluate()).await.unwrap();
    measures
        .clone()
        .extend_measure(measures::ExtendMeasureRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.clone(),
            measure: 1,
            reasons: "Goals not yet reached.".into(),
            plan: Some(plan()),
        })
        .await
        .unwrap();
    measures.clone().evaluate_measure(evaluate()).await.unwrap();
    measures
        .clone()
        .change_measure(measures::ChangeMeasureRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.clone(),
            measure: 1,
            new_measure: Some(measures::Measure {
                in_family_network: false,
                kind: measures::MeasureKind::ParentalGuidanceCos as i32,
                description: String::new(),
            }),
            reasons: "COS suits the parents better.".into(),
            plan: Some(plan()),
        })
        .await
        .unwrap();
    let case = get_case(&app, &case_id).await;
    assert_eq!(case.urgency, common::Urgency::Red as i32);
    assert_eq!(case.status, "OPEN");
    assert_eq!(case.active_measures, 1);
}
