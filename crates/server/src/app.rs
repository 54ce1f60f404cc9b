//! The composition root: the one place where the database, storage, mailer, services, job
//! handlers and routers are wired together. `main` and every test call [`App::build`].

use crate::config::{CommonArgs, ServeArgs};
use anyhow::Context;
use shortlist_app::accounts::Accounts;
use shortlist_app::clock::{Clock, SystemClock};
use shortlist_app::connectors::greenhouse::Greenhouse;
use shortlist_app::connectors::icims::Icims;
use shortlist_app::connectors::workable::Workable;
use shortlist_app::connectors::{self, Shared};
use shortlist_app::events::Dispatcher;
use shortlist_app::interview::Interviews;
use shortlist_app::jobs::housekeeping;
use shortlist_app::jobs::{DiagMarker, Registry, SendEmail, Worker, WorkerConfig};
use shortlist_app::links::LinkSigner;
use shortlist_app::mailer::{LettreMailer, Mailer};
use shortlist_app::notify::{self, Notifier};
use shortlist_app::outbound::{Clients, Guard, Outbound};
use shortlist_app::passwords::PasswordHasher;
use shortlist_app::recruiting::Recruiting;
use shortlist_app::recruiting::jobs::{ExpireInvitation, InvitationMail, PriorInvitationNotice};
use shortlist_app::uploads::{ExpireUpload, Uploads};
use shortlist_store::{Db, MediaStore};
use shortlist_web::{LoginLimits, WebState};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

#[derive(Clone)]
pub struct App {
    pub db: Db,
    pub media: MediaStore,
    pub accounts: Accounts,
    pub recruiting: Recruiting,
    pub interviews: Interviews,
    /// The iCIMS connector: connections, inbound events, client.
    pub icims: Icims,
    pub greenhouse: Greenhouse,
    pub workable: Workable,
    /// What every ATS connector shares, and the connectors this build registers.
    pub ats: Shared,
    pub ats_registry: connectors::Registry,
    /// Candidates' resumable uploads; benchmarks raise `uploads.limits` before `web_state`.
    pub uploads: Uploads,
    pub clock: Arc<dyn Clock>,
    pub mailer: Arc<dyn Mailer>,
    pub registry: Arc<Registry>,
    /// Recruiters' notification preferences, digests and unsubscribe links.
    pub notifier: Notifier,
    /// Poked after local enqueues so an idle worker in this process starts at once.
    pub wake: Arc<Notify>,
    /// Partner credentials, organisation API keys and personal access tokens.
    pub credentials: shortlist_app::credentials::Credentials,
    /// Seals the answers kept for Idempotency-Key replays (some carry secrets shown once).
    pub idempotency_sealer: shortlist_app::secrets::Sealer,
    /// Outbound webhooks (endpoints, delivery log); the settings page and API share it.
    pub webhooks: shortlist_app::webhooks::Webhooks,
    /// SHORTLIST_TRUSTED_PROXIES, parsed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Whether the disk is full (readiness, metrics) and the operators' notice.
    pub storage: shortlist_app::storage::StorageWatch,
}

impl App {
    /// Connects, migrates and wires everything. Errors name the setting at fault.
    pub async fn build(common: &CommonArgs, serve: &ServeArgs) -> anyhow::Result<App> {
        Self::build_with_clock(common, serve, Arc::new(SystemClock)).await
    }

