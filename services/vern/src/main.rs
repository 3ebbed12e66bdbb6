//! `vern`: the one binary. `vern up` runs every service in one process on the embedded default
//! database; `vern serve <service>` runs one; `vern migrate` only brings the schema up to date.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use eventstore::EventStore;
use handling::Handler;
use platform::auth::{Claims, SigningKey};
use vern::database::Database;
use vern::server::{self, ServiceName};

/// mimalloc rather than the system allocator: the views and the services allocate many small
/// short-lived values (decoded events, rows as JSON), and glibc's malloc and free were a
/// third of a view replay's CPU time (`perf`, see crates/bench/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "vern",
    version,
    about = "Case lifecycle of a municipal child welfare service"
)]
struct Cli {
    /// How log lines are written to standard error. Traces and metrics also go over OTLP
    /// when OTEL_EXPORTER_OTLP_ENDPOINT is set.
    #[arg(
        long,
        global = true,
        env = "VERN_LOG_FORMAT",
        value_enum,
        default_value_t
    )]
    log_format: vern::telemetry::LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every service: with no DATABASE_URL, on a private PostgreSQL kept in --data-dir.
    Up {
        #[command(flatten)]
        args: ServeArgs,
        /// Seed an empty database with two years of a synthetic inter-municipal service
        /// (Værnesregionen's five municipalities; fictional people), sent through the normal
        /// command path while the server runs. A database that holds events is left alone.
        #[arg(long)]
        demo: bool,
        /// The operators' web dashboard (same tokens as the gRPC API; log in with one).
        #[arg(long, env = "VERN_DASHBOARD", default_value = "127.0.0.1:8080")]
        dashboard: SocketAddr,
        /// Do not serve the dashboard.
        #[arg(long)]
        no_dashboard: bool,
        /// Mark the dashboard's cookies Secure: set it when TLS is terminated in front of the
        /// dashboard (an ingress or a proxy), so the browser sends them only over HTTPS.
        #[arg(long, env = "VERN_DASHBOARD_SECURE_COOKIES")]
        dashboard_secure_cookies: bool,
    },
    /// Run one service.
    Serve {
        service: ServiceName,
        #[command(flatten)]
        args: ServeArgs,
    },
    /// Run the database migrations, then exit.
    Migrate(DatabaseArgs),
    /// The read models: their checkpoints and lag, and rebuilding one from the log.
    Projections {
        #[command(subcommand)]
        command: ProjectionsCommand,
    },
    /// Reports of concern delivered as files.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Reporting to the national child welfare registry (Barnevernsregisteret).
    Registry {
        #[command(subcommand)]
        command: RegistryCommand,
    },
    /// Bearer tokens signed with the installation's key (`<data-dir>/signing.key`).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Print a token for local use: a person or a system with a role, serving municipalities.
    Issue {
        /// caseworker, team_leader, service_leader, reporter_portal, police, barnehus,
        /// supervisor or operator.
        #[arg(long)]
        role: String,
        /// A municipality (kommunenummer) the holder serves; repeat for an inter-municipal
        /// service.
        #[arg(long = "municipality", required = true)]
        municipalities: Vec<String>,
        /// Who holds it: a user id or a system's name.
        #[arg(long)]
        subject: String,
        /// How long it is valid, in hours: at most what --token-lifetimes allows the role.
        #[arg(long, default_value_t = 8)]
        hours: u32,
        #[command(flatten)]
        lifetimes: LifetimeArgs,
        /// Where the installation keeps its signing key.
        #[arg(long, env = "VERN_DATA_DIR", default_value = ".vern")]
        data_dir: PathBuf,
    },
    /// Revoke a token before its end, on every instance at once: by its id (printed when it
    /// was issued) or the token itself.
    Revoke {
        /// The token's id (jti), or the whole token.
        token: String,
        /// Why, kept with the revocation.
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        args: DatabaseArgs,
    },
}

