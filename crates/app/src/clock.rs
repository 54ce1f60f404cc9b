//! Time as a port, so expiry, reminders and job scheduling can be tested by moving a clock
//! instead of waiting.

use chrono::{DateTime, TimeDelta, Utc};
use std::sync::Mutex;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        shortlist_store::now()
    }
}

/// Real time plus an offset that tests move forward (`advance`): everything else keeps running
/// at normal speed, so workers and timeouts behave as usual.
#[derive(Debug, Default)]
pub struct OffsetClock {
    offset: Mutex<TimeDelta>,
}

impl OffsetClock {
    pub fn advance(&self, by: TimeDelta) {
        if let Ok(mut o) = self.offset.lock() {
            *o += by;
        }
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        let offset = self.offset.lock().map(|o| *o).unwrap_or_default();
        shortlist_store::now() + offset
    }
}
