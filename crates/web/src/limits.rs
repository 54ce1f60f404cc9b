//! Sign-in throttling (GCRA via governor), per client address and per account. Buckets live in
//! this process: with N instances behind a balancer the effective limit is at most N times.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;

pub struct LoginLimits {
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    per_account: DefaultKeyedRateLimiter<String>,
}

impl LoginLimits {
    /// `per_ip` and `per_account` attempts per minute, each also the burst size.
    pub fn new(per_ip: u32, per_account: u32) -> Self {
        let q = |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN));
        Self {
            per_ip: RateLimiter::keyed(q(per_ip)),
            per_account: RateLimiter::keyed(q(per_account)),
        }
    }

    /// Ok, or the number of seconds until the next attempt is allowed.
    pub fn check(&self, ip: IpAddr, account: &str) -> Result<(), u64> {
        let now = DefaultClock::default().now();
        // Rounded up: a client that waits exactly Retry-After seconds must get through.
        let wait = |e: governor::NotUntil<_>| {
            let d = e.wait_time_from(now);
            (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
        };
        // Keys of clients that went quiet are dropped now and then, so someone cycling through
        // many addresses or e-mails cannot grow the tables without bound.
        if self.per_ip.len() + self.per_account.len() > 10_000 {
            self.per_ip.retain_recent();
            self.per_account.retain_recent();
        }
        self.per_ip.check_key(&ip).map_err(wait)?;
        self.per_account
            .check_key(&account.trim().to_lowercase())
            .map_err(wait)?;
        Ok(())
    }
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self::new(20, 5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_throttled_independently_of_others() {
        let l = LoginLimits::new(100, 3);
        let ip: IpAddr = [127, 0, 0, 1].into();
        for _ in 0..3 {
            assert!(l.check(ip, "a@x.org").is_ok());
        }
        assert!(l.check(ip, "A@x.org ").is_err(), "same account, other spelling");
        assert!(l.check(ip, "b@x.org").is_ok());
    }

    #[test]
    fn retry_after_is_rounded_up() {
        // 3 a minute: one attempt comes back every 20 s, so just after the burst the wait is a
        // hair under 20 s and must be announced as 20, not 19.
        let l = LoginLimits::new(100, 3);
        let ip: IpAddr = [127, 0, 0, 1].into();
        for _ in 0..3 {
            assert!(l.check(ip, "a@x.org").is_ok());
        }
        assert_eq!(l.check(ip, "a@x.org"), Err(20));
    }
}
