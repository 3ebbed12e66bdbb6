//! A private PostgreSQL server run from the binaries installed on the machine.
//!
//! Why not a crate such as `pgtemp` or `postgresql_embedded`: the first shells out to `sudo`
//! (absent here), the second downloads binaries (no network here). The server binaries are
//! on every machine Vern runs on, so we drive `initdb` and `pg_ctl` directly.
//!
//! PostgreSQL refuses to run as root. When we are root, every server command runs as an
//! unprivileged user (`postgres`, else `nobody`) with the data directory owned by that user,
//! and its working directory set inside that directory (that user cannot read under `/root`).
//!
//! The server listens on 127.0.0.1 only, with no Unix socket (the default socket directory is
//! not writable for every user), on a port picked free at each start. The port is read back
//! from `postmaster.pid`, so a server left running by a crashed process is found and reused.

use std::fs;
use std::io::{self, Write as _};
use std::net::TcpListener;
use std::os::unix::fs::{PermissionsExt as _, chown};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The one error type of this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "no PostgreSQL server binaries found (looked for initdb and pg_ctl in VERN_PG_BIN_DIR, on PATH and in /usr/lib/postgresql/*/bin); \
         install PostgreSQL 15 or newer (Debian: apt-get install postgresql) or set DATABASE_URL to a server you run"
    )]
    BinariesNotFound,
    #[error("{action}: {source}")]
    Io {
        action: String,
        #[source]
        source: io::Error,
    },
    #[error("{program} failed ({status}): {output}")]
    Command {
        program: String,
        status: String,
        output: String,
    },
    #[error(
        "running as root, but no unprivileged user (postgres or nobody) exists to run the server"
    )]
    NoServerUser,
}

fn io_error(action: impl Into<String>) -> impl FnOnce(io::Error) -> Error {
    let action = action.into();
    move |source| Error::Io { action, source }
}

/// The directory holding `initdb`, `pg_ctl` and `postgres`.
#[derive(Clone, Debug)]
pub struct PgBinaries {
    dir: PathBuf,
}

impl PgBinaries {
    /// Finds the server binaries: in `VERN_PG_BIN_DIR` only, when it is set; else on `PATH`,
    /// then in the newest `/usr/lib/postgresql/<version>/bin` (where Debian puts them, off
    /// `PATH`).
    pub fn locate() -> Result<Self, Error> {
        let candidates: Vec<PathBuf> = match std::env::var_os("VERN_PG_BIN_DIR") {
            Some(dir) => vec![PathBuf::from(dir)],
            None => std::env::var_os("PATH")
                .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
                .unwrap_or_default()
                .into_iter()
                .chain(debian_bin_dirs())
                .collect(),
        };
        candidates
            .into_iter()
            .find(|dir| {
                ["initdb", "pg_ctl", "postgres"]
                    .iter()
                    .all(|b| dir.join(b).is_file())
            })
            .map(|dir| Self { dir })
            .ok_or(Error::BinariesNotFound)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn program(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// `/usr/lib/postgresql/*/bin`, newest major version first.
fn debian_bin_dirs() -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir("/usr/lib/postgresql") else {
        return Vec::new();
    };
    let mut versions: Vec<(u32, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    versions.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    versions.into_iter().map(|(_, dir)| dir).collect()
}

/// How clients authenticate to the server.
#[derive(Clone, Debug)]
pub enum Auth {
    /// Anyone on the machine may connect. Only for throwaway test servers.
    Trust,
    /// The `postgres` superuser has this password (SCRAM).
    Password(String),
}

/// Server configuration written at `initdb` time.
#[derive(Clone, Debug)]
pub struct ServerSettings {
    /// Turn off fsync and friends: for throwaway test servers only, never for data we keep.
    pub unsafe_fast: bool,
    pub max_connections: u32,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            unsafe_fast: false,
            max_connections: 100,
        }
    }
}

/// The unprivileged account server commands run as when we are root.
#[derive(Clone, Copy, Debug)]
struct RunAs {
    uid: u32,
    gid: u32,
}

/// A running server, as its `postmaster.pid` describes it (PostgreSQL's `pidfile.h`: the
/// process id on line 1, the port on line 4, the state on line 8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Postmaster {
    pub pid: u32,
    pub port: u16,
    pub state: PostmasterState,
}

