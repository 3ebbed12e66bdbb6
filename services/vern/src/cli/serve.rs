//! `vern up` and `vern serve`: the process around the composition root (`vern::app`): the
//! signals, the database (opened, migrated, closed), the signing key and the token files, the
//! demo's seeding, and the line that says it is up.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use eventstore::EventStore;
use platform::auth::SigningKey;
use vern::app::{App, Config, DashboardConfig};
use vern::database::Database;
use vern::server::{self, ServiceName};

use super::{DatabaseArgs, LifetimeArgs, known_municipalities, shutdown_signal};

#[derive(clap::Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    pub(crate) database: DatabaseArgs,
    /// The gRPC address.
    #[arg(long, env = "VERN_LISTEN", default_value = "127.0.0.1:50051")]
    pub(crate) listen: SocketAddr,
    /// Serve gRPC over TLS with this PEM certificate chain (and --tls-key).
    #[arg(long, env = "VERN_TLS_CERT", requires = "tls_key")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "VERN_TLS_KEY", requires = "tls_cert")]
    pub(crate) tls_key: Option<PathBuf>,
    /// Mutual TLS: only clients with a certificate from these PEM CA certificates may connect.
    #[arg(long, env = "VERN_CLIENT_CA", requires = "tls_cert")]
    pub(crate) client_ca: Option<PathBuf>,
    /// With --client-ca: the police's and Statens barnehus' identity is their client
    /// certificate's subject (CN); their tokens must be issued to it.
    #[arg(
        long,
        env = "VERN_PARTNER_IDENTITY_FROM_CERTIFICATE",
        requires = "client_ca"
    )]
    pub(crate) partner_identity_from_certificate: bool,
    /// Also accept tokens an identity provider signs (ES256 or RS256) with a key in this JWKS
    /// file; with --token-issuer and --token-audience.
    #[arg(long, env = "VERN_JWKS", requires_all = ["token_issuer", "token_audience"])]
    pub(crate) jwks: Option<PathBuf>,
    /// The `iss` the provider's tokens must carry.
    #[arg(long, env = "VERN_TOKEN_ISSUER", requires = "jwks")]
    pub(crate) token_issuer: Option<String>,
    /// The `aud` the provider's tokens must carry: this service's name at the provider.
    #[arg(long, env = "VERN_TOKEN_AUDIENCE", requires = "jwks")]
    pub(crate) token_audience: Option<String>,
    /// The municipalities this service serves (kommunenummer, comma-separated): a token naming
    /// any other is refused. Empty: any.
    #[arg(long, env = "VERN_MUNICIPALITIES", value_delimiter = ',')]
    pub(crate) municipalities: Vec<String>,
    #[command(flatten)]
    pub(crate) lifetimes: LifetimeArgs,
}

/// `vern up`'s flags beside the serving ones.
#[derive(clap::Args)]
pub(crate) struct UpArgs {
    #[command(flatten)]
    pub(crate) serve: ServeArgs,
    /// Seed an empty database with two years of a synthetic inter-municipal service
    /// (Værnesregionen's five municipalities; fictional people), sent through the normal
    /// command path while the server runs. A database that holds events is left alone.
    #[arg(long)]
    pub(crate) demo: bool,
    /// The operators' web dashboard (same tokens as the gRPC API; log in with one).
    #[arg(long, env = "VERN_DASHBOARD", default_value = "127.0.0.1:8080")]
    pub(crate) dashboard: SocketAddr,
    /// Do not serve the dashboard.
    #[arg(long)]
    pub(crate) no_dashboard: bool,
    /// Mark the dashboard's cookies Secure: set it when TLS is terminated in front of the
    /// dashboard (an ingress or a proxy), so the browser sends them only over HTTPS.
    #[arg(long, env = "VERN_DASHBOARD_SECURE_COOKIES")]
    pub(crate) dashboard_secure_cookies: bool,
}

/// What a serving process runs besides the gRPC services.
pub(crate) struct Extras {
    /// Seed the demo (`vern up --demo`).
    pub(crate) demo: bool,
    /// The dashboard, if served.
    pub(crate) dashboard: Option<DashboardConfig>,
    /// Sample the gauges for the metrics exporter.
    pub(crate) exports_metrics: bool,
}

