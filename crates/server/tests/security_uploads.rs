//! Findings of the outside penetration test about candidate uploads, through the real tus
//! server: the stored XSS through an upload's content type (High) and the replaceable submitted
//! take (Low).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;
mod tus_support;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::TestApp;
use reqwest::StatusCode;
use shortlist_app::interview::Access;
use shortlist_app::interview::answers::AnswerInput;
use tus_support::{Interview, Tus, data, header, interview, metadata, sha256_hex};

const HTML: &[u8] = b"<!doctype html><title>take</title><script>document.title='PWNED'</script>";
const PDF: &[u8] = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n";
const SANDBOX: &str = "sandbox; default-src 'none'";

/// Creation with upload: the whole file travels with the POST.
async fn upload_whole(tus: &Tus, question: &str, take: u32, filetype: &str, body: &[u8]) -> reqwest::Response {
    tus.c
        .post(format!("{}/uploads", tus.base))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", body.len().to_string())
        .header("Upload-Metadata", metadata(&tus.token, question, take, filetype))
        .header("Content-Type", "application/offset+octet-stream")
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}

async fn takes(app: &TestApp, i: &Interview) -> Vec<shortlist_store::uploads::TakeRow> {
    app.app.uploads.takes_for(&i.api.org, &i.invitation_id()).await.unwrap()
}

/// The exact attack of the report: a type that passes the check of the part before `;` and
/// names text/html after it, with an HTML page as the file. It is refused (the bytes are not
/// of the checked type), whether the file comes with the creation or in a later PATCH; nothing
/// is kept, staging included.
#[tokio::test]
async fn stored_xss_through_an_upload_content_type_is_refused() {
    let app = TestApp::spawn().await;
    let i = interview(&app).await;
    let tus = Tus::new(&app, &i.token);
    for (q, ft, named) in [
        ("doc", "application/pdf;x=,text/html", "application/pdf"),
        ("q1", "video/webm;codecs=vp8,text/html", "video/webm"),
    ] {
        let r = upload_whole(&tus, q, 1, ft, HTML).await;
        assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{q} {ft}");
        assert!(header(&r, "location").is_none(), "no upload to resume");
        let text = r.text().await.unwrap();
        assert!(text.contains(&format!("not {named}")), "{text}");

        let r = tus.create(HTML.len() as u64, q, 1, ft).await;
        assert_eq!(r.status(), StatusCode::CREATED, "{q} {ft}");
        let loc = header(&r, "location").unwrap();
        let head = tus.head(&loc).await;
        let meta = header(&head, "upload-metadata").unwrap();
        let filetype = meta.split(',').find_map(|p| p.strip_prefix("filetype ")).unwrap();
        let filetype = String::from_utf8(STANDARD.decode(filetype).unwrap()).unwrap();
        assert_eq!(filetype, named, "only the checked type is kept, never the one sent");
        let r = tus.patch(&loc, 0, HTML).await;
        assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(tus.head(&loc).await.status(), StatusCode::NOT_FOUND, "the upload ended");
        let id = loc.trim_start_matches("/uploads/");
        let staged = app.app.media.list(&format!("staging/{id}")).await.unwrap();
        assert!(staged.is_empty(), "staging cleaned: {staged:?}");
    }
    assert!(takes(&app, &i).await.is_empty(), "no take was recorded");
    let prefix = format!("orgs/{}/answers/{}", i.api.org, i.invitation);
    assert!(app.app.media.list(&prefix).await.unwrap().is_empty());
    app.stop().await;
}

