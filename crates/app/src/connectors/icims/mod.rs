//! The iCIMS connector: one connection per organisation (routed on the iCIMS customer id), the
//! outbound client, inbound authentication, the event use case and the write-back.

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

use super::Shared;
use crate::outbound::Outbound;
use crate::recruiting::Recruiting;
use crate::secrets::Sealer;
use shortlist_store::Db;

/// The kind stored on connections and external references.
pub const KIND: &str = "icims";

type ClientCache = std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, (String, IcimsClient)>>>;

/// What the connector's use cases share. Cheap to clone.
#[derive(Clone)]
pub struct Icims {
    pub shared: Shared,
    /// Shorthands for `shared.db` and `shared.recruiting`.
    pub db: Db,
    pub recruiting: Recruiting,
    /// Opens the outbound secret sealed in the connection.
    pub sealer: Sealer,
    /// Signs the bearer tokens our token endpoint hands to iCIMS.
    token_key: Vec<u8>,
    /// The guard every API and token URL passes (at save and before each call), with the
    /// pinned clients the calls use.
    pub outbound: Outbound,
    /// A client per connection, so an OAuth token is fetched once, not per event. Keyed by
    /// connection id and the settings it was built from (a change builds a new one).
    clients: ClientCache,
}

impl Icims {
    pub fn new(shared: Shared, server_key: &[u8]) -> Icims {
        Icims {
            db: shared.db.clone(),
            recruiting: shared.recruiting.clone(),
            sealer: Sealer::new(server_key, "icims/outbound-secret"),
            token_key: auth::derive_token_key(server_key),
            outbound: Outbound::new(shared.guard.clone(), client::PROFILE),
            shared,
            clients: Default::default(),
        }
    }
}
