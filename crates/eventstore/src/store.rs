use std::collections::HashSet;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Row as _};
use uuid::Uuid;

use crate::group::GroupCommit;
use crate::{
    AppendRequest, AppendResult, Error, EventMetadata, ExpectedVersion, Position, RecordedEvent,
    StreamVersion, Subscription, Upcasters,
};

/// Columns of `events` in the order [`decode_event`] reads them.
const EVENT_COLUMNS: &str = "transaction_id::text::bigint, global_position, stream_id, \
     stream_version, event_id, event_type, schema_version, payload, metadata, recorded_at";

/// The store over a connection pool. Cheap to clone.
#[derive(Clone, Debug)]
pub struct EventStore {
    pool: PgPool,
    upcasters: Upcasters,
    notifier: Notifier,
    /// `None`: each append commits in a transaction of its own.
    group: Option<GroupCommit>,
}

/// Wakes subscribers after an append commits: `NOTIFY` from a task of its own, so that no
/// appending transaction carries a notification (PostgreSQL serialises the commits of those;
/// see migration 0002). Wake-ups asked for while one is being sent are coalesced into the
/// next, so a burst of appends costs one or two notifications, not one each.
#[derive(Clone, Debug)]
pub(crate) struct Notifier {
    wake: tokio::sync::mpsc::Sender<()>,
}

impl Notifier {
    /// The task ends when the last clone of the store is dropped.
    fn spawn(pool: PgPool) -> Self {
        let (wake, mut woken) = tokio::sync::mpsc::channel::<()>(1);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                while woken.recv().await.is_some() {
                    if let Err(error) = sqlx::query("select pg_notify($1, '')")
                        .bind(crate::NOTIFY_CHANNEL)
                        .execute(&pool)
                        .await
                    {
                        // Subscribers poll as well: this costs latency, not events.
                        tracing::debug!(%error, "waking subscribers");
                    }
                }
            });
        }
        Self { wake }
    }

    pub(crate) fn committed(&self) {
        // Full means a wake-up is already waiting to be sent: this one rides along.
        let _ = self.wake.try_send(());
    }
}

/// The log's size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counts {
    pub events: u64,
    pub streams: u64,
}

/// What lies after a position in the log (see [`EventStore::after`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Behind {
    /// Events a reader may read now.
    pub readable: i64,
    /// When the oldest of those was recorded; `None` when there is none.
    pub oldest_readable: Option<chrono::DateTime<chrono::Utc>>,
    /// Events committed but behind the horizon (a transaction still open began before them).
    pub waiting: i64,
}

/// How far readers of the global log are held back, and by whom.
#[derive(Clone, Debug, PartialEq)]
pub struct Horizon {
    /// Readers see transactions below this id.
    pub xmin: u64,
    /// How long the oldest open transaction with a transaction id (which holds `xmin` back)
    /// has been open; `None` when there is none besides the asking one.
    pub oldest_open_transaction_age: Option<Duration>,
    /// The backend process of that transaction, to find it in `pg_stat_activity`.
    pub oldest_open_transaction_pid: Option<i32>,
}

impl EventStore {
    /// Within a Tokio runtime: the store's notifier and its committer (group commit, see
    /// `group`) run as tasks on it. Outside one, each append commits alone.
    pub fn new(pool: PgPool) -> Self {
        let notifier = Notifier::spawn(pool.clone());
        Self {
            group: GroupCommit::spawn(pool.clone(), notifier.clone()),
            notifier,
            pool,
            upcasters: Upcasters::default(),
        }
    }

    /// Each append from now on commits in a transaction of its own (the single path), not
    /// gathered with others: for tests of that path and for comparing the two.
    pub fn with_single_appends(mut self) -> Self {
        self.group = None;
        self
    }

    /// Whether appends are gathered into group commits.
    pub fn groups_appends(&self) -> bool {
        self.group.is_some()
    }

