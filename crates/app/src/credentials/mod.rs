//! Machine credentials for the API: partners acting as a named user, organisation API keys and
//! personal access tokens. Secrets are 256-bit random tokens shown once; only their SHA-256 is
//! stored (a slow password hash buys nothing for secrets this long). Each credential turns into
//! an [`Authenticated`]: the [`Actor`] the services take plus the policy the web layer enforces.

pub mod admin;
pub mod hooks;
pub mod policy;
pub mod review;

pub use policy::{Policy, Scope, Scopes};

use crate::AppError;
use crate::accounts::CurrentUser;
use crate::clock::Clock;
use crate::recruiting::Actor;
use crate::tokens;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use shortlist_domain::{Email, OrgId, Role, UserId};
use shortlist_store::credentials::{self as store, PartnerRow};
use shortlist_store::{Db, orgs, users};
use std::sync::Arc;

pub const PARTNER_STATUSES: [&str; 4] = ["sandbox", "in_review", "live", "suspended"];

/// Why a credential was refused: HTTP status and a stable problem code for the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

fn refused(status: u16, code: &'static str, message: impl Into<String>) -> Refused {
    Refused {
        status,
        code,
        message: message.into(),
    }
}

#[derive(Debug)]
pub enum AuthError {
    Refused(Refused),
    App(AppError),
}

impl From<Refused> for AuthError {
    fn from(r: Refused) -> Self {
        AuthError::Refused(r)
    }
}

impl<E: Into<AppError>> From<E> for AuthError {
    fn from(e: E) -> Self {
        AuthError::App(e.into())
    }
}

/// A caller identified by a machine credential.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub actor: Actor,
    /// The user acted as (partners and personal tokens); `None` for organisation keys.
    pub user: Option<CurrentUser>,
    /// Stable id of the credential (and, for partners, the organisation): idempotency keys and
    /// rate-limit buckets are kept per credential.
    pub credential: String,
    /// Rate-limit bucket: per partner, or per key.
    pub bucket: String,
    pub policy: Policy,
}

#[derive(Clone)]
pub struct Credentials {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    /// Limit for organisation keys and personal tokens (partners carry their own).
    pub key_policy: (u32, u32),
}

