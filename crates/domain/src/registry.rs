//! The national child welfare registry's codes that Vern records as the caseworker decides
//! them: who reported (Melder), what the case is about (Saksinnhold, also used as the grounds
//! of a decision, Vedtaksgrunnlag). Kept as data with their validity, because the registry
//! changes them by date (the "Kunnskapsmodellen" case-content codes replace the old ones on
//! 2026-01-01) and a code is valid or not on the day it is decided.
//!
//! Source: `specs/barnevernsregisteret/Kodelister.md` and the enumerations of
//! `Barnevern_v4.xsd` (statisticsnorway/barn-barnevern-xsd, 2025-12).

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::DomainError;

/// One code of a list and the days it may be used on.
struct Entry {
    code: &'static str,
    from: (i32, u32, u32),
    to: Option<(i32, u32, u32)>,
}

const fn entry(code: &'static str, from: (i32, u32, u32), to: Option<(i32, u32, u32)>) -> Entry {
    Entry { code, from, to }
}

const OPEN: Option<(i32, u32, u32)> = None;
const END_2020: Option<(i32, u32, u32)> = Some((2020, 12, 31));
const END_2024: Option<(i32, u32, u32)> = Some((2024, 12, 31));
const END_2025: Option<(i32, u32, u32)> = Some((2025, 12, 31));

/// Melder: codes of public reporters (1–4 and 23 follow from a private reporter's relation and
/// anonymity, so they are not chosen).
const PUBLIC_REPORTER_CODES: &[Entry] = &[
    entry("5", (2013, 1, 1), OPEN),      // Barneverntjenesten
    entry("6", (2013, 1, 1), OPEN),      // NAV (kommune og stat)
    entry("7", (2013, 1, 1), OPEN),      // Barnevernsvakt
    entry("8", (2013, 1, 1), OPEN),      // Politi
    entry("9", (2013, 1, 1), OPEN),      // Barnehage
    entry("10", (2013, 1, 1), OPEN),     // Helsestasjon/skolehelsetjenesten
    entry("11", (2013, 1, 1), OPEN),     // Skole
    entry("12", (2013, 1, 1), OPEN),     // PPT
    entry("13", (2013, 1, 1), OPEN),     // Psykisk helsevern for barn og unge
    entry("14", (2013, 1, 1), OPEN),     // Psykisk helsevern for voksne
    entry("15", (2013, 1, 1), END_2024), // Lege / Sykehus / Tannlege (split into 24 and 25)
    entry("24", (2025, 1, 1), OPEN),     // Lege / Sykehus
    entry("25", (2025, 1, 1), OPEN),     // Tannlege
    entry("16", (2013, 1, 1), OPEN),     // Familievernkontor
    entry("17", (2013, 1, 1), OPEN),     // Rusomsorg (kommune og stat)
    entry("18", (2013, 1, 1), OPEN),     // Krisesenter
    entry("19", (2013, 1, 1), OPEN),     // Asylmottak/ UDI/ innvandringsmyndighet
    entry("20", (2013, 1, 1), OPEN),     // Utekontakt/ fritidsklubb
    entry("21", (2013, 1, 1), OPEN),     // Frivillige organisasjoner/ idrettslag
    entry("22", (2013, 1, 1), OPEN),     // Andre offentlige instanser (krever presisering)
];

