//! The listener every simulator uses: HTTP/1.1 only, as the ATSs we play answer. hyper's HTTP/1
//! server drops an HTTP/2 prior-knowledge connection without a word, so the preface is caught here,
//! recorded and answered with a 505 in the simulated ATS's own error shape.

use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::RecordedRequest;

const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// How a simulator answers an HTTP/2 prior-knowledge attempt.
#[derive(Clone, Copy)]
pub(crate) struct H2Refusal {
    pub content_type: &'static str,
    pub body: &'static str,
    /// Further header lines, each ending in `\r\n`.
    pub extra_headers: &'static str,
}

pub(crate) async fn serve<F>(listener: TcpListener, router: Router, refusal: H2Refusal, record: F)
where
    F: Fn(RecordedRequest) + Clone + Send + Sync + 'static,
{
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let router = router.clone();
        let record = record.clone();
        tokio::spawn(async move {
            if starts_with_h2_preface(&stream).await {
                record(RecordedRequest::h2_preface());
                refuse_h2(stream, refusal).await;
                return;
            }
            let service = TowerToHyperService::new(router);
            // Errors here are client hang-ups; nothing to report in a simulator.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades()
                .await;
        });
    }
}

/// Peeks until the first bytes either diverge from the HTTP/2 preface or match it whole.
/// Every HTTP/1 method diverges within two bytes, so this waits only for h2 clients.
async fn starts_with_h2_preface(stream: &TcpStream) -> bool {
    let mut buf = [0u8; 24];
    for _ in 0..200 {
        let Ok(n) = stream.peek(&mut buf).await else {
            return false;
        };
        if n == 0 || buf[..n] != H2_PREFACE[..n] {
            return false;
        }
        if n == H2_PREFACE.len() {
            return true;
        }
        // A partial preface: the rest is in flight.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    false
}

async fn refuse_h2(mut stream: TcpStream, refusal: H2Refusal) {
    // Consume what the client already sent: closing with unread bytes would reset the connection
    // and could destroy our answer before the client reads it.
    let mut preface = [0u8; 24];
    let _ = stream.read_exact(&mut preface).await;
    let mut rest = [0u8; 1024];
    while matches!(stream.try_read(&mut rest), Ok(n) if n > 0) {}
    let H2Refusal {
        content_type,
        body,
        extra_headers,
    } = refusal;
    let resp = format!(
        "HTTP/1.1 505 HTTP Version Not Supported\r\ncontent-type: {content_type}\r\n{extra_headers}\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(resp.as_bytes()).await;
    let _ = stream.shutdown().await;
}
