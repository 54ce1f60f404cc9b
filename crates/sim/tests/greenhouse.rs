#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The Greenhouse simulator against a tiny partner: the key as Basic user, list/send/replay, the
//! PATCH → test_status → result loop, the validation rules that trigger response_error, and the
//! legacy polling stop rules.

mod greenhouse_support;

use base64::Engine;
use chrono::Duration;
use greenhouse_support::{KEY, checks, config, eventually, patch, setup, start_partner};
use serde_json::{Value, json};
use sim::greenhouse::{Mode, Simulator};

/// Sends the first listed test to a new candidate; returns (instance, partner_interview_id).
async fn sent(sim: &sim::greenhouse::SimHandle, first: &str) -> (u64, String) {
    if sim.tests().is_empty() {
        assert!(sim.list_tests().await.errors.is_empty());
    }
    let email = format!("{}@candidates.example", first.to_lowercase());
    let c = sim.add_candidate(first, "Example", Some(&email));
    let out = sim.send_test(c, "tpl_1").await;
    assert!(out.errors.is_empty(), "{out:?}");
    (out.instance.unwrap(), out.partner_interview_id.unwrap())
}

#[tokio::test]
async fn every_call_carries_the_org_key_as_basic_user_with_an_empty_password() {
    let (partner, sim) = setup(Mode::Patch).await;
    let (instance, pid) = sent(&sim, "Ada").await;
    partner.set_status(&pid, json!({"partner_status": "complete"}));
    sim.check_status(instance).await;

    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:"))
    );
    let calls = partner.calls.lock().unwrap().clone();
    let endpoints: Vec<&str> = calls.iter().map(|c| c.path.rsplit('/').next().unwrap()).collect();
    assert_eq!(endpoints, ["list_tests", "send_test", "test_status", "response_error"]);
    for c in &calls {
        assert_eq!(c.authorization.as_deref(), Some(expected.as_str()), "{}", c.path);
    }
    // The PATCH must carry the same key: none or another one is refused and asks nothing.
    let url = sim.instance(instance).unwrap().url;
    assert_eq!(patch(&url, None).await, 401);
    assert_eq!(patch(&url, Some("another-org")).await, 401);
    assert_eq!(sim.instance(instance).unwrap().checks.len(), 1);
}

#[tokio::test]
async fn send_test_carries_the_documented_body_and_a_replay_gets_the_same_id() {
    let (partner, sim) = setup(Mode::Patch).await;
    let listed = sim.list_tests().await;
    assert_eq!(listed.tests.len(), 2);
    assert_eq!(sim.tests()[1].partner_test_name, "Sales <pitch> & demo");

    let c = sim.add_candidate("Grace", "Hopper", Some("grace@candidates.example"));
    let out = sim.send_test(c, "tpl_1").await;
    assert_eq!((out.status, out.partner_interview_id.as_deref()), (200, Some("pi-1")));
    let instance = sim.instance(out.instance.unwrap()).unwrap();
    assert_eq!(
        instance.url,
        format!(
            "{}/integrations/testing_partners/take_home_tests/{}",
            sim.base_url(),
            instance.id
        )
    );
    let body = partner.calls_to("send_test")[0].body.clone();
    let candidate = sim.candidate(c).unwrap();
    assert_eq!(body["partner_test_id"], "tpl_1");
    assert_eq!(body["url"], instance.url);
    assert_eq!(body["candidate"]["first_name"], "Grace");
    assert_eq!(body["candidate"]["last_name"], "Hopper");
    assert_eq!(body["candidate"]["email"], "grace@candidates.example");
    assert_eq!(body["candidate"]["phone_number"], Value::Null);
    assert_eq!(
        body["candidate"]["greenhouse_profile_url"],
        format!(
            "{}/people/{c}?application_id={}",
            sim.base_url(),
            candidate.application_id
        )
    );

    let replay = sim.replay_send(instance.id).await;
    assert_eq!(replay.partner_interview_id.as_deref(), Some("pi-1"));
    assert!(replay.errors.is_empty(), "{replay:?}");
    let sends = partner.calls_to("send_test");
    assert_eq!(sends.len(), 2);
    assert_eq!(sends[0].body, sends[1].body, "a replay is the same request");
    assert_eq!(sim.instances().len(), 1);

    // The profile link opens the candidate; the resume link works for 7 days, then is gone.
    let profile = reqwest::get(body["candidate"]["greenhouse_profile_url"].as_str().unwrap())
        .await
        .unwrap();
    assert!(profile.text().await.unwrap().contains("Grace Hopper"));
    let resume = body["candidate"]["resume_url"].as_str().unwrap().to_owned();
    assert_eq!(reqwest::get(&resume).await.unwrap().status(), 200);
    sim.warp(Duration::days(7));
    assert_eq!(reqwest::get(&resume).await.unwrap().status(), 410);
}

