//! Fault test (issue "reliability under faults", finding 1): a request holding an
//! Idempotency-Key is cut by a SIGKILL of its process. The outside test saw every retry answered
//! 409 `idempotency_in_progress` for 24 hours and the work never done under that key. Now the
//! key's lease lapses within seconds and a retry after a restart runs the request: checked from
//! what a client gets (201, then the stored file's bytes) and from the key's row.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;

use api_common::sign_in;
use common::TestApp;
use common::process::{Proc, free_port, ready};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};
use shortlist_domain::Role;
use shortlist_store::{Db, on_db};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

/// A WebM signature followed by bytes that do not repeat in any short period.
fn video(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut out = b"\x1a\x45\xdf\xa3".to_vec();
    out.extend((4..len).map(|_| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 24) as u8
    }));
    out
}

async fn key_state(db: &Db, key: &str) -> Option<String> {
    let sql = "SELECT state FROM idempotency_keys WHERE idem_key = $1";
    on_db!(db, p => sqlx::query_scalar(sql).bind(key).fetch_optional(p).await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_whose_request_was_killed_runs_again_after_a_restart() {
    // Set-up in process: an organisation and an API key allowed to upload media.
    let setup = TestApp::spawn().await;
    let admin = sign_in(&setup, Role::Admin).await;
    let token = admin.org_key(&setup, "uploader", "media:write media:read").await;
    let (db, data) = setup.stop_keeping_data().await;
    let rows = Db::connect(&db.url).await.unwrap();

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = Proc::serve(&db, data.path(), port);
    ready(&base).await;

    // Headers and half the body of a keyed upload; the process dies while the body streams.
    let body = video(256 << 10);
    let idem = format!("killed-{:08x}", rand::random::<u32>());
    let head = format!(
        "POST /api/v1/media?kind=intro_video HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Authorization: Bearer {token}\r\nContent-Type: video/webm\r\nIdempotency-Key: {idem}\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    tcp.write_all(head.as_bytes()).await.unwrap();
    tcp.write_all(&body[..body.len() / 2]).await.unwrap();
    let running = common::eventually(Duration::from_secs(10), || async {
        (key_state(&rows, &idem).await.as_deref() == Some("running")).then_some(())
    })
    .await;
    assert!(running.is_some(), "the key was never claimed");
    server.kill();
    drop(tcp);

    // The client retries the same request after the restart, as Retry-After tells it.
    let _server = Proc::serve(&db, data.path(), port);
    ready(&base).await;
    let c = common::client();
    let started = Instant::now();
    let mut conflicts = 0;
    let created = loop {
        let r = c
            .post(format!("{base}/api/v1/media?kind=intro_video"))
            .bearer_auth(&token)
            .header("content-type", "video/webm")
            .header("idempotency-key", &idem)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let status = r.status();
        let wait: u64 = r
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()?.parse().ok())
            .unwrap_or(1);
        let v: Value = r.json().await.unwrap();
        match status {
            StatusCode::CREATED => break v,
            StatusCode::CONFLICT => {
                assert_eq!(v["code"], "idempotency_in_progress", "{v}");
                assert!(
                    started.elapsed() < Duration::from_secs(40),
                    "the killed request's key is still 'in progress' after {} retries over {:?}",
                    conflicts,
                    started.elapsed()
                );
                conflicts += 1;
                tokio::time::sleep(Duration::from_secs(wait.clamp(1, 10))).await;
            }
            other => panic!("retry answered {other}: {v}"),
        }
    };
    eprintln!(
        "retry succeeded after {conflicts} 'in progress' answers, {:.1} s after the restart",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(key_state(&rows, &idem).await.as_deref(), Some("done"));

    // The work was done under the key: the stored file is the whole body, and a replay answers it.
    let media_key = created["media_key"].as_str().unwrap();
    let got = c
        .get(format!("{base}/api/v1/media/{media_key}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), StatusCode::OK);
    let bytes = got.bytes().await.unwrap();
    assert_eq!(Sha256::digest(&bytes), Sha256::digest(&body), "stored bytes differ");
    let replay = c
        .post(format!("{base}/api/v1/media?kind=intro_video"))
        .bearer_auth(&token)
        .header("content-type", "video/webm")
        .header("idempotency-key", &idem)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::CREATED);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let replay: Value = replay.json().await.unwrap();
    assert_eq!(replay["media_key"], created["media_key"]);
}
