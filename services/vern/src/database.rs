//! Where `vern` gets its PostgreSQL: `DATABASE_URL` when given, else a private server in the
//! data directory, created on first use and kept between runs.
//!
//! Two roles use it (least privilege): the schema's owner runs the migrations, and the
//! serving role, which may not change or remove an event or a read record, serves. In the
//! private server `vern` makes both ([`platform::postgres::OWNER_ROLE`] and
//! [`platform::postgres::SERVER_ROLE`]) and keeps only the superuser's password, from which
//! theirs are derived; with `DATABASE_URL` the serving role is that URL's and the owner's is
//! `--owner-database-url` (default: the same URL, as before roles were split).
//!
//! A lock file in the data directory makes the first `vern` there its owner: the owner stops
//! the server when it exits (also a server left running by an owner that crashed), and writes
//! its process id into the file. A second serving `vern` on the same directory is refused,
//! naming the first ([`Access::Own`]); a command beside it (say `vern migrate` beside
//! `vern up`, [`Access::Share`]) uses the running server and leaves it running.
//!
//! A server found shutting down (its last owner's smart shutdown waiting for a client) or
//! starting is waited for, [`SETTLE_WAIT`] at most, then named with its process id: the
//! alternative, connecting to it, ends in a pool's timeout that says nothing useful.

use std::fs::{self, File};
use std::io::{Read as _, Seek as _, Write as _};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use platform::postgres::{self, Auth, Cluster, PgBinaries, PostmasterState, ServerSettings};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

/// How a process uses the data directory's private server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Serving (`vern up`, `vern serve`): one per data directory; a second is refused with
    /// the first one's process id.
    Own,
    /// A command beside a serving `vern` (`vern migrate`, `vern projections status`): it uses
    /// that `vern`'s server, or owns the server for as long as it runs when none is serving.
    Share,
}

/// How long a private server that is shutting down or starting is waited for.
pub const SETTLE_WAIT: Duration = Duration::from_secs(10);

pub struct Database {
    /// The serving role's pool.
    pool: PgPool,
    /// A role that may create a database: the private server's superuser, else the owner's
    /// (or `DATABASE_URL`'s) role. Only a dry run's scratch database uses it.
    creator_url: String,
    /// The schema owner's URL, when it is another role's: migrations run as it.
    owner_url: Option<String>,
    embedded: Option<Embedded>,
}

struct Embedded {
    cluster: Cluster,
    port: u16,
    /// Held while we own the server; released (with the file closed) when we exit.
    owner_lock: Option<File>,
}

