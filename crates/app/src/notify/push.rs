//! Web Push to recruiters' browsers and phones: RFC 8030 delivery, the payload encrypted per
//! RFC 8291 (`aes128gcm`, done by `web-push-native` on RustCrypto), and a VAPID (RFC 8292) ES256
//! token signed here with the installation's P-256 key. The key pair is made at first start and
//! kept in the database with the private half sealed under the server's secret key, so every
//! instance signs with the same key and browsers' subscriptions stay valid across restarts.

use super::Notifier;
use super::jobs::candidate_label;
use crate::jobs::{JobError, JobHandler, JobInput};
use crate::secrets::Sealer;
use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use rand::RngCore;
use shortlist_domain::UserId;
use shortlist_store::Db;
use shortlist_store::invitations as inv;
use shortlist_store::notify as store;
use std::sync::Arc;

pub const PUSH_KIND: &str = "notify.push";
/// Event kinds a user may choose to get as push messages.
pub const PUSH_EVENTS: [&str; 2] = ["completed", "email_failed"];
const KEY_NAME: &str = "vapid";

/// The installation's VAPID key.
#[derive(Clone)]
pub struct VapidKey {
    signing: SigningKey,
    public: String,
}

impl std::fmt::Debug for VapidKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VapidKey({})", self.public)
    }
}

fn public_of(k: &SigningKey) -> String {
    URL_SAFE_NO_PAD.encode(k.verifying_key().to_encoded_point(false).as_bytes())
}

impl VapidKey {
    /// Loads the key, making and storing one on first start (the first instance to store wins).
    pub async fn load_or_create(db: &Db, server_key: &[u8]) -> anyhow::Result<VapidKey> {
        let sealer = Sealer::new(server_key, "vapid/private-key");
        if store::server_key(db, KEY_NAME).await?.is_none() {
            let signing = loop {
                let mut raw = [0u8; 32];
                rand::rng().fill_bytes(&mut raw);
                if let Ok(k) = SigningKey::from_slice(&raw) {
                    break k;
                }
            };
            let private = sealer.seal(&URL_SAFE_NO_PAD.encode(signing.to_bytes()));
            store::insert_server_key(db, KEY_NAME, &public_of(&signing), &private).await?;
        }
        let (_, sealed) = store::server_key(db, KEY_NAME)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the VAPID key was not stored"))?;
        let raw = URL_SAFE_NO_PAD.decode(sealer.open(&sealed)?)?;
        let signing = SigningKey::from_slice(&raw)?;
        Ok(VapidKey {
            public: public_of(&signing),
            signing,
        })
    }

    /// The uncompressed public key, base64url: the browser's `applicationServerKey`.
    pub fn public_key(&self) -> &str {
        &self.public
    }

    /// `vapid t=<JWT>, k=<public key>` for a push to `endpoint` (RFC 8292): the audience is the
    /// endpoint's origin, valid 12 hours, with a contact the push service can write to.
    pub fn authorization(&self, endpoint: &url::Url, now: DateTime<Utc>, contact: &str) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({
            "aud": endpoint.origin().ascii_serialization(),
            "exp": (now + TimeDelta::hours(12)).timestamp(),
            "sub": contact,
        });
        let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signed = format!("{header}.{claims}");
        let sig: Signature = self.signing.sign(signed.as_bytes());
        format!(
            "vapid t={signed}.{}, k={}",
            URL_SAFE_NO_PAD.encode(sig.to_bytes()),
            self.public
        )
    }
}

/// Checks a subscription the browser sent: an https endpoint on a public host (plain http and
/// private addresses only when the operator allowed them, for tests and intranets), a P-256
/// point and a 16-byte secret.
pub fn check_subscription(endpoint: &str, p256dh: &str, auth: &str, allow_private: bool) -> Result<(), &'static str> {
    let url = url::Url::parse(endpoint).map_err(|_| "endpoint")?;
    let host_ok = match url.host() {
        Some(url::Host::Domain(d)) => allow_private || !(d == "localhost" || d.ends_with(".localhost")),
        // The webhook guard's classifier: private, loopback, link-local, unique-local (fc00::/7),
        // CGNAT, metadata, mapped forms … are all refused.
        Some(url::Host::Ipv4(ip)) => allow_private || crate::webhooks::guard::classify(ip.into()).is_none(),
        Some(url::Host::Ipv6(ip)) => allow_private || crate::webhooks::guard::classify(ip.into()).is_none(),
        None => false,
    };
    if !(url.scheme() == "https" || (allow_private && url.scheme() == "http")) || !host_ok {
        return Err("endpoint");
    }
    let key = URL_SAFE_NO_PAD
        .decode(p256dh.trim_end_matches('='))
        .map_err(|_| "keys.p256dh")?;
    p256::PublicKey::from_sec1_bytes(&key).map_err(|_| "keys.p256dh")?;
    match URL_SAFE_NO_PAD.decode(auth.trim_end_matches('=')) {
        Ok(a) if a.len() == 16 => Ok(()),
        _ => Err("keys.auth"),
    }
}

