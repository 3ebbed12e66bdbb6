//! The official examples read into the right report; every schema rule, broken, is named.

use chrono::{TimeZone, Utc};
use domain::municipality::MunicipalityRegistry;
use domain::values::{ChildIdentity, PrivateReporterRelation, Reporter};
use fiks::samples::{PRIVATE_EXAMPLE, PUBLIC_EXAMPLE, broken};
use fiks::{PRIVATE_V2, PUBLIC_V2, Reply};
use uuid::Uuid;

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
}

fn parse(message_type: &str, body: &[u8]) -> Result<fiks::DigitalReport, fiks::Error> {
    fiks::parse(
        message_type,
        Uuid::nil(),
        body,
        &MunicipalityRegistry::norway_2024(),
        now(),
    )
}

#[test]
fn the_public_example_reads_into_a_report_with_its_children_reporter_and_municipality() {
    let report = parse(PUBLIC_V2, PUBLIC_EXAMPLE.as_bytes()).expect("the example is valid");
    // 1201 was Bergen's number until the 2020 reform; the report carries today's.
    assert_eq!(report.municipality.as_str(), "4601");
    // 2020-03-16T13:29:33 in Oslo (CET) is 12:29:33 UTC.
    assert_eq!(
        report.received_at,
        Utc.with_ymd_and_hms(2020, 3, 16, 12, 29, 33).unwrap()
    );
    match &report.reporter {
        Reporter::Public {
            organisation,
            role,
            name,
            identity_withheld_from_parties,
        } => {
            assert_eq!(organisation.as_str(), "Lærerskolen");
            assert_eq!(role.as_str(), "Lærer");
            assert_eq!(name.as_str(), "Navnesen Navn Mellomnavn");
            assert!(!identity_withheld_from_parties);
        }
        other => panic!("expected a public reporter, got {other:?}"),
    }
    let numbers: Vec<_> = report
        .children
        .iter()
        .map(|child| match child {
            ChildIdentity::Number(number) => number.expose_digits().to_owned(),
            other => panic!("expected numbers, got {other:?}"),
        })
        .collect();
    assert_eq!(numbers, ["28071364498", "16081688781"]);
    assert_eq!(
        report.summary.as_str(),
        "Her kommer selve innholdet i bekymringsmeldingen!"
    );
    let details = &report.details;
    let district = details.district.as_ref().expect("district");
    assert_eq!(
        (district.number.as_str(), district.name.as_str()),
        ("02", "Bergenhus")
    );
    assert_eq!(details.organisation_number.as_deref(), Some("123455789"));
    let contact = details.reporter_contact.as_ref().expect("contact");
    assert_eq!(contact.email.as_deref(), Some("lærer@skole.no"));
    assert_eq!(contact.phone.as_deref(), Some("99999999"));
    assert_eq!(details.children.len(), 2);
    assert_eq!(
        details.children[1].name.as_ref().map(|n| n.as_str()),
        Some("Bare Barnet")
    );
    assert_eq!(details.children[0].informed, Some(false));
    assert_eq!(
        details.children[0]
            .not_informed_because
            .as_ref()
            .map(|t| t.as_str()),
        Some("Synes det er vanskelig å snakke om dette.")
    );
    assert_eq!(details.guardians.len(), 1);
    assert_eq!(details.guardians[0].name.as_str(), "Foresatt Foresatt");
    assert!(details.guardians[0].informed);
    assert_eq!(details.guardians[0].not_informed_because, None);
    assert_eq!(
        details.interpreter.as_ref().map(|t| t.as_str()),
        Some("Nei, de snakker norsk.")
    );
    assert!(details.history.is_some() && details.other_views.is_some());
    let source = details.source.as_ref().expect("source");
    assert_eq!(source.municipality_number, "1201");
    assert_eq!(source.channel, "Fagsystem");
    assert!(details.unmapped.is_empty(), "{:?}", details.unmapped);
}

