#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Candidate uploads in Chromium under network faults: a proxy cuts the first PATCH off
//! half-way, or holds every connection while the server restarts. tus-js-client must resume
//! from the stored offset and the stored answer must be byte for byte what was recorded.
//!
//! Needs chromium, ffprobe, node and tests/browser/node_modules (see browser.rs).

mod api_common;
mod browser_support;
mod common;

use browser_support::proxy::{Fault, Proxy};
use browser_support::{
    assert_playable, browser_ready, browser_sha, drive, first_after_failure, invite, stored_take, upload_spec,
    upload_state,
};
use common::TestApp;
use serde_json::json;
use std::time::Duration;

/// The first upload PATCH is cut off half-way by a proxy that then drops the connection:
/// tus-js-client resumes from the stored offset and the answer arrives byte-identical.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_cut_off_midway_resumes_byte_identical() {
    if !browser_ready() {
        return;
    }
    let app = TestApp::spawn().await;
    let inv = invite(&app, upload_spec()).await;
    let (proxy, mut cuts) = Proxy::start(app.addr, Fault::Cut).await;
    let result = drive(json!({
        "url": proxy.url(&format!("/i/{}", inv.token)),
        "steps": ["landing", "device", "question:q1:video", "finish", "done"],
        "takes": 1,
    }))
    .await;
    let cut_at = cuts.try_recv().expect("the proxy cut a PATCH off");
    let sha = browser_sha(&result, "q1", 1);
    let bytes = stored_take(&app, &inv, "q1", 1, &sha).await;
    assert!(cut_at > 0 && cut_at < bytes.len(), "cut after {cut_at} bytes");
    assert!(
        proxy.patches() > proxy.cuts() && proxy.cuts() >= 1,
        "{} PATCH requests, {} cut off",
        proxy.patches(),
        proxy.cuts()
    );
    // tus-js-client saw the PATCH fail, then sent the rest from where the cut-off one had been
    // stored.
    let patches = result["takes"]["q1"]["1"]["patches"].as_array().unwrap();
    eprintln!(
        "proxy: {} PATCH requests, {} cut off; the page's PATCHes: {patches:?}",
        proxy.patches(),
        proxy.cuts()
    );
    let last = patches.last().unwrap();
    assert_eq!(last["status"], 204, "{patches:?}");
    let resumed_at = first_after_failure(patches)["offset"].as_u64().unwrap() as usize;
    assert!(
        resumed_at > 0 && resumed_at <= cut_at,
        "resumed at {resumed_at} after {cut_at} bytes were forwarded: {patches:?}"
    );
    assert_playable(&bytes);
    assert_eq!(inv.api.invitation(&inv.id).await["state"], "completed");
    app.stop().await;
}

/// The server restarts (same database and media folder, another port behind the proxy) while
/// an upload is half-way: the browser resumes against the new server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_survives_a_server_restart() {
    if !browser_ready() {
        return;
    }
    let app = TestApp::spawn().await;
    let mut inv = invite(&app, upload_spec()).await;
    let (proxy, mut cuts) = Proxy::start(app.addr, Fault::CutAndHold).await;
    let url = proxy.url(&format!("/i/{}", inv.token));
    let browser = tokio::spawn(drive(json!({
        "url": url,
        "steps": ["landing", "device", "question:q1:video", "finish", "done"],
        "takes": 1,
    })));

    // Half the first PATCH has reached the server when the proxy drops the connection (and
    // from then on every connection). Once the server has stored those bytes, stop it and start
    // a new one on the same database and media folder.
    let cut_at = tokio::time::timeout(Duration::from_secs(90), cuts.recv())
        .await
        .expect("no upload PATCH within 90 s")
        .unwrap();
    let (stored, length) = common::eventually(Duration::from_secs(15), || async {
        let s = upload_state(&app, &inv).await;
        (s.len() == 1 && s[0].0 > 0 && !s[0].2).then_some((s[0].0, s[0].1))
    })
    .await
    .unwrap_or_else(|| panic!("the cut-off PATCH left nothing stored"));
    assert_eq!(stored as usize, cut_at, "every byte that arrived is kept");
    assert!(
        length == shortlist_store::uploads::DEFERRED_LENGTH || stored < length,
        "the upload is half-way: {stored} of {length}"
    );
    let (db, data) = app.stop_keeping_data().await;
    let app = TestApp::spawn_on(db, data, &[]).await;
    let state = upload_state(&app, &inv).await;
    assert_eq!(state.len(), 1);
    assert_eq!(
        (state[0].0, state[0].2),
        (stored, false),
        "after the restart: {state:?}"
    );
    proxy.point_at(Some(app.addr));
    inv.api.base = format!("{}/api/v1", app.base); // the session cookie stays valid
    eprintln!("server restarted; {stored} of {cut_at} forwarded bytes were stored");

    let result = browser.await.unwrap();
    let sha = browser_sha(&result, "q1", 1);
    let bytes = stored_take(&app, &inv, "q1", 1, &sha).await;
    let patches = result["takes"]["q1"]["1"]["patches"].as_array().unwrap();
    eprintln!(
        "proxy: {} PATCH requests, {} cut off; the page's PATCHes: {patches:?}",
        proxy.patches(),
        proxy.cuts()
    );
    assert_eq!(proxy.cuts(), 1);
    assert!(proxy.patches() >= 2, "{} PATCH requests", proxy.patches());
    assert_eq!(patches.last().unwrap()["status"], 204, "{patches:?}");
    let resumed = first_after_failure(patches);
    assert_eq!(
        resumed["offset"].as_i64(),
        Some(stored),
        "the new server got the rest from the stored offset: {patches:?}"
    );
    assert_playable(&bytes);
    assert_eq!(inv.api.invitation(&inv.id).await["state"], "completed");
    app.stop().await;
}
