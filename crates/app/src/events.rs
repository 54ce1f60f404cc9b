//! Invitation events fanned out to their consumers. `store::invitations::add_event` writes the
//! event and one dispatch job in the business transaction; the [`Dispatcher`] runs that job and
//! asks every registered [`EventSink`] which jobs the event means for it (an ATS write-back, a
//! notification, a webhook delivery), then enqueues them all in one transaction under keys
//! derived from the event id — a retried dispatch enqueues nothing twice, and one slow or failing
//! consumer never holds up another because each gets its own job.

use crate::jobs::{JobError, JobHandler, JobInput};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shortlist_domain::{InvitationId, OrgId};
use shortlist_store::Db;
use shortlist_store::invitations::EVENT_DISPATCH_KIND;
use shortlist_store::jobs::{self as jobq, NewJob};
use std::sync::Arc;

/// One recorded invitation event as the dispatch job carries it.
#[derive(Debug, Clone)]
pub struct InvitationEvent {
    pub org: OrgId,
    pub invitation: InvitationId,
    /// `evt_…`: unique; sinks derive their job keys from it.
    pub event_id: String,
    /// `created`, `email_sent`, `email_failed`, `opened`, `started`, `completed`, `expired`,
    /// `cancelled`, `extended`, `resend_requested`, …
    pub kind: String,
    pub actor: String,
    pub at: DateTime<Utc>,
}

impl InvitationEvent {
    fn from_job(job: &JobInput) -> Result<Self, JobError> {
        let (org, invitation) = job.invitation()?;
        let text = |k: &str| {
            job.payload
                .get(k)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let at = job
            .payload
            .get("at")
            .and_then(|v| serde_json::from_value::<DateTime<Utc>>(v.clone()).ok())
            .ok_or_else(|| JobError::Permanent(anyhow::anyhow!("dispatch job without a valid `at`")))?;
        let event_id = text("event_id");
        if event_id.is_empty() {
            return Err(JobError::Permanent(anyhow::anyhow!("dispatch job without an event id")));
        }
        Ok(Self {
            org,
            invitation,
            event_id,
            kind: text("kind"),
            actor: text("actor"),
            at,
        })
    }

    /// A job key unique to this event and consumer.
    pub fn job_key(&self, consumer: &str) -> String {
        format!("{}/{consumer}", self.event_id)
    }
}

/// A consumer of invitation events. It only decides which jobs to enqueue (reading what it needs);
/// the work itself happens in those jobs, so it must stay quick and side-effect free.
#[async_trait]
pub trait EventSink: Send + Sync {
    async fn jobs_for(&self, event: &InvitationEvent) -> Result<Vec<NewJob>, JobError>;
}

/// Runs `invitation.event` jobs.
pub struct Dispatcher {
    pub db: Db,
    pub sinks: Vec<Arc<dyn EventSink>>,
}

#[async_trait]
impl JobHandler for Dispatcher {
    fn kind(&self) -> &'static str {
        EVENT_DISPATCH_KIND
    }

    async fn run(&self, job: &JobInput) -> Result<(), JobError> {
        let event = InvitationEvent::from_job(job)?;
        let mut jobs = Vec::new();
        for sink in &self.sinks {
            jobs.extend(sink.jobs_for(&event).await?);
        }
        if jobs.is_empty() {
            return Ok(());
        }
        let mut tx = self.db.begin().await.map_err(JobError::retry)?;
        for j in &jobs {
            jobq::enqueue(&mut tx, j).await.map_err(JobError::retry)?;
        }
        tx.commit().await.map_err(JobError::retry)
    }
}
