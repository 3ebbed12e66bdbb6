//! Consultations with the police and Statens barnehus (samråd) as the partners take part in
//! them: the service invites, each invited partner records its attendance and the decisions
//! asked of it (whether a forensic interview (tilrettelagt avhør) is held, postponed or not
//! held; whether a police report is filed), and the service closes the consultation. Each
//! step is an event on the child's case.
//!
//! The rules here are what may be recorded; who may see what (an invited partner sees only
//! its open consultation, and only the fields it needs) is the shell's, by construction of
//! the partner API's messages.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::case::{Case, CaseEvent, ConsultationPartner};
use crate::error::DomainError;
use crate::values::BoundedText;

/// A decision the service asks of the partners at a consultation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionAsked {
    /// Whether the child is interviewed (tilrettelagt avhør), and when.
    ForensicInterview,
    /// Whether the police open a case (anmeldelse).
    PoliceReport,
}

/// What the partners decided about a forensic interview.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "decision")]
pub enum InterviewDecision {
    ToBeHeld { on: NaiveDate },
    Postponed { to: NaiveDate, reason: BoundedText },
    NotHeld { reason: BoundedText },
}

/// A consultation the partners were invited to, as it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invitation {
    /// Consultation `n` of the case is at index `n - 1`.
    pub number: u32,
    pub partners: Vec<ConsultationPartner>,
    pub meeting_at: DateTime<Utc>,
    pub place: BoundedText,
    pub decisions_asked: Vec<DecisionAsked>,
    /// Each partner's answer, the latest one.
    pub attendance: Vec<(ConsultationPartner, bool)>,
    pub interview: Option<(ConsultationPartner, InterviewDecision)>,
    pub police_report_filed: Option<bool>,
    pub closed_at: Option<DateTime<Utc>>,
}

impl Invitation {
    pub fn is_open(&self) -> bool {
        self.closed_at.is_none()
    }

    pub fn invites(&self, partner: ConsultationPartner) -> bool {
        self.partners.contains(&partner)
    }

    pub fn asks(&self, decision: DecisionAsked) -> bool {
        self.decisions_asked.contains(&decision)
    }
}

/// A step of a consultation with the partners.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PartnerCommand {
    Invite {
        partners: Vec<ConsultationPartner>,
        meeting_at: DateTime<Utc>,
        place: BoundedText,
        decisions_asked: Vec<DecisionAsked>,
    },
    RecordAttendance {
        consultation: u32,
        partner: ConsultationPartner,
        attending: bool,
    },
    DecideInterview {
        consultation: u32,
        partner: ConsultationPartner,
        decision: InterviewDecision,
    },
    DecidePoliceReport {
        consultation: u32,
        filed: bool,
    },
    Close {
        consultation: u32,
    },
}

/// The consultation `number` of `case`, open, with `partner` invited when one is named.
fn open_invitation(
    case: &Case,
    number: u32,
    partner: Option<ConsultationPartner>,
) -> Result<&Invitation, DomainError> {
    let invitation = number
        .checked_sub(1)
        .and_then(|index| case.invitations.get(index as usize))
        .ok_or(DomainError::ConsultationNotFound { number })?;
    if !invitation.is_open() {
        return Err(DomainError::ConsultationClosed { number });
    }
    if let Some(partner) = partner
        && !invitation.invites(partner)
    {
        return Err(DomainError::PartnerNotInvited { number });
    }
    Ok(invitation)
}

