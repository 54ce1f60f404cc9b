//! Inviting many candidates at once (batch API, CSV upload). Each row is its own transaction,
//! so a bad row never stops the good ones and nothing is half-done.

use super::invitations::{InviteOutcome, InviteRequest};
use super::{Actor, Recruiting};
use crate::AppError;
use serde::Serialize;
use shortlist_domain::{Email, PositionId};
use std::collections::HashSet;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RowResult {
    /// 1-based row number in the request or file.
    pub row: usize,
    pub email: String,
    /// `sent` (invited now), `resent`, `already_invited`, `duplicate_in_request`, `invalid`, `error`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invitation_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Invitations of this candidate to other positions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub prior_positions: Vec<String>,
}

pub const MAX_BATCH: usize = 1000;

fn describe(e: &AppError) -> String {
    match e {
        AppError::Validation { fields } => fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        AppError::NotFound => "not found".into(),
        AppError::Internal(_) => "internal error; try this row again".into(),
        other => other.to_string(),
    }
}

impl Recruiting {
    pub async fn invite_many(
        &self,
        who: &Actor,
        pos: &PositionId,
        rows: &[InviteRequest],
    ) -> Result<Vec<RowResult>, AppError> {
        who.require_recruiter()?;
        if rows.len() > MAX_BATCH {
            return Err(AppError::field(
                "candidates",
                format!("at most {MAX_BATCH} rows per request"),
            ));
        }
        // Rules about the whole request come first, so they are one answer rather than one per row.
        let position = super::not_found(shortlist_store::positions::get(&self.db, &who.org_id, pos).await?)?;
        if position.status != "open" {
            return Err(AppError::Conflict {
                code: "position_closed",
                message: "the position is closed".into(),
            });
        }
        let mut seen = HashSet::new();
        let mut out = Vec::with_capacity(rows.len());
        for (i, req) in rows.iter().enumerate() {
            let row = i + 1;
            let email = req.email.trim().to_lowercase();
            let mut result = RowResult {
                row,
                email: email.clone(),
                status: "error",
                invitation_id: None,
                message: None,
                prior_positions: vec![],
            };
            let key =
                Email::parse(&req.email).map(|e| (e.to_string(), req.template_id.clone(), req.round.unwrap_or(1)));
            if let Ok(k) = &key
                && !seen.insert(k.clone())
            {
                result.status = "duplicate_in_request";
                result.message = Some("the same candidate appears earlier in this list; invited once".into());
                out.push(result);
                continue;
            }
            match self.invite(who, pos, req).await {
                Ok(InviteOutcome::Created { invitation, prior }) => {
                    result.status = "sent";
                    result.invitation_id = Some(invitation.id);
                    result.prior_positions = prior.into_iter().map(|p| p.position.title).collect();
                }
                Ok(InviteOutcome::Resent { invitation, .. }) => {
                    result.status = "resent";
                    result.invitation_id = Some(invitation.id);
                }
                Ok(InviteOutcome::Duplicate { existing }) => {
                    result.status = "already_invited";
                    result.message = Some(format!(
                        "already invited{} (state {})",
                        existing
                            .sent_at
                            .map(|t| format!(" on {}", t.format("%Y-%m-%d")))
                            .unwrap_or_default(),
                        existing.state
                    ));
                    result.invitation_id = Some(existing.id);
                }
                // A rule about the whole request (position closed, no permission) stops here.
                Err(e @ (AppError::Forbidden(_) | AppError::Conflict { .. })) if i == 0 => return Err(e),
                Err(e @ AppError::Validation { .. }) => {
                    result.status = "invalid";
                    result.message = Some(describe(&e));
                }
                Err(e) => {
                    if let AppError::Internal(inner) = &e {
                        tracing::error!(error = format!("{inner:#}"), row, "bulk invite row failed");
                    }
                    result.message = Some(describe(&e));
                }
            }
            out.push(result);
        }
        Ok(out)
    }
}
