#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The iCIMS simulator's state file: a simulator started again on the same file shows the same
//! people, jobs, workflows, assessment results and event target; a damaged file is refused clearly.

use std::path::Path;

use reqwest::StatusCode;
use serde_json::json;
use sim::icims::{Auth, EventTarget, SimConfig, SimHandle, Simulator};

fn config() -> SimConfig {
    SimConfig {
        customer_id: "1234".into(),
        api_auth: Auth::Basic {
            user: "api-user".into(),
            password: "api-password".into(),
        },
    }
}

async fn start(path: &Path) -> anyhow::Result<SimHandle> {
    Simulator::start_with_state("127.0.0.1:0", config(), path).await
}

#[tokio::test]
async fn a_restarted_simulator_shows_the_same_workflows_results_and_target() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sim").join("icims.json");
    let first = start(&path).await.unwrap();
    assert!(!first.restored(), "a missing file is a new state");
    let job = first.add_job("Support Agent", Some("video-interview"));
    let ada = first.add_person("Ada", "Lovelace", Some("ada@candidates.example"));
    let wf = first.apply(ada, job);
    first.set_event_target(EventTarget {
        url: "http://127.0.0.1:9/connectors/icims/events".into(),
        auth: Auth::Basic {
            user: "in".into(),
            password: "secret".into(),
        },
        token_url: None,
        gzip: true,
    });
    // A result written over HTTP, as our connector writes it: saved before the answer arrives.
    let fields = format!(
        "{}/applicantworkflows/{wf}/fields/assessmentresults",
        first.customer_url()
    );
    let entry = json!({"assessmentname": {"value": "video-interview"}, "assessmentstatus": {"id": "Sent"}});
    let resp = reqwest::Client::new()
        .post(&fields)
        .basic_auth("api-user", Some("api-password"))
        .json(&entry)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);

    let second = start(&path).await.unwrap();
    assert!(second.restored());
    assert_eq!(second.workflows(), first.workflows());
    assert_eq!(second.workflow(wf).unwrap().assessment_results.len(), 1);
    assert_eq!(
        second.event_target_url().as_deref(),
        Some("http://127.0.0.1:9/connectors/icims/events")
    );
    // New ids continue the saved sequence instead of reusing one.
    let grace = second.add_person("Grace", "Hopper", None);
    assert!(grace > wf, "id {grace} reused after restart (last was {wf})");
    // The profile API of the new process answers for the restored person.
    let person = reqwest::Client::new()
        .get(format!("{}/people/{ada}", second.customer_url()))
        .basic_auth("api-user", Some("api-password"))
        .send()
        .await
        .unwrap();
    assert_eq!(person.status(), StatusCode::OK);
    let body: serde_json::Value = person.json().await.unwrap();
    assert_eq!(body["email"], "ada@candidates.example");
}

#[tokio::test]
async fn a_corrupt_state_file_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("icims.json");
    std::fs::write(&path, "{\"people\": [oops").unwrap();
    let err = match start(&path).await {
        Ok(_) => panic!("a corrupt state file was accepted"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains("not valid"), "{err}");
    // Nothing was overwritten: the user can still inspect or repair the file.
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"people\": [oops");
}
