//! The register: its numbers on their days, successors, and parsing.

use super::classification::RENUMBERED_2024;
use super::*;

#[test]
fn the_2024_registry_has_357_municipalities_including_those_domain_md_names() {
    let registry = MunicipalityRegistry::norway_2024();
    let day = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
    assert_eq!(registry.in_force_on(day("2024-01-01")).count(), 357);
    // 2020-2023: 356, Haram a part of Ålesund.
    assert_eq!(registry.in_force_on(day("2023-12-31")).count(), 356);
    assert_eq!(registry.in_force_on(day("2020-01-01")).count(), 356);
    for (number, name) in [
        ("5501", "Tromsø"),
        ("3201", "Bærum"),
        ("3405", "Lillehammer"),
        ("5036", "Frosta"),
        ("5034", "Meråker"),
        ("5032", "Selbu"),
        ("5035", "Stjørdal"),
        ("5033", "Tydal"),
    ] {
        let parsed = MunicipalityNumber::parse("municipality", number, &registry);
        let parsed = parsed.unwrap_or_else(|error| panic!("{number}: {error}"));
        assert_eq!(registry.name_of(parsed), Some(name));
    }
}

#[test]
fn unknown_or_malformed_numbers_name_the_field() {
    let registry = MunicipalityRegistry::norway_2024();
    for bad in ["1902", "123", "12345", "ab12", ""] {
        let error = MunicipalityNumber::parse("report.municipality", bad, &registry);
        assert!(
            matches!(&error, Err(DomainError::InvalidField { field, .. }) if field == "report.municipality"),
            "{bad}: {error:?}"
        );
    }
}

#[test]
fn a_configured_registry_replaces_the_shipped_one() {
    let registry = MunicipalityRegistry::from_entries([("1902", "Tromsø (before 2020)")]);
    let registry = registry.unwrap_or_else(|error| panic!("{error}"));
    assert!(MunicipalityNumber::parse("m", "1902", &registry).is_ok());
    assert!(MunicipalityNumber::parse("m", "5501", &registry).is_err());
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn number(text: &str) -> MunicipalityNumber {
    MunicipalityNumber::parse_format("m", text).unwrap()
}

#[test]
fn a_number_is_valid_on_its_days_and_names_its_successor_or_predecessor_else() {
    let registry = MunicipalityRegistry::norway_2024();
    // Drammen: 3005 until 2023-12-31, 3301 from 2024-01-01.
    assert!(MunicipalityNumber::parse_on("m", "3005", &registry, day("2023-12-31")).is_ok());
    assert!(MunicipalityNumber::parse_on("m", "3301", &registry, day("2024-01-01")).is_ok());
    let retired = MunicipalityNumber::parse_on("m", "3005", &registry, day("2024-01-01"));
    assert!(
        matches!(&retired, Err(DomainError::InvalidField { field, reason })
            if field == "m" && reason == "3005 was retired on 2024-01-01; from then it is 3301 (Drammen)"),
        "{retired:?}"
    );
    let early = MunicipalityNumber::parse_on("m", "3301", &registry, day("2023-12-31"));
    assert!(
        matches!(&early, Err(DomainError::InvalidField { reason, .. })
            if reason == "3301 is in force from 2024-01-01; on 2023-12-31 the number was 3005"),
        "{early:?}"
    );
    let haram = MunicipalityNumber::parse_on("m", "1580", &registry, day("2022-06-01"));
    assert!(
        matches!(&haram, Err(DomainError::InvalidField { reason, .. })
            if reason == "1580 is in force from 2024-01-01, after 2022-06-01"),
        "{haram:?}"
    );
    // Unchanged by the reform: valid throughout.
    for on in ["2020-01-01", "2023-12-31", "2026-12-04"] {
        assert!(MunicipalityNumber::parse_on("m", "5035", &registry, day(on)).is_ok());
    }
    assert_eq!(registry.name_of(number("3018")), Some("Våler (Viken)"));
}

#[test]
fn a_retired_number_counts_under_its_successor() {
    let registry = MunicipalityRegistry::norway_2024();
    assert_eq!(registry.current(number("5403")), number("5601"));
    assert_eq!(registry.current(number("1507")), number("1508"));
    assert_eq!(registry.current(number("5035")), number("5035"));
    assert_eq!(
        registry.numbers_of(number("3301")),
        [number("3301"), number("3005")]
    );
    assert_eq!(registry.numbers_of(number("5035")), [number("5035")]);
    // Every retired number has a successor in force now.
    for (old, _) in RENUMBERED_2024 {
        let now = registry.current(number(old));
        assert_ne!(now, number(old));
        assert!(registry.valid_on(now, day("2026-12-04")), "{old} -> {now}");
    }
}
