#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Review over real HTTP: the interview page for members, the read-only interview URL and its
//! organisation setting, evaluations (hidden until one's own, average, audit events), the
//! evaluation API refusing read-only callers, the position board with bulk decisions, "waiting
//! for my review", the CSV export and the printable report. Share links: review_share.rs.

mod api_common;
mod common;
mod review_support;

use api_common::sign_in;
use common::{TestApp, client};
use reqwest::StatusCode;
use review_support::{csrf_of, fixture, member};
use serde_json::{Value, json};
use shortlist_domain::{InvitationId, Role};

fn problem(r: &(StatusCode, Value), status: StatusCode, code: &str) {
    assert_eq!(r.0, status, "{}", r.1);
    assert_eq!(r.1["code"], code, "{}", r.1);
}

#[tokio::test]
async fn members_see_everything_and_the_team_average_only_after_their_own_evaluation() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let reviewer = member(&app, &f, Role::Reviewer).await;

    // The full page: a player per recorded take, text, auto-scored choice, file, survey, document.
    let page = reviewer
        .c
        .get(app.url(&format!("/interviews/{}", f.inv)))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!(
            "<video controls preload=\"metadata\" id=\"player-q1\" src=\"/invitations/{}/takes/q1/1\"",
            f.inv
        )),
        "{html}"
    );
    assert!(html.contains("select class=\"speed\"") && html.contains("id=\"shortcuts\""));
    assert!(html.contains("I build reliable systems"));
    assert!(html.contains("1 of 1 right"));
    assert!(html.contains(&format!("/invitations/{}/takes/q4/1\" download", f.inv)));
    assert!(html.contains("Expected salary") && html.contains("90k"));
    assert!(html.contains("Remote work?") && html.contains("Job description"));
    assert!(html.contains("id=\"evaluation\"") && html.contains("Communication"));
    assert!(html.contains("Ada Lovelace"));

    // The recruiter evaluates through the API: (4 + 5 + 3) / 3.
    let body = json!({
        "ratings": [{ "question_id": "q1", "rating": 4, "note": "clear" }, { "question_id": "q2", "rating": 5 }],
        "criteria": [{ "criterion_id": "comm", "rating": 3 }],
        "comment": "Strong", "decision": "advance"
    });
    let (s, v) = f.api.post(&format!("/invitations/{}/evaluations", f.inv), body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["mine"]["score"], 4.0);
    assert_eq!(v["average"], 4.0);

    // The reviewer sees that someone evaluated, but no ratings until they submit their own.
    let (s, v) = reviewer.get(&format!("/invitations/{}/evaluations", f.inv)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!((v["hidden"].as_bool(), v["count"].as_i64()), (Some(true), Some(1)));
    assert!(
        v["average"].is_null() && v["others"].as_array().unwrap().is_empty(),
        "{v}"
    );
    let html = reviewer
        .c
        .get(app.url(&format!("/interviews/{}", f.inv)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"team-hidden\"") && !html.contains("Strong"));

    // The reviewer submits through the page form; now the team and the average show.
    let csrf = csrf_of(&html);
    let form = [
        ("csrf", csrf.as_str()),
        ("rating_q1", "2"),
        ("note_q1", "too short"),
        ("rating_q2", ""),
        ("comment", "Not sure"),
        ("decision", "hold"),
    ];
    let r = reviewer
        .c
        .post(app.url(&format!("/interviews/{}/evaluation", f.inv)))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = reviewer
        .c
        .get(app.url(&format!("/interviews/{}", f.inv)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<strong id=\"team-average\">3.00</strong>"), "{html}");
    assert!(html.contains("Strong") && html.contains("<strong id=\"team-decision\">hold</strong>"));
    let (_, v) = reviewer.get(&format!("/invitations/{}/evaluations", f.inv)).await;
    assert_eq!((v["hidden"].as_bool(), v["average"].as_f64()), (Some(false), Some(3.0)));
    assert_eq!(v["others"][0]["comment"], "Strong");

    // Durable evidence: two audited events (each with its dispatch job) and the score the ATS
    // write-back reads.
    let id = InvitationId::parse(&f.inv).unwrap();
    let events = shortlist_store::invitations::events(&app.app.db, &f.api.org, &id)
        .await
        .unwrap();
    let submitted: Vec<_> = events.iter().filter(|e| e.kind == "evaluation_submitted").collect();
    assert_eq!(submitted.len(), 2);
    let score = shortlist_app::review::evaluate::average_score(&app.app.db, &f.api.org, &id)
        .await
        .unwrap();
    assert_eq!(score, Some(3.0));

    // Input is checked and answered in problem+json, naming the field.
    let path = format!("/invitations/{}/evaluations", f.inv);
    let r = f
        .api
        .post(&path, json!({ "ratings": [{ "question_id": "q1", "rating": 6 }] }))
        .await;
    problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.1["errors"][0]["field"], "ratings[0].rating");
    let r = f
        .api
        .post(&path, json!({ "ratings": [{ "question_id": "nope", "rating": 3 }] }))
        .await;
    assert_eq!(r.1["errors"][0]["field"], "ratings[0].question_id", "{}", r.1);
    let r = f.api.post(&path, json!({ "decision": "maybe" })).await;
    assert_eq!(r.1["errors"][0]["field"], "decision");
    let r = f
        .api
        .post(&path, json!({ "criteria": [{ "criterion_id": "comm", "rating": 0 }] }))
        .await;
    assert_eq!(r.1["errors"][0]["field"], "criteria[0].rating");
    let r = f.api.post(&path, json!({ "mood": "good" })).await;
    problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    // An interview nobody started has nothing to evaluate.
    let r = f
        .api
        .post(&format!("/invitations/{}/evaluations", f.pending), json!({}))
        .await;
    problem(&r, StatusCode::CONFLICT, "not_evaluable");
}

