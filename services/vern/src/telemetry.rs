//! Where traces, metrics and logs go, decided once at start.
//!
//! Logs always go to standard error, as text for a person or JSON for a log shipper. Spans
//! always carry W3C trace context, exporter or not: a caller's `traceparent` becomes the parent
//! of the request's span, and the handler writes the span's context into every event's
//! metadata, so a trace can be followed from caller to command to event to the projection
//! batch that links back to it. With `OTEL_EXPORTER_OTLP_ENDPOINT` set, spans and metrics are
//! also sent there over OTLP/gRPC (the exporter reads the rest of the standard `OTEL_*`
//! variables itself).
//!
//! What must never reach a log or a span: national identity numbers (`NationalIdentityNumber`
//! prints masked) and the free text of reports (no span or event records a request's fields).

use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use eventstore::EventStore;
use opentelemetry::KeyValue;
use opentelemetry::propagation::Extractor;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use std::io::IsTerminal as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One readable line per event.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// The standard variable that turns export on.
pub const ENDPOINT_VARIABLE: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";

/// The installed providers; `shutdown` sends what is still buffered.
pub struct Telemetry {
    traces: SdkTracerProvider,
    metrics: Option<SdkMeterProvider>,
}

/// Installs logging and tracing for the process, and metrics when exporting.
pub fn init(format: LogFormat) -> anyhow::Result<Telemetry> {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let exporting = std::env::var(ENDPOINT_VARIABLE).is_ok_and(|value| !value.trim().is_empty());
    let resource = Resource::builder().with_service_name("vern").build();
    let mut traces = SdkTracerProvider::builder().with_resource(resource.clone());
    let mut metrics = None;
    if exporting {
        let spans = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .build()
            .context("setting up the OTLP span exporter")?;
        traces = traces.with_batch_exporter(spans);
        let exporter = opentelemetry_otlp::MetricExporter::builder()
            .with_tonic()
            .build()
            .context("setting up the OTLP metric exporter")?;
        let provider = SdkMeterProvider::builder()
            .with_periodic_exporter(exporter)
            .with_resource(resource)
            .build();
        opentelemetry::global::set_meter_provider(provider.clone());
        metrics = Some(provider);
    }
    let traces = traces.build();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn".into());
    let logs = match format {
        // Colour codes only for a person at a terminal, never into a file or a CI log.
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_ansi(std::io::stderr().is_terminal())
            .with_writer(|| AroundProgress)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_writer(std::io::stderr)
            .boxed(),
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(logs)
        .with(tracing_opentelemetry::layer().with_tracer(traces.tracer("vern")))
        .try_init()
        .context("installing the log and trace subscriber")?;
    Ok(Telemetry { traces, metrics })
}

/// Standard error, written around a progress bar on the terminal (`crate::progress`).
struct AroundProgress;

impl std::io::Write for AroundProgress {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        crate::progress::suspended(|| std::io::stderr().write(buf))
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        crate::progress::suspended(|| std::io::stderr().write_all(buf))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl Telemetry {
    /// True when metrics are exported (and so worth sampling).
    pub fn exports_metrics(&self) -> bool {
        self.metrics.is_some()
    }

    /// Sends what the exporters still hold and stops them. Blocks until they are done.
    pub fn shutdown(self) {
        if let Err(error) = self.traces.shutdown() {
            tracing::warn!(%error, "flushing traces");
        }
        if let Some(metrics) = self.metrics
            && let Err(error) = metrics.shutdown()
        {
            tracing::warn!(%error, "flushing metrics");
        }
    }
}

/// The span of one gRPC call, a child of the caller's trace when it sent `traceparent`.
pub fn request_span(request: &tonic::codegen::http::Request<()>) -> tracing::Span {
    let path = request.uri().path();
    let (service, method) = path
        .trim_start_matches('/')
        .split_once('/')
        .unwrap_or(("", path));
    let span = tracing::info_span!(
        "grpc",
        otel.name = %path.trim_start_matches('/'),
        otel.kind = "server",
        rpc.system = "grpc",
        rpc.service = %service,
        rpc.method = %method,
    );
    let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&Headers(request.headers()))
    });
    let _ = span.set_parent(parent);
    span
}