    /// Events read from now on are brought to their newest schema version by these steps.
    pub fn with_upcasters(mut self, upcasters: Upcasters) -> Self {
        self.upcasters = upcasters;
        self
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Runs the store's migrations. Safe to run from several processes at once. Other crates
    /// (the projections) keep their own migrations in the same table with other version
    /// numbers, so each set ignores the versions it does not know.
    pub async fn migrate(&self) -> Result<(), Error> {
        let mut migrator = sqlx::migrate!("./migrations");
        migrator.set_ignore_missing(true);
        migrator.run(&self.pool).await?;
        Ok(())
    }

    /// Appends, then wakes the subscribers. With group commit (the default) the append is
    /// committed with whatever other appends queued meanwhile, in one transaction, and gets
    /// its own result; a malformed request is refused here, before it queues.
    #[tracing::instrument(skip_all, fields(command_id = %request.metadata.command_id, streams = request.streams.len()))]
    pub async fn append(&self, request: &AppendRequest) -> Result<AppendResult, Error> {
        let append = PreparedAppend::from_request(request)?;
        match &self.group {
            Some(group) => group.append(append).await,
            None => append_alone(&self.pool, &self.notifier, &append).await,
        }
    }

    /// Several appends in one transaction, each with its own result in the order given:
    /// what the committer sends as one batch, callable directly where a caller holds many
    /// commands at once. One command's conflict or replay does not touch another's; a
    /// malformed request refuses the whole call before anything is sent, and an error of the
    /// transaction as a whole is returned as the call's error with nothing written.
    pub async fn append_batch(
        &self,
        requests: &[AppendRequest],
    ) -> Result<Vec<Result<AppendResult, Error>>, Error> {
        let appends = requests
            .iter()
            .map(PreparedAppend::from_request)
            .collect::<Result<Vec<_>, _>>()?;
        crate::group::commit_batch(&self.pool, &self.notifier, &appends).await
    }

    /// Appends inside the caller's transaction, which must not have written yet (the append
    /// must be its first write) and must be read committed. The caller may write more after
    /// it, e.g. a subscriber's checkpoint. Subscribers see the events at the caller's commit
    /// and find them at their next poll (or the next wake-up another append sends).
    pub async fn append_in(
        &self,
        connection: &mut PgConnection,
        request: &AppendRequest,
    ) -> Result<AppendResult, Error> {
        append_on(connection, &PreparedAppend::from_request(request)?).await
    }

    /// The result of a command already appended, if any: a service looks here when deciding a
    /// command again refuses it (its step has happened), so a retried command is answered with
    /// its first result; an append of a known command id returns that result by itself. An id
    /// first used with another command (another `fingerprint`) is [`Error::CommandIdReused`].
    pub async fn command_result(
        &self,
        command_id: Uuid,
        fingerprint: Option<&[u8]>,
    ) -> Result<Option<AppendResult>, Error> {
        let stored: Option<(Value, Option<Vec<u8>>)> =
            sqlx::query_as("select result, fingerprint from commands where command_id = $1")
                .bind(command_id)
                .fetch_optional(&self.pool)
                .await?;
        let Some((result, first)) = stored else {
            return Ok(None);
        };
        if let (Some(first), Some(sent)) = (first.as_deref(), fingerprint)
            && first != sent
        {
            return Err(Error::CommandIdReused { command_id });
        }
        decode_result(result, true).map(Some)
    }

    /// The ids of a category's streams written for a municipality (`case` streams of 5035,
    /// say), in id order.
    pub async fn streams_of(
        &self,
        category: &str,
        municipality: &str,
    ) -> Result<Vec<String>, Error> {
        Ok(sqlx::query_scalar(
            "select stream_id from streams where category = $1 and municipality = $2 \
             order by stream_id",
        )
        .bind(category)
        .bind(municipality)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The municipality a stream was written for, if the stream exists and names one.
    pub async fn stream_municipality(&self, stream_id: &str) -> Result<Option<String>, Error> {
        Ok(
            sqlx::query_scalar("select municipality from streams where stream_id = $1")
                .bind(stream_id)
                .fetch_optional(&self.pool)
                .await?
                .flatten(),
        )
    }

    /// The stream's current version; 0 when it has no events.
    pub async fn stream_version(&self, stream_id: &str) -> Result<u64, Error> {
        let version: Option<i64> =
            sqlx::query_scalar("select version from streams where stream_id = $1")
                .bind(stream_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(version.map_or(0, i64::unsigned_abs))
    }

    /// A stream's events with version `from_version` and up, in version order.
    pub async fn read_stream(
        &self,
        stream_id: &str,
        from_version: u64,
        limit: u32,
    ) -> Result<Vec<RecordedEvent>, Error> {
        let from = i64::try_from(from_version).unwrap_or(i64::MAX);
        let rows = sqlx::query(&format!(
            "select {EVENT_COLUMNS} from events \
             where stream_id = $1 and stream_version >= $2 \
             order by stream_version limit $3"
        ))
        .bind(stream_id)
        .bind(from)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        self.decode_rows(rows)
    }

    /// A stream's events up to and including global position `until`, on the caller's
    /// connection. A projection folding another stream while it applies the event at `until`
    /// sees that stream exactly as the log had it then, live or in a rebuild.
    pub async fn read_stream_until(
        &self,
        connection: &mut sqlx::PgConnection,
        stream_id: &str,
        until: Position,
    ) -> Result<Vec<RecordedEvent>, Error> {
        let rows = sqlx::query(&format!(
            "select {EVENT_COLUMNS} from events \
             where stream_id = $1 \
               and (transaction_id, global_position) <= ($2::text::xid8, $3) \
             order by stream_version"
        ))
        .bind(stream_id)
        .bind(until.transaction_id.to_string())
        .bind(until.global_position)
        .fetch_all(connection)
        .await?;
        self.decode_rows(rows)
    }

    /// Up to `limit` events of the global log after `after`, in log order, and only from
    /// transactions that have ended: what this returns is never followed by an event that
    /// sorts before it.
    pub async fn read_all(&self, after: Position, limit: u32) -> Result<Vec<RecordedEvent>, Error> {
        let mut connection = self.pool.acquire().await?;
        read_all_in(&mut connection, &self.upcasters, after, limit).await
    }

    /// The position of the last committed event in log order, readable yet or not (START
    /// for an empty log): a reader that must see everything written so far reads until it
    /// has passed this.
    pub async fn last_position(&self) -> Result<Position, Error> {
        let last: Option<(i64, i64)> = sqlx::query_as(
            "select e.transaction_id::text::bigint, e.global_position from events e \
              order by e.transaction_id desc, e.global_position desc limit 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(
            last.map_or(Position::START, |(transaction_id, global_position)| {
                Position {
                    transaction_id: transaction_id.unsigned_abs(),
                    global_position,
                }
            }),
        )
    }

    /// How many events and streams the log holds, committed (for the operators' system page
    /// and a simulation's progress).
    pub async fn counts(&self) -> Result<Counts, Error> {
        let (events, streams): (i64, i64) =
            sqlx::query_as("select (select count(*) from events), (select count(*) from streams)")
                .fetch_one(&self.pool)
                .await?;
        Ok(Counts {
            events: events.unsigned_abs(),
            streams: streams.unsigned_abs(),
        })
    }

    /// Whether the log holds no event at all.
    pub async fn is_empty(&self) -> Result<bool, Error> {
        Ok(
            sqlx::query_scalar("select not exists (select 1 from events)")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// How many events a reader may read now: those of transactions that have ended (below
    /// the horizon). A rebuild counts what it will replay.
    pub async fn readable_count(&self) -> Result<u64, Error> {
        let total: i64 = sqlx::query_scalar(
            "select count(*) from events \
              where transaction_id < pg_snapshot_xmin(pg_current_snapshot())",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(total.unsigned_abs())
    }

    /// What lies after `position` in the log: events readable now and the oldest one's
    /// `recorded_at`, and events committed but behind the horizon. A subscriber's lag.
    pub async fn after(&self, position: Position) -> Result<Behind, Error> {
        let row = sqlx::query(
            "with horizon as (select pg_snapshot_xmin(pg_current_snapshot()) as horizon) \
             select count(*) filter (where transaction_id < horizon), \
                    min(recorded_at) filter (where transaction_id < horizon), \
                    count(*) filter (where transaction_id >= horizon) \
               from events, horizon \
              where (transaction_id, global_position) > ($1::text::xid8, $2)",
        )
        .bind(position.transaction_id.to_string())
        .bind(position.global_position)
        .fetch_one(&self.pool)
        .await?;
        Ok(Behind {
            readable: row.try_get(0)?,
            oldest_readable: row.try_get(1)?,
            waiting: row.try_get(2)?,
        })
    }

    /// The reader horizon and the transaction holding it back.
    pub async fn horizon(&self) -> Result<Horizon, Error> {
        let row = sqlx::query(
            "with oldest as ( \
                 select pid, extract(epoch from clock_timestamp() - xact_start)::float8 as age \
                   from pg_stat_activity \
                  where backend_xid is not null and pid <> pg_backend_pid() \
                 union all \
                 select null, extract(epoch from clock_timestamp() - prepared)::float8 \
                   from pg_prepared_xacts) \
             select pg_snapshot_xmin(pg_current_snapshot())::text::bigint, \
                    (select age from oldest order by age desc nulls last limit 1), \
                    (select pid from oldest order by age desc nulls last limit 1)",
        )
        .fetch_one(&self.pool)
        .await?;
        let xmin: i64 = row.try_get(0)?;
        let age: Option<f64> = row.try_get(1)?;
        Ok(Horizon {
            xmin: xmin.unsigned_abs(),
            oldest_open_transaction_age: age
                .map(|seconds| Duration::from_secs_f64(seconds.max(0.0))),
            oldest_open_transaction_pid: row.try_get(2)?,
        })
    }

    /// Follows the global log from the subscriber's stored checkpoint.
    pub async fn subscribe(&self, subscriber: &str) -> Result<Subscription, Error> {
        Subscription::open(self.clone(), subscriber).await
    }

    pub(crate) fn upcasters(&self) -> &Upcasters {
        &self.upcasters
    }

    fn decode_rows(&self, rows: Vec<PgRow>) -> Result<Vec<RecordedEvent>, Error> {
        rows.iter()
            .map(|row| decode_event(row, &self.upcasters))
            .collect()
    }
}

/// One append in a transaction of its own (the single path, and a batch's retry of each
/// command alone), then the subscribers woken.
pub(crate) async fn append_alone(
    pool: &PgPool,
    notifier: &Notifier,
    append: &PreparedAppend,
) -> Result<AppendResult, Error> {
    let mut connection = pool.acquire().await?;
    let result = append_on(&mut connection, append).await?;
    if !result.replayed {
        notifier.committed();
    }
    Ok(result)
}

async fn append_on(
    connection: &mut PgConnection,
    append: &PreparedAppend,
) -> Result<AppendResult, Error> {
    let outcome: Value =
        sqlx::query_scalar("select vern_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .bind(append.command_id)
            .bind(append.fingerprint.as_deref())
            .bind(&append.metadata)
            .bind(&append.streams)
            .bind(&append.expected)
            .bind(&append.municipalities)
            .bind(&append.event_stream)
            .bind(&append.event_ids)
            .bind(&append.event_types)
            .bind(&append.schema_versions)
            .bind(&append.payloads)
            .fetch_one(&mut *connection)
            .await
            .map_err(append_error)?;
    decode_outcome(outcome, append.command_id)
}

pub(crate) async fn read_all_in(
    connection: &mut PgConnection,
    upcasters: &Upcasters,
    after: Position,
    limit: u32,
) -> Result<Vec<RecordedEvent>, Error> {
    let transaction_id = i64::try_from(after.transaction_id)
        .map_err(|_| Error::Malformed(format!("position {after} out of range")))?;
    // One statement, one snapshot: the xmin bound and the rows come from the same view.
    // The order names the table's columns: a bare `transaction_id` would be the output column
    // of that name (cast to bigint), which the index does not sort, and every read would sort
    // the whole rest of the log (200 ms a batch a million events in).
    let rows = sqlx::query(&format!(
        "select {EVENT_COLUMNS} from events \
         where (transaction_id, global_position) > ($1::text::xid8, $2) \
           and transaction_id < pg_snapshot_xmin(pg_current_snapshot()) \
         order by events.transaction_id, events.global_position \
         limit $3"
    ))
    .bind(transaction_id.to_string())
    .bind(after.global_position)
    .bind(i64::from(limit))
    .fetch_all(&mut *connection)
    .await?;
    rows.iter()
        .map(|row| decode_event(row, upcasters))
        .collect()
}

/// The subscriber's stored checkpoint, or [`Position::START`].
pub async fn load_checkpoint(
    connection: &mut PgConnection,
    subscriber: &str,
) -> Result<Position, Error> {
    checkpoint_query(connection, subscriber, "").await
}

async fn checkpoint_query(
    connection: &mut PgConnection,
    subscriber: &str,
    locking: &'static str,
) -> Result<Position, Error> {
    let row = sqlx::query(&format!(
        "select transaction_id::text::bigint, global_position from checkpoints \
         where subscriber = $1{locking}"
    ))
    .bind(subscriber)
    .fetch_optional(&mut *connection)
    .await?;
    match row {
        None => Ok(Position::START),
        Some(row) => Ok(Position {
            transaction_id: row.try_get::<i64, _>(0)?.unsigned_abs(),
            global_position: row.try_get(1)?,
        }),
    }
}

/// Creates the subscriber's checkpoint row at the start of the log if it has none, so that
/// [`lock_checkpoint`] always has a row to lock.
pub async fn ensure_checkpoint(
    connection: &mut PgConnection,
    subscriber: &str,
) -> Result<(), Error> {
    sqlx::query(
        "insert into checkpoints (subscriber, transaction_id, global_position, updated_at) \
         values ($1, '0'::xid8, 0, now()) on conflict (subscriber) do nothing",
    )
    .bind(subscriber)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// Reads the subscriber's checkpoint and locks its row until the transaction ends: whoever
/// holds it is the only one moving that checkpoint (a projection's batch, or a rebuild's
/// swap). Without a row (see [`ensure_checkpoint`]) nothing is locked and it reads as the
/// start.
pub async fn lock_checkpoint(
    connection: &mut PgConnection,
    subscriber: &str,
) -> Result<Position, Error> {
    checkpoint_query(connection, subscriber, " for update").await
}

/// Forgets the subscriber's checkpoint: it starts again from the log's first event (a view
/// whose tables were made anew).
pub async fn delete_checkpoint(
    connection: &mut PgConnection,
    subscriber: &str,
) -> Result<(), Error> {
    sqlx::query("delete from checkpoints where subscriber = $1")
        .bind(subscriber)
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// Stores the subscriber's checkpoint. Call it in the transaction that applies the events it
/// covers, so both commit or neither does.
pub async fn save_checkpoint(
    connection: &mut PgConnection,
    subscriber: &str,
    position: Position,
) -> Result<(), Error> {
    sqlx::query(
        "insert into checkpoints (subscriber, transaction_id, global_position, updated_at) \
         values ($1, $2::text::xid8, $3, now()) \
         on conflict (subscriber) do update \
            set transaction_id = excluded.transaction_id, \
                global_position = excluded.global_position, \
                updated_at = excluded.updated_at",
    )
    .bind(subscriber)
    .bind(position.transaction_id.to_string())
    .bind(position.global_position)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// A request checked and laid out as the arrays `vern_append` takes (one stream slot per
/// stream, numbered from 1; each event names its slot).
#[derive(Debug)]
pub(crate) struct PreparedAppend {
    pub(crate) command_id: Uuid,
    pub(crate) fingerprint: Option<Vec<u8>>,
    pub(crate) metadata: Value,
    pub(crate) streams: Vec<String>,
    pub(crate) expected: Vec<i64>,
    pub(crate) municipalities: Vec<Option<String>>,
    pub(crate) event_stream: Vec<i32>,
    pub(crate) event_ids: Vec<Uuid>,
    pub(crate) event_types: Vec<String>,
    pub(crate) schema_versions: Vec<i32>,
    pub(crate) payloads: Vec<Value>,
}

impl PreparedAppend {
    pub(crate) fn from_request(request: &AppendRequest) -> Result<Self, Error> {
        let mut seen_streams = HashSet::new();
        let mut seen_events = HashSet::new();
        let mut arguments = PreparedAppend {
            command_id: request.metadata.command_id,
            fingerprint: request.command_fingerprint.clone(),
            metadata: serde_json::to_value(&request.metadata)
                .map_err(|e| Error::InvalidAppend(format!("metadata: {e}")))?,
            streams: Vec::new(),
            expected: Vec::new(),
            municipalities: Vec::new(),
            event_stream: Vec::new(),
            event_ids: Vec::new(),
            event_types: Vec::new(),
            schema_versions: Vec::new(),
            payloads: Vec::new(),
        };
        for (index, write) in request.streams.iter().enumerate() {
            let category = write
                .stream_id
                .split_once('-')
                .map(|(category, _)| category);
            if !matches!(category, Some(c) if !c.is_empty()) || write.stream_id.len() > 200 {
                return Err(Error::InvalidAppend(format!(
                    "stream id {:?} is not <category>-<id> of at most 200 characters",
                    write.stream_id
                )));
            }
            if !seen_streams.insert(write.stream_id.as_str()) {
                return Err(Error::InvalidAppend(format!(
                    "stream {} appears twice",
                    write.stream_id
                )));
            }
            arguments.streams.push(write.stream_id.clone());
            arguments.expected.push(write.expected.encode()?);
            arguments.municipalities.push(write.municipality.clone());
            let stream_index = i32::try_from(index + 1)
                .map_err(|_| Error::InvalidAppend("too many streams".into()))?;
            for event in &write.events {
                if event.event_type.is_empty() || event.schema_version < 1 {
                    return Err(Error::InvalidAppend(format!(
                        "event {} needs a type and a schema version of at least 1",
                        event.event_id
                    )));
                }
                if !seen_events.insert(event.event_id) {
                    return Err(Error::DuplicateEventId(event.event_id));
                }
                readable(&event.payload).map_err(|reason| {
                    Error::InvalidAppend(format!(
                        "event {} of {} would not read back: {reason}",
                        event.event_id, write.stream_id
                    ))
                })?;
                arguments.event_stream.push(stream_index);
                arguments.event_ids.push(event.event_id);
                arguments.event_types.push(event.event_type.clone());
                arguments.schema_versions.push(event.schema_version);
                arguments.payloads.push(event.payload.clone());
            }
        }
        if arguments.event_ids.is_empty() {
            return Err(Error::InvalidAppend(
                "an append needs at least one event".into(),
            ));
        }
        Ok(arguments)
    }
}

/// The deepest a stored payload may nest. Readers decode payloads with serde_json, which stops
/// at 128 levels: a payload written deeper could never be read back, and every subscriber
/// would stop at it for good. Half that leaves the readers a margin.
pub const MAX_PAYLOAD_DEPTH: usize = 64;

/// Whether a payload will read back as it was written: not nested past [`MAX_PAYLOAD_DEPTH`],
/// and no NUL character in a string or a key (PostgreSQL's `jsonb` refuses `\u0000`, which
/// would fail the append with a database error rather than a refusal).
fn readable(payload: &Value) -> Result<(), String> {
    fn walk(value: &Value, depth: usize) -> Result<(), String> {
        match value {
            Value::String(text) if text.contains('\0') => {
                Err("a string holds the NUL character".into())
            }
            Value::Array(_) | Value::Object(_) if depth > MAX_PAYLOAD_DEPTH => {
                Err(format!("it nests deeper than {MAX_PAYLOAD_DEPTH} levels"))
            }
            Value::Array(items) => items.iter().try_for_each(|item| walk(item, depth + 1)),
            Value::Object(map) => map.iter().try_for_each(|(key, item)| {
                if key.contains('\0') {
                    return Err("a key holds the NUL character".into());
                }
                walk(item, depth + 1)
            }),
            _ => Ok(()),
        }
    }
    walk(payload, 1)
}

pub(crate) fn append_error(error: sqlx::Error) -> Error {
    if let sqlx::Error::Database(db) = &error {
        match db.code().as_deref() {
            Some("VR001") => return Error::NotFirstWrite,
            Some("VR002") => return Error::WrongIsolation,
            Some("23505") if db.constraint() == Some("events_event_id_key") => {
                // The detail reads "Key (event_id)=(<uuid>) already exists."
                let id = db
                    .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                    .and_then(|pg| pg.detail())
                    .and_then(|detail| {
                        detail
                            .split(['(', ')'])
                            .find_map(|word| Uuid::parse_str(word).ok())
                    })
                    .unwrap_or_default();
                return Error::DuplicateEventId(id);
            }
            _ => {}
        }
    }
    Error::Database(error)
}

#[derive(Deserialize)]
struct StoredResult {
    streams: Vec<StreamVersion>,
    transaction_id: u64,
    first_position: i64,
    last_position: i64,
}

#[derive(Deserialize)]
struct StoredConflict {
    stream_id: String,
    expected: i64,
    actual: u64,
}

pub(crate) fn decode_outcome(outcome: Value, command_id: Uuid) -> Result<AppendResult, Error> {
    if outcome.get("reused").and_then(Value::as_bool) == Some(true) {
        return Err(Error::CommandIdReused { command_id });
    }
    if let Some(conflict) = outcome.get("conflict") {
        let conflict: StoredConflict = serde_json::from_value(conflict.clone())
            .map_err(|e| Error::Malformed(format!("append conflict: {e}")))?;
        return Err(Error::Conflict {
            stream_id: conflict.stream_id,
            expected: ExpectedVersion::decode(conflict.expected),
            actual: conflict.actual,
        });
    }
    let replayed = outcome.get("replayed").and_then(Value::as_bool) == Some(true);
    let result = outcome
        .get("result")
        .cloned()
        .ok_or_else(|| Error::Malformed("append returned no result".into()))?;
    decode_result(result, replayed)
}

fn decode_result(result: Value, replayed: bool) -> Result<AppendResult, Error> {
    let stored: StoredResult = serde_json::from_value(result)
        .map_err(|e| Error::Malformed(format!("append result: {e}")))?;
    let at = |global_position| Position {
        transaction_id: stored.transaction_id,
        global_position,
    };
    Ok(AppendResult {
        first_position: at(stored.first_position),
        last_position: at(stored.last_position),
        streams: stored.streams,
        replayed,
    })
}

fn decode_event(row: &PgRow, upcasters: &Upcasters) -> Result<RecordedEvent, Error> {
    let metadata: Value = row.try_get(8)?;
    let metadata: EventMetadata = serde_json::from_value(metadata)
        .map_err(|e| Error::Malformed(format!("event metadata: {e}")))?;
    let mut event = RecordedEvent {
        position: Position {
            transaction_id: row.try_get::<i64, _>(0)?.unsigned_abs(),
            global_position: row.try_get(1)?,
        },
        stream_id: row.try_get(2)?,
        stream_version: row.try_get::<i64, _>(3)?.unsigned_abs(),
        event_id: row.try_get(4)?,
        event_type: row.try_get(5)?,
        schema_version: row.try_get(6)?,
        payload: row.try_get(7)?,
        metadata,
        recorded_at: row.try_get(9)?,
    };
    upcasters.apply(&mut event)?;
    Ok(event)
}
