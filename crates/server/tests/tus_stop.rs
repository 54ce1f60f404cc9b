//! A graceful stop while an upload body is mid-transfer: the PATCH runs detached from its
//! request (so a client that goes away still gets what arrived recorded), and the stop must
//! wait for it before the database closes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;
mod tus_support;

use common::TestApp;
use std::time::Duration;
use tus_support::{MIB, RawPatch, Tus, data, interview, sha256_hex, stored_take};

/// Just under one staging part (8 MiB): nothing is recorded while the body arrives, so every
/// byte is recorded after the connection is gone, while the server is stopping.
const SENT: usize = 8 * MIB - 1;

/// The upload bytes the server has read, from its metrics.
async fn received(app: &TestApp) -> usize {
    let text = reqwest::get(app.url("/metrics")).await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("shortlist_upload_bytes_received_total "))
        .map_or(0, |n| n.trim().parse().unwrap())
}

/// The stop begins while a PATCH body is half-way; the client then goes away. The bytes that
/// arrived are recorded (offset and staged part) before the database closes, and the upload
/// is free for the next server, which takes the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_stop_waits_for_the_patch_being_written() {
    // Without a worker the stop is over as soon as the HTTP server is.
    let app = TestApp::spawn_with(&["--no-worker"]).await;
    let i = interview(&app).await;
    let tus = Tus::new(&app, &i.token);
    let all = data(12 * MIB, 12);
    let loc = tus.video(all.len(), 1).await;
    let raw = RawPatch::start(&app, &tus, &loc, 0, all.len(), &all[..SENT]).await;
    let id = loc.trim_start_matches("/uploads/").to_string();
    // The server has read every byte sent so far (its byte counter says so) and holds the
    // upload; nothing is recorded yet, as the bytes do not fill a staging part.
    let read = common::eventually(Duration::from_secs(20), || async {
        (received(&app).await == SENT).then_some(())
    })
    .await;
    assert!(
        read.is_some(),
        "the server read {} of {SENT} bytes",
        received(&app).await
    );
    let row = shortlist_store::uploads::get(&app.app.db, &id).await.unwrap().unwrap();
    assert!(row.lock_token.is_some(), "the PATCH holds the upload");
    assert_eq!(row.upload_offset, 0, "nothing is recorded before the body ends");
    // The stop waits for the open request; the client then goes away mid-body.
    let addr = app.addr;
    let stopping = tokio::spawn(app.stop_keeping_data());
    let closed = common::eventually(Duration::from_secs(10), || async move {
        tokio::net::TcpStream::connect(addr).await.is_err().then_some(())
    })
    .await;
    assert!(closed.is_some(), "the server stopped listening");
    assert!(!stopping.is_finished(), "the stop waits for the open request");
    // A reset, as when a tab is closed or the network drops: the server's read fails with
    // every byte still to record. hyper keeps polling the request until it answers (after a
    // reset as after a plain close), so here the open connection alone keeps the stop waiting;
    // the next test takes hyper out of the way.
    raw.stream.set_linger(Some(Duration::ZERO)).unwrap();
    drop(raw);
    let (db, data_dir) = stopping.await.unwrap();

    let app = TestApp::spawn_on(db, data_dir, &[]).await;
    let row = shortlist_store::uploads::get(&app.app.db, &id).await.unwrap().unwrap();
    assert!(row.lock_token.is_none(), "the upload was released");
    assert_eq!(row.upload_offset as usize, SENT, "every byte that arrived is recorded");
    let tus = Tus::new(&app, &i.token);
    assert_eq!(tus.offset(&loc).await, SENT, "HEAD on the new server");
    tus.patch_ok(&loc, SENT, &all[SENT..]).await;
    assert_eq!(stored_take(&app, &i, 1).await.0, sha256_hex(&all));
}

/// The stop's own promise, without hyper in the way: a PATCH whose request has gone (its
/// future dropped, as when a connection is torn down) is still writing on its detached task
/// when the stop begins. Over HTTP hyper keeps polling a request after its client resets, so
/// the connection alone keeps the stop waiting (the test above); this one fails if the stop
/// closes the database without waiting for the upload tasks (Uploads::drain in serve::run).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_stop_waits_for_a_patch_whose_request_has_gone() {
    let app = TestApp::spawn_with(&["--no-worker"]).await;
    let i = interview(&app).await;
    let tus = Tus::new(&app, &i.token);
    let all = data(12 * MIB, 13);
    let loc = tus.video(all.len(), 1).await;
    let id = loc.trim_start_matches("/uploads/").to_string();

    // The body arrives through a channel the test controls: SENT bytes now, the reset later.
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Result<Vec<u8>, String>>();
    let body = Box::pin(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }));
    tx.send(Ok(all[..SENT].to_vec())).unwrap();
    let (uploads, id2, token) = (app.app.uploads.clone(), id.clone(), i.token.clone());
    let request = tokio::spawn(async move {
        let req = shortlist_app::uploads::PatchRequest {
            offset: 0,
            content_length: Some(all.len() as u64),
            ..Default::default()
        };
        uploads.patch(&id2, &token, req, body).await.map(|_| ())
    });
    let read = common::eventually(Duration::from_secs(20), || async {
        (received(&app).await == SENT).then_some(())
    })
    .await;
    assert!(
        read.is_some(),
        "the PATCH read {} of {SENT} bytes",
        received(&app).await
    );
    request.abort();
    assert!(request.await.unwrap_err().is_cancelled(), "the request went away");

    // The stop begins with no HTTP request open; the body is then cut off.
    let addr = app.addr;
    let stopping = tokio::spawn(app.stop_keeping_data());
    let closed = common::eventually(Duration::from_secs(10), || async move {
        tokio::net::TcpStream::connect(addr).await.is_err().then_some(())
    })
    .await;
    assert!(closed.is_some(), "the server stopped listening");
    tx.send(Err("connection reset by peer".into())).unwrap();
    let (db, data_dir) = stopping.await.unwrap();

    let app = TestApp::spawn_on(db, data_dir, &[]).await;
    let row = shortlist_store::uploads::get(&app.app.db, &id).await.unwrap().unwrap();
    assert!(row.lock_token.is_none(), "the upload was released");
    assert_eq!(row.upload_offset as usize, SENT, "every byte that arrived is recorded");
    let tus = Tus::new(&app, &i.token);
    let all = data(12 * MIB, 13);
    tus.patch_ok(&loc, SENT, &all[SENT..]).await;
    assert_eq!(stored_take(&app, &i, 1).await.0, sha256_hex(&all));
}
