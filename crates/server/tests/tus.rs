//! The tus 1.0 upload endpoint over real HTTP: discovery, creation, PATCH and HEAD offsets,
//! deferred lengths, conformance errors, authorisation, checksums, termination and concurrent
//! PATCH. Resuming (a cut-off body, a restart, S3, expiry) is in tus_resume.rs, the graceful
//! stop in tus_stop.rs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;
mod tus_support;

use common::TestApp;
use reqwest::StatusCode;
use serde_json::json;
use tus_support::{MIB, RawPatch, Tus, data, header, interview, sha256_hex, stored_take};

#[tokio::test]
async fn options_announce_the_protocol() {
    let app = TestApp::spawn().await;
    let r = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, app.url("/uploads"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(header(&r, "tus-version").as_deref(), Some("1.0.0"));
    assert_eq!(header(&r, "tus-resumable").as_deref(), Some("1.0.0"));
    assert_eq!(
        header(&r, "tus-extension").as_deref(),
        Some("creation,creation-with-upload,creation-defer-length,termination,checksum,expiration")
    );
    assert_eq!(header(&r, "tus-checksum-algorithm").as_deref(), Some("sha1,sha256"));
    assert_eq!(header(&r, "tus-max-size").as_deref(), Some("1073741824"));
}

#[tokio::test]
async fn an_answer_uploaded_in_three_patches_is_stored_whole() {
    let app = TestApp::spawn().await;
    let i = interview(&app).await;
    let tus = Tus::new(&app, &i.token);
    let all = data(21 * MIB + 17, 1);
    let loc = tus.video(all.len(), 1).await;
    let h = tus.head(&loc).await;
    assert_eq!(h.status(), StatusCode::OK);
    assert_eq!(header(&h, "cache-control").as_deref(), Some("no-store"));
    assert_eq!(header(&h, "upload-length"), Some(all.len().to_string()));
    let meta = header(&h, "upload-metadata").unwrap();
    assert!(meta.contains("question ") && !meta.contains("token "), "{meta}");
    assert!(header(&h, "upload-expires").unwrap().ends_with(" GMT"));

    let cuts = [0, 9 * MIB, 18 * MIB, all.len()];
    for w in cuts.windows(2) {
        tus.patch_ok(&loc, w[0], &all[w[0]..w[1]]).await;
        assert_eq!(tus.offset(&loc).await, w[1]);
    }
    let (sha, bytes) = stored_take(&app, &i, 1).await;
    assert_eq!(sha, sha256_hex(&all));
    assert!(bytes == all, "stored bytes differ");
    let staged = app.app.media.list(&format!("staging/{}", &loc[9..])).await.unwrap();
    assert!(staged.is_empty(), "staging removed: {staged:?}");
    // A completed upload answers HEAD with its full length and refuses more bytes.
    assert_eq!(tus.offset(&loc).await, all.len());
    assert_eq!(tus.patch(&loc, 0, b"x").await.status(), StatusCode::CONFLICT);

    // Creation with upload: the first bytes travel with the POST; a retake replaces nothing else.
    let doc = data(1000, 2);
    let r = tus
        .c
        .post(app.url("/uploads"))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "1000")
        .header(
            "Upload-Metadata",
            tus_support::metadata(&i.token, "q1", 2, "video/webm;codecs=vp8,opus"),
        )
        .header("Content-Type", "application/offset+octet-stream")
        .body(doc.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(header(&r, "upload-offset").as_deref(), Some("1000"));
    assert_eq!(stored_take(&app, &i, 2).await.1, doc);
    assert_eq!(stored_take(&app, &i, 1).await.1.len(), all.len());
}

#[tokio::test]
async fn offsets_ids_tokens_and_versions_are_checked() {
    let app = TestApp::spawn().await;
    let i = interview(&app).await;
    let tus = Tus::new(&app, &i.token);
    let all = data(3000, 3);
    let loc = tus.video(all.len(), 1).await;
    tus.patch_ok(&loc, 0, &all[..1000]).await;

    let r = tus.patch(&loc, 500, &all[500..1500]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(tus.offset(&loc).await, 1000, "a wrong offset changes nothing");

    let unknown = "/uploads/upl_000000000000000000000000000000000000000000000000";
    assert_eq!(tus.head(unknown).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(tus.patch(unknown, 0, b"x").await.status(), StatusCode::NOT_FOUND);

    let stranger = Tus::new(&app, "not-the-token");
    assert_eq!(stranger.head(&loc).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(stranger.patch(&loc, 1000, b"x").await.status(), StatusCode::NOT_FOUND);
    let bare = tus
        .c
        .head(app.url(&loc))
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), StatusCode::NOT_FOUND, "no candidate token");

    let old = tus
        .c
        .head(app.url(&loc))
        .header("X-Shortlist-Candidate-Token", &i.token)
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(header(&old, "tus-version").as_deref(), Some("1.0.0"));

    let r = tus
        .c
        .patch(app.url(&loc))
        .header("Tus-Resumable", "1.0.0")
        .header("Content-Type", "text/plain")
        .header("Upload-Offset", "1000")
        .header("X-Shortlist-Candidate-Token", &i.token)
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = tus.patch(&loc, 1000, &data(2001, 9)).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "past Upload-Length");
    assert_eq!(tus.offset(&loc).await, 1000);

    // Termination: gone for good.
    let del = |l: &str| {
        tus.c
            .delete(app.url(l))
            .header("Tus-Resumable", "1.0.0")
            .header("X-Shortlist-Candidate-Token", &i.token)
            .send()
    };
    assert_eq!(del(&loc).await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(tus.head(&loc).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        tus.patch(&loc, 1000, &all[1000..]).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(del(&loc).await.unwrap().status(), StatusCode::NOT_FOUND);
}

/// A template that allows audio-only answers takes an audio recording for a video question
/// (one that does not was checked above), and says so in its export.
#[tokio::test]
async fn audio_only_answers_need_the_templates_permission() {
    let app = TestApp::spawn().await;
    let i = tus_support::interview_with(&app, true).await;
    let tus = Tus::new(&app, &i.token);
    let r = tus.create(100, "q1", 1, "audio/webm;codecs=opus").await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let loc = header(&r, "location").unwrap();
    tus.patch_ok(&loc, 0, &data(100, 13)).await;
    let takes = app.app.uploads.takes_for(&i.api.org, &i.invitation_id()).await.unwrap();
    assert_eq!(takes.len(), 1, "{takes:?}");
    assert!(takes[0].media_key.contains("/q1/take-1."), "{takes:?}");
    assert!(takes[0].media_key.ends_with(".webm"), "{takes:?}");
    assert_eq!(takes[0].content_type, "audio/webm");

    let spec = json!({ "name": "Audio welcome", "allow_audio_only": true, "questions": [
        { "id": "q1", "kind": "video", "prompt": "Hello", "answer_time_secs": 60 }
    ]});
    let id = i.api.template(&format!("audio-{}", api_common::unique()), spec).await;
    let (s, file) = i.api.get(&format!("/templates/{id}/export")).await;
    assert_eq!(s, StatusCode::OK, "{file}");
    assert_eq!(file["spec"]["allow_audio_only"], true, "{file}");
}

/// A recording uploaded while it is made: created with Upload-Defer-Length, PATCHed in parts,
/// and complete only once a PATCH has named the length and every byte of it is stored.
#[tokio::test]
async fn a_deferred_length_is_named_by_a_later_patch() {
    let app = TestApp::spawn().await;
    let i = interview(&app).await;
    let tus = Tus::new(&app, &i.token);
    let create = |defer: &str, length: Option<&str>, take: u32| {
        let mut r = tus
            .c
            .post(app.url("/uploads"))
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Defer-Length", defer)
            .header(
                "Upload-Metadata",
                tus_support::metadata(&i.token, "q1", take, "video/webm;codecs=vp8,opus"),
            );
        if let Some(n) = length {
            r = r.header("Upload-Length", n);
        }
        r.send()
    };
    assert_eq!(create("2", None, 1).await.unwrap().status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        create("1", Some("10"), 1).await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    let r = create("1", None, 1).await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let loc = header(&r, "location").unwrap();
    let deferred = |r: &reqwest::Response| (header(r, "upload-defer-length"), header(r, "upload-length"));
    assert_eq!(deferred(&tus.head(&loc).await), (Some("1".into()), None));

    // Parts arrive while the recording goes on; nothing is an answer yet.
    let all = data(9 * MIB + 11, 10);
    tus.patch_ok(&loc, 0, &all[..3 * MIB]).await;
    tus.patch_ok(&loc, 3 * MIB, &all[3 * MIB..5 * MIB]).await;
    let h = tus.head(&loc).await;
    assert_eq!(deferred(&h), (Some("1".into()), None));
    assert_eq!(header(&h, "upload-offset"), Some((5 * MIB).to_string()));
    assert!(
        app.app
            .uploads
            .takes_for(&i.api.org, &i.invitation_id())
            .await
            .unwrap()
            .is_empty()
    );

    // A length below what is stored, or above the limit, is refused and changes nothing.
    let with_length = |at: usize, n: u64, body: &[u8]| {
        tus.patch_req(&loc, at)
            .header("Upload-Length", n.to_string())
            .body(body.to_vec())
            .send()
    };
    let r = with_length(5 * MIB, (4 * MIB) as u64, b"").await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = with_length(5 * MIB, (1 << 30) + 1, b"").await.unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(deferred(&tus.head(&loc).await), (Some("1".into()), None));

    // The PATCH naming the length may carry only part of the rest: then the length is known,
    // and it cannot change.
    let r = with_length(5 * MIB, all.len() as u64, &all[5 * MIB..7 * MIB])
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT, "{}", r.text().await.unwrap());
    assert_eq!(deferred(&tus.head(&loc).await), (None, Some(all.len().to_string())));
    let r = with_length(7 * MIB, all.len() as u64 + 1, &all[7 * MIB..])
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "the length cannot change");
    let r = with_length(7 * MIB, all.len() as u64, &all[7 * MIB..]).await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (sha, bytes) = stored_take(&app, &i, 1).await;
    assert_eq!(sha, sha256_hex(&all));
    assert!(bytes == all);

    // What tus-js-client does when the stream ends: an empty PATCH naming the length.
    let loc = header(&create("1", None, 2).await.unwrap(), "location").unwrap();
    let take2 = data(2 * MIB + 3, 11);
    tus.patch_ok(&loc, 0, &take2).await;
    assert!(stored_take_missing(&app, &i, 2).await);
    let r = tus
        .patch_req(&loc, take2.len())
        .header("Upload-Length", take2.len().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&r, "upload-offset"), Some(take2.len().to_string()));
    assert_eq!(stored_take(&app, &i, 2).await.0, sha256_hex(&take2));
}

async fn stored_take_missing(app: &TestApp, i: &tus_support::Interview, take: i32) -> bool {
    let takes = app.app.uploads.takes_for(&i.api.org, &i.invitation_id()).await.unwrap();
    !takes.iter().any(|t| t.question_id == "q1" && t.take == take)
}

#[tokio::test]
async fn a_checksum_mismatch_keeps_nothing_and_a_correct_retry_succeeds() {
    use base64::Engine;
    use sha2::Digest;
    let app = TestApp::spawn().await;
    let i = interview(&app).await;
    let tus = Tus::new(&app, &i.token);
    let all = data(10 * MIB, 4);
    let loc = tus.video(all.len(), 1).await;
    tus.patch_ok(&loc, 0, &all[..MIB]).await;
    let body = &all[MIB..];
    let digest = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(b));
    let r = tus
        .patch_req(&loc, MIB)
        .header("Upload-Checksum", format!("sha256 {}", digest(b"something else")))
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 460, "{}", r.text().await.unwrap());
    assert_eq!(tus.offset(&loc).await, MIB, "nothing of the body kept");
    let r = tus
        .patch_req(&loc, MIB)
        .header("Upload-Checksum", "md5 AAAA")
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = tus
        .patch_req(&loc, MIB)
        .header("Upload-Checksum", format!("sha256 {}", digest(body)))
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (sha, _) = stored_take(&app, &i, 1).await;
    assert_eq!(sha, sha256_hex(&all));
}

