//! What happens when a candidate opens their link (no account: the link is the key).

use super::templates::parse_spec;
use super::{Recruiting, internal};
use crate::AppError;
use chrono::{DateTime, Utc};
use shortlist_domain::template::TemplateSpec;
use shortlist_domain::{InvitationId, OrgId, TemplateVersionId};
use shortlist_store::invitations::{self as inv, NewEvent};
use shortlist_store::{orgs, templates};

/// What the candidate's landing page shows.
#[derive(Debug, Clone)]
pub struct Landing {
    pub invitation_id: String,
    pub state: String,
    pub company: String,
    pub position_title: String,
    pub candidate_name: String,
    pub expires_at: DateTime<Utc>,
    pub spec: TemplateSpec,
}

#[derive(Debug, Clone)]
pub enum LinkOutcome {
    Open(Box<Landing>),
    /// Expired or cancelled: say so, and whom to contact.
    Closed {
        reason: &'static str,
        company: String,
        contact: String,
    },
    Unknown,
}

impl Recruiting {
    pub async fn open_link(&self, token: &str) -> Result<LinkOutcome, AppError> {
        let hash = crate::tokens::hash(token);
        let Some(row) = inv::find_by_token_hash(&self.db, &hash).await? else {
            return Ok(LinkOutcome::Unknown);
        };
        let org = OrgId::parse(&row.org_id).map_err(internal)?;
        let id = InvitationId::parse(&row.id).map_err(internal)?;
        let company = orgs::get(&self.db, &org).await?.map(|o| o.name).unwrap_or_default();
        let pos_id = shortlist_domain::PositionId::parse(&row.position_id).map_err(internal)?;
        let contact = shortlist_store::positions::get(&self.db, &org, &pos_id)
            .await?
            .map(|p| format!("{} <{}>", p.owner_name, p.owner_email))
            .unwrap_or_default();
        let now = self.clock.now();
        let closed = match row.state.as_str() {
            "cancelled" => Some("cancelled"),
            "expired" => Some("expired"),
            _ if now >= row.expires_at && row.state != "completed" => Some("expired"),
            _ => None,
        };
        if let Some(reason) = closed {
            return Ok(LinkOutcome::Closed {
                reason,
                company,
                contact,
            });
        }
        let mut state = row.state.clone();
        if ["created", "sent", "failed"].contains(&row.state.as_str()) {
            let mut tx = self.db.begin().await?;
            if inv::transition(&mut tx, &org, &id, &["created", "sent", "failed"], "opened", now).await? {
                let e = NewEvent {
                    kind: "opened",
                    from_state: Some(&row.state),
                    to_state: Some("opened"),
                    actor: "candidate",
                    detail: None,
                    at: now,
                };
                inv::add_event(&mut tx, &org, &id, &e).await?;
                state = "opened".into();
            }
            tx.commit().await?;
        }
        let vid = TemplateVersionId::parse(&row.template_version_id).map_err(internal)?;
        let version = templates::version(&self.db, &org, &vid)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(LinkOutcome::Open(Box::new(Landing {
            invitation_id: row.id,
            state,
            company,
            position_title: row.position_title,
            candidate_name: row.candidate_name,
            expires_at: row.expires_at,
            spec: parse_spec(&version.spec)?,
        })))
    }
}
