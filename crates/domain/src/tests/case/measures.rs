//! Measures: started with a plan, evaluated, extended or changed after an evaluation, ended.

use super::*;
use crate::DomainError;
use crate::case::{
    CaseCommand, CaseEvent, CaseStream, EvaluationChecklist, MeasureCommand, MeasureKind,
};

fn checklist() -> EvaluationChecklist {
    EvaluationChecklist {
        carried_out_as_planned: true,
        child_and_parents_felt_looked_after: true,
        parents_followed_up: false,
        could_have_been_done_otherwise: true,
        new_or_extended_measures_needed: true,
        goals_reached: false,
    }
}

fn measure_evaluated() -> CaseEvent {
    CaseEvent::MeasureEvaluated {
        number: 1,
        checklist: checklist(),
        assessment: text("Partly working"),
        next_evaluation_on: day("2024-06-05"),
        at: at("2024-03-05T10:00:00Z"),
    }
}

#[test]
fn measures() {
    let rows: Vec<CaseRow> = vec![
        Row {
            name: "a measure starts with a plan, evaluated after 3 months by default",
            given: with(
                investigating_with_plan(),
                [concluded(ConclusionOutcome::MeasuresDecided)],
            ),
            now: now(),
            when: CaseCommand::Measures(MeasureCommand::Start {
                in_family_network: false,
                kind: MeasureKind::Pmto,
                plan: measure_plan("2024-03-06", "2024-09-06", None),
            }),
            then: Ok(vec![CaseEvent::MeasureStarted {
                in_family_network: false,
                number: 1,
                kind: MeasureKind::Pmto,
                plan: measure_plan("2024-03-06", "2024-09-06", None),
                next_evaluation_on: day("2024-06-06"),
                at: now(),
            }]),
        },
        Row {
            name: "a measure plan may set its own evaluation date",
            given: emergency_case(),
            now: now(),
            when: CaseCommand::Measures(MeasureCommand::Start {
                in_family_network: false,
                kind: MeasureKind::AcuteFamilyTeam,
                plan: measure_plan("2024-03-06", "2024-04-17", Some("2024-04-10")),
            }),
            then: Ok(vec![CaseEvent::MeasureStarted {
                in_family_network: false,
                number: 1,
                kind: MeasureKind::AcuteFamilyTeam,
                plan: measure_plan("2024-03-06", "2024-04-17", Some("2024-04-10")),
                next_evaluation_on: day("2024-04-10"),
                at: now(),
            }]),
        },
        Row {
            name: "the law sets an acute family team no limit: that is a service's practice",
            given: emergency_case(),
            now: now(),
            when: CaseCommand::Measures(MeasureCommand::Start {
                in_family_network: false,
                kind: MeasureKind::AcuteFamilyTeam,
                plan: measure_plan("2024-03-06", "2024-04-18", None),
            }),
            then: Ok(vec![CaseEvent::MeasureStarted {
                in_family_network: false,
                number: 1,
                kind: MeasureKind::AcuteFamilyTeam,
                plan: measure_plan("2024-03-06", "2024-04-18", None),
                next_evaluation_on: day("2024-06-06"),
                at: now(),
            }]),
        },
        Row {
            name: "a measure plan needs a goal",
            given: emergency_case(),
            now: now(),
            when: CaseCommand::Measures(MeasureCommand::Start {
                in_family_network: false,
                kind: MeasureKind::Relief,
                plan: crate::case::MeasurePlan {
                    goals: vec![],
                    ..measure_plan("2024-03-06", "2024-09-06", None)
                },
            }),
            then: Err(invalid("plan.goals", "must name at least one goal")),
        },
        Row {
            name: "a measure is evaluated with the six questions",
            given: with(emergency_case(), [measure_started()]),
            now: now(),
            when: CaseCommand::Measures(MeasureCommand::Evaluate {
                measure: 1,
                checklist: checklist(),
                assessment: text("Partly working"),
            }),
            then: Ok(vec![CaseEvent::MeasureEvaluated {
                number: 1,
                checklist: checklist(),
                assessment: text("Partly working"),
                next_evaluation_on: day("2024-06-06"),
                at: now(),
            }]),
        },
        Row {
            name: "a measure never started cannot be evaluated",
            given: with(emergency_case(), [measure_started()]),
            now: now(),
            when: CaseCommand::Measures(MeasureCommand::Evaluate {
                measure: 2,
                checklist: checklist(),
                assessment: text("?"),
            }),
            then: Err(DomainError::MeasureNotFound { number: 2 }),
        },
        Row {
            name: "an ended measure cannot be evaluated",
            given: with(
                emergency_case(),
                [
                    measure_started(),
                    CaseEvent::MeasureEnded {
                        number: 1,
                        reasons: text("Done"),
                        at: received_at(),
                    },
                ],
            ),
            now: now(),
            when: CaseCommand::Measures(MeasureCommand::Evaluate {
                measure: 1,
                checklist: checklist(),
                assessment: text("?"),
            }),
            then: Err(DomainError::MeasureEnded { number: 1 }),
        },
        Row {
            name: "a measure is extended after evaluation, with new plan and evaluation date",
            given: with(emergency_case(), [measure_started(), measure_evaluated()]),
            now: now(),
            when: CaseCommand::Measures(MeasureCommand::Extend {
                measure: 1,
                reasons: text("Goals not reached"),
                plan: measure_plan("2024-03-06", "2025-03-06", Some("2024-05-01")),
            }),
            then: Ok(vec![CaseEvent::MeasureExtended {
                number: 1,
                reasons: text("Goals not reached"),
                plan: measure_plan("2024-03-06", "2025-03-06", Some("2024-05-01")),
                next_evaluation_on: day("2024-05-01"),
                at: now(),
            }]),
        },
        Row {
            name: "a measure is not extended without an evaluation",
            given: with(emergency_case(), [measure_started()]),
            now: now(),
            when: CaseCommand::Measures(MeasureCommand::Extend {
                measure: 1,
                reasons: text("More"),
                plan: measure_plan("2024-03-06", "2025-03-06", None),
            }),
            then: Err(DomainError::MeasureNotEvaluated { number: 1 }),
        },
        Row {
            name: "a measure is changed (escalated) after evaluation",
            given: with(emergency_case(), [measure_started(), measure_evaluated()]),
            now: now(),
            when: CaseCommand::Measures(MeasureCommand::Change {
                in_family_network: false,
                measure: 1,
                kind: MeasureKind::Mst,
                reasons: text("Needs more"),
                plan: measure_plan("2024-03-06", "2024-12-06", None),
            }),
            then: Ok(vec![CaseEvent::MeasureChanged {
                in_family_network: false,
                number: 1,
                kind: MeasureKind::Mst,
                reasons: text("Needs more"),
                plan: measure_plan("2024-03-06", "2024-12-06", None),
                next_evaluation_on: day("2024-06-06"),
                at: now(),
            }]),
        },
        Row {
            name: "a measure ends with reasons",
            given: with(emergency_case(), [measure_started()]),
            now: now(),
            when: CaseCommand::Measures(MeasureCommand::End {
                measure: 1,
                reasons: text("Goals reached"),
            }),
            then: Ok(vec![CaseEvent::MeasureEnded {
                number: 1,
                reasons: text("Goals reached"),
                at: now(),
            }]),
        },
    ];
    run_table(stream_decider::<CaseStream>(), rows);
}

