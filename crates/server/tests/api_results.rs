//! Cursor pagination, invitation filters by external ids, results and the result report over
//! real HTTP: pages stay stable while rows are inserted, every filter narrows in the database,
//! and a completed, evaluated interview shows up in `GET /results` and its report with the
//! evaluation and the average; another organisation's key sees none of it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;
mod review_support;

use api_common::{Api, candidate_email, sign_in, unique};
use common::{TestApp, client};
use reqwest::{Method, StatusCode};
use review_support::{PDF, fixture, member};
use serde_json::{Value, json};
use shortlist_app::credentials::Credentials;
use shortlist_domain::Role;
use std::collections::HashSet;

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {page}"))
        .iter()
        .map(|i| i["id"].as_str().or(i["invitation_id"].as_str()).unwrap().to_string())
        .collect()
}

/// Walks `path` page by page with `limit`, calling `between` after the first page; returns the
/// ids in the order seen.
async fn walk<F, Fut>(api: &Api, path: &str, limit: usize, between: F) -> Vec<String>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let sep = if path.contains('?') { '&' } else { '?' };
    let (s, first) = api.get(&format!("{path}{sep}limit={limit}")).await;
    assert_eq!(s, StatusCode::OK, "{first}");
    let mut seen = ids(&first);
    assert_eq!(seen.len(), limit, "a full first page: {first}");
    between().await;
    let mut cursor = first["next_cursor"].as_str().expect("a next page").to_string();
    for _ in 0..100 {
        let (s, page) = api.get(&format!("{path}{sep}limit={limit}&cursor={cursor}")).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => return seen,
        }
    }
    panic!("the walk never ended");
}

fn once_each(seen: &[String], expected: &[String]) {
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no item twice: {seen:?}");
    for e in expected {
        assert!(seen.contains(e), "{e} missing from {seen:?}");
    }
}

