//! Cases needing review and letters owed: every running deadline of every report and case,
//! as rows that hold over time (see `intervals`).
//!
//! Which deadlines run, and when they fall, is the domain's decision (`domain::deadlines`,
//! `domain::letters`); this view only records each stream's answer after every event, so
//! the list as of any moment is one indexed query, and "breached" or "due soon" is judged at
//! the query's `as_of`, not when the row was written.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use domain::case::CaseState;
use domain::deadlines::{self, DeadlineSubject, OpenDeadline};
use domain::letters;
use domain::report::{LetterKind, ReportState};
use domain::rules::{DeadlineKind, RuleBook};
use domain::values::{Assignee, Urgency};
use eventstore::RecordedEvent;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::fold::{Memory, Step};
use crate::rows::{Cell, Row};
use crate::{Error, Knowledge, Projection, When, intervals};

const NAME: &str = "worklist";

/// The worklist read model.
pub struct Worklist {
    rules: RuleBook,
}

impl Worklist {
    pub fn new(rules: RuleBook) -> Self {
        Self { rules }
    }

    async fn refresh_report(
        &self,
        connection: &mut PgConnection,
        memory: &mut Memory,
        report: &ReportState,
        when: When,
    ) -> Result<(), Error> {
        let Some(id) = report.report().map(|report| report.id) else {
            return Ok(());
        };
        let cases = memory.cases_of_report(NAME, connection, report).await?;
        let rows = report_rows(report, &cases, &self.rules, when.at);
        intervals::sync(
            connection,
            memory,
            "worklist_items",
            &id.stream_name(),
            rows,
            when,
        )
        .await
    }
}

impl Projection for Worklist {
    fn name(&self) -> &'static str {
        NAME
    }

    fn tables(&self) -> &'static [&'static str] {
        &["worklist_items"]
    }

    fn schema(&self) -> &'static str {
        include_str!("../schema/worklist.sql")
    }

    async fn apply(
        &self,
        transaction: &mut PgConnection,
        event: &RecordedEvent,
        memory: &mut Memory,
    ) -> Result<(), Error> {
        let step = memory.step(NAME, transaction, event).await?;
        let when = step.when(event);
        match step {
            Step::Report { after, .. } => {
                self.refresh_report(transaction, memory, &after, when).await
            }
            Step::Case {
                id, event, after, ..
            } => {
                let rows = case_rows(&after, &self.rules, when.at);
                intervals::sync(
                    transaction,
                    memory,
                    "worklist_items",
                    &id.stream_name(),
                    rows,
                    when,
                )
                .await?;
                // A conclusion letter is owed on the report once the case's investigation ends.
                if affects_letters(&event) {
                    let reports: Vec<_> = after
                        .case()
                        .map(|case| case.reports.iter().map(|linked| linked.report.report_id))
                        .into_iter()
                        .flatten()
                        .collect();
                    for report_id in reports {
                        let report = memory.report(NAME, transaction, report_id).await?;
                        self.refresh_report(transaction, memory, &report, when)
                            .await?;
                    }
                }
                Ok(())
            }
            Step::Other => Ok(()),
        }
    }
}

fn affects_letters(event: &domain::case::CaseEvent) -> bool {
    use domain::case::CaseEvent as E;
    matches!(
        event,
        E::CaseOpenedFromReport { .. }
            | E::ReportLinkedToCase { .. }
            | E::InvestigationOpened { .. }
            | E::InvestigationConcluded { .. }
    )
}

pub(crate) fn urgency_rank(urgency: Urgency) -> i64 {
    match urgency {
        Urgency::Red => 0,
        Urgency::Yellow => 1,
        Urgency::Green => 2,
    }
}

pub(crate) fn urgency_from_rank(rank: i16) -> Urgency {
    match rank {
        0 => Urgency::Red,
        1 => Urgency::Yellow,
        _ => Urgency::Green,
    }
}

