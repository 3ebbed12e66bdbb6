//! What one service chose, beside the law: a limit the law does not set but a municipality's
//! practice does (Tromsø's acute family team works "up to 6 weeks", [000]).
//!
//! Kept apart from [`crate::rules`] so a choice of one service never becomes a refusal for
//! every other: the rule table is the law, the same for all; this is configuration, set per
//! municipality by whoever runs the service (`vern up --local-practice`), and empty by default.

use std::collections::BTreeMap;

use crate::DomainError;
use crate::calendar::Length;
use crate::municipality::{MunicipalityNumber, MunicipalityRegistry};

/// One municipality's choices. `None` is "the law's, no more".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Practice {
    /// The longest plan for an acute family team (akutt familieteam).
    pub acute_family_team_max: Option<Length>,
}

/// Every municipality's choices; those not named have none.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LocalPractice {
    by_municipality: BTreeMap<MunicipalityNumber, Practice>,
}

/// No municipality has chosen anything.
pub static NONE: LocalPractice = LocalPractice {
    by_municipality: BTreeMap::new(),
};

static NO_CHOICES: Practice = Practice {
    acute_family_team_max: None,
};

impl LocalPractice {
    /// `municipality`'s choices (by the number it has now).
    pub fn of(&self, municipality: MunicipalityNumber) -> &Practice {
        self.by_municipality
            .get(&crate::municipality::current(municipality))
            .unwrap_or(&NO_CHOICES)
    }

    /// Parses settings given as `MUNICIPALITY:SETTING=VALUE` (say `5501:acute_family_team_weeks=6`),
    /// each refused with what is wrong and `field` (the flag) named.
    pub fn parse(
        field: &str,
        settings: &[String],
        registry: &MunicipalityRegistry,
    ) -> Result<Self, DomainError> {
        let mut practice = Self::default();
        for setting in settings {
            let bad = |why: &str| DomainError::invalid(field, format!("{setting:?}: {why}"));
            let (number, choice) = setting
                .split_once(':')
                .ok_or_else(|| bad("expected MUNICIPALITY:SETTING=VALUE"))?;
            let number = MunicipalityNumber::parse(field, number.trim(), registry)
                .map_err(|_| bad("not a municipality number"))?;
            let (name, value) = choice
                .split_once('=')
                .ok_or_else(|| bad("expected SETTING=VALUE"))?;
            let entry = practice
                .by_municipality
                .entry(registry.current(number))
                .or_default();
            match name.trim() {
                "acute_family_team_weeks" => {
                    let weeks = value
                        .trim()
                        .parse::<u32>()
                        .ok()
                        .filter(|weeks| (1..=52).contains(weeks))
                        .ok_or_else(|| {
                            bad("acute_family_team_weeks is a number of weeks, 1 to 52")
                        })?;
                    entry.acute_family_team_max = Some(Length::Weeks(weeks));
                }
                _ => return Err(bad("the one setting is acute_family_team_weeks")),
            }
        }
        Ok(practice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> MunicipalityRegistry {
        MunicipalityRegistry::norway_2024()
    }

    #[test]
    fn a_setting_holds_for_its_municipality_only() {
        let practice = LocalPractice::parse(
            "--local-practice",
            &["5501:acute_family_team_weeks=6".to_owned()],
            &registry(),
        )
        .unwrap();
        let tromso = MunicipalityNumber::parse("m", "5501", &registry()).unwrap();
        let bergen = MunicipalityNumber::parse("m", "4601", &registry()).unwrap();
        assert_eq!(
            practice.of(tromso).acute_family_team_max,
            Some(Length::Weeks(6))
        );
        assert_eq!(practice.of(bergen).acute_family_team_max, None);
        assert_eq!(NONE.of(tromso).acute_family_team_max, None);
    }

    #[test]
    fn bad_settings_are_refused_naming_the_flag_and_the_setting() {
        for (setting, why) in [
            ("5501", "expected MUNICIPALITY:SETTING=VALUE"),
            (
                "9999:acute_family_team_weeks=6",
                "not a municipality number",
            ),
            ("5501:acute_family_team_weeks", "expected SETTING=VALUE"),
            ("5501:acute_family_team_weeks=0", "1 to 52"),
            ("5501:acute_family_team_weeks=six", "1 to 52"),
            (
                "5501:visits=2",
                "the one setting is acute_family_team_weeks",
            ),
        ] {
            let refused =
                LocalPractice::parse("--local-practice", &[setting.to_owned()], &registry())
                    .unwrap_err();
            let text = refused.to_string();
            assert!(
                text.contains("--local-practice") && text.contains(why) && text.contains(setting),
                "{setting}: {text}"
            );
        }
    }
}
