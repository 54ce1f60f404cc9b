//! Connectors to applicant tracking systems. Each ATS is one module implementing [`Connector`]
//! (plus its routes in the web crate and its simulator), registered with one line in the
//! composition root. What they all share lives here: the connection model ([`AtsConnection`],
//! one `ats_connections` table), placing an order in one transaction under a dedup policy
//! ([`Shared::place`]), and the write-back runner ([`writeback`]) with its lease, retries,
//! daily budget and parking. See docs/connectors/README.md.

mod call_error;
pub mod connection;
pub mod greenhouse;
pub mod icims;
pub mod keys;
pub mod order;
pub mod registry;
mod reuse;
pub mod workable;
pub mod writeback;

pub use call_error::CallError;
pub use connection::{AtsConnection, NewAts};
pub use order::{Dedup, Order, OrderError, Package, Placed};
pub use registry::{Connector, Outcome, Registry, Status, WriteError, WriteJob};

use crate::AppError;
use crate::outbound::Guard;
use crate::recruiting::Recruiting;
use shortlist_store::Db;
use std::sync::Arc;

/// Orders placed at once: half the pool (SQLite 8 connections, PostgreSQL 16), so other
/// requests still get one. On SQLite more would only queue on its single write lock.
const ORDER_DB_SLOTS_SQLITE: usize = 4;
const ORDER_DB_SLOTS_POSTGRES: usize = 8;
/// `last_inbound_at` is written at most this often per connection and process: it is shown to
/// people, and a write per order would make every order of a connection contend for one row.
const TOUCH_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

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
    /// When this process last wrote each connection's `last_inbound_at`.
    touched: Arc<std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>>,
}

impl Shared {
    pub fn new(db: Db, recruiting: Recruiting, guard: Guard) -> Shared {
        let slots = match db.backend() {
            shortlist_store::Backend::Sqlite => ORDER_DB_SLOTS_SQLITE,
            shortlist_store::Backend::Postgres => ORDER_DB_SLOTS_POSTGRES,
        };
        Shared {
            db,
            recruiting,
            guard,
            db_slots: Arc::new(tokio::sync::Semaphore::new(slots)),
            touched: Default::default(),
        }
    }

    /// Notes that the ATS called (for Settings → Integrations), at most every [`TOUCH_EVERY`].
    pub(crate) async fn note_inbound(&self, conn: &AtsConnection) {
        let now = std::time::Instant::now();
        {
            let mut seen = self.touched.lock().unwrap_or_else(|e| e.into_inner());
            match seen.get(conn.id.as_str()) {
                Some(t) if now.duration_since(*t) < TOUCH_EVERY => return,
                _ => {
                    seen.insert(conn.id.to_string(), now);
                }
            }
        }
        if let Err(e) = shortlist_store::ats::touch_inbound(&self.db, &conn.org_id, conn.id.as_str()).await {
            tracing::warn!(connection = %conn.id, error = %e, "could not note the ATS's call");
        }
    }

    pub(crate) async fn db_slot(&self) -> Result<tokio::sync::SemaphorePermit<'_>, AppError> {
        self.db_slots
            .acquire()
            .await
            .map_err(|_| AppError::Internal(anyhow::anyhow!("shutting down")))
    }
}