#[tokio::test]
async fn a_patch_makes_greenhouse_ask_test_status_and_show_the_result() {
    let (partner, sim) = setup(Mode::Patch).await;
    let (instance, pid) = sent(&sim, "Ada").await;
    let url = sim.instance(instance).unwrap().url;

    // Not complete yet: asked, nothing shown.
    assert_eq!(patch(&url, Some(KEY)).await, 200);
    let i = checks(&sim, instance, 1).await;
    assert_eq!(i.last_status.as_deref(), Some("started"));
    assert!(i.result.is_none());

    partner.complete(&pid, 81.0);
    assert_eq!(patch(&url, Some(KEY)).await, 200);
    let i = checks(&sim, instance, 2).await;
    let r = i.result.expect("a complete answer with a reachable URL shows a result");
    assert_eq!(r.partner_score, Some(81.0));
    assert_eq!(r.partner_profile_url, format!("{}/profiles/{pid}", partner.base));
    assert!(
        r.metadata.contains(&("Answers".to_owned(), "12".to_owned())),
        "{:?}",
        r.metadata
    );
    let asked = partner.calls_to("test_status");
    assert_eq!(asked.len(), 2);
    assert_eq!(asked[1].query.get("partner_interview_id"), Some(&pid));
    let patches: Vec<_> = sim.requests().into_iter().filter(|r| r.method == "PATCH").collect();
    assert_eq!(patches.len(), 2);
    assert!(sim.response_errors().is_empty());
    let page = reqwest::get(format!("{}/", sim.base_url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("score 81") && page.contains(&r.partner_profile_url),
        "{page}"
    );
    assert!(
        page.contains("Sales &lt;pitch&gt; &amp; demo"),
        "test names are escaped"
    );
}

/// Sets the partner's answer, asks test_status, and returns the response_error the sim sent.
async fn reported(answer: impl Fn(&str, &str) -> Value) -> (sim::greenhouse::Instance, Value) {
    let (partner, sim) = setup(Mode::Patch).await;
    let (instance, pid) = sent(&sim, "Alan").await;
    partner.set_status(&pid, answer(&pid, &partner.base));
    assert_eq!(patch(&sim.instance(instance).unwrap().url, Some(KEY)).await, 200);
    let i = checks(&sim, instance, 1).await;
    let errors = partner.calls_to("response_error");
    assert_eq!(errors.len(), 1, "one response_error per invalid answer");
    assert_eq!(sim.response_errors()[0].status, 200);
    assert_eq!(sim.response_errors()[0].body, errors[0].body);
    (i, errors[0].body.clone())
}

#[tokio::test]
async fn complete_without_a_profile_url_is_reported_and_shows_nothing() {
    let (i, body) = reported(|_, _| json!({"partner_status": "complete", "partner_score": 90})).await;
    assert!(i.result.is_none());
    assert_eq!(body["api_call"], "test_status");
    assert_eq!(
        body["errors"],
        json!(["partner_status is 'complete' but partner_profile_url is missing"])
    );
    assert_eq!(body["partner_test_id"], "tpl_1");
    assert_eq!(body["partner_test_name"], "Support video interview");
    assert_eq!(body["partner_interview_id"], i.partner_interview_id.clone().unwrap());
    assert_eq!(body["candidate_email"], "alan@candidates.example");
}

#[tokio::test]
async fn nested_metadata_is_reported_and_shows_nothing() {
    let (i, body) = reported(|pid, base| {
        json!({"partner_status": "complete", "partner_profile_url": format!("{base}/profiles/{pid}"),
               "metadata": {"Scores": {"speaking": 4}, "Tags": ["a"]}})
    })
    .await;
    assert!(i.result.is_none());
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors.iter().all(|e| e.as_str().unwrap().contains("flat")),
        "{errors:?}"
    );
}

