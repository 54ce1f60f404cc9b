//! Staging leftovers. Parts are normally removed when their upload completes, expires or is
//! replaced, but a process killed mid-PATCH, a commit that failed, or a removal that failed
//! (a full disk) leaves them behind, and on a disk that was just freed they fill it again. An
//! hourly job removes staging objects no upload row still needs, the temporary files of
//! writes cut short by a kill, and media-probe scratch folders; anything younger than the
//! minimum age is never touched, so an upload in flight keeps its parts.

use super::{UploadError, Uploads, probe::PROBE_TMP_PREFIX};
use crate::clock::Clock;
use crate::jobs::{JobError, JobHandler, JobInput, hourly};
use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use shortlist_store::Db;
use shortlist_store::uploads::{self as store, PartRow};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::SystemTime;

pub const SWEEP_KIND: &str = "uploads.sweep";

/// Leftovers younger than this stay: a PATCH in flight holds parts it has not recorded yet.
pub const MIN_AGE: TimeDelta = TimeDelta::hours(1);
/// Uploads looked at per run; the rest waits for the next hour (bounded work per job).
const MAX_UPLOADS: usize = 5_000;

/// What one sweep removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub staged: usize,
    pub temp_files: usize,
    pub probe_dirs: usize,
}

impl Uploads {
    /// Removes staging objects older than `min_age` that no unfinished upload has recorded
    /// (uploads without a row, completed, expired or ended ones, and parts of failed
    /// commits), stale temporary files of the media folder and stale probe scratch folders.
    pub async fn sweep_staging(&self, min_age: TimeDelta) -> Result<Swept, UploadError> {
        let now = self.clock.now();
        let cutoff = now - min_age;
        let mut by_upload: BTreeMap<String, Vec<(String, DateTime<Utc>)>> = BTreeMap::new();
        for (key, at) in self.media.list_dated("staging").await? {
            if let Some(id) = key.strip_prefix("staging/").and_then(|r| r.split('/').next()) {
                by_upload.entry(id.to_string()).or_default().push((key, at));
            }
        }
        let mut swept = Swept::default();
        for (id, objects) in by_upload.into_iter().take(MAX_UPLOADS) {
            if objects.iter().all(|(_, at)| *at >= cutoff) {
                continue;
            }
            let keep: HashSet<String> = match store::get(&self.db, &id).await? {
                Some(row) if row.state == "uploading" => {
                    // Held now or lately: its PATCH may hold parts it records only at the end.
                    if row.lock_token.is_some() && row.locked_until.is_some_and(|t| t >= cutoff) {
                        continue;
                    }
                    store::parts(&self.db, &id)
                        .await?
                        .into_iter()
                        .map(|p| p.object_key)
                        .collect()
                }
                Some(_) => {
                    store::delete_parts(&self.db, &id).await?;
                    HashSet::new()
                }
                None => HashSet::new(),
            };
            for (key, at) in objects {
                if at < cutoff && !keep.contains(&key) {
                    self.media.remove(&key).await?;
                    swept.staged += 1;
                }
            }
        }
        let before = SystemTime::from(cutoff);
        swept.temp_files = self.media.remove_stale_temp_files(before).await?;
        swept.probe_dirs = remove_probe_dirs(&std::env::temp_dir(), before);
        Ok(swept)
    }
}

impl Uploads {
    /// Removes the staged parts of a PATCH that failed, unless they were recorded after all
    /// (a commit whose answer was lost); when that cannot be told, the sweep decides later.
    pub(super) async fn forget_unrecorded(&self, id: &str, pending: Vec<PartRow>) {
        if pending.is_empty() {
            return;
        }
        let recorded: HashSet<String> = match store::parts(&self.db, id).await {
            Ok(parts) => parts.into_iter().map(|p| p.object_key).collect(),
            Err(e) => {
                tracing::warn!(upload = id, error = %e, "staged parts left to the sweep");
                return;
            }
        };
        for p in pending.iter().filter(|p| !recorded.contains(&p.object_key)) {
            if let Err(e) = self.media.remove(&p.object_key).await {
                tracing::warn!(key = p.object_key, error = %e, "staged part left to the sweep");
            }
        }
    }
}

/// Probe scratch folders (a copy of a take, a poster, an audio track) left by a killed worker.
fn remove_probe_dirs(tmp: &std::path::Path, before: SystemTime) -> usize {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return 0;
    };
    let mut n = 0;
    for e in entries.flatten() {
        let ours = e.file_name().to_string_lossy().starts_with(PROBE_TMP_PREFIX);
        let stale = e.metadata().and_then(|m| m.modified()).is_ok_and(|t| t < before);
        if ours && stale && e.file_type().is_ok_and(|t| t.is_dir()) {
            match std::fs::remove_dir_all(e.path()) {
                Ok(()) => n += 1,
                Err(err) => tracing::warn!(dir = %e.path().display(), error = %err, "probe folder not removed"),
            }
        }
    }
    n
}

/// Starts the hourly chain at boot, from the next hour (a no-op when that run is queued).
pub async fn start_sweep(db: &Db, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    hourly::enqueue(db, SWEEP_KIND, hourly::this_hour(now) + TimeDelta::hours(1)).await
}

pub struct SweepStaging {
    pub uploads: Uploads,
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl JobHandler for SweepStaging {
    fn kind(&self) -> &'static str {
        SWEEP_KIND
    }

    async fn run(&self, _job: &JobInput) -> Result<(), JobError> {
        let next = hourly::this_hour(self.clock.now()) + TimeDelta::hours(1);
        hourly::enqueue(&self.uploads.db, SWEEP_KIND, next)
            .await
            .map_err(JobError::retry)?;
        let s = self.uploads.sweep_staging(MIN_AGE).await.map_err(|e| match e {
            UploadError::Internal(inner) => JobError::Retry(inner),
            other => JobError::retry(other),
        })?;
        tracing::info!(
            staged = s.staged,
            temp_files = s.temp_files,
            probe_dirs = s.probe_dirs,
            "staging swept"
        );
        Ok(())
    }
}
