//! From the domain's outcomes and kinds to the registry's codes and legal bases, as tables.
//! Each code follows from what the caseworker recorded; where the registry distinguishes more
//! than an outcome did, the event records the distinction (a move abroad, a foster home in
//! the family's network).
//!
//! Sources: `Kodelister.md` and `Barnevern_v4.xsd` (statisticsnorway/barn-barnevern-xsd,
//! 2025-12); the acts: barnevernloven 1992 ("BVL") until 2022-12-31, barnevernloven 2021
//! ("BVL2021") from 2023-01-01.

use chrono::NaiveDate;
use domain::case::{
    BoardProposalKind, CarePlacement, ConclusionOutcome, EmergencyDecisionKind, MeasureKind,
};
use domain::report::{DismissalGround, ScreeningOutcome};

/// A legal basis: act, chapter, section and optionally paragraph (ledd).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lovhjemmel {
    pub act: &'static str,
    pub chapter: &'static str,
    pub paragraph: &'static str,
    pub ledd: Option<&'static str>,
}

const fn law(act: &'static str, chapter: &'static str, paragraph: &'static str) -> Lovhjemmel {
    Lovhjemmel {
        act,
        chapter,
        paragraph,
        ledd: None,
    }
}

fn new_act(on: NaiveDate) -> bool {
    on >= NaiveDate::from_ymd_opt(2023, 1, 1).unwrap_or(NaiveDate::MIN)
}

fn knowledge_model(on: NaiveDate) -> bool {
    on >= NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or(NaiveDate::MIN)
}

/// Section of an emergency placement in a behaviour institution, to tell it from others.
pub(crate) const BEHAVIOUR_EMERGENCY_PARAGRAPH: &str = "4";

/// Melding/Konklusjon. Code 1 ("henlagt") is split from 2026 into 5–10; Vern's dismissal
/// grounds map onto 7–10.
pub(crate) fn report_conclusion(outcome: &ScreeningOutcome, on: NaiveDate) -> &'static str {
    match outcome {
        ScreeningOutcome::Dismissed { ground, .. } => {
            if !knowledge_model(on) {
                return "1";
            }
            match ground {
                DismissalGround::NoGroundsForInvestigation => "10",
                DismissalGround::OutsideTheAct => "9",
                DismissalGround::ReferredToAnotherAgency => "8",
                DismissalGround::TransferredToAnotherMunicipality { .. } => "7",
            }
        }
        ScreeningOutcome::InvestigationOpened => "2",
        ScreeningOutcome::DismissedMeasuresActive { .. } => "3",
        ScreeningOutcome::ConcernsOngoingInvestigation => "4",
    }
}

/// Undersokelse/Konklusjon with its precision where the code needs one. Code 5 (moved) is
/// split from 2026 into 7 abroad, 8 unknown place, 9 another municipality.
pub(crate) fn investigation_conclusion(
    outcome: &ConclusionOutcome,
    on: NaiveDate,
) -> (&'static str, Option<String>) {
    match outcome {
        ConclusionOutcome::MeasuresDecided => ("1", None),
        ConclusionOutcome::PetitionToBoard { .. } => ("2", None),
        ConclusionOutcome::DismissedOnAssessment => ("3", None),
        ConclusionOutcome::DismissedPartiesDeclined => ("4", None),
        ConclusionOutcome::DismissedFamilyMoved {
            new_municipality,
            new_municipality_notified,
            moved_abroad,
        } => {
            if knowledge_model(on) {
                let code = match (new_municipality, moved_abroad) {
                    (Some(_), _) => "9",
                    (None, true) => "7",
                    (None, false) => "8",
                };
                return (code, None);
            }
            let told = if *new_municipality_notified {
                "ja"
            } else {
                "nei"
            };
            let to = new_municipality
                .map(|number| format!("ny kommune {}", number.as_str()))
                .unwrap_or_else(|| "ny kommune ukjent".to_owned());
            ("5", Some(format!("{to}; meldt videre: {told}")))
        }
        ConclusionOutcome::DismissedAfterReferral => ("6", None),
    }
}

/// Tiltak/Kategori for a measure, with the precision the "other" categories need; a foster
/// home in the family and close network is 2.1, any other 2.2.
pub(crate) fn measure_category(
    kind: &MeasureKind,
    in_family_network: bool,
) -> (&'static str, Option<String>) {
    match kind {
        MeasureKind::FamilyCouncil => ("6.1", None),
        MeasureKind::ParentalGuidanceCos => ("3.99", Some("COS".to_owned())),
        MeasureKind::MarteMeo => ("3.6", None),
        MeasureKind::Pmto => ("3.2", None),
        MeasureKind::Mst => ("3.1", None),
        MeasureKind::AcuteFamilyTeam => ("3.7", Some("Akutt familieteam".to_owned())),
        MeasureKind::Relief => ("4.5", None),
        MeasureKind::KindergartenPlace => ("4.1", None),
        MeasureKind::OtherInHome { description } => ("3.99", Some(description.to_string())),
        MeasureKind::FosterHome if in_family_network => ("2.1", None),
        MeasureKind::FosterHome => ("2.2", None),
        MeasureKind::Institution => ("1.1", None),
        MeasureKind::OtherOutOfHome { description } => ("2.99", Some(description.to_string())),
    }
}

