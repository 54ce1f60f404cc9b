#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The simulated iCIMS REST API, driven over real HTTP the way our connector calls it.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sim::icims::{Auth, PatchMode, SimConfig, SimHandle, Simulator};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const USER: &str = "api-user";
const PASSWORD: &str = "api-password-123";

async fn basic_sim() -> SimHandle {
    let api_auth = Auth::Basic {
        user: USER.into(),
        password: PASSWORD.into(),
    };
    Simulator::start(
        "127.0.0.1:0",
        SimConfig {
            customer_id: "1234".into(),
            api_auth,
        },
    )
    .await
    .unwrap()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().http1_only().build().unwrap()
}

fn x_error(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("x-error")
        .expect("X-Error header")
        .to_str()
        .unwrap()
        .to_owned()
}

/// A candidate on a job, with the simulator's ids.
fn seed(sim: &SimHandle) -> (u64, u64, u64) {
    let person = sim.add_person("Ada", "Lovelace", Some("ada@candidates.example"));
    let job = sim.add_job("Support Agent", Some("support-video"));
    (person, job, sim.apply(person, job))
}

#[tokio::test]
async fn basic_auth_is_required_and_refusals_use_icims_errors() {
    let sim = basic_sim().await;
    let (person, _, _) = seed(&sim);
    let url = format!("{}/people/{person}", sim.customer_url());

    let resp = client().get(&url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(x_error(&resp), "6:Invalid credentials.");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["errors"][0]["errorCode"], 6);

    let wrong = client().get(&url).basic_auth(USER, Some("nope")).send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

    let ok = client()
        .get(&url)
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let body: Value = ok.json().await.unwrap();
    assert_eq!(body["firstname"], "Ada");
    assert_eq!(body["email"], "ada@candidates.example");
    // Every call is on record, refused ones included, with the version it used.
    let reqs = sim.requests();
    assert_eq!(reqs.len(), 3);
    assert!(reqs.iter().all(|r| r.http_version == "HTTP/1.1" && r.method == "GET"));
}

