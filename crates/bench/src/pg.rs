//! The benchmarks' own PostgreSQL: a private server in the bench's data directory, its data kept
//! between runs so a generated log can be reused, with durable settings (fsync on) like
//! production. Fault runs stop and start it on the same port, so Vern keeps its connection URL.
//! A run that started it stops it at the end: a benchmark leaves no server behind.

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use platform::postgres::{self, Auth, Cluster, PgBinaries, ServerSettings};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

pub(crate) struct Postgres {
    cluster: Option<Cluster>,
    url: String,
    port: Option<u16>,
    /// Whether this run started the server (it was not running already).
    started: bool,
}

impl Postgres {
    /// `database_url` when given; else the private server in `<data_dir>/postgres`, created and
    /// started as needed.
    pub(crate) fn open(database_url: Option<String>, data_dir: &Path) -> anyhow::Result<Self> {
        if let Some(url) = database_url {
            return Ok(Self {
                cluster: None,
                url,
                port: None,
                started: false,
            });
        }
        let cluster = Cluster::new(PgBinaries::locate()?, data_dir.join("postgres"))?;
        if !cluster.is_initialized() {
            let _ = std::fs::remove_dir_all(cluster.data_dir());
            cluster.init(
                &Auth::Trust,
                &ServerSettings {
                    unsafe_fast: false,
                    max_connections: 300,
                },
            )?;
        }
        let (port, started) = match cluster.running_port() {
            Some(port) => (port, false),
            None => (cluster.start()?, true),
        };
        Ok(Self {
            url: postgres::connection_url(port, &Auth::Trust, "postgres"),
            cluster: Some(cluster),
            port: Some(port),
            started,
        })
    }

    /// A database of its own for one scenario, dropped first if a run left it behind.
    pub(crate) async fn fresh_database(&self, name: &str) -> anyhow::Result<String> {
        let admin = self.pool(2).await?;
        sqlx::query(&format!("drop database if exists {name} with (force)"))
            .execute(&admin)
            .await?;
        sqlx::query(&format!("create database {name}"))
            .execute(&admin)
            .await?;
        admin.close().await;
        Ok(self.database_url(name))
    }

    /// The URL of another database on the same server.
    pub(crate) fn database_url(&self, name: &str) -> String {
        match self.url.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{name}"),
            None => self.url.clone(),
        }
    }

    pub(crate) async fn pool(&self, connections: u32) -> anyhow::Result<PgPool> {
        connect(&self.url, connections).await
    }

    /// Stops the server (fast shutdown), for a fault run.
    pub(crate) fn stop(&self) -> anyhow::Result<()> {
        let cluster = self.owned()?;
        cluster.stop()?;
        Ok(())
    }

    /// Stops the server if this run started it; one that was running before stays running.
    pub(crate) fn close(&self) -> anyhow::Result<()> {
        match &self.cluster {
            Some(cluster) if self.started && cluster.running_port().is_some() => {
                cluster.stop().context("stopping the bench's PostgreSQL")
            }
            _ => Ok(()),
        }
    }

    /// Starts the server again on its port.
    pub(crate) fn start(&self) -> anyhow::Result<()> {
        let cluster = self.owned()?;
        let port = self.port.context("the private server has a port")?;
        cluster.start_on(port)?;
        Ok(())
    }

    fn owned(&self) -> anyhow::Result<&Cluster> {
        self.cluster
            .as_ref()
            .context("this run uses DATABASE_URL; a fault run needs the bench's own server")
    }
}

pub(crate) async fn connect(url: &str, connections: u32) -> anyhow::Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(connections)
        .acquire_timeout(Duration::from_secs(30))
        .connect(url)
        .await
        .context("connecting to PostgreSQL")
}