struct Headers<'a>(&'a tonic::codegen::http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|key| key.as_str()).collect()
    }
}

/// Counts every call by method and gRPC code (`vern.rpc.calls`; the commands are the methods
/// that write) and times it (`vern.rpc.duration`).
#[derive(Clone)]
pub struct RpcMetrics {
    calls: opentelemetry::metrics::Counter<u64>,
    duration: opentelemetry::metrics::Histogram<f64>,
}

impl RpcMetrics {
    pub fn new() -> Self {
        let meter = opentelemetry::global::meter("vern");
        Self {
            calls: meter
                .u64_counter("vern.rpc.calls")
                .with_description("gRPC calls by method and status code")
                .build(),
            duration: meter
                .f64_histogram("vern.rpc.duration")
                .with_unit("s")
                .with_description("gRPC call duration by method")
                .build(),
        }
    }
}

impl Default for RpcMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl<S> tower_layer::Layer<S> for RpcMetrics {
    type Service = Measured<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Measured {
            inner,
            metrics: self.clone(),
        }
    }
}

/// A service wrapped by [`RpcMetrics`].
#[derive(Clone)]
pub struct Measured<S> {
    inner: S,
    metrics: RpcMetrics,
}

/// The future a boxing tower layer answers with (here and in the server's authentication).
pub(crate) type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>;

impl<S, B, R> tower_service::Service<tonic::codegen::http::Request<B>> for Measured<S>
where
    S: tower_service::Service<
            tonic::codegen::http::Request<B>,
            Response = tonic::codegen::http::Response<R>,
        >,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    R: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: tonic::codegen::http::Request<B>) -> Self::Future {
        let method = request
            .uri()
            .path()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let metrics = self.metrics.clone();
        let started = Instant::now();
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = response.await;
            // A unary call that fails answers with its status in the headers
            // ("trailers-only"); one that succeeds has none there.
            let code = match &response {
                Ok(response) => response
                    .headers()
                    .get("grpc-status")
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| value.parse::<i32>().ok())
                    .map_or(tonic::Code::Ok, tonic::Code::from_i32),
                Err(_) => tonic::Code::Unknown,
            };
            let attributes = [
                KeyValue::new("rpc.method", method),
                KeyValue::new("rpc.grpc.status_code", format!("{code:?}")),
            ];
            metrics.calls.add(1, &attributes);
            metrics
                .duration
                .record(started.elapsed().as_secs_f64(), &attributes[..1]);
            response
        })
    }
}

