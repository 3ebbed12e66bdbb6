//! One gRPC server for any set of Vern's services, with `grpc.health.v1` (open, for load
//! balancers), server reflection in both versions (grpcurl asks for v1; Python's grpcio
//! reflection client speaks only v1alpha), and bearer-token authentication on everything else.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use handling::Handler;
use handling::principal::Principal;
use platform::auth::Verifier;
use tokio::net::TcpListener;
use tonic::Status;
use tonic::codegen::http::{self, HeaderMap};

use crate::telemetry::BoxFuture;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;

/// The largest request we accept: a report's free text is at most 20,000 characters
/// (`BoundedText::LONG`), so 1 MiB leaves room for many children and still bounds memory.
/// A larger one is answered `RESOURCE_EXHAUSTED` ([`TooLarge`]).
pub const MAX_REQUEST_BYTES: usize = 1024 * 1024;
/// The largest response we send.
pub const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// The services a process can serve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ServiceName {
    Intake,
    Investigation,
    Measures,
    Feedback,
    Worklist,
    Audit,
    Partner,
}

impl ServiceName {
    pub const ALL: [ServiceName; 7] = [
        ServiceName::Intake,
        ServiceName::Investigation,
        ServiceName::Measures,
        ServiceName::Feedback,
        ServiceName::Worklist,
        ServiceName::Audit,
        ServiceName::Partner,
    ];

    /// The fully qualified gRPC service name, as health checks and reflection know it.
    pub fn grpc_name(self) -> &'static str {
        match self {
            ServiceName::Intake => "vern.intake.v1.IntakeService",
            ServiceName::Investigation => "vern.investigation.v1.InvestigationService",
            ServiceName::Measures => "vern.measures.v1.MeasuresService",
            ServiceName::Feedback => "vern.feedback.v1.FeedbackService",
            ServiceName::Worklist => "vern.worklist.v1.WorklistService",
            ServiceName::Audit => "vern.audit.v1.AuditService",
            ServiceName::Partner => "vern.partner.v1.PartnerService",
        }
    }
}

/// Checks every call but the health check: a bearer token signed with the installation's key
/// (else `UNAUTHENTICATED`), whose role the policy lets call the method (else
/// `PERMISSION_DENIED`, and a refused read of a case is recorded in the read audit). It leaves
/// the caller's [`Principal`] on the request. A layer rather than an interceptor, because the
/// decision needs the method's path.
#[derive(Clone)]
pub struct Authenticate {
    verifier: Arc<Verifier>,
    /// Partners (police, barnehus) are who their client certificate says (`Tls::partner_identity`).
    partners_by_certificate: bool,
    /// Where reads refused by role are recorded (the read audit).
    refusals: Option<Handler>,
    /// What a token's municipalities are checked against.
    municipalities: Arc<domain::municipality::MunicipalityRegistry>,
}

/// The subject common name of a client's certificate (DER), as the TLS handshake checked it
/// against the client CA.
fn common_name(certificate: &[u8]) -> Option<String> {
    let (_, parsed) = x509_parser::parse_x509_certificate(certificate).ok()?;
    let name = parsed.subject().iter_common_name().next()?;
    name.as_str().ok().map(str::to_owned)
}

impl Authenticate {
    pub fn new(verifier: Verifier) -> Self {
        Self {
            verifier: Arc::new(verifier),
            partners_by_certificate: false,
            refusals: None,
            municipalities: Arc::new(domain::municipality::MunicipalityRegistry::norway_2024()),
        }
    }

    /// Records reads of cases that the role policy refuses in `handler`'s read audit.
    pub fn recording_refusals(mut self, handler: Handler) -> Self {
        self.refusals = Some(handler);
        self
    }

    /// A partner's token must be issued to the subject (CN) of the client certificate it
    /// calls with, which is then its identity: a token alone, copied or leaked, does not let
    /// anyone else speak for the police or Statens barnehus.
    pub fn partners_by_certificate(mut self) -> Self {
        self.partners_by_certificate = true;
        self
    }

