//! An emergency decision without a petition in time lapses (old act § 4-6 fifth paragraph;
//! new act §§ 4-2, 4-4): over gRPC, the worklist shows the lapse from its moment as its first
//! item, with the paragraph; the case records it with the next command or Vern's own check,
//! at the moment it happened; a late petition is refused; the timeline and the registry export
//! show it.

use api::common::v1 as common;
use api::measures::v1 as measures;
use api::worklist::v1 as worklist;
use tests::TestApp;
use tonic::Code;

use crate::registry::{assert_has, assert_valid, export, read, run_export, tempdir};
use crate::{at, child, command_id, public_reporter, report, screen, submit, ts};

/// A report about child `seed` received 2024-03-04, screened into an investigation with
/// emergency action the next day, and an emergency decision of `kind` made at 2024-03-05
/// 10:00 (Oslo): the case id.
pub(crate) async fn emergency_case(
    app: &TestApp,
    seed: u32,
    kind: measures::EmergencyKind,
) -> String {
    app.set_now(at("2024-03-04T09:00:00Z"));
    let report_id = submit(app, report(vec![child(seed)], public_reporter())).await;
    app.set_now(at("2024-03-05T08:00:00Z"));
    let mut screening = crate::open_investigation(0);
    screening.emergency_action = true;
    let case_id = screen(app, &report_id, vec![screening]).await.remove(0);
    app.set_now(at("2024-03-05T09:00:00Z"));
    app.measures()
        .make_emergency_decision(measures::MakeEmergencyDecisionRequest {
            command_id: command_id(),
            case_id: case_id.clone(),
            kind: kind as i32,
            grounds: "Acute danger at home.".into(),
            ..Default::default()
        })
        .await
        .expect("emergency decision made");
    case_id
}

/// The board approves emergency decision `decision`: the write's position.
pub(crate) async fn approve(
    app: &TestApp,
    case_id: &str,
    decision: u32,
) -> Option<common::Position> {
    app.measures()
        .record_emergency_ruling(measures::RecordEmergencyRulingRequest {
            command_id: command_id(),
            case_id: case_id.to_owned(),
            decision,
            approved: true,
            ..Default::default()
        })
        .await
        .expect("approved")
        .into_inner()
        .position
}

/// The case's emergency items on the worklist at `as_of`, in the list's order: (kind,
/// breached, legal reference). The plan an emergency decision asks for is `plans.rs`'s.
async fn items_at(
    app: &TestApp,
    case_id: &str,
    as_of: &str,
    min_position: Option<common::Position>,
) -> Vec<(String, bool, String)> {
    crate::review_items(app, as_of, min_position)
        .await
        .into_iter()
        .filter(|item| {
            item.case_id == case_id
                && item.kind.starts_with("emergency_")
                && item.kind != "emergency_investigation_plan"
        })
        .map(|item| (item.kind, item.breached, item.legal_reference))
        .collect()
}

async fn timeline(
    app: &TestApp,
    case_id: &str,
    min_position: Option<common::Position>,
) -> Vec<worklist::TimelineEntry> {
    app.worklist()
        .get_case_timeline(worklist::GetCaseTimelineRequest {
            case_id: case_id.to_owned(),
            min_position,
            ..Default::default()
        })
        .await
        .expect("timeline")
        .into_inner()
        .entries
}

