//! For the tests that walk the OpenAPI document: an organisation with a live partner acting as
//! its administrator (a rate limit high enough for a fuzzer), and one object of each kind the
//! document's paths name.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use crate::api_common::{Api, candidate_email, sign_in, spec, unique};
use crate::common::TestApp;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shortlist_app::credentials::admin::NewPartner;
use shortlist_domain::Role;

/// An organisation: its signed-in administrator and the partner headers that act as them.
pub struct Org {
    pub api: Api,
    pub headers: Vec<(String, String)>,
}

pub async fn org(app: &TestApp) -> Org {
    let api = sign_in(app, Role::Admin).await;
    let headers = partner_headers(app, &api, None).await;
    Org { headers, api }
}

/// The headers of a new live partner with `scopes` (all when `None`) acting as `api`'s user.
pub async fn partner_headers(app: &TestApp, api: &Api, scopes: Option<&str>) -> Vec<(String, String)> {
    let creds = &app.app.credentials;
    let issued = creds
        .create_partner(NewPartner {
            name: &format!("Fuzz partner {}", unique()),
            contact: "integrations@partner.example.com",
            orgs: vec![api.org.clone()],
            scopes,
            rate_per_sec: Some(10_000),
            burst: Some(10_000),
            ip_allow: None,
        })
        .await
        .unwrap();
    creds
        .set_partner_status(&issued.partner.id, "live", "test")
        .await
        .unwrap();
    let auth = STANDARD.encode(format!("{}:{}", issued.partner.partner_key, issued.secret));
    vec![
        ("X-Shortlist-Partner-Authorization".into(), auth),
        ("X-Shortlist-User-Email".into(), api.email.clone()),
    ]
}

/// One object of each kind, by the name the tests give path parameters.
pub struct Objects {
    pub template: String,
    pub template_key: String,
    pub position: String,
    pub external_id: String,
    pub invitation: String,
    pub share_link: String,
    pub media_key: String,
}

