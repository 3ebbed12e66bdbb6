//! The requests a municipal system sends, as the lifecycle orders them: a report, its
//! screening, the investigation with activities, the conclusion, measures with their
//! evaluation and end, the feedback letters. Synthetic people only (names like "Barn 17", no
//! identity numbers).

use anyhow::Context as _;
use api::common::v1 as common;
use api::feedback::v1 as feedback;
use api::intake::v1 as intake;
use api::investigation::v1 as investigation;
use api::measures::v1 as measures;
use chrono::NaiveDate;
use uuid::Uuid;

use crate::load::Rng;
use crate::vern::Clients;

/// One step of a lifecycle, sent as one command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    Submit,
    ScreenIntoInvestigation,
    ScreenDismissed,
    StartInvestigation,
    RecordActivity,
    ConcludeWithMeasures,
    ConcludeDismissed,
    StartMeasure,
    EvaluateMeasure,
    EndMeasure,
    CloseCase,
    SendLetters,
}

impl Step {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Step::Submit => "SubmitReport",
            Step::ScreenIntoInvestigation | Step::ScreenDismissed => "ScreenReport",
            Step::StartInvestigation => "StartInvestigation",
            Step::RecordActivity => "RecordActivity",
            Step::ConcludeWithMeasures | Step::ConcludeDismissed => "ConcludeInvestigation",
            Step::StartMeasure => "StartMeasure",
            Step::EvaluateMeasure => "EvaluateMeasure",
            Step::EndMeasure => "EndMeasure",
            Step::CloseCase => "CloseCase",
            Step::SendLetters => "MarkLettersSent",
        }
    }
}

/// The mix the `commands` scenario sends, one lifecycle after another.
pub(crate) const COMMAND_MIX: [Step; 6] = [
    Step::Submit,
    Step::ScreenIntoInvestigation,
    Step::StartInvestigation,
    Step::RecordActivity,
    Step::ConcludeWithMeasures,
    Step::StartMeasure,
];

/// One report about one child, and the case it becomes.
#[derive(Clone, Debug)]
pub(crate) struct Lifecycle {
    pub(crate) municipality: String,
    pub(crate) child: u64,
    pub(crate) public_reporter: bool,
    pub(crate) report_id: String,
    pub(crate) case_id: String,
}

impl Lifecycle {
    pub(crate) fn new(municipality: String, child: u64, public_reporter: bool) -> Self {
        Self {
            municipality,
            child,
            public_reporter,
            report_id: String::new(),
            case_id: String::new(),
        }
    }
}

