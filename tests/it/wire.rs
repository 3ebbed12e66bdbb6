//! What any stock gRPC client relies on: idempotent commands, authentication, reflection,
//! health.

use api::intake::v1 as intake;
use platform::auth::{Claims, SigningKey};
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

use crate::{assert_code, child, public_reporter, report};

/// The refusal names `command_id` among its BadRequest's violations.
fn names_command_id(status: tonic::Status) {
    use tonic_types::StatusExt as _;
    let violations = status
        .get_details_bad_request()
        .expect("BadRequest details")
        .field_violations;
    assert!(
        violations.iter().any(|v| v.field == "command_id"),
        "{violations:?}"
    );
}

#[tokio::test]
async fn the_same_command_id_twice_writes_once_and_answers_the_same() {
    let app = tests::TestApp::spawn().await;
    let request = report(vec![child(40)], public_reporter());

    let first = app
        .intake()
        .submit_report(request.clone())
        .await
        .unwrap()
        .into_inner();
    let count = app.event_count().await;
    let second = app
        .intake()
        .submit_report(request)
        .await
        .unwrap()
        .into_inner();

    assert_eq!(second.report_id, first.report_id);
    let (first_result, second_result) = (first.result.unwrap(), second.result.unwrap());
    assert_eq!(second_result.version, first_result.version);
    assert_eq!(second_result.position, first_result.position);
    assert!(!first_result.replayed);
    assert!(second_result.replayed);
    assert_eq!(app.event_count().await, count);

    // A case command replayed after the step it made has happened: still the first answer.
    let case_id = crate::case_under_investigation(&app, 41).await;
    let start = api::investigation::v1::StartInvestigationRequest {
        decided_at: None,
        late_reason: String::new(),
        command_id: crate::command_id(),
        case_id,
        themes: "Care at home.".into(),
        planned_activities: vec![],
    };
    let once = app
        .investigation()
        .start_investigation(start.clone())
        .await
        .unwrap()
        .into_inner();
    let count = app.event_count().await;
    let twice = app
        .investigation()
        .start_investigation(start)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(twice.version, once.version);
    assert!(twice.replayed);
    assert_eq!(app.event_count().await, count);
}

#[tokio::test]
async fn a_command_id_sent_again_with_another_command_or_by_another_municipality_is_refused() {
    use api::investigation::v1::StartInvestigationRequest;
    use api::investigation::v1::investigation_service_client::InvestigationServiceClient;
    use api::partner::v1 as partner;

    let app = tests::TestApp::spawn().await;
    let case_id = crate::case_under_investigation(&app, 41).await;
    let submission = report(vec![child(40)], public_reporter());
    let submitted = app
        .intake()
        .submit_report(submission.clone())
        .await
        .unwrap()
        .into_inner();
    let start = StartInvestigationRequest {
        decided_at: None,
        late_reason: String::new(),
        command_id: crate::command_id(),
        case_id: case_id.clone(),
        themes: "Care at home.".into(),
        planned_activities: vec![],
    };
    app.investigation()
        .start_investigation(start.clone())
        .await
        .expect("started");
    let count = app.event_count().await;

    // The report's command id on a case: another stream.
    let submit_id: String =
        sqlx::query_scalar("select metadata->>'command_id' from events where stream_id = $1")
            .bind(format!("report-{}", submitted.report_id))
            .fetch_one(app.db.pool())
            .await
            .expect("the report's command id");
    let reused = StartInvestigationRequest {
        command_id: submit_id,
        ..start.clone()
    };
    names_command_id(assert_code(
        app.investigation().start_investigation(reused).await,
        Code::InvalidArgument,
    ));

    // The investigation's command id for an invitation on the same case: another command.
    let invite = partner::InviteToConsultationRequest {
        command_id: start.command_id.clone(),
        case_id: case_id.clone(),
        partners: vec![partner::Partner::Barnehus as i32],
        meeting_at: Some(prost_types::Timestamp {
            seconds: tests::now() + 86_400,
            nanos: 0,
        }),
        place: "Statens barnehus Trondheim".into(),
        decisions_asked: vec![partner::Decision::ForensicInterview as i32],
    };
    names_command_id(assert_code(
        partner::partner_service_client::PartnerServiceClient::with_interceptor(
            app.channel(),
            app.bearer(),
        )
        .invite_to_consultation(invite)
        .await,
        Code::InvalidArgument,
    ));

    // The same command by a caller of another municipality learns nothing of the first.
    let oslo = app.key.issue(&Claims::new(
        "oslo-1",
        "caseworker",
        vec!["0301".into()],
        tests::now(),
        600,
    ));
    let denied = assert_code(
        InvestigationServiceClient::with_interceptor(
            app.channel(),
            tests::Bearer::new(oslo.clone()),
        )
        .start_investigation(start.clone())
        .await,
        Code::PermissionDenied,
    );
    assert!(!denied.message().contains(&case_id), "{denied:?}");
    let denied = assert_code(
        intake::intake_service_client::IntakeServiceClient::with_interceptor(
            app.channel(),
            tests::Bearer::new(oslo),
        )
        .submit_report(submission)
        .await,
        Code::PermissionDenied,
    );
    assert!(
        !denied.message().contains(&submitted.report_id),
        "{denied:?}"
    );

    // A report submitted with the investigation's command id.
    names_command_id(assert_code(
        app.intake()
            .submit_report(intake::SubmitReportRequest {
                command_id: start.command_id.clone(),
                ..report(vec![child(42)], public_reporter())
            })
            .await,
        Code::InvalidArgument,
    ));
    assert_eq!(app.event_count().await, count);
}

