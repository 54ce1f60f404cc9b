//! Positions (jobs): title, owner, linked templates, status, external ATS ids.

use super::{Actor, Recruiting, internal, not_found};
use crate::AppError;
use serde::Serialize;
use shortlist_domain::{PositionId, TemplateId, UserId};
use shortlist_store::positions::{self, ExternalRef, PositionRow};
use shortlist_store::templates;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PositionView {
    pub id: String,
    pub title: String,
    pub status: String,
    pub owner: Owner,
    pub template_ids: Vec<String>,
    pub external_refs: Vec<ExternalRef>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Owner {
    pub id: String,
    pub name: String,
    pub email: String,
}

pub struct NewPosition {
    pub title: String,
    /// Defaults to the acting user.
    pub owner: Option<UserId>,
    pub template_ids: Vec<TemplateId>,
    pub external_refs: Vec<ExternalRef>,
}

fn check_title(title: &str) -> Result<String, AppError> {
    let t = title.trim();
    if t.is_empty() || t.len() > 300 {
        return Err(AppError::field(
            "title",
            "give the position a title (at most 300 characters)",
        ));
    }
    Ok(t.to_string())
}

impl Recruiting {
    pub async fn create_position(&self, who: &Actor, new: NewPosition) -> Result<PositionView, AppError> {
        who.require_recruiter()?;
        let title = check_title(&new.title)?;
        let owner = match new.owner.or(who.user_id.clone()) {
            Some(o) => o,
            None => return Err(AppError::field("owner", "name the recruiter who owns the position")),
        };
        if shortlist_store::users::get(&self.db, &who.org_id, &owner)
            .await?
            .is_none()
        {
            return Err(AppError::field("owner", "no such user in this organisation"));
        }
        for (i, t) in new.template_ids.iter().enumerate() {
            if templates::get(&self.db, &who.org_id, t).await?.is_none() {
                return Err(AppError::field(&format!("template_ids[{i}]"), "no such template"));
            }
        }
        for (i, r) in new.external_refs.iter().enumerate() {
            if r.ats_kind.trim().is_empty() || r.external_id.trim().is_empty() {
                return Err(AppError::field(
                    &format!("external_refs[{i}]"),
                    "give the ATS kind and the external id",
                ));
            }
        }
        let mut tx = self.db.begin().await?;
        let id = positions::create(&mut tx, &who.org_id, &title, &owner).await?;
        for t in &new.template_ids {
            positions::link_template(&mut tx, &who.org_id, &id, t).await?;
        }
        for r in &new.external_refs {
            if !positions::add_external_ref(&mut tx, &who.org_id, "position", id.as_str(), r).await? {
                return Err(AppError::Conflict {
                    code: "external_ref_taken",
                    message: format!(
                        "{} job {} is already linked to another position",
                        r.ats_kind, r.external_id
                    ),
                });
            }
        }
        tx.commit().await?;
        self.position(who, &id).await
    }

    pub async fn position(&self, who: &Actor, id: &PositionId) -> Result<PositionView, AppError> {
        let row = not_found(positions::get(&self.db, &who.org_id, id).await?)?;
        self.position_view(who, row).await
    }

    async fn position_view(&self, who: &Actor, row: PositionRow) -> Result<PositionView, AppError> {
        let id = PositionId::parse(&row.id).map_err(internal)?;
        Ok(PositionView {
            template_ids: positions::linked_templates(&self.db, &who.org_id, &id).await?,
            external_refs: positions::external_refs(&self.db, &who.org_id, "position", id.as_str()).await?,
            id: row.id,
            title: row.title,
            status: row.status,
            owner: Owner {
                id: row.owner_id,
                name: row.owner_name,
                email: row.owner_email,
            },
            created_at: row.created_at,
        })
    }

    pub async fn positions(&self, who: &Actor, status: Option<&str>) -> Result<Vec<PositionRow>, AppError> {
        Ok(positions::list(&self.db, &who.org_id, status).await?)
    }

    /// The position an ATS job id points to.
    pub async fn position_by_external(&self, who: &Actor, r: &ExternalRef) -> Result<PositionView, AppError> {
        let id = not_found(positions::find_by_external(&self.db, &who.org_id, "position", r).await?)?;
        self.position(who, &PositionId::parse(&id).map_err(internal)?).await
    }

    pub async fn update_position(
        &self,
        who: &Actor,
        id: &PositionId,
        title: &str,
        status: &str,
    ) -> Result<PositionView, AppError> {
        who.require_recruiter()?;
        let title = check_title(title)?;
        if status != "open" && status != "closed" {
            return Err(AppError::field("status", "open or closed"));
        }
        if !positions::update(&self.db, &who.org_id, id, &title, status).await? {
            return Err(AppError::NotFound);
        }
        self.position(who, id).await
    }

    pub async fn link_template(
        &self,
        who: &Actor,
        id: &PositionId,
        tpl: &TemplateId,
        linked: bool,
    ) -> Result<(), AppError> {
        who.require_recruiter()?;
        not_found(positions::get(&self.db, &who.org_id, id).await?)?;
        not_found(templates::get(&self.db, &who.org_id, tpl).await?)?;
        if linked {
            let mut tx = self.db.begin().await?;
            positions::link_template(&mut tx, &who.org_id, id, tpl).await?;
            tx.commit().await?;
        } else {
            positions::unlink_template(&self.db, &who.org_id, id, tpl).await?;
        }
        Ok(())
    }
}
