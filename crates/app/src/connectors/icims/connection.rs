//! The connection model: parsing a stored row, creating a connection with generated inbound
//! credentials, changing triggers and rotating inbound credentials, and building the client.

use super::Icims;
use super::client::{IcimsClient, OutboundAuth, api_base};
use crate::AppError;
use serde::{Deserialize, Serialize};
use shortlist_domain::{IcimsConnectionId, OrgId, UserId};
use shortlist_store::icims::{self as store, ConnectionRow, NewConnection};

/// iCIMS list values (node ids or labels) that the write-back puts in `assessmentstatus`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct StatusValues {
    pub sent: String,
    pub in_progress: String,
    pub complete: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Connection {
    pub id: IcimsConnectionId,
    pub org_id: OrgId,
    pub customer_id: String,
    pub region: String,
    pub api_base_url: Option<String>,
    pub outbound_auth_kind: String,
    pub outbound_user: String,
    pub outbound_token_url: Option<String>,
    pub inbound_auth_kind: String,
    pub inbound_user: String,
    pub inbound_secret_hash: String,
    pub trigger_statuses: Vec<String>,
    pub resend_status: Option<String>,
    pub status_values: StatusValues,
    pub observer_user_id: UserId,
    pub caller_allowlist: Option<Vec<ipnet::IpNet>>,
    pub daily_budget: i64,
    sealed_secret: String,
}

impl Connection {
    pub fn from_row(r: ConnectionRow) -> Result<Connection, AppError> {
        let bad = |what: &str, e: String| AppError::Internal(anyhow::anyhow!("icims connection {}: {what}: {e}", r.id));
        let allow = match &r.caller_allowlist {
            None => None,
            Some(raw) => {
                let v: Vec<String> = serde_json::from_str(raw).map_err(|e| bad("caller_allowlist", e.to_string()))?;
                Some(parse_cidrs(&v).map_err(|e| bad("caller_allowlist", e))?)
            }
        };
        Ok(Connection {
            id: IcimsConnectionId::parse(&r.id).map_err(|e| bad("id", e.0))?,
            org_id: OrgId::parse(&r.org_id).map_err(|e| bad("org_id", e.0))?,
            trigger_statuses: serde_json::from_str(&r.trigger_statuses)
                .map_err(|e| bad("trigger_statuses", e.to_string()))?,
            status_values: serde_json::from_str(&r.status_values).map_err(|e| bad("status_values", e.to_string()))?,
            observer_user_id: UserId::parse(&r.observer_user_id).map_err(|e| bad("observer_user_id", e.0))?,
            caller_allowlist: allow,
            customer_id: r.customer_id,
            region: r.region,
            api_base_url: r.api_base_url,
            outbound_auth_kind: r.outbound_auth_kind,
            outbound_user: r.outbound_user,
            outbound_token_url: r.outbound_token_url,
            inbound_auth_kind: r.inbound_auth_kind,
            inbound_user: r.inbound_user,
            inbound_secret_hash: r.inbound_secret_hash,
            resend_status: r.resend_status,
            daily_budget: r.daily_budget,
            sealed_secret: r.outbound_secret_sealed,
        })
    }

    /// The host the client calls: the override, else the region's.
    pub fn api_base(&self) -> String {
        api_base(&self.region, self.api_base_url.as_deref())
    }

    pub fn is_trigger(&self, status: &str) -> bool {
        self.trigger_statuses.iter().any(|s| s.eq_ignore_ascii_case(status))
    }

