//! The policy over the wire: every method of the contract × every role × what the call
//! addresses (a case or report of the caller's own municipality, of another, or one that does
//! not exist), the expected answer of each cell worked out from a table written out here by
//! hand (not read from `handling::policy`, so a wrong rule there fails) and the rules for
//! municipalities. A cell refused writes nothing, and a
//! case of another municipality is refused in the very words a case that does not exist is.

use std::time::Duration;

use api::common::v1 as common;
use api::feedback::v1 as feedback;
use api::intake::v1 as intake;
use api::investigation::v1 as investigation;
use api::measures::v1 as measures;
use api::partner::v1 as partner;
use api::worklist::v1 as worklist;
use handling::policy::{RULES, Role, permits};
use platform::auth::Claims;
use prost::Message as _;
use tests::TestApp;
use tonic::Code;

use crate::fuzz::{RawCodec, methods};
use crate::{
    case_under_investigation, child, command_id, day, measure_plan as plan, public_reporter,
    report, start_investigation, submit,
};

/// Which data a cell reaches for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    /// A municipality the caller's token serves.
    Own,
    /// Oslo, which it does not.
    Other,
    /// A case or report id no stream has; a municipality number no municipality has.
    Missing,
}

/// What a request names: these ids and numbers, one set per column.
struct Target {
    case_id: String,
    report_id: String,
    municipality: String,
    /// A national portal document addressed to the column's municipality.
    document: Vec<u8>,
}

/// How a method finds its data, which decides what a missing target answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Addresses {
    /// By case or report id: a missing one is refused like another municipality's.
    Id,
    /// By municipality number: a number no municipality has is bad input.
    Municipality,
    /// A portal document: one addressed to no municipality is answered with the protocol's
    /// rejection (`feilet`), and nothing is stored.
    Document,
}

fn addresses(method: &str) -> Addresses {
    match method {
        "SubmitReport"
        | "ListCasesNeedingReview"
        | "GetStatistics"
        | "GetCaseload"
        | "ListRegistryFindings"
        | "ListLateEntries"
        | "ListLettersOwed" => Addresses::Municipality,
        "ImportDigitalReport" => Addresses::Document,
        _ => Addresses::Id,
    }
}

fn reads(method: &str) -> bool {
    ["Get", "List", "Render"]
        .iter()
        .any(|prefix| method.starts_with(prefix))
}

