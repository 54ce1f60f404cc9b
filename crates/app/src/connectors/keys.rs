//! Keys we issue to an ATS (Greenhouse's Basic user, Workable's Bearer token):
//! `<prefix><16 hex id>_<43 base64url>`. The id is the public half (`ats_connections.inbound_user`)
//! that finds the connection; only the SHA-256 of the whole key is kept and compared.

const ID_LEN: usize = 16;

pub struct NewKey {
    pub id: String,
    pub key: String,
}

pub fn generate(prefix: &str) -> NewKey {
    let id: String = uuid::Uuid::new_v4().simple().to_string().chars().take(ID_LEN).collect();
    let secret = crate::tokens::generate("x");
    let key = format!("{prefix}{id}_{}", &secret[2..]);
    NewKey { id, key }
}

/// The id part of a well-formed key with this prefix.
pub fn key_id<'a>(prefix: &str, key: &'a str) -> Option<&'a str> {
    let rest = key.strip_prefix(prefix)?;
    let id = rest.get(..ID_LEN)?;
    (id.bytes().all(|b| b.is_ascii_hexdigit()) && rest.as_bytes().get(ID_LEN) == Some(&b'_') && key.len() <= 128)
        .then_some(id)
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_short_and_name_their_id() {
        let k = super::generate("wkt_");
        assert!(k.key.len() <= 128, "{}", k.key.len());
        assert_eq!(super::key_id("wkt_", &k.key), Some(k.id.as_str()));
        assert_eq!(super::key_id("ghk_", &k.key), None);
        assert_eq!(super::key_id("wkt_", "wkt_short"), None);
    }
}
