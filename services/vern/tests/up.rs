//! `vern up` and `vern migrate` as a person runs them: the real binary, a real PostgreSQL.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use eventstore::{
    Actor, AppendRequest, EventMetadata, EventStore, ExpectedVersion, NewEvent, StreamWrite,
};
use serde_json::json;
use sqlx::postgres::PgPoolOptions;
use uuid::Uuid;

mod shared;
use shared::{DataDir, Running, VERN, embedded_url, listening_on};

fn marker_append(stream: &str) -> AppendRequest {
    AppendRequest {
        command_fingerprint: None,
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
        // The server serves as a role that is no superuser and owns none of the store's
        // tables; its owner role owns them (least privilege: tests/it/roles.rs tries every
        // route to change an event with such a role).
        let serving: Vec<(String, bool)> = sqlx::query_as(
            "select distinct a.usename::text, r.rolsuper from pg_stat_activity a \
             join pg_roles r on r.rolname = a.usename where a.datname = 'postgres' \
             and a.pid <> pg_backend_pid() and a.usename is not null",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(serving, [("vern_server".to_owned(), false)]);
        let owners: Vec<String> = sqlx::query_scalar(
            "select distinct tableowner::text from pg_tables \
             where tablename in ('events', 'streams', 'commands', 'checkpoints', 'read_audit')",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(owners, ["vern_owner"]);
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
    shared::vern_ok(&data_dir.0, &["migrate"]);
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
    let vern = |args: &[&str]| shared::vern_ok(&data_dir.0, args);
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
    let all = vern(&["projections", "rebuild", "all"]);
    for view in ["case_timeline", "worklist", "caseload", "statistics"] {
        assert!(
            all.lines()
                .any(|line| line.starts_with(&format!("{view}: rebuilt from"))),
            "{view} missing from:\n{all}"
        );
    }
    let unknown = shared::vern_in(&data_dir.0, &["projections", "rebuild", "nonsense"]);
    assert!(!unknown.status.success());
    let refusal = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        refusal.contains("no projection named \"nonsense\"") && refusal.contains("or all"),
        "{refusal}"
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
    assert!(
        stdout.contains(&format!("0 written into {}, 0 unchanged", dir.0.display())),
        "{stdout}"
    );

    // Without --out: under the data directory, never the working directory, and it says so.
    let data_dir = DataDir::new();
    let working = DataDir::new();
    std::fs::create_dir_all(&working.0).unwrap();
    let defaulted = Command::new(VERN)
        .args(["registry", "export", "--municipality", "5035"])
        .args(["--organisation-number", "938587418", "--data-dir"])
        .arg(&data_dir.0)
        .current_dir(&working.0)
        .env("DATABASE_URL", db.url())
        .output()
        .unwrap();
    assert!(
        defaulted.status.success(),
        "{}",
        String::from_utf8_lossy(&defaulted.stderr)
    );
    let stdout = String::from_utf8_lossy(&defaulted.stdout);
    let into = data_dir.0.join("registry").join("5035-");
    assert!(
        stdout.contains(&format!("0 written into {}", into.display())),
        "{stdout}"
    );
    assert!(data_dir.0.join("registry").is_dir());
    assert_eq!(
        std::fs::read_dir(&working.0).unwrap().count(),
        0,
        "nothing in the working directory"
    );
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
    let token = shared::staff_token(&data_dir.0);

    // Eight callers, each on its own connection, submitting reports until the server is gone.
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let refused = Arc::new(Mutex::new(Vec::<tonic::Code>::new()));
    let signalled = Arc::new(AtomicBool::new(false));
    let mut callers = tokio::task::JoinSet::new();
    for caller in 0..8u64 {
        let clients = vern::demo::Clients::new(address, token.trim()).unwrap();
        let (acknowledged, refused, signalled) =
            (acknowledged.clone(), refused.clone(), signalled.clone());
        callers.spawn(shared::submit_reports(
            clients,
            caller,
            move |report_id| {
                acknowledged
                    .lock()
                    .unwrap()
                    .push(format!("report-{report_id}"));
                true
            },
            move |status| {
                let after_signal = signalled.load(Ordering::SeqCst);
                refused.lock().unwrap().push(status.code());
                assert!(after_signal, "refused before the signal: {status:?}");
            },
        ));
    }
    shared::load_going(&acknowledged, 200).await;
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
    let status = shared::vern_ok(&data_dir.0, &["projections", "status"]);
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
    let received = shared::reports_received(&pool, &acknowledged).await;
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

#[test]
fn token_issue_signs_with_the_installations_key_and_names_each_bad_flag() {
    let data_dir = DataDir::new();
    std::fs::create_dir_all(&data_dir.0).unwrap();
    let key = platform::auth::SigningKey::load_or_create(&data_dir.0.join("signing.key")).unwrap();
    let vern = |dir: &Path, args: &[&str]| {
        Command::new(VERN)
            .args(["token", "issue", "--data-dir"])
            .arg(dir)
            .args(args)
            .env_remove("VERN_DATA_DIR")
            .output()
            .unwrap()
    };

    let issued = vern(
        &data_dir.0,
        &[
            "--role",
            "team_leader",
            "--municipality",
            "5035",
            "--municipality",
            "5032",
            "--subject",
            "leder-1",
        ],
    );
    assert!(
        issued.status.success(),
        "{}",
        String::from_utf8_lossy(&issued.stderr)
    );
    let token = String::from_utf8(issued.stdout).unwrap();
    let now = chrono::Utc::now().timestamp();
    let claims = key
        .verify(token.trim(), now)
        .expect("signed with the installation's key");
    assert_eq!(claims.sub, "leder-1");
    assert_eq!(claims.role, "team_leader");
    assert_eq!(claims.municipalities, ["5035", "5032"]);
    assert!(
        (claims.exp - now - 8 * 3600).abs() <= 5,
        "8 hours by default"
    );

    for (args, names) in [
        (
            vec![
                "--role",
                "wizard",
                "--municipality",
                "5035",
                "--subject",
                "x",
            ],
            "--role",
        ),
        (
            vec![
                "--role",
                "caseworker",
                "--municipality",
                "9999",
                "--subject",
                "x",
            ],
            "--municipality",
        ),
        (
            vec![
                "--role",
                "caseworker",
                "--municipality",
                "5035",
                "--subject",
                " ",
            ],
            "--subject",
        ),
        (
            vec![
                "--role",
                "caseworker",
                "--municipality",
                "5035",
                "--subject",
                "x",
                "--hours",
                "0",
            ],
            "--hours",
        ),
    ] {
        let refused = vern(&data_dir.0, &args);
        assert!(!refused.status.success(), "{args:?} was accepted");
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains(names), "{args:?}: {stderr}");
        assert!(refused.stdout.is_empty(), "{args:?} printed a token");
    }

    // No key, no token: and none is made up.
    let elsewhere = DataDir::new();
    std::fs::create_dir_all(&elsewhere.0).unwrap();
    let refused = vern(
        &elsewhere.0,
        &[
            "--role",
            "caseworker",
            "--municipality",
            "5035",
            "--subject",
            "x",
        ],
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("signing key"));
    assert!(!elsewhere.0.join("signing.key").exists());
}

/// Tokens: the operator's is written to its file and never printed or logged; a token lives
/// no longer than its role may; and a revoked token is refused at once, over gRPC and in the
/// dashboard, where its session ends.
#[tokio::test]
async fn a_revoked_token_is_refused_at_once_and_a_token_lives_no_longer_than_its_role_may() {
    use api::worklist::v1 as worklist;
    let data_dir = DataDir::new();
    let mut up = Running::start(&data_dir.0);
    let up_line = up.wait_for("vern is up");
    let address = listening_on(&up_line);
    let dashboard = shared::log_field(&up_line, "dashboard");
    let vern = |args: &[&str]| {
        Command::new(VERN)
            .args(args)
            .arg("--data-dir")
            .arg(&data_dir.0)
            .env_remove("DATABASE_URL")
            .env_remove("VERN_TOKEN_LIFETIMES")
            .output()
            .unwrap()
    };
    let issue = |role: &str, extra: &[&str]| {
        let mut args = vec![
            "token",
            "issue",
            "--role",
            role,
            "--municipality",
            "5035",
            "--subject",
            "leder-2",
        ];
        args.extend_from_slice(extra);
        vern(&args)
    };
    let issued = issue("service_leader", &[]);
    assert!(
        issued.status.success(),
        "{}",
        String::from_utf8_lossy(&issued.stderr)
    );
    let token = String::from_utf8(issued.stdout).unwrap().trim().to_owned();
    let said = String::from_utf8(issued.stderr).unwrap();
    let id = platform::auth::token_id(&token).expect("the token has an id");
    assert!(said.contains(&format!("token id {id}")), "{said}");

    let call = |token: String| {
        let address = address.clone();
        async move {
            let channel = tonic::transport::Endpoint::from_shared(format!("http://{address}"))
                .unwrap()
                .connect()
                .await
                .unwrap();
            let mut client = worklist::worklist_service_client::WorklistServiceClient::new(channel);
            let mut request =
                tonic::Request::new(worklist::ListCasesNeedingReviewRequest::default());
            request
                .metadata_mut()
                .insert("authorization", format!("Bearer {token}").parse().unwrap());
            client.list_cases_needing_review(request).await.map(|_| ())
        }
    };
    call(token.clone()).await.expect("a good token is taken");
    let session = shared::dashboard_login(&dashboard, &token);
    let page = shared::dashboard_get(&dashboard, &session, "/cases");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");

    // Revoked by its id: the next call and the next page are refused, at once.
    let revoked = vern(&["token", "revoke", &id, "--reason", "Sluttet i tjenesten"]);
    assert!(
        revoked.status.success(),
        "{}",
        String::from_utf8_lossy(&revoked.stderr)
    );
    assert!(String::from_utf8_lossy(&revoked.stdout).contains("revoked"));
    let refused = call(token.clone()).await.expect_err("revoked");
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);
    assert_eq!(refused.message(), "token revoked");
    let page = shared::dashboard_get(&dashboard, &session, "/cases");
    assert!(
        page.starts_with("HTTP/1.1 303") && page.contains("location: /login"),
        "{page}"
    );
    // Revoked by the token itself, again: it stays revoked.
    let again = vern(&["token", "revoke", &token]);
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("was revoked already"));

    // A caseworker's token lives at most a working day (10 hours by default).
    let long = issue("caseworker", &["--hours", "11"]);
    assert!(!long.status.success());
    assert!(String::from_utf8_lossy(&long.stderr).contains("--hours: from 1 to 10"));
    // Issued under a longer limit elsewhere, it is refused by this server's.
    let long = issue(
        "caseworker",
        &["--hours", "11", "--token-lifetimes", "caseworker=12"],
    );
    assert!(long.status.success());
    let refused = call(String::from_utf8(long.stdout).unwrap().trim().to_owned())
        .await
        .expect_err("too long");
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);
    assert!(
        refused
            .message()
            .contains("longer than a caseworker token may (10 hours)"),
        "{refused:?}"
    );
    // A system's may live longer.
    let portal = issue("reporter_portal", &["--hours", "720"]);
    assert!(portal.status.success());

    // The operator's token is in its file, never in the log.
    let operator = std::fs::read_to_string(data_dir.0.join("operator.token")).unwrap();
    let (status, log) = up.terminate();
    assert!(status.success());
    assert!(
        log.iter()
            .any(|line| line.contains("operator token written") && line.contains("operator.token")),
        "{}",
        log.join("\n")
    );
    assert!(
        !log.iter().any(|line| line.contains(operator.trim())),
        "the token was logged"
    );
}

