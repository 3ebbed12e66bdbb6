//! The registry's own validation rules about deadlines and completeness
//! (`Kravspesifikasjon.md`), run on a case before it is exported, so the caseworker sees and
//! fixes them in Vern instead of hearing back from the registry. Messages carry dates and
//! codes, never a name, a number or free text.

use chrono::{Duration, NaiveDate};
use domain::values::NationalIdentityNumber;

use crate::model::Sak;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "ERROR",
            Self::Warning => "WARNING",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The rule's name in the requirements, e.g. "Melding Kontroll 3".
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
}

fn finding(rule: &'static str, severity: Severity, message: String) -> Finding {
    Finding {
        rule,
        severity,
        message,
    }
}

/// Days after the report's receipt within which an investigation must conclude, by the
/// registry's rule (Undersøkelse Kontroll 11: 7 + 90, 7 + 180 when extended).
const INVESTIGATION_DAYS: i64 = 7 + 90;
const EXTENDED_INVESTIGATION_DAYS: i64 = 7 + 180;
/// Melding Kontroll 3: a report is concluded within 7 days of receipt.
const SCREENING_DAYS: i64 = 7;

/// What the registry would report about this case if it were exported on `on`.
pub fn check(sak: &Sak, on: NaiveDate) -> Vec<Finding> {
    let mut found = Vec::new();
    if sak.personalia.is_none() {
        found.push(finding(
            "Personalia Kontroll 11",
            Severity::Error,
            "the child has no national identity number (or due date) recorded".to_owned(),
        ));
    }
    if contains_identity_number(&sak.journal_number) {
        found.push(finding(
            "Journalnummer",
            Severity::Error,
            "the journal number contains a national identity number".to_owned(),
        ));
    }
    for melding in &sak.meldinger {
        let Some((concluded, _)) = melding.conclusion else {
            continue;
        };
        if concluded > melding.start + Duration::days(SCREENING_DAYS) {
            found.push(finding(
                "Melding Kontroll 3",
                Severity::Warning,
                format!(
                    "report received {} was concluded {}, more than {SCREENING_DAYS} days later",
                    melding.start, concluded
                ),
            ));
        }
        if melding.reporter_code.is_none() {
            found.push(finding(
                "Melding Kontroll 4",
                Severity::Error,
                format!(
                    "report received {} is concluded without the reporter's code",
                    melding.start
                ),
            ));
        }
        if melding.case_content.is_empty() {
            found.push(finding(
                "Melding Kontroll 5",
                Severity::Error,
                format!(
                    "report received {} is concluded without case-content codes",
                    melding.start
                ),
            ));
        }
    }
    // Not a check of the registry's but what it will be told: a decision that lapsed
    // (Kodelister, Vedtak/Status 3) leaves a placement without legal basis, and the caseworker
    // should see it here before the export carries it.
    for vedtak in &sak.vedtak {
        for (_, on, _) in vedtak.status.iter().filter(|(_, _, code)| *code == "3") {
            found.push(finding(
                "Vedtak Status 3",
                Severity::Warning,
                format!(
                    "decision {} of {} lapsed on {on} (status 3, bortfalt): the placement it \
                     gave has no legal basis from then",
                    vedtak.id, vedtak.start
                ),
            ));
        }
    }
    // Kodelister, Plan/Plantype: each code has its days. A preliminary care plan made after
    // the 1992 act for a petition sent under it carries a code the registry closed.
    for plan in &sak.planer {
        if let Some((from, until)) = plan_type_days(plan.plan_type)
            && (plan.start < from || until.is_some_and(|until| plan.start > until))
        {
            found.push(finding(
                "Plan Plantype",
                Severity::Error,
                format!(
                    "plan {} of {} has plan type {}, valid {from} to {}",
                    plan.id,
                    plan.start,
                    plan.plan_type,
                    until.map_or("today".to_owned(), |until| until.to_string())
                ),
            ));
        }
    }
    for undersokelse in &sak.undersokelser {
        match &undersokelse.conclusion {
            Some(conclusion) => {
                if matches!(conclusion.code, "1" | "2") && undersokelse.grounds.is_empty() {
                    found.push(finding(
                        "Undersøkelse Kontroll 7",
                        Severity::Error,
                        format!(
                            "investigation concluded {} with code {} has no decision grounds",
                            conclusion.date, conclusion.code
                        ),
                    ));
                }
            }
            None => {
                let days = if undersokelse.extension_requested.is_some() {
                    EXTENDED_INVESTIGATION_DAYS
                } else {
                    INVESTIGATION_DAYS
                };
                let due = undersokelse.report_received + Duration::days(days);
                if on > due {
                    found.push(finding(
                        "Undersøkelse Kontroll 11",
                        Severity::Warning,
                        format!(
                            "investigation of the report received {} is open past 7 + {} days ({due})",
                            undersokelse.report_received,
                            days - 7
                        ),
                    ));
                }
            }
        }
    }
    found
}

