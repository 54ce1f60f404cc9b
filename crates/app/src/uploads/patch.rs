//! PATCH: appending a streamed body to an upload, and assembling the answer from its parts when
//! the last byte arrives. An upload created with a deferred length (a recording uploaded while
//! it is made) learns its length from the PATCH that carries `Upload-Length`; it is bounded by
//! the size limit until then, and it is only complete once the length is known and every byte
//! of it is stored.

use super::rules::{self, Checksum};
use super::{UploadError, UploadInfo, Uploads, accept, check_live, internal, staging_prefix};
use crate::media_type;
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use rand::RngCore;
use sha2::{Digest, Sha256};
use shortlist_store::uploads::{self as store, PartRow, TakeRow, UploadRow};
use std::time::Instant;

/// Received bytes are kept in pieces of this size, and the parts are read back in ranges of it,
/// so no single allocation is as large as a part (large short-lived allocations fragment the
/// heap and make the process grow with the file).
const PIECE: usize = 1 << 20;

/// The bytes of one staging part as they arrive.
#[derive(Default)]
struct PartBuf {
    pieces: Vec<Vec<u8>>,
    len: usize,
}

impl PartBuf {
    fn push(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if self.pieces.last().is_none_or(|p| p.len() == PIECE) {
                self.pieces.push(Vec::with_capacity(PIECE));
            }
            if let Some(last) = self.pieces.last_mut() {
                let n = (PIECE - last.len()).min(bytes.len());
                last.extend_from_slice(&bytes[..n]);
                bytes = &bytes[n..];
                self.len += n;
            }
        }
    }

    fn take(&mut self) -> Vec<Vec<u8>> {
        self.len = 0;
        std::mem::take(&mut self.pieces)
    }
}

/// Why the body stopped before its end.
enum Stop {
    Finished,
    Cut(String),
    TooLong,
}

/// One PATCH holding the upload's lease.
struct Holder<'a> {
    up: &'a Uploads,
    row: UploadRow,
    lock: String,
    /// The offset recorded in the database.
    committed: u64,
    /// Staged parts not yet recorded (a body with a checksum, or the final part).
    pending: Vec<PartRow>,
    renewed: Instant,
}

impl Uploads {
    /// Appends `body` at `offset`; `length` is the PATCH's Upload-Length (how a deferred
    /// upload learns its length). The work runs on a task of its own, so a client that goes
    /// away mid-body still gets the bytes that arrived recorded and the lease released.
    pub async fn patch<S, B, E>(
        &self,
        id: &str,
        token: &str,
        req: PatchRequest<'_>,
        body: S,
    ) -> Result<UploadInfo, UploadError>
    where
        S: Stream<Item = Result<B, E>> + Send + Unpin + 'static,
        B: AsRef<[u8]> + Send + 'static,
        E: std::fmt::Display + Send + 'static,
    {
        let (this, id, token) = (self.clone(), id.to_string(), token.to_string());
        let checksum = req.checksum.map(str::to_string);
        let (offset, length, content_length) = (req.offset, req.length, req.content_length);
        self.tasks
            .spawn(async move {
                let req = PatchRequest {
                    offset,
                    length,
                    checksum: checksum.as_deref(),
                    content_length,
                };
                this.patch_here(&id, &token, req, body).await
            })
            .await
            .map_err(internal)?
    }

