//! Visits to a foster home: the service's follow-up visits and the supervisor's, for a care
//! order's placement and a voluntary one, and their rate.

use super::*;
use crate::DomainError;
use crate::case::{BoardCommand, CarePlacement, CaseCommand, CaseEvent, CaseStream};

/// A foster home placed on `placed_on`: by a care order and its care plan, or voluntarily
/// (a foster home measure).
fn foster_home(placed_on: &str, voluntary: bool) -> Vec<CaseEvent> {
    let placed = at(&format!("{placed_on}T10:00:00Z"));
    if voluntary {
        return with(
            emergency_case(),
            [CaseEvent::MeasureStarted {
                in_family_network: false,
                number: 1,
                kind: crate::case::MeasureKind::FosterHome,
                plan: measure_plan(placed_on, "2030-12-31", None),
                next_evaluation_on: day("2030-01-01"),
                at: placed,
            }],
        );
    }
    with(
        emergency_case(),
        [
            proposal_sent(),
            granted(day(placed_on), placed),
            CaseEvent::CarePlanMade {
                placement: CarePlacement::FosterHome,
                placed_on: day(placed_on),
                plan: text("Care plan"),
                in_family_network: false,
                at: placed,
            },
        ],
    )
}

/// Visits to a foster home: recorded for a care order's placement and a voluntary one; the
/// rate reduced to 2 a year only by a decision, and only for a child placed more than two
/// years (on both sides of the day), under the 2003 and the 2023 regulations alike.
#[test]
fn foster_home_visits_and_their_rate() {
    use crate::case::VisitKind;
    let decide = |visits: VisitKind, per_year: u8| {
        CaseCommand::Board(BoardCommand::DecideVisitRate {
            visits,
            per_year,
            reasons: text("Stable placement; the child thrives"),
        })
    };
    let decided = |visits: VisitKind, per_year: u8, when: &str| {
        Ok(vec![CaseEvent::VisitRateDecided {
            visits,
            per_year,
            reasons: text("Stable placement; the child thrives"),
            at: at(when),
        }])
    };
    let too_soon = |placed_on: &str| {
        Err(invalid(
            "per_year",
            &format!("2 a year only for a child placed more than 24 months (placed {placed_on})"),
        ))
    };
    let rows: Vec<CaseRow> = vec![
        Row {
            name: "a supervision visit to a voluntary foster home",
            given: foster_home("2024-03-06", true),
            now: at("2024-05-01T10:00:00Z"),
            when: CaseCommand::Board(BoardCommand::RecordSupervisionVisit {
                visited_on: day("2024-04-30"),
            }),
            then: Ok(vec![CaseEvent::SupervisionVisitRecorded {
                visited_on: day("2024-04-30"),
                at: at("2024-05-01T10:00:00Z"),
            }]),
        },
        Row {
            name: "a follow-up visit to a voluntary foster home",
            given: foster_home("2024-03-06", true),
            now: at("2024-05-01T10:00:00Z"),
            when: CaseCommand::Board(BoardCommand::RecordFollowUpVisit {
                visited_on: day("2024-04-30"),
            }),
            then: Ok(vec![CaseEvent::FollowUpVisitRecorded {
                visited_on: day("2024-04-30"),
                at: at("2024-05-01T10:00:00Z"),
            }]),
        },
        Row {
            name: "no visit before the placement",
            given: foster_home("2024-03-06", true),
            now: at("2024-05-01T10:00:00Z"),
            when: CaseCommand::Board(BoardCommand::RecordSupervisionVisit {
                visited_on: day("2024-03-05"),
            }),
            then: Err(invalid("visited_on", "must not be before the placement")),
        },
        Row {
            name: "2023 regulations: not reduced the day before two years",
            given: foster_home("2024-03-05", false),
            now: at("2026-03-04T10:00:00Z"),
            when: decide(VisitKind::FollowUp, 2),
            then: too_soon("2024-03-05"),
        },
        Row {
            name: "2023 regulations: reduced from the day two years have passed",
            given: foster_home("2024-03-05", false),
            now: at("2026-03-05T10:00:00Z"),
            when: decide(VisitKind::FollowUp, 2),
            then: decided(VisitKind::FollowUp, 2, "2026-03-05T10:00:00Z"),
        },
        Row {
            name: "2003 regulations: the supervisor's visits not reduced before two years",
            given: foster_home("2021-06-01", false),
            now: at("2023-05-31T10:00:00Z"),
            when: decide(VisitKind::Supervision, 2),
            then: too_soon("2021-06-01"),
        },
        Row {
            name: "2003 regulations: the supervisor's visits reduced after two years",
            given: foster_home("2021-06-01", false),
            now: at("2023-06-01T10:00:00Z"),
            when: decide(VisitKind::Supervision, 2),
            then: decided(VisitKind::Supervision, 2, "2023-06-01T10:00:00Z"),
        },
        Row {
            name: "back to four a year at any time",
            given: with(
                foster_home("2021-06-01", false),
                [CaseEvent::VisitRateDecided {
                    visits: VisitKind::FollowUp,
                    per_year: 2,
                    reasons: text("Stable"),
                    at: at("2023-06-01T10:00:00Z"),
                }],
            ),
            now: at("2023-09-01T10:00:00Z"),
            when: decide(VisitKind::FollowUp, 4),
            then: decided(VisitKind::FollowUp, 4, "2023-09-01T10:00:00Z"),
        },
        Row {
            name: "a rate it already has is no decision",
            given: foster_home("2021-06-01", false),
            now: at("2023-09-01T10:00:00Z"),
            when: decide(VisitKind::FollowUp, 4),
            then: Err(DomainError::VisitRateUnchanged { per_year: 4 }),
        },
        Row {
            name: "only 4 or 2",
            given: foster_home("2021-06-01", false),
            now: at("2023-09-01T10:00:00Z"),
            when: decide(VisitKind::FollowUp, 3),
            then: Err(invalid("per_year", "must be 4 or 2")),
        },
        Row {
            name: "no rate without a foster home",
            given: emergency_case(),
            now: now(),
            when: decide(VisitKind::FollowUp, 4),
            then: Err(DomainError::NoFosterHomePlacement),
        },
    ];
    run_table(stream_decider::<CaseStream>(), rows);
}