    pub fn is_resend(&self, status: &str) -> bool {
        self.resend_status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case(status))
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

/// What an operator gives when connecting an organisation.
#[derive(Debug, Clone)]
pub struct NewConnectionInput {
    pub customer_id: String,
    pub region: String,
    pub api_base_url: Option<String>,
    /// `basic` or `oauth`.
    pub outbound_auth_kind: String,
    pub outbound_user: String,
    pub outbound_secret: String,
    pub outbound_token_url: Option<String>,
    /// `basic` or `oauth`: how iCIMS authenticates to us.
    pub inbound_auth_kind: String,
    pub trigger_statuses: Vec<String>,
    pub resend_status: Option<String>,
    pub status_values: StatusValues,
    pub observer_user_id: UserId,
    pub caller_allowlist: Option<Vec<String>>,
    pub daily_budget: Option<i64>,
}

/// Inbound credentials, shown once.
#[derive(Debug, Clone)]
pub struct InboundCredentials {
    pub kind: String,
    pub user: String,
    pub secret: String,
}

fn generate_inbound(kind: &str) -> InboundCredentials {
    let user = crate::tokens::generate("icims");
    InboundCredentials {
        kind: kind.to_string(),
        // A short, readable id: the random part is in the secret.
        user: user.chars().take(6 + 16).collect(),
        secret: crate::tokens::generate("icsk"),
    }
}

fn check_kind(field: &str, v: &str) -> Result<(), AppError> {
    match v {
        "basic" | "oauth" => Ok(()),
        _ => Err(AppError::field(field, "basic or oauth")),
    }
}

impl Icims {
    pub async fn connection_for_org(&self, org: &OrgId) -> Result<Option<Connection>, AppError> {
        store::for_org(&self.db, org)
            .await?
            .map(Connection::from_row)
            .transpose()
    }

    pub async fn connection_by_customer(&self, customer_id: &str) -> Result<Option<Connection>, AppError> {
        store::by_customer(&self.db, customer_id)
            .await?
            .map(Connection::from_row)
            .transpose()
    }

    pub async fn connections(&self) -> Result<Vec<Connection>, AppError> {
        store::list(&self.db)
            .await?
            .into_iter()
            .map(Connection::from_row)
            .collect()
    }

    /// The client for a connection, with the outbound secret opened (cached per connection).
    pub fn client(&self, c: &Connection) -> Result<IcimsClient, AppError> {
        let fingerprint = format!(
            "{}|{}|{}|{}|{:?}",
            c.api_base(),
            c.outbound_auth_kind,
            c.outbound_user,
            c.sealed_secret,
            c.outbound_token_url
        );
        let mut cache = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((f, client)) = cache.get(c.id.as_str())
            && *f == fingerprint
        {
            return Ok(client.clone());
        }
        let secret = self
            .sealer
            .open(&c.sealed_secret)
            .map_err(|e| AppError::Internal(e.into()))?;
        let auth = match (c.outbound_auth_kind.as_str(), &c.outbound_token_url) {
            ("oauth", Some(url)) => OutboundAuth::OAuth {
                client_id: c.outbound_user.clone(),
                client_secret: secret,
                token_url: url.clone(),
            },
            _ => OutboundAuth::Basic {
                user: c.outbound_user.clone(),
                password: secret,
            },
        };
        let client = IcimsClient::new(self.outbound.clone(), &c.api_base(), &c.customer_id, auth);
        cache.insert(c.id.to_string(), (fingerprint, client.clone()));
        Ok(client)
    }

