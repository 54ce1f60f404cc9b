//! The calls Greenhouse makes to the partner: list_tests, send_test, test_status and
//! response_error, all with the organisation's key as the Basic user name and an empty password.
//! Answers are validated the way Greenhouse renders them; a malformed one is reported back with
//! `response_error` and changes nothing the recruiter sees.

use crate::partner::{http_failure, send};

use chrono::{DateTime, Utc};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use serde_json::{Value, json};

use super::state::{Instance, ResponseErrorCall, ShownResult, StatusCheck, Trigger};
use super::{ListOutcome, SendOutcome, SimHandle, validate};
use crate::auth::basic_header;

/// (status, body) of one call; status 0 and the transport error when nothing came back.
async fn call(sim: &SimHandle, req: reqwest::RequestBuilder) -> (u16, String) {
    send(req.header(AUTHORIZATION, basic_header(&sim.inner.cfg.api_key, ""))).await
}

pub(crate) async fn list_tests(sim: &SimHandle) -> ListOutcome {
    let url = sim.inner.cfg.endpoints.list_tests.clone();
    let (status, body) = call(sim, sim.inner.api.get(&url)).await;
    // A refusal (401, 5xx) is an answer, not a malformed one: shown, not reported back.
    if !(200..300).contains(&status) {
        let errors = vec![http_failure(status, &body)];
        return ListOutcome {
            status,
            tests: Vec::new(),
            body,
            errors,
        };
    }
    match validate::list_tests(&body) {
        Ok(tests) => {
            sim.change(|st| st.set_tests(tests.clone()));
            ListOutcome {
                status,
                tests,
                body,
                errors: Vec::new(),
            }
        }
        Err(errors) => {
            let report = error_body("list_tests", &errors, None, None);
            response_error(sim, report).await;
            ListOutcome {
                status,
                tests: Vec::new(),
                body,
                errors,
            }
        }
    }
}

/// Creates the instance (its `url` is part of the request) and sends the documented body.
pub(crate) async fn send_test(sim: &SimHandle, candidate: u64, partner_test_id: &str) -> SendOutcome {
    let now = sim.now();
    let created = sim.change(|st| {
        let c = st.candidates().get(&candidate)?.clone();
        let name = st
            .tests()
            .iter()
            .find(|t| t.partner_test_id == partner_test_id)
            .map(|t| t.partner_test_name.clone());
        let id = st.next_instance();
        let base = &sim.inner.base_url;
        let url = format!("{base}/integrations/testing_partners/take_home_tests/{id}");
        let body = json!({
            "partner_test_id": partner_test_id,
            "candidate": {
                "first_name": c.first_name,
                "last_name": c.last_name,
                // Greenhouse sends the first name when no preferred name is recorded.
                "preferred_name": c.first_name,
                "email": c.email,
                "resume_url": format!("{base}/resumes/{id}"),
                "phone_number": c.phone_number,
                "greenhouse_profile_url": sim.profile_url(&c),
            },
            "sent_by": "recruiter@greenhouse-sim.example",
            "url": url,
        });
        st.insert_instance(Instance {
            id,
            candidate,
            application_id: c.application_id,
            partner_test_id: partner_test_id.to_owned(),
            partner_test_name: name,
            partner_interview_id: None,
            url,
            sent_at: now,
            send_body: body,
            last_status: None,
            result: None,
            checks: Vec::new(),
            last_poll: None,
            polling_stopped: None,
        });
        Some(id)
    });
    match created {
        Some(id) => post_send(sim, id).await,
        None => SendOutcome {
            status: 0,
            instance: None,
            partner_interview_id: None,
            body: String::new(),
            errors: vec![format!("no candidate {candidate} in the simulator")],
        },
    }
}

/// Sends the instance's send_test body again, exactly as the first time.
pub(crate) async fn replay_send(sim: &SimHandle, instance: u64) -> SendOutcome {
    if sim.instance(instance).is_none() {
        return SendOutcome {
            status: 0,
            instance: None,
            partner_interview_id: None,
            body: String::new(),
            errors: vec![format!("no test instance {instance} in the simulator")],
        };
    }
    post_send(sim, instance).await
}

async fn post_send(sim: &SimHandle, instance: u64) -> SendOutcome {
    let Some(i) = sim.instance(instance) else {
        return SendOutcome {
            status: 0,
            instance: None,
            partner_interview_id: None,
            body: String::new(),
            errors: vec![format!("no test instance {instance}")],
        };
    };
    let url = sim.inner.cfg.endpoints.send_test.clone();
    let req = sim
        .inner
        .api
        .post(&url)
        .header(CONTENT_TYPE, "application/json")
        .body(i.send_body.to_string());
    let (status, body) = call(sim, req).await;
    let mut out = SendOutcome {
        status,
        instance: Some(instance),
        partner_interview_id: None,
        body,
        errors: Vec::new(),
    };
    if !(200..300).contains(&status) {
        out.errors.push(http_failure(status, &out.body));
        return out;
    }
    match validate::send_test(&out.body) {
        Ok(id) => {
            out.partner_interview_id = Some(id.clone());
            let first = sim.change(|st| {
                let i = st.instance_mut(instance)?;
                Some(i.partner_interview_id.get_or_insert(id.clone()).clone())
            });
            // Greenhouse keeps the first id; a replay that answers another one is the partner's bug.
            if let Some(first) = first.filter(|f| *f != id) {
                out.errors.push(format!(
                    "the partner answered partner_interview_id \"{id}\" for an instance it already called \"{first}\""
                ));
            }
        }
        Err(errors) => {
            response_error(sim, error_body("send_test", &errors, Some(&i), None)).await;
            out.errors = errors;
        }
    }
    out
}