#[test]
fn the_private_example_reads_into_a_report_with_named_children() {
    let report = parse(PRIVATE_V2, PRIVATE_EXAMPLE.as_bytes()).expect("the example is valid");
    assert_eq!(report.municipality.as_str(), "4601");
    match &report.reporter {
        Reporter::PrivateNamed { name, relation, .. } => {
            assert_eq!(name.as_str(), "Navnesen Navn Mellomnavn");
            // "Nabo, fritekstfelt": a neighbour.
            assert_eq!(*relation, PrivateReporterRelation::OtherPrivatePerson);
        }
        other => panic!("expected a named private reporter, got {other:?}"),
    }
    let names: Vec<_> = report
        .children
        .iter()
        .map(|child| match child {
            ChildIdentity::Unidentified {
                name,
                unborn: false,
            } => name.as_str().to_owned(),
            other => panic!("expected unidentified children, got {other:?}"),
        })
        .collect();
    assert_eq!(names, ["Barn Barnesen", "Bare Barnet"]);
    assert_eq!(
        report.details.children[0].assumed_age.as_deref(),
        Some("10")
    );
    assert_eq!(
        report.details.children[0]
            .reporter_relation
            .as_ref()
            .map(|t| t.as_str()),
        Some("Nabo, fritekstfelt")
    );
}

#[test]
fn an_unborn_child_and_unknown_fields_are_kept() {
    let mut document: serde_json::Value = serde_json::from_str(PUBLIC_EXAMPLE).unwrap();
    document["offentligBarn"][1]["ufoedt"] = true.into();
    document["offentligBarn"][1]["fnr"] = "".into();
    document["offentligBarn"][0]["termindato"] = "2026-12-24".into();
    document["nyttFelt"] = serde_json::json!({"a": 1});
    let body = serde_json::to_vec(&document).unwrap();
    let report = parse(PUBLIC_V2, &body).expect("valid");
    assert!(matches!(
        &report.children[1],
        ChildIdentity::Unidentified { unborn: true, .. }
    ));
    assert_eq!(
        report.details.unmapped.get("offentligBarn[0].termindato"),
        Some(&serde_json::json!("2026-12-24"))
    );
    assert_eq!(
        report.details.unmapped.get("nyttFelt"),
        Some(&serde_json::json!({"a": 1}))
    );
}

#[test]
fn every_broken_rule_is_rejected_naming_its_path() {
    for case in broken() {
        let error = parse(case.message_type, &case.document()).expect_err(&format!(
            "{} {:?} must be rejected",
            case.pointer, case.value
        ));
        let paths: Vec<_> = error.violations().iter().map(|v| v.path.as_str()).collect();
        assert!(
            paths.contains(&case.path),
            "{} {:?}: expected {} among {paths:?}",
            case.pointer,
            case.value,
            case.path
        );
    }
}

#[test]
fn a_document_that_is_not_json_or_of_an_unknown_type_is_rejected() {
    let error = parse(PUBLIC_V2, b"{not json").unwrap_err();
    assert_eq!(error.violations()[0].path, "$");
    let error = parse("no.ks.fiks.annet.v1", PUBLIC_EXAMPLE.as_bytes()).unwrap_err();
    assert_eq!(error.violations()[0].path, "meldingstype");
}

#[test]
fn replies_carry_the_protocol_types() {
    assert_eq!(Reply::Received.message_type(), fiks::RECEIVED_V1);
    assert_eq!(Reply::Received.body(), None);
    let failed = Reply::Failed("kommunenummer must be 4 digits".into());
    assert_eq!(failed.message_type(), fiks::FAILED_V1);
    assert_eq!(
        failed.body().as_deref(),
        Some(r#"{"melding":"kommunenummer must be 4 digits"}"#)
    );
}

#[test]
fn the_same_document_gets_the_same_message_id() {
    let a = fiks::content_message_id(PUBLIC_EXAMPLE.as_bytes());
    assert_eq!(a, fiks::content_message_id(PUBLIC_EXAMPLE.as_bytes()));
    assert_ne!(a, fiks::content_message_id(PRIVATE_EXAMPLE.as_bytes()));
    assert_eq!(
        fiks::message_type_of(PUBLIC_EXAMPLE.as_bytes()),
        Some(PUBLIC_V2)
    );
    assert_eq!(
        fiks::message_type_of(PRIVATE_EXAMPLE.as_bytes()),
        Some(PRIVATE_V2)
    );
}