/// Who may call each method, written out here by hand rather than read from
/// `handling::policy`, so a wrong rule in the policy fails this test. Staff: caseworker,
/// team_leader, service_leader.
const STAFF: &[&str] = &["caseworker", "team_leader", "service_leader"];
const WHO_MAY_CALL: &[(&str, &[&str])] = &[
    (
        "/vern.intake.v1.IntakeService/SubmitReport",
        &[
            "caseworker",
            "team_leader",
            "service_leader",
            "reporter_portal",
        ],
    ),
    (
        "/vern.intake.v1.IntakeService/ImportDigitalReport",
        &[
            "caseworker",
            "team_leader",
            "service_leader",
            "reporter_portal",
        ],
    ),
    ("/vern.intake.v1.IntakeService/ScreenReport", STAFF),
    ("/vern.intake.v1.IntakeService/ChangeReportUrgency", STAFF),
    ("/vern.intake.v1.IntakeService/AssignReport", STAFF),
    ("/vern.intake.v1.IntakeService/GetReport", STAFF),
    (
        "/vern.investigation.v1.InvestigationService/StartInvestigation",
        STAFF,
    ),
    (
        "/vern.investigation.v1.InvestigationService/RecordActivity",
        STAFF,
    ),
    (
        "/vern.investigation.v1.InvestigationService/ExtendDeadline",
        STAFF,
    ),
    (
        "/vern.investigation.v1.InvestigationService/RecordConsultation",
        STAFF,
    ),
    (
        "/vern.investigation.v1.InvestigationService/RecordForensicInterview",
        STAFF,
    ),
    (
        "/vern.investigation.v1.InvestigationService/ReportToPolice",
        STAFF,
    ),
    (
        "/vern.investigation.v1.InvestigationService/ConcludeInvestigation",
        STAFF,
    ),
    (
        "/vern.investigation.v1.InvestigationService/ChangeCaseUrgency",
        STAFF,
    ),
    (
        "/vern.investigation.v1.InvestigationService/AssignCase",
        STAFF,
    ),
    ("/vern.investigation.v1.InvestigationService/GetCase", STAFF),
    ("/vern.measures.v1.MeasuresService/StartMeasure", STAFF),
    ("/vern.measures.v1.MeasuresService/EvaluateMeasure", STAFF),
    ("/vern.measures.v1.MeasuresService/ExtendMeasure", STAFF),
    ("/vern.measures.v1.MeasuresService/ChangeMeasure", STAFF),
    ("/vern.measures.v1.MeasuresService/EndMeasure", STAFF),
    (
        "/vern.measures.v1.MeasuresService/MakeEmergencyDecision",
        STAFF,
    ),
    (
        "/vern.measures.v1.MeasuresService/RecordEmergencyRuling",
        STAFF,
    ),
    (
        "/vern.measures.v1.MeasuresService/SendEmergencyPetition",
        STAFF,
    ),
    ("/vern.measures.v1.MeasuresService/ProposeToBoard", STAFF),
    (
        "/vern.measures.v1.MeasuresService/RecordBoardDecision",
        STAFF,
    ),
    ("/vern.measures.v1.MeasuresService/MakeCarePlan", STAFF),
    ("/vern.measures.v1.MeasuresService/MakePlan", STAFF),
    (
        "/vern.measures.v1.MeasuresService/RecordCareOrderCarriedOut",
        STAFF,
    ),
    (
        "/vern.measures.v1.MeasuresService/RecordSupervisionVisit",
        STAFF,
    ),
    ("/vern.measures.v1.MeasuresService/DecideVisitRate", STAFF),
    (
        "/vern.measures.v1.MeasuresService/ExtendCareOrderImplementation",
        STAFF,
    ),
    (
        "/vern.measures.v1.MeasuresService/RecordFollowUpVisit",
        STAFF,
    ),
    ("/vern.measures.v1.MeasuresService/CloseCase", STAFF),
    ("/vern.feedback.v1.FeedbackService/GetLettersOwed", STAFF),
    ("/vern.feedback.v1.FeedbackService/ListLettersOwed", STAFF),
    ("/vern.feedback.v1.FeedbackService/RenderLetter", STAFF),
    ("/vern.feedback.v1.FeedbackService/MarkLettersSent", STAFF),
    (
        "/vern.worklist.v1.WorklistService/ListCasesNeedingReview",
        STAFF,
    ),
    (
        "/vern.worklist.v1.WorklistService/GetStatistics",
        &["caseworker", "team_leader", "service_leader", "supervisor"],
    ),
    ("/vern.worklist.v1.WorklistService/GetCaseTimeline", STAFF),
    ("/vern.worklist.v1.WorklistService/GetCaseload", STAFF),
    (
        "/vern.worklist.v1.WorklistService/ListRegistryFindings",
        STAFF,
    ),
    (
        "/vern.worklist.v1.WorklistService/ListLateEntries",
        &["team_leader", "service_leader", "supervisor"],
    ),
    (
        "/vern.audit.v1.AuditService/ListReads",
        &["service_leader", "supervisor"],
    ),
    (
        "/vern.partner.v1.PartnerService/InviteToConsultation",
        STAFF,
    ),
    ("/vern.partner.v1.PartnerService/CloseConsultation", STAFF),
    (
        "/vern.partner.v1.PartnerService/GetConsultation",
        &["police", "barnehus"],
    ),
    (
        "/vern.partner.v1.PartnerService/RecordAttendance",
        &["police", "barnehus"],
    ),
    (
        "/vern.partner.v1.PartnerService/RecordForensicInterviewDecision",
        &["police", "barnehus"],
    ),
    (
        "/vern.partner.v1.PartnerService/RecordPoliceReportDecision",
        &["police"],
    ),
];

/// Whether the table above lets `role` call `path`.
fn may_call(role: &str, path: &str) -> bool {
    WHO_MAY_CALL
        .iter()
        .any(|(method, roles)| *method == path && roles.contains(&role))
}

