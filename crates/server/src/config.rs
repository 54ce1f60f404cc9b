//! Every setting, as a flag with an environment variable behind it (`shortlist serve --help`).

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "shortlist",
    version,
    about = "Asynchronous video interviews and skills tests that plug into your ATS"
)]
pub struct Cli {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server: HTTP, background workers, or both.
    Serve(ServeArgs),
    /// Run on the embedded defaults with a demo organisation, admin account and iCIMS simulator.
    Demo(crate::demo::DemoArgs),
    /// Apply database migrations and exit (they are also applied at start).
    Migrate,
    /// Administer organisations, users and background jobs.
    #[command(subcommand)]
    Admin(crate::admin::AdminCommand),
    /// Run an ATS simulator beside the server, for demos and trying a connector by hand.
    #[command(subcommand)]
    Sim(SimCommand),
}

#[derive(Subcommand, Debug)]
pub enum SimCommand {
    /// A local iCIMS: its API, a page to move candidates to a status, and events POSTed to --target.
    Icims(sim::icims::cli::IcimsSimArgs),
    /// A local Greenhouse: calls our Assessment Partner endpoints, takes the completion PATCH, shows results.
    Greenhouse(sim::greenhouse::cli::GreenhouseSimArgs),
    /// A local Workable: lists our tests and interview templates, creates orders, takes the result PUTs.
    Workable(sim::workable::cli::WorkableSimArgs),
}

