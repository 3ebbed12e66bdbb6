//! Group commit's own promises: each command of a batch gets its own result, in arrival
//! order; a batch that fails as a whole writes nothing, and the committer then retries each
//! command alone.

use std::collections::HashSet;

use eventstore::{Error, ExpectedVersion, NewEvent};
use serde_json::json;

use crate::{event, fresh_store, read_all_settled, request, stored_count, stream_name, write};

#[tokio::test]
async fn each_command_of_a_batch_gets_its_own_result_in_arrival_order() {
    let (_db, store) = fresh_store().await;
    let first_stream = stream_name("report");
    let (second, third) = (stream_name("case"), stream_name("report"));

    let mut opens = request(vec![write(
        &first_stream,
        ExpectedVersion::NoStream,
        vec![event(1)],
    )]);
    opens.command_fingerprint = Some(vec![1]);
    // Sees the first command's event: arrival order within the batch.
    let follows = request(vec![write(
        &first_stream,
        ExpectedVersion::Exact(1),
        vec![event(2), event(3)],
    )]);
    // Expects what the stream was before `follows`: a conflict, its own only.
    let stale = request(vec![write(
        &first_stream,
        ExpectedVersion::Exact(1),
        vec![event(4)],
    )]);
    // `opens` again, with fresh event ids as a resending client makes: a replay.
    let mut again = opens.clone();
    again.streams[0].events = vec![event(1)];
    let opens_again = again.clone();
    // `opens`'s id with another command: refused, not replayed.
    let mut reused = request(vec![write(&third, ExpectedVersion::Any, vec![event(5)])]);
    reused.metadata.command_id = opens.metadata.command_id;
    reused.command_fingerprint = Some(vec![2]);
    let two_streams = request(vec![
        write(&second, ExpectedVersion::NoStream, vec![event(6)]),
        write(&third, ExpectedVersion::NoStream, vec![event(7), event(8)]),
    ]);

    let results = store
        .append_batch(&[opens, follows, stale, again, reused, two_streams])
        .await
        .expect("the batch commits");
    let [opened, followed, conflict, replayed, refused, both] =
        <[_; 6]>::try_from(results).expect("one result per command");

    let opened = opened.expect("the first command is written");
    assert!(!opened.replayed);
    assert_eq!(opened.version_of(&first_stream), Some(1));
    let followed = followed.expect("the second sees the first's event");
    assert_eq!(followed.version_of(&first_stream), Some(3));
    assert!(
        matches!(conflict, Err(Error::Conflict { ref stream_id, expected: ExpectedVersion::Exact(1), actual: 3 }) if *stream_id == first_stream),
        "{conflict:?}"
    );
    let replayed = replayed.expect("a replay answers the first result");
    assert!(replayed.replayed);
    assert_eq!(replayed.first_position, opened.first_position);
    assert!(
        matches!(refused, Err(Error::CommandIdReused { .. })),
        "{refused:?}"
    );
    let both = both.expect("the two-stream command is written");
    assert_eq!(both.version_of(&second), Some(1));
    assert_eq!(both.version_of(&third), Some(2));

    // One transaction, positions in arrival order, nothing of the refused ones.
    assert_eq!(stored_count(&store).await, 6);
    let transaction = opened.first_position.transaction_id;
    assert!(
        [followed.last_position, both.first_position]
            .iter()
            .all(|p| p.transaction_id == transaction)
    );
    assert!(opened.last_position < followed.first_position);
    assert!(followed.last_position < both.first_position);
    let all = read_all_settled(&store, 6).await;
    let payloads: Vec<_> = all.iter().map(|e| e.payload["n"].clone()).collect();
    assert_eq!(
        payloads,
        [1, 2, 3, 6, 7, 8].map(|n| json!(n)).to_vec(),
        "the log keeps arrival order"
    );
    // Each result names its own first and last event.
    let at = |n: i64| {
        all.iter()
            .find(|e| e.payload["n"] == json!(n))
            .map(|e| e.position)
            .unwrap()
    };
    assert_eq!(
        (opened.first_position, opened.last_position),
        (at(1), at(1))
    );
    assert_eq!(
        (followed.first_position, followed.last_position),
        (at(2), at(3))
    );
    assert_eq!((both.first_position, both.last_position), (at(6), at(8)));
    assert_eq!(store.stream_version(&first_stream).await.unwrap(), 3);
    assert_eq!(store.stream_version(&third).await.unwrap(), 2);

    // A later batch that writes nothing: a replay of a stored command and a conflict.
    let stale_again = request(vec![write(
        &first_stream,
        ExpectedVersion::NoStream,
        vec![event(9)],
    )]);
    let results = store
        .append_batch(&[opens_again, stale_again])
        .await
        .expect("the batch commits");
    let replay = results[0].as_ref().expect("a replay");
    assert!(replay.replayed);
    assert_eq!(replay.last_position, opened.last_position);
    assert!(
        matches!(results[1], Err(Error::Conflict { actual: 3, .. })),
        "{:?}",
        results[1]
    );
    assert_eq!(stored_count(&store).await, 6);
}

