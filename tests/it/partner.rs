//! The partner API over the wire: the service invites the police and Statens barnehus to a
//! consultation on case A; each partner sees that consultation (and only as much of the case
//! as the consultation needs) while it is open, records its steps as events on the case, and
//! sees nothing of case B, of A's other steps, or of A's consultation once it is closed.

use api::investigation::v1 as investigation;
use api::partner::v1 as partner;
use api::partner::v1::partner_service_client::PartnerServiceClient;
use platform::auth::Claims;
use tests::{Authed, Bearer, TestApp};
use tonic::Code;

use crate::{assert_code, case_under_investigation, command_id, day};

fn client(app: &TestApp, role: &str, municipalities: &[&str]) -> PartnerServiceClient<Authed> {
    let token = app.key.issue(&Claims::new(
        &format!("{role}-1"),
        role,
        municipalities.iter().map(|&m| m.to_owned()).collect(),
        tests::now(),
        600,
    ));
    PartnerServiceClient::with_interceptor(app.channel(), Bearer::new(token))
}

/// Tomorrow at 09:00 UTC: the same moment however often it is asked for (it was "now plus a
/// day", which moved on between the invitation and the check when a second turned between).
fn tomorrow_at_nine() -> prost_types::Timestamp {
    let today = tests::now().div_euclid(86_400) * 86_400;
    prost_types::Timestamp {
        seconds: today + 86_400 + 9 * 3600,
        nanos: 0,
    }
}

async fn invite(app: &TestApp, case_id: &str, partners: Vec<partner::Partner>) -> u32 {
    // A police report is asked only where the police are invited.
    let mut decisions_asked = vec![partner::Decision::ForensicInterview as i32];
    if partners.contains(&partner::Partner::Police) {
        decisions_asked.push(partner::Decision::PoliceReport as i32);
    }
    client(app, "caseworker", &["5035"])
        .invite_to_consultation(partner::InviteToConsultationRequest {
            command_id: command_id(),
            case_id: case_id.to_owned(),
            partners: partners.into_iter().map(|p| p as i32).collect(),
            meeting_at: Some(tomorrow_at_nine()),
            place: "Statens barnehus Trondheim".into(),
            decisions_asked,
        })
        .await
        .expect("invited")
        .into_inner()
        .consultation
}

fn get(case_id: &str, consultation: u32) -> partner::GetConsultationRequest {
    partner::GetConsultationRequest {
        case_id: case_id.to_owned(),
        consultation,
    }
}

