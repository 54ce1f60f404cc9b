//! How iCIMS proves who it is when it calls us: Basic with credentials we generated (only the
//! secret's SHA-256 is stored; the secret is 256 random bits, so a slow hash adds nothing and
//! would make a burst of events CPU-bound), or a bearer token from our client-credentials token
//! endpoint. Tokens are stateless HMACs over the connection and its current inbound secret hash,
//! so any instance can check them and rotating the secret revokes them.

use super::{Connection, Icims};
use crate::AppError;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::net::IpAddr;

pub const TOKEN_LIFETIME_SECS: i64 = 3600;

pub(crate) fn derive_token_key(server_key: &[u8]) -> Vec<u8> {
    let mut okm = [0u8; 32];
    let _ = hkdf::Hkdf::<Sha256>::new(Some(b"shortlist/icims/v1"), server_key).expand(b"inbound-token", &mut okm);
    okm.to_vec()
}

/// The credentials in an `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presented {
    Basic { user: String, secret: String },
    Bearer(String),
    Nothing,
}

impl Presented {
    pub fn from_header(h: Option<&str>) -> Presented {
        let Some(h) = h.map(str::trim) else {
            return Presented::Nothing;
        };
        let (scheme, rest) = h.split_once(' ').unwrap_or((h, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            let decoded = STANDARD
                .decode(rest.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            if let Some((user, secret)) = decoded.as_deref().and_then(|d| d.split_once(':')) {
                return Presented::Basic {
                    user: user.to_string(),
                    secret: secret.to_string(),
                };
            }
        } else if scheme.eq_ignore_ascii_case("bearer") && !rest.trim().is_empty() {
            return Presented::Bearer(rest.trim().to_string());
        }
        Presented::Nothing
    }
}

/// Why a caller was turned away (all answer 401; the reason goes to the log and debug text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    NoCredentials,
    WrongCredentials,
    ExpiredToken,
    AddressNotAllowed,
}

impl Denied {
    pub fn debug(&self) -> &'static str {
        match self {
            Denied::NoCredentials => "no credentials were sent",
            Denied::WrongCredentials => "wrong credentials for this customer",
            Denied::ExpiredToken => "the bearer token has expired; fetch a new one",
            Denied::AddressNotAllowed => "the calling address is not in the connection's allow-list",
        }
    }
}

fn secret_matches(conn: &Connection, user: &str, secret: &str) -> bool {
    conn.ats.inbound_matches(user, secret)
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct TokenReply {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
}

impl Icims {
    fn token_mac(&self, conn: &Connection, exp: i64) -> Vec<u8> {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.token_key) else {
            return vec![];
        };
        for part in [
            conn.id.as_str(),
            &exp.to_string(),
            &conn.inbound_user,
            &conn.inbound_secret_hash,
        ] {
            mac.update(part.as_bytes());
            mac.update(b"\0");
        }
        mac.finalize().into_bytes().to_vec()
    }

    /// Checks the caller of an event against the connection its customer id named.
    pub fn authenticate(&self, conn: &Connection, presented: &Presented, caller: Option<IpAddr>) -> Result<(), Denied> {
        if !conn.ats.caller_allowed(caller) {
            return Err(Denied::AddressNotAllowed);
        }
        match (conn.inbound_auth_kind.as_str(), presented) {
            (_, Presented::Nothing) => Err(Denied::NoCredentials),
            ("basic", Presented::Basic { user, secret }) if secret_matches(conn, user, secret) => Ok(()),
            ("oauth", Presented::Bearer(t)) => self.check_token(conn, t),
            _ => Err(Denied::WrongCredentials),
        }
    }

    fn check_token(&self, conn: &Connection, token: &str) -> Result<(), Denied> {
        let mut parts = token.splitn(4, '.');
        let (Some("ict"), Some(id), Some(exp), Some(mac)) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Denied::WrongCredentials);
        };
        let exp: i64 = exp.parse().map_err(|_| Denied::WrongCredentials)?;
        let expected = URL_SAFE_NO_PAD.encode(self.token_mac(conn, exp));
        if id != conn.id.as_str() || !crate::tokens::equal(mac, &expected) {
            return Err(Denied::WrongCredentials);
        }
        if exp <= self.recruiting.clock.now().timestamp() {
            return Err(Denied::ExpiredToken);
        }
        Ok(())
    }

    /// Our token endpoint (client credentials): the client id is the connection's inbound user.
    pub async fn issue_token(&self, client_id: &str, client_secret: &str) -> Result<TokenReply, AppError> {
        let Some(conn) = self.connection_by_client_id(client_id).await? else {
            return Err(AppError::Unauthorized);
        };
        if conn.inbound_auth_kind != "oauth" || !secret_matches(&conn, client_id, client_secret) {
            return Err(AppError::Unauthorized);
        }
        let exp = self.recruiting.clock.now().timestamp() + TOKEN_LIFETIME_SECS;
        let mac = URL_SAFE_NO_PAD.encode(self.token_mac(&conn, exp));
        Ok(TokenReply {
            access_token: format!("ict.{}.{exp}.{mac}", conn.id),
            token_type: "Bearer",
            expires_in: TOKEN_LIFETIME_SECS,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_headers_parse() {
        let h = format!("Basic {}", STANDARD.encode("icims_x:s3:cret"));
        assert_eq!(
            Presented::from_header(Some(&h)),
            Presented::Basic {
                user: "icims_x".into(),
                secret: "s3:cret".into()
            }
        );
        assert_eq!(
            Presented::from_header(Some("Bearer abc")),
            Presented::Bearer("abc".into())
        );
        assert_eq!(Presented::from_header(Some("Basic !!!")), Presented::Nothing);
        assert_eq!(Presented::from_header(None), Presented::Nothing);
    }
}