#[derive(Args, Debug, Clone)]
pub struct CommonArgs {
    /// Folder for the embedded defaults (SQLite database, media, demo mail).
    #[arg(long, env = "SHORTLIST_DATA_DIR", default_value = "shortlist-data", global = true)]
    pub data_dir: PathBuf,
    /// sqlite://path/to/file.db or postgres://user:pass@host/db [default: sqlite://<data dir>/shortlist.db]
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// file:///absolute/path or s3://bucket/prefix (AWS_* variables for S3) [default: file://<data dir>/media]
    #[arg(long, env = "STORAGE_URL", global = true)]
    pub storage_url: Option<String>,
    /// Log output: human-readable or JSON lines.
    #[arg(
        long,
        env = "SHORTLIST_LOG_FORMAT",
        value_enum,
        default_value = "pretty",
        global = true
    )]
    pub log_format: LogFormat,
    /// Secret that signs candidate and interview links and seals stored secrets (at least 32
    /// characters). Every instance of one installation needs the same value.
    /// [default: generated once into <data dir>/secret.key]
    #[arg(long, env = "SHORTLIST_SECRET_KEY", global = true, hide_env_values = true)]
    pub secret_key: Option<String>,
    /// Argon2id memory cost in KiB (lower only for tests).
    #[arg(long, env = "SHORTLIST_ARGON2_M_KIB", default_value_t = 19 * 1024, global = true, hide = true)]
    pub argon2_m_kib: u32,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "SHORTLIST_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// The URL people reach this server at; used in links and e-mails. https makes cookies Secure.
    /// [default: http://<listen>]
    #[arg(long, env = "SHORTLIST_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// smtp://user:pass@host:587?tls=required or smtps://…; unset writes mail as .eml files
    /// under <data dir>/mail.
    #[arg(long, env = "SMTP_URL")]
    pub smtp_url: Option<String>,
    /// Sender address of outgoing mail.
    #[arg(long, env = "SMTP_FROM", default_value = "Shortlist <no-reply@shortlist.localhost>")]
    pub smtp_from: String,
    /// Accept Web Push endpoints on plain http or ANY private address (tests, intranet push
    /// services). Off by default: a subscription must not make the server call inside the
    /// network. Prefer --outbound-allow-private with the push service's range.
    #[arg(long, env = "SHORTLIST_ALLOW_PRIVATE_PUSH_ENDPOINTS")]
    pub allow_private_push_endpoints: bool,
    /// Address ranges (CIDR, comma-separated) that URLs organisations set may reach although
    /// they are private — webhook endpoints, ATS connection API and token URLs, push endpoints —
    /// for services inside an on-premises network; http is accepted there too. Empty by default:
    /// those calls go to public https addresses only.
    #[arg(long, env = "SHORTLIST_OUTBOUND_ALLOW_PRIVATE", default_value = "")]
    pub outbound_allow_private: String,
    /// The earlier name of --outbound-allow-private (webhooks came first); its ranges now
    /// count for every outbound call, added to those of the new name.
    #[arg(long, env = "SHORTLIST_WEBHOOK_ALLOW_PRIVATE", default_value = "")]
    pub webhook_allow_private: String,
    /// Reverse proxies (CIDR, comma-separated) whose `X-Forwarded-For` is believed. A request
    /// from one of them counts as coming from the nearest address in that header that is not a
    /// proxy itself — for IP allow-lists, login and link-guessing limits, view logs. Empty by
    /// default: the socket's address is the client, and the header is ignored (anyone can send it).
    #[arg(long, env = "SHORTLIST_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,
    /// Requests per second (sustained) for each organisation API key and personal token;
    /// partners carry their own limit, set per partner.
    #[arg(long, env = "SHORTLIST_API_KEY_RATE", default_value_t = 10)]
    pub api_key_rate: u32,
    /// Burst allowance on top of that rate for each key.
    #[arg(long, env = "SHORTLIST_API_KEY_BURST", default_value_t = 20)]
    pub api_key_burst: u32,
    /// Contact the push services may use about our messages (VAPID `sub`).
    #[arg(
        long,
        env = "SHORTLIST_PUSH_CONTACT",
        default_value = "mailto:admin@shortlist.localhost"
    )]
    pub push_contact: String,
    /// Most client connections open at once; past it new ones wait to be accepted. [default:
    /// the open-file limit (raised to its hard limit at start) less 256, at most 10000]
    #[arg(long, env = "SHORTLIST_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Seconds a client has to send a complete request head, on a new connection and between
    /// requests on a kept-alive one; slower or silent clients are disconnected.
    #[arg(long, env = "SHORTLIST_HEADER_READ_TIMEOUT_SECS", default_value_t = 10.0)]
    pub header_read_timeout_secs: f64,
    /// Seconds a connection may go without a byte moving either way (a stalled upload, a client
    /// that stopped reading) before it is closed.
    #[arg(long, env = "SHORTLIST_IDLE_TIMEOUT_SECS", default_value_t = 60.0)]
    pub idle_timeout_secs: f64,
    /// Serve HTTP only; run no background jobs.
    #[arg(long, conflicts_with = "worker_only")]
    pub no_worker: bool,
    /// Run background jobs only; serve no HTTP.
    #[arg(long)]
    pub worker_only: bool,
    /// Jobs one process runs at once.
    #[arg(long, env = "SHORTLIST_WORKER_CONCURRENCY", default_value_t = 4)]
    pub worker_concurrency: usize,
    /// Seconds a claimed job stays leased without a heartbeat (a killed worker's jobs return after it).
    #[arg(long, env = "SHORTLIST_JOB_LEASE_SECS", default_value_t = 60.0)]
    pub job_lease_secs: f64,
    /// How often an idle worker looks for due jobs, in milliseconds.
    #[arg(long, env = "SHORTLIST_JOB_POLL_MS", default_value_t = 1000)]
    pub job_poll_ms: u64,
    /// First retry delay of a failed job in seconds; doubles per attempt (with jitter) up to an hour.
    #[arg(long, env = "SHORTLIST_JOB_RETRY_BASE_SECS", default_value_t = 10.0)]
    pub job_retry_base_secs: f64,
    /// Days finished (done) background jobs are kept before housekeeping deletes them.
    #[arg(long, env = "SHORTLIST_RETENTION_DONE_JOBS_DAYS", default_value_t = 7)]
    pub retention_done_jobs_days: u32,
    /// Days dead (failed for good) jobs are kept; longer, because administrators look at them.
    #[arg(long, env = "SHORTLIST_RETENTION_DEAD_JOBS_DAYS", default_value_t = 30)]
    pub retention_dead_jobs_days: u32,
    /// Hours an Idempotency-Key record is kept; at least 24, the replay window partners rely on.
    #[arg(long, env = "SHORTLIST_RETENTION_IDEMPOTENCY_HOURS", default_value_t = 24)]
    pub retention_idempotency_hours: u32,
    /// Days webhook deliveries and their attempts are kept (each endpoint's newest stays).
    #[arg(long, env = "SHORTLIST_RETENTION_WEBHOOK_DAYS", default_value_t = 30)]
    pub retention_webhook_days: u32,
    /// On shutdown, seconds to let running jobs finish before releasing them.
    #[arg(long, env = "SHORTLIST_SHUTDOWN_GRACE_SECS", default_value_t = 20.0)]
    pub shutdown_grace_secs: f64,
    /// E-mails of administrators who operate this installation: they see the partner admin
    /// page (/admin/partners) and review partners there, like the `admin partner` CLI.
    #[arg(long, env = "SHORTLIST_OPERATOR_EMAILS", value_delimiter = ',')]
    pub operator_emails: Vec<String>,
    /// Sign-in attempts per minute per client address.
    #[arg(long, env = "SHORTLIST_LOGIN_LIMIT_PER_IP", default_value_t = 20)]
    pub login_limit_per_ip: u32,
    /// Sign-in attempts per minute per account.
    #[arg(long, env = "SHORTLIST_LOGIN_LIMIT_PER_ACCOUNT", default_value_t = 5)]
    pub login_limit_per_account: u32,
    /// Serve /metrics on this address only (e.g. 127.0.0.1:9090, or an address on the monitoring
    /// network) and answer 404 there on the main listener. Runs in worker-only processes too.
    #[arg(long, env = "SHORTLIST_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,
    /// Require `Authorization: Bearer <this>` on /metrics (Prometheus: `authorization.credentials`).
    /// Unset: /metrics answers anyone who can reach it.
    #[arg(long, env = "SHORTLIST_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Folder holding the `ffmpeg` and `ffprobe` the media probe runs (durations, posters,
    /// audio-only copies for anonymised share links); by default they are looked up on PATH.
    #[arg(long, env = "SHORTLIST_MEDIA_TOOLS_DIR")]
    pub media_tools_dir: Option<std::path::PathBuf>,
}

