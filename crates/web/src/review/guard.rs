//! Rate limit on guessing share tokens and access codes, per client address (GCRA via
//! governor). Only failures count, so a guest watching videos (many range requests) is never
//! slowed; once an address has failed too often it is refused *before* the lookup, so a hit
//! cannot be told from a miss while it is blocked. Buckets live in this process: with N
//! instances the effective limit is at most N times.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct GuessGuard {
    failures: DefaultKeyedRateLimiter<IpAddr>,
    blocked: Mutex<HashMap<IpAddr, Instant>>,
}

/// Failed lookups allowed per address and minute (also the burst).
pub const FAILURES_PER_MINUTE: u32 = 10;

impl Default for GuessGuard {
    fn default() -> Self {
        let n = NonZeroU32::new(FAILURES_PER_MINUTE).unwrap_or(NonZeroU32::MIN);
        Self {
            failures: RateLimiter::keyed(Quota::per_minute(n)),
            blocked: Mutex::new(HashMap::new()),
        }
    }
}

impl GuessGuard {
    /// Ok, or the seconds until this address may try again.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        let Ok(mut blocked) = self.blocked.lock() else {
            return Ok(());
        };
        let now = Instant::now();
        match blocked.get(&ip) {
            Some(until) if *until > now => Err(until.duration_since(now).as_secs().max(1)),
            Some(_) => {
                blocked.remove(&ip);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Counts a failed guess; blocks the address when it is over its budget.
    pub fn failed(&self, ip: IpAddr) {
        if self.failures.len() > 10_000 {
            self.failures.retain_recent();
        }
        if let Err(not_until) = self.failures.check_key(&ip) {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            if let Ok(mut blocked) = self.blocked.lock() {
                let now = Instant::now();
                if blocked.len() > 10_000 {
                    blocked.retain(|_, until| *until > now);
                }
                blocked.insert(ip, now + wait.max(Duration::from_secs(1)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_blocked_after_too_many_failures_only() {
        let g = GuessGuard::default();
        let ip: IpAddr = [10, 0, 0, 1].into();
        let other: IpAddr = [10, 0, 0, 2].into();
        for _ in 0..FAILURES_PER_MINUTE {
            assert!(g.check(ip).is_ok());
            g.failed(ip);
        }
        assert!(g.check(ip).is_ok(), "the budget is used up, not exceeded");
        g.failed(ip);
        assert!(g.check(ip).is_err());
        assert!(g.check(other).is_ok());
    }
}
