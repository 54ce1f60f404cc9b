//! Signing in returns to the page that asked for it: a recruiter who follows iCIMS's link to the
//! template pick page without a session signs in and lands back on that page. The return address
//! must be a path on this site; anything else (another host, `//host`, backslashes) lands on the
//! home page, so the login form cannot be used as an open redirect.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;
mod icims_support;

use api_common::PASSWORD;
use common::{TestApp, client};
use icims_support::{Opts, TRIGGER, setup};
use reqwest::StatusCode;
use reqwest::header::LOCATION;

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// The value of the login form's hidden `next` field, as a browser would send it back.
fn next_field(html: &str) -> Option<String> {
    let marker = r#"name="next" value=""#;
    let start = html.find(marker)? + marker.len();
    let raw = html[start..].split('"').next()?;
    Some(
        raw.replace("&#x2f;", "/")
            .replace("&#47;", "/")
            .replace("&#x3d;", "=")
            .replace("&#61;", "=")
            .replace("&amp;", "&")
            .replace("&#38;", "&"),
    )
}

async fn post_login(app: &TestApp, c: &reqwest::Client, email: &str, next: &str) -> reqwest::Response {
    c.post(app.url("/login"))
        .form(&[("email", email), ("password", PASSWORD), ("next", next)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn signing_in_from_the_pick_page_returns_to_it() {
    let s = setup(Opts::default()).await;
    let job = s.sim.add_job("Night Shift Lead", None);
    let (wf, _) = s.applicant(job, "Pick");
    let out = s.move_one(wf, TRIGGER).await;
    assert_eq!(out.status, 303, "{out:?}");
    let pick = out.location.unwrap();
    let pick_path = pick.strip_prefix(&s.app.url("")).unwrap().to_string();
    assert!(pick_path.starts_with("/connectors/icims/pick/pos_"), "{pick_path}");

    // A browser without a session is sent to sign in…
    let browser = client();
    let r = browser.get(&pick).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to_login = location(&r);
    assert!(to_login.starts_with("/login?next="), "{to_login}");

    // …where the form carries the page to come back to…
    let r = browser.get(s.app.url(&to_login)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    let next = next_field(&html).unwrap_or_else(|| panic!("no next field: {html}"));
    assert_eq!(next, pick_path);

    // …and signing in lands on the pick page, which now shows the job.
    let r = post_login(&s.app, &browser, &s.api.email, &next).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), pick_path);
    let r = browser.get(s.app.url(&pick_path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Night Shift Lead"));

    // Signed in already, the login link goes straight on.
    let r = browser.get(s.app.url(&to_login)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), pick_path);
    s.app.stop().await;
}

#[tokio::test]
async fn a_next_that_leaves_the_site_lands_on_the_home_page() {
    // Six sign-ins of one account in a row: above the default per-account limit.
    let app = TestApp::spawn_with(&["--login-limit-per-account", "100"]).await;
    let (_, email) = app.user(shortlist_domain::Role::Recruiter, PASSWORD).await;
    for evil in [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "evil.example",
    ] {
        let browser = client();
        let r = browser
            .get(app.url("/login"))
            .query(&[("next", evil)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        assert_eq!(next_field(&html), None, "{evil:?} is not offered back: {html}");

        let r = post_login(&app, &browser, &email, evil).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{evil:?}");
        assert_eq!(location(&r), "/", "{evil:?}");
        let r = browser.get(app.url("/")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "signed in despite {evil:?}");
    }
    app.stop().await;
}
