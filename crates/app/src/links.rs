//! Capability links for candidates. A link token is an HMAC of the invitation id and a nonce
//! under the server's secret key: the database keeps only its SHA-256 (a stolen database opens
//! no interview), yet a resend can mail the very same link again. Rotating the nonce revokes it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

#[derive(Clone)]
pub struct LinkSigner {
    key: Vec<u8>,
    public_url: String,
}

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkSigner(…)")
    }
}

impl LinkSigner {
    pub fn new(key: &[u8], public_url: &str) -> Self {
        Self {
            key: key.to_vec(),
            public_url: public_url.trim_end_matches('/').to_string(),
        }
    }

    /// 256 bits, base64url.
    pub fn token(&self, invitation_id: &str, nonce: &str) -> String {
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.key) {
            Ok(m) => m,
            // HMAC accepts keys of any length; this arm cannot be reached.
            Err(_) => return String::new(),
        };
        mac.update(b"shortlist/invitation-link/v1\0");
        mac.update(invitation_id.as_bytes());
        mac.update(b"\0");
        mac.update(nonce.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    pub fn url(&self, invitation_id: &str, nonce: &str) -> String {
        format!("{}/i/{}", self.public_url, self.token(invitation_id, nonce))
    }

    /// The interview URL written to the ATS and sent in notifications:
    /// `{public}/interviews/{invitation_id}/{key}`. A signed-in user of the organisation gets
    /// full access with or without the key; someone without an account gets the read-only view
    /// only with a valid key and only if the organisation allows it. The key is an HMAC of the
    /// invitation id under the server's secret, so it is never stored and can be recomputed for
    /// every write-back; `review_key_matches` checks it in constant time.
    pub fn review_url(&self, invitation_id: &str) -> String {
        format!(
            "{}/interviews/{invitation_id}/{}",
            self.public_url,
            self.review_key(invitation_id)
        )
    }

    pub fn review_key(&self, invitation_id: &str) -> String {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            return String::new();
        };
        mac.update(b"shortlist/review-link/v1\0");
        mac.update(invitation_id.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    pub fn review_key_matches(&self, invitation_id: &str, key: &str) -> bool {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            return false;
        };
        mac.update(b"shortlist/review-link/v1\0");
        mac.update(invitation_id.as_bytes());
        match URL_SAFE_NO_PAD.decode(key) {
            Ok(raw) => mac.verify_slice(&raw).is_ok(),
            Err(_) => false,
        }
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_stable_per_nonce_and_key() {
        let a = LinkSigner::new(b"k1", "http://x/");
        assert_eq!(a.token("inv_1", "n1"), a.token("inv_1", "n1"));
        assert_ne!(a.token("inv_1", "n1"), a.token("inv_1", "n2"));
        assert_ne!(
            a.token("inv_1", "n1"),
            LinkSigner::new(b"k2", "http://x").token("inv_1", "n1")
        );
        assert_eq!(a.token("inv_1", "n1").len(), 43);
        assert!(a.url("inv_1", "n1").starts_with("http://x/i/"));
        let review = a.review_url("inv_1");
        let key = review.rsplit('/').next().unwrap_or_default();
        assert!(review.starts_with("http://x/interviews/inv_1/"));
        assert!(a.review_key_matches("inv_1", key));
        assert!(!a.review_key_matches("inv_2", key));
        assert!(!a.review_key_matches("inv_1", "not-base64!"));
    }
}
