use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::case::CaseStream;
use domain::municipality::{MunicipalityNumber, MunicipalityRegistry};
use domain::report::ReportStream;
use domain::rules::RuleBook;
use domain::{Aggregate, Context, StoredEvent, case, report};
use eventstore::{
    AppendRequest, AppendResult, EventMetadata, EventStore, ExpectedVersion, NewEvent, Position,
    StreamVersion, StreamWrite,
};
use tracing::Instrument as _;

use crate::Error;
use crate::command::CommandKey;
use crate::principal::Principal;

/// Where "now" comes from: the system clock in production, a fixed one in tests.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Loads, decides and appends commands. Cheap to clone; one per process.
#[derive(Clone)]
pub struct Handler {
    store: EventStore,
    rules: Arc<RuleBook>,
    practice: Arc<domain::practice::LocalPractice>,
    municipalities: Arc<MunicipalityRegistry>,
    clock: Clock,
    max_attempts: u32,
    metrics: Metrics,
    /// The read audit's writer, started at the first read (it needs the runtime).
    audit: Arc<std::sync::OnceLock<crate::audit::Writer>>,
}

/// The append's instruments, from the global meter (a no-op one unless the process exports
/// metrics).
#[derive(Clone)]
struct Metrics {
    append_duration: opentelemetry::metrics::Histogram<f64>,
    conflicts: opentelemetry::metrics::Counter<u64>,
}

impl Metrics {
    fn new() -> Self {
        let meter = opentelemetry::global::meter("vern");
        Self {
            append_duration: meter
                .f64_histogram("vern.append.duration")
                .with_unit("s")
                .with_description("Event store appends, from the call to its answer")
                .build(),
            conflicts: meter
                .u64_counter("vern.append.conflicts")
                .with_description(
                    "Appends refused because a stream moved on; the command is decided again",
                )
                .build(),
        }
    }
}

impl Handler {
    pub fn new(store: EventStore) -> Self {
        Self {
            store,
            rules: Arc::new(RuleBook::norwegian()),
            practice: Arc::default(),
            municipalities: Arc::new(MunicipalityRegistry::norway_2024()),
            clock: Arc::new(Utc::now),
            max_attempts: 5,
            metrics: Metrics::new(),
            audit: Arc::default(),
        }
    }

    /// Replaces the clock, for tests that need a fixed "now".
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The municipalities' own choices beside the law (none by default).
    pub fn with_practice(mut self, practice: domain::practice::LocalPractice) -> Self {
        self.practice = Arc::new(practice);
        self
    }

    pub fn store(&self) -> &EventStore {
        &self.store
    }

    pub fn rules(&self) -> &RuleBook {
        &self.rules
    }

    pub fn municipalities(&self) -> &MunicipalityRegistry {
        &self.municipalities
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    pub fn context(&self, now: DateTime<Utc>) -> Context<'_> {
        Context::new(now, &self.rules).with_practice(&self.practice)
    }

