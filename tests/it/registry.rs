//! Reporting to Barnevernsregisteret: a case through every lifecycle step Vern records exports
//! a document that validates against `Barnevern_v4.xsd` with the scenario's dates and codes;
//! an unchanged case is not sent again, a changed one names its previous export; and the
//! registry's own checks show in the worklist before anything is sent.

use std::path::Path;
use std::process::Command;

use api::common::v1 as common;
use api::intake::v1 as intake;
use api::investigation::v1 as investigation;
use api::measures::v1 as measures;
use api::worklist::v1 as worklist;
use tests::TestApp;

use crate::{at, child, command_id, public_reporter, report};

const SCHEMA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../crates/registry/spec/Barnevern_v4.xsd"
);

/// `xmllint --noout --schema Barnevern_v4.xsd FILE` passes.
pub(crate) fn assert_valid(file: &Path) {
    let output = Command::new(testkit::xmllint())
        .args(["--noout", "--schema", SCHEMA])
        .arg(file)
        .output()
        .expect("xmllint runs (Debian package libxml2-utils; .ci/run installs it)");
    assert!(
        output.status.success(),
        "{} does not validate:\n{}\n{}",
        file.display(),
        String::from_utf8_lossy(&output.stderr),
        std::fs::read_to_string(file).unwrap_or_default()
    );
}

pub(crate) fn assert_has(document: &str, expected: &str) {
    assert!(
        document.contains(expected),
        "expected {expected}\nin\n{document}"
    );
}

async fn submit_at(app: &TestApp, now: &str, request: intake::SubmitReportRequest) -> String {
    app.set_now(at(now));
    app.intake()
        .submit_report(request)
        .await
        .expect("submitted")
        .into_inner()
        .report_id
}

async fn screen_at(
    app: &TestApp,
    now: &str,
    report_id: &str,
    reporter_code: &str,
    child: intake::ChildScreening,
) -> String {
    app.set_now(at(now));
    app.intake()
        .screen_report(intake::ScreenReportRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            report_id: report_id.to_owned(),
            children: vec![child],
            reporter_code: reporter_code.to_owned(),
        })
        .await
        .expect("screened")
        .into_inner()
        .cases
        .remove(0)
        .case_id
}

fn investigate(case_content: &[&str]) -> intake::ChildScreening {
    intake::ChildScreening {
        case_content: case_content.iter().map(|code| (*code).to_owned()).collect(),
        ..crate::open_investigation(0)
    }
}

pub(crate) fn export(app: &TestApp, as_of: &str, out: &Path) -> vern::registry::Export {
    app.set_now(at(as_of));
    vern::registry::Export {
        municipality: "5035".into(),
        organisation_number: "938587418".into(),
        district: None,
        as_of: at(as_of),
        out: out.to_path_buf(),
    }
}

pub(crate) async fn run_export(
    app: &TestApp,
    export: &vern::registry::Export,
) -> vern::registry::Exported {
    let actor = eventstore::Actor {
        subject: "registry-test".into(),
        role: "operator".into(),
        municipality: Some("5035".into()),
    };
    vern::registry::export(&app.handler, &actor, export, |_, _| {})
        .await
        .expect("export runs")
}

pub(crate) fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("document written")
}

