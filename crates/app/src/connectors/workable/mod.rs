//! Workable (research §4): Workable calls our `tests`, `interview-templates`, `assessments` and
//! `interviews` under a base URL per organisation (`/connectors/workable/{account}`), with a
//! Bearer token we issue; we report to the `callback_url` of each order with `PUT` and the Bearer
//! token Workable generated for the integration (kept sealed): `pending` while the candidate has
//! not finished, then `completed` with the interview URL and the reviewers' score.

mod calls;
mod writeback;

pub use calls::{Candidate, CreateOrder, ListItem};

use super::{AtsConnection, NewAts, Shared, keys};
use crate::AppError;
use crate::outbound::{Outbound, Profile};
use crate::secrets::Sealer;
use serde::{Deserialize, Serialize};
use shortlist_domain::{OrgId, UserId};
use std::time::Duration;

pub const KIND: &str = "workable";
/// Our tokens: `wkt_<account>_<secret>`; the account is also the base URL's last segment.
pub const TOKEN_PREFIX: &str = "wkt_";

const PROFILE: Profile = Profile {
    user_agent: concat!("Shortlist/", env!("CARGO_PKG_VERSION")),
    timeout: Duration::from_secs(20),
    connect_timeout: Duration::from_secs(5),
    http1_only: false,
};

/// What a Workable connection keeps beyond the shared columns.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WorkableSettings {
    /// The customer's Workable subdomain, for people reading the settings.
    pub subdomain: Option<String>,
    pub token_issued_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The connector; built once in the composition root, cheap to clone.
#[derive(Clone)]
pub struct Workable {
    pub shared: Shared,
    /// Seals Workable's own token (we must present it on callbacks).
    sealer: Sealer,
    outbound: Outbound,
}

/// Why a call was refused.
#[derive(Debug)]
pub enum AuthError {
    /// No token, a token that is not ours, or one for another account.
    Denied,
    App(AppError),
}

impl Workable {
    pub fn new(shared: Shared, server_key: &[u8]) -> Workable {
        Workable {
            outbound: Outbound::new(shared.guard.clone(), PROFILE),
            sealer: Sealer::new(server_key, "workable/token"),
            shared,
        }
    }

    pub async fn connection_for_org(&self, org: &OrgId) -> Result<Option<AtsConnection>, AppError> {
        self.shared.connection_for_org(org, KIND).await
    }

    /// Connects the organisation: issues our token (shown once) and keeps Workable's, sealed.
    /// Returns the connection and our token; the account is `conn.inbound_user`.
    pub async fn connect(
        &self,
        org: &OrgId,
        observer: &UserId,
        workable_token: &str,
        subdomain: Option<String>,
        budget: Option<i64>,
    ) -> Result<(AtsConnection, String), AppError> {
        if workable_token.trim().len() < 8 {
            return Err(AppError::field(
                "workable_token",
                "the token Workable generated for this integration",
            ));
        }
        let k = keys::generate(TOKEN_PREFIX);
        let settings = WorkableSettings {
            subdomain: subdomain.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
            token_issued_at: Some(crate::clock::Clock::now(&*self.shared.recruiting.clock)),
        };
        let conn = self
            .shared
            .create_connection(
                org,
                NewAts {
                    kind: KIND,
                    tenant_ref: org.as_str(),
                    settings: serde_json::to_value(&settings).map_err(|e| AppError::Internal(e.into()))?,
                    secrets_sealed: Some(self.sealer.seal(workable_token.trim())),
                    inbound_user: Some(k.id.clone()),
                    inbound_secret_hash: Some(crate::tokens::hash(&k.key)),
                    observer_user_id: observer,
                    caller_allowlist: None,
                    daily_budget: budget,
                },
            )
            .await?;
        Ok((conn, k.key))
    }

    /// A new token for Workable to present; the old one stops working at once. The account (and
    /// so the base URL) changes with it.
    pub async fn rotate_token(&self, org: &OrgId) -> Result<(AtsConnection, String), AppError> {
        let conn = self.connection_for_org(org).await?.ok_or(AppError::NotFound)?;
        let k = keys::generate(TOKEN_PREFIX);
        let mut settings: WorkableSettings = conn.settings_as()?;
        settings.token_issued_at = Some(crate::clock::Clock::now(&*self.shared.recruiting.clock));
        let settings = serde_json::to_value(&settings).map_err(|e| AppError::Internal(e.into()))?;
        self.shared.set_inbound(&conn, &settings, &k.id, &k.key, None).await?;
        let conn = self.connection_for_org(org).await?.ok_or(AppError::NotFound)?;
        Ok((conn, k.key))
    }

    /// The connection for `account` (the base URL's segment) whose token the caller presented.
    pub async fn authenticate(
        &self,
        account: &str,
        authorization: Option<&str>,
        caller: Option<std::net::IpAddr>,
    ) -> Result<AtsConnection, AuthError> {
        let token = authorization
            .and_then(|h| h.trim().strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(AuthError::Denied)?;
        let id = keys::key_id(TOKEN_PREFIX, token).ok_or(AuthError::Denied)?;
        if id != account {
            return Err(AuthError::Denied);
        }
        let conn = self
            .shared
            .connection_by_inbound_user(KIND, id)
            .await
            .map_err(AuthError::App)?
            .ok_or(AuthError::Denied)?;
        if !conn.inbound_matches(id, token) || !conn.caller_allowed(caller) {
            return Err(AuthError::Denied);
        }
        Ok(conn)
    }
}
