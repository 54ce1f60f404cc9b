//! The recruiter's page: candidates × jobs with "Send assessment" (test picker) and "Send
//! interview" (template picker), and the orders with their status, result and results link.
//! Everything shown is escaped.

use std::fmt::Write;

use axum::extract::State;
use axum::response::Html;

use super::state::{Kind, Offering, Order};
use super::{ListOutcome, SendOutcome, SimHandle};
use crate::html::{esc, page};

const BACK: &str = "<p><a href=\"/\">Back to the candidates</a></p>";

pub(crate) fn message(title: &str, text: &str) -> Html<String> {
    page(title, &format!("<p>{}</p>{BACK}", esc(text)))
}

fn errors_html(errors: &[String]) -> String {
    let items: String = errors
        .iter()
        .map(|e| format!("<li class=\"err\">{}</li>", esc(e)))
        .collect();
    if items.is_empty() {
        items
    } else {
        format!("<ul>{items}</ul>")
    }
}

fn list_html(what: &str, o: &ListOutcome) -> String {
    if o.errors.is_empty() {
        let names: Vec<String> = o.items.iter().map(|t| esc(&t.name)).collect();
        return format!("<p class=\"ok\">{} {what}: {}</p>", o.items.len(), names.join(", "));
    }
    format!("<p class=\"err\">{what} not loaded:</p>{}", errors_html(&o.errors))
}

pub(crate) fn lists_outcome(tests: &ListOutcome, templates: &ListOutcome) -> Html<String> {
    let body = format!(
        "{}{}{BACK}",
        list_html("tests", tests),
        list_html("interview templates", templates)
    );
    page("Lists loaded", &body)
}

pub(crate) fn send_outcome(title: &str, o: &SendOutcome) -> Html<String> {
    let mut b = match &o.id {
        Some(id) => format!("<p class=\"ok\">Partner id <code>{}</code></p>", esc(id)),
        None => format!("<p class=\"err\">No partner id (HTTP {}).</p>", o.status),
    };
    b.push_str(&errors_html(&o.errors));
    b.push_str(BACK);
    page(title, &b)
}

fn picker(items: &[Offering]) -> String {
    items
        .iter()
        .map(|t| format!("<option value=\"{}\">{}</option>", esc(&t.id), esc(&t.name)))
        .collect()
}

fn send_form(kind: &str, label: &str, candidate: u64, job: u64, options: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/send\"><input type=\"hidden\" name=\"kind\" value=\"{kind}\">\
         <input type=\"hidden\" name=\"candidate\" value=\"{candidate}\"><input type=\"hidden\" name=\"job\" \
         value=\"{job}\"><select name=\"item\" aria-label=\"{label} for {candidate} {job}\">{options}</select> \
         <button>Send {kind}</button></form>"
    )
}

fn order_row(o: &Order, who: &str, job: &str) -> String {
    let kind = match o.kind {
        Kind::Assessment => "assessment",
        Kind::Interview => "interview",
    };
    let result = match &o.result {
        None => "—".to_owned(),
        Some(r) => {
            let mut s = String::new();
            for (label, v) in [("score", &r.score), ("grade", &r.grade), ("summary", &r.summary)] {
                if let Some(v) = v {
                    let _ = write!(s, "{label}: {}<br>", esc(v));
                }
            }
            let _ = write!(
                s,
                "<a href=\"{0}\" target=\"_blank\" rel=\"noopener\">{0}</a>",
                esc(&r.results_url)
            );
            s
        }
    };
    format!(
        "<tr><td>{id}</td><td>{kind}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
         <td>{}</td><td>{result}</td><td><form method=\"post\" action=\"/replay\"><input type=\"hidden\" \
         name=\"order\" value=\"{id}\"><button>Replay create</button></form></td></tr>",
        esc(who),
        esc(job),
        esc(o.offering_name.as_deref().unwrap_or(&o.offering_id)),
        esc(o.partner_id.as_deref().unwrap_or("(none)")),
        esc(o.status().unwrap_or("—")),
        o.callbacks.len(),
        id = o.id,
    )
}

pub(crate) async fn index(State(sim): State<SimHandle>) -> Html<String> {
    let (jobs, candidates, orders) = (sim.jobs(), sim.candidates(), sim.orders());
    let (tests, templates) = (picker(&sim.tests()), picker(&sim.interview_templates()));
    let mut b = format!(
        "<p><small>Partner: <code>{}</code></small></p><form method=\"post\" action=\"/lists/load\">\
         <button>Load tests and interview templates from the partner</button></form>\
         <h2>Candidates</h2><table><tr><th>Candidate</th><th>E-mail</th><th>Job</th><th>Assessment</th>\
         <th>Video interview</th></tr>",
        esc(&sim.partner_base())
    );
    for c in &candidates {
        for j in &jobs {
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{} <small>{}</small></td><td>{}</td><td>{}</td></tr>",
                esc(&c.name()),
                esc(c.email.as_deref().unwrap_or("—")),
                esc(&j.title),
                esc(&j.shortcode),
                send_form("assessment", "test", c.id, j.id, &tests),
                send_form("interview", "template", c.id, j.id, &templates),
            );
        }
    }
    b.push_str(
        "</table><h2>Orders</h2><table><tr><th>#</th><th>Kind</th><th>Candidate</th><th>Job</th>\
         <th>Test / template</th><th>Partner id</th><th>Status</th><th>Callbacks</th><th>Result</th><th></th></tr>",
    );
    for o in orders.iter().rev() {
        let who = candidates.iter().find(|c| c.id == o.candidate).map(|c| c.name());
        let job = jobs.iter().find(|j| j.id == o.job).map(|j| j.title.clone());
        b.push_str(&order_row(o, &who.unwrap_or_default(), &job.unwrap_or_default()));
    }
    b.push_str("</table>");
    page("Workable simulator", &b)
}
