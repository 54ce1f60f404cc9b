//! Every call to a URL that someone other than the operator chose — webhook endpoints, an ATS
//! connection's API and token URLs, browsers' push endpoints — goes through one guard and one
//! kind of client: the host is resolved and checked ([`guard`]), the connection is pinned to the
//! checked addresses, redirects are never followed, and time and answer size are bounded
//! ([`client`]). The operator widens it with `--outbound-allow-private` (on-premises services).

pub mod client;
pub mod guard;

pub use client::{Clients, Profile, read_capped, short_reason};
pub use guard::{Guard, Refusal, Resolver, SystemResolver, Target, classify};

use std::sync::Arc;

/// A guard with its clients: check a URL, get a client that can reach only what was checked.
/// Cheap to clone.
#[derive(Clone)]
pub struct Outbound {
    pub guard: Guard,
    clients: Arc<Clients>,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Outbound({:?}, {})", self.guard, self.clients.profile.user_agent)
    }
}

impl Outbound {
    pub fn new(guard: Guard, profile: Profile) -> Outbound {
        Outbound {
            guard,
            clients: Arc::new(Clients::new(profile)),
        }
    }

    /// Checks `raw` now (DNS may have changed since it was saved) and returns the URL with a
    /// client pinned to the addresses just checked.
    pub async fn pinned(&self, raw: &str) -> Result<(url::Url, reqwest::Client), Refusal> {
        let target = self.guard.check(raw).await?;
        let client = self
            .clients
            .get(&target)
            .map_err(|e| Refusal(format!("no HTTP client could be made: {e}")))?;
        Ok((target.url, client))
    }
}
