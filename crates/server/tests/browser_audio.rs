#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Audio-only answers in Chromium. Chromium's fake devices always include a camera, so the
//! driver (config `noCamera`) makes the page find none: getUserMedia with video fails with
//! NotFoundError and enumerateDevices lists no camera, while the fake microphone still works.
//! A template that allows audio-only answers lets the candidate continue with the microphone;
//! the stored take is audio only (ffprobe) and the reviewer gets it. A template without the
//! setting does not offer it.
//!
//! Needs chromium, ffprobe, node and tests/browser/node_modules (see browser.rs).

mod api_common;
mod browser_support;
mod common;

use api_common::{PASSWORD, unique};
use browser_support::{Invited, browser_ready, browser_sha, drive, invite, probe, stored_take_as};
use common::{TestApp, client};
use reqwest::StatusCode;
use serde_json::{Value, json};
use shortlist_domain::Role;

/// One short video question; `allow_audio_only` is the template's setting.
fn spec(allow_audio_only: bool) -> Value {
    json!({
        "name": "Audio only",
        "allow_audio_only": allow_audio_only,
        "questions": [
            { "id": "q1", "kind": "video", "prompt": "Tell us about a project", "think_time_secs": 0, "answer_time_secs": 4, "retakes": 0 }
        ]
    })
}

/// A reviewer of the invitation's organisation, signed in through the real /login form.
async fn reviewer(app: &TestApp, inv: &Invited) -> reqwest::Client {
    let email = format!("{}@test.shortlist.localhost", unique());
    app.app
        .accounts
        .create_user(&inv.api.org, &email, "Rita Reviewer", Role::Reviewer, Some(PASSWORD))
        .await
        .unwrap();
    let c = client();
    let r = c
        .post(app.url("/login"))
        .form(&[("email", email.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    c
}

/// Without a camera, on a template that allows it: the device check fails on the camera and
/// offers "Continue with audio only"; the candidate takes it, records with the microphone,
/// and completes. The stored take has an audio stream and no video stream, and the reviewer
/// gets exactly those bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_camera_the_candidate_answers_with_audio_only() {
    if !browser_ready() {
        return;
    }
    let app = TestApp::spawn().await;
    let inv = invite(&app, spec(true)).await;
    let result = drive(json!({
        "url": app.url(&format!("/i/{}", inv.token)),
        "noCamera": true,
        "steps": ["landing", "device", "question:q1:video", "finish", "done"],
        "takes": 1,
    }))
    .await;

    // What the candidate saw on the device check.
    let check = &result["deviceCheck"];
    assert_eq!(check["state"], "error", "{check}");
    assert_eq!(check["errorShown"], true, "{check}");
    assert!(
        check["error"].as_str().unwrap().starts_with("No camera was found."),
        "{check}"
    );
    assert_eq!(check["audioOnlyOffered"], true, "{check}");
    assert_eq!(check["audioOnlyLabel"], "Continue with audio only", "{check}");
    let after = &check["after"];
    assert_eq!(after["status"], "Your microphone works.", "{check}");
    assert_eq!(after["errorShown"], false, "{check}");
    assert_eq!(after["previewShown"], false, "no camera preview: {check}");
    assert_eq!(after["heading"], "Check your microphone", "{check}");
    // The question page recorded audio: the take plays in an <audio> element.
    assert_eq!(result["players"]["q1:1"], "audio", "{}", result["players"]);
    let recorded = &result["takes"]["q1"]["1"];
    assert!(
        recorded["type"].as_str().unwrap().starts_with("audio/webm"),
        "{recorded}"
    );

    // Stored: byte for byte what was recorded, audio (Opus) and no video.
    let sha = browser_sha(&result, "q1", 1);
    let bytes = stored_take_as(&app, &inv, "q1", 1, &sha, "audio/webm").await;
    let streams = probe(&bytes);
    assert!(
        streams.iter().any(|(t, c)| t == "audio" && c == "opus"),
        "no Opus audio stream: {streams:?}"
    );
    assert!(
        !streams.iter().any(|(t, _)| t == "video"),
        "a video stream in an audio-only take: {streams:?}"
    );
    assert_eq!(inv.api.invitation(&inv.id).await["state"], "completed");

    // The reviewer's page has an audio player (not an empty video frame) for the audio take.
    let c = reviewer(&app, &inv).await;
    let page = c.get(app.url(&format!("/interviews/{}", inv.id))).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    let src = format!("/invitations/{}/takes/q1/1", inv.id);
    assert!(
        html.contains(&format!(
            "<audio controls preload=\"metadata\" id=\"player-q1\" src=\"{src}\""
        )),
        "no audio player for the audio answer: {html}"
    );
    let media = c.get(app.url(&src)).send().await.unwrap();
    assert_eq!(media.status(), StatusCode::OK);
    let content_type = media.headers()["content-type"].to_str().unwrap().to_string();
    assert!(content_type.starts_with("audio/webm"), "{content_type}");
    assert!(
        media.bytes().await.unwrap() == bytes,
        "the reviewer gets the stored take"
    );
    app.stop().await;
}

/// Without a camera, on a template that does not allow audio-only answers: the check fails,
/// says a camera is required, and offers only a retry; nothing is recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_setting_audio_only_is_not_offered() {
    if !browser_ready() {
        return;
    }
    let app = TestApp::spawn().await;
    let inv = invite(&app, spec(false)).await;
    let result = drive(json!({
        "url": app.url(&format!("/i/{}", inv.token)),
        "noCamera": true,
        "steps": ["landing", "device"],
    }))
    .await;
    let check = &result["deviceCheck"];
    assert_eq!(check["state"], "error", "{check}");
    let error = check["error"].as_str().unwrap();
    assert!(
        error.starts_with("No camera was found.")
            && error.ends_with("This interview needs a camera: answers without video are not accepted."),
        "{check}"
    );
    assert_eq!(check["audioOnlyOffered"], false, "{check}");
    assert_eq!(check["retryOffered"], true, "{check}");
    assert!(check["after"].is_null(), "{check}");
    let takes = shortlist_store::uploads::takes_for(&app.app.db, &inv.api.org, &inv.invitation_id())
        .await
        .unwrap();
    assert!(takes.is_empty(), "{takes:?}");
    app.stop().await;
}
