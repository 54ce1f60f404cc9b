//! iCIMS inbound events: status changes to the trigger status, POSTed by the iCIMS simulator
//! (its own event sender: JSON body, `Link` header, Basic auth) to our
//! `POST /connectors/icims/events`, where each one reads the person and job back from the
//! simulator and invites the candidate in one transaction. 5 % of the sends replay an earlier
//! event (answered 400 "already invited", nothing sent again). The anchor, in the same run: a
//! plain axum handler that only parses the same JSON body and answers 200, sent the same load
//! by the same simulator. Bounded: N events per side (default 10,000), a time limit per side,
//! 127.0.0.1 only.

use anyhow::Context;
use axum::Router;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::post;
use clap::Parser;
use shortlist_app::connectors::icims::{NewConnectionInput, StatusValues};
use shortlist_bench::harness::{self, Bench};
use shortlist_bench::load::{self, Latencies};
use shortlist_domain::OrgId;
use sim::icims::{Auth, EventTarget, SimConfig, SimHandle, Simulator};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const TRIGGER: &str = "C38356";
const PACKAGE: &str = "support-video";
const CUSTOMER: &str = "6269";
/// Candidates are spread over this many jobs, as a bulk move in a real requisition list is.
const JOBS: usize = 20;
/// A replay re-sends an event at least this many sends back, so the original was answered.
const REPLAY_GAP: usize = 128;

#[derive(Parser)]
struct Args {
    /// Events sent to each side (Shortlist, then the anchor).
    #[arg(long, env = "BENCH_EVENTS", default_value_t = 10_000)]
    events: usize,
    /// Events in flight at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Share of sends that replay an earlier event.
    #[arg(long, default_value_t = 0.05)]
    replay_share: f64,
    /// Each side must finish within this many seconds.
    #[arg(long, default_value_t = 300)]
    max_secs: u64,
}

#[derive(Clone, Copy)]
enum Send {
    Move(u64),
    Replay(u64),
}

/// Applicants in the simulator and the order their events go out in; returns the sends and
/// the number of distinct applicants moved.
fn plan(sim: &SimHandle, tag: &str, n: usize, share: f64) -> (Vec<Send>, usize) {
    let jobs: Vec<u64> = (0..JOBS)
        .map(|j| sim.add_job(&format!("Support agent {tag} {j}"), Some(PACKAGE)))
        .collect();
    let replays = (n as f64 * share).round() as usize;
    let every = n.checked_div(replays).map_or(usize::MAX, |e| e.max(1));
    let (mut sends, mut moved) = (Vec::with_capacity(n), vec![]);
    while sends.len() < n {
        let i = sends.len();
        if i % every == every - 1 && moved.len() > REPLAY_GAP {
            sends.push(Send::Replay(moved[moved.len() - 1 - REPLAY_GAP]));
            continue;
        }
        let person = sim.add_person(&format!("Cand{i}"), "Bench", Some(&format!("{tag}-{i}@example.com")));
        let wf = sim.apply(person, jobs[i % JOBS]);
        moved.push(wf);
        sends.push(Send::Move(wf));
    }
    let distinct = moved.len();
    (sends, distinct)
}

