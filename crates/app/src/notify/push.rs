//! Web Push to recruiters' browsers and phones: RFC 8030 delivery, the payload encrypted per
//! RFC 8291 (`aes128gcm`, done by `web-push-native` on RustCrypto), and a VAPID (RFC 8292) ES256
//! token signed here with the installation's P-256 key. The key pair is made at first start and
//! kept in the database with the private half sealed under the server's secret key, so every
//! instance signs with the same key and browsers' subscriptions stay valid across restarts.
//!
//! An endpoint is whatever URL a browser (or anyone with a session) sends, so it passes the
//! outbound guard ([`crate::outbound`]) like a webhook URL: its host is resolved and checked when
//! subscribing and again before every push, and the push connects only to the checked addresses.

use super::Notifier;
use super::jobs::candidate_label;
use crate::jobs::{JobError, JobHandler, JobInput};
use crate::outbound::{Guard, Outbound, Profile};
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

/// Checks a subscription the browser sent: the endpoint through the guard (an https URL whose
/// host resolves to public addresses only, unless the operator allowed the range; plain http only
/// there), a P-256 point and a 16-byte secret. The error names the field and says why.
pub async fn check_subscription(
    guard: &Guard,
    endpoint: &str,
    p256dh: &str,
    auth: &str,
) -> Result<(), (&'static str, String)> {
    let key = URL_SAFE_NO_PAD
        .decode(p256dh.trim_end_matches('='))
        .map_err(|_| ("keys.p256dh", KEYS.to_string()))?;
    p256::PublicKey::from_sec1_bytes(&key).map_err(|_| ("keys.p256dh", KEYS.to_string()))?;
    match URL_SAFE_NO_PAD.decode(auth.trim_end_matches('=')) {
        Ok(a) if a.len() == 16 => {}
        _ => return Err(("keys.auth", KEYS.to_string())),
    }
    guard
        .check(endpoint)
        .await
        .map(|_| ())
        .map_err(|r| ("endpoint", format!("url not allowed: {r}")))
}

const KEYS: &str = "not a usable push subscription (https endpoint, P-256 key, 16-byte secret)";

/// How pushes talk: a push service answers, it does not send us elsewhere (no redirects), and
/// within bounded time (see [`crate::outbound::client`]).
pub const PROFILE: Profile = Profile {
    user_agent: concat!("Shortlist-Push/", env!("CARGO_PKG_VERSION")),
    timeout: std::time::Duration::from_secs(30),
    connect_timeout: std::time::Duration::from_secs(10),
    http1_only: false,
};

/// Sends one event to every browser of one user who chose to get it pushed.
pub struct PushSender {
    pub notifier: Notifier,
    pub key: Arc<VapidKey>,
    /// The notifier's push guard with pinned clients of [`PROFILE`].
    pub outbound: Outbound,
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
        // Checked again now: the name may resolve elsewhere than when the browser subscribed.
        let (endpoint, http) = match self.outbound.pinned(endpoint.as_str()).await {
            Ok(pinned) => pinned,
            Err(r) if r.is_lookup_failure() => return Err(JobError::retry(format!("push endpoint: {r}"))),
            Err(r) => {
                // Kept, not removed: the operator may allow the range, or the name may move back.
                tracing::warn!(subscription = %s.id, reason = %r, "push endpoint refused by the address check");
                return Ok(());
            }
        };
        let r = http
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
    use crate::outbound::{Guard, Resolver};
    use std::net::{IpAddr, SocketAddr};
    use std::sync::Arc;

    /// A key pair's public half and a secret a browser would send.
    const P256DH: &str = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";

    /// Answers one fixed address for every name (a public-looking name that points inside).
    struct Fixed(IpAddr);

    #[async_trait::async_trait]
    impl Resolver for Fixed {
        async fn resolve(&self, _host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
            Ok(vec![SocketAddr::new(self.0, port)])
        }
    }

    fn guard(answer: &str, allow: &[&str]) -> Guard {
        Guard {
            allow: allow.iter().map(|a| a.parse().unwrap()).collect(),
            resolver: Arc::new(Fixed(answer.parse().unwrap())),
        }
    }

    #[tokio::test]
    async fn push_endpoints_on_private_addresses_are_refused() {
        let public = guard("93.184.216.34", &[]);
        for e in [
            "https://10.0.0.5/push",
            "https://[fd00::1]/push",
            "https://[fe80::1]/push",
            "https://169.254.169.254/push",
            "https://100.64.0.1/push",
            "https://[::ffff:127.0.0.1]/push",
            "http://push.example.com/push",
        ] {
            let r = check_subscription(&public, e, P256DH, AUTH).await;
            assert_eq!(r.map_err(|e| e.0), Err("endpoint"), "{e}");
        }
        assert!(
            check_subscription(&public, "https://push.example.com/p", P256DH, AUTH)
                .await
                .is_ok()
        );
        assert_eq!(
            check_subscription(&public, "https://push.example.com/p", "x", AUTH)
                .await
                .map_err(|e| e.0),
            Err("keys.p256dh")
        );
    }

    /// The finding: a host name was never resolved, so a name pointing inside was accepted.
    #[tokio::test]
    async fn a_push_host_name_resolving_inside_is_refused() {
        for inside in ["127.0.0.1", "10.0.0.5", "169.254.169.254", "::1"] {
            let r = check_subscription(&guard(inside, &[]), "https://push.example.com/p", P256DH, AUTH).await;
            let (field, why) = r.unwrap_err();
            assert_eq!(field, "endpoint");
            assert!(why.starts_with("url not allowed"), "{why}");
        }
        // The operator's allowed ranges (plain http too, there).
        let allowed = guard("10.0.0.5", &["10.0.0.0/8"]);
        assert!(
            check_subscription(&allowed, "http://push.intranet/p", P256DH, AUTH)
                .await
                .is_ok()
        );
    }
}
