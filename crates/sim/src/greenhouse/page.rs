//! The recruiter's page: candidates with a test picker and "Send test", the test instances with
//! their status and result (shown only when complete with a reachable profile URL), and the
//! response_error calls made. Everything shown is escaped.

use std::fmt::Write;

use axum::extract::{Path, State};
use axum::response::Html;

use super::state::{Instance, ShownResult};
use super::{ListOutcome, Mode, SendOutcome, SimHandle};
use crate::html::{esc, page};

const BACK: &str = "<p><a href=\"/\">Back to the candidates</a></p>";

pub(crate) fn message(title: &str, text: &str) -> Html<String> {
    page(title, &format!("<p>{}</p>{BACK}", esc(text)))
}

pub(crate) fn list_outcome(o: &ListOutcome) -> Html<String> {
    if o.errors.is_empty() {
        let names: Vec<String> = o.tests.iter().map(|t| esc(&t.partner_test_name)).collect();
        let text = format!(
            "<p class=\"ok\">{} tests: {}</p>{BACK}",
            o.tests.len(),
            names.join(", ")
        );
        return page("Tests loaded", &text);
    }
    page("Tests not loaded", &format!("{}{BACK}", errors_html(&o.errors)))
}

pub(crate) fn send_outcome(title: &str, o: &SendOutcome) -> Html<String> {
    let mut b = String::new();
    match &o.partner_interview_id {
        Some(id) => {
            let _ = write!(b, "<p class=\"ok\">partner_interview_id <code>{}</code></p>", esc(id));
        }
        None => b.push_str("<p class=\"err\">No partner_interview_id.</p>"),
    }
    b.push_str(&errors_html(&o.errors));
    b.push_str(BACK);
    page(title, &b)
}

fn errors_html(errors: &[String]) -> String {
    let items: String = errors
        .iter()
        .map(|e| format!("<li class=\"err\">{}</li>", esc(e)))
        .collect();
    if items.is_empty() {
        String::new()
    } else {
        format!("<ul>{items}</ul>")
    }
}

fn result_html(r: &ShownResult) -> String {
    let mut s = String::new();
    if let Some(score) = r.partner_score {
        let _ = write!(s, "score {score} · ");
    }
    let _ = write!(
        s,
        "<a href=\"{0}\" target=\"_blank\" rel=\"noopener\">{0}</a>",
        esc(&r.partner_profile_url)
    );
    for (k, v) in &r.metadata {
        let _ = write!(s, "<br><small>{}: {}</small>", esc(k), esc(v));
    }
    s
}

fn instance_row(i: &Instance, who: &str) -> String {
    let status = i.last_status.as_deref().unwrap_or("—");
    let result = i.result.as_ref().map(result_html).unwrap_or_else(|| "—".to_owned());
    let last = i
        .checks
        .last()
        .map(|c| format!("{} · {:?}: {}", c.at.format("%Y-%m-%d %H:%M"), c.trigger, c.outcome))
        .unwrap_or_default();
    let polling = i
        .polling_stopped
        .as_deref()
        .map(|p| format!("<br><small>polling stopped: {}</small>", esc(p)));
    format!(
        "<tr><td>{id}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}{}</td><td>{result}</td>\
         <td><form method=\"post\" action=\"/replay\"><input type=\"hidden\" name=\"instance\" value=\"{id}\">\
         <button>Replay send</button></form><form method=\"post\" action=\"/check\">\
         <input type=\"hidden\" name=\"instance\" value=\"{id}\"><button>Check status</button></form></td></tr>",
        esc(who),
        esc(i.partner_test_name.as_deref().unwrap_or(&i.partner_test_id)),
        esc(i.partner_interview_id.as_deref().unwrap_or("(none)")),
        i.sent_at.format("%Y-%m-%d %H:%M"),
        esc(status),
        polling.unwrap_or_default(),
        id = i.id,
    ) + &format!("<tr><td></td><td colspan=\"7\"><small>{}</small></td></tr>", esc(&last))
}

