//! A fault-injecting TCP proxy between Chromium and the server (browser_faults.rs).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// What the proxy does to upload PATCHes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Cut off the first PATCH of an upload half-way, then drop both connections.
    Cut,
    /// As `Cut`, and from then on forward nothing (close every connection, the open ones
    /// too) until [`Proxy::point_at`] names a server: the test restarts the server meanwhile.
    CutAndHold,
}

/// A TCP proxy between Chromium and the server that understands just enough HTTP/1.1 to see
/// request lines. It counts upload PATCHes, cuts off the first one half-way (forwarding half
/// its body, then dropping both connections), and can be pointed at another server.
///
/// Chromium itself sends a request again, unseen by the page, when a reused keep-alive
/// connection closes before any answer; so "the first PATCH" is every PATCH at offset 0 (at
/// most [`MAX_CUTS`]): the upload can only succeed by tus-js-client asking for the stored
/// offset and sending the rest from there.
pub struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

pub const MAX_CUTS: usize = 4;

pub struct Shared {
    fault: Fault,
    /// Where requests go; `None`: nowhere (connections are closed).
    target: Mutex<Option<SocketAddr>>,
    patches: AtomicUsize,
    cuts: AtomicUsize,
    /// Each cut reports how many body bytes it let through.
    cut_sent: mpsc::UnboundedSender<usize>,
}

impl Shared {
    fn target(&self) -> Option<SocketAddr> {
        *self.target.lock().unwrap()
    }
}

impl Proxy {
    pub async fn start(target: SocketAddr, fault: Fault) -> (Proxy, mpsc::UnboundedReceiver<usize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (cut_sent, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            fault,
            target: Mutex::new(Some(target)),
            patches: AtomicUsize::new(0),
            cuts: AtomicUsize::new(0),
            cut_sent,
        });
        let sh = shared.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let sh = sh.clone();
                tokio::spawn(async move {
                    if let Some(up) = sh.target() {
                        let _ = relay(client, up, &sh).await;
                    }
                });
            }
        });
        (Proxy { addr, shared }, rx)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn point_at(&self, to: Option<SocketAddr>) {
        *self.shared.target.lock().unwrap() = to;
    }

    pub fn patches(&self) -> usize {
        self.shared.patches.load(Ordering::SeqCst)
    }

    pub fn cuts(&self) -> usize {
        self.shared.cuts.load(Ordering::SeqCst)
    }
}

pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Relays one client connection to `upstream`. Requests are parsed (request line, headers) so
/// PATCHes can be counted and cut; responses are copied as they come. The connection is
/// closed before a request when the proxy no longer points at `upstream`.
pub async fn relay(client: TcpStream, upstream: SocketAddr, sh: &Shared) -> std::io::Result<()> {
    let server = TcpStream::connect(upstream).await?;
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let back = tokio::spawn(async move { tokio::io::copy(&mut sr, &mut cw).await });
    let _stop_back = AbortOnDrop(back);
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        // The request head.
        let end = loop {
            if let Some(i) = find(&buf, b"\r\n\r\n") {
                break i + 4;
            }
            let n = cr.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        if sh.target() != Some(upstream) {
            return Ok(());
        }
        let head = String::from_utf8_lossy(&buf[..end]).to_string();
        let mut body_len: usize = 0;
        let mut chunked = false;
        let mut at_start = false;
        for line in head.split("\r\n").skip(1) {
            if let Some((k, v)) = line.split_once(':') {
                let k = k.trim().to_ascii_lowercase();
                if k == "content-length" {
                    body_len = v.trim().parse().unwrap_or(0);
                } else if k == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked") {
                    chunked = true;
                } else if k == "upload-offset" {
                    at_start = v.trim() == "0";
                }
            }
        }
        let is_patch = head.starts_with("PATCH /uploads/");
        if is_patch {
            sh.patches.fetch_add(1, Ordering::SeqCst);
        }
        let cut = is_patch
            && at_start
            && body_len > 1
            && sh
                .cuts
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| (n < MAX_CUTS).then_some(n + 1))
                .is_ok();
        sw.write_all(&buf[..end]).await?;
        buf.drain(..end);
        if chunked {
            // Not expected from the browser; relay the rest of the connection unparsed.
            sw.write_all(&buf).await?;
            tokio::io::copy(&mut cr, &mut sw).await?;
            return Ok(());
        }
        let limit = if cut { body_len / 2 } else { body_len };
        let mut sent = 0;
        while sent < limit {
            if buf.is_empty() {
                let n = cr.read(&mut chunk).await?;
                if n == 0 {
                    return Ok(());
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let n = buf.len().min(limit - sent);
            sw.write_all(&buf[..n]).await?;
            buf.drain(..n);
            sent += n;
        }
        if cut {
            // The server has half the body; both connections go away (on return).
            sw.flush().await?;
            if sh.fault == Fault::CutAndHold {
                *sh.target.lock().unwrap() = None;
            }
            let _ = sh.cut_sent.send(sent);
            return Ok(());
        }
    }
}

pub struct AbortOnDrop(tokio::task::JoinHandle<std::io::Result<u64>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
