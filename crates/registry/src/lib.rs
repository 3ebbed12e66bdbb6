//! Reporting to the national child welfare registry (Barnevernsregisteret): each case as the
//! XML of `Barnevern_v4.xsd`, and the registry's own checks run before anything is sent.
//!
//! Why pure, with the store at the edge: the export and the worklist's registry findings must
//! say the same thing about a case, so both read a case the same way (`model`) from the
//! events and reports the shell loads. Codes the caseworker chose are in the events
//! (`domain::registry`); codes that follow from the domain's own outcomes are in `codes`, as
//! tables with their sources. Every part gets a stable id derived from the case, so a
//! re-export updates the registry's record instead of adding to it.

mod codes;
mod findings;
mod model;
mod xml;

pub use codes::Lovhjemmel;
pub use findings::{Finding, Severity, check};
pub use model::{CaseFile, Melding, Personalia, Sak, Undersokelse};
pub use xml::{Header, document};
