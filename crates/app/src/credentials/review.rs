//! Reviewing partners from the operators' admin page: the lifecycle steps an operator may take
//! from each status (each with a note that lands in the audit trail), the whole policy including
//! the organisations served, and registration recorded under the operator's name. The CLI keeps
//! its freer `set_partner_status`; the page offers only the steps below.

use super::admin::{IssuedPartner, NewPartner};
use super::policy::{Scopes, parse_cidrs};
use super::{Credentials, PartnerView};
use crate::AppError;
use shortlist_domain::OrgId;
use shortlist_store::credentials::{self as store, PolicyChange};
use shortlist_store::orgs;

/// Largest rate or burst an operator may set (the CLI clamps to the same bound).
pub const MAX_RATE: u32 = 100_000;
const MAX_NOTE: usize = 1000;

/// A step of the lifecycle as offered to an operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub to: &'static str,
    pub label: &'static str,
}

/// Where a partner may go next: sandbox → in_review → live, back a step while in review,
/// suspension from anywhere, and reinstatement to where it was before (`reinstate`).
pub fn next_steps(status: &str) -> Vec<Step> {
    let step = |to, label| Step { to, label };
    match status {
        "sandbox" => vec![step("in_review", "Start review"), step("suspended", "Suspend")],
        "in_review" => vec![
            step("live", "Promote to live"),
            step("sandbox", "Back to sandbox"),
            step("suspended", "Suspend"),
        ],
        "live" => vec![step("suspended", "Suspend")],
        "suspended" => vec![step("reinstate", "Reinstate")],
        _ => vec![],
    }
}

/// An organisation a partner may be allowed to serve.
#[derive(Debug, Clone)]
pub struct OrgChoice {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub is_sandbox: bool,
}

/// The policy form: everything an operator sets at once.
pub struct PolicyInput<'a> {
    pub scopes: &'a str,
    pub rate_per_sec: u32,
    pub burst: u32,
    pub ip_allow: &'a str,
    pub orgs: &'a [String],
}

impl Credentials {
    /// Every organisation of the installation (partners are installation-wide).
    pub async fn org_choices(&self) -> Result<Vec<OrgChoice>, AppError> {
        Ok(orgs::list(&self.db)
            .await?
            .into_iter()
            .map(|o| OrgChoice {
                id: o.id,
                slug: o.slug,
                name: o.name,
                is_sandbox: o.is_sandbox,
            })
            .collect())
    }

    pub async fn partner_view(&self, id: &str) -> Result<PartnerView, AppError> {
        let p = store::partner(&self.db, id).await?.ok_or(AppError::NotFound)?;
        let orgs = store::partner_orgs(&self.db, &p.id).await?;
        Ok(PartnerView::of(p, orgs))
    }

    /// Organisation ids from a form, each checked to exist; at least one.
    pub async fn served_orgs(&self, raw: &[String]) -> Result<Vec<OrgId>, AppError> {
        let mut out = Vec::new();
        for r in raw {
            let bad = || AppError::field("orgs", format!("unknown organisation {r}"));
            let id = OrgId::parse(r.trim()).map_err(|_| bad())?;
            orgs::get(&self.db, &id).await?.ok_or_else(bad)?;
            if !out.contains(&id) {
                out.push(id);
            }
        }
        if out.is_empty() {
            return Err(AppError::field(
                "orgs",
                "choose at least one organisation the partner may serve",
            ));
        }
        Ok(out)
    }

    /// Registers a partner with the operator named in its audit trail.
    pub async fn register_partner(&self, n: NewPartner<'_>, actor: &str) -> Result<IssuedPartner, AppError> {
        check_rate("rate", n.rate_per_sec)?;
        check_rate("burst", n.burst)?;
        if n.orgs.is_empty() {
            return Err(AppError::field(
                "orgs",
                "choose at least one organisation the partner may serve",
            ));
        }
        self.create_partner_by(n, actor).await
    }

    /// Takes one of [`next_steps`] with the operator's note; refuses a step the partner's
    /// current status does not offer (409 `invalid_transition`), e.g. after another operator
    /// acted first.
    pub async fn review_partner(&self, id: &str, to: &str, actor: &str, note: &str) -> Result<String, AppError> {
        let note = note.trim();
        if note.is_empty() || note.chars().count() > MAX_NOTE {
            return Err(AppError::field(
                "note",
                format!("say why, for the audit trail (at most {MAX_NOTE} characters)"),
            ));
        }
        let p = store::partner(&self.db, id).await?.ok_or(AppError::NotFound)?;
        let invalid = || AppError::Conflict {
            code: "invalid_transition",
            message: format!("a {} partner cannot go to {to}; reload the page", p.status),
        };
        if !next_steps(&p.status).iter().any(|s| s.to == to) {
            return Err(invalid());
        }
        let target = if to == "reinstate" {
            self.status_before_suspension(id).await?
        } else {
            to.to_string()
        };
        if !store::set_status_noted(&self.db, id, &p.status, &target, actor, note).await? {
            return Err(invalid());
        }
        Ok(target)
    }

