//! The calls Workable makes to the partner: list tests and interview templates, create an
//! assessment or interview, all with `Authorization: Bearer <the partner's token>`.

use crate::partner::http_failure;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use serde_json::json;

use super::state::{Kind, Order};
use super::{ListOutcome, SendOutcome, SimHandle, validate};

fn url(sim: &SimHandle, path: &str) -> String {
    format!("{}/{path}", sim.inner.cfg.partner_base.trim_end_matches('/'))
}

/// (status, body) of one call; status 0 and the transport error when nothing came back.
async fn call(sim: &SimHandle, req: reqwest::RequestBuilder) -> (u16, String) {
    crate::partner::send(req.header(AUTHORIZATION, format!("Bearer {}", sim.inner.cfg.partner_token))).await
}

pub(crate) async fn list(sim: &SimHandle, kind: Kind) -> ListOutcome {
    let (path, key) = match kind {
        Kind::Assessment => ("tests", "tests"),
        Kind::Interview => ("interview-templates", "interview_templates"),
    };
    let (status, body) = call(sim, sim.inner.api.get(url(sim, path))).await;
    let mut out = ListOutcome {
        status,
        items: Vec::new(),
        body,
        errors: Vec::new(),
    };
    if !(200..300).contains(&status) {
        out.errors.push(http_failure(status, &out.body));
        return out;
    }
    match validate::list(&out.body, key) {
        Ok(items) => {
            sim.change(|st| match kind {
                Kind::Assessment => st.saved.tests = items.clone(),
                Kind::Interview => st.saved.templates = items.clone(),
            });
            out.items = items;
        }
        Err(errors) => out.errors = errors,
    }
    out
}

fn failed(error: String) -> SendOutcome {
    SendOutcome {
        status: 0,
        order: None,
        id: None,
        body: String::new(),
        errors: vec![error],
    }
}

/// Creates the order (its `callback_url` is part of the request), then POSTs it.
pub(crate) async fn send(sim: &SimHandle, kind: Kind, candidate: u64, job: u64, offering: &str) -> SendOutcome {
    let created = sim.change(|st| {
        let c = st.candidates().get(&candidate).cloned().ok_or("candidate")?;
        let j = st.jobs().get(&job).cloned().ok_or("job")?;
        let id = st.next_order();
        let base = &sim.inner.base_url;
        let callback_url = format!("{base}/callbacks/{id}");
        let id_field = match kind {
            Kind::Assessment => "test_id",
            Kind::Interview => "interview_template_id",
        };
        let body = json!({
            id_field: offering,
            "job_id": j.id.to_string(),
            "job_shortcode": j.shortcode,
            "job_title": j.title,
            "callback_url": callback_url,
            "candidate": {
                "first_name": c.first_name,
                "last_name": c.last_name,
                "email": c.email,
                "phone": c.phone,
                "resume_url": format!("{base}/resumes/{}", c.id),
            },
        });
        let offering_name = st.offering_name(kind, offering);
        st.insert_order(Order {
            id,
            kind,
            candidate,
            job,
            offering_id: offering.to_owned(),
            offering_name,
            partner_id: None,
            callback_url,
            request_body: body,
            statuses: Vec::new(),
            result: None,
            callbacks: Vec::new(),
        });
        Ok::<u64, &str>(id)
    });
    match created {
        Ok(id) => post_create(sim, id).await,
        Err(what) => failed(format!("no such {what} in the simulator")),
    }
}

/// POSTs the order's create body (the same bytes every time, so a replay is exact).
pub(crate) async fn post_create(sim: &SimHandle, order: u64) -> SendOutcome {
    let Some(o) = sim.order(order) else {
        return failed(format!("no order {order} in the simulator"));
    };
    let path = match o.kind {
        Kind::Assessment => "assessments",
        Kind::Interview => "interviews",
    };
    let req = sim
        .inner
        .api
        .post(url(sim, path))
        .header(CONTENT_TYPE, "application/json")
        .body(o.request_body.to_string());
    let (status, body) = call(sim, req).await;
    let mut out = SendOutcome {
        status,
        order: Some(order),
        id: None,
        body,
        errors: Vec::new(),
    };
    if !(200..300).contains(&status) {
        out.errors.push(http_failure(status, &out.body));
        return out;
    }
    match validate::created(&out.body) {
        Ok(id) => {
            out.id = Some(id.clone());
            let first = sim.change(|st| {
                let o = st.order_mut(order)?;
                Some(o.partner_id.get_or_insert(id.clone()).clone())
            });
            // Workable keeps the first id; a replay answered with another one is the partner's bug.
            if let Some(first) = first.filter(|f| *f != id) {
                out.errors.push(format!(
                    "the partner answered id \"{id}\" for an order it already called \"{first}\""
                ));
            }
        }
        Err(errors) => out.errors = errors,
    }
    out
}
