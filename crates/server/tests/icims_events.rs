//! The iCIMS connector's inbound side end to end: the iCIMS simulator (a real HTTP server) posts
//! documented events to our endpoint, we read people and jobs back from it, and what a user
//! would check is asserted: the e-mail in the SMTP sink, the invitation rows, iCIMS's vendor
//! error bodies, the 303 Locations and the pages behind them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;
mod icims_support;

use common::{client, mails_to};
use icims_support::{Opts, PACKAGE, RESEND, TRIGGER, setup};
use reqwest::StatusCode;
use sim::icims::{Auth, EventTarget};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn moving_a_candidate_to_the_trigger_status_invites_them_by_email() {
    let s = setup(Opts::default()).await;
    let job = s.sim.add_job("Customer Support Agent", Some(PACKAGE));
    let (wf, email) = s.applicant(job, "Ada");
    let out = s.move_one(wf, TRIGGER).await;
    assert_eq!(out.status, 200, "{out:?}");
    let mails = mails_to(&email, 1, WAIT).await;
    assert_eq!(mails.len(), 1, "one invitation e-mail reached the SMTP sink");
    assert!(mails[0].contains("/i/"), "the e-mail carries the candidate link");

    // The position has the iCIMS job title and is found by the iCIMS job id.
    let (st, found) = s.api.get(&format!("/positions?ats_kind=icims&external_id={job}")).await;
    assert_eq!(st, StatusCode::OK, "{found}");
    let items = found["items"]
        .as_array()
        .or(found.as_array())
        .cloned()
        .unwrap_or_default();
    assert_eq!(items.len(), 1, "{found}");
    assert_eq!(items[0]["title"], "Customer Support Agent");

    // A second candidate on the same job reuses the position.
    let (wf2, email2) = s.applicant(job, "Grace");
    assert_eq!(s.move_one(wf2, TRIGGER).await.status, 200);
    assert_eq!(mails_to(&email2, 1, WAIT).await.len(), 1);
    let (_, found) = s.api.get(&format!("/positions?ats_kind=icims&external_id={job}")).await;
    assert_eq!(found["items"].as_array().or(found.as_array()).map(Vec::len), Some(1));
    assert_eq!(s.invitation_counts().await, (2, 2));

    // Every call we made to iCIMS was HTTP/1.1 and authenticated.
    let reqs = s.sim.requests();
    assert!(reqs.len() >= 4, "person and job read per event: {}", reqs.len());
    for r in &reqs {
        assert_eq!(r.http_version, "HTTP/1.1", "{} {}", r.method, r.path);
    }
}

#[tokio::test]
async fn a_repeated_move_answers_400_saying_when_the_candidate_was_invited() {
    let s = setup(Opts::default()).await;
    let job = s.sim.add_job("Support", Some(PACKAGE));
    let (wf, email) = s.applicant(job, "Linus");
    assert_eq!(s.move_one(wf, TRIGGER).await.status, 200);
    let again = s.sim.replay_last(wf).await;
    assert_eq!(again.status, 400, "{again:?}");
    let msg = again.user_message.clone().unwrap_or_default();
    assert!(msg.contains("already invited"), "{msg}");
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    assert!(msg.contains(&today), "the message says when: {msg}");
    let body: serde_json::Value = serde_json::from_str(&again.body).unwrap();
    assert!(body["error"]["debugErrorMessage"].is_string(), "{body}");
    // A second move by hand is the same duplicate.
    assert_eq!(s.move_one(wf, TRIGGER).await.status, 400);
    assert_eq!(s.invitation_counts().await, (1, 1));
    assert_eq!(mails_to(&email, 1, WAIT).await.len(), 1);

    // The resend status sends the same invitation again.
    assert_eq!(s.move_one(wf, RESEND).await.status, 200);
    assert_eq!(mails_to(&email, 2, WAIT).await.len(), 2);
    assert_eq!(s.invitation_counts().await, (1, 1));
}

#[tokio::test]
async fn with_the_replay_policy_a_repeated_move_is_answered_200_and_sends_nothing() {
    let s = setup(Opts::default()).await;
    // The customer prefers silent duplicates (research §11, iCIMS case 2 "or 200, per config").
    s.app
        .app
        .ats
        .set_dedup(&s.conn.ats, Some(shortlist_app::connectors::Dedup::Replay))
        .await
        .unwrap();
    let job = s.sim.add_job("Support", Some(PACKAGE));
    let (wf, email) = s.applicant(job, "Grace");
    assert_eq!(s.move_one(wf, TRIGGER).await.status, 200);
    let again = s.sim.replay_last(wf).await;
    assert_eq!(again.status, 200, "{again:?}");
    assert_eq!(s.move_one(wf, TRIGGER).await.status, 200);
    assert_eq!(s.invitation_counts().await, (1, 1));
    // The resend status still sends the link again.
    assert_eq!(s.move_one(wf, RESEND).await.status, 200);
    assert_eq!(mails_to(&email, 2, WAIT).await.len(), 2);
    assert_eq!(s.invitation_counts().await, (1, 1));
}

