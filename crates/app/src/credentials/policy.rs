//! What a credential may do: scopes (`resource:read|write`), a request rate and an optional IP
//! allow-list. The web layer enforces them before any handler runs.

use ipnet::IpNet;
use shortlist_store::credentials::PartnerRow;
use std::net::IpAddr;

pub const DEFAULT_RATE: u32 = 10;
pub const DEFAULT_BURST: u32 = 20;

/// The resources of /api/v1 that scopes name (the first path segment).
pub const RESOURCES: [&str; 7] = [
    "templates",
    "positions",
    "invitations",
    "settings",
    "media",
    "results",
    "webhooks",
];

/// A set of scopes. `*` is everything; `read`/`write` are every resource; `invitations:write`
/// also lets the holder read invitations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scopes(Vec<String>);

impl Scopes {
    pub fn all() -> Self {
        Scopes(vec!["*".into()])
    }

    /// Space- or comma-separated scopes; unknown ones are refused so a typo does not silently
    /// grant less (or more) than meant.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut out = Vec::new();
        for s in raw.split([' ', ',']).map(str::trim).filter(|s| !s.is_empty()) {
            let ok = match s.split_once(':') {
                None => matches!(s, "*" | "read" | "write"),
                Some((res, act)) => RESOURCES.contains(&res) && matches!(act, "read" | "write" | "*"),
            };
            if !ok {
                return Err(format!(
                    "unknown scope '{s}': use *, read, write or <resource>:read|write with resource one of {}",
                    RESOURCES.join(", ")
                ));
            }
            out.push(s.to_string());
        }
        if out.is_empty() {
            return Err("give at least one scope".into());
        }
        out.sort();
        out.dedup();
        Ok(Scopes(out))
    }

    pub fn allows(&self, resource: &str, write: bool) -> bool {
        self.0.iter().any(|s| match s.as_str() {
            "*" | "write" => true,
            "read" => !write,
            other => match other.split_once(':') {
                Some((res, act)) => res == resource && (act == "*" || act == "write" || (act == "read" && !write)),
                None => false,
            },
        })
    }

    /// Whether these scopes grant `need` (`write` implies `read`).
    pub fn grants(&self, need: &Scope) -> bool {
        self.allows(&need.resource, need.write)
    }

    pub fn as_string(&self) -> String {
        self.0.join(" ")
    }
}

/// One scope an operation needs: a resource of [`RESOURCES`] and read or write. Operations
/// declare theirs in their OpenAPI annotation; unlike [`Scopes`], no wildcard is allowed, so a
/// declaration always names exactly what it asks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    pub resource: String,
    pub write: bool,
}

impl Scope {
    /// `results:read`, `settings:write`, …
    pub fn parse(raw: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "'{raw}' is not <resource>:read|write with resource one of {}",
                RESOURCES.join(", ")
            )
        };
        let (res, act) = raw.split_once(':').ok_or_else(bad)?;
        if !RESOURCES.contains(&res) {
            return Err(bad());
        }
        let write = match act {
            "read" => false,
            "write" => true,
            _ => return Err(bad()),
        };
        Ok(Scope {
            resource: res.to_string(),
            write,
        })
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.resource, if self.write { "write" } else { "read" })
    }
}

/// CIDR ranges, space- or comma-separated; a bare address is a /32 (or /128).
pub fn parse_cidrs(raw: &str) -> Result<Vec<IpNet>, String> {
    raw.split([' ', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("'{s}' is not a CIDR range such as 203.0.113.0/24"))
        })
        .collect()
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub scopes: Scopes,
    pub rate_per_sec: u32,
    pub burst: u32,
    /// Empty: any address.
    pub ip_allow: Vec<IpNet>,
}

impl Policy {
    pub fn of_partner(p: &PartnerRow) -> Result<Self, String> {
        Ok(Policy {
            scopes: Scopes::parse(&p.scopes)?,
            rate_per_sec: u32::try_from(p.rate_per_sec).unwrap_or(DEFAULT_RATE).max(1),
            burst: u32::try_from(p.rate_burst).unwrap_or(DEFAULT_BURST).max(1),
            ip_allow: parse_cidrs(&p.ip_allow)?,
        })
    }

    pub fn ip_allowed(&self, ip: IpAddr) -> bool {
        // An IPv4 client on a dual-stack socket shows up as ::ffff:a.b.c.d.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        self.ip_allow.is_empty() || self.ip_allow.iter().any(|n| n.contains(&ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_grant_what_they_name() {
        let s = Scopes::parse("invitations:write positions:read").unwrap_or_else(|e| panic!("{e}"));
        assert!(s.allows("invitations", true) && s.allows("invitations", false));
        assert!(s.allows("positions", false) && !s.allows("positions", true));
        assert!(!s.allows("templates", false));
        let r = Scopes::parse("read").unwrap_or_else(|e| panic!("{e}"));
        assert!(r.allows("settings", false) && !r.allows("settings", true));
        assert!(Scopes::parse("invitation:write").is_err());
        assert!(Scopes::parse("").is_err());
    }

    #[test]
    fn a_declared_scope_names_one_resource_and_access() {
        let need = Scope::parse("results:read").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(need.to_string(), "results:read");
        let s = Scopes::parse("results:write").unwrap_or_else(|e| panic!("{e}"));
        assert!(s.grants(&need));
        let s = Scopes::parse("invitations:read").unwrap_or_else(|e| panic!("{e}"));
        assert!(!s.grants(&need));
        for bad in ["results", "results:*", "*", "read", "review:read", "results:delete"] {
            assert!(Scope::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn allow_list_matches_ranges_and_mapped_addresses() {
        let p = Policy {
            scopes: Scopes::all(),
            rate_per_sec: 1,
            burst: 1,
            ip_allow: parse_cidrs("10.0.0.0/8, 127.0.0.1").unwrap_or_default(),
        };
        assert!(p.ip_allowed("10.1.2.3".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))));
        assert!(p.ip_allowed("::ffff:127.0.0.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))));
        assert!(!p.ip_allowed("127.0.0.2".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))));
        assert!(parse_cidrs("10.0.0/8").is_err());
    }
}
