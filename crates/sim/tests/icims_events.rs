#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Outbound events, received by a tiny real vendor endpoint that records what arrived and answers
//! the way a vendor would (200, 303 with Location, 400 with a userMessage).

use std::io::Read;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use sim::icims::{Auth, EventTarget, SimConfig, SimHandle, Simulator};

#[derive(Clone, Debug)]
struct Received {
    headers: HeaderMap,
    /// The JSON after undoing any Content-Encoding.
    json: Value,
}

#[derive(Clone, Default)]
struct Vendor {
    events: Arc<Mutex<Vec<Received>>>,
    token_calls: Arc<Mutex<u32>>,
}

const VENDOR_TOKEN: &str = "vendor-issued-token";

async fn events(State(v): State<Vendor>, headers: HeaderMap, body: Bytes) -> Response {
    let raw = if headers.get(header::CONTENT_ENCODING).is_some_and(|e| e == "gzip") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&body[..]).read_to_end(&mut out).unwrap();
        out
    } else {
        body.to_vec()
    };
    let json: Value = serde_json::from_slice(&raw).unwrap();
    v.events.lock().unwrap().push(Received {
        headers,
        json: json.clone(),
    });
    if json["eventType"] == "AssessmentEvent" {
        return (StatusCode::SEE_OTHER, [(header::LOCATION, "http://127.0.0.1:9/i/abc")]).into_response();
    }
    if json["newStatus"] == "C2030" {
        let err = json!({"error": {"userMessage": "Ada was already invited on 1 May.", "debugErrorMessage": "dup"}});
        return (StatusCode::BAD_REQUEST, axum::Json(err)).into_response();
    }
    StatusCode::OK.into_response()
}

async fn token(State(v): State<Vendor>, headers: HeaderMap, body: Bytes) -> Response {
    *v.token_calls.lock().unwrap() += 1;
    let basic = headers.get(header::AUTHORIZATION).unwrap().to_str().unwrap().to_owned();
    // base64("icims-client:icims-secret")
    assert_eq!(basic, "Basic aWNpbXMtY2xpZW50OmljaW1zLXNlY3JldA==");
    assert!(String::from_utf8_lossy(&body).contains("grant_type=client_credentials"));
    axum::Json(json!({"access_token": VENDOR_TOKEN, "token_type": "Bearer", "expires_in": 3600})).into_response()
}

