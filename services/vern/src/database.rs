//! Where `vern` gets its PostgreSQL: `DATABASE_URL` when given, else a private server in the
//! data directory, created on first use and kept between runs.
//!
//! A lock file in the data directory makes the first `vern` there its owner: the owner stops
//! the server when it exits (also a server left running by an owner that crashed). A second
//! `vern` on the same directory (say `vern migrate` beside `vern up`) uses the running server
//! and leaves it running.

use std::fs::{self, File};
use std::path::Path;

use anyhow::{Context as _, bail};
use platform::postgres::{self, Auth, Cluster, PgBinaries, ServerSettings};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

pub struct Database {
    pool: PgPool,
    embedded: Option<Embedded>,
}

struct Embedded {
    cluster: Cluster,
    port: u16,
    /// Held while we own the server; released (with the file closed) when we exit.
    owner_lock: Option<File>,
}

impl Database {
    pub async fn open(database_url: Option<String>, data_dir: &Path) -> anyhow::Result<Self> {
        let (url, embedded) = match database_url {
            Some(url) => (url, None),
            None => {
                let data_dir = data_dir.to_owned();
                let (url, embedded) =
                    tokio::task::spawn_blocking(move || start_embedded(&data_dir))
                        .await
                        .context("starting the embedded database")??;
                (url, Some(embedded))
            }
        };
        let pool = PgPoolOptions::new()
            .max_connections(20)
            // While PostgreSQL is away a call waits this long for a connection, then answers
            // UNAVAILABLE, rather than hanging until the caller gives up.
            .acquire_timeout(std::time::Duration::from_secs(3))
            .connect(&url)
            .await
            .context("connecting to PostgreSQL")?;
        Ok(Self { pool, embedded })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Where the database is, without credentials.
    pub fn describe(&self) -> String {
        match &self.embedded {
            Some(embedded) => format!(
                "embedded PostgreSQL on 127.0.0.1:{} with data in {}",
                embedded.port,
                embedded.cluster.data_dir().display()
            ),
            None => "DATABASE_URL".to_owned(),
        }
    }

    /// Closes the pool, then stops the embedded server if we own it.
    pub async fn close(self) {
        self.pool.close().await;
        if let Some(embedded) = self.embedded
            && embedded.owner_lock.is_some()
        {
            let cluster = embedded.cluster.clone();
            match tokio::task::spawn_blocking(move || cluster.stop()).await {
                Ok(Ok(())) => tracing::info!("embedded PostgreSQL stopped"),
                Ok(Err(error)) => tracing::error!(%error, "stopping embedded PostgreSQL"),
                Err(error) => tracing::error!(%error, "stopping embedded PostgreSQL"),
            }
        }
    }
}

fn start_embedded(data_dir: &Path) -> anyhow::Result<(String, Embedded)> {
    let binaries = PgBinaries::locate()?;
    fs::create_dir_all(data_dir)
        .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
    let lock = File::options()
        .create(true)
        .append(true)
        .open(data_dir.join("vern.lock"))
        .context("opening the data directory's lock file")?;
    let owner_lock = match lock.try_lock() {
        Ok(()) => Some(lock),
        Err(fs::TryLockError::WouldBlock) => None,
        Err(fs::TryLockError::Error(error)) => {
            return Err(error).context("locking the data directory");
        }
    };

    let cluster = Cluster::new(binaries, data_dir.join("postgres"))?;
    let credentials = data_dir.join("credentials");
    if !cluster.is_initialized() {
        if owner_lock.is_none() {
            bail!(
                "another vern is setting up {}; try again when it is up",
                data_dir.display()
            );
        }
        // Half-made by an interrupted first run: start over, there is no data in it yet.
        let _ = fs::remove_dir_all(cluster.data_dir());
        let password = uuid::Uuid::new_v4().simple().to_string();
        tracing::info!(data_dir = %data_dir.display(), "creating the embedded database");
        cluster.init(
            &Auth::Password(password.clone()),
            &ServerSettings::default(),
        )?;
        postgres::write_private(&credentials, password.as_bytes())?;
    }
    let password = fs::read_to_string(&credentials).with_context(|| {
        format!(
            "reading {}: the database in {} was made by another tool; move it away or pass DATABASE_URL",
            credentials.display(),
            cluster.data_dir().display()
        )
    })?;
    let auth = Auth::Password(password.trim().to_owned());
    let port = match cluster.running_port() {
        Some(port) => {
            tracing::info!(port, "using the embedded PostgreSQL already running");
            port
        }
        None => {
            if owner_lock.is_none() {
                bail!(
                    "another vern owns {} but its server is not running",
                    data_dir.display()
                );
            }
            cluster.start()?
        }
    };
    let url = postgres::connection_url(port, &auth, "postgres");
    Ok((
        url,
        Embedded {
            cluster,
            port,
            owner_lock,
        },
    ))
}
