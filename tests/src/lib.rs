//! The harness of the end-to-end tests: [`TestApp::spawn`] runs the real server (every
//! service, health, reflection, authentication) and every read model's runner on
//! `127.0.0.1:0` over a fresh database, migrated by the schema's owner and served by the
//! server's own role, and hands out generated gRPC clients that carry a
//! valid token. The server's clock is the system's until a test sets it ([`TestApp::set_now`]),
//! so scenarios can run at fixed times.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use api::feedback::v1::feedback_service_client::FeedbackServiceClient;
use api::intake::v1::intake_service_client::IntakeServiceClient;
use api::investigation::v1::investigation_service_client::InvestigationServiceClient;
use api::measures::v1::measures_service_client::MeasuresServiceClient;
use api::worklist::v1::worklist_service_client::WorklistServiceClient;
use eventstore::EventStore;
use handling::Handler;
use platform::auth::{Claims, SigningKey, Verifier};
use testkit::TestDb;
use tokio::sync::oneshot;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};
use tonic::{Request, Status};
use vern::app::{App, Config};
use vern::server::ServiceName;

/// Adds `authorization: Bearer <token>` to every call.
#[derive(Clone)]
pub struct Bearer(Option<String>);

impl Bearer {
    pub fn new(token: String) -> Self {
        Self(Some(token))
    }
}

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(token) = &self.0 {
            let value = format!("Bearer {token}")
                .parse()
                .map_err(|_| Status::internal("token is not a header value"))?;
            request.metadata_mut().insert("authorization", value);
        }
        Ok(request)
    }
}

pub type Authed = InterceptedService<Channel, Bearer>;

pub struct TestApp {
    pub db: TestDb,
    pub address: SocketAddr,
    pub key: SigningKey,
    pub token: String,
    pub store: EventStore,
    /// A handler over the same store and clock as the server's, for what runs beside it
    /// (the registry export).
    pub handler: Handler,
    channel: Channel,
    clock: Arc<Mutex<Option<DateTime<Utc>>>>,
    shutdown: Option<oneshot::Sender<()>>,
}

/// The municipalities the test caseworker's token serves: Stjørdal and Frosta (one
/// inter-municipal service, as in Værnesregionen), and Bergen, whom the national portal's
/// sample documents address.
pub const SERVED: [&str; 3] = ["5035", "5036", "4601"];

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(Default::default()).await
    }

    /// [`Self::spawn`], with the municipalities' own choices beside the law.
    pub async fn spawn_with(practice: domain::practice::LocalPractice) -> Self {
        testkit::init_test_log();
        let db = TestDb::new().await;
        // As in production: the owner migrates, the server's role (which may not change or
        // remove an event) serves.
        let owner = db.pool_as(platform::postgres::OWNER_ROLE).await;
        vern::views::migrate_owned(&owner)
            .await
            .expect("migrations run");
        owner.close().await;
        let store = EventStore::new(db.pool_as(platform::postgres::SERVER_ROLE).await);
        vern::views::migrate_views(store.pool())
            .await
            .expect("the views' tables are made");
        let key = SigningKey::generate();
        let token = key.issue(&Claims::new(
            "caseworker-7",
            "caseworker",
            SERVED.iter().map(|&number| number.to_owned()).collect(),
            now(),
            3600,
        ));
        let clock: Arc<Mutex<Option<DateTime<Utc>>>> = Arc::default();
        let app = {
            let clock = clock.clone();
            App::build(
                store.clone(),
                Config {
                    listen: "127.0.0.1:0".parse().expect("address"),
                    services: ServiceName::ALL.to_vec(),
                    tls: None,
                    verifier: Verifier::new(key.clone()),
                    dashboard: None,
                    run_views: true,
                    sample_gauges: false,
                    practice,
                    clock: Some(Arc::new(move || {
                        clock
                            .lock()
                            .ok()
                            .and_then(|set| *set)
                            .unwrap_or_else(Utc::now)
                    })),
                },
            )
            .await
            .expect("the app builds")
        };
        let address = app.address().expect("address");
        let handler = app.handler().clone();
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let stopped = async {
                let _ = stopped.await;
            };
            if let Err(error) = app.run_until_stopped(stopped).await {
                panic!("server failed: {error:#}");
            }
        });
        let channel = Endpoint::from_shared(format!("http://{address}"))
            .expect("endpoint")
            .connect_lazy();
        Self {
            db,
            address,
            key,
            token,
            store,
            handler,
            channel,
            clock,
            shutdown: Some(shutdown),
        }
    }

    /// Fixes the server's "now" (commands are decided at it, queries default to it).
    pub fn set_now(&self, now: DateTime<Utc>) {
        if let Ok(mut clock) = self.clock.lock() {
            *clock = Some(now);
        }
    }

    pub fn worklist(&self) -> WorklistServiceClient<Authed> {
        WorklistServiceClient::with_interceptor(self.channel(), self.bearer())
    }

    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    pub fn bearer(&self) -> Bearer {
        Bearer(Some(self.token.clone()))
    }

    pub fn intake(&self) -> IntakeServiceClient<Authed> {
        IntakeServiceClient::with_interceptor(self.channel(), self.bearer())
    }

    pub fn investigation(&self) -> InvestigationServiceClient<Authed> {
        InvestigationServiceClient::with_interceptor(self.channel(), self.bearer())
    }

    pub fn measures(&self) -> MeasuresServiceClient<Authed> {
        MeasuresServiceClient::with_interceptor(self.channel(), self.bearer())
    }

    pub fn feedback(&self) -> FeedbackServiceClient<Authed> {
        FeedbackServiceClient::with_interceptor(self.channel(), self.bearer())
    }

    /// An intake client with the given token, or none.
    pub fn intake_with_token(&self, token: Option<String>) -> IntakeServiceClient<Authed> {
        IntakeServiceClient::with_interceptor(self.channel(), Bearer(token))
    }

    /// Every event stored, for "nothing was written" checks.
    pub async fn event_count(&self) -> i64 {
        sqlx::query_scalar("select count(*) from events")
            .fetch_one(self.db.pool())
            .await
            .expect("count events")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}
