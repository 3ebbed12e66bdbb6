//! The server under load: the real `vern up` binary as its own process, on the bench's
//! PostgreSQL, so its RSS is its own and a fault run can kill it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use tokio::process::{Child, Command};

/// Builds `vern` when run through cargo (so the binary under test matches the source), and
/// returns its path beside the bench's own; `BENCH_VERN` names another build instead (to
/// compare with an earlier version of the server).
pub(crate) fn binary() -> anyhow::Result<PathBuf> {
    if let Some(other) = std::env::var_os("BENCH_VERN") {
        return Ok(PathBuf::from(other));
    }
    let here = std::env::current_exe().context("locating the bench binary")?;
    let dir = here.parent().context("the bench binary's directory")?;
    if let Ok(cargo) = std::env::var("CARGO") {
        let profile = if dir.ends_with("release") {
            vec!["--release"]
        } else {
            Vec::new()
        };
        let status = std::process::Command::new(cargo)
            .args(["build", "-q", "-p", "vern"])
            .args(profile)
            .status()
            .context("running cargo build -p vern")?;
        if !status.success() {
            bail!("cargo build -p vern failed");
        }
    }
    let vern = dir.join("vern");
    if !vern.exists() {
        bail!(
            "{} not found: build it first (cargo build --release -p vern) or run the bench with cargo run",
            vern.display()
        );
    }
    Ok(vern)
}

/// A running `vern up`.
pub(crate) struct Vern {
    child: Child,
    pub(crate) address: SocketAddr,
    pub(crate) token: String,
    binary: PathBuf,
    data_dir: PathBuf,
    database_url: String,
}

impl Vern {
    /// `vern up` (built afresh when run through cargo) on a new database `bench_<name>`, with
    /// its data in `<data_dir>/vern-<name>`; returns the database's URL too.
    pub(crate) async fn start_fresh(
        postgres: &crate::pg::Postgres,
        data_dir: &Path,
        name: &str,
    ) -> anyhow::Result<(String, Self)> {
        let url = postgres.fresh_database(&format!("bench_{name}")).await?;
        let vern = Self::start_first(&url, data_dir, name).await?;
        Ok((url, vern))
    }

    /// The first `vern up` on a database already made: it makes the installation's key.
    async fn start_first(url: &str, data_dir: &Path, name: &str) -> anyhow::Result<Self> {
        let vern_dir = data_dir.join(format!("vern-{name}"));
        let _ = std::fs::remove_dir_all(&vern_dir);
        Self::start(&binary()?, url, &vern_dir).await
    }

    /// `instances` processes of `vern up` on one new database `bench_<name>`, as the replicas of
    /// deploy/kubernetes run: the first makes the installation's signing key, the others
    /// serve with a copy of it, each with its own data directory and address.
    pub(crate) async fn start_instances(
        postgres: &crate::pg::Postgres,
        data_dir: &Path,
        name: &str,
        instances: usize,
    ) -> anyhow::Result<(String, Vec<Self>)> {
        let url = postgres.fresh_database(&format!("bench_{name}")).await?;
        let all = Self::start_instances_on(&url, data_dir, name, instances).await?;
        Ok((url, all))
    }

