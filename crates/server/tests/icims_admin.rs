//! `shortlist admin icims …` as an operator runs it, against the iCIMS simulator: create prints
//! the inbound credentials once and they work on our endpoint; `test` reads a job or says in
//! plain words what is wrong; set-triggers and rotate-inbound take effect.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestApp, base_args, bin};
use shortlist_domain::Role;
use sim::icims::{Auth, EventTarget, SimConfig, Simulator};
use std::process::Stdio;

struct Run {
    ok: bool,
    out: String,
}

async fn admin(app: &TestApp, args: &[&str]) -> Run {
    let mut all = base_args(&app.db, app.data.path());
    all.push("admin".into());
    all.push("icims".into());
    all.extend(args.iter().map(|s| s.to_string()));
    let o = tokio::process::Command::new(bin())
        .args(&all)
        .env_remove("DATABASE_URL")
        .env_remove("SHORTLIST_DATA_DIR")
        .env_remove("SHORTLIST_ICIMS_OUTBOUND_SECRET")
        .env("SHORTLIST_OUTBOUND_ALLOW_PRIVATE", "127.0.0.0/8")
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    Run {
        ok: o.status.success(),
        out: format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    }
}

/// An organisation with an admin; returns (slug, admin e-mail).
async fn org(app: &TestApp) -> (String, String) {
    let (id, email) = app.user(Role::Admin, "correct horse battery").await;
    let row = shortlist_store::orgs::get(&app.app.db, &id).await.unwrap().unwrap();
    (row.slug, email)
}

fn line_after<'a>(out: &'a str, label: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no '{label}' in {out}"))
}

#[tokio::test]
async fn operators_connect_test_and_rotate_an_icims_connection() {
    // The simulator runs on 127.0.0.1: the operator allows that range for outbound calls.
    let app = TestApp::spawn_with(&["--outbound-allow-private", "127.0.0.0/8"]).await;
    let sim = Simulator::start(
        "127.0.0.1:0",
        SimConfig {
            customer_id: "4242".into(),
            api_auth: Auth::Basic {
                user: "vendor".into(),
                password: "right-password".into(),
            },
        },
    )
    .await
    .unwrap();
    let job = sim.add_job("Barista", Some("barista-video"));
    let base = sim.base_url();

    // Right credentials: create prints what iCIMS needs, and test reads the job.
    let (slug, email) = org(&app).await;
    let created = admin(
        &app,
        &[
            "create",
            "--org",
            &slug,
            "--customer-id",
            "4242",
            "--api-base-url",
            &base,
            "--outbound-user",
            "vendor",
            "--outbound-secret",
            "right-password",
            "--trigger-status",
            "C100",
            "--observer",
            &email,
        ],
    )
    .await;
    assert!(created.ok, "{}", created.out);
    let user = line_after(&created.out, "user:").to_string();
    let password = line_after(&created.out, "password:").to_string();
    assert!(line_after(&created.out, "endpoint URL:").ends_with("/connectors/icims/events"));
    let tested = admin(&app, &["test", "--org", &slug, "--job-id", &job.to_string()]).await;
    assert!(
        tested.ok && tested.out.contains("Barista") && tested.out.contains("barista-video"),
        "{}",
        tested.out
    );
    let shown = admin(&app, &["show", "--org", &slug]).await;
    assert!(
        shown.ok && shown.out.contains("customer=4242") && !shown.out.contains("right-password"),
        "{}",
        shown.out
    );

    // The printed credentials work on the endpoint (non-trigger status: 200, nothing else).
    let person = sim.add_person("Kim", "Lee", Some("kim@example.com"));
    let wf = sim.apply(person, job);
    let target = |user: &str, password: &str| EventTarget {
        url: app.url("/connectors/icims/events"),
        auth: Auth::Basic {
            user: user.into(),
            password: password.into(),
        },
        token_url: None,
        gzip: false,
    };
    sim.set_event_target(target(&user, &password));
    assert_eq!(sim.move_to_status(&[wf], "C999").await[0].status, 200);

    // set-triggers takes effect; rotate-inbound retires the old secret.
    assert!(
        admin(&app, &["set-triggers", "--org", &slug, "--trigger-status", "C999"])
            .await
            .ok
    );
    let rotated = admin(&app, &["rotate-inbound", "--org", &slug]).await;
    assert!(rotated.ok, "{}", rotated.out);
    assert_eq!(sim.replay_last(wf).await.status, 401, "the old secret no longer works");
    sim.set_event_target(target(
        line_after(&rotated.out, "user:"),
        line_after(&rotated.out, "password:"),
    ));
    // Authenticated, and C999 now triggers: the job's package is not a template here, which
    // the recruiter is told in plain words.
    let moved = sim.replay_last(wf).await;
    assert_eq!(moved.status, 400, "{moved:?}");
    assert!(moved.user_message.unwrap().contains("\"barista-video\" on the job"));

    // Wrong outbound password: the test says the credentials were refused.
    let (slug2, email2) = org(&app).await;
    let c = admin(
        &app,
        &[
            "create",
            "--org",
            &slug2,
            "--customer-id",
            "4243",
            "--api-base-url",
            &base,
            "--outbound-user",
            "vendor",
            "--outbound-secret",
            "wrong",
            "--observer",
            &email2,
        ],
    )
    .await;
    assert!(c.ok, "{}", c.out);
    // The simulator serves customer 4242 only; 4243 is unknown there.
    let t = admin(&app, &["test", "--org", &slug2, "--job-id", &job.to_string()]).await;
    assert!(
        !t.ok && (t.out.contains("refused the credentials") || t.out.contains("unknown")),
        "{}",
        t.out
    );

    // Nothing listening: the host is unreachable.
    let (slug3, email3) = org(&app).await;
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let c = admin(
        &app,
        &[
            "create",
            "--org",
            &slug3,
            "--customer-id",
            "4244",
            "--api-base-url",
            &format!("http://{free}"),
            "--outbound-user",
            "vendor",
            "--outbound-secret",
            "x",
            "--observer",
            &email3,
        ],
    )
    .await;
    assert!(c.ok, "{}", c.out);
    let t = admin(&app, &["test", "--org", &slug3, "--job-id", "1"]).await;
    assert!(!t.ok && t.out.contains("cannot reach"), "{}", t.out);

    // Same customer twice is refused in plain words.
    let (slug4, email4) = org(&app).await;
    let dup = admin(
        &app,
        &[
            "create",
            "--org",
            &slug4,
            "--customer-id",
            "4242",
            "--outbound-user",
            "v",
            "--outbound-secret",
            "x",
            "--observer",
            &email4,
        ],
    )
    .await;
    assert!(!dup.ok && dup.out.contains("already has a connection"), "{}", dup.out);
}
