//! Consultations with the police and Statens barnehus, as the partners take part in them.

use super::*;
use crate::DomainError;
use crate::case::{CaseCommand, CaseEvent, CaseStream, ConsultationPartner};

#[test]
fn consultations_with_the_partners() {
    use crate::partner::{DecisionAsked, InterviewDecision, PartnerCommand};
    use ConsultationPartner::{Barnehus, Police};
    let invite = |partners: Vec<ConsultationPartner>, asked: Vec<DecisionAsked>| {
        CaseCommand::Partner(PartnerCommand::Invite {
            partners,
            meeting_at: at("2024-03-08T09:00:00Z"),
            place: text("Statens barnehus Trondheim"),
            decisions_asked: asked,
        })
    };
    let both = [
        DecisionAsked::ForensicInterview,
        DecisionAsked::PoliceReport,
    ];
    let invited = CaseEvent::PartnersInvitedToConsultation {
        consultation: 1,
        partners: vec![Police, Barnehus],
        meeting_at: at("2024-03-08T09:00:00Z"),
        place: text("Statens barnehus Trondheim"),
        decisions_asked: both.to_vec(),
        at: now(),
    };
    let closed = CaseEvent::PartnerConsultationClosed {
        consultation: 1,
        at: now(),
    };
    let decide = |partner, decision| {
        CaseCommand::Partner(PartnerCommand::DecideInterview {
            consultation: 1,
            partner,
            decision,
        })
    };
    let rows: Vec<CaseRow> = vec![
        Row {
            name: "the service invites police and barnehus, each once",
            given: investigating(),
            now: now(),
            when: invite(vec![Barnehus, Police, Police], both.to_vec()),
            then: Ok(vec![invited.clone()]),
        },
        Row {
            name: "an invitation names a partner",
            given: investigating(),
            now: now(),
            when: invite(vec![], vec![]),
            then: Err(invalid("partners", "must name police, barnehus or both")),
        },
        Row {
            name: "a police report is asked of the police only",
            given: investigating(),
            now: now(),
            when: invite(vec![Barnehus], vec![DecisionAsked::PoliceReport]),
            then: Err(invalid(
                "decisions_asked",
                "a police report is the police's to decide: invite the police",
            )),
        },
        Row {
            name: "an invited partner records its attendance",
            given: with(investigating(), [invited.clone()]),
            now: now(),
            when: CaseCommand::Partner(PartnerCommand::RecordAttendance {
                consultation: 1,
                partner: Barnehus,
                attending: true,
            }),
            then: Ok(vec![CaseEvent::PartnerAttendanceRecorded {
                consultation: 1,
                partner: Barnehus,
                attending: true,
                at: now(),
            }]),
        },
        Row {
            name: "a postponed interview has a new date, not in the past",
            given: with(investigating(), [invited.clone()]),
            now: now(),
            when: decide(
                Barnehus,
                InterviewDecision::Postponed {
                    to: day("2024-01-01"),
                    reason: text("The child is ill"),
                },
            ),
            then: Err(invalid("postponed.to", "must not be in the past")),
        },
        Row {
            name: "an interview not held says why",
            given: with(investigating(), [invited.clone()]),
            now: now(),
            when: decide(
                Police,
                InterviewDecision::NotHeld {
                    reason: text("Too young to be interviewed"),
                },
            ),
            then: Ok(vec![CaseEvent::PartnerInterviewDecided {
                consultation: 1,
                partner: Police,
                decision: InterviewDecision::NotHeld {
                    reason: text("Too young to be interviewed"),
                },
                at: now(),
            }]),
        },
        Row {
            name: "the police record whether a report is filed",
            given: with(investigating(), [invited.clone()]),
            now: now(),
            when: CaseCommand::Partner(PartnerCommand::DecidePoliceReport {
                consultation: 1,
                filed: true,
            }),
            then: Ok(vec![CaseEvent::PoliceReportDecided {
                consultation: 1,
                filed: true,
                at: now(),
            }]),
        },
        Row {
            name: "a partner not invited records nothing",
            given: with(
                investigating(),
                [CaseEvent::PartnersInvitedToConsultation {
                    consultation: 1,
                    partners: vec![Barnehus],
                    meeting_at: at("2024-03-08T09:00:00Z"),
                    place: text("Statens barnehus Trondheim"),
                    decisions_asked: vec![DecisionAsked::ForensicInterview],
                    at: now(),
                }],
            ),
            now: now(),
            when: CaseCommand::Partner(PartnerCommand::DecidePoliceReport {
                consultation: 1,
                filed: true,
            }),
            then: Err(DomainError::PartnerNotInvited { number: 1 }),
        },
        Row {
            name: "after closing, no partner records anything",
            given: with(investigating(), [invited.clone(), closed.clone()]),
            now: now(),
            when: CaseCommand::Partner(PartnerCommand::RecordAttendance {
                consultation: 1,
                partner: Police,
                attending: true,
            }),
            then: Err(DomainError::ConsultationClosed { number: 1 }),
        },
        Row {
            name: "a consultation closes once",
            given: with(investigating(), [invited.clone(), closed]),
            now: now(),
            when: CaseCommand::Partner(PartnerCommand::Close { consultation: 1 }),
            then: Err(DomainError::ConsultationClosed { number: 1 }),
        },
        Row {
            name: "no consultation 2 before it is invited",
            given: with(investigating(), [invited]),
            now: now(),
            when: CaseCommand::Partner(PartnerCommand::Close { consultation: 2 }),
            then: Err(DomainError::ConsultationNotFound { number: 2 }),
        },
    ];
    run_table(stream_decider::<CaseStream>(), rows);
}
