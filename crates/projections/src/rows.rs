//! A view's row as typed values named by their columns, and the one statement that inserts
//! many of them.
//!
//! Why typed, not JSON: the rows used to be built as JSON objects and inserted through
//! `jsonb_populate_recordset`, so the replay wrote every value as text and PostgreSQL parsed
//! it back, which a rebuild, writing every row of every view at once, paid for on both of the
//! machine's cores. Each column now goes as one array of its own type (`unnest`), sent in
//! PostgreSQL's binary form. One code path still serves every table: a row names its columns,
//! and the column's type is the type of its values.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike as _, NaiveDate, SubsecRound as _, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::Error;

/// One column's value, typed as the column is (integers of every width go as `int8`, which
/// PostgreSQL assigns to a `smallint` or `integer` column).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Cell {
    Text(Option<String>),
    Uuid(Option<Uuid>),
    Int(Option<i64>),
    Bool(Option<bool>),
    Date(Option<NaiveDate>),
    /// Cut to PostgreSQL's microseconds, so a row's fingerprint is that of what is stored.
    Time(Option<DateTime<Utc>>),
}

/// A row: column name → value.
pub(crate) type Row = BTreeMap<&'static str, Cell>;

/// A [`Row`] from `"column" => value` pairs, each value anything a [`Cell`] is made from.
macro_rules! row {
    ($($column:literal => $value:expr),* $(,)?) => {
        $crate::rows::Row::from([$(($column, $crate::rows::Cell::from($value))),*])
    };
}

impl Cell {
    pub(crate) fn is_null(&self) -> bool {
        match self {
            Self::Text(value) => value.is_none(),
            Self::Uuid(value) => value.is_none(),
            Self::Int(value) => value.is_none(),
            Self::Bool(value) => value.is_none(),
            Self::Date(value) => value.is_none(),
            Self::Time(value) => value.is_none(),
        }
    }

    /// The same type's null.
    fn null(&self) -> Self {
        match self {
            Self::Text(_) => Self::Text(None),
            Self::Uuid(_) => Self::Uuid(None),
            Self::Int(_) => Self::Int(None),
            Self::Bool(_) => Self::Bool(None),
            Self::Date(_) => Self::Date(None),
            Self::Time(_) => Self::Time(None),
        }
    }

    /// Its bytes for a fingerprint: a tag, then the value in a fixed form.
    fn digest(&self, into: &mut impl sha2::Digest) {
        let (tag, bytes): (u8, Option<Vec<u8>>) = match self {
            Self::Text(value) => (1, value.as_ref().map(|text| text.as_bytes().to_vec())),
            Self::Uuid(value) => (2, value.map(|id| id.as_bytes().to_vec())),
            Self::Int(value) => (3, value.map(|number| number.to_be_bytes().to_vec())),
            Self::Bool(value) => (4, value.map(|flag| vec![u8::from(flag)])),
            Self::Date(value) => (
                5,
                value.map(|date| date.num_days_from_ce().to_be_bytes().to_vec()),
            ),
            Self::Time(value) => (
                6,
                value.map(|at| at.timestamp_micros().to_be_bytes().to_vec()),
            ),
        };
        into.update([tag]);
        match bytes {
            None => into.update([0]),
            Some(bytes) => {
                into.update([1]);
                into.update((bytes.len() as u64).to_be_bytes());
                into.update(bytes);
            }
        }
    }
}

