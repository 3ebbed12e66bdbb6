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
    pub(crate) fn null(&self) -> Self {
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
    // A value of another type than the column's first is a bug in a view; it goes as null
    // rather than stopping the view, and a test comparing rows finds it.
    for (column, cell) in &columns {
        let rows = &rows;
        query = match cell {
            Cell::Text(_) => query.bind(values(rows, column, |cell| match cell {
                Cell::Text(value) => value.as_deref(),
                _ => None,
            })),
            Cell::Uuid(_) => query.bind(values(rows, column, |cell| match cell {
                Cell::Uuid(value) => *value,
                _ => None,
            })),
            Cell::Int(_) => query.bind(values(rows, column, |cell| match cell {
                Cell::Int(value) => *value,
                _ => None,
            })),
            Cell::Bool(_) => query.bind(values(rows, column, |cell| match cell {
                Cell::Bool(value) => *value,
                _ => None,
            })),
            Cell::Date(_) => query.bind(values(rows, column, |cell| match cell {
                Cell::Date(value) => *value,
                _ => None,
            })),
            Cell::Time(_) => query.bind(values(rows, column, |cell| match cell {
                Cell::Time(value) => *value,
                _ => None,
            })),
        };
    }
    query.execute(connection).await?;
    Ok(())
}

/// The values of `column` in `rows`, as `pick` reads each (null where a row lacks it).
fn values<'a, T>(
    rows: &'a [Row],
    column: &str,
    pick: impl Fn(&'a Cell) -> Option<T>,
) -> Vec<Option<T>> {
    rows.iter()
        .map(|row| row.get(column).and_then(&pick))
        .collect()
}

/// `From` for each type a view's value comes as: `type => |value| cell`.
macro_rules! cells_from {
    ($($type:ty => |$value:ident| $cell:expr;)*) => {
        $(impl From<$type> for Cell {
            fn from($value: $type) -> Self {
                $cell
            }
        })*
    };
}

cells_from! {
    &str => |value| Self::Text(Some(value.to_owned()));
    String => |value| Self::Text(Some(value));
    &String => |value| Self::Text(Some(value.clone()));
    Option<&str> => |value| Self::Text(value.map(str::to_owned));
    Uuid => |value| Self::Uuid(Some(value));
    Option<Uuid> => |value| Self::Uuid(value);
    i64 => |value| Self::Int(Some(value));
    i32 => |value| Self::Int(Some(value.into()));
    i16 => |value| Self::Int(Some(value.into()));
    u32 => |value| Self::Int(Some(value.into()));
    u16 => |value| Self::Int(Some(value.into()));
    u8 => |value| Self::Int(Some(value.into()));
    u64 => |value| Self::Int(i64::try_from(value).ok());
    usize => |value| Self::Int(i64::try_from(value).ok());
    bool => |value| Self::Bool(Some(value));
    Option<bool> => |value| Self::Bool(value);
    NaiveDate => |value| Self::Date(Some(value));
    DateTime<Utc> => |value| Self::Time(Some(value.trunc_subsecs(6)));
    Option<DateTime<Utc>> => |value| Self::Time(value.map(|at| at.trunc_subsecs(6)));
}
