//! The paginated lists of the API: templates, positions and invitations, one keyset page at a
//! time, and the invitation filters an integration needs (its own ids in the metadata, the ATS
//! job id of the position, what changed since its last poll).

use super::templates::parse_spec;
use super::{Actor, Recruiting, internal, not_found};
use crate::AppError;
use crate::paging::{PageReq, Paged};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use shortlist_domain::{Email, PositionId, TemplateVersionId};
use shortlist_store::positions::{self, ExternalRef, PositionRow};
use shortlist_store::results::{self, InvitationFilter};
use shortlist_store::templates;

use super::invitations::InvitationView;
use super::templates::TemplateSummary;

/// Every state an invitation can be in.
pub const STATES: [&str; 8] = [
    "created",
    "sent",
    "opened",
    "started",
    "completed",
    "expired",
    "cancelled",
    "failed",
];

/// The filters of `GET /invitations` and `GET /results` as they arrive in the query string;
/// empty values count as absent.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvitationQuery {
    pub position_id: Option<String>,
    pub candidate_email: Option<String>,
    pub state: Option<String>,
    /// `metadata.candidateId`.
    pub candidate_id: Option<String>,
    /// `metadata.applicationId`.
    pub application_id: Option<String>,
    /// With `external_job_id`: the ATS job the position is linked to.
    pub ats_kind: Option<String>,
    /// Only when the organisation has several connections of that ATS kind.
    pub connection_id: Option<String>,
    pub external_job_id: Option<String>,
    /// RFC 3339 (`2026-03-01T00:00:00Z`).
    pub updated_since: Option<String>,
    pub completed_since: Option<String>,
}

fn given(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A text filter; NUL cannot be stored (PostgreSQL refuses it), so it cannot match either.
fn text(field: &str, v: &Option<String>) -> Result<Option<String>, AppError> {
    match given(v) {
        Some(t) if t.contains('\0') => Err(AppError::field(field, "must not contain NUL characters")),
        other => Ok(other),
    }
}

fn time(field: &str, v: &Option<String>) -> Result<Option<DateTime<Utc>>, AppError> {
    given(v)
        .map(|raw| {
            DateTime::parse_from_rfc3339(&raw)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| AppError::field(field, "an RFC 3339 time such as 2026-03-01T00:00:00Z"))
        })
        .transpose()
}

/// An ATS reference given as `ats_kind` + an id (+ optional `connection_id`); one without the
/// other is a mistake worth naming.
pub fn external_ref(
    ats_kind: &Option<String>,
    connection_id: &Option<String>,
    external_id: &Option<String>,
    id_field: &str,
) -> Result<Option<ExternalRef>, AppError> {
    match (text("ats_kind", ats_kind)?, text(id_field, external_id)?) {
        (Some(ats_kind), Some(external_id)) => Ok(Some(ExternalRef {
            ats_kind,
            connection_id: text("connection_id", connection_id)?.unwrap_or_default(),
            external_id,
        })),
        (None, None) => Ok(None),
        _ => Err(AppError::field(id_field, format!("give both ats_kind and {id_field}"))),
    }
}

impl InvitationQuery {
    pub fn filter(&self) -> Result<InvitationFilter, AppError> {
        let state = given(&self.state);
        if let Some(s) = &state
            && !STATES.contains(&s.as_str())
        {
            return Err(AppError::field("state", format!("one of {}", STATES.join(", "))));
        }
        let position_id = given(&self.position_id)
            .map(|p| PositionId::parse(&p).map_err(|e| AppError::field("position_id", e.0)))
            .transpose()?;
        let candidate_email = given(&self.candidate_email)
            .map(|e| Email::parse(&e).map_err(|e| AppError::field("candidate_email", e.0)))
            .transpose()?;
        Ok(InvitationFilter {
            position_id: position_id.map(|p| p.to_string()),
            candidate_email: candidate_email.map(|e| e.to_string()),
            state,
            candidate_id: text("candidate_id", &self.candidate_id)?,
            application_id: text("application_id", &self.application_id)?,
            job: external_ref(
                &self.ats_kind,
                &self.connection_id,
                &self.external_job_id,
                "external_job_id",
            )?,
            updated_since: time("updated_since", &self.updated_since)?,
            completed_since: time("completed_since", &self.completed_since)?,
        })
    }
}