#[tokio::test]
async fn import_history_checks_a_file_in_a_dry_run_and_imports_it_once() {
    let db = testkit::TestDb::new().await;
    let dir = DataDir::new();
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../proto/vern/history/v1/example.jsonl"
    );
    let import = |dry_run: bool| {
        let mut command = Command::new(VERN);
        command
            .args(["import", "history", example, "--data-dir"])
            .arg(&dir.0)
            .env("DATABASE_URL", db.url());
        if dry_run {
            command.arg("--dry-run");
        }
        command.output().unwrap()
    };
    let events = || async {
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect(db.url())
            .await
            .unwrap();
        let count: i64 = sqlx::query_scalar("select count(*) from events")
            .fetch_one(&pool)
            .await
            .unwrap_or(0);
        let scratch: i64 = sqlx::query_scalar(
            "select count(*) from pg_database where datname like 'vern_dry_run_%'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        pool.close().await;
        (count, scratch)
    };

    let dry = import(true);
    let stdout = String::from_utf8_lossy(&dry.stdout);
    assert!(
        dry.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    assert!(
        stdout.contains("8 lines: 8 would be imported (dry run, nothing written)"),
        "{stdout}"
    );
    assert_eq!(
        events().await,
        (0, 0),
        "a dry run writes nothing and leaves no database"
    );

    let real = import(false);
    let stdout = String::from_utf8_lossy(&real.stdout);
    assert!(
        real.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&real.stderr)
    );
    assert!(
        stdout.contains("8 lines: 8 imported, 0 already imported, 0 refused"),
        "{stdout}"
    );
    assert_eq!(events().await, (10, 0));
    let again = import(false);
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(
        stdout.contains("0 imported, 8 already imported"),
        "{stdout}"
    );
    assert_eq!(events().await, (10, 0));
}

