//! The statutory rules as data: one rule set per act, selected by the day a step was taken or
//! its clock started (DOMAIN.md, "Which act": the 2021 act governs pending cases from
//! 2023-01-01), so a report received in 2022 and screened in 2023 opens an investigation under
//! the 2021 act, and each deadline names the paragraph of the act that started it.
//!
//! Deadlines are a table, not code, so a lawyer can read them next to DOMAIN.md and a change
//! in the law is a change of data. Values DOMAIN.md marks "(to confirm)" are in the table with
//! the value given and `to_confirm` naming what is unconfirmed and where the value came from.
//! A `RuleBook` is plain data the shell may build differently (e.g. from configuration).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{self, Due, Length};
use crate::error::DomainError;

/// The act a rule set implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Act {
    /// Barnevernloven 1992 (LOV-1992-07-17-100), for reports received before 2023-01-01.
    ChildWelfareAct1992,
    /// Barnevernsloven 2021 (LOV-2021-06-18-97), for reports received from 2023-01-01.
    ChildWelfareAct2021,
}

impl Act {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ChildWelfareAct1992 => "child_welfare_act_1992",
            Self::ChildWelfareAct2021 => "child_welfare_act_2021",
        }
    }
}

/// Every deadline Vern tracks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    Screening,
    Investigation,
    ReceiptLetter,
    InvestigationOutcomeLetter,
    ConclusionLetter,
    EmergencyApproval,
    EmergencyPetitionCareOrder,
    EmergencyPetitionBehaviourInstitution,
    /// The petition after an emergency placement of a child habitually resident abroad.
    EmergencyPetitionAbroad,
    /// Not a deadline but what a missed petition deadline makes of the decision: it has
    /// lapsed, and the placement has no legal basis until a new decision gives it one.
    EmergencyDecisionLapsed,
    /// A care order carried out (the child placed) within six weeks of the board's decision.
    CareOrderImplementation,
    /// What a care order not carried out in time becomes: lapsed, to go before the board again.
    CareOrderLapsed,
    PlanEvaluation,
    FollowUpVisit,
    /// The independent supervisor's visit to the foster home (tilsynsbesøk).
    SupervisionVisit,
    /// The investigation plan after an emergency decision (new act § 8-2 third paragraph).
    EmergencyInvestigationPlan,
    /// The preliminary care plan before the board decides a care order (old act § 4-15).
    PreliminaryCarePlan,
    /// The care plan after a care order (new act § 8-3 fourth paragraph, old act § 4-15).
    CarePlan,
}

/// One row of DOMAIN.md's deadline table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadlineRule {
    pub kind: DeadlineKind,
    /// Name as users say it.
    pub name: &'static str,
    /// What starts the clock.
    pub starts_at: &'static str,
    pub length: Length,
    /// The longest the deadline may be extended to, where the law allows it.
    pub extended_length: Option<Length>,
    /// What meets (stops) the deadline.
    pub met_by: &'static str,
    pub legal_reference: &'static str,
    /// Set when DOMAIN.md marks the value "(to confirm)": what is unconfirmed and the source.
    pub to_confirm: Option<&'static str>,
    /// Anything else a reader of the table needs (e.g. the registry's own rule).
    pub note: Option<&'static str>,
}

/// How the national registry checks the investigation deadline (`Kravspesifikasjon.md`,
/// "Undersøkelse Kontroll 11"): received + 7 + 90 days, or + 7 + 180 when extended. Vern
/// enforces DOMAIN.md's calendar rule and keeps this only to explain registry warnings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegistryInvestigationRule {
    pub screening_days: u32,
    pub investigation_days: u32,
    pub extended_investigation_days: u32,
}

impl RegistryInvestigationRule {
    /// The last day the registry accepts, counted from the report's received date.
    pub fn last_day(&self, received_on: NaiveDate, extended: bool) -> NaiveDate {
        let days = if extended {
            self.extended_investigation_days
        } else {
            self.investigation_days
        };
        calendar::add_length(received_on, Length::Days(self.screening_days + days))
    }
}

