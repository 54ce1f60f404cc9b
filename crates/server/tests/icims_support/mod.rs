//! Helpers for the iCIMS connector tests: a server, a signed-in admin, the iCIMS simulator as a
//! real HTTP server, and a connection between them created through the app's own use case.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use crate::api_common::{Api, sign_in, spec, unique};
use crate::common::TestApp;
use shortlist_app::connectors::icims::{Connection, NewConnectionInput, StatusValues};
use shortlist_domain::Role;
use sim::icims::{Auth, EventOutcome, EventTarget, SimConfig, SimHandle, Simulator};

pub const TRIGGER: &str = "C38356";
pub const RESEND: &str = "C38399";
pub const PACKAGE: &str = "support-video";
/// The simulator runs on 127.0.0.1, which an operator has to allow for connectors to call it.
pub const LOCAL_OUTBOUND: [&str; 2] = ["--outbound-allow-private", "127.0.0.0/8,::1/128"];

#[derive(Default)]
pub struct Opts {
    pub inbound_oauth: bool,
    pub outbound_oauth: bool,
    pub gzip: bool,
}

pub struct Setup {
    pub app: TestApp,
    /// A signed-in admin of the connected organisation (also the observer user).
    pub api: Api,
    pub sim: SimHandle,
    pub conn: Connection,
    pub customer: String,
    pub inbound_user: String,
    pub inbound_secret: String,
    pub template_id: String,
}

pub async fn setup(o: Opts) -> Setup {
    let app = TestApp::spawn_with(&LOCAL_OUTBOUND).await;
    let api = sign_in(&app, Role::Admin).await;
    let customer = format!("{}", 1000 + (u32::from_str_radix(&unique()[..4], 16).unwrap() % 9000));
    let api_auth = if o.outbound_oauth {
        Auth::OAuth {
            client_id: "shortlist-vendor".into(),
            client_secret: "vendor-client-secret".into(),
        }
    } else {
        Auth::Basic {
            user: "shortlist-vendor".into(),
            password: "vendor-password".into(),
        }
    };
    let sim = Simulator::start(
        "127.0.0.1:0",
        SimConfig {
            customer_id: customer.clone(),
            api_auth: api_auth.clone(),
        },
    )
    .await
    .unwrap();
    let observer = shortlist_store::users::find_by_email(
        &app.app.db,
        &api.org,
        &shortlist_domain::Email::parse(&api.email).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let (outbound_secret, outbound_token_url) = match &api_auth {
        Auth::OAuth { client_secret, .. } => (client_secret.clone(), Some(format!("{}/oauth2/token", sim.base_url()))),
        Auth::Basic { password, .. } => (password.clone(), None),
    };
    let input = NewConnectionInput {
        customer_id: customer.clone(),
        region: "us".into(),
        api_base_url: Some(sim.base_url()),
        outbound_auth_kind: if o.outbound_oauth { "oauth" } else { "basic" }.into(),
        outbound_user: "shortlist-vendor".into(),
        outbound_secret,
        outbound_token_url,
        inbound_auth_kind: if o.inbound_oauth { "oauth" } else { "basic" }.into(),
        trigger_statuses: vec![TRIGGER.into()],
        resend_status: Some(RESEND.into()),
        status_values: StatusValues {
            sent: "D37002019004".into(),
            in_progress: "D37002019003".into(),
            complete: "D37002019001".into(),
            expired: None,
            cancelled: None,
        },
        observer_user_id: shortlist_domain::UserId::parse(&observer.id).unwrap(),
        caller_allowlist: Some(vec!["127.0.0.1/32".into(), "::1".into()]),
        daily_budget: None,
    };
    let (conn, creds) = app.app.icims.create_connection(&api.org, &input).await.unwrap();
    sim.set_event_target(EventTarget {
        url: app.url("/connectors/icims/events"),
        auth: if o.inbound_oauth {
            Auth::OAuth {
                client_id: creds.user.clone(),
                client_secret: creds.secret.clone(),
            }
        } else {
            Auth::Basic {
                user: creds.user.clone(),
                password: creds.secret.clone(),
            }
        },
        token_url: o.inbound_oauth.then(|| app.url("/connectors/icims/oauth/token")),
        gzip: o.gzip,
    });
    let template_id = api.template(PACKAGE, spec("Support screening", 1)).await;
    Setup {
        app,
        api,
        sim,
        conn,
        customer,
        inbound_user: creds.user,
        inbound_secret: creds.secret,
        template_id,
    }
}

impl Setup {
    /// A person who applied to `job`; returns (workflow id, e-mail).
    pub fn applicant(&self, job: u64, first: &str) -> (u64, String) {
        let email = crate::api_common::candidate_email(&first.to_lowercase());
        let person = self.sim.add_person(first, "Tester", Some(&email));
        (self.sim.apply(person, job), email)
    }

    pub async fn move_one(&self, wf: u64, status: &str) -> EventOutcome {
        self.sim.move_to_status(&[wf], status).await.remove(0)
    }

    /// Rows in `invitations` of this organisation: (all, distinct candidates).
    pub async fn invitation_counts(&self) -> (i64, i64) {
        let sql = "SELECT COUNT(*), COUNT(DISTINCT candidate_id) FROM invitations WHERE org_id = $1";
        let org = self.api.org.as_str().to_string();
        shortlist_store::on_db!(&self.app.app.db, p => sqlx::query_as::<_, (i64, i64)>(sql).bind(&org).fetch_one(p).await)
            .unwrap()
    }
}

/// Walks a candidate through an interview of text questions from its link (as a browser without
/// JavaScript would) and returns the final page's HTML.
pub async fn take_text_interview(app: &TestApp, link: &str) -> String {
    let c = crate::common::client();
    let start = link.strip_prefix(&app.base).unwrap().to_string();
    let post = |path: String, form: Vec<(&'static str, &'static str)>| {
        let c = c.clone();
        let url = app.url(&path);
        async move {
            let r = c.post(url).form(&form).send().await.unwrap();
            assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER, "POST {path}");
            r.headers()["location"].to_str().unwrap().to_string()
        }
    };
    let mut path = post(format!("{start}/consent"), vec![("consent", "yes")]).await;
    for _ in 0..10 {
        let r = c.get(app.url(&path)).send().await.unwrap();
        if r.status() == reqwest::StatusCode::SEE_OTHER {
            path = r.headers()["location"].to_str().unwrap().to_string();
            continue;
        }
        assert_eq!(r.status(), reqwest::StatusCode::OK, "GET {path}");
        if path.ends_with("/done") {
            return r.text().await.unwrap();
        }
        path = if path.ends_with("/finish") {
            post(format!("{start}/complete"), vec![]).await
        } else if path.contains("/q/") {
            post(path.clone(), vec![("text", "I like helping people.")]).await
        } else {
            post(path.clone(), vec![]).await
        };
    }
    panic!("the interview did not reach its end; last at {path}");
}

/// A template of one text question.
pub fn text_spec(name: &str) -> serde_json::Value {
    serde_json::json!({ "name": name, "questions": [ { "id": "q1", "kind": "text", "prompt": "Why this job?" } ] })
}
