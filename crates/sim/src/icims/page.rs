//! The simulator's one web page: jobs, people and workflows (status and assessment results), a form
//! to move one or many workflows to a status, and what each event POST got back — the way a
//! recruiter would see it in iCIMS.

use std::fmt::Write;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Html;

use super::state::{STATUSES, status_label};
use super::{EventOutcome, SimHandle};
use crate::html::{esc, page};

/// Renders one outcome as the iCIMS UI would: sent, a link to open, or the vendor's userMessage.
fn outcome_html(o: &EventOutcome) -> String {
    match o.status {
        200..=299 => "<span class=\"ok\">sent</span>".to_owned(),
        303 => match &o.location {
            Some(l) => format!(
                "<a href=\"{0}\" target=\"_blank\" rel=\"noopener\">open {0}</a>",
                esc(l)
            ),
            None => "<span class=\"err\">303 without a Location header</span>".to_owned(),
        },
        0 => format!(
            "<span class=\"err\">no reply: {}</span>",
            esc(o.user_message.as_deref().unwrap_or(""))
        ),
        s => format!(
            "<span class=\"err\">{s}: {}</span>",
            esc(o.user_message.as_deref().unwrap_or("(the vendor gave no userMessage)"))
        ),
    }
}

pub(crate) async fn index(State(sim): State<SimHandle>) -> Html<String> {
    let st = sim.st();
    let mut b = String::new();
    let target = st
        .event_target
        .as_ref()
        .map(|t| t.url.clone())
        .unwrap_or_else(|| "(none configured)".to_owned());
    let _ = write!(
        b,
        "<p><small>API base <code>{}</code> · events go to <code>{}</code></small></p><h2>Jobs</h2>\
         <table><tr><th>Job id</th><th>Title</th><th>Assessment Type</th></tr>",
        esc(&sim.customer_url()),
        esc(&target)
    );
    for (id, j) in &st.jobs {
        let _ = write!(
            b,
            "<tr><td>{id}</td><td>{}</td><td>{}</td></tr>",
            esc(&j.title),
            esc(&j.packages.join(", "))
        );
    }
    b.push_str("</table><h2>People</h2><table><tr><th>Person id</th><th>Name</th><th>E-mail</th></tr>");
    for (id, p) in &st.people {
        let email = p.email.as_deref().unwrap_or("—");
        let _ = write!(
            b,
            "<tr><td>{id}</td><td>{} {}</td><td>{}</td></tr>",
            esc(&p.first),
            esc(&p.last),
            esc(email)
        );
    }
    b.push_str(
        "</table><h2>Recruiting workflows</h2><form method=\"post\" action=\"/move\"><table><tr><th></th>\
         <th>Workflow</th><th>Candidate</th><th>Job</th><th>Status</th><th>Assessment results</th></tr>",
    );
    for (id, w) in &st.workflows {
        let who = st
            .people
            .get(&w.person)
            .map(|p| format!("{} {}", p.first, p.last))
            .unwrap_or_default();
        let job = st.jobs.get(&w.job).map(|j| j.title.clone()).unwrap_or_default();
        let mut results = String::new();
        for r in &w.assessment_results {
            let _ = write!(
                results,
                "<div>#{} {} — {}{}{} <small>{}</small>{}</div>",
                r.entry,
                esc(&r.assessmentname),
                esc(&r.assessmentstatus),
                r.assessmentscore.map(|s| format!(" · score {s}")).unwrap_or_default(),
                r.assessmentresult
                    .as_deref()
                    .map(|s| format!(" · {}", esc(s)))
                    .unwrap_or_default(),
                esc(r.assessmentdate.as_deref().unwrap_or("")),
                r.assessmenturl
                    .as_deref()
                    .map(|u| format!(" <a href=\"{0}\">{0}</a>", esc(u)))
                    .unwrap_or_default(),
            );
        }
        let _ = write!(
            b,
            "<tr><td><input type=\"checkbox\" name=\"wf\" value=\"{id}\" aria-label=\"select workflow {id}\"></td>\
             <td>{id}</td><td>{}</td><td>{}</td><td>{} <small>{}</small></td><td>{results}</td></tr>",
            esc(&who),
            esc(&job),
            esc(&status_label(&w.status)),
            esc(&w.status)
        );
    }
    b.push_str("</table><label>Move the selected to <select name=\"status\">");
    for (id, label) in STATUSES {
        let _ = write!(b, "<option value=\"{id}\">{} ({id})</option>", esc(label));
    }
    b.push_str(
        "</select></label> <label>or status id <input name=\"custom\" size=\"10\"></label> \
         <button>Move</button></form><h2>Recent events</h2><table><tr><th>Workflow</th><th>Event</th><th>Reply</th></tr>",
    );
    for (wf, kind, o) in st.event_log.iter().rev().take(20) {
        let _ = write!(
            b,
            "<tr><td>{wf}</td><td>{}</td><td>{}</td></tr>",
            esc(kind),
            outcome_html(o)
        );
    }
    b.push_str("</table>");
    page("iCIMS simulator", &b)
}

/// `POST /move`: form fields `wf` (repeated), `status`, optional `custom` status id overriding it.
pub(crate) async fn move_form(State(sim): State<SimHandle>, body: Bytes) -> Html<String> {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let workflows: Vec<u64> = form
        .iter()
        .filter(|(k, _)| k == "wf")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let custom = form
        .iter()
        .find(|(k, _)| k == "custom")
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty());
    let status = custom.or_else(|| form.iter().find(|(k, _)| k == "status").map(|(_, v)| v.clone()));
    let back = "<p><a href=\"/\">Back to the workflows</a></p>";
    let Some(status) = status.filter(|_| !workflows.is_empty()) else {
        return page(
            "Nothing moved",
            &format!("<p class=\"err\">Select at least one workflow and a status.</p>{back}"),
        );
    };
    let outcomes = sim.move_to_status(&workflows, &status).await;
    let mut b = format!(
        "<p>Moved to {} ({}).</p><table><tr><th>Workflow</th><th>Reply</th></tr>",
        esc(&status_label(&status)),
        esc(&status)
    );
    for (wf, o) in workflows.iter().zip(&outcomes) {
        let _ = write!(b, "<tr><td>{wf}</td><td>{}</td></tr>", outcome_html(o));
    }
    b.push_str("</table>");
    b.push_str(back);
    page("Status change sent", &b)
}
