//! Local ATS simulators our connectors are tested against, one module per ATS, over shared pieces:
//! the HTTP/1 listener, recorded requests, HTML escaping and the state file that lets a simulator
//! survive a restart.
//!
//! The contracts they play are `shared/research/ats-contracts.md` §1 (iCIMS), §2 (Greenhouse) and §4 (Workable);
//! where those leave a choice, the behaviour here is the reference both sides follow (see
//! `docs/icims-simulator.md`, `docs/greenhouse-simulator.md` and
//! `docs/workable-simulator.md`).

pub mod auth;
pub mod greenhouse;
mod html;
pub mod icims;
mod partner;
mod persist;
mod record;
mod server;
pub mod workable;

pub use record::RecordedRequest;
