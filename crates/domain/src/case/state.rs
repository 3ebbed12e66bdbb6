//! A case folded from its events: what `decide` checks a command against, and what the
//! deadlines, letters and registry read.

use chrono::{DateTime, NaiveDate, Utc};

use super::vocabulary::{
    ActivityKind, BoardOutcome, BoardProposalKind, CarePlacement, CloseReason, ConclusionOutcome,
    ConsultationOutcome, ConsultationPartner, EmergencyDecisionKind, EvaluationChecklist,
    ForensicInterviewOutcome, InvestigationPlan, MeasureKind, MeasurePlan, ReportReference,
    VisitKind,
};
use crate::calendar::{self, Due, Length};
use crate::error::DomainError;
use crate::ids::{CaseId, ReportId};
use crate::municipality::MunicipalityNumber;
use crate::report::ScreeningOutcome;
use crate::rules::{DeadlineRule, RuleBook, RuleSet};
use crate::values::{Assignee, ChildIdentity, Urgency};

// Not boxed: a state is folded once per command and `NotOpened` only lives until the first event.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, Default, PartialEq)]
pub enum CaseState {
    #[default]
    NotOpened,
    Opened(Case),
}

impl CaseState {
    pub fn case(&self) -> Option<&Case> {
        match self {
            Self::NotOpened => None,
            Self::Opened(case) => Some(case),
        }
    }

