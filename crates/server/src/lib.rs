//! The `shortlist` binary's library half: configuration, the composition root and subcommands,
//! shared with the integration tests so they run exactly what `main` runs.

pub mod admin;
pub mod admin_greenhouse;
pub mod admin_icims;
pub mod admin_partner;
pub mod admin_workable;
pub mod admin_writeback;
pub mod app;
pub mod config;
pub mod demo;
pub mod demo_greenhouse;
pub mod demo_workable;
pub mod http;
pub mod serve;
pub mod telemetry;

pub use app::App;
