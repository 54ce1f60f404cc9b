#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The candidate pages in a real browser: Debian's Chromium with fake camera and microphone,
//! driven by tests/browser/interview.mjs (playwright-core as a driver, axe-core loaded into
//! every page). Each test checks durable evidence afterwards: the database rows, the stored
//! object (byte for byte what the browser recorded, and playable according to ffprobe) and
//! the e-mail. Uploads under network faults are in browser_faults.rs, audio-only answers in
//! browser_audio.rs; the shared set-up is browser_support/.
//!
//! Needs chromium, ffprobe, node and tests/browser/node_modules (scripts/install-test-deps).
//! Without them the tests are skipped with a message, unless CI is set: then they fail.
//! Browser runs take a lock file so that only one Chromium records at a time (2 cores).

mod api_common;
mod browser_support;
mod common;

use browser_support::{
    WAIT, assert_playable, browser_ready, browser_sha, drive, full_spec, invite, stored_take, upload_spec,
};
use common::{TestApp, mails_to};
use reqwest::StatusCode;
use serde_json::json;
use std::sync::Arc;

/// A whole interview in Chromium: device check, practice, the consent survey, a video answer
/// with a retake (take 2 submitted), text, multiple choice, completion and the receipt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_candidate_completes_the_interview_in_chromium() {
    if !browser_ready() {
        return;
    }
    let app = TestApp::spawn().await;
    let inv = invite(&app, full_spec()).await;
    let text = "I like hard problems <and> small teams";
    let result = drive(json!({
        "url": app.url(&format!("/i/{}", inv.token)),
        "steps": ["landing", "device", "practice", "survey:before", "question:q1:video",
                  "question:q2:text", "question:q3:multiple_choice", "question:q4:file_upload",
                  "finish", "done"],
        "answers": { "q2": text, "q3": ["a"] },
        "takes": 2,
        "chooseTake": 2,
        "recordMs": 2000,
        "screenshot": "/tmp/question.png",
        "phoneCheck": true,
    }))
    .await;

    // The completed interview, as stored.
    let detail = inv.api.invitation(&inv.id).await;
    assert_eq!(detail["state"], "completed", "{detail}");
    let rows = shortlist_store::interviews::answers(&app.app.db, &inv.api.org, &inv.invitation_id())
        .await
        .unwrap();
    let answer = |id: &str| {
        rows.iter()
            .find(|a| a.item_id == id)
            .unwrap_or_else(|| panic!("no answer {id}: {rows:?}"))
    };
    assert_eq!(answer("q1").take, Some(2), "take 2 was chosen");
    assert_eq!(answer("q2").text_value.as_deref(), Some(text));
    assert_eq!(answer("q3").choice_ids.as_deref(), Some("[\"a\"]"));
    assert_eq!(answer("q3").correct, Some(true));
    assert!(!answer("s1").skipped);
    assert_eq!(answer("q4").take, Some(1), "the document");

    // Both takes arrived; take 2 is byte for byte what the browser recorded, and playable.
    let take1 = browser_sha(&result, "q1", 1);
    let take2 = browser_sha(&result, "q1", 2);
    assert_ne!(take1, take2);
    stored_take(&app, &inv, "q1", 1, &take1).await;
    let bytes = stored_take(&app, &inv, "q1", 2, &take2).await;
    assert_playable(&bytes);
    // Take 2 (six seconds) was uploaded while it was recorded: its length came last.
    let streamed = &result["takes"]["q1"]["2"];
    let patches = streamed["patches"].as_array().unwrap();
    assert_eq!(streamed["streamed"], true, "{streamed}");
    assert!(
        patches.iter().any(|p| p["whileRecording"] == true),
        "no PATCH went out while recording: {patches:?}"
    );
    assert_eq!(
        patches.last().unwrap()["uploadLength"].as_u64(),
        Some(bytes.len() as u64),
        "{patches:?}"
    );
    assert_eq!(result["sha256"], take2.as_str(), "the submitted take");
    let takes = shortlist_store::uploads::takes_for(&app.app.db, &inv.api.org, &inv.invitation_id())
        .await
        .unwrap();
    let cv = takes
        .iter()
        .find(|t| t.question_id == "q4")
        .expect("the document's take");
    assert_eq!(
        app.app.media.get(&cv.media_key).await.unwrap(),
        b"%PDF-1.4\n% uploaded by the browser test\n"
    );

    // The receipt names every answer; the owner hears of the completion.
    let receipt = result["receipt"].to_string();
    for expected in [
        "Introduce yourself",
        "Recording, take 2",
        "Why do you want this job?",
        "Which is a prime number?",
        "Your CV (PDF)",
        "I agree to be recorded",
    ] {
        assert!(receipt.contains(expected), "{expected} missing from {receipt}");
    }
    assert_eq!(result["closingMessage"], "We will call you within a week.");
    let mails = mails_to(&inv.api.email, 1, WAIT).await;
    let mail = api_common::decode_qp(mails.first().expect("the owner's completion e-mail"));
    assert!(mail.contains("Grace Hopper completed the interview for"), "{mail}");
    app.stop().await;
}