/// Saksinnhold (and Vedtaksgrunnlag, Tiltaksgrunnlag): the old list until 2025, the
/// Kunnskapsmodellen codes from 2026.
const CASE_CONTENT_CODES: &[Entry] = &[
    entry("1", (2013, 1, 1), END_2025),
    entry("2", (2013, 1, 1), END_2025),
    entry("3", (2013, 1, 1), END_2025),
    entry("4", (2013, 1, 1), END_2020),
    entry("20", (2021, 1, 1), END_2025),
    entry("21", (2021, 1, 1), END_2025),
    entry("22", (2021, 1, 1), END_2025),
    entry("23", (2021, 1, 1), END_2025),
    entry("24", (2021, 1, 1), END_2025),
    entry("28", (2022, 1, 1), END_2025),
    entry("29", (2023, 1, 1), END_2025),
    entry("31", (2023, 1, 1), END_2025),
    entry("5", (2013, 1, 1), END_2025),
    entry("6", (2013, 1, 1), END_2025),
    entry("7", (2013, 1, 1), END_2025),
    entry("8", (2013, 1, 1), END_2025),
    entry("9", (2013, 1, 1), END_2025),
    entry("10", (2013, 1, 1), END_2025),
    entry("11", (2013, 1, 1), END_2025),
    entry("12", (2013, 1, 1), END_2025),
    entry("13", (2013, 1, 1), END_2020),
    entry("14", (2013, 1, 1), END_2025),
    entry("15", (2013, 1, 1), END_2025),
    entry("16", (2013, 1, 1), END_2020),
    entry("17", (2013, 1, 1), END_2025),
    entry("25", (2021, 1, 1), END_2025),
    entry("26", (2021, 1, 1), END_2025),
    entry("27", (2021, 1, 1), END_2025),
    entry("30", (2023, 1, 1), END_2025),
    entry("32", (2025, 1, 1), END_2025),
    entry("33", (2025, 1, 1), END_2025),
    entry("34", (2025, 1, 1), END_2025),
    entry("35", (2025, 1, 1), END_2025),
    entry("36", (2025, 1, 1), END_2025),
    entry("18", (2013, 1, 1), END_2025),
    entry("19", (2013, 1, 1), END_2025),
    entry("1.1.01", (2026, 1, 1), OPEN),
    entry("1.1.02", (2026, 1, 1), OPEN),
    entry("1.1.03", (2026, 1, 1), OPEN),
    entry("1.1.04", (2026, 1, 1), OPEN),
    entry("1.2.01", (2026, 1, 1), OPEN),
    entry("1.2.02", (2026, 1, 1), OPEN),
    entry("1.2.03", (2026, 1, 1), OPEN),
    entry("1.3.01", (2026, 1, 1), OPEN),
    entry("1.3.02", (2026, 1, 1), OPEN),
    entry("1.3.03", (2026, 1, 1), OPEN),
    entry("1.3.04", (2026, 1, 1), OPEN),
    entry("1.3.05", (2026, 1, 1), OPEN),
    entry("1.3.06", (2026, 1, 1), OPEN),
    entry("1.3.07", (2026, 1, 1), OPEN),
    entry("1.3.08", (2026, 1, 1), OPEN),
    entry("1.3.09", (2026, 1, 1), OPEN),
    entry("1.3.10", (2026, 1, 1), OPEN),
    entry("1.3.11", (2026, 1, 1), OPEN),
    entry("1.4.01", (2026, 1, 1), OPEN),
    entry("1.4.02", (2026, 1, 1), OPEN),
    entry("1.4.03", (2026, 1, 1), OPEN),
    entry("1.4.04", (2026, 1, 1), OPEN),
    entry("2.1.01", (2026, 1, 1), OPEN),
    entry("2.1.02", (2026, 1, 1), OPEN),
    entry("2.1.03", (2026, 1, 1), OPEN),
    entry("2.2.01", (2026, 1, 1), OPEN),
    entry("2.2.02", (2026, 1, 1), OPEN),
    entry("2.2.03", (2026, 1, 1), OPEN),
    entry("2.3.01", (2026, 1, 1), OPEN),
    entry("2.3.02", (2026, 1, 1), OPEN),
    entry("2.4.01", (2026, 1, 1), OPEN),
    entry("2.4.02", (2026, 1, 1), OPEN),
    entry("2.4.03", (2026, 1, 1), OPEN),
    entry("2.4.04", (2026, 1, 1), OPEN),
    entry("2.4.05", (2026, 1, 1), OPEN),
    entry("2.4.06", (2026, 1, 1), OPEN),
    entry("2.4.07", (2026, 1, 1), OPEN),
    entry("2.4.08", (2026, 1, 1), OPEN),
    entry("2.4.09", (2026, 1, 1), OPEN),
    entry("3.1.01", (2026, 1, 1), OPEN),
    entry("3.1.02", (2026, 1, 1), OPEN),
    entry("3.1.03", (2026, 1, 1), OPEN),
    entry("3.1.04", (2026, 1, 1), OPEN),
    entry("3.1.05", (2026, 1, 1), OPEN),
    entry("3.1.06", (2026, 1, 1), OPEN),
    entry("3.1.07", (2026, 1, 1), OPEN),
    entry("3.1.08", (2026, 1, 1), OPEN),
    entry("3.1.09", (2026, 1, 1), OPEN),
    entry("3.1.10", (2026, 1, 1), OPEN),
    entry("3.2.01", (2026, 1, 1), OPEN),
    entry("3.2.02", (2026, 1, 1), OPEN),
    entry("3.3.01", (2026, 1, 1), OPEN),
    entry("3.3.02", (2026, 1, 1), OPEN),
    entry("3.3.03", (2026, 1, 1), OPEN),
    entry("3.3.04", (2026, 1, 1), OPEN),
    entry("3.3.05", (2026, 1, 1), OPEN),
    entry("3.3.06", (2026, 1, 1), OPEN),
];

