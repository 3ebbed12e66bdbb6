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
    pub fn deadlines(&self) -> [&DeadlineRule; 15] {
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
            act_1992: act_1992(),
            act_2021: act_2021(),
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

const NEW_ACT_FIRST_DAY: (i32, u32, u32) = (2023, 1, 1);
const OLD_ACT_FIRST_DAY: (i32, u32, u32) = (1993, 1, 1);

fn ymd((year, month, day): (i32, u32, u32)) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or(NaiveDate::MIN)
}

const REGISTRY_RULE: RegistryInvestigationRule = RegistryInvestigationRule {
    screening_days: 7,
    investigation_days: 90,
    extended_investigation_days: 180,
};

const REGISTRY_NOTE: &str = "the national registry checks received + 7 + 90 days (+ 7 + 180 when \
    extended), Kravspesifikasjon.md 'Undersøkelse Kontroll 11'; its own TODO says it should be \
    3/6 months. Vern counts DOMAIN.md's calendar months, which can be a day or two later";

const LETTER_MET_BY: &str = "letter sent";

/// Barnevernloven 1992, for reports received 1993-01-01 to 2022-12-31.
fn act_1992() -> RuleSet {
    RuleSet {
        act: Act::ChildWelfareAct1992,
        applies_from: ymd(OLD_ACT_FIRST_DAY),
        applies_until: Some(ymd(NEW_ACT_FIRST_DAY)),
        screening: DeadlineRule {
            kind: DeadlineKind::Screening,
            name: "screening (gjennomgang av melding)",
            starts_at: "report received",
            length: Length::Weeks(1),
            extended_length: None,
            met_by: "screening decision",
            legal_reference: "barnevernloven 1992 § 4-2",
            to_confirm: None,
            note: None,
        },
        investigation: DeadlineRule {
            kind: DeadlineKind::Investigation,
            name: "investigation (undersøkelse)",
            starts_at: "the screening's conclusion, or the end of the screening week (report received + 7 days) if that came first",
            length: Length::Months(3),
            extended_length: Some(Length::Months(6)),
            met_by: "conclusion: measures decided, case dismissed or petition sent to the board",
            legal_reference: "barnevernloven 1992 § 4-3, § 6-9",
            to_confirm: None,
            note: Some(REGISTRY_NOTE),
        },
        receipt_letter: DeadlineRule {
            kind: DeadlineKind::ReceiptLetter,
            name: "receipt feedback to reporter",
            starts_at: "report received",
            length: Length::Weeks(3),
            extended_length: None,
            met_by: LETTER_MET_BY,
            legal_reference: "barnevernloven 1992 § 6-7a",
            to_confirm: None,
            note: None,
        },
        investigation_outcome_letter: DeadlineRule {
            kind: DeadlineKind::InvestigationOutcomeLetter,
            name: "feedback whether an investigation was opened (public reporter)",
            starts_at: "report received",
            length: Length::Weeks(3),
            extended_length: None,
            met_by: LETTER_MET_BY,
            legal_reference: "barnevernloven 1992 § 6-7a",
            to_confirm: None,
            note: Some("the same letter as the receipt when possible"),
        },
        conclusion_letter: DeadlineRule {
            kind: DeadlineKind::ConclusionLetter,
            name: "feedback on conclusion (public reporter, investigation opened)",
            starts_at: "investigation concluded",
            length: Length::Weeks(3),
            extended_length: None,
            met_by: LETTER_MET_BY,
            legal_reference: "barnevernloven 1992 § 6-7a",
            to_confirm: None,
            note: None,
        },
        emergency_approval: DeadlineRule {
            kind: DeadlineKind::EmergencyApproval,
            name: "board approval of emergency decision (akuttvedtak)",
            starts_at: "decision sent to the board (at once after it is made)",
            length: Length::Hours(48),
            extended_length: None,
            met_by: "approval or refusal recorded",
            legal_reference: "barnevernloven 1992 § 4-6, § 7-22",
            to_confirm: None,
            note: Some(
                "the board approves 'as soon as possible, if possible within 48 hours' (bvhn.no): a target, so a breach is a warning, not a lapse",
            ),
        },
        emergency_petition_care_order: DeadlineRule {
            kind: DeadlineKind::EmergencyPetitionCareOrder,
            name: "petition after emergency placement (care order)",
            starts_at: "the emergency decision",
            length: Length::Weeks(6),
            extended_length: None,
            met_by: "petition sent to the board; otherwise the decision lapses (bortfaller)",
            // "senest innen seks uker" (fourth paragraph), "faller vedtaket bort" (fifth).
            legal_reference: "barnevernloven 1992 § 4-6 fourth and fifth paragraphs",
            to_confirm: None,
            note: None,
        },
        emergency_petition_behaviour_institution: DeadlineRule {
            kind: DeadlineKind::EmergencyPetitionBehaviourInstitution,
            name: "petition after emergency placement (behaviour institution)",
            starts_at: "the emergency decision",
            length: Length::Weeks(2),
            extended_length: None,
            met_by: "petition sent to the board; otherwise the decision lapses (bortfaller)",
            // § 4-6 fourth paragraph: "men innen to uker hvis det gjelder tiltak etter § 4-24";
            // § 4-25 applies § 4-6's deadlines to the emergency institution placement.
            legal_reference: "barnevernloven 1992 § 4-6 fourth and fifth paragraphs, § 4-25",
            to_confirm: None,
            note: None,
        },
        emergency_petition_abroad: DeadlineRule {
            kind: DeadlineKind::EmergencyPetitionAbroad,
            name: "petition after emergency placement (child habitually resident abroad)",
            starts_at: "the emergency decision",
            length: Length::Weeks(6),
            extended_length: None,
            met_by: "petition sent to the board; otherwise the decision lapses (bortfaller)",
            legal_reference: "barnevernloven 1992 § 4-6 fourth and fifth paragraphs",
            to_confirm: None,
            note: Some("the 1992 act has no longer limit for a child resident abroad: 6 weeks"),
        },
        emergency_decision_lapsed: DeadlineRule {
            kind: DeadlineKind::EmergencyDecisionLapsed,
            name: "the emergency decision has lapsed: the placement has no legal basis",
            starts_at: "the petition deadline passed without a petition",
            length: Length::Hours(0),
            extended_length: None,
            met_by: "a new decision (a new emergency decision or the board's) or the case closed",
            legal_reference: "barnevernloven 1992 § 4-6 fifth paragraph ('faller vedtaket bort')",
            to_confirm: None,
            note: Some(
                "breached from the moment it lapses: the child must be returned or a new decision made",
            ),
        },
        // § 4-13: "Vedtaket faller bort dersom det ikke er satt i verk innen seks uker fra
        // vedtakstidspunktet. Fylkesnemndas leder kan forlenge fristen når særlige grunner
        // tilsier det" (advokatwulff.no); the extension must come before the time runs out
        // (barnerettsadvokater.no, commentary to § 4-13).
        care_order_implementation: DeadlineRule {
            kind: DeadlineKind::CareOrderImplementation,
            name: "care order carried out (iverksetting av omsorgsovertakelse)",
            starts_at: "the board's decision",
            length: Length::Weeks(6),
            extended_length: None,
            met_by: "the child placed; the board's chair may extend the time before it runs out; otherwise the order lapses (faller bort)",
            legal_reference: "barnevernloven 1992 § 4-13",
            to_confirm: None,
            note: None,
        },
        care_order_lapsed: DeadlineRule {
            kind: DeadlineKind::CareOrderLapsed,
            name: "the care order has lapsed: it must go before the board again",
            starts_at: "the implementation deadline passed with the child not placed",
            length: Length::Hours(0),
            extended_length: None,
            met_by: "a new decision of the board, or the case closed",
            legal_reference: "barnevernloven 1992 § 4-13",
            to_confirm: None,
            note: None,
        },
        plan_evaluation: DeadlineRule {
            kind: DeadlineKind::PlanEvaluation,
            name: "measure plan evaluation",
            starts_at: "plan made or last evaluated",
            length: Length::Months(3),
            extended_length: None,
            met_by: "evaluation recorded",
            legal_reference: "barnevernloven 1992 § 4-5; guideline Q-0982",
            to_confirm: None,
            note: Some(
                "the date set in the plan wins; 3 months is the default ('as a main rule every quarter')",
            ),
        },
        follow_up_visit: DeadlineRule {
            legal_reference: "fosterhjemsforskriften 2003 § 7",
            ..follow_up_visit_rule()
        },
        supervision_visit: DeadlineRule {
            legal_reference: "fosterhjemsforskriften 2003 §§ 8-9",
            ..supervision_visit_rule()
        },
        reduced_visits_after: Length::Months(24),
        investigation_plan_required: false,
        investigation_counts_from_screening: true,
        registry_investigation_rule: REGISTRY_RULE,
    }
}