/// Every rule of one act.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleSet {
    pub act: Act,
    /// First day (Oslo) of reports this set judges.
    pub applies_from: NaiveDate,
    /// First day (Oslo) of reports this set no longer judges.
    pub applies_until: Option<NaiveDate>,
    pub screening: DeadlineRule,
    pub investigation: DeadlineRule,
    pub receipt_letter: DeadlineRule,
    pub investigation_outcome_letter: DeadlineRule,
    pub conclusion_letter: DeadlineRule,
    pub emergency_approval: DeadlineRule,
    pub emergency_petition_care_order: DeadlineRule,
    pub emergency_petition_behaviour_institution: DeadlineRule,
    pub emergency_petition_abroad: DeadlineRule,
    pub emergency_decision_lapsed: DeadlineRule,
    /// `extended_length` is `None`: the board's chair extends it to a date of the chair's.
    pub care_order_implementation: DeadlineRule,
    pub care_order_lapsed: DeadlineRule,
    pub plan_evaluation: DeadlineRule,
    /// `length` is the interval at the full rate (4 a year), `extended_length` the interval
    /// once the service has decided, with reasons, that 2 a year is sound; never by itself.
    pub follow_up_visit: DeadlineRule,
    /// As `follow_up_visit`, for the independent supervisor's visits.
    pub supervision_visit: DeadlineRule,
    /// Runs from an emergency decision made under this act, when
    /// `emergency_investigation_plan_required`.
    pub emergency_investigation_plan: DeadlineRule,
    /// Runs from a care order proposed to the board under this act, when
    /// `preliminary_care_plan_required`.
    pub preliminary_care_plan: DeadlineRule,
    /// Runs from the board's care order; the chair's extension of the time to carry the order
    /// out moves it too.
    pub care_plan: DeadlineRule,
    /// Whether an emergency decision asks for an investigation plan (the 2021 act's § 8-2
    /// third paragraph, registry plan type 8 from 2023-01-01).
    pub emergency_investigation_plan_required: bool,
    /// Whether a care order proposed to the board asks for a preliminary care plan (the 1992
    /// act's § 4-15 third paragraph; registry plan type 3, valid until 2022-12-31).
    pub preliminary_care_plan_required: bool,
    /// How long a child must have been placed before either rate may be reduced by decision.
    pub reduced_visits_after: Length,
    /// Whether concluding an investigation requires an investigation plan (new act § 2-2
    /// third paragraph; the 1992 act had no such duty).
    pub investigation_plan_required: bool,
    /// Whether the investigation's months count from the screening's conclusion when it came
    /// before the screening week was out (the 1992 act's practice, which the registry's code
    /// list keeps: Kodelister, Melding/Konklusjon code 2, "konklusjonsdato melding (eventuelt
    /// 7 dager etter mottatt melding) er startdato undersøkelse"), rather than from the end of
    /// the week (new act § 2-2: "tre måneder etter at fristen for gjennomgang ... løp ut").
    pub investigation_counts_from_screening: bool,
    pub registry_investigation_rule: RegistryInvestigationRule,
}

impl RuleSet {
    /// The whole deadline table, for display and documentation.
    pub fn deadlines(&self) -> [&DeadlineRule; 18] {
        [
            &self.screening,
            &self.investigation,
            &self.receipt_letter,
            &self.investigation_outcome_letter,
            &self.conclusion_letter,
            &self.emergency_approval,
            &self.emergency_petition_care_order,
            &self.emergency_petition_behaviour_institution,
            &self.emergency_petition_abroad,
            &self.emergency_decision_lapsed,
            &self.care_order_implementation,
            &self.care_order_lapsed,
            &self.plan_evaluation,
            &self.follow_up_visit,
            &self.supervision_visit,
            &self.emergency_investigation_plan,
            &self.preliminary_care_plan,
            &self.care_plan,
        ]
    }

    pub fn deadline(&self, kind: DeadlineKind) -> &DeadlineRule {
        match kind {
            DeadlineKind::Screening => &self.screening,
            DeadlineKind::Investigation => &self.investigation,
            DeadlineKind::ReceiptLetter => &self.receipt_letter,
            DeadlineKind::InvestigationOutcomeLetter => &self.investigation_outcome_letter,
            DeadlineKind::ConclusionLetter => &self.conclusion_letter,
            DeadlineKind::EmergencyApproval => &self.emergency_approval,
            DeadlineKind::EmergencyPetitionCareOrder => &self.emergency_petition_care_order,
            DeadlineKind::EmergencyPetitionBehaviourInstitution => {
                &self.emergency_petition_behaviour_institution
            }
            DeadlineKind::EmergencyPetitionAbroad => &self.emergency_petition_abroad,
            DeadlineKind::EmergencyDecisionLapsed => &self.emergency_decision_lapsed,
            DeadlineKind::CareOrderImplementation => &self.care_order_implementation,
            DeadlineKind::CareOrderLapsed => &self.care_order_lapsed,
            DeadlineKind::PlanEvaluation => &self.plan_evaluation,
            DeadlineKind::FollowUpVisit => &self.follow_up_visit,
            DeadlineKind::SupervisionVisit => &self.supervision_visit,
            DeadlineKind::EmergencyInvestigationPlan => &self.emergency_investigation_plan,
            DeadlineKind::PreliminaryCarePlan => &self.preliminary_care_plan,
            DeadlineKind::CarePlan => &self.care_plan,
        }
    }

