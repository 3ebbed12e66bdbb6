//! The requests a municipal system sends, as the lifecycle orders them: a report, its
//! assignment and screening, the investigation with activities, the conclusion, measures with
//! their evaluation and end, the feedback letters. The demo and the benchmarks send the same
//! requests, so what the benchmarks measure is what a newcomer sees. Synthetic people only.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use api::common::v1 as common;
use api::feedback::v1 as feedback;
use api::feedback::v1::feedback_service_client::FeedbackServiceClient;
use api::intake::v1 as intake;
use api::intake::v1::intake_service_client::IntakeServiceClient;
use api::investigation::v1 as investigation;
use api::investigation::v1::investigation_service_client::InvestigationServiceClient;
use api::measures::v1 as measures;
use api::measures::v1::measures_service_client::MeasuresServiceClient;
use chrono::NaiveDate;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};
use uuid::Uuid;

use super::Rng;

/// Adds the bearer token to every call.
#[derive(Clone)]
pub struct Bearer(tonic::metadata::MetadataValue<tonic::metadata::Ascii>);

impl tonic::service::Interceptor for Bearer {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        request
            .metadata_mut()
            .insert("authorization", self.0.clone());
        Ok(request)
    }
}

type Authed = InterceptedService<Channel, Bearer>;

/// One client per service over one HTTP/2 connection.
#[derive(Clone)]
pub struct Clients {
    pub intake: IntakeServiceClient<Authed>,
    pub investigation: InvestigationServiceClient<Authed>,
    pub measures: MeasuresServiceClient<Authed>,
    pub feedback: FeedbackServiceClient<Authed>,
}

impl Clients {
    pub fn new(address: SocketAddr, token: &str) -> anyhow::Result<Self> {
        let channel = Endpoint::from_shared(format!("http://{address}"))?
            .timeout(Duration::from_secs(30))
            .connect_lazy();
        let bearer = Bearer(format!("Bearer {token}").parse()?);
        Ok(Self {
            intake: IntakeServiceClient::with_interceptor(channel.clone(), bearer.clone()),
            investigation: InvestigationServiceClient::with_interceptor(
                channel.clone(),
                bearer.clone(),
            ),
            measures: MeasuresServiceClient::with_interceptor(channel.clone(), bearer.clone()),
            feedback: FeedbackServiceClient::with_interceptor(channel, bearer),
        })
    }
}

/// One step of a lifecycle, sent as one command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Submit,
    Assign,
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
    pub fn name(self) -> &'static str {
        match self {
            Step::Submit => "SubmitReport",
            Step::Assign => "AssignReport",
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

/// One report about one child, and the case it becomes.
#[derive(Clone, Debug)]
pub struct Lifecycle {
    pub municipality: String,
    pub child: u64,
    /// "Barn <child>" unless a name is given.
    pub child_name: String,
    /// A synthetic fødselsnummer; without one the report names the child and birth date.
    pub child_number: Option<String>,
    pub public_reporter: bool,
    /// Who `Step::Assign` hands the report to.
    pub team: String,
    pub caseworker: String,
    pub report_id: String,
    pub case_id: String,
}

impl Lifecycle {
    pub fn new(municipality: String, child: u64, public_reporter: bool) -> Self {
        Self {
            municipality,
            child,
            child_name: format!("Barn {child}"),
            child_number: None,
            public_reporter,
            team: String::new(),
            caseworker: String::new(),
            report_id: String::new(),
            case_id: String::new(),
        }
    }
}

/// Sends `step` for `lifecycle` on `today` (the service's date); returns the position of
/// its last event (none when it wrote nothing).
pub async fn send(
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
        Step::Assign => clients
            .intake
            .assign_report(intake::AssignReportRequest {
                decided_at: None,
                late_reason: String::new(),
                command_id: command_id(),
                report_id: lifecycle.report_id.clone(),
                team: lifecycle.team.clone(),
                caseworker: lifecycle.caseworker.clone(),
            })
            .await?
            .into_inner()
            .into(),
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
                    decided_at: None,
                    late_reason: String::new(),
                    command_id: command_id(),
                    report_id: lifecycle.report_id.clone(),
                    // A kindergarten's head (`submit`'s public reporter); an anonymous
                    // reporter's code follows by itself.
                    reporter_code: if lifecycle.public_reporter {
                        "9".into()
                    } else {
                        String::new()
                    },
                    children: vec![intake::ChildScreening {
                        child_index: 0,
                        existing_case_id: String::new(),
                        case_content: vec![case_content(today, rng)],
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
                decided_at: None,
                late_reason: String::new(),
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
                    decided_at: None,
                    late_reason: String::new(),
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
                    grounds: if step == Step::ConcludeWithMeasures {
                        vec![case_content(today, rng)]
                    } else {
                        Vec::new()
                    },
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
                    decided_at: None,
                    late_reason: String::new(),
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
                decided_at: None,
                late_reason: String::new(),
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
                decided_at: None,
                late_reason: String::new(),
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
                decided_at: None,
                late_reason: String::new(),
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
                    effective_view: false,
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
                    late_reason: String::new(),
                    sent_at: None,
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

/// A case-content code (Saksinnhold, Kodelister.md) valid on `day`: the registry's old list
/// until 2025, its new one (Kunnskapsmodellen) from 2026.
fn case_content(day: NaiveDate, rng: &mut Rng) -> String {
    const OLD: [&str; 5] = ["8", "21", "6", "3", "23"];
    const NEW: [&str; 5] = ["1.1.02", "1.2.01", "1.3.01", "1.3.04", "1.4.02"];
    let codes = if day < NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or(NaiveDate::MAX) {
        OLD
    } else {
        NEW
    };
    codes[rng.below(codes.len() as u64) as usize].to_owned()
}

pub fn submit(
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
        late_reason: String::new(),
        command_id: command_id(),
        municipality: lifecycle.municipality.clone(),
        received_at: None,
        reporter: Some(intake::Reporter {
            kind: Some(reporter),
        }),
        children: vec![common::Child {
            identity: Some(match &lifecycle.child_number {
                Some(number) => common::child::Identity::NationalIdentityNumber(number.clone()),
                None => common::child::Identity::NameAndBirthDate(common::NameAndBirthDate {
                    name: lifecycle.child_name.clone(),
                    birth_date: born.to_string(),
                }),
            }),
        }],
        concerns: vec![concerns[rng.below(concerns.len() as u64) as usize] as i32],
        summary: "Synthetic benchmark report: the child often comes to kindergarten hungry.".into(),
        urgency: urgencies[rng.below(urgencies.len() as u64) as usize] as i32,
    }
}

fn command_id() -> String {
    Uuid::new_v4().to_string()
}