/// Sends `step` for `lifecycle` on `today` (the service's date); returns the position of
/// its last event (none when it wrote nothing).
pub(crate) async fn send(
    clients: &mut Clients,
    step: Step,
    lifecycle: &mut Lifecycle,
    today: NaiveDate,
    rng: &mut Rng,
) -> anyhow::Result<Option<common::Position>> {
    let day = |offset: i64| (today + chrono::Duration::days(offset)).to_string();
    let case_id = lifecycle.case_id.clone();
    let result = match step {
        Step::Submit => {
            let response = clients
                .intake
                .submit_report(submit(lifecycle, today, rng))
                .await?
                .into_inner();
            lifecycle.report_id = response.report_id;
            response.result
        }
        Step::ScreenIntoInvestigation | Step::ScreenDismissed => {
            let outcome = if step == Step::ScreenDismissed {
                intake::child_screening::Outcome::Dismissed(intake::Dismissal {
                    ground: intake::DismissalGround::NoGroundsForInvestigation as i32,
                    reasons: "No grounds for an investigation.".into(),
                    obviously_unfounded: false,
                    transferred_to_municipality: String::new(),
                })
            } else {
                intake::child_screening::Outcome::InvestigationOpened(
                    intake::InvestigationOpened {},
                )
            };
            let response = clients
                .intake
                .screen_report(intake::ScreenReportRequest {
                    command_id: command_id(),
                    report_id: lifecycle.report_id.clone(),
                    reporter_code: String::new(),
                    children: vec![intake::ChildScreening {
                        child_index: 0,
                        existing_case_id: String::new(),
                        case_content: Vec::new(),
                        outcome: Some(outcome),
                        emergency_action: false,
                        urgency: common::Urgency::Yellow as i32,
                    }],
                })
                .await?
                .into_inner();
            if let Some(case) = response.cases.first() {
                lifecycle.case_id = case.case_id.clone();
            }
            response.result
        }
        Step::StartInvestigation => clients
            .investigation
            .start_investigation(investigation::StartInvestigationRequest {
                command_id: command_id(),
                case_id,
                themes: "Care at home; the child's nutrition.".into(),
                planned_activities: vec![investigation::Activity {
                    kind: investigation::ActivityKind::HomeVisit as i32,
                    ..Default::default()
                }],
            })
            .await?
            .into_inner()
            .into(),
        Step::RecordActivity => {
            let kinds = [
                investigation::ActivityKind::HomeVisit,
                investigation::ActivityKind::ConversationWithChild,
                investigation::ActivityKind::ConversationWithParents,
                investigation::ActivityKind::GatheringInformation,
            ];
            let kind = kinds[rng.below(kinds.len() as u64) as usize];
            clients
                .investigation
                .record_activity(investigation::RecordActivityRequest {
                    command_id: command_id(),
                    case_id,
                    activity: Some(investigation::Activity {
                        kind: kind as i32,
                        ..Default::default()
                    }),
                    held_on: day(0),
                    summary: "Synthetic activity: talked about meals and bedtimes.".into(),
                })
                .await?
                .into_inner()
                .into()
        }
        Step::ConcludeWithMeasures | Step::ConcludeDismissed => {
            let outcome = if step == Step::ConcludeDismissed {
                investigation::ConclusionOutcome::DismissedOnAssessment
            } else {
                investigation::ConclusionOutcome::MeasuresDecided
            };
            clients
                .investigation
                .conclude_investigation(investigation::ConcludeInvestigationRequest {
                    command_id: command_id(),
                    case_id,
                    outcome: outcome as i32,
                    reasons: "Synthetic conclusion.".into(),
                    ..Default::default()
                })
                .await?
                .into_inner()
                .into()
        }
        Step::StartMeasure => {
            let kinds = [
                measures::MeasureKind::ParentalGuidanceCos,
                measures::MeasureKind::MarteMeo,
                measures::MeasureKind::Relief,
                measures::MeasureKind::KindergartenPlace,
            ];
            let kind = kinds[rng.below(kinds.len() as u64) as usize];
            clients
                .measures
                .start_measure(measures::StartMeasureRequest {
                    command_id: command_id(),
                    case_id,
                    measure: Some(measures::Measure {
                        kind: kind as i32,
                        description: String::new(),
                        in_family_network: false,
                    }),
                    plan: Some(measures::Plan {
                        goals: vec!["The child eats breakfast every day.".into()],
                        responsible: "Caseworker 7".into(),
                        starts_on: day(0),
                        ends_on: day(180),
                        evaluate_on: day(90),
                    }),
                })
                .await?
                .into_inner()
                .into()
        }
        Step::EvaluateMeasure => clients
            .measures
            .evaluate_measure(measures::EvaluateMeasureRequest {
                command_id: command_id(),
                case_id,
                measure: 1,
                checklist: Some(measures::EvaluationChecklist {
                    carried_out_as_planned: true,
                    child_and_parents_felt_looked_after: true,
                    parents_followed_up: true,
                    could_have_been_done_otherwise: false,
                    new_or_extended_measures_needed: false,
                    goals_reached: rng.chance(0.7),
                }),
                assessment: "Synthetic evaluation.".into(),
            })
            .await?
            .into_inner()
            .into(),
        Step::EndMeasure => clients
            .measures
            .end_measure(measures::EndMeasureRequest {
                command_id: command_id(),
                case_id,
                measure: 1,
                reasons: "Goals reached.".into(),
            })
            .await?
            .into_inner()
            .into(),
        Step::CloseCase => clients
            .measures
            .close_case(measures::CloseCaseRequest {
                command_id: command_id(),
                case_id,
                reasons: "Nothing more to do.".into(),
            })
            .await?
            .into_inner()
            .into(),
        Step::SendLetters => {
            let owed = clients
                .feedback
                .get_letters_owed(feedback::GetLettersOwedRequest {
                    report_id: lifecycle.report_id.clone(),
                    as_of: None,
                })
                .await?
                .into_inner()
                .letters;
            let letters: Vec<_> = owed.into_iter().filter_map(|owed| owed.letter).collect();
            if letters.is_empty() {
                return Ok(None);
            }
            clients
                .feedback
                .mark_letters_sent(feedback::MarkLettersSentRequest {
                    command_id: command_id(),
                    report_id: lifecycle.report_id.clone(),
                    letters,
                })
                .await?
                .into_inner()
                .into()
        }
    };
    Ok(result.context("the answer has a write result")?.position)
}

pub(crate) fn submit(
    lifecycle: &Lifecycle,
    today: NaiveDate,
    rng: &mut Rng,
) -> intake::SubmitReportRequest {
    let reporter = if lifecycle.public_reporter {
        intake::reporter::Kind::Public(intake::PublicReporter {
            organisation: "Testbyen barnehage".into(),
            role: "styrer".into(),
            name: "Kari Testesen".into(),
            identity_withheld_from_parties: false,
        })
    } else {
        intake::reporter::Kind::Anonymous(intake::Anonymous {})
    };
    let born = today - chrono::Duration::days(365 + rng.below(15 * 365) as i64);
    let concerns = [
        intake::ConcernCategory::Neglect,
        intake::ConcernCategory::Violence,
        intake::ConcernCategory::ParentalSubstanceUse,
        intake::ConcernCategory::Behaviour,
    ];
    let urgencies = [
        common::Urgency::Green,
        common::Urgency::Yellow,
        common::Urgency::Yellow,
        common::Urgency::Red,
    ];
    intake::SubmitReportRequest {
        command_id: command_id(),
        municipality: lifecycle.municipality.clone(),
        received_at: None,
        reporter: Some(intake::Reporter {
            kind: Some(reporter),
        }),
        children: vec![common::Child {
            identity: Some(common::child::Identity::NameAndBirthDate(
                common::NameAndBirthDate {
                    name: format!("Barn {}", lifecycle.child),
                    birth_date: born.to_string(),
                },
            )),
        }],
        concerns: vec![concerns[rng.below(concerns.len() as u64) as usize] as i32],
        summary: "Synthetic benchmark report: the child often comes to kindergarten hungry.".into(),
        urgency: urgencies[rng.below(urgencies.len() as u64) as usize] as i32,
    }
}

fn command_id() -> String {
    Uuid::new_v4().to_string()
}
