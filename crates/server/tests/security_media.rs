//! Pen-test finding "template media is read whole into memory and has no Range support;
//! `POST /api/v1/media` buffers too": template files (intro videos, documents, logos) are
//! streamed both ways. A 64 MiB intro video generated on the fly is uploaded, read back whole
//! (same SHA-256) and in ranges (206 with the right bytes, 416 outside the file) through every
//! route that serves it (API, recruiter pages, the candidate's landing page), on the file store
//! and on S3. An upload reaches the store while its body is still arriving, and one over its
//! limit is refused with 413 leaving no object, no staged part and no row. Peak memory is
//! measured by `bench/src/bin/media_stream.rs`, not here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;
mod ui_support;

use api_common::{Api, PASSWORD, candidate_email, sign_in, spec, unique};
use common::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use shortlist_domain::Role;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const MIB: usize = 1024 * 1024;

/// A WebM signature followed by bytes that do not repeat in any short period.
fn video(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = b"\x1a\x45\xdf\xa3".to_vec();
    out.extend((4..len).map(|_| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 24) as u8
    }));
    out
}

fn hex(d: impl AsRef<[u8]>) -> String {
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The SHA-256 and length of a response body, read piece by piece.
async fn digest(mut r: reqwest::Response) -> (String, usize) {
    let (mut h, mut n) = (Sha256::new(), 0);
    while let Some(c) = r.chunk().await.unwrap() {
        n += c.len();
        h.update(&c);
    }
    (hex(h.finalize()), n)
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// Whole-file and ranged reads of `url` with `c`, checked against `body`.
async fn check_ranges(c: &reqwest::Client, url: &str, body: &[u8], problem_416: bool) {
    let whole = c.get(url).send().await.unwrap();
    assert_eq!(whole.status(), StatusCode::OK, "{url}");
    assert_eq!(header(&whole, "accept-ranges"), "bytes", "{url}");
    assert_eq!(header(&whole, "content-length"), body.len().to_string(), "{url}");
    let (sha, n) = digest(whole).await;
    assert_eq!(
        (sha, n),
        (hex(Sha256::digest(body)), body.len()),
        "{url}: the same bytes"
    );

    // Across the store's 8 KiB read pieces and 5 MiB upload parts.
    let (a, b) = (5 * MIB - 3, 7 * MIB + 11);
    let part = c
        .get(url)
        .header("Range", format!("bytes={a}-{b}"))
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT, "{url}");
    assert_eq!(
        header(&part, "content-range"),
        format!("bytes {a}-{b}/{}", body.len()),
        "{url}"
    );
    assert!(part.bytes().await.unwrap() == body[a..=b], "{url}: the range's bytes");

    let tail = c.get(url).header("Range", "bytes=-1000").send().await.unwrap();
    assert_eq!(tail.status(), StatusCode::PARTIAL_CONTENT, "{url}");
    assert!(
        tail.bytes().await.unwrap() == body[body.len() - 1000..],
        "{url}: the last bytes"
    );

    let from = c
        .get(url)
        .header("Range", format!("bytes={}-", body.len() - 10))
        .send()
        .await
        .unwrap();
    assert_eq!(from.status(), StatusCode::PARTIAL_CONTENT, "{url}");
    assert!(from.bytes().await.unwrap() == body[body.len() - 10..], "{url}");

    let beyond = c
        .get(url)
        .header("Range", format!("bytes={}-", body.len()))
        .send()
        .await
        .unwrap();
    assert_eq!(beyond.status(), StatusCode::RANGE_NOT_SATISFIABLE, "{url}");
    assert_eq!(
        header(&beyond, "content-range"),
        format!("bytes */{}", body.len()),
        "{url}"
    );
    if problem_416 {
        assert_eq!(header(&beyond, "content-type"), "application/problem+json");
        let p: Value = beyond.json().await.unwrap();
        assert_eq!(p["code"], "range_not_satisfiable", "{p}");
    }
}

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
    (status, r.json().await.unwrap())
}

