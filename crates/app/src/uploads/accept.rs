//! What an upload must be to become a take: a take (and an answered question) is kept as it was
//! submitted, the takes a question allows are counted here on the server, and the file's first
//! bytes must be those of its type.

use super::{UploadError, Uploads, internal, rules};
use crate::media_type::HEAD_BYTES;
use shortlist_domain::template::Question;
use shortlist_domain::{InvitationId, OrgId};
use shortlist_store::uploads::PartRow;
use shortlist_store::{MediaStore, Tx, interviews};

/// Refuses an upload to a take that is already submitted, to a question without takes left
/// or to a question already answered: a submitted answer is never replaced.
pub(super) async fn check_open(
    tx: &mut Tx,
    org: &OrgId,
    inv: &InvitationId,
    q: &Question,
    take: i32,
) -> Result<(), UploadError> {
    let answered = interviews::answers_tx(tx, org, inv)
        .await?
        .into_iter()
        .any(|a| a.section == "question" && a.item_id == q.id);
    if answered {
        return Err(UploadError::Submitted(
            "This question is already answered; its answer cannot be changed.".into(),
        ));
    }
    let takes = interviews::takes_tx(tx, org, inv, &q.id).await?;
    if takes.iter().any(|t| t.take == take) {
        return Err(taken(take));
    }
    let most = rules::most_takes(q);
    if i64::try_from(takes.len()).unwrap_or(i64::MAX) >= most {
        return Err(UploadError::Submitted(format!(
            "All {most} takes of this question are used; no more can be uploaded."
        )));
    }
    Ok(())
}

/// The refusal of a second upload of a submitted take.
pub(super) fn taken(take: i32) -> UploadError {
    UploadError::Submitted(format!(
        "Take {take} of this question is already submitted and cannot be replaced."
    ))
}

/// Refuses a file as soon as its first part shows it is not of its type, rather than after a
/// gigabyte (the whole file is checked again when it is complete). A part too short to tell
/// passes here.
pub(super) fn check_start(filetype: &str, pieces: &[Vec<u8>], whole_file: bool) -> Result<(), UploadError> {
    let head: Vec<u8> = pieces.iter().flatten().take(HEAD_BYTES).copied().collect();
    if head.len() < 16 && !whole_file {
        return Ok(());
    }
    rules::check_content(filetype, &head)
}

/// The first bytes (up to [`HEAD_BYTES`]) of an upload staged as `parts`, in order.
pub(super) async fn head(media: &MediaStore, parts: &[PartRow]) -> Result<Vec<u8>, UploadError> {
    let mut out = Vec::with_capacity(HEAD_BYTES);
    for p in parts {
        let want = (HEAD_BYTES - out.len()) as u64;
        if want == 0 {
            break;
        }
        let size = u64::try_from(p.size).map_err(internal)?;
        let bytes = media.read_range(&p.object_key, 0..size.min(want)).await?;
        out.extend_from_slice(&bytes);
    }
    Ok(out)
}

impl Uploads {
    /// Ends an upload that cannot become a take: it is terminated and what it staged removed.
    pub(super) async fn refuse(&self, id: &str) {
        if let Err(e) = shortlist_store::uploads::terminate(&self.db, id, self.clock.now()).await {
            tracing::warn!(upload = id, error = %e, "refused upload not terminated; it expires");
        }
        self.discard_staging(id).await;
    }
}
