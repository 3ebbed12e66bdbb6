//! The global log never hands a reader an event that a later read would place before it.

use std::time::Duration;

use eventstore::{ExpectedVersion, Position};
use sqlx::{Connection as _, PgConnection};

use crate::{event, fresh_store, read_all_settled, request, stream_name, write};

#[tokio::test]
async fn a_reader_waits_for_an_earlier_transaction_that_commits_late() {
    let (db, store) = fresh_store().await;
    let stream_a = stream_name("report");
    let stream_b = stream_name("report");
    let mut connection_a = PgConnection::connect(db.url()).await.unwrap();

    // A appends and holds its commit.
    let mut transaction_a = connection_a.begin().await.unwrap();
    let appended_a = store
        .append_in(
            &mut transaction_a,
            &request(vec![write(
                &stream_a,
                ExpectedVersion::NoStream,
                vec![event(1)],
            )]),
        )
        .await
        .unwrap();
    // B appends and commits: it has a larger position and commits first.
    let appended_b = store
        .append(&request(vec![write(
            &stream_b,
            ExpectedVersion::NoStream,
            vec![event(2)],
        )]))
        .await
        .unwrap();
    assert!(appended_b.last_position.global_position > appended_a.last_position.global_position);

    // A reader meanwhile must not return B, or it would skip A for ever.
    assert!(
        store
            .read_all(Position::START, 100)
            .await
            .unwrap()
            .is_empty()
    );
    let mut subscription = store.subscribe("reader").await.unwrap();
    assert!(subscription.try_next_batch().await.unwrap().is_empty());
    // Other tests share the server, so A need not be the oldest open transaction; but one is open.
    let horizon = store.horizon().await.unwrap();
    assert!(horizon.oldest_open_transaction_pid.is_some());
    assert!(horizon.oldest_open_transaction_age.is_some());
    assert!(horizon.xmin <= appended_a.last_position.transaction_id);

    transaction_a.commit().await.unwrap();

    let all = read_all_settled(&store, 2).await;
    let streams: Vec<_> = all.iter().map(|e| e.stream_id.as_str()).collect();
    assert_eq!(streams, [stream_a.as_str(), stream_b.as_str()]);
    let batch = tokio::time::timeout(Duration::from_secs(30), subscription.next_batch())
        .await
        .expect("the subscription wakes up")
        .unwrap();
    assert_eq!(batch, all);
}

#[tokio::test]
async fn a_reader_moves_past_a_transaction_that_rolls_back() {
    let (db, store) = fresh_store().await;
    let stream_a = stream_name("report");
    let stream_b = stream_name("report");
    let mut connection_a = PgConnection::connect(db.url()).await.unwrap();

    let mut transaction_a = connection_a.begin().await.unwrap();
    store
        .append_in(
            &mut transaction_a,
            &request(vec![write(
                &stream_a,
                ExpectedVersion::NoStream,
                vec![event(1)],
            )]),
        )
        .await
        .unwrap();
    store
        .append(&request(vec![write(
            &stream_b,
            ExpectedVersion::NoStream,
            vec![event(2)],
        )]))
        .await
        .unwrap();
    let mut subscription = store.subscribe("reader").await.unwrap();
    assert!(subscription.try_next_batch().await.unwrap().is_empty());

    transaction_a.rollback().await.unwrap();

    // The abort sends no notification: the polling fallback must find B.
    let mut subscription = subscription.with_poll_interval(Duration::from_millis(50));
    let batch = tokio::time::timeout(Duration::from_secs(30), subscription.next_batch())
        .await
        .expect("polling finds the event")
        .unwrap();
    assert_eq!(batch.len(), 1);
    assert_eq!(batch[0].stream_id, stream_b);
    assert_eq!(store.stream_version(&stream_a).await.unwrap(), 0);
}

#[tokio::test]
async fn a_live_subscriber_is_woken_by_a_commit() {
    let (_db, store) = fresh_store().await;
    let stream = stream_name("case");
    // A long poll interval: only the notification can wake it within the deadline below.
    let mut subscription = store
        .subscribe("live")
        .await
        .unwrap()
        .with_poll_interval(Duration::from_secs(3600));
    let waiting = tokio::spawn(async move { subscription.next_batch().await });

    store
        .append(&request(vec![write(
            &stream,
            ExpectedVersion::NoStream,
            vec![event(1)],
        )]))
        .await
        .unwrap();

    let batch = tokio::time::timeout(Duration::from_secs(30), waiting)
        .await
        .expect("woken by NOTIFY")
        .unwrap()
        .unwrap();
    assert_eq!(batch[0].stream_id, stream);
}
