//! Review: the organisation's review settings, evaluations by account users and the team's
//! decision per invitation. Share links and their view log are in [`share`].

pub mod share;

use crate::{Db, Tx, on_db, on_tx};
use chrono::{DateTime, Utc};
use shortlist_domain::{InvitationId, OrgId, UserId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReviewSettingsRow {
    /// `off`, `anyone_with_link` or `share_links_only`.
    pub link_access: String,
    pub hide_until_submitted: bool,
}

impl Default for ReviewSettingsRow {
    fn default() -> Self {
        Self {
            link_access: "off".into(),
            hide_until_submitted: true,
        }
    }
}

pub async fn settings(db: &Db, org: &OrgId) -> Result<ReviewSettingsRow, sqlx::Error> {
    let sql = "SELECT link_access, hide_until_submitted FROM review_settings WHERE org_id = $1";
    let row = on_db!(db, p => sqlx::query_as(sql).bind(org.as_str()).fetch_optional(p).await)?;
    Ok(row.unwrap_or_default())
}

pub async fn put_settings(db: &Db, org: &OrgId, s: &ReviewSettingsRow) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO review_settings (org_id, link_access, hide_until_submitted, updated_at) \
               VALUES ($1, $2, $3, $4) ON CONFLICT (org_id) DO UPDATE SET link_access = excluded.link_access, \
               hide_until_submitted = excluded.hide_until_submitted, updated_at = excluded.updated_at";
    on_db!(db, p => sqlx::query(sql).bind(org.as_str()).bind(&s.link_access).bind(s.hide_until_submitted)
        .bind(crate::now()).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The organisation of an invitation, for a caller that proved it holds the invitation's
/// review key (an HMAC over the id): the key is the capability, so this lookup is the one
/// place that reads an invitation without knowing its organisation first.
pub async fn org_of_invitation(db: &Db, inv: &InvitationId) -> Result<Option<String>, sqlx::Error> {
    let sql = "SELECT org_id FROM invitations WHERE id = $1";
    let row: Option<(String,)> = on_db!(db, p => sqlx::query_as(sql).bind(inv.as_str()).fetch_optional(p).await)?;
    Ok(row.map(|r| r.0))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EvaluationRow {
    pub id: String,
    pub invitation_id: String,
    pub user_id: String,
    pub user_name: String,
    pub ratings: String,
    pub criteria: String,
    pub comment: String,
    pub decision: Option<String>,
    pub score: Option<f64>,
    pub submitted_at: DateTime<Utc>,
}

const EVALUATIONS: &str = "SELECT e.id, e.invitation_id, e.user_id, u.name AS user_name, e.ratings, e.criteria, \
    e.comment, e.decision, e.score, e.submitted_at FROM evaluations e JOIN users u ON u.id = e.user_id";

pub struct NewEvaluation<'a> {
    pub user: &'a UserId,
    pub ratings: &'a str,
    pub criteria: &'a str,
    pub comment: &'a str,
    pub decision: Option<&'a str>,
    pub score: Option<f64>,
    pub at: DateTime<Utc>,
}

/// Saves the reviewer's evaluation, replacing an earlier one of theirs.
pub async fn upsert_evaluation(
    tx: &mut Tx,
    org: &OrgId,
    inv: &InvitationId,
    e: &NewEvaluation<'_>,
) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO evaluations (id, org_id, invitation_id, user_id, ratings, criteria, comment, decision, \
               score, submitted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
               ON CONFLICT (invitation_id, user_id) DO UPDATE SET ratings = excluded.ratings, \
               criteria = excluded.criteria, comment = excluded.comment, decision = excluded.decision, \
               score = excluded.score, submitted_at = excluded.submitted_at";
    let id = format!("evl_{}", uuid::Uuid::now_v7().simple());
    on_tx!(tx, c => sqlx::query(sql).bind(&id).bind(org.as_str()).bind(inv.as_str()).bind(e.user.as_str())
        .bind(e.ratings).bind(e.criteria).bind(e.comment).bind(e.decision).bind(e.score)
        .bind(crate::truncate_micros(e.at)).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn evaluations(db: &Db, org: &OrgId, inv: &InvitationId) -> Result<Vec<EvaluationRow>, sqlx::Error> {
    let sql = format!("{EVALUATIONS} WHERE e.org_id = $1 AND e.invitation_id = $2 ORDER BY e.submitted_at, e.id");
    on_db!(db, p => sqlx::query_as(&sql).bind(org.as_str()).bind(inv.as_str()).fetch_all(p).await)
}

/// Mean of the submitted evaluations' scores and how many there are.
pub async fn average(db: &Db, org: &OrgId, inv: &InvitationId) -> Result<(Option<f64>, i64), sqlx::Error> {
    let sql = "SELECT AVG(score), COUNT(*) FROM evaluations WHERE org_id = $1 AND invitation_id = $2";
    on_db!(db, p => sqlx::query_as(sql).bind(org.as_str()).bind(inv.as_str()).fetch_one(p).await)
}

/// Per invitation of a position (or of the whole organisation): average score, number of
/// evaluations, the team decision, and whether `user` evaluated it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReviewSummaryRow {
    pub invitation_id: String,
    pub average: Option<f64>,
    pub evaluations: i64,
    pub decision: Option<String>,
    pub mine: i64,
}

const SUMMARY: &str = "SELECT i.id AS invitation_id, \
    (SELECT AVG(e.score) FROM evaluations e WHERE e.org_id = i.org_id AND e.invitation_id = i.id) AS average, \
    (SELECT COUNT(*) FROM evaluations e WHERE e.org_id = i.org_id AND e.invitation_id = i.id) AS evaluations, \
    d.decision, \
    (SELECT COUNT(*) FROM evaluations e WHERE e.org_id = i.org_id AND e.invitation_id = i.id AND e.user_id = $2) AS mine \
    FROM invitations i LEFT JOIN review_decisions d ON d.invitation_id = i.id AND d.org_id = i.org_id";

pub async fn summaries_for_position(
    db: &Db,
    org: &OrgId,
    user: &UserId,
    position: &str,
) -> Result<Vec<ReviewSummaryRow>, sqlx::Error> {
    let sql = format!("{SUMMARY} WHERE i.org_id = $1 AND i.position_id = $3");
    on_db!(db, p => sqlx::query_as(&sql).bind(org.as_str()).bind(user.as_str()).bind(position).fetch_all(p).await)
}

/// Completed invitations of the organisation that `user` has not evaluated yet, oldest first.
pub async fn waiting_for(db: &Db, org: &OrgId, user: &UserId) -> Result<Vec<String>, sqlx::Error> {
    let sql = "SELECT i.id FROM invitations i WHERE i.org_id = $1 AND i.state = 'completed' AND NOT EXISTS \
               (SELECT 1 FROM evaluations e WHERE e.org_id = i.org_id AND e.invitation_id = i.id AND e.user_id = $2) \
               ORDER BY i.completed_at, i.id";
    let rows: Vec<(String,)> =
        on_db!(db, p => sqlx::query_as(sql).bind(org.as_str()).bind(user.as_str()).fetch_all(p).await)?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

pub async fn set_decision(
    tx: &mut Tx,
    org: &OrgId,
    inv: &InvitationId,
    decision: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO review_decisions (invitation_id, org_id, decision, decided_by, decided_at) \
               VALUES ($1, $2, $3, $4, $5) ON CONFLICT (invitation_id) DO UPDATE SET decision = excluded.decision, \
               decided_by = excluded.decided_by, decided_at = excluded.decided_at";
    on_tx!(tx, c => sqlx::query(sql).bind(inv.as_str()).bind(org.as_str()).bind(decision).bind(by)
        .bind(crate::truncate_micros(at)).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn decision(db: &Db, org: &OrgId, inv: &InvitationId) -> Result<Option<String>, sqlx::Error> {
    let sql = "SELECT decision FROM review_decisions WHERE org_id = $1 AND invitation_id = $2";
    let row: Option<(String,)> =
        on_db!(db, p => sqlx::query_as(sql).bind(org.as_str()).bind(inv.as_str()).fetch_optional(p).await)?;
    Ok(row.map(|r| r.0))
}
