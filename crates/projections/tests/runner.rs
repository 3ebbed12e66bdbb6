//! The projection runner against a real PostgreSQL: it applies every event once, two runners
//! never both apply, and a runner that dies mid-batch leaves no duplicate.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use eventstore::{
    Actor, AppendRequest, EventMetadata, EventStore, ExpectedVersion, NewEvent, RecordedEvent,
    StreamWrite,
};
use projections::timeline::{CaseTimeline, case_timeline};
use projections::{Error, Memory, Projection, Runner};
use serde_json::json;
use sqlx::PgConnection;
use testkit::TestDb;
use uuid::Uuid;

async fn setup() -> (TestDb, EventStore) {
    testkit::init_test_log();
    let db = TestDb::new().await;
    let store = EventStore::new(db.pool().clone());
    let views = projections::views(&domain::rules::RuleBook::norwegian());
    store.migrate().await.unwrap();
    projections::migrate(db.pool(), &views).await.unwrap();
    // Both migration sets, run again in either order, stay happy together.
    store.migrate().await.unwrap();
    projections::migrate(db.pool(), &views).await.unwrap();
    (db, store)
}

async fn append_case_events(store: &EventStore, case_id: Uuid, count: usize) {
    for n in 0..count {
        let actor = Actor {
            subject: format!("caseworker-{n}"),
            role: "caseworker".into(),
            municipality: Some("5035".into()),
        };
        store
            .append(&AppendRequest {
                command_fingerprint: None,
                metadata: EventMetadata::for_command(Uuid::new_v4(), actor),
                streams: vec![StreamWrite {
                    stream_id: format!("case-{case_id}"),
                    expected: ExpectedVersion::Any,
                    municipality: Some("5035".into()),
                    events: vec![NewEvent::new(
                        "InvestigationActivityRecorded",
                        1,
                        json!({ "n": n }),
                    )],
                }],
            })
            .await
            .unwrap();
    }
}

async fn rows(db: &TestDb, case_id: Uuid) -> usize {
    case_timeline(db.pool(), case_id).await.unwrap().len()
}

async fn wait_for_rows(db: &TestDb, case_id: Uuid, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while rows(db, case_id).await < count {
        assert!(Instant::now() < deadline, "the projection did not catch up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_timeline_holds_every_case_event_in_order_with_actor_and_time() {
    let (db, store) = setup().await;
    let case_id = Uuid::new_v4();
    append_case_events(&store, case_id, 5).await;
    // A report event: not part of any case's timeline.
    store
        .append(&AppendRequest {
            command_fingerprint: None,
            metadata: EventMetadata::for_command(
                Uuid::new_v4(),
                Actor {
                    subject: "portal".into(),
                    role: "reporter_portal".into(),
                    municipality: None,
                },
            ),
            streams: vec![StreamWrite {
                stream_id: format!("report-{}", Uuid::new_v4()),
                expected: ExpectedVersion::NoStream,
                municipality: None,
                events: vec![NewEvent::new("ReportReceived", 1, json!({}))],
            }],
        })
        .await
        .unwrap();

    let runner =
        Runner::new(store.clone(), CaseTimeline).with_poll_interval(Duration::from_millis(20));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(async move {
        runner
            .run(async {
                let _ = stopped.await;
            })
            .await
    });
    wait_for_rows(&db, case_id, 5).await;
    let status = projections::status(&store, "case_timeline").await.unwrap();

    let timeline = case_timeline(db.pool(), case_id).await.unwrap();
    let stored = store
        .read_stream(&format!("case-{case_id}"), 1, 100)
        .await
        .unwrap();
    assert_eq!(timeline.len(), 5);
    for (entry, event) in timeline.iter().zip(&stored) {
        assert_eq!(entry.stream_version as u64, event.stream_version);
        assert_eq!(entry.event_type, "InvestigationActivityRecorded");
        assert_eq!(entry.actor_subject, event.metadata.actor.subject);
        assert_eq!(entry.recorded_at, event.recorded_at);
    }
    let _ = stop.send(());
    running.await.unwrap().unwrap();
    assert!(status.events_behind <= 1, "{status:?}");
}

/// The timeline, counting batches, failing once after `fail_after` events if asked.
struct Flaky {
    applied: Arc<AtomicUsize>,
    fail_after: Option<usize>,
}

impl Projection for Flaky {
    fn name(&self) -> &'static str {
        "case_timeline"
    }

    fn tables(&self) -> &'static [&'static str] {
        CaseTimeline.tables()
    }

    fn schema(&self) -> &'static str {
        CaseTimeline.schema()
    }

    async fn apply(
        &self,
        transaction: &mut PgConnection,
        event: &RecordedEvent,
        memory: &mut Memory,
    ) -> Result<(), Error> {
        let n = self.applied.fetch_add(1, Ordering::SeqCst);
        if self.fail_after == Some(n) {
            return Err(Error::Apply {
                projection: "case_timeline",
                position: event.position,
                reason: "killed mid-batch".into(),
            });
        }
        CaseTimeline.apply(transaction, event, memory).await
    }
}

