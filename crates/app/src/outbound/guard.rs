//! The SSRF guard: a URL an organisation (or a browser, for push) gives us must not make the
//! server call into its own network. The host is resolved here, every address it resolves to is
//! classified, and the call then connects to exactly the addresses that were checked (see
//! [`super::client`]), so a DNS answer that changes between the check and the connection
//! (rebinding) cannot redirect it.
//!
//! Refused unless an operator allowed the range (`--outbound-allow-private`): loopback, private,
//! shared (CGNAT), link-local (cloud metadata), unique-local, unspecified, multicast, broadcast,
//! documentation, benchmarking and reserved ranges, and the IPv4-mapped, -compatible, NAT64 and
//! 6to4 forms of refused IPv4 addresses. Plain http is accepted only for allowed ranges.

use async_trait::async_trait;
use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// Why an address or URL is refused, in words for the `url_not_allowed` problem and field errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

const UNRESOLVED: &str = "could not be resolved";

impl Refusal {
    /// The name did not resolve (a DNS failure may pass); every other refusal is about the URL
    /// or the addresses and stays until someone changes them.
    pub fn is_lookup_failure(&self) -> bool {
        self.0.contains(UNRESOLVED)
    }
}

/// Name resolution, replaceable in tests by a resolver that lies.
#[async_trait]
pub trait Resolver: Send + Sync {
    async fn resolve(&self, host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>>;
}

/// The system resolver through tokio.
pub struct SystemResolver;

#[async_trait]
impl Resolver for SystemResolver {
    async fn resolve(&self, host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
        Ok(tokio::net::lookup_host((host, port)).await?.collect())
    }
}

/// The IPv4 address an IPv6 address carries, for the forms that reach an IPv4 host:
/// IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d` and 6to4
/// `2002:aabb:ccdd::`.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let o = ip.octets();
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    // `::` and `::1` are themselves (unspecified, loopback), not IPv4-compatible addresses.
    if s[..6] == [0; 6] && !(s[6] == 0 && s[7] <= 1) {
        return Some(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(o[2], o[3], o[4], o[5]));
    }
    None
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
    (u32::from(ip) & mask) == (u32::from(Ipv4Addr::from(net)) & mask)
}

fn classify_v4(ip: Ipv4Addr) -> Option<&'static str> {
    const RANGES: [([u8; 4], u32, &str); 16] = [
        ([0, 0, 0, 0], 8, "an unspecified (\"this network\") address"),
        ([10, 0, 0, 0], 8, "a private address"),
        ([100, 64, 0, 0], 10, "a shared (carrier-grade NAT) address"),
        ([127, 0, 0, 0], 8, "a loopback address"),
        ([169, 254, 0, 0], 16, "a link-local address (cloud metadata lives here)"),
        ([172, 16, 0, 0], 12, "a private address"),
        ([192, 0, 0, 0], 24, "an IETF protocol assignment"),
        ([192, 0, 2, 0], 24, "a documentation address"),
        ([192, 88, 99, 0], 24, "a reserved (6to4 relay) address"),
        ([192, 168, 0, 0], 16, "a private address"),
        ([198, 18, 0, 0], 15, "a benchmarking address"),
        ([198, 51, 100, 0], 24, "a documentation address"),
        ([203, 0, 113, 0], 24, "a documentation address"),
        ([224, 0, 0, 0], 4, "a multicast address"),
        ([255, 255, 255, 255], 32, "the broadcast address"),
        ([240, 0, 0, 0], 4, "a reserved address"),
    ];
    RANGES
        .iter()
        .find(|(net, prefix, _)| in_v4(ip, *net, *prefix))
        .map(|(_, _, why)| *why)
}