    /// The status a suspended partner had when it was suspended (sandbox if unknown).
    async fn status_before_suspension(&self, id: &str) -> Result<String, AppError> {
        let rows = store::audit_rows(&self.db, id).await?;
        Ok(rows
            .iter()
            .rev()
            .find(|a| a.action == "status" && a.to_status.as_deref() == Some("suspended"))
            .and_then(|a| a.from_status.clone())
            .filter(|s| s != "suspended")
            .unwrap_or_else(|| "sandbox".into()))
    }

    /// Scopes, rate, burst, IP allow-list and organisations, validated field by field.
    pub async fn set_partner_policy_as(&self, id: &str, p: PolicyInput<'_>, actor: &str) -> Result<(), AppError> {
        let mut errors = Vec::new();
        let scopes = Scopes::parse(p.scopes).map_err(|m| errors.push(("scopes", m))).ok();
        let ips = parse_cidrs(p.ip_allow).map_err(|m| errors.push(("ip_allow", m))).ok();
        for (field, n) in [("rate", p.rate_per_sec), ("burst", p.burst)] {
            if let Err(AppError::Validation { fields }) = check_rate(field, Some(n)) {
                errors.extend(fields.into_iter().map(|f| (field, f.message)));
            }
        }
        let orgs = match self.served_orgs(p.orgs).await {
            Ok(o) => Some(o),
            Err(AppError::Validation { fields }) => {
                errors.extend(fields.into_iter().map(|f| ("orgs", f.message)));
                None
            }
            Err(e) => return Err(e),
        };
        let (Some(scopes), Some(ips), Some(orgs), true) = (scopes, ips, orgs, errors.is_empty()) else {
            return Err(AppError::Validation {
                fields: errors
                    .into_iter()
                    .map(|(field, message)| crate::error::FieldError {
                        field: field.into(),
                        message,
                    })
                    .collect(),
            });
        };
        let ips = ips.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ");
        let scopes = scopes.as_string();
        let org_list = orgs.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ");
        let detail = format!(
            "scopes={scopes} rate={}/s burst={} ip_allow={ips} orgs={org_list}",
            p.rate_per_sec, p.burst
        );
        let change = PolicyChange {
            scopes: &scopes,
            rate_per_sec: to_i32(p.rate_per_sec),
            rate_burst: to_i32(p.burst),
            ip_allow: &ips,
            orgs: &orgs,
            actor,
            detail: &detail,
        };
        if store::set_policy_and_orgs(&self.db, id, &change).await? {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }
}

fn check_rate(field: &str, n: Option<u32>) -> Result<(), AppError> {
    match n {
        Some(n) if n == 0 || n > MAX_RATE => {
            Err(AppError::field(field, format!("a whole number from 1 to {MAX_RATE}")))
        }
        _ => Ok(()),
    }
}

fn to_i32(n: u32) -> i32 {
    i32::try_from(n.clamp(1, MAX_RATE)).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(status: &str) -> Vec<&'static str> {
        next_steps(status).into_iter().map(|s| s.to).collect()
    }

    #[test]
    fn the_lifecycle_goes_one_step_at_a_time_and_suspension_is_always_possible() {
        assert_eq!(targets("sandbox"), ["in_review", "suspended"]);
        assert_eq!(targets("in_review"), ["live", "sandbox", "suspended"]);
        assert_eq!(targets("live"), ["suspended"]);
        assert_eq!(targets("suspended"), ["reinstate"]);
        assert!(targets("unknown").is_empty());
    }

    #[test]
    fn rates_outside_the_bounds_are_field_errors() {
        assert!(check_rate("rate", None).is_ok());
        assert!(check_rate("rate", Some(MAX_RATE)).is_ok());
        for bad in [0, MAX_RATE + 1] {
            match check_rate("burst", Some(bad)) {
                Err(AppError::Validation { fields }) => assert_eq!(fields[0].field, "burst"),
                other => panic!("{other:?}"),
            }
        }
    }
}
