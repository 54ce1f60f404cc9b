//! Connectors to applicant tracking systems. Each ATS is one module implementing [`Connector`]
//! (plus its routes in the web crate and its simulator), registered with one line in the
//! composition root. What they all share lives here: the connection model ([`AtsConnection`],
//! one `ats_connections` table), placing an order in one transaction under a dedup policy
//! ([`Shared::place`]), and the write-back runner ([`writeback`]) with its lease, retries,
//! daily budget and parking. See docs/connectors/README.md.

pub mod connection;
pub mod greenhouse;
pub mod icims;
pub mod order;
pub mod registry;
mod reuse;
pub mod writeback;

pub use connection::{AtsConnection, NewAts};
pub use order::{Dedup, Order, OrderError, Package, Placed};
pub use registry::{Connector, Outcome, Registry, Status, WriteError, WriteJob};

use crate::AppError;
use crate::outbound::Guard;
use crate::recruiting::Recruiting;
use shortlist_store::Db;
use std::sync::Arc;

/// At most half the smallest pool (SQLite: 8 connections), so other requests still get one.
const ORDER_DB_SLOTS: usize = 4;

/// What every connector uses. Built once in the composition root; cheap to clone.
#[derive(Clone)]
pub struct Shared {
    pub db: Db,
    pub recruiting: Recruiting,
    /// The guard every outbound ATS URL passes (at save and before each call).
    pub guard: Guard,
    /// Orders doing database work at once in this process, across connectors. A bulk move
    /// arrives as hundreds of simultaneous calls; queueing them here (FIFO) keeps each one's
    /// queries from waiting on the pool until it times out, and they are still answered fast.
    db_slots: Arc<tokio::sync::Semaphore>,
}

impl Shared {
    pub fn new(db: Db, recruiting: Recruiting, guard: Guard) -> Shared {
        Shared {
            db,
            recruiting,
            guard,
            db_slots: Arc::new(tokio::sync::Semaphore::new(ORDER_DB_SLOTS)),
        }
    }

    pub(crate) async fn db_slot(&self) -> Result<tokio::sync::SemaphorePermit<'_>, AppError> {
        self.db_slots
            .acquire()
            .await
            .map_err(|_| AppError::Internal(anyhow::anyhow!("shutting down")))
    }
}
