//! The read models through the wire, at fixed times: the worklist, letters owed and their
//! text, caseload, timeline and statistics, each checked row by row; and a rebuild that
//! reproduces the live rows exactly while the live runners keep going.

use api::common::v1 as common;
use api::feedback::v1 as feedback;
use api::intake::v1 as intake;
use api::investigation::v1 as investigation;
use api::worklist::v1 as worklist;
use tests::TestApp;
use tonic::Code;

use crate::{
    assert_code, at, child, command_id, dismiss, open_investigation, public_reporter, report, ts,
};

fn private_reporter() -> intake::Reporter {
    intake::Reporter {
        kind: Some(intake::reporter::Kind::PrivateNamed(
            intake::PrivateReporter {
                name: "Ola Nabo".into(),
                relation: intake::PrivateRelation::OtherPrivatePerson as i32,
                identity_withheld_from_parties: false,
            },
        )),
    }
}

fn anonymous() -> intake::Reporter {
    intake::Reporter {
        kind: Some(intake::reporter::Kind::Anonymous(intake::Anonymous {})),
    }
}

/// Submits at `now` (the server's clock) in `municipality` with `urgency`: the report id and
/// the position of its events.
async fn submit_at(
    app: &TestApp,
    now: &str,
    municipality: &str,
    reporter: intake::Reporter,
    seed: u32,
    urgency: common::Urgency,
) -> (String, common::Position) {
    app.set_now(at(now));
    let mut request = report(vec![child(seed)], reporter);
    request.municipality = municipality.into();
    request.urgency = urgency as i32;
    let response = app
        .intake()
        .submit_report(request)
        .await
        .expect("report submitted")
        .into_inner();
    let position = response.result.and_then(|r| r.position).expect("position");
    (response.report_id, position)
}

/// Screens at `now`: the case ids and the position.
async fn screen_at(
    app: &TestApp,
    now: &str,
    report_id: &str,
    children: Vec<intake::ChildScreening>,
) -> (Vec<String>, common::Position) {
    app.set_now(at(now));
    let response = crate::screen_report(app, report_id, children).await;
    let position = response.result.and_then(|r| r.position).expect("position");
    (
        response
            .cases
            .into_iter()
            .map(|case| case.case_id)
            .collect(),
        position,
    )
}

async fn start_at(app: &TestApp, now: &str, case_id: &str) {
    app.set_now(at(now));
    crate::start_investigation(app, case_id).await;
}

async fn conclude_at(
    app: &TestApp,
    now: &str,
    case_id: &str,
    outcome: investigation::ConclusionOutcome,
) -> common::Position {
    app.set_now(at(now));
    app.investigation()
        .conclude_investigation(investigation::ConcludeInvestigationRequest {
            command_id: command_id(),
            case_id: case_id.to_owned(),
            outcome: outcome as i32,
            reasons: "Synthetic conclusion.".into(),
            ..Default::default()
        })
        .await
        .expect("investigation concluded")
        .into_inner()
        .position
        .expect("position")
}

/// (kind, report or case id, urgency, due on, breached)
type Row = (String, String, i32, String, bool);

async fn review(
    app: &TestApp,
    as_of: &str,
    all_running: bool,
    team: &str,
    position: &common::Position,
) -> Vec<Row> {
    crate::worklist_items(
        app,
        worklist::ListCasesNeedingReviewRequest {
            as_of: Some(ts(as_of)),
            all_running,
            team: team.into(),
            min_position: Some(*position),
            ..Default::default()
        },
    )
    .await
    .into_iter()
    .map(|item| {
        let subject = if item.case_id.is_empty() || item.kind == "conclusion_letter" {
            item.report_id
        } else {
            item.case_id
        };
        (item.kind, subject, item.urgency, item.due_on, item.breached)
    })
    .collect()
}

fn row(kind: &str, subject: &str, urgency: common::Urgency, due_on: &str, breached: bool) -> Row {
    (
        kind.to_owned(),
        subject.to_owned(),
        urgency as i32,
        due_on.to_owned(),
        breached,
    )
}

