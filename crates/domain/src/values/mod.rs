//! Value types that validate once, at the edge, so commands and events only ever hold good data.
//!
//! Each type has a private field, a `parse` that names the offending field on failure, and
//! getters. Deserializing re-checks the format (a stored event cannot smuggle in a malformed
//! identity number), but not rules that change over time, such as text length limits.
//!
//! The national identity number, with its check-digit arithmetic, is in `identity_number`.

mod identity_number;

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use self::identity_number::NationalIdentityNumber;
use crate::error::DomainError;

// ---------------------------------------------------------------------------------------------
// Bounded text
// ---------------------------------------------------------------------------------------------

/// Non-empty, trimmed text with an upper length, without control characters other than
/// line breaks and tabs.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BoundedText(String);

impl BoundedText {
    /// Limit for names, roles, organisations and short reasons.
    pub const SHORT: usize = 200;
    /// Limit for free-text reasons, summaries and plans.
    pub const LONG: usize = 20_000;
    /// Limit re-checked when loading stored events: generous, because limits may tighten later
    /// and old events must still load.
    const STORED: usize = 1_000_000;

    /// Parses text of at most `max_chars` characters after trimming.
    pub fn parse(field: &str, value: &str, max_chars: usize) -> Result<Self, DomainError> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(DomainError::invalid(field, "must not be empty"));
        }
        let length = trimmed.chars().count();
        if length > max_chars {
            return Err(DomainError::invalid(
                field,
                format!("must be at most {max_chars} characters, got {length}"),
            ));
        }
        if trimmed
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(DomainError::invalid(
                field,
                "must not contain control characters",
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// Parses a name, a role, a team or a short reason: the [`Self::SHORT`] limit, and none
    /// of the characters that change how text shows without showing themselves
    /// ([`is_invisible_format`]). Such text is read to tell people and teams apart, in lists,
    /// letters and the read audit: a name that reads backwards or two that look alike but
    /// differ would mislead.
    pub fn short(field: &str, value: &str) -> Result<Self, DomainError> {
        let text = Self::parse(field, value, Self::SHORT)?;
        if let Some(c) = text.0.chars().find(|&c| is_invisible_format(c)) {
            return Err(DomainError::invalid(
                field,
                format!(
                    "must not contain U+{:04X}: bidirectional controls and zero-width characters \
                     change how a name reads",
                    u32::from(c)
                ),
            ));
        }
        Ok(text)
    }

    /// Parses with the [`Self::LONG`] limit.
    pub fn long(field: &str, value: &str) -> Result<Self, DomainError> {
        Self::parse(field, value, Self::LONG)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Unicode format characters (general category Cf) that can make text show otherwise than
/// it is: the bidirectional controls (U+061C, U+200E-U+200F, U+202A-U+202E, U+2066-U+2069),
/// the zero-width ones (U+200B-U+200D, U+2060-U+2064, U+FEFF), the soft hyphen, and the
/// invisible tags (U+E0000-U+E007F).
pub fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

impl fmt::Display for BoundedText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for BoundedText {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse("text", &value, Self::STORED)
    }
}

impl From<BoundedText> for String {
    fn from(value: BoundedText) -> Self {
        value.0
    }
}

/// Who works on a report or case: a team and, once one is named, a caseworker in it. Worklists
/// and caseloads are filtered by it; it grants no access by itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignee {
    pub team: BoundedText,
    /// The caseworker's subject, as in their token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caseworker: Option<BoundedText>,
}

impl Assignee {
    /// Parses a team and an optional caseworker; an empty caseworker means none.
    pub fn parse(team: &str, caseworker: &str) -> Result<Self, DomainError> {
        Ok(Self {
            team: BoundedText::short("team", team)?,
            caseworker: if caseworker.trim().is_empty() {
                None
            } else {
                Some(BoundedText::short("caseworker", caseworker)?)
            },
        })
    }
}

// ---------------------------------------------------------------------------------------------
// People
// ---------------------------------------------------------------------------------------------

/// A person identified by number, or, lacking one, by name and birth date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonIdentity {
    Number(NationalIdentityNumber),
    NameAndBirthDate {
        name: BoundedText,
        birth_date: NaiveDate,
    },
}

impl PersonIdentity {
    /// Parses a name and birth date (ISO `YYYY-MM-DD`); `today` (Oslo) rejects future dates.
    pub fn parse_name_and_birth_date(
        field: &str,
        name: &str,
        birth_date: &str,
        today: NaiveDate,
    ) -> Result<Self, DomainError> {
        let name = BoundedText::short(&format!("{field}.name"), name)?;
        let birth_date = parse_date_not_after(&format!("{field}.birth_date"), birth_date, today)?;
        Ok(Self::NameAndBirthDate { name, birth_date })
    }

