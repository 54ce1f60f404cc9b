//! Organisations, users, sign-in, sessions and passwords.

use crate::error::AppError;
use crate::jobs::SendEmail;
use crate::mailer::OutgoingEmail;
use crate::passwords::{self, PasswordHasher};
use crate::tokens;
use chrono::{DateTime, TimeDelta, Utc};
use shortlist_domain::{Email, OrgId, Role, Slug, UserId};
use shortlist_store::Db;
use shortlist_store::jobs::{self as jobq, NewJob};
use shortlist_store::orgs::{self, OrgRow};
use shortlist_store::sessions::{self, SessionRow};
use shortlist_store::users::{self, NewUser};

/// The signed-in user behind a request.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub org_id: OrgId,
    pub org_name: String,
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub csrf_token: String,
    pub session_hash: String,
}

/// A session just created: the token goes into the cookie and is never stored.
#[derive(Debug)]
pub struct NewSession {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Clone)]
pub struct Accounts {
    db: Db,
    hasher: PasswordHasher,
    session_ttl: TimeDelta,
    /// Verified against when the e-mail is unknown, so a wrong e-mail costs as long as a wrong
    /// password and response times do not reveal which accounts exist.
    dummy_hash: String,
}

impl Accounts {
    pub async fn new(db: Db, hasher: PasswordHasher) -> anyhow::Result<Self> {
        let dummy_hash = hasher.hash(&tokens::generate("dummy")).await?;
        Ok(Self {
            db,
            hasher,
            session_ttl: TimeDelta::days(7),
            dummy_hash,
        })
    }

    pub async fn create_org(&self, name: &str, slug: Option<&str>, sandbox: bool) -> Result<OrgRow, AppError> {
        let name = name.trim();
        if name.is_empty() || name.len() > 200 {
            return Err(AppError::field(
                "name",
                "give the organisation a name (at most 200 characters)",
            ));
        }
        let slug = match slug {
            Some(s) => Slug::parse(s),
            None => Slug::from_name(name),
        }
        .map_err(|e| AppError::field("slug", e.0))?;
        orgs::create(&self.db, &slug, name, sandbox)
            .await?
            .ok_or_else(|| AppError::Conflict {
                code: "org_slug_taken",
                message: format!("an organisation with slug '{slug}' already exists"),
            })
    }

    /// Creates a user. Without a password one is generated and returned, to hand over once.
    pub async fn create_user(
        &self,
        org: &OrgId,
        email: &str,
        name: &str,
        role: Role,
        password: Option<&str>,
    ) -> Result<(UserId, Option<String>), AppError> {
        let email = Email::parse(email).map_err(|e| AppError::field("email", e.0))?;
        let name = name.trim();
        if name.is_empty() || name.len() > 200 {
            return Err(AppError::field("name", "give the user a name (at most 200 characters)"));
        }
        let generated = password.is_none().then(tokens::readable_password);
        let password = password.or(generated.as_deref()).unwrap_or_default();
        passwords::check_policy(password, &[email.as_str(), name]).map_err(|m| AppError::field("password", m))?;
        let hash = self.hasher.hash(password).await?;
        let new = NewUser {
            email: &email,
            name,
            role,
            password_hash: &hash,
        };
        let id = users::create(&self.db, org, new)
            .await?
            .ok_or_else(|| AppError::Conflict {
                code: "email_taken",
                message: format!("a user with e-mail {email} already exists"),
            })?;
        Ok((id, generated))
    }

    /// Checks e-mail and password and opens a session. Every failure is the same `Unauthorized`.
    pub async fn login(&self, email: &str, password: &str) -> Result<NewSession, AppError> {
        let user = match Email::parse(email) {
            Ok(e) => users::find_for_login(&self.db, &e).await?,
            Err(_) => None,
        };
        let hash = user
            .as_ref()
            .map_or(self.dummy_hash.as_str(), |u| u.password_hash.as_str());
        let ok = self.hasher.verify(password, hash).await?;
        let user = match user {
            Some(u) if ok && u.disabled_at.is_none() => u,
            _ => return Err(AppError::Unauthorized),
        };
        let token = tokens::generate("sess");
        let now = shortlist_store::now();
        let expires_at = now + self.session_ttl;
        let row = SessionRow {
            token_hash: tokens::hash(&token),
            org_id: user.org_id,
            user_id: user.id,
            csrf_token: tokens::generate("csrf"),
            created_at: now,
            last_seen_at: now,
            expires_at,
        };
        sessions::create(&self.db, &row).await?;
        Ok(NewSession { token, expires_at })
    }

