//! Statistics per municipality and period, with DOMAIN.md's columns and definitions.
//!
//! The projection keeps facts (one row per report, investigation, decision, evaluation,
//! letter) with the times each column counts by, not counters per period: any period, any
//! municipality and any `as_of` is then one query, and a changed definition is a changed
//! query, not a rebuild.

use chrono::{DateTime, NaiveDate, Utc};
use domain::calendar;
use domain::case::{CaseEvent, CaseState};
use domain::letters;
use domain::report::{ReportEvent, ReportState};
use domain::rules::RuleBook;
use eventstore::RecordedEvent;
use sqlx::PgConnection;

use crate::fold::{Memory, Step};
use crate::worklist::letter_key;
use crate::writes::OnConflict;
use crate::{Error, Knowledge, Projection, When};

const NAME: &str = "statistics";

/// The statistics read model.
pub struct Statistics {
    rules: RuleBook,
}

impl Statistics {
    pub fn new(rules: RuleBook) -> Self {
        Self { rules }
    }

    async fn report_facts(
        &self,
        connection: &mut PgConnection,
        memory: &mut Memory,
        event: &ReportEvent,
        before: &ReportState,
        after: &ReportState,
        when: When,
    ) -> Result<(), Error> {
        let Some(report) = after.report() else {
            return Ok(());
        };
        let rules = self.rules.for_act(report.act);
        let screening = report.screening.as_ref();
        let id = report.id.as_uuid();
        memory.writes().upsert(
            "stat_reports",
            OnConflict::Update {
                key: "report_id",
                columns: &["screened_at", "dismissed"],
                fill: &["screened_known"],
            },
            id.to_string(),
            row! {
                "report_id" => id,
                "municipality" => domain::municipality::current(report.municipality).as_str(),
                "received_at" => report.received_at,
                "received_known" => when.known,
                "screening_breached_from" => rules.screening_due(report.received_at).breached_from,
                "screened_at" => screening.map(|screening| screening.at),
                // The first event that finds it screened is its screening.
                "screened_known" => screening.map(|_| when.known),
                "dismissed" => screening.map(|screening| {
                    screening.children.iter().all(|child| child.outcome.is_dismissal())
                }),
            },
        );
        if let Some(screening) = screening {
            let breached_from = rules.screening_due(report.received_at).breached_from;
            for child in &screening.children {
                let category = match child.outcome.registry_code() {
                    "2" => 2,
                    "3" => 3,
                    "4" => 4,
                    _ => 1,
                };
                memory.writes().upsert(
                    "stat_screenings",
                    OnConflict::KeepFirst,
                    format!("{id}/{}", child.child_index),
                    row! {
                        "report_id" => id,
                        "child_index" => child.child_index,
                        "municipality" => domain::municipality::current(report.municipality).as_str(),
                        "screened_at" => screening.at,
                        "screened_known" => when.known,
                        "screening_breached_from" => breached_from,
                        "category" => category,
                    },
                );
            }
        }
        if let ReportEvent::FeedbackLetterSent { letters, at } = event {
            // Lateness is judged against what was owed just before this event.
            let cases = memory.cases_of_report(NAME, connection, before).await?;
            let owed = letters::letters_owed(before, &cases, &self.rules, *at);
            for kind in letters {
                let due = owed
                    .iter()
                    .find(|letter| letter.kind == *kind)
                    .map(|letter| letter.due.breached_from);
                let letter = letter_key(*kind);
                memory.writes().upsert(
                    "stat_letters",
                    OnConflict::KeepFirst,
                    format!("{id}/{letter}"),
                    row! {
                        "report_id" => id,
                        "letter" => letter,
                        "municipality" => domain::municipality::current(report.municipality).as_str(),
                        "sent_at" => *at,
                        "sent_known" => when.known,
                        "breached_from" => due,
                        "late" => due.is_some_and(|due| *at >= due),
                    },
                );
            }
        }
        Ok(())
    }

