//! Outbound integration events, sent the way iCIMS sends them: JSON body with the documented fields,
//! the resource links repeated in a `Link` header, Basic or OAuth bearer auth, optionally gzip'd —
//! and the reply read the way the iCIMS UI reads it (200 sent, 303 open Location, else userMessage).

use std::io::Write;
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::write::GzEncoder;
use reqwest::header::{ACCEPT_ENCODING, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, LOCATION};
use serde_json::{Value, json};

use super::state::SentEvent;
use super::{Auth, EventOutcome, EventTarget, SimHandle};

/// iCIMS staff describe ~30 s as the usual client time-out for an event.
const EVENT_TIMEOUT: Duration = Duration::from_secs(30);

pub(crate) fn http_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .http1_only()
        .timeout(EVENT_TIMEOUT)
        // A 303 is the answer we must show, not something to follow.
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

fn no_reply(message: &str) -> EventOutcome {
    EventOutcome {
        status: 0,
        location: None,
        body: String::new(),
        user_message: Some(message.to_owned()),
    }
}

/// `{"links":[{rel,title,url}]}` for the workflow, its job, its person and the acting user.
fn links(sim: &SimHandle, wf: u64, job: u64, person: u64, user: u64, user_title: &str) -> Value {
    let base = sim.customer_url();
    json!([
        {"rel": "applicantWorkflow", "title": "Applicant Workflow", "url": format!("{base}/applicantworkflows/{wf}")},
        {"rel": "job", "title": "Job Profile", "url": format!("{base}/jobs/{job}")},
        {"rel": "person", "title": "Person Profile", "url": format!("{base}/people/{person}")},
        {"rel": "user", "title": user_title, "url": format!("{base}/people/{user}")},
    ])
}

pub(crate) async fn move_to_status(sim: &SimHandle, workflows: &[u64], status: &str) -> Vec<EventOutcome> {
    let mut bodies = Vec::new();
    {
        let mut st = sim.st();
        let user = st.recruiter;
        for wf in workflows {
            let Some(w) = st.workflows.get_mut(wf) else {
                bodies.push((*wf, None));
                continue;
            };
            let old = std::mem::replace(&mut w.status, status.to_owned());
            let (job, person) = (w.job, w.person);
            let body = json!({
                "customerId": sim.inner.cfg.customer_id,
                "eventType": "WorkFlowStatusChangeEvent",
                "systemId": wf.to_string(),
                "jobId": job.to_string(),
                "personId": person.to_string(),
                "userId": user.to_string(),
                "newStatus": status,
                "oldStatus": old,
                "links": links(sim, *wf, job, person, user, "Posting User"),
            });
            let ev = SentEvent {
                event_type: "WorkFlowStatusChangeEvent".to_owned(),
                body,
            };
            st.last_event.insert(*wf, ev.clone());
            bodies.push((*wf, Some(ev)));
        }
    }
    // A bulk move in iCIMS fires its events together; the connector must cope with that.
    let posts = bodies.into_iter().map(|(wf, ev)| async move {
        match ev {
            Some(ev) => post_event(sim, wf, &ev).await,
            None => no_reply(&format!("workflow {wf} does not exist in the simulator")),
        }
    });
    futures::future::join_all(posts).await
}

pub(crate) async fn application_complete(sim: &SimHandle, wf: u64, return_url: &str, event_type: &str) -> EventOutcome {
    let ev = {
        let mut st = sim.st();
        let Some(w) = st.workflows.get(&wf) else {
            return no_reply(&format!("workflow {wf} does not exist in the simulator"));
        };
        let (job, person) = (w.job, w.person);
        // Here `userId` is the candidate: they are the one finishing the apply flow.
        let body = json!({
            "customerId": sim.inner.cfg.customer_id,
            "eventType": event_type,
            "systemId": wf.to_string(),
            "userId": person.to_string(),
            "returnUrl": return_url,
            "links": links(sim, wf, job, person, person, "Applicant"),
        });
        let ev = SentEvent {
            event_type: event_type.to_owned(),
            body,
        };
        st.last_event.insert(wf, ev.clone());
        ev
    };
    post_event(sim, wf, &ev).await
}

pub(crate) async fn replay_last(sim: &SimHandle, wf: u64) -> EventOutcome {
    let ev = sim.st().last_event.get(&wf).cloned();
    match ev {
        Some(ev) => post_event(sim, wf, &ev).await,
        None => no_reply(&format!("no event was sent for workflow {wf} yet")),
    }
}

