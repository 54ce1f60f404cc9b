//! Recruiter pages for positions and invitations, over real HTTP with the real SMTP sink:
//! inviting, duplicates and resend, prior invitations, the invitation table's actions, bulk CSV
//! with its preview, e-mail settings, and what reviewers may do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod ui_support;

use common::{TestApp, mails_to};
use reqwest::StatusCode;
use shortlist_domain::Role;
use std::time::Duration;
use ui_support::*;

const MAIL_WAIT: Duration = Duration::from_secs(30);

fn invitation_ids(html: &str) -> Vec<String> {
    html.match_indices("href=\"/invitations/")
        .map(|(i, m)| html[i + m.len()..].split('"').next().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn invite_duplicate_resend_prior_and_the_table_actions() {
    let app = TestApp::spawn_with(&NO_LIMITS).await;
    let b = browser(&app, Role::Recruiter).await;
    let tpl = create_template(&app, &b, "engineer").await;
    let pos = create_position(&app, &b, "Backend engineer", &tpl).await;
    let page = format!("/positions/{pos}");
    let (status, html) = b.get(&app, &page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Invite a candidate") && html.contains("<code>engineer</code> v1"),
        "{html}"
    );

    let cand = candidate_email();
    let invite = [
        ("email", cand.as_str()),
        ("name", "Ada Lovelace"),
        ("template_id", ""),
        ("round", ""),
    ];
    let r = b.post(&app, &format!("{page}/invite"), &invite).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains(&format!("Invitation sent to {cand}.")), "{html}");
    assert!(!html.contains("invited before"), "{html}");
    let mails = mails_to(&cand, 1, MAIL_WAIT).await;
    assert_eq!(mails.len(), 1, "the invitation e-mail arrives");
    assert!(mails[0].contains("Hello Ada Lovelace"), "{}", mails[0]);

    // Again: nothing is sent, the page says so and offers to resend.
    let r = b.post(&app, &format!("{page}/invite"), &invite).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(
        html.contains(&format!("{cand} was already invited to this position on")),
        "{html}"
    );
    assert!(html.contains("Send the link again?"), "{html}");
    assert!(html.contains(r#"name="resend" value="1""#), "{html}");
    let template_id = between(&html, r#"name="template_id" value=""#, "\"")
        .unwrap()
        .to_string();
    assert_eq!(template_id, tpl);

    let mut again = invite.to_vec();
    again[2] = ("template_id", template_id.as_str());
    again.push(("resend", "1"));
    let r = b.post(&app, &format!("{page}/invite"), &again).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains(&format!("The link was sent again to {cand}."))
    );
    assert_eq!(
        mails_to(&cand, 2, MAIL_WAIT).await.len(),
        2,
        "the resend e-mail arrives"
    );

    // A bad e-mail address: 422, the message next to the field, the input kept.
    let r = b
        .post(
            &app,
            &format!("{page}/invite"),
            &[("email", "not-an-address"), ("name", "Typo")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains(r#"aria-describedby="email-error""#), "{html}");
    assert!(
        html.contains(r#"value="not-an-address""#) && html.contains(r#"value="Typo""#),
        "{html}"
    );

    // The same candidate on another position: told about the earlier invitation.
    let other = create_position(&app, &b, "Platform engineer", &tpl).await;
    let r = b.post(&app, &format!("/positions/{other}/invite"), &invite).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("This candidate was invited before:"), "{html}");
    assert!(html.contains("Backend engineer"), "{html}");

    // Table actions on the first position.
    let (_, html) = b.get(&app, &page).await;
    let ids = invitation_ids(&html);
    assert_eq!(ids.len(), 1, "{html}");
    let inv = &ids[0];
    let r = b
        .post(&app, &format!("/invitations/{inv}/extend"), &[("back", "position")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("{page}?notice=extended#invitations"));
    let r = b
        .post(&app, &format!("/invitations/{inv}/cancel"), &[("back", "position")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = b.get(&app, &location(&r)).await;
    assert!(html.contains("The invitation was cancelled."), "{html}");
    assert!(html.contains("<td>cancelled</td>"), "{html}");

    let (status, html) = b.get(&app, &format!("/invitations/{inv}")).await;
    assert_eq!(status, StatusCode::OK);
    for want in [
        "created",
        "resend requested",
        "extended",
        "cancelled",
        "Test User",
        "History",
    ] {
        assert!(html.contains(want), "{want} missing: {html}");
    }
    // A cancelled invitation cannot be resent.
    let r = b.post(&app, &format!("/invitations/{inv}/resend"), &[]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    app.stop().await;
}

#[tokio::test]
async fn a_csv_is_previewed_then_sent_row_by_row() {
    let app = TestApp::spawn_with(&NO_LIMITS).await;
    let b = browser(&app, Role::Recruiter).await;
    let tpl = create_template(&app, &b, "engineer").await;
    let pos = create_position(&app, &b, "Support agent", &tpl).await;
    let (good1, good2) = (candidate_email(), candidate_email());
    let csv = format!(
        "Name,EMAIL,Round\nGrace,{good1},\nAlan,{good2},1\nGrace again,{},\nBroken,not-an-email,\n",
        good1.to_uppercase()
    );
    let r = b
        .upload(
            &app,
            &format!("/positions/{pos}/bulk"),
            &[("template_id", "")],
            &[("csv", "people.csv", csv.as_bytes())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    for want in [
        "duplicate of line 2: invited once",
        "invalid e-mail",
        "Send 2 invitations",
        "Nothing has been sent yet",
    ] {
        assert!(html.contains(want), "{want} missing: {html}");
    }
    assert!(
        mails_to(&good1, 1, Duration::from_millis(500)).await.is_empty(),
        "preview sends nothing"
    );
    let rows = unescape(between(&html, r#"name="rows" value=""#, "\"").unwrap());
    let template_id = between(&html, r#"name="template_id" value=""#, "\"")
        .unwrap()
        .to_string();

    let r = b
        .post(
            &app,
            &format!("/positions/{pos}/bulk/send"),
            &[("rows", rows.as_str()), ("template_id", template_id.as_str())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    for want in ["Sent: 2", "Duplicate in file: 1", "Invalid: 1", &good1, &good2] {
        assert!(html.contains(want), "{want} missing: {html}");
    }
    assert_eq!(mails_to(&good1, 1, MAIL_WAIT).await.len(), 1);
    assert_eq!(mails_to(&good2, 1, MAIL_WAIT).await.len(), 1);
    assert_eq!(
        mails_to(&good1, 2, Duration::from_secs(2)).await.len(),
        1,
        "the duplicate row sent nothing"
    );

    // Sending the same file again: everyone is already invited.
    let r = b
        .post(
            &app,
            &format!("/positions/{pos}/bulk/send"),
            &[("rows", rows.as_str()), ("template_id", template_id.as_str())],
        )
        .await;
    assert!(r.text().await.unwrap().contains("Already invited: 2"));

    // A file without an e-mail column is refused on the position page.
    let r = b
        .upload(
            &app,
            &format!("/positions/{pos}/bulk"),
            &[],
            &[("csv", "x.csv", b"name\nNo one\n")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("include one called email"));
    app.stop().await;
}

#[tokio::test]
async fn reviewers_look_but_cannot_change() {
    let app = TestApp::spawn_with(&NO_LIMITS).await;
    let b = browser(&app, Role::Recruiter).await;
    let tpl = create_template(&app, &b, "engineer").await;
    let pos = create_position(&app, &b, "Designer", &tpl).await;
    let rev = colleague(&app, &b, Role::Reviewer).await;
    let (status, html) = rev.get(&app, &format!("/positions/{pos}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Designer") && !html.contains("Invite a candidate"),
        "{html}"
    );
    let (_, html) = rev.get(&app, "/positions").await;
    assert!(!html.contains("New position"), "{html}");
    let cand = candidate_email();
    for (path, fields) in [
        (format!("/positions/{pos}/invite"), vec![("email", cand.as_str())]),
        ("/positions".to_string(), vec![("title", "Mine")]),
        (
            format!("/positions/{pos}"),
            vec![("title", "Renamed"), ("status", "closed")],
        ),
        (format!("/positions/{pos}/templates"), vec![]),
        ("/settings".to_string(), vec![("default_expiry_days", "3")]),
    ] {
        let r = rev.post(&app, &path, &fields).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let r = rev
        .upload(
            &app,
            &format!("/positions/{pos}/bulk"),
            &[],
            &[("csv", "x.csv", b"email\na@x.org\n")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    app.stop().await;
}

#[tokio::test]
async fn settings_change_the_invitation_e_mail() {
    let app = TestApp::spawn_with(&NO_LIMITS).await;
    let b = browser(&app, Role::Admin).await;
    let (status, html) = b.get(&app, "/settings").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("{{candidate_name}}") && html.contains("built-in wording"),
        "{html}"
    );
    let default = shortlist_app::recruiting::mail::default_template("invitation");

    let r = b
        .post(
            &app,
            "/settings/email/invitation",
            &[
                ("subject", "Hi {{candiate_name}}"),
                ("text_body", &default.text_body),
                ("html_body", &default.html_body),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains(r#"aria-describedby="invitation_subject-error""#),
        "{html}"
    );
    assert!(html.contains("unknown placeholder {{candiate_name}}"), "{html}");
    assert!(html.contains(r#"value="Hi {{candiate_name}}""#), "input kept: {html}");

    let r = b
        .post(
            &app,
            "/settings/email/invitation",
            &[
                ("subject", "Custom: {{position_title}}"),
                ("text_body", &default.text_body),
                ("html_body", &default.html_body),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = b.get(&app, "/settings").await;
    assert!(
        html.contains("your wording") && html.contains("Reset invitation e-mail to default"),
        "{html}"
    );

    let r = b
        .post(
            &app,
            "/settings",
            &[("default_expiry_days", "10"), ("reminder_hours", "72, x")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains(r#"id="reminder_hours-error""#));
    let r = b
        .post(
            &app,
            "/settings",
            &[("default_expiry_days", "10"), ("reminder_hours", "72, 24")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = b.get(&app, "/settings").await;
    assert!(html.contains(r#"value="72, 24""#), "{html}");

    let tpl = create_template(&app, &b, "engineer").await;
    let pos = create_position(&app, &b, "Data analyst", &tpl).await;
    let cand = candidate_email();
    let r = b
        .post(&app, &format!("/positions/{pos}/invite"), &[("email", cand.as_str())])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let mails = mails_to(&cand, 1, MAIL_WAIT).await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("Subject: Custom: Data analyst"), "{}", mails[0]);

    // A recruiter may read the settings but not change them.
    let rec = colleague(&app, &b, Role::Recruiter).await;
    let (status, html) = rec.get(&app, "/settings").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("only administrators change them"), "{html}");
    let r = rec
        .post(&app, "/settings/email/invitation", &[("subject", "x {{link}}")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let r = b.post(&app, "/settings/email/invitation/reset", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = b.get(&app, "/settings").await;
    assert!(!html.contains("your wording"), "{html}");
    app.stop().await;
}
