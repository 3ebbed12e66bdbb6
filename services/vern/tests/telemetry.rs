//! Telemetry as an operator on call sees it: the real `vern up` exporting over OTLP/gRPC to a
//! collector the test runs, and its JSON logs.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use api::common::v1 as common;
use api::intake::v1 as intake;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use opentelemetry_proto::tonic::trace::v1::Span;
use uuid::Uuid;

mod shared;
use shared::{DataDir, Running, embedded_url};

/// A metric's name with the attributes of each of its data points.
type Metric = (String, Vec<Vec<(String, String)>>);

/// What the collector received.
#[derive(Clone, Default)]
struct Collected {
    spans: Arc<Mutex<Vec<Span>>>,
    metrics: Arc<Mutex<Vec<Metric>>>,
}

#[tonic::async_trait]
impl TraceService for Collected {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let spans = request
            .into_inner()
            .resource_spans
            .into_iter()
            .flat_map(|resource| resource.scope_spans)
            .flat_map(|scope| scope.spans);
        self.spans.lock().unwrap().extend(spans);
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for Collected {
    async fn export(
        &self,
        request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        let metrics = request
            .into_inner()
            .resource_metrics
            .into_iter()
            .flat_map(|resource| resource.scope_metrics)
            .flat_map(|scope| scope.metrics)
            .map(|metric| {
                let attributes = |list: &[opentelemetry_proto::tonic::common::v1::KeyValue]| {
                    list.iter()
                        .map(|kv| {
                            let value = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                                Some(Value::StringValue(text)) => text.clone(),
                                other => format!("{other:?}"),
                            };
                            (kv.key.clone(), value)
                        })
                        .collect::<Vec<_>>()
                };
                let points = match &metric.data {
                    Some(Data::Sum(sum)) => sum
                        .data_points
                        .iter()
                        .map(|p| attributes(&p.attributes))
                        .collect(),
                    Some(Data::Gauge(gauge)) => gauge
                        .data_points
                        .iter()
                        .map(|p| attributes(&p.attributes))
                        .collect(),
                    Some(Data::Histogram(histogram)) => histogram
                        .data_points
                        .iter()
                        .map(|p| attributes(&p.attributes))
                        .collect(),
                    _ => Vec::new(),
                };
                (metric.name, points)
            });
        self.metrics.lock().unwrap().extend(metrics);
        Ok(tonic::Response::new(ExportMetricsServiceResponse::default()))
    }
}

/// An OTLP collector on a free port: what it receives, and its address.
async fn collector() -> (Collected, std::net::SocketAddr) {
    let collected = Collected::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(collected.clone()))
            .add_service(MetricsServiceServer::new(collected.clone()))
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
    );
    (collected, address)
}