fn classify_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = embedded_v4(ip) {
        return classify_v4(v4);
    }
    let s = ip.segments();
    if ip.is_unspecified() {
        Some("an unspecified address")
    } else if ip.is_loopback() {
        Some("a loopback address")
    } else if s[0] & 0xfe00 == 0xfc00 {
        Some("a unique-local (private) address")
    } else if s[0] & 0xffc0 == 0xfe80 {
        Some("a link-local address")
    } else if s[0] & 0xffc0 == 0xfec0 {
        Some("a site-local (deprecated private) address")
    } else if s[0] & 0xff00 == 0xff00 {
        Some("a multicast address")
    } else if (s[0] == 0x2001 && s[1] == 0x0db8) || (s[0] == 0x3fff && s[1] & 0xf000 == 0) {
        Some("a documentation address")
    } else if s[..4] == [0x100, 0, 0, 0] {
        Some("a discard-only address")
    } else if s[0] == 0x2001 && s[1] < 0x200 {
        Some("an IETF protocol assignment")
    } else if s[0] & 0xe000 != 0x2000 {
        // Only 2000::/3 is global unicast.
        Some("a reserved address")
    } else {
        None
    }
}

/// `None` for a public address; otherwise why it is refused.
pub fn classify(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

/// A checked URL: where to connect, pinned.
#[derive(Debug, Clone)]
pub struct Target {
    pub url: url::Url,
    /// The host name to pin (None when the URL names an address).
    pub host: Option<String>,
    pub addrs: Vec<SocketAddr>,
}

#[derive(Clone)]
pub struct Guard {
    /// Ranges an operator allowed (an on-premises receiver); http is accepted there too.
    pub allow: Vec<IpNet>,
    pub resolver: Arc<dyn Resolver>,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Guard({:?})", self.allow)
    }
}

impl Guard {
    pub fn new(allow: Vec<IpNet>) -> Guard {
        Guard {
            allow,
            resolver: Arc::new(SystemResolver),
        }
    }

    /// The same guard with more allowed ranges (push's older, broader opt-in adds every address).
    pub fn allowing(&self, more: &[IpNet]) -> Guard {
        let mut g = self.clone();
        g.allow.extend_from_slice(more);
        g
    }

    /// Every address: what `--allow-private-push-endpoints` always meant.
    pub fn everything() -> Vec<IpNet> {
        ["0.0.0.0/0", "::/0"].iter().filter_map(|n| n.parse().ok()).collect()
    }

    fn allowed(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        self.allow.iter().any(|n| n.contains(&ip))
    }

    /// Checks the URL's form only (no DNS): absolute http(s) with a host, no credentials.
    pub fn parse(&self, raw: &str) -> Result<url::Url, Refusal> {
        let url = url::Url::parse(raw.trim()).map_err(|e| Refusal(format!("not an absolute URL: {e}")))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(Refusal("the URL must use https".into()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Refusal("the URL must not carry a user name or password".into()));
        }
        if url.host().is_none() {
            return Err(Refusal("the URL has no host".into()));
        }
        Ok(url)
    }

