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

use crate::{Error, When};

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
    /// The later row's values of `columns` replace the earlier's (`on conflict (key) do
    /// update set` these columns), and its values of `fill` only where the earlier's are null
    /// (a fact's first time: the later row's, when it came, is not when it first held).
    Update {
        key: &'static str,
        columns: &'static [&'static str],
        fill: &'static [&'static str],
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
    /// Rows already stored that close: (stream, item key, when).
    closes: Vec<(String, String, When)>,
    /// Rows to insert, each with when it opened and when it became known.
    rows: Vec<(When, Map<String, Value>)>,
    /// (stream, item key) → index in `rows` of the row this batch opened and is still open.
    open: HashMap<(String, String), usize>,
}

/// Whether closing a row that opened `opened` at `closing` can be done in place: when no
/// moment lies between the later of the close's time and the row's becoming known, and the
/// close's becoming known. Else, as known before the close was learned of, the row was open.
fn closes_in_place(opened: When, closing: When) -> bool {
    closing.known <= closing.at.max(opened.known)
}

/// Everything a batch has written and not yet sent.
#[derive(Default)]
pub(crate) struct Writes {
    upserts: BTreeMap<&'static str, Upserts>,
    intervals: BTreeMap<&'static str, Intervals>,
    /// Whether interval rows still open stay here across flushes (`hold_open_rows`).
    hold_open: bool,
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
                if let OnConflict::Update { columns, fill, .. } = on_conflict {
                    for column in columns {
                        let value = row.get(*column).cloned().unwrap_or(Value::Null);
                        upserts.rows[at].insert((*column).to_owned(), value);
                    }
                    for column in fill {
                        let earlier = upserts.rows[at].get(*column);
                        if earlier.is_none_or(Value::is_null) {
                            let value = row.get(*column).cloned().unwrap_or(Value::Null);
                            upserts.rows[at].insert((*column).to_owned(), value);
                        }
                    }
                }
            }
        }
    }

    /// Closes the open row `key` of `stream_id` in `table` at `when` (never before it
    /// opened): in place, or, for a close dated back, by keeping the row as it was believed
    /// until the close was learned of and adding a copy closed when its step was taken.
    pub(crate) fn close(&mut self, table: &'static str, stream_id: &str, key: &str, when: When) {
        let intervals = self.intervals.entry(table).or_default();
        match intervals
            .open
            .remove(&(stream_id.to_owned(), key.to_owned()))
        {
            Some(index) => {
                let (opened, row) = &mut intervals.rows[index];
                let opened = *opened;
                let closed_at = timestamp(when.at.max(opened.at));
                if closes_in_place(opened, when) {
                    row.insert("closed_at".into(), closed_at);
                } else {
                    let mut copy = row.clone();
                    row.insert("known_until".into(), timestamp(when.known));
                    copy.insert("closed_at".into(), closed_at);
                    copy.insert("known_from".into(), timestamp(when.known));
                    intervals.rows.push((
                        When {
                            at: opened.at,
                            known: when.known,
                        },
                        copy,
                    ));
                }
            }
            None => intervals
                .closes
                .push((stream_id.to_owned(), key.to_owned(), when)),
        }
    }

    /// Opens a row of `stream_id` in `table` at `when`; `row` carries `item_key`.
    pub(crate) fn open(
        &mut self,
        table: &'static str,
        stream_id: &str,
        key: String,
        when: When,
        mut row: Map<String, Value>,
    ) {
        let intervals = self.intervals.entry(table).or_default();
        row.insert("stream_id".into(), Value::from(stream_id));
        row.insert("item_key".into(), Value::from(key.as_str()));
        row.insert("opened_at".into(), timestamp(when.at));
        row.insert("known_from".into(), timestamp(when.known));
        intervals
            .open
            .insert((stream_id.to_owned(), key), intervals.rows.len());
        intervals.rows.push((when, row));
    }

    /// From now on keeps the interval rows still open at a flush, to send them once they
    /// close or at [`Writes::flush_all`]: each is then inserted once, closed, where it was
    /// inserted and later updated. For a rebuild, which starts from empty tables and so
    /// never finds an open row in them that is not held here.
    pub(crate) fn hold_open_rows(&mut self) {
        self.hold_open = true;
    }

    /// Sends everything, held open rows too, and stops holding them.
    pub(crate) async fn flush_all(&mut self, connection: &mut PgConnection) -> Result<(), Error> {
        self.hold_open = false;
        self.flush(connection).await
    }

    /// Sends everything (but the open rows held, see `hold_open_rows`), one statement per
    /// table and kind, and empties the buffer.
    pub(crate) async fn flush(&mut self, connection: &mut PgConnection) -> Result<(), Error> {
        for (table, intervals) in std::mem::take(&mut self.intervals) {
            let Intervals { closes, rows, open } = intervals;
            let mut rows: Vec<Map<String, Value>> = if self.hold_open {
                let mut held = Intervals::default();
                let mut keys: HashMap<usize, (String, String)> =
                    open.into_iter().map(|(key, index)| (index, key)).collect();
                let mut sent = Vec::with_capacity(rows.len().saturating_sub(keys.len()));
                for (index, (when, row)) in rows.into_iter().enumerate() {
                    match keys.remove(&index) {
                        Some(key) => {
                            held.open.insert(key, held.rows.len());
                            held.rows.push((when, row));
                        }
                        None => sent.push(row),
                    }
                }
                self.intervals.insert(table, held);
                sent
            } else {
                rows.into_iter().map(|(_, row)| row).collect()
            };
            if !closes.is_empty() {
                let dated_back = closes.iter().any(|(_, _, when)| when.known > when.at);
                let mut streams = Vec::with_capacity(closes.len());
                let mut keys = Vec::with_capacity(closes.len());
                let mut ats = Vec::with_capacity(closes.len());
                let mut knowns = Vec::with_capacity(closes.len());
                for (stream, key, when) in closes {
                    streams.push(stream);
                    keys.push(key);
                    ats.push(when.at);
                    knowns.push(when.known);
                }
                // At most one row per stream and key is open and current: the key is its
                // identity. Planned afresh each time, not prepared once: a plan cached while
                // the table was nearly empty scanned every open row for each batch (5-127 ms
                // a statement once thousands were open, `auto_explain` during `bench lag`);
                // planned with the batch's own arrays it looks each key up in the index.
                let closes = "from unnest($1::text[], $2::text[], $3::timestamptz[], \
                                          $4::timestamptz[]) as c(stream_id, item_key, at, known) \
                              where t.stream_id = c.stream_id and t.item_key = c.item_key \
                                and t.closed_at is null and t.known_until is null";
                sqlx::query(&format!(
                    "update {table} t set closed_at = greatest(t.opened_at, c.at) {closes} \
                        and c.known <= greatest(c.at, t.known_from)"
                ))
                .persistent(false)
                .bind(&streams)
                .bind(&keys)
                .bind(&ats)
                .bind(&knowns)
                .execute(&mut *connection)
                .await?;
                // Closes dated back: the row stays as it was believed until the close was
                // learned of, and a copy closed when its step was taken is known from then.
                if dated_back {
                    let copies: Vec<Value> = sqlx::query_scalar(&format!(
                        "update {table} t set known_until = c.known {closes} \
                            and c.known > greatest(c.at, t.known_from) \
                         returning (to_jsonb(t) - 'item_id' - 'known_until') \
                           || jsonb_build_object('closed_at', greatest(t.opened_at, c.at), \
                                                 'known_from', c.known)"
                    ))
                    .persistent(false)
                    .bind(&streams)
                    .bind(&keys)
                    .bind(&ats)
                    .bind(&knowns)
                    .fetch_all(&mut *connection)
                    .await?;
                    rows.extend(copies.into_iter().filter_map(|copy| match copy {
                        Value::Object(row) => Some(row),
                        _ => None,
                    }));
                }
            }
            insert(connection, table, rows, "").await?;
        }
        for (table, upserts) in std::mem::take(&mut self.upserts) {
            let conflict = match upserts.on_conflict {
                None | Some(OnConflict::Fail) => String::new(),
                Some(OnConflict::KeepFirst) => "on conflict do nothing".to_owned(),
                Some(OnConflict::Update { key, columns, fill }) => format!(
                    "on conflict ({key}) do update set {}",
                    columns
                        .iter()
                        .map(|column| format!("{column} = excluded.{column}"))
                        .chain(fill.iter().map(|column| {
                            format!("{column} = coalesce({table}.{column}, excluded.{column})")
                        }))
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
