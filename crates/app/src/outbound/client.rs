//! HTTP clients pinned to what the guard checked. A client connects only to the addresses the
//! guard approved for this call, follows no redirect (a redirect would be a new, unchecked
//! target, and for same-origin ones reqwest would resend our credentials), ignores proxy
//! settings (a proxy would resolve the name again) and gives up after the profile's time-out.
//!
//! Clients are kept per checked target: building one loads the TLS roots and every new client
//! opens a new connection; at one per call that alone capped webhook deliveries at a few hundred
//! a second. A client is keyed by the exact addresses approved, so reusing it (and its pooled
//! connections) never reaches an address that was not checked; a changed DNS answer gets its own.

use super::guard::Target;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

/// Enough for every endpoint of a busy installation; past it the cache starts over.
const MAX_CLIENTS: usize = 256;

/// How the clients of one caller (webhooks, a connector, push) talk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    pub user_agent: &'static str,
    /// The whole call, connection included.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// iCIMS answers HTTP/2 with 505.
    pub http1_only: bool,
}

/// A client for one checked target (see the module notes).
pub fn client_for(t: &Target, p: &Profile) -> reqwest::Result<reqwest::Client> {
    let mut b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(p.timeout)
        .connect_timeout(p.connect_timeout)
        .user_agent(p.user_agent);
    if p.http1_only {
        b = b.http1_only();
    }
    if let Some(host) = &t.host {
        b = b.resolve_to_addrs(host, &t.addrs);
    }
    b.build()
}

type Key = (Option<String>, Vec<SocketAddr>);

/// Clients of one profile, reused per checked target.
pub struct Clients {
    pub profile: Profile,
    by_target: Mutex<HashMap<Key, reqwest::Client>>,
}

impl Clients {
    pub fn new(profile: Profile) -> Clients {
        Clients {
            profile,
            by_target: Mutex::new(HashMap::new()),
        }
    }

    pub fn get(&self, t: &Target) -> reqwest::Result<reqwest::Client> {
        let mut addrs = t.addrs.clone();
        addrs.sort();
        let key = (t.host.clone(), addrs);
        // A panic while holding the lock leaves a map that is still valid.
        let mut map = self.by_target.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = map.get(&key) {
            return Ok(c.clone());
        }
        let c = client_for(t, &self.profile)?;
        if map.len() >= MAX_CLIENTS {
            map.clear();
        }
        map.insert(key, c.clone());
        Ok(c)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.by_target.lock().map(|m| m.len()).unwrap_or(0)
    }
}

/// Reads at most `max` bytes of an answer's body; `Err(true)` when it was longer (the rest is
/// never read, so a server cannot make us hold more), `Err(false)` when reading failed.
pub async fn read_capped(mut r: reqwest::Response, max: usize) -> Result<Vec<u8>, bool> {
    let mut out = Vec::new();
    while let Some(chunk) = r.chunk().await.map_err(|_| false)? {
        if out.len() + chunk.len() > max {
            return Err(true);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// A short, printable reason from text a remote server chose: control characters dropped,
/// whitespace folded, at most `max` characters. For messages shown to people or stored.
pub fn short_reason(raw: &str, max: usize) -> String {
    let folded: String = raw
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    if folded.chars().count() <= max {
        return folded;
    }
    let mut cut: String = folded.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const P: Profile = Profile {
        user_agent: "test",
        timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(5),
        http1_only: true,
    };

    fn target(host: &str, port: u16) -> Target {
        Target {
            url: url::Url::parse(&format!("https://{host}/hook")).unwrap_or_else(|_| unreachable!()),
            host: Some(host.into()),
            addrs: vec![SocketAddr::from(([203, 0, 113, 7], port))],
        }
    }

    #[test]
    fn one_client_per_checked_target() {
        let c = Clients::new(P);
        assert!(c.get(&target("a.example.com", 443)).is_ok());
        assert!(c.get(&target("a.example.com", 443)).is_ok());
        assert_eq!(c.len(), 1);
        // Another answer for the same name is another client: pinning stays exact.
        assert!(c.get(&target("a.example.com", 8443)).is_ok());
        assert_eq!(c.len(), 2);
    }

    /// The connection goes to the checked address whatever the name would resolve to now: a name
    /// that does not exist in DNS reaches the pinned local listener.
    #[tokio::test]
    async fn the_client_connects_only_to_the_checked_address() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = sock.read(&mut buf).await;
            let _ = sock
                .write_all(
                    b"HTTP/1.1 302 Found\r\nlocation: /elsewhere\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                )
                .await;
        });
        let target = Target {
            url: url::Url::parse(&format!("http://hooks.invalid:{}/in", addr.port())).unwrap(),
            host: Some("hooks.invalid".into()),
            addrs: vec![addr],
        };
        let resp = client_for(&target, &P)
            .unwrap()
            .post(target.url.clone())
            .send()
            .await
            .unwrap();
        // Reached the pinned address, and the redirect was handed back, not followed.
        assert_eq!(resp.status().as_u16(), 302);
    }

    #[test]
    fn reasons_are_short_and_printable() {
        assert_eq!(short_reason("a\u{1b}[31m b\n\n c", 50), "a[31m b c");
        assert_eq!(short_reason(&"x".repeat(300), 10).chars().count(), 10);
    }
}
