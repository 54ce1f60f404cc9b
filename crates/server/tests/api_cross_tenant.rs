//! Cross-tenant isolation, for every operation the OpenAPI document lists: organisation A's
//! credentials with organisation B's ids get 404 problem+json and change nothing of B's, and
//! nothing A can read ever names one of B's objects.
//!
//! The operations come from the served document, so a new endpoint is covered the day it is
//! documented; a path parameter this test does not know how to fill fails it rather than being
//! skipped.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;
mod openapi_support;

use api_common::{Api, wait_state};
use common::{TestApp, client};
use openapi_support::{Hook, Objects, Org, body, concrete, document, hook, objects, org};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Everything of B's that an operation could change, as B reads it.
async fn snapshot(api: &Api, o: &Objects, h: &Hook) -> Vec<(String, Value)> {
    let mut out = vec![];
    for path in [
        format!("/templates/{}", o.template),
        format!("/positions/{}", o.position),
        format!("/positions/{}/invitations", o.position),
        format!("/invitations/{}", o.invitation),
        format!("/invitations/{}/evaluations", o.invitation),
        format!("/positions/{}/review", o.position),
        format!("/positions/{}/share-links", o.position),
        format!("/share-links/{}/views", o.share_link),
        format!("/webhooks/{}", h.id),
    ] {
        let (s, v) = api.get(&path).await;
        assert_eq!(s, StatusCode::OK, "{path}: {v}");
        out.push((path, v));
    }
    // Deliveries get attempts of their own (nothing listens at the URL): count them only.
    let (_, d) = api.get(&format!("/webhooks/{}/deliveries", h.id)).await;
    out.push(("deliveries".into(), json!(d["items"].as_array().map(Vec::len))));
    let media = api
        .c
        .get(format!("{}/media/{}", api.base, o.media_key))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    out.push(("media".into(), json!(format!("{:x}", Sha256::digest(&media)))));
    out
}

async fn call(org: &Org, method: &str, path: &str, body: Option<&Value>) -> (StatusCode, String, String) {
    let mut req = client().request(
        Method::from_bytes(method.as_bytes()).unwrap(),
        format!("{}{path}", org.api.base),
    );
    for (k, v) in &org.headers {
        req = req.header(k, v);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ct, r.text().await.unwrap())
}

fn operations(doc: &Value) -> Vec<(String, String, bool)> {
    let mut out = vec![];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                let has_body = op.get("requestBody").is_some();
                out.push((method.to_uppercase(), path.clone(), has_body));
            }
        }
    }
    out
}

#[tokio::test]
async fn organisation_a_gets_404_for_every_object_of_organisation_b_and_changes_nothing() {
    let app = TestApp::spawn_with(&["--webhook-allow-private", "127.0.0.0/8"]).await;
    let (a, b) = (org(&app).await, org(&app).await);
    let (ao, bo) = (objects(&a.api).await, objects(&b.api).await);
    let (ah, bh) = (hook(&a.api).await, hook(&b.api).await);
    // The invitation e-mail is sent in the background; B's invitation is settled first.
    wait_state(&b.api, &bo.invitation, "sent").await;
    let doc = document(&app).await;
    let before = snapshot(&b.api, &bo, &bh).await;

    let mut exercised = vec![];
    for (method, path, has_body) in operations(&doc) {
        let (url, true) = concrete(&path, &bo, &bh) else {
            continue;
        };
        let payload = body(&method, &path, &bo, "Hijacked");
        assert!(
            !has_body || payload.is_some() || path == "/media",
            "{method} {path}: takes a body the test has no sample of; add one to `body`"
        );
        let (status, ct, text) = call(&a, &method, &url, payload.as_ref()).await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "{method} {url} with A's credentials: {text}"
        );
        assert!(ct.starts_with("application/problem+json"), "{method} {url}: {ct}");
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["code"], "not_found", "{method} {url}: {v}");
        exercised.push(format!("{method} {path}"));
    }
    assert!(
        exercised.len() >= 35,
        "only {} operations exercised: {exercised:?}",
        exercised.len()
    );

    let after = snapshot(&b.api, &bo, &bh).await;
    for ((what, was), (_, is)) in before.iter().zip(&after) {
        assert_eq!(was, is, "{what} of B changed");
    }

    // Nothing A reads names B's objects: every list and every read of A's own objects.
    let b_ids = [
        &bo.template,
        &bo.template_key,
        &bo.position,
        &bo.external_id,
        &bo.invitation,
        &bo.share_link,
        &bo.media_key,
        &bh.id,
    ];
    let mut reads = 0;
    for (method, path, _) in operations(&doc) {
        if method != "GET" {
            continue;
        }
        let url = if !path.contains('{') {
            path.clone()
        } else {
            match concrete(&path, &ao, &ah) {
                (u, true) => u,
                (_, false) => continue,
            }
        };
        let (status, _, text) = call(&a, "GET", &url, None).await;
        for id in b_ids {
            assert!(
                !text.contains(id.as_str()),
                "GET {url} ({status}) names B's {id}: {text}"
            );
        }
        reads += 1;
    }
    let by_ref = format!("/positions?ats_kind=greenhouse&external_id={}", bo.external_id);
    let (status, _, text) = call(&a, "GET", &by_ref, None).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["items"], json!([]));
    assert!(reads >= 15, "only {reads} reads");
    app.stop().await;
}