#[tokio::test]
async fn creation_checks_the_link_question_take_type_and_size() {
    let app = TestApp::spawn().await;
    let i = interview(&app).await;
    let tus = Tus::new(&app, &i.token);
    let webm = "video/webm";
    let over = tus.create((1 << 30) + 1, "q1", 1, webm).await;
    assert_eq!(over.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(over.text().await.unwrap().contains("1 GiB"));
    let doc = tus.create((25 << 20) + 1, "doc", 1, "application/pdf").await;
    assert_eq!(doc.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(doc.text().await.unwrap().contains("25 MiB"));
    assert_eq!(
        tus.create(100, "doc", 1, "application/pdf").await.status(),
        StatusCode::CREATED
    );

    for (q, take, ft) in [
        ("nope", 1, webm),
        ("q1", 3, webm),
        ("q1", 0, webm),
        ("doc", 2, "application/pdf"),
        ("t", 1, webm),
    ] {
        let r = tus.create(100, q, take, ft).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{q} take {take}");
    }
    assert_eq!(
        tus.create(100, "q1", 2, webm).await.status(),
        StatusCode::CREATED,
        "one retake"
    );
    for (q, ft) in [
        ("q1", "application/pdf"),
        ("doc", "video/webm"),
        ("q1", "text/html"),
        ("q1", "audio/webm"),
    ] {
        assert_eq!(
            tus.create(100, q, 1, ft).await.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{q} {ft}"
        );
    }
    assert_eq!(
        Tus::new(&app, "unknown-token")
            .create(100, "q1", 1, webm)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    // A cancelled invitation takes no new uploads and no more bytes.
    let loc = tus.video(100, 1).await;
    let (s, v) = i
        .api
        .post(&format!("/invitations/{}/cancel", i.invitation), json!({}))
        .await;
    assert!(s.is_success(), "{v}");
    assert_eq!(tus.create(100, "q1", 1, webm).await.status(), StatusCode::GONE);
    assert_eq!(tus.patch(&loc, 0, &data(100, 5)).await.status(), StatusCode::GONE);
}

#[tokio::test]
async fn a_second_patch_is_refused_while_the_first_is_writing() {
    let app = TestApp::spawn().await;
    let i = interview(&app).await;
    let tus = Tus::new(&app, &i.token);
    let all = data(3 * MIB, 6);
    let loc = tus.video(all.len(), 1).await;
    let mut first = RawPatch::start(&app, &tus, &loc, 0, all.len(), &all[..MIB]).await;
    // Wait until the running PATCH holds the upload's lease in the database.
    let id = loc.trim_start_matches("/uploads/").to_string();
    let held = common::eventually(std::time::Duration::from_secs(10), || {
        let (db, id) = (app.app.db.clone(), id.clone());
        async move {
            let row = shortlist_store::uploads::get(&db, &id).await.unwrap().unwrap();
            row.lock_token.is_some().then_some(())
        }
    })
    .await;
    assert!(held.is_some(), "the running PATCH holds the upload");
    let second = tus.patch(&loc, 0, &all[..MIB]).await.status();
    assert!(matches!(second, StatusCode::LOCKED | StatusCode::CONFLICT), "{second}");
    first.send(&all[MIB..]).await;
    let (status, head) = first.finish().await;
    assert_eq!(status, 204, "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains(&format!("upload-offset: {}", all.len())),
        "{head}"
    );
    assert_eq!(stored_take(&app, &i, 1).await.0, sha256_hex(&all));
}
