use eventstore::{Error, ExpectedVersion, Position, Upcasters};
use serde_json::json;
use sqlx::Connection as _;

use crate::{event, fresh_store, read_all_settled, request, stored_count, stream_name, write};

#[tokio::test]
async fn appended_events_read_back_in_order_with_metadata() {
    let (_db, store) = fresh_store().await;
    let stream = stream_name("report");
    let mut append = request(vec![write(
        &stream,
        ExpectedVersion::NoStream,
        vec![event(1), event(2), event(3)],
    )]);
    append.metadata.traceparent =
        Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into());
    append.metadata.rule_set = Some("new-act-2023".into());

    let result = store.append(&append).await.unwrap();

    assert!(!result.replayed);
    assert_eq!(result.version_of(&stream), Some(3));
    assert!(result.first_position < result.last_position);
    let events = store.read_stream(&stream, 1, 100).await.unwrap();
    assert_eq!(
        events.iter().map(|e| e.stream_version).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(
        events
            .iter()
            .map(|e| e.payload["n"].clone())
            .collect::<Vec<_>>(),
        [json!(1), json!(2), json!(3)]
    );
    for (recorded, sent) in events.iter().zip(&append.streams[0].events) {
        assert_eq!(recorded.event_id, sent.event_id);
        assert_eq!(recorded.event_type, "TestHappened");
        assert_eq!(recorded.metadata, append.metadata);
        assert_eq!(recorded.stream_id, stream);
    }
    // Positions follow versions inside one append too.
    assert!(events.windows(2).all(|w| w[0].position < w[1].position));
    assert_eq!(events[0].position, result.first_position);
    assert_eq!(events[2].position, result.last_position);
    assert_eq!(store.stream_version(&stream).await.unwrap(), 3);
    assert_eq!(store.read_stream(&stream, 3, 100).await.unwrap().len(), 1);

    let all = read_all_settled(&store, 3).await;
    assert_eq!(all, events);
}

#[tokio::test]
async fn wrong_expected_version_is_a_typed_conflict_and_writes_nothing() {
    let (_db, store) = fresh_store().await;
    let stream = stream_name("case");
    store
        .append(&request(vec![write(
            &stream,
            ExpectedVersion::NoStream,
            vec![event(1), event(2)],
        )]))
        .await
        .unwrap();

    let error = store
        .append(&request(vec![write(
            &stream,
            ExpectedVersion::Exact(1),
            vec![event(3)],
        )]))
        .await
        .unwrap_err();

    match error {
        Error::Conflict {
            stream_id,
            expected,
            actual,
        } => {
            assert_eq!(stream_id, stream);
            assert_eq!(expected, ExpectedVersion::Exact(1));
            assert_eq!(actual, 2);
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(store.stream_version(&stream).await.unwrap(), 2);
    assert_eq!(store.read_stream(&stream, 1, 100).await.unwrap().len(), 2);

    // The right version goes through.
    let ok = store
        .append(&request(vec![write(
            &stream,
            ExpectedVersion::Exact(2),
            vec![event(3)],
        )]))
        .await
        .unwrap();
    assert_eq!(ok.version_of(&stream), Some(3));
}

#[tokio::test]
async fn no_stream_on_an_existing_stream_conflicts() {
    let (_db, store) = fresh_store().await;
    let stream = stream_name("report");
    store
        .append(&request(vec![write(
            &stream,
            ExpectedVersion::NoStream,
            vec![event(1)],
        )]))
        .await
        .unwrap();

    let error = store
        .append(&request(vec![write(
            &stream,
            ExpectedVersion::NoStream,
            vec![event(2)],
        )]))
        .await
        .unwrap_err();

    assert!(
        matches!(
            error,
            Error::Conflict {
                expected: ExpectedVersion::NoStream,
                actual: 1,
                ..
            }
        ),
        "{error:?}"
    );
    // And Exact on a stream that does not exist conflicts with actual 0.
    let missing = stream_name("report");
    let error = store
        .append(&request(vec![write(
            &missing,
            ExpectedVersion::Exact(4),
            vec![event(1)],
        )]))
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Conflict { actual: 0, .. }),
        "{error:?}"
    );
    assert_eq!(store.stream_version(&missing).await.unwrap(), 0);
}