/// The longest each role's tokens may live.
#[derive(clap::Args)]
struct LifetimeArgs {
    /// The longest a token may live per role, as role=hours pairs (comma-separated) over the
    /// defaults: caseworker, team_leader, service_leader and supervisor 10 (a working day);
    /// reporter_portal, police and barnehus 720; operator 2160. A longer token is refused.
    #[arg(
        long = "token-lifetimes",
        env = "VERN_TOKEN_LIFETIMES",
        default_value = ""
    )]
    token_lifetimes: String,
}

impl LifetimeArgs {
    fn parse(&self) -> anyhow::Result<platform::auth::Lifetimes> {
        platform::auth::Lifetimes::parse(&self.token_lifetimes)
            .map_err(|error| anyhow::anyhow!("--token-lifetimes: {error}"))
    }
}

#[derive(Subcommand)]
enum RegistryCommand {
    /// Write each case of a municipality that changed since its last export as a
    /// Barnevern_v4.xsd document (one per case, named <case id>.xml), each naming the previous
    /// export of its case, and print the registry's findings.
    Export {
        /// The municipality (kommunenummer).
        #[arg(long)]
        municipality: String,
        /// The municipality's organisation number (9 digits), as the registry requires.
        #[arg(long)]
        organisation_number: String,
        /// The moment to export as of (RFC 3339); now by default.
        #[arg(long)]
        as_of: Option<chrono::DateTime<chrono::Utc>>,
        /// Where to write; registry-<municipality>-<date> by default.
        #[arg(long)]
        out: Option<PathBuf>,
        /// The district (bydel) number and name, for municipalities reporting per district.
        #[arg(long, requires = "district_name")]
        district_number: Option<String>,
        #[arg(long, requires = "district_number")]
        district_name: Option<String>,
        #[command(flatten)]
        args: DatabaseArgs,
    },
}

#[derive(Subcommand)]
enum ReportCommand {
    /// Import a report from the national reporting portal: a JSON document of KS Fiks IO
    /// message type no.ks.fiks.bekymringsmelding.offentlig.v2 or .privat.v2. Prints the reply
    /// (mottatt.v1 once stored, feilet.v1 with every broken rule) and fails on feilet.v1.
    /// Importing the same file again is a no-op.
    Import {
        /// The JSON document.
        file: PathBuf,
        /// The message type; by default read from the document's shape.
        #[arg(long)]
        message_type: Option<String>,
        /// The Fiks IO message id; by default derived from the file's content.
        #[arg(long)]
        message_id: Option<uuid::Uuid>,
        #[command(flatten)]
        args: DatabaseArgs,
    },
}

#[derive(Subcommand)]
enum ProjectionsCommand {
    /// Each read model's checkpoint and how far behind the log it is.
    Status(DatabaseArgs),
    /// Replay one read model from the start into fresh tables and swap them in; the old
    /// tables keep serving until the swap. Works while `vern up` runs.
    Rebuild {
        /// case_timeline, worklist, caseload or statistics; `all` rebuilds every view at
        /// once from one read of the log.
        name: String,
        #[command(flatten)]
        args: DatabaseArgs,
    },
}

#[derive(clap::Args)]
struct DatabaseArgs {
    /// PostgreSQL to use. Without it, Vern runs a private server from the installed
    /// PostgreSQL binaries, with its data in --data-dir.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// With DATABASE_URL: the role that owns Vern's schema, for the migrations, when the
    /// serving role of DATABASE_URL may not change tables (deploy/README.md, "Database roles").
    /// By default DATABASE_URL's own.
    #[arg(
        long,
        env = "VERN_OWNER_DATABASE_URL",
        hide_env_values = true,
        requires = "database_url"
    )]
    owner_database_url: Option<String>,
    /// Where Vern keeps its private database, its token signing key and the operator token.
    #[arg(long, env = "VERN_DATA_DIR", default_value = ".vern")]
    data_dir: PathBuf,
}