/// A row's identity: the first eight bytes of the SHA-256 of its columns' names and values.
/// Stored beside the row, so it must be the same in every build and process; a collision (one
/// in 2^64 for two versions of one key) would leave a changed row open unchanged.
pub(crate) fn fingerprint(row: &Row) -> i64 {
    use sha2::Digest as _;
    let mut hasher = sha2::Sha256::new();
    for (column, cell) in row {
        hasher.update(column.as_bytes());
        hasher.update([0]);
        cell.digest(&mut hasher);
    }
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

/// Inserts `rows` into `table` with one statement, `conflict` its conflict clause. A column
/// some rows lack is null in them.
pub(crate) async fn insert(
    connection: &mut PgConnection,
    table: &str,
    rows: Vec<Row>,
    conflict: &str,
) -> Result<(), Error> {
    // Every column any row names, with a value of its type.
    let mut columns: BTreeMap<&'static str, Cell> = BTreeMap::new();
    for row in &rows {
        for (column, cell) in row {
            columns.entry(column).or_insert_with(|| cell.null());
        }
    }
    if rows.is_empty() || columns.is_empty() {
        return Ok(());
    }
    let mut names = Vec::with_capacity(columns.len());
    let mut arrays = Vec::with_capacity(columns.len());
    for (index, (column, cell)) in columns.iter().enumerate() {
        names.push(*column);
        let kind = match cell {
            Cell::Text(_) => "text",
            Cell::Uuid(_) => "uuid",
            Cell::Int(_) => "int8",
            Cell::Bool(_) => "bool",
            Cell::Date(_) => "date",
            Cell::Time(_) => "timestamptz",
        };
        arrays.push(format!("${}::{kind}[]", index + 1));
    }
    let sql = format!(
        "insert into {table} ({}) select * from unnest({}) {conflict}",
        names.join(", "),
        arrays.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for (column, cell) in &columns {
        let values = rows.iter().map(|row| row.get(column));
        // A value of another type than the column's first is a bug in a view; it goes as null
        // rather than stopping the view, and a test comparing rows finds it.
        query = match cell {
            Cell::Text(_) => query.bind(
                values
                    .map(|cell| match cell {
                        Some(Cell::Text(value)) => value.as_deref(),
                        _ => None,
                    })
                    .collect::<Vec<_>>(),
            ),
            Cell::Uuid(_) => query.bind(
                values
                    .map(|cell| match cell {
                        Some(Cell::Uuid(value)) => *value,
                        _ => None,
                    })
                    .collect::<Vec<_>>(),
            ),
            Cell::Int(_) => query.bind(
                values
                    .map(|cell| match cell {
                        Some(Cell::Int(value)) => *value,
                        _ => None,
                    })
                    .collect::<Vec<_>>(),
            ),
            Cell::Bool(_) => query.bind(
                values
                    .map(|cell| match cell {
                        Some(Cell::Bool(value)) => *value,
                        _ => None,
                    })
                    .collect::<Vec<_>>(),
            ),
            Cell::Date(_) => query.bind(
                values
                    .map(|cell| match cell {
                        Some(Cell::Date(value)) => *value,
                        _ => None,
                    })
                    .collect::<Vec<_>>(),
            ),
            Cell::Time(_) => query.bind(
                values
                    .map(|cell| match cell {
                        Some(Cell::Time(value)) => *value,
                        _ => None,
                    })
                    .collect::<Vec<_>>(),
            ),
        };
    }
    query.execute(connection).await?;
    Ok(())
}

impl From<&str> for Cell {
    fn from(value: &str) -> Self {
        Self::Text(Some(value.to_owned()))
    }
}

impl From<String> for Cell {
    fn from(value: String) -> Self {
        Self::Text(Some(value))
    }
}

impl From<&String> for Cell {
    fn from(value: &String) -> Self {
        Self::Text(Some(value.clone()))
    }
}

impl From<Option<&str>> for Cell {
    fn from(value: Option<&str>) -> Self {
        Self::Text(value.map(str::to_owned))
    }
}

impl From<Uuid> for Cell {
    fn from(value: Uuid) -> Self {
        Self::Uuid(Some(value))
    }
}

impl From<Option<Uuid>> for Cell {
    fn from(value: Option<Uuid>) -> Self {
        Self::Uuid(value)
    }
}

impl From<i64> for Cell {
    fn from(value: i64) -> Self {
        Self::Int(Some(value))
    }
}

impl From<i32> for Cell {
    fn from(value: i32) -> Self {
        Self::Int(Some(value.into()))
    }
}

impl From<i16> for Cell {
    fn from(value: i16) -> Self {
        Self::Int(Some(value.into()))
    }
}

impl From<u32> for Cell {
    fn from(value: u32) -> Self {
        Self::Int(Some(value.into()))
    }
}

impl From<u16> for Cell {
    fn from(value: u16) -> Self {
        Self::Int(Some(value.into()))
    }
}

impl From<u8> for Cell {
    fn from(value: u8) -> Self {
        Self::Int(Some(value.into()))
    }
}

impl From<u64> for Cell {
    fn from(value: u64) -> Self {
        Self::Int(i64::try_from(value).ok())
    }
}

impl From<usize> for Cell {
    fn from(value: usize) -> Self {
        Self::Int(i64::try_from(value).ok())
    }
}

impl From<bool> for Cell {
    fn from(value: bool) -> Self {
        Self::Bool(Some(value))
    }
}

impl From<Option<bool>> for Cell {
    fn from(value: Option<bool>) -> Self {
        Self::Bool(value)
    }
}

impl From<NaiveDate> for Cell {
    fn from(value: NaiveDate) -> Self {
        Self::Date(Some(value))
    }
}

impl From<DateTime<Utc>> for Cell {
    fn from(value: DateTime<Utc>) -> Self {
        Self::Time(Some(value.trunc_subsecs(6)))
    }
}

impl From<Option<DateTime<Utc>>> for Cell {
    fn from(value: Option<DateTime<Utc>>) -> Self {
        Self::Time(value.map(|at| at.trunc_subsecs(6)))
    }
}
