//! Partners' webhook endpoints in an organisation, as its administrators see them on the
//! settings page: read-only (only the partner manages them through the API), with the partner's
//! name and the last delivery, so an admin knows where the organisation's events go.

use super::Credentials;
use crate::AppError;
use crate::recruiting::Actor;
use chrono::{DateTime, Utc};
use shortlist_store::credentials as partners;
use shortlist_store::webhooks as store;

#[derive(Debug, Clone)]
pub struct PartnerEndpoint {
    pub partner_name: String,
    pub url: String,
    pub events: Vec<String>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    /// State and time of the newest delivery.
    pub last_delivery: Option<(String, DateTime<Utc>)>,
}

impl Credentials {
    /// The endpoints partners serving the actor's organisation subscribed in it.
    pub async fn partner_endpoints(&self, who: &Actor) -> Result<Vec<PartnerEndpoint>, AppError> {
        who.require_admin("webhooks")?;
        let org = who.org_id.to_string();
        let mut out = Vec::new();
        for p in partners::partners(&self.db).await? {
            if !partners::partner_orgs(&self.db, &p.id).await?.contains(&org) {
                continue;
            }
            for e in store::endpoints(&self.db, &who.org_id, Some(&p.id)).await? {
                let last = store::deliveries(&self.db, &who.org_id, &e.id, 1).await?;
                out.push(PartnerEndpoint {
                    partner_name: p.name.clone(),
                    url: e.url,
                    events: e
                        .events
                        .split(' ')
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect(),
                    enabled: e.enabled,
                    disabled_reason: e.disabled_reason,
                    last_delivery: last.into_iter().next().map(|d| (d.state, d.created_at)),
                });
            }
        }
        Ok(out)
    }
}
