//! Stored events are a compatibility boundary: they are never rewritten. When an event's shape
//! changes, its schema version goes up and a step from the old version is registered here, so
//! every reader sees the newest shape and old events always load.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use crate::{Error, RecordedEvent};

/// One step: the payload at schema version `n` to the payload at `n + 1`.
pub type UpcastFn = fn(Value) -> Result<Value, String>;

/// The registered steps, by event type and the version they start from.
#[derive(Clone, Default)]
pub struct Upcasters {
    steps: Arc<HashMap<(String, i32), UpcastFn>>,
}

impl Upcasters {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the step from `from_version` to `from_version + 1` of `event_type`.
    pub fn register(mut self, event_type: &str, from_version: i32, step: UpcastFn) -> Self {
        Arc::make_mut(&mut self.steps).insert((event_type.to_owned(), from_version), step);
        self
    }

    /// Applies every step that applies, in order, until none does.
    pub(crate) fn apply(&self, event: &mut RecordedEvent) -> Result<(), Error> {
        while let Some(step) = self
            .steps
            .get(&(event.event_type.clone(), event.schema_version))
        {
            let payload = std::mem::take(&mut event.payload);
            event.payload = step(payload).map_err(|reason| Error::Upcast {
                event_type: event.event_type.clone(),
                from_version: event.schema_version,
                reason,
            })?;
            event.schema_version += 1;
        }
        Ok(())
    }
}

impl std::fmt::Debug for Upcasters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.steps.keys()).finish()
    }
}
