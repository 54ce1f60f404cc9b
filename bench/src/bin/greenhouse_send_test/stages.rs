//! Where the time goes, in process (no HTTP): the key check alone and `send_test` alone at the
//! HTTP run's concurrency; then `place`'s work for a new order replayed step by step with the
//! app's and store's public calls, at the 4 orders `place` lets in at once, timing its three
//! parts: the reads before the transaction (replay lookup, position with its status, template,
//! invite preparation), the transaction (template link, candidate, invitation, its references,
//! event, e-mail job and timers) and the answer's read.

use super::{Args, SendTest, TEST, body};
use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use shortlist_app::connectors::AtsConnection;
use shortlist_app::recruiting::invitations::InviteRequest;
use shortlist_bench::load::{self, Latencies};
use shortlist_domain::{PositionId, TemplateId};
use shortlist_store::{ats, positions, templates};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `place` holds one of this many database slots for its whole run (connectors' ORDER_DB_SLOTS).
const PLACE_SLOTS: usize = 4;

fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow::anyhow!("{e:?}")
}

pub async fn measure(app: &shortlist::App, conns: &[(AtsConnection, String)], a: &Args) -> anyhow::Result<String> {
    let max = Duration::from_secs(a.max_secs);
    let gh = app.greenhouse.clone();
    let auths: Arc<Vec<String>> = Arc::new(
        conns
            .iter()
            .map(|(_, k)| format!("Basic {}", STANDARD.encode(format!("{k}:"))))
            .collect(),
    );
    let g = gh.clone();
    let auth = load::closed_loop(a.stage_calls, a.in_flight, max, move |i| {
        let (g, auths) = (g.clone(), auths.clone());
        async move {
            g.authenticate(Some(&auths[i % auths.len()]), None).await.map_err(err)?;
            Ok(())
        }
    })
    .await?;
    let only: Arc<Vec<AtsConnection>> = Arc::new(conns.iter().map(|(c, _)| c.clone()).collect());
    let direct = load::closed_loop(a.stage_calls, a.in_flight, max, move |i| {
        let (g, conns) = (gh.clone(), only.clone());
        async move {
            let req: SendTest = serde_json::from_value(body("direct", i))?;
            g.send_test(&conns[i % conns.len()], &req).await.map_err(err)?;
            Ok(())
        }
    })
    .await?;
    let mut steps = vec![];
    for (k, in_flight) in [PLACE_SLOTS, 1].into_iter().enumerate() {
        let (lat, parts) = place_parts(app, conns, a.stage_calls, in_flight, k * a.stage_calls, max).await?;
        steps.push(step_text(in_flight, &lat, &parts));
    }
    Ok(format!(
        "Where the time goes ({} calls each, in process, no HTTP). At {} in flight: the key check alone \
         (`authenticate`: connection by key id, SHA-256 of the key) {}; `send_test` alone on new instances {}. \
         `place`'s work for a new order, step by step: the reads before the transaction (replay lookup, \
         position with its status, template, its version and the organisation's settings), the transaction \
         (template link, candidate and its reference, invitation, event, instance reference, e-mail job, \
         timers) and the answer's read. {} {}",
        a.stage_calls,
        a.in_flight,
        auth.summary("calls/s"),
        direct.summary("orders/s"),
        steps[0],
        steps[1],
    ))
}

fn step_text(in_flight: usize, lat: &Latencies, parts: &[Vec<f64>; 3]) -> String {
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let total: f64 = parts.iter().map(|p| mean(p)).sum();
    let share = |p: &[f64]| {
        format!(
            "{:.2} ms ({:.0} %)",
            mean(p),
            100.0 * mean(p) / total.max(f64::MIN_POSITIVE)
        )
    };
    format!(
        "At {in_flight} in flight{}: {}; per order: reads {}, transaction {}, answer {}.",
        if in_flight == PLACE_SLOTS {
            " (the orders `place` lets in at once)"
        } else {
            " (no contention)"
        },
        lat.summary("orders/s"),
        share(&parts[0]),
        share(&parts[1]),
        share(&parts[2]),
    )
}

