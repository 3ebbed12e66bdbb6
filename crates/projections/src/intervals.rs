//! Rows that hold over an interval of service time, so a view can be asked "as of" any moment.
//!
//! A stream's rows (its running deadlines, its caseload entry) are recomputed from its state
//! after each event; a row that disappears or changes is closed at the event's time and its
//! successor opened then. A query as of `T` reads the rows open at `T`. Rows are never deleted,
//! so supervision can look back at what the list showed on any day.
//!
//! Each row also holds the time the service learned of it (`known_from`, and `known_until`
//! for a row a later entry showed wrong): an event dated back (its step taken at `at`, learned
//! of at `known`) closes a row at `at`, but the row was believed open until `known`. So the
//! row as it was believed stays, known until `known`, and a copy closed at `at` is known from
//! `known` on. "As known at T" reads rows open at T and known at T; "with what is known now"
//! reads rows open at T that nothing superseded ([`crate::Knowledge`]). An event not dated
//! back (`known` = `at`) closes its row in place, as before.
//!
//! Tables using this have `stream_id`, `item_key`, `fingerprint`, `opened_at`, `closed_at`,
//! `known_from` and `known_until` besides their own typed columns; rows arrive typed and named
//! like those columns (`rows`), so one function serves every such table. `fingerprint` is a
//! 64-bit hash of a row's own columns (`rows::fingerprint`), not their text: it is all a
//! recomputed row is compared by, and the text averaged 291 bytes a worklist row (`bench
//! rebuild`'s 100,000-event log).

use std::collections::BTreeMap;

use sqlx::PgConnection;

use crate::fold::{Memory, OpenRows};
use crate::rows::{Cell, Row, fingerprint};
use crate::{Error, When};

/// Replaces the open rows of `stream_id` in `table` by `rows` (item key → typed columns), at
/// the event's times `when`. Unchanged rows stay open untouched; when nothing changed, nothing
/// is written. The changes go out with the batch (`writes`).
pub(crate) async fn sync(
    connection: &mut PgConnection,
    memory: &mut Memory,
    table: &'static str,
    stream_id: &str,
    rows: BTreeMap<String, Row>,
    when: When,
) -> Result<(), Error> {
    let open: OpenRows = match memory.open_rows(table, stream_id) {
        Some(open) => open,
        None => sqlx::query_as::<_, (String, i64)>(&format!(
            "select item_key, fingerprint from {table} \
             where stream_id = $1 and closed_at is null and known_until is null"
        ))
        .bind(stream_id)
        .fetch_all(&mut *connection)
        .await?
        .into_iter()
        .collect(),
    };
    let rows: Vec<_> = rows
        .into_iter()
        .map(|(key, columns)| (key, fingerprint(&columns), columns))
        .collect();
    let wanted: OpenRows = rows
        .iter()
        .map(|(key, hash, ..)| (key.clone(), *hash))
        .collect();
    for (key, hash) in &open {
        if wanted.get(key) != Some(hash) {
            memory.writes().close(table, stream_id, key, when);
        }
    }
    for (key, hash, mut row) in rows {
        if open.get(&key) == Some(&hash) {
            continue;
        }
        row.insert("fingerprint", Cell::from(hash));
        memory.writes().open(table, stream_id, key, when, row);
    }
    memory.keep_open_rows(table, stream_id, wanted);
    Ok(())
}

/// The condition under which a row of an interval table shows "as of" the moment in
/// parameter `at`, with the knowledge the boolean parameter `now` asks for
/// ([`crate::Knowledge::Now`] when true): open then, and known then, or not superseded since.
pub(crate) fn holds(at: &str, now: &str) -> String {
    format!(
        "opened_at <= {at} and (closed_at is null or closed_at > {at}) \
         and ({now} and known_until is null \
              or not {now} and known_from <= {at} and (known_until is null or known_until > {at}))"
    )
}
