//! Test fixtures: a throwaway PostgreSQL shared by a whole test run, and a fresh database per
//! test. A dev-dependency only.
//!
//! Why one server for many processes: `cargo nextest` runs every test in its own process and
//! `cargo test` runs one process per test binary. Starting a server per process would cost
//! half a second each; one server per run costs it once. The processes meet in a directory
//! under the system temp dir, keyed by user:
//!
//! - `lock`: held exclusively while a process checks, starts or stops the server;
//! - `users`: every process using the server holds a shared lock on it until it exits;
//! - `port`: the port of the running server; `data/`: its data directory.
//!
//! The first process starts the server and a small watchdog (`sh` with `flock(1)`). When no
//! process has held `users` for a few seconds, the watchdog takes `lock`, checks `users` once
//! more, stops the server and removes its data. So the server lives exactly as long as the
//! run, and a killed test process cannot leave it running for ever.
//!
//! With `DATABASE_URL` set, that server is used instead and nothing is started; its user must
//! be a superuser (it makes databases and Vern's roles).
//!
//! Every test database is owned by Vern's owner role, and [`TestDb::pool_as`] logs in as the
//! owner or the server's role, so the code under test runs with the privileges it has in
//! production; [`TestDb::pool`] is the administrator's, for what a test does beside it.

pub mod browser;

use std::fs::{self, File};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use platform::postgres::{self, Auth, Cluster, PgBinaries, ServerSettings};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection as _, PgConnection, PgPool};

/// The server every test of this process uses: its admin URL (database `postgres`).
fn server_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| match std::env::var("DATABASE_URL") {
        Ok(url) => url,
        Err(_) => match shared_server() {
            Ok(url) => url,
            Err(error) => panic!("testkit: cannot start a throwaway PostgreSQL: {error}"),
        },
    })
}

fn shared_server() -> Result<String, String> {
    let binaries = PgBinaries::locate().map_err(|e| e.to_string())?;
    let dir = run_dir();
    fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let users = File::options()
        .create(true)
        .append(true)
        .open(dir.join("users"))
        .map_err(|e| format!("opening users lock: {e}"))?;
    let lock = File::options()
        .create(true)
        .append(true)
        .open(dir.join("lock"))
        .map_err(|e| format!("opening lock: {e}"))?;
    lock.lock().map_err(|e| format!("taking lock: {e}"))?;
    // Announce ourselves before looking: the watchdog checks `users` under `lock` too.
    users
        .lock_shared()
        .map_err(|e| format!("taking users lock: {e}"))?;
    // Held until the process exits, when the kernel releases it.
    static USERS: OnceLock<File> = OnceLock::new();
    let _ = USERS.set(users);

    let data_dir = dir.join("data");
    let cluster = Cluster::new(binaries.clone(), &data_dir).map_err(|e| e.to_string())?;
    let port = match cluster.running_port() {
        Some(port) => port,
        None => {
            let _ = fs::remove_dir_all(&data_dir);
            let settings = ServerSettings {
                unsafe_fast: true,
                max_connections: 400,
            };
            cluster
                .init(&Auth::Trust, &settings)
                .map_err(|e| e.to_string())?;
            let port = cluster.start().map_err(|e| e.to_string())?;
            spawn_watchdog(&dir, &data_dir)?;
            port
        }
    };
    lock.unlock().map_err(|e| format!("releasing lock: {e}"))?;
    Ok(postgres::connection_url(port, &Auth::Trust, "postgres"))
}

/// One directory per user and per checkout of the project, so two checkouts never share.
fn run_dir() -> PathBuf {
    let checkout = env!("CARGO_MANIFEST_DIR");
    let key: u64 = checkout.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    let uid = postgres::effective_uid().map_or_else(|| "unknown".to_owned(), |uid| uid.to_string());
    std::env::temp_dir().join(format!("vern-testkit-{uid}-{key:016x}"))
}