    /// Opened and not closed.
    pub fn is_open(&self) -> bool {
        self.case().is_some_and(|case| case.closed.is_none())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    pub id: CaseId,
    pub child: ChildIdentity,
    pub municipality: MunicipalityNumber,
    pub opened_at: DateTime<Utc>,
    pub urgency: Urgency,
    pub assignee: Option<Assignee>,
    pub reports: Vec<LinkedReport>,
    /// Every investigation, the current one last.
    pub investigations: Vec<Investigation>,
    pub consultations: Vec<Consultation>,
    /// Consultations the partners were invited to through the partner API; `n` at `n - 1`.
    pub invitations: Vec<crate::partner::Invitation>,
    pub forensic_interviews: Vec<ForensicInterviewRecord>,
    pub police_reports: Vec<DateTime<Utc>>,
    /// Measure `n` is at index `n - 1`.
    pub measures: Vec<Measure>,
    /// Emergency decision `n` is at index `n - 1`.
    pub emergency_decisions: Vec<EmergencyDecision>,
    pub board_proposals: Vec<BoardProposal>,
    pub care_order_granted_on: Option<NaiveDate>,
    /// The latest care order's implementation: carried out, extended, lapsed.
    pub care_order: CareOrderImplementation,
    pub care_plan: Option<CarePlan>,
    /// The preliminary care plan for the care order before the board (old act § 4-15 third
    /// paragraph), until the board decides.
    pub preliminary_care_plan_on: Option<NaiveDate>,
    pub follow_up_visits: Vec<NaiveDate>,
    pub supervision_visits: Vec<NaiveDate>,
    /// Since when the service decided 2 follow-up visits a year are sound (`None`: 4).
    pub follow_up_reduced_since: Option<NaiveDate>,
    /// Since when the supervisor's visits were reduced to 2 a year by decision (`None`: 4).
    pub supervision_reduced_since: Option<NaiveDate>,
    pub closed: Option<(CloseReason, DateTime<Utc>)>,
    /// When its latest step was taken: a step dated back may not come before it.
    pub last_step_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LinkedReport {
    pub report: ReportReference,
    pub outcome: ScreeningOutcome,
    pub emergency_action: bool,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Investigation {
    pub opened_by: ReportReference,
    /// Reports followed up in this investigation: the one that opened it and those screened
    /// as concerning it (code 4).
    pub reports: Vec<ReportId>,
    pub counts_from: NaiveDate,
    pub opened_at: DateTime<Utc>,
    pub plan: Option<InvestigationPlan>,
    pub activities: Vec<(ActivityKind, NaiveDate)>,
    pub extended_to_months: Option<u32>,
    pub conclusion: Option<(ConclusionOutcome, DateTime<Utc>)>,
}

impl Investigation {
    pub fn is_open(&self) -> bool {
        self.conclusion.is_none()
    }

    /// The rules it runs under: those of the act in force on the day its clock started (the
    /// screening that opened it), whatever act the report came under.
    pub fn rules<'r>(&self, book: &'r RuleBook) -> &'r RuleSet {
        book.in_force_at(self.opened_at)
    }

    /// The investigation deadline under `rules` (the set it runs under, [`Self::rules`]).
    pub fn due(&self, rules: &RuleSet) -> Due {
        rules.investigation_due(
            self.counts_from,
            self.extended_to_months.map(Length::Months),
        )
    }

    pub(super) fn current_months(&self, rules: &RuleSet) -> u32 {
        match (self.extended_to_months, rules.investigation.length) {
            (Some(months), _) => months,
            (None, Length::Months(months)) => months,
            (None, _) => 0,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Consultation {
    pub partners: Vec<ConsultationPartner>,
    pub held_on: NaiveDate,
    pub outcome: ConsultationOutcome,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ForensicInterviewRecord {
    pub outcome: ForensicInterviewOutcome,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Measure {
    pub number: u32,
    pub kind: MeasureKind,
    pub plan: MeasurePlan,
    pub next_evaluation_on: NaiveDate,
    pub plan_set_at: DateTime<Utc>,
    pub evaluations: Vec<(EvaluationChecklist, DateTime<Utc>)>,
    pub ended_at: Option<DateTime<Utc>>,
}

impl Measure {
    pub fn is_active(&self) -> bool {
        self.ended_at.is_none()
    }

    pub(super) fn evaluated_since_plan(&self) -> bool {
        self.evaluations
            .last()
            .is_some_and(|(_, at)| *at >= self.plan_set_at)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct EmergencyDecision {
    pub number: u32,
    pub kind: EmergencyDecisionKind,
    pub made_at: DateTime<Utc>,
    pub ruling: Option<(bool, DateTime<Utc>)>,
    pub petition_sent_at: Option<DateTime<Utc>>,
    /// The child is habitually resident abroad: the new act's longer petition limit.
    pub abroad: bool,
    /// When it lapsed for want of a petition (the end of the petition deadline's last day).
    pub lapsed_at: Option<DateTime<Utc>>,
    /// The day the investigation plan after it was made (new act § 8-2 third paragraph).
    pub plan_made_on: Option<NaiveDate>,
}

impl EmergencyDecision {
    /// The rules of the act in force on the day it was made.
    pub fn rules<'r>(&self, book: &'r RuleBook) -> &'r RuleSet {
        book.in_force_at(self.made_at)
    }

    pub fn is_refused(&self) -> bool {
        matches!(self.ruling, Some((false, _)))
    }

    pub fn approval_due(&self, rules: &RuleSet) -> Due {
        calendar::due_from_instant(self.made_at, rules.emergency_approval.length)
    }

    /// The petition deadline's row of the rule table: by the decision's kind, and for a
    /// placement of a child resident abroad the longer limit.
    pub fn petition_rule<'r>(&self, rules: &'r RuleSet) -> &'r DeadlineRule {
        match self.kind {
            EmergencyDecisionKind::Placement if self.abroad => &rules.emergency_petition_abroad,
            EmergencyDecisionKind::Placement => &rules.emergency_petition_care_order,
            EmergencyDecisionKind::BehaviourInstitution => {
                &rules.emergency_petition_behaviour_institution
            }
        }
    }

    pub fn petition_due(&self, rules: &RuleSet) -> Due {
        calendar::due_from_instant(self.made_at, self.petition_rule(rules).length)
    }

    /// Whether its petition clock still runs: not refused, no petition, not lapsed.
    pub fn awaits_petition(&self) -> bool {
        !self.is_refused() && self.petition_sent_at.is_none() && self.lapsed_at.is_none()
    }

    /// Whether it still asks for its investigation plan: made under an act that requires one,
    /// not refused or lapsed, no plan yet.
    pub fn owes_plan(&self, book: &RuleBook) -> bool {
        self.rules(book).emergency_investigation_plan_required
            && !self.is_refused()
            && self.lapsed_at.is_none()
            && self.plan_made_on.is_none()
    }

    pub fn plan_due(&self, rules: &RuleSet) -> Due {
        calendar::due_from_instant(self.made_at, rules.emergency_investigation_plan.length)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct BoardProposal {
    pub kind: BoardProposalKind,
    pub sent_at: DateTime<Utc>,
    pub decision: Option<(BoardOutcome, NaiveDate)>,
}

/// Whether the latest care order has been carried out (the child placed) in time.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CareOrderImplementation {
    pub carried_out_on: Option<NaiveDate>,
    /// The last day the board's chair allowed instead of the six weeks.
    pub extended_to: Option<NaiveDate>,
    pub lapsed_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CarePlan {
    pub placement: CarePlacement,
    pub placed_on: NaiveDate,
}

impl Case {
    pub fn open_investigation(&self) -> Option<&Investigation> {
        self.investigations
            .last()
            .filter(|investigation| investigation.is_open())
    }

    pub fn has_active_measure(&self) -> bool {
        self.measures.iter().any(Measure::is_active)
    }

    pub fn pending_board_proposal(&self) -> Option<&BoardProposal> {
        self.board_proposals
            .last()
            .filter(|proposal| proposal.decision.is_none())
    }

    /// The latest emergency decision still asking for its investigation plan.
    pub fn emergency_plan_owed(&self, book: &RuleBook) -> Option<&EmergencyDecision> {
        self.emergency_decisions
            .iter()
            .rev()
            .find(|decision| decision.owes_plan(book))
    }

    /// The preliminary care plan's deadline while it runs: a care order before the board,
    /// proposed under an act that asks for the plan, and no plan yet.
    pub fn preliminary_care_plan_due<'r>(
        &self,
        book: &'r RuleBook,
    ) -> Option<(Due, &'r DeadlineRule)> {
        let proposal = self
            .pending_board_proposal()
            .filter(|proposal| proposal.kind == BoardProposalKind::CareOrder)?;
        let rules = book.in_force_at(proposal.sent_at);
        (rules.preliminary_care_plan_required && self.preliminary_care_plan_on.is_none()).then(
            || {
                let rule = &rules.preliminary_care_plan;
                (
                    calendar::due_from_instant(proposal.sent_at, rule.length),
                    rule,
                )
            },
        )
    }

    /// The care plan's deadline while it runs: a care order granted and not lapsed, no care
    /// plan yet. The chair's extension of the time to carry the order out moves it too.
    pub fn care_plan_due<'r>(&self, book: &'r RuleBook) -> Option<(Due, &'r DeadlineRule)> {
        let granted_on = self.care_order_granted_on?;
        if self.care_plan.is_some() || self.care_order.lapsed_at.is_some() {
            return None;
        }
        let rule = &book.in_force_on(granted_on).care_plan;
        let due = match self.care_order.extended_to {
            Some(last_day) => Due {
                last_day,
                breached_from: calendar::end_of_oslo_day(last_day),
            },
            None => calendar::due_from_date(granted_on, rule.length),
        };
        Some((due, rule))
    }

    pub(super) fn measure(&self, number: u32) -> Result<&Measure, DomainError> {
        let measure = self
            .measures
            .get((number as usize).wrapping_sub(1))
            .ok_or(DomainError::MeasureNotFound { number })?;
        if !measure.is_active() {
            return Err(DomainError::MeasureEnded { number });
        }
        Ok(measure)
    }

    pub(super) fn emergency_decision(
        &self,
        number: u32,
    ) -> Result<&EmergencyDecision, DomainError> {
        self.emergency_decisions
            .get((number as usize).wrapping_sub(1))
            .ok_or(DomainError::EmergencyDecisionNotFound { number })
    }

    /// The emergency decisions whose petition deadline has passed by `at` with nothing to stop
    /// it: each with the moment it lapsed (old act § 4-6 fifth paragraph; new act §§ 4-2, 4-4).
    /// The board's decision on a proposal, recorded before then, also stops the clock.
    pub fn lapses_by(&self, book: &RuleBook, at: DateTime<Utc>) -> Vec<(u32, DateTime<Utc>)> {
        self.emergency_decisions
            .iter()
            .filter(|decision| decision.awaits_petition())
            .filter_map(|decision| {
                let due = decision.petition_due(decision.rules(book));
                let decided_by_board = self.board_proposals.iter().any(|proposal| {
                    proposal.decision.is_some_and(|(_, on)| {
                        on >= calendar::oslo_date(decision.made_at) && on <= due.last_day
                    })
                });
                (due.is_breached_at(at) && !decided_by_board)
                    .then_some((decision.number, due.breached_from))
            })
            .collect()
    }

    /// The day the child was placed in a foster home, if it lives in one: by the care plan's
    /// placement, or a voluntary foster home measure that runs.
    pub fn foster_placed_on(&self) -> Option<NaiveDate> {
        self.care_plan
            .as_ref()
            .filter(|plan| plan.placement == CarePlacement::FosterHome)
            .map(|plan| plan.placed_on)
            .or_else(|| {
                self.measures
                    .iter()
                    .filter(|measure| {
                        measure.is_active() && measure.kind == MeasureKind::FosterHome
                    })
                    .map(|measure| measure.plan.starts_on)
                    .min()
            })
    }

    /// A kind of visit's record: the visits made and since when its rate was reduced.
    pub fn visits(&self, kind: VisitKind) -> (&[NaiveDate], Option<NaiveDate>) {
        match kind {
            VisitKind::FollowUp => (&self.follow_up_visits, self.follow_up_reduced_since),
            VisitKind::Supervision => (&self.supervision_visits, self.supervision_reduced_since),
        }
    }

    /// The care order's implementation deadline while it runs: granted, not carried out, not
    /// lapsed. The six weeks count from the board's decision, unless its chair extended them.
    pub fn care_order_due<'r>(&self, book: &'r RuleBook) -> Option<(Due, &'r DeadlineRule)> {
        if self.care_order.lapsed_at.is_some() {
            return None;
        }
        let granted_on = self.care_order_granted_on?;
        self.care_order_due_ignoring_lapse(book)
            .map(|due| (due, &book.in_force_on(granted_on).care_order_implementation))
            .filter(|_| self.care_order.carried_out_on.is_none())
    }

    /// The implementation deadline as the board set it, lapsed or not; `None` without a care
    /// order.
    pub fn care_order_due_ignoring_lapse(&self, book: &RuleBook) -> Option<Due> {
        let granted_on = self.care_order_granted_on?;
        let implementation = &self.care_order;
        let rule = &book.in_force_on(granted_on).care_order_implementation;
        Some(match implementation.extended_to {
            Some(last_day) => Due {
                last_day,
                breached_from: calendar::end_of_oslo_day(last_day),
            },
            None => calendar::due_from_date(granted_on, rule.length),
        })
    }

    /// Whether the board decided anything on or after `lapsed_at`'s day: a care order that
    /// lapsed has gone before it again.
    pub fn board_decided_since(&self, lapsed_at: DateTime<Utc>) -> bool {
        self.board_proposals.iter().any(|proposal| {
            proposal
                .decision
                .is_some_and(|(_, on)| on >= calendar::oslo_date(lapsed_at))
        })
    }

    /// Whether a decision taken after `lapsed_at` gave the child's placement a legal basis
    /// again: a later emergency decision or the board's decision.
    pub fn decided_since(&self, lapsed_at: DateTime<Utc>) -> bool {
        self.emergency_decisions
            .iter()
            .any(|decision| decision.made_at > lapsed_at)
            || self.board_decided_since(lapsed_at)
    }

    pub(super) fn next_number(count: usize) -> u32 {
        u32::try_from(count + 1).unwrap_or(u32::MAX)
    }
}
