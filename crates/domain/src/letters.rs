//! Which feedback letters a reporter is owed, and by when (DOMAIN.md, "who gets which letter").
//!
//! Computed from the report and its cases together, because the conclusion letter depends on
//! the case's investigation while the reporter lives on the report. Letters disclose nothing
//! beyond their kind; composing them is the feedback service's job.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{self, Due};
use crate::case::CaseState;
use crate::report::{LetterKind, ReportState};
use crate::rules::RuleBook;

/// A letter owed and not yet sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LetterOwed {
    pub kind: LetterKind,
    pub due: Due,
    pub breached: bool,
    /// Where the duty comes from: the paragraph of the act in force when its clock started
    /// (the report's receipt; for the conclusion letter, the investigation's conclusion).
    pub legal_reference: &'static str,
}

/// The letters owed to the report's reporter:
/// - anonymous: none;
/// - every named reporter: a receipt within 3 weeks of receipt, unless the report is
///   obviously unfounded;
/// - public reporters also: whether an investigation was opened, within 3 weeks of receipt
///   (may share the receipt's letter); and for each child whose investigation followed up this
///   report and has concluded, a conclusion letter within 3 weeks of the conclusion.
///
/// `cases` are the states of the report's children's cases; others are ignored.
pub fn letters_owed(
    report_state: &ReportState,
    cases: &[CaseState],
    rule_book: &RuleBook,
    now: DateTime<Utc>,
) -> Vec<LetterOwed> {
    let Some(report) = report_state.report() else {
        return Vec::new();
    };
    if report.reporter.is_anonymous() {
        return Vec::new();
    }
    let rules = rule_book.for_act(report.act);
    let mut owed = Vec::new();
    let mut owe = |kind: LetterKind, due: Due, legal_reference: &'static str| {
        if !report.has_sent(kind) {
            owed.push(LetterOwed {
                kind,
                due,
                breached: due.is_breached_at(now),
                legal_reference,
            });
        }
    };
    if !report.is_obviously_unfounded() {
        owe(
            LetterKind::Receipt,
            calendar::due_from_instant(report.received_at, rules.receipt_letter.length),
            rules.receipt_letter.legal_reference,
        );
    }
    // Private reporters have no right to more than the receipt ([001]).
    if report.reporter.is_public() {
        owe_public_letters(report, cases, rule_book, &mut owe);
    }
    owed
}

fn owe_public_letters(
    report: &crate::report::Report,
    cases: &[CaseState],
    rule_book: &RuleBook,
    owe: &mut impl FnMut(LetterKind, Due, &'static str),
) {
    let rules = rule_book.for_act(report.act);
    owe(
        LetterKind::InvestigationOutcome,
        calendar::due_from_instant(
            report.received_at,
            rules.investigation_outcome_letter.length,
        ),
        rules.investigation_outcome_letter.legal_reference,
    );
    for case in cases.iter().filter_map(CaseState::case) {
        let followed_up = report
            .screening_for_case(case.id)
            .is_some_and(|screening| screening.outcome.leads_to_investigation());
        if !followed_up {
            continue;
        }
        let concluded_at = case
            .investigations
            .iter()
            .filter(|investigation| investigation.reports.contains(&report.id))
            .find_map(|investigation| investigation.conclusion.as_ref().map(|(_, at)| *at));
        if let Some(concluded_at) = concluded_at {
            // Its clock starts at the conclusion, under the act in force that day.
            let rule = &rule_book.in_force_at(concluded_at).conclusion_letter;
            owe(
                LetterKind::Conclusion { case_id: case.id },
                calendar::due_from_instant(concluded_at, rule.length),
                rule.legal_reference,
            );
        }
    }
}
