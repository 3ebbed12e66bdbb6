//! The Norwegian national identity number (fødselsnummer) and D-number: the check digits,
//! the birth date and century they encode, and the masking that keeps them out of logs.
//!
//! Apart from the other values because it is the one with arithmetic of its own, and the
//! one whose every digit is personal data.

use std::fmt;

use chrono::{Datelike as _, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::DomainError;

/// Norwegian national identity number (fødselsnummer) or D-number.
///
/// Never printed whole: `Debug` and `Display` show the six date digits and `*****`, because
/// logs and error messages travel further than the case file. Serde writes the full number,
/// since the event store must hold it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NationalIdentityNumber {
    digits: String,
    birth_date: NaiveDate,
    is_d_number: bool,
}

/// Weights of the first check digit (over digits 1–9) and the second (over digits 1–10).
const FIRST_CHECK_WEIGHTS: [u32; 9] = [3, 7, 6, 1, 8, 9, 4, 5, 2];
const SECOND_CHECK_WEIGHTS: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

impl NationalIdentityNumber {
    /// Parses 11 digits (spaces allowed between groups): real birth date with the century
    /// read from the individual number, D-numbers (first digit + 4), both mod-11 check digits.
    pub fn parse(field: &str, value: &str) -> Result<Self, DomainError> {
        let invalid = |reason: &str| DomainError::invalid(field, reason);
        let digits: String = value.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.chars().count() != 11 || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(invalid("must be 11 digits"));
        }
        let d: Vec<u32> = digits.chars().filter_map(|c| c.to_digit(10)).collect();
        let expected_first = check_digit(&d[..9], &FIRST_CHECK_WEIGHTS);
        let expected_second = check_digit(&d[..10], &SECOND_CHECK_WEIGHTS);
        if expected_first != Some(d[9]) || expected_second != Some(d[10]) {
            return Err(invalid("check digits do not match"));
        }
        let mut day = d[0] * 10 + d[1];
        let month = d[2] * 10 + d[3];
        let year_in_century = (d[4] * 10 + d[5]) as i32;
        let individual = d[6] * 100 + d[7] * 10 + d[8];
        let is_d_number = day > 40;
        if is_d_number {
            day -= 40;
        }
        let century = century_of(individual, year_in_century)
            .ok_or_else(|| invalid("individual number does not fit the birth year"))?;
        let birth_date = NaiveDate::from_ymd_opt(century + year_in_century, month, day)
            .ok_or_else(|| invalid("birth date does not exist"))?;
        Ok(Self {
            digits,
            birth_date,
            is_d_number,
        })
    }

    /// The birth date the number encodes.
    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    /// True for a D-number (given to people not registered as resident).
    pub fn is_d_number(&self) -> bool {
        self.is_d_number
    }

    /// All eleven digits. Callers that print this own the privacy consequences.
    pub fn expose_digits(&self) -> &str {
        &self.digits
    }

    /// The first six digits and a mask: what logs and screens may show.
    pub fn masked(&self) -> String {
        format!("{}*****", &self.digits[..6])
    }

    /// A number with valid check digits for a fictional child born on `birth_date` (2000 to
    /// 2039), for tests and demonstration data: the individual number is the `seed`-th, from
    /// 999 down, of those that give valid check digits, so each seed from 0 to 400 gives its
    /// own number for a birth date. `None` outside those years or past the last number.
    pub fn synthetic(birth_date: NaiveDate, seed: u32) -> Option<Self> {
        let year = u32::try_from(birth_date.year()).ok()?;
        if !(2000..2040).contains(&year) {
            return None;
        }
        let (month, day) = (birth_date.month(), birth_date.day());
        let date = [
            day / 10,
            day % 10,
            month / 10,
            month % 10,
            (year % 100) / 10,
            year % 10,
        ];
        (500..=999u32)
            .rev()
            .filter_map(|individual| {
                let mut digits = date.to_vec();
                digits.extend([individual / 100, (individual / 10) % 10, individual % 10]);
                digits.push(check_digit(&digits, &FIRST_CHECK_WEIGHTS)?);
                digits.push(check_digit(&digits, &SECOND_CHECK_WEIGHTS)?);
                let text: String = digits
                    .iter()
                    .filter_map(|d| char::from_digit(*d, 10))
                    .collect();
                Self::parse("national_identity_number", &text).ok()
            })
            .nth(usize::try_from(seed).ok()?)
    }
}

/// Mod-11 check digit; `None` when the remainder gives 10, which no valid number has.
fn check_digit(digits: &[u32], weights: &[u32]) -> Option<u32> {
    let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        digit => Some(digit),
    }
}

/// The century from the individual number (Skatteetaten's table).
fn century_of(individual: u32, year_in_century: i32) -> Option<i32> {
    match (individual, year_in_century) {
        (0..=499, _) => Some(1900),
        (500..=749, 54..=99) => Some(1800),
        (500..=999, 0..=39) => Some(2000),
        (900..=999, 40..=99) => Some(1900),
        _ => None,
    }
}

impl fmt::Debug for NationalIdentityNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NationalIdentityNumber({})", self.masked())
    }
}

impl fmt::Display for NationalIdentityNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl TryFrom<String> for NationalIdentityNumber {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse("national_identity_number", &value)
    }
}

impl From<NationalIdentityNumber> for String {
    fn from(value: NationalIdentityNumber) -> Self {
        value.digits
    }
}

#[cfg(test)]
mod synthetic_tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn synthetic_numbers_parse_to_their_birth_date_and_differ_by_seed() {
        let born = NaiveDate::from_ymd_opt(2019, 5, 17).unwrap();
        let numbers: HashSet<String> = (0..=400)
            .map(|seed| {
                let number = NationalIdentityNumber::synthetic(born, seed).unwrap();
                assert_eq!(number.birth_date(), born);
                assert!(!number.is_d_number());
                String::from(number)
            })
            .collect();
        assert_eq!(numbers.len(), 401);
    }

    #[test]
    fn synthetic_numbers_exist_only_for_births_from_2000_to_2039() {
        let on = |year| NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
        assert!(NationalIdentityNumber::synthetic(on(1999), 0).is_none());
        assert!(NationalIdentityNumber::synthetic(on(2040), 0).is_none());
        assert!(NationalIdentityNumber::synthetic(on(2039), 0).is_some());
        assert!(NationalIdentityNumber::synthetic(on(2000), 1000).is_none());
    }
}
