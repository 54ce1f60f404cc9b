//! The iCIMS connector: one connection per organisation (routed on the iCIMS customer id), the
//! outbound client, inbound authentication and the event use case.

pub mod auth;
pub mod client;
pub mod connection;
pub mod diagnose;
pub mod events;
pub mod writeback;

pub use client::{IcimsClient, IcimsError, OutboundAuth};
pub use connection::{Connection, NewConnectionInput, StatusValues};

use crate::recruiting::Recruiting;
use crate::secrets::Sealer;
use shortlist_store::Db;

/// What the connector's use cases share. Cheap to clone.
#[derive(Clone)]
pub struct Icims {
    pub db: Db,
    pub recruiting: Recruiting,
    /// Opens the outbound secrets stored in `icims_connections`.
    pub sealer: Sealer,
    /// Signs the bearer tokens our token endpoint hands to iCIMS.
    token_key: Vec<u8>,
}

impl Icims {
    pub fn new(db: Db, recruiting: Recruiting, server_key: &[u8]) -> Icims {
        Icims {
            db,
            recruiting,
            sealer: Sealer::new(server_key, "icims/outbound-secret"),
            token_key: auth::derive_token_key(server_key),
        }
    }
}
