//! A limit on guessing invitation links, per client address, like share links have: only links
//! that do not exist count, so a candidate clicking through a real interview (many requests) is
//! never slowed; an address over its budget is refused before the lookup, so while it is blocked
//! a hit cannot be told from a miss.

use super::i18n::T;
use super::{Chrome, Problem};
use crate::WebState;
use crate::pages::render;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use std::net::SocketAddr;

/// Marks the answer to a link that does not exist, for [`limit`] to count.
#[derive(Clone, Copy)]
pub(crate) struct UnknownLink;

pub async fn limit(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    let guard = &s.candidate_guesses;
    if let Err(wait) = guard.check(peer.ip()) {
        let lang = req
            .uri()
            .query()
            .and_then(|q| url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "lang"))
            .and_then(|(_, v)| T::supported(&v))
            .unwrap_or("en");
        return too_many(T::for_tag(lang), wait);
    }
    let resp = next.run(req).await;
    if resp.extensions().get::<UnknownLink>().is_some() {
        guard.failed(peer.ip());
    }
    resp
}

fn too_many(t: T, wait: u64) -> Response {
    let heading = t.get("closed.too_many").to_string();
    let lines = vec![t.fmt("closed.too_many_text", &[("seconds", &wait.to_string())])];
    let c = Chrome::bare(t, "", heading.clone(), "");
    let mut r = render(
        StatusCode::TOO_MANY_REQUESTS,
        &Problem {
            c,
            heading,
            lines,
            back: None,
        },
    );
    if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}
