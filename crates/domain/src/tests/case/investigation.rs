//! The investigation: its plan, activities and deadline, the violence and abuse track, and
//! its conclusion.

use super::*;
use crate::DomainError;
use crate::case::{
    ActivityKind, AssessmentTool, CaseCommand, CaseEvent, CaseStream, ConclusionOutcome,
    ConsultationOutcome, ConsultationPartner, ForensicInterviewOutcome, InvestigationCommand,
};
use crate::report::ScreeningOutcome;

fn consultation() -> ConsultationOutcome {
    ConsultationOutcome {
        forensic_interview_planned: true,
        report_to_police_advised: true,
        protective_measures_needed: false,
        summary: text("Police will consider an interview"),
    }
}

fn consultation_held() -> CaseEvent {
    CaseEvent::ConsultationHeld {
        partners: vec![ConsultationPartner::Police, ConsultationPartner::Barnehus],
        held_on: day("2024-03-05"),
        outcome: consultation(),
        at: at("2024-03-05T12:00:00Z"),
    }
}

#[test]
fn investigation() {
    let rows: Vec<CaseRow> = vec![
        Row {
            name: "an investigation starts with a plan",
            given: investigating(),
            now: now(),
            when: CaseCommand::Investigation(InvestigationCommand::Start { plan: plan() }),
            then: Ok(vec![CaseEvent::InvestigationStarted {
                plan: plan(),
                at: now(),
            }]),
        },
        Row {
            name: "an investigation starts once",
            given: investigating_with_plan(),
            now: now(),
            when: CaseCommand::Investigation(InvestigationCommand::Start { plan: plan() }),
            then: Err(DomainError::InvestigationAlreadyStarted),
        },
        Row {
            name: "no investigation to start when screening opened none",
            given: emergency_case(),
            now: now(),
            when: CaseCommand::Investigation(InvestigationCommand::Start { plan: plan() }),
            then: Err(DomainError::NoInvestigationOpen),
        },
        Row {
            name: "an assessment tool is recorded as an activity",
            given: investigating_with_plan(),
            now: now(),
            when: CaseCommand::Investigation(InvestigationCommand::RecordActivity {
                activity: ActivityKind::AssessmentTool(AssessmentTool::Asq),
                held_on: day("2024-03-05"),
                summary: text("ASQ done"),
            }),
            then: Ok(vec![CaseEvent::InvestigationActivityRecorded {
                activity: ActivityKind::AssessmentTool(AssessmentTool::Asq),
                held_on: day("2024-03-05"),
                summary: text("ASQ done"),
                at: now(),
            }]),
        },
        Row {
            name: "a home visit is recorded",
            given: investigating_with_plan(),
            now: now(),
            when: CaseCommand::Investigation(InvestigationCommand::RecordActivity {
                activity: ActivityKind::HomeVisit,
                held_on: day("2024-03-06"),
                summary: text("Visited"),
            }),
            then: Ok(vec![CaseEvent::InvestigationActivityRecorded {
                activity: ActivityKind::HomeVisit,
                held_on: day("2024-03-06"),
                summary: text("Visited"),
                at: now(),
            }]),
        },
        Row {
            name: "an activity cannot be recorded in the future",
            given: investigating_with_plan(),
            now: now(),
            when: CaseCommand::Investigation(InvestigationCommand::RecordActivity {
                activity: ActivityKind::SummaryMeeting,
                held_on: day("2024-03-07"),
                summary: text("Soon"),
            }),
            then: Err(invalid("held_on", "must not be in the future")),
        },
        Row {
            name: "no activity in a closed case",
            given: dismissed_at_screening(),
            now: now(),
            when: CaseCommand::Investigation(InvestigationCommand::RecordActivity {
                activity: ActivityKind::HomeVisit,
                held_on: day("2024-03-05"),
                summary: text("Visited"),
            }),
            then: Err(DomainError::CaseClosed),
        },
        Row {
            name: "the investigation deadline is extended to 6 months with a reason",
            given: investigating(),
            now: now(),
            when: CaseCommand::Investigation(InvestigationCommand::ExtendDeadline {
                to_months: 6,
                reason: text("Awaiting forensic interview"),
            }),
            then: Ok(vec![CaseEvent::InvestigationDeadlineExtended {
                to_months: 6,
                reason: text("Awaiting forensic interview"),
                at: now(),
            }]),
        },
        Row {
            name: "an investigation cannot be extended past 6 months",
            given: investigating(),
            now: now(),
            when: CaseCommand::Investigation(InvestigationCommand::ExtendDeadline {
                to_months: 7,
                reason: text("More time"),
            }),
            then: Err(DomainError::InvestigationExtensionTooLong { max_months: 6 }),
        },
        Row {
            name: "an extension must lengthen the deadline",
            given: with(
                investigating(),
                [CaseEvent::InvestigationDeadlineExtended {
                    to_months: 6,
                    reason: text("r"),
                    at: received_at(),
                }],
            ),
            now: now(),
            when: CaseCommand::Investigation(InvestigationCommand::ExtendDeadline {
                to_months: 5,
                reason: text("Less"),
            }),
            then: Err(DomainError::InvestigationExtensionNotLonger { current_months: 6 }),
        },
        Row {
            name: "an extension comes before the deadline, not after",
            given: investigating(),
            // Last day 2024-06-11; breached from midnight Oslo (22:00 UTC, summer time).
            now: at("2024-06-11T22:00:00Z"),
            when: CaseCommand::Investigation(InvestigationCommand::ExtendDeadline {
                to_months: 6,
                reason: text("Late"),
            }),
            then: Err(DomainError::InvestigationDeadlinePassed),
        },
        Row {
            name: "an extension on the last day is in time",
            given: investigating(),
            now: at("2024-06-11T21:59:59Z"),
            when: CaseCommand::Investigation(InvestigationCommand::ExtendDeadline {
                to_months: 6,
                reason: text("Just in time"),
            }),
            then: Ok(vec![CaseEvent::InvestigationDeadlineExtended {
                to_months: 6,
                reason: text("Just in time"),
                at: at("2024-06-11T21:59:59Z"),
            }]),
        },
    ];
    run_table(stream_decider::<CaseStream>(), rows);
}