impl Recruiting {
    /// Positions, newest first.
    pub async fn positions_page(
        &self,
        who: &Actor,
        status: Option<&str>,
        page: &PageReq,
    ) -> Result<Paged<PositionRow>, AppError> {
        Ok(positions::page(&self.db, &who.org_id, status, page).await?)
    }

    /// Templates, newest first, each with whether it can be sent yet.
    pub async fn template_summaries_page(
        &self,
        who: &Actor,
        include_archived: bool,
        page: &PageReq,
    ) -> Result<Paged<TemplateSummary>, AppError> {
        let rows = templates::page(&self.db, &who.org_id, include_archived, page).await?;
        let mut out = Vec::with_capacity(rows.items.len());
        for row in rows.items {
            let vid = TemplateVersionId::parse(&row.current_version_id).map_err(internal)?;
            let version = not_found(templates::version(&self.db, &who.org_id, &vid).await?)?;
            out.push(TemplateSummary {
                can_invite: parse_spec(&version.spec)?.can_invite(),
                id: row.id,
                key: row.key,
                name: row.name,
                version: row.current_version,
                archived: row.archived_at.is_some(),
                updated_at: row.updated_at,
            });
        }
        Ok(Paged {
            items: out,
            next: rows.next,
        })
    }

    /// Invitations of the organisation matching `f`, newest first.
    pub async fn search_invitations(
        &self,
        who: &Actor,
        f: &InvitationFilter,
        page: &PageReq,
    ) -> Result<Paged<InvitationView>, AppError> {
        let rows = results::invitations(&self.db, &who.org_id, f, page).await?;
        Ok(rows.map(|r| self.view_for(who, r)))
    }

    /// The invitations of one position (404 for a position of another organisation).
    pub async fn position_invitations_page(
        &self,
        who: &Actor,
        pos: &PositionId,
        page: &PageReq,
    ) -> Result<Paged<InvitationView>, AppError> {
        not_found(positions::get(&self.db, &who.org_id, pos).await?)?;
        let f = InvitationFilter {
            position_id: Some(pos.to_string()),
            ..InvitationFilter::default()
        };
        self.search_invitations(who, &f, page).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q() -> InvitationQuery {
        InvitationQuery::default()
    }

    #[test]
    fn filters_are_checked_and_named() {
        let field = |r: Result<InvitationFilter, AppError>| match r {
            Err(AppError::Validation { fields }) => fields[0].field.clone(),
            other => panic!("{other:?}"),
        };
        let bad_state = InvitationQuery {
            state: Some("done".into()),
            ..q()
        };
        assert_eq!(field(bad_state.filter()), "state");
        let half_ref = InvitationQuery {
            ats_kind: Some("greenhouse".into()),
            ..q()
        };
        assert_eq!(field(half_ref.filter()), "external_job_id");
        let bad_time = InvitationQuery {
            updated_since: Some("yesterday".into()),
            ..q()
        };
        assert_eq!(field(bad_time.filter()), "updated_since");
        let ok = InvitationQuery {
            candidate_email: Some(" Ada@Example.com ".into()),
            state: Some("".into()),
            ats_kind: Some("greenhouse".into()),
            external_job_id: Some("J-1".into()),
            completed_since: Some("2026-03-01T00:00:00Z".into()),
            ..q()
        }
        .filter()
        .unwrap_or_default();
        assert_eq!(ok.candidate_email.as_deref(), Some("ada@example.com"));
        assert_eq!(ok.state, None);
        assert_eq!(
            ok.job.map(|j| (j.ats_kind, j.connection_id)),
            Some(("greenhouse".into(), String::new()))
        );
        assert!(ok.completed_since.is_some());
    }
}
