//! A step's two times: the checks on both sides of each boundary.

use chrono::Duration;

use super::fixtures::{at, text};
use crate::DomainError;
use crate::step::{Dating, LATE_ENTRY_DAYS, StepTime, days_late};

fn dating(at: Option<&str>, reason: Option<&str>) -> Dating {
    Dating {
        field: "decided_at",
        at: at.map(super::fixtures::at),
        late_reason: reason.map(text),
    }
}

fn refusal(result: Result<StepTime, DomainError>) -> (String, String) {
    match result {
        Err(DomainError::InvalidField { field, reason }) => (field, reason),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_step_not_dated_is_taken_now() {
    let now = at("2024-03-06T10:00:00Z");
    let step = StepTime::decide(&Dating::now(), now, Some(at("2024-03-05T10:00:00Z"))).unwrap();
    assert_eq!((step.at, step.recorded_at, step.days_late()), (now, now, 0));
    let (field, reason) = refusal(StepTime::decide(
        &dating(None, Some("entered late")),
        now,
        None,
    ));
    assert_eq!(field, "late_reason");
    assert!(reason.contains("give decided_at too"), "{reason}");
}

#[test]
fn a_step_is_not_dated_in_the_future() {
    let now = at("2024-03-06T10:00:00Z");
    let exactly_now = StepTime::decide(&dating(Some("2024-03-06T10:00:00Z"), None), now, None);
    assert_eq!(exactly_now.unwrap().at, now);
    let (field, reason) = refusal(StepTime::decide(
        &dating(Some("2024-03-06T10:00:01Z"), None),
        now,
        None,
    ));
    assert_eq!(field, "decided_at");
    assert!(reason.contains("is in the future"), "{reason}");
}

#[test]
fn a_step_is_not_dated_before_the_step_it_follows() {
    let now = at("2024-03-06T10:00:00Z");
    let last = Some(at("2024-03-05T12:00:00Z"));
    let same_moment = StepTime::decide(&dating(Some("2024-03-05T12:00:00Z"), None), now, last);
    assert_eq!(same_moment.unwrap().days_late(), 1);
    let (field, reason) = refusal(StepTime::decide(
        &dating(Some("2024-03-05T11:59:59Z"), None),
        now,
        last,
    ));
    assert_eq!(field, "decided_at");
    assert!(
        reason.contains("is before the step it follows, taken 2024-03-05T12:00:00+00:00"),
        "{reason}"
    );
}

#[test]
fn a_step_dated_more_than_a_week_back_says_why() {
    let now = at("2024-03-20T10:00:00Z");
    let week = now - Duration::days(LATE_ENTRY_DAYS);
    let on_the_limit = Dating {
        at: Some(week),
        ..dating(None, None)
    };
    let step = StepTime::decide(&on_the_limit, now, None).unwrap();
    assert_eq!((step.days_late(), step.late_reason), (7, None));
    // The day before that day, however late in it (23:59 in Oslo).
    let past_the_limit = Dating {
        at: Some(at("2024-03-12T22:59:00Z")),
        ..dating(None, None)
    };
    let (field, reason) = refusal(StepTime::decide(&past_the_limit, now, None));
    assert_eq!(field, "late_reason");
    assert!(reason.contains("more than 7 days back"), "{reason}");
    let with_reason = Dating {
        late_reason: Some(text("signed on paper during the outage")),
        ..past_the_limit
    };
    let step = StepTime::decide(&with_reason, now, None).unwrap();
    assert_eq!(step.days_late(), 8);
    assert_eq!(
        step.late_reason.unwrap().as_str(),
        "signed on paper during the outage"
    );
}

#[test]
fn days_late_count_oslo_days() {
    // 23:30 in Oslo on 5 March (22:30 UTC), recorded 00:30 in Oslo on 6 March: a day late.
    assert_eq!(
        days_late(at("2024-03-05T22:30:00Z"), at("2024-03-05T23:30:00Z")),
        1
    );
    assert_eq!(
        days_late(at("2024-03-05T08:00:00Z"), at("2024-03-05T20:00:00Z")),
        0
    );
}
