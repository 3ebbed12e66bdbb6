//! The `vern` process: where the database comes from, the gRPC server that puts the services,
//! health, reflection and authentication on one listener, and the composition root (`app`)
//! that wires a whole serving process. `main.rs` and `cli/` are only the command line over
//! this library, so the end-to-end tests and the demo run the same process in-process.

pub mod app;
pub mod database;
pub mod demo;
pub mod import;
pub mod lapses;
pub mod progress;
pub mod registry;
pub mod server;
pub mod telemetry;
pub mod views;