/// The dashboard shows an emergency decision that lapsed, first on the cases page, from its
/// moment: a decision entered late (dated back, with a reason) in the real binary, the page
/// asked with everything known now as of the day before and the day after the lapse. And its
/// statistics form takes empty fields as the defaults.
#[tokio::test]
async fn the_dashboard_shows_a_lapsed_emergency_decision_from_its_moment_and_takes_its_forms_as_sent()
 {
    use api::intake::v1 as intake;
    use api::measures::v1 as measures;
    let data_dir = DataDir::new();
    let mut up = Running::start(&data_dir.0);
    let up_line = up.wait_for("vern is up");
    let address = listening_on(&up_line);
    let dashboard = shared::log_field(&up_line, "dashboard");
    // A service leader's token for Stjørdal, issued by the binary.
    let leader = |subject: &str| {
        let issued = Command::new(VERN)
            .args([
                "token",
                "issue",
                "--role",
                "service_leader",
                "--municipality",
                "5035",
                "--subject",
                subject,
                "--data-dir",
            ])
            .arg(&data_dir.0)
            .env_remove("DATABASE_URL")
            .env_remove("VERN_TOKEN_LIFETIMES")
            .output()
            .unwrap();
        assert!(issued.status.success(), "{issued:?}");
        String::from_utf8(issued.stdout).unwrap().trim().to_owned()
    };
    let token = leader("leder-3");
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{address}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    fn with_token<T>(token: &str, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        request
    }
    let stamp = |text: &str| {
        handling::convert::to_timestamp(text.parse::<chrono::DateTime<chrono::Utc>>().unwrap())
    };
    let late = "Entered from the paper file.".to_owned();
    let mut intake = intake::intake_service_client::IntakeServiceClient::new(channel.clone());
    let report_id = intake
        .submit_report(with_token(
            &token,
            intake::SubmitReportRequest {
                command_id: Uuid::new_v4().to_string(),
                municipality: "5035".into(),
                received_at: Some(stamp("2024-03-04T09:00:00Z")),
                late_reason: late.clone(),
                reporter: Some(intake::Reporter {
                    kind: Some(intake::reporter::Kind::Anonymous(intake::Anonymous {})),
                }),
                children: vec![api::common::v1::Child {
                    identity: Some(api::common::v1::child::Identity::NameAndBirthDate(
                        api::common::v1::NameAndBirthDate {
                            name: "Synthetic Child".into(),
                            birth_date: "2019-05-17".into(),
                        },
                    )),
                }],
                concerns: vec![intake::ConcernCategory::Violence as i32],
                summary: "Synthetic report: the child is afraid at home.".into(),
                urgency: api::common::v1::Urgency::Red as i32,
            },
        ))
        .await
        .expect("submitted")
        .into_inner()
        .report_id;
    let case_id = intake
        .screen_report(with_token(
            &token,
            intake::ScreenReportRequest {
                command_id: Uuid::new_v4().to_string(),
                report_id: report_id.clone(),
                decided_at: Some(stamp("2024-03-05T08:00:00Z")),
                late_reason: late.clone(),
                children: vec![intake::ChildScreening {
                    outcome: Some(intake::child_screening::Outcome::InvestigationOpened(
                        intake::InvestigationOpened {},
                    )),
                    emergency_action: true,
                    urgency: api::common::v1::Urgency::Red as i32,
                    ..Default::default()
                }],
                ..Default::default()
            },
        ))
        .await
        .expect("screened")
        .into_inner()
        .cases
        .remove(0)
        .case_id;
    measures::measures_service_client::MeasuresServiceClient::new(channel.clone())
        .make_emergency_decision(with_token(
            &token,
            measures::MakeEmergencyDecisionRequest {
                command_id: Uuid::new_v4().to_string(),
                case_id: case_id.clone(),
                kind: measures::EmergencyKind::Placement as i32,
                grounds: "Acute danger at home.".into(),
                decided_at: Some(stamp("2024-03-05T09:00:00Z")),
                late_reason: late,
                ..Default::default()
            },
        ))
        .await
        .expect("decided");

    // Six weeks from 5 March: the last day is 16 April.
    let session = shared::dashboard_login(&dashboard, &token);
    let page = |as_of: &str| {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let page = shared::dashboard_get(
                &dashboard,
                &session,
                &format!("/cases?as_of={as_of}&effective_view=on"),
            );
            // The views apply the commands in the background.
            if page.contains("akuttvedtak") || Instant::now() > deadline {
                return page;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    let before = page("2024-04-15");
    assert!(
        before.contains("Begjæring etter akuttvedtak (omsorg)") && !before.contains("falt bort"),
        "{before}"
    );
    let after = page("2024-04-17");
    let lapsed = after
        .find("Akuttvedtaket har falt bort")
        .expect("the lapse is on the page");
    assert!(after.contains("barnevernsloven 2021 § 4-2"), "{after}");
    // First on the list: before the investigation's deadline.
    let investigation = after.find("Undersøkelse").unwrap_or(usize::MAX);
    assert!(lapsed < investigation, "{after}");

    // The case's timeline in Norwegian words with each event's key facts, not the events'
    // internal names; its running deadlines with their paragraphs; a link to its report; no
    // free text and no identity.
    let timeline = shared::dashboard_get(&dashboard, &session, &format!("/cases/{case_id}"));
    let never_shown = [
        "Acute danger at home.",
        "Synthetic report",
        "Synthetic Child",
        "2019-05-17",
        "Entered from the paper file.",
    ];
    assert!(
        timeline.contains("Akuttvedtak fattet")
            && !timeline.contains("EmergencyDecisionMade")
            && timeline.contains("nr. 1, plassering utenfor hjemmet")
            && timeline.contains("undersøkelse åpnet (kode 2)")
            && timeline.contains("Løpende frister")
            && timeline.contains("barnevernsloven 2021 § 4-2")
            && timeline.contains("registrert ")
            && timeline.contains(&format!(r#"href="/reports/{report_id}""#))
            && timeline.contains(&format!(
                r#"href="/cases/{case_id}/why/emergency_decision_lapsed""#
            )),
        "{timeline}"
    );
    // Why the decision lapsed: the decision that started the clock, and what is missing.
    let why = shared::dashboard_get(
        &dashboard,
        &session,
        &format!("/cases/{case_id}/why/emergency_decision_lapsed"),
    );
    assert!(
        why.starts_with("HTTP/1.1 200")
            && why.contains("Hvorfor fristen er brutt")
            && why.contains("Akuttvedtak fattet")
            && why.contains("startet klokken")
            && why.contains("16.04.2024")
            && why.contains("Mangler"),
        "{why}"
    );
    // The report's own page: its screening, the case it opened.
    let report = shared::dashboard_get(&dashboard, &session, &format!("/reports/{report_id}"));
    assert!(
        report.starts_with("HTTP/1.1 200")
            && report.contains("Melding gjennomgått")
            && report.contains(&format!(r#"href="/cases/{case_id}""#)),
        "{report}"
    );
    for page in [&timeline, &why, &report] {
        for text in never_shown {
            assert!(!page.contains(text), "{text:?} shown:\n{page}");
        }
    }
    let unknown = shared::dashboard_get(
        &dashboard,
        &session,
        &format!("/reports/{}", Uuid::new_v4()),
    );
    assert!(unknown.starts_with("HTTP/1.1 404"), "{unknown}");

    // The statistics form as a browser submits it, its empty fields meaning "the default";
    // a value that is not a number re-shows the form as sent, the field marked and named in
    // Norwegian, with the menu; nothing else is shown.
    let submitted = shared::dashboard_get(
        &dashboard,
        &session,
        "/statistics?municipality=&year=&period=quarter&number=&counting=kontrollutvalg&as_of=",
    );
    assert!(submitted.starts_with("HTTP/1.1 200"), "{submitted}");
    let refused =
        shared::dashboard_get(&dashboard, &session, "/statistics?year=twenty&period=half");
    assert!(
        refused.starts_with("HTTP/1.1 400")
            && refused.contains("År: må være et helt tall")
            && refused.contains(r#"<label class="invalid">År<input name="year" value="twenty""#)
            && refused.contains(r#"<option value="half" selected>"#)
            && refused.contains(r#"href="/report""#)
            && !refused.contains("<table"),
        "{refused}"
    );
    // The same for a bad date on the worklist, and a page that does not exist keeps the menu.
    let refused =
        shared::dashboard_get(&dashboard, &session, "/cases?as_of=2026-13-01&team=Mottak");
    assert!(
        refused.starts_with("HTTP/1.1 400")
            && refused.contains("Per dato: må være en dato")
            && refused.contains(r#"value="Mottak""#),
        "{refused}"
    );
    let missing = shared::dashboard_get(&dashboard, &session, "/nowhere");
    assert!(
        missing.starts_with("HTTP/1.1 404")
            && missing.contains("Fant ikke siden")
            && missing.contains(r#"href="/statistics""#),
        "{missing}"
    );

    // Markup in data stays text on every page: a team and a caseworker named with a script,
    // and a token whose subject is one (the header, the timeline's actor).
    let script = "<script>alert(1)</script>";
    api::investigation::v1::investigation_service_client::InvestigationServiceClient::new(channel)
        .assign_case(with_token(
            &token,
            api::investigation::v1::AssignCaseRequest {
                command_id: Uuid::new_v4().to_string(),
                case_id: case_id.clone(),
                team: script.into(),
                caseworker: script.into(),
                ..Default::default()
            },
        ))
        .await
        .expect("assigned");
    let scripted = leader(script);
    let session = shared::dashboard_login(&dashboard, &scripted);
    let escaped = "&lt;script&gt;alert(1)&lt;/script&gt;";
    let deadline = Instant::now() + Duration::from_secs(10);
    let cases = loop {
        let page = shared::dashboard_get(&dashboard, &session, "/cases");
        // Header, team and caseworker: three times once the assignment is in the view.
        if page.matches(escaped).count() >= 3 || Instant::now() > deadline {
            break page;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(cases.matches(escaped).count() >= 3, "{cases}");
    for path in [
        "/cases".to_owned(),
        "/letters".to_owned(),
        "/statistics".to_owned(),
        "/report".to_owned(),
        format!("/cases/{case_id}"),
        // An error page keeps the menu and who is logged in.
        "/nowhere".to_owned(),
    ] {
        let page = shared::dashboard_get(&dashboard, &session, &path);
        assert!(
            page.starts_with(if path == "/nowhere" {
                "HTTP/1.1 404"
            } else {
                "HTTP/1.1 200"
            }),
            "{path}: {page}"
        );
        assert!(
            !page.contains(script),
            "{path} carries the script as markup: {page}"
        );
        assert!(
            page.contains(escaped),
            "{path} shows the subject as text: {page}"
        );
    }
}
