//! Helpers for the outbound-URL (SSRF) tests: a far end that records every request with its
//! `Authorization` header and answers with redirects, errors and bodies carrying a marker; an
//! iCIMS connection made through the app's own use case; the setup form; and a host name of
//! this machine that resolves inside.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use crate::api_common::{Api, unique};
use crate::common::TestApp;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use shortlist_app::connectors::icims::{NewConnectionInput, StatusValues};
use std::sync::{Arc, Mutex};

/// (path, Authorization) of each request, in arrival order.
type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

#[derive(Clone)]
struct Far {
    seen: Seen,
    marker: String,
    /// Where job 2 redirects (another origin).
    other: Option<String>,
}

/// A far end on 127.0.0.1 for one customer's API:
/// `jobs/1` → 302 to another path of this origin, `jobs/2` → 302 to `other`, `jobs/3` → 500,
/// `jobs/4` → 200 that is not JSON, `/oauth/token` → 401 with an RFC 6749 error; every body
/// carries the marker.
pub struct Listener {
    pub origin: String,
    seen: Seen,
}

async fn answer(State(f): State<Far>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let auth = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    f.seen.lock().unwrap().push((path.clone(), auth));
    let m = f.marker.clone();
    let redirect = |to: String| (StatusCode::FOUND, [(header::LOCATION, to)], m.clone()).into_response();
    if path.ends_with("/jobs/1") {
        return redirect("/elsewhere".into());
    }
    if path.ends_with("/jobs/2") {
        return redirect(format!("{}/steal", f.other.clone().unwrap_or_default()));
    }
    if path.ends_with("/jobs/3") {
        return (StatusCode::INTERNAL_SERVER_ERROR, m).into_response();
    }
    if path == "/oauth/token" {
        let body = serde_json::json!({"error": "invalid_client", "error_description": m});
        return (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    }
    (StatusCode::OK, m).into_response()
}

impl Listener {
    pub async fn start(_customer: &str, marker: &str, other: Option<String>) -> Listener {
        let seen = Seen::default();
        let far = Far {
            seen: seen.clone(),
            marker: marker.to_string(),
            other,
        };
        let app = Router::new().fallback(answer).with_state(far);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Listener { origin, seen }
    }

    pub fn seen(&self) -> Vec<(String, Option<String>)> {
        self.seen.lock().unwrap().clone()
    }
}

/// A customer id no other test uses.
pub fn customer_id() -> String {
    format!(
        "{}",
        100_000 + u64::from_str_radix(&unique()[..8], 16).unwrap() % 900_000
    )
}

/// Connects `admin`'s organisation to `base` (Basic, or OAuth with `token_url`).
pub async fn connect(app: &TestApp, admin: &Api, customer: &str, base: &str, token_url: Option<&str>) {
    let observer = shortlist_store::users::find_by_email(
        &app.app.db,
        &admin.org,
        &shortlist_domain::Email::parse(&admin.email).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let input = NewConnectionInput {
        customer_id: customer.into(),
        region: "us".into(),
        api_base_url: Some(base.into()),
        outbound_auth_kind: if token_url.is_some() { "oauth" } else { "basic" }.into(),
        outbound_user: "vendor".into(),
        outbound_secret: if token_url.is_some() {
            "vendor-secret"
        } else {
            "vendor-password"
        }
        .into(),
        outbound_token_url: token_url.map(str::to_string),
        inbound_auth_kind: "basic".into(),
        trigger_statuses: vec!["C100".into()],
        resend_status: None,
        status_values: StatusValues {
            sent: "Sent".into(),
            in_progress: "In Progress".into(),
            complete: "Complete".into(),
            expired: None,
            cancelled: None,
        },
        observer_user_id: shortlist_domain::UserId::parse(&observer.id).unwrap(),
        caller_allowlist: None,
        daily_budget: None,
    };
    app.app.icims.create_connection(&admin.org, &input).await.unwrap();
}

fn csrf_in(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..].split('"').next().unwrap().to_string()
}

/// Posts a form of Settings → iCIMS with the page's CSRF token; returns (status, page).
pub async fn page_post(app: &TestApp, who: &Api, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let page = who.c.get(app.url("/settings/icims")).send().await.unwrap();
    let csrf = csrf_in(&page.text().await.unwrap());
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(form);
    let r = who.c.post(app.url(path)).form(&all).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// This machine's host name if it resolves only to addresses the guard refuses (usually through
/// /etc/hosts): a name that is not `localhost` but leads inside, like the one the testers used.
pub async fn inside_name() -> Option<String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()?
        .trim()
        .to_lowercase();
    if name.is_empty() || name == "localhost" || name.ends_with(".localhost") {
        return None;
    }
    let lookup = tokio::net::lookup_host((name.as_str(), 443));
    let addrs: Vec<_> = tokio::time::timeout(std::time::Duration::from_secs(5), lookup)
        .await
        .ok()?
        .ok()?
        .collect();
    let inside = !addrs.is_empty()
        && addrs
            .iter()
            .all(|a| shortlist_app::outbound::classify(a.ip()).is_some());
    inside.then_some(name)
}