#[tokio::test]
async fn the_worklist_follows_the_clock_and_drops_what_is_done() {
    use common::Urgency::{Red, Yellow};
    let app = TestApp::spawn().await;
    let (a, _) = submit_at(
        &app,
        "2024-03-04T09:00:00Z",
        "5035",
        public_reporter(),
        11,
        Yellow,
    )
    .await;
    let (b, _) = submit_at(&app, "2024-03-04T10:00:00Z", "5035", anonymous(), 12, Red).await;
    app.set_now(at("2024-03-04T10:30:00Z"));
    let assigned = app
        .intake()
        .assign_report(intake::AssignReportRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            report_id: a.clone(),
            team: "Mottak".into(),
            caseworker: "kari".into(),
        })
        .await
        .expect("assigned")
        .into_inner()
        .position
        .expect("position");

    // Due within the default week: both screenings; red first. The letters fall later.
    let now = "2024-03-04T11:00:00Z";
    assert_eq!(
        review(&app, now, false, "", &assigned).await,
        [
            row("screening", &b, Red, "2024-03-11", false),
            row("screening", &a, Yellow, "2024-03-11", false),
        ]
    );
    assert_eq!(
        review(&app, now, false, "Mottak", &assigned).await,
        [row("screening", &a, Yellow, "2024-03-11", false)]
    );
    assert_eq!(
        review(&app, now, true, "", &assigned).await,
        [
            row("screening", &b, Red, "2024-03-11", false),
            row("screening", &a, Yellow, "2024-03-11", false),
            row(
                "investigation_outcome_letter",
                &a,
                Yellow,
                "2024-03-25",
                false
            ),
            row("receipt_letter", &a, Yellow, "2024-03-25", false),
        ]
    );

    // Screening a report ends its screening deadline and starts the investigation's, which
    // counts from the end of the screening week: 2024-03-11 + 3 months.
    let (cases, screened) = screen_at(
        &app,
        "2024-03-06T12:00:00Z",
        &a,
        vec![open_investigation(0)],
    )
    .await;
    let case = &cases[0];
    assert_eq!(
        review(&app, "2024-03-06T13:00:00Z", true, "", &screened).await,
        [
            row("screening", &b, Red, "2024-03-11", false),
            row(
                "investigation_outcome_letter",
                &a,
                Yellow,
                "2024-03-25",
                false
            ),
            row("receipt_letter", &a, Yellow, "2024-03-25", false),
            row("investigation", case, Yellow, "2024-06-11", false),
        ]
    );
    // The case inherited the report's team.
    assert_eq!(
        review(&app, "2024-03-06T13:00:00Z", true, "Mottak", &screened)
            .await
            .len(),
        3
    );
    // Time travel: the day before, the list was as it was.
    assert_eq!(
        review(&app, "2024-03-05T12:00:00Z", false, "", &screened).await,
        [
            row("screening", &b, Red, "2024-03-11", false),
            row("screening", &a, Yellow, "2024-03-11", false),
        ]
    );

    // Sending the letters takes them off; the clock passing B's last day breaches it.
    app.set_now(at("2024-03-07T09:00:00Z"));
    let sent = app
        .feedback()
        .mark_letters_sent(feedback::MarkLettersSentRequest {
            late_reason: String::new(),
            sent_at: None,
            command_id: command_id(),
            report_id: a.clone(),
            letters: vec![
                feedback::Letter {
                    kind: feedback::LetterKind::Receipt as i32,
                    case_id: String::new(),
                },
                feedback::Letter {
                    kind: feedback::LetterKind::InvestigationOutcome as i32,
                    case_id: String::new(),
                },
            ],
        })
        .await
        .expect("letters sent")
        .into_inner()
        .position
        .expect("position");
    assert_eq!(
        review(&app, "2024-03-12T08:00:00Z", true, "", &sent).await,
        [
            row("screening", &b, Red, "2024-03-11", true),
            row("investigation", case, Yellow, "2024-06-11", false),
        ]
    );
    // Near its end the investigation is due soon, and after it breached.
    assert_eq!(
        review(&app, "2024-06-05T08:00:00Z", false, "Mottak", &sent).await,
        [row("investigation", case, Yellow, "2024-06-11", false)]
    );
    assert_eq!(
        review(&app, "2024-06-12T08:00:00Z", false, "Mottak", &sent).await,
        [row("investigation", case, Yellow, "2024-06-11", true)]
    );

    // Caseload: the case with Mottak/kari, B waiting unassigned.
    let caseload = app
        .worklist()
        .get_caseload(worklist::GetCaseloadRequest {
            as_of: Some(ts("2024-03-06T13:00:00Z")),
            min_position: Some(sent),
            ..Default::default()
        })
        .await
        .expect("caseload")
        .into_inner()
        .rows;
    let summary: Vec<_> = caseload
        .iter()
        .map(|r| {
            (
                r.municipality.as_str(),
                r.team.as_str(),
                r.caseworker.as_str(),
                r.open_cases,
                r.yellow,
                r.reports_awaiting_screening,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("5035", "", "", 0, 0, 1),
            ("5035", "Mottak", "kari", 1, 1, 0)
        ]
    );

    // The timeline: what happened to the case, by whom, when; no content.
    let timeline = app
        .worklist()
        .get_case_timeline(worklist::GetCaseTimelineRequest {
            purpose: String::new(),
            case_id: case.clone(),
            min_position: Some(sent),
        })
        .await
        .expect("timeline")
        .into_inner()
        .entries;
    let lines: Vec<_> = timeline
        .iter()
        .map(|e| {
            (
                e.version,
                e.event_type.as_str(),
                e.actor_subject.as_str(),
                e.occurred_at,
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            (
                1,
                "CaseOpenedFromReport",
                "caseworker-7",
                Some(ts("2024-03-06T12:00:00Z"))
            ),
            (
                2,
                "InvestigationOpened",
                "caseworker-7",
                Some(ts("2024-03-06T12:00:00Z"))
            ),
        ]
    );
}

#[tokio::test]
async fn the_act_in_force_on_the_received_date_decides_the_rule() {
    let app = TestApp::spawn().await;
    app.set_now(at("2023-01-03T12:00:00Z"));
    let mut old = report(vec![child(31)], anonymous());
    old.received_at = Some(ts("2022-12-30T10:00:00Z"));
    let mut new = report(vec![child(32)], anonymous());
    new.received_at = Some(ts("2023-01-02T10:00:00Z"));
    let mut position = None;
    let mut ids = Vec::new();
    for request in [old, new] {
        let response = app
            .intake()
            .submit_report(request)
            .await
            .unwrap()
            .into_inner();
        position = response.result.and_then(|r| r.position);
        ids.push(response.report_id);
    }
    let items = crate::worklist_items(
        &app,
        worklist::ListCasesNeedingReviewRequest {
            min_position: position,
            ..Default::default()
        },
    )
    .await;
    let rules: Vec<_> = items
        .iter()
        .map(|i| {
            (
                i.report_id.as_str(),
                i.due_on.as_str(),
                i.legal_reference.as_str(),
            )
        })
        .collect();
    assert_eq!(
        rules,
        [
            (ids[0].as_str(), "2023-01-06", "barnevernloven 1992 § 4-2"),
            (
                ids[1].as_str(),
                "2023-01-09",
                "barnevernsloven 2021 § 2-1 ('snarest, og senest innen en uke')"
            ),
        ]
    );
}

async fn render(
    app: &TestApp,
    report_id: &str,
    kind: feedback::LetterKind,
    case_id: &str,
) -> Result<String, tonic::Status> {
    app.feedback()
        .render_letter(feedback::RenderLetterRequest {
            report_id: report_id.to_owned(),
            letter: Some(feedback::Letter {
                kind: kind as i32,
                case_id: case_id.to_owned(),
            }),
        })
        .await
        .map(|response| response.into_inner().text)
}

async fn letters_owed(
    app: &TestApp,
    as_of: &str,
    position: &common::Position,
) -> Vec<(String, i32, String, bool)> {
    app.feedback()
        .list_letters_owed(feedback::ListLettersOwedRequest {
            municipality: "5035".into(),
            as_of: Some(ts(as_of)),
            min_position: Some(*position),
            ..Default::default()
        })
        .await
        .expect("letters owed")
        .into_inner()
        .letters
        .into_iter()
        .map(|l| {
            let letter = l.letter.unwrap_or_default();
            (l.report_id, letter.kind, l.due_on, l.overdue)
        })
        .collect()
}

#[tokio::test]
async fn letters_follow_the_reporter_and_disclose_nothing_else() {
    use feedback::LetterKind::{Conclusion, InvestigationOutcome, Receipt};
    let yellow = common::Urgency::Yellow;
    let app = TestApp::spawn().await;
    let (public, _) = submit_at(
        &app,
        "2024-04-02T08:00:00Z",
        "5035",
        public_reporter(),
        21,
        yellow,
    )
    .await;
    let (private, _) = submit_at(
        &app,
        "2024-04-02T08:10:00Z",
        "5035",
        private_reporter(),
        22,
        yellow,
    )
    .await;
    let (anon, _) = submit_at(
        &app,
        "2024-04-02T08:20:00Z",
        "5035",
        anonymous(),
        23,
        yellow,
    )
    .await;
    let (dismissed, _) = submit_at(
        &app,
        "2024-04-02T08:30:00Z",
        "5035",
        public_reporter(),
        24,
        yellow,
    )
    .await;
    let (_, screened) = screen_at(&app, "2024-04-03T09:00:00Z", &dismissed, vec![dismiss(0)]).await;

    let owed = |report: &str, kind: feedback::LetterKind, due: &str, overdue: bool| {
        (report.to_owned(), kind as i32, due.to_owned(), overdue)
    };
    let mut listed = letters_owed(&app, "2024-04-03T12:00:00Z", &screened).await;
    listed.sort();
    let mut expected = vec![
        owed(&public, Receipt, "2024-04-23", false),
        owed(&public, InvestigationOutcome, "2024-04-23", false),
        owed(&private, Receipt, "2024-04-23", false),
        owed(&dismissed, Receipt, "2024-04-23", false),
        owed(&dismissed, InvestigationOutcome, "2024-04-23", false),
    ];
    expected.sort();
    assert_eq!(listed, expected, "the anonymous reporter is owed nothing");

    // Unsent letters are overdue after three weeks.
    assert!(
        letters_owed(&app, "2024-04-24T08:00:00Z", &screened)
            .await
            .iter()
            .all(|letter| letter.3)
    );

    let secrets = [
        "Synthetic test report",
        "hungry",
        "Kari Testesen",
        "styrer",
        "Ola Nabo",
        "Neglect",
        "omsorgssvikt",
        "No grounds",
        "Synthetic conclusion",
    ];
    let assert_discreet = |text: &str| {
        for secret in secrets {
            assert!(
                !text.contains(secret),
                "letter discloses {secret:?}:\n{text}"
            );
        }
        // The reference is the report's UUID, whose hex groups can hold 11 digits in a row by
        // chance (about one run in a hundred); an identity number is never a UUID.
        let without_uuids: String = text
            .split_whitespace()
            .filter(|word| uuid::Uuid::parse_str(word).is_err())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            !without_uuids
                .chars()
                .collect::<Vec<_>>()
                .windows(11)
                .any(|w| w.iter().all(char::is_ascii_digit)),
            "letter holds an 11-digit number:\n{text}"
        );
    };
    let receipt = render(&app, &public, Receipt, "").await.unwrap();
    assert!(
        receipt.contains("mottok bekymringsmeldingen deres 02.04.2024"),
        "{receipt}"
    );
    assert!(
        receipt.contains("Barneverntjenesten i Stjørdal"),
        "{receipt}"
    );
    assert!(receipt.contains("barnevernsloven § 13-4"), "{receipt}");
    assert_discreet(&receipt);
    let outcome = render(&app, &dismissed, InvestigationOutcome, "")
        .await
        .unwrap();
    assert!(outcome.contains("har ikke åpnet undersøkelse"), "{outcome}");
    assert_discreet(&outcome);
    assert_discreet(&render(&app, &private, Receipt, "").await.unwrap());

    // Not owed: more than a receipt to a private reporter, anything to an anonymous one, an
    // outcome before screening.
    assert_code(
        render(&app, &private, InvestigationOutcome, "").await,
        Code::FailedPrecondition,
    );
    assert_code(
        render(&app, &anon, Receipt, "").await,
        Code::FailedPrecondition,
    );
    assert_code(
        render(&app, &public, InvestigationOutcome, "").await,
        Code::FailedPrecondition,
    );

    // A concluded investigation owes the public reporter one more letter, saying only that
    // the case is followed up.
    let (cases, _) = screen_at(
        &app,
        "2024-04-04T09:00:00Z",
        &public,
        vec![open_investigation(0)],
    )
    .await;
    let case = &cases[0];
    assert_code(
        render(&app, &public, Conclusion, case).await,
        Code::FailedPrecondition,
    );
    start_at(&app, "2024-04-05T09:00:00Z", case).await;
    let concluded = conclude_at(
        &app,
        "2024-04-20T09:00:00Z",
        case,
        investigation::ConclusionOutcome::MeasuresDecided,
    )
    .await;
    let listed = letters_owed(&app, "2024-04-20T12:00:00Z", &concluded).await;
    assert!(
        listed.contains(&owed(&public, Conclusion, "2024-05-11", false)),
        "{listed:?}"
    );
    let conclusion = render(&app, &public, Conclusion, case).await.unwrap();
    assert!(
        conclusion.contains("følger saken videre opp"),
        "{conclusion}"
    );
    assert!(
        conclusion.contains("barnet født 17.05.2019"),
        "{conclusion}"
    );
    assert!(!conclusion.contains("henlagt"), "{conclusion}");
    assert_discreet(&conclusion);

    // Sent letters leave the list.
    app.set_now(at("2024-04-21T09:00:00Z"));
    let sent = app
        .feedback()
        .mark_letters_sent(feedback::MarkLettersSentRequest {
            late_reason: String::new(),
            sent_at: None,
            command_id: command_id(),
            report_id: public.clone(),
            letters: vec![
                feedback::Letter {
                    kind: Receipt as i32,
                    case_id: String::new(),
                },
                feedback::Letter {
                    kind: InvestigationOutcome as i32,
                    case_id: String::new(),
                },
                feedback::Letter {
                    kind: Conclusion as i32,
                    case_id: case.clone(),
                },
            ],
        })
        .await
        .unwrap()
        .into_inner()
        .position
        .unwrap();
    let listed = letters_owed(&app, "2024-04-21T12:00:00Z", &sent).await;
    assert!(listed.iter().all(|letter| letter.0 != public), "{listed:?}");
    assert_eq!(listed.len(), 3, "{listed:?}");
}

