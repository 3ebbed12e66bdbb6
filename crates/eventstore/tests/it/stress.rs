//! Many writers, out-of-order commits, aborts and a restarting subscriber: every committed
//! event is seen exactly once, in the order of a fresh full read, and per-stream order holds.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use eventstore::{Error, EventStore, ExpectedVersion, RecordedEvent};
use sqlx::{Connection as _, PgConnection};
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::subscription::{applied_ids, apply, create_applied_table};
use crate::{Rng, event, fresh_store, read_all_settled, request, stream_name, write};

const WRITERS: usize = 8;
const TRANSACTIONS_PER_WRITER: usize = 150;
const STREAMS: usize = 16;

/// Within the global log, each stream's versions appear as 1, 2, 3, ... with no gap.
fn assert_stream_order(all: &[RecordedEvent]) {
    let mut last_version: HashMap<&str, u64> = HashMap::new();
    for event in all {
        let last = last_version.entry(event.stream_id.as_str()).or_insert(0);
        assert_eq!(
            event.stream_version,
            *last + 1,
            "stream {} out of order at {}",
            event.stream_id,
            event.position
        );
        *last = event.stream_version;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_and_a_restarting_subscriber_agree_on_every_event() {
    let (db, store) = fresh_store().await;
    let seed = u64::from_le_bytes(Uuid::new_v4().as_bytes()[..8].try_into().unwrap());
    eprintln!("stress seed {seed}");
    let streams: Arc<Vec<String>> = Arc::new((0..STREAMS).map(|_| stream_name("case")).collect());
    let committed = Arc::new(Mutex::new(HashSet::new()));
    let writers_done = Arc::new(AtomicBool::new(false));

    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let (store, streams, committed) = (store.clone(), streams.clone(), committed.clone());
        let url = db.url().to_owned();
        writers.push(tokio::spawn(async move {
            let mut rng = Rng::new(seed.wrapping_add(writer as u64 * 7919));
            let mut connection = PgConnection::connect(&url).await.unwrap();
            for _ in 0..TRANSACTIONS_PER_WRITER {
                let first = rng.below(STREAMS as u64) as usize;
                let mut targets = vec![first];
                if rng.below(3) == 0 {
                    targets.push((first + 1 + rng.below(STREAMS as u64 - 1) as usize) % STREAMS);
                }
                let writes = targets
                    .iter()
                    .map(|&s| {
                        let events = (0..1 + rng.below(4) as usize).map(event).collect();
                        write(&streams[s], ExpectedVersion::Any, events)
                    })
                    .collect();
                let append = request(writes);
                let mut transaction = connection.begin().await.unwrap();
                store.append_in(&mut transaction, &append).await.unwrap();
                // Hold the commit a little, so commits land out of position order.
                tokio::time::sleep(Duration::from_micros(rng.below(3000))).await;
                if rng.below(10) == 0 {
                    transaction.rollback().await.unwrap();
                } else {
                    transaction.commit().await.unwrap();
                    let mut committed = committed.lock().await;
                    for write in &append.streams {
                        committed.extend(write.events.iter().map(|e| e.event_id));
                    }
                }
            }
        }));
    }

    let subscriber = {
        let (store, committed, writers_done) =
            (store.clone(), committed.clone(), writers_done.clone());
        let url = db.url().to_owned();
        tokio::spawn(async move {
            let mut connection = PgConnection::connect(&url).await.unwrap();
            create_applied_table(&mut connection).await;
            let open = |store: EventStore| async move {
                store
                    .subscribe("stress")
                    .await
                    .unwrap()
                    .with_batch_size(37)
                    .with_poll_interval(Duration::from_millis(20))
            };
            let mut subscription = open(store.clone()).await;
            let (mut applied, mut crashed_inside, mut restarted_between) = (0usize, false, false);
            loop {
                let batch = match tokio::time::timeout(
                    Duration::from_millis(200),
                    subscription.next_batch(),
                )
                .await
                {
                    Ok(batch) => batch.unwrap(),
                    Err(_) => Vec::new(),
                };
                if !batch.is_empty() {
                    if applied >= 800 && !crashed_inside {
                        // Killed while applying: the transaction never commits.
                        apply(&mut connection, &subscription, &batch, false).await;
                        crashed_inside = true;
                        subscription = open(store.clone()).await;
                        continue;
                    }
                    apply(&mut connection, &subscription, &batch, true).await;
                    applied += batch.len();
                    if applied >= 1600 && !restarted_between {
                        restarted_between = true;
                        subscription = open(store.clone()).await;
                    }
                }
                if writers_done.load(Ordering::SeqCst) && applied == committed.lock().await.len() {
                    assert!(crashed_inside && restarted_between, "restarts happened");
                    return applied;
                }
            }
        })
    };

    for writer in writers {
        writer.await.unwrap();
    }
    writers_done.store(true, Ordering::SeqCst);
    let applied = tokio::time::timeout(Duration::from_secs(300), subscriber)
        .await
        .expect("the subscriber catches up")
        .unwrap();

    let committed = committed.lock().await;
    let all = read_all_settled(&store, committed.len()).await;
    assert!(
        committed.len() > 2000,
        "thousands of events: {}",
        committed.len()
    );
    assert_eq!(applied, committed.len());
    let all_ids: Vec<Uuid> = all.iter().map(|e| e.event_id).collect();
    assert_eq!(all_ids.iter().copied().collect::<HashSet<_>>(), *committed);
    let mut connection = PgConnection::connect(db.url()).await.unwrap();
    assert_eq!(
        applied_ids(&mut connection).await,
        all_ids,
        "same events, same order"
    );
    assert_stream_order(&all);
    assert!(all.windows(2).all(|w| w[0].position < w[1].position));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writers_racing_on_one_stream_get_each_version_exactly_once() {
    let (db, store) = fresh_store().await;
    let stream = stream_name("case");
    let mut tasks = Vec::new();
    for writer in 0..8u64 {
        let (store, stream, url) = (store.clone(), stream.clone(), db.url().to_owned());
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng::new(writer + 1);
            let mut connection = PgConnection::connect(&url).await.unwrap();
            let (mut won, mut conflicts) = (Vec::new(), 0);
            for _ in 0..15 {
                let version = store.stream_version(&stream).await.unwrap();
                let expected = if version == 0 {
                    ExpectedVersion::NoStream
                } else {
                    ExpectedVersion::Exact(version)
                };
                let mut transaction = connection.begin().await.unwrap();
                let append = request(vec![write(&stream, expected, vec![event(0)])]);
                match store.append_in(&mut transaction, &append).await {
                    Ok(result) => {
                        tokio::time::sleep(Duration::from_micros(rng.below(2000))).await;
                        transaction.commit().await.unwrap();
                        won.push(result.version_of(&stream).unwrap());
                    }
                    Err(Error::Conflict { actual, .. }) => {
                        assert!(actual > version);
                        conflicts += 1;
                    }
                    Err(other) => panic!("unexpected {other:?}"),
                }
            }
            (won, conflicts)
        }));
    }
    let (mut won, mut conflicts) = (Vec::new(), 0);
    for task in tasks {
        let (w, c) = task.await.unwrap();
        won.extend(w);
        conflicts += c;
    }
    won.sort_unstable();

    let final_version = store.stream_version(&stream).await.unwrap();
    assert_eq!(
        won,
        (1..=final_version).collect::<Vec<_>>(),
        "each version won once"
    );
    assert_eq!(won.len() + conflicts, 8 * 15);
    assert!(conflicts > 0, "the writers did race");
    let all = read_all_settled(&store, final_version as usize).await;
    assert_stream_order(&all);
    assert_eq!(all.len() as u64, final_version);
}