#[test]
fn investigation_violence_and_abuse_track() {
    let rows: Vec<CaseRow> = vec![
        Row {
            name: "a consultation with police and barnehus is held",
            given: investigating(),
            now: now(),
            when: CaseCommand::Investigation(InvestigationCommand::HoldConsultation {
                partners: vec![ConsultationPartner::Barnehus, ConsultationPartner::Police],
                held_on: day("2024-03-05"),
                outcome: consultation(),
            }),
            then: Ok(vec![CaseEvent::ConsultationHeld {
                partners: vec![ConsultationPartner::Police, ConsultationPartner::Barnehus],
                held_on: day("2024-03-05"),
                outcome: consultation(),
                at: now(),
            }]),
        },
        Row {
            name: "a consultation needs a partner",
            given: investigating(),
            now: now(),
            when: CaseCommand::Investigation(InvestigationCommand::HoldConsultation {
                partners: vec![],
                held_on: day("2024-03-05"),
                outcome: consultation(),
            }),
            then: Err(invalid("partners", "must name police, barnehus or both")),
        },
        Row {
            name: "no forensic interview without a consultation",
            given: investigating(),
            now: now(),
            when: CaseCommand::Investigation(InvestigationCommand::RecordForensicInterview {
                outcome: ForensicInterviewOutcome::Held {
                    held_on: day("2024-03-06"),
                },
            }),
            then: Err(DomainError::NoConsultationHeld),
        },
        Row {
            name: "a forensic interview is postponed to a date",
            given: with(investigating(), [consultation_held()]),
            now: now(),
            when: CaseCommand::Investigation(InvestigationCommand::RecordForensicInterview {
                outcome: ForensicInterviewOutcome::Postponed {
                    to: day("2024-04-02"),
                    reason: text("Police capacity"),
                },
            }),
            then: Ok(vec![CaseEvent::ForensicInterviewPostponed {
                to: day("2024-04-02"),
                reason: text("Police capacity"),
                at: now(),
            }]),
        },
        Row {
            name: "a forensic interview cannot be postponed into the past",
            given: with(investigating(), [consultation_held()]),
            now: now(),
            when: CaseCommand::Investigation(InvestigationCommand::RecordForensicInterview {
                outcome: ForensicInterviewOutcome::Postponed {
                    to: day("2024-03-01"),
                    reason: text("Oops"),
                },
            }),
            then: Err(invalid("to", "must not be in the past")),
        },
        Row {
            name: "a forensic interview is held",
            given: with(investigating(), [consultation_held()]),
            now: now(),
            when: CaseCommand::Investigation(InvestigationCommand::RecordForensicInterview {
                outcome: ForensicInterviewOutcome::Held {
                    held_on: day("2024-03-06"),
                },
            }),
            then: Ok(vec![CaseEvent::ForensicInterviewHeld {
                held_on: day("2024-03-06"),
                at: now(),
            }]),
        },
        Row {
            name: "a forensic interview is not held, with a reason",
            given: with(investigating(), [consultation_held()]),
            now: now(),
            when: CaseCommand::Investigation(InvestigationCommand::RecordForensicInterview {
                outcome: ForensicInterviewOutcome::NotHeld {
                    reason: text("Child too young"),
                },
            }),
            then: Ok(vec![CaseEvent::ForensicInterviewNotHeld {
                reason: text("Child too young"),
                at: now(),
            }]),
        },
        Row {
            name: "a held forensic interview is not recorded again",
            given: with(
                investigating(),
                [
                    consultation_held(),
                    CaseEvent::ForensicInterviewHeld {
                        held_on: day("2024-03-05"),
                        at: received_at(),
                    },
                ],
            ),
            now: now(),
            when: CaseCommand::Investigation(InvestigationCommand::RecordForensicInterview {
                outcome: ForensicInterviewOutcome::NotHeld {
                    reason: text("Changed mind"),
                },
            }),
            then: Err(DomainError::ForensicInterviewAlreadyHeld),
        },
        Row {
            name: "the service reports a possible crime to the police",
            given: investigating(),
            now: now(),
            when: CaseCommand::Investigation(InvestigationCommand::ReportToPolice {
                grounds: text("Suspected violence"),
            }),
            then: Ok(vec![CaseEvent::ReportedToPolice {
                grounds: text("Suspected violence"),
                at: now(),
            }]),
        },
    ];
    run_table(stream_decider::<CaseStream>(), rows);
}

