//! An ATS connection as every connector sees it: the shared columns parsed, the kind's own
//! settings as JSON for its module to read.

use super::{Dedup, Shared};
use crate::AppError;
use crate::recruiting::Actor;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use shortlist_domain::{ConnectionId, OrgId, Role, UserId};
use shortlist_store::ats::{self as store, ConnectionRow};

#[derive(Debug, Clone)]
pub struct AtsConnection {
    pub id: ConnectionId,
    pub org_id: OrgId,
    pub kind: String,
    /// How inbound calls name the tenant, when their credentials do not (iCIMS customer id).
    pub tenant_ref: String,
    pub settings: serde_json::Value,
    pub secrets_sealed: Option<String>,
    pub inbound_user: Option<String>,
    pub inbound_secret_hash: Option<String>,
    /// The user orders placed by the ATS act as (and who owns positions made from its jobs).
    pub observer_user_id: UserId,
    pub caller_allowlist: Option<Vec<ipnet::IpNet>>,
    pub daily_budget: i64,
    /// Set per connection; None: the connector's default ([`super::Connector::default_dedup`]).
    pub dedup: Option<Dedup>,
    pub last_inbound_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl AtsConnection {
    pub fn from_row(r: ConnectionRow) -> Result<AtsConnection, AppError> {
        let bad =
            |what: &str, e: String| AppError::Internal(anyhow::anyhow!("{} connection {}: {what}: {e}", r.kind, r.id));
        let allow = match &r.caller_allowlist {
            None => None,
            Some(raw) => {
                let v: Vec<String> = serde_json::from_str(raw).map_err(|e| bad("caller_allowlist", e.to_string()))?;
                Some(parse_cidrs(&v).map_err(|e| bad("caller_allowlist", e))?)
            }
        };
        Ok(AtsConnection {
            id: ConnectionId::parse(&r.id).map_err(|e| bad("id", e.0))?,
            org_id: OrgId::parse(&r.org_id).map_err(|e| bad("org_id", e.0))?,
            settings: serde_json::from_str(&r.settings).map_err(|e| bad("settings", e.to_string()))?,
            observer_user_id: UserId::parse(&r.observer_user_id).map_err(|e| bad("observer_user_id", e.0))?,
            caller_allowlist: allow,
            dedup: r.dedup_policy.as_deref().and_then(|p| Dedup::parse(p, r.reuse_days)),
            kind: r.kind,
            tenant_ref: r.tenant_ref,
            secrets_sealed: r.secrets_sealed,
            inbound_user: r.inbound_user,
            inbound_secret_hash: r.inbound_secret_hash,
            daily_budget: r.daily_budget,
            last_inbound_at: r.last_inbound_at,
            created_at: r.created_at,
        })
    }

    /// This connection's dedup policy, or `default` (the connector's) when it has none.
    pub fn dedup_or(&self, default: Dedup) -> Dedup {
        self.dedup.unwrap_or(default)
    }

    /// The kind's own settings.
    pub fn settings_as<T: DeserializeOwned>(&self) -> Result<T, AppError> {
        serde_json::from_value(self.settings.clone())
            .map_err(|e| AppError::Internal(anyhow::anyhow!("{} connection {} settings: {e}", self.kind, self.id)))
    }

    /// Who orders from this ATS act as: its observer, as a recruiter, labelled with the connection.
    pub fn actor(&self) -> Actor {
        Actor {
            org_id: self.org_id.clone(),
            user_id: Some(self.observer_user_id.clone()),
            role: Role::Recruiter,
            label: format!("{}:{}", self.kind, self.id),
        }
    }

    /// False when the connection names the addresses its ATS calls from and `ip` is not one
    /// (an IPv4 caller seen through an IPv6 socket counts as its IPv4 address).
    pub fn caller_allowed(&self, ip: Option<std::net::IpAddr>) -> bool {
        use std::net::IpAddr;
        let ip = ip.map(|ip| match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        });
        match (&self.caller_allowlist, ip) {
            (None, _) => true,
            (Some(nets), Some(ip)) => nets.iter().any(|n| n.contains(&ip)),
            (Some(_), None) => false,
        }
    }

    /// Whether `user` and `secret` are this connection's inbound credentials: the user compared
    /// as is, the secret by its SHA-256 (the only form kept), both in constant time.
    pub fn inbound_matches(&self, user: &str, secret: &str) -> bool {
        let (Some(u), Some(h)) = (&self.inbound_user, &self.inbound_secret_hash) else {
            return false;
        };
        crate::tokens::equal(user, u) && crate::tokens::equal(&crate::tokens::hash(secret), h)
    }

    /// An external reference of this connection.
    pub fn reference(&self, external_id: &str) -> shortlist_store::positions::ExternalRef {
        shortlist_store::positions::ExternalRef {
            ats_kind: self.kind.clone(),
            connection_id: self.id.to_string(),
            external_id: external_id.to_string(),
        }
    }
}

pub fn parse_cidrs(v: &[String]) -> Result<Vec<ipnet::IpNet>, String> {
    v.iter()
        .map(|s| {
            let s = s.trim();
            s.parse::<ipnet::IpNet>()
                .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| format!("'{s}' is not an address or CIDR range"))
        })
        .collect()
}