/// GETs test_status for the instance and updates what the recruiter sees; returns the check as logged.
pub(crate) async fn check_status(sim: &SimHandle, instance: u64, trigger: Trigger, at: DateTime<Utc>) -> StatusCheck {
    let (status, outcome) = match sim.instance(instance) {
        None => (0, format!("no test instance {instance}")),
        Some(i) => match i.partner_interview_id.clone() {
            None => (0, "no partner_interview_id yet: send_test did not succeed".to_owned()),
            Some(pid) => status_call(sim, &i, &pid).await,
        },
    };
    let check = StatusCheck {
        trigger,
        at,
        status,
        outcome,
    };
    sim.change(|st| {
        if let Some(i) = st.instance_mut(instance) {
            i.checks.push(check.clone());
        }
    });
    check
}

async fn status_call(sim: &SimHandle, i: &Instance, pid: &str) -> (u16, String) {
    let url = sim.inner.cfg.endpoints.test_status.clone();
    let req = sim.inner.api.get(&url).query(&[("partner_interview_id", pid)]);
    let (status, body) = call(sim, req).await;
    if !(200..300).contains(&status) {
        return (status, http_failure(status, &body));
    }
    let parsed = match validate::test_status(&body) {
        Ok(s) => s,
        Err(errors) => {
            let outcome = format!("invalid answer, reported: {}", errors.join("; "));
            response_error(sim, error_body("test_status", &errors, Some(i), Some(pid))).await;
            return (status, outcome);
        }
    };
    let shown = match (&parsed.partner_profile_url, parsed.complete()) {
        (Some(url), true) => match reachable(sim, url).await {
            Ok(()) => Some(ShownResult {
                partner_score: parsed.partner_score,
                partner_profile_url: url.clone(),
                metadata: parsed.metadata.clone(),
            }),
            Err(why) => {
                let errors = vec![format!("partner_profile_url {url} is not reachable: {why}")];
                response_error(sim, error_body("test_status", &errors, Some(i), Some(pid))).await;
                return (status, format!("complete, but no result shown: {}", errors[0]));
            }
        },
        _ => None,
    };
    let hired = sim.candidate(i.candidate).is_some_and(|c| c.hired);
    let outcome = match (&shown, hired) {
        (Some(_), true) => "complete, not shown: the candidate is hired".to_owned(),
        (Some(_), false) => "result shown".to_owned(),
        (None, _) => format!("not complete yet (partner_status \"{}\")", parsed.partner_status),
    };
    sim.change(|st| {
        if let Some(inst) = st.instance_mut(i.id) {
            inst.last_status = Some(parsed.partner_status.clone());
            if let Some(r) = shown.filter(|_| !hired) {
                inst.result = Some(r);
                inst.polling_stopped = Some("complete".to_owned());
            }
        }
    });
    (status, outcome)
}

/// Opens the URL without credentials, following redirects; reachable means a 2xx at the end.
async fn reachable(sim: &SimHandle, url: &str) -> Result<(), String> {
    match sim.inner.web.get(url).send().await {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(format!("HTTP {}", r.status().as_u16())),
        Err(e) => Err(format!("{e}")),
    }
}

/// The response_error body: `api_call` and `errors` always, the rest as known (null otherwise,
/// following Greenhouse's "null instead of undefined" convention).
fn error_body(api_call: &str, errors: &[String], i: Option<&Instance>, pid: Option<&str>) -> Value {
    let email = i.and_then(|i| i.send_body.pointer("/candidate/email").cloned());
    json!({
        "api_call": api_call,
        "errors": errors,
        "partner_test_id": i.map(|i| i.partner_test_id.clone()),
        "partner_test_name": i.and_then(|i| i.partner_test_name.clone()),
        "partner_interview_id": pid,
        "candidate_email": email.unwrap_or(Value::Null),
    })
}

async fn response_error(sim: &SimHandle, body: Value) {
    let url = sim.inner.cfg.endpoints.response_error.clone();
    let req = sim
        .inner
        .api
        .post(&url)
        .header(CONTENT_TYPE, "application/json")
        .body(body.to_string());
    let (status, _) = call(sim, req).await;
    sim.change(|st| st.push_response_error(ResponseErrorCall { body, status }));
}