    /// Tests pass a clock they can move (reminders, expiry).
    pub async fn build_with_clock(
        common: &CommonArgs,
        serve: &ServeArgs,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<App> {
        let db = connect(common).await?;
        let media = MediaStore::from_url(&common.storage_url()?)?;
        let mailer: Arc<dyn Mailer> = match &serve.smtp_url {
            Some(url) => Arc::new(LettreMailer::smtp(url, &serve.smtp_from)?),
            None => Arc::new(LettreMailer::files(common.data_dir.join("mail"), &serve.smtp_from)?),
        };
        let hasher = PasswordHasher::with_cost(common.argon2_m_kib, 2);
        let accounts = Accounts::new(db.clone(), hasher).await?;
        let links = LinkSigner::new(&common.secret_key()?, &serve.public_url());
        let vapid = Arc::new(notify::push::VapidKey::load_or_create(&db, &common.secret_key()?).await?);
        // One guard for every URL an organisation or a browser can make us call.
        let guard = Guard::new(outbound_ranges(serve)?);
        let mut notifier = Notifier::new(db.clone(), clock.clone(), links.clone(), &common.secret_key()?);
        notifier.push_guard = match serve.allow_private_push_endpoints {
            // The older, broader push opt-in: every address.
            true => guard.allowing(&Guard::everything()),
            false => guard.clone(),
        };
        notifier.vapid = Some(vapid.clone());
        let recruiting = Recruiting {
            db: db.clone(),
            clock: clock.clone(),
            links,
            media: media.clone(),
        };
        let uploads = Uploads::new(db.clone(), media.clone(), clock.clone());
        let trusted_proxies = shortlist_app::credentials::policy::parse_cidrs(&serve.trusted_proxies)
            .map_err(|e| anyhow::anyhow!("SHORTLIST_TRUSTED_PROXIES: {e}"))?;
        let webhooks = shortlist_app::webhooks::Webhooks::new(recruiting.clone(), &common.secret_key()?, guard.clone());
        // The ATS connectors: one shared core, each connector built once, one line per ATS.
        let ats = Shared::new(db.clone(), recruiting.clone(), guard.clone());
        let icims = Icims::new(ats.clone(), &common.secret_key()?);
        let greenhouse = Greenhouse::new(ats.clone(), recruiting.links.clone(), &common.secret_key()?);
        let workable = Workable::new(ats.clone(), &common.secret_key()?);
        let ats_registry = connectors::Registry::new(vec![
            Arc::new(icims.clone()),
            Arc::new(greenhouse.clone()),
            Arc::new(workable.clone()),
        ]);
        let registry = Registry::default()
            .with(Arc::new(SendEmail { mailer: mailer.clone() }))
            .with(Arc::new(DiagMarker { media: media.clone() }))
            .with(Arc::new(ExpireUpload {
                uploads: uploads.clone(),
            }))
            .with(Arc::new(shortlist_app::uploads::SweepStaging {
                uploads: uploads.clone(),
                clock: clock.clone(),
            }))
            .with(Arc::new(shortlist_app::uploads::ProbeMedia::new(
                db.clone(),
                media.clone(),
                serve.media_tools_dir.clone(),
            )))
            .with(Arc::new(InvitationMail {
                recruiting: recruiting.clone(),
                mailer: mailer.clone(),
            }))
            .with(Arc::new(ExpireInvitation {
                recruiting: recruiting.clone(),
            }))
            .with(Arc::new(PriorInvitationNotice {
                recruiting: recruiting.clone(),
                mailer: mailer.clone(),
                notifier: notifier.clone(),
            }))
            .with(Arc::new(notify::jobs::CompletedNotice {
                notifier: notifier.clone(),
                mailer: mailer.clone(),
            }))
            .with(Arc::new(notify::jobs::EmailFailedNotice {
                notifier: notifier.clone(),
                mailer: mailer.clone(),
            }))
            .with(Arc::new(notify::sink::NotifyEmail { mailer: mailer.clone() }))
            .with(Arc::new(notify::unfinished::UnfinishedReminder {
                notifier: notifier.clone(),
                mailer: mailer.clone(),
            }))
            .with(Arc::new(notify::push::PushSender {
                notifier: notifier.clone(),
                key: vapid.clone(),
                outbound: Outbound::new(notifier.push_guard.clone(), notify::push::PROFILE),
                contact: serve.push_contact.clone(),
            }))
            .with(Arc::new(notify::digest::DigestScan {
                notifier: notifier.clone(),
            }))
            .with(Arc::new(housekeeping::Housekeeping {
                db: db.clone(),
                clock: clock.clone(),
                retention: retention(serve),
            }))
            // Consumers of invitation events (ATS write-back, notifications, webhooks) are
            // listed here as they arrive.
            .with(Arc::new(connectors::writeback::Writeback {
                shared: ats.clone(),
                registry: ats_registry.clone(),
                links: recruiting.links.clone(),
                clock: clock.clone(),
            }))
            .with(Arc::new(shortlist_app::webhooks::deliver::DeliverWebhook {
                webhooks: webhooks.clone(),
                clients: Clients::new(shortlist_app::webhooks::deliver::PROFILE),
            }))
            .with(Arc::new(Dispatcher {
                db: db.clone(),
                sinks: vec![
                    Arc::new(notify::sink::NotifySink {
                        notifier: notifier.clone(),
                    }),
                    Arc::new(notify::unfinished::UnfinishedSink),
                    Arc::new(connectors::writeback::WritebackSink {
                        shared: ats.clone(),
                        registry: ats_registry.clone(),
                    }),
                    Arc::new(shortlist_app::webhooks::sink::WebhookSink { db: db.clone() }),
                ],
            }));
        let interviews = Interviews {
            recruiting: recruiting.clone(),
            media: media.clone(),
        };
        let wake = Arc::new(Notify::new());
        let mut credentials = shortlist_app::credentials::Credentials::new(db.clone(), clock.clone());
        credentials.key_policy = (serve.api_key_rate.max(1), serve.api_key_burst.max(1));
        // The digest scheduler is a job chain; this starts it on a fresh database.
        notify::digest::start(&db, clock.now()).await?;
        housekeeping::start(&db, clock.now()).await?;
        shortlist_app::uploads::start_sweep(&db, clock.now()).await?;
        let storage = shortlist_app::storage::StorageWatch::new(
            db.clone(),
            media.clone(),
            clock.clone(),
            common.data_dir.clone(),
            serve.operator_emails.iter().map(|e| e.trim().to_lowercase()).collect(),
        );
        Ok(App {
            db,
            media,
            accounts,
            recruiting,
            interviews,
            icims,
            greenhouse,
            workable,
            ats,
            ats_registry,
            uploads,
            clock,
            mailer,
            registry: Arc::new(registry),
            wake,
            notifier,
            credentials,
            webhooks,
            idempotency_sealer: shortlist_app::secrets::Sealer::new(&common.secret_key()?, "api/idempotent-answer"),
            trusted_proxies,
            storage,
        })
    }

    pub fn web_state(&self, serve: &ServeArgs, metrics: metrics_exporter_prometheus::PrometheusHandle) -> WebState {
        let public_url = serve.public_url();
        let public_origin = url::Url::parse(&public_url)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_else(|_| public_url.clone());
        WebState {
            db: self.db.clone(),
            accounts: self.accounts.clone(),
            recruiting: self.recruiting.clone(),
            interviews: self.interviews.clone(),
            icims: self.icims.clone(),
            greenhouse: self.greenhouse.clone(),
            workable: self.workable.clone(),
            ats: self.ats.clone(),
            ats_registry: self.ats_registry.clone(),
            review: shortlist_web::ReviewState::new(shortlist_app::review::Review::new(self.recruiting.clone())),
            notifier: self.notifier.clone(),
            uploads: self.uploads.clone(),
            wake: self.wake.clone(),
            metrics,
            limits: Arc::new(LoginLimits::new(
                serve.login_limit_per_ip,
                serve.login_limit_per_account,
            )),
            candidate_guesses: Arc::new(shortlist_web::GuessGuard::default()),
            credentials: self.credentials.clone(),
            webhooks: self.webhooks.clone(),
            idempotency_sealer: self.idempotency_sealer.clone(),
            trusted_proxies: Arc::new(self.trusted_proxies.clone()),
            api_limits: Arc::new(shortlist_web::ApiLimits::default()),
            secure_cookies: public_url.starts_with("https://"),
            metrics_access: Arc::new(shortlist_web::MetricsAccess {
                token: serve.metrics_token.clone().filter(|t| !t.is_empty()),
                on_main_listener: serve.metrics_listen.is_none(),
            }),
            operators: Arc::new(
                serve
                    .operator_emails
                    .iter()
                    .map(|e| e.trim().to_lowercase())
                    .filter(|e| !e.is_empty())
                    .collect(),
            ),
            public_origin,
            storage: self.storage.clone(),
        }
    }

    pub fn worker(&self, serve: &ServeArgs) -> Worker {
        let secs = |s: f64| Duration::from_secs_f64(s.max(0.05));
        let cfg = WorkerConfig {
            concurrency: serve.worker_concurrency.max(1),
            lease: secs(serve.job_lease_secs),
            poll: Duration::from_millis(serve.job_poll_ms.max(10)),
            shutdown_grace: secs(serve.shutdown_grace_secs),
            retry_base: secs(serve.job_retry_base_secs),
            retry_cap: Duration::from_secs(3600),
        };
        Worker::new(
            self.db.clone(),
            self.registry.clone(),
            cfg,
            self.wake.clone(),
            self.clock.clone(),
        )
    }
}

/// The retention windows of `serve`, for the housekeeping job.
/// The ranges outbound calls may reach although private: the new option's and the old name's.
fn outbound_ranges(serve: &ServeArgs) -> anyhow::Result<Vec<ipnet::IpNet>> {
    let parse = |raw: &str, name: &str| {
        shortlist_app::credentials::policy::parse_cidrs(raw).map_err(|e| anyhow::anyhow!("{name}: {e}"))
    };
    let mut all = parse(&serve.outbound_allow_private, "SHORTLIST_OUTBOUND_ALLOW_PRIVATE")?;
    all.extend(parse(&serve.webhook_allow_private, "SHORTLIST_WEBHOOK_ALLOW_PRIVATE")?);
    Ok(all)
}

fn retention(serve: &ServeArgs) -> housekeeping::Retention {
    let days = |d: u32| chrono::TimeDelta::days(i64::from(d));
    housekeeping::Retention {
        done_jobs: days(serve.retention_done_jobs_days),
        dead_jobs: days(serve.retention_dead_jobs_days),
        // Partners are promised replays for at least 24 h (the gate's own window).
        idempotency_keys: chrono::TimeDelta::hours(i64::from(serve.retention_idempotency_hours.max(24))),
        webhook_deliveries: days(serve.retention_webhook_days),
    }
}

/// Connects and applies migrations (sqlx serialises concurrent migrators on Postgres with an
/// advisory lock, so instances starting together do not race).
pub async fn connect(common: &CommonArgs) -> anyhow::Result<Db> {
    let url = common.database_url();
    let db = Db::connect(&url).await?;
    db.migrate().await.context("DATABASE_URL: applying migrations")?;
    Ok(db)
}