/// A new connection, as a connector's set-up validated it.
pub struct NewAts<'a> {
    pub kind: &'a str,
    pub tenant_ref: &'a str,
    pub settings: serde_json::Value,
    pub secrets_sealed: Option<String>,
    pub inbound_user: Option<String>,
    pub inbound_secret_hash: Option<String>,
    pub observer_user_id: &'a UserId,
    pub caller_allowlist: Option<Vec<String>>,
    pub daily_budget: Option<i64>,
}

impl Shared {
    pub async fn connection_for_org(&self, org: &OrgId, kind: &str) -> Result<Option<AtsConnection>, AppError> {
        store::for_org(&self.db, org, kind)
            .await?
            .map(AtsConnection::from_row)
            .transpose()
    }

    pub async fn connection_by_id(&self, org: &OrgId, id: &str) -> Result<Option<AtsConnection>, AppError> {
        store::get(&self.db, org, id)
            .await?
            .map(AtsConnection::from_row)
            .transpose()
    }

    pub async fn connection_by_tenant(&self, kind: &str, tenant: &str) -> Result<Option<AtsConnection>, AppError> {
        store::by_tenant(&self.db, kind, tenant)
            .await?
            .map(AtsConnection::from_row)
            .transpose()
    }

    pub async fn connection_by_inbound_user(&self, kind: &str, user: &str) -> Result<Option<AtsConnection>, AppError> {
        store::by_inbound_user(&self.db, kind, user)
            .await?
            .map(AtsConnection::from_row)
            .transpose()
    }

    /// Every connection of `kind` (all kinds when empty), for the operator's CLI.
    pub async fn connections(&self, kind: &str) -> Result<Vec<AtsConnection>, AppError> {
        store::list(&self.db, kind)
            .await?
            .into_iter()
            .map(AtsConnection::from_row)
            .collect()
    }

    pub async fn org_connections(&self, org: &OrgId) -> Result<Vec<AtsConnection>, AppError> {
        store::all_for_org(&self.db, org)
            .await?
            .into_iter()
            .map(AtsConnection::from_row)
            .collect()
    }

    /// Stores a connection the kind's set-up validated; checks what every kind shares.
    pub async fn create_connection(&self, org: &OrgId, n: NewAts<'_>) -> Result<AtsConnection, AppError> {
        let allow = match &n.caller_allowlist {
            Some(v) => {
                parse_cidrs(v).map_err(|e| AppError::field("caller_allowlist", e))?;
                Some(serde_json::to_string(v).map_err(|e| AppError::Internal(e.into()))?)
            }
            None => None,
        };
        if shortlist_store::users::get(&self.db, org, n.observer_user_id)
            .await?
            .is_none()
        {
            return Err(AppError::field("observer_user", "a user of this organisation"));
        }
        let budget = n.daily_budget.unwrap_or(10_000);
        if budget < 1 {
            return Err(AppError::field("daily_budget", "at least 1"));
        }
        let id = ConnectionId::generate();
        let settings = n.settings.to_string();
        let row = store::NewConnection {
            id: id.as_str(),
            kind: n.kind,
            tenant_ref: n.tenant_ref,
            settings: &settings,
            secrets_sealed: n.secrets_sealed.as_deref(),
            inbound_user: n.inbound_user.as_deref(),
            inbound_secret_hash: n.inbound_secret_hash.as_deref(),
            observer_user_id: n.observer_user_id.as_str(),
            caller_allowlist: allow.as_deref(),
            daily_budget: budget,
        };
        if !store::create(&self.db, org, &row).await? {
            return Err(AppError::Conflict {
                code: "already_connected",
                message: format!(
                    "the organisation already has a {} connection, or the {} account is another organisation's",
                    n.kind, n.kind
                ),
            });
        }
        self.connection_by_id(org, id.as_str()).await?.ok_or(AppError::NotFound)
    }

    /// Replaces a connection's own settings.
    pub async fn save_settings(&self, conn: &AtsConnection, settings: &serde_json::Value) -> Result<(), AppError> {
        if !store::set_settings(&self.db, &conn.org_id, conn.id.as_str(), &settings.to_string()).await? {
            return Err(AppError::NotFound);
        }
        Ok(())
    }

    /// New inbound credentials (only the secret's hash is kept) with the settings describing them.
    pub async fn set_inbound(
        &self,
        conn: &AtsConnection,
        settings: &serde_json::Value,
        user: &str,
        secret: &str,
        sealed: Option<&str>,
    ) -> Result<(), AppError> {
        let hash = crate::tokens::hash(secret);
        let settings = settings.to_string();
        if !store::set_inbound(&self.db, &conn.org_id, conn.id.as_str(), &settings, user, &hash, sealed).await? {
            return Err(AppError::NotFound);
        }
        Ok(())
    }

    /// Sets the connection's dedup policy (None: back to the connector's default).
    pub async fn set_dedup(&self, conn: &AtsConnection, policy: Option<Dedup>) -> Result<(), AppError> {
        let days = policy.and_then(Dedup::reuse_days).map(i64::from);
        if !store::set_dedup(
            &self.db,
            &conn.org_id,
            conn.id.as_str(),
            policy.map(Dedup::as_str),
            days,
        )
        .await?
        {
            return Err(AppError::NotFound);
        }
        Ok(())
    }

    /// Remembers an error the ATS reported about one of our answers, for the Integrations page.
    pub async fn record_error(&self, conn: &AtsConnection, call: &str, message: &str) -> Result<(), AppError> {
        store::record_error(&self.db, &conn.org_id, conn.id.as_str(), call, message).await?;
        Ok(())
    }
}
