//! The iCIMS connector: one connection per organisation (routed on the iCIMS customer id), the
//! outbound client, inbound authentication and the event use case.

pub mod auth;
pub mod client;
pub mod connection;
pub mod diagnose;
pub mod events;
pub mod links;
pub mod resources;
pub mod setup;
pub mod writeback;

pub use client::{IcimsClient, IcimsError, OutboundAuth};
pub use connection::{Connection, NewConnectionInput, StatusValues};

use crate::outbound::{Guard, Outbound};
use crate::recruiting::Recruiting;
use crate::secrets::Sealer;
use shortlist_store::Db;

/// At most half the smallest pool (SQLite: 8 connections), so other requests still get one.
const EVENT_DB_SLOTS: usize = 4;

type ClientCache = std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, (String, IcimsClient)>>>;

/// What the connector's use cases share. Cheap to clone.
#[derive(Clone)]
pub struct Icims {
    pub db: Db,
    pub recruiting: Recruiting,
    /// Opens the outbound secrets stored in `icims_connections`.
    pub sealer: Sealer,
    /// Signs the bearer tokens our token endpoint hands to iCIMS.
    token_key: Vec<u8>,
    /// Events doing database work at once in this process. A bulk move arrives as hundreds of
    /// simultaneous events; queueing them here (FIFO) keeps each one's queries from waiting on
    /// the connection pool until it times out, and they are still answered within seconds.
    pub(crate) db_slots: std::sync::Arc<tokio::sync::Semaphore>,
    /// The guard every API and token URL passes (at save and before each call), with the
    /// pinned clients the calls use.
    pub outbound: Outbound,
    /// A client per connection, so an OAuth token is fetched once, not per event. Keyed by
    /// connection id and the settings it was built from (a change builds a new one).
    clients: ClientCache,
}

impl Icims {
    pub fn new(db: Db, recruiting: Recruiting, server_key: &[u8], guard: Guard) -> Icims {
        Icims {
            db,
            recruiting,
            sealer: Sealer::new(server_key, "icims/outbound-secret"),
            token_key: auth::derive_token_key(server_key),
            db_slots: std::sync::Arc::new(tokio::sync::Semaphore::new(EVENT_DB_SLOTS)),
            outbound: Outbound::new(guard, client::PROFILE),
            clients: Default::default(),
        }
    }
}