    async fn patch_here<S, B, E>(
        &self,
        id: &str,
        token: &str,
        req: PatchRequest<'_>,
        body: S,
    ) -> Result<UploadInfo, UploadError>
    where
        S: Stream<Item = Result<B, E>> + Send + Unpin,
        B: AsRef<[u8]>,
        E: std::fmt::Display,
    {
        let PatchRequest {
            offset,
            length: new_length,
            checksum,
            content_length,
        } = req;
        let row = self.authorised(id, token).await?;
        let info = UploadInfo::of(&row);
        if info.complete {
            return if Some(offset) == info.length && new_length.is_none_or(|n| Some(n) == info.length) {
                Ok(info)
            } else {
                Err(UploadError::OffsetMismatch { offset: info.offset })
            };
        }
        check_live(&row.invitation_state, row.invitation_expires_at, self.clock.now())?;
        let sum = checksum.map(Checksum::parse).transpose()?;
        if offset != info.offset {
            return Err(UploadError::OffsetMismatch { offset: info.offset });
        }
        let limit = self.limit_for(&row.filetype);
        let bound = match (info.length, new_length) {
            (Some(known), Some(sent)) if known != sent => {
                return Err(UploadError::BadRequest(format!(
                    "Upload-Length cannot change: this upload is {known} bytes long"
                )));
            }
            (Some(known), _) => known,
            (None, Some(0)) => return Err(UploadError::BadRequest("the file is empty".into())),
            (None, Some(sent)) if sent < offset => {
                return Err(UploadError::BadRequest(format!(
                    "Upload-Length {sent} is less than the {offset} bytes already stored"
                )));
            }
            (None, Some(sent)) if sent > limit => return Err(super::too_large(limit)),
            (None, Some(sent)) => sent,
            (None, None) => limit,
        };
        if content_length.is_some_and(|n| offset.saturating_add(n) > bound) {
            return Err(past_end(info.length.or(new_length)));
        }
        let lock = format!("{:016x}", rand::rng().next_u64());
        let now = self.clock.now();
        if !store::acquire(&self.db, id, &lock, now, now + self.limits.lease).await? {
            return Err(UploadError::Locked);
        }
        let mut h = Holder {
            up: self,
            row,
            lock,
            committed: offset,
            pending: vec![],
            renewed: Instant::now(),
        };
        let result = h.run(offset, new_length, sum, body).await;
        if result.is_err() {
            // A failed store or commit (a full disk) must not leave its parts to fill the disk.
            self.forget_unrecorded(id, std::mem::take(&mut h.pending)).await;
        }
        if let Err(e) = store::release(&self.db, id, &h.lock).await {
            tracing::warn!(upload = id, error = %e, "lease not released; it runs out by itself");
        }
        result
    }
}

/// What a PATCH request says besides its body.
#[derive(Debug, Clone, Copy, Default)]
pub struct PatchRequest<'a> {
    pub offset: u64,
    /// Upload-Length: required once on an upload whose length was deferred.
    pub length: Option<u64>,
    pub checksum: Option<&'a str>,
    pub content_length: Option<u64>,
}

/// A body longer than the upload may be: past its length, or past the size limit when the
/// length is not known yet.
fn past_end(length: Option<u64>) -> UploadError {
    match length {
        Some(_) => UploadError::BadRequest("the body goes past Upload-Length".into()),
        None => UploadError::TooLarge("The recording is too large for this question.".into()),
    }
}