async fn petition(
    app: &TestApp,
    case_id: &str,
    decision: u32,
) -> Result<common::WriteResult, tonic::Status> {
    app.measures()
        .send_emergency_petition(measures::SendEmergencyPetitionRequest {
            command_id: command_id(),
            case_id: case_id.to_owned(),
            decision,
            ..Default::default()
        })
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn an_emergency_decision_without_a_petition_lapses_at_its_time_and_shows_everywhere() {
    let app = TestApp::spawn().await;
    let case_id = emergency_case(&app, 61, measures::EmergencyKind::Placement).await;
    let approved = approve(&app, &case_id, 1).await;

    // Six weeks from 5 March: the last day is 16 April, lapsed from midnight (Oslo, summer
    // time: 22:00 UTC).
    let paragraph = "barnevernsloven 2021 § 4-2".to_owned();
    assert_eq!(
        items_at(&app, &case_id, "2024-04-16T21:59:59Z", approved).await,
        [(
            "emergency_petition_care_order".to_owned(),
            false,
            paragraph.clone()
        )],
        "the decision holds on its last day"
    );
    let lapsed = items_at(&app, &case_id, "2024-04-16T22:00:00Z", None).await;
    assert_eq!(
        lapsed[0],
        ("emergency_decision_lapsed".to_owned(), true, paragraph),
        "lapsed at once, before the case records it: {lapsed:?}"
    );

    // Vern's own check records it, at the moment it happened, once.
    app.set_now(at("2024-04-17T08:00:00Z"));
    let written = vern::lapses::check_once(&app.handler).await.expect("check");
    assert_eq!(written.len(), 1, "{written:?}");
    let position = written[0].position;
    let entries = timeline(&app, &case_id, position).await;
    let lapse = entries
        .iter()
        .find(|entry| entry.event_type == "EmergencyDecisionLapsed")
        .expect("the lapse is on the timeline");
    assert_eq!(lapse.occurred_at, Some(ts("2024-04-16T22:00:00Z")));
    assert_eq!(lapse.recorded_at, Some(ts("2024-04-17T08:00:00Z")));
    assert_eq!(lapse.actor_subject, vern::lapses::SUBJECT);
    let recorded = items_at(&app, &case_id, "2024-04-17T08:00:00Z", position).await;
    assert_eq!(
        recorded,
        [(
            "emergency_decision_lapsed".to_owned(),
            true,
            "barnevernsloven 2021 § 4-2 (emergency placement), § 4-4 (institution)".to_owned()
        )]
    );
    // Once the worklist has seen it, the check has nothing to do; the lapse is recorded once.
    assert!(
        vern::lapses::check_once(&app.handler)
            .await
            .expect("check")
            .is_empty()
    );
    assert_eq!(
        timeline(&app, &case_id, position)
            .await
            .iter()
            .filter(|entry| entry.event_type == "EmergencyDecisionLapsed")
            .count(),
        1
    );

    // A petition now is refused: the decision is gone.
    let refused = petition(&app, &case_id, 1).await.expect_err("too late");
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");

    // The registry export: status 1 (approved), then 3 (lapsed), ending the decision.
    let dir = tempdir();
    let exported = run_export(&app, &export(&app, "2024-04-18T12:00:00Z", &dir)).await;
    let path = dir.join(format!("{case_id}.xml"));
    assert!(
        exported.written.iter().any(|(_, written)| *written == path),
        "{exported:?}"
    );
    assert_valid(&path);
    let document = read(&path);
    assert_has(&document, "EndretDato=\"2024-03-05\" Kode=\"1\"/>");
    assert_has(&document, "EndretDato=\"2024-04-17\" Kode=\"3\"/>");
    assert!(
        !document.contains("Kode=\"2\"/>\n      <Status"),
        "no petition: {document}"
    );
    assert_eq!(
        lapse_findings(&app, &case_id, "2024-04-18T12:00:00Z").await,
        1
    );
    assert_eq!(
        lapse_findings(&app, &case_id, "2024-04-16T12:00:00Z").await,
        0
    );
}

/// The registry's findings for the case that name a lapsed decision, as known at `as_of`.
async fn lapse_findings(app: &TestApp, case_id: &str, as_of: &str) -> usize {
    app.worklist()
        .list_registry_findings(worklist::ListRegistryFindingsRequest {
            municipality: "5035".into(),
            as_of: Some(ts(as_of)),
            ..Default::default()
        })
        .await
        .expect("findings")
        .into_inner()
        .findings
        .iter()
        .filter(|finding| finding.case_id == case_id && finding.rule == "Vedtak Status 3")
        .count()
}

#[tokio::test]
async fn the_next_command_records_the_lapse_first_and_a_new_decision_ends_it() {
    let app = TestApp::spawn().await;
    // Two weeks for a behaviour institution (new act § 4-4): lapsed from 20 March 00:00 Oslo.
    let case_id = emergency_case(&app, 62, measures::EmergencyKind::BehaviourInstitution).await;
    app.set_now(at("2024-03-20T09:00:00Z"));
    let made = app
        .measures()
        .make_emergency_decision(measures::MakeEmergencyDecisionRequest {
            command_id: command_id(),
            case_id: case_id.clone(),
            kind: measures::EmergencyKind::Placement as i32,
            grounds: "Still in acute danger.".into(),
            ..Default::default()
        })
        .await
        .expect("a new decision")
        .into_inner()
        .position;
    let entries = timeline(&app, &case_id, made).await;
    let types: Vec<_> = entries
        .iter()
        .rev()
        .take(2)
        .map(|entry| (entry.event_type.as_str(), entry.occurred_at))
        .collect();
    assert_eq!(
        types,
        [
            ("EmergencyDecisionMade", Some(ts("2024-03-20T09:00:00Z"))),
            ("EmergencyDecisionLapsed", Some(ts("2024-03-19T23:00:00Z"))),
        ]
    );
    // The new decision gives the placement a basis: its own deadlines, no lapse item.
    let kinds: Vec<_> = items_at(&app, &case_id, "2024-03-20T09:00:00Z", None)
        .await
        .into_iter()
        .map(|(kind, ..)| kind)
        .collect();
    assert!(
        !kinds.contains(&"emergency_decision_lapsed".to_owned()),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&"emergency_petition_care_order".to_owned()),
        "{kinds:?}"
    );
    // A petition for the new decision is in time; the check finds nothing.
    let sent = petition(&app, &case_id, 2)
        .await
        .expect("petition in time")
        .position;
    items_at(&app, &case_id, "2024-03-20T09:00:00Z", sent).await;
    assert!(
        vern::lapses::check_once(&app.handler)
            .await
            .expect("check")
            .is_empty()
    );
}

