//! Delivery clients kept per checked target. Building a client loads the TLS roots and every
//! new client opens a new connection: at one per attempt that alone capped deliveries at a few
//! hundred a second. A client is keyed by the exact addresses the guard approved for this
//! attempt, so reusing it (and its pooled connections) never reaches an address that was not
//! checked; a changed DNS answer gets its own client.

use super::deliver::client_for;
use super::guard::Target;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;

/// Enough for every endpoint of a busy installation; past it the cache starts over.
const MAX_CLIENTS: usize = 256;

type Key = (Option<String>, Vec<SocketAddr>);

#[derive(Default)]
pub struct Clients {
    by_target: Mutex<HashMap<Key, reqwest::Client>>,
}

impl Clients {
    pub fn get(&self, t: &Target) -> reqwest::Result<reqwest::Client> {
        let mut addrs = t.addrs.clone();
        addrs.sort();
        let key = (t.host.clone(), addrs);
        // A panic while holding the lock leaves a map that is still valid.
        let mut map = self.by_target.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = map.get(&key) {
            return Ok(c.clone());
        }
        let c = client_for(t)?;
        if map.len() >= MAX_CLIENTS {
            map.clear();
        }
        map.insert(key, c.clone());
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(host: &str, port: u16) -> Target {
        Target {
            url: url::Url::parse(&format!("https://{host}/hook")).unwrap_or_else(|_| unreachable!()),
            host: Some(host.into()),
            addrs: vec![SocketAddr::from(([203, 0, 113, 7], port))],
        }
    }

    #[test]
    fn one_client_per_checked_target() {
        let c = Clients::default();
        assert!(c.get(&target("a.example.com", 443)).is_ok());
        assert!(c.get(&target("a.example.com", 443)).is_ok());
        assert_eq!(c.by_target.lock().map(|m| m.len()).unwrap_or(0), 1);
        // Another answer for the same name is another client: pinning stays exact.
        assert!(c.get(&target("a.example.com", 8443)).is_ok());
        assert_eq!(c.by_target.lock().map(|m| m.len()).unwrap_or(0), 2);
    }
}
