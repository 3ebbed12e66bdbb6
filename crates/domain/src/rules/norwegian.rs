//! The Norwegian rule table: the 1992 act's rows and the 2021 act's, each value with its
//! paragraph and, where DOMAIN.md marks it "(to confirm)", what is unconfirmed and whose word it
//! rests on. Data only; `super` says what the rows mean.

use chrono::NaiveDate;

use super::{Act, DeadlineKind, DeadlineRule, RegistryInvestigationRule, RuleSet};
use crate::calendar::Length;

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
pub(super) fn act_1992() -> RuleSet {
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
        emergency_investigation_plan: DeadlineRule {
            note: Some(
                "the 1992 act had no such plan (the registry's plan type 8 starts 2023-01-01): \
                never opened under it",
            ),
            ..emergency_investigation_plan_rule()
        },
        // § 4-15 third paragraph: the preliminary plan for the child's care comes before the
        // board decides a care order (Kodelister plan type 3).
        preliminary_care_plan: DeadlineRule {
            kind: DeadlineKind::PreliminaryCarePlan,
            name: "preliminary care plan (foreløpig omsorgsplan)",
            starts_at: "a care order proposed to the board",
            length: Length::Days(0),
            extended_length: None,
            met_by: "the preliminary care plan made (registry plan type 3)",
            legal_reference: "barnevernloven 1992 § 4-15 third paragraph",
            to_confirm: Some(
                "when: the act asks for it before the board decides and no source read here \
                gives a day (DOMAIN.md 'At the edges': 'a preliminary plan at petition'); Vern \
                asks for it with the petition, by the end of the day the proposal is sent",
            ),
            note: Some("the board decides on the petition, so the plan goes with it"),
        },
        care_plan: DeadlineRule {
            kind: DeadlineKind::CarePlan,
            name: "care plan (omsorgsplan)",
            starts_at: "the board's care order",
            length: Length::Weeks(6),
            extended_length: None,
            met_by: "the care plan made, with the placement (registry plan type 4)",
            legal_reference: "barnevernloven 1992 § 4-15 third paragraph",
            to_confirm: Some(
                "when: the act asks for the plan once the board has decided a care order and no \
                source read here gives a limit (DOMAIN.md 'At the edges'); Vern asks for it by \
                the time the order must be carried out, as Bufdir's guidance for a move into a \
                foster home (samhandlingsforløp, 'Tiltaksplan og omsorgsplan') has the plans \
                made before the child moves in",
            ),
            note: Some(
                "the board chair's extension of the time to carry out the order moves it too",
            ),
        },
        emergency_investigation_plan_required: false,
        preliminary_care_plan_required: true,
        reduced_visits_after: Length::Months(24),
        investigation_plan_required: false,
        investigation_counts_from_screening: true,
        registry_investigation_rule: REGISTRY_RULE,
    }
}

/// Barnevernsloven 2021, for reports received from 2023-01-01.
pub(super) fn act_2021() -> RuleSet {
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
        emergency_investigation_plan: emergency_investigation_plan_rule(),
        preliminary_care_plan: DeadlineRule {
            to_confirm: None,
            note: Some(
                "the 2021 act has no preliminary care plan of its own (the registry's plan type 3 \
                ends 2022-12-31): never opened under it",
            ),
            ..old.preliminary_care_plan
        },
        care_plan: DeadlineRule {
            legal_reference: "barnevernsloven 2021 § 8-3 fourth paragraph",
            ..old.care_plan
        },
        emergency_investigation_plan_required: true,
        preliminary_care_plan_required: false,
        reduced_visits_after: old.reduced_visits_after,
        investigation_plan_required: true,
        investigation_counts_from_screening: false,
        registry_investigation_rule: REGISTRY_RULE,
    }
}

/// The plan after an emergency decision, the 2021 act's (Kodelister plan type 8, "Undersøkelsesplan
/// etter akuttvedtak etter BVL 2021 § 8-2, 3. ledd").
fn emergency_investigation_plan_rule() -> DeadlineRule {
    DeadlineRule {
        kind: DeadlineKind::EmergencyInvestigationPlan,
        name: "investigation plan after an emergency decision (undersøkelsesplan etter akuttvedtak)",
        starts_at: "the emergency decision",
        length: Length::Weeks(6),
        extended_length: None,
        met_by: "the plan made (registry plan type 8); a decision refused or lapsed ends it",
        legal_reference: "barnevernsloven 2021 § 8-2 third paragraph",
        to_confirm: Some(
            "when: the act asks for the plan (DOMAIN.md 'At the edges') and no source read here \
            gives a limit; Vern asks for it within the six weeks in which the petition must \
            follow a placement (§ 4-2), as the plan serves the investigation the petition rests on",
        ),
        note: None,
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
