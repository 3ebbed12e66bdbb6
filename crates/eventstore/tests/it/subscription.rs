//! A subscriber that saves its checkpoint in its own transaction applies every event once,
//! across crashes between and inside batches.

use eventstore::{ExpectedVersion, RecordedEvent, Subscription};
use sqlx::{Connection as _, PgConnection};

use crate::{event, fresh_store, read_all_settled, request, stream_name, write};

/// The subscriber's own table: a unique event id makes any double apply an error.
pub(crate) async fn create_applied_table(connection: &mut PgConnection) {
    sqlx::query(
        "create table applied (seq bigint generated always as identity, event_id uuid primary key)",
    )
    .execute(connection)
    .await
    .unwrap();
}

/// Applies a batch and saves the checkpoint in one transaction; commits only when asked.
pub(crate) async fn apply(
    connection: &mut PgConnection,
    subscription: &Subscription,
    batch: &[RecordedEvent],
    commit: bool,
) {
    let mut transaction = connection.begin().await.unwrap();
    for event in batch {
        sqlx::query("insert into applied (event_id) values ($1)")
            .bind(event.event_id)
            .execute(&mut *transaction)
            .await
            .unwrap();
    }
    subscription
        .save_checkpoint(&mut transaction)
        .await
        .unwrap();
    if commit {
        transaction.commit().await.unwrap();
    } else {
        transaction.rollback().await.unwrap();
    }
}

pub(crate) async fn applied_ids(connection: &mut PgConnection) -> Vec<uuid::Uuid> {
    sqlx::query_scalar("select event_id from applied order by seq")
        .fetch_all(connection)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_subscriber_killed_between_and_inside_batches_applies_each_event_once() {
    let (db, store) = fresh_store().await;
    let mut connection = PgConnection::connect(db.url()).await.unwrap();
    create_applied_table(&mut connection).await;
    for n in 0..25 {
        store
            .append(&request(vec![write(
                &stream_name("case"),
                ExpectedVersion::NoStream,
                vec![event(n)],
            )]))
            .await
            .unwrap();
    }

    // All readable first, so batch boundaries do not depend on other tests' transactions.
    let all: Vec<_> = read_all_settled(&store, 25)
        .await
        .into_iter()
        .map(|e| e.event_id)
        .collect();

    // First life: one batch applied and committed, the next applied but never committed.
    let mut subscription = store
        .subscribe("projection")
        .await
        .unwrap()
        .with_batch_size(10);
    let first = subscription.next_batch().await.unwrap();
    apply(&mut connection, &subscription, &first, true).await;
    let second = subscription.next_batch().await.unwrap();
    apply(&mut connection, &subscription, &second, false).await;
    drop(subscription);

    // Second life starts from the durable checkpoint: the second batch again, nothing twice.
    let mut subscription = store
        .subscribe("projection")
        .await
        .unwrap()
        .with_batch_size(10);
    assert_eq!(subscription.position(), first.last().unwrap().position);
    let again = subscription.next_batch().await.unwrap();
    assert_eq!(again, second);
    apply(&mut connection, &subscription, &again, true).await;
    // A failed transaction in the same life: rewind instead of restarting.
    let third = subscription.next_batch().await.unwrap();
    apply(&mut connection, &subscription, &third, false).await;
    subscription.rewind().await.unwrap();
    let third_again = subscription.next_batch().await.unwrap();
    assert_eq!(third_again, third);
    apply(&mut connection, &subscription, &third_again, true).await;
    assert!(subscription.try_next_batch().await.unwrap().is_empty());

    assert_eq!(all.len(), 25);
    assert_eq!(applied_ids(&mut connection).await, all);
}
