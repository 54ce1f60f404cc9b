//! Background job kinds and the worker that runs them on top of `store::jobs`.

mod handlers;
mod worker;

pub use handlers::{DiagMarker, SendEmail, diag_marker_prefix};
pub use worker::{Worker, WorkerConfig};

use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::Arc;

/// How a handler's failure should be treated.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth trying again later (network, remote 5xx, timeouts).
    #[error("{0:#}")]
    Retry(anyhow::Error),
    /// Will never succeed (malformed payload, rejected recipient): goes straight to `dead`.
    #[error("{0:#}")]
    Permanent(anyhow::Error),
}

/// A claimed job as a handler sees it.
#[derive(Debug, Clone)]
pub struct JobInput {
    pub id: String,
    pub org_id: Option<String>,
    pub attempt: i32,
    pub payload: serde_json::Value,
}

/// One kind of background work. Handlers must be idempotent: after a crash a job may run again.
#[async_trait]
pub trait JobHandler: Send + Sync {
    fn kind(&self) -> &'static str;
    async fn run(&self, job: &JobInput) -> Result<(), JobError>;
}

/// The handlers this process can run, by kind.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<&'static str, Arc<dyn JobHandler>>,
}

impl Registry {
    pub fn with(mut self, handler: Arc<dyn JobHandler>) -> Self {
        self.handlers.insert(handler.kind(), handler);
        self
    }

    pub fn get(&self, kind: &str) -> Option<Arc<dyn JobHandler>> {
        self.handlers.get(kind).cloned()
    }
}
