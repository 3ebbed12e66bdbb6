//! Tests of the lifecycle through its public functions: given events, when a command, then
//! events or an error, as tables; plus property tests of parsing, arithmetic and letters.
//!
//! All people are synthetic: identity numbers are generated with valid check digits from
//! made-up dates, names are invented.

mod fixtures;
mod given_when_then;
mod properties;
