//! Domain state of the streams a view needs, as the global log had it at the event being
//! applied.
//!
//! Views need more than the event in hand: a letter owed depends on the report and on its
//! children's cases. Folding every stream the view needs, bounded by the position being
//! applied, makes each view a function of the log prefix alone, so a rebuild writes exactly
//! the rows the live runner wrote, timestamps included.
//!
//! Why a [`Memory`]: reading and folding those streams from the database for every event cost
//! a view about a millisecond per event, most of its time. A runner applies the log in order,
//! so the state of a stream it has seen is its last state plus the event in hand. The memory
//! keeps those states, and the rows each stream has open in a view's tables, for as long as
//! the runner applies without a gap; whatever it does not hold is read from the database as
//! before. It holds only what follows from the log prefix, so it stays true when a rebuild
//! swaps in tables built from the same prefix. Whoever applies must hand it every event of
//! the log in order, and drop it (or [`Memory::forget`]) when it rewinds or a batch fails.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use domain::StoredEvent;
use domain::case::{self, CaseEvent, CaseId, CaseState};
use domain::report::{self, ReportEvent, ReportId, ReportState};
use eventstore::{EventStore, Position, RecordedEvent};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::Error;
use crate::writes::Writes;

/// Stream states held at most, with the open rows of those streams; the least recently used
/// go first.
const CAPACITY: usize = 10_000;

/// Streams a memory from the log's start keeps the ids of at most (16 bytes each, plus the
/// set's overhead); past that it reads unseen streams like any other memory.
const SEEN_LIMIT: usize = 1_000_000;

/// An event of one of the domain's two stream kinds, with its stream's state before and
/// after it. Shared, not copied: the memory keeps the state after, and views replaying side
/// by side share the decoded event and the state after (see [`SharedSteps`]).
pub(crate) enum Step {
    Report {
        event: Arc<ReportEvent>,
        before: Arc<ReportState>,
        after: Arc<ReportState>,
    },
    Case {
        id: CaseId,
        event: Arc<CaseEvent>,
        before: Arc<CaseState>,
        after: Arc<CaseState>,
    },
    /// Streams the views do not read.
    Other,
}

impl Step {
    /// When it happened in the service (see `ReportEvent::occurred_at`).
    pub(crate) fn occurred_at(&self, record: &RecordedEvent) -> chrono::DateTime<chrono::Utc> {
        match self {
            Self::Report { event, .. } => event.occurred_at(),
            Self::Case { event, .. } => event.occurred_at(),
            Self::Other => record.recorded_at,
        }
    }

    /// Its two times: when its step was taken, and when the service learned of it.
    pub(crate) fn when(&self, record: &RecordedEvent) -> crate::When {
        crate::When::of(record, self.occurred_at(record))
    }
}

/// Open rows of one stream in one table: item key → its fingerprint (see `intervals`).
pub(crate) type OpenRows = BTreeMap<String, i64>;

/// What a runner knows of the log it has applied so far (see the module docs).
pub struct Memory {
    store: EventStore,
    capacity: usize,
    /// Position of the last event stepped; the states below hold at it.
    at: Position,
    reports: Recent<ReportId, Arc<ReportState>>,
    cases: Recent<CaseId, Arc<CaseState>>,
    open_rows: Recent<(&'static str, String), OpenRows>,
    /// The stream of the event being stepped, if that is its first event: it has no rows yet.
    new_stream: Option<String>,
    /// Every stream stepped, when the memory has been handed the log from its first event:
    /// a stream not in it has no events yet (see [`Memory::from_start`]).
    seen: Option<Seen>,
    /// What the batch being applied has written (see `writes`).
    writes: Writes,
    /// Steps shared with the memories of views replaying the same log side by side.
    shared: Option<Arc<SharedSteps>>,
}

impl Memory {
    pub fn new(store: EventStore) -> Self {
        Self::with_capacity(store, CAPACITY)
    }

    /// Holding at most `capacity` entries; 0 keeps nothing from one batch to the next, so with
    /// batches of one event every state is read from the database.
    pub fn with_capacity(store: EventStore, capacity: usize) -> Self {
        Self {
            store,
            capacity,
            at: Position::START,
            reports: Recent::default(),
            cases: Recent::default(),
            open_rows: Recent::default(),
            new_stream: None,
            seen: None,
            writes: Writes::default(),
            shared: None,
        }
    }

    /// For whoever applies the log from its first event (a rebuild, a view refilled from
    /// the start). It also keeps the ids of the streams it has stepped, so a stream it has
    /// not seen is known to be empty without a read: a screening names its new cases before
    /// their first events, and each of those was a read.
    pub fn from_start(store: EventStore) -> Self {
        Self {
            seen: Some(Seen::default()),
            ..Self::new(store)
        }
    }

