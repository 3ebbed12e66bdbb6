//! A step's two clocks: when it was taken (its effective time: the conclusion signed
//! yesterday) and when Vern learned of it (entered today). Caseworkers record decisions after
//! the fact every day, and a service moving to Vern brings years of history; the law counts
//! every deadline from the day a step was taken, so that is the time every event carries and
//! every deadline, letter and statistic counts from. When Vern learned of it is kept beside
//! (the event's metadata), so a question "as of" a moment can be answered with what was known
//! then, and a step recorded late is visible as such.
//!
//! The checks are the domain's: a step is not taken in the future, nor before the step it
//! follows in its stream (a stream's history stays in order), and one dated more than
//! [`LATE_ENTRY_DAYS`] back says why it is entered only now.

use chrono::{DateTime, Utc};

use crate::DomainError;
use crate::calendar::oslo_date;
use crate::values::BoundedText;

/// How many days (Europe/Oslo) back a step may be dated without a reason. Not law: the issue
/// that asked for back-dating set it, so a supervisor reading the log sees why a step is
/// weeks late.
pub const LATE_ENTRY_DAYS: i64 = 7;

/// What the caller asked: when the step was taken, if not now, and why it is entered late.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dating {
    /// The field that gave the time (`decided_at`, `sent_at`, `received_at`), for errors.
    pub field: &'static str,
    pub at: Option<DateTime<Utc>>,
    pub late_reason: Option<BoundedText>,
}

impl Dating {
    /// A step taken now.
    pub fn now() -> Self {
        Self::default()
    }
}

/// A step's two times, decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepTime {
    /// When it was taken.
    pub at: DateTime<Utc>,
    /// When Vern learned of it.
    pub recorded_at: DateTime<Utc>,
    /// Why it is entered late, when it was dated back.
    pub late_reason: Option<BoundedText>,
}

impl StepTime {
    /// The times of a step asked as `dating`, at `now`, in a stream whose last step was taken
    /// at `last_step` (`None` for a new stream).
    pub fn decide(
        dating: &Dating,
        now: DateTime<Utc>,
        last_step: Option<DateTime<Utc>>,
    ) -> Result<Self, DomainError> {
        let Some(at) = dating.at else {
            if dating.late_reason.is_some() {
                return Err(DomainError::invalid(
                    "late_reason",
                    format!(
                        "is only for a step dated back; give {} too",
                        dating.field_name()
                    ),
                ));
            }
            return Ok(Self {
                at: now,
                recorded_at: now,
                late_reason: None,
            });
        };
        let field = dating.field_name();
        if at > now {
            return Err(DomainError::invalid(
                field,
                format!("{} is in the future", at.to_rfc3339()),
            ));
        }
        if let Some(last) = last_step
            && at < last
        {
            return Err(DomainError::invalid(
                field,
                format!(
                    "{} is before the step it follows, taken {}",
                    at.to_rfc3339(),
                    last.to_rfc3339()
                ),
            ));
        }
        if days_late(at, now) > LATE_ENTRY_DAYS && dating.late_reason.is_none() {
            return Err(DomainError::invalid(
                "late_reason",
                format!(
                    "is required for a step dated more than {LATE_ENTRY_DAYS} days back \
                     ({field} {})",
                    at.to_rfc3339()
                ),
            ));
        }
        Ok(Self {
            at,
            recorded_at: now,
            late_reason: dating.late_reason.clone(),
        })
    }

    /// Days between the day it was taken and the day it was recorded (Europe/Oslo): 0 for a
    /// step entered the day it was taken.
    pub fn days_late(&self) -> i64 {
        days_late(self.at, self.recorded_at)
    }
}

impl Dating {
    fn field_name(&self) -> &'static str {
        if self.field.is_empty() {
            "decided_at"
        } else {
            self.field
        }
    }
}

/// Days between the day a step was taken and the day it was recorded (Europe/Oslo).
pub fn days_late(at: DateTime<Utc>, recorded_at: DateTime<Utc>) -> i64 {
    (oslo_date(recorded_at) - oslo_date(at)).num_days().max(0)
}

/// Which question a query "as of" a moment asks: a step has two times, so "as of" has two
/// meanings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Knowledge {
    /// With what the service had learned by then, judged then: what a list showed that day.
    #[default]
    Then,
    /// With everything known now, each step at the time it was taken: how things stood then,
    /// late entries included (what statistics for a closed period use).
    Now,
}

impl Knowledge {
    /// `Now` when a caller asks for the effective view.
    pub fn effective(effective_view: bool) -> Self {
        if effective_view {
            Self::Now
        } else {
            Self::Then
        }
    }

    /// Whether a step taken at `at` and learned of at `known` is part of the answer as of
    /// `as_of`.
    pub fn sees(self, at: DateTime<Utc>, known: DateTime<Utc>, as_of: DateTime<Utc>) -> bool {
        at <= as_of && (self == Self::Now || known <= as_of)
    }
}
