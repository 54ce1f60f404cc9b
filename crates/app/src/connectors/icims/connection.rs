//! The connection model: parsing a stored row, creating a connection with generated inbound
//! credentials, changing triggers and rotating inbound credentials, and building the client.

use super::client::{IcimsClient, OutboundAuth, api_base};
use super::{Icims, KIND};
use crate::AppError;
use crate::connectors::{AtsConnection, NewAts};
use serde::{Deserialize, Serialize};
use shortlist_domain::{ConnectionId, OrgId, UserId};

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

/// What an iCIMS connection keeps beyond the shared columns (`ats_connections.settings`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IcimsSettings {
    pub region: String,
    pub api_base_url: Option<String>,
    pub outbound_auth_kind: String,
    pub outbound_user: String,
    pub outbound_token_url: Option<String>,
    pub inbound_auth_kind: String,
    #[serde(default)]
    pub trigger_statuses: Vec<String>,
    pub resend_status: Option<String>,
    #[serde(default)]
    pub status_values: StatusValues,
}

/// An iCIMS connection: the shared columns and the iCIMS settings, read together.
#[derive(Debug, Clone)]
pub struct Connection {
    pub id: ConnectionId,
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
    pub ats: AtsConnection,
}

impl Connection {
    pub fn from_ats(c: AtsConnection) -> Result<Connection, AppError> {
        let s: IcimsSettings = c.settings_as()?;
        Ok(Connection {
            id: c.id.clone(),
            org_id: c.org_id.clone(),
            customer_id: c.tenant_ref.clone(),
            region: s.region,
            api_base_url: s.api_base_url,
            outbound_auth_kind: s.outbound_auth_kind,
            outbound_user: s.outbound_user,
            outbound_token_url: s.outbound_token_url,
            inbound_auth_kind: s.inbound_auth_kind,
            inbound_user: c.inbound_user.clone().unwrap_or_default(),
            inbound_secret_hash: c.inbound_secret_hash.clone().unwrap_or_default(),
            trigger_statuses: s.trigger_statuses,
            resend_status: s.resend_status,
            status_values: s.status_values,
            observer_user_id: c.observer_user_id.clone(),
            caller_allowlist: c.caller_allowlist.clone(),
            daily_budget: c.daily_budget,
            sealed_secret: c.secrets_sealed.clone().unwrap_or_default(),
            ats: c,
        })
    }

    fn settings(&self) -> IcimsSettings {
        IcimsSettings {
            region: self.region.clone(),
            api_base_url: self.api_base_url.clone(),
            outbound_auth_kind: self.outbound_auth_kind.clone(),
            outbound_user: self.outbound_user.clone(),
            outbound_token_url: self.outbound_token_url.clone(),
            inbound_auth_kind: self.inbound_auth_kind.clone(),
            trigger_statuses: self.trigger_statuses.clone(),
            resend_status: self.resend_status.clone(),
            status_values: self.status_values.clone(),
        }
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

pub use crate::connectors::connection::parse_cidrs;

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
        self.shared
            .connection_for_org(org, KIND)
            .await?
            .map(Connection::from_ats)
            .transpose()
    }

    pub async fn connection_by_customer(&self, customer_id: &str) -> Result<Option<Connection>, AppError> {
        self.shared
            .connection_by_tenant(KIND, customer_id)
            .await?
            .map(Connection::from_ats)
            .transpose()
    }

    pub async fn connection_by_client_id(&self, client_id: &str) -> Result<Option<Connection>, AppError> {
        self.shared
            .connection_by_inbound_user(KIND, client_id)
            .await?
            .map(Connection::from_ats)
            .transpose()
    }

    pub async fn connections(&self) -> Result<Vec<Connection>, AppError> {
        self.shared
            .connections(KIND)
            .await?
            .into_iter()
            .map(Connection::from_ats)
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
        let creds = generate_inbound(&n.inbound_auth_kind);
        let settings = IcimsSettings {
            region: n.region.clone(),
            api_base_url: n.api_base_url.clone(),
            outbound_auth_kind: n.outbound_auth_kind.clone(),
            outbound_user: n.outbound_user.trim().to_string(),
            outbound_token_url: token_url,
            inbound_auth_kind: n.inbound_auth_kind.clone(),
            trigger_statuses: n.trigger_statuses.clone(),
            resend_status: n.resend_status.clone().filter(|s| !s.trim().is_empty()),
            status_values: n.status_values.clone(),
        };
        let ats = self
            .shared
            .create_connection(
                org,
                NewAts {
                    kind: KIND,
                    tenant_ref: customer,
                    settings: to_json(&settings)?,
                    secrets_sealed: Some(self.sealer.seal(&n.outbound_secret)),
                    inbound_user: Some(creds.user.clone()),
                    inbound_secret_hash: Some(crate::tokens::hash(&creds.secret)),
                    observer_user_id: &n.observer_user_id,
                    caller_allowlist: n.caller_allowlist.clone(),
                    daily_budget: n.daily_budget,
                },
            )
            .await
            .map_err(|e| match e {
                AppError::Conflict { code, .. } => AppError::Conflict {
                    code,
                    message: "the organisation or the iCIMS customer id already has a connection".into(),
                },
                e => e,
            })?;
        Ok((Connection::from_ats(ats)?, creds))
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
        let conn = self.connection_for_org(org).await?.ok_or(AppError::NotFound)?;
        let mut s = conn.settings();
        s.trigger_statuses = triggers.to_vec();
        s.resend_status = resend.filter(|s| !s.trim().is_empty()).map(str::to_string);
        self.shared.save_settings(&conn.ats, &to_json(&s)?).await
    }

    /// New inbound credentials; the old ones (and bearer tokens issued for them) stop working.
    pub async fn rotate_inbound(&self, org: &OrgId, kind: Option<&str>) -> Result<InboundCredentials, AppError> {
        let conn = self.connection_for_org(org).await?.ok_or(AppError::NotFound)?;
        let kind = kind.unwrap_or(&conn.inbound_auth_kind);
        check_kind("inbound_auth", kind)?;
        let creds = generate_inbound(kind);
        let mut s = conn.settings();
        s.inbound_auth_kind = kind.to_string();
        self.shared
            .set_inbound(&conn.ats, &to_json(&s)?, &creds.user, &creds.secret, None)
            .await?;
        Ok(creds)
    }

    /// Replaces the trigger statuses, the resend status and the list values together.
    pub(super) async fn save_workflow(
        &self,
        org: &OrgId,
        triggers: &[String],
        resend: Option<&str>,
        values: &StatusValues,
    ) -> Result<(), AppError> {
        let conn = self.connection_for_org(org).await?.ok_or(AppError::NotFound)?;
        let mut s = conn.settings();
        s.trigger_statuses = triggers.to_vec();
        s.resend_status = resend.map(str::to_string);
        s.status_values = values.clone();
        self.shared.save_settings(&conn.ats, &to_json(&s)?).await
    }
}

fn to_json(s: &IcimsSettings) -> Result<serde_json::Value, AppError> {
    serde_json::to_value(s).map_err(|e| AppError::Internal(e.into()))
}