    /// Forgets everything, the batch's unsent writes too: the next reads go to the database.
    pub fn forget(&mut self) {
        self.forget_streams();
        self.writes = Writes::default();
    }

    fn forget_streams(&mut self) {
        self.seen = None;
        self.reports.clear();
        self.cases.clear();
        self.open_rows.clear();
    }

    /// Where a view puts the rows it writes.
    pub(crate) fn writes(&mut self) -> &mut Writes {
        &mut self.writes
    }

    /// Keeps the interval rows still open at each flush until they close (see
    /// `Writes::hold_open_rows`), and every stream's open rows with them: the tables hold
    /// none of those rows, so none may be read from them. For a rebuild into empty tables,
    /// which ends with [`Memory::take_all_writes`]; a memory that keeps nothing between batches
    /// (capacity 0) holds nothing either.
    pub(crate) fn hold_open_rows(&mut self) {
        if self.capacity > 0 {
            self.writes.hold_open_rows();
        }
    }

    /// Whether it holds open rows (`hold_open_rows`): its tables then lack them, and only
    /// its own writes may be read back.
    pub(crate) fn holds_open_rows(&self) -> bool {
        self.writes.holds_open_rows()
    }

    /// [`Memory::take_writes`], the open rows held too; the memory holds none after it.
    pub(crate) fn take_all_writes(&mut self) -> Writes {
        self.writes.stop_holding();
        self.take_writes()
    }

    /// Sends the batch's writes in `transaction`; call it before saving the checkpoint.
    pub async fn flush(&mut self, transaction: &mut PgConnection) -> Result<(), Error> {
        self.take_writes().send(transaction).await
    }

    /// The batch's writes, taken to be sent (see [`Memory::flush`]). Lets go of what was least
    /// recently used when full, between batches only: within one, the open rows the batch
    /// wrote are known only here.
    pub(crate) fn take_writes(&mut self) -> Writes {
        let writes = self.writes.take();
        // Open rows are a few hashes a stream; the states are what weighs.
        let young = self.reports.young.len() + self.cases.young.len();
        if self.capacity == 0 {
            self.forget_streams();
        } else if young >= self.capacity / 2 {
            self.reports.age();
            self.cases.age();
            if !self.writes.holds_open_rows() {
                self.open_rows.age();
            }
        }
        writes
    }

    /// Takes `record`, the next event of the log, decodes it and moves its stream's state on.
    pub(crate) async fn step(
        &mut self,
        projection: &'static str,
        connection: &mut PgConnection,
        record: &RecordedEvent,
    ) -> Result<Step, Error> {
        if record.position <= self.at {
            // Not the next event: whatever is held may be ahead of it.
            self.forget();
        }
        self.at = record.position;
        self.new_stream = (record.stream_version == 1).then(|| record.stream_id.clone());
        if let Some(id) = stream_uuid(projection, record, "report-")? {
            let id = ReportId::new(id);
            self.saw(|seen| seen.reports.insert(id));
            let before = match self.reports.take(&id) {
                Some(state) => state,
                // The stream's first event: nothing to read.
                None if record.stream_version == 1 => Arc::default(),
                None => {
                    let stream = id.stream_name();
                    Arc::new(
                        self.read(
                            projection,
                            connection,
                            &stream,
                            report::evolve,
                            Some(record),
                        )
                        .await?,
                    )
                }
            };
            let (event, after) = self.advance(
                projection,
                record,
                &*before,
                report::evolve,
                Shared::Report,
                |shared| match shared {
                    Shared::Report(event, after) => Some((event, after)),
                    Shared::Case(..) => None,
                },
            )?;
            self.reports.insert(id, Arc::clone(&after));
            return Ok(Step::Report {
                event,
                before,
                after,
            });
        }
        if let Some(id) = stream_uuid(projection, record, "case-")? {
            let id = CaseId::new(id);
            self.saw(|seen| seen.cases.insert(id));
            let before = match self.cases.take(&id) {
                Some(state) => state,
                // The stream's first event: nothing to read.
                None if record.stream_version == 1 => Arc::default(),
                None => {
                    let stream = id.stream_name();
                    Arc::new(
                        self.read(projection, connection, &stream, case::evolve, Some(record))
                            .await?,
                    )
                }
            };
            let (event, after) = self.advance(
                projection,
                record,
                &*before,
                case::evolve,
                Shared::Case,
                |shared| match shared {
                    Shared::Case(event, after) => Some((event, after)),
                    Shared::Report(..) => None,
                },
            )?;
            self.cases.insert(id, Arc::clone(&after));
            return Ok(Step::Case {
                id,
                event,
                before,
                after,
            });
        }
        Ok(Step::Other)
    }