/// `vern up`: every service, the dashboard unless `--no-dashboard`.
pub(crate) async fn up(args: UpArgs, exports_metrics: bool) -> anyhow::Result<()> {
    let extras = Extras {
        demo: args.demo,
        dashboard: (!args.no_dashboard).then_some(DashboardConfig {
            listen: args.dashboard,
            secure_cookies: args.dashboard_secure_cookies,
        }),
        exports_metrics,
    };
    serve(args.serve, &ServiceName::ALL, extras).await
}

/// Serves `services` until a signal, with `extras`.
pub(crate) async fn serve(
    args: ServeArgs,
    services: &[ServiceName],
    extras: Extras,
) -> anyhow::Result<()> {
    let signalled = shutdown_signal()?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(certificate), Some(key)) => Some(server::Tls {
            partner_identity: args.partner_identity_from_certificate,
            ..server::Tls::read(certificate, key, args.client_ca.as_deref())?
        }),
        _ => None,
    };
    let data_dir = &args.database.data_dir;
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
    let key = SigningKey::load_or_create(&data_dir.join("signing.key"))?;
    known_municipalities("--municipalities", &args.municipalities)?;
    let lifetimes = args.lifetimes.parse()?;
    let mut verifier = platform::auth::Verifier::new(key.clone())
        .serving(args.municipalities.clone())
        .with_lifetimes(lifetimes.clone());
    if let (Some(path), Some(issuer), Some(audience)) =
        (&args.jwks, &args.token_issuer, &args.token_audience)
    {
        let document =
            std::fs::read_to_string(path).with_context(|| format!("--jwks {}", path.display()))?;
        let jwks = platform::auth::Jwks::parse(&document, issuer, audience)
            .map_err(|error| anyhow::anyhow!("--jwks {}: {error}", path.display()))?;
        verifier = verifier.with_provider(jwks);
    }
    let database = Database::open(
        args.database.database_url,
        args.database.owner_database_url,
        data_dir,
    )
    .await?;
    let result = async {
        let store = EventStore::new(database.pool().clone());
        database.migrate().await?;
        let tls_mode = match &tls {
            None => "off",
            Some(server::Tls {
                client_ca: None, ..
            }) => "on",
            Some(_) => "mutual",
        };
        let app = App::build(
            store.clone(),
            Config {
                listen: args.listen,
                services: services.to_vec(),
                tls,
                verifier,
                dashboard: extras.dashboard,
                run_views: true,
                sample_gauges: extras.exports_metrics,
                clock: None,
            },
        )
        .await?;
        super::token::write_operator_token(&key, &lifetimes, data_dir)?;
        if extras.demo {
            super::token::write_demo_token(&key, &lifetimes, data_dir)?;
        }
        let dashboard_on = match app.dashboard_address()? {
            Some(address) => format!("http://{address}"),
            None => "off".to_owned(),
        };
        tracing::info!(
            listen = %app.address()?,
            dashboard = %dashboard_on,
            tls = tls_mode,
            database = %database.describe(),
            services = ?services,
            "vern is up; stop with Ctrl-C"
        );
        let seeding = extras
            .demo
            .then(|| tokio::spawn(seed_demo(store.pool().clone())));
        let served = app.run_until_stopped(signalled).await;
        if let Some(seeding) = seeding {
            // Its commands are each atomic; stopping between two loses nothing stored.
            seeding.abort();
        }
        served
    }
    .await;
    database.close().await;
    result
}

/// `vern up --demo`: two years of Værnesregionen up to today, unless the store holds events.
async fn seed_demo(pool: sqlx::PgPool) {
    let result = async {
        if !EventStore::new(pool.clone()).is_empty().await? {
            tracing::info!("demo not seeded: the database already holds events");
            return Ok(());
        }
        let today = domain::calendar::oslo_date(chrono::Utc::now());
        let simulation = vern::demo::demo(today);
        tracing::info!(
            from = %simulation.first_day,
            to = %today,
            "seeding the demo through the command path"
        );
        let started = std::time::Instant::now();
        let mut reported = 0;
        let outcome = vern::demo::simulate(&pool, &simulation, |day, days, events| {
            let days = days.unwrap_or(1).max(1);
            let percent = day * 100 / days;
            if percent >= reported + 10 {
                reported = percent;
                tracing::info!(percent, events, "seeding the demo");
            }
        })
        .await?;
        tracing::info!(
            reports = outcome.reports,
            commands = outcome.commands,
            failed = outcome.failed,
            seconds = started.elapsed().as_secs(),
            "demo seeded"
        );
        anyhow::Ok(())
    }
    .await;
    if let Err(error) = result {
        tracing::error!(error = format!("{error:#}"), "seeding the demo failed");
    }
}
