//! The scope matrix, beside the cross-tenant matrix (`api_cross_tenant.rs`): for every operation
//! the served OpenAPI document lists, a credential of the organisation's own administrator that
//! holds only an unrelated scope (and, for writes, only the read scope of the same resource) gets
//! 403 `insufficient_scope` naming the scope it lacks, and nothing changes; the same credential
//! with exactly the declared scopes is not refused with 403.
//!
//! The finding behind it: scopes were decided by seven path prefixes, so `/review-settings`,
//! `/email-templates/{kind}` and `/share-links/…` needed no scope at all (a `positions:read`
//! token changed the review settings and the invitation e-mail), and `/invitations/{id}/review`
//! and `/evaluations` needed only `invitations:read` instead of `results:read`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;
mod openapi_support;

use api_common::{Api, wait_state};
use common::{TestApp, client};
use openapi_support::{Hook, Objects, body, concrete, document, hook, objects, org, partner_headers};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;

/// Everything an operation could change, as the organisation's administrator reads it.
async fn snapshot(api: &Api, o: &Objects, h: &Hook) -> Vec<(String, Value)> {
    let mut out = vec![];
    for path in [
        "/templates".to_string(),
        format!("/templates/{}", o.template),
        "/positions".to_string(),
        format!("/positions/{}", o.position),
        format!("/positions/{}/invitations", o.position),
        format!("/invitations/{}", o.invitation),
        format!("/invitations/{}/evaluations", o.invitation),
        format!("/positions/{}/review", o.position),
        format!("/positions/{}/share-links", o.position),
        format!("/share-links/{}/views", o.share_link),
        "/review-settings".to_string(),
        "/email-templates/invitation".to_string(),
        "/email-templates/reminder".to_string(),
        "/settings".to_string(),
        "/webhooks".to_string(),
        format!("/webhooks/{}", h.id),
    ] {
        let (s, v) = api.get(&path).await;
        assert_eq!(s, StatusCode::OK, "{path}: {v}");
        out.push((path, v));
    }
    out
}

async fn call(
    base: &str,
    headers: &[(String, String)],
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> (StatusCode, Value) {
    let mut req = client().request(Method::from_bytes(method.as_bytes()).unwrap(), format!("{base}{path}"));
    for (k, v) in headers {
        req = req.header(k, v);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// `(METHOD, path, declared scopes)` of every operation of the document.
fn operations(doc: &Value) -> Vec<(String, String, Vec<String>)> {
    let mut out = vec![];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            let what = format!("{} {path}", method.to_uppercase());
            let scopes = op["x-required-scopes"]
                .as_array()
                .unwrap_or_else(|| panic!("{what} declares no scope"))
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect();
            out.push((method.to_uppercase(), path.clone(), scopes));
        }
    }
    out
}

/// Scopes that must not be enough for an operation needing `needs`: one of a resource it does
/// not name and, for a write, the read scope of the same resource.
fn insufficient(needs: &[String]) -> Vec<String> {
    let resources: Vec<&str> = needs.iter().filter_map(|n| n.split(':').next()).collect();
    let mut out = vec![
        ["webhooks:read", "templates:read"]
            .into_iter()
            .find(|s| !resources.contains(&s.split(':').next().unwrap()))
            .unwrap()
            .to_string(),
    ];
    for n in needs {
        if let Some(res) = n.strip_suffix(":write") {
            let mut rest: Vec<String> = needs.iter().filter(|m| *m != n).cloned().collect();
            rest.push(format!("{res}:read"));
            out.push(rest.join(" "));
        }
    }
    if needs.len() > 1 {
        // Each declared scope alone is not enough either.
        out.extend(needs.iter().cloned());
    }
    out
}

#[tokio::test]
async fn every_operation_refuses_a_credential_without_its_declared_scope_and_accepts_one_with_it() {
    let app = TestApp::spawn_with(&["--webhook-allow-private", "127.0.0.0/8"]).await;
    let admin = org(&app).await.api;
    let o = objects(&admin).await;
    let h = hook(&admin).await;
    wait_state(&admin, &o.invitation, "sent").await;
    let doc = document(&app).await;
    let ops = operations(&doc);
    let mut partners: HashMap<String, Vec<(String, String)>> = HashMap::new();
    let before = snapshot(&admin, &o, &h).await;

    // Refused: the request is complete and valid, only the scope is missing.
    let mut refused = vec![];
    for (method, path, needs) in &ops {
        if needs.is_empty() {
            continue;
        }
        for scopes in insufficient(needs) {
            if !partners.contains_key(&scopes) {
                let headers = partner_headers(&app, &admin, Some(&scopes)).await;
                partners.insert(scopes.clone(), headers);
            }
            let (url, _) = concrete(path, &o, &h);
            let payload = body(method, path, &o, "Scoped");
            let (status, v) = call(&admin.base, &partners[&scopes], method, &url, payload.as_ref()).await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{method} {url} with only `{scopes}` (needs {needs:?}): {v}"
            );
            assert_eq!(v["code"], "insufficient_scope", "{method} {url}: {v}");
            let detail = v["detail"].as_str().unwrap();
            assert!(
                needs.iter().any(|n| detail.contains(n.as_str())),
                "{method} {url}: the problem names the scope it needs: {v}"
            );
            assert_eq!(v["required_scopes"], json!(needs), "{method} {url}");
            refused.push(format!("{method} {path}"));
        }
    }
    assert!(refused.len() >= 60, "only {} refusals: {refused:?}", refused.len());
    let after = snapshot(&admin, &o, &h).await;
    for ((what, was), (_, is)) in before.iter().zip(&after) {
        assert_eq!(was, is, "{what} changed although every call was refused");
    }

    // With exactly the declared scopes the scope check lets the call through (it may still
    // fail for another reason: a state that forbids it, a body this test does not send).
    let mut accepted = 0;
    for (method, path, needs) in &ops {
        let scopes = if needs.is_empty() {
            "templates:read".to_string()
        } else {
            needs.join(" ")
        };
        if !partners.contains_key(&scopes) {
            let headers = partner_headers(&app, &admin, Some(&scopes)).await;
            partners.insert(scopes.clone(), headers);
        }
        let (url, _) = concrete(path, &o, &h);
        let payload = body(method, path, &o, "Scoped");
        let (status, v) = call(&admin.base, &partners[&scopes], method, &url, payload.as_ref()).await;
        assert_ne!(
            status,
            StatusCode::FORBIDDEN,
            "{method} {url} with exactly `{scopes}`: {v}"
        );
        accepted += 1;
    }
    assert_eq!(accepted, ops.len());
    app.stop().await;
}