/// Stops the server once no test process has used it for three checks in a row.
fn spawn_watchdog(dir: &Path, data_dir: &Path) -> Result<(), String> {
    const SCRIPT: &str = r#"
cd "$1" || exit 1
idle=0
while :; do
  sleep 1
  if flock -n -x users true; then idle=$((idle + 1)); else idle=0; fi
  if [ "$idle" -ge 3 ]; then
    if flock -x lock sh -c '
      flock -n -x users true || exit 1
      pid=$(head -n 1 "$1/postmaster.pid" 2>/dev/null)
      [ -n "$pid" ] && kill -INT "$pid" 2>/dev/null
      [ -n "$pid" ] && while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
      rm -rf "$1"
    ' sh "$2"; then exit 0; fi
    idle=0
  fi
done
"#;
    Command::new("sh")
        .args(["-c", SCRIPT, "vern-testkit-watchdog"])
        .arg(dir)
        .arg(data_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map(|_| ())
        .map_err(|e| format!("starting the watchdog: {e}"))
}

/// A database of its own for one test, dropped when the test ends.
pub struct TestDb {
    name: String,
    url: String,
    pool: PgPool,
}

/// The password of Vern's roles on the test server: a throwaway server's (with trust
/// authentication it is not even asked for; with `DATABASE_URL` it is).
const ROLE_PASSWORD: &str = "vern-testkit";

/// Makes Vern's roles on the run's server, once per process and one process at a time (two
/// `alter role` of one role at once can fail in PostgreSQL).
async fn ensure_roles(admin: &mut PgConnection) {
    static DONE: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    DONE.get_or_init(|| async {
        let lock = "select pg_advisory_lock(hashtextextended('vern-testkit/roles', 0))";
        sqlx::query(lock)
            .execute(&mut *admin)
            .await
            .expect("testkit: locking the roles");
        let made = sqlx::raw_sql(&postgres::roles_sql(ROLE_PASSWORD, ROLE_PASSWORD))
            .execute(&mut *admin)
            .await;
        let _ = sqlx::query("select pg_advisory_unlock(hashtextextended('vern-testkit/roles', 0))")
            .execute(&mut *admin)
            .await;
        made.expect("testkit: making Vern's roles");
    })
    .await;
}

impl TestDb {
    /// Creates an empty database on the run's server, owned by Vern's owner role
    /// ([`postgres::OWNER_ROLE`]), as a database of `vern up`'s own is.
    pub async fn new() -> Self {
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        let admin_url = server_url();
        let mut admin = PgConnection::connect(admin_url)
            .await
            .unwrap_or_else(|e| panic!("testkit: connecting to {admin_url}: {e}"));
        ensure_roles(&mut admin).await;
        sqlx::query(&format!(
            "create database {name} owner {}",
            postgres::OWNER_ROLE
        ))
        .execute(&mut admin)
        .await
        .expect("testkit: create database");
        let _ = admin.close().await;
        let options: PgConnectOptions = admin_url.parse().expect("testkit: server url");
        let options = options.database(&name);
        let url = database_url(admin_url, &name);
        let pool = PgPoolOptions::new()
            .max_connections(20)
            .connect_with(options)
            .await
            .expect("testkit: connecting to the test database");
        Self { name, url, pool }
    }

    /// A pool of the server's administrator (a superuser): for what a test does to the
    /// database beside the code under test.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// A new pool logged in as `role` (one of `platform::postgres`'s roles), as the code under
    /// test connects in production: the schema's owner for migrations, the server's login for
    /// serving.
    pub async fn pool_as(&self, role: &str) -> PgPool {
        let options: PgConnectOptions = server_url().parse().expect("testkit: server url");
        PgPoolOptions::new()
            .max_connections(20)
            .connect_with(
                options
                    .database(&self.name)
                    .username(role)
                    .password(ROLE_PASSWORD),
            )
            .await
            .unwrap_or_else(|e| panic!("testkit: connecting as {role}: {e}"))
    }

    /// The database's URL, for code under test that opens its own connections.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

/// The admin URL with its database path replaced.
fn database_url(admin_url: &str, database: &str) -> String {
    let (without_query, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (admin_url, None),
    };
    let scheme_end = without_query.find("://").map_or(0, |i| i + 3);
    let base = match without_query[scheme_end..].find('/') {
        Some(slash) => &without_query[..scheme_end + slash],
        None => without_query,
    };
    match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Async work in Drop: a thread of its own with a small runtime, so this works from
        // inside and outside a tokio runtime alike.
        let name = self.name.clone();
        let admin_url = server_url().to_owned();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin_url).await.ok()?;
                sqlx::query(&format!("drop database if exists {name} with (force)"))
                    .execute(&mut admin)
                    .await
                    .ok()
            })
        })
        .join();
    }
}