    /// The caller, parsed once (its role and municipalities typed: `Principal::from_claims`),
    /// and its token's id, if the token is good (revocation aside: that takes the database,
    /// and is asked in the call's future). A role no one has is no principal: its calls are
    /// refused like a role the policy refuses.
    fn check(
        &self,
        headers: &HeaderMap,
        certificate_name: Option<String>,
    ) -> Result<(Result<Principal, String>, Option<String>), Status> {
        let token = headers
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or_else(|| {
                Status::unauthenticated(
                    "a bearer token is required (authorization: Bearer <token>)",
                )
            })?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| {
                i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
            });
        let claims = self
            .verifier
            .verify(token.trim(), now)
            .map_err(|error| Status::unauthenticated(error.to_string()))?;
        let partner =
            platform::auth::Role::parse(&claims.role).is_some_and(|role| role.is_partner());
        if self.partners_by_certificate && partner {
            match certificate_name {
                Some(name) if name == claims.sub => {}
                Some(name) => {
                    return Err(Status::unauthenticated(format!(
                        "this partner token is issued to {:?}, but the client certificate is \
                         {name:?}",
                        claims.sub
                    )));
                }
                None => {
                    return Err(Status::unauthenticated(
                        "a partner calls with its client certificate",
                    ));
                }
            }
        }
        let principal = match Principal::from_claims(&claims, &self.municipalities) {
            Ok(principal) => Ok(principal),
            Err(handling::principal::ClaimsError::UnknownRole(role)) => Err(role),
            Err(error) => return Err(Status::unauthenticated(error.to_string())),
        };
        Ok((principal, claims.jti))
    }
}

impl<S> tower_layer::Layer<S> for Authenticate {
    type Service = Authenticated<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Authenticated {
            inner,
            auth: self.clone(),
        }
    }
}

/// A service behind [`Authenticate`].
#[derive(Clone)]
pub struct Authenticated<S> {
    inner: S,
    auth: Authenticate,
}

impl<S, B, R> tower_service::Service<http::Request<B>> for Authenticated<S>
where
    S: tower_service::Service<http::Request<B>, Response = http::Response<R>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    R: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let path = request.uri().path().to_owned();
        if path.starts_with("/grpc.health.v1.Health/") {
            return Box::pin(self.inner.call(request));
        }
        let certificate_name = self
            .auth
            .partners_by_certificate
            .then(|| {
                request
                    .extensions()
                    .get::<tonic::transport::server::TlsConnectInfo<
                        tonic::transport::server::TcpConnectInfo,
                    >>()
                    .and_then(|info| info.peer_certs())
                    .and_then(|certificates| {
                        certificates
                            .first()
                            .and_then(|certificate| common_name(certificate))
                    })
            })
            .flatten();
        let (principal, token_id) = match self.auth.check(request.headers(), certificate_name) {
            Ok(checked) => checked,
            Err(status) => return Box::pin(async move { Ok(status.into_http()) }),
        };
        // The service that was made ready goes with the call; a clone waits for the next.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let handler = self.auth.refusals.clone();
        Box::pin(async move {
            // A revoked token is refused on every instance at once: each call asks.
            if let (Some(handler), Some(token_id)) = (&handler, &token_id) {
                match handling::revocation::is_revoked(handler.store().pool(), token_id).await {
                    Ok(false) => {}
                    Ok(true) => {
                        tracing::info!(method = %path, "call with a revoked token refused");
                        return Ok(Status::unauthenticated(
                            platform::auth::TokenError::Revoked.to_string(),
                        )
                        .into_http());
                    }
                    Err(error) => return Ok(Status::from(error).into_http()),
                }
            }
            let principal = match principal {
                Ok(principal) if handling::policy::permits(principal.role, &path) => {
                    request.extensions_mut().insert(principal);
                    request
                        .extensions_mut()
                        .insert(handling::command::CalledMethod(path));
                    return inner.call(request).await;
                }
                Ok(principal) => principal,
                Err(role) => {
                    tracing::info!(%role, method = %path, "call with a role no one has refused");
                    return Ok(Status::permission_denied(format!(
                        "the role {role:?} may not call {}",
                        path.trim_start_matches('/')
                    ))
                    .into_http());
                }
            };
            tracing::info!(role = %principal.role, method = %path, "call refused by the policy");
            let status = Status::permission_denied(format!(
                "the role {:?} may not call {}",
                principal.role.name(),
                path.trim_start_matches('/')
            ));
            // A read of a case refused by role is a refused read too: recorded, though
            // which case it named is not read.
            let method = path.trim_start_matches('/').to_owned();
            if let Some(handler) =
                handler.filter(|_| handling::audit::READS.contains(&method.as_str()))
                && let Err(error) = handler.record_refused_read(&principal, &method).await
            {
                tracing::warn!(%error, %method, "a refused read could not be recorded");
            }
            Ok(status.into_http())
        })
    }
}

/// Answers a request over [`MAX_REQUEST_BYTES`] `RESOURCE_EXHAUSTED`, the code for "too
/// much", where tonic answers `OUT_OF_RANGE` (meant for a value outside a valid range, which
/// an integrator would look for among the request's fields). A layer, because tonic refuses
/// the size while reading the body, before the service or its codec sees the request.
#[derive(Clone, Copy, Debug, Default)]
pub struct TooLarge;