#[tokio::test]
async fn an_unreachable_profile_url_shows_no_result_and_a_redirect_is_followed() {
    let (i, body) = reported(
        |pid, base| json!({"partner_status": "complete", "partner_profile_url": format!("{base}/gone/{pid}")}),
    )
    .await;
    assert!(i.result.is_none());
    assert!(body["errors"][0].as_str().unwrap().contains("not reachable"), "{body}");

    let (partner, sim) = setup(Mode::Patch).await;
    let (instance, pid) = sent(&sim, "Mary").await;
    let moved = format!("{}/moved/{pid}", partner.base);
    partner.set_status(
        &pid,
        json!({"partner_status": "complete", "partner_profile_url": moved}),
    );
    sim.check_status(instance).await;
    assert_eq!(
        sim.instance(instance).unwrap().result.unwrap().partner_profile_url,
        moved
    );
}

#[tokio::test]
async fn injected_patch_failures_are_answered_before_the_patch_goes_through() {
    let (partner, sim) = setup(Mode::Patch).await;
    let (instance, pid) = sent(&sim, "Ada").await;
    partner.complete(&pid, 70.0);
    let url = sim.instance(instance).unwrap().url;
    sim.fail_next_patches(2, 503);
    assert_eq!(patch(&url, Some(KEY)).await, 503);
    assert_eq!(patch(&url, Some(KEY)).await, 503);
    assert!(
        partner.calls_to("test_status").is_empty(),
        "a failed PATCH asks nothing"
    );
    assert_eq!(patch(&url, Some(KEY)).await, 200);
    let i = checks(&sim, instance, 1).await;
    assert_eq!(i.result.unwrap().partner_score, Some(70.0));
    let patches = sim.requests().into_iter().filter(|r| r.method == "PATCH").count();
    assert_eq!(patches, 3);
}

