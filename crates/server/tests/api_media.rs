//! /api/v1/media: uploading template media, reading it back, and templates referring to it,
//! over real HTTP. Files belong to the organisation that uploaded them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;

use api_common::{Api, sign_in, spec, unique};
use common::TestApp;
use common::png::png_1x1;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shortlist_domain::Role;

async fn upload(api: &Api, kind: &str, content_type: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let r = api
        .c
        .post(format!("{}/media?kind={kind}", api.base))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: {text}")),
    )
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|a| a.iter().map(|e| e["field"].as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

fn with_logo(key: &str) -> Value {
    let mut s = spec("Branded", 1);
    s["branding"] = json!({ "colour": "#112233", "logo_media_key": key });
    s
}

#[tokio::test]
async fn a_logo_is_uploaded_used_in_a_template_and_read_back() {
    let app = TestApp::spawn().await;
    let api = sign_in(&app, Role::Recruiter).await;
    let png = png_1x1([200, 30, 30, 255]);
    let (s, m) = upload(&api, "logo", "image/png", png.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let key = m["media_key"].as_str().unwrap().to_string();
    assert!(
        key.starts_with(&format!("orgs/{}/template-media/", api.org)) && key.ends_with(".png"),
        "{key}"
    );
    assert_eq!(
        (m["content_type"].as_str(), m["size"].as_u64()),
        (Some("image/png"), Some(png.len() as u64))
    );

    let id = api.template(&format!("branded-{}", unique()), with_logo(&key)).await;
    let (_, t) = api.get(&format!("/templates/{id}")).await;
    assert_eq!(t["spec"]["branding"]["logo_media_key"], key.as_str());

    let r = api.c.get(format!("{}/media/{key}", api.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "image/png");
    // Not audio or video: a download in a sandbox, never a page (an <img> still shows it).
    assert!(
        h["content-disposition"].to_str().unwrap().starts_with("attachment"),
        "{h:?}"
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(r.bytes().await.unwrap().to_vec(), png);

    // Documents and intro videos are checked the same way.
    let (s, pdf) = upload(&api, "document", "application/pdf", b"%PDF-1.7\n%%EOF\n".to_vec()).await;
    assert_eq!(s, StatusCode::CREATED, "{pdf}");
    let webm = b"\x1a\x45\xdf\xa3\x01\x00\x00\x00".to_vec();
    let (s, video) = upload(&api, "intro_video", "video/webm", webm).await;
    assert_eq!(s, StatusCode::CREATED, "{video}");
    let mut full = with_logo(&key);
    full["intro_video_media_key"] = video["media_key"].clone();
    full["documents"] = json!([{ "title": "Handbook", "media_key": pdf["media_key"] }]);
    let (s, v) = api.put(&format!("/templates/{id}"), json!({ "spec": full })).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // A video is no logo.
    let (s, p) = api
        .post(
            "/templates",
            json!({ "key": format!("x-{}", unique()), "spec": with_logo(video["media_key"].as_str().unwrap()) }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&p), ["branding.logo_media_key"], "{p}");
    app.stop().await;
}

#[tokio::test]
async fn wrong_types_and_oversize_files_are_refused_with_reasons() {
    let app = TestApp::spawn().await;
    let api = sign_in(&app, Role::Recruiter).await;
    let png = png_1x1([0, 0, 0, 255]);

    // A PNG claimed to be a WebM video: the content gives it away.
    let (s, p) = upload(&api, "intro_video", "video/webm", png.clone()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let detail = p["detail"].as_str().unwrap();
    assert!(
        detail.contains("not video/webm") && detail.contains("image/png"),
        "{detail}"
    );
    // A video type where a logo is expected.
    let (s, p) = upload(&api, "logo", "video/webm", png.clone()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("a logo must be PNG, JPEG, SVG or WebP"),
        "{p}"
    );
    let (s, p) = upload(&api, "poster", "image/png", png.clone()).await;
    assert_eq!(
        (s, fields(&p)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["kind".to_string()])
    );

    // 5 MiB + 1 byte: refused from its Content-Length, the limit in the message.
    let mut big = png[..16].to_vec();
    big.resize(5 * 1024 * 1024 + 1, 0);
    let (s, p) = upload(&api, "logo", "image/png", big).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{p}");
    assert_eq!(p["code"], "payload_too_large");
    assert!(p["detail"].as_str().unwrap().contains("at most 5 MiB"), "{p}");

    // Reviewers read templates but upload nothing.
    let reviewer = sign_in(&app, Role::Reviewer).await;
    let (s, _) = upload(&reviewer, "logo", "image/png", png).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    app.stop().await;
}

#[tokio::test]
async fn another_organisation_can_neither_read_nor_use_a_file() {
    let app = TestApp::spawn().await;
    let owner = sign_in(&app, Role::Recruiter).await;
    let other = sign_in(&app, Role::Admin).await;
    let (s, m) = upload(&owner, "logo", "image/png", png_1x1([1, 2, 3, 255])).await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let key = m["media_key"].as_str().unwrap();

    let r = other.c.get(format!("{}/media/{key}", other.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = other
        .c
        .get(format!("{}/media/orgs/nothing/here.png", other.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let (s, p) = other
        .post(
            "/templates",
            json!({ "key": format!("stolen-{}", unique()), "spec": with_logo(key) }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(fields(&p), ["branding.logo_media_key"]);
    // Editing is checked as well, and unknown keys anywhere are named.
    let id = other.template(&format!("plain-{}", unique()), spec("Plain", 1)).await;
    let mut s2 = with_logo(key);
    s2["questions"][0]["prompt_video"] = json!("orgs/x/template-media/none.webm");
    let (s, p) = other.put(&format!("/templates/{id}"), json!({ "spec": s2 })).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(fields(&p), ["branding.logo_media_key", "questions[0].prompt_video"]);

    // Signed out: nothing.
    let r = common::client()
        .get(app.url(&format!("/api/v1/media/{key}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    app.stop().await;
}
