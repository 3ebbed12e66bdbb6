//! The operators' dashboard: what the read models say, as plain server-rendered pages.
//!
//! No JavaScript and no build step, so there is nothing to bundle and nothing a page can run:
//! the Content-Security-Policy forbids scripts outright. It reads the same views the worklist
//! service reads (through `projections`), and a case's or report's own events from the store
//! for their key facts, and writes nothing but the read audit.
//!
//! Authentication is the gRPC API's: an operator logs in with a bearer token signed with the
//! installation's key. The token is checked once and exchanged for a random session id in a
//! cookie that scripts cannot read (`HttpOnly`), that no other site's page can send
//! (`SameSite=Strict`), and that is `Secure` when the dashboard is served over TLS. Every form
//! carries a CSRF token: the login form a double-submit cookie, the others the session's own.
//! Sessions live in memory; a restart asks everyone to log in again.
//!
//! Layout: this file holds the router, the sessions and the errors; `pages` renders each
//! list page but the quarterly report, which `report` draws as a page and a CSV file from the
//! table `figures` defines once; `subjects` a case's and a report's pages and why a deadline
//! was breached, with each event's facts from `facts`; `html` the frame every page shares
//! (pages are `maud` markup, escaped by default).

mod facts;
mod figures;
mod html;
mod pages;
mod report;
mod subjects;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use eventstore::EventStore;
use platform::auth::Verifier;
use serde::Deserialize;

/// What can go wrong serving a page.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not logged in")]
    NotLoggedIn,
    #[error("the form's CSRF token does not match")]
    Csrf,
    #[error("this role may not see this page")]
    Forbidden,
    #[error("{field}: {reason}")]
    BadParameter { field: &'static str, reason: String },
    #[error("not found")]
    NotFound,
    #[error("reading the views: {0}")]
    Views(#[from] projections::Error),
    #[error("reading the event store: {0}")]
    Store(#[from] eventstore::Error),
    #[error("reading the database: {0}")]
    Database(#[from] sqlx::Error),
    /// The read audit could not be written, so the page is not shown.
    #[error("recording the read: {0}")]
    Audit(#[from] handling::Error),
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, title, text) = match &self {
            Error::NotLoggedIn => return Redirect::to("/login").into_response(),
            Error::Csrf => (
                StatusCode::FORBIDDEN,
                "Skjemaet er utløpt",
                "Skjemaet er utløpt. Last siden på nytt.".to_owned(),
            ),
            Error::Forbidden => (
                StatusCode::FORBIDDEN,
                "Ingen tilgang",
                "Rollen din gir ikke tilgang til denne siden.".to_owned(),
            ),
            Error::BadParameter { field, reason } => (
                StatusCode::BAD_REQUEST,
                "Ugyldig verdi",
                format!(
                    "Siden kunne ikke vises: {}: {reason}",
                    pages::field_label(field)
                ),
            ),
            Error::NotFound => (
                StatusCode::NOT_FOUND,
                "Fant ikke siden",
                "Fant ikke siden. Velg en side i menyen.".to_owned(),
            ),
            Error::Views(_) | Error::Store(_) | Error::Database(_) | Error::Audit(_) => {
                tracing::error!(error = %self, "dashboard page failed");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Midlertidig feil",
                    "Kunne ikke lese dataene akkurat nå. Prøv igjen.".to_owned(),
                )
            }
        };
        let failure = Failure { title, text };
        let mut response = (status, secure_headers(), failure.page(None)).into_response();
        response.extensions_mut().insert(failure);
        response
    }
}

/// What an error page says; kept on the response so [`with_menu`] can draw it again inside
/// the reader's menu.
#[derive(Clone)]
struct Failure {
    title: &'static str,
    text: String,
}

impl Failure {
    fn page(&self, viewer: Option<&html::Viewer<'_>>) -> axum::response::Html<String> {
        let body = maud::html! {
            h1 { (self.title) }
            p.error { (self.text) }
        };
        axum::response::Html(html::page(self.title, viewer, body).into_string())
    }
}

/// An error or refusal page keeps the menu of whoever is logged in, so a reader is never
/// stranded on it.
async fn with_menu(
    State(dashboard): State<Dashboard>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    // The session is looked up only for a failure: a page that succeeds has done so already.
    let cookies: HeaderMap = request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .map(|value| (header::COOKIE, value.clone()))
        .collect();
    let mut response = next.run(request).await;
    let failure = response.extensions().get::<Failure>();
    if let Some((failure, session)) =
        failure.and_then(|failure| Some((failure, dashboard.session(&cookies).ok()?)))
    {
        let page = failure.page(Some(&session.viewer())).into_response();
        *response.body_mut() = page.into_body();
        response.headers_mut().remove(header::CONTENT_LENGTH);
    }
    response
}

/// How the dashboard is set up.
#[derive(Clone)]
pub struct Dashboard {
    store: EventStore,
    verifier: Arc<Verifier>,
    sessions: Arc<Mutex<HashMap<String, Session>>>,
    secure_cookies: bool,
    version: &'static str,
}

/// A logged-in operator.
#[derive(Clone, Debug)]
struct Session {
    /// Who, with which role, serving which municipalities (none: no case content is shown),
    /// parsed from the token once at login, as the gRPC server parses it.
    principal: handling::principal::Principal,
    /// The id of the token it was opened with: a revoked token ends its sessions too.
    token_id: Option<String>,
    csrf: String,
    expires: Instant,
}

impl Session {
    /// The session's holder, as the read audit names a reader.
    fn principal(&self) -> handling::principal::Principal {
        self.principal.clone()
    }

    /// Who is logged in, for the page's header and menu.
    fn viewer(&self) -> html::Viewer<'_> {
        html::Viewer {
            subject: &self.principal.subject,
            role: self.principal.role,
            csrf: &self.csrf,
        }
    }
}

