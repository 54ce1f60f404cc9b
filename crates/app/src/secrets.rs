//! Secrets we must present to someone else (an ATS password, a webhook signing secret) cannot be
//! hashed, so they are sealed: XChaCha20-Poly1305 under a key derived with HKDF-SHA256 from the
//! server's secret key and a purpose label. A stolen database alone opens nothing, and a key for
//! one purpose opens nothing sealed for another.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use rand::RngCore;
use sha2::Sha256;

const VERSION: &str = "v1";

#[derive(Clone)]
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(…)")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the sealed secret cannot be opened (was SHORTLIST_SECRET_KEY changed?)")]
pub struct OpenError;

impl Sealer {
    /// `purpose` separates keys, e.g. `"icims/outbound-secret"`.
    pub fn new(server_key: &[u8], purpose: &str) -> Sealer {
        let mut okm = [0u8; 32];
        // 32 bytes is far below HKDF-SHA256's output limit, so expansion cannot fail.
        let _ = Hkdf::<Sha256>::new(Some(b"shortlist/sealer/v1"), server_key).expand(purpose.as_bytes(), &mut okm);
        Sealer {
            cipher: XChaCha20Poly1305::new(Key::from_slice(&okm)),
        }
    }

    /// `v1.<base64url(nonce ‖ ciphertext)>`; a fresh random nonce every time.
    pub fn seal(&self, plain: &str) -> String {
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        // Encryption only fails for inputs beyond 256 GiB.
        let ct = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), plain.as_bytes())
            .unwrap_or_default();
        let mut buf = nonce.to_vec();
        buf.extend_from_slice(&ct);
        format!("{VERSION}.{}", URL_SAFE_NO_PAD.encode(buf))
    }

    pub fn open(&self, sealed: &str) -> Result<String, OpenError> {
        let raw = sealed
            .strip_prefix("v1.")
            .and_then(|b| URL_SAFE_NO_PAD.decode(b).ok())
            .ok_or(OpenError)?;
        if raw.len() < 24 + 16 {
            return Err(OpenError);
        }
        let (nonce, ct) = raw.split_at(24);
        let plain = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), ct)
            .map_err(|_| OpenError)?;
        String::from_utf8(plain).map_err(|_| OpenError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_only_with_the_same_key_and_purpose() {
        let s = Sealer::new(b"0123456789abcdef0123456789abcdef", "icims/outbound-secret");
        let a = s.seal("hunter2");
        let b = s.seal("hunter2");
        assert_ne!(a, b, "fresh nonce per seal");
        assert!(!a.contains("hunter2"));
        assert_eq!(s.open(&a).unwrap(), "hunter2");
        let other_purpose = Sealer::new(b"0123456789abcdef0123456789abcdef", "webhooks");
        assert!(other_purpose.open(&a).is_err());
        let other_key = Sealer::new(b"fedcba9876543210fedcba9876543210", "icims/outbound-secret");
        assert!(other_key.open(&a).is_err());
        let mut tampered = a.clone();
        tampered.pop();
        tampered.push(if a.ends_with('A') { 'B' } else { 'A' });
        assert!(s.open(&tampered).is_err());
        assert!(s.open("garbage").is_err());
    }
}