/// What a running server is doing, from `postmaster.pid`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PostmasterState {
    /// Starting or recovering: connections are refused until it is ready.
    Starting,
    /// Accepting connections.
    Ready,
    /// Shutting down: connections are refused, and a smart shutdown waits for every client
    /// to leave first.
    Stopping,
}

impl Postmaster {
    fn parse(pid_file: &str) -> Option<Self> {
        let lines: Vec<&str> = pid_file.lines().collect();
        let state = match lines.get(7).map(|line| line.trim()) {
            Some("starting") => PostmasterState::Starting,
            Some("stopping") => PostmasterState::Stopping,
            // "ready", "standby", or a server too old to say: it takes connections.
            _ => PostmasterState::Ready,
        };
        Some(Self {
            pid: lines.first()?.trim().parse().ok()?,
            port: lines.get(3)?.trim().parse().ok()?,
            state,
        })
    }
}

/// A PostgreSQL data directory and the commands that manage its server.
#[derive(Clone, Debug)]
pub struct Cluster {
    binaries: PgBinaries,
    data_dir: PathBuf,
    run_as: Option<RunAs>,
}

impl Cluster {
    /// A cluster in `data_dir` (which need not exist yet). Relative paths are made absolute,
    /// since server commands run in another working directory.
    pub fn new(binaries: PgBinaries, data_dir: impl AsRef<Path>) -> Result<Self, Error> {
        let data_dir = std::path::absolute(data_dir.as_ref()).map_err(io_error(format!(
            "resolving {}",
            data_dir.as_ref().display()
        )))?;
        let run_as = if effective_uid_is_root() {
            Some(unprivileged_user().ok_or(Error::NoServerUser)?)
        } else {
            None
        };
        Ok(Self {
            binaries,
            data_dir,
            run_as,
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Whether `initdb` has already run here.
    pub fn is_initialized(&self) -> bool {
        self.data_dir.join("PG_VERSION").is_file()
    }

    /// Runs `initdb` and writes the settings. The directory must be absent or empty.
    pub fn init(&self, auth: &Auth, settings: &ServerSettings) -> Result<(), Error> {
        fs::create_dir_all(&self.data_dir)
            .map_err(io_error(format!("creating {}", self.data_dir.display())))?;
        self.give_to_server_user(&self.data_dir)?;

        let mut initdb = self.command("initdb");
        initdb.arg("--pgdata").arg(&self.data_dir).args([
            "--username=postgres",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        ]);
        // The password travels in a file only the server user can read, removed right after.
        let password_file = match auth {
            Auth::Trust => {
                initdb.arg("--auth=trust");
                None
            }
            Auth::Password(password) => {
                let path = std::env::temp_dir().join(format!("vern-pw-{}", uuid::Uuid::new_v4()));
                write_private(&path, password.as_bytes())?;
                self.give_to_server_user(&path)?;
                initdb
                    .arg("--auth=scram-sha-256")
                    .arg("--pwfile")
                    .arg(&path);
                Some(path)
            }
        };
        let result = run(&mut initdb, "initdb");
        if let Some(path) = password_file {
            let _ = fs::remove_file(path);
        }
        result.map_err(|error| self.with_access_hint(error))?;

        let mut conf = format!(
            "\n# written by vern\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\nmax_connections = {}\n",
            settings.max_connections
        );
        if settings.unsafe_fast {
            conf.push_str("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n");
        }
        let conf_path = self.data_dir.join("postgresql.conf");
        fs::OpenOptions::new()
            .append(true)
            .open(&conf_path)
            .and_then(|mut file| file.write_all(conf.as_bytes()))
            .map_err(io_error(format!("writing {}", conf_path.display())))
    }

    /// The port of a server already running on this data directory, if any.
    pub fn running_port(&self) -> Option<u16> {
        self.postmaster().map(|postmaster| postmaster.port)
    }

    /// The server running on this data directory, if any: `pg_ctl status` says whether one
    /// runs, its `postmaster.pid` says which process, on which port, and in what state.
    pub fn postmaster(&self) -> Option<Postmaster> {
        let status = self
            .command("pg_ctl")
            .arg("status")
            .arg("--pgdata")
            .arg(&self.data_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .ok()?;
        if !status.success() {
            return None;
        }
        let pid_file = fs::read_to_string(self.data_dir.join("postmaster.pid")).ok()?;
        Postmaster::parse(&pid_file)
    }

    /// Starts the server on a free port and waits until it accepts connections.
    pub fn start(&self) -> Result<u16, Error> {
        let mut last_error = None;
        // A port found free can be taken by someone else before the server binds it: retry.
        for _ in 0..3 {
            let port = free_port()?;
            match self.start_on(port) {
                Ok(()) => return Ok(port),
                Err(error @ Error::Command { .. }) => last_error = Some(error),
                Err(other) => return Err(other),
            }
        }
        Err(last_error.expect("the loop ran at least once"))
    }

    /// Starts the server on a given port and waits until it accepts connections: a restart
    /// where clients keep their connection URL.
    pub fn start_on(&self, port: u16) -> Result<(), Error> {
        let log = self.log_file();
        let mut pg_ctl = self.command("pg_ctl");
        pg_ctl
            .arg("start")
            .arg("--pgdata")
            .arg(&self.data_dir)
            .arg("--log")
            .arg(&log)
            .args(["--wait", "--timeout=60", "-o"])
            .arg(format!("-p {port}"));
        match run(&mut pg_ctl, "pg_ctl start") {
            Ok(_) => Ok(()),
            Err(Error::Command {
                program,
                status,
                output,
            }) => Err(Error::Command {
                program,
                status,
                output: format!(
                    "{output}\nserver log ({}):\n{}",
                    log.display(),
                    log_tail(&log)
                ),
            }),
            Err(other) => Err(other),
        }
    }

    /// Stops the server (fast shutdown: running transactions are rolled back) and waits.
    pub fn stop(&self) -> Result<(), Error> {
        let mut pg_ctl = self.command("pg_ctl");
        pg_ctl
            .arg("stop")
            .arg("--pgdata")
            .arg(&self.data_dir)
            .args(["--mode=fast", "--wait", "--timeout=60"]);
        run(&mut pg_ctl, "pg_ctl stop").map(|_| ())
    }

    /// The server's log, kept inside the data directory where the server user may write.
    pub fn log_file(&self) -> PathBuf {
        self.data_dir.join("server.log")
    }

    /// A server command, run as the unprivileged user when we are root.
    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.binaries.program(program));
        command
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            // Its own process group: a Ctrl-C in the terminal reaches us, and we stop the
            // server in order, instead of the terminal killing it under us.
            .process_group(0);
        if let Some(user) = self.run_as {
            command.uid(user.uid).gid(user.gid);
            // The server user may not be able to read our working directory.
            let dir = if self.data_dir.is_dir() {
                self.data_dir.clone()
            } else {
                std::env::temp_dir()
            };
            command.current_dir(dir);
        }
        command
    }

    fn give_to_server_user(&self, path: &Path) -> Result<(), Error> {
        match self.run_as {
            Some(user) => chown(path, Some(user.uid), Some(user.gid)).map_err(io_error(format!(
                "handing {} to the server user",
                path.display()
            ))),
            None => Ok(()),
        }
    }

    fn with_access_hint(&self, error: Error) -> Error {
        match (self.run_as, error) {
            (
                Some(user),
                Error::Command {
                    program,
                    status,
                    output,
                },
            ) => Error::Command {
                program,
                status,
                output: format!(
                    "{output}\n(as root, the server runs as uid {}; it must be able to reach {}: choose a data directory outside /root)",
                    user.uid,
                    self.data_dir.display()
                ),
            },
            (_, error) => error,
        }
    }
}

/// The role that owns Vern's schema and runs its migrations: it may change tables, the
/// serving process may not.
pub const OWNER_ROLE: &str = "vern_owner";
/// The group role the migrations grant a serving process's privileges to (eventstore
/// migration 0005): no UPDATE, DELETE or TRUNCATE on the event log or the read audit.
pub const APP_ROLE: &str = "vern_app";
/// The login of the serving process in a server Vern runs itself: a member of [`APP_ROLE`],
/// not a superuser, owning none of the store's tables.
pub const SERVER_ROLE: &str = "vern_server";

/// SQL for a superuser that makes Vern's roles where missing ([`OWNER_ROLE`] and
/// [`SERVER_ROLE`] able to log in with these passwords, [`SERVER_ROLE`] in [`APP_ROLE`]),
/// and sets the passwords where they exist. Safe to run from several processes at once.
pub fn roles_sql(owner_password: &str, server_password: &str) -> String {
    let literal = |text: &str| format!("'{}'", text.replace('\'', "''"));
    let create = |role: &str, options: &str| {
        format!(
            "begin create role {role} {options}; \
             exception when duplicate_object or unique_violation then null; end;"
        )
    };
    format!(
        "do $$ begin \
           if not exists (select from pg_roles where rolname = '{APP_ROLE}') then {app} end if; \
           if not exists (select from pg_roles where rolname = '{OWNER_ROLE}') then {owner} end if; \
           if not exists (select from pg_roles where rolname = '{SERVER_ROLE}') then {server} end if; \
         end $$; \
         alter role {OWNER_ROLE} with login nosuperuser nocreaterole password {owner_password}; \
         alter role {SERVER_ROLE} with login nosuperuser nocreaterole nocreatedb password {server_password}; \
         grant {APP_ROLE} to {SERVER_ROLE};",
        app = create(APP_ROLE, "nologin"),
        owner = create(OWNER_ROLE, "login"),
        server = create(SERVER_ROLE, "login"),
        owner_password = literal(owner_password),
        server_password = literal(server_password),
    )
}

/// The connection URL of a server on 127.0.0.1.
pub fn connection_url(port: u16, auth: &Auth, database: &str) -> String {
    role_url(port, "postgres", auth, database)
}

/// The connection URL of a server on 127.0.0.1 for `role`, with `auth`'s password.
pub fn role_url(port: u16, role: &str, auth: &Auth, database: &str) -> String {
    match auth {
        Auth::Trust => format!("postgres://{role}@127.0.0.1:{port}/{database}"),
        Auth::Password(password) => {
            format!("postgres://{role}:{password}@127.0.0.1:{port}/{database}")
        }
    }
}

fn run(command: &mut Command, program: &str) -> Result<Output, Error> {
    let output = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(io_error(format!("starting {program}")))?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(Error::Command {
            program: program.to_owned(),
            status: output.status.to_string(),
            output: format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            )
            .trim()
            .to_owned(),
        })
    }
}