/// The case through every step Vern records: screening with codes, investigation extended and
/// concluded with grounds, a measure with its plan evaluated and ended, an emergency decision
/// approved and petitioned, the board's care order and the care plan.
async fn full_case(app: &TestApp) -> String {
    let report_id = submit_at(
        app,
        "2026-02-02T09:00:00Z",
        report(vec![child(31)], public_reporter()),
    )
    .await;
    let case_id = screen_at(
        app,
        "2026-02-04T10:00:00Z",
        &report_id,
        "9",
        investigate(&["1.3.01"]),
    )
    .await;
    app.set_now(at("2026-02-05T10:00:00Z"));
    crate::start_investigation(app, &case_id).await;
    app.set_now(at("2026-04-20T10:00:00Z"));
    app.investigation()
        .extend_deadline(investigation::ExtendDeadlineRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.clone(),
            to_months: 6,
            reason: "Waiting for the specialist assessment.".into(),
        })
        .await
        .expect("extended");
    app.set_now(at("2026-05-10T10:00:00Z"));
    app.investigation()
        .conclude_investigation(investigation::ConcludeInvestigationRequest {
            command_id: command_id(),
            case_id: case_id.clone(),
            outcome: investigation::ConclusionOutcome::MeasuresDecided as i32,
            reasons: "Parent training will help.".into(),
            grounds: vec!["1.3.01".into(), "2.1.01".into()],
            ..Default::default()
        })
        .await
        .expect("concluded");
    let measures = app.measures();
    app.set_now(at("2026-05-11T10:00:00Z"));
    measures
        .clone()
        .start_measure(measures::StartMeasureRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.clone(),
            measure: Some(measures::Measure {
                in_family_network: false,
                kind: measures::MeasureKind::Pmto as i32,
                description: String::new(),
            }),
            plan: Some(measures::Plan {
                goals: vec!["Calmer evenings at home.".into()],
                responsible: "Caseworker 7".into(),
                starts_on: "2026-05-11".into(),
                ends_on: "2026-11-11".into(),
                evaluate_on: "2026-08-01".into(),
            }),
        })
        .await
        .expect("measure started");
    app.set_now(at("2026-06-01T10:00:00Z"));
    measures
        .clone()
        .make_emergency_decision(measures::MakeEmergencyDecisionRequest {
            decided_at: None,
            habitually_resident_abroad: false,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.clone(),
            kind: measures::EmergencyKind::Placement as i32,
            grounds: "Acute danger at home.".into(),
        })
        .await
        .expect("emergency decision");
    app.set_now(at("2026-06-03T10:00:00Z"));
    measures
        .clone()
        .record_emergency_ruling(measures::RecordEmergencyRulingRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.clone(),
            decision: 1,
            approved: true,
            refusal_reasons: String::new(),
        })
        .await
        .expect("approved");
    app.set_now(at("2026-06-20T10:00:00Z"));
    measures
        .clone()
        .send_emergency_petition(measures::SendEmergencyPetitionRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.clone(),
            decision: 1,
        })
        .await
        .expect("petition sent");
    app.set_now(at("2026-08-01T10:00:00Z"));
    measures
        .clone()
        .evaluate_measure(measures::EvaluateMeasureRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.clone(),
            measure: 1,
            checklist: Some(measures::EvaluationChecklist {
                carried_out_as_planned: true,
                ..Default::default()
            }),
            assessment: "Going to plan.".into(),
        })
        .await
        .expect("evaluated");
    app.set_now(at("2026-07-01T10:00:00Z"));
    measures
        .clone()
        .propose_to_board(measures::ProposeToBoardRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.clone(),
            proposal: measures::BoardProposal::CareOrder as i32,
            grounds: "Lasting neglect; care order needed.".into(),
        })
        .await
        .expect("proposed to the board");
    app.set_now(at("2026-08-15T10:00:00Z"));
    measures
        .clone()
        .record_board_decision(measures::RecordBoardDecisionRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.clone(),
            granted: true,
            decided_on: "2026-08-14".into(),
        })
        .await
        .expect("board decided");
    app.set_now(at("2026-08-20T10:00:00Z"));
    measures
        .clone()
        .make_care_plan(measures::MakeCarePlanRequest {
            decided_at: None,
            late_reason: String::new(),
            in_family_network: true,
            command_id: command_id(),
            case_id: case_id.clone(),
            placement: measures::Placement::FosterHome as i32,
            placed_on: "2026-08-20".into(),
            plan: "Foster home; contact with parents twice a month.".into(),
        })
        .await
        .expect("care plan");
    app.set_now(at("2026-10-01T10:00:00Z"));
    measures
        .clone()
        .end_measure(measures::EndMeasureRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: case_id.clone(),
            measure: 1,
            reasons: "The child lives in foster care.".into(),
        })
        .await
        .expect("measure ended");
    case_id
}