#[tokio::test]
async fn a_person_without_email_gets_a_400_naming_the_field() {
    let s = setup(Opts::default()).await;
    let job = s.sim.add_job("Support", Some(PACKAGE));
    let person = s.sim.add_person("Nomail", "Person", None);
    let wf = s.sim.apply(person, job);
    let out = s.move_one(wf, TRIGGER).await;
    assert_eq!(out.status, 400, "{out:?}");
    let msg = out.user_message.unwrap_or_default();
    assert!(
        msg.contains("e-mail address") && msg.contains("{{person.email}}"),
        "{msg}"
    );
    assert_eq!(s.invitation_counts().await, (0, 0));
}

#[tokio::test]
async fn a_status_that_is_not_a_trigger_is_ignored() {
    let s = setup(Opts::default()).await;
    let job = s.sim.add_job("Support", Some(PACKAGE));
    let (wf, _) = s.applicant(job, "Ignored");
    let out = s.move_one(wf, "C2028").await;
    assert_eq!(out.status, 200, "{out:?}");
    assert_eq!(s.invitation_counts().await, (0, 0));
    assert!(s.sim.requests().is_empty(), "nothing was read from iCIMS");
}

#[tokio::test]
async fn wrong_credentials_and_unknown_customers_get_401_in_the_vendor_format() {
    let s = setup(Opts::default()).await;
    let job = s.sim.add_job("Support", Some(PACKAGE));
    let (wf, _) = s.applicant(job, "Mallory");
    s.sim.set_event_target(EventTarget {
        url: s.app.url("/connectors/icims/events"),
        auth: Auth::Basic {
            user: s.inbound_user.clone(),
            password: "not-the-secret".into(),
        },
        token_url: None,
        gzip: false,
    });
    let out = s.move_one(wf, TRIGGER).await;
    assert_eq!(out.status, 401, "{out:?}");
    let body: serde_json::Value = serde_json::from_str(&out.body).unwrap();
    assert!(
        body["error"]["userMessage"].as_str().unwrap().contains("credentials"),
        "{body}"
    );

    // An event for a customer nobody connected.
    let r = client()
        .post(s.app.url("/connectors/icims/events"))
        .basic_auth(&s.inbound_user, Some(&s.inbound_secret))
        .json(&serde_json::json!({"customerId": "999999", "eventType": "WorkFlowStatusChangeEvent", "systemId": "1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // The same answer as for wrong credentials: which customer ids are connected stays unknown.
    let unknown: serde_json::Value = r.json().await.unwrap();
    assert_eq!(unknown, body);

    // Garbage is a 400 in the same format; no credentials is a 401.
    let r = client()
        .post(s.app.url("/connectors/icims/events"))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body["error"]["userMessage"].is_string());
    let r = client()
        .post(s.app.url("/connectors/icims/events"))
        .json(&serde_json::json!({"customerId": s.customer}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(s.invitation_counts().await, (0, 0));
}

#[tokio::test]
async fn oauth_tokens_from_our_endpoint_and_gzip_bodies_work_both_ways() {
    let s = setup(Opts {
        inbound_oauth: true,
        outbound_oauth: true,
        gzip: true,
    })
    .await;
    let job = s.sim.add_job("Support", Some(PACKAGE));
    let (wf, email) = s.applicant(job, "Token");
    let out = s.move_one(wf, TRIGGER).await;
    assert_eq!(out.status, 200, "{out:?}");
    assert_eq!(mails_to(&email, 1, WAIT).await.len(), 1);
    // We fetched a token from the simulator and called its API with it.
    let reqs = s.sim.requests();
    assert!(reqs.iter().any(|r| r.path.contains("/oauth2/token")), "{reqs:?}");
    assert!(reqs.iter().filter(|r| r.path.contains("/people/")).all(|r| {
        r.headers
            .iter()
            .find(|(n, _)| n == "authorization")
            .map(|(_, v)| v.as_str())
            .is_some_and(|a| a.starts_with("Bearer "))
    }));

    // Our token endpoint refuses a wrong secret, and a Basic caller on an OAuth connection.
    let r = client()
        .post(s.app.url("/connectors/icims/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &s.inbound_user),
            ("client_secret", "nope"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = client()
        .post(s.app.url("/connectors/icims/events"))
        .basic_auth(&s.inbound_user, Some(&s.inbound_secret))
        .json(&serde_json::json!({"customerId": s.customer, "eventType": "WorkFlowStatusChangeEvent"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_job_without_package_asks_the_recruiter_once_then_reuses_the_pick() {
    let s = setup(Opts::default()).await;
    let job = s.sim.add_job("Night Shift Lead", None);
    let (wf, email) = s.applicant(job, "Pick");
    let out = s.move_one(wf, TRIGGER).await;
    assert_eq!(out.status, 303, "{out:?}");
    let location = out.location.unwrap();
    assert!(
        location.starts_with(&s.app.url("/connectors/icims/pick/pos_")),
        "{location}"
    );
    assert_eq!(s.invitation_counts().await, (0, 0));

    // The signed-in recruiter sees the page and picks the template.
    let page = s.api.c.get(&location).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Night Shift Lead") && html.contains(PACKAGE), "{html}");
    let field = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        let start = html.find(&marker).unwrap() + marker.len();
        html[start..].split('"').next().unwrap().to_string()
    };
    let action = location.split('?').next().unwrap().to_string();
    let r = s
        .api
        .c
        .post(&action)
        .form(&[
            ("csrf", field("csrf")),
            ("workflow", field("workflow")),
            ("person", field("person")),
            ("template_id", s.template_id.clone()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/invitations/inv_"), "{to}");
    assert_eq!(mails_to(&email, 1, WAIT).await.len(), 1);

    // The next candidate on that job is invited without asking.
    let (wf2, email2) = s.applicant(job, "Later");
    assert_eq!(s.move_one(wf2, TRIGGER).await.status, 200);
    assert_eq!(mails_to(&email2, 1, WAIT).await.len(), 1);
    assert_eq!(s.invitation_counts().await, (2, 2));

    // Without a session the page sends people to sign in.
    let anon = client().get(&location).send().await.unwrap();
    assert_eq!(anon.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn application_complete_sends_the_candidate_into_the_interview_and_keeps_the_return_url() {
    let s = setup(Opts::default()).await;
    s.api
        .template("support-text", icims_support::text_spec("Written screening"))
        .await;
    let job = s.sim.add_job("Support", Some("support-text"));
    let (wf, _) = s.applicant(job, "Apply");
    let back = "https://jobs-acme.icims.com/jobs/1385/support/assessment?i=1";
    let out = s.sim.application_complete(wf, back).await;
    assert_eq!(out.status, 303, "{out:?}");
    let location = out.location.unwrap();
    assert!(location.starts_with(&s.app.url("/i/")), "{location}");
    let landing = client().get(&location).send().await.unwrap();
    assert_eq!(landing.status(), StatusCode::OK);
    // The same event again leads to the same interview, not a second invitation.
    let again = s
        .sim
        .application_complete_as(wf, back, "ApplicationCompletedEvent")
        .await;
    assert_eq!(again.status, 303);
    assert_eq!(again.location.as_deref(), Some(location.as_str()));
    assert_eq!(s.invitation_counts().await, (1, 1));
    let sql = "SELECT return_url FROM invitations WHERE org_id = $1";
    let org = s.api.org.as_str().to_string();
    let (stored,): (Option<String>,) =
        shortlist_store::on_db!(&s.app.app.db, p => sqlx::query_as(sql).bind(&org).fetch_one(p).await).unwrap();
    assert_eq!(stored.as_deref(), Some(back));

    // At the end the candidate is offered the way back to the career portal.
    let done = icims_support::take_text_interview(&s.app, &location).await;
    assert!(
        done.contains(&format!("id=\"return-to-ats\" class=\"button\" href=\"{back}\"")),
        "{done}"
    );
}

/// A bulk move of many candidates at once (each its own concurrent event) with 5 % of the events
/// replayed while the burst is in flight: every event is answered, and every candidate ends with
/// exactly one invitation. 1,000 candidates on both backends.
#[tokio::test]
async fn a_burst_of_status_events_with_replays_invites_each_candidate_once() {
    const N: usize = 1000;
    let s = setup(Opts::default()).await;
    let job = s.sim.add_job("Seasonal Support", Some(PACKAGE));
    let wfs: Vec<u64> = (0..N).map(|i| s.applicant(job, &format!("Burst{i}")).0).collect();
    let replayed: Vec<u64> = wfs.iter().copied().step_by(20).collect();
    let (first, replays) = tokio::join!(s.sim.move_to_status(&wfs, TRIGGER), async {
        // The simulator records each event before posting it, so replays can start at once.
        tokio::task::yield_now().await;
        let mut set = tokio::task::JoinSet::new();
        for wf in &replayed {
            let (sim, wf) = (s.sim.clone(), *wf);
            set.spawn(async move { sim.replay_last(wf).await });
        }
        set.join_all().await
    });
    let all: Vec<_> = first.iter().chain(replays.iter()).collect();
    let ok = all.iter().filter(|o| o.status == 200).count();
    let dup = all.iter().filter(|o| o.status == 400).count();
    let other: Vec<_> = all.iter().filter(|o| o.status != 200 && o.status != 400).collect();
    assert!(
        other.is_empty(),
        "{} events not answered 200/400, e.g. {:?}",
        other.len(),
        other.first()
    );
    assert_eq!(ok, N, "one 200 per candidate");
    assert_eq!(dup, replayed.len(), "each replay is the duplicate");
    for o in all.iter().filter(|o| o.status == 400) {
        assert!(
            o.user_message
                .as_deref()
                .unwrap_or_default()
                .contains("already invited"),
            "{o:?}"
        );
    }
    assert_eq!(s.invitation_counts().await, (N as i64, N as i64));
}
