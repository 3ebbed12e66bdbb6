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
use crate::{Error, Projection};

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
    ) -> Result<(), Error> {
        let Some(report) = after.report() else {
            return Ok(());
        };
        let rules = self.rules.for_act(report.act);
        let screening = report.screening.as_ref();
        sqlx::query(
            "insert into stat_reports \
               (report_id, municipality, received_at, screening_breached_from, screened_at, dismissed) \
             values ($1, $2, $3, $4, $5, $6) \
             on conflict (report_id) do update \
               set screened_at = excluded.screened_at, dismissed = excluded.dismissed",
        )
        .bind(report.id.as_uuid())
        .bind(report.municipality.as_str())
        .bind(report.received_at)
        .bind(rules.screening_due(report.received_at).breached_from)
        .bind(screening.map(|screening| screening.at))
        .bind(screening.map(|screening| {
            screening
                .children
                .iter()
                .all(|child| child.outcome.is_dismissal())
        }))
        .execute(&mut *connection)
        .await?;
        if let ReportEvent::FeedbackLetterSent { letters, at } = event {
            // Lateness is judged against what was owed just before this event.
            let cases = memory.cases_of_report(NAME, connection, before).await?;
            let owed = letters::letters_owed(before, &cases, &self.rules, *at);
            for kind in letters {
                let due = owed
                    .iter()
                    .find(|letter| letter.kind == *kind)
                    .map(|letter| letter.due.breached_from);
                sqlx::query(
                    "insert into stat_letters \
                       (report_id, letter, municipality, sent_at, breached_from, late) \
                     values ($1, $2, $3, $4, $5, $6) on conflict do nothing",
                )
                .bind(report.id.as_uuid())
                .bind(letter_key(*kind))
                .bind(report.municipality.as_str())
                .bind(at)
                .bind(due)
                .bind(due.is_some_and(|due| *at >= due))
                .execute(&mut *connection)
                .await?;
            }
        }
        Ok(())
    }

    async fn case_facts(
        &self,
        connection: &mut PgConnection,
        event: &CaseEvent,
        before: &CaseState,
        after: &CaseState,
    ) -> Result<(), Error> {
        use CaseEvent as E;
        let relevant = matches!(
            event,
            E::InvestigationOpened { .. }
                | E::InvestigationDeadlineExtended { .. }
                | E::InvestigationConcluded { .. }
                | E::EmergencyDecisionMade { .. }
                | E::MeasureEvaluated { .. }
        );
        if !relevant {
            return Ok(());
        }
        let Some(case) = after.case() else {
            return Ok(());
        };
        let municipality = case.municipality.as_str();
        match event {
            E::EmergencyDecisionMade { number, at, .. } => {
                sqlx::query(
                    "insert into stat_emergency_decisions (case_id, number, municipality, made_at) \
                     values ($1, $2, $3, $4) on conflict do nothing",
                )
                .bind(case.id.as_uuid())
                .bind(i32::try_from(*number).unwrap_or(i32::MAX))
                .bind(municipality)
                .bind(at)
                .execute(&mut *connection)
                .await?;
            }
            E::MeasureEvaluated { number, at, .. } => {
                let due_on = before
                    .case()
                    .and_then(|case| case.measures.iter().find(|m| m.number == *number))
                    .map(|measure| measure.next_evaluation_on);
                if let Some(due_on) = due_on {
                    sqlx::query(
                        "insert into stat_evaluations \
                           (case_id, measure, municipality, evaluated_at, due_on, on_time) \
                         values ($1, $2, $3, $4, $5, $6) on conflict do nothing",
                    )
                    .bind(case.id.as_uuid())
                    .bind(i32::try_from(*number).unwrap_or(i32::MAX))
                    .bind(municipality)
                    .bind(at)
                    .bind(due_on)
                    .bind(calendar::oslo_date(*at) <= due_on)
                    .execute(&mut *connection)
                    .await?;
                }
            }
            _ => {
                for (index, investigation) in case.investigations.iter().enumerate() {
                    let rules = self.rules.for_act(investigation.act());
                    let conclusion = investigation.conclusion.as_ref();
                    sqlx::query(
                        "insert into stat_investigations \
                           (case_id, number, municipality, opened_at, breached_from, concluded_at, dismissed) \
                         values ($1, $2, $3, $4, $5, $6, $7) \
                         on conflict (case_id, number) do update \
                           set breached_from = excluded.breached_from, \
                               concluded_at = excluded.concluded_at, \
                               dismissed = excluded.dismissed",
                    )
                    .bind(case.id.as_uuid())
                    .bind(i32::try_from(index + 1).unwrap_or(i32::MAX))
                    .bind(municipality)
                    .bind(investigation.opened_at)
                    .bind(investigation.due(rules).breached_from)
                    .bind(conclusion.map(|(_, at)| *at))
                    .bind(conclusion.map(|(outcome, _)| outcome.is_dismissal()))
                    .execute(&mut *connection)
                    .await?;
                }
            }
        }
        Ok(())
    }
}

