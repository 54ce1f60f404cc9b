//! Placing an order from an ATS: the position for its job, the package's template, the candidate,
//! the invitation and its ATS references in one transaction, under the connection's dedup policy.

use super::{AtsConnection, Shared};
use crate::AppError;
use crate::recruiting::invitations::{InvitationView, InviteOutcome, InviteRequest};
use shortlist_domain::{InvitationId, PositionId, TemplateId};
use shortlist_store::{ats, positions, templates};

/// What a second order for the same application and package does (research §10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dedup {
    /// Refused with a readable message while the first is open (iCIMS expects a 400).
    Reject,
    /// Answered with the first order's invitation, unchanged (Greenhouse retries send_test).
    Replay,
    /// Like `Replay`, and a candidate who completed the same package within `days` is not
    /// invited again: the new order gets the earlier result at once.
    Reuse { days: u32 },
}

impl Dedup {
    pub fn as_str(self) -> &'static str {
        match self {
            Dedup::Reject => "reject",
            Dedup::Replay => "replay",
            Dedup::Reuse { .. } => "reuse",
        }
    }

    /// The stored form: the policy, and the validity window for `reuse` (30 days when unset).
    pub fn parse(s: &str, days: Option<i64>) -> Option<Dedup> {
        match s {
            "reject" => Some(Dedup::Reject),
            "replay" => Some(Dedup::Replay),
            "reuse" => Some(Dedup::Reuse {
                days: days
                    .and_then(|d| u32::try_from(d).ok())
                    .filter(|d| *d > 0)
                    .unwrap_or(30),
            }),
            _ => None,
        }
    }

    /// The validity window of `reuse`.
    pub fn reuse_days(self) -> Option<u32> {
        match self {
            Dedup::Reuse { days } => Some(days),
            _ => None,
        }
    }

    /// Whether the same order again (or a second one for an open invitation) gets the first one's
    /// invitation.
    pub fn replays(self) -> bool {
        matches!(self, Dedup::Replay | Dedup::Reuse { .. })
    }

    /// How an admin reads it.
    pub fn describe(self) -> String {
        match self {
            Dedup::Reject => "refuse a second order while the first is open, with a message".into(),
            Dedup::Replay => "answer a second order with the first one's invitation".into(),
            Dedup::Reuse { days } => {
                format!("answer with the first invitation, and reuse a result completed in the last {days} days")
            }
        }
    }
}

/// Which template an order asks for.
#[derive(Debug, Clone)]
pub enum Package {
    /// A template key the ATS carries as its package id (iCIMS `assessmenttype`, Greenhouse
    /// `partner_test_id`); linked to the job's position on first use.
    Key(String),
    /// A template a recruiter picked for the job.
    Template(TemplateId),
    /// Whatever is linked to the job's position (its first template).
    Linked,
}

/// One candidate × one package × one ATS application.
#[derive(Debug, Clone)]
pub struct Order {
    /// The ATS job, made a position (owned by the connection's observer) on first sight.
    pub job_id: String,
    /// Empty when the ATS names no job: the position is then called "<package name> (<ats>)".
    pub job_title: String,
    /// How people name the ATS ("Greenhouse"), for such titles.
    pub ats_label: &'static str,
    /// The person's id in the ATS, kept on the candidate.
    pub person_id: Option<String>,
    pub email: String,
    pub name: String,
    pub phone: Option<String>,
    /// The ATS's id of this order (iCIMS applicant workflow, Greenhouse instance URL): what
    /// results are written to, and what a replay is recognised by.
    pub application_ref: String,
    pub package: Package,
    pub resend: bool,
    pub return_url: Option<String>,
    /// A second (third, …) round of the same package on purpose; never a duplicate of round 1.
    pub round: Option<i32>,
}

