//! Uploading and reading template media without holding a file in memory. An upload is
//! streamed into the media store part by part while its size is counted: its first bytes are
//! kept only long enough to check the type, a file passing its kind's limit is refused (413)
//! the moment it does, and a refused or broken upload leaves nothing behind (no object, no
//! row). Reads hand out where the file is; handlers stream it with Range support.

use super::media::{MediaFile, MediaKind, MediaRef, check, ext_of, guess_type, normalise_type};
use super::{Actor, Recruiting, internal};
use crate::AppError;
use bytes::Bytes;
use futures::{Stream, StreamExt};
use shortlist_store::media::MediaWriter;
use shortlist_store::media_objects::{self, NewMediaObject};

/// Bytes kept from the start of an upload to check its type (the SVG and text checks look at
/// this much).
const HEAD_BYTES: usize = 4096;
/// Part size of the store upload (the smallest S3 accepts): with the parts in flight, an
/// upload holds about three of these, whatever the file's size.
const PART_BYTES: usize = 5 * 1024 * 1024;

/// The first bytes of `body` (at least [`HEAD_BYTES`] unless it is shorter), refused as soon
/// as they pass `limit`.
async fn head<S>(body: &mut S, limit: u64) -> Result<Vec<u8>, AppError>
where
    S: Stream<Item = Result<Bytes, AppError>> + Unpin,
{
    let mut head = Vec::new();
    while head.len() < HEAD_BYTES {
        let Some(chunk) = body.next().await else { break };
        head.extend_from_slice(&chunk?);
        if head.len() as u64 > limit {
            return Err(AppError::TooLarge { limit_bytes: limit });
        }
    }
    Ok(head)
}

/// Writes the rest of `body` after `head`; the total size, or why not.
async fn copy_rest<S>(w: &mut MediaWriter, head: &[u8], body: &mut S, limit: u64) -> Result<u64, AppError>
where
    S: Stream<Item = Result<Bytes, AppError>> + Unpin,
{
    w.write(head).await.map_err(internal)?;
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        if w.written() + chunk.len() as u64 > limit {
            return Err(AppError::TooLarge { limit_bytes: limit });
        }
        w.write(&chunk).await.map_err(internal)?;
    }
    Ok(w.written())
}

impl Recruiting {
    /// Stores an uploaded file of the caller's organisation as it arrives. Recruiters and
    /// admins only. `content_type` is what the client declared; when a browser sent none (or
    /// `application/octet-stream`) and the file's name is known, the type is told from the
    /// first bytes or the name.
    pub async fn upload_media<S>(
        &self,
        who: &Actor,
        kind: MediaKind,
        content_type: &str,
        file_name: Option<&str>,
        mut body: S,
    ) -> Result<MediaRef, AppError>
    where
        S: Stream<Item = Result<Bytes, AppError>> + Unpin,
    {
        who.require_recruiter()?;
        let limit = kind.limit_bytes();
        let head = head(&mut body, limit).await?;
        let declared = normalise_type(content_type);
        let declared = match (declared.as_str(), file_name) {
            ("" | "application/octet-stream", Some(name)) => guess_type(name, &head)
                .unwrap_or("application/octet-stream")
                .to_string(),
            _ => declared,
        };
        let ct = check(kind, &declared, &head)?;
        let key = format!(
            "orgs/{}/template-media/{}.{}",
            who.org_id,
            uuid::Uuid::now_v7().simple(),
            ext_of(&ct)
        );
        let mut w = self.media.multipart_writer(&key, PART_BYTES).await.map_err(internal)?;
        let size = match copy_rest(&mut w, &head, &mut body, limit).await {
            Ok(n) => n,
            Err(e) => {
                if let Err(abort) = w.abort().await {
                    tracing::warn!(key, error = %abort, "refused upload not cleaned up");
                }
                return Err(e);
            }
        };
        w.finish().await.map_err(internal)?;
        let row = NewMediaObject {
            key: &key,
            kind: kind.as_str(),
            content_type: &ct,
            size_bytes: i64::try_from(size).map_err(internal)?,
            created_by: who.user_id.as_ref(),
        };
        if let Err(e) = media_objects::insert(&self.db, &who.org_id, &row).await {
            self.media.remove(&key).await.ok();
            return Err(e.into());
        }
        Ok(MediaRef {
            media_key: key,
            content_type: ct,
            size,
        })
    }

    /// Removes a file this request uploaded when the rest of the request failed, so a refused
    /// form leaves no orphan behind.
    pub async fn discard_media(&self, who: &Actor, key: &str) -> Result<(), AppError> {
        who.require_recruiter()?;
        // Only an object this organisation owns is removed.
        if media_objects::delete(&self.db, &who.org_id, key).await? {
            self.media.remove(key).await.map_err(internal)?;
        }
        Ok(())
    }

    /// Where a file of the caller's organisation is and its type; any other key is not found.
    pub async fn download_media(&self, who: &Actor, key: &str) -> Result<MediaFile, AppError> {
        let row = media_objects::get(&self.db, &who.org_id, key)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(MediaFile {
            key: row.key,
            content_type: row.content_type,
        })
    }
}