impl Credentials {
    pub fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        Self {
            db,
            clock,
            key_policy: (policy::DEFAULT_RATE, policy::DEFAULT_BURST),
        }
    }

    /// `X-Shortlist-Partner-Authorization: base64(key:secret)` with `X-Shortlist-User-Email`.
    pub async fn partner(&self, header: &str, user_email: Option<&str>) -> Result<Authenticated, AuthError> {
        let malformed = || {
            refused(
                401,
                "malformed_credentials",
                "the partner header must be base64 of key:secret",
            )
        };
        let raw = STANDARD.decode(header.trim()).map_err(|_| malformed())?;
        let raw = String::from_utf8(raw).map_err(|_| malformed())?;
        let (key, secret) = raw.split_once(':').ok_or_else(malformed)?;
        let bad = || refused(401, "invalid_credentials", "the partner key or secret is not valid");
        let p = store::partner_by_key(&self.db, key).await?.ok_or_else(bad)?;
        if !store::secret_valid(&self.db, &p.id, &tokens::hash(secret), self.clock.now()).await? {
            return Err(bad().into());
        }
        if p.status == "suspended" {
            return Err(refused(403, "partner_suspended", "this partner is suspended").into());
        }
        let email = user_email.map(str::trim).filter(|e| !e.is_empty()).ok_or_else(|| {
            refused(
                400,
                "user_email_required",
                "send X-Shortlist-User-Email naming the user to act as",
            )
        })?;
        // One answer for "no such user" and "a user elsewhere", so partners cannot probe accounts.
        let not_served = || {
            refused(
                403,
                "user_not_served",
                format!("{email} is not a user of an organisation this partner may serve"),
            )
        };
        let email = Email::parse(email).map_err(|_| not_served())?;
        let user = users::find_for_login(&self.db, &email).await?.ok_or_else(not_served)?;
        let served = store::partner_orgs(&self.db, &p.id).await?;
        if user.disabled_at.is_some() || !served.contains(&user.org_id) {
            return Err(not_served().into());
        }
        let org = orgs::get(&self.db, &parse_org(&user.org_id)?)
            .await?
            .ok_or_else(not_served)?;
        if p.status != "live" && !org.is_sandbox {
            return Err(refused(
                403,
                "partner_not_live",
                format!(
                    "this partner is {} and may only act in sandbox organisations until it is promoted to live",
                    p.status
                ),
            )
            .into());
        }
        let current = current_user(&user, org.name)?;
        let actor = Actor {
            org_id: current.org_id.clone(),
            user_id: Some(current.user_id.clone()),
            role: current.role,
            label: format!("partner:{}", p.id),
        };
        Ok(Authenticated {
            credential: format!("{}/{}", p.id, current.org_id),
            bucket: p.id.clone(),
            policy: Policy::of_partner(&p).map_err(|e| AppError::Internal(anyhow::anyhow!("stored policy: {e}")))?,
            actor,
            user: Some(current),
        })
    }

    /// `Authorization: Bearer <token>`: an organisation key or a personal access token.
    pub async fn bearer(&self, token: &str) -> Result<Authenticated, AuthError> {
        let now = self.clock.now();
        let bad = || refused(401, "invalid_credentials", "the API key is not valid");
        let owner = store::secret_owner(&self.db, &tokens::hash(token.trim()), now)
            .await?
            .ok_or_else(bad)?;
        let k = store::api_key_for_secret_owner(&self.db, &owner)
            .await?
            .ok_or_else(bad)?;
        if k.revoked_at.is_some() {
            return Err(refused(401, "credential_revoked", "this API key was revoked").into());
        }
        if k.expires_at.is_some_and(|t| t <= now) {
            return Err(refused(401, "credential_expired", "this API key has expired").into());
        }
        let org_id = parse_org(&k.org_id)?;
        let org = orgs::get(&self.db, &org_id).await?.ok_or_else(bad)?;
        store::touch_api_key(&self.db, &org_id, &k.id, now).await?;
        let scopes = Scopes::parse(&k.scopes).map_err(|e| AppError::Internal(anyhow::anyhow!("stored scopes: {e}")))?;
        let (user, actor) = match &k.user_id {
            Some(uid) => {
                let uid = UserId::parse(uid).map_err(|e| AppError::Internal(anyhow::anyhow!("stored user: {e}")))?;
                let u = users::get(&self.db, &org_id, &uid).await?.ok_or_else(bad)?;
                if u.disabled_at.is_some() {
                    return Err(refused(401, "credential_revoked", "the owner of this token is disabled").into());
                }
                let current = current_user(&u, org.name)?;
                let actor = Actor {
                    org_id: org_id.clone(),
                    user_id: Some(uid),
                    role: current.role,
                    label: current.user_id.to_string(),
                };
                (Some(current), actor)
            }
            None => {
                // An organisation key has no person behind it; what it may do is its scopes.
                let role = if scopes.allows("settings", true) {
                    Role::Admin
                } else {
                    Role::Recruiter
                };
                let actor = Actor {
                    org_id: org_id.clone(),
                    user_id: None,
                    role,
                    label: format!("apikey:{}", k.id),
                };
                (None, actor)
            }
        };
        Ok(Authenticated {
            actor,
            user,
            credential: k.id.clone(),
            bucket: k.id.clone(),
            policy: Policy {
                scopes,
                rate_per_sec: self.key_policy.0,
                burst: self.key_policy.1,
                ip_allow: Vec::new(),
            },
        })
    }
}

fn parse_org(raw: &str) -> Result<OrgId, AppError> {
    OrgId::parse(raw).map_err(|e| AppError::Internal(anyhow::anyhow!("stored org id: {e}")))
}

fn current_user(u: &shortlist_store::users::UserRow, org_name: String) -> Result<CurrentUser, AppError> {
    let internal = |e: shortlist_domain::ParseError| AppError::Internal(anyhow::anyhow!("stored user: {e}"));
    Ok(CurrentUser {
        org_id: parse_org(&u.org_id)?,
        org_name,
        user_id: UserId::parse(&u.id).map_err(internal)?,
        email: u.email.clone(),
        name: u.name.clone(),
        role: Role::parse(&u.role).map_err(internal)?,
        // Machine callers have no session and post no forms.
        csrf_token: String::new(),
        session_hash: String::new(),
    })
}

/// A partner as listed to administrators (the secret is never shown again).
#[derive(Debug, Clone, serde::Serialize)]
pub struct PartnerView {
    pub id: String,
    pub name: String,
    pub contact: String,
    pub partner_key: String,
    pub status: String,
    pub scopes: String,
    pub rate_per_sec: i32,
    pub rate_burst: i32,
    pub ip_allow: String,
    pub orgs: Vec<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl PartnerView {
    fn of(p: PartnerRow, orgs: Vec<String>) -> Self {
        PartnerView {
            id: p.id,
            name: p.name,
            contact: p.contact,
            partner_key: p.partner_key,
            status: p.status,
            scopes: p.scopes,
            rate_per_sec: p.rate_per_sec,
            rate_burst: p.rate_burst,
            ip_allow: p.ip_allow,
            orgs,
            created_at: p.created_at,
        }
    }
}