async fn event_types(app: &TestApp, case_id: &str) -> Vec<String> {
    sqlx::query_scalar("select event_type from events where stream_id = $1 order by stream_version")
        .bind(format!("case-{case_id}"))
        .fetch_all(app.db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn an_invited_partner_sees_its_consultation_while_open_and_nothing_else() {
    let app = TestApp::spawn().await;
    let case_a = case_under_investigation(&app, 100).await;
    let case_b = case_under_investigation(&app, 101).await;
    use partner::Partner::{Barnehus, Police};
    assert_eq!(invite(&app, &case_a, vec![Police, Barnehus]).await, 1);
    // Case B has a consultation of its own, with Statens barnehus only.
    assert_eq!(invite(&app, &case_b, vec![Barnehus]).await, 1);
    let mut police = client(&app, "police", &["5035"]);
    let mut barnehus = client(&app, "barnehus", &["5035"]);

    // What the police see of A's consultation: the child, the concern, the meeting.
    let seen = police
        .get_consultation(get(&case_a, 1))
        .await
        .expect("the invited police see it")
        .into_inner();
    assert_eq!(seen.child_birth_date, "2019-05-17");
    assert_eq!(seen.concerns, ["NEGLECT"]);
    assert_eq!(seen.place, "Statens barnehus Trondheim");
    assert_eq!(seen.meeting_at, Some(tomorrow_at_nine()));
    assert_eq!(seen.partners_invited, [Police as i32, Barnehus as i32]);
    assert_eq!(seen.attending, None);

    // Not B's consultation (not invited), not a consultation that does not exist, not A's
    // from another police district, and not the case itself: refused alike.
    let refusals = [
        police.get_consultation(get(&case_b, 1)).await,
        police.get_consultation(get(&case_a, 2)).await,
        police
            .get_consultation(get(&uuid::Uuid::new_v4().to_string(), 1))
            .await,
        client(&app, "police", &["0301"])
            .get_consultation(get(&case_a, 1))
            .await,
    ];
    let messages: Vec<String> = refusals
        .into_iter()
        .map(|refused| {
            assert_code(refused, Code::PermissionDenied)
                .message()
                .to_owned()
        })
        .collect();
    assert!(messages.iter().all(|m| *m == messages[0]), "{messages:?}");
    let case = api::investigation::v1::investigation_service_client::InvestigationServiceClient::with_interceptor(
        app.channel(),
        Bearer::new(app.key.issue(&Claims::new("police-1", "police", vec!["5035".into()], tests::now(), 600))),
    )
    .get_case(investigation::GetCaseRequest {
        case_id: case_a.clone(),
        purpose: String::new(),
    })
    .await;
    assert_code(case, Code::PermissionDenied);

    // Their steps, each an event on the case.
    let attendance = partner::RecordAttendanceRequest {
        command_id: command_id(),
        case_id: case_a.clone(),
        consultation: 1,
        attending: true,
    };
    police
        .record_attendance(attendance.clone())
        .await
        .expect("attendance");
    barnehus
        .record_forensic_interview_decision(partner::RecordForensicInterviewDecisionRequest {
            command_id: command_id(),
            case_id: case_a.clone(),
            consultation: 1,
            decision: Some(
                partner::record_forensic_interview_decision_request::Decision::Postponed(
                    partner::InterviewPostponed {
                        to: day(7),
                        reason: "The child is ill this week.".into(),
                    },
                ),
            ),
        })
        .await
        .expect("interview decision");
    let police_report = partner::RecordPoliceReportDecisionRequest {
        command_id: command_id(),
        case_id: case_a.clone(),
        consultation: 1,
        filed: true,
    };
    // The police report is the police's: Statens barnehus may not record it.
    assert_code(
        barnehus
            .record_police_report_decision(police_report.clone())
            .await,
        Code::PermissionDenied,
    );
    police
        .record_police_report_decision(police_report)
        .await
        .expect("police report decision");
    assert_eq!(
        police
            .get_consultation(get(&case_a, 1))
            .await
            .unwrap()
            .into_inner()
            .attending,
        Some(true)
    );
    // A postponement to the past is bad input, named.
    let past = barnehus
        .record_forensic_interview_decision(partner::RecordForensicInterviewDecisionRequest {
            command_id: command_id(),
            case_id: case_a.clone(),
            consultation: 1,
            decision: Some(
                partner::record_forensic_interview_decision_request::Decision::Postponed(
                    partner::InterviewPostponed {
                        to: day(-1),
                        reason: "Late.".into(),
                    },
                ),
            ),
        })
        .await;
    let past = assert_code(past, Code::InvalidArgument);
    assert!(
        past.message().contains("postponed.to"),
        "{}",
        past.message()
    );

    // Closed: the partners see nothing more, and may record nothing more.
    client(&app, "caseworker", &["5035"])
        .close_consultation(partner::CloseConsultationRequest {
            command_id: command_id(),
            case_id: case_a.clone(),
            consultation: 1,
        })
        .await
        .expect("closed");
    let after = police.get_consultation(get(&case_a, 1)).await;
    assert_eq!(
        assert_code(after, Code::PermissionDenied).message(),
        messages[0]
    );
    let late = police
        .record_attendance(partner::RecordAttendanceRequest {
            command_id: command_id(),
            ..attendance.clone()
        })
        .await;
    assert_code(late, Code::PermissionDenied);
    // The attendance sent again with its command id answers as the first time.
    let replayed = police
        .record_attendance(attendance)
        .await
        .expect("a replay")
        .into_inner();
    assert!(replayed.replayed);

    let types = event_types(&app, &case_a).await;
    let partner_steps: Vec<&str> = types
        .iter()
        .map(String::as_str)
        .filter(|t| t.starts_with("Partner") || t.starts_with("PoliceReport"))
        .collect();
    assert_eq!(
        partner_steps,
        [
            "PartnersInvitedToConsultation",
            "PartnerAttendanceRecorded",
            "PartnerInterviewDecided",
            "PoliceReportDecided",
            "PartnerConsultationClosed",
        ]
    );
    // The partners' reads are in the read audit: two answered, one refused after closing.
    let outcomes: Vec<(String, String)> = sqlx::query_as(
        "select subject, outcome from read_audit where case_id = $1::uuid \
         and method = 'vern.partner.v1.PartnerService/GetConsultation' order by id",
    )
    .bind(&case_a)
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    let outcomes: Vec<(&str, &str)> = outcomes
        .iter()
        .map(|(who, outcome)| (who.as_str(), outcome.as_str()))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("police-1", "read"),
            ("police-1", "denied"),
            ("police-1", "denied"),
            ("police-1", "read"),
            ("police-1", "denied"),
        ]
    );
}

/// Minimal disclosure by construction: what the partner API answers a partner has fields for
/// the consultation and nothing else of the case.
#[test]
fn a_partners_answers_have_no_field_for_the_rest_of_the_case() {
    let pool = prost_reflect::DescriptorPool::decode(api::FILE_DESCRIPTOR_SET).unwrap();
    let fields = |message: &str| -> Vec<String> {
        pool.get_message_by_name(message)
            .unwrap_or_else(|| panic!("{message}"))
            .fields()
            .map(|field| field.name().to_owned())
            .collect()
    };
    assert_eq!(
        fields("vern.partner.v1.Consultation"),
        [
            "case_id",
            "consultation",
            "child_name",
            "child_birth_date",
            "concerns",
            "meeting_at",
            "place",
            "decisions_asked",
            "partners_invited",
            "attending",
        ]
    );
    assert_eq!(fields("vern.partner.v1.Recorded"), ["replayed"]);
}
