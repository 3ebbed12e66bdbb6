//! Municipality numbers, checked against a registry the shell can replace.
//!
//! Municipalities merge and split (2020, 2024), and old numbers stay valid in old events, so
//! the registry is configuration: parsing new input checks it, loading stored events does not.
//! The shipped registry is Statistics Norway's classification 131 (kommuneinndeling) from
//! 2020-01-01, with each number's days: the 357 municipalities in force from 2024-01-01
//! (unchanged through 2026-01-01), and the numbers of 2020-2023 that the 2024 county splits
//! retired (Viken → 31/32/33, Vestfold og Telemark → 39/40, Troms og Finnmark → 55/56, and
//! Ålesund 1507 → 1508 when Haram, 1580, was re-established), each with its successor.
//! Numbers from before 2020 are not in it. Names are the official ones, Sami and Kven forms
//! included.
//!
//! Why successors: a fact keeps the number valid on its day (a report received in Drammen in
//! 2022 names 3005), while lists, statistics and who serves what go by the municipality as it
//! is numbered now ([`current`]: 3005 is 3301), so a service's history and its present count
//! together.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use self::classification::{ESTABLISHED_2024, NORWAY_2024, RENUMBERED_2024};

use crate::error::DomainError;

mod classification;

/// A four-digit municipality number (kommunenummer), e.g. `5501` Tromsø.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MunicipalityNumber([u8; 4]);

impl MunicipalityNumber {
    /// Parses four digits and checks that the registry knows the number.
    pub fn parse(
        field: &str,
        value: &str,
        registry: &MunicipalityRegistry,
    ) -> Result<Self, DomainError> {
        let number = Self::parse_format(field, value)?;
        if registry.name_of(number).is_none() {
            return Err(DomainError::invalid(
                field,
                "is not a known municipality number",
            ));
        }
        Ok(number)
    }

    /// Parses four digits and checks that the number was a municipality's on `day` (the day
    /// the fact it is part of happened): a retired number names its successor, a number not yet
    /// in force the one that was.
    pub fn parse_on(
        field: &str,
        value: &str,
        registry: &MunicipalityRegistry,
        day: NaiveDate,
    ) -> Result<Self, DomainError> {
        let number = Self::parse(field, value, registry)?;
        match registry.validity(number) {
            Some((_, Some(until), successor)) if day >= until => {
                let successor = successor.unwrap_or(number);
                Err(DomainError::invalid(
                    field,
                    format!(
                        "{number} was retired on {until}; from then it is {successor} ({})",
                        registry.name_of(successor).unwrap_or_default()
                    ),
                ))
            }
            Some((Some(from), _, _)) if day < from => {
                let then = registry
                    .predecessors(number)
                    .into_iter()
                    .find(|old| registry.valid_on(*old, day));
                Err(DomainError::invalid(
                    field,
                    match then {
                        Some(old) => format!(
                            "{number} is in force from {from}; on {day} the number was {old}"
                        ),
                        None => format!("{number} is in force from {from}, after {day}"),
                    },
                ))
            }
            _ => Ok(number),
        }
    }

    /// Checks only the format: four ASCII digits.
    fn parse_format(field: &str, value: &str) -> Result<Self, DomainError> {
        let bytes = value.trim().as_bytes();
        match bytes {
            [a, b, c, d] if bytes.iter().all(u8::is_ascii_digit) => Ok(Self([*a, *b, *c, *d])),
            _ => Err(DomainError::invalid(field, "must be 4 digits")),
        }
    }

    pub fn as_str(&self) -> &str {
        // The bytes are ASCII digits by construction.
        std::str::from_utf8(&self.0).unwrap_or("????")
    }

    /// The county (fylke) part: the first two digits.
    pub fn county(&self) -> &str {
        &self.as_str()[..2]
    }
}

impl fmt::Display for MunicipalityNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for MunicipalityNumber {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse_format("municipality", &value)
    }
}

impl From<MunicipalityNumber> for String {
    fn from(value: MunicipalityNumber) -> Self {
        value.as_str().to_owned()
    }
}

/// The number the municipality `number` has now, by the shipped classification: what lists,
/// statistics and who serves what go by (see the module's docs).
pub fn current(number: MunicipalityNumber) -> MunicipalityNumber {
    shipped().current(number)
}

/// Every number the municipality numbered `current` now has had, by the shipped
/// classification (`current` first): the numbers its facts may be recorded under.
pub fn numbers_of(current: MunicipalityNumber) -> Vec<MunicipalityNumber> {
    shipped().numbers_of(current)
}

fn shipped() -> &'static MunicipalityRegistry {
    static SHIPPED: std::sync::OnceLock<MunicipalityRegistry> = std::sync::OnceLock::new();
    SHIPPED.get_or_init(MunicipalityRegistry::norway_2024)
}