/// The `Link` header as captured from real iCIMS: `url;rel="…";title="…"` joined by commas, no angle brackets.
fn link_header(body: &Value) -> String {
    let links = body.get("links").and_then(Value::as_array).cloned().unwrap_or_default();
    let parts: Vec<String> = links
        .iter()
        .map(|l| {
            let s = |k: &str| l.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
            format!("{};rel=\"{}\";title=\"{}\"", s("url"), s("rel"), s("title"))
        })
        .collect();
    parts.join(",")
}

fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes)?;
    enc.finish()
}

async fn post_event(sim: &SimHandle, wf: u64, ev: &SentEvent) -> EventOutcome {
    let outcome = send(sim, ev).await;
    sim.st().event_log.push((wf, ev.event_type.clone(), outcome.clone()));
    outcome
}

async fn send(sim: &SimHandle, ev: &SentEvent) -> EventOutcome {
    let Some(target) = sim.st().event_target.clone() else {
        return no_reply("no event target is configured");
    };
    let auth = match authorization(sim, &target).await {
        Ok(a) => a,
        Err(outcome) => return outcome,
    };
    let json = ev.body.to_string().into_bytes();
    let mut req = sim
        .inner
        .http
        .post(&target.url)
        .header(CONTENT_TYPE, "application/json")
        .header(ACCEPT_ENCODING, "gzip,deflate")
        .header("link", link_header(&ev.body))
        .header(AUTHORIZATION, auth);
    req = if target.gzip {
        match gzip(&json) {
            Ok(gz) => req.header(CONTENT_ENCODING, "gzip").body(gz),
            Err(e) => return no_reply(&format!("gzip failed: {e}")),
        }
    } else {
        req.body(json)
    };
    match req.send().await {
        Ok(resp) => read_outcome(resp).await,
        Err(e) => no_reply(&format!("{e}")),
    }
}

async fn read_outcome(resp: reqwest::Response) -> EventOutcome {
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = resp.text().await.unwrap_or_default();
    let user_message = serde_json::from_str::<Value>(&body).ok().and_then(|v| {
        v.pointer("/error/userMessage")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    EventOutcome {
        status,
        location,
        body,
        user_message,
    }
}

/// The `Authorization` header value; for OAuth a cached bearer token, fetched when missing or expired.
async fn authorization(sim: &SimHandle, target: &EventTarget) -> Result<String, EventOutcome> {
    use base64::Engine;
    let (id, secret) = match &target.auth {
        Auth::Basic { user, password } => {
            let raw = format!("{user}:{password}");
            return Ok(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(raw)
            ));
        }
        Auth::OAuth {
            client_id,
            client_secret,
        } => (client_id, client_secret),
    };
    let cached = sim.st().target_token.clone();
    if let Some((token, exp)) = cached
        && exp > Instant::now()
    {
        return Ok(format!("Bearer {token}"));
    }
    let Some(url) = &target.token_url else {
        return Err(no_reply("OAuth event target without a token_url"));
    };
    // Credentials go both as a Basic header and as form fields: token endpoints differ in which they read.
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    let resp = sim
        .inner
        .http
        .post(url)
        .basic_auth(id, Some(secret))
        .form(&form)
        .send()
        .await;
    let resp = resp.map_err(|e| no_reply(&format!("token endpoint: {e}")))?;
    if !resp.status().is_success() {
        let mut outcome = read_outcome(resp).await;
        outcome
            .user_message
            .get_or_insert_with(|| "the token endpoint refused the client credentials".to_owned());
        return Err(outcome);
    }
    let v: Value = resp
        .json()
        .await
        .map_err(|e| no_reply(&format!("token endpoint answered non-JSON: {e}")))?;
    let token = v.get("access_token").and_then(Value::as_str);
    let bearer = v
        .get("token_type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case("bearer"));
    let (Some(token), true) = (token, bearer) else {
        return Err(no_reply(&format!(
            "token endpoint answered without a Bearer access_token: {v}"
        )));
    };
    let lifetime = v.get("expires_in").and_then(Value::as_u64).unwrap_or(60);
    // Renew a little early so a token never expires in flight.
    let exp = Instant::now() + Duration::from_secs(lifetime.saturating_sub(5));
    sim.st().target_token = Some((token.to_owned(), exp));
    Ok(format!("Bearer {token}"))
}
