//! Greenhouse end to end against its simulator (a real HTTP server playing Greenhouse's side of
//! the Assessment Partner API): the simulator lists our tests and sends one, the candidate gets
//! the e-mail at the SMTP sink and completes the interview over HTTP, we PATCH the instance URL
//! (through two injected 503s), the simulator asks test_status and shows the result with the
//! interview URL, and a reviewer's rating reaches it as the score. Plus refusals: a wrong key, a
//! missing e-mail, another organisation's key.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;

use api_common::{Api, sign_in};
use common::{TestApp, client, eventually, mails_to};
use reqwest::StatusCode;
use serde_json::json;
use shortlist_domain::Role;
use sim::greenhouse::{Mode, PartnerEndpoints, SimConfig, SimHandle, Simulator};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(40);
const TEST: &str = "gh-text";

async fn app() -> TestApp {
    TestApp::spawn_with(&[
        "--job-retry-base-secs",
        "0.2",
        "--outbound-allow-private",
        "127.0.0.0/8",
    ])
    .await
}

/// Connects the signed-in admin's organisation (as observer) and returns its key.
async fn connect(app: &TestApp, api: &Api) -> String {
    let observer = api_common::user_id(app, api).await;
    app.app.greenhouse.connect(&api.org, &observer, None).await.unwrap().1
}

async fn sim(app: &TestApp, key: &str) -> SimHandle {
    let cfg = SimConfig {
        endpoints: PartnerEndpoints::shortlist(&app.url("")),
        api_key: key.to_string(),
        mode: Mode::Patch,
    };
    Simulator::start("127.0.0.1:0", cfg).await.unwrap()
}

