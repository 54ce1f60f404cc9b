//! The stored XSS of the penetration test from the serving side: a take stored before the fix
//! with a malicious content type (and an HTML page as its bytes) is served safely on every
//! route a reviewer or guest can reach: the member route, the API, the interview URL, share
//! links (anonymised too); template media as well.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;
mod review_support;

use common::{TestApp, client};
use reqwest::StatusCode;
use review_support::fixture;
use serde_json::json;

const HTML: &[u8] = b"<!doctype html><title>take</title><script>document.title='PWNED'</script>";
const SANDBOX: &str = "sandbox; default-src 'none'";

/// Puts a take back into the state the report left it in: the client's type string stored
/// whole and an HTML page as the file.
async fn plant(app: &TestApp, inv: &str, question: &str, content_type: &str) {
    let sql = "UPDATE answer_takes SET content_type = $1 WHERE invitation_id = $2 AND question_id = $3 \
               RETURNING media_key";
    let key: String = shortlist_store::on_db!(&app.app.db, p => sqlx::query_scalar(sql)
        .bind(content_type).bind(inv).bind(question).fetch_one(p).await)
    .unwrap();
    app.app.media.put(&key, HTML.to_vec()).await.unwrap();
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// GETs `url` and checks the answer is the file, sent so that no browser runs it.
async fn served_safely(c: &reqwest::Client, url: &str, content_type: &str, inline: bool) {
    let r = c.get(url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{url}");
    assert_eq!(header(&r, "content-type"), content_type, "{url}");
    assert_eq!(header(&r, "x-content-type-options"), "nosniff", "{url}");
    assert_eq!(header(&r, "content-security-policy"), SANDBOX, "{url}");
    let disposition = header(&r, "content-disposition");
    if inline {
        assert_eq!(disposition, "inline", "{url}");
    } else {
        assert!(
            disposition.starts_with("attachment; filename=\""),
            "{url}: {disposition}"
        );
    }
}

#[tokio::test]
async fn a_take_stored_before_the_fix_with_a_malicious_type_is_served_safely() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    plant(&app, &f.inv, "q1", "video/webm;codecs=vp8,text/html").await;
    plant(&app, &f.inv, "q4", "application/pdf;x=,text/html").await;
    let (s, _) = f
        .api
        .put(
            "/review-settings",
            json!({ "link_access": "anyone_with_link", "hide_until_submitted": true }),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let links = format!("/positions/{}/share-links", f.pos);
    let (s, v) = f.api.post(&links, json!({ "invitation_ids": [f.inv] })).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let share = format!("{}/{}", v["url"].as_str().unwrap(), f.inv);
    let (s, v) = f
        .api
        .post(&links, json!({ "invitation_ids": [f.inv], "anonymised": true }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let anonymised = format!("{}/{}", v["url"].as_str().unwrap(), f.inv);
    let interview_url = app.app.recruiting.links.review_url(&f.inv);
    let member = format!("{}/invitations/{}", app.base, f.inv);
    let api = format!("{}/api/v1/invitations/{}", app.base, f.inv);

    let guest = client();
    for (c, base) in [
        (&f.api.c, &member),
        (&f.api.c, &api),
        (&guest, &interview_url),
        (&guest, &share),
    ] {
        served_safely(c, &format!("{base}/takes/q1/1"), "video/webm", true).await;
        served_safely(c, &format!("{base}/takes/q4/1"), "application/pdf", false).await;
    }
    // An anonymised link never serves the original of a video take, only its audio-only copy,
    // which the planted page does not have (share_anonymised_audio.rs covers the copy).
    let r = guest.get(format!("{anonymised}/takes/q1/1")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(!r.text().await.unwrap().contains("PWNED"));

    // A type no list knows is a download of bytes.
    plant(&app, &f.inv, "q4", "text/html").await;
    for (c, url) in [
        (&f.api.c, format!("{member}/takes/q4/1")),
        (&f.api.c, format!("{api}/takes/q4/1")),
        (&guest, format!("{interview_url}/takes/q4/1")),
        (&guest, format!("{share}/takes/q4/1")),
    ] {
        served_safely(c, &url, "application/octet-stream", false).await;
        let r = c.get(&url).send().await.unwrap();
        let disposition = header(&r, "content-disposition");
        assert_eq!(disposition, "attachment; filename=\"answer-q4-take-1.bin\"", "{url}");
    }
    app.stop().await;
}

/// Template documents and media go out the same way (one guard for every file route).
#[tokio::test]
async fn template_documents_and_media_are_served_as_downloads_in_a_sandbox() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let (s, _) = f
        .api
        .put(
            "/review-settings",
            json!({ "link_access": "anyone_with_link", "hide_until_submitted": true }),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = f
        .api
        .post(
            &format!("/positions/{}/share-links", f.pos),
            json!({ "invitation_ids": [f.inv] }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let share = format!("{}/{}", v["url"].as_str().unwrap(), f.inv);
    let interview_url = app.app.recruiting.links.review_url(&f.inv);
    let guest = client();
    for (c, url) in [
        (&f.api.c, format!("{}/interviews/{}/documents/1", app.base, f.inv)),
        (&guest, format!("{interview_url}/documents/1")),
        (&guest, format!("{share}/documents/1")),
    ] {
        served_safely(c, &url, "application/pdf", false).await;
    }
    let sql = "SELECT key FROM media_objects WHERE org_id = $1";
    let key: String = shortlist_store::on_db!(&app.app.db, p => sqlx::query_scalar(sql)
        .bind(f.api.org.as_str()).fetch_one(p).await)
    .unwrap();
    for url in [
        format!("{}/media/{key}", app.base),
        format!("{}/api/v1/media/{key}", app.base),
    ] {
        served_safely(&f.api.c, &url, "application/pdf", false).await;
    }
    app.stop().await;
}
