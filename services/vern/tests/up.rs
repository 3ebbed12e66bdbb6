//! `vern up` and `vern migrate` as a person runs them: the real binary, a real PostgreSQL.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::Datelike as _;
use eventstore::{
    Actor, AppendRequest, EventMetadata, EventStore, ExpectedVersion, NewEvent, StreamWrite,
};
use serde_json::json;
use sqlx::postgres::PgPoolOptions;
use uuid::Uuid;

mod shared;
use shared::embedded_url;

const VERN: &str = env!("CARGO_BIN_EXE_vern");

/// A data directory the unprivileged server user can reach, removed at the end.
struct DataDir(PathBuf);

impl DataDir {
    fn new() -> Self {
        Self(std::env::temp_dir().join(format!("vern-up-test-{}", Uuid::new_v4().simple())))
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running `vern up`, with its log lines arriving on a channel.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    log: Vec<String>,
}

impl Running {
    fn start(data_dir: &Path) -> Self {
        Self::start_with(data_dir, &[])
    }

    fn start_with(data_dir: &Path, args: &[&str]) -> Self {
        let mut child = Command::new(VERN)
            .args(["up", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(args)
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
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
    fn wait_for(&mut self, text: &str) -> String {
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

    fn terminate(mut self) -> (ExitStatus, Vec<String>) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let status = self.child.wait().unwrap();
        self.log.extend(self.lines.iter());
        (status, self.log)
    }
}

fn marker_append(stream: &str) -> AppendRequest {
    AppendRequest {
        metadata: EventMetadata::for_command(
            Uuid::new_v4(),
            Actor {
                subject: "operator".into(),
                role: "operator".into(),
                municipality: None,
            },
        ),
        streams: vec![StreamWrite {
            stream_id: stream.to_owned(),
            expected: ExpectedVersion::NoStream,
            municipality: None,
            events: vec![NewEvent::new("MarkerWritten", 1, json!({}))],
        }],
    }
}

#[tokio::test]
async fn up_keeps_its_data_between_runs_and_stops_its_server() {
    let data_dir = DataDir::new();
    let stream = format!("test-{}", Uuid::new_v4());

    // First run: creates the database, migrates, serves until SIGTERM.
    let mut first = Running::start(&data_dir.0);
    first.wait_for("vern is up");
    let token = std::fs::read_to_string(data_dir.0.join("operator.token")).unwrap();
    assert_eq!(token.split('.').count(), 3, "a JWT");
    let url = embedded_url(&data_dir.0);
    {
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
            .unwrap();
        EventStore::new(pool.clone())
            .append(&marker_append(&stream))
            .await
            .expect("the schema is there");
        // The read models run inside `vern up`: the timeline's checkpoint passes the marker.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let position: Option<i64> = sqlx::query_scalar(
                "select global_position from checkpoints where subscriber = 'case_timeline'",
            )
            .fetch_optional(&pool)
            .await
            .unwrap();
            if position.is_some_and(|p| p >= 1) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the case timeline projection never ran"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        pool.close().await;
    }
    let (status, log) = first.terminate();
    assert!(status.success(), "exit {status}:\n{}", log.join("\n"));
    assert!(
        log.iter()
            .any(|l| l.contains("embedded PostgreSQL stopped")),
        "{}",
        log.join("\n")
    );
    assert!(
        !data_dir.0.join("postgres/postmaster.pid").exists(),
        "the server is stopped"
    );
    assert!(
        !log.iter()
            .any(|l| l.contains(&std::fs::read_to_string(data_dir.0.join("credentials")).unwrap())),
        "the password is never logged"
    );

    // Second run: the same data, and `vern migrate` beside it leaves its server running.
    let mut second = Running::start(&data_dir.0);
    second.wait_for("vern is up");
    let migrate = Command::new(VERN)
        .args(["migrate", "--data-dir"])
        .arg(&data_dir.0)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(&embedded_url(&data_dir.0))
        .await
        .expect("the server outlives vern migrate");
    assert_eq!(
        EventStore::new(pool.clone())
            .stream_version(&stream)
            .await
            .unwrap(),
        1
    );
    pool.close().await;

    // Beside the running server: each view's checkpoint and lag, and a rebuild that swaps.
    let vern = |args: &[&str]| {
        let output = Command::new(VERN)
            .args(args)
            .arg("--data-dir")
            .arg(&data_dir.0)
            .env_remove("DATABASE_URL")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "vern {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let status = vern(&["projections", "status"]);
    for view in ["case_timeline", "worklist", "caseload", "statistics"] {
        assert!(
            status.lines().any(|line| line.starts_with(view)),
            "{view} missing from:\n{status}"
        );
    }
    let rebuilt = vern(&["projections", "rebuild", "worklist"]);
    assert!(
        rebuilt.contains("worklist: rebuilt from") && rebuilt.contains("swapped in"),
        "{rebuilt}"
    );
    let unknown = Command::new(VERN)
        .args(["projections", "rebuild", "nonsense", "--data-dir"])
        .arg(&data_dir.0)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("no projection named \"nonsense\""),
        "{}",
        String::from_utf8_lossy(&unknown.stderr)
    );

    let (status, log) = second.terminate();
    assert!(status.success(), "exit {status}:\n{}", log.join("\n"));
}

#[test]
fn without_binaries_or_url_vern_says_how_to_get_one() {
    let data_dir = DataDir::new();
    let empty = DataDir::new();
    std::fs::create_dir_all(&empty.0).unwrap();

    let output = Command::new(VERN)
        .args(["up", "--data-dir"])
        .arg(&data_dir.0)
        .env_remove("DATABASE_URL")
        .env("VERN_PG_BIN_DIR", &empty.0)
        .output()
        .unwrap();

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no PostgreSQL server binaries found"),
        "{stderr}"
    );
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
}

#[tokio::test]
async fn migrate_with_a_database_url_uses_that_server() {
    let db = testkit::TestDb::new().await;

    let output = Command::new(VERN)
        .arg("migrate")
        .env("DATABASE_URL", db.url())
        .output()
        .unwrap();

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tables: i64 = sqlx::query_scalar(
        "select count(*) from information_schema.tables \
         where table_name in ('events', 'streams', 'commands', 'checkpoints', 'case_timeline')",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(tables, 5);
}

#[tokio::test]
async fn report_import_stores_a_portal_report_once_and_refuses_a_broken_one() {
    let db = testkit::TestDb::new().await;
    let dir = DataDir::new();
    std::fs::create_dir_all(&dir.0).unwrap();
    let good = dir.0.join("offentlig.json");
    std::fs::write(&good, fiks::samples::PUBLIC_EXAMPLE).unwrap();
    let import = |file: &Path| {
        Command::new(VERN)
            .args(["report", "import"])
            .arg(file)
            .env("DATABASE_URL", db.url())
            .output()
            .unwrap()
    };

    let first = import(&good);
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(stdout.starts_with(fiks::RECEIVED_V1), "{stdout}");
    let second = import(&good);
    let again = String::from_utf8_lossy(&second.stdout);
    assert!(second.status.success());
    assert!(
        again.contains("imported before; nothing new stored"),
        "{again}"
    );
    let reports: i64 =
        sqlx::query_scalar("select count(*) from events where event_type = 'ReportReceived'")
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(reports, 1);

    let bad = dir.0.join("broken.json");
    let mut document: serde_json::Value =
        serde_json::from_str(fiks::samples::PUBLIC_EXAMPLE).unwrap();
    document["offentligBarn"][0]["fnr"] = "28071364499".into();
    std::fs::write(&bad, document.to_string()).unwrap();
    let refused = import(&bad);
    let stdout = String::from_utf8_lossy(&refused.stdout);
    assert!(!refused.status.success());
    assert!(stdout.starts_with(fiks::FAILED_V1), "{stdout}");
    assert!(stdout.contains("offentligBarn[0].fnr"), "{stdout}");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !stderr.contains("28071364499"),
        "no identity number in logs: {stderr}"
    );
    let events: i64 = sqlx::query_scalar("select count(*) from events")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(events, 1, "nothing stored for the broken report");
}

#[tokio::test]
async fn registry_export_checks_its_flags_and_reports_what_it_wrote() {
    let db = testkit::TestDb::new().await;
    let dir = DataDir::new();
    let export = |organisation: &str| {
        Command::new(VERN)
            .args([
                "registry",
                "export",
                "--municipality",
                "5035",
                "--organisation-number",
            ])
            .arg(organisation)
            .arg("--out")
            .arg(&dir.0)
            .env("DATABASE_URL", db.url())
            .output()
            .unwrap()
    };
    let refused = export("12345");
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("--organisation-number must be 9 digits"),
        "{stderr}"
    );

