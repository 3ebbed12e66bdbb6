// The helpers of the store's tests, shared by the two test binaries (`it` and `single`)
// through `include!`: each defines `GROUP_COMMIT` and the modules.

use std::time::{Duration, Instant};

use eventstore::{
    Actor, AppendRequest, EventMetadata, EventStore, ExpectedVersion, NewEvent, Position,
    RecordedEvent, StreamWrite,
};
use serde_json::json;
use testkit::TestDb;
use uuid::Uuid;

/// A migrated store on a database of its own, appending on the binary's path.
async fn fresh_store() -> (TestDb, EventStore) {
    testkit::init_test_log();
    let db = TestDb::new().await;
    let mut store = EventStore::new(db.pool().clone());
    if !GROUP_COMMIT {
        store = store.with_single_appends();
    }
    assert_eq!(store.groups_appends(), GROUP_COMMIT);
    store.migrate().await.expect("migrations run");
    (db, store)
}

/// The whole global log once it holds `count` events. Tests share one server, and an open
/// transaction in any database holds every reader back for a moment, so a committed event
/// becomes readable "soon", not "at once": wait for it, with a deadline.
async fn read_all_settled(store: &EventStore, count: usize) -> Vec<RecordedEvent> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut all = Vec::new();
        let mut after = Position::START;
        loop {
            let batch = store.read_all(after, 1000).await.unwrap();
            let Some(last) = batch.last() else { break };
            after = last.position;
            all.extend(batch);
        }
        if all.len() >= count {
            return all;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {count} events readable",
            all.len()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Every row in `events`, readable or not yet: for "nothing was written" checks.
async fn stored_count(store: &EventStore) -> i64 {
    sqlx::query_scalar("select count(*) from events")
        .fetch_one(store.pool())
        .await
        .unwrap()
}

fn actor() -> Actor {
    Actor {
        subject: "caseworker-17".into(),
        role: "caseworker".into(),
        municipality: Some("5035".into()),
    }
}

fn event(n: usize) -> NewEvent {
    NewEvent::new("TestHappened", 1, json!({ "n": n }))
}

fn write(stream_id: &str, expected: ExpectedVersion, events: Vec<NewEvent>) -> StreamWrite {
    StreamWrite {
        stream_id: stream_id.to_owned(),
        expected,
        municipality: Some("5035".into()),
        events,
    }
}

/// One command's append to the given streams, under a new command id.
fn request(streams: Vec<StreamWrite>) -> AppendRequest {
    AppendRequest {
        command_fingerprint: None,
        metadata: EventMetadata::for_command(Uuid::new_v4(), actor()),
        streams,
    }
}

fn stream_name(category: &str) -> String {
    format!("{category}-{}", Uuid::new_v4())
}

/// A small deterministic generator, so a failing run can be repeated from its seed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    fn below(&mut self, n: u64) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}
