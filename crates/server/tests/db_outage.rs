//! A PostgreSQL outage while the server runs: a TCP proxy of the test's own sits between the
//! server and PostgreSQL and is cut (open connections closed, new ones accepted and left
//! unanswered, as a dead host behind a load balancer does). Requests are answered 503 with
//! Retry-After in their own format within a bounded time, never 500, /readyz says 503 within a
//! second, and once the proxy is restored requests succeed again without a restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;

use common::{TestApp, TestDb};
use reqwest::StatusCode;
use serde_json::json;
use shortlist_domain::Role;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// Forwards to `upstream` while up; when cut, closes what it forwards and holds new connections
/// without a byte.
struct Proxy {
    addr: std::net::SocketAddr,
    up: Arc<AtomicBool>,
    links: Arc<tokio::sync::Mutex<JoinSet<()>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let links = Arc::new(tokio::sync::Mutex::new(JoinSet::new()));
        let (u, l) = (up.clone(), links.clone());
        let accept = tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                let upstream = upstream.clone();
                let forward = u.load(Ordering::SeqCst);
                l.lock().await.spawn(async move {
                    if !forward {
                        // Blackholed: held open until the proxy is restored or dropped.
                        let _held = client;
                        std::future::pending::<()>().await;
                        return;
                    }
                    if let Ok(mut server) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
        Proxy {
            addr,
            up,
            links,
            accept,
        }
    }

    /// Closes every forwarded and held connection; new ones are held unanswered.
    async fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.links.lock().await.abort_all();
    }

    /// Forwards new connections again (held ones are closed: their client gave up on them).
    async fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
        self.links.lock().await.abort_all();
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// Requests that touch the database through each answer format, and what each says when the
/// database is there.
async fn probe_all(app: &TestApp, api: &api_common::Api) -> Vec<(String, StatusCode, Option<String>, Duration)> {
    probe_rotated(app, api, 0).await
}

/// [`probe_all`] starting at call `first`.
async fn probe_rotated(
    app: &TestApp,
    api: &api_common::Api,
    first: usize,
) -> Vec<(String, StatusCode, Option<String>, Duration)> {
    let mut out = Vec::new();
    // The connector and tus first: before the circuit opens they answer from their own code.
    let calls: Vec<(&str, reqwest::RequestBuilder)> = vec![
        (
            "POST iCIMS token",
            common::client().post(app.url("/connectors/icims/oauth/token")).form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "x"),
                ("client_secret", "y"),
            ]),
        ),
        (
            "HEAD tus upload",
            common::client()
                .head(app.url("/uploads/up_outage"))
                .header("Tus-Resumable", "1.0.0")
                .header("X-Shortlist-Candidate-Token", "not-a-candidate"),
        ),
        ("GET /api/v1/positions", api.c.get(format!("{}/positions", api.base))),
        (
            "POST /api/v1/templates (Idempotency-Key)",
            api.c
                .post(format!("{}/templates", api.base))
                .header("Idempotency-Key", api_common::unique())
                .json(&json!({"key": api_common::unique(), "spec": api_common::spec("Outage", 1)})),
        ),
        ("GET /positions (page)", api.c.get(app.url("/positions"))),
    ];
    let mut calls = calls;
    calls.rotate_left(first);
    for (name, req) in calls {
        let started = Instant::now();
        let r = req.timeout(Duration::from_secs(30)).send().await.unwrap();
        let took = started.elapsed();
        let header = |n: &str| r.headers().get(n).map(|v| v.to_str().unwrap().to_string());
        let retry = header("retry-after");
        // The answer's format rides along in the name, so a failure shows it.
        let kind = header("content-type").unwrap_or_default();
        out.push((format!("{name} [{kind}]"), r.status(), retry, took));
    }
    out
}

