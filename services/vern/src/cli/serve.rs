//! `vern up` and `vern serve`: the process around the composition root (`vern::app`): the
//! signals, the database (opened, migrated, closed), the signing key and the token files, the
//! demo's seeding, and what a person reads when it is up.
//!
//! The order is the newcomer's: what can fail fast fails first (the flags, the key, both
//! addresses), then the slow part (the database, created on first use), so a taken port
//! costs a second, not a minute of `initdb` and migrations.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use eventstore::EventStore;
use platform::auth::SigningKey;
use vern::app::{App, Config, DashboardConfig, Listeners};
use vern::database::Access;
use vern::server::{self, ServiceName};

use super::{DatabaseArgs, LifetimeArgs, known_municipalities, shutdown_signal};

#[derive(clap::Args)]
pub(crate) struct ServeArgs {
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
    /// A municipality's own practice beside the law, as MUNICIPALITY:SETTING=VALUE
    /// (repeatable or comma-separated; e.g. 5501:acute_family_team_weeks=6 caps that
    /// service's acute family team plans). None by default: the law sets no such limit.
    #[arg(long, env = "VERN_LOCAL_PRACTICE", value_delimiter = ',')]
    pub(crate) local_practice: Vec<String>,
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
    /// How the log is written: the summary is a block of text beside text lines, one more
    /// JSON line beside JSON ones.
    pub(crate) log_format: vern::telemetry::LogFormat,
}

/// `vern up`: every service, the dashboard unless `--no-dashboard`.
pub(crate) async fn up(
    args: UpArgs,
    database: DatabaseArgs,
    exports_metrics: bool,
    log_format: vern::telemetry::LogFormat,
) -> anyhow::Result<()> {
    let extras = Extras {
        demo: args.demo,
        dashboard: (!args.no_dashboard).then_some(DashboardConfig {
            listen: args.dashboard,
            secure_cookies: args.dashboard_secure_cookies,
        }),
        exports_metrics,
        log_format,
    };
    serve(args.serve, database, &ServiceName::ALL, extras).await
}

/// Serves `services` until a signal, with `extras`.
pub(crate) async fn serve(
    args: ServeArgs,
    database: DatabaseArgs,
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
    let tls_mode = match &tls {
        None => "off",
        Some(server::Tls {
            client_ca: None, ..
        }) => "on",
        Some(_) => "mutual",
    };
    let data_dir = &database.data_dir;
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
    let key = SigningKey::load_or_create(&data_dir.join("signing.key"))?;
    known_municipalities("--municipalities", &args.municipalities)?;
    let lifetimes = args.lifetimes.parse()?;
    let practice = domain::practice::LocalPractice::parse(
        "--local-practice",
        &args.local_practice,
        &domain::municipality::MunicipalityRegistry::norway_2024(),
    )?;
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
    let config = Config {
        listen: args.listen,
        services: services.to_vec(),
        tls,
        verifier,
        dashboard: extras.dashboard,
        run_views: true,
        sample_gauges: extras.exports_metrics,
        clock: None,
        practice,
    };
    let listeners = Listeners::bind(&config).await?;
    let opened = database.open(Access::Own).await?;
    let result = async {
        let store = EventStore::new(opened.pool().clone());
        opened.migrate().await?;
        let app = App::build_on(store.clone(), listeners, config);
        let mut summary = Summary {
            grpc: app.address()?,
            tls: tls_mode,
            dashboard: app.dashboard_address()?,
            tokens: vec![(
                super::token::write_operator_token(&key, &lifetimes, data_dir)?,
                "operator: the dashboard's system pages, no case data",
            )],
            demo: None,
            log_format: extras.log_format,
        };
        if extras.demo {
            summary.tokens.push((
                super::token::write_demo_token(&key, &lifetimes, data_dir)?,
                "a service leader of the demo's five municipalities: their cases",
            ));
        }
        tracing::info!(
            listen = %summary.grpc,
            dashboard = %summary.dashboard_url(),
            tls = tls_mode,
            database = %opened.describe(),
            services = ?services,
            "vern is up; stop with Ctrl-C"
        );
        let seeding = if extras.demo {
            Some(tokio::spawn(seed_demo(store.pool().clone(), summary)))
        } else {
            summary.print();
            None
        };
        let served = app.run_until_stopped(signalled).await;
        if let Some(seeding) = seeding {
            // Its commands are each atomic; stopping between two loses nothing stored.
            seeding.abort();
        }
        served
    }
    .await;
    opened.close().await;
    result
}