pub async fn objects(api: &Api) -> Objects {
    let template_key = format!("tpl-{}", unique());
    let template = api.template(&template_key, spec("Screening", 2)).await;
    let external_id = format!("JOB-{}", unique());
    let (s, p) = api
        .post(
            "/positions",
            json!({
                "title": "Fuzzed role",
                "template_ids": [template],
                "external_refs": [{ "ats_kind": "greenhouse", "external_id": external_id }],
            }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let position = p["id"].as_str().unwrap().to_string();
    let (s, v) = api
        .invite(
            &position,
            json!({ "email": candidate_email("fuzz"), "name": "Fuzz Candidate",
                    "metadata": { "candidateId": "C-1", "applicationId": "A-1" } }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let invitation = v["invitation"]["id"].as_str().unwrap().to_string();
    let (s, v) = api
        .post(
            &format!("/positions/{position}/share-links"),
            json!({ "invitation_ids": [invitation], "label": "Hiring panel" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let share_link = v["share_link"]["id"].as_str().unwrap().to_string();
    let png = STANDARD
        .decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
        .unwrap();
    let r = api
        .c
        .post(format!("{}/media?kind=logo", api.base))
        .header("Content-Type", "image/png")
        .body(png)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let m: Value = r.json().await.unwrap();
    Objects {
        template,
        template_key,
        position,
        external_id,
        invitation,
        share_link,
        media_key: m["media_key"].as_str().unwrap().to_string(),
    }
}

/// The served document.
pub async fn document(app: &TestApp) -> Value {
    let r = crate::common::client()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

/// The organisation's webhook endpoint and one of its deliveries (objects only the webhooks API
/// makes).
pub struct Hook {
    pub id: String,
    pub delivery: String,
}

pub async fn hook(api: &Api) -> Hook {
    let (s, v) = api
        .post(
            "/webhooks",
            json!({ "url": "http://127.0.0.1:9/hook", "events": ["invitation.sent"] }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    let (s, d) = api.post(&format!("/webhooks/{id}/test"), json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{d}");
    Hook {
        id,
        delivery: d["id"].as_str().unwrap().to_string(),
    }
}

/// The value for path parameter `name` of `path`, naming one of `o`'s objects; `None` for
/// parameters that name no object (an e-mail kind, a question of an interview). A parameter no
/// test knows fails the test rather than being skipped.
fn fill(path: &str, name: &str, o: &Objects, h: &Hook) -> Option<String> {
    let section = path.trim_start_matches('/').split('/').next().unwrap_or("");
    let v = match (section, name) {
        ("templates", "key") => o.template_key.clone(),
        ("templates", "id") | (_, "template_id") => o.template.clone(),
        ("positions", "id") => o.position.clone(),
        ("invitations", "id") => o.invitation.clone(),
        ("share-links", "id") => o.share_link.clone(),
        ("media", "key") => o.media_key.clone(),
        ("webhooks", "id") => h.id.clone(),
        ("webhooks", "delivery_id") => h.delivery.clone(),
        ("email-templates", "kind") => return None,
        ("invitations", "question") => return None,
        ("invitations", "take") => return None,
        _ => panic!("{path}: the tests do not know what `{{{name}}}` names; teach `fill` about it"),
    };
    Some(v)
}

/// Values for the parameters that name no object.
fn plain(name: &str) -> &'static str {
    match name {
        "kind" => "invitation",
        "question" => "q1",
        "take" => "1",
        _ => "x",
    }
}

/// `path` with its parameters filled from `o`, and whether any parameter names an object.
pub fn concrete(path: &str, o: &Objects, h: &Hook) -> (String, bool) {
    let mut out = path.to_string();
    let mut names_object = false;
    for name in path.split('{').skip(1).filter_map(|p| p.split('}').next()) {
        let v = match fill(path, name, o, h) {
            Some(v) => {
                names_object = true;
                v
            }
            None => plain(name).to_string(),
        };
        out = out.replace(&format!("{{{name}}}"), &v);
    }
    (out, names_object)
}

/// A body the operation accepts, so that only the check under test (scope, tenant) stands
/// between the call and a change; `label` marks what such a change would write.
pub fn body(method: &str, path: &str, o: &Objects, label: &str) -> Option<Value> {
    let email = || candidate_email(&label.to_lowercase());
    Some(match (method, path) {
        ("POST", "/templates") => {
            json!({ "key": format!("{}-{}", label.to_lowercase(), unique()), "spec": spec(label, 1) })
        }
        ("PUT", "/templates/{id}") => json!({ "spec": spec(label, 1) }),
        ("POST", "/positions") | ("PATCH", "/positions/{id}") => json!({ "title": label }),
        ("POST", "/positions/find-or-create") => {
            json!({ "ats_kind": "greenhouse", "external_id": "SCOPE-1", "title": label, "template_ids": [o.template] })
        }
        ("POST", "/positions/{id}/invitations") => json!({ "email": email() }),
        ("POST", "/positions/{id}/invitations/batch") => json!({ "candidates": [{ "email": email() }] }),
        ("POST", "/invitations/{id}/extend") => json!({ "days": 30 }),
        ("POST", "/invitations/{id}/evaluations") => json!({ "comment": label }),
        ("POST", "/positions/{id}/decisions") => {
            json!({ "invitation_ids": [o.invitation], "decision": "reject" })
        }
        ("POST", "/positions/{id}/share-links") => json!({ "invitation_ids": [o.invitation] }),
        ("PUT", "/review-settings") => json!({ "link_access": "anyone_with_link", "hide_until_submitted": false }),
        ("PUT", "/email-templates/{kind}") => json!({
            "subject": format!("{label} {{{{position_title}}}}"),
            "text_body": "Go to {{link}}",
            "html_body": "<p>{{link}}</p>",
        }),
        ("PUT", "/settings") => json!({ "default_expiry_days": 2, "reminder_hours": [1] }),
        ("POST", "/webhooks") => json!({ "url": "http://127.0.0.1:9/other", "events": ["invitation.sent"] }),
        ("PATCH", "/webhooks/{id}") => json!({ "enabled": false, "description": label }),
        ("POST", "/push/subscriptions") => json!({
            "endpoint": "http://127.0.0.1:9/push", "keys": { "p256dh": "x", "auth": "y" },
        }),
        ("DELETE", "/push/subscriptions") => json!({ "endpoint": "http://127.0.0.1:9/push" }),
        _ => return None,
    })
}
