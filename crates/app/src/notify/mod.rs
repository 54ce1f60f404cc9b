//! Notifications to recruiters: per-user preferences (immediately, daily or weekly digest, off;
//! at a local time in the user's time zone), followers of positions, one-click unsubscribe, and
//! the jobs that e-mail completions, digests and delivery failures.

pub mod digest;
pub mod jobs;
pub mod push;
pub mod schedule;
pub mod sink;
pub mod token;
pub mod unfinished;

use crate::AppError;
use crate::clock::Clock;
use crate::error::FieldError;
use crate::links::LinkSigner;
use crate::recruiting::Actor;
use chrono::NaiveTime;
use chrono_tz::Tz;
use shortlist_domain::{OrgId, PositionId, UserId};
use shortlist_store::Db;
use shortlist_store::notify::{self as store, PrefsRow};
use std::sync::Arc;

/// What a user can switch off with one click.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Completions,
    PriorInvites,
    EmailFailed,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Completions => "completions",
            Kind::PriorInvites => "prior_invites",
            Kind::EmailFailed => "email_failed",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        [Kind::Completions, Kind::PriorInvites, Kind::EmailFailed]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    pub fn describe(self) -> &'static str {
        match self {
            Kind::Completions => "completed interviews",
            Kind::PriorInvites => "candidates invited to other interviews before",
            Kind::EmailFailed => "invitation e-mails that could not be delivered",
        }
    }
}

pub const FREQUENCIES: [&str; 4] = ["immediate", "daily", "weekly", "off"];

/// A user's preferences, parsed. Users without a saved row get [`Prefs::default_for`].
#[derive(Debug, Clone)]
pub struct Prefs {
    pub completions: String,
    /// 0 = Monday … 6 = Sunday.
    pub weekday: i32,
    pub local_time: NaiveTime,
    pub time_zone: Tz,
    pub send_empty: bool,
    pub prior_invites: bool,
    pub email_failed: bool,
    /// Event kinds also pushed to the user's browsers (`completed`, `email_failed`).
    pub push_kinds: Vec<String>,
}

impl Prefs {
    fn default_for(time_zone: &str) -> Prefs {
        Prefs {
            completions: "immediate".into(),
            weekday: 0,
            local_time: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default(),
            time_zone: time_zone.parse().unwrap_or(Tz::UTC),
            send_empty: false,
            prior_invites: true,
            email_failed: true,
            push_kinds: vec![],
        }
    }

    pub fn from_row(r: &PrefsRow) -> Prefs {
        Prefs {
            completions: r.completions.clone(),
            weekday: r.weekday,
            local_time: NaiveTime::parse_from_str(&r.local_time, "%H:%M").unwrap_or_default(),
            time_zone: r.time_zone.parse().unwrap_or(Tz::UTC),
            send_empty: r.send_empty,
            prior_invites: r.prior_invites,
            email_failed: r.email_failed,
            push_kinds: r
                .push_kinds
                .split(',')
                .filter(|k| push::PUSH_EVENTS.contains(k))
                .map(str::to_string)
                .collect(),
        }
    }

    pub fn wants(&self, kind: Kind) -> bool {
        match kind {
            Kind::Completions => self.completions != "off",
            Kind::PriorInvites => self.prior_invites,
            Kind::EmailFailed => self.email_failed,
        }
    }
}

/// The preferences form as typed.
#[derive(Debug, Clone, Default)]
pub struct PrefsInput {
    pub completions: String,
    pub weekday: String,
    pub local_time: String,
    pub time_zone: String,
    pub send_empty: bool,
    pub prior_invites: bool,
    pub email_failed: bool,
    pub push_kinds: Vec<String>,
}

fn parse_input(i: &PrefsInput) -> Result<Prefs, AppError> {
    let mut errs = vec![];
    let mut err = |field: &str, message: &str| {
        errs.push(FieldError {
            field: field.into(),
            message: message.into(),
        })
    };
    let completions = i.completions.trim();
    if !FREQUENCIES.contains(&completions) {
        err("completions", "choose immediately, daily, weekly or off");
    }
    let weekday = match i.weekday.trim().parse::<i32>() {
        Ok(d) if (0..=6).contains(&d) => d,
        _ => {
            err("weekday", "choose a day of the week");
            0
        }
    };
    let local_time = NaiveTime::parse_from_str(i.local_time.trim(), "%H:%M").unwrap_or_else(|_| {
        err("local_time", "a time of day like 08:00");
        NaiveTime::default()
    });
    let time_zone = i.time_zone.trim().parse::<Tz>().unwrap_or_else(|_| {
        err("time_zone", "an IANA time zone such as Europe/Berlin");
        Tz::UTC
    });
    if !errs.is_empty() {
        return Err(AppError::Validation { fields: errs });
    }
    Ok(Prefs {
        completions: completions.to_string(),
        weekday,
        local_time,
        time_zone,
        send_empty: i.send_empty,
        prior_invites: i.prior_invites,
        email_failed: i.email_failed,
        push_kinds: i
            .push_kinds
            .iter()
            .filter(|k| push::PUSH_EVENTS.contains(&k.as_str()))
            .cloned()
            .collect(),
    })
}

/// The notification service.
#[derive(Clone)]
pub struct Notifier {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub links: LinkSigner,
    key: Arc<Vec<u8>>,
    /// What push endpoints must pass (at subscribe time and before each push): public https
    /// addresses, plus the ranges the operator allowed (tests, intranet push services).
    pub push_guard: crate::outbound::Guard,
    /// The installation's VAPID key, loaded (or made) at start.
    pub vapid: Option<Arc<push::VapidKey>>,
}