pub(crate) fn kind_name(kind: DeadlineKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn assignee_columns(row: &mut Row, assignee: Option<&Assignee>) {
    row.insert("team", Cell::from(assignee.map(|a| a.team.as_str())));
    row.insert(
        "caseworker",
        Cell::from(
            assignee
                .and_then(|a| a.caseworker.as_ref())
                .map(|c| c.as_str()),
        ),
    );
}

#[allow(clippy::too_many_arguments)]
fn row(
    kind: DeadlineKind,
    report_id: Option<Uuid>,
    case_id: Option<Uuid>,
    municipality: &str,
    assignee: Option<&Assignee>,
    urgency: Urgency,
    due: domain::calendar::Due,
    legal_reference: &str,
) -> Row {
    let mut row = row! {
        "kind" => kind_name(kind),
        "report_id" => report_id,
        "case_id" => case_id,
        "municipality" => municipality,
        "urgency" => urgency_rank(urgency),
        "last_day" => due.last_day,
        "breached_from" => due.breached_from,
        "legal_reference" => legal_reference,
    };
    assignee_columns(&mut row, assignee);
    row
}

/// A report's rows: its screening deadline and the letters its reporter is owed.
fn report_rows(
    state: &ReportState,
    cases: &[CaseState],
    rules: &RuleBook,
    at: DateTime<Utc>,
) -> BTreeMap<String, Row> {
    let mut rows = BTreeMap::new();
    let Some(report) = state.report() else {
        return rows;
    };
    // Listed under the number it has now (`domain::municipality::current`).
    let municipality = domain::municipality::current(report.municipality);
    let municipality = municipality.as_str();
    let report_uuid = Some(report.id.as_uuid());
    for deadline in deadlines::open_report_deadlines(state, rules, at) {
        rows.insert(
            "screening".to_owned(),
            row(
                deadline.kind,
                report_uuid,
                None,
                municipality,
                report.assignee.as_ref(),
                deadline.urgency,
                deadline.due,
                &deadline.legal_reference,
            ),
        );
    }
    for letter in letters::letters_owed(state, cases, rules, at) {
        let (kind, case_id) = match letter.kind {
            LetterKind::Receipt => (DeadlineKind::ReceiptLetter, None),
            LetterKind::InvestigationOutcome => (DeadlineKind::InvestigationOutcomeLetter, None),
            LetterKind::Conclusion { case_id } => {
                (DeadlineKind::ConclusionLetter, Some(case_id.as_uuid()))
            }
        };
        rows.insert(
            format!("letter/{}", letter_key(letter.kind)),
            row(
                kind,
                report_uuid,
                case_id,
                municipality,
                report.assignee.as_ref(),
                report.urgency,
                letter.due,
                letter.legal_reference,
            ),
        );
    }
    rows
}

/// A letter's key within its report: `receipt`, `investigation_outcome`, `conclusion/<case>`.
pub(crate) fn letter_key(kind: LetterKind) -> String {
    match kind {
        LetterKind::Receipt => "receipt".to_owned(),
        LetterKind::InvestigationOutcome => "investigation_outcome".to_owned(),
        LetterKind::Conclusion { case_id } => format!("conclusion/{}", case_id.as_uuid()),
    }
}

fn subject_key(deadline: &OpenDeadline) -> String {
    let kind = kind_name(deadline.kind);
    match deadline.subject {
        DeadlineSubject::Report(id) => format!("{kind}/{}", id.as_uuid()),
        DeadlineSubject::Investigation
        | DeadlineSubject::CareOrder
        | DeadlineSubject::FosterHomePlacement => kind,
        DeadlineSubject::Measure(number) | DeadlineSubject::EmergencyDecision(number) => {
            format!("{kind}/{number}")
        }
    }
}

/// A case's rows: investigation, emergency approvals and petitions, evaluations, visits.
fn case_rows(state: &CaseState, rules: &RuleBook, at: DateTime<Utc>) -> BTreeMap<String, Row> {
    let Some(case) = state.case() else {
        return BTreeMap::new();
    };
    deadlines::open_case_deadlines(state, rules, at)
        .into_iter()
        .map(|deadline| {
            (
                subject_key(&deadline),
                row(
                    deadline.kind,
                    None,
                    Some(case.id.as_uuid()),
                    domain::municipality::current(case.municipality).as_str(),
                    case.assignee.as_ref(),
                    deadline.urgency,
                    deadline.due,
                    &deadline.legal_reference,
                ),
            )
        })
        .collect()
}

/// One running deadline as the list shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorklistItem {
    pub kind: String,
    pub report_id: Option<Uuid>,
    pub case_id: Option<Uuid>,
    pub municipality: String,
    pub team: Option<String>,
    pub caseworker: Option<String>,
    pub urgency: Urgency,
    pub last_day: NaiveDate,
    pub breached_from: DateTime<Utc>,
    /// Judged at the query's `as_of`.
    pub breached: bool,
    pub legal_reference: String,
    /// When the deadline started running (service time).
    pub opened_at: DateTime<Utc>,
}

