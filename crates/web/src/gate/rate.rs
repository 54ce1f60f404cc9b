//! Per-credential request rates (GCRA via governor). Each partner or key has a limiter of its
//! own, so one caller exhausting its budget never slows another. Buckets live in this process:
//! with N instances behind a balancer a caller gets at most N times its rate.

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};

type Limiter = RateLimiter<NotKeyed, InMemoryState, DefaultClock, StateInformationMiddleware>;
/// A bucket with the (rate, burst) it was made for.
type Bucket = (u32, u32, Arc<Limiter>);

/// What the `RateLimit-*` headers say after a request.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the bucket is full again (allowed) or the next request fits (refused).
    pub reset_secs: u64,
}

#[derive(Default)]
pub struct ApiLimits {
    buckets: Mutex<HashMap<String, Bucket>>,
}

fn secs_up(d: std::time::Duration) -> u64 {
    (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
}

impl ApiLimits {
    /// Ok with the remaining budget, or Err with the budget of a refused request.
    pub fn check(&self, bucket: &str, per_sec: u32, burst: u32) -> Result<Budget, Budget> {
        let per_sec = NonZeroU32::new(per_sec).unwrap_or(NonZeroU32::MIN);
        let burst_nz = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        let limiter = {
            let Ok(mut map) = self.buckets.lock() else {
                // A poisoned lock only means another request panicked; do not refuse everyone.
                return Ok(Budget {
                    limit: burst,
                    remaining: burst,
                    reset_secs: 0,
                });
            };
            // A changed policy starts a fresh bucket.
            let fresh =
                || Arc::new(RateLimiter::direct(Quota::per_second(per_sec).allow_burst(burst_nz)).with_middleware());
            let e = map
                .entry(bucket.to_string())
                .or_insert_with(|| (per_sec.get(), burst, fresh()));
            if e.0 != per_sec.get() || e.1 != burst {
                *e = (per_sec.get(), burst, fresh());
            }
            e.2.clone()
        };
        let per_cell = 1.0 / f64::from(per_sec.get());
        match limiter.check() {
            Ok(snap) => {
                let remaining = snap.remaining_burst_capacity();
                let used = f64::from(burst.saturating_sub(remaining));
                Ok(Budget {
                    limit: burst,
                    remaining,
                    reset_secs: (used * per_cell).ceil() as u64,
                })
            }
            Err(not_until) => Err(Budget {
                limit: burst,
                remaining: 0,
                reset_secs: secs_up(not_until.wait_time_from(DefaultClock::default().now())),
            }),
        }
    }
}