/// The longest a session lasts, whatever the token's expiry.
const SESSION_LIFETIME: Duration = Duration::from_secs(8 * 3600);
const SESSION_COOKIE: &str = "vern_session";
const LOGIN_CSRF_COOKIE: &str = "vern_login_csrf";

impl Dashboard {
    /// `secure_cookies` marks the cookies `Secure`: set it when the dashboard is served over
    /// TLS (directly or behind a proxy that terminates it). `version` is shown on the system page.
    pub fn new(
        store: EventStore,
        verifier: Verifier,
        secure_cookies: bool,
        version: &'static str,
    ) -> Self {
        Self {
            store,
            verifier: Arc::new(verifier),
            sessions: Arc::new(Mutex::new(HashMap::new())),
            secure_cookies,
            version,
        }
    }

    pub fn router(self) -> Router {
        Router::new()
            .route("/", get(|| async { Redirect::to("/cases") }))
            .route("/login", get(login_form).post(login))
            .route("/logout", post(logout))
            .route("/style.css", get(style))
            .route("/cases", get(pages::cases))
            .route("/cases/{case_id}", get(subjects::case))
            .route("/cases/{case_id}/why/{kind}", get(subjects::case_why))
            .route("/reports/{report_id}", get(subjects::report))
            .route("/reports/{report_id}/why/{kind}", get(subjects::report_why))
            .route("/letters", get(pages::letters))
            .route("/statistics", get(pages::statistics))
            .route("/report", get(report::page))
            .route("/report.csv", get(report::csv))
            .route("/system", get(pages::system))
            .fallback(|| async { Error::NotFound })
            .layer(axum::middleware::from_fn_with_state(
                self.clone(),
                with_menu,
            ))
            .with_state(self)
    }

    /// The session the request's cookie names, if it is live and its role may see `page`. A
    /// page of case content refused by role is recorded in the read audit as a denial, as the
    /// API's authentication records a read refused by role: without the case it named.
    async fn session_for(
        &self,
        headers: &HeaderMap,
        page: handling::policy::Page,
    ) -> Result<Session, Error> {
        use handling::policy::Page;
        let session = self.session(headers)?;
        if let Some(token_id) = &session.token_id
            && handling::revocation::is_revoked(self.store.pool(), token_id).await?
        {
            if let (Some(id), Ok(mut sessions)) =
                (cookie(headers, SESSION_COOKIE), self.sessions.lock())
            {
                sessions.remove(&id);
            }
            tracing::info!(subject = %session.principal.subject, "dashboard session of a revoked token ended");
            return Err(Error::NotLoggedIn);
        }
        if handling::policy::permits_page(session.principal.role, page) {
            return Ok(session);
        }
        let path = match page {
            Page::Cases => Some("/cases"),
            Page::Letters => Some("/letters"),
            Page::Statistics | Page::System => None,
        };
        if let Some(path) = path {
            let entry = handling::audit::Entry::new(
                &session.principal(),
                &format!("dashboard {path}"),
                handling::audit::Subject::Unread,
                None,
                handling::audit::Outcome::Denied,
                chrono::Utc::now(),
            );
            if let Err(error) = handling::audit::record(self.store.pool(), &[entry]).await {
                tracing::warn!(%error, %path, "a refused read could not be recorded");
            }
        }
        Err(Error::Forbidden)
    }

    /// The session the request's cookie names, if it is live.
    fn session(&self, headers: &HeaderMap) -> Result<Session, Error> {
        let id = cookie(headers, SESSION_COOKIE).ok_or(Error::NotLoggedIn)?;
        let mut sessions = self.sessions.lock().map_err(|_| Error::NotLoggedIn)?;
        let now = Instant::now();
        sessions.retain(|_, session| session.expires > now);
        sessions.get(&id).cloned().ok_or(Error::NotLoggedIn)
    }

    fn cookie(&self, name: &str, value: &str, max_age: Option<u64>) -> HeaderValue {
        let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
        if let Some(seconds) = max_age {
            cookie.push_str(&format!("; Max-Age={seconds}"));
        }
        if self.secure_cookies {
            cookie.push_str("; Secure");
        }
        HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
    }
}

/// Serves the dashboard on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    dashboard: Dashboard,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, dashboard.router())
        .with_graceful_shutdown(shutdown)
        .await
}