async fn large_intro_video_streams_with_range(app: &TestApp) {
    let api = sign_in(app, Role::Recruiter).await;
    let body = video(64 * MIB + 123, 11);
    let (s, m) = upload(&api, "intro_video", "video/webm", body.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    assert_eq!(m["size"].as_u64(), Some(body.len() as u64));
    let key = m["media_key"].as_str().unwrap().to_string();

    // The API and the recruiter page.
    check_ranges(&api.c, &format!("{}/media/{key}", api.base), &body, true).await;
    check_ranges(&api.c, &app.url(&format!("/media/{key}")), &body, false).await;

    // The candidate's landing page plays it as the intro video.
    let mut s = spec("Intro", 1);
    s["intro_video_media_key"] = json!(key);
    let tpl = api.template(&format!("intro-{}", unique()), s).await;
    let pos = api.position("Streamer", &[&tpl]).await;
    let (st, r) = api.invite(&pos, json!({ "email": candidate_email("intro") })).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let link = r["invitation"]["candidate_url"].as_str().unwrap();
    let token = link.rsplit_once("/i/").unwrap().1;
    check_ranges(
        &common::client(),
        &app.url(&format!("/i/{token}/media/intro")),
        &body,
        false,
    )
    .await;
}

#[tokio::test]
async fn template_media_is_streamed_with_range_requests_on_the_file_store() {
    let app = TestApp::spawn().await;
    large_intro_video_streams_with_range(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn template_media_is_streamed_with_range_requests_on_s3() {
    let Some(bucket) = common::s3_bucket("media-range").await else {
        return;
    };
    let url = format!("s3://{bucket}/install");
    let app = TestApp::spawn_with(&["--storage-url", &url]).await;
    large_intro_video_streams_with_range(&app).await;
    app.stop().await;
}

/// The session cookie of a freshly signed-in recruiter, for requests written by hand.
async fn session_cookie(app: &TestApp) -> (shortlist_domain::OrgId, String) {
    let (org, email) = app.user(Role::Recruiter, PASSWORD).await;
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url("/login"))
        .form(&[("email", email.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cookies: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .collect();
    (org, cookies.join("; "))
}

/// `POST /api/v1/media` written by hand with a chunked body (no Content-Length), so that only
/// the server's own counting can stop it.
async fn chunked_upload(app: &TestApp, cookie: &str, kind: &str, content_type: &str) -> TcpStream {
    let mut s = TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /api/v1/media?kind={kind} HTTP/1.1\r\nHost: {}\r\nCookie: {cookie}\r\nContent-Type: {content_type}\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        app.addr
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s
}

async fn send_chunk(s: &mut (impl AsyncWriteExt + Unpin), bytes: &[u8]) -> std::io::Result<()> {
    s.write_all(format!("{:x}\r\n", bytes.len()).as_bytes()).await?;
    s.write_all(bytes).await?;
    s.write_all(b"\r\n").await?;
    s.flush().await
}

/// The status and body of the answer (read until the server closes).
async fn answer(s: &mut (impl AsyncReadExt + Unpin)) -> (u16, String) {
    let mut out = vec![];
    let mut buf = [0u8; 8192];
    loop {
        match tokio::time::timeout(Duration::from_secs(60), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => panic!("no answer"),
        }
    }
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text.split(' ').nth(1).unwrap_or("0").parse().unwrap_or(0);
    (status, text)
}

/// Every file under the organisation's template-media folder of the file store, staged parts
/// (`<key>#<n>`) included.
fn files_under(dir: &Path) -> Vec<(PathBuf, u64)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return vec![];
    };
    entries
        .filter_map(Result::ok)
        .map(|e| (e.path(), e.metadata().map(|m| m.len()).unwrap_or(0)))
        .collect()
}

/// Upload rows the organisation has, whether or not their objects exist.
async fn rows_of(app: &TestApp, org: &shortlist_domain::OrgId) -> i64 {
    let sql = "SELECT COUNT(*) FROM media_objects WHERE org_id = $1";
    let n: (i64,) = match &app.app.db {
        shortlist_store::Db::Sqlite(p) => sqlx::query_as(sql).bind(org.as_str()).fetch_one(p).await,
        shortlist_store::Db::Postgres(p) => sqlx::query_as(sql).bind(org.as_str()).fetch_one(p).await,
    }
    .unwrap();
    n.0
}

#[tokio::test]
async fn an_upload_reaches_storage_while_its_body_is_still_arriving() {
    let app = TestApp::spawn().await;
    let (org, cookie) = session_cookie(&app).await;
    let dir = app.data.path().join(format!("media/orgs/{org}/template-media"));
    let body = video(32 * MIB, 5);
    let mut s = chunked_upload(&app, &cookie, "intro_video", "video/webm").await;
    for piece in body[..24 * MIB].chunks(MIB) {
        send_chunk(&mut s, piece).await.unwrap();
    }
    // The server holds at most a few parts: most of what was sent is on disk already, before
    // the rest of the body exists. A server buffering the body writes nothing yet.
    let staged = common::eventually(Duration::from_secs(60), || async {
        let on_disk: u64 = files_under(&dir).iter().map(|(_, n)| n).sum();
        (on_disk >= 10 * MIB as u64).then_some(on_disk)
    })
    .await;
    assert!(staged.is_some(), "nothing reached storage: {:?}", files_under(&dir));
    for piece in body[24 * MIB..].chunks(MIB) {
        send_chunk(&mut s, piece).await.unwrap();
    }
    s.write_all(b"0\r\n\r\n").await.unwrap();
    let (status, text) = answer(&mut s).await;
    assert_eq!(status, 201, "{text}");
    let files = files_under(&dir);
    assert_eq!(files.len(), 1, "one object, no staged parts left: {files:?}");
    let stored = std::fs::read(&files[0].0).unwrap();
    assert!(stored == body, "the stored file is the upload");
    app.stop().await;
}

#[tokio::test]
async fn an_upload_over_the_limit_is_refused_with_413_and_leaves_nothing_behind() {
    let app = TestApp::spawn().await;
    let (org, cookie) = session_cookie(&app).await;
    let dir = app.data.path().join(format!("media/orgs/{org}/template-media"));
    // A logo may be 5 MiB; this one keeps coming past that, without announcing its length.
    let mut png = common::png::png_1x1([9, 9, 9, 255]);
    png.resize(7 * MIB, 0);
    let s = chunked_upload(&app, &cookie, "logo", "image/png").await;
    let (mut rd, mut wr) = s.into_split();
    let sender = tokio::spawn(async move {
        for piece in png.chunks(256 * 1024) {
            if send_chunk(&mut wr, piece).await.is_err() {
                return; // the server stopped reading: refused
            }
        }
        wr.write_all(b"0\r\n\r\n").await.ok();
    });
    let (status, text) = answer(&mut rd).await;
    sender.await.unwrap();
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("application/problem+json"), "{text}");
    assert!(
        text.contains("\"code\":\"payload_too_large\"") && text.contains("at most 5 MiB"),
        "{text}"
    );
    assert_eq!(files_under(&dir), vec![], "no object and no staged part");
    assert_eq!(rows_of(&app, &org).await, 0, "no media row");

    // With Content-Length over the limit it is refused before the body is read, likewise.
    let api = sign_in(&app, Role::Recruiter).await;
    let mut big = common::png::png_1x1([1, 1, 1, 255]);
    big.resize(5 * MIB + 1, 0);
    let (s, p) = upload(&api, "logo", "image/png", big).await;
    assert_eq!(
        (s, p["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"))
    );
    let other = app.data.path().join(format!("media/orgs/{}/template-media", api.org));
    assert_eq!(files_under(&other), vec![]);
    app.stop().await;
}

#[tokio::test]
async fn an_editor_form_refused_for_a_large_file_keeps_none_of_its_files() {
    let app = TestApp::spawn_with(&ui_support::NO_LIMITS).await;
    let b = ui_support::browser(&app, Role::Recruiter).await;
    let dir = app.data.path().join(format!("media/orgs/{}/template-media", b.org));
    let png = common::png::png_1x1([30, 60, 90, 255]);
    // The logo streams into storage first; the document after it passes its 25 MiB limit.
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.resize(25 * MIB + 1, b' ');
    let fields = [
        ("name", "Refused"),
        ("locale", "en"),
        ("key", "refused-big"),
        ("q0_id", "q1"),
        ("q0_kind", "text"),
        ("q0_prompt", "Why us?"),
        ("action", "save"),
    ];
    let files: [(&str, &str, &[u8]); 2] = [("logo_file", "logo.png", &png), ("document_file", "big.pdf", &pdf)];
    let r = b.upload(&app, "/templates/new", &fields, &files).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.text().await.unwrap().contains("at most 25 MiB"));
    assert_eq!(
        files_under(&dir),
        vec![],
        "the logo stored on the way was removed again"
    );
    assert_eq!(rows_of(&app, &b.org).await, 0);
    app.stop().await;
}

/// With `Idempotency-Key`, an upload used to be read whole into memory for its fingerprint and
/// anything over 64 MiB was refused, although intro videos may have 500 MiB. The body now
/// streams to storage, and a replay of the key answers the first upload's result.
#[tokio::test]
async fn an_upload_with_an_idempotency_key_streams_past_64_mib_and_replays() {
    let app = TestApp::spawn().await;
    let admin = sign_in(&app, Role::Admin).await;
    let token = admin.org_key(&app, "uploader", "media:write media:read").await;
    let body = video(80 << 20, 11);
    let want = hex(Sha256::digest(&body));
    let c = common::client();
    let idem = format!("upload-{}", unique());
    let send = |b: Vec<u8>| {
        c.post(format!("{}/media?kind=intro_video", admin.base))
            .bearer_auth(&token)
            .header("content-type", "video/webm")
            .header("idempotency-key", &idem)
            .body(b)
            .send()
    };
    let first = send(body.clone()).await.unwrap();
    let status = first.status();
    let first: Value = first.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let media_key = first["media_key"].as_str().unwrap().to_string();
    let got = c
        .get(format!("{}/media/{media_key}", admin.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(digest(got).await, (want, body.len()));
    let rows = rows_of(&app, &admin.org).await;

    let again = send(body).await.unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["media_key"], first["media_key"], "the first upload's answer");
    assert_eq!(rows_of(&app, &admin.org).await, rows, "nothing stored twice");
    app.stop().await;
}
