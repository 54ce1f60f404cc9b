//! The JSON a receiver gets: `{"type", "timestamp", "data"}` where `data` carries the event id,
//! the invitation as the API shows it (with its metadata exactly as stored) and the reviewer's
//! result link. Built once, at the first attempt, and then frozen in the delivery row.

use crate::recruiting::Recruiting;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use shortlist_domain::{InvitationId, OrgId, UserId};
use shortlist_store::{invitations as inv, review, users};

/// What the delivery job knows about the event it delivers.
#[derive(Debug, Clone)]
pub struct EventRef {
    pub event_id: String,
    pub event_type: String,
    pub invitation: InvitationId,
    pub actor: String,
    pub at: DateTime<Utc>,
}

/// The body for an event; `None` when the invitation no longer exists.
pub async fn body(r: &Recruiting, org: &OrgId, e: &EventRef) -> Result<Option<Value>, sqlx::Error> {
    let Some(row) = inv::get(&r.db, org, &e.invitation).await? else {
        return Ok(None);
    };
    let v = r.view(row);
    let invitation = json!({
        "id": v.id,
        "state": v.state,
        "candidate": v.candidate,
        "position": v.position,
        "template": { "id": v.template.id, "key": v.template.key, "version_id": v.template.version_id },
        "round": v.round,
        "metadata": v.metadata,
        "expires_at": v.expires_at,
        "sent_at": v.sent_at,
        "opened_at": v.opened_at,
        "started_at": v.started_at,
        "completed_at": v.completed_at,
        "created_at": v.created_at,
    });
    let mut data = json!({
        "event_id": e.event_id,
        "invitation": invitation,
        "links": { "result_url": r.links.review_url(&v.id) },
    });
    if e.event_type == "evaluation.submitted" {
        let (average, count) = review::average(&r.db, org, &e.invitation).await?;
        let reviewer = match UserId::parse(&e.actor) {
            Ok(u) => users::get(&r.db, org, &u)
                .await?
                .map(|u| json!({ "id": u.id, "name": u.name, "email": u.email })),
            Err(_) => None,
        };
        data["evaluation"] = json!({
            "reviewer": reviewer,
            "average_score": average,
            "evaluations": count,
        });
    }
    Ok(Some(json!({
        "type": e.event_type,
        "timestamp": e.at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "data": data,
    })))
}