    pub fn national_identity_number(&self) -> Option<&NationalIdentityNumber> {
        match self {
            Self::Number(number) => Some(number),
            Self::NameAndBirthDate { .. } => None,
        }
    }
}

/// Who a case is about: a child with a number, a child known by name and birth date, or an
/// unborn child (concern about substance use in pregnancy) known by expected date and mother.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChildIdentity {
    Number(NationalIdentityNumber),
    NameAndBirthDate {
        name: BoundedText,
        birth_date: NaiveDate,
    },
    Unborn {
        expected_birth_date: NaiveDate,
        mother: PersonIdentity,
    },
    /// A child the reporter could name but not identify by number or birth date (the national
    /// portal's reports, a private reporter's guess at an age), or an unborn child reported
    /// without expected date or mother. Identified at screening.
    Unidentified {
        name: BoundedText,
        unborn: bool,
    },
}

impl ChildIdentity {
    /// A child with a national identity number.
    pub fn parse_number(field: &str, number: &str) -> Result<Self, DomainError> {
        Ok(Self::Number(NationalIdentityNumber::parse(field, number)?))
    }

    /// A child without a number: name and birth date (not after `today`).
    pub fn parse_name_and_birth_date(
        field: &str,
        name: &str,
        birth_date: &str,
        today: NaiveDate,
    ) -> Result<Self, DomainError> {
        match PersonIdentity::parse_name_and_birth_date(field, name, birth_date, today)? {
            PersonIdentity::NameAndBirthDate { name, birth_date } => {
                Ok(Self::NameAndBirthDate { name, birth_date })
            }
            PersonIdentity::Number(number) => Ok(Self::Number(number)),
        }
    }

    /// An unborn child. The expected date may not be more than a year before `today`: such
    /// a child has been born and should be registered as one.
    pub fn parse_unborn(
        field: &str,
        expected_birth_date: &str,
        mother: PersonIdentity,
        today: NaiveDate,
    ) -> Result<Self, DomainError> {
        let date_field = format!("{field}.expected_birth_date");
        let expected_birth_date = parse_date(&date_field, expected_birth_date)?;
        let a_year_ago = today
            .checked_sub_days(chrono::Days::new(366))
            .unwrap_or(NaiveDate::MIN);
        if expected_birth_date < a_year_ago {
            return Err(DomainError::invalid(date_field, "is more than a year ago"));
        }
        Ok(Self::Unborn {
            expected_birth_date,
            mother,
        })
    }

    pub fn national_identity_number(&self) -> Option<&NationalIdentityNumber> {
        match self {
            Self::Number(number) => Some(number),
            _ => None,
        }
    }

    /// True when both identities carry a national identity number and the numbers differ:
    /// the only case where two identities are known to be different children.
    pub fn is_known_different_from(&self, other: &ChildIdentity) -> bool {
        match (
            self.national_identity_number(),
            other.national_identity_number(),
        ) {
            (Some(a), Some(b)) => a != b,
            _ => false,
        }
    }
}

/// Parses an ISO date (`YYYY-MM-DD`).
pub fn parse_date(field: &str, value: &str) -> Result<NaiveDate, DomainError> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|_| DomainError::invalid(field, "must be a date as YYYY-MM-DD"))
}

/// Parses an ISO date that must not be after `today`.
pub fn parse_date_not_after(
    field: &str,
    value: &str,
    today: NaiveDate,
) -> Result<NaiveDate, DomainError> {
    let date = parse_date(field, value)?;
    check_not_after(field, date, today)?;
    Ok(date)
}

