//! The client's address behind a reverse proxy. Every check that looks at the caller's address
//! (IP allow-lists, login and link-guessing limits, the share-link view log, the iCIMS caller
//! list) reads `ConnectInfo`; behind a proxy that is the proxy. When the socket peer is one of
//! the operator's trusted proxies, this replaces it with the client named in `X-Forwarded-For`.

use crate::WebState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};

pub async fn real_client(State(s): State<WebState>, mut req: Request, next: Next) -> Response {
    if !s.trusted_proxies.is_empty()
        && let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied()
        && let Some(ip) = client_ip(peer.ip(), req.headers(), &s.trusted_proxies)
    {
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(ip, peer.port())));
    }
    next.run(req).await
}

/// The nearest address in `X-Forwarded-For` that is not itself a trusted proxy. Entries to its
/// left were written by the client and may be forged, so they are never believed; `None` when
/// the peer is not a trusted proxy or the header names nothing usable.
fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> Option<IpAddr> {
    let is_proxy = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_proxy(&peer) {
        return None;
    }
    let mut hops = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        for part in value.to_str().ok()?.split(',') {
            // A hop we cannot read ends what we can believe: nothing beyond it is trusted.
            hops.push(part.trim().parse::<IpAddr>().ok());
        }
    }
    for hop in hops.into_iter().rev() {
        match hop {
            Some(ip) if is_proxy(&ip) => continue,
            Some(ip) => return Some(ip),
            None => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(
                "x-forwarded-for",
                HeaderValue::from_str(v).unwrap_or(HeaderValue::from_static("")),
            );
        }
        h
    }

    #[test]
    fn only_a_trusted_proxy_is_believed_and_only_its_nearest_hop() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap_or_else(|_| IpNet::from(ip("10.0.0.0")))];
        let from_proxy = ip("10.1.2.3");
        // The client forged a first hop; the proxy appended the real one.
        let h = xff(&["203.0.113.9, 198.51.100.7"]);
        assert_eq!(client_ip(from_proxy, &h, &trusted), Some(ip("198.51.100.7")));
        // Chained proxies: skip every trusted hop from the right.
        let h = xff(&["198.51.100.7", "10.9.9.9"]);
        assert_eq!(client_ip(from_proxy, &h, &trusted), Some(ip("198.51.100.7")));
        // Not from a proxy: the header is whatever the caller wanted it to be.
        assert_eq!(client_ip(ip("198.51.100.1"), &xff(&["203.0.113.9"]), &trusted), None);
        // Unreadable or missing: nothing is believed.
        assert_eq!(client_ip(from_proxy, &xff(&["203.0.113.9, junk"]), &trusted), None);
        assert_eq!(client_ip(from_proxy, &HeaderMap::new(), &trusted), None);
        assert_eq!(client_ip(from_proxy, &xff(&["10.2.2.2"]), &trusted), None);
    }
}
