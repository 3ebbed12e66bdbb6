//! The rows a batch writes, held until the batch ends and then sent as one statement per
//! table.
//!
//! Why: a view used to send a statement or three for every event, and the round trips were
//! most of its time once the streams' states were remembered (`fold::Memory`). Rows are
//! gathered typed and named by their columns (`rows`), so one code path serves every table.
//!
//! What the batch must still see of its own writes it sees here: an interval row opened and
//! closed within one batch is closed before it is ever sent, and two upserts of one key
//! become one row, merged as the statement's conflict clause would have merged them.

use std::collections::{BTreeMap, HashMap};

use sqlx::PgConnection;

use crate::rows::{Cell, Row, insert};
use crate::{Error, When};

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
    rows: Vec<Row>,
    /// Row key → index in `rows`, for `KeepFirst` and `Update`.
    index: HashMap<String, usize>,
}

/// An interval table's changes (see `intervals`).
#[derive(Default)]
struct Intervals {
    /// Rows already stored that close: (stream, item key, when).
    closes: Vec<(String, String, When)>,
    /// Rows to insert that are closed or superseded.
    rows: Vec<Row>,
    /// (stream, item key) → the row opened here and still open, with when it opened and
    /// became known; inserted open unless it closes before it is sent.
    open: HashMap<(String, String), (When, Row)>,
}

/// Whether closing a row that opened `opened` at `closing` can be done in place: when no
/// moment lies between the later of the close's time and the row's becoming known, and the
/// close's becoming known. Else, as known before the close was learned of, the row was open.
fn closes_in_place(opened: When, closing: When) -> bool {
    closing.known <= closing.at.max(opened.known)
}

/// The closes' four arrays, in the order of their statements' parameters: stream, item key,
/// when the step was taken, when it became known.
type CloseArrays = (
    Vec<String>,
    Vec<String>,
    Vec<chrono::DateTime<chrono::Utc>>,
    Vec<chrono::DateTime<chrono::Utc>>,
);

