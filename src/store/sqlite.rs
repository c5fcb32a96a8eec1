//! [`Store`] in one SQLite file: WAL, a busy timeout, versioned migrations.

use super::{
    check_state, parse_time, stamp, EntryPoint, Offered, QuestionRecord, RecordId, Store,
    StoreError, StoredQuestion, VoteRecord,
};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::time::{Duration, Instant};

/// The migrations, in order: migration `i` takes a database from version `i`
/// to `i + 1`. Never edit one that has shipped; add another.
pub const MIGRATIONS: &[&str] = &[
    // 1: the questions.
    "CREATE TABLE questions (
        id TEXT PRIMARY KEY,
        asked_at TEXT NOT NULL,
        question TEXT NOT NULL,
        answered INTEGER NOT NULL,
        entry_point TEXT NOT NULL,
        guild_id TEXT,
        asker TEXT,
        passages TEXT NOT NULL DEFAULT '[]'
    );",
    // 2: votes (one per voter and answer) and the time index retention and
    // `gaps` read by.
    "CREATE TABLE votes (
        record_id TEXT NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
        voter TEXT NOT NULL,
        up INTEGER NOT NULL,
        text TEXT,
        voted_at TEXT NOT NULL,
        PRIMARY KEY (record_id, voter)
    );
    CREATE INDEX questions_asked_at ON questions(asked_at);",
    // 3: the state of answers' buttons (so any replica can serve a click) and
    // the claims that make an action happen once across replicas.
    BUTTON_STATE_TABLES,
];

/// Migration 3, the same SQL in both backends.
pub(super) const BUTTON_STATE_TABLES: &str = "CREATE TABLE button_states (
        key TEXT PRIMARY KEY,
        json TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX button_states_at ON button_states(at);
    CREATE TABLE claims (
        key TEXT PRIMARY KEY,
        at TEXT NOT NULL
    );
    CREATE INDEX claims_at ON claims(at);";

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How long a write waits for a lock held by another process.
const BUSY_TIMEOUT: Duration = Duration::from_secs(2);

pub struct SqliteStore {
    conn: Connection,
}

impl SqliteStore {
    /// Open (creating) the database at `path` and migrate it to [`SCHEMA_VERSION`].
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if path.is_dir() {
            return Err(StoreError::Open {
                path: path.display().to_string(),
                message: "is a directory, not a database file".into(),
            });
        }
        let conn = Connection::open(path).map_err(|e| StoreError::Open {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::with_connection(conn)
    }

    /// A store in memory (tests).
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::with_connection(Connection::open_in_memory()?)
    }

    fn with_connection(mut conn: Connection) -> Result<Self, StoreError> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        set_wal(&conn)?;
        conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")?;
        migrate(&mut conn)?;
        Ok(Self { conn })
    }

    /// The schema version of the open database.
    pub fn version(&self) -> Result<i64, StoreError> {
        version(&self.conn)
    }
}

/// WAL mode, so readers (`rolefaq gaps`) never wait for the bot's writes. In
/// memory the mode stays "memory"; that is fine.
///
/// Turning a new file to WAL writes its header. When two processes (or
/// replicas) open the same new file at once, one of them is already reading
/// while the other writes, and SQLite answers "database is locked" at once
/// instead of waiting through the busy timeout (waiting could deadlock). So
/// the pragma is tried again, with growing pauses, until the busy timeout is
/// spent: by then the other connection has finished, and the file is in WAL.
fn set_wal(conn: &Connection) -> Result<(), StoreError> {
    let deadline = Instant::now() + BUSY_TIMEOUT;
    let mut pause = Duration::from_millis(1);
    loop {
        match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)) {
            Ok(_mode) => return Ok(()),
            Err(e) if is_busy(&e) && Instant::now() + pause < deadline => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Whether `e` is SQLite's "database is locked" (busy or locked).
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

fn version(conn: &Connection) -> Result<i64, StoreError> {
    let has_table: bool = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
            [],
            |_| Ok(true),
        )
        .optional()?
        .unwrap_or(false);
    if !has_table {
        return Ok(0);
    }
    Ok(conn
        .query_row("SELECT MAX(version) FROM schema_version", [], |r| {
            r.get::<_, Option<i64>>(0)
        })?
        .unwrap_or(0))
}

/// Apply the missing migrations, each in its own transaction with its version
/// row. Each takes the write lock first (`BEGIN IMMEDIATE`, waiting up to the
/// busy timeout) and reads the version again under it, so processes opening a
/// new file at once apply each migration once.
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    loop {
        let current = version(conn)?;
        if current > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                found: current,
                known: SCHEMA_VERSION,
            });
        }
        if current == SCHEMA_VERSION {
            return Ok(());
        }
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let current = version(&tx)?;
        if current >= SCHEMA_VERSION {
            // Another process migrated meanwhile; checked again above.
            tx.commit()?;
            continue;
        }
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_version (
                version INTEGER PRIMARY KEY,
                applied_at TEXT NOT NULL
            );",
        )?;
        tx.execute_batch(MIGRATIONS[current as usize])?;
        tx.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)",
            params![current + 1, stamp(Utc::now())],
        )?;
        tx.commit()?;
        tracing::info!(version = current + 1, "store schema migrated");
    }
}