    /// `record` decoded and `before` moved on by it, or what another sharer made of them.
    fn advance<E: StoredEvent, S: Clone>(
        &self,
        projection: &'static str,
        record: &RecordedEvent,
        before: &S,
        evolve: fn(S, &E) -> S,
        share: fn(Arc<E>, Arc<S>) -> Shared,
        taken: fn(Shared) -> Option<Advanced<E, S>>,
    ) -> Result<Advanced<E, S>, Error> {
        if let Some(step) = self.shared_step(record.position).and_then(taken) {
            return Ok(step);
        }
        let version = u32::try_from(record.schema_version).unwrap_or(0);
        let event = E::from_stored(&record.event_type, version, &record.payload)
            .map_err(|error| apply_error(projection, record.position, error))?;
        let after = Arc::new(evolve(before.clone(), &event));
        let event = Arc::new(event);
        self.share_step(
            record.position,
            share(Arc::clone(&event), Arc::clone(&after)),
        );
        Ok((event, after))
    }

    /// The report as of the last event stepped.
    pub(crate) async fn report(
        &mut self,
        projection: &'static str,
        connection: &mut PgConnection,
        id: ReportId,
    ) -> Result<Arc<ReportState>, Error> {
        let unseen = self
            .seen
            .as_ref()
            .is_some_and(|seen| !seen.reports.contains(&id));
        let state = match self.reports.take(&id) {
            Some(state) => state,
            None if unseen => Arc::default(),
            None => {
                let stream = id.stream_name();
                Arc::new(
                    self.read(projection, connection, &stream, report::evolve, None)
                        .await?,
                )
            }
        };
        self.reports.insert(id, Arc::clone(&state));
        Ok(state)
    }

    /// The case as of the last event stepped.
    pub(crate) async fn case(
        &mut self,
        projection: &'static str,
        connection: &mut PgConnection,
        id: CaseId,
    ) -> Result<Arc<CaseState>, Error> {
        let unseen = self
            .seen
            .as_ref()
            .is_some_and(|seen| !seen.cases.contains(&id));
        let state = match self.cases.take(&id) {
            Some(state) => state,
            None if unseen => Arc::default(),
            None => {
                let stream = id.stream_name();
                Arc::new(
                    self.read(projection, connection, &stream, case::evolve, None)
                        .await?,
                )
            }
        };
        self.cases.insert(id, Arc::clone(&state));
        Ok(state)
    }

    /// The cases the report's screening named, as of the last event stepped.
    pub(crate) async fn cases_of_report(
        &mut self,
        projection: &'static str,
        connection: &mut PgConnection,
        report: &ReportState,
    ) -> Result<Vec<CaseState>, Error> {
        let Some(screening) = report.report().and_then(|report| report.screening.as_ref()) else {
            return Ok(Vec::new());
        };
        let mut cases = Vec::with_capacity(screening.children.len());
        for child in &screening.children {
            let case = self
                .case(projection, connection, child.case.case_id())
                .await?;
            cases.push(CaseState::clone(&case));
        }
        Ok(cases)
    }

    /// The rows `stream_id` has open in `table`, if held; `intervals::sync` keeps them.
    /// A stream at its first event has none, and no read is needed to know it.
    pub(crate) fn open_rows(&mut self, table: &'static str, stream_id: &str) -> Option<OpenRows> {
        self.open_rows
            .take(&(table, stream_id.to_owned()))
            .or_else(|| (self.new_stream.as_deref() == Some(stream_id)).then(OpenRows::new))
    }

    pub(crate) fn keep_open_rows(&mut self, table: &'static str, stream_id: &str, rows: OpenRows) {
        self.open_rows.insert((table, stream_id.to_owned()), rows);
    }