#[tokio::test]
async fn a_runner_killed_mid_batch_resumes_without_duplicates() {
    let (db, store) = setup().await;
    let case_id = Uuid::new_v4();
    append_case_events(&store, case_id, 30).await;
    // All readable first, so the batch boundaries below do not depend on other tests' transactions.
    let deadline = Instant::now() + Duration::from_secs(60);
    while projections::status(&store, "case_timeline")
        .await
        .unwrap()
        .events_behind
        < 30
    {
        assert!(Instant::now() < deadline, "events never became readable");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let applied = Arc::new(AtomicUsize::new(0));
    let dying = Runner::new(
        store.clone(),
        Flaky {
            applied: applied.clone(),
            fail_after: Some(17),
        },
    )
    .with_batch_size(10)
    .with_poll_interval(Duration::from_millis(20));
    let error = dying.run(std::future::pending()).await.unwrap_err();
    assert!(error.to_string().contains("killed mid-batch"), "{error}");
    // The batch that died rolled back whole: only the first full batch stands.
    assert_eq!(rows(&db, case_id).await, 10);

    let restarted = Runner::new(
        store.clone(),
        Flaky {
            applied,
            fail_after: None,
        },
    )
    .with_batch_size(10)
    .with_poll_interval(Duration::from_millis(20));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(async move {
        restarted
            .run(async {
                let _ = stopped.await;
            })
            .await
    });
    wait_for_rows(&db, case_id, 30).await;
    let _ = stop.send(());
    running.await.unwrap().unwrap();
    let versions: Vec<i64> = case_timeline(db.pool(), case_id)
        .await
        .unwrap()
        .iter()
        .map(|e| e.stream_version)
        .collect();
    assert_eq!(versions, (1..=30).collect::<Vec<_>>());
}

#[tokio::test]
async fn two_runners_on_one_projection_never_both_apply() {
    let (db, store) = setup().await;
    let case_id = Uuid::new_v4();
    let first_count = Arc::new(AtomicUsize::new(0));
    let second_count = Arc::new(AtomicUsize::new(0));
    let mut stops = Vec::new();
    let mut tasks = Vec::new();
    for counter in [first_count.clone(), second_count.clone()] {
        let runner = Runner::new(
            store.clone(),
            Flaky {
                applied: counter,
                fail_after: None,
            },
        )
        .with_batch_size(7)
        .with_poll_interval(Duration::from_millis(20));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        stops.push(stop);
        tasks.push(tokio::spawn(async move {
            runner
                .run(async {
                    let _ = stopped.await;
                })
                .await
        }));
    }

    append_case_events(&store, case_id, 40).await;
    wait_for_rows(&db, case_id, 40).await;

    // Exactly one of them applied, all of it; the other stood by.
    let (first, second) = (
        first_count.load(Ordering::SeqCst),
        second_count.load(Ordering::SeqCst),
    );
    assert_eq!(first + second, 40, "{first} + {second}");
    assert!(first == 0 || second == 0, "{first} and {second}");
    // The view's own lock, in this test's database (advisory locks are per database, and
    // other tests share the server): held by exactly one of the two.
    let holders: i64 = sqlx::query_scalar(
        "select count(*) from pg_locks where locktype = 'advisory' and granted \
           and database = (select oid from pg_database where datname = current_database()) \
           and ((classid::bigint << 32) | objid::bigint) \
               = hashtextextended('vern.projection/case_timeline', 0)",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(holders, 1);
    for stop in stops {
        let _ = stop.send(());
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn waiting_for_a_position_gives_up_in_time_and_passes_one_reached() {
    let (db, _store) = setup().await;
    let far = eventstore::Position {
        transaction_id: u64::from(u32::MAX),
        global_position: i64::MAX,
    };
    let pool = db.pool();
    assert!(
        !projections::wait_for(pool, "case_timeline", far, Duration::from_millis(50))
            .await
            .unwrap()
    );
    assert!(
        projections::wait_for(
            pool,
            "case_timeline",
            eventstore::Position::START,
            Duration::from_millis(50)
        )
        .await
        .unwrap()
    );
}

#[tokio::test]
async fn status_counts_the_events_an_open_transaction_holds_back() {
    let (db, store) = setup().await;
    append_case_events(&store, Uuid::new_v4(), 2).await;
    // Other tests' transactions share the cluster's horizon: wait until it has passed these.
    let behind = |events: i64| {
        let store = store.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                let status = projections::status(&store, "case_timeline").await.unwrap();
                if status.events_behind == events {
                    return status;
                }
                assert!(Instant::now() < deadline, "{status:?}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    behind(2).await;
    // A transaction that has an id and stays open: everything committed after it waits.
    let mut holder = db.pool().begin().await.unwrap();
    sqlx::query("select pg_current_xact_id()")
        .execute(&mut *holder)
        .await
        .unwrap();
    append_case_events(&store, Uuid::new_v4(), 3).await;

    let status = projections::status(&store, "case_timeline").await.unwrap();
    assert!(status.events_waiting >= 3, "{status:?}");
    assert_eq!(
        status.events_behind + status.events_waiting,
        5,
        "{status:?}"
    );

    holder.rollback().await.unwrap();
    let status = behind(5).await;
    assert_eq!(status.events_waiting, 0, "{status:?}");
}