/// How tonic's refusal of a request over its size limit begins (`tonic::codec::decode`).
const TONIC_TOO_LARGE: &str = "Error, decoded message length too large";

impl<S> tower_layer::Layer<S> for TooLarge {
    type Service = TooLargeService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        TooLargeService { inner }
    }
}

/// A service behind [`TooLarge`].
#[derive(Clone)]
pub struct TooLargeService<S> {
    inner: S,
}

impl<S, B, R> tower_service::Service<http::Request<B>> for TooLargeService<S>
where
    S: tower_service::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let answered = self.inner.call(request);
        Box::pin(async move {
            let mut response = answered.await?;
            let headers = response.headers_mut();
            // tonic percent-encodes the message's spaces.
            let too_large = headers.get("grpc-status").is_some_and(|code| code == "11")
                && headers
                    .get("grpc-message")
                    .and_then(|message| message.to_str().ok())
                    .is_some_and(|message| {
                        message.replace("%20", " ").starts_with(TONIC_TOO_LARGE)
                    });
            if too_large {
                // The status's own headers, encoded as tonic encodes them.
                let exhausted = Status::resource_exhausted(TOO_LARGE_MESSAGE).into_http::<()>();
                for name in ["grpc-status", "grpc-message"] {
                    if let Some(value) = exhausted.headers().get(name) {
                        headers.insert(name, value.clone());
                    }
                }
            }
            Ok(response)
        })
    }
}

/// What a caller whose request is too large is told.
const TOO_LARGE_MESSAGE: &str =
    "the request is larger than the 1048576 bytes (1 MiB) a call may send";

/// TLS on the listener: the server's certificate chain and key (PEM), and, for mutual TLS,
/// the CA certificates a client's certificate must chain to.
#[derive(Clone)]
pub struct Tls {
    pub certificate: Vec<u8>,
    pub key: Vec<u8>,
    /// With it, a client without a certificate from these CAs cannot connect at all.
    pub client_ca: Option<Vec<u8>>,
    /// With mutual TLS: a partner's identity is its certificate's subject common name, which
    /// its token's subject must name.
    pub partner_identity: bool,
}

impl Tls {
    /// Reads the PEM files, each error naming its file and flag.
    pub fn read(
        certificate: &std::path::Path,
        key: &std::path::Path,
        client_ca: Option<&std::path::Path>,
    ) -> anyhow::Result<Self> {
        let read = |path: &std::path::Path, flag: &str| {
            std::fs::read(path)
                .map_err(|error| anyhow::anyhow!("{flag} {}: {error}", path.display()))
        };
        Ok(Self {
            certificate: read(certificate, "--tls-cert")?,
            key: read(key, "--tls-key")?,
            client_ca: client_ca
                .map(|path| read(path, "--client-ca"))
                .transpose()?,
            partner_identity: false,
        })
    }
}

