//! The composition root: one place that wires a serving process (the gRPC services with
//! health, reflection and authentication, the operators' dashboard, every view's runner, the
//! check that records lapsed emergency decisions (`lapses`) and the gauges) over an event store, so `vern up`, `vern serve`, the end-to-end tests and the
//! demo's simulation run the same thing, and what one of them exercises (TLS, the dashboard)
//! is what the others serve.
//!
//! [`Listeners::bind`] takes the addresses first, both at once, so `vern up` says which port
//! is taken (and the flag that changes it) before it starts a database; [`App::build`] binds
//! them itself when the caller has nothing slow to do first. [`App::run_until_stopped`]
//! serves until its shutdown
//! future completes, then stops in order: the listener closes and calls in flight finish
//! (`server::CALLS_GRACE`), the dashboard stops, each view applies what was committed, the
//! lapse check and the gauges stop.

use std::future::Future;
use std::net::SocketAddr;

use anyhow::Context as _;
use eventstore::EventStore;
use handling::{Clock, Handler};
use platform::auth::Verifier;
use tokio::net::TcpListener;

use crate::server::{self, ServiceName, Tls};

/// What a serving process serves, and how.
pub struct Config {
    /// The gRPC address (`127.0.0.1:0` for any free port).
    pub listen: SocketAddr,
    pub services: Vec<ServiceName>,
    /// TLS, or mutual TLS, on the gRPC listener.
    pub tls: Option<Tls>,
    /// Which tokens are taken.
    pub verifier: Verifier,
    /// The operators' dashboard, if served.
    pub dashboard: Option<DashboardConfig>,
    /// Run every view's runner (the views' locks let several processes do so).
    pub run_views: bool,
    /// Sample the gauges for the metrics exporter.
    pub sample_gauges: bool,
    /// Where "now" comes from; the system clock when `None`.
    pub clock: Option<Clock>,
    /// Each municipality's own choices beside the law (`--local-practice`).
    pub practice: domain::practice::LocalPractice,
}

/// The dashboard's address and cookies.
pub struct DashboardConfig {
    pub listen: SocketAddr,
    /// Mark its cookies `Secure` (TLS terminated in front of it).
    pub secure_cookies: bool,
}

/// A serving process, built and bound, not yet serving.
pub struct App {
    store: EventStore,
    handler: Handler,
    listener: TcpListener,
    dashboard: Option<(TcpListener, DashboardConfig)>,
    config: Config,
}

/// The gRPC listener and the dashboard's, bound before anything else is started.
pub struct Listeners {
    grpc: TcpListener,
    dashboard: Option<TcpListener>,
}

impl Listeners {
    /// Binds `config`'s addresses. Every address that cannot be had is named in one error,
    /// each with the flag that sets it, so one try tells the operator all there is to change.
    pub async fn bind(config: &Config) -> anyhow::Result<Self> {
        let grpc = TcpListener::bind(config.listen).await;
        let dashboard = match &config.dashboard {
            Some(dashboard) => Some(TcpListener::bind(dashboard.listen).await),
            None => None,
        };
        let mut refusals = Vec::new();
        if let Err(error) = &grpc {
            refusals.push(refusal(config.listen, error, "--listen (VERN_LISTEN)"));
        }
        if let (Some(Err(error)), Some(dashboard)) = (&dashboard, &config.dashboard) {
            refusals.push(refusal(
                dashboard.listen,
                error,
                "--dashboard (VERN_DASHBOARD), or turn it off with --no-dashboard",
            ));
        }
        match (grpc, dashboard.transpose()) {
            (Ok(grpc), Ok(dashboard)) => Ok(Self { grpc, dashboard }),
            _ => anyhow::bail!("{}", refusals.join("; ")),
        }
    }
}

/// Why `address` cannot be listened on, and the flag that picks another.
fn refusal(address: SocketAddr, error: &std::io::Error, flag: &str) -> String {
    let why = match error.kind() {
        std::io::ErrorKind::AddrInUse => "another process is listening there".to_owned(),
        std::io::ErrorKind::AddrNotAvailable => {
            "no interface of this machine has that address".to_owned()
        }
        std::io::ErrorKind::PermissionDenied => {
            "not permitted (a port below 1024 needs privileges)".to_owned()
        }
        _ => error.to_string(),
    };
    format!("cannot listen on {address}: {why}; choose another with {flag}")
}