#[tokio::test]
async fn a_child_resident_abroad_has_six_months_and_only_a_placement_may_say_so() {
    let app = TestApp::spawn().await;
    let case_id = emergency_case(&app, 63, measures::EmergencyKind::Placement).await;
    let abroad = |kind: measures::EmergencyKind| measures::MakeEmergencyDecisionRequest {
        command_id: command_id(),
        case_id: case_id.clone(),
        kind: kind as i32,
        grounds: "Acute danger; the family lives abroad.".into(),
        habitually_resident_abroad: true,
        ..Default::default()
    };
    let refused = app
        .measures()
        .make_emergency_decision(abroad(measures::EmergencyKind::BehaviourInstitution))
        .await
        .expect_err("only a placement");
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    assert!(
        refused.message().contains("habitually_resident_abroad"),
        "{refused:?}"
    );
    let made = app
        .measures()
        .make_emergency_decision(abroad(measures::EmergencyKind::Placement))
        .await
        .expect("made")
        .into_inner()
        .position;
    // Decision 2, made 5 March: six months, to 5 September.
    let items = crate::review_items(&app, "2024-05-01T12:00:00Z", made).await;
    let abroad_item = items
        .iter()
        .find(|item| item.case_id == case_id && item.kind == "emergency_petition_abroad")
        .expect("the abroad petition runs");
    assert_eq!(abroad_item.due_on, "2024-09-05");
    assert!(!abroad_item.breached);
}

/// A report about child `seed` received at `received`, screened into an investigation then,
/// and a care order proposed to the board at `proposed`: the case id and the proposal's
/// position.
pub(crate) async fn proposed_for_care_order(
    app: &TestApp,
    seed: u32,
    received: &str,
    proposed: &str,
) -> (String, Option<common::Position>) {
    app.set_now(at(received));
    let report_id = submit(app, report(vec![child(seed)], public_reporter())).await;
    let case_id = screen(app, &report_id, vec![crate::open_investigation(0)])
        .await
        .remove(0);
    app.set_now(at(proposed));
    let position = app
        .measures()
        .propose_to_board(measures::ProposeToBoardRequest {
            command_id: command_id(),
            case_id: case_id.clone(),
            proposal: measures::BoardProposal::CareOrder as i32,
            grounds: "Lasting neglect; care order needed.".into(),
            ..Default::default()
        })
        .await
        .expect("proposed")
        .into_inner()
        .position;
    (case_id, position)
}

/// A report about child `seed` received 2024-03-04, investigated, proposed to the board and a
/// care order granted on 20 March 2024: the case id and the decision's position.
pub(crate) async fn care_order_granted(
    app: &TestApp,
    seed: u32,
) -> (String, Option<common::Position>) {
    let (case_id, _) =
        proposed_for_care_order(app, seed, "2024-03-04T09:00:00Z", "2024-03-06T08:00:00Z").await;
    app.set_now(at("2024-03-20T10:00:00Z"));
    let decided = app
        .measures()
        .record_board_decision(measures::RecordBoardDecisionRequest {
            command_id: command_id(),
            case_id: case_id.clone(),
            granted: true,
            decided_on: "2024-03-20".into(),
            ..Default::default()
        })
        .await
        .expect("granted")
        .into_inner()
        .position;
    (case_id, decided)
}

