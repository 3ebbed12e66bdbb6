//! Bad input on every mutating RPC: INVALID_ARGUMENT with a google.rpc.BadRequest field
//! violation naming the field, and nothing written.

use std::future::Future;
use std::pin::Pin;

use api::common::v1 as common;
use api::feedback::v1 as feedback;
use api::intake::v1 as intake;
use api::investigation::v1 as investigation;
use api::measures::v1 as measures;
use api::worklist::v1 as worklist;
use tonic::{Code, Status};
use tonic_types::StatusExt as _;

use crate::{
    case_under_investigation, child, command_id, day, measure_plan as plan, public_reporter,
    report, submit,
};

type Call = Pin<Box<dyn Future<Output = Result<(), Status>> + Send>>;

fn call<T: Send + 'static>(
    future: impl Future<Output = Result<tonic::Response<T>, Status>> + Send + 'static,
) -> Call {
    Box::pin(async move { future.await.map(|_| ()) })
}

#[tokio::test]
async fn every_mutating_rpc_names_the_bad_field_and_writes_nothing() {
    let app = tests::TestApp::spawn().await;
    let case_id = case_under_investigation(&app, 30).await;
    let report_id = submit(&app, report(vec![child(31)], public_reporter())).await;
    let before = app.event_count().await;
    let (intake_client, investigation_client, measures_client, feedback_client) = (
        app.intake(),
        app.investigation(),
        app.measures(),
        app.feedback(),
    );
    let case = || case_id.clone();
    let good = || report(vec![child(32)], public_reporter());

    let mut cases: Vec<(&str, Call)> = Vec::new();
    // SubmitReport: missing fields, invalid identity number, unknown municipality, oversized
    // text, unknown enum value, and more.
    let mut request = good();
    request.reporter = None;
    cases.push((
        "reporter",
        call({
            let mut c = intake_client.clone();
            async move { c.submit_report(request).await }
        }),
    ));
    let mut request = good();
    let mut number = testkit::synthetic::national_identity_number(2019, 5, 17, 33).unwrap();
    let last = number.pop().unwrap().to_digit(10).unwrap();
    number.push(char::from_digit((last + 1) % 10, 10).unwrap());
    request.children = vec![common::Child {
        identity: Some(common::child::Identity::NationalIdentityNumber(number)),
    }];
    cases.push((
        "children[0].national_identity_number",
        call({
            let mut c = intake_client.clone();
            async move { c.submit_report(request).await }
        }),
    ));
    let mut request = good();
    request.municipality = "9999".into();
    cases.push((
        "municipality",
        call({
            let mut c = intake_client.clone();
            async move { c.submit_report(request).await }
        }),
    ));
    let mut request = good();
    request.summary = "x".repeat(20_001);
    cases.push((
        "summary",
        call({
            let mut c = intake_client.clone();
            async move { c.submit_report(request).await }
        }),
    ));
    let mut request = good();
    request.concerns = vec![42];
    cases.push((
        "concerns[0]",
        call({
            let mut c = intake_client.clone();
            async move { c.submit_report(request).await }
        }),
    ));
    let mut request = good();
    request.children.clear();
    cases.push((
        "children",
        call({
            let mut c = intake_client.clone();
            async move { c.submit_report(request).await }
        }),
    ));
    let mut request = good();
    request.command_id = "not-a-uuid".into();
    cases.push((
        "command_id",
        call({
            let mut c = intake_client.clone();
            async move { c.submit_report(request).await }
        }),
    ));
    let mut request = good();
    request.urgency = 0;
    cases.push((
        "urgency",
        call({
            let mut c = intake_client.clone();
            async move { c.submit_report(request).await }
        }),
    ));
    let mut request = good();
    request.received_at = Some(prost_types::Timestamp {
        seconds: tests::now() + 86_400 * 30,
        nanos: 0,
    });
    cases.push((
        "received_at",
        call({
            let mut c = intake_client.clone();
            async move { c.submit_report(request).await }
        }),
    ));
    let mut request = good();
    request.reporter = Some(intake::Reporter {
        kind: Some(intake::reporter::Kind::Public(intake::PublicReporter {
            organisation: "Skolen".into(),
            role: String::new(),
            name: "Kari".into(),
            identity_withheld_from_parties: false,
        })),
    });
    cases.push((
        "reporter.public.role",
        call({
            let mut c = intake_client.clone();
            async move { c.submit_report(request).await }
        }),
    ));

    // ScreenReport and ChangeReportUrgency.
    let request = intake::ScreenReportRequest {
        decided_at: None,
        late_reason: String::new(),
        reporter_code: String::new(),
        command_id: command_id(),
        report_id: report_id.clone(),
        children: vec![intake::ChildScreening {
            child_index: 0,
            urgency: common::Urgency::Red as i32,
            ..Default::default()
        }],
    };
    cases.push((
        "children[0].outcome",
        call({
            let mut c = intake_client.clone();
            async move { c.screen_report(request).await }
        }),
    ));
    let request = intake::ScreenReportRequest {
        decided_at: None,
        late_reason: String::new(),
        reporter_code: String::new(),
        command_id: command_id(),
        report_id: report_id.clone(),
        children: vec![intake::ChildScreening {
            case_content: Vec::new(),
            child_index: 0,
            existing_case_id: "case-17".into(),
            outcome: Some(intake::child_screening::Outcome::InvestigationOpened(
                intake::InvestigationOpened {},
            )),
            emergency_action: false,
            urgency: common::Urgency::Red as i32,
        }],
    };
    cases.push((
        "children[0].existing_case_id",
        call({
            let mut c = intake_client.clone();
            async move { c.screen_report(request).await }
        }),
    ));
    let request = intake::ChangeReportUrgencyRequest {
        decided_at: None,
        late_reason: String::new(),
        command_id: command_id(),
        report_id: report_id.clone(),
        urgency: 0,
        reason: "Why".into(),
    };
    cases.push((
        "urgency",
        call({
            let mut c = intake_client.clone();
            async move { c.change_report_urgency(request).await }
        }),
    ));

    // InvestigationService.
    let request = investigation::StartInvestigationRequest {
        decided_at: None,
        late_reason: String::new(),
        command_id: command_id(),
        case_id: case(),
        themes: "  ".into(),
        planned_activities: vec![],
    };
    cases.push((
        "themes",
        call({
            let mut c = investigation_client.clone();
            async move { c.start_investigation(request).await }
        }),
    ));
    let request = investigation::RecordActivityRequest {
        decided_at: None,
        late_reason: String::new(),
        command_id: command_id(),
        case_id: case(),
        activity: Some(investigation::Activity {
            kind: investigation::ActivityKind::HomeVisit as i32,
            ..Default::default()
        }),
        held_on: "yesterday".into(),
        summary: "Visit.".into(),
    };
    cases.push((
        "held_on",
        call({
            let mut c = investigation_client.clone();
            async move { c.record_activity(request).await }
        }),
    ));
    let request = investigation::RecordActivityRequest {
        decided_at: None,
        late_reason: String::new(),
        command_id: command_id(),
        case_id: case(),
        activity: Some(investigation::Activity {
            kind: investigation::ActivityKind::AssessmentTool as i32,
            ..Default::default()
        }),
        held_on: day(0),
        summary: "Tool.".into(),
    };
    cases.push((
        "activity.tool",
        call({
            let mut c = investigation_client.clone();
            async move { c.record_activity(request).await }
        }),
    ));
    let request = investigation::ExtendDeadlineRequest {
        decided_at: None,
        late_reason: String::new(),
        command_id: command_id(),
        case_id: case(),
        to_months: 0,
        reason: "More time.".into(),
    };
    cases.push((
        "to_months",
        call({
            let mut c = investigation_client.clone();
            async move { c.extend_deadline(request).await }
        }),
    ));
    let request = investigation::RecordConsultationRequest {
        command_id: command_id(),
        case_id: case(),
        held_on: day(0),
        summary: "Samråd.".into(),
        ..Default::default()
    };
    cases.push((
        "partners",
        call({
            let mut c = investigation_client.clone();
            async move { c.record_consultation(request).await }
        }),
    ));
    let request = investigation::RecordForensicInterviewRequest {
        decided_at: None,
        late_reason: String::new(),
        command_id: command_id(),
        case_id: case(),
        outcome: None,
    };
    cases.push((
        "outcome",
        call({
            let mut c = investigation_client.clone();
            async move { c.record_forensic_interview(request).await }
        }),
    ));
    let request = investigation::ReportToPoliceRequest {
        decided_at: None,
        late_reason: String::new(),
        command_id: command_id(),
        case_id: case(),
        grounds: String::new(),
    };
    cases.push((
        "grounds",
        call({
            let mut c = investigation_client.clone();
            async move { c.report_to_police(request).await }
        }),
    ));
    let request = investigation::ConcludeInvestigationRequest {
        command_id: command_id(),
        case_id: case(),
        outcome: 99,
        reasons: "Done.".into(),
        ..Default::default()
    };
    cases.push((
        "outcome",
        call({
            let mut c = investigation_client.clone();
            async move { c.conclude_investigation(request).await }
        }),
    ));
    let request = investigation::ChangeCaseUrgencyRequest {
        decided_at: None,
        late_reason: String::new(),
        command_id: command_id(),
        case_id: case(),
        urgency: common::Urgency::Red as i32,
        reason: String::new(),
    };
    cases.push((
        "reason",
        call({
            let mut c = investigation_client.clone();
            async move { c.change_case_urgency(request).await }
        }),
    ));

    // MeasuresService.
    let mut no_goals = plan();
    no_goals.goals.clear();
    let request = measures::StartMeasureRequest {
        decided_at: None,
        late_reason: String::new(),
        command_id: command_id(),
        case_id: case(),
        measure: Some(measures::Measure {
            in_family_network: false,
            kind: measures::MeasureKind::Mst as i32,
            description: String::new(),
        }),
        plan: Some(no_goals),
    };
    cases.push((
        "plan.goals",
        call({
            let mut c = measures_client.clone();
            async move { c.start_measure(request).await }
        }),
    ));
    let request = measures::EvaluateMeasureRequest {
        decided_at: None,
        late_reason: String::new(),
        command_id: command_id(),
        case_id: case(),
        measure: 0,
        checklist: Some(Default::default()),
        assessment: "Fine.".into(),
    };
    cases.push((
        "measure",
        call({
            let mut c = measures_client.clone();
            async move { c.evaluate_measure(request).await }
        }),
    ));
    let request = measures::ExtendMeasureRequest {
        decided_at: None,
        late_reason: String::new(),
        command_id: command_id(),
        case_id: case(),
        measure: 1,
        reasons: "Longer.".into(),
        plan: None,
    };
    cases.push((
        "plan",
        call({
            let mut c = measures_client.clone();
            async move { c.extend_measure(request).await }
        }),
    ));
    let request = measures::ChangeMeasureRequest {
        decided_at: None,
        late_reason: String::new(),
        command_id: command_id(),
        case_id: case(),
        measure: 1,
        new_measure: Some(measures::Measure::default()),
        reasons: "Other.".into(),
        plan: Some(plan()),
    };
    cases.push((
        "new_measure.kind",
        call({
            let mut c = measures_client.clone();
            async move { c.change_measure(request).await }
        }),
    ));
    let request = measures::EndMeasureRequest {
        decided_at: None,
        late_reason: String::new(),
        command_id: command_id(),
        case_id: case(),
        measure: 1,
        reasons: String::new(),
    };
    cases.push((
        "reasons",
        call({
            let mut c = measures_client.clone();
            async move { c.end_measure(request).await }
        }),
    ));
    let request = measures::MakeEmergencyDecisionRequest {
        decided_at: None,
        habitually_resident_abroad: false,
        late_reason: String::new(),
        command_id: command_id(),
        case_id: case(),
        kind: 0,
        grounds: "Danger.".into(),
    };
    cases.push((
        "kind",
        call({
            let mut c = measures_client.clone();
            async move { c.make_emergency_decision(request).await }
        }),
    ));
    let request = measures::RecordEmergencyRulingRequest {
        decided_at: None,
        late_reason: String::new(),
        command_id: command_id(),
        case_id: case(),
        decision: 1,
        approved: false,
        refusal_reasons: String::new(),
    };
    cases.push((
        "refusal_reasons",
        call({
            let mut c = measures_client.clone();
            async move { c.record_emergency_ruling(request).await }
        }),
    ));
    let request = measures::SendEmergencyPetitionRequest {
        decided_at: None,
        late_reason: String::new(),
        command_id: command_id(),
        case_id: "x".into(),
        decision: 1,
    };
    cases.push((
        "case_id",
        call({
            let mut c = measures_client.clone();
            async move { c.send_emergency_petition(request).await }
        }),
    ));
    let request = measures::ProposeToBoardRequest {
        decided_at: None,
        late_reason: String::new(),
        command_id: command_id(),
        case_id: case(),
        proposal: 7,
        grounds: "Care order.".into(),
    };
    cases.push((
        "proposal",
        call({
            let mut c = measures_client.clone();
            async move { c.propose_to_board(request).await }
        }),
    ));
    let request = measures::RecordBoardDecisionRequest {
        decided_at: None,
        late_reason: String::new(),
        command_id: command_id(),
        case_id: case(),
        granted: true,
        decided_on: "2024-13-01".into(),
    };
    cases.push((
        "decided_on",
        call({
            let mut c = measures_client.clone();
            async move { c.record_board_decision(request).await }
        }),
    ));
    let request = measures::MakeCarePlanRequest {
        decided_at: None,
        late_reason: String::new(),
        in_family_network: false,
        command_id: command_id(),
        case_id: case(),
        placement: 0,
        placed_on: day(0),
        plan: "Plan.".into(),
    };
    cases.push((
        "placement",
        call({
            let mut c = measures_client.clone();
            async move { c.make_care_plan(request).await }
        }),
    ));
    let request = measures::MakePlanRequest {
        command_id: command_id(),
        case_id: case(),
        kind: 7,
        made_on: day(0),
        plan: "Plan.".into(),
        ..Default::default()
    };
    cases.push((
        "kind",
        call({
            let mut c = measures_client.clone();
            async move { c.make_plan(request).await }
        }),
    ));
    let request = measures::RecordFollowUpVisitRequest {
        decided_at: None,
        late_reason: String::new(),
        command_id: command_id(),
        case_id: case(),
        visited_on: String::new(),
    };
    cases.push((
        "visited_on",
        call({
            let mut c = measures_client.clone();
            async move { c.record_follow_up_visit(request).await }
        }),
    ));
    let request = measures::CloseCaseRequest {
        decided_at: None,
        late_reason: String::new(),
        command_id: String::new(),
        case_id: case(),
        reasons: "Done.".into(),
    };
    cases.push((
        "command_id",
        call({
            let mut c = measures_client.clone();
            async move { c.close_case(request).await }
        }),
    ));

    // FeedbackService.
    let request = feedback::MarkLettersSentRequest {
        late_reason: String::new(),
        sent_at: None,
        command_id: command_id(),
        report_id: report_id.clone(),
        letters: vec![],
    };
    cases.push((
        "letters",
        call({
            let mut c = feedback_client.clone();
            async move { c.mark_letters_sent(request).await }
        }),
    ));
    let request = feedback::MarkLettersSentRequest {
        late_reason: String::new(),
        sent_at: None,
        command_id: command_id(),
        report_id: report_id.clone(),
        letters: vec![feedback::Letter {
            kind: feedback::LetterKind::Conclusion as i32,
            case_id: String::new(),
        }],
    };
    cases.push((
        "letters[0].case_id",
        call({
            let mut c = feedback_client.clone();
            async move { c.mark_letters_sent(request).await }
        }),
    ));

    assert!(cases.len() >= 35);
    // AssignReport and AssignCase: a team is required.
    cases.push((
        "team",
        call({
            let mut c = intake_client.clone();
            let report_id = report_id.clone();
            async move {
                c.assign_report(intake::AssignReportRequest {
                    decided_at: None,
                    late_reason: String::new(),
                    command_id: command_id(),
                    report_id,
                    team: " ".into(),
                    caseworker: "kari".into(),
                })
                .await
            }
        }),
    ));
    cases.push((
        "caseworker",
        call({
            let mut c = investigation_client.clone();
            let case_id = case();
            async move {
                c.assign_case(investigation::AssignCaseRequest {
                    decided_at: None,
                    late_reason: String::new(),
                    command_id: command_id(),
                    case_id,
                    team: "Undersøkelse".into(),
                    caseworker: "x".repeat(201),
                })
                .await
            }
        }),
    ));
    // The queries: the same rules.
    let worklist_client = app.worklist();
    cases.push((
        "page_size",
        call({
            let mut c = worklist_client.clone();
            async move {
                c.list_cases_needing_review(worklist::ListCasesNeedingReviewRequest {
                    page_size: 5000,
                    ..Default::default()
                })
                .await
            }
        }),
    ));
    cases.push((
        "municipalities[1]",
        call({
            let mut c = worklist_client.clone();
            async move {
                c.get_caseload(worklist::GetCaseloadRequest {
                    municipalities: vec!["5035".into(), "9999".into()],
                    ..Default::default()
                })
                .await
            }
        }),
    ));
    cases.push((
        "period",
        call({
            let mut c = worklist_client.clone();
            async move {
                c.get_statistics(worklist::GetStatisticsRequest {
                    year: 2024,
                    ..Default::default()
                })
                .await
            }
        }),
    ));
    cases.push((
        "case_id",
        call({
            let mut c = worklist_client.clone();
            async move {
                c.get_case_timeline(worklist::GetCaseTimelineRequest {
                    purpose: String::new(),
                    case_id: "not-a-uuid".into(),
                    min_position: None,
                })
                .await
            }
        }),
    ));
    cases.push((
        "letter",
        call({
            let mut c = feedback_client.clone();
            let report_id = report_id.clone();
            async move {
                c.render_letter(feedback::RenderLetterRequest {
                    report_id,
                    letter: None,
                })
                .await
            }
        }),
    ));
    each_names_its_field(cases).await;
    assert_eq!(app.event_count().await, before, "bad input writes nothing");
}