/// Tromsø's practice ([000]: the acute family team works "up to 6 weeks") limits Tromsø's
/// plans, on both sides of the limit, and nobody else's.
#[test]
fn a_services_own_limit_holds_for_its_municipality_only() {
    use crate::Context;
    use crate::case::{CaseState, evolve};
    use crate::municipality::MunicipalityRegistry;
    use crate::practice::LocalPractice;
    use crate::rules::RuleBook;
    let rules = RuleBook::norwegian();
    let registry = MunicipalityRegistry::norway_2024();
    let practice = LocalPractice::parse(
        "--local-practice",
        &["5501:acute_family_team_weeks=6".to_owned()],
        &registry,
    )
    .unwrap();
    let bergen_practice = LocalPractice::parse(
        "--local-practice",
        &["4601:acute_family_team_weeks=6".to_owned()],
        &registry,
    )
    .unwrap();
    // The case is Tromsø's (5501).
    let state = emergency_case().iter().fold(CaseState::default(), evolve);
    let start = |ends_on: &str, practice: &LocalPractice| {
        let context = Context::new(now(), &rules).with_practice(practice);
        crate::case::decide(
            &state,
            CaseCommand::Measures(MeasureCommand::Start {
                in_family_network: false,
                kind: MeasureKind::AcuteFamilyTeam,
                plan: measure_plan("2024-03-06", ends_on, None),
            }),
            &context,
        )
    };
    assert!(
        start("2024-04-17", &practice).is_ok(),
        "six weeks to the day"
    );
    assert_eq!(
        start("2024-04-18", &practice),
        Err(DomainError::MeasureTooLong {
            what: "the acute family team, by this service's practice,",
            max: "6 weeks".into(),
        })
    );
    assert!(
        start("2024-04-18", &bergen_practice).is_ok(),
        "Bergen's practice is not Tromsø's"
    );
}
