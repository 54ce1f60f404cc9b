//! The database handle: a two-arm enum over the concrete sqlx drivers.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, PgConnection, PgPool, Postgres, Sqlite, SqlitePool, Transaction};
use std::str::FromStr;
use std::time::Duration;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// How long a PostgreSQL query waits for a pooled connection (or a new one) before it fails.
const PG_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("DATABASE_URL must start with sqlite:// or postgres:// (got '{0}')")]
    UnsupportedUrl(String),
    #[error("DATABASE_URL is not valid: {0}")]
    BadUrl(String),
    #[error("cannot reach the database named by DATABASE_URL: {0}")]
    Unreachable(String),
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs one expression against whichever pool `db` holds; `$pool` is bound to the concrete pool.
#[macro_export]
macro_rules! on_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::Db::Sqlite($pool) => $body,
            $crate::Db::Postgres($pool) => $body,
        }
    };
}

/// Like [`on_db!`] for an open transaction; `$conn` is bound to the transaction's connection.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite(t) => {
                let $conn = &mut **t;
                $body
            }
            $crate::Tx::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}

/// A business transaction. Every change and the jobs it causes are written through one `Tx`.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
    }
}

impl Db {
    /// Connects without migrating. Errors name the setting so an operator knows what to fix.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(|e| DbError::BadUrl(e.to_string()))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(30));
            if let Some(parent) = opts.get_filename().parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent)
                    .map_err(|e| DbError::Unreachable(format!("{}: {e}", parent.display())))?;
            }
            let pool = SqlitePoolOptions::new()
                .before_acquire(|conn, _| Box::pin(async move { Ok(usable(&*conn)) }))
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(opts)
                .await
                .map_err(|e| DbError::Unreachable(e.to_string()))?;
            Ok(Db::Sqlite(pool))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let opts = PgConnectOptions::from_str(url).map_err(|e| DbError::BadUrl(e.to_string()))?;
            // One direct connection first: a pool only reports "timed out", this names the cause
            // (connection refused, unknown database, authentication failed).
            let probe = tokio::time::timeout(Duration::from_secs(10), PgConnection::connect_with(&opts)).await;
            match probe {
                Ok(Ok(conn)) => {
                    let _ = conn.close().await;
                }
                Ok(Err(e)) => return Err(DbError::Unreachable(e.to_string())),
                Err(_) => return Err(DbError::Unreachable("no answer within 10 s".into())),
            }
            let pool = PgPoolOptions::new()
                .before_acquire(|conn, _| Box::pin(async move { Ok(usable(&*conn)) }))
                .max_connections(16)
                // Short, so a request fails fast (503) while the database is unreachable rather
                // than holding its client for 10 s; the web layer's circuit then answers at once.
                .acquire_timeout(PG_ACQUIRE_TIMEOUT)
                .connect_with(opts)
                .await
                .map_err(|e| DbError::Unreachable(e.to_string()))?;
            Ok(Db::Postgres(pool))
        } else {
            Err(DbError::UnsupportedUrl(redact_url(url)))
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    fn migrator(&self) -> &'static sqlx::migrate::Migrator {
        match self {
            Db::Sqlite(_) => &SQLITE_MIGRATIONS,
            Db::Postgres(_) => &POSTGRES_MIGRATIONS,
        }
    }

    /// Applies pending migrations. On PostgreSQL sqlx holds an advisory lock meanwhile, so
    /// several instances starting together apply each migration once.
    /// SQLite has no advisory lock, so there several processes serialise on an OS file lock
    /// next to the database file instead.
    pub async fn migrate(&self) -> Result<(), DbError> {
        let m = self.migrator();
        let _guard = match self {
            Db::Sqlite(pool) => Some(lock_file(pool.connect_options().get_filename()).await?),
            Db::Postgres(_) => None,
        };
        let res = on_db!(self, pool => m.run(pool).await);
        res.map_err(|e| DbError::Migration(e.to_string()))
    }

    /// True when every embedded migration has been applied successfully.
    pub async fn migrations_current(&self) -> Result<bool, DbError> {
        let applied: Vec<(i64, bool)> = on_db!(self, pool =>
            sqlx::query_as("SELECT version, success FROM _sqlx_migrations").fetch_all(pool).await
        )?;
        Ok(self
            .migrator()
            .iter()
            .all(|m| applied.iter().any(|(v, ok)| *v == m.version && *ok)))
    }

    pub async fn ping(&self) -> Result<(), DbError> {
        on_db!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Opens a write transaction. SQLite takes the write lock up front (`BEGIN IMMEDIATE`) so a
    /// transaction that reads before it writes cannot fail half-way with SQLITE_BUSY.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    pub async fn close(&self) {
        on_db!(self, pool => pool.close().await)
    }
}

/// Whether a pooled connection may be handed out. One whose transaction failed to commit or roll
/// back still counts itself inside it (SQLite rolls back by itself on a full disk, and then the
/// ROLLBACK the driver sends fails): handed out again, every `BEGIN` on it fails ("non-zero
/// transaction depth") until a restart. Such a connection is closed and replaced instead.
fn usable(conn: &impl Connection) -> bool {
    let ok = !conn.is_in_transaction();
    if !ok {
        tracing::warn!("closing a pooled database connection left inside a failed transaction");
    }
    ok
}

/// Holds an exclusive lock on `<database file>.migrate-lock` until dropped.
async fn lock_file(db_file: &std::path::Path) -> Result<Option<std::fs::File>, DbError> {
    let mut name = db_file.as_os_str().to_owned();
    name.push(".migrate-lock");
    let file = match std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&name)
    {
        Ok(f) => f,
        // In-memory databases have no folder to lock in, and no second process to race with.
        Err(_) => return Ok(None),
    };
    let locked = tokio::task::spawn_blocking(move || file.lock().map(|()| file))
        .await
        .map_err(|e| DbError::Migration(e.to_string()))?
        .map_err(|e| DbError::Migration(format!("locking {}: {e}", std::path::Path::new(&name).display())))?;
    Ok(Some(locked))
}

/// Hides the password part of a connection URL for logs and error messages.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("REDACTED"));
            u.to_string()
        }
        Ok(u) if !u.cannot_be_a_base() => u.to_string(),
        // Not a URL we understand: keep only what follows the last '@', where a secret cannot be.
        _ => raw.rsplit('@').next().unwrap_or_default().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_have_the_same_migrations() {
        let names = |m: &sqlx::migrate::Migrator| {
            m.iter()
                .map(|x| (x.version, x.description.to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&SQLITE_MIGRATIONS), names(&POSTGRES_MIGRATIONS));
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact_url("postgres://u:secret@h/db"), "postgres://u:REDACTED@h/db");
        assert!(!redact_url("nonsense:secret@x").contains("secret"));
    }
}
