//! Persistence for Shortlist: one `Db` over SQLite or PostgreSQL, the repositories, the durable
//! job queue and the media object store.
//!
//! SQL is written once with `$n` placeholders (both engines accept them) and run through
//! [`on_db!`]/[`on_tx!`], which expand the same expression for each concrete sqlx driver. Every
//! repository function that touches tenant data takes the `OrgId` first.

pub mod ats;
pub mod ats_writeback;
pub mod candidates;
pub mod credentials;
pub mod db;
pub mod idempotency;
pub mod interviews;
pub mod invitations;
pub mod jobs;
pub mod media;
pub mod media_objects;
pub mod notify;
pub mod orgs;
pub mod page;
pub mod positions;
pub mod results;
pub mod retention;
pub mod review;
pub mod sessions;
pub mod settings;
pub mod take_probe;
pub mod templates;
pub mod uploads;
pub mod users;
pub mod webhooks;

pub use db::{Backend, Db, DbError, Tx};
pub use media::MediaStore;

/// Timestamps are cut to microseconds before they are stored: PostgreSQL keeps microseconds and
/// SQLite whatever it is given, so equal values must compare equal on both.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    truncate_micros(chrono::Utc::now())
}

pub fn truncate_micros(t: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    use chrono::{DurationRound, TimeDelta};
    t.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(t)
}