struct Run {
    lat: Latencies,
    /// ("move" | "replay", HTTP status) → count; status 0 = no reply.
    statuses: BTreeMap<(&'static str, u16), usize>,
}

impl Run {
    fn rate(&self) -> f64 {
        self.lat.rate()
    }
    fn pct(&self, q: f64) -> f64 {
        self.lat.pct(q)
    }
    fn summary(&self) -> String {
        let s: Vec<String> = self
            .statuses
            .iter()
            .map(|((k, st), n)| format!("{k} {st}: {n}"))
            .collect();
        format!("{} ({})", self.lat.summary("events/s"), s.join(", "))
    }
}

/// Sends `sends` through the simulator's event sender, `concurrency` at a time, timing each reply.
async fn run(sim: &SimHandle, sends: Vec<Send>, concurrency: usize, max: Duration) -> anyhow::Result<Run> {
    let statuses = Arc::new(Mutex::new(BTreeMap::new()));
    let (sim, seen) = (sim.clone(), statuses.clone());
    let lat = load::closed_loop(sends.len(), concurrency, max, move |i| {
        let (sim, seen, send) = (sim.clone(), seen.clone(), sends[i]);
        async move {
            let (kind, outcome) = match send {
                Send::Move(wf) => ("move", sim.move_to_status(&[wf], TRIGGER).await.into_iter().next()),
                Send::Replay(wf) => ("replay", Some(sim.replay_last(wf).await)),
            };
            let status = outcome.map_or(0, |o| o.status);
            *seen
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry((kind, status))
                .or_insert(0) += 1;
            Ok(())
        }
    })
    .await?;
    let statuses = std::mem::take(&mut *statuses.lock().unwrap_or_else(|e| e.into_inner()));
    Ok(Run { lat, statuses })
}

/// An organisation with an admin (the connection's observer), the template the jobs' package
/// names, and an iCIMS connection whose API is the simulator; returns the inbound credentials.
async fn connect(bench: &Bench, sim: &SimHandle) -> anyhow::Result<(OrgId, Auth)> {
    let app = &bench.app;
    let who = bench.admin_org("Bench", "bench@example.com", false).await?;
    let (org, uid) = (
        who.org_id.clone(),
        who.user_id.clone().context("admin without a user id")?,
    );
    let spec = serde_json::from_value(serde_json::json!({ "name": "Support screening", "questions": [
        { "id": "q1", "kind": "text", "prompt": "Why this job?" }
    ]}))?;
    app.recruiting.create_template(&who, PACKAGE, spec).await?;
    let input = NewConnectionInput {
        customer_id: CUSTOMER.into(),
        region: "us".into(),
        api_base_url: Some(sim.base_url()),
        outbound_auth_kind: "basic".into(),
        outbound_user: "shortlist-vendor".into(),
        outbound_secret: "vendor-password".into(),
        outbound_token_url: None,
        inbound_auth_kind: "basic".into(),
        trigger_statuses: vec![TRIGGER.into()],
        resend_status: None,
        status_values: StatusValues {
            sent: "D37002019004".into(),
            in_progress: "D37002019003".into(),
            complete: "D37002019001".into(),
            expired: None,
            cancelled: None,
        },
        observer_user_id: uid,
        caller_allowlist: Some(vec!["127.0.0.1/32".into()]),
        daily_budget: None,
    };
    let (_, creds) = app.icims.create_connection(&org, &input).await?;
    Ok((
        org,
        Auth::Basic {
            user: creds.user,
            password: creds.secret,
        },
    ))
}

async fn serve(router: Router) -> anyhow::Result<String> {
    Ok(format!(
        "http://{}/connectors/icims/events",
        harness::serve(router).await?
    ))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let max = Duration::from_secs(args.max_secs);
    let machine = harness::machine_note();
    let bench = Bench::start(&["--outbound-allow-private", "127.0.0.0/8"]).await?;
    let (app, backend) = (&bench.app, bench.backend.clone());
    let ours_url = serve(bench.router()).await?;
    let plain = Router::new().route(
        "/connectors/icims/events",
        post(|body: Bytes| async move {
            match serde_json::from_slice::<serde_json::Value>(&body) {
                Ok(_) => StatusCode::OK,
                Err(_) => StatusCode::BAD_REQUEST,
            }
        }),
    );
    let anchor_url = serve(plain).await?;

    let sim = Simulator::start(
        "127.0.0.1:0",
        SimConfig {
            customer_id: CUSTOMER.into(),
            api_auth: Auth::Basic {
                user: "shortlist-vendor".into(),
                password: "vendor-password".into(),
            },
        },
    )
    .await?;
    let (org, auth) = connect(&bench, &sim).await?;
    let target = |url: &str| EventTarget {
        url: url.to_string(),
        auth: auth.clone(),
        token_url: None,
        gzip: false,
    };

    let (anchor_sends, _) = plan(&sim, "anchor", args.events, args.replay_share);
    let (ours_sends, distinct) = plan(&sim, "ours", args.events, args.replay_share);
    sim.set_event_target(target(&anchor_url));
    let anchor = run(&sim, anchor_sends, args.concurrency, max).await?;
    sim.set_event_target(target(&ours_url));
    let ours = run(&sim, ours_sends, args.concurrency, max).await?;

    let sql = "SELECT COUNT(*), COUNT(DISTINCT candidate_id) FROM invitations WHERE org_id = $1";
    let (invitations, candidates): (i64, i64) =
        shortlist_store::on_db!(&app.db, p => sqlx::query_as(sql).bind(org.as_str()).fetch_one(p).await)?;
    let sanity = format!(
        "Sanity: {invitations} invitations for {candidates} distinct candidates; {distinct} distinct applicants moved."
    );
    println!("Shortlist: {}\nanchor: {}\n{sanity}", ours.summary(), anchor.summary());
    anyhow::ensure!(
        invitations == candidates && invitations as usize == distinct,
        "invitations do not match the candidates moved"
    );
    let p99_ratio = if anchor.pct(0.99) > 0.0 {
        ours.pct(0.99) / anchor.pct(0.99)
    } else {
        0.0
    };
    shortlist_bench::Comparison {
        name: "icims_events",
        unit: "events/s",
        ours: ours.rate(),
        anchor: anchor.rate(),
        anchor_name: "plain axum handler parsing the JSON body",
        detail: format!(
            "{} WorkFlowStatusChangeEvents per side ({} replays of an earlier event), {} in flight, sent by the \
             iCIMS simulator (Basic auth, Link header) over loopback; backend {backend}, job worker off, {} build; client, \
             simulator and servers share the cores. Shortlist: {}. Anchor: {}. {sanity} Machine at the start: {machine}.",
            args.events,
            args.events - distinct,
            args.concurrency,
            harness::build_kind(),
            ours.summary(),
            anchor.summary(),
        ),
    }
    .write_with(&[
        ("throughput_ratio", ours.rate() / anchor.rate().max(f64::MIN_POSITIVE)),
        ("p50_ms_ours", ours.pct(0.5)),
        ("p50_ms_anchor", anchor.pct(0.5)),
        ("p99_ms_ours", ours.pct(0.99)),
        ("p99_ms_anchor", anchor.pct(0.99)),
        ("p99_ratio", p99_ratio),
    ])
}
