//! /api/v1 templates (create, read, edit with versions, archive, export/import), e-mail
//! templates and organisation settings, over real HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;

use api_common::{Api, candidate_email, header, sign_in, spec, unique};
use common::{TestApp, client};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shortlist_domain::Role;
use std::time::Duration;

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn templates_are_created_read_edited_archived_and_checked() {
    let app = TestApp::spawn().await;
    let api = sign_in(&app, Role::Recruiter).await;
    let key = format!("sales-{}", unique());
    let (s, t) = api
        .post("/templates", json!({ "key": key, "spec": spec("Sales rep", 2) }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let id = t["id"].as_str().unwrap().to_string();
    assert_eq!(
        (t["version"].as_i64(), t["can_invite"].as_bool()),
        (Some(1), Some(true))
    );
    assert_eq!(t["spec"]["questions"][1]["answer_time_secs"], 120);

    let (s, got) = api.get(&format!("/templates/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(got["spec"], t["spec"]);
    let (s, by_key) = api.get(&format!("/templates/by-key/{key}")).await;
    assert_eq!((s, by_key["id"].as_str()), (StatusCode::OK, Some(id.as_str())));

    // No invitation uses it yet: the edit stays version 1.
    let mut edited = spec("Sales representative", 3);
    edited["closing_message"] = json!("Thank you!");
    let (s, v) = api.put(&format!("/templates/{id}"), json!({ "spec": edited })).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["version"].as_i64(), v["name"].as_str()),
        (Some(1), Some("Sales representative"))
    );
    assert_eq!(v["version_id"], t["version_id"]);

    let (s, list) = api.get("/templates").await;
    assert_eq!(s, StatusCode::OK);
    let item = &list["items"][0];
    assert_eq!(
        (item["id"].as_str(), item["can_invite"].as_bool()),
        (Some(id.as_str()), Some(true))
    );
    assert_eq!(
        (item["key"].as_str(), item["archived"].as_bool()),
        (Some(key.as_str()), Some(false))
    );

    let empty = api.template(&format!("empty-{}", unique()), spec("Empty", 0)).await;
    let (_, e) = api.get(&format!("/templates/{empty}")).await;
    assert_eq!(e["can_invite"], false);

    // Archive and back.
    let (s, _) = api.post(&format!("/templates/{id}/archive"), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (_, list) = api.get("/templates").await;
    assert!(list["items"].as_array().unwrap().iter().all(|i| i["id"] != id.as_str()));
    let (_, list) = api.get("/templates?include_archived=true").await;
    let archived = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id.as_str())
        .cloned();
    assert_eq!(archived.unwrap()["archived"], true);
    let (s, _) = api.post(&format!("/templates/{id}/unarchive"), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (_, list) = api.get("/templates?limit=1").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(list["next_cursor"].is_string(), "{list}");

    // The same key again.
    let (s, p) = api
        .post("/templates", json!({ "key": key, "spec": spec("Other", 1) }))
        .await;
    assert_eq!(
        (s, p["code"].as_str()),
        (StatusCode::CONFLICT, Some("template_key_taken"))
    );
}

#[tokio::test]
async fn bad_templates_get_problems_naming_the_fields() {
    let app = TestApp::spawn().await;
    let api = sign_in(&app, Role::Recruiter).await;
    let mut bad = spec("Bad", 2);
    bad["questions"][0]["prompt"] = json!(" ");
    bad["questions"][1]["answer_time_secs"] = json!(0);
    let (s, p) = api.post("/templates", json!({ "key": "bad", "spec": bad })).await;
    assert_eq!(
        (s, p["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_failed"))
    );
    let f = fields(&p);
    assert!(f.contains(&"questions[0].prompt".to_string()), "{p}");
    assert!(f.contains(&"questions[1].answer_time_secs".to_string()), "{p}");

    let (s, p) = api
        .post("/templates", json!({ "key": "Not A Slug!", "spec": spec("X", 1) }))
        .await;
    assert_eq!(
        (s, fields(&p)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["key".to_string()])
    );

    // Wrong types and broken JSON are problems too, not plain text.
    let mut wrong = spec("Wrong", 1);
    wrong["questions"][0]["think_time_secs"] = json!("soon");
    let (s, p) = api.post("/templates", json!({ "key": "wrong", "spec": wrong })).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&p), vec!["spec.questions[0].think_time_secs".to_string()], "{p}");
    let r = api
        .c
        .post(format!("{}/templates", api.base))
        .header("content-type", "application/json")
        .body("{\"key\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: Value = r.json().await.unwrap();
    assert_eq!(
        (p["code"].as_str(), fields(&p)),
        (Some("validation_failed"), vec!["body".to_string()])
    );
    let r = api
        .c
        .post(format!("{}/templates", api.base))
        .body("key=x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(r.headers()["content-type"], "application/problem+json");

    // Unknown and malformed ids are both simply not found.
    for path in [
        "/templates/tpl_0123456789abcdef0123456789abcdef",
        "/templates/nope",
        "/templates/by-key/nope",
    ] {
        let (s, p) = api.get(path).await;
        assert_eq!(
            (s, p["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found")),
            "{path}"
        );
    }
    let (s, p) = api.put("/templates/nope", json!({ "spec": spec("X", 1) })).await;
    assert_eq!((s, p["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let (s, p) = api.get("/templates?limit=0").await;
    assert_eq!(
        (s, fields(&p)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["limit".to_string()])
    );

    // Without a session: 401, as a problem.
    let r = client().get(app.url("/api/v1/templates")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
}

#[tokio::test]
async fn editing_a_used_template_adds_a_version_and_invitations_keep_theirs() {
    let app = TestApp::spawn().await;
    let api = sign_in(&app, Role::Recruiter).await;
    let tpl = api.template(&format!("eng-{}", unique()), spec("Engineer", 1)).await;
    let (_, v1) = api
        .put(&format!("/templates/{tpl}"), json!({ "spec": spec("Engineer", 2) }))
        .await;
    assert_eq!(v1["version"], 1, "not used yet: edited in place");
    let pos = api.position("Backend engineer", &[&tpl]).await;
    let (s, inv) = api
        .invite(&pos, json!({ "email": candidate_email("ver"), "name": "Ver" }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{inv}");
    let inv_id = inv["invitation"]["id"].as_str().unwrap().to_string();
    assert_eq!(inv["invitation"]["template"]["version_id"], v1["version_id"]);

    let (s, v2) = api
        .put(&format!("/templates/{tpl}"), json!({ "spec": spec("Engineer v2", 3) }))
        .await;
    assert_eq!(s, StatusCode::OK, "{v2}");
    assert_eq!(v2["version"], 2);
    assert_ne!(v2["version_id"], v1["version_id"]);
    let (_, again) = api
        .put(&format!("/templates/{tpl}"), json!({ "spec": spec("Engineer v2b", 3) }))
        .await;
    assert_eq!(again["version"], 2, "version 2 has no invitations yet");
    let kept = api.invitation(&inv_id).await;
    assert_eq!(kept["template"]["version_id"], v1["version_id"]);
}

#[tokio::test]
async fn export_then_import_under_a_new_key_round_trips_the_spec() {
    let app = TestApp::spawn().await;
    let api = sign_in(&app, Role::Recruiter).await;
    let key = format!("support-{}", unique());
    let mut s = spec("Support", 2);
    s["branding"] = json!({ "colour": "#1a2b3c" });
    s["surveys"] =
        json!([{ "id": "consent", "placement": "before", "kind": "consent", "prompt": "I agree", "required": true }]);
    let id = api.template(&key, s).await;

    let r = api
        .c
        .get(format!("{}/templates/{id}/export", api.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/json");
    let disposition = r.headers()["content-disposition"].to_str().unwrap().to_string();
    assert_eq!(disposition, format!("attachment; filename=\"{key}.json\""));
    let file: Value = r.json().await.unwrap();
    assert_eq!(
        (file["shortlist_template"].as_i64(), file["key"].as_str()),
        (Some(1), Some(key.as_str()))
    );

    let (st, p) = api.post("/templates/import", file.clone()).await;
    assert_eq!(
        (st, p["code"].as_str()),
        (StatusCode::CONFLICT, Some("template_key_taken"))
    );
    let new_key = format!("copy-{}", unique());
    let (st, copy) = api
        .post(&format!("/templates/import?key={new_key}"), file.clone())
        .await;
    assert_eq!(st, StatusCode::CREATED, "{copy}");
    assert_eq!(copy["key"], new_key.as_str());
    assert_ne!(copy["id"].as_str(), Some(id.as_str()));
    let (_, original) = api.get(&format!("/templates/{id}")).await;
    assert_eq!(copy["spec"], original["spec"]);
    assert_eq!(copy["spec"], file["spec"]);

    let mut future = file.clone();
    future["shortlist_template"] = json!(99);
    let (st, p) = api.post(&format!("/templates/import?key=f-{}", unique()), future).await;
    assert_eq!(
        (st, fields(&p)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["shortlist_template".to_string()])
    );
}

#[tokio::test]
async fn email_templates_can_be_customised_used_and_reset() {
    let app = TestApp::spawn().await;
    let recruiter = sign_in(&app, Role::Recruiter).await;
    let (s, p) = recruiter
        .call(Method::DELETE, "/email-templates/invitation", None)
        .await;
    assert_eq!(
        (s, p["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden")),
        "only admins edit the wording"
    );
    let api = sign_in(&app, Role::Admin).await;
    let (s, d) = api.get("/email-templates/invitation").await;
    assert_eq!((s, d["customised"].as_bool()), (StatusCode::OK, Some(false)));
    assert!(d["placeholders"].as_array().unwrap().contains(&json!("link")));
    assert!(d["text_body"].as_str().unwrap().contains("{{link}}"));

    let bad = json!({ "subject": "Hi {{candiate_name}}", "text_body": "no link", "html_body": "<p>{{link}}</p>" });
    let (s, p) = api.put("/email-templates/invitation", bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let f = fields(&p);
    assert!(
        f.contains(&"subject".to_string()) && f.contains(&"text_body".to_string()),
        "{p}"
    );

    let subject = format!("Custom {} {{{{position_title}}}}", unique());
    let own = json!({
        "subject": subject,
        "text_body": "Dear {{candidate_name}}, go to {{link}} before {{expires_at}}.",
        "html_body": "<p><a href=\"{{link}}\">Start</a></p>"
    });
    let (s, c) = api.put("/email-templates/invitation", own).await;
    assert_eq!((s, c["customised"].as_bool()), (StatusCode::OK, Some(true)), "{c}");
    let (_, c) = api.get("/email-templates/invitation").await;
    assert_eq!(c["subject"], subject.as_str());

    let pos = api.ready_position("Custom mail position").await;
    let to = candidate_email("custom");
    let (s, _) = api.invite(&pos, json!({ "email": to, "name": "Cus Tom" })).await;
    assert_eq!(s, StatusCode::CREATED);
    let mails = common::mails_to(&to, 1, Duration::from_secs(30)).await;
    assert_eq!(mails.len(), 1);
    let expected = subject.replace("{{position_title}}", "Custom mail position");
    assert_eq!(header(&mails[0], "Subject").as_deref(), Some(expected.as_str()));

    let (s, r) = api.call(Method::DELETE, "/email-templates/invitation", None).await;
    assert_eq!((s, r["customised"].as_bool()), (StatusCode::OK, Some(false)));
    let (s, _) = api.get("/email-templates/nope").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn settings_are_read_by_all_and_changed_by_admins() {
    let app = TestApp::spawn().await;
    let recruiter = sign_in(&app, Role::Recruiter).await;
    let (s, d) = recruiter.get("/settings").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(d, json!({ "default_expiry_days": 14, "reminder_hours": [48, 24] }));
    let (s, p) = recruiter
        .put("/settings", json!({ "default_expiry_days": 7, "reminder_hours": [24] }))
        .await;
    assert_eq!((s, p["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));

    let admin: Api = sign_in(&app, Role::Admin).await;
    let (s, p) = admin
        .put("/settings", json!({ "default_expiry_days": 0, "reminder_hours": [24] }))
        .await;
    assert_eq!(
        (s, fields(&p)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["default_expiry_days".to_string()]
        )
    );
    let (s, p) = admin
        .put(
            "/settings",
            json!({ "default_expiry_days": 7, "reminder_hours": "soon" }),
        )
        .await;
    assert_eq!(
        (s, fields(&p)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["reminder_hours".to_string()])
    );
    let (s, v) = admin
        .put(
            "/settings",
            json!({ "default_expiry_days": 7, "reminder_hours": [24, 72] }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v, json!({ "default_expiry_days": 7, "reminder_hours": [72, 24] }));

    // New invitations use the organisation's default expiry.
    let pos = admin.ready_position("Settings position").await;
    let (_, inv) = admin.invite(&pos, json!({ "email": candidate_email("set") })).await;
    let expires = chrono::DateTime::parse_from_rfc3339(inv["invitation"]["expires_at"].as_str().unwrap()).unwrap();
    let days = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_hours();
    assert!((7 * 24 - 2..=7 * 24).contains(&days), "{days} hours");
}
