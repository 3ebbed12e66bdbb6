//! Synthetic case histories made through the normal command path: `vern up --demo` seeds an
//! inter-municipal service with two years of them, and the benchmarks make their logs with
//! the same code, so the demo shows what the benchmarks measure.
//!
//! Every event is one the services would store for a real request: the histories are sent
//! over gRPC to an in-process server whose clock runs through the simulated days. The people
//! are fictional: made-up names and synthetic identity numbers
//! (`NationalIdentityNumber::synthetic`).

pub mod lifecycle;
pub mod simulation;

use chrono::NaiveDate;
pub use lifecycle::{Clients, Lifecycle, Step, send, submit};
pub use simulation::{Outcome, Simulation, Tick, Until, simulate};

/// A small, fast, seedable generator (SplitMix64): the histories must be reproducible from a
/// seed; nothing here needs cryptography.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [0, n).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

/// The inter-municipal service of DOMAIN.md's statistics example, Værnesregionen, with each
/// municipality's share of the reports: its reports and concluded investigations in the first
/// quarter of 2020 (DOMAIN.md, source [002]), at least 1, so Stjørdal gets most and Tydal a
/// few.
pub const VAERNES: [(&str, u32); 5] = [
    ("5036", 7 + 6),
    ("5034", 3 + 8),
    ("5032", 9),
    ("5035", 79 + 45),
    ("5033", 1),
];

/// Reports a year for the demo's service: the 89 of that quarter (7 + 3 + 0 + 79 + 0), four
/// times.
pub const DEMO_REPORTS_PER_YEAR: f64 = 4.0 * 89.0;

/// The demo: two years up to (not including) `today` for Værnesregionen.
pub fn demo(today: NaiveDate) -> Simulation {
    Simulation {
        municipalities: VAERNES
            .iter()
            .map(|(number, weight)| ((*number).to_owned(), *weight))
            .collect(),
        first_day: today - chrono::Duration::days(730),
        until: Until::Day(today),
        reports_per_day: DEMO_REPORTS_PER_YEAR / 365.0,
        seed: 2026,
        demo_people: true,
    }
}
