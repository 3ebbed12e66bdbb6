//! Tests of the lifecycle through its public functions: given events, when a command, then
//! events or an error, as tables (a file per stream, the case's a file per seam, a test per
//! section); plus property tests of parsing, arithmetic and letters.
//!
//! All people are synthetic: identity numbers are generated with valid check digits from
//! made-up dates, names are invented.

mod case;
mod fixtures;
mod properties;
mod report_stream;
mod screening;
mod step;
