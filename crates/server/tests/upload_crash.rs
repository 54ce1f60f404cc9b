//! Fault test (issue "reliability under faults", defect 7): the process serving a tus PATCH is
//! killed (SIGKILL) while the body is still streaming. The upload's lease used to hold it for
//! 60 s, so the candidate's resumed upload was refused (423) for a minute. Now the lease is
//! short and renewed while bytes flow, so HEAD + PATCH on the restarted process continue
//! within seconds; the stored object and the take row hold exactly the bytes sent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;
mod tus_support;

use common::TestApp;
use common::process::{Proc, free_port, ready};
use reqwest::StatusCode;
use shortlist_store::{Db, MediaStore};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tus_support::{MIB, Tus, data, header, interview, sha256_hex};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_killed_mid_patch_resumes_within_seconds_after_a_restart() {
    // Set-up in process: an interview and an upload of 20 MiB.
    let setup = TestApp::spawn().await;
    let i = interview(&setup).await;
    let all = data(20 * MIB, 71);
    let loc = Tus::new(&setup, &i.token).video(all.len(), 1).await;
    let id = loc.trim_start_matches("/uploads/").to_string();
    let (db, dir) = setup.stop_keeping_data().await;
    let rows = Db::connect(&db.url).await.unwrap();

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = Proc::serve(&db, dir.path(), port);
    ready(&base).await;
    let tus = Tus {
        c: reqwest::Client::new(),
        base: base.clone(),
        token: i.token.clone(),
    };

    // A PATCH for every byte sends 10 MiB: one 8 MiB part is recorded, the rest is in flight.
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let head = format!(
        "PATCH {loc} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nTus-Resumable: 1.0.0\r\n\
         Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\n\
         X-Shortlist-Candidate-Token: {}\r\nContent-Length: {}\r\n\r\n",
        i.token,
        all.len()
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    tcp.write_all(&all[..10 * MIB]).await.unwrap();
    tcp.flush().await.unwrap();
    let part = common::eventually(Duration::from_secs(20), || async {
        let row = shortlist_store::uploads::get(&rows, &id).await.unwrap().unwrap();
        (row.upload_offset == 8 * MIB as i64 && row.lock_token.is_some()).then_some(())
    })
    .await;
    assert!(
        part.is_some(),
        "the first part was never recorded under the PATCH's lease"
    );
    server.kill();
    let killed = Instant::now();
    drop(tcp);

    // The candidate's client resumes against the restarted process: HEAD, then PATCH the rest;
    // 423 while the dead PATCH's lease lasts.
    let _server = Proc::serve(&db, dir.path(), port);
    ready(&base).await;
    let restarted = killed.elapsed();
    let mut locked = 0;
    let resumed = loop {
        let at = tus.offset(&loc).await;
        assert_eq!(at, 8 * MIB, "HEAD reports the recorded part");
        // A 423 may come before the body is read and the connection close under the client's
        // upload (a broken pipe): a refusal like the other, tried again.
        match tus.patch_req(&loc, at).body(all[at..].to_vec()).send().await {
            Ok(r) if r.status() == StatusCode::NO_CONTENT => {
                assert_eq!(header(&r, "upload-offset").unwrap(), all.len().to_string());
                break killed.elapsed();
            }
            Ok(r) if r.status() == StatusCode::LOCKED => locked += 1,
            Ok(r) => panic!("resume: {} {}", r.status(), r.text().await.unwrap()),
            Err(e) if e.is_request() => locked += 1,
            Err(e) => panic!("resume: {e}"),
        }
        assert!(
            killed.elapsed() < Duration::from_secs(20),
            "still locked {:?} after the kill ({locked} refusals)",
            killed.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    eprintln!("kill → ready again {restarted:?}; kill → resumed PATCH accepted {resumed:?} ({locked} refusals before)");
    assert!(
        resumed < Duration::from_secs(12),
        "the resumed upload waited {resumed:?}"
    );

    // Durable evidence: the take row and the stored object hold exactly the bytes sent.
    let takes = shortlist_store::uploads::takes_for(&rows, &i.api.org, &i.invitation_id())
        .await
        .unwrap();
    let take = takes
        .iter()
        .find(|t| t.question_id == "q1")
        .expect("a take is recorded");
    assert_eq!(take.sha256, sha256_hex(&all));
    assert_eq!(take.size_bytes as usize, all.len());
    let media = MediaStore::from_url(&format!("file://{}", dir.path().join("media").display())).unwrap();
    let stored = media.get(&take.media_key).await.unwrap();
    assert!(stored == all, "the stored object differs from what was sent");
}
