//! The report stream as tables: receipt (and what makes a report's children plausible),
//! urgency before screening, and the letters a reporter is owed.

use chrono::{DateTime, Utc};

use super::fixtures::*;
use crate::DomainError;
use crate::report::{
    CaseAssignment, ChangeReportUrgency, LetterKind, ReceiveReport, RecordFeedbackLetterSent,
    ReportCommand, ReportEvent, ReportStream, ScreeningOutcome,
};
use crate::rules::Act;
use crate::values::{ChildIdentity, ConcernCategory, Reporter, Urgency};

fn receive(
    received_at: DateTime<Utc>,
    reporter: Reporter,
    children: Vec<ChildIdentity>,
) -> ReportCommand {
    ReportCommand::ReceiveReport(ReceiveReport {
        report_id: report_id(),
        received_at,
        municipality: tromso(),
        reporter,
        children,
        concerns: vec![ConcernCategory::Violence],
        summary: text("Synthetic concern"),
        urgency: Urgency::Yellow,
        details: None,
    })
}

fn letters(kinds: Vec<LetterKind>) -> ReportCommand {
    ReportCommand::RecordFeedbackLetterSent(RecordFeedbackLetterSent { letters: kinds })
}

fn letter_sent(kinds: Vec<LetterKind>) -> ReportEvent {
    ReportEvent::FeedbackLetterSent {
        letters: kinds,
        at: now(),
    }
}

/// A child known by name and birth date.
fn born(birth_date: &str) -> ChildIdentity {
    ChildIdentity::NameAndBirthDate {
        name: text("Synthetic Child"),
        birth_date: day(birth_date),
    }
}

/// An unborn child expected on `expected`.
fn due(expected: &str) -> ChildIdentity {
    ChildIdentity::Unborn {
        expected_birth_date: day(expected),
        mother: domain_person(),
    }
}

fn domain_person() -> crate::values::PersonIdentity {
    crate::values::PersonIdentity::NameAndBirthDate {
        name: text("Synthetic Mother"),
        birth_date: day("1990-01-01"),
    }
}