/// Runs one of the closes' statements, planned afresh (not prepared: see `Writes::send`).
async fn close(
    connection: &mut PgConnection,
    sql: &str,
    arrays: &CloseArrays,
) -> Result<(), Error> {
    let (streams, keys, ats, knowns) = arrays;
    sqlx::query(sql)
        .persistent(false)
        .bind(streams)
        .bind(keys)
        .bind(ats)
        .bind(knowns)
        .execute(connection)
        .await?;
    Ok(())
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
        row: Row,
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
                    // A column the later row lacks becomes null, as the statement's
                    // `excluded.column` would be.
                    for column in columns {
                        let value = match row.get(column) {
                            Some(value) => Some(value.clone()),
                            None => upserts.rows[at].get(column).map(Cell::null),
                        };
                        if let Some(value) = value {
                            upserts.rows[at].insert(column, value);
                        }
                    }
                    for column in fill {
                        let earlier = upserts.rows[at].get(column);
                        if earlier.is_none_or(Cell::is_null)
                            && let Some(value) = row.get(column)
                        {
                            upserts.rows[at].insert(column, value.clone());
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
            Some((opened, mut row)) => {
                let closed_at = Cell::from(when.at.max(opened.at));
                if closes_in_place(opened, when) {
                    row.insert("closed_at", closed_at);
                } else {
                    let mut copy = row.clone();
                    row.insert("known_until", Cell::from(when.known));
                    copy.insert("closed_at", closed_at);
                    copy.insert("known_from", Cell::from(when.known));
                    intervals.rows.push(copy);
                }
                intervals.rows.push(row);
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
        mut row: Row,
    ) {
        let intervals = self.intervals.entry(table).or_default();
        row.insert("stream_id", Cell::from(stream_id));
        row.insert("item_key", Cell::from(key.as_str()));
        row.insert("opened_at", Cell::from(when.at));
        row.insert("known_from", Cell::from(when.known));
        intervals
            .open
            .insert((stream_id.to_owned(), key), (when, row));
    }

    /// From now on keeps the interval rows still open at a flush, to send them once they
    /// close or until `stop_holding`: each is then inserted once, closed, where it was
    /// inserted and later updated. For a rebuild, which starts from empty tables and so
    /// never finds an open row in them that is not held here.
    pub(crate) fn hold_open_rows(&mut self) {
        self.hold_open = true;
    }

    pub(crate) fn holds_open_rows(&self) -> bool {
        self.hold_open
    }

    /// Stops holding open rows: the next take sends them too.
    pub(crate) fn stop_holding(&mut self) {
        self.hold_open = false;
    }

    /// Everything written (but the open rows held, see `hold_open_rows`), taken out of the
    /// buffer to be sent.
    pub(crate) fn take(&mut self) -> Writes {
        let mut taken = Writes {
            upserts: std::mem::take(&mut self.upserts),
            ..Writes::default()
        };
        for (table, intervals) in &mut self.intervals {
            let mut sent = Intervals {
                closes: std::mem::take(&mut intervals.closes),
                rows: std::mem::take(&mut intervals.rows),
                open: HashMap::new(),
            };
            if !self.hold_open {
                sent.rows
                    .extend(intervals.open.drain().map(|(_, (_, row))| row));
            }
            taken.intervals.insert(table, sent);
        }
        taken
    }

    /// Sends these writes, one statement per table and kind.
    pub(crate) async fn send(self, connection: &mut PgConnection) -> Result<(), Error> {
        for (table, intervals) in self.intervals {
            let Intervals { closes, rows, .. } = intervals;
            if !closes.is_empty() {
                let dated_back = closes.iter().any(|(_, _, when)| when.known > when.at);
                let mut arrays = CloseArrays::default();
                for (stream, key, when) in closes {
                    arrays.0.push(stream);
                    arrays.1.push(key);
                    arrays.2.push(when.at);
                    arrays.3.push(when.known);
                }
                // At most one row per stream and key is open and current: the key is its
                // identity. Each key is looked up on its own (the lateral subquery, kept
                // apart by `offset 0`), whatever the planner believes of the table: joined
                // plainly, a table not yet analyzed (new, or just rebuilt) looked to hold about
                // one open row, so the plan walked every open row for each key (2,539 buffers
                // and 7.4 ms a statement in `bench lag`'s first 26 s, pg_stat_statements).
                // Planned afresh each time, not prepared once: a plan cached while the table
                // was nearly empty did the same (5-127 ms a statement, `auto_explain`).
                let closes = format!(
                    "from unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[]) \
                            as c(stream_id, item_key, at, known) \
                     cross join lateral (select o.item_id from {table} o \
                        where o.stream_id = c.stream_id and o.item_key = c.item_key \
                          and o.closed_at is null and o.known_until is null offset 0) o \
                     where t.item_id = o.item_id"
                );
                let sql = format!(
                    "update {table} t set closed_at = greatest(t.opened_at, c.at) {closes} \
                        and c.known <= greatest(c.at, t.known_from)"
                );
                close(connection, &sql, &arrays).await?;
                // Closes dated back: the row stays as it was believed until the close was
                // learned of, and a copy closed when its step was taken is known from then
                // (the copy gets an id of its own: `overriding user value`).
                if dated_back {
                    let sql = format!(
                        "with believed as ( \
                           update {table} t set known_until = c.known {closes} \
                             and c.known > greatest(c.at, t.known_from) \
                           returning t as believed_row, greatest(t.opened_at, c.at) as closed_at, \
                                     c.known as known_from) \
                         insert into {table} overriding user value \
                         select (jsonb_populate_record(believed_row, jsonb_build_object( \
                                   'closed_at', closed_at, 'known_from', known_from, \
                                   'known_until', null))).* \
                         from believed"
                    );
                    close(connection, &sql, &arrays).await?;
                }
            }
            insert(connection, table, rows, "").await?;
        }
        for (table, upserts) in self.upserts {
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