    /// A stream folded from the database up to the last event stepped, or up to just before
    /// `before`, the event being stepped.
    async fn read<E: StoredEvent, S: Default>(
        &self,
        projection: &'static str,
        connection: &mut PgConnection,
        stream_id: &str,
        evolve: fn(S, &E) -> S,
        before: Option<&RecordedEvent>,
    ) -> Result<S, Error> {
        let events = self
            .store
            .read_stream_until(connection, stream_id, self.at)
            .await?;
        let mut state = S::default();
        for event in events {
            if before.is_some_and(|before| before.position == event.position) {
                break;
            }
            let version = u32::try_from(event.schema_version).unwrap_or(0);
            let decoded = E::from_stored(&event.event_type, version, &event.payload)
                .map_err(|error| apply_error(projection, event.position, error))?;
            state = evolve(state, &decoded);
        }
        Ok(state)
    }
}

/// An event decoded, and its stream's state after it.
type Advanced<E, S> = (Arc<E>, Arc<S>);

/// What one view's memory hands the others at an event: the decoded event and the state after.
#[derive(Clone)]
enum Shared {
    Report(Arc<ReportEvent>, Arc<ReportState>),
    Case(Arc<CaseEvent>, Arc<CaseState>),
}

/// Steps of the log shared by the memories of views that replay it side by side
/// (`rebuild_all`): the first to step an event decodes it and moves the stream on, the
/// others take that, so each event is decoded and folded once, and the states the memories
/// hold are one copy, not one per view.
///
/// Why sound: a state after an event depends on the log prefix alone, and every sharing
/// memory starts from the log's start and steps every event in order, so each would compute
/// the same state. An entry is dropped once every other sharer took it.
pub struct SharedSteps {
    sharers: usize,
    steps: Mutex<HashMap<Position, (usize, Shared)>>,
}

impl SharedSteps {
    /// For `sharers` memories, each of which will step every event of the log.
    pub fn new(sharers: usize) -> Arc<Self> {
        Arc::new(Self {
            sharers,
            steps: Mutex::new(HashMap::new()),
        })
    }
}

impl Memory {
    /// A memory for a rebuild: from the log's start, holding up to `REBUILD_CAPACITY`
    /// entries, and sharing its steps with the other views' memories (see [`SharedSteps`]).
    pub fn for_rebuild(store: EventStore, shared: Arc<SharedSteps>) -> Self {
        Self {
            shared: Some(shared),
            seen: Some(Seen::default()),
            ..Self::with_capacity(store, REBUILD_CAPACITY)
        }
    }

    /// The step another sharer made at `position`, if any.
    fn shared_step(&self, position: Position) -> Option<Shared> {
        let shared = self.shared.as_ref()?;
        let mut steps = shared
            .steps
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let (left, step) = steps.get_mut(&position)?;
        *left -= 1;
        let step = step.clone();
        if *left == 0 {
            steps.remove(&position);
        }
        Some(step)
    }

    fn share_step(&self, position: Position, step: Shared) {
        if let Some(shared) = &self.shared
            && shared.sharers > 1
        {
            let mut steps = shared
                .steps
                .lock()
                .unwrap_or_else(|poison| poison.into_inner());
            steps.insert(position, (shared.sharers - 1, step));
        }
    }
}

/// Entries a rebuild's memory holds at most: ten times a live runner's. On the
/// million-event log of `bench rebuild` (249,650 streams) a view's replay with the live
/// capacity read most streams again at each event; see crates/bench/BENCHMARKS.md for the
/// time and memory this bought.
const REBUILD_CAPACITY: usize = 100_000;

/// The streams a memory from the log's start has stepped.
#[derive(Default)]
struct Seen {
    reports: HashSet<ReportId>,
    cases: HashSet<CaseId>,
}

impl Memory {
    /// Notes a stream stepped; past `SEEN_LIMIT` streams, stops knowing which were seen.
    fn saw(&mut self, note: impl FnOnce(&mut Seen) -> bool) {
        if let Some(seen) = &mut self.seen {
            note(seen);
            if seen.reports.len() + seen.cases.len() > SEEN_LIMIT {
                self.seen = None;
            }
        }
    }
}

/// A map that forgets what was not used lately: entries move to `old` when the memory ages,
/// and are dropped at the next ageing unless used (and so moved back to `young`) meanwhile.
struct Recent<K, V> {
    young: HashMap<K, V>,
    old: HashMap<K, V>,
}

impl<K, V> Default for Recent<K, V> {
    fn default() -> Self {
        Self {
            young: HashMap::new(),
            old: HashMap::new(),
        }
    }
}

impl<K: Eq + Hash, V> Recent<K, V> {
    fn take(&mut self, key: &K) -> Option<V> {
        self.young.remove(key).or_else(|| self.old.remove(key))
    }

    fn insert(&mut self, key: K, value: V) {
        self.young.insert(key, value);
    }

    fn age(&mut self) {
        self.old = std::mem::take(&mut self.young);
    }

    fn clear(&mut self) {
        self.young.clear();
        self.old.clear();
    }
}

/// The id of a `<prefix><uuid>` stream, `None` for a stream of another kind.
fn stream_uuid(
    projection: &'static str,
    record: &RecordedEvent,
    prefix: &str,
) -> Result<Option<Uuid>, Error> {
    let Some(id) = record.stream_id.strip_prefix(prefix) else {
        return Ok(None);
    };
    Uuid::parse_str(id).map(Some).map_err(|_| Error::Apply {
        projection,
        position: record.position,
        reason: format!("stream id is not {prefix}<uuid>"),
    })
}

fn apply_error(projection: &'static str, position: Position, error: impl ToString) -> Error {
    Error::Apply {
        projection,
        position,
        reason: error.to_string(),
    }
}