    fn case_facts(
        &self,
        memory: &mut Memory,
        event: &CaseEvent,
        before: &CaseState,
        after: &CaseState,
        when: When,
    ) {
        use CaseEvent as E;
        let Some(case) = after.case() else {
            return;
        };
        let id = case.id.as_uuid();
        // Counted under the number it has now (`domain::municipality::current`).
        let municipality = domain::municipality::current(case.municipality);
        let municipality = municipality.as_str();
        match event {
            E::EmergencyDecisionMade { number, at, .. } => memory.writes().upsert(
                "stat_emergency_decisions",
                OnConflict::KeepFirst,
                format!("{id}/{number}"),
                row! {
                    "case_id" => id,
                    "number" => *number,
                    "municipality" => municipality,
                    "made_at" => *at,
                    "made_known" => when.known,
                },
            ),
            E::MeasureEvaluated { number, at, .. } => {
                let due_on = before
                    .case()
                    .and_then(|case| case.measures.iter().find(|m| m.number == *number))
                    .map(|measure| measure.next_evaluation_on);
                if let Some(due_on) = due_on {
                    let evaluated_at = *at;
                    memory.writes().upsert(
                        "stat_evaluations",
                        OnConflict::KeepFirst,
                        format!("{id}/{number}/{evaluated_at}"),
                        row! {
                            "case_id" => id,
                            "measure" => *number,
                            "municipality" => municipality,
                            "evaluated_at" => evaluated_at,
                            "evaluated_known" => when.known,
                            "due_on" => due_on,
                            "on_time" => calendar::oslo_date(*at) <= due_on,
                        },
                    );
                }
            }
            E::InvestigationOpened { .. }
            | E::InvestigationDeadlineExtended { .. }
            | E::InvestigationConcluded { .. } => {
                for (index, investigation) in case.investigations.iter().enumerate() {
                    let rules = investigation.rules(&self.rules);
                    let conclusion = investigation.conclusion.as_ref();
                    let number = index + 1;
                    memory.writes().upsert(
                        "stat_investigations",
                        OnConflict::Update {
                            key: "case_id, number",
                            columns: &[
                                "breached_from",
                                "registry_breached_from",
                                "concluded_at",
                                "dismissed",
                            ],
                            fill: &["concluded_known"],
                        },
                        format!("{id}/{number}"),
                        row! {
                            "case_id" => id,
                            "number" => number,
                            "municipality" => municipality,
                            "opened_at" => investigation.opened_at,
                            "breached_from" => investigation.due(rules).breached_from,
                            "registry_breached_from" => calendar::end_of_oslo_day(
                                rules.registry_investigation_rule.last_day(
                                    calendar::oslo_date(investigation.opened_by.received_at),
                                    investigation.extended_to_months.is_some(),
                                ),
                            ),
                            "concluded_at" => conclusion.map(|(_, at)| *at),
                            // The first event that finds it concluded is its conclusion.
                            "concluded_known" => conclusion.map(|_| when.known),
                            "dismissed" => conclusion.map(|(outcome, _)| outcome.is_dismissal()),
                        },
                    );
                }
            }
            _ => {}
        }
    }
}

impl Projection for Statistics {
    fn name(&self) -> &'static str {
        NAME
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "stat_reports",
            "stat_screenings",
            "stat_investigations",
            "stat_emergency_decisions",
            "stat_evaluations",
            "stat_letters",
            "stat_late_steps",
        ]
    }

    fn schema(&self) -> &'static str {
        include_str!("../schema/statistics.sql")
    }

    async fn apply(
        &self,
        transaction: &mut PgConnection,
        event: &RecordedEvent,
        memory: &mut Memory,
    ) -> Result<(), Error> {
        let step = memory.step(NAME, transaction, event).await?;
        let when = step.when(event);
        let municipality = match &step {
            Step::Report { after, .. } => after.report().map(|report| report.municipality),
            Step::Case { after, .. } => after.case().map(|case| case.municipality),
            Step::Other => None,
        };
        let days_late = domain::step::days_late(when.at, when.known);
        if let Some(municipality) = municipality
            && days_late > 0
        {
            // One row a step: the command's first event names it.
            memory.writes().upsert(
                "stat_late_steps",
                OnConflict::KeepFirst,
                event.metadata.command_id.to_string(),
                row! {
                    "command_id" => event.metadata.command_id,
                    "stream_id" => &event.stream_id,
                    "stream_version" => event.stream_version,
                    "municipality" => domain::municipality::current(municipality).as_str(),
                    "event_type" => &event.event_type,
                    "taken_at" => when.at,
                    "known_at" => when.known,
                    "days_late" => days_late,
                },
            );
        }
        match step {
            Step::Report {
                event,
                before,
                after,
                ..
            } => {
                self.report_facts(transaction, memory, &event, &before, &after, when)
                    .await
            }
            Step::Case {
                event,
                before,
                after,
                ..
            } => {
                self.case_facts(memory, &event, &before, &after, when);
                Ok(())
            }
            Step::Other => Ok(()),
        }
    }
}