#[tokio::test]
async fn malformed_list_and_send_answers_are_reported() {
    let (partner, sim) = setup(Mode::Patch).await;
    // A third-party OpenAPI wraps the list in an object; Greenhouse's docs want a bare array.
    *partner.list.lock().unwrap() = (200, r#"{"partner_test_ids":[]}"#.to_owned());
    let listed = sim.list_tests().await;
    assert!(!listed.errors.is_empty());
    assert!(sim.tests().is_empty());
    let e = &partner.calls_to("response_error")[0].body;
    assert_eq!(e["api_call"], "list_tests");

    *partner.send.lock().unwrap() = Some(r#"{"partner_interview_id": 98765}"#.to_owned());
    let c = sim.add_candidate("Dorothy", "Vaughan", Some("dorothy@candidates.example"));
    let out = sim.send_test(c, "tpl_9").await;
    assert_eq!(out.partner_interview_id, None);
    assert!(out.errors[0].contains("must be a string"), "{out:?}");
    let e = &partner.calls_to("response_error")[1].body;
    assert_eq!(e["api_call"], "send_test");
    assert_eq!(e["partner_test_id"], "tpl_9");
    assert_eq!(e["candidate_email"], "dorothy@candidates.example");
    assert_eq!(sim.instance(out.instance.unwrap()).unwrap().partner_interview_id, None);
}

#[tokio::test]
async fn legacy_polling_is_hourly_and_stops_on_complete_hired_and_after_8_weeks() {
    let (partner, sim) = setup(Mode::LegacyPolling).await;
    let (done, done_pid) = sent(&sim, "Ada").await;
    let (hired, _) = sent(&sim, "Grace").await;
    let (slow, _) = sent(&sim, "Alan").await;
    let t0 = sim.instances().iter().map(|i| i.sent_at).max().unwrap();
    let h = Duration::hours;

    assert!(sim.poll_due(t0 + Duration::minutes(30)).await.is_empty());
    assert_eq!(sim.poll_due(t0 + h(1)).await, [done, hired, slow]);
    assert!(
        sim.poll_due(t0 + h(1) + Duration::minutes(59)).await.is_empty(),
        "hourly, not more"
    );

    partner.complete(&done_pid, 64.0);
    sim.hire(sim.instance(hired).unwrap().candidate);
    assert_eq!(sim.poll_due(t0 + h(2)).await, [done, slow]);
    assert_eq!(sim.instance(done).unwrap().result.unwrap().partner_score, Some(64.0));
    assert_eq!(sim.instance(done).unwrap().polling_stopped.as_deref(), Some("complete"));
    assert_eq!(
        sim.instance(hired).unwrap().polling_stopped.as_deref(),
        Some("candidate hired")
    );

    assert_eq!(sim.poll_due(t0 + h(3)).await, [slow]);
    assert_eq!(sim.poll_due(t0 + Duration::weeks(8) - h(1)).await, [slow]);
    assert!(sim.poll_due(t0 + Duration::weeks(8)).await.is_empty());
    assert_eq!(
        sim.instance(slow).unwrap().polling_stopped.as_deref(),
        Some("8 weeks since sent")
    );
    let polls = |id: u64| {
        let pid = sim.instance(id).unwrap().partner_interview_id.unwrap();
        partner
            .calls_to("test_status")
            .iter()
            .filter(|c| c.query.get("partner_interview_id") == Some(&pid))
            .count()
    };
    assert_eq!((polls(done), polls(hired), polls(slow)), (2, 1, 4));

    // In the PATCH mode nothing is polled.
    let (_, patch_sim) = setup(Mode::Patch).await;
    sent(&patch_sim, "Ada").await;
    assert!(patch_sim.poll_due(t0 + h(5)).await.is_empty());
}

#[tokio::test]
async fn a_restarted_simulator_keeps_candidates_tests_and_instances() {
    let partner = start_partner().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("greenhouse.json");
    let first = Simulator::start_with_state("127.0.0.1:0", config(&partner, Mode::Patch), &path)
        .await
        .unwrap();
    assert!(!first.restored());
    let (instance, pid) = sent(&first, "Katherine").await;
    partner.complete(&pid, 99.0);
    first.check_status(instance).await;

    let second = Simulator::start_with_state("127.0.0.1:0", config(&partner, Mode::Patch), &path)
        .await
        .unwrap();
    assert!(second.restored());
    assert_eq!(second.candidates(), first.candidates());
    assert_eq!(second.tests(), first.tests());
    assert_eq!(second.instances(), first.instances());
    // A new send continues the instance numbers instead of reusing a `url`.
    let c = second.candidates()[0].id;
    let out = second.send_test(c, "tpl_2").await;
    assert!(out.instance.unwrap() > instance);
    let shown = eventually(|| second.instance(instance).and_then(|i| i.result)).await;
    assert_eq!(shown.unwrap().partner_score, Some(99.0));
}

/// Pulls `name="{field}" value="…"` out of an HTML fragment.
fn form_value(html: &str, field: &str) -> String {
    let marker = format!("name=\"{field}\" value=\"");
    html.split(&marker)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_recruiter_loads_the_tests_and_sends_one_from_the_page() {
    let (partner, sim) = setup(Mode::Patch).await;
    sim.add_candidate("Katherine", "Johnson", Some("katherine@candidates.example"));
    let web = reqwest::Client::new();
    let page = format!("{}/", sim.base_url());
    let loaded = web
        .post(format!("{page}tests/load"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(loaded.contains("2 tests"), "{loaded}");

    let html = reqwest::get(&page).await.unwrap().text().await.unwrap();
    let row = html.split("<tr>").find(|r| r.contains("Katherine Johnson")).unwrap();
    assert!(
        row.contains("<option value=\"tpl_2\">Sales &lt;pitch&gt; &amp; demo</option>"),
        "{row}"
    );
    let form = format!("candidate={}&test=tpl_2", form_value(row, "candidate"));
    let sent = web
        .post(format!("{page}send"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(sent.contains("Test sent") && sent.contains("pi-1"), "{sent}");
    assert_eq!(partner.calls_to("send_test")[0].body["partner_test_id"], "tpl_2");

    let state: Value = reqwest::get(format!("{page}_sim/state"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["instances"][0]["partner_interview_id"], "pi-1");
    let html = reqwest::get(&page).await.unwrap().text().await.unwrap();
    assert!(html.contains("pi-1"), "the page lists the test sent");
}