/// What to list. Empty `municipalities` means every municipality; `None` team or caseworker
/// means any.
#[derive(Clone, Debug)]
pub struct WorklistQuery {
    pub municipalities: Vec<domain::municipality::MunicipalityNumber>,
    pub team: Option<String>,
    pub caseworker: Option<String>,
    pub as_of: DateTime<Utc>,
    /// As the list stood with what was known at `as_of`, or with all that is known now.
    pub knowledge: Knowledge,
    /// Deadlines whose last day is at most this many days after `as_of`'s day (Oslo) are
    /// "due soon" and listed; `None` lists every running deadline.
    pub due_within_days: Option<u32>,
    /// Only letters (the letters-owed view) when true.
    pub letters_only: bool,
    pub limit: i64,
    pub offset: i64,
}

/// Deadlines that, once breached, make a decision lapse in law, each with what it becomes: an
/// emergency decision without its petition (old act § 4-6 fifth paragraph; new act §§ 4-2,
/// 4-4), a care order not carried out (old act § 4-13). The list says so from that moment,
/// before the case has recorded the lapse.
const LAPSING_KINDS: [(DeadlineKind, DeadlineKind); 4] = [
    (
        DeadlineKind::EmergencyPetitionCareOrder,
        DeadlineKind::EmergencyDecisionLapsed,
    ),
    (
        DeadlineKind::EmergencyPetitionBehaviourInstitution,
        DeadlineKind::EmergencyDecisionLapsed,
    ),
    (
        DeadlineKind::EmergencyPetitionAbroad,
        DeadlineKind::EmergencyDecisionLapsed,
    ),
    (
        DeadlineKind::CareOrderImplementation,
        DeadlineKind::CareOrderLapsed,
    ),
];

/// The lapsing kinds' names and, in the same order, the names of what they become.
fn lapsing_kinds() -> (Vec<String>, Vec<String>) {
    LAPSING_KINDS
        .into_iter()
        .map(|(running, lapsed)| (kind_name(running), kind_name(lapsed)))
        .unzip()
}

const LETTER_KINDS: [DeadlineKind; 3] = [
    DeadlineKind::ReceiptLetter,
    DeadlineKind::InvestigationOutcomeLetter,
    DeadlineKind::ConclusionLetter,
];

/// The kind a row shows as (a lapsing deadline past its day as the lapse it became), and the
/// filter a list and its totals share. Parameters: $1 as_of, $2 the last day listed, $3
/// municipalities, $4 team, $5 caseworker, $6 letters only, $7 the letters' kinds, $8 with all
/// known now, $9 the lapsing kinds, $10 what each becomes.
const SHOWN_KIND: &str = "case when kind = any($9) and breached_from <= $1 \
     then ($10::text[])[array_position($9::text[], kind)] else kind end";