/// Codes that the registry accepts only with a written precision (Presisering).
const NEEDS_PRECISION: &[&str] = &["18", "19", "22"];

fn date((year, month, day): (i32, u32, u32)) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or(NaiveDate::MIN)
}

fn check(list: &[Entry], field: &str, value: &str, on: NaiveDate) -> Result<String, DomainError> {
    let value = value.trim();
    let entry = list
        .iter()
        .find(|entry| entry.code == value)
        .ok_or_else(|| DomainError::invalid(field, format!("{value:?} is not a registry code")))?;
    let from = date(entry.from);
    let to = entry.to.map(date);
    if on < from || to.is_some_and(|to| on > to) {
        let until = to.map_or(String::new(), |to| format!(" until {to}"));
        return Err(DomainError::invalid(
            field,
            format!("code {value} is valid from {from}{until}, not on {on}"),
        ));
    }
    if NEEDS_PRECISION.contains(&value) {
        return Err(DomainError::invalid(
            field,
            format!(
                "code {value} needs a written precision, which Vern does not record yet; choose a specific code"
            ),
        ));
    }
    Ok(value.to_owned())
}

/// A public reporter's registry code (Melder 5–25, without 23).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReporterCode(String);

impl ReporterCode {
    /// A code valid on `on`, the day it is recorded.
    pub fn parse(field: &str, value: &str, on: NaiveDate) -> Result<Self, DomainError> {
        check(PUBLIC_REPORTER_CODES, field, value, on).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A case-content code (Saksinnhold; as decision grounds, Vedtaksgrunnlag).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CaseContentCode(String);

impl CaseContentCode {
    /// A code valid on `on`, the day it is recorded.
    pub fn parse(field: &str, value: &str, on: NaiveDate) -> Result<Self, DomainError> {
        check(CASE_CONTENT_CODES, field, value, on).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CaseContentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    #[test]
    fn codes_are_valid_only_in_their_period() {
        assert!(CaseContentCode::parse("c", "7", day(2025, 12, 31)).is_ok());
        assert!(CaseContentCode::parse("c", "7", day(2026, 1, 1)).is_err());
        assert!(CaseContentCode::parse("c", "1.3.01", day(2026, 1, 1)).is_ok());
        assert!(CaseContentCode::parse("c", "1.3.01", day(2025, 6, 1)).is_err());
        assert!(ReporterCode::parse("r", "15", day(2024, 12, 31)).is_ok());
        assert!(ReporterCode::parse("r", "15", day(2025, 1, 1)).is_err());
        assert!(ReporterCode::parse("r", "24", day(2025, 1, 1)).is_ok());
    }

    #[test]
    fn private_codes_unknown_codes_and_codes_needing_precision_are_refused() {
        for code in ["1", "4", "23", "26", "x"] {
            assert!(
                ReporterCode::parse("r", code, day(2026, 3, 1)).is_err(),
                "{code}"
            );
        }
        let error = CaseContentCode::parse("c", "18", day(2024, 3, 1)).unwrap_err();
        assert!(error.to_string().contains("precision"), "{error}");
    }
}
