//! Failures that belong to the environment, not to the request: a database that cannot be
//! reached and a disk that is full. They are recognised wherever they surface (sqlx, object
//! storage, plain file I/O, possibly wrapped in `anyhow` context) so every surface can answer
//! 503 or 507 with a clear message instead of a generic 500, and readiness can report them.

use std::error::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The database refused or dropped connections, or none was free in time.
    DatabaseUnavailable,
    /// No space left (disk, quota, or the database's own "disk full").
    StorageFull,
}

/// ENOSPC and EDQUOT: not every path maps them to `ErrorKind::StorageFull`/`QuotaExceeded`.
const ENOSPC: i32 = 28;
const EDQUOT: i32 = 122;

fn io_fault(e: &std::io::Error) -> Option<Fault> {
    use std::io::ErrorKind as K;
    let full = matches!(e.kind(), K::StorageFull | K::QuotaExceeded)
        || matches!(e.raw_os_error(), Some(ENOSPC) | Some(EDQUOT));
    full.then_some(Fault::StorageFull)
}

fn sqlx_fault(e: &sqlx::Error) -> Option<Fault> {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Tls(_) => Some(Fault::DatabaseUnavailable),
        sqlx::Error::Io(io) => Some(io_fault(io).unwrap_or(Fault::DatabaseUnavailable)),
        sqlx::Error::Database(db) => match db.code().as_deref() {
            // SQLITE_FULL; PostgreSQL disk_full.
            Some("13") | Some("53100") => Some(Fault::StorageFull),
            // PostgreSQL: admin shutdown, crash shutdown, cannot connect now, connection errors.
            Some(c) if c.starts_with("57P") || c.starts_with("08") => Some(Fault::DatabaseUnavailable),
            _ => None,
        },
        _ => None,
    }
}

fn one(e: &(dyn Error + 'static)) -> Option<Fault> {
    if let Some(s) = e.downcast_ref::<sqlx::Error>() {
        return sqlx_fault(s);
    }
    if let Some(io) = e.downcast_ref::<std::io::Error>() {
        return io_fault(io);
    }
    // Object storage wraps local-disk errors in its own type; its text is all that is left.
    let text = e.to_string();
    (text.contains("No space left on device") || text.contains("database or disk is full"))
        .then_some(Fault::StorageFull)
}

/// The environmental fault behind `err`, looking through its whole source chain.
pub fn classify(err: &(dyn Error + 'static)) -> Option<Fault> {
    let mut cur = Some(err);
    while let Some(e) = cur {
        if let Some(f) = one(e) {
            return Some(f);
        }
        cur = e.source();
    }
    None
}

/// An error that [`classify`] names [`Fault::DatabaseUnavailable`], for answering before the
/// database is even tried (an open circuit, a health probe that timed out).
pub fn database_unavailable(why: &'static str) -> anyhow::Error {
    anyhow::Error::new(sqlx::Error::PoolTimedOut).context(why)
}

/// [`classify`] for an `anyhow` error (its context layers included).
pub fn classify_anyhow(err: &anyhow::Error) -> Option<Fault> {
    err.chain().find_map(one)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_disk_and_unreachable_database_are_recognised_through_context() {
        let full = anyhow::Error::from(std::io::Error::from_raw_os_error(ENOSPC)).context("writing part");
        assert_eq!(classify_anyhow(&full), Some(Fault::StorageFull));
        let pool = anyhow::Error::from(sqlx::Error::PoolTimedOut).context("loading invitation");
        assert_eq!(classify_anyhow(&pool), Some(Fault::DatabaseUnavailable));
        let refused = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert_eq!(classify(&refused), Some(Fault::DatabaseUnavailable));
        assert_eq!(classify_anyhow(&anyhow::anyhow!("bad template")), None);
        assert_eq!(classify(&sqlx::Error::RowNotFound), None);
    }
}
