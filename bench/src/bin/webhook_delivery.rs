//! Outbound webhook delivery: invitations cancelled by a recruiter (each cancel records an
//! `invitation.cancelled` event in its transaction) reach a subscribed endpoint — a local axum
//! receiver on 127.0.0.1, allowed by `--webhook-allow-private 127.0.0.0/8` — through the whole
//! product path: the event's dispatch job, the delivery job (body frozen in a delivery row,
//! address check, Standard Webhooks signature, POST, attempt recorded in one transaction), run
//! by our job worker. The receiver verifies every signature and counts `webhook-id`s.
//!
//! Measured: deliveries per second from the first event of a burst to the last receipt; the
//! time from each event's commit to its receipt (p50/p99) in the burst and in a paced run at
//! half that rate; that every event arrived exactly once. The anchor, in the same run, to the
//! same receiver: a plain reqwest client POSTing the same number of equally sized, signed
//! bodies with the same concurrency (and a paced run at the same rate). Bounded: N events
//! (default 2,000), a time limit per phase, 127.0.0.1 only.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use clap::Parser;
use serde_json::Value;
use shortlist_app::recruiting::Actor;
use shortlist_app::recruiting::invitations::InviteRequest;
use shortlist_app::recruiting::positions::NewPosition;
use shortlist_app::webhooks::{NewEndpoint, sign};
use shortlist_bench::harness::{self, Bench};
use shortlist_bench::load::{self, Latencies};
use shortlist_domain::{InvitationId, PositionId, TemplateId};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
struct Args {
    /// Events in the burst, and signed POSTs the anchor sends.
    #[arg(long, env = "BENCH_EVENTS", default_value_t = 2000)]
    events: usize,
    /// Deliveries in flight: the job worker's concurrency (the server's default), and the anchor's.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Cancels running at once while the burst is produced.
    #[arg(long, default_value_t = 8)]
    producers: usize,
    /// Events of the paced run (at half the burst's delivery rate).
    #[arg(long, default_value_t = 300)]
    paced: usize,
    /// Each phase must finish within this many seconds.
    #[arg(long, default_value_t = 300)]
    max_secs: u64,
}

const PATH: &str = "/hooks/shortlist";
/// After the last expected receipt, how long to keep listening for duplicates.
const GRACE: Duration = Duration::from_secs(2);

/// One POST the receiver accepted.
struct Receipt {
    msg_id: String,
    /// The invitation id in the body: what the sender timed.
    key: String,
    event_id: String,
    at: Instant,
}

#[derive(Default)]
struct Inbox {
    receipts: Vec<Receipt>,
    bad_signatures: usize,
    last_body: Option<Bytes>,
}