    /// [`Vern::start_instances`] on a database already made (`bench_<name>` at `url`).
    pub(crate) async fn start_instances_on(
        url: &str,
        data_dir: &Path,
        name: &str,
        instances: usize,
    ) -> anyhow::Result<Vec<Self>> {
        let first = Self::start_first(url, data_dir, name).await?;
        let key = first.data_dir.join("signing.key");
        let mut all = vec![first];
        for instance in 2..=instances {
            let dir = data_dir.join(format!("vern-{name}-{instance}"));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir)?;
            std::fs::copy(&key, dir.join("signing.key"))?;
            all.push(Self::start(&binary()?, url, &dir).await?);
        }
        Ok(all)
    }

    /// Each instance's peak resident memory (MiB), for a report's summary.
    pub(crate) fn peak_rss(verns: &[Self]) -> serde_json::Value {
        serde_json::json!(
            verns
                .iter()
                .filter_map(|vern| vern.pid().and_then(crate::report::peak_rss_mib))
                .map(|mib| crate::append::round(mib, 1))
                .collect::<Vec<_>>()
        )
    }

    /// Stops every instance, as [`Vern::stop`] stops one.
    pub(crate) async fn stop_all(verns: Vec<Self>) -> anyhow::Result<()> {
        for vern in verns {
            vern.stop().await?;
        }
        Ok(())
    }

    pub(crate) fn binary(&self) -> &Path {
        &self.binary
    }

    /// Starts `vern up` on `database_url` with its key and token in `data_dir`, and waits
    /// until it answers.
    pub(crate) async fn start(
        binary: &Path,
        database_url: &str,
        data_dir: &Path,
    ) -> anyhow::Result<Self> {
        let address = free_address()?;
        std::fs::create_dir_all(data_dir)?;
        std::fs::File::create(data_dir.join("vern.log"))?;
        let child = spawn(binary, address, data_dir, database_url)?;
        let mut vern = Self {
            child,
            address,
            token: String::new(),
            binary: binary.to_owned(),
            data_dir: data_dir.to_owned(),
            database_url: database_url.to_owned(),
        };
        vern.wait_ready().await?;
        Ok(vern)
    }

    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let token_file = self.data_dir.join("operator.token");
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "vern up exited ({status}); its log is {}",
                    self.data_dir.join("vern.log").display()
                );
            }
            // The operator token is written after the key: once it is there, issue the
            // callers a caseworker's token (the operator may not work cases) for a national
            // service, which serves every municipality the load may address.
            if tokio::net::TcpStream::connect(self.address).await.is_ok() && token_file.exists() {
                let key = platform::auth::SigningKey::load(&self.data_dir.join("signing.key"))?;
                self.token = key.issue(&platform::auth::Claims::new(
                    "bench",
                    "caseworker",
                    domain::municipality::MunicipalityRegistry::norway_2024()
                        .iter()
                        .map(|(number, _)| number.as_str().to_owned())
                        .collect(),
                    chrono::Utc::now().timestamp(),
                    platform::auth::Lifetimes::default()
                        .max_hours(platform::auth::Role::Caseworker)
                        * 3600,
                ));
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("vern up did not answer within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// kill -9: no chance to finish anything.
    pub(crate) async fn kill(&mut self) -> anyhow::Result<()> {
        self.child.kill().await?;
        Ok(())
    }

    /// SIGTERM, then waits for the exit.
    pub(crate) async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .arg(pid.to_string())
                .status();
        }
        tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .context("vern did not stop within 30 s of SIGTERM")??;
        Ok(())
    }

    /// The same server started again on the same address and data.
    pub(crate) async fn restart(&mut self) -> anyhow::Result<()> {
        let _ = std::fs::remove_file(self.data_dir.join("operator.token"));
        self.child = spawn(
            &self.binary,
            self.address,
            &self.data_dir,
            &self.database_url,
        )?;
        self.wait_ready().await
    }

    pub(crate) fn clients(&self) -> anyhow::Result<Clients> {
        Clients::new(self.address, &self.token)
    }
}

/// `vern up` on `address`, its log appended to `<data_dir>/vern.log`.
fn spawn(
    binary: &Path,
    address: SocketAddr,
    data_dir: &Path,
    database_url: &str,
) -> anyhow::Result<Child> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(data_dir.join("vern.log"))?;
    Command::new(binary)
        .args([
            "up",
            "--no-dashboard",
            "--listen",
            &address.to_string(),
            "--data-dir",
        ])
        .arg(data_dir)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .context("starting vern up")
}

fn free_address() -> anyhow::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

pub(crate) use vern::demo::Clients;
