//! The request's trace context, as events carry it: the server makes each call's span a child
//! of the caller's `traceparent`, and every event a command writes records that span, so the
//! projection batch that applies the event can link back to it.

use opentelemetry::trace::TraceContextExt as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// The current span's W3C `traceparent` (`00-<trace id>-<span id>-<flags>`), when it has a
/// valid context.
pub fn current_traceparent() -> Option<String> {
    let context = tracing::Span::current().context();
    let span = context.span();
    let span = span.span_context();
    span.is_valid().then(|| {
        format!(
            "00-{}-{}-{:02x}",
            span.trace_id(),
            span.span_id(),
            span.trace_flags().to_u8()
        )
    })
}