/// Waits until `check` holds, or fails with `what`.
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check() {
        assert!(Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_trace_runs_from_the_caller_through_the_event_to_the_projection_and_logs_keep_secrets()
{
    // The collector.
    let (collected, collector) = collector().await;

    // vern up, exporting there, logging JSON at debug.
    let data_dir = DataDir::new();
    let endpoint = format!("http://{collector}");
    let mut up = Running::start_env(
        &data_dir.0,
        &["--log-format", "json"],
        &[
            ("RUST_LOG", "debug"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_METRIC_EXPORT_INTERVAL", "500"),
            ("OTEL_BSP_SCHEDULE_DELAY", "200"),
        ],
    );
    let up_line: serde_json::Value =
        serde_json::from_str(&up.wait_for("vern is up")).expect("a JSON log line");
    let address = up_line["fields"]["listen"].as_str().unwrap().to_owned();
    let token = shared::staff_token(&data_dir.0);

    // A caller with its own trace submits a report with a child's identity number, a
    // reporter's name and a free-text summary: none of which may reach a log.
    let number = testkit::synthetic::national_identity_number(2019, 5, 17, 7).unwrap();
    let reporter = "Ragnhild Lekkasjesen";
    let summary = "Secret synthetic summary: the child said something only the report may hold.";
    let trace_id = hex(Uuid::new_v4().as_bytes());
    let parent_span = &hex(Uuid::new_v4().as_bytes())[..16];
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{address}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = intake::intake_service_client::IntakeServiceClient::new(channel);
    let mut request = tonic::Request::new(intake::SubmitReportRequest {
        late_reason: String::new(),
        command_id: Uuid::new_v4().to_string(),
        municipality: "5035".into(),
        received_at: None,
        reporter: Some(intake::Reporter {
            kind: Some(intake::reporter::Kind::Public(intake::PublicReporter {
                organisation: "Testbyen skole".into(),
                role: "rektor".into(),
                name: reporter.into(),
                identity_withheld_from_parties: false,
            })),
        }),
        children: vec![common::Child {
            identity: Some(common::child::Identity::NationalIdentityNumber(
                number.clone(),
            )),
        }],
        concerns: vec![intake::ConcernCategory::Neglect as i32],
        summary: summary.into(),
        urgency: common::Urgency::Yellow as i32,
    });
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {}", token.trim()).parse().unwrap(),
    );
    request.metadata_mut().insert(
        "traceparent",
        format!("00-{trace_id}-{parent_span}-01").parse().unwrap(),
    );
    let report_id = client
        .submit_report(request)
        .await
        .expect("report submitted")
        .into_inner()
        .report_id;

    // The call's span continues the caller's trace, and the event's metadata names it.
    let mut call_span = None;
    eventually("the call's span in the caller's trace", || {
        call_span = collected
            .spans
            .lock()
            .unwrap()
            .iter()
            .find(|span| hex(&span.trace_id) == trace_id && span.name.ends_with("/SubmitReport"))
            .cloned();
        call_span.is_some()
    })
    .await;
    let call_span = call_span.unwrap();
    assert_eq!(hex(&call_span.parent_span_id), parent_span);
    let pool = sqlx::PgPool::connect(&embedded_url(&data_dir.0))
        .await
        .unwrap();
    let traceparent: String =
        sqlx::query_scalar("select metadata->>'traceparent' from events where stream_id = $1")
            .bind(format!("report-{report_id}"))
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    assert!(
        traceparent.starts_with(&format!("00-{trace_id}-")),
        "{traceparent}"
    );
    let event_span = traceparent.split('-').nth(2).unwrap().to_owned();
    assert!(
        collected
            .spans
            .lock()
            .unwrap()
            .iter()
            .any(|span| hex(&span.span_id) == event_span && hex(&span.trace_id) == trace_id),
        "the span the event names was exported"
    );

    // The append is a span of its own within the call.
    assert!(
        collected.spans.lock().unwrap().iter().any(|span| {
            span.name == "append"
                && hex(&span.trace_id) == trace_id
                && hex(&span.parent_span_id) == event_span
        }),
        "an append span under the command's"
    );

    // Each view's batch that applied the event links back to that span.
    for view in ["case_timeline", "worklist", "caseload", "statistics"] {
        eventually(&format!("a {view} batch linked to the request"), || {
            collected.spans.lock().unwrap().iter().any(|span| {
                span.name == format!("projection {view}")
                    && span.links.iter().any(|link| {
                        hex(&link.trace_id) == trace_id && hex(&link.span_id) == event_span
                    })
            })
        })
        .await;
    }

    // The metrics an operator watches.
    for name in [
        "vern.rpc.calls",
        "vern.rpc.duration",
        "vern.append.duration",
        "vern.projection.lag.events",
        "vern.projection.lag.seconds",
        "vern.horizon.age",
        "vern.letters.overdue",
        "vern.deadlines.breached",
    ] {
        eventually(&format!("metric {name}"), || {
            collected
                .metrics
                .lock()
                .unwrap()
                .iter()
                .any(|(metric, _)| metric == name)
        })
        .await;
    }
    assert!(
        collected
            .metrics
            .lock()
            .unwrap()
            .iter()
            .any(|(name, points)| {
                name == "vern.rpc.calls"
                    && points.iter().any(|attributes| {
                        attributes.contains(&("rpc.method".into(), "SubmitReport".into()))
                            && attributes.contains(&("rpc.grpc.status_code".into(), "Ok".into()))
                    })
            }),
        "SubmitReport counted with its outcome"
    );

    // Stopped, every log line is JSON and none holds the secrets.
    let (status, log) = up.terminate();
    assert!(status.success(), "exit {status}");
    assert!(log.len() > 20, "debug logging logged: {}", log.len());
    for line in &log {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "not JSON: {line}"
        );
        for secret in [number.as_str(), reporter, summary, "only the report"] {
            assert!(!line.contains(secret), "{secret:?} logged: {line}");
        }
    }
}

/// A view that cannot apply an event stops there and says so where an operator looks: `vern
/// projections status`, the health service (a status per view), the dashboard's system page
/// and a metric, each naming the view, the event's position and the error. The views that can
/// apply it go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_view_that_cannot_apply_an_event_says_so_everywhere_and_the_others_go_on() {
    let (collected, collector) = collector().await;
    let data_dir = DataDir::new();
    let endpoint = format!("http://{collector}");
    let mut up = Running::start_env(
        &data_dir.0,
        &[],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_METRIC_EXPORT_INTERVAL", "500"),
        ],
    );
    let up_line = up.wait_for("vern is up");
    let address = shared::listening_on(&up_line);
    let dashboard = shared::log_field(&up_line, "dashboard");

    // An event no view that folds cases can read, stored past the services.
    let url = embedded_url(&data_dir.0);
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let store = eventstore::EventStore::new(pool.clone());
    let poison = store
        .append(&eventstore::AppendRequest {
            metadata: eventstore::EventMetadata::for_command(
                Uuid::new_v4(),
                eventstore::Actor {
                    subject: "operator".into(),
                    role: "operator".into(),
                    municipality: Some("5035".into()),
                },
            ),
            streams: vec![eventstore::StreamWrite {
                stream_id: format!("case-{}", Uuid::new_v4()),
                expected: eventstore::ExpectedVersion::NoStream,
                municipality: Some("5035".into()),
                events: vec![eventstore::NewEvent::new(
                    "CaseOpenedFromReport",
                    1,
                    serde_json::json!({"type": "CaseOpenedFromReport", "not": "a case"}),
                )],
            }],
            command_fingerprint: None,
        })
        .await
        .expect("stored")
        .last_position;
    let position = poison.to_string();

    // `vern projections status`.
    let stopped_line = |view: &str| format!("{view}: STOPPED at event {position}");
    let mut status = String::new();
    eventually("vern projections status names the stopped views", || {
        let output = shared::vern_in(&data_dir.0, &["projections", "status"]);
        status = String::from_utf8_lossy(&output.stdout).into_owned();
        ["worklist", "caseload", "statistics"]
            .iter()
            .all(|view| status.contains(&stopped_line(view)))
    })
    .await;
    assert!(
        status.contains("unknown stored event CaseOpenedFromReport"),
        "{status}"
    );
    assert!(!status.contains(&stopped_line("case_timeline")), "{status}");

    // The health service: a status per view.
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{address}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let health = tonic_health::pb::health_client::HealthClient::new(channel);
    let check = |view: &str| {
        let request = tonic_health::pb::HealthCheckRequest {
            service: vern::server::view_health_name(view),
        };
        let mut health = health.clone();
        async move { health.check(request).await.unwrap().into_inner().status }
    };
    use tonic_health::pb::health_check_response::ServingStatus;
    let mut worklist = 0;
    for _ in 0..100 {
        worklist = check("worklist").await;
        if worklist == ServingStatus::NotServing as i32 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(worklist, ServingStatus::NotServing as i32);
    assert_eq!(check("case_timeline").await, ServingStatus::Serving as i32);

    // The dashboard's system page, for the operator.
    let operator = std::fs::read_to_string(data_dir.0.join("operator.token")).unwrap();
    let page = shared::dashboard_page(&dashboard, &operator, "/system");
    assert!(page.contains("stoppet"), "{page}");
    assert!(page.contains(&format!("ved hendelse {position}")), "{page}");
    assert!(page.contains("unknown stored event"), "{page}");

    // The metric.
    eventually(
        "vern.projection.stopped names the view, the event and the error",
        || {
            collected
                .metrics
                .lock()
                .unwrap()
                .iter()
                .any(|(name, points)| {
                    name == "vern.projection.stopped"
                        && points.iter().any(|attributes| {
                            attributes.contains(&("projection".into(), "worklist".into()))
                                && attributes.contains(&("position".into(), position.clone()))
                                && attributes.iter().any(|(key, value)| {
                                    key == "error" && value.contains("unknown stored event")
                                })
                        })
                })
        },
    )
    .await;

    // The timeline, which can apply it, goes on past it.
    let timeline = loop {
        let checkpoint = projections::status(&store, "case_timeline")
            .await
            .unwrap()
            .checkpoint;
        if checkpoint >= poison {
            break checkpoint;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(timeline >= poison);
    pool.close().await;
    let (status, log) = up.terminate();
    assert!(status.success(), "exit {status}");
    assert!(
        log.iter()
            .any(|line| line.contains("cannot apply an event")),
        "{}",
        log.join("\n")
    );
}
