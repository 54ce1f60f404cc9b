//! Settings → iCIMS as an administrator uses it: connect through the form, read what to give
//! iCIMS (endpoint URL, packages, credentials), test the connection against the simulator,
//! change triggers, rotate the inbound credentials (the old ones get 401 at our endpoint); a
//! non-admin cannot change anything, and another organisation's admin sees only their own.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;

use api_common::{Api, sign_in, spec, unique};
use common::TestApp;
use reqwest::StatusCode;
use shortlist_domain::Role;
use sim::icims::{Auth, EventTarget, SimConfig, Simulator};

fn csrf_in(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..].split('"').next().unwrap().to_string()
}

fn code_by_id(html: &str, id: &str) -> String {
    let tag = format!("<code id=\"{id}\">");
    let at = html.find(&tag).unwrap_or_else(|| panic!("no {id} in {html}")) + tag.len();
    html[at..].split('<').next().unwrap().to_string()
}

async fn get(app: &TestApp, who: &Api) -> String {
    let r = who.c.get(app.url("/settings/icims")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.unwrap()
}

async fn post(app: &TestApp, who: &Api, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let csrf = csrf_in(&get(app, who).await);
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(form);
    let r = who.c.post(app.url(path)).form(&all).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

fn target(app: &TestApp, user: &str, password: &str) -> EventTarget {
    EventTarget {
        url: app.url("/connectors/icims/events"),
        auth: Auth::Basic {
            user: user.into(),
            password: password.into(),
        },
        token_url: None,
        gzip: false,
    }
}

#[tokio::test]
async fn admins_connect_icims_from_the_settings_page_and_rotate_its_credentials() {
    // The simulator runs on 127.0.0.1: the operator allows that range for outbound calls.
    let app = TestApp::spawn_with(&["--outbound-allow-private", "127.0.0.0/8"]).await;
    let customer = format!("{}", 1000 + (u32::from_str_radix(&unique()[..4], 16).unwrap() % 9000));
    let sim = Simulator::start(
        "127.0.0.1:0",
        SimConfig {
            customer_id: customer.clone(),
            api_auth: Auth::Basic {
                user: "vendor".into(),
                password: "vendor-password".into(),
            },
        },
    )
    .await
    .unwrap();
    let job = sim.add_job("Barista", Some("barista-video"));
    let admin = sign_in(&app, Role::Admin).await;
    admin.template("barista-video", spec("Barista screening", 1)).await;

    // Not connected yet: the page offers the form; settings links to Integrations, which lists
    // iCIMS (and Greenhouse, Workable) as not connected and links to each one's page.
    let page_of = |path: &'static str| {
        let c = admin.c.clone();
        let url = app.url(path);
        async move { c.get(url).send().await.unwrap().text().await.unwrap() }
    };
    assert!(page_of("/settings").await.contains("href=\"/settings/integrations\""));
    let integrations = page_of("/settings/integrations").await;
    assert!(integrations.contains("href=\"/settings/icims\""), "{integrations}");
    assert!(integrations.contains("href=\"/settings/greenhouse\""), "{integrations}");
    assert_eq!(integrations.matches("Not connected").count(), 3, "{integrations}");
    assert!(get(&app, &admin).await.contains("Connect to iCIMS"));

    // A bad customer id is refused with the field named, and nothing is stored.
    let (status, page) = post(&app, &admin, "/settings/icims", &[("customer_id", "no way!")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("customer_id"), "{page}");
    assert!(app.app.icims.connection_for_org(&admin.org).await.unwrap().is_none());

    let base = sim.base_url();
    let (status, page) = post(
        &app,
        &admin,
        "/settings/icims",
        &[
            ("customer_id", customer.as_str()),
            ("region", "us"),
            ("api_base_url", base.as_str()),
            ("outbound_auth", "basic"),
            ("outbound_user", "vendor"),
            ("outbound_secret", "vendor-password"),
            ("inbound_auth", "basic"),
            ("trigger_statuses", "C100, C101"),
            ("status_sent", "Sent"),
            ("status_in_progress", "In Progress"),
            ("status_complete", "Complete"),
            ("observer", admin.email.as_str()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{page}");
    let user = code_by_id(&page, "inbound-user");
    let secret = code_by_id(&page, "inbound-secret");
    let endpoint = app.url("/connectors/icims/events");
    assert!(page.contains(&endpoint), "the endpoint URL is shown");
    let conn = app.app.icims.connection_for_org(&admin.org).await.unwrap().unwrap();
    assert_eq!(conn.customer_id, customer);
    assert_eq!(conn.trigger_statuses, vec!["C100", "C101"]);
    assert_ne!(conn.inbound_secret_hash, secret, "only a hash is kept");

    // Reloaded: endpoint, packages and the user are there; the secret is not.
    let page = get(&app, &admin).await;
    assert!(page.contains(&endpoint) && page.contains("barista-video") && page.contains("Barista screening"));
    assert!(page.contains(&user) && !page.contains(&secret));
    assert!(page.contains("the address of this server"));

    // The credentials from the page work at our endpoint (non-trigger status: 200).
    let person = sim.add_person("Kim", "Lee", Some("kim@example.com"));
    let wf = sim.apply(person, job);
    sim.set_event_target(target(&app, &user, &secret));
    assert_eq!(sim.move_to_status(&[wf], "C999").await[0].status, 200);

    // Test connection reads the job in iCIMS and says so in plain words.
    let (status, page) = post(&app, &admin, "/settings/icims/test", &[("job_id", &job.to_string())]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Connection test: works") && page.contains("Barista"),
        "{page}"
    );

    // Triggers and list values change through the form.
    let (status, _) = post(
        &app,
        &admin,
        "/settings/icims/triggers",
        &[
            ("trigger_statuses", "C200"),
            ("resend_status", "C201"),
            ("status_sent", "D1"),
            ("status_in_progress", "D2"),
            ("status_complete", "D3"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let conn = app.app.icims.connection_for_org(&admin.org).await.unwrap().unwrap();
    assert_eq!(conn.trigger_statuses, vec!["C200"]);
    assert_eq!(conn.resend_status.as_deref(), Some("C201"));
    assert_eq!(conn.status_values.complete, "D3");
    // A required list value left empty is refused and nothing changes.
    let (status, page) = post(
        &app,
        &admin,
        "/settings/icims/triggers",
        &[
            ("trigger_statuses", "C300"),
            ("status_sent", "D1"),
            ("status_in_progress", "D2"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("status_complete"), "{page}");
    let conn = app.app.icims.connection_for_org(&admin.org).await.unwrap().unwrap();
    assert_eq!(conn.trigger_statuses, vec!["C200"]);

    // Rotation shows a new secret once; the old one gets 401, the new one works.
    let (status, page) = post(&app, &admin, "/settings/icims/rotate", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let new_user = code_by_id(&page, "inbound-user");
    let new_secret = code_by_id(&page, "inbound-secret");
    assert_ne!(new_secret, secret);
    assert!(!get(&app, &admin).await.contains(&new_secret), "shown only once");
    assert_eq!(sim.replay_last(wf).await.status, 401, "the old secret no longer works");
    sim.set_event_target(target(&app, &new_user, &new_secret));
    assert_eq!(sim.replay_last(wf).await.status, 200);

    // A recruiter of the same organisation sees the page read-only and cannot change it.
    let colleague = colleague(&app, &admin).await;
    let page = get(&app, &colleague).await;
    assert!(page.contains(&customer) && page.contains("only administrators change it"));
    for path in ["/settings/icims/rotate", "/settings/icims/triggers"] {
        let (status, _) = post(&app, &colleague, path, &[("trigger_statuses", "C1")]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    let conn = app.app.icims.connection_for_org(&admin.org).await.unwrap().unwrap();
    assert_eq!(conn.trigger_statuses, vec!["C200"]);
    assert_eq!(sim.replay_last(wf).await.status, 200, "credentials unchanged");

    // Another organisation's admin sees their own (unconnected) page, nothing of ours.
    let other = sign_in(&app, Role::Admin).await;
    let page = get(&app, &other).await;
    assert!(page.contains("Connect to iCIMS") && !page.contains(&customer) && !page.contains(&new_user));
    assert!(!page.contains("barista-video"));
    app.stop().await;
}

/// A recruiter in the admin's organisation, signed in.
async fn colleague(app: &TestApp, of: &Api) -> Api {
    let email = format!("colleague-{}@test.shortlist.localhost", unique());
    app.app
        .accounts
        .create_user(
            &of.org,
            &email,
            "Col League",
            Role::Recruiter,
            Some(api_common::PASSWORD),
        )
        .await
        .unwrap();
    let c = common::client();
    let r = c
        .post(app.url("/login"))
        .form(&[("email", email.as_str()), ("password", api_common::PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    Api {
        base: of.base.clone(),
        c,
        email,
        org: of.org.clone(),
    }
}