/// A reporting period: a quarter, a half-year or a year (Europe/Oslo calendar).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    Quarter { year: i32, quarter: u32 },
    HalfYear { year: i32, half: u32 },
    Year { year: i32 },
}

impl Period {
    /// First day and the day after the last, or `None` for a quarter outside 1–4 or a half
    /// outside 1–2.
    pub fn days(&self) -> Option<(NaiveDate, NaiveDate)> {
        let (year, first_month, months) = match *self {
            Self::Quarter { year, quarter } if (1..=4).contains(&quarter) => {
                (year, (quarter - 1) * 3 + 1, 3)
            }
            Self::HalfYear { year, half } if (1..=2).contains(&half) => {
                (year, (half - 1) * 6 + 1, 6)
            }
            Self::Year { year } => (year, 1, 12),
            _ => return None,
        };
        let start = NaiveDate::from_ymd_opt(year, first_month, 1)?;
        let end = start.checked_add_months(chrono::Months::new(months))?;
        Some((start, end))
    }
}

/// How the report and investigation columns count (DOMAIN.md, "Statistics as SSB counts
/// them"). The other columns are the same under both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Counting {
    /// As the control committee's table in [002]: per report, by receipt; a report is
    /// dismissed when every child's screening is (codes 1.x and 3); an investigation is late
    /// after its deadline by DOMAIN.md's calendar months, extension included.
    #[default]
    ControlCommittee,
    /// As Statistics Norway and the registry count: per child, by screening; "meldinger" are
    /// the children's reports screened in the period as dismissed (1.x) or investigated (2),
    /// codes 3 and 4 counted apart; an investigation is late after the report's day + 7 + 90
    /// days (+ 7 + 180 when extended).
    National,
}

/// One municipality's row for a period (DOMAIN.md, Statistics).
#[derive(Clone, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct StatisticsRow {
    pub municipality: String,
    /// Meldinger: reports received in the period.
    pub reports_received: i64,
    /// Henlagt (meldinger): of reports screened in the period, those dismissed.
    pub reports_dismissed: i64,
    /// Fristbrudd (meldinger): reports whose screening deadline ran out in the period before
    /// they were screened (screened late, or still unscreened at `as_of`).
    pub screening_breaches: i64,
    /// Undersøkelser: investigations concluded in the period.
    pub investigations_concluded: i64,
    /// Henlagt (undersøkelser): of those, concluded as dismissed (codes 3–6).
    pub investigations_dismissed: i64,
    /// Fristbrudd (undersøkelser): of those, concluded after their (possibly extended) deadline.
    pub investigation_breaches: i64,
    pub emergency_decisions: i64,
    pub plan_evaluations: i64,
    pub plan_evaluations_late: i64,
    pub letters_sent: i64,
    pub letters_sent_late: i64,
    /// Steps taken in the period that were entered on a later day (Europe/Oslo).
    pub steps_recorded_late: i64,
    /// Of those, the days between each step and its entry, summed (with the count: the mean).
    pub days_late_total: i64,
    /// The longest of those.
    pub days_late_max: i64,
    /// Children's reports screened in the period as "dismissed, measures already active"
    /// (code 3): counted apart under the national counting, the same under both.
    pub reports_measures_active: i64,
    /// Children's reports screened in the period as concerning an investigation under way
    /// (code 4).
    pub reports_ongoing_investigation: i64,
}