/// Each call fails with INVALID_ARGUMENT, a BadRequest violation naming its field, and the
/// field in the message.
async fn each_names_its_field(cases: Vec<(&str, Call)>) {
    for (field, call) in cases {
        let status = call.await.expect_err(field);
        assert_eq!(status.code(), Code::InvalidArgument, "{field}: {status:?}");
        let violations = status
            .get_details_bad_request()
            .unwrap_or_else(|| panic!("{field}: no BadRequest details in {status:?}"))
            .field_violations;
        assert!(
            violations
                .iter()
                .any(|v| v.field == field && !v.description.is_empty()),
            "{field}: violations {violations:?}"
        );
        assert!(
            status.message().contains(field),
            "{field}: message {:?}",
            status.message()
        );
    }
}

/// The limits: at most 20 children a report, a child's birth date at most 25 years back and
/// an unborn child's due date at most 10 months ahead, and no bidirectional-control or
/// zero-width character in a name, a team or a read's purpose.
#[tokio::test]
async fn the_limits_refuse_each_naming_the_field_and_write_nothing() {
    let app = tests::TestApp::spawn().await;
    let case_id = case_under_investigation(&app, 40).await;
    let report_id = submit(&app, report(vec![child(41)], public_reporter())).await;
    let before = app.event_count().await;
    let intake_client = app.intake();
    let good = || report(vec![child(42)], public_reporter());
    let submit_call = |request: intake::SubmitReportRequest| {
        let mut c = intake_client.clone();
        call(async move { c.submit_report(request).await })
    };
    let mut cases: Vec<(&str, Call)> = Vec::new();

    let mut request = good();
    request.children = (0..21).map(|seed| child(100 + seed)).collect();
    cases.push(("children", submit_call(request)));
    let mut request = good();
    request.children = vec![common::Child {
        identity: Some(common::child::Identity::NameAndBirthDate(
            common::NameAndBirthDate {
                name: "Synthetic Grown-Up".into(),
                birth_date: day(-26 * 366),
            },
        )),
    }];
    cases.push((
        "children[0].name_and_birth_date.birth_date",
        submit_call(request),
    ));
    let mut request = good();
    request.children = vec![common::Child {
        identity: Some(common::child::Identity::Unborn(common::Unborn {
            expected_birth_date: day(11 * 31),
            mother: Some(common::Person {
                identity: Some(common::person::Identity::NameAndBirthDate(
                    common::NameAndBirthDate {
                        name: "Synthetic Mother".into(),
                        birth_date: "1995-04-01".into(),
                    },
                )),
            }),
        })),
    }];
    cases.push((
        "children[0].unborn.expected_birth_date",
        submit_call(request),
    ));
    let mut request = good();
    request.reporter = Some(intake::Reporter {
        kind: Some(intake::reporter::Kind::Public(intake::PublicReporter {
            organisation: "Testbyen barnehage".into(),
            role: "styrer".into(),
            name: "Kari \u{202E}nesestseT".into(),
            identity_withheld_from_parties: false,
        })),
    });
    cases.push(("reporter.public.name", submit_call(request)));
    cases.push((
        "team",
        call({
            let mut c = intake_client.clone();
            let report_id = report_id.clone();
            async move {
                c.assign_report(intake::AssignReportRequest {
                    decided_at: None,
                    late_reason: String::new(),
                    command_id: command_id(),
                    report_id,
                    team: "Mot\u{200B}tak".into(),
                    caseworker: String::new(),
                })
                .await
            }
        }),
    ));
    cases.push((
        "purpose",
        call({
            let mut c = app.investigation();
            let case_id = case_id.clone();
            async move {
                c.get_case(investigation::GetCaseRequest {
                    case_id,
                    purpose: "\u{2066}Oppfølging\u{2069}".into(),
                })
                .await
            }
        }),
    ));
    each_names_its_field(cases).await;
    assert_eq!(
        app.event_count().await,
        before,
        "refused input writes nothing"
    );
}

