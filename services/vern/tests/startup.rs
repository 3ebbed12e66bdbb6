//! `vern up`'s start-up failures as a newcomer meets them: the real binary, a real
//! PostgreSQL, and the message read as a person reads it.

use std::path::Path;
use std::time::Duration;

use sqlx::Connection as _;

mod shared;
use shared::{DataDir, Running, embedded_url};

/// Both addresses taken: one error names both, each with the flag that changes it, and comes
/// before anything slow (no database was made).
#[test]
fn taken_ports_are_named_with_their_flags_before_the_database_is_made() {
    let data_dir = DataDir::new();
    let grpc = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dashboard = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (grpc_address, dashboard_address) = (
        grpc.local_addr().unwrap().to_string(),
        dashboard.local_addr().unwrap().to_string(),
    );
    let up = Running::start_exactly(
        &[
            "up",
            "--listen",
            &grpc_address,
            "--dashboard",
            &dashboard_address,
        ],
        &data_dir.0,
        &[],
    );
    let log = up.refused();
    for (address, flag) in [
        (&grpc_address, "--listen"),
        (&dashboard_address, "--dashboard"),
    ] {
        assert!(
            log.contains(&format!(
                "cannot listen on {address}: another process is listening there; choose another with {flag}"
            )),
            "{address} and {flag} not named in:\n{log}"
        );
    }
    assert!(
        !data_dir.0.join("postgres").exists(),
        "the database was made before the ports were checked"
    );

    // One taken: only that one is named.
    let up = Running::start_exactly(
        &[
            "up",
            "--listen",
            "127.0.0.1:0",
            "--dashboard",
            &dashboard_address,
        ],
        &data_dir.0,
        &[],
    );
    let log = up.refused();
    assert!(log.contains("choose another with --dashboard"), "{log}");
    assert!(!log.contains("choose another with --listen"), "{log}");
}

/// A local practice that is not one is refused naming the flag and the setting, before the
/// database is made.
#[test]
fn a_bad_local_practice_is_named_before_the_database_is_made() {
    let data_dir = DataDir::new();
    let up = Running::start_exactly(
        &[
            "up",
            "--listen",
            "127.0.0.1:0",
            "--no-dashboard",
            "--local-practice",
            "5501:acute_family_team_weeks=99",
        ],
        &data_dir.0,
        &[],
    );
    let log = up.refused();
    assert!(
        log.contains("--local-practice")
            && log.contains("5501:acute_family_team_weeks=99")
            && log.contains("1 to 52"),
        "{log}"
    );
    assert!(!data_dir.0.join("postgres").exists());
}

/// A second `vern up` on a data directory another one serves from is refused, naming the
/// first's process; `vern migrate` beside it still works.
#[test]
fn a_data_directory_in_use_names_the_vern_that_holds_it() {
    let data_dir = DataDir::new();
    let mut first = Running::start(&data_dir.0);
    first.wait_for("vern is up");

    let second = Running::start(&data_dir.0);
    let log = second.refused();
    assert!(
        log.contains(&format!(
            "is in use by another vern (process {}); stop it first, or give this one a data \
             directory of its own with --data-dir",
            first.pid()
        )),
        "{log}"
    );

    shared::vern_ok(&data_dir.0, &["migrate"]);

    let (status, log) = first.terminate();
    assert!(status.success(), "{}", log.join("\n"));
}

/// A private PostgreSQL still shutting down (a smart shutdown waits for its last client) is
/// waited for, and named with its process id when it does not finish; once it has, `vern up`
/// starts it again.
#[tokio::test]
async fn a_postgresql_shutting_down_is_waited_for_and_named() {
    let data_dir = DataDir::new();
    let mut first = Running::start(&data_dir.0);
    first.wait_for("vern is up");
    let url = embedded_url(&data_dir.0);
    // A crash: vern gone, its server running on.
    first.kill();
    let client = sqlx::PgConnection::connect(&url).await.unwrap();
    let postmaster = postmaster_pid(&data_dir.0);
    let signalled = std::process::Command::new("kill")
        .args(["-TERM", &postmaster.to_string()])
        .status()
        .unwrap();
    assert!(signalled.success());
    // It says it is stopping, and stays so while our client is connected.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let stopping =
        |data_dir: &Path| pid_file(data_dir).lines().nth(7).map(str::trim) == Some("stopping");
    while !stopping(&data_dir.0) {
        assert!(
            std::time::Instant::now() < deadline,
            "the server never said it was stopping"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let waiting = Running::start(&data_dir.0);
    let (status, log) = tokio::task::spawn_blocking(move || waiting.exit(Duration::from_secs(60)))
        .await
        .unwrap();
    let log = log.join("\n");
    assert!(!status.success(), "{log}");
    assert!(
        log.contains(&format!(
            "(process {postmaster}) is still shutting down after 10 s"
        )),
        "{log}"
    );
    assert!(log.contains("pg_ctl stop --mode=fast"), "{log}");
    assert!(!log.contains("pool timed out"), "{log}");

    // The client leaves while the next vern waits: the shutdown ends, and vern starts it again.
    let mut next = Running::start(&data_dir.0);
    next.wait_for("shutting down; waiting for it");
    client.close().await.unwrap();
    let next = tokio::task::spawn_blocking(move || {
        next.wait_for("vern is up");
        next
    })
    .await
    .unwrap();
    assert_ne!(postmaster_pid(&data_dir.0), postmaster, "a new server runs");
    let (status, log) = next.terminate();
    assert!(status.success(), "{}", log.join("\n"));
}

fn pid_file(data_dir: &Path) -> String {
    std::fs::read_to_string(data_dir.join("postgres/postmaster.pid")).unwrap_or_default()
}

fn postmaster_pid(data_dir: &Path) -> u32 {
    pid_file(data_dir)
        .lines()
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}
