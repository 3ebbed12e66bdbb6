//! The case timeline: every event of a child's case in order, with actor and time, for the
//! caseworker's overview and for supervision. It keeps no content, only what happened, when,
//! and by whom: the content stays in the events, behind the case's access rules.
//!
//! It reads only the envelope and the payload's `at`, not the domain event, so it lists every
//! event of a case, including types a newer build wrote.

use chrono::{DateTime, Utc};
use eventstore::RecordedEvent;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::writes::OnConflict;
use crate::{Error, Memory, Projection};

const NAME: &str = "case_timeline";

pub struct CaseTimeline;

impl Projection for CaseTimeline {
    fn name(&self) -> &'static str {
        NAME
    }

    fn tables(&self) -> &'static [&'static str] {
        &["case_timeline"]
    }

    fn schema(&self) -> &'static str {
        include_str!("../schema/case_timeline.sql")
    }

    async fn apply(
        &self,
        _transaction: &mut PgConnection,
        event: &RecordedEvent,
        memory: &mut Memory,
    ) -> Result<(), Error> {
        let Some(case_id) = event.stream_id.strip_prefix("case-") else {
            return Ok(());
        };
        let case_id = Uuid::parse_str(case_id).map_err(|_| Error::Apply {
            projection: NAME,
            position: event.position,
            reason: format!("stream {} is not case-<uuid>", event.stream_id),
        })?;
        // Every case event records when it was decided in `at`.
        let occurred_at = event
            .payload
            .get("at")
            .and_then(|at| at.as_str())
            .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
            .map_or(event.recorded_at, |at| at.with_timezone(&Utc));
        let row = row! {
            "case_id" => case_id,
            "stream_version" => event.stream_version,
            "event_type" => &event.event_type,
            "actor_subject" => &event.metadata.actor.subject,
            "actor_role" => &event.metadata.actor.role,
            "occurred_at" => occurred_at,
            "recorded_at" => event.known_at(),
        };
        // A plain insert: applying an event twice is a bug and must fail loudly.
        memory
            .writes()
            .upsert(NAME, OnConflict::Fail, String::new(), row);
        Ok(())
    }
}

/// One line of a case's timeline.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct TimelineEntry {
    pub stream_version: i64,
    pub event_type: String,
    pub actor_subject: String,
    pub actor_role: String,
    /// When its step was taken.
    pub occurred_at: DateTime<Utc>,
    /// When the service learned of it.
    pub recorded_at: DateTime<Utc>,
}

impl TimelineEntry {
    /// Days (Europe/Oslo) between the step and its entry: 0 when entered the day it was taken.
    pub fn days_late(&self) -> i64 {
        domain::step::days_late(self.occurred_at, self.recorded_at)
    }
}

/// A case's timeline, oldest first; empty for a case the view does not know.
pub async fn case_timeline(
    pool: &sqlx::PgPool,
    case_id: Uuid,
) -> Result<Vec<TimelineEntry>, Error> {
    Ok(sqlx::query_as(
        "select stream_version, event_type, actor_subject, actor_role, occurred_at, recorded_at \
         from case_timeline where case_id = $1 order by stream_version",
    )
    .bind(case_id)
    .fetch_all(pool)
    .await?)
}