/// The same type strings with real files: accepted, stored and served as the checked type
/// only, with nosniff, the sandbox and (for the document) a download.
#[tokio::test]
async fn a_smuggled_type_with_a_real_file_is_stored_and_served_as_the_checked_type() {
    let app = TestApp::spawn().await;
    let i = interview(&app).await;
    let tus = Tus::new(&app, &i.token);
    let r = upload_whole(&tus, "doc", 1, "application/pdf;x=,text/html", PDF).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let video = data(5000, 3);
    let r = upload_whole(&tus, "q1", 1, "video/webm;codecs=vp8,text/html", &video).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let stored: Vec<(String, String)> = takes(&app, &i)
        .await
        .into_iter()
        .map(|t| (t.question_id, t.content_type))
        .collect();
    let want = [("doc", "application/pdf"), ("q1", "video/webm")].map(|(q, t)| (q.to_string(), t.to_string()));
    assert_eq!(stored, want);

    for base in [app.base.clone(), format!("{}/api/v1", app.base)] {
        let doc = format!("{base}/invitations/{}/takes/doc/1", i.invitation);
        let r = i.api.c.get(&doc).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{doc}");
        assert_eq!(header(&r, "content-type").as_deref(), Some("application/pdf"));
        assert_eq!(header(&r, "x-content-type-options").as_deref(), Some("nosniff"));
        assert_eq!(header(&r, "content-security-policy").as_deref(), Some(SANDBOX));
        assert_eq!(
            header(&r, "content-disposition").as_deref(),
            Some("attachment; filename=\"answer-doc-take-1.pdf\"")
        );
        assert_eq!(r.bytes().await.unwrap().as_ref(), PDF);

        let take = format!("{base}/invitations/{}/takes/q1/1", i.invitation);
        let r = i.api.c.get(&take).header("Range", "bytes=0-99").send().await.unwrap();
        assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT, "{take}");
        assert_eq!(header(&r, "content-type").as_deref(), Some("video/webm"));
        assert_eq!(header(&r, "content-disposition").as_deref(), Some("inline"));
        assert_eq!(header(&r, "content-security-policy").as_deref(), Some(SANDBOX));
        assert_eq!(header(&r, "x-content-type-options").as_deref(), Some("nosniff"));
        assert_eq!(header(&r, "content-range").as_deref(), Some("bytes 0-99/5000"));
        assert_eq!(r.bytes().await.unwrap().as_ref(), &video[..100]);
    }
    app.stop().await;
}

/// A submitted take stays as it was: a second upload to the same question and take is refused
/// (409, at creation and with the file in the creation) and the stored file is unchanged; the
/// takes a question allows are counted on the server; an answered question takes no uploads.
#[tokio::test]
async fn a_submitted_take_cannot_be_replaced_and_retakes_are_limited_on_the_server() {
    let app = TestApp::spawn().await;
    let i = interview(&app).await;
    let tus = Tus::new(&app, &i.token);
    let first = data(3000, 1);
    let r = upload_whole(&tus, "q1", 1, "video/webm", &first).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let before = takes(&app, &i).await;

    let other = data(3000, 2);
    let again = upload_whole(&tus, "q1", 1, "video/webm", &other).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let text = again.text().await.unwrap();
    assert!(text.contains("already submitted"), "{text}");
    assert_eq!(
        tus.create(3000, "q1", 1, "video/webm").await.status(),
        StatusCode::CONFLICT
    );
    let after = takes(&app, &i).await;
    assert_eq!(after, before, "the submitted take is untouched");
    assert_eq!(app.app.media.get(&after[0].media_key).await.unwrap(), first);
    assert_eq!(after[0].sha256, sha256_hex(&first));

    // The one retake q1 allows works; a third take does not, at any take number.
    let second = data(3000, 3);
    let r = upload_whole(&tus, "q1", 2, "video/webm", &second).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    for take in [1, 2] {
        assert_eq!(
            tus.create(3000, "q1", take, "video/webm").await.status(),
            StatusCode::CONFLICT,
            "take {take}"
        );
    }
    assert_eq!(
        tus.create(3000, "q1", 3, "video/webm").await.status(),
        StatusCode::BAD_REQUEST,
        "q1 allows two takes"
    );
    assert_eq!(takes(&app, &i).await.len(), 2);

    app.stop().await;
}

/// Once the candidate submitted the answer to a question, it takes no more uploads, even with
/// retakes left.
#[tokio::test]
async fn an_answered_question_takes_no_more_uploads() {
    let app = TestApp::spawn().await;
    let i = interview(&app).await;
    let tus = Tus::new(&app, &i.token);
    let r = upload_whole(&tus, "q1", 1, "video/webm", &data(3000, 1)).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let session = || async {
        match app.app.interviews.access(&i.token).await.unwrap() {
            Access::Open(s) => *s,
            other => panic!("link not open: {other:?}"),
        }
    };
    app.app.interviews.consent(&session().await).await.unwrap();
    app.app
        .interviews
        .answer(&session().await, "q1", AnswerInput::Take(1))
        .await
        .unwrap();
    let r = tus.create(3000, "q1", 2, "video/webm").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("already answered"));
    assert_eq!(takes(&app, &i).await.len(), 1);
    app.stop().await;
}
