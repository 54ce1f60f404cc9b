//! The listener: HTTP/1.1 only, like iCIMS. hyper's HTTP/1 server drops an HTTP/2 prior-knowledge
//! connection without a word, so the preface is caught here and answered with iCIMS's 505.

use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::SimHandle;
use crate::state::RecordedRequest;

const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

pub(crate) async fn serve(listener: TcpListener, router: Router, sim: SimHandle) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let router = router.clone();
        let sim = sim.clone();
        tokio::spawn(async move {
            if starts_with_h2_preface(&stream).await {
                refuse_h2(stream, &sim).await;
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

async fn refuse_h2(mut stream: TcpStream, sim: &SimHandle) {
    sim.st().requests.push(RecordedRequest {
        method: "PRI".to_owned(),
        path: "*".to_owned(),
        query: None,
        http_version: "HTTP/2.0".to_owned(),
        headers: Vec::new(),
        body: String::new(),
    });
    // Consume what the client already sent: closing with unread bytes would reset the connection
    // and could destroy our answer before the client reads it.
    let mut preface = [0u8; 24];
    let _ = stream.read_exact(&mut preface).await;
    let mut rest = [0u8; 1024];
    while matches!(stream.try_read(&mut rest), Ok(n) if n > 0) {}
    let body = r#"{"errors":[{"errorMessage":"HTTP version not supported; use HTTP/1.1.","errorCode":0}]}"#;
    let resp = format!(
        "HTTP/1.1 505 HTTP Version Not Supported\r\ncontent-type: application/json\r\n\
         x-error: 0:HTTP version not supported; use HTTP/1.1.\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(resp.as_bytes()).await;
    let _ = stream.shutdown().await;
}