#[derive(clap::Args)]
struct ServeArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// The gRPC address.
    #[arg(long, env = "VERN_LISTEN", default_value = "127.0.0.1:50051")]
    listen: SocketAddr,
    /// Serve gRPC over TLS with this PEM certificate chain (and --tls-key).
    #[arg(long, env = "VERN_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "VERN_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Mutual TLS: only clients with a certificate from these PEM CA certificates may connect.
    #[arg(long, env = "VERN_CLIENT_CA", requires = "tls_cert")]
    client_ca: Option<PathBuf>,
    /// With --client-ca: the police's and Statens barnehus' identity is their client
    /// certificate's subject (CN); their tokens must be issued to it.
    #[arg(
        long,
        env = "VERN_PARTNER_IDENTITY_FROM_CERTIFICATE",
        requires = "client_ca"
    )]
    partner_identity_from_certificate: bool,
    /// Also accept tokens an identity provider signs (ES256 or RS256) with a key in this JWKS
    /// file; with --token-issuer and --token-audience.
    #[arg(long, env = "VERN_JWKS", requires_all = ["token_issuer", "token_audience"])]
    jwks: Option<PathBuf>,
    /// The `iss` the provider's tokens must carry.
    #[arg(long, env = "VERN_TOKEN_ISSUER", requires = "jwks")]
    token_issuer: Option<String>,
    /// The `aud` the provider's tokens must carry: this service's name at the provider.
    #[arg(long, env = "VERN_TOKEN_AUDIENCE", requires = "jwks")]
    token_audience: Option<String>,
    /// The municipalities this service serves (kommunenummer, comma-separated): a token naming
    /// any other is refused. Empty: any.
    #[arg(long, env = "VERN_MUNICIPALITIES", value_delimiter = ',')]
    municipalities: Vec<String>,
    #[command(flatten)]
    lifetimes: LifetimeArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let telemetry = match vern::telemetry::init(cli.log_format) {
        Ok(telemetry) => telemetry,
        Err(error) => {
            eprintln!("error: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    let exports_metrics = telemetry.exports_metrics();
    let result = match cli.command {
        Command::Up {
            args,
            demo,
            dashboard,
            no_dashboard,
            dashboard_secure_cookies,
        } => {
            let extras = Extras {
                demo,
                dashboard: (!no_dashboard).then_some(dashboard),
                dashboard_secure_cookies,
                exports_metrics,
            };
            serve(args, &ServiceName::ALL, extras).await
        }
        Command::Serve { service, args } => {
            let extras = Extras {
                demo: false,
                dashboard: None,
                dashboard_secure_cookies: false,
                exports_metrics,
            };
            serve(args, &[service], extras).await
        }
        Command::Migrate(args) => migrate(args).await,
        Command::Projections { command } => match command {
            ProjectionsCommand::Status(args) => projections_status(args).await,
            ProjectionsCommand::Rebuild { name, args } => rebuild(args, &name).await,
        },
        Command::Report {
            command:
                ReportCommand::Import {
                    file,
                    message_type,
                    message_id,
                    args,
                },
        } => import_report(args, &file, message_type, message_id).await,
        Command::Token {
            command:
                TokenCommand::Issue {
                    role,
                    municipalities,
                    subject,
                    hours,
                    lifetimes,
                    data_dir,
                },
        } => match lifetimes.parse() {
            Ok(lifetimes) => issue_token(
                &role,
                municipalities,
                &subject,
                hours,
                &lifetimes,
                &data_dir,
            ),
            Err(error) => Err(error),
        },
        Command::Token {
            command:
                TokenCommand::Revoke {
                    token,
                    reason,
                    args,
                },
        } => revoke_token(args, &token, reason.as_deref()).await,
        Command::Registry {
            command:
                RegistryCommand::Export {
                    municipality,
                    organisation_number,
                    as_of,
                    out,
                    district_number,
                    district_name,
                    args,
                },
        } => {
            let as_of = as_of.unwrap_or_else(chrono::Utc::now);
            let export = vern::registry::Export {
                out: out.unwrap_or_else(|| vern::registry::default_out(&municipality, as_of)),
                municipality,
                organisation_number,
                district: district_number.zip(district_name),
                as_of,
            };
            registry_export(args, export).await
        }
    };
    // Spans and metrics still buffered go out before the process ends.
    let _ = tokio::task::spawn_blocking(move || telemetry.shutdown()).await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // The whole chain on one line, without a backtrace: this is for the operator.
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// What a serving process runs besides the gRPC services.
struct Extras {
    /// Seed the demo (`vern up --demo`).
    demo: bool,
    /// Where to serve the dashboard, if at all.
    dashboard: Option<SocketAddr>,
    /// Mark its cookies `Secure` (TLS in front of it).
    dashboard_secure_cookies: bool,
    /// Sample the gauges for the metrics exporter.
    exports_metrics: bool,
}

async fn serve(args: ServeArgs, services: &[ServiceName], extras: Extras) -> anyhow::Result<()> {
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
        let listener = server::bind(args.listen).await?;
        let dashboard_listener = match extras.dashboard {
            Some(address) => Some(server::bind(address).await?),
            None => None,
        };
        write_operator_token(&key, &lifetimes, data_dir)?;
        if extras.demo {
            write_demo_token(&key, &lifetimes, data_dir)?;
        }
        let listening_on = listener
            .local_addr()
            .context("reading the listening address")?;
        let dashboard_on = match &dashboard_listener {
            Some(listener) => format!(
                "http://{}",
                listener
                    .local_addr()
                    .context("reading the dashboard's address")?
            ),
            None => "off".to_owned(),
        };
        tracing::info!(
            listen = %listening_on,
            dashboard = %dashboard_on,
            tls = match &tls {
                None => "off",
                Some(server::Tls { client_ca: None, .. }) => "on",
                Some(_) => "mutual",
            },
            database = %database.describe(),
            services = ?services,
            "vern is up; stop with Ctrl-C"
        );
        let (stop_serving, serving_stopped) = tokio::sync::watch::channel(false);
        let dashboard = dashboard_listener.map(|listener| {
            let dashboard = dashboard::Dashboard::new(
                store.clone(),
                verifier.clone(),
                extras.dashboard_secure_cookies,
                env!("CARGO_PKG_VERSION"),
            );
            let mut stopped = serving_stopped.clone();
            tokio::spawn(dashboard::serve(listener, dashboard, async move {
                let _ = stopped.wait_for(|stopped| *stopped).await;
            }))
        });
        let (stop_projections, projections_stopped) = tokio::sync::watch::channel(false);
        let gauges = extras.exports_metrics.then(|| {
            tokio::spawn(vern::telemetry::sample_gauges(
                store.clone(),
                projections_stopped.clone(),
            ))
        });
        let projections = tokio::spawn(vern::views::run(store.clone(), projections_stopped));
        let seeding = extras
            .demo
            .then(|| tokio::spawn(seed_demo(store.pool().clone())));
        let handler = Handler::new(store);
        let served =
            server::serve_with(listener, handler, verifier, services, tls.as_ref(), async {
                signalled.await;
                tracing::info!("shutting down");
                let _ = stop_serving.send(true);
            })
            .await;
        if let Some(dashboard) = dashboard {
            match dashboard.await {
                Ok(Err(error)) => tracing::error!(%error, "the dashboard stopped with an error"),
                Err(error) => tracing::error!(%error, "the dashboard panicked"),
                Ok(Ok(())) => {}
            }
        }
        if let Some(seeding) = seeding {
            // Its commands are each atomic; stopping between two loses nothing stored.
            seeding.abort();
        }
        // The server has finished its calls: each view applies what was committed (the
        // runner's drain), then stops.
        let _ = stop_projections.send(true);
        let _ = projections.await;
        if let Some(gauges) = gauges {
            let _ = gauges.await;
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
        let empty: bool = sqlx::query_scalar("select not exists (select 1 from events)")
            .fetch_one(&pool)
            .await?;
        if !empty {
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

/// Every number is a municipality of the registry; the error names `flag`.
fn known_municipalities(flag: &str, numbers: &[String]) -> anyhow::Result<()> {
    let registry = domain::municipality::MunicipalityRegistry::norway_2024();
    for number in numbers {
        domain::municipality::MunicipalityNumber::parse(flag, number, &registry)
            .map_err(|error| anyhow::anyhow!("{error}"))?;
    }
    Ok(())
}

/// `vern token issue`: every flag checked, each error naming its flag, before the key is read.
fn issue_token(
    role: &str,
    municipalities: Vec<String>,
    subject: &str,
    hours: u32,
    lifetimes: &platform::auth::Lifetimes,
    data_dir: &Path,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        platform::auth::ROLES.contains(&role),
        "--role: {role:?} is not a role; use one of {}",
        platform::auth::ROLES.join(", ")
    );
    known_municipalities("--municipality", &municipalities)?;
    let subject = domain::values::BoundedText::short("--subject", subject)
        .map_err(|error| anyhow::anyhow!("{error}: give who holds the token"))?;
    let subject = subject.as_str();
    let max_hours = lifetimes.max_hours(role);
    anyhow::ensure!(
        (1..=max_hours).contains(&i64::from(hours)),
        "--hours: from 1 to {max_hours} for a {role} token (--token-lifetimes)"
    );
    let key = SigningKey::load(&data_dir.join("signing.key"))?;
    let claims = Claims::new(
        subject,
        role,
        municipalities,
        chrono::Utc::now().timestamp(),
        i64::from(hours) * 3600,
    );
    // The token alone on standard output (for scripts); its id, to revoke it, beside it.
    eprintln!(
        "token id {} (revoke it with: vern token revoke {0})",
        claims.jti.as_deref().unwrap_or_default()
    );
    #[allow(clippy::print_stdout)]
    {
        println!("{}", key.issue(&claims));
    }
    Ok(())
}

/// `vern token revoke`: refuses the token on every instance from now on.
async fn revoke_token(args: DatabaseArgs, token: &str, reason: Option<&str>) -> anyhow::Result<()> {
    let token = token.trim();
    // A token has dots; an id is what is left.
    let id = if token.contains('.') {
        platform::auth::token_id(token)
            .context("this token names no id (jti); it cannot be revoked by id")?
    } else {
        token.to_owned()
    };
    anyhow::ensure!(
        !id.is_empty() && id.len() <= 200,
        "give the token's id or the token itself"
    );
    let reason = reason
        .map(|reason| domain::values::BoundedText::short("--reason", reason))
        .transpose()
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    with_store(args, |store| async move {
        let operator = std::env::var("USER").unwrap_or_else(|_| "operator".into());
        let newly = handling::revocation::revoke(
            store.pool(),
            &id,
            &format!("vern token revoke ({operator})"),
            reason.as_ref().map(|reason| reason.as_str()),
        )
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
        print_lines(&[if newly {
            format!("token {id} revoked; every instance refuses it from now on")
        } else {
            format!("token {id} was revoked already")
        }]);
        anyhow::Ok(())
    })
    .await
}

/// A fresh token for the local operator at every start, in `<data-dir>/operator.token` (mode
/// 0600), living as long as an operator's may.
fn write_operator_token(
    key: &SigningKey,
    lifetimes: &platform::auth::Lifetimes,
    data_dir: &Path,
) -> anyhow::Result<()> {
    let claims = Claims::new(
        "operator",
        "operator",
        Vec::new(),
        chrono::Utc::now().timestamp(),
        lifetimes.max_hours("operator") * 3600,
    );
    write_token(
        key,
        &claims,
        &data_dir.join("operator.token"),
        "operator token",
    )
}

/// With `--demo`: a service leader's token for the demo's five municipalities, in
/// `<data-dir>/demo.token`, so the dashboard can show the demo's cases at once (the operator's
/// token shows none). It lives as long as a service leader's may (a working day by default);
/// every start writes a new one.
fn write_demo_token(
    key: &SigningKey,
    lifetimes: &platform::auth::Lifetimes,
    data_dir: &Path,
) -> anyhow::Result<()> {
    let claims = Claims::new(
        "demo-leder",
        "service_leader",
        vern::demo::VAERNES
            .iter()
            .map(|(number, _)| (*number).to_owned())
            .collect(),
        chrono::Utc::now().timestamp(),
        lifetimes.max_hours("service_leader") * 3600,
    );
    write_token(
        key,
        &claims,
        &data_dir.join("demo.token"),
        "demo service leader's token",
    )
}

/// Signs `claims` and keeps the token in `path` (mode 0600). The log names the file, never
/// the token: logs travel further than the data directory.
fn write_token(key: &SigningKey, claims: &Claims, path: &Path, what: &str) -> anyhow::Result<()> {
    let token = key.issue(claims);
    platform::postgres::write_private(path, token.as_bytes())?;
    tracing::info!(file = %path.display(), token_id = claims.jti.as_deref().unwrap_or_default(), "{what} written");
    Ok(())
}

async fn migrate(args: DatabaseArgs) -> anyhow::Result<()> {
    let database =
        Database::open(args.database_url, args.owner_database_url, &args.data_dir).await?;
    let result = database.migrate().await;
    if result.is_ok() {
        tracing::info!(database = %database.describe(), "migrations applied");
    }
    database.close().await;
    result
}

async fn projections_status(args: DatabaseArgs) -> anyhow::Result<()> {
    use projections::Projection as _;
    with_store(args, |store| async move {
        let mut lines = vec![format!(
            "{:<14} {:>24} {:>14} {:>14} {:>22}",
            "projection", "checkpoint", "events behind", "seconds behind", "waiting for horizon"
        )];
        for view in projections::views(&domain::rules::RuleBook::norwegian()) {
            let status = projections::status(&store, view.name()).await?;
            lines.push(format!(
                "{:<14} {:>24} {:>14} {:>14.1} {:>22}",
                view.name(),
                status.checkpoint.to_string(),
                status.events_behind,
                status.seconds_behind,
                status.events_waiting
            ));
        }
        // A view stopped at an event it cannot apply: which, where, why.
        for failure in projections::failures::failures(store.pool()).await? {
            lines.push(format!(
                "{}: STOPPED at event {} ({}) since {}, {} attempts: {}",
                failure.projection,
                failure.position,
                failure.event_type,
                failure.failed_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                failure.attempts,
                failure.error
            ));
        }
        // A long-open transaction anywhere in the cluster holds every view back.
        let horizon = store.horizon().await?;
        lines.push(match horizon.oldest_open_transaction_age {
            Some(age) => format!(
                "horizon: readers held back {:.1} s by the transaction of backend {} (see pg_stat_activity)",
                age.as_secs_f64(),
                horizon.oldest_open_transaction_pid.unwrap_or_default()
            ),
            None => "horizon: no open transaction holds the readers back".to_owned(),
        });
        print_lines(&lines);
        anyhow::Ok(())
    })
    .await
}

async fn rebuild(args: DatabaseArgs, name: &str) -> anyhow::Result<()> {
    with_store(args, |store| async move {
        let rules = domain::rules::RuleBook::norwegian();
        let mut last_report = std::time::Instant::now();
        let progress = |progress: projections::RebuildProgress| {
            if last_report.elapsed() >= std::time::Duration::from_secs(1)
                || progress.applied >= progress.total
            {
                last_report = std::time::Instant::now();
                tracing::info!(
                    projection = name,
                    applied = progress.applied,
                    total = progress.total,
                    seconds = format!("{:.1}", progress.elapsed_seconds),
                    "rebuilding"
                );
            }
        };
        let rebuilt = if name == "all" {
            projections::rebuild_all(&store, projections::views(&rules), 1000, progress).await?
        } else {
            let view = projections::view(&rules, name)
                .context("rebuild takes the name of a view, or all")?;
            let (applied, checkpoint) = projections::rebuild(&store, &view, 1000, progress).await?;
            vec![(projections::Projection::name(&view), applied, checkpoint)]
        };
        print_lines(
            &rebuilt
                .iter()
                .map(|(name, applied, checkpoint)| {
                    format!("{name}: rebuilt from {applied} events and swapped in at {checkpoint}")
                })
                .collect::<Vec<_>>(),
        );
        anyhow::Ok(())
    })
    .await
}

async fn import_report(
    args: DatabaseArgs,
    file: &Path,
    message_type: Option<String>,
    message_id: Option<uuid::Uuid>,
) -> anyhow::Result<()> {
    let body = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let message_type = match message_type {
        Some(message_type) => message_type,
        None => fiks::message_type_of(&body)
            .with_context(|| {
                format!(
                    "{} is neither a public (offentligMelder) nor a private (privatMelder) \
                     report; name the type with --message-type",
                    file.display()
                )
            })?
            .to_owned(),
    };
    with_store(args, |store| async move {
        let handler = Handler::new(store);
        // Whoever holds the database holds every municipality's reports: the import may
        // deliver to any of them.
        let principal = handling::principal::Principal {
            subject: "vern report import".into(),
            role: "operator".into(),
            municipalities: handler
                .municipalities()
                .iter()
                .map(|(number, _)| number.as_str().to_owned())
                .collect(),
        };
        let imported = intake::digital::import(
            &handler,
            &principal,
            intake::digital::Delivery {
                message_type: &message_type,
                message_id,
                body: &body,
                urgency: domain::values::Urgency::Yellow,
            },
        )
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
        let mut lines = vec![imported.reply.message_type().to_owned()];
        lines.extend(imported.reply.body());
        if let Some(report_id) = imported.report_id {
            lines.push(format!(
                "report {}{}",
                report_id.as_uuid(),
                if imported.duplicate {
                    " (imported before; nothing new stored)"
                } else {
                    ""
                }
            ));
        }
        print_lines(&lines);
        match imported.reply {
            fiks::Reply::Received => anyhow::Ok(()),
            fiks::Reply::Failed(_) => anyhow::bail!("the report was rejected; nothing was stored"),
        }
    })
    .await
}

async fn registry_export(args: DatabaseArgs, export: vern::registry::Export) -> anyhow::Result<()> {
    with_store(args, |store| async move {
        let handler = Handler::new(store);
        let actor = eventstore::Actor {
            subject: "vern registry export".into(),
            role: "operator".into(),
            municipality: Some(export.municipality.clone()),
        };
        let exported = vern::registry::export(&handler, &actor, &export).await?;
        let mut lines: Vec<String> = exported
            .written
            .iter()
            .map(|(_, path)| format!("wrote {}", path.display()))
            .collect();
        lines.push(format!(
            "{} written, {} unchanged since their last export",
            exported.written.len(),
            exported.unchanged.len()
        ));
        for (case, finding) in &exported.findings {
            lines.push(format!(
                "{} case {}: {}: {}",
                finding.severity.as_str(),
                case.as_uuid(),
                finding.rule,
                finding.message
            ));
        }
        print_lines(&lines);
        anyhow::Ok(())
    })
    .await
}

/// Opens the database (`DATABASE_URL` or the private server in `--data-dir`), brings the
/// schema up to date, runs `work` on the store, and closes the database whatever `work` did.
async fn with_store<F, Fut>(args: DatabaseArgs, work: F) -> anyhow::Result<()>
where
    F: FnOnce(EventStore) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let database =
        Database::open(args.database_url, args.owner_database_url, &args.data_dir).await?;
    let store = EventStore::new(database.pool().clone());
    let result = match database.migrate().await {
        Ok(()) => work(store).await,
        Err(error) => Err(error),
    };
    database.close().await;
    result
}

/// Command output, for the operator, on standard output.
fn print_lines(lines: &[String]) {
    #[allow(clippy::print_stdout)]
    for line in lines {
        println!("{line}");
    }
}

/// Ctrl-C or SIGTERM, whichever comes first.
/// Installs the handlers for SIGTERM and SIGINT now, so a signal that comes at any moment
/// after this (even before the server awaits it) stops the process cleanly, and returns what
/// completes when one arrives.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate =
        signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
    })
}
