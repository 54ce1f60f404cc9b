//! Authenticated partner API throughput: `GET /api/v1/positions` with an organisation API key
//! (`Authorization: Bearer`: hash lookup, last-used stamp, scopes, rate limiter) and with
//! partner credentials (`X-Shortlist-Partner-Authorization` + `X-Shortlist-User-Email`: key
//! and secret hash lookup, user and organisation checks, policy, rate limiter), and `POST
//! /api/v1/positions/{id}/invitations` with partner credentials and an `Idempotency-Key` (each
//! a new invitation, its answer kept sealed), then the same POSTs again (replayed answers). The
//! limiters are set far above the load so none refuses. The anchor, as in http_overhead: plain
//! axum handlers on 127.0.0.1 in this process, answering the same bytes (the POST one parses
//! the JSON body first), loaded by the same client at the same concurrency. Bounded: N GETs
//! and M POSTs per case (defaults 5,000 and 2,000), a time limit per case.

use axum::Router;
use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use clap::Parser;
use shortlist_app::credentials::admin::NewPartner;
use shortlist_app::recruiting::positions::NewPosition;
use shortlist_bench::harness::{self, Bench};
use shortlist_bench::load::{self, Latencies};
use shortlist_domain::TemplateId;
use std::time::Duration;

#[derive(Parser)]
struct Args {
    /// GET requests per case.
    #[arg(long, env = "BENCH_REQUESTS", default_value_t = 5000)]
    gets: usize,
    /// POST requests per case.
    #[arg(long, env = "BENCH_POSTS", default_value_t = 2000)]
    posts: usize,
    /// Requests in flight (http_overhead's figure).
    #[arg(long, default_value_t = 32)]
    in_flight: usize,
    /// Positions the organisation has (the list answers the first page).
    #[arg(long, default_value_t = 20)]
    positions: usize,
    /// Each case must finish within this many seconds.
    #[arg(long, default_value_t = 300)]
    max_secs: u64,
}

const RATE: u32 = 100_000;

/// Sends `total` requests made by `make(i)`, `in_flight` at a time; every answer must be `expect`.
async fn run<F>(total: usize, in_flight: usize, max: Duration, expect: u16, make: F) -> anyhow::Result<Latencies>
where
    F: Fn(usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    load::closed_loop(total, in_flight, max, move |i| {
        let req = make(i);
        async move {
            let r = req.send().await?;
            let status = r.status().as_u16();
            let body = r.bytes().await?;
            anyhow::ensure!(
                status == expect,
                "status {status}, expected {expect}: {}",
                String::from_utf8_lossy(&body)
            );
            Ok(())
        }
    })
    .await
}

/// Plain axum handlers answering `list` to the GET and `created` (201) to a POST whose body is JSON.
fn anchor(list: Bytes, created: Bytes) -> Router {
    const JSON: [(header::HeaderName, &str); 1] = [(header::CONTENT_TYPE, "application/json")];
    Router::new()
        .route(
            "/api/v1/positions",
            get(move || {
                let list = list.clone();
                async move { (JSON, list) }
            }),
        )
        .route(
            "/api/v1/positions/{id}/invitations",
            post(move |body: Bytes| {
                let created = created.clone();
                async move {
                    match serde_json::from_slice::<serde_json::Value>(&body) {
                        Ok(_) => (StatusCode::CREATED, JSON, created).into_response(),
                        Err(_) => StatusCode::BAD_REQUEST.into_response(),
                    }
                }
            }),
        )
}