pub(crate) fn placement_category(
    placement: CarePlacement,
    in_family_network: bool,
) -> (&'static str, Option<String>) {
    match placement {
        CarePlacement::FosterHome if in_family_network => ("2.1", None),
        CarePlacement::FosterHome => ("2.2", None),
        CarePlacement::Institution => ("1.1", None),
    }
}

/// A voluntary measure: help in the home (BVL2021 § 3-1; BVL § 4-4) or a voluntary
/// placement outside it (BVL2021 § 3-6; BVL § 4-4), by the act in force on its start.
pub(crate) fn measure_law(kind: &MeasureKind, starts: NaiveDate) -> Lovhjemmel {
    match (new_act(starts), kind.is_out_of_home()) {
        (true, false) => law("BVL2021", "3", "1"),
        (true, true) => law("BVL2021", "3", "6"),
        (false, _) => law("BVL", "4", "4"),
    }
}

/// Emergency decisions: placement (BVL2021 § 4-2; BVL § 4-6) or behaviour institution
/// (BVL2021 § 4-4; BVL § 4-25).
pub(crate) fn emergency_law(kind: EmergencyDecisionKind, on: NaiveDate) -> Lovhjemmel {
    match (new_act(on), kind) {
        (true, EmergencyDecisionKind::Placement) => law("BVL2021", "4", "2"),
        (true, EmergencyDecisionKind::BehaviourInstitution) => {
            law("BVL2021", "4", BEHAVIOUR_EMERGENCY_PARAGRAPH)
        }
        (false, EmergencyDecisionKind::Placement) => law("BVL", "4", "6"),
        (false, EmergencyDecisionKind::BehaviourInstitution) => law("BVL", "4", "25"),
    }
}

/// The board's cases: care order (BVL2021 § 5-1; BVL § 4-12) or behaviour institution
/// (BVL2021 § 6-2; BVL § 4-24).
pub(crate) fn board_law(kind: BoardProposalKind, on: NaiveDate) -> Lovhjemmel {
    match (new_act(on), kind) {
        (true, BoardProposalKind::CareOrder) => law("BVL2021", "5", "1"),
        (true, BoardProposalKind::BehaviourInstitution) => law("BVL2021", "6", "2"),
        (false, BoardProposalKind::CareOrder) => law("BVL", "4", "12"),
        (false, BoardProposalKind::BehaviourInstitution) => law("BVL", "4", "24"),
    }
}

pub(crate) fn care_order_law(on: NaiveDate) -> Lovhjemmel {
    board_law(BoardProposalKind::CareOrder, on)
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::municipality::{MunicipalityNumber, MunicipalityRegistry};

    fn moved(to: Option<&str>, abroad: bool) -> ConclusionOutcome {
        ConclusionOutcome::DismissedFamilyMoved {
            new_municipality: to.map(|number| {
                MunicipalityNumber::parse("m", number, &MunicipalityRegistry::norway_2024())
                    .expect("known")
            }),
            new_municipality_notified: true,
            moved_abroad: abroad,
        }
    }

    fn day(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).expect("date")
    }

    #[test]
    fn a_move_maps_to_the_code_of_its_period() {
        let in_2026 = day(2026, 3, 1);
        assert_eq!(
            investigation_conclusion(&moved(Some("5035"), false), in_2026).0,
            "9"
        );
        assert_eq!(investigation_conclusion(&moved(None, true), in_2026).0, "7");
        assert_eq!(
            investigation_conclusion(&moved(None, false), in_2026).0,
            "8"
        );
        let (code, precision) =
            investigation_conclusion(&moved(Some("5035"), false), day(2025, 3, 1));
        assert_eq!(code, "5");
        assert_eq!(
            precision.as_deref(),
            Some("ny kommune 5035; meldt videre: ja")
        );
    }

    #[test]
    fn a_foster_home_in_the_family_network_is_2_1() {
        assert_eq!(measure_category(&MeasureKind::FosterHome, true).0, "2.1");
        assert_eq!(measure_category(&MeasureKind::FosterHome, false).0, "2.2");
        assert_eq!(placement_category(CarePlacement::FosterHome, true).0, "2.1");
        assert_eq!(
            placement_category(CarePlacement::Institution, false).0,
            "1.1"
        );
    }

    #[test]
    fn the_act_in_force_on_the_day_gives_the_legal_basis() {
        let kind = MeasureKind::Pmto;
        assert_eq!(measure_law(&kind, day(2022, 12, 31)), law("BVL", "4", "4"));
        assert_eq!(
            measure_law(&kind, day(2023, 1, 1)),
            law("BVL2021", "3", "1")
        );
        assert_eq!(
            emergency_law(EmergencyDecisionKind::BehaviourInstitution, day(2024, 1, 1)),
            law("BVL2021", "4", "4")
        );
    }
}