#[tokio::test]
async fn one_conflict_aborts_the_whole_multi_stream_append() {
    let (_db, store) = fresh_store().await;
    let report = stream_name("report");
    let sibling_a = stream_name("case");
    let sibling_b = stream_name("case");
    store
        .append(&request(vec![write(
            &sibling_b,
            ExpectedVersion::NoStream,
            vec![event(0)],
        )]))
        .await
        .unwrap();

    let error = store
        .append(&request(vec![
            write(&report, ExpectedVersion::NoStream, vec![event(1)]),
            write(&sibling_a, ExpectedVersion::NoStream, vec![event(2)]),
            write(&sibling_b, ExpectedVersion::NoStream, vec![event(3)]),
        ]))
        .await
        .unwrap_err();

    assert!(matches!(&error, Error::Conflict { stream_id, .. } if *stream_id == sibling_b));
    assert!(store.read_stream(&report, 1, 10).await.unwrap().is_empty());
    assert!(
        store
            .read_stream(&sibling_a, 1, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(stored_count(&store).await, 1);

    // Without the conflict, all three streams are written in one transaction.
    let result = store
        .append(&request(vec![
            write(&report, ExpectedVersion::NoStream, vec![event(1)]),
            write(&sibling_a, ExpectedVersion::NoStream, vec![event(2)]),
            write(&sibling_b, ExpectedVersion::Exact(1), vec![event(3)]),
        ]))
        .await
        .unwrap();
    assert_eq!(result.version_of(&report), Some(1));
    assert_eq!(result.version_of(&sibling_a), Some(1));
    assert_eq!(result.version_of(&sibling_b), Some(2));
    let all = read_all_settled(&store, 4).await;
    let last_three: Vec<_> = all[1..].iter().map(|e| e.position.transaction_id).collect();
    assert_eq!(last_three.len(), 3);
    assert!(
        last_three
            .iter()
            .all(|&t| t == result.last_position.transaction_id)
    );
}

#[tokio::test]
async fn a_replayed_command_returns_the_first_result_and_writes_nothing() {
    let (_db, store) = fresh_store().await;
    let stream = stream_name("report");
    let first = request(vec![write(
        &stream,
        ExpectedVersion::NoStream,
        vec![event(1), event(2)],
    )]);
    let original = store.append(&first).await.unwrap();

    // The same command id again, even with other events and a now-wrong expected version.
    let mut replay = request(vec![write(
        &stream,
        ExpectedVersion::NoStream,
        vec![event(9)],
    )]);
    replay.metadata.command_id = first.metadata.command_id;
    let replayed = store.append(&replay).await.unwrap();

    assert!(replayed.replayed);
    assert_eq!(replayed.streams, original.streams);
    assert_eq!(replayed.first_position, original.first_position);
    assert_eq!(replayed.last_position, original.last_position);
    assert_eq!(store.read_stream(&stream, 1, 10).await.unwrap().len(), 2);
    let looked_up = store
        .command_result(first.metadata.command_id, None)
        .await
        .unwrap()
        .expect("the command is recorded");
    assert_eq!(looked_up.streams, original.streams);
    assert!(
        store
            .command_result(uuid::Uuid::new_v4(), None)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn concurrent_replays_of_one_command_write_once() {
    let (_db, store) = fresh_store().await;
    let stream = stream_name("report");
    let command = request(vec![write(&stream, ExpectedVersion::Any, vec![event(1)])]);

    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        let mut command = command.clone();
        // Each retry carries fresh event ids, as a client resending a request would.
        command.streams[0].events = vec![event(1)];
        tasks.push(tokio::spawn(async move { store.append(&command).await }));
    }
    let mut replays = 0;
    for task in tasks {
        let result = task.await.unwrap().unwrap();
        assert_eq!(result.version_of(&stream), Some(1));
        replays += usize::from(result.replayed);
    }

    assert_eq!(replays, 7);
    assert_eq!(store.read_stream(&stream, 1, 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_append_after_another_write_in_its_transaction_is_refused() {
    let (db, store) = fresh_store().await;
    let stream = stream_name("report");
    let mut connection = sqlx::PgConnection::connect(db.url()).await.unwrap();

    let mut transaction = connection.begin().await.unwrap();
    eventstore::save_checkpoint(&mut transaction, "someone", Position::START)
        .await
        .unwrap();
    let error = store
        .append_in(
            &mut transaction,
            &request(vec![write(&stream, ExpectedVersion::Any, vec![event(1)])]),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, Error::NotFirstWrite), "{error:?}");
    transaction.rollback().await.unwrap();

    // Append first, then the caller's own writes: allowed, and atomic together.
    let mut transaction = connection.begin().await.unwrap();
    store
        .append_in(
            &mut transaction,
            &request(vec![write(&stream, ExpectedVersion::Any, vec![event(1)])]),
        )
        .await
        .unwrap();
    eventstore::save_checkpoint(&mut transaction, "someone", Position::START)
        .await
        .unwrap();
    transaction.rollback().await.unwrap();
    assert_eq!(store.stream_version(&stream).await.unwrap(), 0);

    let mut transaction = connection.begin().await.unwrap();
    sqlx::query("set transaction isolation level repeatable read")
        .execute(&mut *transaction)
        .await
        .unwrap();
    let error = store
        .append_in(
            &mut transaction,
            &request(vec![write(&stream, ExpectedVersion::Any, vec![event(1)])]),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, Error::WrongIsolation), "{error:?}");
}

#[tokio::test]
async fn malformed_appends_are_refused_before_anything_is_written() {
    let (_db, store) = fresh_store().await;
    let stream = stream_name("report");
    let duplicate = event(1);
    let cases = vec![
        request(vec![]),
        request(vec![write(&stream, ExpectedVersion::Any, vec![])]),
        request(vec![write(
            "nocategory",
            ExpectedVersion::Any,
            vec![event(1)],
        )]),
        request(vec![write("-x", ExpectedVersion::Any, vec![event(1)])]),
        request(vec![
            write(&stream, ExpectedVersion::Any, vec![event(1)]),
            write(&stream, ExpectedVersion::Any, vec![event(2)]),
        ]),
        request(vec![write(
            &stream,
            ExpectedVersion::Exact(0),
            vec![event(1)],
        )]),
        request(vec![write(
            &stream,
            ExpectedVersion::Any,
            vec![duplicate.clone(), duplicate],
        )]),
    ];
    for case in cases {
        let error = store.append(&case).await.unwrap_err();
        assert!(
            matches!(error, Error::InvalidAppend(_) | Error::DuplicateEventId(_)),
            "{case:?} gave {error:?}"
        );
    }
    assert_eq!(stored_count(&store).await, 0);

    // An event id already stored is refused by the database, typed.
    let stored = event(1);
    store
        .append(&request(vec![write(
            &stream,
            ExpectedVersion::Any,
            vec![stored.clone()],
        )]))
        .await
        .unwrap();
    let other = stream_name("report");
    let error = store
        .append(&request(vec![write(
            &other,
            ExpectedVersion::Any,
            vec![stored.clone()],
        )]))
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::DuplicateEventId(id) if id == stored.event_id),
        "{error:?}"
    );
}

#[tokio::test]
async fn history_cannot_be_changed() {
    let (_db, store) = fresh_store().await;
    let stream = stream_name("report");
    store
        .append(&request(vec![write(
            &stream,
            ExpectedVersion::Any,
            vec![event(1)],
        )]))
        .await
        .unwrap();

    for statement in [
        "update events set payload = '{}'",
        "delete from events",
        "truncate events",
    ] {
        let error = sqlx::query(statement)
            .execute(store.pool())
            .await
            .unwrap_err();
        assert!(
            error.to_string().contains("append-only"),
            "{statement}: {error}"
        );
    }
    assert_eq!(
        store.read_stream(&stream, 1, 10).await.unwrap()[0].payload,
        json!({"n": 1})
    );
}

#[tokio::test]
async fn old_schema_versions_are_upcast_on_read() {
    let (db, _) = fresh_store().await;
    let stream = stream_name("report");
    let old = eventstore::NewEvent::new("ReportReceived", 1, json!({ "urgent": true }));
    let plain = eventstore::EventStore::new(db.pool().clone());
    plain
        .append(&request(vec![write(
            &stream,
            ExpectedVersion::Any,
            vec![old],
        )]))
        .await
        .unwrap();

    fn urgent_to_urgency(mut payload: serde_json::Value) -> Result<serde_json::Value, String> {
        let urgent = payload
            .as_object_mut()
            .and_then(|object| object.remove("urgent"))
            .and_then(|value| value.as_bool())
            .ok_or("no urgent flag")?;
        payload["urgency"] = json!(if urgent { "red" } else { "green" });
        Ok(payload)
    }
    fn add_channel(mut payload: serde_json::Value) -> Result<serde_json::Value, String> {
        payload["channel"] = json!("unknown");
        Ok(payload)
    }
    let upcasting = plain.clone().with_upcasters(
        Upcasters::new()
            .register("ReportReceived", 1, urgent_to_urgency)
            .register("ReportReceived", 2, add_channel),
    );

    let events = upcasting.read_stream(&stream, 1, 10).await.unwrap();
    assert_eq!(events[0].schema_version, 3);
    assert_eq!(
        events[0].payload,
        json!({ "urgency": "red", "channel": "unknown" })
    );
    let all = read_all_settled(&upcasting, 1).await;
    assert_eq!(all[0].payload, events[0].payload);
    // The stored row is untouched.
    assert_eq!(
        plain.read_stream(&stream, 1, 10).await.unwrap()[0].schema_version,
        1
    );

    let broken =
        plain
            .clone()
            .with_upcasters(Upcasters::new().register("ReportReceived", 1, |_| Err("bad".into())));
    let error = broken.read_stream(&stream, 1, 10).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Upcast {
                from_version: 1,
                ..
            }
        ),
        "{error:?}"
    );
}