#[tokio::test]
async fn oauth_client_credentials_give_a_bearer_token_for_the_api() {
    let api_auth = Auth::OAuth {
        client_id: "cid".into(),
        client_secret: "csecret".into(),
    };
    let sim = Simulator::start(
        "127.0.0.1:0",
        SimConfig {
            customer_id: "77".into(),
            api_auth,
        },
    )
    .await
    .unwrap();
    let job = sim.add_job("Analyst", Some("analyst-test"));
    let token_url = format!("{}/oauth2/token", sim.base_url());

    let refused = client()
        .post(&token_url)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "cid"),
            ("client_secret", "bad"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(refused.json::<Value>().await.unwrap()["error"], "invalid_client");

    let token: Value = client()
        .post(&token_url)
        .basic_auth("cid", Some("csecret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(token["token_type"], "Bearer");
    let bearer = token["access_token"].as_str().unwrap();

    let url = format!("{}/jobs/{job}?fields=jobtitle,assessmenttype", sim.customer_url());
    let resp = client().get(&url).bearer_auth(bearer).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["jobtitle"], "Analyst");
    assert_eq!(body["assessmenttype"][0]["value"], "analyst-test");

    sim.expire_tokens();
    let expired = client().get(&url).bearer_auth(bearer).send().await.unwrap();
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn unknown_ids_and_other_customers_get_404_with_x_error() {
    let sim = basic_sim().await;
    let (_, job, wf) = seed(&sim);
    let get = |path: String| client().get(path).basic_auth(USER, Some(PASSWORD)).send();

    let resp = get(format!("{}/people/999999", sim.customer_url())).await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(x_error(&resp), "2:Person not found.");
    assert_eq!(resp.json::<Value>().await.unwrap()["errors"][0]["errorCode"], 2);

    // A job id is not a workflow id: ids share one sequence so mix-ups show.
    let resp = get(format!("{}/applicantworkflows/{job}", sim.customer_url()))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    let resp = get(format!("{}/customers/9999/applicantworkflows/{wf}", sim.base_url()))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert!(x_error(&resp).starts_with("3:"));
}

fn entry(status: &str) -> Value {
    json!({
        "assessmentname": {"value": "support-video"},
        "assessmentstatus": {"id": status},
        "assessmentdate": "2026-05-01 03:15 PM",
        "assessmenturl": "https://shortlist.example/interviews/inv_1/key",
    })
}

#[tokio::test]
async fn an_entry_is_created_once_then_updated_by_its_id() {
    let sim = basic_sim().await;
    let (_, _, wf) = seed(&sim);
    let fields = format!(
        "{}/applicantworkflows/{wf}/fields/assessmentresults",
        sim.customer_url()
    );
    let auth = |r: reqwest::RequestBuilder| r.basic_auth(USER, Some(PASSWORD));

    let created = auth(client().post(&fields))
        .json(&entry("D37002019004"))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let entry_id: u64 = location.rsplit('/').next().unwrap().parse().unwrap();
    assert_eq!(location, format!("{fields}/{entry_id}"));

    // The same entry again changes nothing (iCIMS refuses duplicates silently).
    let again = auth(client().post(&fields))
        .json(&entry("D37002019004"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(sim.workflow(wf).unwrap().assessment_results.len(), 1);

    let update = json!({"assessmentstatus": {"id": "D37002019003"}});
    let resp = auth(client().patch(&location)).json(&update).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);

    // Whole-profile PATCH naming the entry updates it in place.
    let profile = format!("{}/applicantworkflows/{wf}", sim.customer_url());
    let complete = json!({"assessmentresults": [{
        "entry": entry_id, "assessmentstatus": {"id": "D37002019001"}, "assessmentscore": 87.5,
        "assessmentresult": "Recommended", "assessmentnotes": "12/12 answered", "assessmentdate": "2026-05-02 09:05 AM"}]});
    let resp = auth(client().patch(&profile)).json(&complete).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);

    let w = sim.workflow(wf).unwrap();
    assert_eq!(w.assessment_results.len(), 1);
    let r = &w.assessment_results[0];
    assert_eq!((r.entry, r.assessmentstatus.as_str()), (entry_id, "D37002019001"));
    assert_eq!(r.assessmentscore, Some(87.5));
    assert_eq!(r.assessmentdate.as_deref(), Some("2026-05-02 09:05 AM"));
    assert_eq!(
        r.assessmenturl.as_deref(),
        Some("https://shortlist.example/interviews/inv_1/key")
    );

    // A whole-profile PATCH without an entry id appends: this is how a duplicate write-back shows.
    let dup = json!({"assessmentresults": [entry("D37002019004")]});
    let resp = auth(client().patch(&profile)).json(&dup).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(sim.workflow(wf).unwrap().assessment_results.len(), 2);
    let patches = sim.requests().into_iter().filter(|r| r.method == "PATCH").count();
    assert_eq!(patches, 3);

    // Replace mode: the array becomes the whole group.
    sim.set_patch_mode(PatchMode::Replace);
    let only = json!({"assessmentresults": [{"entry": entry_id}]});
    auth(client().patch(&profile)).json(&only).send().await.unwrap();
    assert_eq!(sim.workflow(wf).unwrap().assessment_results.len(), 1);

    // What a GET of the workflow shows the connector.
    let got: Value = auth(client().get(&profile)).send().await.unwrap().json().await.unwrap();
    assert_eq!(got["assessmentresults"][0]["entry"], entry_id);
    assert_eq!(got["assessmentresults"][0]["assessmentname"]["value"], "support-video");
    assert_eq!(got["status"]["id"], "C2028");
}

#[tokio::test]
async fn malformed_write_backs_are_refused_without_changing_anything() {
    let sim = basic_sim().await;
    let (_, _, wf) = seed(&sim);
    let profile = format!("{}/applicantworkflows/{wf}", sim.customer_url());
    let send = |body: Value| {
        client()
            .patch(&profile)
            .basic_auth(USER, Some(PASSWORD))
            .json(&body)
            .send()
    };

    let mut bad_date = entry("D37002019001");
    bad_date["assessmentdate"] = json!("2026-05-01T15:15:00Z");
    let resp = send(json!({"assessmentresults": [bad_date]})).await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(x_error(&resp).starts_with("4:assessmentdate:"), "{}", x_error(&resp));

    let mut lower_pm = entry("D37002019001");
    lower_pm["assessmentdate"] = json!("2026-05-01 3:15 pm");
    assert_eq!(
        send(json!({"assessmentresults": [lower_pm]})).await.unwrap().status(),
        400
    );

    let mut long = entry("D37002019001");
    long["assessmentresult"] = json!("x".repeat(129));
    assert_eq!(send(json!({"assessmentresults": [long]})).await.unwrap().status(), 400);

    let camel = json!({"assessmentResults": [entry("D37002019001")]});
    let resp = send(camel).await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(x_error(&resp).contains("assessmentResults"));

    let no_name = json!({"assessmentresults": [{"assessmentstatus": {"id": "D37002019001"}}]});
    let resp = send(no_name).await.unwrap();
    assert_eq!(
        x_error(&resp),
        "1:assessmentname:The field assessmentname is required and has no value."
    );

    let unknown_entry = json!({"assessmentresults": [{"entry": 424242, "assessmentscore": 1}]});
    assert_eq!(send(unknown_entry).await.unwrap().status(), StatusCode::NOT_FOUND);

    assert!(sim.workflow(wf).unwrap().assessment_results.is_empty());
}

#[tokio::test]
async fn required_field_mode_refuses_every_workflow_write() {
    let sim = basic_sim().await;
    let (_, _, wf) = seed(&sim);
    sim.require_field(Some("rcf3001"));
    let profile = format!("{}/applicantworkflows/{wf}", sim.customer_url());
    let body = json!({"assessmentresults": [entry("D37002019004")]});
    let resp = client()
        .patch(&profile)
        .basic_auth(USER, Some(PASSWORD))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        x_error(&resp),
        "1:rcf3001:The field rcf3001 is required and has no value."
    );
    let err: Value = resp.json().await.unwrap();
    assert_eq!(err["errors"][0]["errorCode"], 1);
    assert!(sim.workflow(wf).unwrap().assessment_results.is_empty());

    sim.require_field(None);
    let resp = client()
        .patch(&profile)
        .basic_auth(USER, Some(PASSWORD))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(sim.workflow(wf).unwrap().assessment_results.len(), 1);
}

#[tokio::test]
async fn injected_failures_come_in_order_then_the_call_succeeds() {
    let sim = basic_sim().await;
    let (_, _, wf) = seed(&sim);
    sim.fail_next("applicantworkflows", &[503, 500]);
    let profile = format!("{}/applicantworkflows/{wf}", sim.customer_url());
    let get = || client().get(&profile).basic_auth(USER, Some(PASSWORD)).send();

    let first = get().await.unwrap();
    assert_eq!(first.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(x_error(&first).starts_with("0:"));
    assert_eq!(first.json::<Value>().await.unwrap()["errors"][0]["errorCode"], 0);
    assert_eq!(get().await.unwrap().status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(get().await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn an_exhausted_quota_answers_429() {
    let sim = basic_sim().await;
    let (person, _, _) = seed(&sim);
    sim.set_quota(Some(1));
    let url = format!("{}/people/{person}", sim.customer_url());
    let ok = client()
        .get(&url)
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.headers()["x-ratelimit-remaining"], "0");
    let limited = client()
        .get(&url)
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.json::<Value>().await.unwrap()["errors"][0]["errorCode"], 0);
    sim.set_quota(None);
    let again = client()
        .get(&url)
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK);
}

/// Sends raw bytes and reads the whole answer (the server closes after refusing).
async fn raw(sim: &SimHandle, bytes: &[u8]) -> String {
    let addr = sim.base_url().trim_start_matches("http://").to_owned();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn http2_and_other_versions_are_refused_with_505() {
    let sim = basic_sim().await;
    let (person, _, _) = seed(&sim);

    // HTTP/2 with prior knowledge: the connection preface, then an empty SETTINGS frame.
    let mut h2 = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    h2.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
    let answer = raw(&sim, &h2).await;
    assert!(answer.starts_with("HTTP/1.1 505"), "{answer}");
    assert!(answer.contains("x-error: 0:HTTP version not supported"));
    assert!(sim.requests().iter().any(|r| r.http_version == "HTTP/2.0"));

    let path = format!("/customers/1234/people/{person}");
    let h2c = format!(
        "GET {path} HTTP/1.1\r\nhost: x\r\nconnection: Upgrade, HTTP2-Settings\r\nupgrade: h2c\r\n\
         http2-settings: AAMAAABkAAQAoAAAAAIAAAAA\r\nauthorization: Basic YXBpLXVzZXI6YXBpLXBhc3N3b3JkLTEyMw==\r\n\r\n"
    );
    let answer = raw(&sim, h2c.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 505"), "{answer}");

    let http10 = format!("GET {path} HTTP/1.0\r\nhost: x\r\n\r\n");
    let answer = raw(&sim, http10.as_bytes()).await;
    assert!(answer.contains(" 505 "), "{answer}");
}

#[tokio::test]
async fn the_page_lists_workflows_with_their_results() {
    let sim = basic_sim().await;
    let (_, _, wf) = seed(&sim);
    let profile = format!("{}/applicantworkflows/{wf}", sim.customer_url());
    let body = json!({"assessmentresults": [entry("D37002019004")]});
    client()
        .patch(&profile)
        .basic_auth(USER, Some(PASSWORD))
        .json(&body)
        .send()
        .await
        .unwrap();
    let html = client()
        .get(format!("{}/", sim.base_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Support Agent"));
    assert!(html.contains("Ada Lovelace"));
    assert!(html.contains(&format!("value=\"{wf}\"")));
    assert!(html.contains("support-video — D37002019004"));
    assert!(html.contains("2026-05-01 03:15 PM"));
}