/// The answers a cell may give: the table's verdict for the role, then the municipality
/// rules. A permitted write on the caller's own case is decided by the lifecycle, which may
/// refuse it (say, a second conclusion): either way it got past access control.
fn expected(role: Role, path: &str, column: Column) -> &'static [Code] {
    let method = path.rsplit('/').next().unwrap_or_default();
    if !may_call(role.name(), path) {
        return &[Code::PermissionDenied];
    }
    match (column, addresses(method)) {
        (Column::Own, _) if reads(method) => &[Code::Ok],
        (Column::Own, _) => &[Code::Ok, Code::FailedPrecondition],
        (Column::Other, _) | (Column::Missing, Addresses::Id) => &[Code::PermissionDenied],
        (Column::Missing, Addresses::Municipality) => &[Code::InvalidArgument],
        (Column::Missing, Addresses::Document) => &[Code::Ok],
    }
}

/// A valid request for `method` that names `target`.
fn request(method: &str, target: &Target) -> Vec<u8> {
    let case_id = target.case_id.clone();
    let report_id = target.report_id.clone();
    let municipalities = vec![target.municipality.clone()];
    match method {
        // IntakeService.
        "SubmitReport" => intake::SubmitReportRequest {
            municipality: target.municipality.clone(),
            ..report(vec![child(70)], public_reporter())
        }
        .encode_to_vec(),
        "ImportDigitalReport" => intake::ImportDigitalReportRequest {
            message_type: fiks::PUBLIC_V2.into(),
            message_id: command_id(),
            body: target.document.clone(),
            urgency: 0,
        }
        .encode_to_vec(),
        "ScreenReport" => intake::ScreenReportRequest {
            decided_at: None,
            late_reason: String::new(),
            reporter_code: String::new(),
            command_id: command_id(),
            report_id,
            children: vec![crate::dismiss(0)],
        }
        .encode_to_vec(),
        "ChangeReportUrgency" => intake::ChangeReportUrgencyRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            report_id,
            urgency: common::Urgency::Red as i32,
            reason: "Worse than first thought.".into(),
        }
        .encode_to_vec(),
        "AssignReport" => intake::AssignReportRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            report_id,
            team: "Mottak".into(),
            caseworker: String::new(),
        }
        .encode_to_vec(),
        "GetReport" => intake::GetReportRequest {
            report_id,
            purpose: "Matrix".into(),
        }
        .encode_to_vec(),
        // InvestigationService.
        "StartInvestigation" => investigation::StartInvestigationRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id,
            themes: "Care at home.".into(),
            planned_activities: vec![],
        }
        .encode_to_vec(),
        "RecordActivity" => investigation::RecordActivityRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id,
            activity: Some(investigation::Activity {
                kind: investigation::ActivityKind::HomeVisit as i32,
                ..Default::default()
            }),
            held_on: day(0),
            summary: "Visit.".into(),
        }
        .encode_to_vec(),
        "ExtendDeadline" => investigation::ExtendDeadlineRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id,
            to_months: 6,
            reason: "The child's school is closed for the summer.".into(),
        }
        .encode_to_vec(),
        "RecordConsultation" => investigation::RecordConsultationRequest {
            command_id: command_id(),
            case_id,
            partners: vec![investigation::Partner::Police as i32],
            held_on: day(0),
            summary: "Samråd.".into(),
            ..Default::default()
        }
        .encode_to_vec(),
        "RecordForensicInterview" => investigation::RecordForensicInterviewRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id,
            outcome: Some(
                investigation::record_forensic_interview_request::Outcome::Held(
                    investigation::InterviewHeld { held_on: day(0) },
                ),
            ),
        }
        .encode_to_vec(),
        "ReportToPolice" => investigation::ReportToPoliceRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id,
            grounds: "Suspected violence.".into(),
        }
        .encode_to_vec(),
        "ConcludeInvestigation" => investigation::ConcludeInvestigationRequest {
            command_id: command_id(),
            case_id,
            outcome: investigation::ConclusionOutcome::MeasuresDecided as i32,
            reasons: "Help at home.".into(),
            ..Default::default()
        }
        .encode_to_vec(),
        "ChangeCaseUrgency" => investigation::ChangeCaseUrgencyRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id,
            urgency: common::Urgency::Red as i32,
            reason: "New information.".into(),
        }
        .encode_to_vec(),
        "AssignCase" => investigation::AssignCaseRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id,
            team: "Undersøkelse".into(),
            caseworker: String::new(),
        }
        .encode_to_vec(),
        "GetCase" => investigation::GetCaseRequest {
            case_id,
            purpose: "Matrix".into(),
        }
        .encode_to_vec(),
        // MeasuresService.
        "StartMeasure" => measures::StartMeasureRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id,
            measure: Some(measures::Measure {
                kind: measures::MeasureKind::Mst as i32,
                ..Default::default()
            }),
            plan: Some(plan()),
        }
        .encode_to_vec(),
        "EvaluateMeasure" => measures::EvaluateMeasureRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id,
            measure: 1,
            checklist: Some(Default::default()),
            assessment: "Fine.".into(),
        }
        .encode_to_vec(),
        "ExtendMeasure" => measures::ExtendMeasureRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id,
            measure: 1,
            reasons: "Longer.".into(),
            plan: Some(plan()),
        }
        .encode_to_vec(),
        "ChangeMeasure" => measures::ChangeMeasureRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id,
            measure: 1,
            new_measure: Some(measures::Measure {
                kind: measures::MeasureKind::Pmto as i32,
                ..Default::default()
            }),
            reasons: "Other.".into(),
            plan: Some(plan()),
        }
        .encode_to_vec(),
        "EndMeasure" => measures::EndMeasureRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id,
            measure: 1,
            reasons: "Goals reached.".into(),
        }
        .encode_to_vec(),
        "MakeEmergencyDecision" => measures::MakeEmergencyDecisionRequest {
            decided_at: None,
            habitually_resident_abroad: false,
            late_reason: String::new(),
            command_id: command_id(),
            case_id,
            kind: measures::EmergencyKind::Placement as i32,
            grounds: "Danger.".into(),
        }
        .encode_to_vec(),
        "RecordEmergencyRuling" => measures::RecordEmergencyRulingRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id,
            decision: 1,
            approved: true,
            refusal_reasons: String::new(),
        }
        .encode_to_vec(),
        "SendEmergencyPetition" => measures::SendEmergencyPetitionRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id,
            decision: 1,
        }
        .encode_to_vec(),
        "ProposeToBoard" => measures::ProposeToBoardRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id,
            proposal: measures::BoardProposal::CareOrder as i32,
            grounds: "Care order.".into(),
        }
        .encode_to_vec(),
        "RecordBoardDecision" => measures::RecordBoardDecisionRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id,
            granted: true,
            decided_on: day(0),
        }
        .encode_to_vec(),
        "MakeCarePlan" => measures::MakeCarePlanRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id,
            placement: measures::Placement::FosterHome as i32,
            placed_on: day(0),
            plan: "Plan.".into(),
            in_family_network: false,
        }
        .encode_to_vec(),
        "MakePlan" => measures::MakePlanRequest {
            command_id: command_id(),
            case_id,
            kind: measures::PlanKind::EmergencyInvestigation as i32,
            made_on: day(0),
            plan: "Plan.".into(),
            ..Default::default()
        }
        .encode_to_vec(),
        "RecordCareOrderCarriedOut" => measures::RecordCareOrderCarriedOutRequest {
            command_id: command_id(),
            case_id,
            carried_out_on: day(0),
            ..Default::default()
        }
        .encode_to_vec(),
        "ExtendCareOrderImplementation" => measures::ExtendCareOrderImplementationRequest {
            command_id: command_id(),
            case_id,
            extended_to: day(60),
            reason: "Special grounds.".into(),
            ..Default::default()
        }
        .encode_to_vec(),
        "RecordSupervisionVisit" => measures::RecordSupervisionVisitRequest {
            command_id: command_id(),
            case_id,
            visited_on: day(0),
            ..Default::default()
        }
        .encode_to_vec(),
        "DecideVisitRate" => measures::DecideVisitRateRequest {
            command_id: command_id(),
            case_id,
            visits: measures::VisitKind::FollowUp as i32,
            per_year: 4,
            reasons: "Sound.".into(),
            ..Default::default()
        }
        .encode_to_vec(),
        "RecordFollowUpVisit" => measures::RecordFollowUpVisitRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id,
            visited_on: day(0),
        }
        .encode_to_vec(),
        "CloseCase" => measures::CloseCaseRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id,
            reasons: "Done.".into(),
        }
        .encode_to_vec(),
        // FeedbackService.
        "GetLettersOwed" => feedback::GetLettersOwedRequest {
            report_id,
            ..Default::default()
        }
        .encode_to_vec(),
        "ListLettersOwed" => feedback::ListLettersOwedRequest {
            municipality: target.municipality.clone(),
            ..Default::default()
        }
        .encode_to_vec(),
        "RenderLetter" => feedback::RenderLetterRequest {
            report_id,
            letter: Some(feedback::Letter {
                kind: feedback::LetterKind::Receipt as i32,
                case_id: String::new(),
            }),
        }
        .encode_to_vec(),
        "MarkLettersSent" => feedback::MarkLettersSentRequest {
            late_reason: String::new(),
            sent_at: None,
            command_id: command_id(),
            report_id,
            letters: vec![feedback::Letter {
                kind: feedback::LetterKind::Receipt as i32,
                case_id: String::new(),
            }],
        }
        .encode_to_vec(),
        // WorklistService.
        "ListCasesNeedingReview" => worklist::ListCasesNeedingReviewRequest {
            municipalities,
            ..Default::default()
        }
        .encode_to_vec(),
        "GetStatistics" => worklist::GetStatisticsRequest {
            year: 2026,
            period: worklist::PeriodKind::Year as i32,
            municipalities,
            ..Default::default()
        }
        .encode_to_vec(),
        "GetCaseTimeline" => worklist::GetCaseTimelineRequest {
            purpose: String::new(),
            case_id,
            min_position: None,
        }
        .encode_to_vec(),
        "GetCaseload" => worklist::GetCaseloadRequest {
            municipalities,
            ..Default::default()
        }
        .encode_to_vec(),
        "ListRegistryFindings" => worklist::ListRegistryFindingsRequest {
            municipality: target.municipality.clone(),
            ..Default::default()
        }
        .encode_to_vec(),
        "ListLateEntries" => worklist::ListLateEntriesRequest {
            municipalities,
            first_day: "2024-01-01".into(),
            last_day: "2024-12-31".into(),
            ..Default::default()
        }
        .encode_to_vec(),
        // AuditService.
        "ListReads" => api::audit::v1::ListReadsRequest {
            case_id,
            ..Default::default()
        }
        .encode_to_vec(),
        // PartnerService: consultation 1 of each case is open to both partners; 2 is the one
        // staff close.
        "InviteToConsultation" => partner::InviteToConsultationRequest {
            command_id: command_id(),
            case_id,
            partners: vec![partner::Partner::Police as i32],
            meeting_at: Some(prost_types::Timestamp {
                seconds: tests::now() + 86_400,
                nanos: 0,
            }),
            place: "Statens barnehus".into(),
            decisions_asked: vec![partner::Decision::PoliceReport as i32],
        }
        .encode_to_vec(),
        "CloseConsultation" => partner::CloseConsultationRequest {
            command_id: command_id(),
            case_id,
            consultation: 2,
        }
        .encode_to_vec(),
        "GetConsultation" => partner::GetConsultationRequest {
            case_id,
            consultation: 1,
        }
        .encode_to_vec(),
        "RecordAttendance" => partner::RecordAttendanceRequest {
            command_id: command_id(),
            case_id,
            consultation: 1,
            attending: true,
        }
        .encode_to_vec(),
        "RecordForensicInterviewDecision" => partner::RecordForensicInterviewDecisionRequest {
            command_id: command_id(),
            case_id,
            consultation: 1,
            decision: Some(
                partner::record_forensic_interview_decision_request::Decision::ToBeHeld(
                    partner::InterviewToBeHeld { on: day(1) },
                ),
            ),
        }
        .encode_to_vec(),
        "RecordPoliceReportDecision" => partner::RecordPoliceReportDecisionRequest {
            command_id: command_id(),
            case_id,
            consultation: 1,
            filed: true,
        }
        .encode_to_vec(),
        other => panic!("the matrix has no request for {other}: add one"),
    }
}