/// A command id is bound to what was sent with it: the same id with another method or other
/// content on the same stream is refused by `command_id` (it was answered as a replay, and
/// the second command dropped without a word); with the same content it replays.
#[tokio::test]
async fn a_command_id_sent_again_with_other_content_is_refused_and_writes_nothing() {
    use api::investigation::v1::{AssignCaseRequest, ChangeCaseUrgencyRequest};

    let app = tests::TestApp::spawn().await;
    let case_id = crate::case_under_investigation(&app, 43).await;
    let urgency = ChangeCaseUrgencyRequest {
        decided_at: None,
        late_reason: String::new(),
        command_id: crate::command_id(),
        case_id: case_id.clone(),
        urgency: api::common::v1::Urgency::Red as i32,
        reason: "The child told the teacher more today.".into(),
    };
    app.investigation()
        .change_case_urgency(urgency.clone())
        .await
        .expect("changed");
    let submission = report(vec![child(44)], public_reporter());
    app.intake()
        .submit_report(submission.clone())
        .await
        .expect("submitted");
    let count = app.event_count().await;
    let names_command_id = |answer: Result<(), tonic::Status>| {
        names_command_id(assert_code(answer, Code::InvalidArgument))
    };

    // The same method and case, other content.
    names_command_id(
        app.investigation()
            .change_case_urgency(ChangeCaseUrgencyRequest {
                urgency: api::common::v1::Urgency::Green as i32,
                ..urgency.clone()
            })
            .await
            .map(|_| ()),
    );
    // Another method on the same case.
    names_command_id(
        app.investigation()
            .assign_case(AssignCaseRequest {
                decided_at: None,
                late_reason: String::new(),
                command_id: urgency.command_id.clone(),
                case_id: case_id.clone(),
                team: "Undersøkelse".into(),
                caseworker: String::new(),
            })
            .await
            .map(|_| ()),
    );
    // A report submitted again with the same id and another summary.
    names_command_id(
        app.intake()
            .submit_report(intake::SubmitReportRequest {
                summary: "Another report altogether.".into(),
                ..submission.clone()
            })
            .await
            .map(|_| ()),
    );
    assert_eq!(app.event_count().await, count, "nothing written");

    // The same content again is a replay, as before.
    let again = app
        .investigation()
        .change_case_urgency(urgency)
        .await
        .expect("replayed")
        .into_inner();
    assert!(again.replayed);
    let again = app
        .intake()
        .submit_report(submission)
        .await
        .expect("replayed")
        .into_inner();
    assert!(again.result.expect("result").replayed);
    assert_eq!(app.event_count().await, count);

    // A portal message id delivered again with another document is refused by message_id.
    let message_id = uuid::Uuid::new_v4().to_string();
    let delivery = |body: &str| intake::ImportDigitalReportRequest {
        message_type: fiks::PUBLIC_V2.into(),
        message_id: message_id.clone(),
        body: body.as_bytes().to_vec(),
        urgency: 0,
    };
    let first = app
        .intake()
        .import_digital_report(delivery(fiks::samples::PUBLIC_EXAMPLE))
        .await
        .expect("imported")
        .into_inner();
    assert_eq!(first.reply_message_type, fiks::RECEIVED_V1);
    let count = app.event_count().await;
    let other = fiks::samples::PUBLIC_EXAMPLE.replacen("Lærerskolen", "Annen skole", 1);
    assert_ne!(other, fiks::samples::PUBLIC_EXAMPLE);
    let refused = app
        .intake()
        .import_digital_report(delivery(&other))
        .await
        .expect("an answer")
        .into_inner();
    assert_eq!(refused.reply_message_type, fiks::FAILED_V1);
    assert!(
        refused.violations.iter().any(|v| v.path == "message_id"),
        "{:?}",
        refused.violations
    );
    let redelivered = app
        .intake()
        .import_digital_report(delivery(fiks::samples::PUBLIC_EXAMPLE))
        .await
        .expect("an answer")
        .into_inner();
    assert!(redelivered.duplicate);
    assert_eq!(redelivered.report_id, first.report_id);
    assert_eq!(app.event_count().await, count, "nothing more written");
}