/// The days a plan type is valid (Kodelister, Plan/Plantype): 1, 2 and 4 from 2013, 3 until
/// 2022-12-31, 5 to 8 from 2023.
fn plan_type_days(code: &str) -> Option<(NaiveDate, Option<NaiveDate>)> {
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN);
    match code {
        "1" | "2" | "4" => Some((day(2013, 1, 1), None)),
        "3" => Some((day(2013, 1, 1), Some(day(2022, 12, 31)))),
        "5" | "6" | "7" | "8" => Some((day(2023, 1, 1), None)),
        _ => None,
    }
}

/// Whether any run of 11 digits in `text` is a valid national identity number.
fn contains_identity_number(text: &str) -> bool {
    let digits: Vec<(usize, char)> = text.char_indices().collect();
    digits.windows(11).any(|window| {
        window.iter().all(|(_, c)| c.is_ascii_digit()) && {
            let candidate: String = window.iter().map(|(_, c)| *c).collect();
            NationalIdentityNumber::parse("journal_number", &candidate).is_ok()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_type_outside_its_days_is_found() {
        let day = |text: &str| text.parse::<NaiveDate>().unwrap();
        let plan = |plan_type, start| crate::model::Plan {
            id: uuid::Uuid::nil(),
            start: day(start),
            plan_type,
            evaluations: Vec::new(),
            end: None,
        };
        let sak = |planer| Sak {
            id: uuid::Uuid::nil(),
            start: day("2022-03-01"),
            end: None,
            journal_number: "1".to_owned(),
            personalia: None,
            meldinger: Vec::new(),
            undersokelser: Vec::new(),
            planer,
            tiltak: Vec::new(),
            vedtak: Vec::new(),
            oversendelser: Vec::new(),
            relasjoner: Vec::new(),
        };
        let plan_findings = |planer| {
            check(&sak(planer), day("2024-01-01"))
                .into_iter()
                .filter(|found| found.rule == "Plan Plantype")
                .map(|found| found.message)
                .collect::<Vec<_>>()
        };
        assert!(plan_findings(vec![plan("3", "2022-12-31"), plan("8", "2023-01-01")]).is_empty());
        assert_eq!(
            plan_findings(vec![plan("3", "2023-01-01"), plan("8", "2022-12-31")]),
            [
                "plan 00000000-0000-0000-0000-000000000000 of 2023-01-01 has plan type 3, valid 2013-01-01 to 2022-12-31",
                "plan 00000000-0000-0000-0000-000000000000 of 2022-12-31 has plan type 8, valid 2023-01-01 to today",
            ]
        );
    }

    #[test]
    fn a_journal_number_with_an_identity_number_in_it_is_found() {
        // 28071364498 is the national portal's synthetic example number.
        assert!(contains_identity_number(
            "1b1907ef-2080-42c8-b704-028071364498"
        ));
        assert!(!contains_identity_number(
            "1b1907ef-2080-42c8-b704-3b33bf0b0982"
        ));
        assert!(!contains_identity_number("028071364499"));
    }
}
