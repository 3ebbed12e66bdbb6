//! The read audit over the wire: every read of a case or report leaves one record with who,
//! when, which method and why; a refused read leaves a denial; a supervisor lists them; a
//! read whose record cannot be written is not answered; and the record cannot be changed.

use api::audit::v1 as audit;
use api::audit::v1::audit_service_client::AuditServiceClient;
use api::feedback::v1 as feedback;
use api::intake::v1 as intake;
use api::investigation::v1 as investigation;
use api::investigation::v1::investigation_service_client::InvestigationServiceClient;
use api::worklist::v1 as worklist;
use platform::auth::Claims;
use tests::{Bearer, TestApp};
use tonic::Code;

use crate::{assert_code, case_under_investigation, child, public_reporter, report, submit};

fn token(app: &TestApp, subject: &str, role: &str, municipalities: &[&str]) -> String {
    app.key.issue(&Claims::new(
        subject,
        role,
        municipalities.iter().map(|&m| m.to_owned()).collect(),
        tests::now(),
        600,
    ))
}

fn auditor(app: &TestApp, municipalities: &[&str]) -> AuditServiceClient<tests::Authed> {
    AuditServiceClient::with_interceptor(
        app.channel(),
        Bearer::new(token(app, "tilsyn-1", "supervisor", municipalities)),
    )
}

async fn reads_of_case(app: &TestApp, case_id: &str) -> Vec<audit::Read> {
    auditor(app, &["5035"])
        .list_reads(audit::ListReadsRequest {
            case_id: case_id.to_owned(),
            ..Default::default()
        })
        .await
        .expect("the supervisor lists the reads")
        .into_inner()
        .reads
}

async fn reads_of_report(app: &TestApp, report_id: &str) -> Vec<audit::Read> {
    auditor(app, &["5035"])
        .list_reads(audit::ListReadsRequest {
            report_id: report_id.to_owned(),
            ..Default::default()
        })
        .await
        .expect("the supervisor lists the reads")
        .into_inner()
        .reads
}

#[tokio::test]
async fn every_read_of_a_case_or_report_leaves_exactly_one_record() {
    let app = TestApp::spawn().await;
    let case_id = case_under_investigation(&app, 80).await;
    let report_id = submit(&app, report(vec![child(81)], public_reporter())).await;
    assert!(reads_of_case(&app, &case_id).await.is_empty());

    app.investigation()
        .get_case(investigation::GetCaseRequest {
            case_id: case_id.clone(),
            purpose: "Preparing the home visit".into(),
        })
        .await
        .expect("case read");
    let reads = reads_of_case(&app, &case_id).await;
    assert_eq!(reads.len(), 1, "{reads:?}");
    let read = &reads[0];
    assert_eq!(
        (
            read.subject.as_str(),
            read.role.as_str(),
            read.method.as_str(),
            read.purpose.as_str(),
            read.outcome.as_str(),
            read.case_id.as_str(),
        ),
        (
            "caseworker-7",
            "caseworker",
            "vern.investigation.v1.InvestigationService/GetCase",
            "Preparing the home visit",
            "READ",
            case_id.as_str(),
        )
    );
    let read_at = read.read_at.expect("read_at").seconds;
    assert!((read_at - tests::now()).abs() < 60, "{read_at}");

    app.worklist()
        .get_case_timeline(worklist::GetCaseTimelineRequest {
            case_id: case_id.clone(),
            ..Default::default()
        })
        .await
        .expect("timeline read");
    let reads = reads_of_case(&app, &case_id).await;
    assert_eq!(reads.len(), 2, "{reads:?}");
    assert_eq!(
        reads[1].method,
        "vern.worklist.v1.WorklistService/GetCaseTimeline"
    );
    assert_eq!(reads[1].purpose, "", "no purpose given");

    // The report's reads: the report itself, the letters owed, a letter rendered.
    app.intake()
        .get_report(intake::GetReportRequest {
            report_id: report_id.clone(),
            purpose: "Screening".into(),
        })
        .await
        .expect("report read");
    app.feedback()
        .get_letters_owed(feedback::GetLettersOwedRequest {
            report_id: report_id.clone(),
            ..Default::default()
        })
        .await
        .expect("letters owed");
    app.feedback()
        .render_letter(feedback::RenderLetterRequest {
            report_id: report_id.clone(),
            letter: Some(feedback::Letter {
                kind: feedback::LetterKind::Receipt as i32,
                case_id: String::new(),
            }),
        })
        .await
        .expect("letter rendered");
    let methods: Vec<String> = reads_of_report(&app, &report_id)
        .await
        .into_iter()
        .map(|read| format!("{} {}", read.outcome, read.method))
        .collect();
    assert_eq!(
        methods,
        [
            "READ vern.intake.v1.IntakeService/GetReport",
            "READ vern.feedback.v1.FeedbackService/GetLettersOwed",
            "READ vern.feedback.v1.FeedbackService/RenderLetter",
        ]
    );
    // Listing the reads is not itself a read of the case.
    assert_eq!(reads_of_case(&app, &case_id).await.len(), 2);
}

