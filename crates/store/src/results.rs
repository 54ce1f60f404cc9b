//! Invitations across an organisation, found by what an integration knows (position, candidate
//! e-mail, state, the ATS ids in the metadata or on the position, change time), one keyset page
//! at a time; the completed ones with their answer counts and review summary; and the stored
//! takes of one invitation with their file names and durations.
//!
//! Every filter is a SQL condition on the organisation's rows: nothing is loaded to be thrown
//! away.

use crate::invitations::{InvitationRow, SELECT};
use crate::page::{Keyset, PageReq, Paged, after};
use crate::positions::ExternalRef;
use crate::{Db, on_db};
use chrono::{DateTime, Utc};
use shortlist_domain::{InvitationId, OrgId};

/// What to look for; `None` is "any".
#[derive(Debug, Clone, Default)]
pub struct InvitationFilter {
    pub position_id: Option<String>,
    /// Lower case, as candidates are stored.
    pub candidate_email: Option<String>,
    pub state: Option<String>,
    /// `metadata.candidateId`.
    pub candidate_id: Option<String>,
    /// `metadata.applicationId`.
    pub application_id: Option<String>,
    /// The ATS job the position is linked to.
    pub job: Option<ExternalRef>,
    pub updated_since: Option<DateTime<Utc>>,
    pub completed_since: Option<DateTime<Utc>>,
}

/// A string member of the metadata JSON (stored as text on both engines). `key` is a constant.
fn meta(db: &Db, key: &str) -> String {
    match db {
        Db::Sqlite(_) => format!("json_extract(i.metadata, '$.{key}')"),
        Db::Postgres(_) => format!("(i.metadata::jsonb ->> '{key}')"),
    }
}

/// The filter's conditions on placeholders `$1` (organisation) to `$11`.
fn conditions(db: &Db) -> String {
    format!(
        "i.org_id = $1 AND ($2 IS NULL OR i.position_id = $2) AND ($3 IS NULL OR c.email = $3) \
         AND ($4 IS NULL OR i.state = $4) AND ($5 IS NULL OR {cid} = $5) AND ($6 IS NULL OR {aid} = $6) \
         AND ($7 IS NULL OR i.position_id IN (SELECT r.entity_id FROM external_refs r WHERE r.org_id = $1 \
         AND r.entity = 'position' AND r.ats_kind = $7 AND ($8 = '' OR r.connection_id = $8) AND r.external_id = $9)) \
         AND ($10 IS NULL OR i.updated_at >= $10) AND ($11 IS NULL OR i.completed_at >= $11)",
        cid = meta(db, "candidateId"),
        aid = meta(db, "applicationId"),
    )
}

/// Binds the organisation and the filter to `$1`–`$11` of [`conditions`].
macro_rules! bind_filter {
    ($q:expr, $org:expr, $f:expr) => {{
        let job = $f.job.as_ref();
        $q.bind($org.as_str())
            .bind($f.position_id.as_deref())
            .bind($f.candidate_email.as_deref())
            .bind($f.state.as_deref())
            .bind($f.candidate_id.as_deref())
            .bind($f.application_id.as_deref())
            .bind(job.map(|j| j.ats_kind.as_str()))
            .bind(job.map(|j| j.connection_id.as_str()))
            .bind(job.map(|j| j.external_id.as_str()))
            .bind($f.updated_since.map(crate::truncate_micros))
            .bind($f.completed_since.map(crate::truncate_micros))
    }};
}

/// Invitations matching `f`, newest first (by creation, then id).
pub async fn invitations(
    db: &Db,
    org: &OrgId,
    f: &InvitationFilter,
    page: &PageReq,
) -> Result<Paged<InvitationRow>, sqlx::Error> {
    let sql = format!(
        "{SELECT} WHERE {} AND {} ORDER BY i.created_at DESC, i.id DESC LIMIT $14",
        conditions(db),
        after("i.created_at", "i.id", 12, 13)
    );
    let rows: Vec<InvitationRow> = on_db!(db, p => bind_filter!(sqlx::query_as(&sql), org, f)
        .bind(page.after_at()).bind(page.after_id()).bind(page.fetch()).fetch_all(p).await)?;
    Ok(page.cut(rows, |r| Keyset {
        at: r.created_at,
        id: r.id.clone(),
    }))
}

