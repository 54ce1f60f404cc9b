//! A TCP proxy in front of PostgreSQL that can be cut: live links are closed and new ones are
//! closed at once, as a stopped database server looks to its clients; restored, it forwards
//! again. The database itself keeps running, so nothing else on the machine is disturbed.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

pub struct Proxy {
    pub port: u16,
    /// Cancelled on a cut; `None` while cut.
    live: Arc<Mutex<Option<CancellationToken>>>,
    stop: CancellationToken,
}

impl Proxy {
    pub async fn start(target: SocketAddr) -> anyhow::Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let live = Arc::new(Mutex::new(Some(CancellationToken::new())));
        let stop = CancellationToken::new();
        let (l, s) = (live.clone(), stop.clone());
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = s.cancelled() => return,
                    a = listener.accept() => a,
                };
                let Ok((inbound, _)) = accepted else { continue };
                let token = l.lock().ok().and_then(|g| g.clone());
                // Cut: the connection is closed at once.
                let Some(token) = token else { continue };
                tokio::spawn(link(inbound, target, token));
            }
        });
        Ok(Proxy { port, live, stop })
    }

    /// Closes every link and refuses new ones until [`Proxy::restore`].
    pub fn cut(&self) {
        if let Ok(mut g) = self.live.lock()
            && let Some(t) = g.take()
        {
            t.cancel();
        }
    }

    pub fn restore(&self) {
        if let Ok(mut g) = self.live.lock() {
            g.get_or_insert_with(CancellationToken::new);
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.stop.cancel();
    }
}

async fn link(mut inbound: TcpStream, target: SocketAddr, cut: CancellationToken) {
    let Ok(mut outbound) = TcpStream::connect(target).await else {
        return;
    };
    tokio::select! {
        _ = cut.cancelled() => {}
        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
    }
}