    /// Creates the organisation's connection and returns the inbound credentials (only their
    /// hash is kept).
    pub async fn create_connection(
        &self,
        org: &OrgId,
        n: &NewConnectionInput,
    ) -> Result<(Connection, InboundCredentials), AppError> {
        let customer = n.customer_id.trim();
        if customer.is_empty() || customer.len() > 32 || !customer.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(AppError::field(
                "customer_id",
                "the iCIMS customer id (letters and digits)",
            ));
        }
        if !matches!(n.region.as_str(), "us" | "eu") {
            return Err(AppError::field("region", "us or eu"));
        }
        if let Some(u) = &n.api_base_url {
            self.check_url("api_base_url", u).await?;
        }
        check_kind("outbound_auth", &n.outbound_auth_kind)?;
        check_kind("inbound_auth", &n.inbound_auth_kind)?;
        if n.outbound_user.trim().is_empty() || n.outbound_secret.is_empty() {
            return Err(AppError::field(
                "outbound_user",
                "give the user (client id) and secret we call iCIMS with",
            ));
        }
        let token_url = match (n.outbound_auth_kind.as_str(), &n.outbound_token_url) {
            ("oauth", None) => return Err(AppError::field("outbound_token_url", "required for oauth")),
            (_, u) => u.clone(),
        };
        if let Some(u) = &token_url {
            self.check_url("outbound_token_url", u).await?;
        }
        if n.trigger_statuses.iter().any(|s| s.trim().is_empty()) {
            return Err(AppError::field("trigger_statuses", "status ids must not be blank"));
        }
        let allow = match &n.caller_allowlist {
            Some(v) => {
                parse_cidrs(v).map_err(|e| AppError::field("caller_allowlist", e))?;
                Some(serde_json::to_string(v).map_err(|e| AppError::Internal(e.into()))?)
            }
            None => None,
        };
        let observer = shortlist_store::users::get(&self.db, org, &n.observer_user_id).await?;
        if observer.is_none() {
            return Err(AppError::field("observer_user", "a user of this organisation"));
        }
        let creds = generate_inbound(&n.inbound_auth_kind);
        let id = IcimsConnectionId::generate();
        let sealed = self.sealer.seal(&n.outbound_secret);
        let triggers = serde_json::to_string(&n.trigger_statuses).map_err(|e| AppError::Internal(e.into()))?;
        let values = serde_json::to_string(&n.status_values).map_err(|e| AppError::Internal(e.into()))?;
        let hash = crate::tokens::hash(&creds.secret);
        let row = NewConnection {
            id: &id,
            customer_id: customer,
            region: &n.region,
            api_base_url: n.api_base_url.as_deref(),
            outbound_auth_kind: &n.outbound_auth_kind,
            outbound_user: n.outbound_user.trim(),
            outbound_secret_sealed: &sealed,
            outbound_token_url: token_url.as_deref(),
            inbound_auth_kind: &n.inbound_auth_kind,
            inbound_user: &creds.user,
            inbound_secret_hash: &hash,
            trigger_statuses: &triggers,
            resend_status: n.resend_status.as_deref().filter(|s| !s.trim().is_empty()),
            status_values: &values,
            observer_user_id: n.observer_user_id.as_str(),
            caller_allowlist: allow.as_deref(),
            daily_budget: n.daily_budget.unwrap_or(10_000),
        };
        if !store::create(&self.db, org, &row).await? {
            return Err(AppError::Conflict {
                code: "already_connected",
                message: "the organisation or the iCIMS customer id already has a connection".into(),
            });
        }
        let conn = self.connection_for_org(org).await?.ok_or(AppError::NotFound)?;
        Ok((conn, creds))
    }

    /// An API or token URL as the guard sees it now; it is checked again before every call.
    async fn check_url(&self, field: &str, raw: &str) -> Result<(), AppError> {
        self.outbound
            .guard
            .check(raw)
            .await
            .map(|_| ())
            .map_err(|r| AppError::field(field, format!("url not allowed: {r}")))
    }

    pub async fn set_triggers(&self, org: &OrgId, triggers: &[String], resend: Option<&str>) -> Result<(), AppError> {
        if triggers.iter().any(|s| s.trim().is_empty()) {
            return Err(AppError::field("trigger_statuses", "status ids must not be blank"));
        }
        let json = serde_json::to_string(triggers).map_err(|e| AppError::Internal(e.into()))?;
        if !store::set_triggers(&self.db, org, &json, resend.filter(|s| !s.trim().is_empty())).await? {
            return Err(AppError::NotFound);
        }
        Ok(())
    }

    /// New inbound credentials; the old ones (and bearer tokens issued for them) stop working.
    pub async fn rotate_inbound(&self, org: &OrgId, kind: Option<&str>) -> Result<InboundCredentials, AppError> {
        let conn = self.connection_for_org(org).await?.ok_or(AppError::NotFound)?;
        let kind = kind.unwrap_or(&conn.inbound_auth_kind);
        check_kind("inbound_auth", kind)?;
        let creds = generate_inbound(kind);
        store::set_inbound(&self.db, org, kind, &creds.user, &crate::tokens::hash(&creds.secret)).await?;
        Ok(creds)
    }
}
