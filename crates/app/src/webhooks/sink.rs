//! Invitation events → one delivery job per enabled endpoint subscribed to the event's type
//! (endpoints of suspended partners get nothing). The job key is derived from the event and the
//! endpoint, so a retried dispatch never delivers twice.

use super::deliver::{DELIVER_KIND, MAX_JOB_ATTEMPTS};
use super::event_type_for;
use crate::events::{EventSink, InvitationEvent};
use crate::jobs::JobError;
use async_trait::async_trait;
use serde_json::json;
use shortlist_store::Db;
use shortlist_store::jobs::NewJob;
use shortlist_store::webhooks as store;

pub struct WebhookSink {
    pub db: Db,
}

#[async_trait]
impl EventSink for WebhookSink {
    async fn jobs_for(&self, event: &InvitationEvent) -> Result<Vec<NewJob>, JobError> {
        let Some(event_type) = event_type_for(&event.kind) else {
            return Ok(Vec::new());
        };
        let endpoints = store::receiving_endpoints(&self.db, &event.org)
            .await
            .map_err(JobError::retry)?;
        Ok(endpoints
            .into_iter()
            .filter(|e| e.events.split(' ').any(|t| t == event_type))
            .map(|e| {
                let payload = json!({
                    "endpoint_id": e.id,
                    "event_id": event.event_id,
                    "event_type": event_type,
                    "invitation_id": event.invitation.as_str(),
                    "actor": event.actor,
                    "at": event.at,
                });
                NewJob::new(DELIVER_KIND, payload)
                    .for_org(&event.org)
                    .unique(event.job_key(&format!("webhook:{}", e.id)))
                    .max_attempts(MAX_JOB_ATTEMPTS)
            })
            .collect())
    }
}
