//! The schemas' patterns and the few readings of free text the import makes, kept apart so
//! each rule is visible and tested.

use domain::details::ChildDetails;
use domain::values::PrivateReporterRelation;

/// `^[+]?[0-9]+([- ][0-9]+)*$`
pub(crate) fn is_phone(value: &str) -> bool {
    let digits = value.strip_prefix('+').unwrap_or(value);
    digits
        .split([' ', '-'])
        .all(|group| !group.is_empty() && group.bytes().all(|b| b.is_ascii_digit()))
}

/// `^[A-Za-zæøåÆØÅ0-9-_]+(\.[A-Za-zæøåÆØÅ0-9-_]+)*@[A-Za-zæøåÆØÅ0-9-]+(\.[A-Za-zæøåÆØÅ0-9-]+)*(\.[A-Za-z]{2,})$`
pub(crate) fn is_email(value: &str) -> bool {
    let letter = |c: char| c.is_ascii_alphanumeric() || "æøåÆØÅ-".contains(c);
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    let local_ok = local
        .split('.')
        .all(|atom| !atom.is_empty() && atom.chars().all(|c| letter(c) || c == '_'));
    let labels: Vec<&str> = domain.split('.').collect();
    let Some((top, rest)) = labels.split_last() else {
        return false;
    };
    local_ok
        && !rest.is_empty()
        && rest
            .iter()
            .all(|label| !label.is_empty() && label.chars().all(letter))
        && top.len() >= 2
        && top.chars().all(|c| c.is_ascii_alphabetic())
}

/// A municipality's name compared without case and without a trailing "kommune".
pub(crate) fn municipality_name(name: &str) -> String {
    let lower = name.trim().to_lowercase();
    lower
        .strip_suffix(" kommune")
        .unwrap_or(&lower)
        .trim()
        .to_owned()
}

/// The private reporter's relation to the children when every child's `relasjon` says the
/// same plain thing ("mor", "far", "bestemor", "meg selv"); `None` leaves the relation
/// "other private person". Only whole first words count, so "Nabo, fritekstfelt" is a
/// neighbour, not a guess.
pub(crate) fn private_relation(children: &[ChildDetails]) -> Option<PrivateReporterRelation> {
    let mut found = None;
    for child in children {
        let text = child.reporter_relation.as_ref()?.as_str().to_lowercase();
        let first = text
            .split(|c: char| !c.is_alphanumeric() && c != 'ø' && c != 'æ' && c != 'å')
            .find(|word| !word.is_empty())?;
        let relation = match first {
            "mor" | "far" | "mamma" | "pappa" | "forelder" | "foreldre" | "stefar" | "stemor" => {
                PrivateReporterRelation::Parent
            }
            "bestemor" | "bestefar" | "besteforelder" | "tante" | "onkel" | "søster" | "bror"
            | "søsken" | "fetter" | "kusine" | "familie" | "slekt" | "slektning" => {
                PrivateReporterRelation::OtherFamily
            }
            "meg" | "jeg" | "selv" => PrivateReporterRelation::TheChild,
            _ => return None,
        };
        if found.is_some_and(|earlier| earlier != relation) {
            return None;
        }
        found = Some(relation);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_follow_the_schema_pattern() {
        for good in ["99999999", "+47 999 99 999", "22-33-44"] {
            assert!(is_phone(good), "{good}");
        }
        for bad in ["", "+", "99 ", "9a9", "99  99", "++47"] {
            assert!(!is_phone(bad), "{bad}");
        }
    }

    #[test]
    fn email_addresses_follow_the_schema_pattern() {
        for good in ["lærer@skole.no", "a.b_c@sub.skole.kommune.no"] {
            assert!(is_email(good), "{good}");
        }
        for bad in [
            "",
            "a@b",
            "@skole.no",
            "a@.no",
            "a@skole.n",
            "a@skole.n0",
            "a b@c.no",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn municipality_names_compare_without_case_and_suffix() {
        assert_eq!(municipality_name(" Kongsvinger kommune"), "kongsvinger");
        assert_eq!(municipality_name("BERGEN"), "bergen");
    }
}
