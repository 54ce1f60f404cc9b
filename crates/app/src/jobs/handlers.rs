//! The job kinds of the foundation: sending an e-mail, and a diagnostic marker that proves the
//! worker and the media store work end to end (`shortlist admin selftest`).

use super::{JobError, JobHandler, JobInput};
use crate::mailer::{Mailer, OutgoingEmail};
use async_trait::async_trait;
use shortlist_store::MediaStore;
use std::sync::Arc;

pub struct SendEmail {
    pub mailer: Arc<dyn Mailer>,
}

impl SendEmail {
    pub const KIND: &'static str = "email.send";
}

#[async_trait]
impl JobHandler for SendEmail {
    fn kind(&self) -> &'static str {
        Self::KIND
    }

    async fn run(&self, job: &JobInput) -> Result<(), JobError> {
        let mail: OutgoingEmail =
            serde_json::from_value(job.payload.clone()).map_err(|e| JobError::Permanent(e.into()))?;
        Ok(self.mailer.send(&mail).await?)
    }
}

/// Writes one object per execution under `diag/<job id>/`. Counting those objects afterwards
/// tells how often a job really ran, independent of what the worker believes.
pub struct DiagMarker {
    pub media: MediaStore,
}

impl DiagMarker {
    pub const KIND: &'static str = "diag.marker";
}

pub fn diag_marker_prefix(job_id: &str) -> String {
    format!("diag/{job_id}")
}

#[async_trait]
impl JobHandler for DiagMarker {
    fn kind(&self) -> &'static str {
        Self::KIND
    }

    async fn run(&self, job: &JobInput) -> Result<(), JobError> {
        let key = format!("{}/{}", diag_marker_prefix(&job.id), uuid::Uuid::now_v7().simple());
        let body = serde_json::json!({ "attempt": job.attempt, "payload": job.payload }).to_string();
        self.media
            .put(&key, body.into_bytes())
            .await
            .map_err(|e| JobError::Retry(e.into()))?;
        // An optional pause lets tests and operators watch a job "in flight".
        if let Some(ms) = job.payload.get("sleep_ms").and_then(|v| v.as_u64()) {
            tokio::time::sleep(std::time::Duration::from_millis(ms.min(60_000))).await;
        }
        if job.payload.get("fail").and_then(|v| v.as_bool()) == Some(true) {
            return Err(JobError::Retry(anyhow::anyhow!("diagnostic failure requested")));
        }
        Ok(())
    }
}
