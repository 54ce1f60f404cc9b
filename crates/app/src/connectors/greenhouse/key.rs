//! The organisation key Greenhouse presents: `ghk_<16 hex id>_<43 base64url>` (66 characters,
//! within Greenhouse's limit). The id finds the connection; only the SHA-256 of the whole key is
//! compared.

use super::{Greenhouse, KIND};
use crate::connectors::AtsConnection;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

pub const KEY_PREFIX: &str = "ghk_";
pub(super) use crate::connectors::keys::NewKey;

pub(super) fn generate() -> NewKey {
    crate::connectors::keys::generate(KEY_PREFIX)
}

fn key_id(key: &str) -> Option<&str> {
    crate::connectors::keys::key_id(KEY_PREFIX, key)
}

/// Why a call was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Denied {
    /// No Basic credentials at all.
    Missing,
    /// A key that is not one of ours (or no longer is).
    WrongKey,
}

/// The key from `Authorization: Basic base64(key:)`; the password must be empty.
pub(super) fn presented(header: Option<&str>) -> Option<String> {
    let b64 = header?.trim().strip_prefix("Basic ")?;
    let raw = STANDARD.decode(b64.trim()).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (user, _password) = text.split_once(':')?;
    Some(user.to_string())
}

/// `Authorization` for the completion PATCH: the key as user name, empty password.
pub(super) fn basic(key: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{key}:")))
}

impl Greenhouse {
    /// The connection whose key the caller presented (from an allowed address, when the
    /// connection names Greenhouse's).
    pub async fn authenticate(
        &self,
        authorization: Option<&str>,
        caller: Option<std::net::IpAddr>,
    ) -> Result<AtsConnection, AuthError> {
        let key = presented(authorization).ok_or(AuthError::Denied(Denied::Missing))?;
        let id = key_id(&key).ok_or(AuthError::Denied(Denied::WrongKey))?;
        let conn = self
            .shared
            .connection_by_inbound_user(KIND, id)
            .await
            .map_err(AuthError::App)?
            .ok_or(AuthError::Denied(Denied::WrongKey))?;
        // The id is the user half, the whole key the secret half.
        if !conn.inbound_matches(id, &key) || !conn.caller_allowed(caller) {
            return Err(AuthError::Denied(Denied::WrongKey));
        }
        Ok(conn)
    }
}

#[derive(Debug)]
pub enum AuthError {
    Denied(Denied),
    App(crate::AppError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_and_parse_back() {
        let k = generate();
        assert!(k.key.len() <= 128, "{}", k.key.len());
        assert_eq!(key_id(&k.key), Some(k.id.as_str()));
        assert_eq!(key_id("ghk_short"), None);
        assert_eq!(presented(Some(&basic(&k.key))), Some(k.key.clone()));
        assert_eq!(presented(Some("Bearer x")), None);
    }
}