/// Barnevernsloven 2021, for reports received from 2023-01-01.
fn act_2021() -> RuleSet {
    let old = act_1992();
    RuleSet {
        act: Act::ChildWelfareAct2021,
        applies_from: ymd(NEW_ACT_FIRST_DAY),
        applies_until: None,
        screening: DeadlineRule {
            legal_reference: "barnevernsloven 2021 § 2-1 ('snarest, og senest innen en uke')",
            ..old.screening
        },
        investigation: DeadlineRule {
            starts_at: "end of the screening week (report received + 7 days)",
            legal_reference: "barnevernsloven 2021 § 2-2",
            ..old.investigation
        },
        receipt_letter: DeadlineRule {
            legal_reference: "barnevernsloven 2021 § 13-4",
            to_confirm: Some("paragraph § 13-4 (DOMAIN.md deadline table)"),
            ..old.receipt_letter
        },
        investigation_outcome_letter: DeadlineRule {
            legal_reference: "barnevernsloven 2021 § 13-4",
            to_confirm: Some("paragraph § 13-4 (DOMAIN.md deadline table)"),
            ..old.investigation_outcome_letter
        },
        conclusion_letter: DeadlineRule {
            legal_reference: "barnevernsloven 2021 § 13-4",
            to_confirm: Some("paragraph § 13-4 (DOMAIN.md deadline table)"),
            ..old.conclusion_letter
        },
        emergency_approval: DeadlineRule {
            legal_reference: "barnevernsloven 2021 § 4-2 (emergency move), § 4-4 (behaviour institution)",
            ..old.emergency_approval
        },
        // § 4-2: the petition within six weeks of the decision, or it lapses (barnerettsbloggen.no,
        // "Om akuttvedtak av barnevernet"); DOMAIN.md's "ch. 4 (to confirm paragraph)" is § 4-2.
        emergency_petition_care_order: DeadlineRule {
            legal_reference: "barnevernsloven 2021 § 4-2",
            to_confirm: None,
            ..old.emergency_petition_care_order
        },
        emergency_petition_behaviour_institution: DeadlineRule {
            legal_reference: "barnevernsloven 2021 § 4-4",
            to_confirm: Some(
                "2 weeks, carried over from the 1992 act (DOMAIN.md 'At the edges': § 4-4, \
                2 weeks unconfirmed)",
            ),
            ..old.emergency_petition_behaviour_institution
        },
        emergency_petition_abroad: DeadlineRule {
            length: Length::Months(6),
            legal_reference: "barnevernsloven 2021 § 4-2",
            to_confirm: Some(
                "6 months (DOMAIN.md 'At the edges', barnerettsbloggen.no); the paragraph within \
                § 4-2 unconfirmed",
            ),
            note: Some(
                "only where within the same 6 months Norwegian authorities asked the state of \
                residence for protective measures or decided to seek jurisdiction under the 1996 \
                Hague Convention: the caseworker says so when making the decision",
            ),
            ..old.emergency_petition_abroad
        },
        emergency_decision_lapsed: DeadlineRule {
            legal_reference: "barnevernsloven 2021 § 4-2 (emergency placement), § 4-4 (institution)",
            ..old.emergency_decision_lapsed
        },
        care_order_implementation: DeadlineRule {
            legal_reference: "barnevernsloven 2021 § 5-3",
            to_confirm: Some(
                "the paragraph (DOMAIN.md 'At the edges': find the new act's equivalent of § 4-13): \
                § 5-3 by the act's layout, not read in the act's text here; the six weeks and the \
                chair's extension carried over from the 1992 act",
            ),
            ..old.care_order_implementation
        },
        care_order_lapsed: DeadlineRule {
            legal_reference: "barnevernsloven 2021 § 5-3",
            to_confirm: Some("the paragraph, as for the implementation deadline (DOMAIN.md)"),
            ..old.care_order_lapsed
        },
        plan_evaluation: DeadlineRule {
            legal_reference: "barnevernsloven 2021 (paragraph to confirm); guideline Q-0982",
            to_confirm: Some("paragraph (DOMAIN.md deadline table)"),
            ..old.plan_evaluation
        },
        // The 2003 regulations applied under the 2021 act until the new ones (forskrift om
        // fosterhjem, adopted 2023-10-13, regjeringen.no) replaced them; both keep 4 a year
        // and a reduction only by decision (DOMAIN.md "At the edges").
        follow_up_visit: DeadlineRule {
            legal_reference: "forskrift om fosterhjem 2023 (follow-up visits); before it, fosterhjemsforskriften 2003 § 7",
            to_confirm: Some(
                "the paragraph of the 2023 regulations and the day they took effect \
                (DOMAIN.md 'At the edges'); the rates carried over from the 2003 regulations § 7",
            ),
            ..follow_up_visit_rule()
        },
        supervision_visit: DeadlineRule {
            legal_reference: "forskrift om fosterhjem 2023 (supervision); before it, fosterhjemsforskriften 2003 §§ 8-9",
            to_confirm: Some(
                "the paragraph of the 2023 regulations (DOMAIN.md 'At the edges'); the rates \
                carried over from the 2003 regulations §§ 8-9",
            ),
            ..supervision_visit_rule()
        },
        reduced_visits_after: old.reduced_visits_after,
        investigation_plan_required: true,
        investigation_counts_from_screening: false,
        registry_investigation_rule: REGISTRY_RULE,
    }
}