    /// The user behind a session cookie, if the session is live and the user still enabled.
    /// Activity slides the expiry forward (written at most once a minute).
    pub async fn session(&self, token: &str) -> Result<Option<CurrentUser>, AppError> {
        let now = shortlist_store::now();
        let hash = tokens::hash(token);
        let Some(s) = sessions::find_live(&self.db, &hash, now).await? else {
            return Ok(None);
        };
        let (Ok(org_id), Ok(user_id)) = (OrgId::parse(&s.org_id), UserId::parse(&s.user_id)) else {
            return Ok(None);
        };
        let Some(user) = users::get(&self.db, &org_id, &user_id).await? else {
            return Ok(None);
        };
        if user.disabled_at.is_some() {
            return Ok(None);
        }
        let Some(org) = orgs::get(&self.db, &org_id).await? else {
            return Ok(None);
        };
        if now - s.last_seen_at > TimeDelta::minutes(1) {
            sessions::touch(&self.db, &hash, now, now + self.session_ttl).await?;
        }
        let role = Role::parse(&user.role).map_err(|e| anyhow::anyhow!("stored role: {e}"))?;
        Ok(Some(CurrentUser {
            org_id,
            org_name: org.name,
            user_id,
            email: user.email,
            name: user.name,
            role,
            csrf_token: s.csrf_token,
            session_hash: hash,
        }))
    }

    pub async fn logout(&self, token: &str) -> Result<(), AppError> {
        sessions::delete(&self.db, &tokens::hash(token)).await?;
        Ok(())
    }

    /// Changes the password after checking the current one, ends the user's other sessions and
    /// (in the same transaction) queues a notice to the account's address.
    pub async fn change_password(
        &self,
        who: &CurrentUser,
        current: &str,
        new: &str,
        confirm: &str,
    ) -> Result<passwords::Strength, AppError> {
        let user = users::get(&self.db, &who.org_id, &who.user_id)
            .await?
            .ok_or(AppError::Unauthorized)?;
        if !self.hasher.verify(current, &user.password_hash).await? {
            return Err(AppError::field(
                "current_password",
                "the current password is not correct",
            ));
        }
        let strength = passwords::check_policy(new, &[user.email.as_str(), user.name.as_str()])
            .map_err(|m| AppError::field("new_password", m))?;
        if new != confirm {
            return Err(AppError::field("confirm_password", "the two new passwords differ"));
        }
        if new == current {
            return Err(AppError::field(
                "new_password",
                "choose a password different from the current one",
            ));
        }
        let hash = self.hasher.hash(new).await?;
        let mut tx = self.db.begin().await?;
        users::set_password_hash_tx(&mut tx, &who.org_id, &who.user_id, &hash).await?;
        jobq::enqueue(&mut tx, &password_changed_mail(&who.org_id, &user.email, &user.name)).await?;
        tx.commit().await?;
        sessions::delete_for_user(&self.db, &who.org_id, &who.user_id, Some(&who.session_hash)).await?;
        Ok(strength)
    }

    /// Operator reset (CLI): sets a new generated password, ends all sessions, returns it.
    pub async fn reset_password(&self, email: &str) -> Result<String, AppError> {
        let email = Email::parse(email).map_err(|e| AppError::field("email", e.0))?;
        let user = users::find_for_login(&self.db, &email)
            .await?
            .ok_or(AppError::NotFound)?;
        let org = OrgId::parse(&user.org_id).map_err(|e| anyhow::anyhow!("stored org id: {e}"))?;
        let uid = UserId::parse(&user.id).map_err(|e| anyhow::anyhow!("stored user id: {e}"))?;
        let password = tokens::readable_password();
        let hash = self.hasher.hash(&password).await?;
        let mut tx = self.db.begin().await?;
        users::set_password_hash_tx(&mut tx, &org, &uid, &hash).await?;
        jobq::enqueue(&mut tx, &password_changed_mail(&org, &user.email, &user.name)).await?;
        tx.commit().await?;
        sessions::delete_for_user(&self.db, &org, &uid, None).await?;
        Ok(password)
    }
}

fn password_changed_mail(org: &OrgId, to: &str, name: &str) -> NewJob {
    let dedup_id = uuid::Uuid::now_v7().simple().to_string();
    let mail = OutgoingEmail {
        to: to.to_string(),
        subject: "Your Shortlist password was changed".to_string(),
        text: format!(
            "Hello {name},\n\nThe password of your Shortlist account ({to}) was just changed.\n\
             If you did not do this, contact your organisation's administrator at once.\n"
        ),
        dedup_id: dedup_id.clone(),
        html: None,
        reply_to: None,
    };
    let payload = serde_json::to_value(&mail).unwrap_or_default();
    NewJob::new(SendEmail::KIND, payload)
        .for_org(org)
        .unique(format!("password-changed/{dedup_id}"))
}