#[test]
fn investigation_conclusion() {
    let reasons = || text("Assessment done");
    let old_act_investigation = vec![
        case_opened_with(
            1,
            old_act_reference(),
            ScreeningOutcome::InvestigationOpened,
            false,
            old_act_reference().received_at,
        ),
        investigation_opened(old_act_reference()),
    ];
    let conclude = |outcome| {
        CaseCommand::Investigation(InvestigationCommand::Conclude {
            grounds: Vec::new(),
            outcome,
            reasons: reasons(),
        })
    };
    let moved = ConclusionOutcome::DismissedFamilyMoved {
        moved_abroad: false,
        new_municipality: Some(tromso()),
        new_municipality_notified: true,
    };
    let rows: Vec<CaseRow> = vec![
        Row {
            name: "an investigation concludes with measures (1)",
            given: investigating_with_plan(),
            now: now(),
            when: conclude(ConclusionOutcome::MeasuresDecided),
            then: Ok(vec![concluded(ConclusionOutcome::MeasuresDecided)]),
        },
        Row {
            name: "an investigation concludes with a petition to the board (2), which is sent",
            given: investigating_with_plan(),
            now: now(),
            when: conclude(ConclusionOutcome::PetitionToBoard {
                proposal: BoardProposalKind::CareOrder,
            }),
            then: Ok(vec![
                concluded(ConclusionOutcome::PetitionToBoard {
                    proposal: BoardProposalKind::CareOrder,
                }),
                CaseEvent::BoardProposalSent {
                    kind: BoardProposalKind::CareOrder,
                    grounds: reasons(),
                    at: now(),
                },
            ]),
        },
        Row {
            name: "an investigation is dismissed on assessment (3)",
            given: investigating_with_plan(),
            now: now(),
            when: conclude(ConclusionOutcome::DismissedOnAssessment),
            then: Ok(vec![concluded(ConclusionOutcome::DismissedOnAssessment)]),
        },
        Row {
            name: "an investigation is dismissed as the parties decline (4)",
            given: investigating_with_plan(),
            now: now(),
            when: conclude(ConclusionOutcome::DismissedPartiesDeclined),
            then: Ok(vec![concluded(ConclusionOutcome::DismissedPartiesDeclined)]),
        },
        Row {
            name: "an investigation is dismissed as the family moved, new municipality told (5)",
            given: investigating_with_plan(),
            now: now(),
            when: conclude(moved.clone()),
            then: Ok(vec![concluded(moved.clone())]),
        },
        Row {
            name: "an investigation is dismissed after referral (6)",
            given: investigating_with_plan(),
            now: now(),
            when: conclude(ConclusionOutcome::DismissedAfterReferral),
            then: Ok(vec![concluded(ConclusionOutcome::DismissedAfterReferral)]),
        },
        Row {
            name: "under the 2021 act an investigation needs a plan before it concludes",
            given: investigating(),
            now: now(),
            when: conclude(ConclusionOutcome::MeasuresDecided),
            then: Err(DomainError::InvestigationNotStarted),
        },
        Row {
            name: "under the 1992 act an investigation concludes without a plan",
            given: old_act_investigation,
            now: now(),
            when: conclude(ConclusionOutcome::DismissedOnAssessment),
            then: Ok(vec![concluded(ConclusionOutcome::DismissedOnAssessment)]),
        },
        Row {
            name: "an investigation concludes once",
            given: with(
                investigating_with_plan(),
                [concluded(ConclusionOutcome::DismissedOnAssessment)],
            ),
            now: now(),
            when: conclude(ConclusionOutcome::MeasuresDecided),
            then: Err(DomainError::NoInvestigationOpen),
        },
        Row {
            name: "a case dismissed at screening cannot be concluded",
            given: dismissed_at_screening(),
            now: now(),
            when: conclude(ConclusionOutcome::MeasuresDecided),
            then: Err(DomainError::CaseClosed),
        },
        Row {
            name: "a petition cannot be sent while another is pending",
            given: with(investigating_with_plan(), [proposal_sent()]),
            now: now(),
            when: conclude(ConclusionOutcome::PetitionToBoard {
                proposal: BoardProposalKind::BehaviourInstitution,
            }),
            then: Err(DomainError::BoardProposalPending),
        },
    ];
    run_table(stream_decider::<CaseStream>(), rows);
}