/// Headers every page carries: no scripts, no framing, nothing cached or sniffed.
fn secure_headers() -> [(header::HeaderName, HeaderValue); 5] {
    [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    ]
}

/// A value from the `Cookie` header.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// 256 random bits as hex: session ids and CSRF tokens.
fn random_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Equal without telling, by its timing, how much of a guess was right.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

async fn style() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/css")),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("max-age=3600"),
            ),
        ],
        html::STYLE,
    )
}

async fn login_form(State(dashboard): State<Dashboard>) -> Response {
    login_page(&dashboard, None)
}

fn login_page(dashboard: &Dashboard, problem: Option<&str>) -> Response {
    let csrf = random_token();
    let body = maud::html! {
        h1 { "Logg inn" }
        @if let Some(problem) = problem { p.error { (problem) } }
        form.login method="post" action="/login" {
            label for="token" { "Tilgangsnøkkel (token)" }
            textarea #token name="token" rows="6" required autocomplete="off" {}
            input type="hidden" name="csrf" value=(csrf);
            button type="submit" { "Logg inn" }
        }
        p.hint {
            "Nøklene " code { "vern up" } " skriver står i datakatalogen (" code { ".vern" } "): "
            "operatørens i " code { "operator.token" } ", og med " code { "--demo" }
            " en tjenesteleders i " code { "demo.token" } "."
        }
    };
    let status = if problem.is_none() {
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    };
    (
        status,
        secure_headers(),
        [(
            header::SET_COOKIE,
            dashboard.cookie(LOGIN_CSRF_COOKIE, &csrf, Some(600)),
        )],
        axum::response::Html(html::page("Logg inn", None, body).into_string()),
    )
        .into_response()
}

#[derive(Deserialize)]
struct LoginForm {
    token: String,
    csrf: String,
}

async fn login(
    State(dashboard): State<Dashboard>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, Error> {
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).ok_or(Error::Csrf)?;
    if !same(&expected, &form.csrf) {
        return Err(Error::Csrf);
    }
    let now = chrono::Utc::now().timestamp();
    // A refusal shows the login page again, saying why.
    let refused = |reason: &dyn std::fmt::Display| {
        tracing::info!(%reason, "dashboard login refused");
        Ok(login_page(
            &dashboard,
            Some(&format!("Nøkkelen ble ikke godtatt: {reason}")),
        ))
    };
    let claims = match dashboard.verifier.verify(form.token.trim(), now) {
        Ok(claims) => claims,
        Err(error) => return refused(&error),
    };
    if let Some(token_id) = &claims.jti
        && handling::revocation::is_revoked(dashboard.store.pool(), token_id).await?
    {
        return refused(&platform::auth::TokenError::Revoked);
    }
    let principal = match handling::principal::Principal::from_claims(
        &claims,
        &domain::municipality::MunicipalityRegistry::norway_2024(),
    ) {
        Ok(principal) => principal,
        Err(error) => return refused(&error),
    };
    let left = u64::try_from(claims.exp.saturating_sub(now)).unwrap_or(0);
    let lifetime = SESSION_LIFETIME.min(Duration::from_secs(left));
    let id = random_token();
    let session = Session {
        principal,
        token_id: claims.jti,
        csrf: random_token(),
        expires: Instant::now() + lifetime,
    };
    tracing::info!(subject = %session.principal.subject, role = %session.principal.role, "dashboard login");
    // The first page the role may see.
    let landing = [
        (handling::policy::Page::Cases, "/cases"),
        (handling::policy::Page::Statistics, "/statistics"),
    ]
    .into_iter()
    .find(|(page, _)| handling::policy::permits_page(session.principal.role, *page))
    .map_or("/system", |(_, path)| path);
    if let Ok(mut sessions) = dashboard.sessions.lock() {
        sessions.insert(id.clone(), session);
    }
    Ok((
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, HeaderValue::from_static(landing)),
            (
                header::SET_COOKIE,
                dashboard.cookie(SESSION_COOKIE, &id, Some(lifetime.as_secs())),
            ),
        ],
        [(
            header::SET_COOKIE,
            dashboard.cookie(LOGIN_CSRF_COOKIE, "", Some(0)),
        )],
    )
        .into_response())
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(
    State(dashboard): State<Dashboard>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, Error> {
    let session = dashboard.session(&headers)?;
    if !same(&session.csrf, &form.csrf) {
        return Err(Error::Csrf);
    }
    if let (Some(id), Ok(mut sessions)) =
        (cookie(&headers, SESSION_COOKIE), dashboard.sessions.lock())
    {
        sessions.remove(&id);
    }
    Ok((
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, HeaderValue::from_static("/login")),
            (
                header::SET_COOKIE,
                dashboard.cookie(SESSION_COOKIE, "", Some(0)),
            ),
        ],
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_by_exact_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; vern_session_x=2; vern_session=3"),
        );
        assert_eq!(cookie(&headers, "vern_session").as_deref(), Some("3"));
        assert_eq!(cookie(&headers, "b"), None);
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
        assert_eq!(random_token().len(), 64);
        assert_ne!(random_token(), random_token());
    }
}