    let empty = export("938587418");
    assert!(
        empty.status.success(),
        "{}",
        String::from_utf8_lossy(&empty.stderr)
    );
    let stdout = String::from_utf8_lossy(&empty.stdout);
    assert!(stdout.contains("0 written, 0 unchanged"), "{stdout}");
}

/// The address in `vern is up`'s log line.
fn listening_on(line: &str) -> String {
    let plain: String = {
        // Drop ANSI colour sequences, should the log have them.
        let mut out = String::new();
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    };
    let from = plain
        .find("listen=")
        .expect("the listening address is logged")
        + "listen=".len();
    plain[from..].split_whitespace().next().unwrap().to_owned()
}

/// Waits until every view has applied every event in the store.
async fn views_caught_up(url: &str) {
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

// Multi-threaded: the clients' connections must go on running (and see the server's GOAWAY)
// while the test blocks on the process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_with_demo_seeds_a_living_service_once() {
    use api::feedback::v1 as feedback;
    use api::worklist::v1 as worklist;

    let data_dir = DataDir::new();
    let mut up = Running::start_with(&data_dir.0, &["--demo"]);
    let address = listening_on(&up.wait_for("vern is up"));
    let seeded = up.wait_for("demo seeded");
    assert!(seeded.contains("failed=0"), "{seeded}");
    views_caught_up(&embedded_url(&data_dir.0)).await;

    let token = std::fs::read_to_string(data_dir.0.join("operator.token")).unwrap();
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{address}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let bearer: tonic::metadata::MetadataValue<_> =
        format!("Bearer {}", token.trim()).parse().unwrap();
    let authed = move |mut request: tonic::Request<()>| {
        request
            .metadata_mut()
            .insert("authorization", bearer.clone());
        Ok(request)
    };
    let mut views = worklist::worklist_service_client::WorklistServiceClient::with_interceptor(
        channel.clone(),
        authed.clone(),
    );
    let mut letters =
        feedback::feedback_service_client::FeedbackServiceClient::with_interceptor(channel, authed);

    // Every municipality of the service has reports over the two years, and Stjørdal most.
    let this_year = chrono::Utc::now().year();
    let mut received = std::collections::BTreeMap::<String, i64>::new();
    for year in this_year - 2..=this_year {
        let statistics = views
            .get_statistics(worklist::GetStatisticsRequest {
                year,
                period: worklist::PeriodKind::Year as i32,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        for row in statistics.rows {
            *received.entry(row.municipality).or_default() += row.reports_received;
        }
    }
    let municipalities: Vec<&str> = received.keys().map(String::as_str).collect();
    assert_eq!(municipalities, ["5032", "5033", "5034", "5035", "5036"]);
    assert!(received.values().all(|&n| n > 0), "{received:?}");
    assert_eq!(
        received
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(m, _)| m.as_str()),
        Some("5035")
    );
    // About 356 reports a year.
    let total: i64 = received.values().sum();
    assert!((600..=820).contains(&total), "{total} reports");

    // A working service: deadlines running, some breached, assigned to teams; letters owed,
    // some overdue.
    let review = views
        .list_cases_needing_review(worklist::ListCasesNeedingReviewRequest {
            all_running: true,
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        review.items.iter().any(|item| item.breached),
        "nothing breached"
    );
    assert!(
        review.items.iter().any(|item| !item.breached),
        "everything breached"
    );
    assert!(review.items.iter().all(|item| !item.team.is_empty()));
    let owed = letters
        .list_letters_owed(feedback::ListLettersOwedRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        owed.letters.iter().any(|letter| letter.overdue),
        "no letter overdue"
    );

    drop((views, letters));
    let (status, log) = up.terminate();
    assert!(status.success(), "exit {status}:\n{}", log.join("\n"));

    // Started again with --demo, it leaves the data as it is.
    let mut again = Running::start_with(&data_dir.0, &["--demo"]);
    again.wait_for("demo not seeded: the database already holds events");
    let (status, log) = again.terminate();
    assert!(status.success(), "exit {status}:\n{}", log.join("\n"));
}

/// The events-behind column of `vern projections status`, per view.
fn events_behind(status: &str) -> Vec<(String, i64)> {
    status
        .lines()
        .skip(1)
        .filter_map(|line| {
            let columns: Vec<&str> = line.split_whitespace().collect();
            let view = ["case_timeline", "worklist", "caseload", "statistics"]
                .into_iter()
                .find(|view| columns.first() == Some(view))?;
            Some((view.to_owned(), columns.get(2)?.parse().ok()?))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_loses_no_acknowledged_command_and_leaves_the_views_current() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};

    let data_dir = DataDir::new();
    let mut up = Running::start(&data_dir.0);
    let address: std::net::SocketAddr = listening_on(&up.wait_for("vern is up")).parse().unwrap();
    let token = std::fs::read_to_string(data_dir.0.join("operator.token")).unwrap();

    // Eight callers, each on its own connection, submitting reports until the server is gone.
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let refused = Arc::new(Mutex::new(Vec::<tonic::Code>::new()));
    let signalled = Arc::new(AtomicBool::new(false));
    let mut callers = tokio::task::JoinSet::new();
    for caller in 0..8u64 {
        let mut clients = vern::demo::Clients::new(address, token.trim()).unwrap();
        let (acknowledged, refused, signalled) =
            (acknowledged.clone(), refused.clone(), signalled.clone());
        callers.spawn(async move {
            let mut rng = vern::demo::Rng::new(caller);
            let today = chrono::Utc::now().date_naive();
            for child in 0.. {
                let lifecycle = vern::demo::Lifecycle::new("5035".into(), child, true);
                let request = vern::demo::submit(&lifecycle, today, &mut rng);
                match clients.intake.submit_report(request).await {
                    Ok(answer) => acknowledged
                        .lock()
                        .unwrap()
                        .push(format!("report-{}", answer.into_inner().report_id)),
                    Err(status) => {
                        let after_signal = signalled.load(Ordering::SeqCst);
                        refused.lock().unwrap().push(status.code());
                        assert!(after_signal, "refused before the signal: {status:?}");
                        return;
                    }
                }
            }
        });
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while acknowledged.lock().unwrap().len() < 200 {
        assert!(Instant::now() < deadline, "the load never got going");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    signalled.store(true, Ordering::SeqCst);
    let (status, log) = up.terminate();
    assert!(status.success(), "exit {status}:\n{}", log.join("\n"));
    assert!(log.iter().any(|line| line.contains("shutting down")));
    while let Some(caller) = callers.join_next().await {
        caller.expect("a caller panicked");
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    let refused = refused.lock().unwrap().clone();
    assert_eq!(refused.len(), 8, "every caller saw the server go");

    // The views applied everything before the process ended.
    let status = Command::new(VERN)
        .args(["projections", "status", "--data-dir"])
        .arg(&data_dir.0)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(status.status.success());
    let status = String::from_utf8(status.stdout).unwrap();
    let behind = events_behind(&status);
    assert_eq!(behind.len(), 4, "{status}");
    assert!(behind.iter().all(|(_, n)| *n == 0), "{status}");

    // Every acknowledged report is stored, once.
    let mut again = Running::start(&data_dir.0);
    again.wait_for("vern is up");
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(&embedded_url(&data_dir.0))
        .await
        .unwrap();
    let received: Vec<(String, i64)> = sqlx::query_as(
        "select stream_id, count(*) from events \
          where stream_id = any($1) and event_type = 'ReportReceived' group by stream_id",
    )
    .bind(&acknowledged)
    .fetch_all(&pool)
    .await
    .unwrap();
    let stored: i64 =
        sqlx::query_scalar("select count(*) from events where event_type = 'ReportReceived'")
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    assert_eq!(
        usize::try_from(stored).unwrap(),
        acknowledged.len(),
        "a report was stored but its caller never heard"
    );
    assert_eq!(
        received.len(),
        acknowledged.len(),
        "acknowledged reports lost"
    );
    assert!(
        received.iter().all(|(_, n)| *n == 1),
        "a report stored twice"
    );
    eprintln!(
        "{} acknowledged; the callers then saw {refused:?}",
        acknowledged.len()
    );
    let (status, log) = again.terminate();
    assert!(status.success(), "exit {status}:\n{}", log.join("\n"));
}