#[derive(Default)]
struct Receiver {
    secret: Mutex<String>,
    inbox: Mutex<Inbox>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Verifies the signature as a Standard Webhooks receiver would, then notes the receipt.
async fn receive(State(r): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let at = Instant::now();
    let h = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (msg_id, ts, sig) = (h("webhook-id"), h("webhook-timestamp"), h("webhook-signature"));
    let secret = lock(&r.secret).clone();
    let text = std::str::from_utf8(&body).unwrap_or_default();
    let want = ts
        .parse::<i64>()
        .ok()
        .and_then(|t| sign::sign(&secret, &msg_id, t, text));
    if !want.is_some_and(|w| sig.split(' ').any(|s| s == w)) {
        lock(&r.inbox).bad_signatures += 1;
        return StatusCode::UNAUTHORIZED;
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let field = |p: &str| v.pointer(p).and_then(Value::as_str).unwrap_or_default().to_string();
    let receipt = Receipt {
        msg_id,
        key: field("/data/invitation/id"),
        event_id: field("/data/event_id"),
        at,
    };
    let mut inbox = lock(&r.inbox);
    inbox.receipts.push(receipt);
    inbox.last_body = Some(body);
    StatusCode::NO_CONTENT
}

/// Waits until `n` receipts are in (or `max` passed), listens [`GRACE`] longer for duplicates,
/// and empties the inbox.
async fn collect(r: &Receiver, n: usize, max: Duration) -> Inbox {
    let started = Instant::now();
    while lock(&r.inbox).receipts.len() < n && started.elapsed() < max {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    tokio::time::sleep(GRACE).await;
    std::mem::take(&mut *lock(&r.inbox))
}

/// What one phase delivered, judged from the receiver's side.
struct Tally {
    /// Deliveries (first receipt per `webhook-id`) and their times from send/commit to receipt.
    lat: Latencies,
    expected: usize,
    received: usize,
    distinct_ids: usize,
    distinct_events: usize,
    /// Sent keys with no receipt.
    missing: usize,
    bad_signatures: usize,
}

impl Tally {
    fn of(inbox: &Inbox, sent: &HashMap<String, Instant>, started: Instant) -> Tally {
        let mut ids = HashSet::new();
        let mut events = HashSet::new();
        let mut keys = HashSet::new();
        let mut millis = Vec::new();
        let mut last = started;
        for r in &inbox.receipts {
            events.insert(r.event_id.as_str());
            if !ids.insert(r.msg_id.as_str()) {
                continue;
            }
            keys.insert(r.key.as_str());
            last = last.max(r.at);
            if let Some(t) = sent.get(&r.key) {
                millis.push(r.at.saturating_duration_since(*t).as_secs_f64() * 1e3);
            }
        }
        Tally {
            lat: Latencies::new((last - started).as_secs_f64(), millis),
            expected: sent.len(),
            received: inbox.receipts.len(),
            distinct_ids: ids.len(),
            distinct_events: events.len(),
            missing: sent.keys().filter(|k| !keys.contains(k.as_str())).count(),
            bad_signatures: inbox.bad_signatures,
        }
    }

    fn duplicates(&self) -> usize {
        self.received - self.distinct_ids
    }

    fn exact(&self) -> bool {
        self.missing == 0 && self.duplicates() == 0 && self.distinct_events == self.expected && self.bad_signatures == 0
    }

    fn summary(&self) -> String {
        format!(
            "{} (expected {}, received {}, distinct webhook-ids {}, distinct event ids {}, duplicates {}, missing {}, bad signatures {})",
            self.lat.summary("deliveries/s"),
            self.expected,
            self.received,
            self.distinct_ids,
            self.distinct_events,
            self.duplicates(),
            self.missing,
            self.bad_signatures
        )
    }
}

type Sent = Arc<Mutex<HashMap<String, Instant>>>;

/// The anchor's sender: a body shaped and sized like ours (ids of the same length), signed with
/// the endpoint's secret, POSTed by one pooled reqwest client (or a fresh client per POST, the
/// cost our delivery paid before it kept one client per checked target).
#[derive(Clone)]
struct PlainSender {
    client: reqwest::Client,
    fresh_client: bool,
    url: String,
    secret: String,
    template: Arc<Value>,
    tag: char,
    sent: Sent,
}

impl PlainSender {
    async fn send(self, i: usize) -> anyhow::Result<()> {
        let key = format!("inv_{}{i:031}", self.tag);
        let mut v = (*self.template).clone();
        v["data"]["invitation"]["id"] = key.clone().into();
        v["data"]["event_id"] = format!("evt_{}{i:031}", self.tag).into();
        let body = v.to_string();
        let msg_id = format!("msg_{}{i:031}", self.tag);
        let ts = i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs())?;
        let signature = sign::signature_header(std::slice::from_ref(&self.secret), &msg_id, ts, &body);
        let client = if self.fresh_client {
            reqwest::Client::builder().no_proxy().build()?
        } else {
            self.client
        };
        lock(&self.sent).insert(key, Instant::now());
        let r = client
            .post(&self.url)
            .header("content-type", "application/json")
            .header("webhook-id", msg_id)
            .header("webhook-timestamp", ts.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await?;
        anyhow::ensure!(r.status() == StatusCode::NO_CONTENT, "receiver answered {}", r.status());
        Ok(())
    }
}

/// Ours: cancels invitations (one event each) and wakes the worker, as the cancel handler does.
#[derive(Clone)]
struct Producer {
    app: shortlist::App,
    who: Actor,
    invitations: Arc<Vec<InvitationId>>,
    /// Where this run's invitations start in `invitations`.
    offset: usize,
    sent: Sent,
}

impl Producer {
    async fn cancel(self, i: usize) -> anyhow::Result<()> {
        let id = &self.invitations[self.offset + i];
        self.app.recruiting.cancel(&self.who, id).await?;
        // The event is committed when the call returns; that is when the clock starts.
        lock(&self.sent).insert(id.to_string(), Instant::now());
        self.app.wake.notify_one();
        Ok(())
    }
}

/// An organisation with a position, `n` invitations whose e-mails are already sent (so the
/// measured runs carry nothing but the events), and an endpoint subscribed to cancellations.
async fn prepare(
    bench: &Bench,
    url: &str,
    n: usize,
    max: Duration,
) -> anyhow::Result<(Actor, Vec<InvitationId>, String)> {
    let app = &bench.app;
    let who = bench.admin_org("Bench", "bench@example.com", false).await?;
    let spec = serde_json::from_value(serde_json::json!({ "name": "Support screening", "questions": [
        { "id": "q1", "kind": "text", "prompt": "Why this job?" }
    ]}))?;
    let template = app.recruiting.create_template(&who, "screening", spec).await?;
    let new = NewPosition {
        title: "Support agent".into(),
        owner: None,
        template_ids: vec![TemplateId::parse(&template.id).map_err(|e| anyhow::anyhow!("{e:?}"))?],
        external_refs: vec![],
    };
    let position = app.recruiting.create_position(&who, new).await?;
    let position = PositionId::parse(&position.id).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let mut invitations = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let rows: Vec<InviteRequest> = chunk
            .iter()
            .map(|i| InviteRequest {
                email: format!("cand{i}@example.com"),
                name: format!("Candidate {i}"),
                ..Default::default()
            })
            .collect();
        for r in app.recruiting.invite_many(&who, &position, &rows).await? {
            let id = r
                .invitation_id
                .ok_or_else(|| anyhow::anyhow!("row {} not invited: {}", r.row, r.status))?;
            invitations.push(InvitationId::parse(&id).map_err(|e| anyhow::anyhow!("{e:?}"))?);
        }
    }
    app.wake.notify_one();
    let started = Instant::now();
    let due = "SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running') AND run_at <= $1";
    loop {
        let now = app.clock.now();
        let (left,): (i64,) = shortlist_store::on_db!(&app.db, p => sqlx::query_as(due).bind(now).fetch_one(p).await)?;
        if left == 0 {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < max,
            "the invitation e-mails were not sent within {} s",
            max.as_secs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let endpoint = app
        .webhooks
        .create(
            &who,
            &NewEndpoint {
                url: url.to_string(),
                events: vec!["invitation.cancelled".into()],
                description: "benchmark receiver".into(),
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("creating the endpoint: {e}"))?;
    Ok((who, invitations, endpoint.secret))
}

fn pct_ratio(ours: &Tally, anchor: &Tally, q: f64) -> f64 {
    ours.lat.pct(q) / anchor.lat.pct(q).max(f64::MIN_POSITIVE)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (n, m, c) = (args.events, args.paced, args.concurrency);
    let max = Duration::from_secs(args.max_secs);
    let machine = harness::machine_note();
    let conc = c.to_string();
    let bench = Bench::start(&["--webhook-allow-private", "127.0.0.0/8", "--worker-concurrency", &conc]).await?;
    let receiver = Arc::new(Receiver::default());
    let router = Router::new().route(PATH, post(receive)).with_state(receiver.clone());
    let url = format!("http://{}{PATH}", harness::serve(router).await?);
    let stop = CancellationToken::new();
    let worker = tokio::spawn(bench.app.worker(&bench.serve).run(stop.clone()));
    let (who, invitations, secret) = prepare(&bench, &url, 1 + n + m, max).await?;
    *lock(&receiver.secret) = secret.clone();
    let producer = Producer {
        app: bench.app.clone(),
        who: who.clone(),
        invitations: Arc::new(invitations),
        offset: 0,
        sent: Sent::default(),
    };
    let producing = |offset: usize| Producer {
        offset,
        sent: Sent::default(),
        ..producer.clone()
    };

    // Warm-up: one event through the whole path; its body is the anchor's template.
    producing(0).cancel(0).await?;
    let warm = collect(&receiver, 1, max).await;
    let body = warm
        .last_body
        .ok_or_else(|| anyhow::anyhow!("the warm-up event was not delivered"))?;
    let plain = PlainSender {
        client: load::client(c)?,
        fresh_client: false,
        url: url.clone(),
        secret,
        template: Arc::new(serde_json::from_slice(&body)?),
        tag: 'w',
        sent: Sent::default(),
    };
    let sending = |tag: char, fresh_client: bool| PlainSender {
        tag,
        fresh_client,
        sent: Sent::default(),
        ..plain.clone()
    };
    let s = sending('w', false);
    load::closed_loop(50, c, max, move |i| s.clone().send(i)).await?;
    collect(&receiver, 50, max).await;

    // Throughput: the anchor, the anchor with a fresh client per POST, then ours.
    let mut plain_runs = vec![];
    for (tag, fresh) in [('a', false), ('f', true)] {
        let s = sending(tag, fresh);
        let (sent, started) = (s.sent.clone(), Instant::now());
        load::closed_loop(n, c, max, move |i| s.clone().send(i)).await?;
        let inbox = collect(&receiver, n, max).await;
        plain_runs.push(Tally::of(&inbox, &lock(&sent), started));
    }
    let fresh = plain_runs.pop().unwrap_or_else(|| unreachable!());
    let anchor = plain_runs.pop().unwrap_or_else(|| unreachable!());
    let p = producing(1);
    let (sent, started) = (p.sent.clone(), Instant::now());
    let made = load::closed_loop(n, args.producers, max, move |i| p.clone().cancel(i)).await?;
    let inbox = collect(&receiver, n, max).await;
    let ours = Tally::of(&inbox, &lock(&sent), started);

    // Latency without a backlog: events at half the delivery rate just measured, both sides.
    let rate = (ours.lat.rate() / 2.0).clamp(1.0, 1000.0);
    let p = producing(1 + n);
    let (sent, started) = (p.sent.clone(), Instant::now());
    load::open_loop(m, rate, max, |i| p.clone().cancel(i)).await?;
    let ours_paced = Tally::of(&collect(&receiver, m, max).await, &lock(&sent), started);
    let s = sending('p', false);
    let (sent, started) = (s.sent.clone(), Instant::now());
    load::open_loop(m, rate, max, |i| s.clone().send(i)).await?;
    let anchor_paced = Tally::of(&collect(&receiver, m, max).await, &lock(&sent), started);
    stop.cancel();
    worker.await?;

    let sql = "SELECT state, COUNT(*), CAST(SUM(attempts) AS BIGINT) FROM webhook_deliveries WHERE org_id = $1 \
               GROUP BY state ORDER BY state";
    let rows: Vec<(String, i64, Option<i64>)> = shortlist_store::on_db!(&bench.app.db, p =>
        sqlx::query_as(sql).bind(who.org_id.as_str()).fetch_all(p).await)?;
    let log: Vec<String> = rows
        .iter()
        .map(|(st, k, a)| format!("{st}: {k} deliveries, {} attempts", a.unwrap_or(0)))
        .collect();
    let backend = bench.backend.clone();
    let detail = format!(
        "{n} invitation.cancelled events produced by {} concurrent cancels (all committed in {:.2} s), delivered by our job \
         worker at concurrency {c} (dispatch job + delivery job per event) to an axum receiver on 127.0.0.1 that checks \
         every Standard Webhooks signature; backend {backend}, {} build; sender, worker and receiver share the cores. \
         Latency is from the event's commit (the cancel call returning) to the receipt, so in the burst it includes \
         the backlog. Shortlist burst: {}. Anchor (one pooled reqwest client, same receiver, {n} signed bodies of the \
         same shape and size, {c} in flight): {}. Anchor with a fresh client per POST (a new connection and TLS set-up \
         per delivery; our delivery keeps one client per checked target): {}. Paced at {rate:.0} events/s \
         ({m} events): Shortlist {}; anchor {}. Delivery log in the database: {}. Machine at the start: {machine}.",
        args.producers,
        made.secs,
        harness::build_kind(),
        ours.summary(),
        anchor.summary(),
        fresh.summary(),
        ours_paced.summary(),
        anchor_paced.summary(),
        log.join("; "),
    );
    println!("{detail}");
    shortlist_bench::Comparison {
        name: if backend == "postgres" {
            "webhook_delivery_postgres"
        } else {
            "webhook_delivery_sqlite"
        },
        unit: "deliveries/s",
        ours: ours.lat.rate(),
        anchor: anchor.lat.rate(),
        anchor_name: "plain reqwest client POSTing signed bodies",
        detail,
    }
    .write_with(&[
        ("anchor_fresh_client_per_post", fresh.lat.rate()),
        ("p50_ms_ours_burst", ours.lat.pct(0.5)),
        ("p99_ms_ours_burst", ours.lat.pct(0.99)),
        ("p50_ms_anchor", anchor.lat.pct(0.5)),
        ("p99_ms_anchor", anchor.lat.pct(0.99)),
        ("paced_events_per_s", rate),
        ("p50_ms_ours_paced", ours_paced.lat.pct(0.5)),
        ("p99_ms_ours_paced", ours_paced.lat.pct(0.99)),
        ("p50_ms_anchor_paced", anchor_paced.lat.pct(0.5)),
        ("p99_ms_anchor_paced", anchor_paced.lat.pct(0.99)),
        ("p50_ratio_paced", pct_ratio(&ours_paced, &anchor_paced, 0.5)),
        ("p99_ratio_paced", pct_ratio(&ours_paced, &anchor_paced, 0.99)),
        ("duplicates_ours", (ours.duplicates() + ours_paced.duplicates()) as f64),
        ("missing_ours", (ours.missing + ours_paced.missing) as f64),
    ])?;
    for (name, t) in [
        ("burst", &ours),
        ("paced", &ours_paced),
        ("anchor", &anchor),
        ("fresh", &fresh),
        ("anchor paced", &anchor_paced),
    ] {
        anyhow::ensure!(
            t.exact(),
            "{name}: not every event arrived exactly once: {}",
            t.summary()
        );
    }
    Ok(())
}