    /// Screening: one week from the day the report was received.
    pub fn screening_due(&self, received_at: DateTime<Utc>) -> Due {
        calendar::due_from_instant(received_at, self.screening.length)
    }

    /// The day the investigation deadline counts from, for a report received at
    /// `received_at` and screened at `screened_at`: the end of the screening week, or under
    /// the 1992 act the screening's day when that came first.
    pub fn investigation_counts_from(
        &self,
        received_at: DateTime<Utc>,
        screened_at: DateTime<Utc>,
    ) -> NaiveDate {
        let week_out =
            calendar::add_length(calendar::oslo_date(received_at), self.screening.length);
        if self.investigation_counts_from_screening {
            week_out.min(calendar::oslo_date(screened_at))
        } else {
            week_out
        }
    }

    /// Investigation: 3 months (or the extended length) from the end of the screening week.
    pub fn investigation_due(&self, counts_from: NaiveDate, extended_to: Option<Length>) -> Due {
        calendar::due_from_date(
            counts_from,
            extended_to.unwrap_or(self.investigation.length),
        )
    }

    /// The longest an investigation may run, in months.
    pub fn max_investigation_months(&self) -> u32 {
        match self
            .investigation
            .extended_length
            .unwrap_or(self.investigation.length)
        {
            Length::Months(months) => months,
            // The table is in months for both acts; any other unit allows no extension.
            _ => 0,
        }
    }
}

/// The rule sets of both acts; picks one by a report's received date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleBook {
    pub act_1992: RuleSet,
    pub act_2021: RuleSet,
}

impl Default for RuleBook {
    fn default() -> Self {
        Self::norwegian()
    }
}

impl RuleBook {
    /// The rules as DOMAIN.md states them.
    pub fn norwegian() -> Self {
        Self {
            act_1992: norwegian::act_1992(),
            act_2021: norwegian::act_2021(),
        }
    }

    pub fn for_act(&self, act: Act) -> &RuleSet {
        match act {
            Act::ChildWelfareAct1992 => &self.act_1992,
            Act::ChildWelfareAct2021 => &self.act_2021,
        }
    }

    /// The set in force for a report received on `date` (an Oslo date).
    pub fn for_received_on(&self, date: NaiveDate) -> Result<&RuleSet, DomainError> {
        [&self.act_2021, &self.act_1992]
            .into_iter()
            .find(|set| {
                date >= set.applies_from && set.applies_until.is_none_or(|until| date < until)
            })
            .ok_or(DomainError::NoRuleSetInForce { date })
    }

    /// The set in force for a report received at `instant` (counted as an Oslo date).
    pub fn for_received_at(&self, instant: DateTime<Utc>) -> Result<&RuleSet, DomainError> {
        self.for_received_on(calendar::oslo_date(instant))
    }

    /// The set in force at `instant` (an Oslo date), for a step taken or a clock started
    /// then: the 2021 act governs pending cases from 2023-01-01, and the transitional rules
    /// made under its § 18-1 touch none of the deadlines here (they concern the waiting periods
    /// in contact and return cases and institution placements past 18: regjeringen.no,
    /// "Orientering om overgangsregler til ny barnevernslov", 2022). A step dated before the
    /// 1992 act is refused where it enters (a report's receipt); here it takes the oldest set.
    pub fn in_force_at(&self, instant: DateTime<Utc>) -> &RuleSet {
        self.in_force_on(calendar::oslo_date(instant))
    }

    /// [`Self::in_force_at`] for a step dated by its day.
    pub fn in_force_on(&self, date: NaiveDate) -> &RuleSet {
        self.for_received_on(date).unwrap_or(&self.act_1992)
    }
}

mod norwegian;
#[cfg(test)]
mod tests;
