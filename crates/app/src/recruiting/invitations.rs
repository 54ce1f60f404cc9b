//! Inviting candidates: duplicate suppression, resend, rounds, prior invitations, extend,
//! cancel, and the candidate opening the link. Each business change is one transaction that
//! also enqueues the e-mails and timers it causes.

use super::jobs::{self as rjobs, MailPurpose};
use super::{Actor, Recruiting, internal, not_found};
use crate::AppError;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use shortlist_domain::{InvitationId, OrgId, PositionId, TemplateId};
use shortlist_store::invitations::{self as inv, EventRow, InvitationRow, NewEvent};
use shortlist_store::{Tx, positions, settings, templates};

/// States in which an invitation still leads somewhere for the candidate.
pub const LIVE: [&str; 5] = ["created", "sent", "opened", "started", "failed"];

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct InviteRequest {
    pub email: String,
    #[serde(default)]
    pub name: String,
    pub phone: Option<String>,
    pub locale: Option<String>,
    pub time_zone: Option<String>,
    pub template_id: Option<String>,
    pub round: Option<i32>,
    #[serde(default)]
    pub resend: bool,
    pub expires_in_days: Option<u32>,
    #[serde(default)]
    #[schema(value_type = super::metadata::Metadata)]
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// The candidate's ids in an ATS (kind + connection + id), kept on the candidate.
    #[serde(default)]
    pub candidate_external_refs: Vec<shortlist_store::positions::ExternalRef>,
    /// ATS ids of the invitation itself (the iCIMS applicant workflow); set by connectors only.
    #[serde(skip)]
    pub invitation_external_refs: Vec<shortlist_store::positions::ExternalRef>,
    /// Where the ATS sends the candidate after finishing (iCIMS returnUrl); set by connectors only.
    #[serde(skip)]
    pub return_url: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InvitationView {
    pub id: String,
    pub state: String,
    pub candidate: CandidateRef,
    pub position: Ref,
    pub template: TemplateRef,
    pub round: i32,
    pub expires_at: DateTime<Utc>,
    pub delivery: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub opened_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub send_count: i32,
    // Always an object: it is stored only as accepted by `metadata::check`.
    #[schema(value_type = super::metadata::Metadata)]
    pub metadata: serde_json::Value,
    /// The candidate's personal link. It is a bearer credential (whoever holds it takes the
    /// interview as the candidate), so it is only shown to callers who may invite: admins and
    /// recruiters, and API credentials with `invitations:write`. For everyone else (reviewers,
    /// read-only credentials) the member is absent.
    #[serde(skip_serializing_if = "String::is_empty")]
    #[schema(required = false)]
    pub candidate_url: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CandidateRef {
    pub id: String,
    pub email: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Ref {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TemplateRef {
    pub id: String,
    pub key: String,
    pub version_id: String,
}

#[derive(Debug, Clone, Serialize)]
pub enum InviteOutcome {
    /// A new invitation; `prior` lists the candidate's invitations to other positions.
    Created {
        invitation: InvitationView,
        prior: Vec<InvitationView>,
    },
    /// An explicit resend of the active invitation's link.
    Resent {
        invitation: InvitationView,
        prior: Vec<InvitationView>,
    },
    /// Nothing was sent: the candidate already has this active invitation.
    Duplicate { existing: InvitationView },
}

impl InvitationView {
    /// Leaves the candidate's link out, for a caller who may not invite.
    pub fn hide_candidate_url(&mut self) {
        self.candidate_url.clear();
    }
}

impl Recruiting {
    /// The invitation as `who` may see it: without the candidate's link unless they may invite.
    pub(crate) fn view_for(&self, who: &Actor, r: InvitationRow) -> InvitationView {
        let mut v = self.view(r);
        if who.require_recruiter().is_err() {
            v.hide_candidate_url();
        }
        v
    }

    pub(crate) fn view(&self, r: InvitationRow) -> InvitationView {
        InvitationView {
            candidate_url: self.links.url(&r.id, &r.link_nonce),
            metadata: serde_json::from_str(&r.metadata).unwrap_or_default(),
            id: r.id,
            state: r.state,
            candidate: CandidateRef {
                id: r.candidate_id,
                email: r.candidate_email,
                name: r.candidate_name,
            },
            position: Ref {
                id: r.position_id,
                title: r.position_title,
            },
            template: TemplateRef {
                id: r.template_id,
                key: r.template_key,
                version_id: r.template_version_id,
            },
            round: r.round,
            expires_at: r.expires_at,
            delivery: r.delivery,
            delivery_error: r.delivery_error,
            sent_at: r.sent_at,
            opened_at: r.opened_at,
            started_at: r.started_at,
            completed_at: r.completed_at,
            send_count: r.send_count,
            created_at: r.created_at,
        }
    }

    /// Picks the template: the one named (it must be linked to the position), or the position's
    /// only linked template.
    pub(super) async fn pick_template(
        &self,
        org: &OrgId,
        pos: &PositionId,
        named: Option<&str>,
    ) -> Result<TemplateId, AppError> {
        let linked = positions::linked_templates(&self.db, org, pos).await?;
        let id = match (named, linked.as_slice()) {
            (Some(n), _) => {
                let t = TemplateId::parse(n).map_err(|e| AppError::field("template_id", e.0))?;
                if !linked.iter().any(|l| l == t.as_str()) {
                    let exists = templates::get(&self.db, org, &t).await?.is_some();
                    return Err(if exists {
                        AppError::field("template_id", "this template is not linked to the position")
                    } else {
                        AppError::NotFound
                    });
                }
                t
            }
            (None, [only]) => TemplateId::parse(only).map_err(internal)?,
            (None, []) => return Err(AppError::field("template_id", "link a template to the position first")),
            (None, _) => {
                return Err(AppError::field(
                    "template_id",
                    "the position has several templates: choose one",
                ));
            }
        };
        Ok(id)
    }

    pub(super) async fn resend_in(
        &self,
        tx: &mut Tx,
        who: &Actor,
        id: &InvitationId,
        state: &str,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        if !LIVE.contains(&state) {
            return Err(AppError::Conflict {
                code: "not_resendable",
                message: format!("an invitation that is {state} cannot be sent again"),
            });
        }
        let event = NewEvent {
            kind: "resend_requested",
            from_state: Some(state),
            to_state: Some(state),
            actor: &who.label,
            detail: None,
            at: now,
        };
        inv::add_event(tx, &who.org_id, id, &event).await?;
        rjobs::enqueue_mail(tx, &who.org_id, id, MailPurpose::Resend, None).await?;
        Ok(())
    }

    /// Sends the same link again.
    pub async fn resend(&self, who: &Actor, id: &InvitationId) -> Result<InvitationView, AppError> {
        who.require_recruiter()?;
        let mut tx = self.db.begin().await?;
        let row = not_found(inv::get_tx(&mut tx, &who.org_id, id).await?)?;
        self.resend_in(&mut tx, who, id, &row.state, self.clock.now()).await?;
        tx.commit().await?;
        self.invitation(who, id).await.map(|(v, _)| v)
    }

    pub async fn invitation(
        &self,
        who: &Actor,
        id: &InvitationId,
    ) -> Result<(InvitationView, Vec<EventRow>), AppError> {
        let row = not_found(inv::get(&self.db, &who.org_id, id).await?)?;
        let events = inv::events(&self.db, &who.org_id, id).await?;
        Ok((self.view_for(who, row), events))
    }

    pub async fn invitations_for_position(
        &self,
        who: &Actor,
        pos: &PositionId,
    ) -> Result<Vec<InvitationView>, AppError> {
        not_found(positions::get(&self.db, &who.org_id, pos).await?)?;
        let rows = inv::list_for_position(&self.db, &who.org_id, pos.as_str()).await?;
        Ok(rows.into_iter().map(|r| self.view_for(who, r)).collect())
    }

    /// Moves the deadline (a later one reopens an expired invitation if nothing replaced it).
    pub async fn extend(
        &self,
        who: &Actor,
        id: &InvitationId,
        new_expiry: DateTime<Utc>,
    ) -> Result<InvitationView, AppError> {
        who.require_recruiter()?;
        let now = self.clock.now();
        if new_expiry <= now || new_expiry > now + TimeDelta::days(365) {
            return Err(AppError::field("expires_at", "a moment in the next 365 days"));
        }
        let org = &who.org_id;
        let hours = settings::get(&self.db, org).await?.reminder_hours;
        let mut tx = self.db.begin().await?;
        let row = not_found(inv::get_tx(&mut tx, org, id).await?)?;
        let from = row.state.as_str();
        let to = if from == "expired" {
            let back = if row.opened_at.is_some() { "opened" } else { "sent" };
            let key = inv::active_key(&row.position_id, &row.template_id, &row.candidate_id, row.round);
            if !inv::reactivate(&mut tx, org, id, &key, back, now).await? {
                return Err(AppError::Conflict {
                    code: "already_invited",
                    message: "the candidate has a newer invitation for this position; extend that one".into(),
                });
            }
            back
        } else if LIVE.contains(&from) {
            from
        } else {
            return Err(AppError::Conflict {
                code: "not_extendable",
                message: format!("an invitation that is {from} cannot be extended"),
            });
        };
        inv::set_expiry(&mut tx, org, id, new_expiry).await?;
        let detail = format!("expires {}", new_expiry.to_rfc3339());
        let event = NewEvent {
            kind: "extended",
            from_state: Some(from),
            to_state: Some(to),
            actor: &who.label,
            detail: Some(&detail),
            at: now,
        };
        inv::add_event(&mut tx, org, id, &event).await?;
        rjobs::schedule_timers(
            &mut tx,
            org,
            id,
            shortlist_store::truncate_micros(new_expiry),
            &hours,
            now,
        )
        .await?;
        tx.commit().await?;
        self.invitation(who, id).await.map(|(v, _)| v)
    }

    pub async fn cancel(&self, who: &Actor, id: &InvitationId) -> Result<InvitationView, AppError> {
        who.require_recruiter()?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let row = not_found(inv::get_tx(&mut tx, &who.org_id, id).await?)?;
        if !inv::transition(&mut tx, &who.org_id, id, &LIVE, "cancelled", now).await? {
            return Err(AppError::Conflict {
                code: "not_cancellable",
                message: format!("an invitation that is {} cannot be cancelled", row.state),
            });
        }
        let event = NewEvent {
            kind: "cancelled",
            from_state: Some(&row.state),
            to_state: Some("cancelled"),
            actor: &who.label,
            detail: None,
            at: now,
        };
        inv::add_event(&mut tx, &who.org_id, id, &event).await?;
        tx.commit().await?;
        self.invitation(who, id).await.map(|(v, _)| v)
    }
}