impl Projection for Statistics {
    fn name(&self) -> &'static str {
        NAME
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "stat_reports",
            "stat_investigations",
            "stat_emergency_decisions",
            "stat_evaluations",
            "stat_letters",
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
        match memory.step(NAME, transaction, event).await? {
            Step::Report {
                event,
                before,
                after,
                ..
            } => {
                self.report_facts(transaction, memory, &event, &before, &after)
                    .await
            }
            Step::Case {
                event,
                before,
                after,
                ..
            } => self.case_facts(transaction, &event, &before, &after).await,
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
}

/// Rows for `period` as known at `as_of` (facts after `as_of` are not counted). Empty
/// `municipalities` means every municipality with any fact; a named one without facts gets a
/// row of zeros.
pub async fn statistics(
    pool: &sqlx::PgPool,
    municipalities: &[String],
    period: Period,
    as_of: DateTime<Utc>,
) -> Result<Vec<StatisticsRow>, Error> {
    let Some((first, after)) = period.days() else {
        return Ok(Vec::new());
    };
    let start = calendar::start_of_oslo_day(first);
    let end = calendar::start_of_oslo_day(after);
    Ok(sqlx::query_as(
        "with m(municipality) as ( \
             select unnest($1::text[]) where cardinality($1::text[]) > 0 \
             union select municipality from stat_reports where cardinality($1::text[]) = 0 \
             union select municipality from stat_investigations where cardinality($1::text[]) = 0 \
             union select municipality from stat_emergency_decisions where cardinality($1::text[]) = 0 \
             union select municipality from stat_evaluations where cardinality($1::text[]) = 0 \
             union select municipality from stat_letters where cardinality($1::text[]) = 0 \
         ) \
         select m.municipality, \
           (select count(*) from stat_reports r where r.municipality = m.municipality \
              and r.received_at >= $2 and r.received_at < $3 and r.received_at <= $4) as reports_received, \
           (select count(*) from stat_reports r where r.municipality = m.municipality and r.dismissed \
              and r.screened_at >= $2 and r.screened_at < $3 and r.screened_at <= $4) as reports_dismissed, \
           (select count(*) from stat_reports r where r.municipality = m.municipality \
              and r.screening_breached_from >= $2 and r.screening_breached_from < $3 \
              and r.screening_breached_from <= $4 \
              and (r.screened_at is null or r.screened_at > $4 or r.screened_at >= r.screening_breached_from)) \
              as screening_breaches, \
           (select count(*) from stat_investigations i where i.municipality = m.municipality \
              and i.concluded_at >= $2 and i.concluded_at < $3 and i.concluded_at <= $4) as investigations_concluded, \
           (select count(*) from stat_investigations i where i.municipality = m.municipality and i.dismissed \
              and i.concluded_at >= $2 and i.concluded_at < $3 and i.concluded_at <= $4) as investigations_dismissed, \
           (select count(*) from stat_investigations i where i.municipality = m.municipality \
              and i.concluded_at >= i.breached_from \
              and i.concluded_at >= $2 and i.concluded_at < $3 and i.concluded_at <= $4) as investigation_breaches, \
           (select count(*) from stat_emergency_decisions e where e.municipality = m.municipality \
              and e.made_at >= $2 and e.made_at < $3 and e.made_at <= $4) as emergency_decisions, \
           (select count(*) from stat_evaluations v where v.municipality = m.municipality \
              and v.evaluated_at >= $2 and v.evaluated_at < $3 and v.evaluated_at <= $4) as plan_evaluations, \
           (select count(*) from stat_evaluations v where v.municipality = m.municipality and not v.on_time \
              and v.evaluated_at >= $2 and v.evaluated_at < $3 and v.evaluated_at <= $4) as plan_evaluations_late, \
           (select count(*) from stat_letters l where l.municipality = m.municipality \
              and l.sent_at >= $2 and l.sent_at < $3 and l.sent_at <= $4) as letters_sent, \
           (select count(*) from stat_letters l where l.municipality = m.municipality and l.late \
              and l.sent_at >= $2 and l.sent_at < $3 and l.sent_at <= $4) as letters_sent_late \
         from m order by m.municipality",
    )
    .bind(municipalities)
    .bind(start)
    .bind(end)
    .bind(as_of)
    .fetch_all(pool)
    .await?)
}