#[tokio::test]
async fn calls_without_a_valid_token_are_unauthenticated() {
    let app = tests::TestApp::spawn().await;
    let get = || intake::GetReportRequest {
        purpose: String::new(),
        report_id: uuid::Uuid::new_v4().to_string(),
    };
    let expired = app.key.issue(&Claims::new(
        "someone",
        "caseworker",
        vec![],
        tests::now() - 7200,
        3600,
    ));
    let foreign = SigningKey::generate().issue(&Claims::new(
        "someone",
        "caseworker",
        vec![],
        tests::now(),
        3600,
    ));

    for token in [
        None,
        Some("garbage".to_owned()),
        Some(expired),
        Some(foreign),
    ] {
        let result = app.intake_with_token(token.clone()).get_report(get()).await;
        assert_code(result, Code::Unauthenticated);
        let submitted = app
            .intake_with_token(token)
            .submit_report(report(vec![child(42)], public_reporter()))
            .await;
        assert_code(submitted, Code::Unauthenticated);
    }
    assert_eq!(app.event_count().await, 0);
    // The valid token passes authentication; the report does not exist, which the answer
    // does not tell apart from another municipality's.
    assert_code(app.intake().get_report(get()).await, Code::PermissionDenied);
}

#[tokio::test]
async fn health_is_serving_without_a_token_and_reflection_lists_the_services() {
    let app = tests::TestApp::spawn().await;

    let mut health = HealthClient::new(app.channel());
    for service in [
        "",
        "vern.intake.v1.IntakeService",
        "vern.feedback.v1.FeedbackService",
    ] {
        let status = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32, "{service:?}");
    }

    let list = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let unauthenticated = ServerReflectionClient::new(app.channel())
        .server_reflection_info(tokio_stream::once(list.clone()))
        .await;
    let refused = match unauthenticated {
        Err(status) => status,
        Ok(response) => {
            let mut stream = response.into_inner();
            stream
                .message()
                .await
                .expect_err("reflection needs a token")
        }
    };
    assert_eq!(refused.code(), Code::Unauthenticated);

    let bearer = tests::Bearer::new(app.token.clone());
    let mut reflection = ServerReflectionClient::with_interceptor(app.channel(), bearer);
    let mut stream = reflection
        .server_reflection_info(tokio_stream::once(list))
        .await
        .unwrap()
        .into_inner();
    let Some(MessageResponse::ListServicesResponse(services)) =
        stream.message().await.unwrap().unwrap().message_response
    else {
        panic!("not a service list");
    };
    let names: Vec<_> = services.service.into_iter().map(|s| s.name).collect();
    for expected in [
        "vern.intake.v1.IntakeService",
        "vern.investigation.v1.InvestigationService",
        "vern.measures.v1.MeasuresService",
        "vern.feedback.v1.FeedbackService",
        "grpc.health.v1.Health",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} not in {names:?}"
        );
    }
}

/// A request that is not valid protobuf, or holds a string that is not UTF-8, is the caller's
/// to fix: INVALID_ARGUMENT naming where decoding stopped, not INTERNAL. One over the size
/// limit is RESOURCE_EXHAUSTED. Nothing is written.
#[tokio::test]
async fn undecodable_and_oversized_requests_answer_codes_an_integrator_can_act_on() {
    use tonic_types::StatusExt as _;

    let app = tests::TestApp::spawn().await;
    let send = |body: Vec<u8>| {
        let channel = app.channel();
        let token: tonic::metadata::MetadataValue<_> =
            format!("Bearer {}", app.token).parse().expect("header");
        async move {
            let mut grpc = tonic::client::Grpc::new(channel);
            grpc.ready().await.expect("ready");
            let mut request = tonic::Request::new(body);
            request.metadata_mut().insert("authorization", token);
            grpc.unary(
                request,
                "/vern.intake.v1.IntakeService/SubmitReport"
                    .parse()
                    .expect("path"),
                crate::fuzz::RawCodec,
            )
            .await
        }
    };
    // Field 1 (command_id, a string) holding bytes that are not UTF-8.
    let status = send(vec![0x0a, 0x02, 0xc3, 0x28])
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let violations = status
        .get_details_bad_request()
        .expect("BadRequest details")
        .field_violations;
    assert_eq!(violations[0].field, "command_id", "{violations:?}");
    assert!(
        violations[0].description.contains("UTF-8"),
        "{violations:?}"
    );
    // Not protobuf at all.
    let status = send(vec![0xff, 0xff, 0xff]).await.expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    // Over the limit: refused before it is read.
    let status = send(vec![0; vern::server::MAX_REQUEST_BYTES + 1])
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(
        status
            .message()
            .contains(&vern::server::MAX_REQUEST_BYTES.to_string()),
        "{status:?}"
    );
    assert_eq!(app.event_count().await, 0);
}