/// While the proxy is cut: rounds of requests, each 503 with Retry-After in bounded time (the
/// first ones wait for the pool's short timeout, later ones are answered by the open circuit;
/// none hangs for the old 10 s, none is a 500), /readyz 503 within a second, /healthz 200.
async fn outage(app: &TestApp, api: &api_common::Api, rotate: usize, n: usize) {
    for round in 0..3 {
        for (name, status, retry, took) in probe_rotated(app, api, rotate).await {
            println!("outage {n} round {round}: {name}: {status} in {took:?}");
            assert_eq!(
                status,
                StatusCode::SERVICE_UNAVAILABLE,
                "outage {n} round {round}, {name}"
            );
            assert_eq!(
                retry.as_deref(),
                Some("5"),
                "outage {n} round {round}, {name}: Retry-After"
            );
            assert!(
                took < Duration::from_secs(3),
                "outage {n} round {round}, {name}: took {took:?}"
            );
            // Each surface in its own format.
            let format_ok = if name.contains("/api/") {
                name.contains("[application/problem+json]")
            } else if name.contains("page") {
                name.contains("[text/html")
            } else if name.contains("iCIMS") {
                name.contains("[application/json]")
            } else {
                true
            };
            assert!(format_ok, "outage {n} round {round}: {name}");
        }
        let started = Instant::now();
        let ready = common::client().get(app.url("/readyz")).send().await.unwrap();
        let took = started.elapsed();
        println!("outage {n} round {round}: /readyz: {} in {took:?}", ready.status());
        assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE, "outage {n}: /readyz");
        let body: serde_json::Value = ready.json().await.unwrap();
        assert_eq!(body["database"], "unreachable");
        assert!(took < Duration::from_secs(1), "outage {n}: /readyz took {took:?}");
    }
    let health = common::client().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(
        health.status(),
        StatusCode::OK,
        "liveness must not fail for a database outage"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_answers_503_quickly_and_passes_without_a_restart() {
    if common::backend() != "postgres" {
        println!(
            "skipped: the outage is a cut TCP link to PostgreSQL; SQLite is a local file (run with TEST_BACKEND=postgres)"
        );
        return;
    }
    let real = TestDb::fresh().await;
    let mut url = url::Url::parse(&real.url).unwrap();
    let upstream = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432));
    let proxy = Proxy::start(upstream).await;
    url.set_port(Some(proxy.addr.port())).unwrap();
    url.set_host(Some("127.0.0.1")).unwrap();
    let db = TestDb {
        url: url.to_string(),
        dir: tempfile::tempdir().unwrap(),
    };
    let app = TestApp::spawn_on(db, tempfile::tempdir().unwrap(), &[]).await;
    let api = api_common::sign_in(&app, Role::Admin).await;

    // Traffic while the database is there: nothing is unavailable.
    for (name, status, _, _) in probe_all(&app, &api).await {
        assert!(
            status != StatusCode::SERVICE_UNAVAILABLE && !status.is_server_error(),
            "{name}: {status} before the outage"
        );
    }

    // Two outages: the circuit opens after three answers in a row, so each surface answers
    // from its own code in one of them (the first three calls) and from the circuit in the other.
    for (n, rotate) in [(1, 2), (2, 0)] {
        proxy.cut().await;
        outage(&app, &api, rotate, n).await;
        proxy.restore().await;
        let back = common::eventually(Duration::from_secs(20), || async {
            let (s, _) = api.get("/positions").await;
            (s == StatusCode::OK).then_some(())
        })
        .await;
        assert!(
            back.is_some(),
            "outage {n}: requests did not succeed again after the database came back"
        );
    }
    for (name, status, _, _) in probe_all(&app, &api).await {
        assert!(!status.is_server_error(), "{name}: {status} after the outage");
    }
    let ready = common::client().get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    // What was created through the API before and after the outage is in the database.
    let (s, list) = api.get("/templates").await;
    assert_eq!(s, StatusCode::OK);
    assert!(list.to_string().contains("Outage"), "templates: {list}");
    app.stop().await;
}