async fn statistics(
    app: &TestApp,
    period: worklist::PeriodKind,
    number: u32,
    as_of: &str,
    position: &common::Position,
) -> Vec<[i64; 6]> {
    app.worklist()
        .get_statistics(worklist::GetStatisticsRequest {
            counting: 0,
            effective_view: false,
            year: 2024,
            period: period as i32,
            number,
            as_of: Some(ts(as_of)),
            min_position: Some(*position),
            municipalities: vec!["5035".into(), "5036".into()],
        })
        .await
        .expect("statistics")
        .into_inner()
        .rows
        .into_iter()
        .map(|r| {
            [
                r.reports_received,
                r.reports_dismissed,
                r.screening_breaches,
                r.investigations_concluded,
                r.investigations_dismissed,
                r.investigation_breaches,
            ]
        })
        .collect()
}

/// A quarter of activity in Stjørdal (5035) and Frosta (5036), in time order, then the table
/// worked out by hand from DOMAIN.md's definitions. Returns the last position.
async fn a_quarter_of_activity(app: &TestApp) -> common::Position {
    use investigation::ConclusionOutcome::{DismissedOnAssessment, MeasuresDecided};
    let received = |now: &'static str, municipality: &'static str, seed: u32| async move {
        let green = common::Urgency::Green;
        submit_at(app, now, municipality, public_reporter(), seed, green).await
    };
    let investigated = |now: &'static str, report: String| async move {
        let (cases, _) = screen_at(app, now, &report, vec![open_investigation(0)]).await;
        start_at(app, now, &cases[0]).await;
        cases[0].clone()
    };
    // R5: received in September, investigated, concluded in February past its deadline
    // (2023-09-08 + 3 months = 2023-12-08).
    let (r5, _) = received("2023-09-01T08:00:00Z", "5035", 41).await;
    let c5 = investigated("2023-09-05T08:00:00Z", r5).await;
    // R4: received before the quarter, screened late in it (last day 2024-01-04), dismissed.
    let (r4, _) = received("2023-12-28T08:00:00Z", "5035", 42).await;
    screen_at(app, "2024-01-08T08:00:00Z", &r4, vec![dismiss(0)]).await;
    // R1: screened in time, investigated, concluded as dismissed within the deadline.
    let (r1, _) = received("2024-01-10T08:00:00Z", "5035", 43).await;
    let c1 = investigated("2024-01-12T08:00:00Z", r1).await;
    // R2: screened late (last day 2024-01-22), dismissed.
    let (r2, _) = received("2024-01-15T08:00:00Z", "5035", 44).await;
    screen_at(app, "2024-01-25T08:00:00Z", &r2, vec![dismiss(0)]).await;
    // R6 in Frosta: screened next day, dismissed.
    let (r6, _) = received("2024-02-01T08:00:00Z", "5036", 45).await;
    conclude_at(app, "2024-02-01T10:00:00Z", &c5, MeasuresDecided).await;
    screen_at(app, "2024-02-02T08:00:00Z", &r6, vec![dismiss(0)]).await;
    conclude_at(app, "2024-03-01T08:00:00Z", &c1, DismissedOnAssessment).await;
    // R3: received at the quarter's end, its screening week runs into the next quarter.
    let (_, last) = received("2024-03-28T08:00:00Z", "5035", 46).await;
    last
}