/// The service's follow-up visits to a foster home (care order or voluntary placement):
/// 4 a year, evenly spread (one per 3 months); 2 a year (one per 6 months) only once the
/// service has decided, with reasons, that this is sound for a child placed more than 2 years
/// (old regulations § 7; regjeringen.no). DOMAIN.md's table had it happen by itself after two
/// years; its "At the edges" section and the regulations say otherwise, and win.
fn follow_up_visit_rule() -> DeadlineRule {
    DeadlineRule {
        kind: DeadlineKind::FollowUpVisit,
        name: "follow-up visit in foster care (oppfølgingsbesøk)",
        starts_at: "placement, then each visit",
        length: Length::Months(3),
        extended_length: Some(Length::Months(6)),
        met_by: "visit recorded",
        legal_reference: "",
        to_confirm: None,
        note: Some(
            "'4 a year' read as one visit per 3 months (2 a year: per 6 months); reduced only by \
            a recorded decision, for a child placed more than 2 years",
        ),
    }
}

/// The independent supervisor's visits (tilsynsbesøk): 4 a year, fewer only by decision
/// (old regulations §§ 8-9; DOMAIN.md "At the edges").
fn supervision_visit_rule() -> DeadlineRule {
    DeadlineRule {
        kind: DeadlineKind::SupervisionVisit,
        name: "supervision visit in foster care (tilsynsbesøk)",
        starts_at: "placement, then each visit",
        length: Length::Months(3),
        extended_length: Some(Length::Months(6)),
        met_by: "visit recorded",
        legal_reference: "",
        to_confirm: None,
        note: Some(
            "'4 a year' read as one visit per 3 months; reduced only by a recorded decision",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_received_either_side_of_new_year_2023_get_their_own_act() {
        let book = RuleBook::norwegian();
        let before = NaiveDate::from_ymd_opt(2022, 12, 31).unwrap();
        let after = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
        assert_eq!(
            book.for_received_on(before).unwrap().act,
            Act::ChildWelfareAct1992
        );
        assert_eq!(
            book.for_received_on(after).unwrap().act,
            Act::ChildWelfareAct2021
        );
    }

    #[test]
    fn the_switch_is_counted_in_oslo_time() {
        let book = RuleBook::norwegian();
        // 22:59 UTC on 31 December is 23:59 in Oslo: still the old act.
        let old = "2022-12-31T22:59:00Z".parse::<DateTime<Utc>>().unwrap();
        // 23:00 UTC on 31 December is midnight in Oslo: the new act.
        let new = "2022-12-31T23:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            book.for_received_at(old).unwrap().act,
            Act::ChildWelfareAct1992
        );
        assert_eq!(
            book.for_received_at(new).unwrap().act,
            Act::ChildWelfareAct2021
        );
    }

    #[test]
    fn no_rule_set_before_the_1992_act_came_into_force() {
        let book = RuleBook::norwegian();
        let date = NaiveDate::from_ymd_opt(1992, 12, 31).unwrap();
        assert_eq!(
            book.for_received_on(date),
            Err(DomainError::NoRuleSetInForce { date })
        );
    }

    #[test]
    fn every_to_confirm_value_says_what_and_where() {
        let book = RuleBook::norwegian();
        for set in [&book.act_1992, &book.act_2021] {
            for rule in set.deadlines() {
                if let Some(text) = rule.to_confirm {
                    assert!(text.contains("DOMAIN.md"), "{:?}: {text}", rule.kind);
                }
                assert_eq!(set.deadline(rule.kind), rule);
            }
        }
    }

    #[test]
    fn investigation_deadline_follows_domain_md_and_the_registry_rule_is_documented() {
        let set = RuleBook::norwegian().act_2021;
        let received = "2024-01-01T10:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let counts_from = set.investigation_counts_from(received, received);
        assert_eq!(counts_from, NaiveDate::from_ymd_opt(2024, 1, 8).unwrap());
        let due = set.investigation_due(counts_from, None);
        assert_eq!(due.last_day, NaiveDate::from_ymd_opt(2024, 4, 8).unwrap());
        let extended = set.investigation_due(counts_from, Some(Length::Months(6)));
        assert_eq!(
            extended.last_day,
            NaiveDate::from_ymd_opt(2024, 7, 8).unwrap()
        );
        let registry = set
            .registry_investigation_rule
            .last_day(NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(), false);
        assert_eq!(registry, NaiveDate::from_ymd_opt(2024, 4, 7).unwrap());
        assert_eq!(set.max_investigation_months(), 6);
    }
}