#[tokio::test]
async fn every_lifecycle_step_exports_valid_xml_with_the_scenarios_dates_and_codes() {
    let app = TestApp::spawn().await;
    let full = full_case(&app).await;

    // A report dismissed at screening in 2026: code 10, and the case closes with it.
    let dismissed_report = submit_at(
        &app,
        "2026-03-02T09:00:00Z",
        report(vec![child(32)], public_reporter()),
    )
    .await;
    let dismissal = intake::ChildScreening {
        case_content: vec!["1.1.01".into()],
        ..crate::dismiss(0)
    };
    let dismissed = screen_at(
        &app,
        "2026-03-05T09:00:00Z",
        &dismissed_report,
        "11",
        dismissal,
    )
    .await;

    let dir = tempdir();
    let first = run_export(&app, &export(&app, "2026-10-02T12:00:00Z", &dir)).await;
    assert_eq!(first.written.len(), 2, "{first:?}");
    assert!(
        first.findings.is_empty(),
        "a complete case has no findings: {first:?}"
    );
    let path = dir.join(format!("{full}.xml"));
    assert_valid(&path);
    assert_valid(&dir.join(format!("{dismissed}.xml")));
    let document = read(&path);
    for expected in [
        "DatoUttrekk=\"2026-10-02T12:00:00Z\"",
        "<Avgiver Organisasjonsnummer=\"938587418\" Kommunenummer=\"5035\" Kommunenavn=\"Stjørdal\"/>",
        &format!("<Sak Id=\"{full}\" StartDato=\"2026-02-02\" Journalnummer=\"{full}\">"),
        "Fodseldato=\"2019-05-17\"",
        "StartDato=\"2026-02-02\">\n      <Melder Kode=\"9\"/>\n      <Saksinnhold Kode=\"1.3.01\"/>\n      <Konklusjon SluttDato=\"2026-02-04\" Kode=\"2\"/>",
        "<Vedtaksgrunnlag Kode=\"1.3.01\"/>\n      <Vedtaksgrunnlag Kode=\"2.1.01\"/>",
        "<UtvidetFrist StartDato=\"2026-04-20\" Innvilget=\"1\"/>",
        "<Konklusjon SluttDato=\"2026-05-10\" Kode=\"1\"/>",
        "StartDato=\"2026-05-11\" Plantype=\"1\">\n      <Evaluering UtfortDato=\"2026-08-01\"/>\n      <Konklusjon SluttDato=\"2026-10-01\"/>",
        "StartDato=\"2026-08-20\" Plantype=\"4\">",
        "<Lovhjemmel><Lov>BVL2021</Lov><Kapittel>3</Kapittel><Paragraf>1</Paragraf></Lovhjemmel>\n      <Kategori Kode=\"3.2\"/>\n      <Konklusjon SluttDato=\"2026-10-01\"/>",
        "<Lovhjemmel><Lov>BVL2021</Lov><Kapittel>5</Kapittel><Paragraf>1</Paragraf></Lovhjemmel>\n      <Kategori Kode=\"2.1\"/>",
        "StartDato=\"2026-06-01\">\n      <Lovhjemmel><Lov>BVL2021</Lov><Kapittel>4</Kapittel><Paragraf>2</Paragraf></Lovhjemmel>",
        // Approved by the board's chair, then the petition: "begjæring oversendt nemnd" (2)
        // only once it is sent.
        "EndretDato=\"2026-06-03\" Kode=\"1\"/>",
        "EndretDato=\"2026-06-20\" Kode=\"2\"/>",
        "EndretDato=\"2026-08-14\" Kode=\"1\"/>",
        "StartDato=\"2026-07-01\">\n      <Lovhjemmel><Lov>BVL2021</Lov><Kapittel>5</Kapittel><Paragraf>1</Paragraf></Lovhjemmel>\n    </OversendelseFylkesnemnd>",
        "<OversendelseFylkesnemnd Id=",
        "StartDato=\"2026-06-20\">\n      <Lovhjemmel><Lov>BVL2021</Lov><Kapittel>5</Kapittel><Paragraf>1</Paragraf></Lovhjemmel>\n    </OversendelseFylkesnemnd>",
        "FraType=\"Melding\"",
        "TilType=\"Undersokelse\"",
        "FraType=\"Undersokelse\"",
        "FraType=\"Vedtak\"",
        "TilType=\"Tiltak\"",
    ] {
        assert_has(&document, expected);
    }
    assert!(
        !document.contains("ForrigeId"),
        "a first export names no predecessor"
    );
    let closed = read(&dir.join(format!("{dismissed}.xml")));
    assert_has(&closed, "SluttDato=\"2026-03-05\"");
    assert_has(&closed, "Avsluttet=\"true\"");
    assert_has(&closed, "<Melder Kode=\"11\"/>");
    assert_has(
        &closed,
        "<Konklusjon SluttDato=\"2026-03-05\" Kode=\"10\"/>",
    );
    let first_id = attribute(&document, "Barnevern Id");

    // Nothing changed: nothing is sent again.
    let again = run_export(&app, &export(&app, "2026-10-03T12:00:00Z", &tempdir())).await;
    assert!(again.written.is_empty(), "{again:?}");
    assert_eq!(again.unchanged.len(), 2);

    // The case closes: its next document names the previous one.
    app.set_now(at("2026-10-05T10:00:00Z"));
    app.measures()
        .close_case(measures::CloseCaseRequest {
            decided_at: None,
            late_reason: String::new(),
            command_id: command_id(),
            case_id: full.clone(),
            reasons: "The child is settled in foster care; followed up as a care case.".into(),
        })
        .await
        .expect("closed");
    let later = tempdir();
    let second = run_export(&app, &export(&app, "2026-10-06T12:00:00Z", &later)).await;
    assert_eq!(second.written.len(), 1, "{second:?}");
    let path = later.join(format!("{full}.xml"));
    assert_valid(&path);
    let document = read(&path);
    assert_eq!(attribute(&document, "ForrigeId"), first_id);
    assert_ne!(attribute(&document, "Barnevern Id"), first_id);
    assert_has(&document, "SluttDato=\"2026-10-05\"");
}