/// Serves `services` on `listener` (over TLS when `tls` is given) until `shutdown` completes,
/// then finishes the calls in flight. `crate::app::App` is what calls it.
pub async fn serve_with(
    listener: TcpListener,
    handler: Handler,
    verifier: Verifier,
    services: &[ServiceName],
    tls: Option<&Tls>,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let auth = Authenticate::new(verifier).recording_refusals(handler.clone());
    let auth = match tls {
        Some(Tls {
            client_ca: Some(_),
            partner_identity: true,
            ..
        }) => auth.partners_by_certificate(),
        _ => auth,
    };
    let (health, health_server) = tonic_health::server::health_reporter();
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(api::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;

    let mut builder = Server::builder();
    if let Some(tls) = tls {
        let mut config = tonic::transport::ServerTlsConfig::new().identity(
            tonic::transport::Identity::from_pem(&tls.certificate, &tls.key),
        );
        if let Some(ca) = &tls.client_ca {
            config = config.client_ca_root(tonic::transport::Certificate::from_pem(ca));
        }
        builder = builder.tls_config(config).map_err(|error| {
            anyhow::anyhow!("setting up TLS (--tls-cert, --tls-key, --client-ca): {error}")
        })?;
    }
    let mut router = builder
        .trace_fn(crate::telemetry::request_span)
        .layer(crate::telemetry::RpcMetrics::new())
        .layer(auth)
        .layer(TooLarge)
        .timeout(Duration::from_secs(30))
        .add_service(health_server)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha);
    for service in services {
        router = match service {
            ServiceName::Intake => router.add_service(
                intake::Intake::server(handler.clone())
                    .max_decoding_message_size(MAX_REQUEST_BYTES)
                    .max_encoding_message_size(MAX_RESPONSE_BYTES),
            ),
            ServiceName::Investigation => router.add_service(
                investigation::Investigation::server(handler.clone())
                    .max_decoding_message_size(MAX_REQUEST_BYTES)
                    .max_encoding_message_size(MAX_RESPONSE_BYTES),
            ),
            ServiceName::Measures => router.add_service(
                measures::Measures::server(handler.clone())
                    .max_decoding_message_size(MAX_REQUEST_BYTES)
                    .max_encoding_message_size(MAX_RESPONSE_BYTES),
            ),
            ServiceName::Feedback => router.add_service(
                feedback::Feedback::server(handler.clone())
                    .max_decoding_message_size(MAX_REQUEST_BYTES)
                    .max_encoding_message_size(MAX_RESPONSE_BYTES),
            ),
            ServiceName::Worklist => router.add_service(
                worklist::Worklist::server(handler.clone())
                    .max_decoding_message_size(MAX_REQUEST_BYTES)
                    .max_encoding_message_size(MAX_RESPONSE_BYTES),
            ),
            ServiceName::Audit => router.add_service(
                worklist::audit::Audit::server(handler.clone())
                    .max_decoding_message_size(MAX_REQUEST_BYTES)
                    .max_encoding_message_size(MAX_RESPONSE_BYTES),
            ),
            ServiceName::Partner => router.add_service(
                partner::Partners::server(handler.clone())
                    .max_decoding_message_size(MAX_REQUEST_BYTES)
                    .max_encoding_message_size(MAX_RESPONSE_BYTES),
            ),
        };
        health
            .set_service_status(service.grpc_name(), tonic_health::ServingStatus::Serving)
            .await;
    }
    let views_health = tokio::spawn(report_views(handler.store().pool().clone(), health));
    // After the signal, calls in flight get `CALLS_GRACE` to finish. A client that keeps an
    // idle connection open after the server's GOAWAY must not hold the process up past
    // that: the orchestrator's own grace period (30 s in `deploy/`) ends in SIGKILL, and the
    // views should get their turn to drain first.
    let signalled = Arc::new(tokio::sync::Notify::new());
    let serving = router.serve_with_incoming_shutdown(TcpIncoming::from(listener), {
        let signalled = signalled.clone();
        async move {
            shutdown.await;
            signalled.notify_one();
        }
    });
    let served = tokio::select! {
        served = serving => served,
        () = async {
            signalled.notified().await;
            tokio::time::sleep(CALLS_GRACE).await;
        } => {
            tracing::warn!(
                grace_seconds = CALLS_GRACE.as_secs(),
                "connections still open after the grace period; closing them"
            );
            Ok(())
        }
    };
    views_health.abort();
    served?;
    Ok(())
}

/// How often the health service's per-view statuses are read from the database.
const VIEWS_HEALTH_EVERY: Duration = Duration::from_secs(1);

/// The health service's name for a view's status: `vern.projection.<view>`.
pub fn view_health_name(view: &str) -> String {
    format!("vern.projection.{view}")
}

/// Keeps a status per view in the health service: SERVING, or NOT_SERVING while the view is
/// stopped at an event it cannot apply (`projections::failures`, so whichever replica runs
/// the view, every replica's health says so).
async fn report_views(pool: sqlx::PgPool, health: tonic_health::server::HealthReporter) {
    use projections::Projection as _;
    let views: Vec<&'static str> = projections::views(&domain::rules::RuleBook::norwegian())
        .iter()
        .map(|view| view.name())
        .collect();
    for view in &views {
        health
            .set_service_status(view_health_name(view), tonic_health::ServingStatus::Serving)
            .await;
    }
    loop {
        if let Ok(failures) = projections::failures::failures(&pool).await {
            for view in &views {
                let stopped = failures.iter().any(|failure| failure.projection == *view);
                let status = if stopped {
                    tonic_health::ServingStatus::NotServing
                } else {
                    tonic_health::ServingStatus::Serving
                };
                health
                    .set_service_status(view_health_name(view), status)
                    .await;
            }
        }
        tokio::time::sleep(VIEWS_HEALTH_EVERY).await;
    }
}

/// How long calls in flight at a shutdown get to finish.
pub const CALLS_GRACE: Duration = Duration::from_secs(15);

#[cfg(test)]
mod tests {
    #[test]
    fn the_too_large_message_names_the_limit() {
        assert!(super::TOO_LARGE_MESSAGE.contains(&super::MAX_REQUEST_BYTES.to_string()));
    }
}