#[tokio::test]
async fn the_interview_url_without_an_account_is_read_only_and_follows_the_organisation_setting() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let url = app.app.recruiting.links.review_url(&f.inv);
    let guest = client();

    // Default: off. The page says so; the capability headers are there anyway.
    let r = guest.get(&url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    assert_eq!(r.headers()["x-robots-tag"], "noindex, nofollow");
    assert!(r.text().await.unwrap().contains("Access without an account is off"));
    let wrong = format!("{url}x");
    assert_eq!(guest.get(&wrong).send().await.unwrap().status(), StatusCode::NOT_FOUND);

    let (s, v) = f
        .api
        .put(
            "/review-settings",
            json!({ "link_access": "anyone_with_link", "hide_until_submitted": true }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let reviewer = member(&app, &f, Role::Reviewer).await;
    let (s, v) = reviewer
        .put(
            "/review-settings",
            json!({ "link_access": "off", "hide_until_submitted": true }),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden")),
        "only admins"
    );

    // Read-only: answers, surveys, documents, media through the key; no evaluation controls.
    let r = guest.get(&url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["x-robots-tag"], "noindex, nofollow");
    let html = r.text().await.unwrap();
    assert!(
        html.contains("I build reliable systems") && html.contains("Remote work?") && html.contains("Job description")
    );
    assert!(html.contains("id=\"read-only\""));
    assert!(!html.contains("id=\"evaluation\"") && !html.contains("rating_q1") && !html.contains("Team average"));
    let take = format!("{url}/takes/q1/1");
    assert!(html.contains(&take.replace(&app.base, "")));
    let r = guest.get(&take).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap().to_vec(), f.video);
    let r = guest.get(&take).header("Range", "bytes=0-3").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    let doc = guest.get(format!("{url}/documents/1")).send().await.unwrap();
    assert_eq!(doc.status(), StatusCode::OK);
    assert_eq!(doc.bytes().await.unwrap().as_ref(), b"%PDF-1.7\n%%EOF\n");
    // The key opens this invitation's media only.
    let key = url.rsplit('/').next().unwrap();
    let other = app.url(&format!("/interviews/{}/{key}/takes/q1/1", f.pending));
    assert_eq!(guest.get(&other).send().await.unwrap().status(), StatusCode::NOT_FOUND);

    // The key never evaluates: the API wants an account, the form sends to sign-in.
    let body = json!({ "ratings": [{ "question_id": "q1", "rating": 1 }] });
    let r = guest
        .post(format!(
            "{}/api/v1/invitations/{}/evaluations?key={key}",
            app.base, f.inv
        ))
        .header("x-review-key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let r = guest
        .post(app.url(&format!("/interviews/{}/evaluation", f.inv)))
        .form(&[("rating_q1", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login");
    let (_, v) = f.api.get(&format!("/invitations/{}/evaluations", f.inv)).await;
    assert_eq!(v["count"], 0, "nothing was recorded");

    // A reviewer of another organisation learns nothing, key or not.
    let stranger = sign_in(&app, Role::Reviewer).await;
    for path in [url.clone(), app.url(&format!("/interviews/{}", f.inv)), take.clone()] {
        assert_eq!(
            stranger.c.get(&path).send().await.unwrap().status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let (s, _) = stranger.get(&format!("/invitations/{}/evaluations", f.inv)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = stranger
        .post(&format!("/invitations/{}/evaluations", f.inv), body.clone())
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // "Share links only" closes the interview URL to people without an account again.
    let (s, _) = f
        .api
        .put(
            "/review-settings",
            json!({ "link_access": "share_links_only", "hide_until_submitted": true }),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(guest.get(&url).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(guest.get(&take).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    let settings = reviewer
        .c
        .get(app.url("/settings/review"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(settings.contains("Anyone with the link") && settings.contains("Share links only"));
}

#[tokio::test]
async fn the_position_board_sorts_filters_decides_in_bulk_and_exports() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let second = review_support::complete_another(&app, &f, "Grace Hopper").await;
    let ev = |id: &str, n: u8| {
        let path = format!("/invitations/{id}/evaluations");
        let api = &f.api;
        async move {
            api.post(&path, json!({ "ratings": [{ "question_id": "q1", "rating": n }] }))
                .await
        }
    };
    assert_eq!(ev(&f.inv, 2).await.0, StatusCode::OK);
    assert_eq!(ev(&second, 5).await.0, StatusCode::OK);

    let board = format!("/positions/{}/review", f.pos);
    let (s, v) = f.api.get(&format!("{board}?sort=score&dir=desc")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let ids: Vec<&str> = v["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["invitation_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [second.as_str(), f.inv.as_str(), f.pending.as_str()],
        "scores 5, 2, none"
    );
    let (_, v) = f.api.get(&format!("{board}?state=completed&sort=name")).await;
    let names: Vec<&str> = v["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["candidate_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Ada Lovelace", "Grace Hopper"]);
    let r = f.api.get(&format!("{board}?sort=shoe_size")).await;
    problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

    // A reviewer who has not evaluated sees what waits for them, without the team's scores.
    let reviewer = member(&app, &f, Role::Reviewer).await;
    let html = reviewer
        .c
        .get(app.url("/reviews"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Ada Lovelace") && html.contains("Grace Hopper") && !html.contains("Pending Person"));
    let (_, v) = reviewer.get(&board).await;
    assert!(
        v["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["average"].is_null()),
        "{v}"
    );
    let (s, _) = reviewer
        .post(
            &format!("/invitations/{second}/evaluations"),
            json!({ "decision": "advance" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let html = reviewer
        .c
        .get(app.url("/reviews"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Ada Lovelace") && !html.contains("Grace Hopper"));

    // Bulk decision (recruiters), audited per invitation.
    let decide = format!("/positions/{}/decisions", f.pos);
    let (s, v) = f
        .api
        .post(
            &decide,
            json!({ "invitation_ids": [f.inv, second], "decision": "hold" }),
        )
        .await;
    assert_eq!((s, v["updated"].as_i64()), (StatusCode::OK, Some(2)), "{v}");
    let (_, v) = f.api.get(&format!("{board}?decision=hold")).await;
    assert_eq!(v["candidates"].as_array().unwrap().len(), 2);
    let (_, v) = f.api.get(&format!("{board}?decision=none")).await;
    assert_eq!(v["candidates"][0]["invitation_id"], f.pending.as_str());
    let (s, _) = reviewer
        .post(&decide, json!({ "invitation_ids": [f.inv], "decision": "reject" }))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = f
        .api
        .post(&decide, json!({ "invitation_ids": [f.inv], "decision": "fire" }))
        .await;
    assert_eq!(
        (s, v["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("decision"))
    );
    let elsewhere = f.api.ready_position("Elsewhere").await;
    let (s, _) = f
        .api
        .post(
            &format!("/positions/{elsewhere}/decisions"),
            json!({ "invitation_ids": [f.inv], "decision": "hold" }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "an invitation of another position");
    let id = InvitationId::parse(&f.inv).unwrap();
    let events = shortlist_store::invitations::events(&app.app.db, &f.api.org, &id)
        .await
        .unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == "decision_set" && e.detail.as_deref() == Some("hold"))
    );

    // The board page with a bulk form, the CSV export and the printable report.
    let html = f.api.c.get(app.url(&board)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"board\"") && html.contains("Set decision") && html.contains("Grace Hopper"));
    let csrf = csrf_of(&html);
    let r = f
        .api
        .c
        .post(app.url(&format!("{board}/decision")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("decision", "reject"),
            ("invitation_ids", f.inv.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = f.api.c.get(app.url(&format!("{board}.csv"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[0].starts_with("invitation_id,candidate_name,candidate_email,position,state"));
    assert!(
        lines
            .iter()
            .any(|l| l.contains("Ada Lovelace") && l.contains(",completed,") && l.contains(",2.00,1,reject")),
        "{csv}"
    );
    assert!(
        lines.iter().any(|l| l.contains("Grace Hopper") && l.ends_with(",hold")),
        "{csv}"
    );
    let r = f
        .api
        .c
        .get(app.url(&format!("/interviews/{}/report", f.inv)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("@media print") && html.contains("Ada Lovelace") && html.contains("I build reliable systems")
    );
    assert!(
        html.contains("<td id=\"report-decision\">reject</td>") && html.contains("<td id=\"report-average\">2.00</td>")
    );
    let stranger = sign_in(&app, Role::Admin).await;
    for p in [
        format!("{board}.csv"),
        format!("/interviews/{}/report", f.inv),
        board.clone(),
    ] {
        assert_eq!(
            stranger.c.get(app.url(&p)).send().await.unwrap().status(),
            StatusCode::NOT_FOUND,
            "{p}"
        );
    }
}