/// What placing did.
#[derive(Debug)]
pub enum Placed {
    Created(InvitationView),
    Resent(InvitationView),
    /// The application already has this open invitation (and nothing was sent).
    Duplicate(InvitationView),
    /// The same order again (policy [`Dedup::Replay`]): its invitation, unchanged.
    Replayed(InvitationView),
    /// Policy [`Dedup::Reuse`]: the candidate completed this package recently; the new order
    /// answers with that invitation and its result is written back to the new reference.
    Reused(InvitationView),
    /// The job has no package and no linked template: a recruiter must pick one.
    NoPackage(PositionId),
}

/// Why an order could not be placed, for the connector to word in its ATS's format.
#[derive(Debug)]
pub enum OrderError {
    UnknownPackage(String),
    ArchivedPackage(String),
    App(AppError),
}

impl From<AppError> for OrderError {
    fn from(e: AppError) -> Self {
        OrderError::App(e)
    }
}
impl From<sqlx::Error> for OrderError {
    fn from(e: sqlx::Error) -> Self {
        OrderError::App(e.into())
    }
}

impl Shared {
    /// Places `order` for `conn`. One transaction holds the new position (if the job is new), the
    /// template link, the candidate, the invitation, its references, its e-mail and timers.
    pub async fn place(&self, conn: &AtsConnection, order: &Order, dedup: Dedup) -> Result<Placed, OrderError> {
        // Concurrent first orders for one new job race on its reference; the losers start over
        // (after the winner committed, they find its position). The slot is held per attempt, so
        // a loser never waits for a slot while holding one.
        self.note_inbound(conn).await;
        for _ in 0..3 {
            let _slot = self.db_slot().await?;
            if let Some(placed) = self.try_place(conn, order, dedup).await? {
                return Ok(placed);
            }
        }
        Err(OrderError::App(AppError::Internal(anyhow::anyhow!(
            "the position for job {} could not be made; try again",
            order.job_id
        ))))
    }

