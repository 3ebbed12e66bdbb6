//! Deadline arithmetic in Europe/Oslo calendar terms, as DOMAIN.md defines it.
//!
//! The law counts in days, weeks and months of the local calendar, not in seconds: a report
//! received at 23:30 on a Monday in Oslo was received that Monday, whatever the UTC date. So
//! instants are turned into Oslo dates, lengths are added to dates, and a deadline falls at
//! the end of its last day, i.e. at the start of the next Oslo day (which, across a daylight
//! saving change, is 23 or 25 hours after the start of the last day, not 24).

use chrono::{DateTime, Days, Months, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// The time zone every statutory date is counted in.
pub const OSLO: Tz = chrono_tz::Europe::Oslo;

/// The Oslo calendar date of an instant.
pub fn oslo_date(instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&OSLO).date_naive()
}

/// The first instant of an Oslo calendar day.
///
/// Oslo's clock changes at 02:00/03:00, so midnight always exists once; the fallbacks keep the
/// function total should the zone rules ever change (earliest of an ambiguous time, first
/// existing hour after a gap).
pub fn start_of_oslo_day(date: NaiveDate) -> DateTime<Utc> {
    for hour in 0..24 {
        let local = date.and_time(NaiveTime::MIN) + chrono::Duration::hours(hour);
        if let Some(instant) = OSLO.from_local_datetime(&local).earliest() {
            return instant.with_timezone(&Utc);
        }
    }
    // Unreachable for any real zone: a whole day cannot be a gap. UTC midnight is the best guess.
    date.and_time(NaiveTime::MIN).and_utc()
}

/// The instant a deadline whose last day is `last_day` is breached: the end of that day.
pub fn end_of_oslo_day(last_day: NaiveDate) -> DateTime<Utc> {
    start_of_oslo_day(
        last_day
            .checked_add_days(Days::new(1))
            .unwrap_or(NaiveDate::MAX),
    )
}

/// A statutory length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Length {
    /// Exact hours from an instant ("if possible within 48 hours"): not a calendar length.
    Hours(u32),
    Days(u32),
    /// "One week" = 7 calendar days.
    Weeks(u32),
    /// "Three months" = same day of month three months later, or that month's last day.
    Months(u32),
}

impl std::fmt::Display for Length {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Hours(n) => write!(f, "{n} hours"),
            Self::Days(n) => write!(f, "{n} days"),
            Self::Weeks(n) => write!(f, "{n} weeks"),
            Self::Months(n) => write!(f, "{n} months"),
        }
    }
}

/// When a deadline falls: the last day it can be met on (Oslo) and the instant it is breached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Due {
    pub last_day: NaiveDate,
    pub breached_from: DateTime<Utc>,
}

impl Due {
    /// A deadline is breached when `now` is at or after the end of its last day.
    pub fn is_breached_at(&self, now: DateTime<Utc>) -> bool {
        now >= self.breached_from
    }
}

/// Adds a calendar length to a date. `Hours` counts whole days (rounded up), for callers that
/// only have a date; use [`due_from_instant`] to count hours exactly.
pub fn add_length(date: NaiveDate, length: Length) -> NaiveDate {
    let added = match length {
        Length::Hours(hours) => date.checked_add_days(Days::new(u64::from(hours.div_ceil(24)))),
        Length::Days(days) => date.checked_add_days(Days::new(u64::from(days))),
        Length::Weeks(weeks) => date.checked_add_days(Days::new(7 * u64::from(weeks))),
        // chrono clamps to the month's last day when the day does not exist (31 Jan + 1 month
        // = 28/29 Feb), which is DOMAIN.md's rule.
        Length::Months(months) => date.checked_add_months(Months::new(months)),
    };
    added.unwrap_or(NaiveDate::MAX)
}

/// A deadline counted from a date (the day the starting event happened, in Oslo).
pub fn due_from_date(start: NaiveDate, length: Length) -> Due {
    let last_day = add_length(start, length);
    Due {
        last_day,
        breached_from: end_of_oslo_day(last_day),
    }
}

/// A deadline counted from an instant: calendar lengths count from its Oslo date; `Hours`
/// count exactly, and the deadline is breached at that instant.
pub fn due_from_instant(start: DateTime<Utc>, length: Length) -> Due {
    match length {
        Length::Hours(hours) => {
            let breached_from = start + chrono::Duration::hours(i64::from(hours));
            Due {
                last_day: oslo_date(breached_from),
                breached_from,
            }
        }
        _ => due_from_date(oslo_date(start), length),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_else(|| panic!("bad test date {y}-{m}-{d}"))
    }

    #[test]
    fn months_clamp_to_the_end_of_short_months() {
        assert_eq!(
            add_length(date(2024, 1, 31), Length::Months(1)),
            date(2024, 2, 29)
        );
        assert_eq!(
            add_length(date(2023, 1, 31), Length::Months(1)),
            date(2023, 2, 28)
        );
        assert_eq!(
            add_length(date(2023, 11, 30), Length::Months(3)),
            date(2024, 2, 29)
        );
        assert_eq!(
            add_length(date(2024, 5, 31), Length::Months(3)),
            date(2024, 8, 31)
        );
    }

    #[test]
    fn a_week_deadline_ends_at_the_start_of_the_eighth_day_in_oslo() {
        // Received Monday 2024-03-04 (winter time, UTC+1): last day Monday 2024-03-11.
        let received = date(2024, 3, 4).and_hms_opt(9, 0, 0).map(|t| t.and_utc());
        let received = received.unwrap_or_else(|| panic!("bad time"));
        let due = due_from_instant(received, Length::Weeks(1));
        assert_eq!(due.last_day, date(2024, 3, 11));
        assert_eq!(due.breached_from.to_rfc3339(), "2024-03-11T23:00:00+00:00");
    }

    #[test]
    fn an_instant_late_in_the_utc_day_belongs_to_the_next_oslo_day() {
        // 23:30 UTC on 31 December 2022 is 00:30 on 1 January 2023 in Oslo.
        let instant = date(2022, 12, 31)
            .and_hms_opt(23, 30, 0)
            .map(|t| t.and_utc());
        assert_eq!(instant.map(oslo_date), Some(date(2023, 1, 1)));
    }

    #[test]
    fn days_across_daylight_saving_changes_are_23_or_25_hours() {
        // Summer time starts 2024-03-31, ends 2024-10-27.
        let spring = end_of_oslo_day(date(2024, 3, 31)) - start_of_oslo_day(date(2024, 3, 31));
        let autumn = end_of_oslo_day(date(2024, 10, 27)) - start_of_oslo_day(date(2024, 10, 27));
        assert_eq!(spring.num_hours(), 23);
        assert_eq!(autumn.num_hours(), 25);
    }

    #[test]
    fn hours_count_exactly() {
        let made = date(2024, 3, 30).and_hms_opt(22, 0, 0).map(|t| t.and_utc());
        let made = made.unwrap_or_else(|| panic!("bad time"));
        let due = due_from_instant(made, Length::Hours(48));
        assert_eq!(due.breached_from - made, chrono::Duration::hours(48));
    }
}