impl Database {
    pub async fn open(
        database_url: Option<String>,
        owner_url: Option<String>,
        data_dir: &Path,
        access: Access,
    ) -> anyhow::Result<Self> {
        let (url, owner_url, creator_url, embedded) = match database_url {
            Some(url) => {
                let creator = owner_url.clone().unwrap_or_else(|| url.clone());
                (url, owner_url, creator, None)
            }
            None => {
                let data_dir = data_dir.to_owned();
                let (admin_url, embedded) =
                    tokio::task::spawn_blocking(move || start_embedded(&data_dir, access))
                        .await
                        .context("starting the embedded database")??;
                let (server_url, owner_url) = set_up_roles(&admin_url, embedded.port).await?;
                (server_url, Some(owner_url), admin_url, Some(embedded))
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
        Ok(Self {
            pool,
            creator_url,
            owner_url,
            embedded,
        })
    }

    /// An empty database of its own on the same server, migrated, for a dry run: whatever is
    /// done in it leaves the service's data alone. [`Scratch::drop`] removes it.
    pub async fn scratch(&self) -> anyhow::Result<Scratch> {
        use sqlx::ConnectOptions as _;
        use std::str::FromStr as _;
        let creator = sqlx::postgres::PgConnectOptions::from_str(&self.creator_url)
            .context("the database URL")?;
        let name = format!("vern_dry_run_{}", uuid::Uuid::new_v4().simple());
        let mut connection = creator
            .connect()
            .await
            .context("connecting to PostgreSQL")?;
        sqlx::query(&format!("create database {name}"))
            .execute(&mut connection)
            .await
            .context(
                "a dry run makes a scratch database on the same server; the owner's role \
                 (VERN_OWNER_DATABASE_URL, else DATABASE_URL's) needs CREATEDB",
            )?;
        let scratch = Scratch {
            creator: creator.clone(),
            name: name.clone(),
            pool: PgPoolOptions::new()
                .max_connections(20)
                .connect_with(creator.database(&name))
                .await
                .context("connecting to the scratch database")?,
        };
        let migrated = async {
            crate::views::migrate_owned(&scratch.pool).await?;
            crate::views::migrate_views(&scratch.pool).await
        }
        .await;
        match migrated {
            Ok(()) => Ok(scratch),
            Err(error) => {
                scratch.drop().await;
                Err(error)
            }
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Brings the schema up to date: the store's and the read audit's as their owner, the
    /// read models' as the serving role.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match &self.owner_url {
            Some(owner_url) => {
                let owner = PgPoolOptions::new()
                    .max_connections(1)
                    .connect(owner_url)
                    .await
                    .context("connecting to PostgreSQL as the schema's owner")?;
                let migrated = crate::views::migrate_owned(&owner).await;
                owner.close().await;
                migrated?;
            }
            None => crate::views::migrate_owned(&self.pool).await.context(
                "if DATABASE_URL's role does not own Vern's schema, run `vern migrate` with \
                 --owner-database-url (VERN_OWNER_DATABASE_URL) first",
            )?,
        }
        crate::views::migrate_views(&self.pool).await
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

/// A dry run's database (see [`Database::scratch`]).
pub struct Scratch {
    creator: sqlx::postgres::PgConnectOptions,
    name: String,
    pool: PgPool,
}

impl Scratch {
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes it and drops it; a failure is logged, not returned: the dry run's answer stands.
    pub async fn drop(self) {
        use sqlx::ConnectOptions as _;
        self.pool.close().await;
        let dropped = async {
            let mut connection = self.creator.connect().await?;
            sqlx::query(&format!(
                "drop database if exists {} with (force)",
                self.name
            ))
            .execute(&mut connection)
            .await
        }
        .await;
        if let Err(error) = dropped {
            tracing::warn!(%error, database = %self.name, "dropping the dry run's database");
        }
    }
}

/// The tables the schema's owner keeps: the event store's and the read audit's. Every other
/// table is a read model's, which the serving role makes and refills from the log.
const OWNED_TABLES: [&str; 6] = [
    "events",
    "streams",
    "commands",
    "checkpoints",
    "read_audit",
    "_sqlx_migrations",
];

/// Makes the private server's roles (as its superuser, at every start, one `vern` at a time)
/// and gives them what an earlier `vern` made as the superuser: the store's tables and
/// functions to the owner; the read models' tables are dropped, for the serving role to make
/// again and refill. Returns the serving role's URL and the owner's.
async fn set_up_roles(admin_url: &str, port: u16) -> anyhow::Result<(String, String)> {
    use platform::postgres::{APP_ROLE, OWNER_ROLE, SERVER_ROLE};
    use sqlx::Connection as _;
    let superuser_password = admin_url
        .split_once("://postgres:")
        .and_then(|(_, rest)| rest.split_once('@'))
        .map(|(password, _)| password.to_owned())
        .context("the embedded database's URL holds no password")?;
    let derive = |role: &str| derived_password(&superuser_password, role);
    let (owner_password, server_password) = (derive(OWNER_ROLE), derive(SERVER_ROLE));
    let mut admin = sqlx::PgConnection::connect(admin_url)
        .await
        .context("connecting to the embedded database as its superuser")?;
    let lock = "hashtextextended('vern/roles', 0)";
    sqlx::query(&format!("select pg_advisory_lock({lock})"))
        .execute(&mut admin)
        .await?;
    let owned = OWNED_TABLES
        .iter()
        .map(|table| format!("'{table}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let set_up = format!(
        "{roles} \
         grant pg_read_all_stats to {APP_ROLE}; \
         alter database postgres owner to {OWNER_ROLE}; \
         do $$ declare r record; begin \
           for r in select c.relname from pg_class c \
                      join pg_namespace n on n.oid = c.relnamespace \
                     where n.nspname = 'public' and c.relkind in ('r', 'p') \
                       and pg_get_userbyid(c.relowner) = 'postgres' loop \
             if r.relname in ({owned}) then \
               execute format('alter table public.%I owner to {OWNER_ROLE}', r.relname); \
             else \
               execute format('drop table public.%I cascade', r.relname); \
             end if; \
           end loop; \
           for r in select p.oid::regprocedure as signature from pg_proc p \
                      join pg_namespace n on n.oid = p.pronamespace \
                     where n.nspname = 'public' and pg_get_userbyid(p.proowner) = 'postgres' loop \
             execute format('alter function %s owner to {OWNER_ROLE}', r.signature); \
           end loop; \
         end $$;",
        roles = platform::postgres::roles_sql(&owner_password, &server_password),
    );
    let done = sqlx::raw_sql(&set_up).execute(&mut admin).await;
    let _ = sqlx::query(&format!("select pg_advisory_unlock({lock})"))
        .execute(&mut admin)
        .await;
    let _ = admin.close().await;
    done.context("setting up the embedded database's roles")?;
    let url = |role: &str, password: String| {
        postgres::role_url(port, role, &Auth::Password(password), "postgres")
    };
    Ok((
        url(SERVER_ROLE, server_password),
        url(OWNER_ROLE, owner_password),
    ))
}

/// A role's password in the private server, derived from the superuser's (kept in
/// `<data-dir>/credentials`), so one secret file serves all three roles.
fn derived_password(superuser_password: &str, role: &str) -> String {
    use sha2::{Digest as _, Sha256};
    let digest = Sha256::digest(format!("vern/role/{role}/{superuser_password}").as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn start_embedded(data_dir: &Path, access: Access) -> anyhow::Result<(String, Embedded)> {
    let binaries = PgBinaries::locate()?;
    fs::create_dir_all(data_dir)
        .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
    let owner_lock = lock_data_dir(data_dir, access)?;

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
    let port = match running_server(&cluster)? {
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

/// Takes the data directory's lock, with our process id in it, when no other `vern` holds it.
/// Held by another: for [`Access::Own`] an error naming that process, for [`Access::Share`]
/// `None` (the other owns the server).
fn lock_data_dir(data_dir: &Path, access: Access) -> anyhow::Result<Option<File>> {
    let path = data_dir.join("vern.lock");
    let mut lock = File::options()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening the data directory's lock file {}", path.display()))?;
    match lock.try_lock() {
        Ok(()) => {
            lock.set_len(0)
                .and_then(|()| lock.write_all(std::process::id().to_string().as_bytes()))
                .with_context(|| format!("writing our process id into {}", path.display()))?;
            Ok(Some(lock))
        }
        Err(fs::TryLockError::WouldBlock) if access == Access::Share => Ok(None),
        Err(fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = lock
                .rewind()
                .and_then(|()| lock.read_to_string(&mut holder));
            let holder = match holder.trim() {
                "" => "another vern".to_owned(),
                pid => format!("another vern (process {pid})"),
            };
            bail!(
                "the data directory {} is in use by {holder}; stop it first, or give this one \
                 a data directory of its own with --data-dir (VERN_DATA_DIR)",
                data_dir.display()
            )
        }
        Err(fs::TryLockError::Error(error)) => Err(error).context("locking the data directory"),
    }
}

/// The port of the server running on `cluster`, once it is ready: one shutting down or
/// starting is waited for ([`SETTLE_WAIT`]), then named. `None` when none runs.
fn running_server(cluster: &Cluster) -> anyhow::Result<Option<u16>> {
    let since = Instant::now();
    let mut said = false;
    loop {
        let Some(postmaster) = cluster.postmaster() else {
            return Ok(None);
        };
        let doing = match postmaster.state {
            PostmasterState::Ready => return Ok(Some(postmaster.port)),
            PostmasterState::Stopping => "shutting down",
            PostmasterState::Starting => "starting",
        };
        if since.elapsed() >= SETTLE_WAIT {
            let advice = match postmaster.state {
                PostmasterState::Stopping => format!(
                    "a smart shutdown waits until its last client disconnects: close them, or \
                     stop it now with `pg_ctl stop --mode=fast --pgdata {}`",
                    cluster.data_dir().display()
                ),
                _ => format!("its log is {}", cluster.log_file().display()),
            };
            bail!(
                "the embedded PostgreSQL in {} (process {}) is still {doing} after {} s; {advice}",
                cluster.data_dir().display(),
                postmaster.pid,
                SETTLE_WAIT.as_secs()
            );
        }
        if !said {
            said = true;
            tracing::info!(
                pid = postmaster.pid,
                "the embedded PostgreSQL is {doing}; waiting for it"
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
