//! The case timeline: every event of a child's case in order, with actor and time, for the
//! caseworker's overview and for supervision. It keeps no content, only what happened, when,
//! and by whom: the content stays in the events, behind the case's access rules.

use eventstore::RecordedEvent;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{Error, Projection};

pub struct CaseTimeline;

impl Projection for CaseTimeline {
    fn name(&self) -> &'static str {
        "case_timeline"
    }

    async fn apply(
        &self,
        transaction: &mut PgConnection,
        event: &RecordedEvent,
    ) -> Result<(), Error> {
        let Some(case_id) = event.stream_id.strip_prefix("case-") else {
            return Ok(());
        };
        let case_id = Uuid::parse_str(case_id).map_err(|_| Error::Apply {
            projection: "case_timeline",
            position: event.position,
            reason: format!("stream {} is not case-<uuid>", event.stream_id),
        })?;
        // A plain insert: applying an event twice is a bug and must fail loudly.
        sqlx::query(
            "insert into case_timeline (case_id, stream_version, event_type, actor_subject, actor_role, recorded_at) \
             values ($1, $2, $3, $4, $5, $6)",
        )
        .bind(case_id)
        .bind(i64::try_from(event.stream_version).unwrap_or(i64::MAX))
        .bind(&event.event_type)
        .bind(&event.metadata.actor.subject)
        .bind(&event.metadata.actor.role)
        .bind(event.recorded_at)
        .execute(transaction)
        .await?;
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
    pub recorded_at: chrono::DateTime<chrono::Utc>,
}

/// A case's timeline, oldest first.
pub async fn case_timeline(
    pool: &sqlx::PgPool,
    case_id: Uuid,
) -> Result<Vec<TimelineEntry>, Error> {
    Ok(sqlx::query_as(
        "select stream_version, event_type, actor_subject, actor_role, recorded_at \
         from case_timeline where case_id = $1 order by stream_version",
    )
    .bind(case_id)
    .fetch_all(pool)
    .await?)
}