impl Store for SqliteStore {
    fn record_question(&mut self, q: &QuestionRecord) -> Result<RecordId, StoreError> {
        let passages = serde_json::to_string(&q.passages).unwrap_or_else(|_| "[]".into());
        self.conn.execute(
            "INSERT OR REPLACE INTO questions
                (id, asked_at, question, answered, entry_point, guild_id, asker, passages)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                q.id.as_str(),
                stamp(q.asked_at),
                q.question,
                q.answered,
                q.entry_point.as_str(),
                q.guild_id.map(|g| g.to_string()),
                q.asker,
                passages
            ],
        )?;
        Ok(q.id.clone())
    }

    fn vote(&mut self, v: &VoteRecord) -> Result<bool, StoreError> {
        let known: bool = self
            .conn
            .query_row(
                "SELECT 1 FROM questions WHERE id = ?1",
                [v.record.as_str()],
                |_| Ok(true),
            )
            .optional()?
            .unwrap_or(false);
        if !known {
            return Ok(false);
        }
        self.conn.execute(
            "INSERT INTO votes (record_id, voter, up, text, voted_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (record_id, voter) DO UPDATE SET
                up = excluded.up,
                text = COALESCE(excluded.text, CASE WHEN votes.up = excluded.up THEN votes.text END),
                voted_at = excluded.voted_at",
            params![
                v.record.as_str(),
                v.voter,
                v.up,
                v.text,
                stamp(v.voted_at)
            ],
        )?;
        Ok(true)
    }

    fn prune(&mut self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        let cutoff = stamp(before);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "DELETE FROM votes WHERE record_id IN (SELECT id FROM questions WHERE asked_at < ?1)",
            [&cutoff],
        )?;
        let n = tx.execute("DELETE FROM questions WHERE asked_at < ?1", [&cutoff])?;
        tx.commit()?;
        Ok(n)
    }

    fn questions_since(&mut self, since: DateTime<Utc>) -> Result<Vec<StoredQuestion>, StoreError> {
        let cutoff = stamp(since);
        let mut out: Vec<StoredQuestion> = Vec::new();
        let mut index = std::collections::HashMap::new();
        {
            let mut st = self.conn.prepare(
                "SELECT id, asked_at, question, answered, entry_point, guild_id, asker, passages
                 FROM questions WHERE asked_at >= ?1 ORDER BY asked_at, rowid",
            )?;
            let rows = st.query_map([&cutoff], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, bool>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, String>(7)?,
                ))
            })?;
            for row in rows {
                let (id, at, question, answered, entry, guild, asker, passages) = row?;
                index.insert(id.clone(), out.len());
                out.push(StoredQuestion {
                    record: QuestionRecord {
                        id: RecordId(id),
                        asked_at: parse_time(&at),
                        question,
                        answered,
                        passages: serde_json::from_str::<Vec<Offered>>(&passages)
                            .unwrap_or_default(),
                        entry_point: EntryPoint::parse(&entry).unwrap_or(EntryPoint::Cli),
                        guild_id: guild.and_then(|g| g.parse().ok()),
                        asker,
                    },
                    votes: Vec::new(),
                });
            }
        }
        let mut st = self.conn.prepare(
            "SELECT v.record_id, v.voter, v.up, v.text, v.voted_at FROM votes v
             JOIN questions q ON q.id = v.record_id
             WHERE q.asked_at >= ?1 ORDER BY v.voted_at",
        )?;
        let rows = st.query_map([&cutoff], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, bool>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        for row in rows {
            let (record, voter, up, text, at) = row?;
            if let Some(&i) = index.get(&record) {
                out[i].votes.push(VoteRecord {
                    record: RecordId(record),
                    voter,
                    up,
                    text,
                    voted_at: parse_time(&at),
                });
            }
        }
        Ok(out)
    }

    fn put_state(&mut self, key: &str, json: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        check_state(key, json)?;
        self.conn.execute(
            "INSERT INTO button_states (key, json, at) VALUES (?1, ?2, ?3)
             ON CONFLICT (key) DO UPDATE SET json = excluded.json, at = excluded.at",
            params![key, json, stamp(at)],
        )?;
        Ok(())
    }

    fn get_state(&mut self, key: &str) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
        check_state(key, "")?;
        let row = self
            .conn
            .query_row(
                "SELECT json, at FROM button_states WHERE key = ?1",
                [key],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()?;
        Ok(row.map(|(json, at)| (json, parse_time(&at))))
    }

    fn claim_once(&mut self, key: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        check_state(key, "")?;
        let n = self.conn.execute(
            "INSERT INTO claims (key, at) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
            params![key, stamp(at)],
        )?;
        Ok(n == 1)
    }

    fn prune_states(&mut self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        let cutoff = stamp(before);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let states = tx.execute("DELETE FROM button_states WHERE at < ?1", [&cutoff])?;
        let claims = tx.execute("DELETE FROM claims WHERE at < ?1", [&cutoff])?;
        tx.commit()?;
        Ok(states + claims)
    }
}
