//! Greenhouse, Assessment Partner API (research §2): Greenhouse calls our `list_tests`,
//! `send_test`, `test_status` and `response_error` with HTTP Basic, the organisation's key as
//! user name and an empty password; we PATCH the per-instance `url` it gave us when the
//! candidate finishes (and again when reviewers change the score), and Greenhouse then asks
//! `test_status`.
//!
//! Greenhouse sends no job, so each package gets one position ("<template> (Greenhouse)"); the
//! instance `url` is the order's reference, and a replay of it answers the same
//! `partner_interview_id` (our invitation id).

mod calls;
mod key;
mod writeback;

pub use calls::{SendTest, SendTestCandidate, TestItem, TestStatus};
pub use key::{AuthError, Denied, KEY_PREFIX};

use super::{AtsConnection, NewAts, Shared};
use crate::AppError;
use crate::links::LinkSigner;
use crate::outbound::{Outbound, Profile};
use crate::secrets::Sealer;
use serde::{Deserialize, Serialize};
use shortlist_domain::{OrgId, UserId};
use std::time::Duration;

pub const KIND: &str = "greenhouse";

/// How calls to Greenhouse talk (see [`crate::outbound::client`]).
const PROFILE: Profile = Profile {
    user_agent: concat!("Shortlist/", env!("CARGO_PKG_VERSION")),
    timeout: Duration::from_secs(20),
    connect_timeout: Duration::from_secs(5),
    http1_only: false,
};

/// What a Greenhouse connection keeps beyond the shared columns.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GreenhouseSettings {
    /// When the current key was issued.
    pub key_issued_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The connector; built once in the composition root, cheap to clone.
#[derive(Clone)]
pub struct Greenhouse {
    pub shared: Shared,
    links: LinkSigner,
    /// Keeps a sealed copy of the key: the completion PATCH presents it the way Greenhouse
    /// presents it to us. Inbound checks use only its hash.
    sealer: Sealer,
    outbound: Outbound,
}

impl Greenhouse {
    pub fn new(shared: Shared, links: LinkSigner, server_key: &[u8]) -> Greenhouse {
        Greenhouse {
            outbound: Outbound::new(shared.guard.clone(), PROFILE),
            sealer: Sealer::new(server_key, "greenhouse/key"),
            links,
            shared,
        }
    }

    pub async fn connection_for_org(&self, org: &OrgId) -> Result<Option<AtsConnection>, AppError> {
        self.shared.connection_for_org(org, KIND).await
    }

    /// Connects the organisation and returns its key (shown once; kept hashed, and sealed for
    /// the PATCH).
    pub async fn connect(
        &self,
        org: &OrgId,
        observer: &UserId,
        budget: Option<i64>,
    ) -> Result<(AtsConnection, String), AppError> {
        let k = key::generate();
        let settings = GreenhouseSettings {
            key_issued_at: Some(crate::clock::Clock::now(&*self.shared.recruiting.clock)),
        };
        let conn = self
            .shared
            .create_connection(
                org,
                NewAts {
                    kind: KIND,
                    // One Greenhouse account per organisation: the key finds the tenant.
                    tenant_ref: org.as_str(),
                    settings: serde_json::to_value(&settings).map_err(|e| AppError::Internal(e.into()))?,
                    secrets_sealed: Some(self.sealer.seal(&k.key)),
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

    /// A new key; the old one stops working at once.
    pub async fn rotate_key(&self, org: &OrgId) -> Result<String, AppError> {
        let conn = self.connection_for_org(org).await?.ok_or(AppError::NotFound)?;
        let k = key::generate();
        let mut settings: GreenhouseSettings = conn.settings_as()?;
        settings.key_issued_at = Some(crate::clock::Clock::now(&*self.shared.recruiting.clock));
        let settings = serde_json::to_value(&settings).map_err(|e| AppError::Internal(e.into()))?;
        let sealed = self.sealer.seal(&k.key);
        self.shared
            .set_inbound(&conn, &settings, &k.id, &k.key, Some(&sealed))
            .await?;
        Ok(k.key)
    }
}