    /// The context of `command`'s step, sent at `now`, in streams whose latest steps were
    /// taken at `last_steps`: its time as the domain decides it from what the caller sent (not
    /// in the future, not before the latest step, a reason when dated far back).
    pub fn step_context(
        &self,
        command: &CommandKey,
        now: DateTime<Utc>,
        last_steps: impl IntoIterator<Item = Option<DateTime<Utc>>>,
    ) -> Result<Context<'_>, Error> {
        let last = last_steps.into_iter().flatten().max();
        let step = domain::step::StepTime::decide(&command.dating, now, last)?;
        Ok(self.context(now).dated(&step))
    }

    /// A stream's state and version (0 when it has no events).
    pub async fn load<S: Aggregate>(&self, stream_id: &str) -> Result<(S::State, u64), Error> {
        let mut state = Some(S::initial());
        let version = self
            .each_event::<S::Event>(stream_id, |event| {
                state = state.take().map(|state| S::evolve(state, &event));
                true
            })
            .await?;
        let state = state.ok_or_else(|| Error::Internal(format!("no state for {stream_id}")))?;
        Ok((state, version))
    }

    /// A stream's state and version, if it exists and `principal` serves its municipality;
    /// else [`Error::OutOfReach`], the same answer either way.
    pub async fn load_reachable<S: Aggregate>(
        &self,
        principal: &Principal,
        stream_id: &str,
    ) -> Result<(S::State, u64), Error> {
        let (state, version) = self.load::<S>(stream_id).await?;
        principal.reach(S::NOUN, S::municipality(&state))?;
        Ok((state, version))
    }

    /// Answers a read of `what` (a case's or report's content) for `principal` through
    /// `method`, and records it in the read audit: an answer once its record is written (a
    /// record that cannot be written fails the read), a refusal as out of reach as a denial.
    pub async fn audited<T>(
        &self,
        principal: &Principal,
        method: &str,
        what: crate::audit::Subject,
        purpose: Option<&str>,
        read: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        use crate::audit::{Entry, Outcome};
        let writer = self.audit_writer();
        let entry = |outcome| Entry::new(principal, method, what, purpose, outcome, self.now());
        match read.await {
            Ok(answer) => {
                writer.record(entry(Outcome::Read)).await?;
                Ok(answer)
            }
            Err(Error::OutOfReach(noun)) => {
                if let Err(error) = writer.record(entry(Outcome::Denied)).await {
                    tracing::warn!(%error, %method, "a refused read could not be recorded");
                }
                Err(Error::OutOfReach(noun))
            }
            Err(error) => Err(error),
        }
    }

    /// Answers a list read for `principal` through `method` and records it like single
    /// reads: one record for each case or report the answer names (`named`), each with what
    /// the list was asked for (`listed`), or one for the list when it names none; the answer
    /// only once they are written. A list refused (a municipality not served) is recorded as
    /// a denial.
    pub async fn audited_list<T>(
        &self,
        principal: &Principal,
        method: &str,
        purpose: Option<&str>,
        listed: &str,
        read: impl Future<Output = Result<T, Error>>,
        named: impl FnOnce(&T) -> Vec<crate::audit::Subject>,
    ) -> Result<T, Error> {
        use crate::audit::{Entry, Outcome, Subject, list_entries};
        let writer = self.audit_writer();
        let entry = |outcome| {
            Entry::new(
                principal,
                method,
                Subject::Listed,
                purpose,
                outcome,
                self.now(),
            )
            .listed(listed)
        };
        match read.await {
            Ok(answer) => {
                writer
                    .record_all(list_entries(&entry(Outcome::Read), named(&answer)))
                    .await?;
                Ok(answer)
            }
            Err(refused @ (Error::OutOfReach(_) | Error::Denied(_))) => {
                if let Err(error) = writer.record(entry(Outcome::Denied)).await {
                    tracing::warn!(%error, %method, "a refused read could not be recorded");
                }
                Err(refused)
            }
            Err(error) => Err(error),
        }
    }

    /// The read audit's writer, started at the first read on this runtime.
    fn audit_writer(&self) -> &crate::audit::Writer {
        self.audit
            .get_or_init(|| crate::audit::Writer::start(self.store.pool().clone()))
    }

    /// Records that `principal` was refused `method`, a read of a case, by its role: before
    /// the request was read, so without the case it named.
    pub async fn record_refused_read(
        &self,
        principal: &Principal,
        method: &str,
    ) -> Result<(), Error> {
        use crate::audit::{Entry, Outcome, Subject};
        let writer = self.audit_writer();
        writer
            .record(Entry::new(
                principal,
                method,
                Subject::Unread,
                None,
                Outcome::Denied,
                self.now(),
            ))
            .await
    }

    /// Reads a stream's events in version order, a page at a time, handing each to `visit`
    /// until it answers false. Returns the version of the last event handed over (0 for none).
    pub(crate) async fn each_event<E: StoredEvent>(
        &self,
        stream_id: &str,
        mut visit: impl FnMut(E) -> bool,
    ) -> Result<u64, Error> {
        self.each_recorded(stream_id, |event, _| visit(event)).await
    }

    /// A stream's state as of `as_of`, with `knowledge`: folded up to the first event whose
    /// step was taken after `as_of` or, asked as known then, that the service learned of
    /// after it (a stream's steps are in order by both). An event stored before the second
    /// time was kept counts as learned when its step was taken.
    pub async fn load_as_of<S: Aggregate>(
        &self,
        stream_id: &str,
        as_of: DateTime<Utc>,
        knowledge: domain::step::Knowledge,
    ) -> Result<S::State, Error> {
        use domain::StoredEvent as _;
        let mut state = Some(S::initial());
        self.each_recorded::<S::Event>(stream_id, |event, recorded| {
            let at = event.occurred_at();
            let known = recorded.metadata.recorded_at.unwrap_or(at).max(at);
            if !knowledge.sees(at, known, as_of) {
                return false;
            }
            state = state.take().map(|state| S::evolve(state, &event));
            true
        })
        .await?;
        state.ok_or_else(|| Error::Internal(format!("no state for {stream_id}")))
    }

    /// Visits a stream's events in order, decoded and as stored, until `visit` says stop;
    /// returns the version of the last event visited.
    async fn each_recorded<E: StoredEvent>(
        &self,
        stream_id: &str,
        mut visit: impl FnMut(E, &eventstore::RecordedEvent) -> bool,
    ) -> Result<u64, Error> {
        const PAGE: u32 = 1000;
        let mut version = 0;
        loop {
            let events = self.store.read_stream(stream_id, version + 1, PAGE).await?;
            let read = events.len();
            for recorded in events {
                let schema_version = u32::try_from(recorded.schema_version).map_err(|_| {
                    Error::Internal(format!("negative schema version in {stream_id}"))
                })?;
                let event =
                    E::from_stored(&recorded.event_type, schema_version, &recorded.payload)?;
                if !visit(event, &recorded) {
                    return Ok(version);
                }
                version = recorded.stream_version;
            }
            if read < PAGE as usize {
                return Ok(version);
            }
        }
    }

    /// Runs a command on one stream for `principal`: `decide` gets the folded state and the
    /// context, and returns the events and the stream's municipality. A stream that exists must
    /// be of a municipality the principal serves, and so must one the command creates.
    pub async fn execute<S, D>(
        &self,
        command: &CommandKey,
        principal: &Principal,
        stream_id: &str,
        decide: D,
    ) -> Result<AppendResult, Error>
    where
        S: Aggregate,
        D: Fn(
            &S::State,
            &Context<'_>,
        ) -> Result<(Vec<S::Event>, Option<MunicipalityNumber>), domain::DomainError>,
    {
        let decide = &decide;
        self.execute_many(command, principal, (S::NOUN, stream_id), |now| async move {
            let (state, version) = self.load::<S>(stream_id).await?;
            if version > 0 {
                principal.reach(S::NOUN, S::municipality(&state))?;
            }
            let context = self.step_context(command, now, [S::last_step_at(&state)])?;
            let (events, municipality) = decide(&state, &context)?;
            if version == 0 {
                principal.may_create(S::NOUN, municipality.as_ref())?;
            }
            Ok(vec![writes(stream_id, version, municipality, &events)?])
        })
        .await
    }

    /// Runs a command on a child's case, as the investigation and measures services do.
    pub async fn execute_case(
        &self,
        key: &CommandKey,
        principal: &Principal,
        case_id: case::CaseId,
        command: case::CaseCommand,
    ) -> Result<api::common::v1::WriteResult, Error> {
        let stream = case_id.stream_name();
        let result = self
            .execute_command::<CaseStream>(key, principal, &stream, command)
            .await?;
        Ok(crate::convert::write_result(&stream, &result))
    }

    /// Runs a command on a report, as the intake and feedback services do.
    pub async fn execute_report(
        &self,
        key: &CommandKey,
        principal: &Principal,
        report_id: report::ReportId,
        command: report::ReportCommand,
    ) -> Result<api::common::v1::WriteResult, Error> {
        let stream = report_id.stream_name();
        let result = self
            .execute_command::<ReportStream>(key, principal, &stream, command)
            .await?;
        Ok(crate::convert::write_result(&stream, &result))
    }

    /// Runs `command` on one stream: the stream's own decision, and its municipality as the
    /// domain names it (the stream's, or for a new stream the one the command gives it).
    async fn execute_command<S>(
        &self,
        key: &CommandKey,
        principal: &Principal,
        stream: &str,
        command: S::Command,
    ) -> Result<AppendResult, Error>
    where
        S: Aggregate,
        S::Command: Clone,
    {
        self.execute::<S, _>(key, principal, stream, |state, context| {
            let events = S::decide(state, command.clone(), context)?;
            let municipality = S::municipality(state)
                .copied()
                .or_else(|| S::new_stream_municipality(&command));
            Ok((events, municipality))
        })
        .await
    }

    /// A case RPC from end to end: who calls, the ids, the command built from the request,
    /// the decision and the append. Bad input fails before anything is loaded, the ids' and
    /// the command's bad fields named in one answer.
    pub async fn case_rpc<R: prost::Message + crate::convert::Dated>(
        &self,
        request: tonic::Request<R>,
        ids: impl FnOnce(&R) -> (&str, &str),
        build: impl FnOnce(&R) -> Result<case::CaseCommand, Error>,
    ) -> Result<tonic::Response<api::common::v1::WriteResult>, tonic::Status> {
        let principal = crate::principal::Principal::of(&request)?;
        let mut fields = crate::convert::Fields::default();
        let (key, case_id) = {
            let (command_id, case_id) = ids(request.get_ref());
            let case_id = fields.take(crate::convert::case_id(case_id));
            (fields.take(CommandKey::of(&request, command_id)), case_id)
        };
        let request = request.into_inner();
        let dating = fields.take(request.dating());
        let command = fields.take(build(&request));
        let (key, case_id, command) =
            fields.done(|| Some((key?.dated(dating?), case_id?, command?)))?;
        let result = self
            .execute_case(&key, &principal, case_id, command)
            .await?;
        Ok(tonic::Response::new(result))
    }

    /// Runs a command that may write several streams: each call of `attempt` loads what it
    /// needs, decides at the time it is given (the command's, the same at every attempt), and
    /// returns the writes with the versions it loaded. On a conflict it is called again.
    /// `target` is the stream the command is about (its noun and id).
    pub async fn execute_many<A, F>(
        &self,
        command: &CommandKey,
        principal: &Principal,
        target: (&'static str, &str),
        mut attempt: A,
    ) -> Result<AppendResult, Error>
    where
        A: FnMut(DateTime<Utc>) -> F,
        F: Future<Output = Result<Vec<StreamWrite>, Error>>,
    {
        let now = self.now();
        let mut metadata = EventMetadata::for_command(command.id, principal.actor());
        metadata.traceparent = crate::trace::current_traceparent();
        // When the service learned of the step; the events carry when it was taken.
        metadata.recorded_at = Some(now);
        metadata.late_reason = command
            .dating
            .late_reason
            .as_ref()
            .map(|reason| reason.as_str().to_owned());
        let mut last_conflict = String::new();
        for _ in 0..self.max_attempts {
            // A command id seen before is found by the append itself; only when deciding it
            // again refuses it or writes nothing (its step has happened) is the first answer
            // looked up here, so a first sending costs no lookup.
            let streams = match attempt(now).await {
                Ok(streams) if streams.iter().any(|write| !write.events.is_empty()) => streams,
                decided if may_have_been_sent_before(&decided) => {
                    if let Some(first) = self.first_answer(command, principal, target).await? {
                        return Ok(first);
                    }
                    return decided.map(|streams| unchanged(&streams));
                }
                failed => return failed.map(|streams| unchanged(&streams)),
            };
            let request = AppendRequest {
                metadata: metadata.clone(),
                streams,
                command_fingerprint: Some(command.fingerprint.to_vec()),
            };
            let started = std::time::Instant::now();
            let appended = self
                .store
                .append(&request)
                .instrument(tracing::info_span!(
                    "append",
                    streams = request.streams.len(),
                    events = request
                        .streams
                        .iter()
                        .map(|write| write.events.len())
                        .sum::<usize>(),
                ))
                .await;
            self.metrics
                .append_duration
                .record(started.elapsed().as_secs_f64(), &[]);
            match appended {
                Ok(result) if result.replayed => {
                    return self.replay(principal, target, result).await;
                }
                Ok(result) => return Ok(result),
                Err(eventstore::Error::Conflict { stream_id, .. }) => {
                    tracing::debug!(%stream_id, "conflict; deciding again");
                    let category = stream_id.split('-').next().unwrap_or_default().to_owned();
                    self.metrics
                        .conflicts
                        .add(1, &[opentelemetry::KeyValue::new("category", category)]);
                    last_conflict = stream_id;
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(Error::Aborted {
            stream_id: last_conflict,
        })
    }

    /// The first answer to `command` if it was sent before, checked as [`Self::replay`]
    /// checks it; `None` for a command id never seen; [`Error::command_id_reused`] for an id
    /// first sent with another command.
    pub async fn first_answer(
        &self,
        command: &CommandKey,
        principal: &Principal,
        target: (&'static str, &str),
    ) -> Result<Option<AppendResult>, Error> {
        match self
            .store
            .command_result(command.id, Some(&command.fingerprint))
            .await?
        {
            Some(first) => self.replay(principal, target, first).await.map(Some),
            None => Ok(None),
        }
    }

    /// The first answer to a command id sent again, given only for the same stream and to a
    /// caller who reaches it: an id reused for another command is the caller's mistake, and
    /// a replay must not tell another municipality what the first command wrote.
    async fn replay(
        &self,
        principal: &Principal,
        (noun, stream_id): (&'static str, &str),
        first: AppendResult,
    ) -> Result<AppendResult, Error> {
        if first.version_of(stream_id).is_none() {
            return Err(Error::command_id_reused());
        }
        // The store keeps the municipality as the text it was given; a number this build
        // does not know reaches no one.
        let municipality = self
            .store
            .stream_municipality(stream_id)
            .await?
            .and_then(|text| {
                MunicipalityNumber::parse("municipality", &text, &self.municipalities).ok()
            });
        principal.reach(noun, municipality.as_ref())?;
        Ok(first)
    }
}

/// The municipality whose data a stream is, as a reach check names it.
/// One stream's events as a write expecting the version they were decided on. Each event is
/// read back from the payload it will be stored as before anything is sent: an event this
/// build could store but not read would stop every view at it, so it is refused here instead.
pub fn writes<E: StoredEvent>(
    stream_id: &str,
    loaded_version: u64,
    municipality: Option<MunicipalityNumber>,
    events: &[E],
) -> Result<StreamWrite, Error> {
    let events = events
        .iter()
        .map(|event| {
            let schema_version = event.schema_version();
            let payload = event.to_payload();
            E::from_stored(event.event_type(), schema_version, &payload).map_err(|error| {
                Error::Internal(format!(
                    "a {} event of {stream_id} would not read back: {error}",
                    event.event_type()
                ))
            })?;
            Ok(NewEvent::new(
                event.event_type(),
                i32::try_from(schema_version).unwrap_or(i32::MAX),
                payload,
            ))
        })
        .collect::<Result<_, Error>>()?;
    Ok(StreamWrite {
        stream_id: stream_id.to_owned(),
        expected: if loaded_version == 0 {
            ExpectedVersion::NoStream
        } else {
            ExpectedVersion::Exact(loaded_version)
        },
        municipality: municipality.map(|number| number.as_str().to_owned()),
        events,
    })
}

/// The answer when a decision wrote nothing: the streams as they are.
fn unchanged(streams: &[StreamWrite]) -> AppendResult {
    let version = |expected: ExpectedVersion| match expected {
        ExpectedVersion::Exact(version) => version,
        ExpectedVersion::Any | ExpectedVersion::NoStream => 0,
    };
    AppendResult {
        streams: streams
            .iter()
            .map(|write| StreamVersion {
                stream_id: write.stream_id.clone(),
                version: version(write.expected),
            })
            .collect(),
        first_position: Position::START,
        last_position: Position::START,
        replayed: false,
    }
}

/// Whether a decision's outcome may be that of a command sent again: it wrote nothing, or it
/// refused the command (the step may have happened already). Then the first answer is
/// looked up. A failure to load (the database unreachable, a view failing) says nothing of
/// that, and is answered at once: looking the first answer up in a database that did not
/// answer would only wait for it a second time (3 s more for each call while PostgreSQL was
/// down, past the 5 s `bench fault postgres-restart` allows a call).
fn may_have_been_sent_before(decided: &Result<Vec<StreamWrite>, Error>) -> bool {
    match decided {
        Ok(_) => true,
        Err(error) => matches!(
            error,
            Error::InvalidArgument(_) | Error::Refused(_) | Error::OutOfReach(_) | Error::Denied(_)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_decision_that_wrote_nothing_or_refused_looks_for_a_first_answer() {
        assert!(may_have_been_sent_before(&Ok(Vec::new())));
        assert!(may_have_been_sent_before(&Err(Error::invalid(
            "command_id",
            "x"
        ))));
        assert!(may_have_been_sent_before(&Err(Error::Refused(
            domain::DomainError::ReportAlreadyScreened
        ))));
        assert!(may_have_been_sent_before(&Err(Error::OutOfReach("case"))));
        assert!(may_have_been_sent_before(&Err(Error::Denied("x".into()))));
        let unreachable = eventstore::Error::Database(sqlx::Error::PoolTimedOut);
        assert!(unreachable.is_unavailable());
        assert!(!may_have_been_sent_before(&Err(Error::Store(unreachable))));
        assert!(!may_have_been_sent_before(&Err(Error::Internal(
            "x".into()
        ))));
        assert!(!may_have_been_sent_before(&Err(Error::Aborted {
            stream_id: "case-x".into()
        })));
    }
}