struct Case {
    name: &'static str,
    lat: Latencies,
    anchor: f64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let max = Duration::from_secs(args.max_secs);
    let machine = harness::machine_note();
    let mut bench = Bench::start(&[]).await?;
    bench.app.credentials.key_policy = (RATE, RATE);
    let app = bench.app.clone();
    let email: &'static str = "recruiter@example.com";
    let who = bench.admin_org("Partner bench", email, true).await?;
    let spec = serde_json::from_value(serde_json::json!({ "name": "Support screening", "questions": [
        { "id": "q1", "kind": "text", "prompt": "Why this job?" }
    ]}))?;
    let template = app.recruiting.create_template(&who, "screening", spec).await?;
    let template = TemplateId::parse(&template.id).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let mut position = String::new();
    for i in 0..args.positions {
        let new = NewPosition {
            title: format!("Support agent {i}"),
            owner: None,
            template_ids: vec![template.clone()],
            external_refs: vec![],
        };
        position = app.recruiting.create_position(&who, new).await?.id;
    }
    let key = app
        .credentials
        .create_api_key(&who, false, "bench", "*", None)
        .await?
        .token;
    let partner = app
        .credentials
        .create_partner(NewPartner {
            name: "Bench ATS",
            contact: "ops@example.com",
            orgs: vec![who.org_id.clone()],
            scopes: None,
            rate_per_sec: Some(RATE),
            burst: Some(RATE),
            ip_allow: None,
        })
        .await?;
    let partner_auth = STANDARD.encode(format!("{}:{}", partner.partner.partner_key, partner.secret));

    let ours = format!("http://{}", harness::serve(bench.router()).await?);
    let client = load::client(args.in_flight)?;
    let bearer = format!("Bearer {key}");
    let as_partner = {
        let (auth, email) = (partner_auth.clone(), email.to_string());
        move |r: reqwest::RequestBuilder| {
            r.header("X-Shortlist-Partner-Authorization", &auth)
                .header("X-Shortlist-User-Email", &email)
        }
    };
    let list_url = format!("{ours}/api/v1/positions");
    let invite_path = format!("/api/v1/positions/{position}/invitations");
    let body = move |tag: &str, i: usize| {
        serde_json::json!({
            "email": format!("{tag}{i}@example.com"), "name": format!("Candidate {i}"),
            "metadata": { "candidateId": format!("C-{i}"), "applicationId": format!("A-{i}"), "user_email": email },
        })
    };

    // One real answer of each kind: the anchor serves the same bytes.
    let list = client.get(&list_url).header("authorization", &bearer).send().await?;
    anyhow::ensure!(list.status() == 200, "GET positions: {}", list.status());
    let list = list.bytes().await?;
    let created = as_partner(client.post(format!("{ours}{invite_path}")))
        .header("Idempotency-Key", "bench-capture")
        .json(&body("capture", 0))
        .send()
        .await?;
    anyhow::ensure!(created.status() == 201, "POST invitation: {}", created.status());
    let created = created.bytes().await?;
    let plain = format!(
        "http://{}",
        harness::serve(anchor(list.clone(), created.clone())).await?
    );

    let (n, m, k) = (args.gets, args.posts, args.in_flight);
    let get_plain = {
        let (c, u) = (client.clone(), format!("{plain}/api/v1/positions"));
        move |_| c.get(&u)
    };
    let post_plain = {
        let (c, u) = (client.clone(), format!("{plain}{invite_path}"));
        move |i| {
            c.post(&u)
                .header("Idempotency-Key", format!("anchor-{i}"))
                .json(&body("anchor", i))
        }
    };
    // Warm-up: connections, caches, limiter buckets.
    run(200, 8, max, 200, get_plain.clone()).await?;
    let (c, u, b) = (client.clone(), list_url.clone(), bearer.clone());
    run(200, 8, max, 200, move |_| c.get(&u).header("authorization", &b)).await?;

    let anchor_get = run(n, k, max, 200, get_plain).await?;
    let (c, u, b) = (client.clone(), list_url.clone(), bearer.clone());
    let get_key = run(n, k, max, 200, move |_| c.get(&u).header("authorization", &b)).await?;
    let (c, u, p) = (client.clone(), list_url.clone(), as_partner.clone());
    let get_partner = run(n, k, max, 200, move |_| p(c.get(&u))).await?;
    let anchor_post = run(m, k, max, 201, post_plain).await?;
    let posting = {
        let (c, u, p) = (client.clone(), format!("{ours}{invite_path}"), as_partner.clone());
        move |i| {
            p(c.post(&u))
                .header("Idempotency-Key", format!("bench-{i}"))
                .json(&body("cand", i))
        }
    };
    let post_partner = run(m, k, max, 201, posting.clone()).await?;
    let replay = run(m, k, max, 201, posting).await?;