/// A completed invitation with what it takes to summarise the result.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResultRow {
    #[sqlx(flatten)]
    pub invitation: InvitationRow,
    /// Questions answered (not skipped).
    pub answered: i64,
    /// Auto-scored multiple-choice answers that were right.
    pub choice_right: i64,
    pub average: Option<f64>,
    pub evaluations: i64,
    pub decision: Option<String>,
    /// Evaluations by the user `$15` (whether they may see the team's score).
    pub mine: i64,
}

const RESULT_COLUMNS: &str = "\
    (SELECT COUNT(*) FROM interview_answers a WHERE a.org_id = i.org_id AND a.invitation_id = i.id \
     AND a.section = 'question' AND NOT a.skipped) AS answered, \
    (SELECT COUNT(*) FROM interview_answers a WHERE a.org_id = i.org_id AND a.invitation_id = i.id \
     AND a.section = 'question' AND a.correct) AS choice_right, \
    (SELECT AVG(e.score) FROM evaluations e WHERE e.org_id = i.org_id AND e.invitation_id = i.id) AS average, \
    (SELECT COUNT(*) FROM evaluations e WHERE e.org_id = i.org_id AND e.invitation_id = i.id) AS evaluations, \
    (SELECT d.decision FROM review_decisions d WHERE d.org_id = i.org_id AND d.invitation_id = i.id) AS decision, \
    (SELECT COUNT(*) FROM evaluations e WHERE e.org_id = i.org_id AND e.invitation_id = i.id \
     AND e.user_id = $15) AS mine";

/// Completed invitations matching `f`, most recently completed first (then by id). `user` is
/// the asking user, for [`ResultRow::mine`].
pub async fn completed(
    db: &Db,
    org: &OrgId,
    f: &InvitationFilter,
    user: Option<&str>,
    page: &PageReq,
) -> Result<Paged<ResultRow>, sqlx::Error> {
    let select = SELECT.replacen(
        " FROM invitations i",
        &format!(", {RESULT_COLUMNS} FROM invitations i"),
        1,
    );
    let sql = format!(
        "{select} WHERE {} AND i.state = 'completed' AND {} ORDER BY i.completed_at DESC, i.id DESC LIMIT $14",
        conditions(db),
        after("i.completed_at", "i.id", 12, 13)
    );
    let rows: Vec<ResultRow> = on_db!(db, p => bind_filter!(sqlx::query_as(&sql), org, f)
        .bind(page.after_at()).bind(page.after_id()).bind(page.fetch()).bind(user.unwrap_or_default())
        .fetch_all(p).await)?;
    Ok(page.cut(rows, |r| Keyset {
        at: r.invitation.completed_at.unwrap_or(r.invitation.created_at),
        id: r.invitation.id.clone(),
    }))
}

/// A stored take with what the report shows of it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TakeDetail {
    pub question_id: String,
    pub take: i32,
    pub content_type: String,
    pub size_bytes: i64,
    /// Known once the background probe measured it.
    pub duration_ms: Option<i64>,
    /// The name the candidate's file had, when the upload gave one.
    pub file_name: Option<String>,
    pub uploaded_at: DateTime<Utc>,
}

pub async fn takes(db: &Db, org: &OrgId, inv: &InvitationId) -> Result<Vec<TakeDetail>, sqlx::Error> {
    let sql = "SELECT t.question_id, t.take, t.content_type, t.size_bytes, t.duration_ms, t.uploaded_at, \
               (SELECT u.filename FROM uploads u WHERE u.org_id = t.org_id AND u.invitation_id = t.invitation_id \
               AND u.media_key = t.media_key ORDER BY u.created_at DESC LIMIT 1) AS file_name \
               FROM answer_takes t WHERE t.org_id = $1 AND t.invitation_id = $2 ORDER BY t.question_id, t.take";
    on_db!(db, p => sqlx::query_as(sql).bind(org.as_str()).bind(inv.as_str()).fetch_all(p).await)
}
