//! Connections that hold the server's sockets without sending a request: silent clients and
//! slowloris are closed after the header-read timeout, a request whose body stalls after the
//! idle timeout, and a connection cap keeps the number the server holds bounded while normal
//! requests are still served. What the server holds is read from the kernel (/proc/net/tcp),
//! not from its logs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestApp;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until the server closes the connection; the time that took, or None after `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    let done = tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    done.ok().map(|()| started.elapsed())
}

/// Accepted connections the server holds on `port`: established sockets with that local port
/// and an owner (a connection still in the accept queue has inode 0). Counted by inode: the
/// table is read in pages while it changes, so one socket can be listed twice.
fn held_connections(port: u16) -> usize {
    let local = format!(":{port:04X}");
    let mut inodes = std::collections::HashSet::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() > 9 && f[1].ends_with(&local) && f[3] == "01" && f[9] != "0" {
                inodes.insert(f[9].to_string());
            }
        }
    }
    inodes.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_connection_is_closed_after_the_header_read_timeout() {
    let app = TestApp::spawn_with(&["--header-read-timeout-secs", "1"]).await;
    let mut idle = TcpStream::connect(app.addr).await.unwrap();
    let took = closed_within(&mut idle, Duration::from_secs(6)).await;
    let took = took.expect("a connection that sent nothing was still open after 6 s");
    assert!(took >= Duration::from_millis(800), "closed too early: {took:?}");
    // A kept-alive connection that goes quiet after its request is closed the same way.
    let mut kept = TcpStream::connect(app.addr).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let took = closed_within(&mut kept, Duration::from_secs(6)).await;
    assert!(took.is_some(), "an idle keep-alive connection was still open after 6 s");
    app.stop().await;
}

/// The metrics listener of its own (SHORTLIST_METRICS_LISTEN) used to keep silent connections
/// for ever; it has the same timeouts now, and still answers scrapes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_listener_closes_silent_connections_too() {
    let port = common::process::free_port();
    let addr = format!("127.0.0.1:{port}");
    let app = TestApp::spawn_with(&["--header-read-timeout-secs", "1", "--metrics-listen", &addr]).await;
    let scrape = common::eventually(Duration::from_secs(10), || async {
        let r = reqwest::get(format!("http://{addr}/metrics")).await.ok()?;
        r.status().is_success().then_some(())
    })
    .await;
    assert!(scrape.is_some(), "the metrics listener did not answer");
    let mut idle = TcpStream::connect(&addr).await.unwrap();
    let took = closed_within(&mut idle, Duration::from_secs(6)).await;
    assert!(
        took.is_some(),
        "a silent connection to the metrics listener was still open after 6 s"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowloris_is_closed() {
    let app = TestApp::spawn_with(&["--header-read-timeout-secs", "1"]).await;
    let stream = TcpStream::connect(app.addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    // A head that would take 12 s at one byte per 200 ms, never finished.
    let head = format!("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: {}", "a".repeat(40));
    let writer = tokio::spawn(async move {
        for b in head.bytes() {
            if wr.write_all(&[b]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    let closed = tokio::time::timeout(Duration::from_secs(6), async {
        loop {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    writer.abort();
    assert!(
        closed.is_ok(),
        "a client sending its head byte by byte was still connected after {:?}",
        started.elapsed()
    );
    // The server is fine afterwards.
    let ok = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(ok.status(), 200);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_connection_cap_idle_clients_wait_and_normal_requests_are_still_served() {
    const CAP: usize = 50;
    const IDLE: usize = 80;
    let app = TestApp::spawn_with(&["--header-read-timeout-secs", "2", "--max-connections", "50"]).await;
    let port = app.addr.port();
    let mut idle = Vec::new();
    for _ in 0..IDLE {
        idle.push(TcpStream::connect(app.addr).await.unwrap());
    }
    // While they are all open, the server holds as many as the cap, no more.
    let mut most = 0;
    let until = Instant::now() + Duration::from_millis(1500);
    while Instant::now() < until {
        most = most.max(held_connections(port));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(most <= CAP, "the server held {most} connections with a cap of {CAP}");
    assert!(
        most >= CAP - 5,
        "the server held only {most} of {IDLE} idle connections"
    );
    // A normal request queued behind them is served once the idle ones time out.
    let started = Instant::now();
    let res = common::client()
        .get(app.url("/healthz"))
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
    // And every idle one was let in and then closed.
    for (i, s) in idle.iter_mut().enumerate() {
        assert!(
            closed_within(s, Duration::from_secs(10)).await.is_some(),
            "idle connection {i} was never closed"
        );
    }
    let ok = common::client().get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_whose_body_stalls_is_closed_after_the_idle_timeout() {
    let app = TestApp::spawn_with(&["--idle-timeout-secs", "2", "--header-read-timeout-secs", "30"]).await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    // A sign-in form that promises 1000 bytes and sends 10: the handler waits for the rest.
    let head = format!(
        "POST /login HTTP/1.1\r\nHost: {}\r\nOrigin: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nemail=a%40b",
        app.addr, app.base
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let took = closed_within(&mut stream, Duration::from_secs(8)).await;
    let took = took.expect("a connection whose body stalled was still open after 8 s");
    assert!(took >= Duration::from_millis(1500), "closed too early: {took:?}");
    app.stop().await;
}
