//! Two `vern up` processes on one PostgreSQL, as `deploy/kubernetes` runs them: commands to
//! either, each view applied by exactly one of them, read-your-writes through either, and when
//! one is killed under load its views move to the other with nothing acknowledged lost.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use api::worklist::v1 as worklist;
use sqlx::postgres::PgPoolOptions;

mod shared;
use shared::{DataDir, Running, listening_on};

const VIEWS: [&str; 4] = ["case_timeline", "worklist", "caseload", "statistics"];

/// The views a process's log says it took, so far.
fn views_taken(log: &[String]) -> Vec<&'static str> {
    VIEWS
        .into_iter()
        .filter(|view| {
            log.iter().any(|line| {
                line.contains("projection running")
                    && line.contains(&format!("projection=\"{view}\""))
            })
        })
        .collect()
}

fn worklist_client(
    address: std::net::SocketAddr,
    token: &str,
) -> worklist::worklist_service_client::WorklistServiceClient<
    tonic::service::interceptor::InterceptedService<
        tonic::transport::Channel,
        impl tonic::service::Interceptor + Clone,
    >,
> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{address}"))
        .unwrap()
        .connect_lazy();
    let bearer: tonic::metadata::MetadataValue<_> = format!("Bearer {token}").parse().unwrap();
    worklist::worklist_service_client::WorklistServiceClient::with_interceptor(
        channel,
        move |mut request: tonic::Request<()>| {
            request
                .metadata_mut()
                .insert("authorization", bearer.clone());
            Ok(request)
        },
    )
}

/// The reports whose deadlines the worklist lists, read through `client` once it has applied
/// `position`.
async fn listed_reports<I>(
    client: &mut worklist::worklist_service_client::WorklistServiceClient<
        tonic::service::interceptor::InterceptedService<tonic::transport::Channel, I>,
    >,
    position: Option<api::common::v1::Position>,
) -> HashSet<String>
where
    I: tonic::service::Interceptor,
{
    let mut listed = HashSet::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_cases_needing_review(worklist::ListCasesNeedingReviewRequest {
                municipalities: vec!["5035".into()],
                all_running: true,
                page_size: 1000,
                page_token: page_token.clone(),
                min_position: position,
                ..Default::default()
            })
            .await
            .expect("listed")
            .into_inner();
        listed.extend(page.items.into_iter().map(|item| item.report_id));
        if page.next_page_token.is_empty() {
            return listed;
        }
        page_token = page.next_page_token;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_one_database_and_one_takes_over_when_the_other_is_killed() {
    let db = testkit::TestDb::new().await;
    let (first_dir, second_dir) = (DataDir::new(), DataDir::new());
    let url = ["--database-url", db.url()];
    let mut first = Running::start_with(&first_dir.0, &url);
    let first_address: std::net::SocketAddr =
        listening_on(&first.wait_for("vern is up")).parse().unwrap();
    // One installation: the second serves with the first's signing key, as the replicas of
    // deploy/kubernetes share theirs from one secret.
    std::fs::create_dir_all(&second_dir.0).unwrap();
    std::fs::copy(
        first_dir.0.join("signing.key"),
        second_dir.0.join("signing.key"),
    )
    .unwrap();
    let mut second = Running::start_with(&second_dir.0, &url);
    let second_address: std::net::SocketAddr = listening_on(&second.wait_for("vern is up"))
        .parse()
        .unwrap();
    let token = shared::staff_token(&first_dir.0);

    // Every view is applied by exactly one of them: the first took all four, the second waits.
    for view in VIEWS {
        while !views_taken(first.said()).contains(&view) {
            first.wait_for("projection running");
        }
    }
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(views_taken(first.said()), VIEWS);
    assert!(views_taken(second.said()).is_empty(), "{:?}", second.said());

    // Commands to either, read through the other once it has applied their position.
    let mut clients = [first_address, second_address]
        .map(|address| vern::demo::Clients::new(address, token.trim()).unwrap());
    let mut readers =
        [first_address, second_address].map(|address| worklist_client(address, &token));
    let mut rng = vern::demo::Rng::new(7);
    let today = chrono::Utc::now().date_naive();
    for (to, through) in [(0, 1), (1, 0)] {
        let lifecycle = vern::demo::Lifecycle::new("5035".into(), to as u64, true);
        let answer = clients[to]
            .intake
            .submit_report(vern::demo::submit(&lifecycle, today, &mut rng))
            .await
            .expect("submitted")
            .into_inner();
        let position = answer.result.and_then(|result| result.position);
        assert!(
            listed_reports(&mut readers[through], position)
                .await
                .contains(&answer.report_id),
            "a report submitted to instance {to} is not on instance {through}'s worklist"
        );
    }

    // Load on both; then the first, which applies every view, is killed.
    let acknowledged = Arc::new(Mutex::new(Vec::<(String, usize)>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let killed = Arc::new(AtomicBool::new(false));
    let mut callers = tokio::task::JoinSet::new();
    for caller in 0..8usize {
        let instance = caller % 2;
        let address = [first_address, second_address][instance];
        let clients = vern::demo::Clients::new(address, token.trim()).unwrap();
        let (acknowledged, stop, killed) = (acknowledged.clone(), stop.clone(), killed.clone());
        callers.spawn(shared::submit_reports(
            clients,
            100 + caller as u64,
            move |report_id| {
                acknowledged.lock().unwrap().push((report_id, instance));
                !stop.load(Ordering::SeqCst)
            },
            // Only the killed instance's callers may fail, and only once it is killed.
            move |status| {
                assert!(
                    instance == 0 && killed.load(Ordering::SeqCst),
                    "instance {instance} refused: {status:?}"
                )
            },
        ));
    }
    shared::load_going(&acknowledged, 200).await;
    killed.store(true, Ordering::SeqCst);
    first.kill();
    let killed_at = Instant::now();

    // The second takes every view within 5 s, while its callers go on.
    let mut taken = Vec::new();
    while taken.len() < VIEWS.len() {
        assert!(
            killed_at.elapsed() < Duration::from_secs(5),
            "after 5 s the second has taken only {taken:?}:\n{}",
            second.said().join("\n")
        );
        taken = views_taken(second.said());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let took = killed_at.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::SeqCst);
    while let Some(caller) = callers.join_next().await {
        caller.expect("a caller failed");
    }

    // Nothing acknowledged by either is lost or stored twice, and the second's worklist,
    // caught up to the log's end, lists every one.
    let acknowledged = acknowledged.lock().unwrap().clone();
    let streams: Vec<String> = acknowledged
        .iter()
        .map(|(report, _)| format!("report-{report}"))
        .collect();
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(db.url())
        .await
        .unwrap();
    let stored = shared::reports_received(&pool, &streams).await;
    assert_eq!(
        stored.len(),
        acknowledged.len(),
        "acknowledged reports lost"
    );
    assert!(stored.iter().all(|(_, n)| *n == 1), "a report stored twice");
    pool.close().await;
    let mut reader = worklist_client(second_address, &token);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let listed = listed_reports(&mut reader, None).await;
        let missing = acknowledged
            .iter()
            .filter(|(report, _)| !listed.contains(report))
            .count();
        if missing == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{missing} acknowledged reports never reached the second's worklist"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let from_first = acknowledged.iter().filter(|(_, at)| *at == 0).count();
    eprintln!(
        "{} acknowledged ({from_first} by the killed instance); the second took the views \
         {took:?} after the kill",
        acknowledged.len()
    );
    let (status, log) = second.terminate();
    assert!(status.success(), "exit {status}:\n{}", log.join("\n"));
}