/// In Spanish (?lang=es) the pages speak Spanish and say so in <html lang>.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_speak_spanish_on_request() {
    if !browser_ready() {
        return;
    }
    let app = TestApp::spawn().await;
    let inv = invite(&app, full_spec()).await;
    let result = drive(json!({
        "url": app.url(&format!("/i/{}", inv.token)),
        "lang": "es",
        "timeZone": "America/New_York",
        "steps": ["landing", "device"],
        "stopAt": "device",
        "expectHeadings": {
            "landing": "te invita a una entrevista en vídeo",
            "device": "Comprueba tu cámara y tu micrófono"
        },
    }))
    .await;
    assert_eq!(result["pages"][0]["lang"], "es", "{result}");
    // The deadline in the candidate's time zone and language; the UTC text stays as a tooltip.
    let deadline = &result["deadline"];
    let at = chrono::DateTime::parse_from_rfc3339(deadline["datetime"].as_str().unwrap()).unwrap();
    let new_york = at.with_timezone(&chrono::FixedOffset::west_opt(5 * 3600).unwrap());
    let text = deadline["text"].as_str().unwrap();
    assert_eq!(deadline["zone"], "America/New_York", "{deadline}");
    assert!(text.contains(&new_york.format("%H:%M").to_string()), "{deadline}");
    assert!(
        !text.contains("UTC") && text.contains(&new_york.format("%Y").to_string()),
        "{deadline}"
    );
    assert!(deadline["utc"].as_str().unwrap().ends_with(" UTC"), "{deadline}");
    let detail = inv.api.invitation(&inv.id).await;
    assert_eq!(detail["state"], "started", "consent was given in Spanish: {detail}");
    app.stop().await;
}

/// Expired, cancelled and malformed links: the friendly page with 410, 410 and 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_and_unknown_links_get_their_pages() {
    if !browser_ready() {
        return;
    }
    let clock = Arc::new(shortlist_app::clock::OffsetClock::default());
    let app = TestApp::spawn_with_clock(&[], clock.clone()).await;
    let cancelled = invite(&app, upload_spec()).await;
    let (s, v) = cancelled
        .api
        .post(&format!("/invitations/{}/cancel", cancelled.id), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let expired = invite(&app, upload_spec()).await;
    clock.advance(chrono::TimeDelta::days(60));
    let result = drive(json!({
        "mode": "visit",
        "visits": [
            { "url": app.url(&format!("/i/{}", expired.token)), "status": 410, "heading": "This interview link has expired" },
            { "url": app.url(&format!("/i/{}", cancelled.token)), "status": 410, "heading": "This interview was cancelled" },
            { "url": app.url("/i/not-a-token"), "status": 404, "heading": "This interview link is not valid" },
            { "url": app.url(&format!("/i/{}?lang=es", expired.token)), "status": 410, "heading": "Este enlace de entrevista ha caducado" },
        ],
    }))
    .await;
    let visits = result["visits"].as_array().unwrap();
    assert_eq!(visits.len(), 4);
    assert!(
        visits[0]["detail"].as_str().unwrap().contains(&expired.api.email),
        "the expired page names whom to contact: {}",
        visits[0]
    );
    app.stop().await;
}