/// Refuses a date in the future: used where the law records what has happened.
pub fn check_not_after(field: &str, date: NaiveDate, today: NaiveDate) -> Result<(), DomainError> {
    if date > today {
        return Err(DomainError::invalid(field, "must not be in the future"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Reporter
// ---------------------------------------------------------------------------------------------

/// Who sent the report (melder). The kind decides which letters are owed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reporter {
    /// Someone with a duty to report (old act § 6-4, new act § 13-2). Never anonymous.
    Public {
        organisation: BoundedText,
        role: BoundedText,
        name: BoundedText,
        /// Known to the service but not disclosed to the family (Public Administration Act
        /// § 19): a different fact from anonymity.
        identity_withheld_from_parties: bool,
    },
    /// Anyone else who gives a name.
    PrivateNamed {
        name: BoundedText,
        relation: PrivateReporterRelation,
        identity_withheld_from_parties: bool,
    },
    /// Anyone else who gives no name. Nothing identifying is stored.
    PrivateAnonymous,
}

/// A private reporter's relation to the child, with the registry's reporter codes 1–4.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrivateReporterRelation {
    TheChild,
    Parent,
    OtherFamily,
    OtherPrivatePerson,
}

impl PrivateReporterRelation {
    /// Code in the registry's reporter list (`Kodelister.md`, Melder).
    pub fn registry_code(self) -> u8 {
        match self {
            Self::TheChild => 1,
            Self::Parent => 2,
            Self::OtherFamily => 3,
            Self::OtherPrivatePerson => 4,
        }
    }
}

impl Reporter {
    /// A public reporter: organisation, role and name are all required.
    pub fn parse_public(
        organisation: &str,
        role: &str,
        name: &str,
        identity_withheld_from_parties: bool,
    ) -> Result<Self, DomainError> {
        Ok(Self::Public {
            organisation: BoundedText::short("reporter.organisation", organisation)?,
            role: BoundedText::short("reporter.role", role)?,
            name: BoundedText::short("reporter.name", name)?,
            identity_withheld_from_parties,
        })
    }

    /// A named private reporter.
    pub fn parse_private_named(
        name: &str,
        relation: PrivateReporterRelation,
        identity_withheld_from_parties: bool,
    ) -> Result<Self, DomainError> {
        Ok(Self::PrivateNamed {
            name: BoundedText::short("reporter.name", name)?,
            relation,
            identity_withheld_from_parties,
        })
    }

    pub fn is_anonymous(&self) -> bool {
        matches!(self, Self::PrivateAnonymous)
    }

    pub fn is_public(&self) -> bool {
        matches!(self, Self::Public { .. })
    }
}

// ---------------------------------------------------------------------------------------------
// Concern categories and urgency
// ---------------------------------------------------------------------------------------------

/// What the report is worried about. Coarser than the registry's content codes, which are
/// chosen during investigation; these drive routing (violence and abuse go to the
/// police/barnehus track, substance use in pregnancy to the unborn-child track).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConcernCategory {
    Violence,
    SexualAbuse,
    Neglect,
    ParentalSubstanceUse,
    SubstanceUseInPregnancy,
    Behaviour,
    ChildSubstanceUse,
    MentalHealth,
    Other,
}

impl ConcernCategory {
    pub const ALL: [ConcernCategory; 9] = [
        Self::Violence,
        Self::SexualAbuse,
        Self::Neglect,
        Self::ParentalSubstanceUse,
        Self::SubstanceUseInPregnancy,
        Self::Behaviour,
        Self::ChildSubstanceUse,
        Self::MentalHealth,
        Self::Other,
    ];

    /// The snake_case name used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Violence => "violence",
            Self::SexualAbuse => "sexual_abuse",
            Self::Neglect => "neglect",
            Self::ParentalSubstanceUse => "parental_substance_use",
            Self::SubstanceUseInPregnancy => "substance_use_in_pregnancy",
            Self::Behaviour => "behaviour",
            Self::ChildSubstanceUse => "child_substance_use",
            Self::MentalHealth => "mental_health",
            Self::Other => "other",
        }
    }

    pub fn parse(field: &str, value: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|category| category.as_str() == value.trim())
            .ok_or_else(|| DomainError::invalid(field, "unknown concern category"))
    }

    /// Concerns that call for consultation with police and barnehus ([000]).
    pub fn is_violence_or_abuse(self) -> bool {
        matches!(self, Self::Violence | Self::SexualAbuse)
    }
}

/// Triage colour ("trafikklys", [000]). Ordered so that sorting puts red first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    Red,
    Yellow,
    Green,
}

impl Urgency {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Red => "red",
            Self::Yellow => "yellow",
            Self::Green => "green",
        }
    }

    pub fn parse(field: &str, value: &str) -> Result<Self, DomainError> {
        match value.trim() {
            "red" => Ok(Self::Red),
            "yellow" => Ok(Self::Yellow),
            "green" => Ok(Self::Green),
            _ => Err(DomainError::invalid(field, "must be red, yellow or green")),
        }
    }
}

impl fmt::Display for Urgency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses a non-empty list of concern categories, without duplicates.
pub fn parse_concerns(field: &str, values: &[&str]) -> Result<Vec<ConcernCategory>, DomainError> {
    if values.is_empty() {
        return Err(DomainError::invalid(
            field,
            "must name at least one concern",
        ));
    }
    let mut concerns = Vec::with_capacity(values.len());
    for (index, value) in values.iter().enumerate() {
        let category = ConcernCategory::parse(&format!("{field}[{index}]"), value)?;
        if !concerns.contains(&category) {
            concerns.push(category);
        }
    }
    Ok(concerns)
}

/// A UUID that follows from `parts` (the first 16 bytes of their SHA-256, shaped as a v4
/// UUID): the same parts give the same id on every run, so a second delivery of a message or
/// a second export of a case names what the first one did.
pub fn derived_id(parts: &[&[u8]]) -> uuid::Uuid {
    use sha2::Digest as _;
    let mut hasher = sha2::Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}
