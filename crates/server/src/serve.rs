//! `shortlist serve` and `shortlist demo`: HTTP and workers until SIGINT/SIGTERM, then a
//! graceful stop (in-flight requests finish, workers stop claiming and drain or release).

use crate::app::App;
use crate::config::{CommonArgs, ServeArgs};
use anyhow::Context;
use shortlist_store::db::redact_url;
use std::net::SocketAddr;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Logs the effective configuration once, with secrets redacted.
fn log_config(common: &CommonArgs, serve: &ServeArgs, storage: &str) {
    tracing::info!(
        database_url = %redact_url(&common.database_url()),
        storage_url = %storage,
        listen = %serve.listen,
        public_url = %serve.public_url(),
        smtp_url = %serve.smtp_url.as_deref().map(redact_url).unwrap_or_else(|| "(unset: mail written to files)".into()),
        smtp_from = %serve.smtp_from,
        http = !serve.worker_only,
        worker = !serve.no_worker,
        worker_concurrency = serve.worker_concurrency,
        job_lease_secs = serve.job_lease_secs,
        "effective configuration"
    );
}

/// Connections the kernel completes and queues for us. Past the connection cap new clients
/// wait here; std's default of 128 makes a burst beyond it retry its SYN after a second.
const ACCEPT_BACKLOG: u32 = 1024;

/// Binds the HTTP listener named by SHORTLIST_LISTEN.
pub async fn bind(serve: &ServeArgs) -> anyhow::Result<tokio::net::TcpListener> {
    let what = || format!("SHORTLIST_LISTEN: cannot listen on {}", serve.listen);
    let addr = tokio::net::lookup_host(&serve.listen)
        .await
        .with_context(what)?
        .next()
        .with_context(what)?;
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4(),
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6(),
    }
    .with_context(what)?;
    // As std's bind does: a restart may listen again while old connections are in TIME_WAIT.
    socket.set_reuseaddr(true).with_context(what)?;
    socket.bind(addr).with_context(what)?;
    socket.listen(ACCEPT_BACKLOG).with_context(what)
}

/// Connections the separate metrics listener holds at once.
const METRICS_MAX_CONNECTIONS: usize = 64;

/// Runs until `shutdown`. `listener` may be bound by the caller (tests bind port 0 first);
/// otherwise SHORTLIST_LISTEN is bound here.
pub async fn run(
    common: &CommonArgs,
    serve: &ServeArgs,
    app: App,
    listener: Option<tokio::net::TcpListener>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    log_config(common, serve, app.media.describe());
    let mut tasks = tokio::task::JoinSet::new();
    if !serve.no_worker {
        let worker = app.worker(serve);
        let token = shutdown.clone();
        tasks.spawn(async move {
            worker.run(token).await;
            Ok::<(), anyhow::Error>(())
        });
    }
    let limits = http_limits(serve)?;
    if let Some(addr) = &serve.metrics_listen {
        let metrics_listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("SHORTLIST_METRICS_LISTEN: cannot listen on {addr}"))?;
        let router = shortlist_web::metrics_router(app.web_state(serve, crate::telemetry::metrics_handle()));
        tracing::info!(address = %metrics_listener.local_addr()?, "metrics listening");
        // The same timeouts as the main listener; a scraper needs few connections.
        let metrics_limits = crate::http::Limits {
            max_connections: METRICS_MAX_CONNECTIONS.min(limits.max_connections),
            ..limits
        };
        let token = shutdown.clone();
        tasks.spawn(async move {
            crate::http::serve(metrics_listener, router, metrics_limits, token).await;
            Ok(())
        });
    }
    if !serve.worker_only {
        let listener = match listener {
            Some(l) => l,
            None => bind(serve).await?,
        };
        let router = shortlist_web::router(app.web_state(serve, crate::telemetry::metrics_handle()));
        tracing::info!(address = %listener.local_addr()?, "listening");
        let token = shutdown.clone();
        tasks.spawn(async move {
            crate::http::serve(listener, router, limits, token).await;
            Ok(())
        });
    }
    while let Some(res) = tasks.join_next().await {
        res??;
    }
    // Upload bodies cut off by the stop are still being recorded; the database must outlive them.
    app.uploads.drain().await;
    app.db.close().await;
    Ok(())
}

/// The connection limits from the flags; raises the open-file limit they depend on.
fn http_limits(serve: &ServeArgs) -> anyhow::Result<crate::http::Limits> {
    let secs = |v: f64, name: &str| {
        Duration::try_from_secs_f64(v)
            .ok()
            .filter(|d| !d.is_zero())
            .with_context(|| format!("{name} must be a positive number of seconds (got {v})"))
    };
    Ok(crate::http::Limits {
        max_connections: crate::http::prepare(serve.max_connections),
        header_read_timeout: secs(serve.header_read_timeout_secs, "SHORTLIST_HEADER_READ_TIMEOUT_SECS")?,
        idle_timeout: secs(serve.idle_timeout_secs, "SHORTLIST_IDLE_TIMEOUT_SECS")?,
    })
}

/// Cancels `token` on Ctrl-C or SIGTERM.
pub fn cancel_on_signal(token: CancellationToken) {
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    token.cancel();
                    return;
                }
            };
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("shutdown requested");
        token.cancel();
    });
}

pub(crate) fn write_private(path: &std::path::Path, content: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)?.write_all(content.as_bytes())?;
    Ok(())
}
