//! The invite use case, split so a connector can run it inside its own transaction: checks and
//! reads first (no transaction held), then the rows, e-mail and timers in the caller's
//! transaction, then the views once it committed.

use super::invitations::{InviteOutcome, InviteRequest};
use super::jobs::{self as rjobs, MailPurpose};
use super::templates::parse_spec;
use super::{Actor, Recruiting, internal, not_found};
use crate::AppError;
use chrono::{DateTime, TimeDelta, Utc};
use shortlist_domain::{Email, InvitationId, OrgId, PositionId, TemplateId, TemplateVersionId};
use shortlist_store::candidates::{self, CandidateInput};
use shortlist_store::invitations::{self as inv, InvitationRow, NewEvent, NewInvitation};
use shortlist_store::settings::OrgSettingsRow;
use shortlist_store::{Tx, positions, settings, templates};

/// What an invitation needs that can be read and checked before the transaction.
pub struct Prepared {
    email: Email,
    round: i32,
    template: TemplateId,
    version: TemplateVersionId,
    expires_at: DateTime<Utc>,
    metadata: String,
    org_settings: OrgSettingsRow,
    now: DateTime<Utc>,
}

impl Prepared {
    pub fn template(&self) -> &TemplateId {
        &self.template
    }
}

/// What the transaction did; [`Recruiting::outcome`] turns it into views after the commit.
pub enum Inserted {
    Created {
        id: InvitationId,
        prior: Vec<InvitationRow>,
    },
    Resent {
        id: InvitationId,
        prior: Vec<InvitationRow>,
    },
    Duplicate(Box<InvitationRow>),
}

impl Recruiting {
    pub async fn invite(&self, who: &Actor, pos: &PositionId, req: &InviteRequest) -> Result<InviteOutcome, AppError> {
        who.require_recruiter()?;
        let org = &who.org_id;
        let position = not_found(positions::get(&self.db, org, pos).await?)?;
        if position.status != "open" {
            return Err(AppError::Conflict {
                code: "position_closed",
                message: "the position is closed".into(),
            });
        }
        let tpl_id = self.pick_template(org, pos, req.template_id.as_deref()).await?;
        let prep = self.prepare_invite(who, &tpl_id, req).await?;
        let mut tx = self.db.begin().await?;
        let done = self.insert_invitation(&mut tx, who, pos, req, &prep).await?;
        tx.commit().await?;
        self.outcome(org, done).await
    }

    /// Validates the request and reads the template and settings (no transaction held: a pool
    /// query while holding one could wait for a connection only other waiting transactions hold).
    pub async fn prepare_invite(
        &self,
        who: &Actor,
        tpl_id: &TemplateId,
        req: &InviteRequest,
    ) -> Result<Prepared, AppError> {
        let tpl = not_found(templates::get(&self.db, &who.org_id, tpl_id).await?)?;
        self.prepare_invite_with(who, tpl, req).await
    }

    /// [`Self::prepare_invite`] for a template the caller has just read.
    pub async fn prepare_invite_with(
        &self,
        who: &Actor,
        tpl: templates::TemplateRow,
        req: &InviteRequest,
    ) -> Result<Prepared, AppError> {
        who.require_recruiter()?;
        let tpl_id = TemplateId::parse(&tpl.id).map_err(internal)?;
        let org = &who.org_id;
        let email = Email::parse(&req.email).map_err(|e| AppError::field("email", e.0))?;
        if req.name.len() > 200 {
            return Err(AppError::field("name", "at most 200 characters"));
        }
        let round = req.round.unwrap_or(1);
        if !(1..=100).contains(&round) {
            return Err(AppError::field("round", "between 1 and 100"));
        }
        if let Some(tz) = &req.time_zone
            && tz.parse::<chrono_tz::Tz>().is_err()
        {
            return Err(AppError::field("time_zone", "use an IANA zone such as Europe/Paris"));
        }
        super::metadata::check(&req.metadata)?;
        if tpl.archived_at.is_some() {
            return Err(AppError::field("template_id", "the template is archived"));
        }
        let version = TemplateVersionId::parse(&tpl.current_version_id).map_err(internal)?;
        let spec = parse_spec(&not_found(templates::version(&self.db, org, &version).await?)?.spec)?;
        if !spec.can_invite() {
            return Err(AppError::field("template_id", "the template has no questions yet"));
        }
        let org_settings = settings::get(&self.db, org).await?;
        let days = match req.expires_in_days {
            Some(d) if !(1..=365).contains(&d) => return Err(AppError::field("expires_in_days", "between 1 and 365")),
            Some(d) => d as i64,
            None => spec
                .expiry_days
                .map(i64::from)
                .unwrap_or(org_settings.default_expiry_days as i64),
        };
        let now = self.clock.now();
        Ok(Prepared {
            email,
            round,
            template: tpl_id,
            version,
            expires_at: now + TimeDelta::days(days),
            metadata: serde_json::Value::Object(req.metadata.clone()).to_string(),
            org_settings,
            now,
        })
    }

