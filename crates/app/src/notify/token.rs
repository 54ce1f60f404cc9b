//! One-click unsubscribe links: `{org}|{user}|{kind}` with an HMAC under the server's secret, so
//! the link works without signing in, cannot be forged for someone else, and needs no table.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const DOMAIN: &[u8] = b"shortlist/unsubscribe/v1\0";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsubscribe {
    pub org: String,
    pub user: String,
    /// A [`super::Kind`] name.
    pub kind: String,
}

fn mac(key: &[u8], data: &[u8]) -> Option<Hmac<Sha256>> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).ok()?;
    m.update(DOMAIN);
    m.update(data);
    Some(m)
}

pub fn sign(key: &[u8], u: &Unsubscribe) -> String {
    let data = format!("{}|{}|{}", u.org, u.user, u.kind);
    let tag = mac(key, data.as_bytes())
        .map(|m| URL_SAFE_NO_PAD.encode(m.finalize().into_bytes()))
        .unwrap_or_default();
    format!("{}.{tag}", URL_SAFE_NO_PAD.encode(data))
}

pub fn verify(key: &[u8], token: &str) -> Option<Unsubscribe> {
    let (data, tag) = token.split_once('.')?;
    let data = URL_SAFE_NO_PAD.decode(data).ok()?;
    let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
    mac(key, &data)?.verify_slice(&tag).ok()?;
    let text = String::from_utf8(data).ok()?;
    let mut parts = text.splitn(3, '|');
    Some(Unsubscribe {
        org: parts.next()?.to_string(),
        user: parts.next()?.to_string(),
        kind: parts.next()?.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let u = Unsubscribe {
            org: "org_1".into(),
            user: "usr_1".into(),
            kind: "completions".into(),
        };
        let t = sign(b"k", &u);
        assert_eq!(verify(b"k", &t), Some(u.clone()));
        assert_eq!(verify(b"other", &t), None);
        let forged = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode("org_1|usr_2|completions"),
            t.split_once('.').map(|x| x.1).unwrap_or("")
        );
        assert_eq!(verify(b"k", &forged), None);
        assert_eq!(verify(b"k", "garbage"), None);
    }
}