#[tokio::test]
async fn the_registrys_checks_show_in_the_worklist_before_the_export() {
    let app = TestApp::spawn().await;
    // Public reporter, no reporter or case-content codes, screened ten days after receipt,
    // a child known only by name and birth date, an investigation left open.
    let mut request = report(
        vec![common::Child {
            identity: Some(common::child::Identity::NameAndBirthDate(
                common::NameAndBirthDate {
                    name: "Synthetic Child".into(),
                    birth_date: "2018-04-01".into(),
                },
            )),
        }],
        public_reporter(),
    );
    request.urgency = common::Urgency::Green as i32;
    let report_id = submit_at(&app, "2026-03-02T09:00:00Z", request).await;
    let case_id = screen_at(
        &app,
        "2026-03-12T09:00:00Z",
        &report_id,
        "",
        investigate(&[]),
    )
    .await;

    let findings = |as_of: &str| {
        let app = &app;
        let as_of = as_of.to_owned();
        async move {
            app.worklist()
                .list_registry_findings(worklist::ListRegistryFindingsRequest {
                    effective_view: false,
                    municipality: "5035".into(),
                    as_of: Some(prost_types::Timestamp {
                        seconds: at(&as_of).timestamp(),
                        nanos: 0,
                    }),
                    purpose: String::new(),
                })
                .await
                .expect("findings")
                .into_inner()
                .findings
        }
    };
    let early = findings("2026-05-01T12:00:00Z").await;
    let rules: Vec<_> = early
        .iter()
        .map(|f| (f.severity.as_str(), f.rule.as_str()))
        .collect();
    assert_eq!(
        rules,
        [
            ("ERROR", "Melding Kontroll 4"),
            ("ERROR", "Melding Kontroll 5"),
            ("ERROR", "Personalia Kontroll 11"),
            ("WARNING", "Melding Kontroll 3"),
        ]
    );
    assert!(early.iter().all(|f| f.case_id == case_id));
    // 2026-03-02 + 7 + 90 days is 2026-06-07: from the day after, the open investigation too.
    let on_the_day = findings("2026-06-07T12:00:00Z").await;
    assert_eq!(on_the_day.len(), 4);
    let late = findings("2026-06-08T12:00:00Z").await;
    let open = late
        .iter()
        .find(|f| f.rule == "Undersøkelse Kontroll 11")
        .expect("the open investigation is found");
    assert_eq!(open.severity, "WARNING");
    assert!(open.message.contains("2026-06-07"), "{}", open.message);
    for finding in &late {
        assert!(
            !finding.message.contains("Synthetic Child"),
            "no names in findings"
        );
    }

    // The export writes the case anyway (the registry grades these itself) and reports the
    // same findings.
    let dir = tempdir();
    let exported = run_export(&app, &export(&app, "2026-06-08T12:00:00Z", &dir)).await;
    assert_eq!(exported.findings.len(), late.len());
    assert_valid(&dir.join(format!("{case_id}.xml")));
}

fn attribute(document: &str, name: &str) -> String {
    let start = document
        .find(&format!("{name}=\""))
        .unwrap_or_else(|| panic!("no {name} in\n{document}"))
        + name.len()
        + 2;
    document[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

pub(crate) fn tempdir() -> TempDir {
    let dir = std::env::temp_dir().join(format!("vern-registry-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    TempDir(dir)
}

/// A directory of the test's own, removed when dropped: after a failed assertion too.
pub(crate) struct TempDir(std::path::PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn registry_codes_out_of_their_period_or_for_the_wrong_reporter_are_refused() {
    let app = TestApp::spawn().await;
    let report_id = submit_at(
        &app,
        "2026-02-02T09:00:00Z",
        report(vec![child(33)], public_reporter()),
    )
    .await;
    app.set_now(at("2026-02-03T09:00:00Z"));
    let before = app.event_count().await;
    let cases: [(&str, Vec<&str>, &str, &str); 3] = [
        ("23", vec!["1.3.01"], "reporter_code", "not a registry code"),
        (
            "9",
            vec!["7"],
            "children[0].case_content[0]",
            "until 2025-12-31",
        ),
        (
            "9",
            vec!["1.3.01", "1.3.01"],
            "children[0].case_content[1]",
            "twice",
        ),
    ];
    for (reporter_code, content, field, reason) in cases {
        let status = app
            .intake()
            .screen_report(intake::ScreenReportRequest {
                decided_at: None,
                late_reason: String::new(),
                command_id: command_id(),
                report_id: report_id.clone(),
                children: vec![investigate(&content)],
                reporter_code: reporter_code.to_owned(),
            })
            .await
            .expect_err("refused");
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert!(
            status.message().contains(field) && status.message().contains(reason),
            "{field}: {}",
            status.message()
        );
    }
    assert_eq!(app.event_count().await, before, "nothing written");
}