impl CommonArgs {
    /// The configured secret, or the one kept in the data folder (created on first use).
    pub fn secret_key(&self) -> anyhow::Result<Vec<u8>> {
        if let Some(k) = &self.secret_key {
            anyhow::ensure!(k.len() >= 32, "SHORTLIST_SECRET_KEY must be at least 32 characters");
            return Ok(k.as_bytes().to_vec());
        }
        let path = self.data_dir.join("secret.key");
        if let Ok(existing) = std::fs::read_to_string(&path) {
            let k = existing.trim();
            anyhow::ensure!(
                k.len() >= 32,
                "{} is too short; delete it to make a new one",
                path.display()
            );
            return Ok(k.as_bytes().to_vec());
        }
        std::fs::create_dir_all(&self.data_dir)?;
        let k = shortlist_app::tokens::generate("sk");
        crate::serve::write_private(&path, &k)?;
        tracing::warn!(path = %path.display(), "generated a secret key; set SHORTLIST_SECRET_KEY to share one between instances");
        Ok(k.into_bytes())
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("shortlist.db").display()))
    }

    pub fn storage_url(&self) -> anyhow::Result<String> {
        if let Some(u) = &self.storage_url {
            return Ok(u.clone());
        }
        let dir = std::path::absolute(self.data_dir.join("media"))?;
        Ok(url::Url::from_directory_path(&dir)
            .map_err(|_| anyhow::anyhow!("cannot make a file URL of {}", dir.display()))?
            .to_string())
    }
}

impl ServeArgs {
    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
            .trim_end_matches('/')
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
