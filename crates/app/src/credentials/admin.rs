//! Issuing, listing, rotating and revoking credentials (admin CLI and organisation settings).

use super::policy::{self, Scopes, parse_cidrs};
use super::{Credentials, PARTNER_STATUSES, PartnerView};
use crate::AppError;
use crate::recruiting::Actor;
use crate::tokens;
use chrono::{DateTime, TimeDelta, Utc};
use shortlist_domain::{OrgId, UserId};
use shortlist_store::credentials::{self as store, ApiKeyRow, PartnerRow};

/// What an administrator hands to a partner, once.
#[derive(Debug, Clone)]
pub struct IssuedPartner {
    pub partner: PartnerView,
    pub secret: String,
}

pub struct NewPartner<'a> {
    pub name: &'a str,
    pub contact: &'a str,
    pub orgs: Vec<OrgId>,
    pub scopes: Option<&'a str>,
    pub rate_per_sec: Option<u32>,
    pub burst: Option<u32>,
    pub ip_allow: Option<&'a str>,
}

/// An API key as listed: never its secret.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    /// `organisation` or `personal`.
    pub kind: &'static str,
    pub user_id: Option<String>,
    pub scopes: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<ApiKeyRow> for ApiKeyView {
    fn from(k: ApiKeyRow) -> Self {
        ApiKeyView {
            id: k.id,
            name: k.name,
            kind: if k.user_id.is_some() {
                "personal"
            } else {
                "organisation"
            },
            user_id: k.user_id,
            scopes: k.scopes,
            expires_at: k.expires_at,
            revoked_at: k.revoked_at,
            last_used_at: k.last_used_at,
            created_at: k.created_at,
        }
    }
}

/// A key just made (or rotated): the token is shown this once.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IssuedKey {
    #[serde(flatten)]
    pub key: ApiKeyView,
    pub token: String,
}

fn bad_policy(field: &str) -> impl Fn(String) -> AppError + '_ {
    move |m| AppError::field(field, m)
}

impl Credentials {
    pub async fn create_partner(&self, n: NewPartner<'_>) -> Result<IssuedPartner, AppError> {
        self.create_partner_by(n, "admin").await
    }

    /// [`Self::create_partner`] with the audit trail naming who registered it.
    pub async fn create_partner_by(&self, n: NewPartner<'_>, actor: &str) -> Result<IssuedPartner, AppError> {
        let name = n.name.trim();
        if name.is_empty() || name.len() > 200 {
            return Err(AppError::field(
                "name",
                "give the partner a name (at most 200 characters)",
            ));
        }
        if n.contact.trim().is_empty() {
            return Err(AppError::field("contact", "give a contact (e-mail or person)"));
        }
        let scopes = Scopes::parse(n.scopes.unwrap_or("*")).map_err(bad_policy("scopes"))?;
        let ip_allow = parse_cidrs(n.ip_allow.unwrap_or("")).map_err(bad_policy("ip_allow"))?;
        let now = self.clock.now();
        let row = PartnerRow {
            id: store::new_id("ptn"),
            name: name.to_string(),
            contact: n.contact.trim().to_string(),
            partner_key: tokens::generate("pk"),
            status: "sandbox".into(),
            scopes: scopes.as_string(),
            rate_per_sec: clamp(n.rate_per_sec.unwrap_or(policy::DEFAULT_RATE)),
            rate_burst: clamp(n.burst.unwrap_or(policy::DEFAULT_BURST)),
            ip_allow: ip_allow.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "),
            created_at: now,
            updated_at: now,
        };
        let secret = tokens::generate("psk");
        store::create_partner_by(&self.db, &row, &n.orgs, &tokens::hash(&secret), actor).await?;
        let orgs = n.orgs.iter().map(ToString::to_string).collect();
        Ok(IssuedPartner {
            partner: PartnerView::of(row, orgs),
            secret,
        })
    }

    pub async fn partners(&self) -> Result<Vec<PartnerView>, AppError> {
        let mut out = Vec::new();
        for p in store::partners(&self.db).await? {
            let orgs = store::partner_orgs(&self.db, &p.id).await?;
            out.push(PartnerView::of(p, orgs));
        }
        Ok(out)
    }

    /// Promote (`in_review`, `live`), suspend, or send back to `sandbox`; audited.
    pub async fn set_partner_status(&self, id: &str, to: &str, actor: &str) -> Result<String, AppError> {
        if !PARTNER_STATUSES.contains(&to) {
            return Err(AppError::field(
                "status",
                format!("one of {}", PARTNER_STATUSES.join(", ")),
            ));
        }
        store::set_status(&self.db, id, to, actor)
            .await?
            .ok_or(AppError::NotFound)
    }

