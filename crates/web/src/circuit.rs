//! A circuit breaker in front of the database. During an outage each request would otherwise
//! wait for the pool's acquire timeout before it fails; after a few answers in a row that say
//! the database cannot be reached (marked [`DbUnavailable`] by whichever format answered), the
//! circuit opens and requests are answered 503 with Retry-After at once. When the open period
//! has passed, one request pings the database first: if it answers the circuit closes, else
//! it stays open for another period. Liveness, readiness, metrics and static files pass by.

use crate::error::{DbUnavailable, mark_unavailable, unavailable_detail};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use shortlist_store::Db;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Unavailability answers in a row that open the circuit.
const THRESHOLD: u32 = 3;
/// How long it stays open before one request probes the database. Short: a probe is one ping
/// a second at most, and every second open after the database is back is a second of 503s.
const OPEN_FOR: Duration = Duration::from_secs(1);
/// The probe's bound: well under what a client is told to wait.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

pub struct DbCircuit {
    db: Db,
    breaker: Breaker,
}

impl DbCircuit {
    pub fn new(db: Db) -> Arc<DbCircuit> {
        Arc::new(DbCircuit {
            db,
            breaker: Breaker::default(),
        })
    }

    async fn probe(&self) -> bool {
        matches!(tokio::time::timeout(PROBE_TIMEOUT, self.db.ping()).await, Ok(Ok(())))
    }
}

/// The circuit's state, apart from the database it guards.
#[derive(Default)]
struct Breaker {
    state: Mutex<CircuitState>,
}

#[derive(Default)]
struct CircuitState {
    failures: u32,
    open_until: Option<Instant>,
    probing: bool,
}

#[derive(Debug, PartialEq, Eq)]
enum Admit {
    Pass,
    Probe,
    Refuse,
}

impl Breaker {
    fn lock(&self) -> std::sync::MutexGuard<'_, CircuitState> {
        // The state is three plain fields, valid whatever a panicking holder left.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn admit(&self, now: Instant) -> Admit {
        let mut st = self.lock();
        match st.open_until {
            None => Admit::Pass,
            Some(until) if now < until || st.probing => Admit::Refuse,
            Some(_) => {
                st.probing = true;
                Admit::Probe
            }
        }
    }

    fn record(&self, unavailable: bool, now: Instant) {
        let mut st = self.lock();
        if unavailable {
            st.failures = st.failures.saturating_add(1);
            if st.failures >= THRESHOLD || st.probing {
                if st.open_until.is_none() {
                    tracing::warn!(
                        failures = st.failures,
                        open_secs = OPEN_FOR.as_secs(),
                        "database unreachable: answering 503 at once until a probe reaches it"
                    );
                }
                st.open_until = Some(now + OPEN_FOR);
            }
        } else {
            if st.open_until.is_some() {
                tracing::info!("database reachable again: circuit closed");
            }
            st.failures = 0;
            st.open_until = None;
        }
        st.probing = false;
    }
}

/// Paths that answer without the database, or report on it themselves.
fn passes_by(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics") || path.starts_with("/static/")
}

pub async fn guard(State(circuit): State<Arc<DbCircuit>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if passes_by(&path) {
        return next.run(req).await;
    }
    match circuit.breaker.admit(Instant::now()) {
        Admit::Pass => {}
        Admit::Refuse => return refusal(&path),
        Admit::Probe => {
            let up = circuit.probe().await;
            circuit.breaker.record(!up, Instant::now());
            if !up {
                return refusal(&path);
            }
        }
    }
    let resp = next.run(req).await;
    circuit
        .breaker
        .record(resp.extensions().get::<DbUnavailable>().is_some(), Instant::now());
    resp
}

/// The 503 each surface gives for an unreachable database, in that surface's format.
fn refusal(path: &str) -> Response {
    // Built here rather than through ApiError/PageError, which log every such answer: the
    // circuit logged once when it opened.
    let mut resp = if path.starts_with("/api/") {
        crate::api::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            unavailable_detail(),
            serde_json::Map::new(),
        )
    } else if path == "/connectors/icims/oauth/token" {
        crate::connectors::oauth_unavailable()
    } else if let Some(resp) = crate::connectors::error_body(
        path,
        StatusCode::SERVICE_UNAVAILABLE,
        "Shortlist is briefly unavailable. Please try again in a few minutes.",
        "temporary failure (database unavailable)",
    ) {
        resp
    } else if path.starts_with("/uploads") {
        crate::tus::unavailable()
    } else {
        crate::error::page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service Unavailable",
            &unavailable_detail(),
        )
    };
    mark_unavailable(&mut resp);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_consecutive_failures_and_one_probe_closes_it() {
        let b = Breaker::default();
        let t0 = Instant::now();
        b.record(true, t0);
        b.record(true, t0);
        // A success in between starts the count again.
        b.record(false, t0);
        b.record(true, t0);
        b.record(true, t0);
        assert_eq!(b.admit(t0), Admit::Pass);
        b.record(true, t0);
        assert_eq!(b.admit(t0), Admit::Refuse);
        let later = t0 + OPEN_FOR;
        assert_eq!(b.admit(later), Admit::Probe);
        // Only one probe at a time.
        assert_eq!(b.admit(later), Admit::Refuse);
        // A failed probe keeps it open for another period.
        b.record(true, later);
        assert_eq!(b.admit(later + OPEN_FOR / 2), Admit::Refuse);
        assert_eq!(b.admit(later + OPEN_FOR), Admit::Probe);
        b.record(false, later + OPEN_FOR);
        assert_eq!(b.admit(later + OPEN_FOR), Admit::Pass);
    }
}