/// Per connection: its position for the test (made by the HTTP run) and the test's template.
async fn targets(app: &shortlist::App, conns: &[(AtsConnection, String)]) -> anyhow::Result<Vec<Target>> {
    let mut out = vec![];
    for (c, _) in conns {
        let job = c.reference(&format!("test:{TEST}"));
        let pos = positions::find_by_external(&app.db, &c.org_id, "position", &job)
            .await?
            .context("no position: the HTTP run makes one per organisation")?;
        let tpl = templates::find_by_key(&app.db, &c.org_id, TEST)
            .await?
            .context("no template")?;
        out.push(Target {
            conn: c.clone(),
            pos: PositionId::parse(&pos).map_err(err)?,
            tpl: TemplateId::parse(&tpl.id).map_err(err)?,
        });
    }
    Ok(out)
}

struct Target {
    conn: AtsConnection,
    pos: PositionId,
    tpl: TemplateId,
}

/// `place` for new orders (`Dedup::Replay`, known job, keyed package), its parts timed.
async fn place_parts(
    app: &shortlist::App,
    conns: &[(AtsConnection, String)],
    n: usize,
    in_flight: usize,
    base: usize,
    max: Duration,
) -> anyhow::Result<(Latencies, [Vec<f64>; 3])> {
    let targets = Arc::new(targets(app, conns).await?);
    let parts = Arc::new(Mutex::new([vec![], vec![], vec![]]));
    let (db, rec, out) = (app.db.clone(), app.recruiting.clone(), parts.clone());
    let lat = load::closed_loop(n, in_flight, max, move |j| {
        let i = base + j;
        let (db, rec, out, targets) = (db.clone(), rec.clone(), out.clone(), targets.clone());
        async move {
            let t = &targets[i % targets.len()];
            let (c, org) = (&t.conn, &t.conn.org_id);
            let t0 = Instant::now();
            let app_ref = c.reference(&format!("https://harvest.greenhouse.io/v1/partner/parts/instances/{i}"));
            let found = ats::invitation_for_ref(&db, org, &app_ref).await?;
            anyhow::ensure!(found.is_none(), "instance {i} is not new");
            positions::for_ref(&db, org, &c.reference(&format!("test:{TEST}"))).await?;
            let tpl_row = templates::find_by_key(&db, org, TEST)
                .await?
                .context("the bench template is missing")?;
            let req = InviteRequest {
                email: format!("parts-{i}@example.com"),
                name: format!("Cand{i} Bench"),
                phone: Some("+1 555 0100".into()),
                template_id: Some(t.tpl.to_string()),
                candidate_external_refs: vec![c.reference(&format!("{}", 40_000_000 + i))],
                invitation_external_refs: vec![app_ref],
                ..InviteRequest::default()
            };
            let who = c.actor();
            let prep = rec.prepare_invite_with(&who, tpl_row, &req).await.map_err(err)?;
            let t1 = Instant::now();
            let mut tx = db.begin().await?;
            positions::link_template(&mut tx, org, &t.pos, &t.tpl).await?;
            let done = rec
                .insert_invitation(&mut tx, &who, &t.pos, &req, &prep)
                .await
                .map_err(err)?;
            tx.commit().await?;
            let t2 = Instant::now();
            rec.outcome(org, done).await.map_err(err)?;
            let t3 = Instant::now();
            let ms = |a: Instant, b: Instant| (b - a).as_secs_f64() * 1e3;
            let mut p = out.lock().unwrap_or_else(|e| e.into_inner());
            p[0].push(ms(t0, t1));
            p[1].push(ms(t1, t2));
            p[2].push(ms(t2, t3));
            Ok(())
        }
    })
    .await?;
    let parts = std::mem::take(&mut *parts.lock().unwrap_or_else(|e| e.into_inner()));
    Ok((lat, parts))
}