fn user_of(a: &Actor) -> Result<&UserId, AppError> {
    a.user_id
        .as_ref()
        .ok_or_else(|| AppError::Forbidden("notification settings belong to a user".into()))
}

impl Notifier {
    pub fn new(db: Db, clock: Arc<dyn Clock>, links: LinkSigner, secret_key: &[u8]) -> Notifier {
        Notifier {
            db,
            clock,
            links,
            key: Arc::new(secret_key.to_vec()),
            push_guard: crate::outbound::Guard::new(vec![]),
            vapid: None,
        }
    }

    pub async fn prefs_of(&self, org: &OrgId, user: &UserId) -> Result<Prefs, AppError> {
        if let Some(r) = store::prefs(&self.db, org, user).await? {
            return Ok(Prefs::from_row(&r));
        }
        let tz = shortlist_store::users::get(&self.db, org, user)
            .await?
            .map(|u| u.time_zone)
            .unwrap_or_default();
        Ok(Prefs::default_for(&tz))
    }

    pub async fn my_prefs(&self, a: &Actor) -> Result<Prefs, AppError> {
        self.prefs_of(&a.org_id, user_of(a)?).await
    }

    /// Saves the signed-in user's preferences. Digests count from now: choosing a daily digest at
    /// 09:00 sends the first one at the next 09:00, not yesterday's at once.
    pub async fn save(&self, a: &Actor, input: &PrefsInput) -> Result<Prefs, AppError> {
        let user = user_of(a)?;
        let p = parse_input(input)?;
        self.write(&a.org_id, user, &p).await?;
        Ok(p)
    }

    async fn write(&self, org: &OrgId, user: &UserId, p: &Prefs) -> Result<(), AppError> {
        let now = self.clock.now();
        let row = PrefsRow {
            org_id: org.to_string(),
            user_id: user.to_string(),
            completions: p.completions.clone(),
            weekday: p.weekday,
            local_time: p.local_time.format("%H:%M").to_string(),
            time_zone: p.time_zone.name().to_string(),
            send_empty: p.send_empty,
            prior_invites: p.prior_invites,
            email_failed: p.email_failed,
            push_kinds: p.push_kinds.join(","),
            effective_from: now,
            updated_at: now,
        };
        store::put_prefs(&self.db, &row).await?;
        Ok(())
    }

    pub async fn followed(&self, a: &Actor) -> Result<Vec<String>, AppError> {
        Ok(store::followed(&self.db, &a.org_id, user_of(a)?).await?)
    }

    pub async fn set_following(&self, a: &Actor, position: &PositionId, follow: bool) -> Result<(), AppError> {
        let user = user_of(a)?;
        shortlist_store::positions::get(&self.db, &a.org_id, position)
            .await?
            .ok_or(AppError::NotFound)?;
        if follow {
            store::follow(&self.db, &a.org_id, position.as_str(), user).await?;
        } else {
            store::unfollow(&self.db, &a.org_id, position.as_str(), user).await?;
        }
        Ok(())
    }

    /// Registers this browser's push subscription for the signed-in user.
    pub async fn subscribe(&self, a: &Actor, endpoint: &str, p256dh: &str, auth: &str) -> Result<(), AppError> {
        let user = user_of(a)?;
        push::check_subscription(&self.push_guard, endpoint, p256dh, auth)
            .await
            .map_err(|(field, why)| AppError::field(field, why))?;
        store::add_subscription(&self.db, &a.org_id, user, endpoint, p256dh, auth).await?;
        Ok(())
    }

    pub async fn unsubscribe_push(&self, a: &Actor, endpoint: &str) -> Result<(), AppError> {
        let user = user_of(a)?;
        if store::remove_subscription(&self.db, &a.org_id, user, endpoint).await? {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }

    pub fn prefs_url(&self) -> String {
        format!("{}/settings/notifications", self.links.public_url())
    }

    pub fn unsubscribe_url(&self, org: &str, user: &str, kind: Kind) -> String {
        let t = token::Unsubscribe {
            org: org.into(),
            user: user.into(),
            kind: kind.as_str().into(),
        };
        format!(
            "{}/notifications/unsubscribe/{}",
            self.links.public_url(),
            token::sign(&self.key, &t)
        )
    }

    /// What an unsubscribe link would switch off, without doing it (the page asks first).
    pub fn read_unsubscribe(&self, raw: &str) -> Result<Kind, AppError> {
        token::verify(&self.key, raw)
            .and_then(|t| Kind::parse(&t.kind))
            .ok_or(AppError::NotFound)
    }

    /// Switches one kind off for the user named in a signed link.
    pub async fn unsubscribe(&self, raw: &str) -> Result<Kind, AppError> {
        let t = token::verify(&self.key, raw).ok_or(AppError::NotFound)?;
        let kind = Kind::parse(&t.kind).ok_or(AppError::NotFound)?;
        let (Ok(org), Ok(user)) = (OrgId::parse(&t.org), UserId::parse(&t.user)) else {
            return Err(AppError::NotFound);
        };
        let mut p = self.prefs_of(&org, &user).await?;
        match kind {
            Kind::Completions => p.completions = "off".into(),
            Kind::PriorInvites => p.prior_invites = false,
            Kind::EmailFailed => p.email_failed = false,
        }
        self.write(&org, &user, &p).await?;
        Ok(kind)
    }

    /// The footer every notification e-mail ends with.
    pub fn footer(&self, org: &str, user: &str, kind: Kind) -> String {
        format!(
            "\n-- \nNotification settings: {}\nStop e-mails about {}: {}\n",
            self.prefs_url(),
            kind.describe(),
            self.unsubscribe_url(org, user, kind)
        )
    }
}