/// The municipalities a deployment accepts: number to name, and the days each number is in
/// force with the number that succeeds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MunicipalityRegistry {
    names: BTreeMap<MunicipalityNumber, String>,
    /// From (inclusive), until (exclusive), successor; a number absent here is always valid.
    validity: BTreeMap<MunicipalityNumber, Validity>,
}

/// A number's days in force, as far as the registry knows, and its successor once retired.
type Validity = (
    Option<NaiveDate>,
    Option<NaiveDate>,
    Option<MunicipalityNumber>,
);

impl MunicipalityRegistry {
    /// A registry from (number, name) pairs, e.g. loaded from configuration.
    pub fn from_entries<'a>(
        entries: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, DomainError> {
        let mut names = BTreeMap::new();
        for (index, (number, name)) in entries.into_iter().enumerate() {
            let number =
                MunicipalityNumber::parse_format(&format!("municipalities[{index}]"), number)?;
            names.insert(number, name.to_owned());
        }
        Ok(Self {
            names,
            validity: BTreeMap::new(),
        })
    }

    /// Norway's municipalities from 2020-01-01: those in force from 2024-01-01, and the
    /// numbers of 2020-2023 the 2024 reform retired, each with its days and successor.
    pub fn norway_2024() -> Self {
        let number = |text: &str| MunicipalityNumber::parse_format("municipality", text).ok();
        let reform = NaiveDate::from_ymd_opt(2024, 1, 1);
        let mut names = BTreeMap::new();
        let mut validity = BTreeMap::new();
        for (text, name) in NORWAY_2024 {
            if let Some(number) = number(text) {
                names.insert(number, (*name).to_owned());
            }
        }
        for (old, new) in RENUMBERED_2024 {
            let (Some(old), Some(new)) = (number(old), number(new)) else {
                continue;
            };
            // The name the municipality had then: the same but for the county it was in.
            let name = names
                .get(&new)
                .map(|name: &String| name.replace("(Østfold)", "(Viken)"))
                .unwrap_or_default();
            names.insert(old, name);
            validity.insert(old, (None, reform, Some(new)));
            validity.insert(new, (reform, None, None));
        }
        for text in ESTABLISHED_2024 {
            if let Some(number) = number(text) {
                validity.insert(number, (reform, None, None));
            }
        }
        Self { names, validity }
    }

    /// The numbers in force on `day`.
    pub fn in_force_on(&self, day: NaiveDate) -> impl Iterator<Item = MunicipalityNumber> + '_ {
        self.names
            .keys()
            .copied()
            .filter(move |number| self.valid_on(*number, day))
    }

    /// Whether `number` was a municipality's on `day`.
    pub fn valid_on(&self, number: MunicipalityNumber, day: NaiveDate) -> bool {
        self.names.contains_key(&number)
            && match self.validity(number) {
                Some((from, until, _)) => {
                    from.is_none_or(|from| from <= day) && until.is_none_or(|until| day < until)
                }
                None => true,
            }
    }

    /// The number's days in force and successor, when the registry limits them.
    fn validity(&self, number: MunicipalityNumber) -> Option<Validity> {
        self.validity.get(&number).copied()
    }

    /// The numbers `number` succeeded.
    fn predecessors(&self, number: MunicipalityNumber) -> Vec<MunicipalityNumber> {
        self.validity
            .iter()
            .filter(|(_, (_, _, successor))| *successor == Some(number))
            .map(|(old, _)| *old)
            .collect()
    }

    /// The number the municipality `number` has now: itself, or its successor's (retired
    /// numbers are followed to the last).
    pub fn current(&self, number: MunicipalityNumber) -> MunicipalityNumber {
        let mut current = number;
        // A chain is as long as the reforms are many; the bound only guards bad data.
        for _ in 0..8 {
            match self.validity(current) {
                Some((_, Some(_), Some(successor))) => current = successor,
                _ => break,
            }
        }
        current
    }

    /// Every number that is `current` now or was before it (`current` first): the numbers a
    /// fact about that municipality may be recorded under.
    pub fn numbers_of(&self, current: MunicipalityNumber) -> Vec<MunicipalityNumber> {
        let mut numbers = vec![current];
        let mut at = 0;
        while at < numbers.len() {
            for old in self.predecessors(numbers[at]) {
                if !numbers.contains(&old) {
                    numbers.push(old);
                }
            }
            at += 1;
        }
        numbers
    }

    pub fn name_of(&self, number: MunicipalityNumber) -> Option<&str> {
        self.names.get(&number).map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (MunicipalityNumber, &str)> {
        self.names
            .iter()
            .map(|(number, name)| (*number, name.as_str()))
    }
}

#[cfg(test)]
mod tests;