impl Holder<'_> {
    /// `None` while the length is deferred.
    fn length(&self) -> Option<u64> {
        u64::try_from(self.row.upload_length).ok()
    }

    async fn run<S, B, E>(
        &mut self,
        offset: u64,
        new_length: Option<u64>,
        mut sum: Option<Checksum>,
        mut body: S,
    ) -> Result<UploadInfo, UploadError>
    where
        S: Stream<Item = Result<B, E>> + Unpin,
        B: AsRef<[u8]>,
        E: std::fmt::Display,
    {
        // The row may have moved between the check and taking the lease.
        let fresh = store::get(&self.up.db, &self.row.id)
            .await?
            .ok_or(UploadError::NotFound)?;
        if u64::try_from(fresh.upload_offset).unwrap_or_default() != offset {
            return Err(UploadError::OffsetMismatch {
                offset: u64::try_from(fresh.upload_offset).unwrap_or_default(),
            });
        }
        if let Some(n) = new_length
            && self.length().is_none()
        {
            let n = i64::try_from(n).map_err(internal)?;
            if !store::set_length(&self.up.db, &self.row.id, &self.lock, n).await? {
                return Err(UploadError::Locked);
            }
            self.row.upload_length = n;
        }
        let part = self.up.limits.part_bytes.max(1);
        let length = self.length();
        let bound = length.unwrap_or_else(|| self.up.limit_for(&self.row.filetype));
        let mut buf = PartBuf::default();
        let mut staged = offset; // bytes before `buf`
        let stop = loop {
            let next = match tokio::time::timeout(self.up.limits.idle, body.next()).await {
                Err(_) => break Stop::Cut("no data arrived for too long".into()),
                Ok(None) => break Stop::Finished,
                Ok(Some(Err(e))) => break Stop::Cut(e.to_string()),
                Ok(Some(Ok(chunk))) => chunk,
            };
            let mut bytes = next.as_ref();
            metrics::counter!("shortlist_upload_bytes_received_total").increment(bytes.len() as u64);
            if staged + (buf.len + bytes.len()) as u64 > bound {
                break Stop::TooLong;
            }
            if let Some(s) = sum.as_mut() {
                s.update(bytes);
            }
            while !bytes.is_empty() {
                let n = (part - buf.len).min(bytes.len());
                buf.push(&bytes[..n]);
                bytes = &bytes[n..];
                if buf.len == part {
                    let at = staged;
                    staged += part as u64;
                    self.stage(at, buf.take(), sum.is_some()).await?;
                }
            }
            self.keep_lease().await?;
        };
        match stop {
            Stop::TooLong => {
                self.drop_pending().await;
                return Err(past_end(length));
            }
            Stop::Cut(why) if sum.is_some() => {
                self.drop_pending().await;
                return Err(UploadError::BadRequest(format!("the body was cut off ({why})")));
            }
            Stop::Cut(_) | Stop::Finished => {}
        }
        if buf.len > 0 {
            let at = staged;
            staged += buf.len as u64;
            self.stage(at, buf.take(), sum.is_some()).await?;
        }
        if let Some(s) = sum
            && !s.matches()
        {
            self.drop_pending().await;
            return Err(UploadError::ChecksumMismatch);
        }
        if Some(staged) == length {
            self.complete().await?;
        } else {
            self.commit_pending().await?;
        }
        if let Stop::Cut(why) = stop {
            return Err(UploadError::BadRequest(format!("the body was cut off ({why})")));
        }
        let mut row = self.row.clone();
        row.upload_offset = i64::try_from(self.committed).map_err(internal)?;
        if Some(self.committed) == length {
            row.state = "complete".into();
        }
        Ok(UploadInfo::of(&row))
    }

    /// Stores one part; records it at once unless it must wait (checksum, or the final part).
    async fn stage(&mut self, at: u64, pieces: Vec<Vec<u8>>, hold: bool) -> Result<(), UploadError> {
        let mut nonce = [0u8; 4];
        rand::rng().fill_bytes(&mut nonce);
        let key = format!(
            "{}/{at:020}-{:08x}",
            staging_prefix(&self.row.id),
            u32::from_be_bytes(nonce)
        );
        let size: u64 = pieces.iter().map(|p| p.len() as u64).sum();
        if at == 0
            && let Err(e) = accept::check_start(&self.row.filetype, &pieces, Some(size) == self.length())
        {
            self.refuse().await;
            return Err(e);
        }
        self.up.media.put_pieces(&key, pieces).await?;
        self.pending.push(PartRow {
            part_offset: i64::try_from(at).map_err(internal)?,
            size: i64::try_from(size).map_err(internal)?,
            object_key: key,
        });
        if !hold && self.length().is_none_or(|n| at + size < n) {
            self.commit_pending().await?;
        }
        Ok(())
    }

    async fn refuse(&mut self) {
        self.drop_pending().await;
        self.up.refuse(&self.row.id).await;
    }

    fn pending_end(&self) -> u64 {
        self.pending
            .last()
            .map_or(self.committed, |p| (p.part_offset + p.size) as u64)
    }

    fn lease_until(&self) -> DateTime<Utc> {
        self.up.clock.now() + self.up.limits.lease
    }

    async fn commit_pending(&mut self) -> Result<(), UploadError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let to = self.pending_end();
        let mut tx = self.up.db.begin().await?;
        let ok = store::commit_parts(
            &mut tx,
            &self.row.id,
            &self.lock,
            self.committed as i64,
            to as i64,
            &self.pending,
            self.up.clock.now(),
            self.lease_until(),
        )
        .await?;
        if !ok {
            drop(tx);
            self.drop_pending().await;
            return Err(UploadError::Locked);
        }
        tx.commit().await?;
        self.pending.clear();
        self.committed = to;
        self.renewed = Instant::now();
        Ok(())
    }

    async fn keep_lease(&mut self) -> Result<(), UploadError> {
        let every = (self.up.limits.lease / 3).to_std().unwrap_or_default();
        if self.renewed.elapsed() < every {
            return Ok(());
        }
        if !store::renew(&self.up.db, &self.row.id, &self.lock, self.lease_until()).await? {
            self.drop_pending().await;
            return Err(UploadError::Locked);
        }
        self.renewed = Instant::now();
        Ok(())
    }

    async fn drop_pending(&mut self) {
        for p in std::mem::take(&mut self.pending) {
            if let Err(e) = self.up.media.remove(&p.object_key).await {
                tracing::warn!(key = p.object_key, error = %e, "staged part not removed");
            }
        }
    }

    /// Assembles every part into the answer's object, then completes the upload and records the
    /// take in one transaction, and only then frees the staging space.
    async fn complete(&mut self) -> Result<(), UploadError> {
        let length = self
            .length()
            .ok_or_else(|| internal("completing an upload of unknown length"))?;
        let mut parts = store::parts(&self.up.db, &self.row.id).await?;
        parts.extend(self.pending.iter().cloned());
        let mut at = 0i64;
        for p in &parts {
            if p.part_offset != at {
                return Err(internal(format!("upload {}: part at {} missing", self.row.id, at)));
            }
            at += p.size;
        }
        if at as u64 != length {
            return Err(internal(format!(
                "upload {}: {at} of {length} bytes staged",
                self.row.id
            )));
        }
        // The bytes must be what the type says (an HTML page is not a PDF), checked before
        // anything is assembled.
        let head = accept::head(&self.up.media, &parts).await?;
        let content_type = match rules::check_content(&self.row.filetype, &head) {
            Ok(()) => media_type::served(&self.row.filetype).content_type,
            Err(e) => {
                self.refuse().await;
                return Err(e);
            }
        };
        let mut w = self
            .up
            .media
            .multipart_writer(&self.row.media_key, self.up.limits.part_bytes)
            .await?;
        let mut hash = Sha256::new();
        for p in &parts {
            let size = p.size as u64;
            let appended = self
                .up
                .media
                .append_to(&p.object_key, size, PIECE as u64, &mut w, |b| hash.update(b))
                .await;
            if let Err(e) = appended {
                let _ = w.abort().await;
                return Err(e.into());
            }
            self.keep_lease().await?;
        }
        let size = w.finish().await?;
        if size != length {
            return Err(internal(format!("assembled {size} of {length} bytes")));
        }
        let sha256: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
        let now = self.up.clock.now();
        let take = TakeRow {
            org_id: self.row.org_id.clone(),
            invitation_id: self.row.invitation_id.clone(),
            question_id: self.row.question_id.clone(),
            take: self.row.take,
            media_key: self.row.media_key.clone(),
            content_type: content_type.to_string(),
            size_bytes: length as i64,
            sha256: sha256.clone(),
            uploaded_at: now,
        };
        let mut tx = self.up.db.begin().await?;
        let from = self.committed as i64;
        let moved = store::commit_parts(
            &mut tx,
            &self.row.id,
            &self.lock,
            from,
            length as i64,
            &self.pending,
            now,
            self.lease_until(),
        )
        .await?;
        if !moved || !store::complete(&mut tx, &self.row.id, &self.lock, &sha256, now).await? {
            drop(tx);
            self.drop_pending().await;
            return Err(UploadError::Locked);
        }
        if !store::insert_take(&mut tx, &take).await? {
            // Another upload of this take was submitted first; that one stands.
            drop(tx);
            self.refuse().await;
            if let Err(e) = self.up.media.remove(&self.row.media_key).await {
                tracing::warn!(key = self.row.media_key, error = %e, "refused take not removed");
            }
            return Err(accept::taken(self.row.take));
        }
        let org = shortlist_domain::OrgId::parse(&self.row.org_id).map_err(internal)?;
        shortlist_store::jobs::enqueue(&mut tx, &super::probe_job(&org, &self.row.id, &take)).await?;
        tx.commit().await?;
        self.pending.clear();
        self.committed = length;
        self.up.discard_staging(&self.row.id).await;
        tracing::info!(upload = self.row.id, bytes = length, "upload complete");
        Ok(())
    }
}