/// A care order not carried out within six weeks of the board's decision lapses (old act
/// § 4-13; new act § 5-3): shown at its moment, recorded by Vern's check, status 3 in the
/// registry export; carrying it out afterwards is refused.
#[tokio::test]
async fn a_care_order_not_carried_out_in_time_lapses() {
    let app = TestApp::spawn().await;
    let (case_id, decided) = care_order_granted(&app, 64).await;

    let care_order_items = |as_of: &'static str, position: Option<common::Position>| {
        let app = &app;
        let case_id = case_id.clone();
        async move {
            crate::review_items(app, as_of, position)
                .await
                .into_iter()
                .filter(|item| item.case_id == case_id && item.kind.starts_with("care_order"))
                .map(|item| (item.kind, item.due_on, item.breached, item.legal_reference))
                .collect::<Vec<_>>()
        }
    };
    // Six weeks from 20 March: the last day is 1 May.
    let paragraph = "barnevernsloven 2021 § 5-3".to_owned();
    assert_eq!(
        care_order_items("2024-05-01T21:59:59Z", decided).await,
        [(
            "care_order_implementation".to_owned(),
            "2024-05-01".to_owned(),
            false,
            paragraph.clone()
        )]
    );
    assert_eq!(
        care_order_items("2024-05-01T22:00:00Z", None).await,
        [(
            "care_order_lapsed".to_owned(),
            "2024-05-01".to_owned(),
            true,
            paragraph.clone()
        )]
    );

    app.set_now(at("2024-05-02T08:00:00Z"));
    let written = vern::lapses::check_once(&app.handler).await.expect("check");
    assert_eq!(written.len(), 1, "{written:?}");
    let entries = timeline(&app, &case_id, written[0].position).await;
    let lapse = entries
        .iter()
        .find(|entry| entry.event_type == "CareOrderLapsed")
        .expect("the lapse is on the timeline");
    assert_eq!(lapse.occurred_at, Some(ts("2024-05-01T22:00:00Z")));
    let refused = app
        .measures()
        .record_care_order_carried_out(measures::RecordCareOrderCarriedOutRequest {
            command_id: command_id(),
            case_id: case_id.clone(),
            carried_out_on: "2024-05-02".into(),
            ..Default::default()
        })
        .await
        .expect_err("too late");
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert!(refused.message().contains("lapsed"), "{refused:?}");

    let dir = tempdir();
    run_export(&app, &export(&app, "2024-05-03T12:00:00Z", &dir)).await;
    let path = dir.join(format!("{case_id}.xml"));
    assert_valid(&path);
    let document = read(&path);
    assert_has(&document, "EndretDato=\"2024-03-20\" Kode=\"1\"/>");
    assert_has(&document, "EndretDato=\"2024-05-02\" Kode=\"3\"/>");
    assert_eq!(
        lapse_findings(&app, &case_id, "2024-05-03T12:00:00Z").await,
        1
    );
}

/// The board's chair gives more time before it runs out: the order holds to the new day.
#[tokio::test]
async fn the_board_chair_may_give_a_care_order_more_time() {
    let app = TestApp::spawn().await;
    let (case_id, _) = care_order_granted(&app, 65).await;
    app.set_now(at("2024-04-25T10:00:00Z"));
    let extend = |extended_to: &str| measures::ExtendCareOrderImplementationRequest {
        command_id: command_id(),
        case_id: case_id.clone(),
        extended_to: extended_to.into(),
        reason: "The child is in hospital.".into(),
        ..Default::default()
    };
    let refused = app
        .measures()
        .extend_care_order_implementation(extend("2024-04-30"))
        .await
        .expect_err("not more time");
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    assert!(refused.message().contains("extended_to"), "{refused:?}");
    let extended = app
        .measures()
        .extend_care_order_implementation(extend("2024-06-14"))
        .await
        .expect("extended")
        .into_inner()
        .position;
    let items = crate::review_items(&app, "2024-05-10T12:00:00Z", extended).await;
    let item = items
        .iter()
        .find(|item| item.case_id == case_id && item.kind == "care_order_implementation")
        .expect("still running");
    assert_eq!((item.due_on.as_str(), item.breached), ("2024-06-14", false));
    app.set_now(at("2024-06-01T10:00:00Z"));
    app.measures()
        .record_care_order_carried_out(measures::RecordCareOrderCarriedOutRequest {
            command_id: command_id(),
            case_id: case_id.clone(),
            carried_out_on: "2024-06-01".into(),
            ..Default::default()
        })
        .await
        .expect("carried out in the time given");
}
