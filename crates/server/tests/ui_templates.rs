//! Recruiter pages for interview templates, over real HTTP: the editor (create, validation,
//! add question), export and import, archive, and what reviewers may do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod ui_support;

use common::TestApp;
use common::png::png_1x1;
use reqwest::StatusCode;
use shortlist_domain::Role;
use shortlist_domain::template::{Criterion, TemplateExport};
use ui_support::*;

#[tokio::test]
async fn a_template_made_in_the_editor_exports_and_imports_as_a_copy() {
    let app = TestApp::spawn_with(&NO_LIMITS).await;
    let b = browser(&app, Role::Recruiter).await;
    let (status, html) = b.get(&app, "/templates/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(r#"<label for="q0_prompt">"#), "{html}");

    let id = create_template(&app, &b, "engineer").await;
    let (status, html) = b.get(&app, &format!("/templates/{id}?notice=created")).await;
    assert_eq!(status, StatusCode::OK);
    for want in [
        "Engineer interview",
        "version 1",
        "creates version 2",
        "Which is a Rust keyword?",
        "*impl",
    ] {
        assert!(html.contains(want), "{want} missing: {html}");
    }

    let r =
        b.c.get(app.url(&format!("/templates/{id}/export")))
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let disposition = r.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(disposition.contains("engineer.json"), "{disposition}");
    let bytes = r.bytes().await.unwrap();
    let file: TemplateExport = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(file.key, "engineer");
    let q = &file.spec.questions;
    assert_eq!(q.len(), 2);
    assert_eq!(q[0].answer_time_secs, 120);
    let correct: Vec<_> = q[1]
        .choices
        .iter()
        .filter(|c| c.correct)
        .map(|c| c.label.as_str())
        .collect();
    assert_eq!(correct, ["impl"]);
    assert_eq!(file.spec.surveys.len(), 1);
    assert_eq!(file.spec.documents[0].url.as_deref(), Some("https://example.org/about"));

    // Same key again: refused, with the reason on the key field.
    let r = b
        .upload(
            &app,
            "/templates/import",
            &[("key", "")],
            &[("file", "engineer.json", &bytes)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("already exists"), "{html}");
    assert!(html.contains(r#"aria-describedby="key-hint key-error""#), "{html}");

    let r = b
        .upload(
            &app,
            "/templates/import",
            &[("key", "engineer-copy")],
            &[("file", "engineer.json", &bytes)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let copy = id_in(&location(&r), "templates");
    assert_ne!(copy, id);
    let copied = export(&app, &b, &copy).await;
    assert_eq!((copied.key.as_str(), &copied.spec), ("engineer-copy", &file.spec));

    let (_, list) = b.get(&app, "/templates").await;
    assert!(list.contains("engineer-copy") && list.contains(">engineer<"), "{list}");

    let r = b
        .upload(&app, "/templates/import", &[], &[("file", "x.json", b"{\"nope\":1}")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("not a template export"));
    app.stop().await;
}

#[tokio::test]
async fn validation_errors_sit_next_to_their_fields_and_keep_the_input() {
    let app = TestApp::spawn_with(&NO_LIMITS).await;
    let b = browser(&app, Role::Recruiter).await;
    let r = b
        .post(
            &app,
            "/templates/new",
            &[
                ("name", "Keep <me>"),
                ("key", "keep-me"),
                ("locale", "en"),
                ("q0_kind", "video"),
                ("q0_prompt", "A recorded question"),
                ("q0_think", "10"),
                ("q0_answer", "0"),
                ("q0_retakes", "1"),
                ("q1_kind", "multiple_choice"),
                ("q1_prompt", "Only one choice"),
                ("q1_choices", "*Lonely"),
                ("q2_kind", "text"),
                ("q2_prompt", "Think time is words"),
                ("q2_think", "soon"),
                ("surveys", "during ; text ; When?"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    for want in [
        r#"<p class="error" id="q0_answer-error">a recorded answer needs a time limit</p>"#,
        r#"aria-describedby="q0_answer-error""#,
        r#"<p class="error" id="q1_choices-error">give at least two choices</p>"#,
        r#"<p class="error" id="q2_think-error">a whole number, 0 or more</p>"#,
        "line 1: start with before or after",
        r#"value="Keep &#60;me&#62;""#,
        "A recorded question",
        "*Lonely",
        "during ; text ; When?",
        r#"role="alert""#,
    ] {
        assert!(html.contains(want), "{want} missing: {html}");
    }
    let (_, list) = b.get(&app, "/templates").await;
    assert!(!list.contains("keep-me"), "nothing saved");
    app.stop().await;
}

#[tokio::test]
async fn add_question_keeps_what_was_typed_and_remove_drops_one() {
    let app = TestApp::spawn_with(&NO_LIMITS).await;
    let b = browser(&app, Role::Recruiter).await;
    let typed = [
        ("name", "Half done"),
        ("key", "half-done"),
        ("locale", "de"),
        ("q0_id", "q1"),
        ("q0_kind", "text"),
        ("q0_prompt", "First, typed before adding"),
        ("q0_think", "5"),
        ("q0_answer", "0"),
        ("q0_retakes", "0"),
    ];
    let mut fields = typed.to_vec();
    fields.push(("action", "add"));
    let r = b.post(&app, "/templates/new", &fields).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    for want in [
        r#"value="Half done""#,
        r#"value="half-done""#,
        r#"value="de""#,
        "First, typed before adding",
        r#"<option value="text" selected>"#,
        r#"name="q1_prompt""#,
        r#"name="q1_id" value="q2""#,
        "Question 2",
    ] {
        assert!(html.contains(want), "{want} missing: {html}");
    }
    assert!(
        !html.contains(r#"name="q0_required" value="1" checked"#),
        "unchecked stays unchecked"
    );

    // Save with a second question marked for removal and a blank third one.
    let mut fields = typed.to_vec();
    fields.extend([
        ("q1_kind", "text"),
        ("q1_prompt", "Drop me"),
        ("q1_remove", "1"),
        ("q2_kind", "video"),
        ("q2_prompt", ""),
        ("action", "save"),
    ]);
    let r = b.post(&app, "/templates/new", &fields).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let id = id_in(&location(&r), "templates");
    let file = export(&app, &b, &id).await;
    assert_eq!(file.spec.questions.len(), 1);
    assert_eq!(file.spec.questions[0].prompt, "First, typed before adding");
    assert!(!file.spec.questions[0].required);
    assert_eq!(file.spec.locale, "de");
    app.stop().await;
}

#[tokio::test]
async fn editing_archiving_and_what_reviewers_may_do() {
    let app = TestApp::spawn_with(&NO_LIMITS).await;
    let b = browser(&app, Role::Recruiter).await;
    let id = create_template(&app, &b, "edit-me").await;
    let (_, html) = b.get(&app, &format!("/templates/{id}")).await;
    assert!(html.contains("<code>edit-me</code>"), "key shown read-only: {html}");
    assert!(!html.contains(r#"name="key""#), "{html}");

    let r = b
        .post(
            &app,
            &format!("/templates/{id}"),
            &[
                ("name", "Renamed"),
                ("locale", "en"),
                ("q0_id", "q1"),
                ("q0_kind", "text"),
                ("q0_prompt", "Only question"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = b.get(&app, &location(&r)).await;
    assert!(html.contains("Renamed") && html.contains("Saved."), "{html}");
    assert!(!html.contains("Which is a Rust keyword?"), "{html}");

    let r = b
        .post(&app, &format!("/templates/{id}/archive"), &[("archived", "1")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, list) = b.get(&app, "/templates").await;
    assert!(list.contains(">archived<"), "{list}");
    let r = b
        .post(&app, &format!("/templates/{id}/archive"), &[("archived", "0")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let rev = colleague(&app, &b, Role::Reviewer).await;
    let (status, html) = rev.get(&app, &format!("/templates/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("only recruiters and administrators change them"),
        "{html}"
    );
    assert!(!html.contains(r#"value="save""#), "{html}");
    let (status, _) = rev.get(&app, "/templates/new").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for path in [
        format!("/templates/{id}"),
        "/templates/new".into(),
        format!("/templates/{id}/archive"),
    ] {
        let r = rev.post(&app, &path, &[("name", "Mine now"), ("archived", "1")]).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let r = rev
        .upload(&app, "/templates/import", &[], &[("file", "x.json", b"{}")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Without the CSRF token nothing changes.
    let r =
        b.c.post(app.url(&format!("/templates/{id}/archive")))
            .form(&[("archived", "1")])
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    app.stop().await;
}

#[tokio::test]
async fn an_oversize_import_is_refused_with_the_limit_named() {
    let app = TestApp::spawn_with(&NO_LIMITS).await;
    let b = browser(&app, Role::Recruiter).await;
    let big = vec![b' '; 1024 * 1024 + 10];
    let r = b
        .upload(&app, "/templates/import", &[], &[("file", "big.json", &big)])
        .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.text().await.unwrap().contains("1 MiB"));
    app.stop().await;
}

const ONE_QUESTION: [(&str, &str); 5] = [
    ("name", "Branded"),
    ("locale", "en"),
    ("q0_id", "q1"),
    ("q0_kind", "text"),
    ("q0_prompt", "Why us?"),
];

#[tokio::test]
async fn a_logo_and_a_document_uploaded_in_the_editor_are_saved_shown_kept_and_removed() {
    let app = TestApp::spawn_with(&NO_LIMITS).await;
    let b = browser(&app, Role::Recruiter).await;
    let (_, html) = b.get(&app, "/templates/new").await;
    let multipart = html.contains(r#"enctype="multipart/form-data""#);
    assert!(multipart && html.contains(r#"type="file" id="logo_file""#), "{html}");

    let png = png_1x1([22, 50, 92, 255]);
    let mut fields = ONE_QUESTION.to_vec();
    fields.extend([("key", "branded"), ("document_title", "Benefits"), ("action", "save")]);
    let files: [(&str, &str, &[u8]); 3] = [
        ("logo_file", "logo.png", &png),
        ("intro_video_file", "", b""),
        ("document_file", "benefits.pdf", b"%PDF-1.4\n%%EOF\n"),
    ];
    let r = b.upload(&app, "/templates/new", &fields, &files).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let id = id_in(&location(&r), "templates");
    let spec = export(&app, &b, &id).await.spec;
    let key = spec.branding.logo_media_key.clone().expect("logo saved");
    assert!(key.starts_with(&format!("orgs/{}/template-media/", b.org)), "{key}");
    assert_eq!(spec.intro_video_media_key, None, "no video chosen");
    let doc = &spec.documents[0];
    assert_eq!(doc.title, "Benefits");
    let doc_key = doc.media_key.clone().expect("document saved");

    let (_, html) = b.get(&app, &format!("/templates/{id}")).await;
    assert!(html.contains(&format!(r#"<img src="/media/{key}""#)), "{html}");
    assert!(
        html.contains(&format!(r#"<a href="/media/{doc_key}">Benefits</a>"#)),
        "{html}"
    );
    let r = b.c.get(app.url(&format!("/media/{key}"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.bytes().await.unwrap().to_vec(), png);

    // Saved again without a new file: the logo stays; then "remove" clears it.
    let docs = format!("Benefits | file:{doc_key}");
    let mut again = ONE_QUESTION.to_vec();
    again.extend([
        ("logo_media_key", key.as_str()),
        ("documents", docs.as_str()),
        ("action", "save"),
    ]);
    let r = b
        .upload(&app, &format!("/templates/{id}"), &again, &[("logo_file", "", b"")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    assert_eq!(
        export(&app, &b, &id).await.spec.branding.logo_media_key.as_deref(),
        Some(key.as_str())
    );
    again.push(("logo_remove", "1"));
    let r = b.upload(&app, &format!("/templates/{id}"), &again, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let spec = export(&app, &b, &id).await.spec;
    assert_eq!((spec.branding.logo_media_key, spec.documents.len()), (None, 1));

    // Another organisation sees nothing of it.
    let stranger = browser(&app, Role::Admin).await;
    let (status, _) = stranger.get(&app, &format!("/media/{key}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn editor_files_of_the_wrong_type_or_size_are_refused_with_the_reason() {
    let app = TestApp::spawn_with(&NO_LIMITS).await;
    let b = browser(&app, Role::Recruiter).await;
    let mut fields = ONE_QUESTION.to_vec();
    fields.extend([("key", "refused"), ("action", "save")]);
    let r = b
        .upload(
            &app,
            "/templates/new",
            &fields,
            &[("logo_file", "logo.png", b"GIF? no, text")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains(r#"<p class="error" id="logo_file-error">the file&#39;s content is not image/png"#),
        "{html}"
    );
    assert!(html.contains("Why us?"), "the form is kept: {html}");

    let mut big = png_1x1([0, 0, 0, 255])[..16].to_vec();
    big.resize(5 * 1024 * 1024 + 1, 0);
    let r = b
        .upload(&app, "/templates/new", &fields, &[("logo_file", "big.png", &big)])
        .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.text().await.unwrap().contains("at most 5 MiB"));
    let (_, list) = b.get(&app, "/templates").await;
    assert!(!list.contains("refused"), "nothing saved: {list}");
    app.stop().await;
}

#[tokio::test]
async fn scorecard_criteria_set_by_json_show_in_the_editor_survive_a_save_and_can_be_edited() {
    let app = TestApp::spawn_with(&NO_LIMITS).await;
    let b = browser(&app, Role::Recruiter).await;
    let made = create_template(&app, &b, "scored").await;
    let mut file = export(&app, &b, &made).await;
    file.key = "scored-json".into();
    file.spec.scorecard = [("comm", "Communication"), ("fit", "Team fit")]
        .map(|(id, label)| Criterion {
            id: id.into(),
            label: label.into(),
        })
        .to_vec();
    let bytes = serde_json::to_vec(&file).unwrap();
    let r = b
        .upload(&app, "/templates/import", &[("key", "")], &[("file", "s.json", &bytes)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let id = id_in(&location(&r), "templates");
    let page = format!("/templates/{id}");
    let shown = |html: &str| {
        between(html, r#"name="scorecard""#, "</textarea>").map(|t| t.split_once('>').unwrap().1.to_string())
    };

    let (_, html) = b.get(&app, &page).await;
    let text = shown(&html).expect("a scorecard field");
    assert_eq!(text, "Communication\nTeam fit");
    let save = |scorecard: &'static str| {
        let mut f = ONE_QUESTION.to_vec();
        f.extend([("scorecard", scorecard), ("action", "save")]);
        f
    };
    // Saved as shown: the same criteria with the same ids.
    let r = b.post(&app, &page, &save("Communication\nTeam fit")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(export(&app, &b, &id).await.spec.scorecard, file.spec.scorecard);

    // A renamed line is a new criterion; an unchanged one keeps its id wherever it moves.
    let r = b.post(&app, &page, &save("Ownership & drive\nCommunication\n")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let saved = export(&app, &b, &id).await.spec.scorecard;
    let ids: Vec<_> = saved.iter().map(|c| (c.id.as_str(), c.label.as_str())).collect();
    assert_eq!(
        ids,
        [("ownership-drive", "Ownership & drive"), ("comm", "Communication")]
    );
    let (_, html) = b.get(&app, &page).await;
    assert_eq!(shown(&html).unwrap(), "Ownership &#38; drive\nCommunication");

    // Too long a label: refused next to the field, the input kept, nothing saved.
    let long: &'static str = "L".repeat(201).leak();
    let r = b.post(&app, &page, &save(long)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    let error = between(&html, r#"<p class="error" id="scorecard-error">"#, "</p>").expect("error by the field");
    assert!(error.contains("criterion 1: name the criterion"), "{error}");
    assert_eq!(shown(&html).unwrap(), long);
    assert!(
        html.contains(r#"aria-describedby="scorecard-hint scorecard-error""#),
        "{html}"
    );
    assert_eq!(export(&app, &b, &id).await.spec.scorecard, saved);
    app.stop().await;
}