/// What the gauges report, sampled from the database.
#[derive(Clone, Debug, Default)]
struct Sample {
    /// Per view: events behind (readable and waiting), seconds behind.
    views: Vec<(&'static str, i64, f64)>,
    /// Per view: 1 while it is stopped at an event it cannot apply, with the event's position
    /// and the error; 0 for the others.
    stopped: Vec<(&'static str, Option<projections::failures::Failure>)>,
    horizon_age_seconds: f64,
    letters_overdue: i64,
    deadlines_breached: i64,
}

/// How often the gauges' values are read from the database.
pub const SAMPLE_EVERY: Duration = Duration::from_secs(5);

/// Registers the gauges (projection lag in events and seconds, horizon age, letters
/// overdue, deadlines breached) and samples their values every `SAMPLE_EVERY` until
/// `stopped`. Gauges read the last sample, so an export never waits on the database.
pub async fn sample_gauges(store: EventStore, mut stopped: tokio::sync::watch::Receiver<bool>) {
    let sample = Arc::new(Mutex::new(Sample::default()));
    let meter = opentelemetry::global::meter("vern");
    let read = |sample: &Arc<Mutex<Sample>>| {
        sample
            .lock()
            .map(|sample| sample.clone())
            .unwrap_or_default()
    };
    let (a, b, c, d, e, f) = (
        sample.clone(),
        sample.clone(),
        sample.clone(),
        sample.clone(),
        sample.clone(),
        sample.clone(),
    );
    // Held until sampling stops.
    let _gauges = (
        meter
            .i64_observable_gauge("vern.projection.lag.events")
            .with_description("Events a view has not applied yet")
            .with_callback(move |observer| {
                for (view, events, _) in read(&a).views {
                    observer.observe(events, &[KeyValue::new("projection", view)]);
                }
            })
            .build(),
        meter
            .f64_observable_gauge("vern.projection.lag.seconds")
            .with_unit("s")
            .with_description("Age of the oldest event a view has not applied")
            .with_callback(move |observer| {
                for (view, _, seconds) in read(&b).views {
                    observer.observe(seconds, &[KeyValue::new("projection", view)]);
                }
            })
            .build(),
        meter
            .i64_observable_gauge("vern.projection.stopped")
            .with_description(
                "1 while a view is stopped at an event it cannot apply (with the event's \
                 position and the error), else 0",
            )
            .with_callback(move |observer| {
                for (view, failure) in read(&f).stopped {
                    match failure {
                        Some(failure) => observer.observe(
                            1,
                            &[
                                KeyValue::new("projection", view),
                                KeyValue::new("position", failure.position.to_string()),
                                KeyValue::new("error", failure.error),
                            ],
                        ),
                        None => observer.observe(0, &[KeyValue::new("projection", view)]),
                    }
                }
            })
            .build(),
        meter
            .f64_observable_gauge("vern.horizon.age")
            .with_unit("s")
            .with_description("Age of the oldest open transaction holding readers back")
            .with_callback(move |observer| observer.observe(read(&c).horizon_age_seconds, &[]))
            .build(),
        meter
            .i64_observable_gauge("vern.letters.overdue")
            .with_description("Feedback letters owed past their last day")
            .with_callback(move |observer| observer.observe(read(&d).letters_overdue, &[]))
            .build(),
        meter
            .i64_observable_gauge("vern.deadlines.breached")
            .with_description("Running statutory deadlines past their last day")
            .with_callback(move |observer| observer.observe(read(&e).deadlines_breached, &[]))
            .build(),
    );
    loop {
        match take_sample(&store).await {
            Ok(taken) => {
                if let Ok(mut current) = sample.lock() {
                    *current = taken;
                }
            }
            Err(error) => tracing::warn!(error = format!("{error:#}"), "sampling the gauges"),
        }
        tokio::select! {
            () = tokio::time::sleep(SAMPLE_EVERY) => {}
            _ = stopped.wait_for(|stopped| *stopped) => return,
        }
    }
}

async fn take_sample(store: &EventStore) -> anyhow::Result<Sample> {
    use projections::Projection as _;
    let mut views = Vec::new();
    for view in projections::views(&domain::rules::RuleBook::norwegian()) {
        let status = projections::status(store, view.name()).await?;
        views.push((
            view.name(),
            status.events_behind + status.events_waiting,
            status.seconds_behind,
        ));
    }
    let failures = projections::failures::failures(store.pool()).await?;
    let stopped = views
        .iter()
        .map(|(view, _, _)| {
            let failure = failures.iter().find(|failure| failure.projection == *view);
            (*view, failure.cloned())
        })
        .collect();
    let horizon = store.horizon().await?;
    let (letters_overdue, deadlines_breached) =
        projections::worklist::breached(store.pool(), chrono::Utc::now()).await?;
    Ok(Sample {
        views,
        stopped,
        horizon_age_seconds: horizon
            .oldest_open_transaction_age
            .map_or(0.0, |age| age.as_secs_f64()),
        letters_overdue,
        deadlines_breached,
    })
}