/// Shows logs of the code under test when `TEST_LOG` is set.
pub fn init_test_log() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env()
                        .unwrap_or_else(|_| "debug,sqlx=warn".into()),
                )
                .with_test_writer()
                .try_init();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::database_url;

    #[test]
    fn database_url_replaces_only_the_path() {
        assert_eq!(
            database_url("postgres://u:p@h:1/postgres", "x"),
            "postgres://u:p@h:1/x"
        );
        assert_eq!(
            database_url("postgres://u@h:1/postgres?sslmode=disable", "x"),
            "postgres://u@h:1/x?sslmode=disable"
        );
        assert_eq!(database_url("postgres://h", "x"), "postgres://h/x");
    }
}

/// Synthetic national identity numbers: valid check digits, fictional people.
pub mod synthetic {
    /// A fødselsnummer for a child born on the given day in 2000–2039, distinct per `seed`
    /// (0–400); see `domain::values::NationalIdentityNumber::synthetic`.
    pub fn national_identity_number(year: u32, month: u32, day: u32, seed: u32) -> Option<String> {
        let year = i32::try_from(year).ok()?;
        let born = chrono::NaiveDate::from_ymd_opt(year, month, day)?;
        domain::values::NationalIdentityNumber::synthetic(born, seed).map(String::from)
    }
}

/// `xmllint`, for tests that validate XML against a schema: from `PATH`, else from Debian's
/// `libxml2-utils` unpacked into a cache under the temp dir (no root needed when the package
/// lists exist), else installed with `apt-get` when running as root (as CI does). So the
/// README's test command works on a fresh machine with nothing installed by hand.
pub fn xmllint() -> std::path::PathBuf {
    use std::path::PathBuf;
    use std::process::Command;
    let on_path = |name: &str| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|path| path.is_file())
        })
    };
    if let Some(path) = on_path("xmllint") {
        return path;
    }
    let cache = std::env::temp_dir().join("vern-xmllint");
    let unpacked = cache.join("usr/bin/xmllint");
    if unpacked.is_file() {
        return unpacked;
    }
    let _ = std::fs::create_dir_all(&cache);
    let downloaded = Command::new("apt-get")
        .args(["download", "libxml2-utils"])
        .current_dir(&cache)
        .status()
        .is_ok_and(|status| status.success());
    if downloaded
        && let Some(deb) = std::fs::read_dir(&cache).ok().and_then(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .find(|path| path.extension().is_some_and(|ext| ext == "deb"))
        })
    {
        let _ = Command::new("dpkg-deb")
            .arg("-x")
            .arg(&deb)
            .arg(&cache)
            .status();
        if unpacked.is_file() {
            return unpacked;
        }
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.starts_with(b"0"));
    if root {
        let install = || {
            Command::new("apt-get")
                .args(["install", "-y", "-q", "libxml2-utils"])
                .status()
                .is_ok_and(|status| status.success())
        };
        if !install() {
            let _ = Command::new("apt-get").args(["update", "-q"]).status();
            install();
        }
        if let Some(path) = on_path("xmllint") {
            return path;
        }
    }
    panic!(
        "xmllint is needed to validate XML against its schema: install Debian's libxml2-utils \
         (apt-get install libxml2-utils); tried PATH, {} and apt-get",
        PathBuf::from(&cache).display()
    );
}