#[tokio::test]
async fn a_refused_read_leaves_a_denial_that_the_cases_own_supervisor_sees() {
    let app = TestApp::spawn().await;
    let case_id = case_under_investigation(&app, 82).await;
    // A caseworker of Oslo asks for Stjørdal's case.
    let mut oslo = InvestigationServiceClient::with_interceptor(
        app.channel(),
        Bearer::new(token(&app, "oslo-3", "caseworker", &["0301"])),
    );
    let refused = oslo
        .get_case(investigation::GetCaseRequest {
            case_id: case_id.clone(),
            purpose: "Curious".into(),
        })
        .await;
    assert_code(refused, Code::PermissionDenied);
    let reads = reads_of_case(&app, &case_id).await;
    assert_eq!(reads.len(), 1, "{reads:?}");
    assert_eq!(
        (
            reads[0].subject.as_str(),
            reads[0].outcome.as_str(),
            reads[0].purpose.as_str()
        ),
        ("oslo-3", "DENIED", "Curious")
    );

    // Oslo's supervisor may not list Stjørdal's case, nor a case that does not exist: alike.
    let other = auditor(&app, &["0301"])
        .list_reads(audit::ListReadsRequest {
            case_id: case_id.clone(),
            ..Default::default()
        })
        .await
        .expect_err("refused");
    let missing = auditor(&app, &["0301"])
        .list_reads(audit::ListReadsRequest {
            case_id: uuid::Uuid::new_v4().to_string(),
            ..Default::default()
        })
        .await
        .expect_err("refused");
    assert_eq!(other.code(), Code::PermissionDenied);
    assert_eq!(
        (other.code(), other.message()),
        (missing.code(), missing.message())
    );
    // A caseworker may not read the audit at all.
    let mut caseworker =
        AuditServiceClient::with_interceptor(app.channel(), Bearer::new(app.token.clone()));
    let refused = caseworker
        .list_reads(audit::ListReadsRequest {
            case_id: case_id.clone(),
            ..Default::default()
        })
        .await;
    assert_code(refused, Code::PermissionDenied);
    // A supervisor may not read the case itself: refused by role, before the request is read,
    // and recorded as a refused read without the case it named.
    let mut supervisor = InvestigationServiceClient::with_interceptor(
        app.channel(),
        Bearer::new(token(&app, "tilsyn-1", "supervisor", &["5035"])),
    );
    let refused = supervisor
        .get_case(investigation::GetCaseRequest {
            case_id: case_id.clone(),
            purpose: String::new(),
        })
        .await;
    assert_code(refused, Code::PermissionDenied);
    let by_role: Vec<(String, String, String, String)> = sqlx::query_as(
        "select subject, role, method, outcome from read_audit \
         where case_id is null and report_id is null",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(
        by_role,
        [(
            "tilsyn-1".to_owned(),
            "supervisor".to_owned(),
            "vern.investigation.v1.InvestigationService/GetCase".to_owned(),
            "denied".to_owned()
        )]
    );

    // Bad input names the field.
    let both = auditor(&app, &["5035"])
        .list_reads(audit::ListReadsRequest {
            case_id: case_id.clone(),
            report_id: case_id.clone(),
            ..Default::default()
        })
        .await
        .expect_err("refused");
    assert_eq!(both.code(), Code::InvalidArgument);
    assert!(both.message().contains("report_id"), "{}", both.message());
}

#[tokio::test]
async fn a_read_whose_record_cannot_be_written_is_not_answered() {
    let app = TestApp::spawn().await;
    let case_id = case_under_investigation(&app, 83).await;
    let pool = app.db.pool();
    sqlx::query("alter table read_audit rename to read_audit_away")
        .execute(pool)
        .await
        .unwrap();
    let read = app
        .investigation()
        .get_case(investigation::GetCaseRequest {
            case_id: case_id.clone(),
            purpose: String::new(),
        })
        .await;
    sqlx::query("alter table read_audit_away rename to read_audit")
        .execute(pool)
        .await
        .unwrap();
    let status = read.expect_err("no answer without its record");
    assert_eq!(status.code(), Code::Internal, "{status:?}");
    assert!(!status.message().contains(&case_id), "{}", status.message());
    // With the record back, the read is answered and recorded.
    app.investigation()
        .get_case(investigation::GetCaseRequest {
            case_id: case_id.clone(),
            purpose: String::new(),
        })
        .await
        .expect("answered");
    assert_eq!(reads_of_case(&app, &case_id).await.len(), 1);
}

#[tokio::test]
async fn the_record_refuses_changes() {
    let app = TestApp::spawn().await;
    let case_id = case_under_investigation(&app, 84).await;
    app.investigation()
        .get_case(investigation::GetCaseRequest {
            case_id: case_id.clone(),
            purpose: String::new(),
        })
        .await
        .expect("read");
    for statement in [
        "update read_audit set subject = 'someone else'",
        "delete from read_audit",
        "truncate read_audit",
    ] {
        let error = sqlx::query(statement)
            .execute(app.db.pool())
            .await
            .expect_err(statement);
        assert!(
            error.to_string().contains("append-only"),
            "{statement}: {error}"
        );
    }
    assert_eq!(reads_of_case(&app, &case_id).await.len(), 1);
}

/// The lists that name children's cases and reports are reads too: the worklist, the letters
/// owed and the registry's findings leave one record for each case or report an answer names,
/// with what the list was asked for; the caseload, which names none, one for itself; a list
/// refused for a municipality or by role leaves a denial.
#[tokio::test]
async fn every_list_read_records_each_case_and_report_it_names() {
    use api::feedback::v1::feedback_service_client::FeedbackServiceClient;
    use api::worklist::v1::worklist_service_client::WorklistServiceClient;

    let app = TestApp::spawn().await;
    let case_id = case_under_investigation(&app, 84).await;
    let submitted = app
        .intake()
        .submit_report(report(vec![child(85)], public_reporter()))
        .await
        .expect("submitted")
        .into_inner();
    let report_id = submitted.report_id.clone();
    let position = submitted.result.and_then(|result| result.position);

    let review = app
        .worklist()
        .list_cases_needing_review(worklist::ListCasesNeedingReviewRequest {
            all_running: true,
            purpose: "Morning review".into(),
            min_position: position,
            ..Default::default()
        })
        .await
        .expect("listed")
        .into_inner();
    assert!(review.items.iter().any(|item| item.case_id == case_id));
    assert!(review.items.iter().any(|item| item.report_id == report_id));
    let from_list = |reads: Vec<audit::Read>, method: &str| {
        reads
            .into_iter()
            .filter(|read| read.method == method)
            .collect::<Vec<_>>()
    };
    let reads = from_list(
        reads_of_case(&app, &case_id).await,
        handling::audit::reads::LIST_CASES_NEEDING_REVIEW,
    );
    assert_eq!(reads.len(), 1, "{reads:?}");
    assert_eq!(
        (
            reads[0].subject.as_str(),
            reads[0].outcome.as_str(),
            reads[0].purpose.as_str()
        ),
        ("caseworker-7", "READ", "Morning review")
    );
    assert!(reads[0].listed.contains("as_of"), "{:?}", reads[0].listed);
    let reads = from_list(
        reads_of_report(&app, &report_id).await,
        handling::audit::reads::LIST_CASES_NEEDING_REVIEW,
    );
    assert_eq!(reads.len(), 1, "{reads:?}");

    // The letters owed name the report whose public reporter is owed a receipt.
    let letters = FeedbackServiceClient::with_interceptor(app.channel(), app.bearer())
        .list_letters_owed(feedback::ListLettersOwedRequest {
            municipality: "5035".into(),
            min_position: position,
            ..Default::default()
        })
        .await
        .expect("listed")
        .into_inner();
    assert!(
        letters
            .letters
            .iter()
            .any(|letter| letter.report_id == report_id)
    );
    let reads = from_list(
        reads_of_report(&app, &report_id).await,
        handling::audit::reads::LIST_LETTERS_OWED,
    );
    assert_eq!(reads.len(), 1, "{reads:?}");
    assert!(
        reads[0].listed.contains("municipality 5035"),
        "{:?}",
        reads[0].listed
    );

    // The caseload names no case: one record for the list itself.
    app.worklist()
        .get_caseload(worklist::GetCaseloadRequest {
            municipalities: vec!["5035".into()],
            purpose: "Staffing".into(),
            ..Default::default()
        })
        .await
        .expect("caseload");
    // The registry's findings, for one municipality.
    app.worklist()
        .list_registry_findings(worklist::ListRegistryFindingsRequest {
            municipality: "5035".into(),
            ..Default::default()
        })
        .await
        .expect("findings");
    let lists: Vec<(String, String, String)> = sqlx::query_as(
        "select method, outcome, listed from read_audit \
         where case_id is null and report_id is null order by id",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    let caseload = lists
        .iter()
        .find(|(method, _, _)| method == handling::audit::reads::GET_CASELOAD)
        .expect("the caseload's read is recorded");
    assert_eq!(caseload.1, "read");
    assert!(caseload.2.contains("municipalities 5035"), "{caseload:?}");
    let findings_recorded: i64 = sqlx::query_scalar(
        "select count(*) from read_audit where method = $1 and outcome = 'read'",
    )
    .bind(handling::audit::reads::LIST_REGISTRY_FINDINGS)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert!(findings_recorded >= 1);

    // Another municipality's list is refused, and the refusal recorded.
    let refused = app
        .worklist()
        .list_cases_needing_review(worklist::ListCasesNeedingReviewRequest {
            municipalities: vec!["0301".into()],
            ..Default::default()
        })
        .await;
    assert_code(refused, Code::PermissionDenied);
    // A role that may not call the list: refused before the request is read, recorded.
    let mut portal = WorklistServiceClient::with_interceptor(
        app.channel(),
        Bearer::new(token(&app, "portal-1", "reporter_portal", &["5035"])),
    );
    assert_code(
        portal
            .list_cases_needing_review(worklist::ListCasesNeedingReviewRequest::default())
            .await,
        Code::PermissionDenied,
    );
    let denials: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "select subject, method, listed from read_audit where outcome = 'denied' order by id",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(
        denials
            .iter()
            .map(|(subject, method, _)| (subject.as_str(), method.as_str()))
            .collect::<Vec<_>>(),
        [
            (
                "caseworker-7",
                handling::audit::reads::LIST_CASES_NEEDING_REVIEW
            ),
            (
                "portal-1",
                handling::audit::reads::LIST_CASES_NEEDING_REVIEW
            ),
        ]
    );
    assert!(
        denials[0]
            .2
            .as_deref()
            .is_some_and(|listed| listed.contains("0301")),
        "{denials:?}"
    );
}