/// A request with several bad fields is answered once, INVALID_ARGUMENT with a BadRequest
/// naming every one of them (list items each by index), and nothing is written.
#[tokio::test]
async fn a_request_with_several_bad_fields_names_each_in_one_answer() {
    let app = tests::TestApp::spawn().await;
    let case_id = case_under_investigation(&app, 50).await;
    let report_id = submit(&app, report(vec![child(51)], public_reporter())).await;
    let before = app.event_count().await;
    let mut number = testkit::synthetic::national_identity_number(2019, 5, 17, 52).unwrap();
    let last = number.pop().unwrap().to_digit(10).unwrap();
    number.push(char::from_digit((last + 1) % 10, 10).unwrap());

    // SubmitReport: the report's own fields and items of both its lists.
    let mut request = report(
        vec![
            child(53),
            common::Child {
                identity: Some(common::child::Identity::NationalIdentityNumber(number)),
            },
            common::Child { identity: None },
        ],
        public_reporter(),
    );
    request.municipality = "9999".into();
    request.summary = "  ".into();
    request.concerns = vec![intake::ConcernCategory::Neglect as i32, 42];
    names_every_field(
        "SubmitReport",
        app.intake().submit_report(request).await,
        &[
            "municipality",
            "children[1].national_identity_number",
            "children[2].identity",
            "concerns[1]",
            "summary",
        ],
    );

    // StartMeasure: the command id beside the measure and its plan's fields.
    let mut bad_plan = plan();
    bad_plan.goals = vec!["A goal.".into(), " ".into()];
    bad_plan.starts_on = day(30);
    bad_plan.ends_on = day(0);
    bad_plan.evaluate_on = "soon".into();
    let request = measures::StartMeasureRequest {
        decided_at: None,
        late_reason: String::new(),
        command_id: "not-a-uuid".into(),
        case_id: case_id.clone(),
        measure: Some(measures::Measure {
            in_family_network: false,
            kind: 99,
            description: String::new(),
        }),
        plan: Some(bad_plan),
    };
    names_every_field(
        "StartMeasure",
        app.measures().start_measure(request).await,
        &[
            "command_id",
            "measure.kind",
            "plan.goals[1]",
            "plan.ends_on",
            "plan.evaluate_on",
        ],
    );

    // MarkLettersSent: two bad letters of one list.
    let request = feedback::MarkLettersSentRequest {
        late_reason: String::new(),
        sent_at: None,
        command_id: command_id(),
        report_id,
        letters: vec![
            feedback::Letter {
                kind: 99,
                case_id: String::new(),
            },
            feedback::Letter {
                kind: feedback::LetterKind::Conclusion as i32,
                case_id: String::new(),
            },
        ],
    };
    names_every_field(
        "MarkLettersSent",
        app.feedback().mark_letters_sent(request).await,
        &["letters[0].kind", "letters[1].case_id"],
    );

    // ListCasesNeedingReview: a page too large and an unknown municipality.
    let request = worklist::ListCasesNeedingReviewRequest {
        page_size: 5000,
        municipalities: vec!["5035".into(), "9999".into()],
        ..Default::default()
    };
    names_every_field(
        "ListCasesNeedingReview",
        app.worklist().list_cases_needing_review(request).await,
        &["page_size", "municipalities[1]"],
    );

    // A thousand bad items: the answer names the first and says how many more, within what a
    // gRPC header may carry (the violations travel in one).
    let mut request = report(vec![child(54)], public_reporter());
    request.concerns = vec![42; 1000];
    let status = app
        .intake()
        .submit_report(request)
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let violations = status
        .get_details_bad_request()
        .expect("BadRequest")
        .field_violations;
    assert_eq!(violations[0].field, "concerns[0]");
    let last = violations.last().expect("violations");
    assert!(
        last.field == "request" && last.description.contains("more violations"),
        "{last:?}"
    );
    assert_eq!(app.event_count().await, before, "bad input writes nothing");
}

/// The answer is INVALID_ARGUMENT whose BadRequest names each of `fields`, each with a reason,
/// and whose message names them too.
fn names_every_field<T: std::fmt::Debug>(
    rpc: &str,
    answer: Result<tonic::Response<T>, Status>,
    fields: &[&str],
) {
    let status = answer.expect_err(rpc);
    assert_eq!(status.code(), Code::InvalidArgument, "{rpc}: {status:?}");
    let violations = status
        .get_details_bad_request()
        .unwrap_or_else(|| panic!("{rpc}: no BadRequest details in {status:?}"))
        .field_violations;
    for field in fields {
        assert!(
            violations
                .iter()
                .any(|v| v.field == *field && !v.description.is_empty()),
            "{rpc}: {field} not among {violations:?}"
        );
        assert!(
            status.message().contains(field),
            "{rpc}: {field} not in the message {:?}",
            status.message()
        );
    }
}