    /// The candidate, the invitation (or the duplicate it meets), its ATS references, e-mail and
    /// timers, in the caller's transaction.
    pub async fn insert_invitation(
        &self,
        tx: &mut Tx,
        who: &Actor,
        pos: &PositionId,
        req: &InviteRequest,
        p: &Prepared,
    ) -> Result<Inserted, AppError> {
        let org = &who.org_id;
        let cand = candidates::upsert(
            tx,
            org,
            &CandidateInput {
                email: &p.email,
                name: &req.name,
                phone: req.phone.as_deref().filter(|p| !p.trim().is_empty()),
                locale: req.locale.as_deref().filter(|p| !p.trim().is_empty()),
                time_zone: req.time_zone.as_deref(),
            },
        )
        .await?;
        for (i, r) in req.candidate_external_refs.iter().enumerate() {
            if r.ats_kind.trim().is_empty() || r.external_id.trim().is_empty() {
                return Err(AppError::field(
                    &format!("candidate_external_refs[{i}]"),
                    "give the ATS kind and the external id",
                ));
            }
            if !positions::add_external_ref(tx, org, "candidate", &cand.id, r).await? {
                return Err(AppError::Conflict {
                    code: "external_ref_taken",
                    message: format!(
                        "{} candidate {} belongs to another candidate",
                        r.ats_kind, r.external_id
                    ),
                });
            }
        }
        let id = InvitationId::generate();
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let token_hash = crate::tokens::hash(&self.links.token(id.as_str(), &nonce));
        let new = NewInvitation {
            id: &id,
            candidate_id: &cand.id,
            position_id: pos.as_str(),
            template_id: p.template.as_str(),
            template_version_id: p.version.as_str(),
            round: p.round,
            token_hash: &token_hash,
            link_nonce: &nonce,
            expires_at: p.expires_at,
            metadata: &p.metadata,
            created_by: who.user_id.as_ref().map(|u| u.as_str()),
        };
        let created = inv::insert(tx, org, &new).await?;
        let prior: Vec<InvitationRow> = inv::list_for_candidate_tx(tx, org, &cand.id)
            .await?
            .into_iter()
            .filter(|r| r.position_id != pos.as_str())
            .collect();
        if created {
            let event = NewEvent {
                kind: "created",
                from_state: None,
                to_state: Some("created"),
                actor: &who.label,
                detail: None,
                at: p.now,
            };
            inv::add_event(tx, org, &id, &event).await?;
            for r in &req.invitation_external_refs {
                shortlist_store::ats::point_invitation_ref(tx, org, &id, r).await?;
            }
            if let Some(url) = &req.return_url {
                shortlist_store::ats::set_return_url(tx, org, &id, url).await?;
            }
            rjobs::enqueue_mail(tx, org, &id, MailPurpose::Invitation, None).await?;
            rjobs::schedule_timers(tx, org, &id, p.expires_at, &p.org_settings.reminder_hours, p.now).await?;
            if !prior.is_empty() {
                rjobs::enqueue_prior_notice(tx, org, &id).await?;
            }
            return Ok(Inserted::Created { id, prior });
        }
        let key = inv::active_key(pos.as_str(), p.template.as_str(), &cand.id, p.round);
        let existing = not_found(inv::find_active(tx, org, &key).await?)?;
        if !req.resend {
            // Nothing changes; the candidate row update (if any) is harmless to keep.
            return Ok(Inserted::Duplicate(Box::new(existing)));
        }
        let existing_id = InvitationId::parse(&existing.id).map_err(internal)?;
        self.resend_in(tx, who, &existing_id, &existing.state, p.now).await?;
        Ok(Inserted::Resent { id: existing_id, prior })
    }

    /// The views of what [`Self::insert_invitation`] did, read after the commit.
    pub async fn outcome(&self, org: &OrgId, done: Inserted) -> Result<InviteOutcome, AppError> {
        Ok(match done {
            Inserted::Created { id, prior } => InviteOutcome::Created {
                invitation: self.view(not_found(inv::get(&self.db, org, &id).await?)?),
                prior: prior.into_iter().map(|r| self.view(r)).collect(),
            },
            Inserted::Resent { id, prior } => InviteOutcome::Resent {
                invitation: self.view(not_found(inv::get(&self.db, org, &id).await?)?),
                prior: prior.into_iter().map(|r| self.view(r)).collect(),
            },
            Inserted::Duplicate(existing) => InviteOutcome::Duplicate {
                existing: self.view(*existing),
            },
        })
    }
}