/// A payload the readers could not decode (nested past the limit, or holding a NUL, which
/// `jsonb` refuses) is refused before anything is written, so no subscriber ever meets one.
#[tokio::test]
async fn a_payload_that_would_not_read_back_is_refused_and_nothing_is_written() {
    let (_db, store) = fresh_store().await;
    let mut deep = json!(1);
    for _ in 0..eventstore::MAX_PAYLOAD_DEPTH {
        deep = json!([deep]);
    }
    let mut within = json!(1);
    for _ in 0..eventstore::MAX_PAYLOAD_DEPTH - 1 {
        within = json!([within]);
    }
    for payload in [
        json!({ "deep": deep }),
        json!({ "text": "a\u{0}b" }),
        json!({ "a\u{0}b": 1 }),
    ] {
        let mut bad = event(1);
        bad.payload = payload.clone();
        let stream = stream_name("report");
        let error = store
            .append(&request(vec![write(
                &stream,
                ExpectedVersion::NoStream,
                vec![event(0), bad],
            )]))
            .await
            .expect_err("refused");
        assert!(
            matches!(&error, Error::InvalidAppend(reason) if reason.contains("would not read back")),
            "{error:?}"
        );
        assert_eq!(store.stream_version(&stream).await.unwrap(), 0);
    }
    assert_eq!(stored_count(&store).await, 0);

    let mut deepest = event(1);
    deepest.payload = within;
    let stream = stream_name("report");
    store
        .append(&request(vec![write(
            &stream,
            ExpectedVersion::NoStream,
            vec![deepest.clone()],
        )]))
        .await
        .expect("the deepest payload allowed is stored");
    let read = store.read_stream(&stream, 1, 10).await.expect("reads back");
    assert_eq!(read[0].payload, deepest.payload);
}

