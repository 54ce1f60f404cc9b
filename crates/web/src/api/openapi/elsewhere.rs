//! The document's entries for /api/v1 routes whose handlers live outside `api/`: the review API
//! (`review/api.rs`) and `/me` (`auth.rs`). The functions here are never called; they carry the
//! `#[utoipa::path]` of the real handler, and the route test in `openapi.rs` fails when a route
//! there has no entry here. Answer shapes are the services' own types, so they cannot drift.

#![allow(dead_code)]

use super::super::invitations::InvitationPath;
use super::super::positions::PositionPath;
use serde::Serialize;
use shortlist_app::review::ReviewSettings;
use shortlist_app::review::board::BoardRow;
use shortlist_app::review::evaluate::{EvaluationInput, Evaluations};
use shortlist_app::review::share::{NewShare, ShareLinkView};
use shortlist_app::review::view::InterviewView;
use shortlist_store::review::share::ViewRow;
use utoipa::{IntoParams, ToSchema};

/// `{id}` of the share-link routes.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
struct SharePath {
    /// The share link's id (`shr_…`).
    id: String,
}

/// The review board's filters and order.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
struct BoardParams {
    /// `name`, `state`, `score`, `decision` or `completed` (default).
    sort: Option<String>,
    /// `asc` or `desc` (default for score and completed).
    dir: Option<String>,
    /// Only invitations in this state.
    state: Option<String>,
    /// Only this decision (`advance`, `hold`, `reject`), or `none` for undecided.
    decision: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct Board {
    candidates: Vec<BoardRow>,
}

#[derive(Serialize, ToSchema)]
struct Decide {
    /// Invitations of this position (`inv_…`).
    invitation_ids: Vec<String>,
    /// `advance`, `hold` or `reject`.
    decision: String,
}

#[derive(Serialize, ToSchema)]
struct Decided {
    /// How many invitations got the decision.
    updated: u64,
    decision: String,
}

#[derive(Serialize, ToSchema)]
struct ShareLinks {
    share_links: Vec<ShareLinkView>,
}

#[derive(Serialize, ToSchema)]
struct NewShareLink {
    share_link: ShareLinkView,
    /// The link to hand out; it holds the token, so it is shown this once.
    url: String,
}

#[derive(Serialize, ToSchema)]
struct ShareViews {
    share_link: ShareLinkView,
    /// Who opened the link, newest first.
    views: Vec<ViewRow>,
}

#[derive(Serialize, ToSchema)]
struct MeOrg {
    id: String,
    name: String,
}

/// The user the request acts as.
#[derive(Serialize, ToSchema)]
struct Me {
    id: String,
    email: String,
    name: String,
    /// `admin`, `recruiter` or `reviewer`.
    role: String,
    org: MeOrg,
}

/// Get the calling user
///
/// The user a session, personal token or partner (through `X-Shortlist-User-Email`) acts as.
/// An organisation API key acts for no user and gets 403.
#[utoipa::path(get, path = "/me", tag = "account",
    responses((status = 200, description = "The user and organisation.", body = Me)))]
fn me() {}

/// Get an interview for review
///
/// The candidate's answers with the template's questions, as a reviewer sees them.
#[utoipa::path(get, path = "/invitations/{id}/review", tag = "review", params(InvitationPath),
    responses((status = 200, description = "The interview.", body = InterviewView)))]
fn interview() {}

/// List an interview's evaluations
///
/// Others' evaluations stay hidden until the caller submitted their own when the organisation
/// says so (`hidden: true`).
#[utoipa::path(get, path = "/invitations/{id}/evaluations", tag = "review", params(InvitationPath),
    responses((status = 200, description = "The evaluations the caller may see.", body = Evaluations)))]
fn evaluations() {}

/// Submit an evaluation
///
/// Ratings per question (1–5), per scorecard criterion, a comment and optionally a decision.
/// Submitting again replaces the caller's evaluation.
#[utoipa::path(post, path = "/invitations/{id}/evaluations", tag = "review", params(InvitationPath),
    request_body = EvaluationInput,
    responses(
        (status = 200, description = "The evaluations after this one.", body = Evaluations),
        (status = 409, description = "`not_evaluable`: the interview is not completed.",
            body = super::Problem, content_type = "application/problem+json")))]
fn submit() {}

/// Get a position's review board
///
/// Every invitation of the position with its state, average score and decision.
#[utoipa::path(get, path = "/positions/{id}/review", tag = "review", params(PositionPath, BoardParams),
    responses((status = 200, description = "The board.", body = Board)))]
fn board() {}

/// Decide on candidates
///
/// Sets the team's decision for some invitations of the position.
#[utoipa::path(post, path = "/positions/{id}/decisions", tag = "review", params(PositionPath),
    request_body = Decide,
    responses((status = 200, description = "Decided.", body = Decided)))]
fn decide() {}

/// List a position's share links
#[utoipa::path(get, path = "/positions/{id}/share-links", tag = "review", params(PositionPath),
    responses((status = 200, description = "The links, revoked ones included.", body = ShareLinks)))]
fn shares() {}

/// Create a share link
///
/// A read-only link to some candidates' interviews for people without an account.
#[utoipa::path(post, path = "/positions/{id}/share-links", tag = "review", params(PositionPath),
    request_body = NewShare,
    responses((status = 201, description = "The link; `url` is shown only now.", body = NewShareLink)))]
fn create_share() {}

/// Revoke a share link
#[utoipa::path(post, path = "/share-links/{id}/revoke", tag = "review", params(SharePath),
    responses((status = 200, description = "Revoked.", body = ShareLinkView)))]
fn revoke_share() {}

/// List a share link's views
#[utoipa::path(get, path = "/share-links/{id}/views", tag = "review", params(SharePath),
    responses((status = 200, description = "The link and who opened it.", body = ShareViews)))]
fn share_views() {}

/// Get the review settings
#[utoipa::path(get, path = "/review-settings", tag = "review",
    responses((status = 200, description = "The organisation's review settings.", body = ReviewSettings)))]
fn settings() {}

/// Change the review settings
///
/// Administrators only.
#[utoipa::path(put, path = "/review-settings", tag = "review", request_body = ReviewSettings,
    responses((status = 200, description = "The settings as saved.", body = ReviewSettings)))]
fn put_settings() {}