impl App {
    /// Binds the listeners (see [`Listeners::bind`]) and builds over `store`.
    pub async fn build(store: EventStore, config: Config) -> anyhow::Result<Self> {
        let listeners = Listeners::bind(&config).await?;
        Ok(Self::build_on(store, listeners, config))
    }

    /// Makes the command handler over `store`, to serve on `listeners`.
    pub fn build_on(store: EventStore, listeners: Listeners, mut config: Config) -> Self {
        let dashboard = match (listeners.dashboard, config.dashboard.take()) {
            (Some(listener), Some(dashboard)) => Some((listener, dashboard)),
            _ => None,
        };
        let mut handler = Handler::new(store.clone()).with_practice(config.practice.clone());
        if let Some(clock) = config.clock.clone() {
            handler = handler.with_clock(clock);
        }
        Self {
            store,
            handler,
            listener: listeners.grpc,
            dashboard,
            config,
        }
    }

    /// The gRPC address it is bound to.
    pub fn address(&self) -> anyhow::Result<SocketAddr> {
        self.listener
            .local_addr()
            .context("reading the listening address")
    }

    /// The dashboard's address, if it serves one.
    pub fn dashboard_address(&self) -> anyhow::Result<Option<SocketAddr>> {
        self.dashboard
            .as_ref()
            .map(|(listener, _)| {
                listener
                    .local_addr()
                    .context("reading the dashboard's address")
            })
            .transpose()
    }

    /// The command handler the services use (its store and clock), for work beside them.
    pub fn handler(&self) -> &Handler {
        &self.handler
    }

    /// Serves until `shutdown` completes, then stops in order (see the module's docs).
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()> {
        let Self {
            store,
            handler,
            listener,
            dashboard,
            config,
        } = self;
        let (stop_serving, serving_stopped) = tokio::sync::watch::channel(false);
        let dashboard = dashboard.map(|(listener, dashboard_config)| {
            let dashboard = dashboard::Dashboard::new(
                store.clone(),
                config.verifier.clone(),
                dashboard_config.secure_cookies,
                env!("CARGO_PKG_VERSION"),
            );
            let mut stopped = serving_stopped.clone();
            tokio::spawn(dashboard::serve(listener, dashboard, async move {
                let _ = stopped.wait_for(|stopped| *stopped).await;
            }))
        });
        let (stop_views, views_stopped) = tokio::sync::watch::channel(false);
        let gauges = config.sample_gauges.then(|| {
            tokio::spawn(crate::telemetry::sample_gauges(
                store.clone(),
                views_stopped.clone(),
            ))
        });
        let lapses = config.run_views.then(|| {
            tokio::spawn(crate::lapses::run(
                handler.clone(),
                crate::lapses::EVERY,
                views_stopped.clone(),
            ))
        });
        let views = config
            .run_views
            .then(|| tokio::spawn(crate::views::run(store.clone(), views_stopped)));
        let served = server::serve_with(
            listener,
            handler,
            config.verifier,
            &config.services,
            config.tls.as_ref(),
            async {
                shutdown.await;
                tracing::info!("shutting down");
                let _ = stop_serving.send(true);
            },
        )
        .await;
        if let Some(dashboard) = dashboard {
            match dashboard.await {
                Ok(Err(error)) => tracing::error!(%error, "the dashboard stopped with an error"),
                Err(error) => tracing::error!(%error, "the dashboard panicked"),
                Ok(Ok(())) => {}
            }
        }
        // The server has finished its calls: each view applies what was committed (the
        // runner's drain), then stops.
        let _ = stop_views.send(true);
        if let Some(views) = views {
            let _ = views.await;
        }
        if let Some(gauges) = gauges {
            let _ = gauges.await;
        }
        if let Some(lapses) = lapses {
            let _ = lapses.await;
        }
        served
    }
}
