//! Greenhouse `POST /connectors/greenhouse/send_test` (issue 14): N orders, each a distinct
//! candidate and a distinct instance `url`, so each one creates an invitation, its e-mail job
//! and its timers; 5 % replay an earlier instance and must be answered the same
//! `partner_interview_id`. Basic auth with the key `app.greenhouse.connect` issued. The anchor,
//! in the same run: a plain axum handler that parses the same body into the same struct and
//! writes one row in one transaction to the same kind of database (its own SQLite file, or a
//! table in the same fresh PostgreSQL database), sent the same load by the same client.
//! Afterwards, where the time goes: the key check alone and `send_test` called in process
//! (no HTTP). Bounded: N orders per side (default 5,000), a time limit per side, 127.0.0.1 only.
//!
//! Every connection may make 200 calls/s with a burst of 2,000 (crates/web/src/connectors), so
//! the orders are spread round-robin over enough organisations, each with its own connection and
//! key, that none is refused: what is measured is the work per call, as on a server hosting
//! several customers.

use anyhow::Context;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use clap::Parser;
use shortlist_app::connectors::AtsConnection;
use shortlist_app::connectors::greenhouse::SendTest;
use shortlist_bench::harness::{self, Bench};
use shortlist_bench::load::{self, Latencies};
use shortlist_store::Db;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const PATH: &str = "/connectors/greenhouse/send_test";
const TEST: &str = "support-video";
/// Calls per organisation, below the inbound burst of 2,000 so no call is refused (429).
const PER_ORG: usize = 1_800;
/// A replay re-sends an instance at least this many orders back, so the original was answered.
const REPLAY_GAP: usize = 128;

#[derive(Parser)]
struct Args {
    /// Orders sent to each side (the anchor, then Shortlist).
    #[arg(long, env = "BENCH_ORDERS", default_value_t = 5_000)]
    orders: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 32)]
    in_flight: usize,
    /// Share of orders that replay an earlier instance.
    #[arg(long, default_value_t = 0.05)]
    replay_share: f64,
    /// `sqlite` (temporary files) or `postgres` (a fresh database on BENCH_PG_ADMIN_URL,
    /// default postgres://postgres@127.0.0.1:5432/postgres, dropped at the end). A set
    /// BENCH_DATABASE_URL (scripts/test-services) wins over both.
    #[arg(long, default_value = "sqlite")]
    backend: String,
    /// Calls per stage when measuring where the time goes (0: skip).
    #[arg(long, default_value_t = 1_000)]
    stage_calls: usize,
    /// Each side must finish within this many seconds.
    #[arg(long, default_value_t = 300)]
    max_secs: u64,
}

/// One order: new (index of its instance) or a replay of an earlier one.
#[derive(Clone, Copy)]
enum Send {
    New(usize),
    Replay(usize),
}

/// The order of the sends: every `1/share`-th one replays the instance REPLAY_GAP new ones back.
fn plan(n: usize, share: f64) -> (Vec<Send>, usize) {
    let replays = (n as f64 * share).round() as usize;
    let every = n.checked_div(replays).map_or(usize::MAX, |e| e.max(1));
    let (mut sends, mut fresh) = (Vec::with_capacity(n), 0);
    while sends.len() < n {
        let i = sends.len();
        if i % every == every - 1 && fresh > REPLAY_GAP {
            sends.push(Send::Replay(fresh - 1 - REPLAY_GAP));
        } else {
            sends.push(Send::New(fresh));
            fresh += 1;
        }
    }
    (sends, fresh)
}