    /// One attempt; `None` when another order created the job's position meanwhile.
    async fn try_place(&self, conn: &AtsConnection, order: &Order, dedup: Dedup) -> Result<Option<Placed>, OrderError> {
        let org = &conn.org_id;
        let app_ref = conn.reference(&order.application_ref);
        // A resend asks for the link again and a later round is a new interview on purpose, so
        // neither is a replay.
        let later_round = order.round.is_some_and(|r| r > 1);
        if dedup.replays()
            && !order.resend
            && !later_round
            && let Some(view) = self.replayed(conn, &app_ref).await?
        {
            return Ok(Some(Placed::Replayed(view)));
        }
        let job_ref = conn.reference(&order.job_id);
        // The position with its status in one read: most orders are for a job seen before.
        let found = positions::for_ref(&self.db, org, &job_ref).await?;
        let position = match &found {
            Some(p) => Some(PositionId::parse(&p.id).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?),
            None => None,
        };
        let mut template_row = None;
        let template = match &order.package {
            Package::Key(key) => {
                let t = templates::find_by_key(&self.db, org, key)
                    .await?
                    .ok_or_else(|| OrderError::UnknownPackage(key.clone()))?;
                if t.archived_at.is_some() {
                    return Err(OrderError::ArchivedPackage(key.clone()));
                }
                let id = TemplateId::parse(&t.id).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
                template_row = Some(t);
                id
            }
            Package::Template(t) => t.clone(),
            Package::Linked => {
                let linked = match &position {
                    Some(p) => positions::linked_templates(&self.db, org, p).await?,
                    None => vec![],
                };
                match linked.first() {
                    Some(t) => TemplateId::parse(t).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?,
                    None => {
                        let pos = match position {
                            Some(p) => p,
                            None => self.position_for(conn, order).await?,
                        };
                        return Ok(Some(Placed::NoPackage(pos)));
                    }
                }
            }
        };
        if let Some(days) = dedup.reuse_days()
            && !order.resend
            && !later_round
            && let Some(done) = self.reusable(conn, &order.email, &template, days).await?
        {
            return self.reuse(conn, order, position, &template, done).await;
        }
        let who = conn.actor();
        let req = InviteRequest {
            email: order.email.trim().to_string(),
            name: order.name.chars().take(200).collect(),
            phone: order.phone.clone(),
            template_id: Some(template.to_string()),
            resend: order.resend,
            round: order.round,
            candidate_external_refs: order.person_id.iter().map(|p| conn.reference(p)).collect(),
            invitation_external_refs: vec![app_ref.clone()],
            return_url: order
                .return_url
                .clone()
                .filter(|u| u.starts_with("https://") || u.starts_with("http://")),
            ..InviteRequest::default()
        };
        if let Some(p) = &found
            && p.status != "open"
        {
            return Err(OrderError::App(AppError::Conflict {
                code: "position_closed",
                message: format!("the position for this job ({}) is closed in Shortlist", p.title),
            }));
        }
        let template_name = template_row.as_ref().map(|t| t.name.clone());
        let prep = match template_row {
            Some(row) => self.recruiting.prepare_invite_with(&who, row, &req).await?,
            None => self.recruiting.prepare_invite(&who, &template, &req).await?,
        };
        let mut tx = self.db.begin().await?;
        let pos = match position {
            Some(p) => p,
            None => {
                // An ATS that names no job (Greenhouse) leaves the title to the package's name.
                let title = match (order.job_title.trim(), &template_name) {
                    ("", Some(name)) => format!("{name} ({})", order.ats_label),
                    (t, _) => t.to_string(),
                };
                let title: String = title.chars().take(200).collect();
                let id = positions::create(&mut tx, org, &title, &conn.observer_user_id).await?;
                if !positions::add_external_ref(&mut tx, org, "position", id.as_str(), &job_ref).await? {
                    // Another order for the same new job won the race: use its position.
                    return Ok(None);
                }
                id
            }
        };
        positions::link_template(&mut tx, org, &pos, &template).await?;
        let done = self
            .recruiting
            .insert_invitation(&mut tx, &who, &pos, &req, &prep)
            .await?;
        if let crate::recruiting::invite::Inserted::Duplicate(existing) = &done
            && dedup.replays()
        {
            // A second order for an application that already has this open invitation: the
            // same invitation answers for both references.
            let id = InvitationId::parse(&existing.id).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
            ats::point_invitation_ref(&mut tx, org, &id, &app_ref).await?;
        }
        tx.commit().await?;
        Ok(Some(match self.recruiting.outcome(org, done).await? {
            InviteOutcome::Created { invitation, .. } => Placed::Created(invitation),
            InviteOutcome::Resent { invitation, .. } => Placed::Resent(invitation),
            InviteOutcome::Duplicate { existing } if dedup.replays() => Placed::Replayed(existing),
            InviteOutcome::Duplicate { existing } => Placed::Duplicate(existing),
        }))
    }

    /// The invitation this application reference already names, if any.
    async fn replayed(
        &self,
        conn: &AtsConnection,
        app_ref: &shortlist_store::positions::ExternalRef,
    ) -> Result<Option<InvitationView>, OrderError> {
        let Some(id) = ats::invitation_for_ref(&self.db, &conn.org_id, app_ref).await? else {
            return Ok(None);
        };
        let id = InvitationId::parse(&id).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
        Ok(self
            .recruiting
            .invitation(&conn.actor(), &id)
            .await
            .ok()
            .map(|(v, _)| v))
    }

    /// The position for the order's job, created (on its own) when a recruiter must first pick
    /// a template for it.
    async fn position_for(&self, conn: &AtsConnection, order: &Order) -> Result<PositionId, OrderError> {
        let org = &conn.org_id;
        let job_ref = conn.reference(&order.job_id);
        let title: String = order.job_title.chars().take(200).collect();
        let mut tx = self.db.begin().await?;
        let id = positions::create(&mut tx, org, &title, &conn.observer_user_id).await?;
        if positions::add_external_ref(&mut tx, org, "position", id.as_str(), &job_ref).await? {
            tx.commit().await?;
            return Ok(id);
        }
        drop(tx);
        let found = positions::find_by_external(&self.db, org, "position", &job_ref)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the position for job {} vanished", order.job_id)))?;
        Ok(PositionId::parse(&found).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?)
    }
}