/// A command id is bound to the fingerprint it was first appended with: the same id with the
/// same fingerprint replays, with another is `CommandIdReused` and writes nothing, in the
/// append and in the lookup alike. Without a fingerprint on either side it replays, as rows
/// recorded before fingerprints do.
#[tokio::test]
async fn a_command_id_with_another_fingerprint_is_refused_not_replayed() {
    let (_db, store) = fresh_store().await;
    let stream = stream_name("case");
    let mut first = request(vec![write(
        &stream,
        ExpectedVersion::NoStream,
        vec![event(1)],
    )]);
    first.command_fingerprint = Some(vec![1; 32]);
    let written = store.append(&first).await.unwrap();

    let mut other = request(vec![write(&stream, ExpectedVersion::Any, vec![event(2)])]);
    other.metadata.command_id = first.metadata.command_id;
    other.command_fingerprint = Some(vec![2; 32]);
    let error = store.append(&other).await.unwrap_err();
    assert!(
        matches!(error, Error::CommandIdReused { command_id } if command_id == first.metadata.command_id),
        "{error:?}"
    );
    assert_eq!(store.stream_version(&stream).await.unwrap(), 1);
    let lookup = store
        .command_result(first.metadata.command_id, Some(&[2; 32]))
        .await
        .unwrap_err();
    assert!(
        matches!(lookup, Error::CommandIdReused { .. }),
        "{lookup:?}"
    );

    let mut again = first.clone();
    again.streams[0].events = vec![event(3)];
    let replayed = store.append(&again).await.unwrap();
    assert!(replayed.replayed);
    assert_eq!(replayed.last_position, written.last_position);
    let found = store
        .command_result(first.metadata.command_id, Some(&[1; 32]))
        .await
        .unwrap()
        .expect("found");
    assert_eq!(found.last_position, written.last_position);

    other.command_fingerprint = None;
    assert!(store.append(&other).await.unwrap().replayed);
    assert_eq!(store.stream_version(&stream).await.unwrap(), 1);
}