    /// Resolves and checks a URL; every address must pass, and plain http only to allowed ranges.
    pub async fn check(&self, raw: &str) -> Result<Target, Refusal> {
        let url = self.parse(raw)?;
        let port = url.port_or_known_default().unwrap_or(443);
        let (host, addrs) = match url.host() {
            Some(url::Host::Ipv4(ip)) => (None, vec![SocketAddr::new(IpAddr::V4(ip), port)]),
            Some(url::Host::Ipv6(ip)) => (None, vec![SocketAddr::new(IpAddr::V6(ip), port)]),
            Some(url::Host::Domain(d)) => {
                // Bounded: a name server that never answers must not hold a request or a job.
                let addrs = tokio::time::timeout(RESOLVE_TIMEOUT, self.resolver.resolve(d, port))
                    .await
                    .map_err(|_| Refusal(format!("the host {d} {UNRESOLVED} in time")))?
                    .map_err(|e| Refusal(format!("the host {d} {UNRESOLVED}: {e}")))?;
                (Some(d.to_string()), addrs)
            }
            None => return Err(Refusal("the URL has no host".into())),
        };
        if addrs.is_empty() {
            return Err(Refusal("the host resolves to no address".into()));
        }
        for a in &addrs {
            if self.allowed(a.ip()) {
                continue;
            }
            if let Some(why) = classify(a.ip()) {
                return Err(Refusal(format!(
                    "the host resolves to {}, {why}; ask the administrator to allow this range for an on-premises service",
                    a.ip()
                )));
            }
        }
        if url.scheme() != "https" && !addrs.iter().all(|a| self.allowed(a.ip())) {
            return Err(Refusal("the URL must use https".into()));
        }
        Ok(Target { url, host, addrs })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(s: &str) -> bool {
        classify(s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))).is_some()
    }

    #[test]
    fn refuses_every_non_public_range() {
        for s in [
            "127.0.0.1",
            "127.255.255.254",
            "10.0.0.1",
            "10.255.255.255",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.255",
            "169.254.169.254",
            "169.254.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "224.0.0.1",
            "239.255.255.250",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.2.10",
            "198.51.100.7",
            "203.0.113.9",
            "198.18.0.1",
            "192.0.0.8",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:169.254.169.254",
            "::ffff:192.168.0.1",
            "::127.0.0.1",
            "::10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "2002:c0a8:101::1",
            "100::1",
        ] {
            assert!(refused(s), "{s} should be refused");
        }
    }

    #[test]
    fn accepts_public_addresses() {
        for s in [
            "8.8.8.8",
            "1.1.1.1",
            "93.184.216.34",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "169.253.0.1",
            "192.169.0.1",
            "2606:4700:4700::1111",
            "2a00:1450:4001:81b::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(
                !refused(s),
                "{s} should be accepted: {:?}",
                classify(s.parse().unwrap())
            );
        }
    }

    /// Answers one fixed address for every name: a public-looking name that points inside.
    struct Lying(IpAddr);

    #[async_trait]
    impl Resolver for Lying {
        async fn resolve(&self, _host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
            Ok(vec![SocketAddr::new(self.0, port)])
        }
    }

    fn guard(answer: &str, allow: &[&str]) -> Guard {
        Guard {
            allow: allow.iter().map(|a| a.parse().unwrap()).collect(),
            resolver: Arc::new(Lying(answer.parse().unwrap())),
        }
    }

    #[tokio::test]
    async fn a_public_name_resolving_inside_is_refused() {
        for inside in ["10.0.0.5", "169.254.169.254", "::ffff:127.0.0.1", "fd00::1"] {
            let e = guard(inside, &[])
                .check("https://hooks.partner.example.com/in")
                .await
                .unwrap_err();
            assert!(e.0.contains(&inside.replace("::ffff:", "")), "{inside}: {e}");
        }
        let ok = guard("93.184.216.34", &[])
            .check("https://hooks.partner.example.com/in")
            .await
            .unwrap();
        assert_eq!(ok.host.as_deref(), Some("hooks.partner.example.com"));
        assert_eq!(ok.addrs[0].port(), 443);
    }

    #[tokio::test]
    async fn https_is_required_except_for_allowed_ranges() {
        let e = guard("93.184.216.34", &[])
            .check("http://example.com/")
            .await
            .unwrap_err();
        assert!(e.0.contains("https"), "{e}");
        assert!(guard("1.2.3.4", &[]).check("ftp://example.com/").await.is_err());
        assert!(guard("1.2.3.4", &[]).check("https://u:p@example.com/").await.is_err());
        // An operator-allowed range may be reached, over http too.
        let g = guard("10.1.2.3", &["10.0.0.0/8"]);
        assert!(g.check("http://ats.intranet/hook").await.is_ok());
        assert!(g.check("http://127.0.0.1:8080/hook").await.is_err());
        let local = guard("127.0.0.1", &["127.0.0.0/8"]);
        assert!(local.check("http://127.0.0.1:9/x").await.is_ok());
        assert!(local.check("http://[::ffff:127.0.0.1]:9/x").await.is_ok());
        assert!(local.check("http://[::1]:9/x").await.is_err());
    }
}