async fn vendor() -> (Vendor, String) {
    let v = Vendor::default();
    let app = Router::new()
        .route("/events", post(events))
        .route("/token", post(token))
        .with_state(v.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (v, base)
}

async fn sim() -> SimHandle {
    let api_auth = Auth::Basic {
        user: "u".into(),
        password: "p".into(),
    };
    Simulator::start(
        "127.0.0.1:0",
        SimConfig {
            customer_id: "6269".into(),
            api_auth,
        },
    )
    .await
    .unwrap()
}

fn basic_target(base: &str, gzip: bool) -> EventTarget {
    let auth = Auth::Basic {
        user: "icims".into(),
        password: "inbound-secret".into(),
    };
    EventTarget {
        url: format!("{base}/events"),
        auth,
        token_url: None,
        gzip,
    }
}

#[tokio::test]
async fn a_bulk_move_posts_one_documented_event_per_workflow() {
    let (vendor, base) = vendor().await;
    let sim = sim().await;
    sim.set_event_target(basic_target(&base, false));
    let job = sim.add_job("Support Agent", Some("support-video"));
    let ada = sim.add_person("Ada", "Lovelace", Some("ada@candidates.example"));
    let alan = sim.add_person("Alan", "Turing", Some("alan@candidates.example"));
    let (wf1, wf2) = (sim.apply(ada, job), sim.apply(alan, job));

    let outcomes = sim.move_to_status(&[wf1, wf2], "C38356").await;
    assert_eq!(outcomes.iter().map(|o| o.status).collect::<Vec<_>>(), [200, 200]);
    assert_eq!(outcomes[0].summary(), "sent");
    assert_eq!(sim.workflow(wf1).unwrap().status, "C38356");

    let got = vendor.events.lock().unwrap().clone();
    assert_eq!(got.len(), 2);
    let ev = got
        .iter()
        .find(|r| r.json["systemId"].as_str().and_then(|s| s.parse().ok()) == Some(wf1))
        .unwrap();
    let j = &ev.json;
    assert_eq!(j["customerId"], "6269");
    assert_eq!(j["eventType"], "WorkFlowStatusChangeEvent");
    assert_eq!(
        (j["jobId"].as_str(), j["personId"].as_str()),
        (Some(&*job.to_string()), Some(&*ada.to_string()))
    );
    assert_eq!(
        (j["newStatus"].as_str(), j["oldStatus"].as_str()),
        (Some("C38356"), Some("C2028"))
    );
    assert!(j["userId"].as_str().is_some());
    let rels: Vec<&str> = j["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    assert_eq!(rels, ["applicantWorkflow", "job", "person", "user"]);
    let wf_url = format!("{}/applicantworkflows/{wf1}", sim.customer_url());
    assert_eq!(j["links"][0]["url"], wf_url.as_str());

    // The Link header repeats the links in iCIMS's captured shape.
    let link = ev.headers["link"].to_str().unwrap();
    assert!(
        link.starts_with(&format!(
            "{wf_url};rel=\"applicantWorkflow\";title=\"Applicant Workflow\","
        )),
        "{link}"
    );
    assert_eq!(ev.headers["authorization"], "Basic aWNpbXM6aW5ib3VuZC1zZWNyZXQ=");
    assert_eq!(ev.headers["content-type"], "application/json");
    assert!(ev.headers.contains_key("content-length"));

    // The person link is readable with the API credentials, as the connector will do.
    let person_url = j["links"][2]["url"].as_str().unwrap();
    let person: Value = reqwest::Client::new()
        .get(person_url)
        .basic_auth("u", Some("p"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(person["email"], "ada@candidates.example");
}

#[tokio::test]
async fn replies_are_read_like_the_icims_ui_reads_them() {
    let (vendor, base) = vendor().await;
    let sim = sim().await;
    sim.set_event_target(basic_target(&base, false));
    let job = sim.add_job("Support Agent", None);
    let ada = sim.add_person("Ada", "Lovelace", None);
    let wf = sim.apply(ada, job);

    let refused = sim.move_to_status(&[wf], "C2030").await.remove(0);
    assert_eq!(refused.status, 400);
    assert_eq!(
        refused.user_message.as_deref(),
        Some("Ada was already invited on 1 May.")
    );
    assert_eq!(refused.summary(), "error 400: Ada was already invited on 1 May.");

    let redirect = sim
        .application_complete(wf, "https://jobs-acme.icims.com/jobs/1385/support/assessment?i=1")
        .await;
    assert_eq!(redirect.status, 303);
    assert_eq!(redirect.location.as_deref(), Some("http://127.0.0.1:9/i/abc"));
    let ac = vendor.events.lock().unwrap().last().unwrap().json.clone();
    assert_eq!(ac["eventType"], "AssessmentEvent");
    assert_eq!(ac["userId"], ada.to_string());
    assert_eq!(ac["systemId"], wf.to_string());
    assert_eq!(
        ac["returnUrl"],
        "https://jobs-acme.icims.com/jobs/1385/support/assessment?i=1"
    );

    // A replay re-sends the very same body.
    let again = sim.replay_last(wf).await;
    assert_eq!(again.status, 303);
    let got = vendor.events.lock().unwrap().clone();
    assert_eq!(got[got.len() - 1].json, got[got.len() - 2].json);
    assert_eq!(sim.event_log().len(), 3);

    // No answer at all is reported, not hidden.
    sim.set_event_target(EventTarget {
        url: "http://127.0.0.1:9/events".into(),
        ..basic_target(&base, false)
    });
    let down = sim.move_to_status(&[wf], "C38356").await.remove(0);
    assert_eq!(down.status, 0);
    assert!(down.summary().starts_with("no reply"));
}

#[tokio::test]
async fn oauth_targets_get_a_bearer_token_fetched_once() {
    let (vendor, base) = vendor().await;
    let sim = sim().await;
    let auth = Auth::OAuth {
        client_id: "icims-client".into(),
        client_secret: "icims-secret".into(),
    };
    sim.set_event_target(EventTarget {
        url: format!("{base}/events"),
        auth,
        token_url: Some(format!("{base}/token")),
        gzip: false,
    });
    let job = sim.add_job("Support Agent", Some("support-video"));
    let wfs: Vec<u64> = (0..3)
        .map(|i| sim.apply(sim.add_person("P", &i.to_string(), None), job))
        .collect();

    let first = sim.move_to_status(&wfs[..1], "C38356").await;
    let rest = sim.move_to_status(&wfs[1..], "C38356").await;
    assert!(first.iter().chain(&rest).all(|o| o.status == 200));
    assert_eq!(*vendor.token_calls.lock().unwrap(), 1);
    let got = vendor.events.lock().unwrap().clone();
    assert!(
        got.iter()
            .all(|r| r.headers["authorization"] == format!("Bearer {VENDOR_TOKEN}").as_str())
    );
}

#[tokio::test]
async fn gzip_bodies_carry_content_encoding_and_decode_to_the_same_event() {
    let (vendor, base) = vendor().await;
    let sim = sim().await;
    sim.set_event_target(basic_target(&base, true));
    let job = sim.add_job("Support Agent", Some("support-video"));
    let wf = sim.apply(sim.add_person("Ada", "Lovelace", None), job);

    assert_eq!(sim.move_to_status(&[wf], "C38356").await[0].status, 200);
    let got = vendor.events.lock().unwrap().clone();
    assert_eq!(got[0].headers["content-encoding"], "gzip");
    assert_eq!(got[0].json["systemId"], wf.to_string());
    assert_eq!(got[0].json["eventType"], "WorkFlowStatusChangeEvent");
}

#[tokio::test]
async fn the_page_form_moves_workflows_and_shows_each_reply() {
    let (vendor, base) = vendor().await;
    let sim = sim().await;
    sim.set_event_target(basic_target(&base, false));
    let job = sim.add_job("Support Agent", Some("support-video"));
    let (a, b) = (
        sim.apply(sim.add_person("Ada", "L", None), job),
        sim.apply(sim.add_person("Bo", "M", None), job),
    );

    let form = format!("wf={a}&wf={b}&status=C38356&custom=");
    let html = reqwest::Client::new()
        .post(format!("{}/move", sim.base_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(html.matches("<span class=\"ok\">sent</span>").count(), 2, "{html}");
    assert_eq!(vendor.events.lock().unwrap().len(), 2);

    let html = reqwest::Client::new()
        .post(format!("{}/move", sim.base_url()))
        .body(format!("wf={a}&status=C38356&custom=C2030"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("400: Ada was already invited on 1 May."), "{html}");
    assert_eq!(sim.workflow(a).unwrap().status, "C2030");
}