pub(crate) fn decide(
    case: &Case,
    command: PartnerCommand,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<Vec<CaseEvent>, DomainError> {
    Ok(match command {
        PartnerCommand::Invite {
            mut partners,
            meeting_at,
            place,
            mut decisions_asked,
        } => {
            partners.sort();
            partners.dedup();
            if partners.is_empty() {
                return Err(DomainError::invalid(
                    "partners",
                    "must name police, barnehus or both",
                ));
            }
            decisions_asked.sort();
            decisions_asked.dedup();
            if decisions_asked.contains(&DecisionAsked::PoliceReport)
                && !partners.contains(&ConsultationPartner::Police)
            {
                return Err(DomainError::invalid(
                    "decisions_asked",
                    "a police report is the police's to decide: invite the police",
                ));
            }
            let number = u32::try_from(case.invitations.len() + 1).unwrap_or(u32::MAX);
            vec![CaseEvent::PartnersInvitedToConsultation {
                consultation: number,
                partners,
                meeting_at,
                place,
                decisions_asked,
                at: now,
            }]
        }
        PartnerCommand::RecordAttendance {
            consultation,
            partner,
            attending,
        } => {
            let invitation = open_invitation(case, consultation, Some(partner))?;
            if invitation
                .attendance
                .iter()
                .any(|(who, answer)| *who == partner && *answer == attending)
            {
                return Err(DomainError::PartnerAnswerUnchanged);
            }
            vec![CaseEvent::PartnerAttendanceRecorded {
                consultation,
                partner,
                attending,
                at: now,
            }]
        }
        PartnerCommand::DecideInterview {
            consultation,
            partner,
            decision,
        } => {
            let invitation = open_invitation(case, consultation, Some(partner))?;
            if !invitation.asks(DecisionAsked::ForensicInterview) {
                return Err(DomainError::DecisionNotAsked {
                    decision: "forensic interview",
                });
            }
            match &decision {
                InterviewDecision::ToBeHeld { on }
                | InterviewDecision::Postponed { to: on, .. }
                    if *on < today =>
                {
                    let field = match decision {
                        InterviewDecision::ToBeHeld { .. } => "to_be_held.on",
                        _ => "postponed.to",
                    };
                    return Err(DomainError::invalid(field, "must not be in the past"));
                }
                _ => {}
            }
            if invitation.interview.as_ref() == Some(&(partner, decision.clone())) {
                return Err(DomainError::PartnerAnswerUnchanged);
            }
            vec![CaseEvent::PartnerInterviewDecided {
                consultation,
                partner,
                decision,
                at: now,
            }]
        }
        PartnerCommand::DecidePoliceReport {
            consultation,
            filed,
        } => {
            let invitation =
                open_invitation(case, consultation, Some(ConsultationPartner::Police))?;
            if !invitation.asks(DecisionAsked::PoliceReport) {
                return Err(DomainError::DecisionNotAsked {
                    decision: "police report",
                });
            }
            if invitation.police_report_filed == Some(filed) {
                return Err(DomainError::PartnerAnswerUnchanged);
            }
            vec![CaseEvent::PoliceReportDecided {
                consultation,
                filed,
                at: now,
            }]
        }
        PartnerCommand::Close { consultation } => {
            open_invitation(case, consultation, None)?;
            vec![CaseEvent::PartnerConsultationClosed {
                consultation,
                at: now,
            }]
        }
    })
}

/// Applies a partner event to the case; `false` for an event that is not one.
pub(crate) fn evolve(case: &mut Case, event: &CaseEvent) -> bool {
    if let CaseEvent::PartnersInvitedToConsultation {
        consultation,
        partners,
        meeting_at,
        place,
        decisions_asked,
        ..
    } = event
    {
        case.invitations.push(Invitation {
            number: *consultation,
            partners: partners.clone(),
            meeting_at: *meeting_at,
            place: place.clone(),
            decisions_asked: decisions_asked.clone(),
            attendance: Vec::new(),
            interview: None,
            police_report_filed: None,
            closed_at: None,
        });
        return true;
    }
    apply_to_invitation(case, event)
}

fn apply_to_invitation(case: &mut Case, event: &CaseEvent) -> bool {
    let number = match event {
        CaseEvent::PartnerAttendanceRecorded { consultation, .. }
        | CaseEvent::PartnerInterviewDecided { consultation, .. }
        | CaseEvent::PoliceReportDecided { consultation, .. }
        | CaseEvent::PartnerConsultationClosed { consultation, .. } => *consultation,
        _ => return false,
    };
    // Events were decided against the state they follow, so the consultation is there.
    let Some(invitation) = number
        .checked_sub(1)
        .and_then(|index| case.invitations.get_mut(index as usize))
    else {
        return true;
    };
    match event {
        CaseEvent::PartnerAttendanceRecorded {
            partner, attending, ..
        } => {
            invitation.attendance.retain(|(who, _)| who != partner);
            invitation.attendance.push((*partner, *attending));
        }
        CaseEvent::PartnerInterviewDecided {
            partner, decision, ..
        } => invitation.interview = Some((*partner, decision.clone())),
        CaseEvent::PoliceReportDecided { filed, .. } => {
            invitation.police_report_filed = Some(*filed);
        }
        CaseEvent::PartnerConsultationClosed { at, .. } => invitation.closed_at = Some(*at),
        _ => {}
    }
    true
}
