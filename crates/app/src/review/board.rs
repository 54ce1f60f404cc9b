//! Lists for reviewers: every candidate of a position with state, average score and decision
//! (sortable, filterable), and the interviews waiting for the reviewer's own evaluation.

use super::Review;
use crate::AppError;
use crate::recruiting::Actor;
use serde::{Deserialize, Serialize};
use shortlist_domain::{InvitationId, PositionId};
use shortlist_store::invitations as inv;
use shortlist_store::review as store;
use std::collections::HashMap;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BoardRow {
    pub invitation_id: String,
    pub position_id: String,
    pub position_title: String,
    pub candidate_name: String,
    pub candidate_email: String,
    pub state: String,
    pub completed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub average: Option<f64>,
    pub evaluations: i64,
    pub decision: Option<String>,
    /// The asking reviewer evaluated it.
    pub mine: bool,
}

/// The board's filters and order: the query of the review board page and of
/// `GET /api/v1/positions/{id}/review`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// `name`, `state`, `score`, `decision` or `completed` (default).
    #[serde(default)]
    pub sort: Option<String>,
    /// `asc` or `desc` (default for score and completed).
    #[serde(default)]
    pub dir: Option<String>,
    /// Only invitations in this state.
    #[serde(default)]
    pub state: Option<String>,
    /// Only this decision (`advance`, `hold`, `reject`), or `none` for undecided.
    #[serde(default)]
    pub decision: Option<String>,
}

pub const SORTS: [&str; 5] = ["name", "state", "score", "decision", "completed"];

fn sort_rows(rows: &mut [BoardRow], sort: &str, desc: bool) {
    rows.sort_by(|a, b| {
        let o = match sort {
            "name" => a.candidate_name.to_lowercase().cmp(&b.candidate_name.to_lowercase()),
            "state" => a.state.cmp(&b.state),
            "decision" => a.decision.cmp(&b.decision),
            "score" => a.average.partial_cmp(&b.average).unwrap_or(std::cmp::Ordering::Equal),
            _ => a.completed_at.cmp(&b.completed_at),
        };
        let o = o.then_with(|| a.invitation_id.cmp(&b.invitation_id));
        if desc { o.reverse() } else { o }
    });
}

impl Review {
    /// Every candidate (invitation) of a position, filtered and sorted.
    pub async fn board(&self, who: &Actor, position: &PositionId, q: &BoardQuery) -> Result<Vec<BoardRow>, AppError> {
        let db = self.db();
        shortlist_store::positions::get(db, &who.org_id, position)
            .await?
            .ok_or(AppError::NotFound)?;
        let sort = q.sort.as_deref().unwrap_or("completed");
        if !SORTS.contains(&sort) {
            return Err(AppError::field("sort", "name, state, score, decision or completed"));
        }
        let desc = match q.dir.as_deref() {
            Some("asc") => false,
            Some("desc") => true,
            None => matches!(sort, "score" | "completed"),
            Some(_) => return Err(AppError::field("dir", "asc or desc")),
        };
        let user = who.user_id.clone().unwrap_or_else(shortlist_domain::UserId::generate);
        let summaries: HashMap<String, store::ReviewSummaryRow> =
            store::summaries_for_position(db, &who.org_id, &user, position.as_str())
                .await?
                .into_iter()
                .map(|s| (s.invitation_id.clone(), s))
                .collect();
        let mut rows: Vec<BoardRow> = inv::list_for_position(db, &who.org_id, position.as_str())
            .await?
            .into_iter()
            .map(|i| {
                let s = summaries.get(&i.id);
                BoardRow {
                    average: s.and_then(|s| s.average),
                    evaluations: s.map_or(0, |s| s.evaluations),
                    decision: s.and_then(|s| s.decision.clone()),
                    mine: s.is_some_and(|s| s.mine > 0),
                    invitation_id: i.id,
                    position_id: i.position_id,
                    position_title: i.position_title,
                    candidate_name: i.candidate_name,
                    candidate_email: i.candidate_email,
                    state: i.state,
                    completed_at: i.completed_at,
                }
            })
            .filter(|r| q.state.as_deref().is_none_or(|s| s.is_empty() || r.state == s))
            .filter(|r| match q.decision.as_deref() {
                None | Some("") => true,
                Some("none") => r.decision.is_none(),
                Some(d) => r.decision.as_deref() == Some(d),
            })
            .collect();
        // Scores a reviewer has not earned the right to see yet are not shown in the list either.
        if self.settings(&who.org_id).await?.hide_until_submitted {
            for r in rows.iter_mut().filter(|r| !r.mine) {
                r.average = None;
            }
        }
        sort_rows(&mut rows, sort, desc);
        Ok(rows)
    }

    /// Completed interviews of the organisation that `who` has not evaluated, oldest first.
    pub async fn waiting(&self, who: &Actor) -> Result<Vec<BoardRow>, AppError> {
        let Some(user) = who.user_id.clone() else {
            return Ok(vec![]);
        };
        let mut out = vec![];
        for id in store::waiting_for(self.db(), &who.org_id, &user).await? {
            let Ok(id) = InvitationId::parse(&id) else { continue };
            let Some(i) = inv::get(self.db(), &who.org_id, &id).await? else {
                continue;
            };
            let (_, evaluations) = store::average(self.db(), &who.org_id, &id).await?;
            out.push(BoardRow {
                // Not evaluated by this reviewer: the team's score is not shown before theirs.
                average: None,
                evaluations,
                decision: store::decision(self.db(), &who.org_id, &id).await?,
                mine: false,
                invitation_id: i.id,
                position_id: i.position_id,
                position_title: i.position_title,
                candidate_name: i.candidate_name,
                candidate_email: i.candidate_email,
                state: i.state,
                completed_at: i.completed_at,
            });
        }
        Ok(out)
    }
}