/// The client for push services: no redirects (a push service answers, it does not send us
/// elsewhere), bounded time.
pub fn http_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()?)
}

/// Sends one event to every browser of one user who chose to get it pushed.
pub struct PushSender {
    pub notifier: Notifier,
    pub key: Arc<VapidKey>,
    pub http: reqwest::Client,
    /// `mailto:` or https URL the push service can contact.
    pub contact: String,
}

#[async_trait]
impl JobHandler for PushSender {
    fn kind(&self) -> &'static str {
        PUSH_KIND
    }

    async fn run(&self, job: &JobInput) -> Result<(), JobError> {
        let n = &self.notifier;
        let (org, id) = job.invitation()?;
        let event = job.payload["event"].as_str().unwrap_or_default();
        let Ok(user) = UserId::parse(job.payload["user_id"].as_str().unwrap_or_default()) else {
            return Ok(());
        };
        let prefs = n.prefs_of(&org, &user).await.map_err(JobError::retry)?;
        if !prefs.push_kinds.iter().any(|k| k == event) {
            return Ok(());
        }
        let subs = store::subscriptions(&n.db, &org, &user)
            .await
            .map_err(JobError::retry)?;
        if subs.is_empty() {
            return Ok(());
        }
        let Some(row) = inv::get(&n.db, &org, &id).await.map_err(JobError::retry)? else {
            return Ok(());
        };
        let candidate = candidate_label(&row.candidate_name, &row.candidate_email);
        let (title, body) = match event {
            "completed" => (
                format!("{candidate} completed the interview"),
                row.position_title.clone(),
            ),
            _ => (
                format!("Invitation e-mail to {} bounced", row.candidate_email),
                row.position_title.clone(),
            ),
        };
        let message = serde_json::json!({
            "title": title,
            "body": body,
            "url": n.links.review_url(&row.id),
            "tag": format!("{}/{event}", row.id),
        })
        .to_string();
        let mut retry = None;
        for s in subs {
            if let Err(e) = self.deliver(&org, &s, &message).await {
                retry = Some(e);
            }
        }
        match retry {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl PushSender {
    async fn deliver(
        &self,
        org: &shortlist_domain::OrgId,
        s: &store::PushSubscriptionRow,
        message: &str,
    ) -> Result<(), JobError> {
        let permanent = |what: &str| JobError::Permanent(anyhow::anyhow!("push subscription {}: {what}", s.id));
        let endpoint = url::Url::parse(&s.endpoint).map_err(|_| permanent("endpoint"))?;
        let ua_public = URL_SAFE_NO_PAD
            .decode(s.p256dh.trim_end_matches('='))
            .ok()
            .and_then(|b| p256::PublicKey::from_sec1_bytes(&b).ok())
            .ok_or_else(|| permanent("p256dh"))?;
        let auth = URL_SAFE_NO_PAD
            .decode(s.auth.trim_end_matches('='))
            .ok()
            .filter(|a| a.len() == 16)
            .ok_or_else(|| permanent("auth"))?;
        let body = web_push_native::encrypt(
            message.as_bytes().to_vec(),
            &ua_public,
            web_push_native::Auth::from_slice(&auth),
        )
        .map_err(|e| permanent(&e.to_string()))?;
        let now = self.notifier.clock.now();
        let r = self
            .http
            .post(endpoint.clone())
            .header("TTL", "43200")
            .header("Urgency", "normal")
            .header("Content-Encoding", "aes128gcm")
            .header("Content-Type", "application/octet-stream")
            .header("Authorization", self.key.authorization(&endpoint, now, &self.contact))
            .body(body)
            .send()
            .await
            .map_err(JobError::retry)?;
        let status = r.status().as_u16();
        match status {
            200..=299 => Ok(()),
            404 | 410 => {
                store::drop_subscription(&self.notifier.db, org, &s.id)
                    .await
                    .map_err(JobError::retry)?;
                tracing::info!(subscription = %s.id, status, "push subscription gone; removed");
                Ok(())
            }
            429 | 500..=599 => Err(JobError::retry(format!("push service answered {status}"))),
            _ => {
                // 400/403/413: retrying the same request cannot help.
                tracing::warn!(subscription = %s.id, status, "push refused");
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check_subscription;

    #[test]
    fn push_endpoints_on_private_addresses_are_refused() {
        for e in [
            "https://10.0.0.5/push",
            "https://[fd00::1]/push",
            "https://[fe80::1]/push",
            "https://169.254.169.254/push",
            "https://100.64.0.1/push",
            "https://[::ffff:127.0.0.1]/push",
            "https://localhost/push",
            "http://push.example.com/push",
        ] {
            assert_eq!(check_subscription(e, "x", "y", false), Err("endpoint"), "{e}");
        }
        // A public address passes the endpoint check and fails on the (bad) key instead.
        assert_eq!(
            check_subscription("https://[2606:4700::1]/push", "x", "y", false),
            Err("keys.p256dh")
        );
        assert_eq!(
            check_subscription("http://10.0.0.5/push", "x", "y", true),
            Err("keys.p256dh")
        );
    }
}