    pub async fn set_partner_policy(
        &self,
        id: &str,
        scopes: &str,
        rate_per_sec: u32,
        burst: u32,
        ip_allow: &str,
    ) -> Result<(), AppError> {
        let scopes = Scopes::parse(scopes).map_err(bad_policy("scopes"))?;
        let ips = parse_cidrs(ip_allow).map_err(bad_policy("ip_allow"))?;
        let ips = ips.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ");
        let done = store::set_policy(
            &self.db,
            id,
            &scopes.as_string(),
            clamp(rate_per_sec),
            clamp(burst),
            &ips,
        )
        .await?;
        if done { Ok(()) } else { Err(AppError::NotFound) }
    }

    pub async fn partner_audit(&self, id: &str) -> Result<Vec<store::AuditRow>, AppError> {
        Ok(store::audit_rows(&self.db, id).await?)
    }

    /// A new partner secret; the previous one keeps working for `window`.
    pub async fn rotate_partner(&self, id: &str, window: TimeDelta, actor: &str) -> Result<String, AppError> {
        store::partner(&self.db, id).await?.ok_or(AppError::NotFound)?;
        let secret = tokens::generate("psk");
        let until = self.clock.now() + window;
        store::rotate(&self.db, id, &tokens::hash(&secret), until, Some(actor)).await?;
        Ok(secret)
    }

    /// An organisation key (`user` None; organisation admins only) or a personal access token
    /// for the acting user.
    pub async fn create_api_key(
        &self,
        who: &Actor,
        personal: bool,
        name: &str,
        scopes: &str,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<IssuedKey, AppError> {
        let user: Option<UserId> = if personal {
            Some(who.user_id.clone().ok_or_else(|| {
                AppError::Forbidden("personal access tokens belong to a person; sign in as one".into())
            })?)
        } else {
            who.require_admin("organisation API keys")?;
            None
        };
        let name = name.trim();
        if name.is_empty() || name.len() > 100 {
            return Err(AppError::field("name", "give the key a name (at most 100 characters)"));
        }
        let scopes = Scopes::parse(scopes).map_err(bad_policy("scopes"))?;
        let now = self.clock.now();
        if expires_at.is_some_and(|t| t <= now) {
            return Err(AppError::field("expires_at", "must be in the future"));
        }
        let row = ApiKeyRow {
            id: store::new_id("key"),
            org_id: who.org_id.to_string(),
            user_id: user.map(|u| u.to_string()),
            name: name.to_string(),
            scopes: scopes.as_string(),
            expires_at,
            revoked_at: None,
            last_used_at: None,
            created_by: Some(who.label.clone()),
            created_at: now,
        };
        let token = tokens::generate(if personal { "slp" } else { "slk" });
        store::create_api_key(&self.db, &row, &tokens::hash(&token)).await?;
        Ok(IssuedKey { key: row.into(), token })
    }

    /// Admins see every key of the organisation; other users their own tokens.
    pub async fn api_keys(&self, who: &Actor) -> Result<Vec<ApiKeyView>, AppError> {
        let only = match (who.role, &who.user_id) {
            (shortlist_domain::Role::Admin, _) => None,
            (_, Some(u)) => Some(u),
            (_, None) => return Ok(Vec::new()),
        };
        let rows = store::api_keys(&self.db, &who.org_id, only).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn own_key(&self, who: &Actor, id: &str) -> Result<ApiKeyRow, AppError> {
        let k = store::api_key(&self.db, &who.org_id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let mine = k.user_id.is_some() && k.user_id.as_deref() == who.user_id.as_ref().map(|u| u.as_str());
        if !mine {
            who.require_admin("organisation API keys")?;
        }
        Ok(k)
    }

    pub async fn revoke_api_key(&self, who: &Actor, id: &str) -> Result<(), AppError> {
        self.own_key(who, id).await?;
        store::revoke_api_key(&self.db, &who.org_id, id).await?;
        Ok(())
    }

    /// A new token for the key; the old one keeps working for `window`.
    pub async fn rotate_api_key(&self, who: &Actor, id: &str, window: TimeDelta) -> Result<IssuedKey, AppError> {
        let k = self.own_key(who, id).await?;
        if k.revoked_at.is_some() {
            return Err(AppError::Conflict {
                code: "credential_revoked",
                message: "a revoked key cannot be rotated".into(),
            });
        }
        let token = tokens::generate(if k.user_id.is_some() { "slp" } else { "slk" });
        let until = self.clock.now() + window;
        store::rotate(&self.db, &k.id, &tokens::hash(&token), until, None).await?;
        Ok(IssuedKey { key: k.into(), token })
    }

    /// For the CLI: an actor standing for an organisation's administrator.
    pub fn operator(org: &OrgId) -> Actor {
        Actor {
            org_id: org.clone(),
            user_id: None,
            role: shortlist_domain::Role::Admin,
            label: "operator".into(),
        }
    }
}

fn clamp(n: u32) -> i32 {
    i32::try_from(n.clamp(1, 100_000)).unwrap_or(1)
}
