//! What the binary's tests share: a data directory, `vern` run beside it, a running `vern up`
//! and its log, reading what it says, and callers that keep it busy.
// Each test binary uses its own part of this.
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use eventstore::EventStore;
use sqlx::postgres::PgPoolOptions;
use uuid::Uuid;

pub(crate) const VERN: &str = env!("CARGO_BIN_EXE_vern");

/// A token for the service's staff (a service leader of Værnesregionen's five municipalities),
/// signed with the key `vern up` keeps in `data_dir`: the operator's token may not work cases.
pub(crate) fn staff_token(data_dir: &Path) -> String {
    let key = platform::auth::SigningKey::load(&data_dir.join("signing.key")).unwrap();
    key.issue(&platform::auth::Claims::new(
        "leder-1",
        "service_leader",
        ["5032", "5033", "5034", "5035", "5036"]
            .map(str::to_owned)
            .to_vec(),
        chrono::Utc::now().timestamp(),
        3600,
    ))
}

/// The embedded server's URL, from the files `vern up` keeps in its data directory.
pub(crate) fn embedded_url(data_dir: &Path) -> String {
    let password = std::fs::read_to_string(data_dir.join("credentials")).unwrap();
    let pid_file = std::fs::read_to_string(data_dir.join("postgres/postmaster.pid")).unwrap();
    let port = pid_file.lines().nth(3).unwrap().trim();
    format!(
        "postgres://postgres:{}@127.0.0.1:{port}/postgres",
        password.trim()
    )
}

/// `vern ARGS --data-dir DATA_DIR` run to its end on the embedded database (no
/// `DATABASE_URL`), as an operator types it beside a running `vern up`.
pub(crate) fn vern_in(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(VERN)
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap()
}