/// Rows for `period` as of `as_of` (facts after `as_of` are not counted), with `knowledge`:
/// [`Knowledge::Then`] counts only what the service had learned by `as_of`;
/// [`Knowledge::Now`] counts every fact at the time its step was taken, late entries
/// included. Empty `municipalities` means every municipality with any fact; a named one
/// without facts gets a row of zeros.
pub async fn statistics(
    pool: &sqlx::PgPool,
    municipalities: &[domain::municipality::MunicipalityNumber],
    period: Period,
    as_of: DateTime<Utc>,
    knowledge: Knowledge,
    counting: Counting,
) -> Result<Vec<StatisticsRow>, Error> {
    let Some((first, after)) = period.days() else {
        return Ok(Vec::new());
    };
    let start = calendar::start_of_oslo_day(first);
    let end = calendar::start_of_oslo_day(after);
    // A fact counts when its time is in the period and not after `as_of`, and, asked as known
    // then, when the service had learned of it by `as_of`.
    let counted = |alias: &str, time: &str| {
        format!(
            "{alias}.{time}_at >= $2 and {alias}.{time}_at < $3 and {alias}.{time}_at <= $4 \
             and ($5 or {alias}.{time}_known <= $4)"
        )
    };
    Ok(sqlx::query_as(&format!(
        "with m(municipality) as ( \
             select unnest($1::text[]) where cardinality($1::text[]) > 0 \
             union select municipality from stat_reports where cardinality($1::text[]) = 0 \
             union select municipality from stat_screenings where cardinality($1::text[]) = 0 \
             union select municipality from stat_investigations where cardinality($1::text[]) = 0 \
             union select municipality from stat_emergency_decisions where cardinality($1::text[]) = 0 \
             union select municipality from stat_evaluations where cardinality($1::text[]) = 0 \
             union select municipality from stat_letters where cardinality($1::text[]) = 0 \
         ) \
         select m.municipality, \
           {report_columns} \
           (select count(*) from stat_investigations i where i.municipality = m.municipality \
              and {concluded}) as investigations_concluded, \
           (select count(*) from stat_investigations i where i.municipality = m.municipality and i.dismissed \
              and {concluded}) as investigations_dismissed, \
           (select count(*) from stat_investigations i where i.municipality = m.municipality \
              and i.concluded_at >= i.{breach} and {concluded}) as investigation_breaches, \
           (select count(*) from stat_screenings c where c.municipality = m.municipality \
              and c.category = 3 and {child_screened}) as reports_measures_active, \
           (select count(*) from stat_screenings c where c.municipality = m.municipality \
              and c.category = 4 and {child_screened}) as reports_ongoing_investigation, \
           (select count(*) from stat_emergency_decisions e where e.municipality = m.municipality \
              and {made}) as emergency_decisions, \
           (select count(*) from stat_evaluations v where v.municipality = m.municipality \
              and {evaluated}) as plan_evaluations, \
           (select count(*) from stat_evaluations v where v.municipality = m.municipality and not v.on_time \
              and {evaluated}) as plan_evaluations_late, \
           (select count(*) from stat_letters l where l.municipality = m.municipality \
              and {sent}) as letters_sent, \
           (select count(*) from stat_letters l where l.municipality = m.municipality and l.late \
              and {sent}) as letters_sent_late, \
           s.steps as steps_recorded_late, s.total as days_late_total, s.longest as days_late_max \
         from m cross join lateral ( \
           select count(*) as steps, coalesce(sum(days_late), 0)::bigint as total, \
                  coalesce(max(days_late), 0)::bigint as longest \
             from stat_late_steps x where x.municipality = m.municipality \
              and x.taken_at >= $2 and x.taken_at < $3 and x.taken_at <= $4 \
              and ($5 or x.known_at <= $4)) s \
         order by m.municipality",
        report_columns = match counting {
            Counting::ControlCommittee => format!(
                "(select count(*) from stat_reports r where r.municipality = m.municipality \
                   and {received}) as reports_received, \
                 (select count(*) from stat_reports r where r.municipality = m.municipality \
                   and r.dismissed and {screened}) as reports_dismissed, \
                 (select count(*) from stat_reports r where r.municipality = m.municipality \
                   and r.screening_breached_from >= $2 and r.screening_breached_from < $3 \
                   and r.screening_breached_from <= $4 and ($5 or r.received_known <= $4) \
                   and (r.screened_at is null or r.screened_at > $4 \
                        or not $5 and r.screened_known > $4 \
                        or r.screened_at >= r.screening_breached_from)) as screening_breaches,",
                received = counted("r", "received"),
                screened = counted("r", "screened"),
            ),
            Counting::National => format!(
                "(select count(*) from stat_screenings c where c.municipality = m.municipality \
                   and c.category in (1, 2) and {child_screened}) as reports_received, \
                 (select count(*) from stat_screenings c where c.municipality = m.municipality \
                   and c.category = 1 and {child_screened}) as reports_dismissed, \
                 (select count(*) from stat_screenings c where c.municipality = m.municipality \
                   and c.category in (1, 2) and c.screened_at >= c.screening_breached_from \
                   and {child_screened}) as screening_breaches,",
                child_screened = counted("c", "screened"),
            ),
        },
        breach = match counting {
            Counting::ControlCommittee => "breached_from",
            Counting::National => "registry_breached_from",
        },
        child_screened = counted("c", "screened"),
        concluded = counted("i", "concluded"),
        made = counted("e", "made"),
        evaluated = counted("v", "evaluated"),
        sent = counted("l", "sent"),
    ))
    .bind(crate::numbers(municipalities))
    .bind(start)
    .bind(end)
    .bind(as_of)
    .bind(knowledge == Knowledge::Now)
    .fetch_all(pool)
    .await?)
}