#[tokio::test]
async fn a_batch_that_fails_as_a_whole_writes_nothing() {
    let (_db, store) = fresh_store().await;
    let shared = NewEvent::new("TestHappened", 1, json!({"n": 1}));
    let one = request(vec![write(
        &stream_name("report"),
        ExpectedVersion::Any,
        vec![shared.clone()],
    )]);
    let other = request(vec![write(
        &stream_name("report"),
        ExpectedVersion::Any,
        vec![shared.clone()],
    )]);

    let error = store.append_batch(&[one, other]).await.unwrap_err();

    assert!(
        matches!(error, Error::DuplicateEventId(id) if id == shared.event_id),
        "{error:?}"
    );
    assert_eq!(stored_count(&store).await, 0);
}

/// Through `append`, as the command path calls it: appends sent together are committed
/// together, and one whose batch fails (an event id already stored) costs only itself.
#[tokio::test]
async fn concurrent_appends_commit_together_and_a_failing_one_fails_alone() {
    let (_db, store) = fresh_store().await;
    let stored = event(0);
    let taken = stream_name("report");
    store
        .append(&request(vec![write(
            &taken,
            ExpectedVersion::NoStream,
            vec![stored.clone()],
        )]))
        .await
        .unwrap();

    let fresh = |from: usize, to: usize| -> Vec<_> {
        (from..to)
            .map(|n| {
                request(vec![write(
                    &stream_name("report"),
                    ExpectedVersion::NoStream,
                    vec![event(n)],
                )])
            })
            .collect()
    };

    // Sent at once from one task: all queue before the committer runs. One conflicts with a
    // stream that exists: its own result, the others' batch commits.
    let mut requests = fresh(1, 21);
    requests[10].streams[0].stream_id = taken.clone();
    let results = join_all(&store, &requests).await;
    assert!(
        matches!(results[10], Err(Error::Conflict { actual: 1, .. })),
        "{:?}",
        results[10]
    );
    let written = all_written_but(&results, 10);
    let transactions: HashSet<_> = written
        .iter()
        .map(|r| r.first_position.transaction_id)
        .collect();
    assert!(
        transactions.len() < written.len(),
        "appends sent together shared no transaction: {} transactions for {} commands",
        transactions.len(),
        written.len()
    );

    // An event id already in the log fails its whole transaction in the database: the
    // committer retries each command alone, and only that one fails.
    let mut requests = fresh(21, 31);
    requests[5].streams[0].events = vec![stored.clone()];
    let results = join_all(&store, &requests).await;
    assert!(
        matches!(results[5], Err(Error::DuplicateEventId(id)) if id == stored.event_id),
        "{:?}",
        results[5]
    );
    all_written_but(&results, 5);
    assert_eq!(stored_count(&store).await, 1 + 19 + 9);
}

/// Every result but the one at `failed`, each a fresh write.
fn all_written_but(
    results: &[Result<eventstore::AppendResult, Error>],
    failed: usize,
) -> Vec<&eventstore::AppendResult> {
    results
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != failed)
        .map(|(i, result)| {
            let result = result
                .as_ref()
                .unwrap_or_else(|e| panic!("command {i}: {e}"));
            assert!(!result.replayed, "command {i} replayed");
            result
        })
        .collect()
}

/// Every append polled at once from this task, each to its end.
async fn join_all(
    store: &eventstore::EventStore,
    requests: &[eventstore::AppendRequest],
) -> Vec<Result<eventstore::AppendResult, Error>> {
    let mut pending: Vec<_> = requests
        .iter()
        .map(|request| Box::pin(store.append(request)))
        .collect();
    let mut results: Vec<Option<Result<_, Error>>> = requests.iter().map(|_| None).collect();
    std::future::poll_fn(|context| {
        let mut waiting = false;
        for (future, result) in pending.iter_mut().zip(results.iter_mut()) {
            if result.is_none() {
                match future.as_mut().poll(context) {
                    std::task::Poll::Ready(done) => *result = Some(done),
                    std::task::Poll::Pending => waiting = true,
                }
            }
        }
        if waiting {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    results.into_iter().map(Option::unwrap).collect()
}

/// A database that cannot be reached: every append of the batch is answered unavailable (the
/// error a caller may send again after), not a generic database error.
#[tokio::test]
async fn appends_to_an_unreachable_database_are_answered_unavailable() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let pool = sqlx::postgres::PgPoolOptions::new()
        .acquire_timeout(std::time::Duration::from_millis(500))
        .connect_lazy(&format!("postgres://vern@127.0.0.1:{port}/vern"))
        .unwrap();
    let store = eventstore::EventStore::new(pool);
    assert!(store.groups_appends());
    let requests: Vec<_> = (0..12)
        .map(|n| {
            request(vec![write(
                &stream_name("report"),
                ExpectedVersion::NoStream,
                vec![event(n)],
            )])
        })
        .collect();

    let results = join_all(&store, &requests).await;

    for (i, result) in results.iter().enumerate() {
        match result {
            Err(error) => assert!(error.is_unavailable(), "command {i}: {error:?}"),
            Ok(written) => panic!("command {i} written to no database: {written:?}"),
        }
    }
}