/// What a person needs once it is up: where to go and what to log in with. Printed last, so
/// it is what they see.
struct Summary {
    grpc: std::net::SocketAddr,
    tls: &'static str,
    dashboard: Option<std::net::SocketAddr>,
    /// Each token file with whose it is.
    tokens: Vec<(std::path::PathBuf, &'static str)>,
    /// What the demo seeded, when it did.
    demo: Option<String>,
    log_format: vern::telemetry::LogFormat,
}

impl Summary {
    fn dashboard_url(&self) -> String {
        match self.dashboard {
            Some(address) => format!("http://{address}"),
            None => "off".to_owned(),
        }
    }

    fn print(&self) {
        let tokens: Vec<String> = self
            .tokens
            .iter()
            .map(|(path, whose)| format!("{} ({whose})", path.display()))
            .collect();
        if self.log_format == vern::telemetry::LogFormat::Json {
            tracing::info!(
                dashboard = %self.dashboard_url(),
                grpc = %self.grpc,
                tokens = ?tokens,
                demo = self.demo.as_deref().unwrap_or("none"),
                "ready"
            );
            return;
        }
        let mut lines = vec![String::new()];
        if let Some(demo) = &self.demo {
            lines.push(format!("Demo: {demo}."));
        }
        lines.push(format!(
            "Dashboard  {}{}",
            self.dashboard_url(),
            if self.dashboard.is_some() {
                "  (log in with a token below)"
            } else {
                ""
            }
        ));
        lines.push(format!("gRPC       {}  (TLS {})", self.grpc, self.tls));
        for (index, token) in tokens.iter().enumerate() {
            let label = if index == 0 { "Tokens" } else { "" };
            lines.push(format!("{label:<10} {token}"));
        }
        lines.push("Stop with Ctrl-C.".to_owned());
        #[allow(clippy::print_stderr)]
        {
            eprintln!("{}", lines.join("\n"));
        }
    }
}

/// `vern up --demo`: two years of Værnesregionen up to today, unless the store holds events;
/// then the summary.
async fn seed_demo(pool: sqlx::PgPool, mut summary: Summary) {
    let result = async {
        if !EventStore::new(pool.clone()).is_empty().await? {
            tracing::info!("demo not seeded: the database already holds events");
            summary.demo = Some("not seeded, the database already held events".to_owned());
            return Ok(());
        }
        let today = domain::calendar::oslo_date(chrono::Utc::now());
        let simulation = vern::demo::demo(today);
        tracing::info!(
            from = %simulation.first_day,
            to = %today,
            "seeding the demo through the command path"
        );
        let days = (today - simulation.first_day).num_days();
        let mut progress =
            vern::progress::Progress::new("seeding the demo", u64::try_from(days).ok());
        let outcome = vern::demo::simulate(&pool, &simulation, |tick| {
            let elapsed = progress.elapsed();
            progress.set(u64::try_from(tick.day).unwrap_or_default(), || {
                format!(
                    "{} reports sent, {}/s, day {}/{days}",
                    tick.reports,
                    vern::progress::rate(tick.reports, elapsed),
                    tick.day
                )
            });
        })
        .await?;
        let seconds = progress.elapsed().as_secs();
        progress.finish();
        tracing::info!(
            reports = outcome.reports,
            commands = outcome.commands,
            failed = outcome.failed,
            seconds,
            "demo seeded"
        );
        summary.demo = Some(format!(
            "two years of Værnesregionen seeded, {} reports in {seconds} s",
            outcome.reports
        ));
        anyhow::Ok(())
    }
    .await;
    if let Err(error) = result {
        tracing::error!(error = format!("{error:#}"), "seeding the demo failed");
        summary.demo = Some("seeding failed (the log above says why)".to_owned());
    }
    summary.print();
}
