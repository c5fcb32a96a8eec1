//! Which backend the settings name, and opening it: the SQLite file, or a
//! PostgreSQL server. Shown (in logs, errors) without any password.

use super::{redacted_url, PgOptions, PostgresStore, SqliteStore, Store, StoreError};
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub enum Backend {
    /// One SQLite file (its directory is created when missing).
    Sqlite(PathBuf),
    /// A PostgreSQL server; the URL may carry a password, so `Debug` and
    /// `Display` show it redacted.
    Postgres(PgUrl, PgOptions),
}

/// A PostgreSQL URL that is never shown with its password.
#[derive(Clone)]
pub struct PgUrl(String);

impl PgUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&redacted_url(&self.0))
    }
}

impl std::fmt::Display for PgUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&redacted_url(&self.0))
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Backend::Sqlite(path) => write!(f, "SQLite {}", path.display()),
            Backend::Postgres(url, _) => write!(f, "PostgreSQL {url}"),
        }
    }
}

impl Backend {
    /// Open (creating, migrating) the store. Blocks: never on a thread that
    /// drives async tasks.
    pub fn open(&self) -> Result<Box<dyn Store>, StoreError> {
        match self {
            Backend::Sqlite(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    let _ = std::fs::create_dir_all(parent);
                }
                SqliteStore::open(path).map(|s| Box::new(s) as Box<dyn Store>)
            }
            Backend::Postgres(url, options) => {
                PostgresStore::connect(url.expose(), options).map(|s| Box::new(s) as Box<dyn Store>)
            }
        }
    }
}
