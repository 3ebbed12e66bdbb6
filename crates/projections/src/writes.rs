//! The rows a batch writes, held until the batch ends and then sent as one statement per
//! table.
//!
//! Why: a view used to send a statement or three for every event, and the round trips were
//! most of its time once the streams' states were remembered (`fold::Memory`). Rows are
//! gathered as JSON objects named like the table's columns and inserted through
//! `jsonb_populate_recordset`, so one code path serves every table, and PostgreSQL converts
//! each value to its column's type exactly as it would a bound parameter.
//!
//! What the batch must still see of its own writes it sees here: an interval row opened and
//! closed within one batch is closed before it is ever sent, and two upserts of one key
//! become one row, merged as the statement's conflict clause would have merged them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};
use sqlx::PgConnection;

use crate::Error;

/// A timestamp as a column value, cut to PostgreSQL's microseconds the way a bound
/// parameter is.
pub(crate) fn timestamp(at: DateTime<Utc>) -> Value {
    Value::from(at.to_rfc3339_opts(SecondsFormat::Micros, true))
}

/// The columns of a row written as a `json!` object literal.
pub(crate) fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// How a row meets an earlier one with the same key.
#[derive(Clone, Copy)]
pub(crate) enum OnConflict {
    /// Written as is: a duplicate key fails the batch (`insert` without a conflict clause).
    Fail,
    /// The first row stands (`on conflict do nothing`).
    KeepFirst,
    /// The later row's values of these columns replace the earlier's (`on conflict (key) do
    /// update set` these columns).
    Update {
        key: &'static str,
        columns: &'static [&'static str],
    },
}

#[derive(Default)]
struct Upserts {
    on_conflict: Option<OnConflict>,
    rows: Vec<Map<String, Value>>,
    /// Row key → index in `rows`, for `KeepFirst` and `Update`.
    index: HashMap<String, usize>,
}

/// An interval table's changes (see `intervals`).
#[derive(Default)]
struct Intervals {
    /// Rows already stored that close: (stream, item key, at).
    closes: Vec<(String, String, DateTime<Utc>)>,
    rows: Vec<(DateTime<Utc>, Map<String, Value>)>,
    /// (stream, item key) → index in `rows` of the row this batch opened and is still open.
    open: HashMap<(String, String), usize>,
}

/// Everything a batch has written and not yet sent.
#[derive(Default)]
pub(crate) struct Writes {
    upserts: BTreeMap<&'static str, Upserts>,
    intervals: BTreeMap<&'static str, Intervals>,
}

impl Writes {
    /// Adds a row to `table`; `key` names it for the conflict rule.
    pub(crate) fn upsert(
        &mut self,
        table: &'static str,
        on_conflict: OnConflict,
        key: String,
        row: Map<String, Value>,
    ) {
        let upserts = self.upserts.entry(table).or_default();
        upserts.on_conflict = Some(on_conflict);
        if let OnConflict::Fail = on_conflict {
            upserts.rows.push(row);
            return;
        }
        match upserts.index.get(&key) {
            None => {
                upserts.index.insert(key, upserts.rows.len());
                upserts.rows.push(row);
            }
            Some(&at) => {
                if let OnConflict::Update { columns, .. } = on_conflict {
                    for column in columns {
                        let value = row.get(*column).cloned().unwrap_or(Value::Null);
                        upserts.rows[at].insert((*column).to_owned(), value);
                    }
                }
            }
        }
    }

    /// Closes the open row `key` of `stream_id` in `table` at `at` (never before it opened).
    pub(crate) fn close(
        &mut self,
        table: &'static str,
        stream_id: &str,
        key: &str,
        at: DateTime<Utc>,
    ) {
        let intervals = self.intervals.entry(table).or_default();
        match intervals
            .open
            .remove(&(stream_id.to_owned(), key.to_owned()))
        {
            Some(index) => {
                let (opened_at, row) = &mut intervals.rows[index];
                row.insert("closed_at".into(), timestamp(at.max(*opened_at)));
            }
            None => intervals
                .closes
                .push((stream_id.to_owned(), key.to_owned(), at)),
        }
    }

    /// Opens a row of `stream_id` in `table` at `at`; `row` carries `item_key`.
    pub(crate) fn open(
        &mut self,
        table: &'static str,
        stream_id: &str,
        key: String,
        at: DateTime<Utc>,
        mut row: Map<String, Value>,
    ) {
        let intervals = self.intervals.entry(table).or_default();
        row.insert("stream_id".into(), Value::from(stream_id));
        row.insert("item_key".into(), Value::from(key.as_str()));
        row.insert("opened_at".into(), timestamp(at));
        intervals
            .open
            .insert((stream_id.to_owned(), key), intervals.rows.len());
        intervals.rows.push((at, row));
    }

    /// Sends everything, one statement per table and kind, and empties the buffer.
    pub(crate) async fn flush(&mut self, connection: &mut PgConnection) -> Result<(), Error> {
        for (table, intervals) in std::mem::take(&mut self.intervals) {
            if !intervals.closes.is_empty() {
                let mut streams = Vec::with_capacity(intervals.closes.len());
                let mut keys = Vec::with_capacity(intervals.closes.len());
                let mut ats = Vec::with_capacity(intervals.closes.len());
                for (stream, key, at) in intervals.closes {
                    streams.push(stream);
                    keys.push(key);
                    ats.push(at);
                }
                // At most one row per stream and key is open: the key is its identity.
                // Planned afresh each time, not prepared once: a plan cached while the table
                // was nearly empty scanned every open row for each batch (5-127 ms a
                // statement once thousands were open, `auto_explain` during `bench lag`);
                // planned with the batch's own arrays it looks each key up in the index.
                sqlx::query(&format!(
                    "update {table} t set closed_at = greatest(t.opened_at, c.at) \
                       from unnest($1::text[], $2::text[], $3::timestamptz[]) \
                            as c(stream_id, item_key, at) \
                      where t.stream_id = c.stream_id and t.item_key = c.item_key \
                        and t.closed_at is null"
                ))
                .persistent(false)
                .bind(&streams)
                .bind(&keys)
                .bind(&ats)
                .execute(&mut *connection)
                .await?;
            }
            let rows = intervals.rows.into_iter().map(|(_, row)| row).collect();
            insert(connection, table, rows, "").await?;
        }
        for (table, upserts) in std::mem::take(&mut self.upserts) {
            let conflict = match upserts.on_conflict {
                None | Some(OnConflict::Fail) => String::new(),
                Some(OnConflict::KeepFirst) => "on conflict do nothing".to_owned(),
                Some(OnConflict::Update { key, columns }) => format!(
                    "on conflict ({key}) do update set {}",
                    columns
                        .iter()
                        .map(|column| format!("{column} = excluded.{column}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            insert(connection, table, upserts.rows, &conflict).await?;
        }
        Ok(())
    }
}

async fn insert(
    connection: &mut PgConnection,
    table: &str,
    rows: Vec<Map<String, Value>>,
    conflict: &str,
) -> Result<(), Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let columns: BTreeSet<&String> = rows.iter().flat_map(|row| row.keys()).collect();
    let columns = columns
        .into_iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let rows = Value::Array(rows.into_iter().map(Value::Object).collect());
    sqlx::query(&format!(
        "insert into {table} ({columns}) \
         select {columns} from jsonb_populate_recordset(null::{table}, $1) {conflict}"
    ))
    .bind(rows)
    .execute(connection)
    .await?;
    Ok(())
}