/// Who calls, the method and URL, the body, and the scope the refusal must name.
type Case<'a> = (&'a [(String, String)], &'a str, String, Option<&'a Value>, &'a str);

/// The routes the finding named, spelled out: a `positions:read` token (the one that changed
/// the review settings and the invitation e-mail) and an `invitations:read` token (enough, before,
/// to read evaluations) are refused, and the settings and the e-mail stay as they were.
#[tokio::test]
async fn review_settings_email_templates_share_links_and_evaluations_need_their_scope() {
    let app = TestApp::spawn().await;
    let admin = org(&app).await.api;
    let o = objects(&admin).await;
    let (_, settings_before) = admin.get("/review-settings").await;
    let (_, mail_before) = admin.get("/email-templates/invitation").await;
    let positions_read = partner_headers(&app, &admin, Some("positions:read")).await;
    let invitations_read = partner_headers(&app, &admin, Some("invitations:read")).await;
    let inv = &o.invitation;
    let share = &o.share_link;
    let review_body = json!({ "link_access": "anyone_with_link", "hide_until_submitted": false });
    let mail_body = json!({ "subject": "Hijacked", "text_body": "{{link}}", "html_body": "<p>{{link}}</p>" });
    let cases: Vec<Case> = vec![
        (
            &positions_read,
            "PUT",
            "/review-settings".into(),
            Some(&review_body),
            "settings:write",
        ),
        (&positions_read, "GET", "/review-settings".into(), None, "settings:read"),
        (
            &positions_read,
            "PUT",
            "/email-templates/invitation".into(),
            Some(&mail_body),
            "settings:write",
        ),
        (
            &positions_read,
            "DELETE",
            "/email-templates/invitation".into(),
            None,
            "settings:write",
        ),
        (
            &positions_read,
            "GET",
            "/email-templates/invitation".into(),
            None,
            "settings:read",
        ),
        (
            &positions_read,
            "POST",
            format!("/share-links/{share}/revoke"),
            None,
            "results:write",
        ),
        (
            &positions_read,
            "GET",
            format!("/share-links/{share}/views"),
            None,
            "results:read",
        ),
        (
            &invitations_read,
            "GET",
            format!("/invitations/{inv}/review"),
            None,
            "results:read",
        ),
        (
            &invitations_read,
            "GET",
            format!("/invitations/{inv}/evaluations"),
            None,
            "results:read",
        ),
        (
            &invitations_read,
            "POST",
            format!("/invitations/{inv}/evaluations"),
            Some(&mail_body),
            "results:write",
        ),
    ];
    for (headers, method, path, body, need) in cases {
        let (status, v) = call(&admin.base, headers, method, &path, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {v}");
        assert_eq!(v["code"], "insufficient_scope", "{method} {path}: {v}");
        assert!(
            v["detail"].as_str().unwrap().contains(need),
            "{method} {path} names {need}: {v}"
        );
    }
    let (_, settings_after) = admin.get("/review-settings").await;
    let (_, mail_after) = admin.get("/email-templates/invitation").await;
    assert_eq!(settings_before, settings_after);
    assert_eq!(mail_before, mail_after);
    let (_, views) = admin.get(&format!("/share-links/{share}/views")).await;
    assert!(views["share_link"]["revoked_at"].is_null(), "{views}");

    // The scopes the guide documents are enough.
    let results_read = partner_headers(&app, &admin, Some("results:read")).await;
    let (status, v) = call(
        &admin.base,
        &results_read,
        "GET",
        &format!("/invitations/{inv}/review"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let settings_write = partner_headers(&app, &admin, Some("settings:write")).await;
    let (status, v) = call(
        &admin.base,
        &settings_write,
        "PUT",
        "/review-settings",
        Some(&review_body),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["link_access"], "anyone_with_link");
    app.stop().await;
}
