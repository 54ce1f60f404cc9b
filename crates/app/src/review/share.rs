//! Share links: read-only access to one candidate or a shortlist of a position for people
//! outside the team. The token (256 random bits) is shown once and stored as its SHA-256; a link
//! expires, can be revoked, may hide questions, may leave out the candidates' names and may ask
//! for an access code. Every view is recorded.

use super::{Review, Viewer, internal};
use crate::AppError;
use crate::recruiting::Actor;
use crate::tokens;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use shortlist_domain::{InvitationId, OrgId, PositionId};
use shortlist_store::review::share::{self as store, NewShareLink, ShareLinkRow, ViewRow};

pub const MAX_DAYS: i64 = 90;
pub const MAX_CANDIDATES: usize = 200;

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShare {
    pub invitation_ids: Vec<String>,
    #[serde(default)]
    pub label: String,
    /// Days until the link stops working (1–90, default 14).
    #[serde(default)]
    pub expires_in_days: Option<i64>,
    #[serde(default)]
    pub hidden_questions: Vec<String>,
    #[serde(default)]
    pub anonymised: bool,
    #[serde(default)]
    pub access_code: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ShareLinkView {
    pub id: String,
    pub position_id: String,
    pub label: String,
    pub invitation_ids: Vec<String>,
    pub hidden_questions: Vec<String>,
    pub anonymised: bool,
    pub access_code: bool,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

fn to_view(r: &ShareLinkRow) -> ShareLinkView {
    ShareLinkView {
        id: r.id.clone(),
        position_id: r.position_id.clone(),
        label: r.label.clone(),
        invitation_ids: serde_json::from_str(&r.invitation_ids).unwrap_or_default(),
        hidden_questions: serde_json::from_str(&r.hidden_questions).unwrap_or_default(),
        anonymised: r.anonymised,
        access_code: r.access_code_hash.is_some(),
        expires_at: r.expires_at,
        revoked_at: r.revoked_at,
        created_at: r.created_at,
    }
}

/// An open share link, as the guest pages use it.
#[derive(Debug, Clone)]
pub struct OpenShare {
    pub org: OrgId,
    pub link: ShareLinkView,
    access_code_hash: Option<String>,
}

impl OpenShare {
    pub fn viewer(&self) -> Viewer {
        Viewer::Share {
            hidden: self.link.hidden_questions.clone(),
            anonymised: self.link.anonymised,
        }
    }

    /// The invitation if this link shows it.
    pub fn invitation(&self, raw: &str) -> Result<InvitationId, AppError> {
        if !self.link.invitation_ids.iter().any(|i| i == raw) {
            return Err(AppError::NotFound);
        }
        InvitationId::parse(raw).map_err(|_| AppError::NotFound)
    }

    /// Whether `proof` (the cookie set after the code was entered) unlocks the link.
    pub fn unlocked(&self, proof: Option<&str>) -> bool {
        match (&self.access_code_hash, proof) {
            (None, _) => true,
            (Some(h), Some(p)) => tokens::equal(h, p),
            (Some(_), None) => false,
        }
    }

    /// The proof for a typed code, if it is right.
    pub fn try_code(&self, code: &str) -> Option<String> {
        let h = code_hash(&self.link.id, code.trim());
        self.unlocked(Some(&h)).then_some(h)
    }
}

/// Why a share link does not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    Unknown,
    Expired,
    Revoked,
}

fn code_hash(link: &str, code: &str) -> String {
    tokens::hash(&format!("{link}:{code}"))
}

impl Review {
    /// Creates a link for candidates of one position; returns it with its URL (shown once).
    pub async fn create_share(
        &self,
        who: &Actor,
        position: &PositionId,
        n: &NewShare,
    ) -> Result<(ShareLinkView, String), AppError> {
        who.require_recruiter()?;
        let user = who
            .user_id
            .clone()
            .ok_or_else(|| AppError::Forbidden("only account users share".into()))?;
        shortlist_store::positions::get(self.db(), &who.org_id, position)
            .await?
            .ok_or(AppError::NotFound)?;
        let mut ids: Vec<String> = vec![];
        for (i, raw) in n.invitation_ids.iter().enumerate() {
            let found = match InvitationId::parse(raw) {
                Ok(id) => shortlist_store::invitations::get(self.db(), &who.org_id, &id).await?,
                Err(_) => None,
            };
            if found.is_none_or(|r| r.position_id != position.as_str()) {
                return Err(AppError::field(
                    &format!("invitation_ids[{i}]"),
                    "not a candidate of this position",
                ));
            }
            if !ids.contains(raw) {
                ids.push(raw.clone());
            }
        }
        if ids.is_empty() || ids.len() > MAX_CANDIDATES {
            return Err(AppError::field("invitation_ids", "choose 1 to 200 candidates"));
        }
        let days = n.expires_in_days.unwrap_or(14);
        if !(1..=MAX_DAYS).contains(&days) {
            return Err(AppError::field("expires_in_days", "between 1 and 90 days"));
        }
        if n.label.len() > 200 {
            return Err(AppError::field("label", "at most 200 characters"));
        }
        if n.hidden_questions.len() > 100 || n.hidden_questions.iter().any(|q| q.is_empty() || q.len() > 40) {
            return Err(AppError::field("hidden_questions", "question ids of the template"));
        }
        let code = n.access_code.as_deref().map(str::trim).filter(|c| !c.is_empty());
        if code.is_some_and(|c| c.len() < 4 || c.len() > 64) {
            return Err(AppError::field("access_code", "4 to 64 characters"));
        }
        let id = format!("shr_{}", uuid::Uuid::now_v7().simple());
        let token = tokens::generate("share");
        let now = self.now();
        let code_hash = code.map(|c| code_hash(&id, c));
        let new = NewShareLink {
            id: &id,
            position_id: position.as_str(),
            token_hash: &tokens::hash(&token),
            label: n.label.trim(),
            invitation_ids: &serde_json::to_string(&ids).map_err(internal)?,
            hidden_questions: &serde_json::to_string(&n.hidden_questions).map_err(internal)?,
            anonymised: n.anonymised,
            access_code_hash: code_hash.as_deref(),
            expires_at: now + TimeDelta::days(days),
            created_by: user.as_str(),
            at: now,
        };
        store::insert(self.db(), &who.org_id, &new).await?;
        let row = store::get(self.db(), &who.org_id, &id)
            .await?
            .ok_or(AppError::NotFound)?;
        let url = format!("{}/s/{token}", self.recruiting.links.public_url());
        Ok((to_view(&row), url))
    }

    pub async fn shares(&self, who: &Actor, position: &PositionId) -> Result<Vec<ShareLinkView>, AppError> {
        // Another organisation's position is not found (rather than an empty list).
        shortlist_store::positions::get(self.db(), &who.org_id, position)
            .await?
            .ok_or(AppError::NotFound)?;
        let rows = store::list_for_position(self.db(), &who.org_id, position.as_str()).await?;
        Ok(rows.iter().map(to_view).collect())
    }

    pub async fn revoke_share(&self, who: &Actor, id: &str) -> Result<ShareLinkView, AppError> {
        who.require_recruiter()?;
        if !store::revoke(self.db(), &who.org_id, id, self.now()).await? {
            return Err(AppError::NotFound);
        }
        let row = store::get(self.db(), &who.org_id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(to_view(&row))
    }

    pub async fn share_views(&self, who: &Actor, id: &str) -> Result<(ShareLinkView, Vec<ViewRow>), AppError> {
        let row = store::get(self.db(), &who.org_id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok((to_view(&row), store::views(self.db(), &who.org_id, id).await?))
    }

    /// Opens a link by its token.
    pub async fn open_share(&self, token: &str) -> Result<Result<OpenShare, Closed>, AppError> {
        let Some(row) = store::find_by_token_hash(self.db(), &tokens::hash(token)).await? else {
            return Ok(Err(Closed::Unknown));
        };
        if row.revoked_at.is_some() {
            return Ok(Err(Closed::Revoked));
        }
        if self.now() >= row.expires_at {
            return Ok(Err(Closed::Expired));
        }
        Ok(Ok(OpenShare {
            org: OrgId::parse(&row.org_id).map_err(internal)?,
            link: to_view(&row),
            access_code_hash: row.access_code_hash,
        }))
    }

    /// Records one view of a link (the list, or one candidate).
    pub async fn record_view(
        &self,
        s: &OpenShare,
        invitation: Option<&str>,
        ip: &str,
        user_agent: &str,
    ) -> Result<(), AppError> {
        let ua: String = user_agent.chars().take(500).collect();
        store::record_view(self.db(), &s.org, &s.link.id, invitation, ip, &ua, self.now()).await?;
        Ok(())
    }
}
