//! The imperative shell's tools: the pieces every Vern process needs around the domain and the
//! store, kept out of both so they stay free of process and operating-system concerns.
//!
//! Today: the embedded PostgreSQL ([`postgres`]) that `vern up` runs when no `DATABASE_URL`
//! is given and that the testkit starts once per test run, and bearer tokens ([`auth`]).
//! Configuration, telemetry and shutdown join them in later work.

pub mod auth;
pub mod postgres;

pub use postgres::{Auth, Cluster, Error, PgBinaries, ServerSettings};
