//! The HTTP/1.1 listener: one task per connection, with the limits `axum::serve` does not
//! have. A client that sends no complete request head within the header-read timeout is closed
//! (idle, slowloris, an idle keep-alive connection), a connection on which no byte moves for the
//! idle timeout is closed (a stalled upload or a client that stopped reading), and at most
//! `max_connections` are open at once: past that new ones wait in the kernel's accept queue
//! instead of using up the process's open files.

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// Connection limits, from SHORTLIST_MAX_CONNECTIONS and the two timeouts.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
}

/// Open files kept for everything that is not a client connection: database connections,
/// media files, log files, outbound calls.
const RESERVED_FILES: u64 = 256;
const DEFAULT_MAX_CONNECTIONS: u64 = 10_000;
/// One warning per this interval while connections wait for a free slot or accept fails.
const WARN_EVERY: Duration = Duration::from_secs(10);

/// Raises the open-file soft limit to the hard limit (each connection is one open file) and
/// returns the connection cap: the configured one, else what the limit leaves room for.
pub fn prepare(configured: Option<usize>) -> usize {
    let (soft, hard) = match rlimit::getrlimit(rlimit::Resource::NOFILE) {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the open-file limit");
            return configured.unwrap_or(DEFAULT_MAX_CONNECTIONS as usize);
        }
    };
    let raised = match rlimit::increase_nofile_limit(hard) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, soft, hard, "cannot raise the open-file soft limit");
            soft
        }
    };
    let derived = raised.saturating_sub(RESERVED_FILES).clamp(16, DEFAULT_MAX_CONNECTIONS) as usize;
    let cap = configured.unwrap_or(derived);
    tracing::info!(
        open_files_soft_was = soft,
        open_files_soft = raised,
        open_files_hard = hard,
        max_connections = cap,
        "open-file limit"
    );
    if cap as u64 + RESERVED_FILES > raised {
        tracing::warn!(
            max_connections = cap,
            open_files = raised,
            "SHORTLIST_MAX_CONNECTIONS is close to the open-file limit: at the cap the server may fail to open files"
        );
    }
    cap
}

/// Serves `router` on `listener` until `shutdown`, then lets open requests finish.
pub async fn serve(listener: TcpListener, router: Router, limits: Limits, shutdown: CancellationToken) {
    let max = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS);
    let slots = Arc::new(Semaphore::new(max));
    let mut last_warn: Option<Instant> = None;
    let mut warn_due = move || {
        let due = last_warn.is_none_or(|t| t.elapsed() >= WARN_EVERY);
        if due {
            last_warn = Some(Instant::now());
        }
        due
    };
    loop {
        // A slot first: past the cap, connections stay in the accept queue until one closes.
        let permit = match slots.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                if warn_due() {
                    tracing::warn!(
                        max_connections = max,
                        "connection limit reached: new connections wait until open ones close (SHORTLIST_MAX_CONNECTIONS)"
                    );
                }
                tokio::select! {
                    p = slots.clone().acquire_owned() => match p {
                        Ok(p) => p,
                        Err(_) => break,
                    },
                    _ = shutdown.cancelled() => break,
                }
            }
        };
        let (stream, remote) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of open files or similar: this passes when connections close.
                    if warn_due() {
                        tracing::warn!(error = %e, "cannot accept a connection");
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.cancelled() => break,
        };
        let _ = stream.set_nodelay(true);
        let (router, token) = (router.clone(), shutdown.clone());
        tokio::spawn(async move {
            connection(stream, remote, router, limits, token).await;
            drop(permit);
        });
    }
    drop(listener);
    // Every slot back means every connection has finished.
    let _ = slots.acquire_many(max as u32).await;
}

async fn connection(
    stream: TcpStream,
    remote: SocketAddr,
    router: Router,
    limits: Limits,
    shutdown: CancellationToken,
) {
    let activity = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let io = TokioIo::new(Watched {
        inner: stream,
        activity: activity.clone(),
        started,
    });
    let svc = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
        // What `into_make_service_with_connect_info` would add: handlers read the peer address.
        req.extensions_mut().insert(ConnectInfo(remote));
        router.clone().oneshot(req)
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let conn = builder.serve_connection(io, svc).with_upgrades();
    tokio::pin!(conn);
    let mut graceful = false;
    let check_every = (limits.idle_timeout / 4).max(Duration::from_millis(100));
    let mut tick = tokio::time::interval(check_every);
    loop {
        tokio::select! {
            res = conn.as_mut() => {
                if let Err(e) = res {
                    tracing::debug!(error = %e, %remote, "connection closed with an error");
                }
                return;
            }
            _ = shutdown.cancelled(), if !graceful => {
                graceful = true;
                conn.as_mut().graceful_shutdown();
            }
            _ = tick.tick() => {
                let last = Duration::from_millis(activity.load(Ordering::Relaxed));
                if started.elapsed().saturating_sub(last) >= limits.idle_timeout {
                    tracing::info!(%remote, idle_secs = limits.idle_timeout.as_secs_f64(), "closing a connection on which nothing moved");
                    return;
                }
            }
        }
    }
}

/// A socket that notes when bytes last moved either way.
struct Watched {
    inner: TcpStream,
    /// Milliseconds after `started` of the last read or write that moved bytes.
    activity: Arc<AtomicU64>,
    started: Instant,
}

impl Watched {
    fn moved(&self) {
        let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.activity.store(ms, Ordering::Relaxed);
    }
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let res = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(res, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.moved();
        }
        res
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let res = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(res, Poll::Ready(Ok(n)) if n > 0) {
            self.moved();
        }
        res
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let res = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(res, Poll::Ready(Ok(n)) if n > 0) {
            self.moved();
        }
        res
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