/// The portal's public example, addressed to `number` (`name`).
fn document(number: &str, name: &str) -> Vec<u8> {
    let mut document: serde_json::Value =
        serde_json::from_str(fiks::samples::PUBLIC_EXAMPLE).expect("the example is JSON");
    document["kommunenummer"] = number.into();
    document["kommunenavn"] = name.into();
    serde_json::to_vec(&document).expect("JSON")
}

fn token(app: &TestApp, role: &str, municipalities: &[&str]) -> String {
    app.key.issue(&Claims::new(
        "matrix",
        role,
        municipalities.iter().map(|&m| m.to_owned()).collect(),
        tests::now(),
        600,
    ))
}

/// Calls `path` with `body` and `token`; the answer's code and message.
async fn call(app: &TestApp, token: &str, path: &str, body: Vec<u8>) -> (Code, String) {
    let mut grpc = tonic::client::Grpc::new(app.channel());
    grpc.ready().await.expect("ready");
    let mut request = tonic::Request::new(body);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request.set_timeout(Duration::from_secs(10));
    match grpc.unary(request, path.parse().unwrap(), RawCodec).await {
        Ok(_) => (Code::Ok, String::new()),
        Err(status) => (status.code(), status.message().to_owned()),
    }
}

/// Invites both partners to a consultation on `case_id`, as a caseworker serving `served`.
async fn invite_both(app: &TestApp, case_id: &str, served: &str) {
    let request = partner::InviteToConsultationRequest {
        command_id: command_id(),
        case_id: case_id.to_owned(),
        partners: vec![
            partner::Partner::Police as i32,
            partner::Partner::Barnehus as i32,
        ],
        meeting_at: Some(prost_types::Timestamp {
            seconds: tests::now() + 86_400,
            nanos: 0,
        }),
        place: "Statens barnehus".into(),
        decisions_asked: vec![
            partner::Decision::ForensicInterview as i32,
            partner::Decision::PoliceReport as i32,
        ],
    };
    let (code, message) = call(
        app,
        &token(app, "caseworker", &[served]),
        "/vern.partner.v1.PartnerService/InviteToConsultation",
        request.encode_to_vec(),
    )
    .await;
    assert_eq!(code, Code::Ok, "{message}");
}