/// A server, a signed-in admin whose organisation has the one-question text template `TEST`,
/// interview links that open without an account when `public` (Greenhouse shows a result only
/// behind a public URL), and a Greenhouse connection; returns its key.
async fn connected(public: bool) -> (TestApp, Api, String) {
    let app = app().await;
    let api = sign_in(&app, Role::Admin).await;
    let spec = json!({"name": "W", "questions": [{"id": "q1", "kind": "text", "prompt": "?"}]});
    api.template(TEST, spec).await;
    if public {
        let (s, _) = api
            .put(
                "/review-settings",
                json!({ "link_access": "anyone_with_link", "hide_until_submitted": true }),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
    }
    let key = connect(&app, &api).await;
    (app, api, key)
}

/// A signed-in page's HTML.
async fn html(app: &TestApp, who: &Api, path: &str) -> String {
    who.c.get(app.url(path)).send().await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn a_test_sent_from_greenhouse_comes_back_complete_with_url_and_score() {
    let app = app().await;
    let api = sign_in(&app, Role::Admin).await;
    let spec = json!({"name": "Greenhouse writing", "questions": [{"id": "q1", "kind": "text", "prompt": "Why us?"}]});
    api.template(TEST, spec).await;
    let key = connect(&app, &api).await;
    assert!(key.len() <= 128);
    // Greenhouse shows a result only behind a public URL; the page says so until links open.
    let page = html(&app, &api, "/settings/greenhouse").await;
    assert!(page.contains("id=\"links-private\""), "{page}");
    assert!(page.contains("/connectors/greenhouse/send_test"), "{page}");
    let (s, _) = api
        .put(
            "/review-settings",
            json!({ "link_access": "anyone_with_link", "hide_until_submitted": true }),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let gh = sim(&app, &key).await;

    // Greenhouse lists the organisation's templates as tests.
    let listed = gh.list_tests().await;
    assert_eq!(listed.status, 200, "{listed:?}");
    assert!(listed.errors.is_empty(), "{listed:?}");
    assert!(
        listed
            .tests
            .iter()
            .any(|t| t.partner_test_id == TEST && t.partner_test_name == "Greenhouse writing")
    );

    // Send: an id for the instance, one invitation, one e-mail; a replay answers the same id.
    let email = api_common::candidate_email("grace");
    let cand = gh.add_candidate("Grace", "Hopper", Some(&email));
    let sent = gh.send_test(cand, TEST).await;
    assert_eq!(sent.status, 200, "{sent:?}");
    assert!(sent.errors.is_empty(), "{sent:?}");
    let id = sent.partner_interview_id.clone().unwrap();
    assert!(id.starts_with("inv_"), "{id}");
    let instance = sent.instance.unwrap();
    let again = gh.replay_send(instance).await;
    assert_eq!(again.partner_interview_id.as_deref(), Some(id.as_str()), "{again:?}");
    assert_eq!(api_common::invitation_count(&app, &api).await, 1);

    // The candidate takes the interview from the e-mail link; two PATCHes fail with 503 first.
    gh.fail_next_patches(2, 503);
    api_common::complete_text_interview(&app, &email, "Clear words.").await;
    let shown = eventually(WAIT, || async { gh.instance(instance).and_then(|i| i.result) }).await;
    let shown = shown.unwrap_or_else(|| panic!("no result shown: {:?}", gh.instance(instance)));
    assert!(
        shown
            .partner_profile_url
            .starts_with(&app.url(&format!("/interviews/{id}/"))),
        "{}",
        shown.partner_profile_url
    );
    assert_eq!(shown.partner_score, None, "no score before anyone rates");
    assert!(
        shown.metadata.iter().any(|(k, _)| k == "Completed At"),
        "{:?}",
        shown.metadata
    );
    let patches: Vec<_> = gh.requests().into_iter().filter(|r| r.method == "PATCH").collect();
    assert_eq!(patches.len(), 3, "two 503s, then the one that worked");
    let basic = patches[2].header("authorization").unwrap_or_default().to_string();
    assert!(basic.starts_with("Basic "), "{basic}");

    // A reviewer's rating reaches Greenhouse as the score.
    let (status, body) = api
        .post(
            &format!("/invitations/{id}/evaluations"),
            json!({ "ratings": [{ "question_id": "q1", "rating": 4 }] }),
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    let scored = eventually(WAIT, || async {
        gh.instance(instance)
            .and_then(|i| i.result)
            .filter(|r| r.partner_score.is_some())
    })
    .await;
    assert_eq!(scored.unwrap().partner_score, Some(4.0));
    assert!(gh.response_errors().is_empty(), "{:?}", gh.response_errors());

    // Integrations shows the connection with its last event and write-back.
    let page = html(&app, &api, "/settings/integrations").await;
    assert!(page.contains("Greenhouse"), "{page}");
    assert_eq!(
        page.matches("Not connected").count(),
        2,
        "iCIMS and Workable only: {page}"
    );
}

#[tokio::test]
async fn wrong_keys_missing_emails_and_other_organisations_are_refused() {
    let (app, api, key) = connected(false).await;

    // A key that is not ours: 401 in Greenhouse's error shape.
    let stranger = sim(&app, "ghk_0123456789abcdef_not-a-real-key").await;
    let listed = stranger.list_tests().await;
    assert_eq!(listed.status, 401, "{listed:?}");

    // No e-mail: 400 naming the field, and nothing is created.
    let gh = sim(&app, &key).await;
    let nobody = gh.add_candidate("No", "Mail", None);
    let sent = gh.send_test(nobody, TEST).await;
    assert_eq!(sent.status, 400, "{sent:?}");
    assert!(sent.body.contains("candidate.email"), "{}", sent.body);
    assert_eq!(api_common::invitation_count(&app, &api).await, 0);
    let unknown = gh
        .send_test(gh.add_candidate("A", "B", Some("a.b@example.com")), "no-such-test")
        .await;
    assert_eq!(unknown.status, 400, "{unknown:?}");
    assert!(unknown.body.contains("partner_test_id"), "{}", unknown.body);

    // Another organisation's key cannot read this organisation's instance.
    let email = api_common::candidate_email("ada");
    let sent = gh.send_test(gh.add_candidate("Ada", "L", Some(&email)), TEST).await;
    let id = sent.partner_interview_id.unwrap();
    let other = sign_in(&app, Role::Admin).await;
    assert_ne!(other.org, api.org);
    let other_key = connect(&app, &other).await;
    let status_of = |k: String| {
        let url = app.url(&format!("/connectors/greenhouse/test_status?partner_interview_id={id}"));
        async move { client().get(url).basic_auth(k, Some("")).send().await.unwrap() }
    };
    let theirs = status_of(other_key.clone()).await;
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
    let ours = status_of(key.clone()).await;
    assert_eq!(ours.status(), StatusCode::OK);
    let v: serde_json::Value = ours.json().await.unwrap();
    assert_ne!(v["partner_status"], "complete", "{v}");
    assert!(v.get("partner_profile_url").is_none(), "no URL before completion: {v}");

    // A rotated key stops the old one at once.
    let new_key = app.app.greenhouse.rotate_key(&api.org).await.unwrap();
    assert_eq!(status_of(key).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(status_of(new_key).await.status(), StatusCode::OK);
}

/// The CSRF token of a signed-in page.
fn csrf_in(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn an_admin_can_make_a_second_order_refused_instead_of_replayed() {
    let (app, api, key) = connected(false).await;
    let gh = sim(&app, &key).await;
    let email = api_common::candidate_email("lin");
    let cand = gh.add_candidate("Lin", "Q", Some(&email));
    let first = gh.send_test(cand, TEST).await;
    let id = first.partner_interview_id.clone().unwrap();

    // Default (replay): a second instance of the same test answers the first one's id.
    let second = gh.send_test(cand, TEST).await;
    assert_eq!(second.partner_interview_id.as_deref(), Some(id.as_str()), "{second:?}");

    // The admin switches this connection to "refuse": the next one is a 409 naming the first.
    let page = html(&app, &api, "/settings/integrations").await;
    assert!(page.contains("Default: answer a second order"), "{page}");
    let form = [("csrf", csrf_in(&page)), ("dedup", "reject".to_string())];
    let r = api
        .c
        .post(app.url("/settings/integrations/greenhouse/dedup"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let third = gh.send_test(cand, TEST).await;
    assert_eq!(third.status, 409, "{third:?}");
    assert!(third.body.contains(&id), "{}", third.body);
    assert_eq!(api_common::invitation_count(&app, &api).await, 1);
    assert_eq!(mails_to(&email, 1, WAIT).await.len(), 1, "one e-mail for all three");

    // A reviewer cannot change it.
    let reviewer = sign_in(&app, Role::Reviewer).await;
    let page = html(&app, &reviewer, "/settings/integrations").await;
    let form = [("csrf", csrf_in(&page)), ("dedup", "replay".to_string())];
    let r = reviewer
        .c
        .post(app.url("/settings/integrations/greenhouse/dedup"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(
        r.status() == StatusCode::FORBIDDEN || r.status() == StatusCode::NOT_FOUND,
        "{}",
        r.status()
    );
}

#[tokio::test]
async fn under_reuse_a_new_application_gets_the_recent_result_without_a_new_interview() {
    let (app, api, key) = connected(true).await;
    let page = html(&app, &api, "/settings/integrations").await;
    let form = [
        ("csrf", csrf_in(&page)),
        ("dedup", "reuse".to_string()),
        ("reuse_days", "0".to_string()),
    ];
    let r = api
        .c
        .post(app.url("/settings/integrations/greenhouse/dedup"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "0 days is refused");
    let form = [
        ("csrf", csrf_in(&page)),
        ("dedup", "reuse".to_string()),
        ("reuse_days", "30".to_string()),
    ];
    let r = api
        .c
        .post(app.url("/settings/integrations/greenhouse/dedup"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // The candidate takes the test for a first application.
    let gh = sim(&app, &key).await;
    let email = api_common::candidate_email("mae");
    let first_app = gh.add_candidate("Mae", "Jemison", Some(&email));
    let first = gh.send_test(first_app, TEST).await;
    let id = first.partner_interview_id.clone().unwrap();
    api_common::complete_text_interview(&app, &email, "Clear words.").await;
    let shown = eventually(WAIT, || async {
        gh.instance(first.instance.unwrap()).and_then(|i| i.result)
    })
    .await;
    assert!(shown.is_some(), "the first application shows the result");

    // A second application of the same person gets the same result at once: no new interview,
    // no new e-mail, and Greenhouse shows the result on the new instance too.
    let second_app = gh.add_candidate("Mae", "Jemison", Some(&email));
    let second = gh.send_test(second_app, TEST).await;
    assert_eq!(second.partner_interview_id.as_deref(), Some(id.as_str()), "{second:?}");
    let shown = eventually(WAIT, || async {
        gh.instance(second.instance.unwrap()).and_then(|i| i.result)
    })
    .await;
    let shown = shown.unwrap_or_else(|| {
        panic!(
            "no result on the second instance: {:?}",
            gh.instance(second.instance.unwrap())
        )
    });
    assert!(shown.partner_profile_url.contains(&id), "{}", shown.partner_profile_url);
    assert_eq!(api_common::invitation_count(&app, &api).await, 1);
    assert_eq!(mails_to(&email, 1, WAIT).await.len(), 1, "one invitation e-mail in all");
}

#[tokio::test]
async fn a_refused_patch_is_parked_shown_and_retried_from_the_integrations_page() {
    let (app, api, key) = connected(true).await;
    let gh = sim(&app, &key).await;
    let email = api_common::candidate_email("ida");
    let sent = gh
        .send_test(gh.add_candidate("Ida", "Rhodes", Some(&email)), TEST)
        .await;
    let instance = sent.instance.unwrap();
    gh.fail_next_patches(1, 422);
    api_common::complete_text_interview(&app, &email, "Clear words.").await;
    // Parked, not retried: the admin is told in Greenhouse's words, the page lists it.
    // (The admin also gets the "completed" notice; wait for the parked one among them.)
    let parked = eventually(WAIT, || async {
        mails_to(&api.email, 1, Duration::from_millis(200))
            .await
            .into_iter()
            .find(|m| m.contains("Greenhouse refused a write-back"))
    })
    .await;
    assert!(
        parked.unwrap_or_default().contains("422"),
        "the e-mail quotes Greenhouse's answer"
    );
    let page = html(&app, &api, "/settings/integrations").await;
    assert!(
        page.contains("id=\"parked\"") && page.contains("Greenhouse answered 422"),
        "{page}"
    );
    assert!(gh.instance(instance).unwrap().result.is_none());
    let patches = gh.requests().into_iter().filter(|r| r.method == "PATCH").count();
    assert_eq!(patches, 1, "a 4xx is not retried by itself");

    // The admin retries from the page; the result arrives.
    let form = [("csrf", csrf_in(&page))];
    let r = api
        .c
        .post(app.url(&format!(
            "/settings/integrations/parked/{}/retry",
            sent.partner_interview_id.unwrap()
        )))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let shown = eventually(WAIT, || async { gh.instance(instance).and_then(|i| i.result) }).await;
    assert!(shown.is_some(), "{:?}", gh.instance(instance));
    let page = html(&app, &api, "/settings/integrations").await;
    assert!(page.contains("id=\"no-parked\""), "{page}");
}
