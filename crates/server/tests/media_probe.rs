//! `media.probe`: a real WebM made by ffmpeg, uploaded through the candidate's tus flow, gets its
//! duration recorded on the take and a poster JPEG stored next to it — also when the WebM has no
//! duration header (as Chromium's MediaRecorder writes it). Without ffmpeg the tests are skipped
//! with a message, unless CI is set: then they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;
mod tus_support;

use common::{TestApp, eventually};
use shortlist_app::interview::Access;
use shortlist_app::interview::answers::AnswerInput;
use shortlist_store::take_probe;
use std::path::PathBuf;
use std::time::Duration;
use tus_support::{Tus, interview};

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

fn ffmpeg_ready() -> bool {
    let missing: Vec<_> = ["ffmpeg", "ffprobe"]
        .into_iter()
        .filter(|b| on_path(b).is_none())
        .collect();
    if missing.is_empty() {
        return true;
    }
    let message = format!(
        "media probe test needs {} (run scripts/install-test-deps)",
        missing.join(", ")
    );
    if std::env::var("CI").is_ok_and(|v| !v.is_empty()) {
        panic!("{message}");
    }
    eprintln!("SKIPPED: {message}");
    false
}

/// A 2-second VP8/Opus WebM. Written to a pipe, ffmpeg cannot seek back to fill in the
/// duration, like Chromium's recorder.
async fn webm(streamed: bool) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.webm");
    let mut cmd = tokio::process::Command::new("ffmpeg");
    cmd.args([
        "-v",
        "error",
        "-f",
        "lavfi",
        "-i",
        "testsrc=duration=2:size=320x240:rate=15",
    ])
    .args([
        "-f",
        "lavfi",
        "-i",
        "sine=duration=2",
        "-c:v",
        "libvpx",
        "-c:a",
        "libopus",
        "-f",
        "webm",
    ]);
    if streamed {
        cmd.arg("pipe:1");
    } else {
        cmd.arg(&out);
    }
    let o = cmd.output().await.unwrap();
    assert!(o.status.success(), "ffmpeg: {}", String::from_utf8_lossy(&o.stderr));
    if streamed {
        o.stdout
    } else {
        std::fs::read(&out).unwrap()
    }
}

async fn a_take_gets_duration_and_poster(streamed: bool) {
    let bytes = webm(streamed).await;
    let app = TestApp::spawn().await;
    let i = interview(&app).await;
    let tus = Tus::new(&app, &i.token);
    let loc = tus.video(bytes.len(), 1).await;
    tus.patch_ok(&loc, 0, &bytes).await;
    // The candidate submits the take, so reviewers see it.
    let iv = &app.app.interviews;
    let session = || async {
        match iv.access(&i.token).await.unwrap() {
            Access::Open(s) => *s,
            other => panic!("link not open: {other:?}"),
        }
    };
    iv.consent(&session().await).await.unwrap();
    iv.answer(&session().await, "q1", AnswerInput::Take(1)).await.unwrap();

    let db = app.app.db.clone();
    let probe = eventually(Duration::from_secs(60), || {
        let db = db.clone();
        let inv = i.invitation.clone();
        let org = i.api.org.as_str().to_string();
        async move {
            let p = take_probe::get(&db, &org, &inv, "q1", 1).await.unwrap()?;
            p.duration_ms.is_some().then_some(p)
        }
    })
    .await
    .expect("the take was probed");
    let ms = probe.duration_ms.unwrap();
    assert!((1500..=2500).contains(&ms), "duration {ms} ms");
    let poster = probe.poster_key.expect("a poster");
    assert!(
        poster.contains("/q1/take-1.") && poster.ends_with(".poster.jpg"),
        "{poster}"
    );
    let jpeg = app.app.media.get(&poster).await.unwrap();
    assert!(
        jpeg.starts_with(&[0xFF, 0xD8, 0xFF]),
        "not a JPEG: {:02x?}",
        &jpeg[..4.min(jpeg.len())]
    );

    // The reviewer's page shows the length and uses the poster, served behind the take's check.
    let inv = &i.invitation;
    let html = i
        .api
        .c
        .get(app.url(&format!("/interviews/{inv}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let url = format!("/invitations/{inv}/takes/q1/1/poster");
    assert!(html.contains(&format!("poster=\"{url}\"")), "{html}");
    assert!(html.contains("Length 0:02"), "{html}");
    let r = i.api.c.get(app.url(&url)).send().await.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert!(r.bytes().await.unwrap() == jpeg, "the stored poster");
    let anonymous = common::client().get(app.url(&url)).send().await.unwrap();
    assert_ne!(anonymous.status(), reqwest::StatusCode::OK);
}

#[tokio::test]
async fn a_recorded_take_gets_its_duration_and_a_poster() {
    if ffmpeg_ready() {
        a_take_gets_duration_and_poster(false).await;
    }
}

#[tokio::test]
async fn a_take_without_a_duration_header_is_measured_by_its_packets() {
    if ffmpeg_ready() {
        a_take_gets_duration_and_poster(true).await;
    }
}
