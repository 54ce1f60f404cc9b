//! Background job kinds and the worker that runs them on top of `store::jobs`.

pub mod email;
mod handlers;
pub mod hourly;
pub mod housekeeping;
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

impl JobError {
    /// A failure worth retrying, from anything displayable (database, network).
    pub fn retry(e: impl std::fmt::Display) -> JobError {
        JobError::Retry(anyhow::anyhow!("{e}"))
    }
}

/// A refused recipient will stay refused; anything else may pass on a later attempt.
impl From<crate::mailer::MailError> for JobError {
    fn from(e: crate::mailer::MailError) -> Self {
        match e {
            e @ crate::mailer::MailError::Permanent(_) => JobError::Permanent(e.into()),
            e => JobError::Retry(e.into()),
        }
    }
}

/// A claimed job as a handler sees it.
#[derive(Debug, Clone)]
pub struct JobInput {
    pub id: String,
    pub kind: String,
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

impl JobInput {
    /// The organisation and invitation a job is about (`invitation_id` in its payload).
    pub fn invitation(&self) -> Result<(shortlist_domain::OrgId, shortlist_domain::InvitationId), JobError> {
        let raw = self
            .payload
            .get("invitation_id")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        let org = self
            .org_id
            .as_deref()
            .and_then(|o| shortlist_domain::OrgId::parse(o).ok());
        match (org, shortlist_domain::InvitationId::parse(raw)) {
            (Some(o), Ok(i)) => Ok((o, i)),
            _ => Err(JobError::Permanent(anyhow::anyhow!(
                "job without a valid organisation or invitation id"
            ))),
        }
    }
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