pub(crate) async fn index(State(sim): State<SimHandle>) -> Html<String> {
    let (candidates, tests, instances, errors) =
        (sim.candidates(), sim.tests(), sim.instances(), sim.response_errors());
    let ep = sim.endpoints();
    let mode = match sim.mode() {
        Mode::Patch => "PATCH-completed",
        Mode::LegacyPolling => "legacy hourly polling",
    };
    let mut b = format!(
        "<p><small>Partner: list_tests <code>{}</code> · send_test <code>{}</code> · test_status <code>{}</code> \
         · response_error <code>{}</code> · mode: {mode}</small></p>\
         <form method=\"post\" action=\"/tests/load\"><button>Load tests from the partner</button> \
         <small>{} tests known</small></form><h2>Candidates</h2><table><tr><th>Candidate</th><th>E-mail</th>\
         <th>Application</th><th>Test</th></tr>",
        esc(&ep.list_tests),
        esc(&ep.send_test),
        esc(&ep.test_status),
        esc(&ep.response_error),
        tests.len()
    );
    let mut picker = String::new();
    for t in &tests {
        let _ = write!(
            picker,
            "<option value=\"{}\">{}</option>",
            esc(&t.partner_test_id),
            esc(&t.partner_test_name)
        );
    }
    for c in &candidates {
        let hired = if c.hired { " <small>(hired)</small>" } else { "" };
        let _ = write!(
            b,
            "<tr><td><a href=\"{}\">{}</a>{hired}</td><td>{}</td><td>{}</td><td>\
             <form method=\"post\" action=\"/send\"><input type=\"hidden\" name=\"candidate\" value=\"{id}\">\
             <select name=\"test\" aria-label=\"test for {}\">{picker}</select> <button>Send test</button></form>\
             <form method=\"post\" action=\"/hire\"><input type=\"hidden\" name=\"candidate\" value=\"{id}\">\
             <button>Mark hired</button></form></td></tr>",
            esc(&sim.profile_url(c)),
            esc(&c.name()),
            esc(c.email.as_deref().unwrap_or("—")),
            c.application_id,
            esc(&c.name()),
            id = c.id,
        );
    }
    b.push_str(
        "</table><h2>Tests sent</h2><table><tr><th>#</th><th>Candidate</th><th>Test</th><th>partner_interview_id</th>\
         <th>Sent</th><th>Status</th><th>Result</th><th></th></tr>",
    );
    for i in instances.iter().rev() {
        let who = candidates
            .iter()
            .find(|c| c.id == i.candidate)
            .map(|c| c.name())
            .unwrap_or_default();
        b.push_str(&instance_row(i, &who));
    }
    b.push_str(
        "</table><h2>response_error calls</h2><table><tr><th>Call</th><th>Errors</th><th>Partner answered</th></tr>",
    );
    for e in errors.iter().rev().take(50) {
        let call = e.body.get("api_call").and_then(|v| v.as_str()).unwrap_or("");
        let list: Vec<String> = e
            .body
            .get("errors")
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|x| x.as_str()).map(str::to_owned).collect())
            .unwrap_or_default();
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(call),
            errors_html(&list),
            e.status
        );
    }
    b.push_str("</table>");
    page("Greenhouse simulator", &b)
}

/// `greenhouse_profile_url`: the candidate's application and their tests.
pub(crate) async fn person(State(sim): State<SimHandle>, Path(raw): Path<String>) -> Html<String> {
    let Some(c) = raw.parse().ok().and_then(|id| sim.candidate(id)) else {
        return message("Not found", "No such candidate.");
    };
    let mut b = format!(
        "<p>{} · application {}</p><table><tr><th>#</th><th>Candidate</th><th>Test</th><th>partner_interview_id</th>\
         <th>Sent</th><th>Status</th><th>Result</th><th></th></tr>",
        esc(c.email.as_deref().unwrap_or("no e-mail")),
        c.application_id
    );
    for i in sim.instances().iter().filter(|i| i.candidate == c.id) {
        b.push_str(&instance_row(i, &c.name()));
    }
    b.push_str("</table>");
    b.push_str(BACK);
    page(&c.name(), &b)
}