fn filtered() -> String {
    format!(
        "{} and ($2::date is null or last_day <= $2) \
            and (cardinality($3::text[]) = 0 or municipality = any($3)) \
            and ($4::text is null or team = $4) \
            and ($5::text is null or caseworker = $5) \
            and (not $6 or kind = any($7))",
        intervals::holds("$1", "$8")
    )
}

/// Binds [`filtered`]'s ten parameters.
fn bind_filter<'q, O>(
    statement: sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>,
    query: &'q WorklistQuery,
) -> sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments> {
    let letter_kinds: Vec<String> = LETTER_KINDS.into_iter().map(kind_name).collect();
    let (lapsing, lapsed) = lapsing_kinds();
    let horizon = query.due_within_days.and_then(|days| {
        domain::calendar::oslo_date(query.as_of).checked_add_days(chrono::Days::new(days.into()))
    });
    statement
        .bind(query.as_of)
        .bind(horizon)
        .bind(crate::numbers(&query.municipalities))
        .bind(&query.team)
        .bind(&query.caseworker)
        .bind(query.letters_only)
        .bind(letter_kinds)
        .bind(query.knowledge == Knowledge::Now)
        .bind(lapsing)
        .bind(lapsed)
}

/// The deadlines running at `as_of`: lapsed emergency decisions first (a child placed without
/// legal basis), then the breached, then red before yellow before green, then the earliest
/// due.
pub async fn list(pool: &sqlx::PgPool, query: &WorklistQuery) -> Result<Vec<WorklistItem>, Error> {
    let sql = format!(
        "select {SHOWN_KIND}, {ITEM_COLUMNS} from worklist_items where {} {ORDER} \
         limit $11 offset $12",
        filtered()
    );
    let rows: Vec<ItemRow> = bind_filter(sqlx::query_as(&sql), query)
        .bind(query.limit)
        .bind(query.offset)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(item).collect())
}

/// The deadlines running at `as_of` for one case (`Subject::Case`) or one report, in the list's
/// order: what a case's or a report's page shows, and what a breach is explained from.
pub async fn for_subject(
    pool: &sqlx::PgPool,
    subject: Subject,
    as_of: DateTime<Utc>,
) -> Result<Vec<WorklistItem>, Error> {
    let query = WorklistQuery {
        municipalities: Vec::new(),
        team: None,
        caseworker: None,
        as_of,
        knowledge: Knowledge::Then,
        due_within_days: None,
        letters_only: false,
        limit: 0,
        offset: 0,
    };
    let (column, id) = match subject {
        Subject::Case(id) => ("case_id", id),
        Subject::Report(id) => ("report_id", id),
    };
    let sql = format!(
        "select {SHOWN_KIND}, {ITEM_COLUMNS} from worklist_items \
         where {} and {column} = $11 {ORDER}",
        filtered()
    );
    let rows: Vec<ItemRow> = bind_filter(sqlx::query_as(&sql), &query)
        .bind(id)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(item).collect())
}

/// Whose deadlines [`for_subject`] lists.
#[derive(Clone, Copy, Debug)]
pub enum Subject {
    Case(Uuid),
    Report(Uuid),
}

/// A row as [`item`] reads it.
const ITEM_COLUMNS: &str = "report_id, case_id, municipality, team, caseworker, urgency, \
     last_day, breached_from, breached_from <= $1 as breached, legal_reference, opened_at";

/// Lapsed decisions first (a child placed without legal basis), then the breached, then red
/// before yellow before green, then the earliest due; then by the row's own columns, not by
/// `item_id`, which a rebuild assigns in another order than the live runner (`rebuild`).
const ORDER: &str = "order by (kind = any($10) or (kind = any($9) and breached_from <= $1)) desc, \
     breached desc, urgency, breached_from, opened_at, stream_id, item_key";