/// A report and a case under investigation in Oslo, made by Oslo's own caseworker.
async fn oslo_case(app: &TestApp) -> (String, String) {
    let oslo = token(app, "caseworker", &["0301"]);
    let mut intake = app.intake_with_token(Some(oslo));
    let report_id = intake
        .submit_report(intake::SubmitReportRequest {
            municipality: "0301".into(),
            ..report(vec![child(71)], public_reporter())
        })
        .await
        .expect("Oslo's report")
        .into_inner()
        .report_id;
    let screened = intake
        .screen_report(intake::ScreenReportRequest {
            decided_at: None,
            late_reason: String::new(),
            reporter_code: String::new(),
            command_id: command_id(),
            report_id: report_id.clone(),
            children: vec![crate::open_investigation(0)],
        })
        .await
        .expect("Oslo's screening")
        .into_inner();
    (report_id, screened.cases[0].case_id.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_method_answers_every_role_for_own_other_and_missing_data_as_the_policy_says() {
    let app = TestApp::spawn().await;
    let methods: Vec<String> = methods()
        .iter()
        .map(|method| format!("/{}/{}", method.parent_service().full_name(), method.name()))
        .collect();

    // Both tables cover the contract: no method is refused to all for want of a rule, and
    // the table here names every method, no more.
    for path in &methods {
        let (service, method) = path[1..].split_once('/').unwrap();
        assert!(
            RULES
                .iter()
                .any(|(s, rules)| *s == service && rules.iter().any(|(m, _)| *m == method)),
            "{path} has no rule in handling::policy::RULES"
        );
        assert!(
            WHO_MAY_CALL.iter().any(|(listed, _)| listed == path),
            "{path} is not in this test's table"
        );
    }
    assert_eq!(WHO_MAY_CALL.len(), methods.len());

    let own_case = case_under_investigation(&app, 72).await;
    start_investigation(&app, &own_case).await;
    let own_report = submit(&app, report(vec![child(73)], public_reporter())).await;
    let (oslo_report, oslo_case) = oslo_case(&app).await;
    for (case_id, served) in [(&own_case, "5035"), (&oslo_case, "0301")] {
        for _ in 0..2 {
            invite_both(&app, case_id, served).await;
        }
    }
    let targets = [
        (
            Column::Own,
            Target {
                case_id: own_case,
                report_id: own_report,
                municipality: "5035".into(),
                // 1201 Bergen, which is 4601 since 2020: served.
                document: fiks::samples::PUBLIC_EXAMPLE.as_bytes().to_vec(),
            },
        ),
        (
            Column::Other,
            Target {
                case_id: oslo_case,
                report_id: oslo_report,
                municipality: "0301".into(),
                document: document("0301", "Oslo"),
            },
        ),
        (
            Column::Missing,
            Target {
                case_id: command_id(),
                report_id: command_id(),
                municipality: "9999".into(),
                document: document("9999", "Ingensteds"),
            },
        ),
    ];
    let tokens: Vec<(Role, String)> = Role::ALL
        .into_iter()
        .map(|role| (role, token(&app, role.name(), &tests::SERVED)))
        .collect();

    let mut cells = 0;
    let mut answered = std::collections::BTreeMap::<String, usize>::new();
    for path in &methods {
        let method = path.rsplit('/').next().unwrap();
        for (role, token) in &tokens {
            let mut refusals = Vec::new();
            for (column, target) in &targets {
                let before = app.event_count().await;
                let (code, message) = call(&app, token, path, request(method, target)).await;
                let allowed = expected(*role, path, *column);
                assert!(
                    allowed.contains(&code),
                    "{} calling {path} for {column:?} data: {code:?} ({message}), expected one \
                     of {allowed:?}",
                    role.name()
                );
                if *column != Column::Own {
                    assert_eq!(
                        app.event_count().await,
                        before,
                        "{} calling {path} for {column:?} data wrote events",
                        role.name()
                    );
                    refusals.push((code, message));
                }
                *answered.entry(format!("{column:?} {code:?}")).or_default() += 1;
                cells += 1;
            }
            // Another municipality's case and a case that does not exist: the same words.
            if addresses(method) == Addresses::Id {
                assert_eq!(
                    refusals[0],
                    refusals[1],
                    "{} calling {path}: other and missing answer alike",
                    role.name()
                );
            }
        }
        // A role no one has may call nothing.
        let wizard = token(&app, "wizard", &tests::SERVED);
        let (code, _) = call(&app, &wizard, path, request(method, &targets[0].1)).await;
        assert_eq!(code, Code::PermissionDenied, "{path}");
    }
    assert_eq!(cells, methods.len() * Role::ALL.len() * 3);
    eprintln!("{cells} cells: {answered:?}");
    // Every column was exercised past the role check: the matrix is not all refusals.
    for column in [
        "Own Ok",
        "Other PermissionDenied",
        "Missing PermissionDenied",
    ] {
        assert!(answered.contains_key(column), "{column}: {answered:?}");
    }

    // What the table means, spelled out for the roles with the least: the partners reach the
    // partner service's consultation methods and nothing else; the operator nothing at all.
    for role in [Role::Police, Role::Barnehus] {
        for path in &methods {
            let partner_side = path.starts_with("/vern.partner.v1.PartnerService/")
                && !path.ends_with("/InviteToConsultation")
                && !path.ends_with("/CloseConsultation");
            if !partner_side {
                assert!(!permits(role, path), "{role} may call {path}");
            }
        }
    }
    assert!(methods.iter().all(|path| !permits(Role::Operator, path)));
    assert!(permits(
        Role::Supervisor,
        "/vern.worklist.v1.WorklistService/GetStatistics"
    ));
    assert!(!permits(
        Role::Supervisor,
        "/vern.worklist.v1.WorklistService/GetCaseTimeline"
    ));
    assert!(permits(
        Role::ReporterPortal,
        "/vern.intake.v1.IntakeService/SubmitReport"
    ));
    assert!(!permits(
        Role::ReporterPortal,
        "/vern.intake.v1.IntakeService/GetReport"
    ));
    // Reflection describes the contract to any role; health needs no token at all.
    assert!(permits(
        Role::Police,
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
    ));
}

#[tokio::test]
async fn a_token_serving_no_municipality_reaches_no_list() {
    let app = TestApp::spawn().await;
    let nobody = token(&app, "caseworker", &[]);
    let (code, message) = call(
        &app,
        &nobody,
        "/vern.worklist.v1.WorklistService/ListCasesNeedingReview",
        worklist::ListCasesNeedingReviewRequest::default().encode_to_vec(),
    )
    .await;
    assert_eq!(code, Code::PermissionDenied, "{message}");
    assert!(message.contains("serves no municipality"), "{message}");
}
