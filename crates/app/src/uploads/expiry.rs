//! Unfinished uploads expire a day after creation. A timer job, written in the same transaction
//! as the upload (the outbox), ends the upload then and frees its staged bytes.

use super::{UploadError, Uploads};
use crate::jobs::{JobError, JobHandler, JobInput};
use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use shortlist_domain::OrgId;
use shortlist_store::jobs::NewJob;
use shortlist_store::uploads as store;

pub const EXPIRE_KIND: &str = "uploads.expire";

#[derive(Debug, Serialize, Deserialize)]
struct Timer {
    upload_id: String,
}

/// The job that expires upload `id` just after `at`.
pub(super) fn timer(org: &OrgId, id: &str, at: DateTime<Utc>) -> NewJob {
    let mut job = NewJob::new(EXPIRE_KIND, serde_json::json!(Timer { upload_id: id.into() }))
        .for_org(org)
        .unique(id);
    job.run_at = Some(at + TimeDelta::seconds(1));
    job
}

pub struct ExpireUpload {
    pub uploads: Uploads,
}

#[async_trait]
impl JobHandler for ExpireUpload {
    fn kind(&self) -> &'static str {
        EXPIRE_KIND
    }

    async fn run(&self, job: &JobInput) -> Result<(), JobError> {
        let t: Timer = serde_json::from_value(job.payload.clone()).map_err(|e| JobError::Permanent(e.into()))?;
        match self.uploads.expire(&t.upload_id).await {
            Ok(_) => Ok(()),
            Err(e) => Err(JobError::Retry(anyhow::anyhow!("{e}"))),
        }
    }
}

impl Uploads {
    /// Ends one upload if it is unfinished and past its expiry. `Ok(false)` when there was
    /// nothing to do; an error while a PATCH still holds it (try again later).
    pub async fn expire(&self, id: &str) -> Result<bool, UploadError> {
        let Some(row) = store::get(&self.db, id).await? else {
            return Ok(false);
        };
        let now = self.clock.now();
        if row.state != "uploading" || now < row.expires_at {
            return Ok(false);
        }
        if row.locked_until.is_some_and(|t| t >= now) {
            return Err(UploadError::Locked);
        }
        if !store::terminate(&self.db, id, now).await? {
            return Ok(false);
        }
        self.discard_staging(id).await;
        Ok(true)
    }

    /// Ends every unfinished upload past its expiry that nobody holds (a sweep for uploads
    /// whose timer was lost).
    pub async fn sweep_expired(&self, limit: i64) -> Result<usize, UploadError> {
        let mut n = 0;
        for id in store::expired(&self.db, self.clock.now(), limit).await? {
            if self.expire(&id).await.unwrap_or(false) {
                n += 1;
            }
        }
        Ok(n)
    }
}