type ItemRow = (
    String,
    Option<Uuid>,
    Option<Uuid>,
    String,
    Option<String>,
    Option<String>,
    i16,
    NaiveDate,
    DateTime<Utc>,
    bool,
    String,
    DateTime<Utc>,
);

fn item(row: ItemRow) -> WorklistItem {
    WorklistItem {
        kind: row.0,
        report_id: row.1,
        case_id: row.2,
        municipality: row.3,
        team: row.4,
        caseworker: row.5,
        urgency: urgency_from_rank(row.6),
        last_day: row.7,
        breached_from: row.8,
        breached: row.9,
        legal_reference: row.10,
        opened_at: row.11,
    }
}

/// How many of one kind of deadline a filter holds: all, breached, and due soon (not breached,
/// its last day within `soon_days` of `as_of`'s day).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KindTotal {
    pub kind: String,
    pub running: i64,
    pub breached: i64,
    pub due_soon: i64,
}

/// The whole filter's counts by kind (as its rows show: a lapsed deadline as its lapse), not
/// one page's; `limit` and `offset` are not used.
pub async fn totals(
    pool: &sqlx::PgPool,
    query: &WorklistQuery,
    soon_days: u32,
) -> Result<Vec<KindTotal>, Error> {
    let soon = domain::calendar::oslo_date(query.as_of)
        .checked_add_days(chrono::Days::new(soon_days.into()));
    let sql = format!(
        "select {SHOWN_KIND}, count(*), count(*) filter (where breached_from <= $1), \
                count(*) filter (where breached_from > $1 and last_day <= $11) \
           from worklist_items \
          where {} \
          group by 1 order by 3 desc, 2 desc, 1",
        filtered()
    );
    let rows: Vec<(String, i64, i64, i64)> = bind_filter(sqlx::query_as(&sql), query)
        .bind(soon)
        .fetch_all(pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(kind, running, breached, due_soon)| KindTotal {
            kind,
            running,
            breached,
            due_soon,
        })
        .collect())
}

/// How many letters are overdue and how many other deadlines are breached at `as_of`, over
/// every municipality: what the operators' gauges show.
pub async fn breached(pool: &sqlx::PgPool, as_of: DateTime<Utc>) -> Result<(i64, i64), Error> {
    let letter_kinds: Vec<String> = LETTER_KINDS.into_iter().map(kind_name).collect();
    // At `as_of` now, the two questions have one answer; at a past moment, the gauges'
    // question is what the list showed.
    let (letters, deadlines): (i64, i64) = sqlx::query_as(&format!(
        "select count(*) filter (where kind = any($2)), count(*) filter (where not kind = any($2)) \
           from worklist_items \
          where {} \
            and breached_from <= $1",
        intervals::holds("$1", "false")
    ))
    .bind(as_of)
    .bind(&letter_kinds)
    .fetch_one(pool)
    .await?;
    Ok((letters, deadlines))
}

/// The cases with a deadline that makes a decision lapse (an emergency decision's petition, a
/// care order's implementation) passed by `at`, the lapse not yet recorded: each case with the
/// latest such moment. What Vern's own check sends `RecordLapses` to (`vern::lapses`).
pub async fn lapses_due(
    pool: &sqlx::PgPool,
    at: DateTime<Utc>,
) -> Result<Vec<(Uuid, DateTime<Utc>)>, Error> {
    let (lapsing, _) = lapsing_kinds();
    let rows: Vec<(Option<Uuid>, Option<DateTime<Utc>>)> = sqlx::query_as(&format!(
        "select case_id, max(breached_from) \
           from worklist_items \
          where {} \
            and kind = any($2) \
            and breached_from <= $1 \
          group by case_id",
        intervals::holds("$1", "false")
    ))
    .bind(at)
    .bind(&lapsing)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(case, lapsed)| Some((case?, lapsed?)))
        .collect())
}