fn log_tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

fn free_port() -> Result<u16, Error> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(io_error("finding a free port"))
}

/// Writes a file readable by its owner only.
pub fn write_private(path: &Path, contents: &[u8]) -> Result<(), Error> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(io_error(format!("creating {}", path.display())))?;
    file.set_permissions(fs::Permissions::from_mode(0o600))
        .and_then(|()| file.write_all(contents))
        .map_err(io_error(format!("writing {}", path.display())))
}

/// This process's effective uid, read from `/proc` to avoid `unsafe` libc calls.
pub fn effective_uid() -> Option<u32> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("Uid:"))?;
    // Uid: real effective saved filesystem
    line.split_whitespace().nth(2)?.parse().ok()
}

pub fn effective_uid_is_root() -> bool {
    effective_uid() == Some(0)
}

fn unprivileged_user() -> Option<RunAs> {
    let passwd = fs::read_to_string("/etc/passwd").ok()?;
    let find = |name: &str| {
        passwd.lines().find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            if fields.len() < 4 || fields[0] != name {
                return None;
            }
            Some(RunAs {
                uid: fields[2].parse().ok()?,
                gid: fields[3].parse().ok()?,
            })
        })
    };
    find("postgres").or_else(|| find("nobody"))
}

#[cfg(test)]
mod tests {
    use super::{Postmaster, PostmasterState};

    #[test]
    fn a_pid_file_says_which_process_on_which_port_in_what_state() {
        let pid_file = |state: &str| {
            format!(
                "4242\n/tmp/vern/postgres\n1733350000\n54321\n\n127.0.0.1\n  1234567  32769\n{state}\n"
            )
        };
        let stopping = Postmaster::parse(&pid_file("stopping")).unwrap();
        assert_eq!(
            stopping,
            Postmaster {
                pid: 4242,
                port: 54321,
                state: PostmasterState::Stopping
            }
        );
        assert_eq!(
            Postmaster::parse(&pid_file("starting")).unwrap().state,
            PostmasterState::Starting
        );
        assert_eq!(
            Postmaster::parse(&pid_file("ready   ")).unwrap().state,
            PostmasterState::Ready
        );
        assert_eq!(Postmaster::parse("4242\n/tmp/vern/postgres\n"), None);
    }
}
