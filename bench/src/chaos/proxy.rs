//! A TCP proxy in front of PostgreSQL that can be cut: while cut, live links are closed and the
//! port refuses connections, as a stopped database server looks to its clients; restored, it
//! listens on the same port and forwards again. The database itself keeps running, so nothing
//! else on the machine is disturbed.

use std::net::SocketAddr;
use std::sync::Mutex;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

pub struct Proxy {
    pub port: u16,
    target: SocketAddr,
    /// Cancelled on a cut: stops the listener and every link it made.
    live: Mutex<CancellationToken>,
}

impl Proxy {
    pub async fn start(target: SocketAddr) -> anyhow::Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let token = CancellationToken::new();
        tokio::spawn(serve(listener, target, token.clone()));
        Ok(Proxy {
            port,
            target,
            live: Mutex::new(token),
        })
    }

    /// Closes every link and the listening port until [`Proxy::restore`].
    pub fn cut(&self) {
        if let Ok(t) = self.live.lock() {
            t.cancel();
        }
    }

    /// Listens on the same port again.
    pub async fn restore(&self) -> anyhow::Result<()> {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await?;
        let token = CancellationToken::new();
        if let Ok(mut t) = self.live.lock() {
            *t = token.clone();
        }
        tokio::spawn(serve(listener, self.target, token));
        Ok(())
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
    }
}

async fn serve(listener: TcpListener, target: SocketAddr, cut: CancellationToken) {
    loop {
        let accepted = tokio::select! {
            _ = cut.cancelled() => return,
            a = listener.accept() => a,
        };
        if let Ok((inbound, _)) = accepted {
            tokio::spawn(link(inbound, target, cut.clone()));
        }
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