#[tokio::test]
async fn statistics_for_a_quarter_match_the_hand_computed_table() {
    use worklist::PeriodKind::{HalfYear, Quarter};
    let app = TestApp::spawn().await;
    let last = a_quarter_of_activity(&app).await;
    // Columns: received, dismissed, screening breaches, investigations concluded, of these
    // dismissed, of these past the deadline. Rows: 5035, 5036.
    assert_eq!(
        statistics(&app, Quarter, 1, "2024-04-30T00:00:00Z", &last).await,
        [[3, 2, 2, 2, 1, 1], [1, 1, 0, 0, 0, 0]]
    );
    // R3 is still unscreened when its week runs out in the second quarter.
    assert_eq!(
        statistics(&app, Quarter, 2, "2024-04-30T00:00:00Z", &last).await,
        [[0, 0, 1, 0, 0, 0], [0, 0, 0, 0, 0, 0]]
    );
    assert_eq!(
        statistics(&app, HalfYear, 1, "2024-04-30T00:00:00Z", &last).await,
        [[3, 2, 3, 2, 1, 1], [1, 1, 0, 0, 0, 0]]
    );
    // As known on 20 January: R2's week had not run out, nothing was concluded yet, and
    // nothing had happened in Frosta.
    assert_eq!(
        statistics(&app, Quarter, 1, "2024-01-20T00:00:00Z", &last).await,
        [[2, 1, 1, 0, 0, 0], [0, 0, 0, 0, 0, 0]]
    );
    // A quarter that does not exist is a bad request naming the field.
    let status = assert_code(
        app.worklist()
            .get_statistics(worklist::GetStatisticsRequest {
                counting: 0,
                year: 2024,
                period: Quarter as i32,
                number: 5,
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
    );
    assert!(status.message().contains("number"), "{}", status.message());
}

/// The same quarter counted two ways, each worked out by hand: the control committee's table
/// (per report, by receipt) and the national one (per child, by screening; codes 3 and 4
/// apart; investigations late by received + 7 + 90 days).
#[tokio::test]
async fn a_quarter_counted_as_the_control_committee_and_as_statistics_norway_count() {
    use investigation::ConclusionOutcome::MeasuresDecided;
    let app = TestApp::spawn().await;
    let green = common::Urgency::Green;
    // A: received 1 November 2023, investigated; concluded 7 February 2024: within DOMAIN.md's
    // three months (from 8 November to 8 February) but past the registry's 7 + 90 days
    // (6 February).
    let (a, _) = submit_at(
        &app,
        "2023-11-01T08:00:00Z",
        "5035",
        public_reporter(),
        51,
        green,
    )
    .await;
    let (cases, _) = screen_at(
        &app,
        "2023-11-02T08:00:00Z",
        &a,
        vec![open_investigation(0)],
    )
    .await;
    start_at(&app, "2023-11-02T09:00:00Z", &cases[0]).await;
    conclude_at(&app, "2024-02-07T08:00:00Z", &cases[0], MeasuresDecided).await;
    // B: one report about two children, screened in time: one dismissed, one investigated.
    app.set_now(at("2024-01-10T08:00:00Z"));
    let mut two = report(vec![child(52), child(53)], public_reporter());
    two.municipality = "5035".into();
    let b = crate::submit(&app, two).await;
    let (cases, _) = screen_at(
        &app,
        "2024-01-11T08:00:00Z",
        &b,
        vec![dismiss(0), open_investigation(1)],
    )
    .await;
    let investigated = cases[1].clone();
    // D: a new report about the child under investigation (code 4).
    let (d, _) = submit_at(
        &app,
        "2024-02-01T08:00:00Z",
        "5035",
        public_reporter(),
        53,
        green,
    )
    .await;
    screen_at(
        &app,
        "2024-02-02T08:00:00Z",
        &d,
        vec![intake::ChildScreening {
            existing_case_id: investigated,
            outcome: Some(
                intake::child_screening::Outcome::ConcernsOngoingInvestigation(
                    intake::ConcernsOngoingInvestigation {},
                ),
            ),
            ..dismiss(0)
        }],
    )
    .await;
    // E: screened late (its week ran out on 8 March), dismissed.
    let (e, _) = submit_at(
        &app,
        "2024-03-01T08:00:00Z",
        "5035",
        public_reporter(),
        54,
        green,
    )
    .await;
    screen_at(&app, "2024-03-12T08:00:00Z", &e, vec![dismiss(0)]).await;
    // F: received, not yet screened at the quarter's end (its week runs into April).
    let (_, last) = submit_at(
        &app,
        "2024-03-28T08:00:00Z",
        "5035",
        public_reporter(),
        55,
        green,
    )
    .await;

    let count = |counting: worklist::Counting| {
        let app = &app;
        async move {
            let answer = app
                .worklist()
                .get_statistics(worklist::GetStatisticsRequest {
                    counting: counting as i32,
                    year: 2024,
                    period: worklist::PeriodKind::Quarter as i32,
                    number: 1,
                    as_of: Some(ts("2024-04-02T00:00:00Z")),
                    min_position: Some(last),
                    municipalities: vec!["5035".into()],
                    ..Default::default()
                })
                .await
                .expect("statistics")
                .into_inner();
            let r = &answer.rows[0];
            (
                answer.counting,
                [
                    r.reports_received,
                    r.reports_dismissed,
                    r.screening_breaches,
                    r.investigations_concluded,
                    r.investigations_dismissed,
                    r.investigation_breaches,
                    r.reports_measures_active,
                    r.reports_ongoing_investigation,
                ],
            )
        }
    };
    // Control committee: B, D, E and F received; E's every child dismissed; E screened late;
    // A concluded, in time by the calendar months; D under way.
    assert_eq!(
        count(worklist::Counting::Unspecified).await,
        (
            worklist::Counting::ControlCommittee as i32,
            [4, 1, 1, 1, 0, 0, 0, 1]
        )
    );
    // National: B's two children and E screened as dismissed or investigated (D's code 4
    // apart, F not screened); B's first child and E dismissed; E late; A late by the
    // registry's 7 + 90 days.
    assert_eq!(
        count(worklist::Counting::National).await,
        (
            worklist::Counting::National as i32,
            [3, 2, 1, 1, 0, 1, 0, 1]
        )
    );
}

/// Every row of every view table, as sorted JSON text without the generated row ids, and
/// each table's keys and indexes (a rebuild adds them after loading).
async fn view_rows(app: &TestApp) -> Vec<String> {
    let mut all = Vec::new();
    for table in [
        "case_timeline",
        "worklist_items",
        "caseload_items",
        "stat_reports",
        "stat_screenings",
        "stat_investigations",
        "stat_emergency_decisions",
        "stat_evaluations",
        "stat_letters",
        "stat_late_steps",
    ] {
        let rows: Vec<String> = sqlx::query_scalar(&format!(
            "select '{table} ' || (to_jsonb(t) - 'item_id')::text as line from {table} t order by line"
        ))
        .fetch_all(app.db.pool())
        .await
        .expect("view rows");
        all.extend(rows);
        let indexes: Vec<String> = sqlx::query_scalar(
            "select 'index ' || indexdef from pg_indexes \
             where schemaname = 'public' and tablename = $1 order by 1",
        )
        .bind(table)
        .fetch_all(app.db.pool())
        .await
        .expect("view indexes");
        assert!(!indexes.is_empty(), "{table} has no key");
        all.extend(indexes);
    }
    all
}

#[tokio::test]
async fn a_rebuild_gives_exactly_the_live_rows_and_the_live_runner_goes_on() {
    use projections::Projection as _;
    let app = TestApp::spawn().await;
    a_quarter_of_activity(&app).await;
    // Steps dated back split rows (kept as believed, and closed when taken): a rebuild in any
    // batch size must split them alike.
    let last = crate::dating::back_dated_history(&app).await;
    let position = eventstore::Position {
        transaction_id: last.transaction_id,
        global_position: last.global_position,
    };
    let rules = domain::rules::RuleBook::norwegian();
    for view in projections::views(&rules) {
        assert!(
            projections::wait_for(
                app.db.pool(),
                view.name(),
                position,
                std::time::Duration::from_secs(30)
            )
            .await
            .unwrap(),
            "{} never caught up",
            view.name()
        );
    }
    let live = view_rows(&app).await;
    assert!(live.len() > 40, "{}", live.len());
    assert!(
        live.iter()
            .any(|row| row.starts_with("worklist_items") && row.contains("\"known_until\": \"2024")),
        "a step dated back kept a row as it was believed"
    );
    // Reading every stream from the database for every event gives the same rows as the
    // runners' memory of the streams they have seen (and, from the log's start, of the
    // streams they have not: those are not read at all).
    for view in projections::views(&rules) {
        let forgetful = projections::Memory::with_capacity(app.store.clone(), 0);
        projections::rebuild_with(&app.store, &view, 1, forgetful, |_| {})
            .await
            .unwrap();
    }
    assert_eq!(view_rows(&app).await, live);
    for view in projections::views(&rules) {
        let mut reports = 0;
        projections::rebuild(&app.store, &view, 7, |_| reports += 1)
            .await
            .unwrap();
        assert!(reports > 1, "{} reported no progress", view.name());
    }
    assert_eq!(view_rows(&app).await, live);
    // All four at once from one read of the log, each swapped in at its own checkpoint.
    let rebuilt = projections::rebuild_all(&app.store, projections::views(&rules), 5, |_| {})
        .await
        .unwrap();
    let names: Vec<_> = rebuilt.iter().map(|(name, _, _)| *name).collect();
    assert_eq!(
        names,
        ["case_timeline", "worklist", "caseload", "statistics"]
    );
    let events = app.event_count().await;
    assert!(
        rebuilt
            .iter()
            .all(|(_, applied, _)| i64::try_from(*applied) == Ok(events)),
        "{events} events: {rebuilt:?}"
    );
    assert_eq!(view_rows(&app).await, live);

    // The live runners carry on in the swapped-in tables.
    let (report_id, after) = submit_at(
        &app,
        "2024-04-02T08:00:00Z",
        "5035",
        anonymous(),
        47,
        common::Urgency::Red,
    )
    .await;
    let listed = review(&app, "2024-04-02T09:00:00Z", false, "", &after).await;
    assert!(
        listed.contains(&row(
            "screening",
            &report_id,
            common::Urgency::Red,
            "2024-04-09",
            false
        )),
        "{listed:?}"
    );
}

#[tokio::test]
async fn emergency_approvals_and_petitions_are_listed_until_recorded() {
    use api::measures::v1 as measures;
    use common::Urgency::Red;
    let app = TestApp::spawn().await;
    let (report_id, _) =
        submit_at(&app, "2024-05-06T08:00:00Z", "5035", anonymous(), 51, Red).await;
    let mut screening = open_investigation(0);
    screening.emergency_action = true;
    screening.urgency = Red as i32;
    let (cases, _) = screen_at(&app, "2024-05-06T09:00:00Z", &report_id, vec![screening]).await;
    let case = &cases[0];
    app.set_now(at("2024-05-06T10:00:00Z"));
    let made = app
        .measures()
        .make_emergency_decision(measures::MakeEmergencyDecisionRequest {
            decided_at: None,
            habitually_resident_abroad: false,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case.clone(),
            kind: measures::EmergencyKind::Placement as i32,
            grounds: "Acute danger at home.".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .position
        .unwrap();
    // Approval within 48 hours, a petition and the investigation plan within 6 weeks, the
    // investigation from the end of the screening week (2024-05-13) + 3 months; items due the
    // same moment by kind.
    assert_eq!(
        review(&app, "2024-05-06T10:30:00Z", true, "", &made).await,
        [
            row("emergency_approval", case, Red, "2024-05-08", false),
            row(
                "emergency_investigation_plan",
                case,
                Red,
                "2024-06-17",
                false
            ),
            row(
                "emergency_petition_care_order",
                case,
                Red,
                "2024-06-17",
                false
            ),
            row("investigation", case, Red, "2024-08-13", false),
        ]
    );
    app.set_now(at("2024-05-07T10:00:00Z"));
    let approved = app
        .measures()
        .record_emergency_ruling(measures::RecordEmergencyRulingRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case.clone(),
            decision: 1,
            approved: true,
            refusal_reasons: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .position
        .unwrap();
    assert_eq!(
        review(&app, "2024-05-07T11:00:00Z", true, "", &approved).await,
        [
            row(
                "emergency_investigation_plan",
                case,
                Red,
                "2024-06-17",
                false
            ),
            row(
                "emergency_petition_care_order",
                case,
                Red,
                "2024-06-17",
                false
            ),
            row("investigation", case, Red, "2024-08-13", false),
        ]
    );
    // Unsent after its last day, the decision has lapsed: first in the list, as a lapse.
    assert_eq!(
        review(&app, "2024-06-18T08:00:00Z", false, "", &approved).await[0],
        row("emergency_decision_lapsed", case, Red, "2024-06-17", true)
    );
    app.set_now(at("2024-05-20T10:00:00Z"));
    let sent = app
        .measures()
        .send_emergency_petition(measures::SendEmergencyPetitionRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case.clone(),
            decision: 1,
        })
        .await
        .unwrap()
        .into_inner()
        .position
        .unwrap();
    assert_eq!(
        review(&app, "2024-06-18T08:00:00Z", true, "", &sent).await,
        [
            // The petition met its deadline; the plan it asked for was never made.
            row(
                "emergency_investigation_plan",
                case,
                Red,
                "2024-06-17",
                true
            ),
            row("investigation", case, Red, "2024-08-13", false)
        ]
    );
}