#[test]
fn report_receipt() {
    let rows: Vec<ReportRow> = vec![
        Row {
            name: "a report is received under the act in force",
            given: vec![],
            now: now(),
            when: receive(received_at(), public_reporter(), vec![anna()]),
            then: Ok(vec![report_received(public_reporter(), vec![anna()])]),
        },
        Row {
            name: "a report received 2022-12-31 in Oslo is judged by the 1992 act",
            given: vec![],
            now: now(),
            when: receive(at("2022-12-31T22:30:00Z"), public_reporter(), vec![anna()]),
            then: Ok(vec![received_with(
                at("2022-12-31T22:30:00Z"),
                Act::ChildWelfareAct1992,
                public_reporter(),
            )]),
        },
        Row {
            name: "a report received 2023-01-01 in Oslo is judged by the 2021 act",
            given: vec![],
            now: now(),
            when: receive(at("2022-12-31T23:00:00Z"), public_reporter(), vec![anna()]),
            then: Ok(vec![received_with(
                at("2022-12-31T23:00:00Z"),
                Act::ChildWelfareAct2021,
                public_reporter(),
            )]),
        },
        Row {
            name: "a report cannot be received twice",
            given: vec![report_received(public_reporter(), vec![anna()])],
            now: now(),
            when: receive(received_at(), public_reporter(), vec![anna()]),
            then: Err(DomainError::ReportAlreadyReceived),
        },
        Row {
            name: "a report cannot be received in the future",
            given: vec![],
            now: now(),
            when: receive(at("2024-03-07T00:00:00Z"), public_reporter(), vec![anna()]),
            then: Err(invalid("received_at", "must not be in the future")),
        },
        Row {
            name: "nothing of an anonymous reporter is stored, not even a way to reach them",
            given: vec![],
            now: now(),
            when: {
                let mut command = receive(received_at(), Reporter::PrivateAnonymous, vec![anna()]);
                if let ReportCommand::ReceiveReport(receive) = &mut command {
                    receive.details = Some(Box::new(crate::details::ReportDetails {
                        reporter_contact: Some(crate::details::Contact {
                            phone: Some("+47 400 00 000".into()),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }));
                }
                command
            },
            then: Err(invalid(
                "reporter_contact",
                "must be absent for an anonymous reporter: nothing of them is stored",
            )),
        },
        Row {
            name: "a report must name a child",
            given: vec![],
            now: now(),
            when: receive(received_at(), public_reporter(), vec![]),
            then: Err(invalid("children", "must name at least one child")),
        },
        Row {
            name: "a child cannot be born after the report",
            given: vec![],
            now: now(),
            when: receive(at("2019-01-01T09:00:00Z"), public_reporter(), vec![ola()]),
            then: Err(invalid(
                "children[0].national_identity_number",
                "must not be after the report was received",
            )),
        },
        Row {
            name: "a child born 25 years before the report is still a child",
            given: vec![],
            now: now(),
            when: receive(received_at(), public_reporter(), vec![born("1999-03-04")]),
            then: Ok(vec![report_received(
                public_reporter(),
                vec![born("1999-03-04")],
            )]),
        },
        Row {
            name: "a birth date more than 25 years before the report is not a child's",
            given: vec![],
            now: now(),
            when: receive(received_at(), public_reporter(), vec![born("1999-03-03")]),
            then: Err(invalid(
                "children[0].name_and_birth_date.birth_date",
                "is more than 25 years before the report was received: not a child's birth date",
            )),
        },
        Row {
            name: "an unborn child may be expected ten months after the report",
            given: vec![],
            now: now(),
            when: receive(received_at(), public_reporter(), vec![due("2025-01-04")]),
            then: Ok(vec![report_received(
                public_reporter(),
                vec![due("2025-01-04")],
            )]),
        },
        Row {
            name: "an unborn child is not expected more than ten months after the report",
            given: vec![],
            now: now(),
            when: receive(received_at(), public_reporter(), vec![due("2025-01-05")]),
            then: Err(invalid(
                "children[0].unborn.expected_birth_date",
                "is more than 10 months after the report was received (at most 2025-01-04)",
            )),
        },
        Row {
            name: "a report may name twenty children",
            given: vec![],
            now: now(),
            when: receive(received_at(), public_reporter(), vec![anna(); 20]),
            then: Ok(vec![report_received(public_reporter(), vec![anna(); 20])]),
        },
        Row {
            name: "a report names at most twenty children",
            given: vec![],
            now: now(),
            when: receive(received_at(), public_reporter(), vec![anna(); 21]),
            then: Err(invalid(
                "children",
                "names 21 children; a report names at most 20 (send more reports)",
            )),
        },
        Row {
            name: "input is checked before a rule set is looked up",
            given: vec![],
            now: now(),
            when: receive(at("1992-06-01T09:00:00Z"), public_reporter(), vec![]),
            then: Err(invalid("children", "must name at least one child")),
        },
    ];
    run_table(stream_decider::<ReportStream>(), rows);
}

#[test]
fn report_urgency() {
    let urgency = |urgency, reason: &str| {
        ReportCommand::ChangeReportUrgency(ChangeReportUrgency {
            urgency,
            reason: text(reason),
        })
    };
    let investigated = || {
        vec![child(
            0,
            CaseAssignment::NewCase(case_id(1)),
            ScreeningOutcome::InvestigationOpened,
            Urgency::Red,
        )]
    };
    let rows: Vec<ReportRow> = vec![
        Row {
            name: "urgency changes with a reason before screening",
            given: vec![report_received(public_reporter(), vec![anna()])],
            now: now(),
            when: urgency(Urgency::Red, "Child afraid to go home"),
            then: Ok(vec![ReportEvent::ReportUrgencyChanged {
                from: Urgency::Yellow,
                to: Urgency::Red,
                reason: text("Child afraid to go home"),
                at: now(),
            }]),
        },
        Row {
            name: "urgency cannot change to what it is",
            given: vec![report_received(public_reporter(), vec![anna()])],
            now: now(),
            when: urgency(Urgency::Yellow, "Same"),
            then: Err(DomainError::UrgencyUnchanged {
                urgency: Urgency::Yellow,
            }),
        },
        Row {
            name: "after screening, urgency lives on the case",
            given: vec![
                report_received(public_reporter(), vec![anna()]),
                screened(investigated()),
            ],
            now: now(),
            when: urgency(Urgency::Red, "Later"),
            then: Err(DomainError::ReportAlreadyScreened),
        },
        Row {
            name: "nothing happens to a report never received",
            given: vec![],
            now: now(),
            when: urgency(Urgency::Red, "Why"),
            then: Err(DomainError::ReportNotReceived),
        },
    ];
    run_table(stream_decider::<ReportStream>(), rows);
}

#[test]
fn report_letters() {
    let investigated = || {
        vec![child(
            0,
            CaseAssignment::NewCase(case_id(1)),
            ScreeningOutcome::InvestigationOpened,
            Urgency::Red,
        )]
    };
    let dismissed = || {
        vec![child(
            0,
            CaseAssignment::NewCase(case_id(1)),
            dismissal(false),
            Urgency::Green,
        )]
    };
    let rows: Vec<ReportRow> = vec![
        Row {
            name: "a named private reporter gets a receipt",
            given: vec![report_received(private_reporter(), vec![anna()])],
            now: now(),
            when: letters(vec![LetterKind::Receipt]),
            then: Ok(vec![letter_sent(vec![LetterKind::Receipt])]),
        },
        Row {
            name: "an anonymous reporter gets no letters",
            given: vec![report_received(Reporter::PrivateAnonymous, vec![anna()])],
            now: now(),
            when: letters(vec![LetterKind::Receipt]),
            then: Err(DomainError::AnonymousReporterGetsNoLetters),
        },
        Row {
            name: "a private reporter is not told whether an investigation was opened",
            given: vec![
                report_received(private_reporter(), vec![anna()]),
                screened(investigated()),
            ],
            now: now(),
            when: letters(vec![LetterKind::InvestigationOutcome]),
            then: Err(DomainError::LetterNotOwed {
                letter: "investigation outcome".into(),
            }),
        },
        Row {
            name: "a letter is not sent twice",
            given: vec![
                report_received(private_reporter(), vec![anna()]),
                letter_sent(vec![LetterKind::Receipt]),
            ],
            now: now(),
            when: letters(vec![LetterKind::Receipt]),
            then: Err(DomainError::LetterAlreadySent {
                letter: "receipt".into(),
            }),
        },
        Row {
            name: "a public reporter's receipt and investigation outcome can be one letter",
            given: vec![
                report_received(public_reporter(), vec![anna()]),
                screened(investigated()),
            ],
            now: now(),
            when: letters(vec![LetterKind::Receipt, LetterKind::InvestigationOutcome]),
            then: Ok(vec![letter_sent(vec![
                LetterKind::Receipt,
                LetterKind::InvestigationOutcome,
            ])]),
        },
        Row {
            name: "the investigation outcome cannot be told before screening",
            given: vec![report_received(public_reporter(), vec![anna()])],
            now: now(),
            when: letters(vec![LetterKind::InvestigationOutcome]),
            then: Err(DomainError::ReportNotScreened),
        },
        Row {
            name: "no conclusion letter for a child whose report was dismissed",
            given: vec![
                report_received(public_reporter(), vec![anna()]),
                screened(dismissed()),
            ],
            now: now(),
            when: letters(vec![LetterKind::Conclusion {
                case_id: case_id(1),
            }]),
            then: Err(DomainError::LetterNotOwed {
                letter: format!("conclusion for {}", case_id(1)),
            }),
        },
        Row {
            name: "a conclusion letter for an investigated child",
            given: vec![
                report_received(public_reporter(), vec![anna()]),
                screened(investigated()),
            ],
            now: now(),
            when: letters(vec![LetterKind::Conclusion {
                case_id: case_id(1),
            }]),
            then: Ok(vec![letter_sent(vec![LetterKind::Conclusion {
                case_id: case_id(1),
            }])]),
        },
        Row {
            name: "a letter must be named",
            given: vec![report_received(public_reporter(), vec![anna()])],
            now: now(),
            when: letters(vec![]),
            then: Err(invalid("letters", "must name at least one letter")),
        },
    ];
    run_table(stream_decider::<ReportStream>(), rows);
}

#[test]
fn reports_before_1993_have_no_rule_set() {
    let result = check(
        &stream_decider::<ReportStream>(),
        vec![],
        receive(
            at("1992-06-01T09:00:00Z"),
            public_reporter(),
            vec![synthetic_child(day("1985-01-01"), 3)],
        ),
        now(),
        Err(DomainError::NoRuleSetInForce {
            date: day("1992-06-01"),
        }),
    );
    assert_eq!(result, Ok(()));
}