async fn invite(api: &Api, pos: &str, body: Value) -> String {
    let (s, v) = api.invite(pos, body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["invitation"]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn lists_walk_by_cursor_and_inserts_between_pages_neither_shift_nor_repeat() {
    let app = TestApp::spawn().await;
    let api = sign_in(&app, Role::Recruiter).await;
    let pos = api.ready_position("Cashier").await;
    let mut before = vec![];
    for i in 0..5 {
        before.push(invite(&api, &pos, json!({ "email": candidate_email(&format!("walk{i}")) })).await);
    }
    let path = format!("/positions/{pos}/invitations");
    let seen = walk(&api, &path, 2, || async {
        invite(&api, &pos, json!({ "email": candidate_email("late") })).await;
    })
    .await;
    once_each(&seen, &before);
    // Newest first: the five in reverse order of creation (the late one is before the walk's
    // position, so it does not appear).
    let mut newest_first = before.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first);

    // The organisation-wide list, positions and templates page the same way.
    let all = walk(&api, "/invitations", 2, || async {
        invite(&api, &pos, json!({ "email": candidate_email("later") })).await;
    })
    .await;
    once_each(&all, &before);
    let mut positions = vec![pos.clone()];
    for i in 0..3 {
        positions.push(api.ready_position(&format!("Role {i}")).await);
    }
    let seen = walk(&api, "/positions", 2, || async {
        api.ready_position("Inserted").await;
    })
    .await;
    once_each(&seen, &positions);
    let (_, t) = api.get("/templates?limit=500").await;
    let templates = ids(&t);
    assert!(templates.len() > 2 && t.get("next_cursor").is_none(), "{t}");
    let seen = walk(&api, "/templates", 2, || async {
        api.ready_position("Another").await;
    })
    .await;
    once_each(&seen, &templates);

    // A cursor that is not one: 422 naming the field; a bad limit too.
    for bad in ["nonsense", "%%%", "MjAyNnxub3BlIQ"] {
        let (s, p) = api.get(&format!("/invitations?cursor={bad}")).await;
        assert_eq!(
            (s, p["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_failed")),
            "{p}"
        );
        assert_eq!(p["errors"][0]["field"], "cursor", "{p}");
    }
    let (s, p) = api.get("/positions?limit=0").await;
    assert_eq!(
        (s, p["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("limit"))
    );
}

#[tokio::test]
async fn invitation_filters_narrow_by_external_ids_state_and_time() {
    let app = TestApp::spawn().await;
    let api = sign_in(&app, Role::Recruiter).await;
    let job = format!("JOB-{}", unique());
    let key = format!("tpl-{}", unique());
    let tpl = api.template(&key, api_common::spec("Screen", 1)).await;
    let (s, p) = api
        .post(
            "/positions",
            json!({ "title": "Nurse", "template_ids": [tpl], "external_refs": [{ "ats_kind": "greenhouse", "external_id": job }] }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let linked = p["id"].as_str().unwrap().to_string();
    let other = api.ready_position("Porter").await;
    let ada = candidate_email("ada");
    let a = invite(
        &api,
        &linked,
        json!({ "email": ada, "metadata": { "candidateId": "C-1", "applicationId": "A-1" } }),
    )
    .await;
    let b = invite(
        &api,
        &linked,
        json!({ "email": candidate_email("bob"), "metadata": { "candidateId": "C-2", "applicationId": "A-2" } }),
    )
    .await;
    let c = invite(
        &api,
        &other,
        json!({ "email": candidate_email("cy"), "metadata": { "candidateId": "C-1" } }),
    )
    .await;
    let (s, _) = api.post(&format!("/invitations/{b}/cancel"), json!({})).await;
    assert_eq!(s, StatusCode::OK);

    let found = |q: String| {
        let api = &api;
        async move {
            let (s, v) = api.get(&format!("/invitations?{q}")).await;
            assert_eq!(s, StatusCode::OK, "{q}: {v}");
            let mut got = ids(&v);
            got.sort();
            got
        }
    };
    let sorted = |mut v: Vec<&String>| {
        v.sort();
        v.into_iter().cloned().collect::<Vec<_>>()
    };
    assert_eq!(found(String::new()).await, sorted(vec![&a, &b, &c]));
    assert_eq!(found(format!("position_id={linked}")).await, sorted(vec![&a, &b]));
    assert_eq!(
        found(format!("candidate_email={}", ada.to_uppercase())).await,
        vec![a.clone()]
    );
    assert_eq!(found("state=cancelled".into()).await, vec![b.clone()]);
    assert_eq!(found("candidate_id=C-1".into()).await, sorted(vec![&a, &c]));
    assert_eq!(found("application_id=A-2".into()).await, vec![b.clone()]);
    assert_eq!(
        found("candidate_id=C-1&application_id=A-1".into()).await,
        vec![a.clone()]
    );
    assert_eq!(
        found(format!("ats_kind=greenhouse&external_job_id={job}")).await,
        sorted(vec![&a, &b])
    );
    assert!(
        found("ats_kind=greenhouse&external_job_id=nope".into())
            .await
            .is_empty()
    );
    assert_eq!(
        found(format!("ats_kind=greenhouse&external_job_id={job}&state=cancelled")).await,
        vec![b.clone()]
    );
    assert_eq!(found("updated_since=2000-01-01T00:00:00Z".into()).await.len(), 3);
    assert!(found("updated_since=2100-01-01T00:00:00Z".into()).await.is_empty());

    // The positions list takes the same names for the ATS job.
    let (_, v) = api
        .get(&format!("/positions?ats_kind=greenhouse&external_job_id={job}"))
        .await;
    assert_eq!(ids(&v), vec![linked.clone()]);
    let (_, v) = api
        .get(&format!(
            "/positions?ats_kind=greenhouse&external_id={job}&status=closed"
        ))
        .await;
    assert!(ids(&v).is_empty());

    for (q, field) in [
        ("state=done", "state"),
        ("ats_kind=greenhouse", "external_job_id"),
        ("updated_since=yesterday", "updated_since"),
        ("candidate_email=not-an-address", "candidate_email"),
        ("position_id=nope", "position_id"),
    ] {
        let (s, p) = api.get(&format!("/invitations?{q}")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{q}: {p}");
        assert_eq!(p["errors"][0]["field"], field, "{q}: {p}");
    }

    // Another organisation sees none of them.
    let stranger = sign_in(&app, Role::Admin).await;
    let (_, v) = stranger.get("/invitations?candidate_id=C-1").await;
    assert_eq!(v["items"], json!([]));
}

async fn bearer(c: &reqwest::Client, method: Method, url: String, token: &str) -> (StatusCode, Vec<u8>) {
    let r = c
        .request(method, url)
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    (r.status(), r.bytes().await.unwrap().to_vec())
}

fn json_of(b: &[u8]) -> Value {
    serde_json::from_slice(b).unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(b)))
}

#[tokio::test]
async fn a_completed_interview_shows_in_results_and_its_report_with_the_evaluation() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let body = json!({
        "ratings": [{ "question_id": "q1", "rating": 4, "note": "clear" }, { "question_id": "q2", "rating": 5 }],
        "criteria": [{ "criterion_id": "comm", "rating": 3 }],
        "comment": "Strong", "decision": "advance"
    });
    let (s, v) = f.api.post(&format!("/invitations/{}/evaluations", f.inv), body).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // An organisation key with the results scope, as an ATS would use it.
    let operator = Credentials::operator(&f.api.org);
    let creds = &app.app.credentials;
    let key = creds
        .create_api_key(&operator, false, "ATS", "invitations:read results:read", None)
        .await
        .unwrap()
        .token;
    let c = client();
    let (s, b) = bearer(&c, Method::GET, format!("{}/results", f.api.base), &key).await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    let results = json_of(&b);
    let items = results["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "only the completed interview: {results}");
    let r = &items[0];
    assert_eq!(r["invitation_id"], f.inv.as_str());
    assert_eq!(r["candidate"]["name"], "Ada Lovelace");
    assert_eq!(r["position"]["title"], "Platform Engineer");
    assert!(r["template"]["key"].as_str().unwrap().starts_with("review-"));
    assert_eq!(r["questions"], json!({ "answered": 5, "total": 5 }));
    assert_eq!(r["test"], json!({ "points": 1, "total": 1 }));
    assert_eq!(r["review"]["average"], 4.0);
    assert_eq!(r["review"]["evaluations"], 1);
    assert_eq!(r["review"]["decision"], "advance");
    assert!(r["completed_at"].is_string());
    let reviewer_url = r["reviewer_url"].as_str().unwrap();
    assert!(
        reviewer_url.starts_with(&format!("{}/interviews/{}/", app.base, f.inv)),
        "{reviewer_url}"
    );
    let since = |t: &str| format!("{}/results?completed_since={t}", f.api.base);
    let (_, b) = bearer(&c, Method::GET, since("2100-01-01T00:00:00Z"), &key).await;
    assert_eq!(json_of(&b)["items"], json!([]));
    let (_, b) = bearer(
        &c,
        Method::GET,
        format!("{}&position_id={}", since("2000-01-01T00:00:00Z"), f.pos),
        &key,
    )
    .await;
    assert_eq!(json_of(&b)["items"].as_array().map(Vec::len), Some(1));

    // The report: every question in order with its answer, the test, the evaluation.
    let (s, b) = bearer(
        &c,
        Method::GET,
        format!("{}/invitations/{}/report", f.api.base, f.inv),
        &key,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    let rep = json_of(&b);
    assert_eq!(rep["state"], "completed");
    assert_eq!(rep["invitation"]["candidate"]["email"], f.email.as_str());
    assert!(rep["history"]["events"].as_u64().unwrap() >= 2, "{}", rep["history"]);
    assert_eq!(rep["history"]["kinds"]["evaluation_submitted"], 1);
    let qs = rep["questions"].as_array().unwrap();
    let kinds: Vec<&str> = qs.iter().map(|q| q["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["video", "text", "multiple_choice", "file_upload", "text"]);
    assert_eq!(qs[0]["prompt"], "Introduce yourself");
    assert_eq!(qs[1]["text"], "I build reliable systems");
    assert_eq!(qs[2]["points"], 1);
    assert_eq!(qs[2]["correct"], true);
    assert_eq!(
        qs[2]["choices"],
        json!([{ "label": "7", "chosen": true, "correct": true }, { "label": "8", "chosen": false, "correct": false }])
    );
    assert_eq!(qs[3]["take"]["file_name"], "answer.bin");
    assert_eq!(qs[3]["take"]["content_type"], "application/pdf");
    assert_eq!(rep["test"], json!({ "points": 1, "total": 1 }));
    assert_eq!(rep["surveys"][0]["answer"], "Yes, fully");
    let e = &rep["evaluations"][0];
    assert_eq!(e["score"], 4.0);
    assert_eq!(e["comment"], "Strong");
    assert_eq!(e["decision"], "advance");
    assert_eq!(e["ratings"][0]["prompt"], "Introduce yourself");
    assert_eq!(e["ratings"][0]["note"], "clear");
    assert_eq!(
        e["criteria"][0],
        json!({ "criterion_id": "comm", "label": "Communication", "rating": 3 })
    );
    assert!(e["submitted_at"].is_string() && e["reviewer"]["name"].is_string());
    assert_eq!(
        (rep["average"].as_f64(), rep["evaluation_count"].as_i64()),
        (Some(4.0), Some(1))
    );
    assert_eq!(rep["decision"], "advance");
    assert_eq!(rep["reviewer_url"], reviewer_url);

    // The links fetch the candidate's files with the same key.
    let (s, pdf) = bearer(&c, Method::GET, qs[3]["take"]["url"].as_str().unwrap().into(), &key).await;
    assert_eq!((s, pdf.as_slice()), (StatusCode::OK, PDF));
    let (s, video) = bearer(&c, Method::GET, qs[0]["take"]["url"].as_str().unwrap().into(), &key).await;
    assert_eq!((s, video), (StatusCode::OK, f.video.clone()));

    // An interview nobody started: what exists, and its state.
    let (s, b) = bearer(
        &c,
        Method::GET,
        format!("{}/invitations/{}/report", f.api.base, f.pending),
        &key,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let rep = json_of(&b);
    assert_ne!(rep["state"], "completed");
    assert!(
        rep["questions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|q| q["answered"] == false && q["take"].is_null())
    );
    assert_eq!(
        (rep["evaluations"].clone(), rep["average"].clone()),
        (json!([]), Value::Null)
    );

    // A reviewer who has not evaluated does not see the team's scores (the organisation hides
    // them until one's own evaluation, the default), in the list or the report.
    let reviewer = member(&app, &f, Role::Reviewer).await;
    let (s, v) = reviewer.get("/results").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["items"][0]["review"]["hidden"], true);
    assert_eq!(v["items"][0]["review"]["average"], Value::Null);
    assert_eq!(v["items"][0]["review"]["evaluations"], 1);
    let (_, v) = reviewer.get(&format!("/invitations/{}/report", f.inv)).await;
    assert_eq!(
        (v["evaluations_hidden"].clone(), v["evaluations"].clone()),
        (json!(true), json!([]))
    );
    assert_eq!(v["average"], Value::Null);

    // Without the results scope: refused, with the scope named.
    let narrow = creds
        .create_api_key(&operator, false, "Invites only", "invitations:write", None)
        .await
        .unwrap()
        .token;
    for path in ["/results".to_string(), format!("/invitations/{}/report", f.inv)] {
        let (s, b) = bearer(&c, Method::GET, format!("{}{path}", f.api.base), &narrow).await;
        assert_eq!(
            (s, json_of(&b)["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("insufficient_scope"))
        );
    }

    // Another organisation's key: 404 for the report and the files, an empty result list.
    let other = sign_in(&app, Role::Admin).await;
    let theirs = creds
        .create_api_key(&Credentials::operator(&other.org), false, "Other", "read", None)
        .await
        .unwrap()
        .token;
    let report_url = format!("{}/invitations/{}/report", f.api.base, f.inv);
    let (s, b) = bearer(&c, Method::GET, report_url, &theirs).await;
    assert_eq!(
        (s, json_of(&b)["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (s, _) = bearer(&c, Method::GET, qs[3]["take"]["url"].as_str().unwrap().into(), &theirs).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, b) = bearer(&c, Method::GET, format!("{}/results", f.api.base), &theirs).await;
    assert_eq!(json_of(&b)["items"], json!([]));
}
