//! Vern's own check that no decision lapses unrecorded.
//!
//! The law makes an emergency decision lapse when its petition deadline passes (old act § 4-6
//! fifth paragraph; new act §§ 4-2, 4-4), and a care order when it is not carried out in time
//! (old act § 4-13; new act § 5-3), whether or not anyone touches the case. The domain
//! records a lapse when the next command meets the case; a case no one touches would keep
//! it unrecorded, and the registry export and the timeline would not show it. So a serving
//! process asks the worklist, once a minute, for petition deadlines that have passed and
//! sends each such case `RecordLapses`, through the same handler as any command. The
//! worklist itself shows a lapse from its moment either way.

use std::time::Duration;

use api::common::v1::WriteResult;
use domain::case::{BoardCommand, CaseCommand, CaseId};
use handling::command::CommandKey;
use handling::principal::Principal;
use handling::{Error, Handler};
use platform::auth::Role;
use tokio::sync::watch;
use uuid::Uuid;

/// How often a serving process checks.
pub const EVERY: Duration = Duration::from_secs(60);

/// Who the check acts as, in the events it writes.
pub const SUBJECT: &str = "vern:lapse-check";

/// Checks every `every` until `stopped`, the first check one interval after the start.
pub async fn run(handler: Handler, every: Duration, mut stopped: watch::Receiver<bool>) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stopped.wait_for(|stopped| *stopped) => return,
        }
        match check_once(&handler).await {
            Ok(recorded) if recorded.is_empty() => {}
            Ok(recorded) => tracing::info!(cases = recorded.len(), "emergency decisions lapsed"),
            Err(error) => tracing::warn!(%error, "the lapse check failed; it runs again"),
        }
    }
}

/// One check at the handler's now: records the lapse on every case whose petition or
/// implementation deadline has passed, and answers each write (a replay included). A case a command got to first,
/// or one closed meanwhile, is passed over.
pub async fn check_once(handler: &Handler) -> Result<Vec<WriteResult>, Error> {
    let now = handler.now();
    let due = projections::worklist::lapses_due(handler.store().pool(), now)
        .await
        .map_err(|error| Error::View {
            message: error.to_string(),
            retry: true,
        })?;
    let principal = Principal {
        subject: SUBJECT.to_owned(),
        role: Role::ServiceLeader,
        municipalities: handler
            .municipalities()
            .iter()
            .map(|(number, _)| number)
            .collect(),
    };
    let mut recorded = Vec::new();
    for (case, lapsed_at) in due {
        // One id per case and lapse moment: a check that runs again before the worklist has
        // seen the lapse replays, and writes nothing twice.
        let content = [
            SUBJECT.as_bytes(),
            case.as_bytes().as_slice(),
            lapsed_at.to_rfc3339().into_bytes().as_slice(),
        ]
        .concat();
        let digest = CommandKey::new(Uuid::nil(), &[&content]).fingerprint;
        let mut id = [0; 16];
        id.copy_from_slice(&digest[..16]);
        let key = CommandKey::new(Uuid::from_bytes(id), &[SUBJECT.as_bytes(), case.as_bytes()]);
        let command = CaseCommand::Board(BoardCommand::RecordLapses);
        match handler
            .execute_case(&key, &principal, CaseId::new(case), command)
            .await
        {
            Ok(written) => recorded.push(written),
            Err(Error::Refused(refused)) => {
                tracing::debug!(%case, %refused, "no lapse to record");
            }
            Err(error) => return Err(error),
        }
    }
    Ok(recorded)
}