/// A step entered on a later day than it was taken (`stat_late_steps`).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct LateEntry {
    pub stream_id: String,
    pub municipality: String,
    pub event_type: String,
    pub taken_at: DateTime<Utc>,
    pub known_at: DateTime<Utc>,
    pub days_late: i32,
}

/// How many steps were entered late, their days late summed, and the longest delay.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct LateSummary {
    pub steps: i64,
    pub days_late_total: i64,
    pub days_late_max: i64,
}

/// One page of the steps taken from `first` to `last` (Oslo days, both included) that were
/// entered at least `min_days_late` days late, longest delay first, and the summary over all.
pub async fn late_entries(
    pool: &sqlx::PgPool,
    municipalities: &[domain::municipality::MunicipalityNumber],
    (first, last): (NaiveDate, NaiveDate),
    min_days_late: i32,
    (limit, offset): (i64, i64),
) -> Result<(Vec<LateEntry>, LateSummary), Error> {
    let start = calendar::start_of_oslo_day(first);
    let end = calendar::start_of_oslo_day(last.succ_opt().unwrap_or(last));
    let filter = "x.taken_at >= $2 and x.taken_at < $3 and x.days_late >= $4 \
                  and (cardinality($1::text[]) = 0 or x.municipality = any($1))";
    let entries = sqlx::query_as(&format!(
        "select stream_id, municipality, event_type, taken_at, known_at, days_late \
           from stat_late_steps x where {filter} \
          order by days_late desc, taken_at, stream_id, stream_version \
          limit $5 offset $6"
    ))
    .bind(crate::numbers(municipalities))
    .bind(start)
    .bind(end)
    .bind(min_days_late)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    let summary = sqlx::query_as(&format!(
        "select count(*) as steps, coalesce(sum(days_late), 0)::bigint as days_late_total, \
                coalesce(max(days_late), 0)::bigint as days_late_max \
           from stat_late_steps x where {filter}"
    ))
    .bind(crate::numbers(municipalities))
    .bind(start)
    .bind(end)
    .bind(min_days_late)
    .fetch_one(pool)
    .await?;
    Ok((entries, summary))
}