/// Greenhouse's send_test body for instance `i` of side `tag` (the simulator's shape).
fn body(tag: &str, i: usize) -> serde_json::Value {
    // A person id of its own per side, so the in-process stage's candidates are new people too.
    let side = match tag {
        "anchor" => 1,
        "ours" => 2,
        _ => 3,
    };
    // (stages.rs gives its step-by-step orders people 40,000,000 + i.)
    let person = side * 10_000_000 + i;
    serde_json::json!({
        "partner_test_id": TEST,
        "candidate": {
            "first_name": format!("Cand{i}"), "last_name": "Bench", "preferred_name": format!("Cand{i}"),
            "email": format!("{tag}-{i}@example.com"),
            "resume_url": format!("https://greenhouse.example/resumes/{i}"),
            "phone_number": "+1 555 0100",
            "greenhouse_profile_url": format!("https://app.greenhouse.io/people/{person}?application_id={}", 10_000 + i),
        },
        "sent_by": "recruiter@greenhouse.example",
        "url": format!("https://harvest.greenhouse.io/v1/partner/{tag}/instances/{i}"),
    })
}

struct Run {
    lat: Latencies,
    /// ("new" | "replay", HTTP status) → count.
    statuses: BTreeMap<(&'static str, u16), usize>,
    /// Replays answered another id than their instance's first answer.
    mismatched: usize,
}

impl Run {
    fn summary(&self) -> String {
        let s: Vec<String> = self
            .statuses
            .iter()
            .map(|((k, st), n)| format!("{k} {st}: {n}"))
            .collect();
        format!("{} ({})", self.lat.summary("orders/s"), s.join(", "))
    }
}

/// Sends the planned orders to `url`, `in_flight` at a time, instance `i` with `keys[i % orgs]`.
async fn run(url: &str, tag: &'static str, keys: &[String], sends: Vec<Send>, a: &Args) -> anyhow::Result<Run> {
    let client = load::client(a.in_flight)?;
    let auths: Arc<Vec<String>> = Arc::new(
        keys.iter()
            .map(|k| format!("Basic {}", STANDARD.encode(format!("{k}:"))))
            .collect(),
    );
    let fresh = sends.iter().filter(|s| matches!(s, Send::New(_))).count();
    let ids = Arc::new(Mutex::new(vec![None::<String>; fresh]));
    let seen = Arc::new(Mutex::new((BTreeMap::new(), 0usize)));
    let (ids2, seen2, url) = (ids.clone(), seen.clone(), url.to_string());
    let lat = load::closed_loop(sends.len(), a.in_flight, Duration::from_secs(a.max_secs), move |n| {
        let (client, auths, ids, seen, url, send) = (
            client.clone(),
            auths.clone(),
            ids2.clone(),
            seen2.clone(),
            url.clone(),
            sends[n],
        );
        async move {
            let (kind, i) = match send {
                Send::New(i) => ("new", i),
                Send::Replay(i) => ("replay", i),
            };
            let r = client
                .post(&url)
                .header(header::AUTHORIZATION, &auths[i % auths.len()])
                .json(&body(tag, i))
                .send()
                .await?;
            let status = r.status().as_u16();
            let answer: serde_json::Value = r.json().await.unwrap_or_default();
            anyhow::ensure!(status == 200, "{kind} order {i}: status {status}: {answer}");
            let id = answer["partner_interview_id"].as_str().map(str::to_string);
            let mismatch = {
                let mut ids = ids.lock().unwrap_or_else(|e| e.into_inner());
                match send {
                    Send::New(_) => {
                        ids[i] = id;
                        false
                    }
                    Send::Replay(_) => ids[i].is_none() || ids[i] != id,
                }
            };
            let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
            *seen.0.entry((kind, status)).or_insert(0) += 1;
            seen.1 += usize::from(mismatch);
            Ok(())
        }
    })
    .await?;
    let (statuses, mismatched) = std::mem::take(&mut *seen.lock().unwrap_or_else(|e| e.into_inner()));
    Ok(Run {
        lat,
        statuses,
        mismatched,
    })
}

/// The anchor's whole work: the body parsed into the same struct, one row in one transaction.
async fn anchor_send(State(db): State<Db>, body: Bytes) -> Response {
    let Ok(req) = serde_json::from_slice::<SendTest>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let c = req.candidate.as_ref();
    let id = format!("{:032x}", rand::random::<u128>());
    let sql =
        "INSERT INTO anchor_send_test (id, url, test, email, first_name, last_name) VALUES ($1, $2, $3, $4, $5, $6)";
    let test = req.partner_test_id.map(|t| t.to_string()).unwrap_or_default();
    let written = shortlist_store::on_db!(&db, p => async {
        let mut tx = p.begin().await?;
        sqlx::query(sql)
            .bind(&id)
            .bind(&req.url)
            .bind(&test)
            .bind(c.and_then(|c| c.email.clone()))
            .bind(c.and_then(|c| c.first_name.clone()))
            .bind(c.and_then(|c| c.last_name.clone()))
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    }.await);
    match written {
        Ok(()) => axum::Json(serde_json::json!({ "partner_interview_id": id })).into_response(),
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// Enough organisations that none exceeds PER_ORG calls, each with the test and a Greenhouse
/// connection; returns their connections and keys.
async fn connect(bench: &Bench, orders: usize) -> anyhow::Result<Vec<(AtsConnection, String)>> {
    let mut out = vec![];
    for j in 0..orders.div_ceil(PER_ORG).max(1) {
        let who = bench
            .admin_org(&format!("Bench {j}"), &format!("bench{j}@example.com"), false)
            .await?;
        let uid = who.user_id.clone().context("admin without a user id")?;
        let spec = serde_json::from_value(serde_json::json!({ "name": "Support screening", "questions": [
            { "id": "q1", "kind": "text", "prompt": "Why this job?" }
        ]}))?;
        bench.app.recruiting.create_template(&who, TEST, spec).await?;
        out.push(bench.app.greenhouse.connect(&who.org_id, &uid, None).await?);
    }
    Ok(out)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let machine = harness::machine_note();
    let fresh_pg = match (std::env::var("BENCH_DATABASE_URL").ok(), args.backend.as_str()) {
        (Some(_), _) | (None, "sqlite") => None,
        (None, "postgres") => Some(pg::FreshDb::create().await?),
        (None, other) => anyhow::bail!("--backend must be sqlite or postgres, not {other}"),
    };
    let result = measure(&args, fresh_pg.as_ref().map(|f| f.url.as_str()), &machine).await;
    if let Some(f) = fresh_pg {
        f.drop_db().await?;
    }
    result
}

async fn measure(args: &Args, db_url: Option<&str>, machine: &str) -> anyhow::Result<()> {
    let bench = Bench::start_on(db_url, &[]).await?;
    let app = &bench.app;
    let conns = connect(&bench, args.orders).await?;
    let keys: Vec<String> = conns.iter().map(|(_, k)| k.clone()).collect();
    let ours_url = format!("http://{}{PATH}", harness::serve(bench.router()).await?);

    // The anchor's database: the same kind, with the store's own pool settings.
    let anchor_dir = tempfile::tempdir()?;
    let anchor_db = match &app.db {
        Db::Sqlite(_) => Db::connect(&format!("sqlite://{}", anchor_dir.path().join("anchor.db").display())).await?,
        Db::Postgres(_) => app.db.clone(),
    };
    let ddl = "CREATE TABLE anchor_send_test (id TEXT PRIMARY KEY, url TEXT, test TEXT, email TEXT, \
               first_name TEXT, last_name TEXT)";
    shortlist_store::on_db!(&anchor_db, p => sqlx::query(ddl).execute(p).await.map(drop))?;
    let plain = Router::new()
        .route(PATH, post(anchor_send))
        .with_state(anchor_db.clone());
    let anchor_url = format!("http://{}{PATH}", harness::serve(plain).await?);

    let (sends, fresh) = plan(args.orders, args.replay_share);
    let anchor = run(&anchor_url, "anchor", &keys, sends.clone(), args).await?;
    let ours = run(&ours_url, "ours", &keys, sends, args).await?;

    let sql = "SELECT COUNT(*), COUNT(DISTINCT candidate_id) FROM invitations";
    let (invitations, candidates): (i64, i64) =
        shortlist_store::on_db!(&app.db, p => sqlx::query_as(sql).fetch_one(p).await)?;
    let (jobs,): (i64,) =
        shortlist_store::on_db!(&app.db, p => sqlx::query_as("SELECT COUNT(*) FROM jobs").fetch_one(p).await)?;
    let (rows,): (i64,) = shortlist_store::on_db!(&anchor_db, p =>
        sqlx::query_as("SELECT COUNT(*) FROM anchor_send_test").fetch_one(p).await)?;
    let sanity = format!(
        "Sanity: {invitations} invitations for {candidates} distinct candidates from {fresh} distinct instances; \
         {jobs} queued jobs (e-mails and timers); {} replays answered another id; the anchor wrote {rows} rows.",
        ours.mismatched
    );
    println!("Shortlist: {}\nanchor: {}\n{sanity}", ours.summary(), anchor.summary());
    anyhow::ensure!(
        invitations == candidates && invitations as usize == fresh && ours.mismatched == 0,
        "invitations do not match the instances sent, or a replay got another id"
    );
    let stages = if args.stage_calls > 0 {
        stages::measure(app, &conns, args).await?
    } else {
        String::new()
    };
    println!("{stages}");

    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    let goal = format!(
        "Goal (issue 14): ≥ 0.3× the anchor's throughput and p99 < 50 ms: {}.",
        if ratio(ours.lat.rate(), anchor.lat.rate()) >= 0.3 && ours.lat.pct(0.99) < 50.0 {
            "met"
        } else {
            "missed"
        }
    );
    let backend = bench.backend.clone();
    shortlist_bench::Comparison {
        name: if backend == "postgres" {
            "greenhouse_send_test_postgres"
        } else {
            "greenhouse_send_test"
        },
        unit: "orders/s",
        ours: ours.lat.rate(),
        anchor: anchor.lat.rate(),
        anchor_name: "plain axum handler parsing the body and writing one row in one transaction",
        detail: format!(
            "{} send_test calls per side ({} replays of an earlier instance), {} in flight, one reqwest client over \
             loopback, HTTP Basic with the organisation key; spread round-robin over {} organisations (≤ {PER_ORG} \
             calls each, under the inbound burst of 2,000 per connection). Backend {backend} (anchor: {}), job \
             worker off, {} build; client and servers share the cores. Shortlist: {}. Anchor: {}. {sanity} {goal}\n\n\
             {stages}\n\nMachine at the start: {machine}.",
            args.orders,
            args.orders - fresh,
            args.in_flight,
            conns.len(),
            if backend == "postgres" {
                "its own table in the same database"
            } else {
                "its own SQLite file"
            },
            harness::build_kind(),
            ours.summary(),
            anchor.summary(),
        ),
    }
    .write_with(&[
        ("throughput_ratio", ratio(ours.lat.rate(), anchor.lat.rate())),
        ("p50_ms_ours", ours.lat.pct(0.5)),
        ("p50_ms_anchor", anchor.lat.pct(0.5)),
        ("p95_ms_ours", ours.lat.pct(0.95)),
        ("p95_ms_anchor", anchor.lat.pct(0.95)),
        ("p99_ms_ours", ours.lat.pct(0.99)),
        ("p99_ms_anchor", anchor.lat.pct(0.99)),
        ("p99_ratio", ratio(ours.lat.pct(0.99), anchor.lat.pct(0.99))),
    ])
}

mod stages;

mod pg {
    //! A fresh PostgreSQL database for one run, dropped at the end.
    use sqlx::{Connection, PgConnection};

    pub struct FreshDb {
        pub url: String,
        admin: String,
        name: String,
    }

    impl FreshDb {
        pub async fn create() -> anyhow::Result<FreshDb> {
            let admin = std::env::var("BENCH_PG_ADMIN_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
            let name = format!("shortlist_bench_{:08x}", rand::random::<u32>());
            let mut c = PgConnection::connect(&admin).await?;
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut c).await?;
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            Ok(FreshDb {
                url: format!("{base}/{name}"),
                admin,
                name,
            })
        }

        pub async fn drop_db(self) -> anyhow::Result<()> {
            let mut c = PgConnection::connect(&self.admin).await?;
            sqlx::query(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
                .execute(&mut c)
                .await?;
            Ok(())
        }
    }
}
