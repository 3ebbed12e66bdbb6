//! The `vern` process: where the database comes from, and the gRPC server that puts the
//! services, health, reflection and authentication on one listener. `main.rs` is only the
//! command line over this library, so the end-to-end tests run the same server in-process.

pub mod database;
pub mod demo;
pub mod registry;
pub mod server;
pub mod telemetry;
pub mod views;