    let sql = "SELECT COUNT(*) FROM invitations WHERE org_id = $1";
    let (invitations,): (i64,) = shortlist_store::on_db!(&app.db, p =>
        sqlx::query_as(sql).bind(who.org_id.as_str()).fetch_one(p).await)?;
    anyhow::ensure!(
        invitations as usize == m + 1,
        "{invitations} invitations after {m} POSTs and their replays"
    );

    let cases = [
        Case {
            name: "GET /positions, organisation API key",
            lat: get_key,
            anchor: anchor_get.rate(),
        },
        Case {
            name: "GET /positions, partner credentials",
            lat: get_partner,
            anchor: anchor_get.rate(),
        },
        Case {
            name: "POST invitation, partner + Idempotency-Key (new)",
            lat: post_partner,
            anchor: anchor_post.rate(),
        },
        Case {
            name: "POST invitation, same keys again (replayed answer)",
            lat: replay,
            anchor: anchor_post.rate(),
        },
    ];
    let mut rows = format!(
        "| case | requests/s | p50 ms | p99 ms | ratio to anchor |\n|---|---|---|---|---|\n\
         | anchor: plain axum GET (same bytes) | {:.0} | {:.2} | {:.2} | 1.00 |\n\
         | anchor: plain axum POST parsing the JSON body | {:.0} | {:.2} | {:.2} | 1.00 |\n",
        anchor_get.rate(),
        anchor_get.pct(0.5),
        anchor_get.pct(0.99),
        anchor_post.rate(),
        anchor_post.pct(0.5),
        anchor_post.pct(0.99)
    );
    let mut json_cases = vec![];
    for c in &cases {
        let ratio = c.lat.rate() / c.anchor.max(f64::MIN_POSITIVE);
        rows.push_str(&format!(
            "| {} | {:.0} | {:.2} | {:.2} | {ratio:.3} |\n",
            c.name,
            c.lat.rate(),
            c.lat.pct(0.5),
            c.lat.pct(0.99)
        ));
        json_cases.push(serde_json::json!({
            "case": c.name, "requests_per_s": c.lat.rate(), "p50_ms": c.lat.pct(0.5),
            "p99_ms": c.lat.pct(0.99), "anchor_requests_per_s": c.anchor, "ratio": ratio,
        }));
    }
    let detail = format!(
        "{n} GETs and {m} POSTs per case at {k} in flight over loopback, one reqwest client; backend {}, job worker off \
         (the invitation e-mails stay queued), {} build; client and servers share the cores. Limiters at {RATE}/s with \
         burst {RATE}, so nothing is refused. The organisation has {} positions (the answer is the first page, {} bytes); an \
         invitation answer is {} bytes. After the replays the organisation has {invitations} invitations ({m} POSTed + 1 \
         captured for the anchor): the replays did no work. Machine at the start: {machine}.",
        bench.backend,
        harness::build_kind(),
        args.positions,
        list.len(),
        created.len(),
    );
    let md = format!("# partner_api\n\n{rows}\n{detail}\n");
    let json = serde_json::json!({
        "name": "partner_api", "unit": "requests/s",
        "anchor_get": { "requests_per_s": anchor_get.rate(), "p50_ms": anchor_get.pct(0.5), "p99_ms": anchor_get.pct(0.99) },
        "anchor_post": { "requests_per_s": anchor_post.rate(), "p50_ms": anchor_post.pct(0.5), "p99_ms": anchor_post.pct(0.99) },
        "cases": json_cases, "detail": detail,
    });
    shortlist_bench::write_files("partner_api", &json, &md)
}