/// The same, which must succeed; what it printed.
pub(crate) fn vern_ok(data_dir: &Path, args: &[&str]) -> String {
    let output = vern_in(data_dir, args);
    assert!(
        output.status.success(),
        "vern {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// A data directory the unprivileged server user can reach, removed at the end.
pub(crate) struct DataDir(pub(crate) PathBuf);

impl DataDir {
    pub(crate) fn new() -> Self {
        Self(std::env::temp_dir().join(format!("vern-up-test-{}", Uuid::new_v4().simple())))
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running `vern up`, with its log lines arriving on a channel.
pub(crate) struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    log: Vec<String>,
}

impl Running {
    pub(crate) fn start(data_dir: &Path) -> Self {
        Self::start_with(data_dir, &[])
    }

    pub(crate) fn start_with(data_dir: &Path, args: &[&str]) -> Self {
        Self::start_env(data_dir, args, &[])
    }

    /// With more arguments after `up`'s, and environment variables over the defaults.
    pub(crate) fn start_env(data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::start_exactly(
            &[
                &[
                    "up",
                    "--listen",
                    "127.0.0.1:0",
                    "--dashboard",
                    "127.0.0.1:0",
                ],
                args,
            ]
            .concat(),
            data_dir,
            env,
        )
    }

    /// `vern` with exactly `args` (and `--data-dir`), and environment variables over the
    /// defaults.
    pub(crate) fn start_exactly(args: &[&str], data_dir: &Path, env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(VERN)
            .args(args)
            .arg("--data-dir")
            .arg(data_dir)
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("vern starts");
        let stderr = child.stderr.take().unwrap();
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
        Self {
            child,
            lines,
            log: Vec::new(),
        }
    }

    /// Waits for a log line containing `text`, with a deadline, and returns it.
    pub(crate) fn wait_for(&mut self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(120);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = line.contains(text);
                    self.log.push(line.clone());
                    if found {
                        return line;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("no {text:?} from vern; it said:\n{}", self.log.join("\n"));
    }

    /// What it has said so far, without waiting.
    pub(crate) fn said(&mut self) -> &[String] {
        self.log.extend(self.lines.try_iter());
        &self.log
    }

    /// Its process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for it to exit by itself (a start-up failure), with a deadline, and returns its
    /// status and everything it said.
    pub(crate) fn exit(mut self, within: Duration) -> (ExitStatus, Vec<String>) {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                self.log.extend(self.lines.iter());
                return (status, std::mem::take(&mut self.log));
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                self.log.extend(self.lines.try_iter());
                panic!(
                    "vern still runs after {within:?}; it said:\n{}",
                    self.log.join("\n")
                );
            }
            self.log.extend(self.lines.try_iter());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits (at most 30 s) for it to refuse to start, and returns everything it said.
    pub(crate) fn refused(self) -> String {
        let (status, log) = self.exit(Duration::from_secs(30));
        let log = log.join("\n");
        assert!(!status.success(), "{log}");
        log
    }

    /// Kills it with SIGKILL, as a crash would: its PostgreSQL goes on running.
    pub(crate) fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    pub(crate) fn terminate(mut self) -> (ExitStatus, Vec<String>) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let status = self.child.wait().unwrap();
        self.log.extend(self.lines.iter());
        (status, std::mem::take(&mut self.log))
    }
}

/// A test that ends, or fails, with `vern up` still running stops it as an operator would
/// (SIGTERM, so it stops its PostgreSQL too), and kills it if it has not stopped within
/// 30 s: a test leaves no server behind (one did, after every run, before this).
impl Drop for Running {
    fn drop(&mut self) {
        if !matches!(self.child.try_wait(), Ok(None)) {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The address in `vern is up`'s log line.
pub(crate) fn listening_on(line: &str) -> String {
    log_field(line, "listen")
}

/// A `key=value` field of a text log line.
pub(crate) fn log_field(line: &str, key: &str) -> String {
    // Drop ANSI colour sequences, should the log have them.
    let mut plain = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    let marker = format!("{key}=");
    let from = plain
        .find(&marker)
        .unwrap_or_else(|| panic!("no {key} in {plain}"))
        + marker.len();
    plain[from..].split_whitespace().next().unwrap().to_owned()
}

/// Waits until every view has applied every event in the store.
pub(crate) async fn views_caught_up(url: &str) {
    use projections::Projection as _;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap();
    let store = EventStore::new(pool.clone());
    let deadline = Instant::now() + Duration::from_secs(120);
    for view in projections::views(&domain::rules::RuleBook::norwegian()) {
        loop {
            let status = projections::status(&store, view.name()).await.unwrap();
            if status.events_behind == 0 && status.events_waiting == 0 {
                break;
            }
            assert!(Instant::now() < deadline, "{} never caught up", view.name());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    pool.close().await;
}

/// An HTTP/1.1 exchange with the dashboard: the status line, headers and body of the answer.
pub(crate) fn http(address: &str, request: &str) -> String {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

/// A cookie the answer sets.
pub(crate) fn set_cookie(answer: &str, name: &str) -> String {
    answer
        .lines()
        .find_map(|line| line.strip_prefix(&format!("set-cookie: {name}=")))
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_else(|| panic!("no {name} cookie in {answer}"))
        .to_owned()
}

/// Logs in to the dashboard with `token` and returns the session's cookie value.
pub(crate) fn dashboard_login(dashboard: &str, token: &str) -> String {
    let address = dashboard.trim_start_matches("http://");
    let form = http(
        address,
        &format!("GET /login HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"),
    );
    let csrf = set_cookie(&form, "vern_login_csrf");
    let body = format!("token={}&csrf={csrf}", token.trim());
    let logged_in = http(
        address,
        &format!(
            "POST /login HTTP/1.1\r\nHost: {address}\r\nCookie: vern_login_csrf={csrf}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    set_cookie(&logged_in, "vern_session")
}

/// `path` of the dashboard (status line, headers and body) for the session `session`.
pub(crate) fn dashboard_get(dashboard: &str, session: &str, path: &str) -> String {
    let address = dashboard.trim_start_matches("http://");
    http(
        address,
        &format!(
            "GET {path} HTTP/1.1\r\nHost: {address}\r\nCookie: vern_session={session}\r\n\
             Connection: close\r\n\r\n"
        ),
    )
}

/// `path` of the dashboard, seen by whoever logs in with `token`.
pub(crate) fn dashboard_page(dashboard: &str, token: &str, path: &str) -> String {
    dashboard_get(dashboard, &dashboard_login(dashboard, token), path)
}

/// One caller submitting demo reports for Værnesregionen's 5035, one after another, each
/// acknowledged report's id to `acknowledged` (which says whether to go on), until a report is
/// refused: the refusal goes to `refused` the moment it comes.
pub(crate) async fn submit_reports(
    mut clients: vern::demo::Clients,
    seed: u64,
    mut acknowledged: impl FnMut(String) -> bool,
    refused: impl FnOnce(tonic::Status),
) {
    let mut rng = vern::demo::Rng::new(seed);
    let today = chrono::Utc::now().date_naive();
    for child in 0.. {
        let lifecycle = vern::demo::Lifecycle::new("5035".into(), child, true);
        let request = vern::demo::submit(&lifecycle, today, &mut rng);
        match clients.intake.submit_report(request).await {
            Ok(answer) => {
                if !acknowledged(answer.into_inner().report_id) {
                    return;
                }
            }
            Err(status) => return refused(status),
        }
    }
}

/// Waits (at most 60 s) until the callers have had `count` commands acknowledged.
pub(crate) async fn load_going<T>(acknowledged: &std::sync::Mutex<Vec<T>>, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while acknowledged.lock().unwrap().len() < count {
        assert!(Instant::now() < deadline, "the load never got going");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// How many `ReportReceived` events each of `streams` holds, for those that hold any.
pub(crate) async fn reports_received(
    pool: &sqlx::PgPool,
    streams: &[String],
) -> Vec<(String, i64)> {
    sqlx::query_as(
        "select stream_id, count(*) from events \
          where stream_id = any($1) and event_type = 'ReportReceived' group by stream_id",
    )
    .bind(streams)
    .fetch_all(pool)
    .await
    .unwrap()
}
