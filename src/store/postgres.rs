//! [`Store`] on a PostgreSQL server, for several bot replicas sharing one
//! store: the schema and versions of [`super::SqliteStore`] (`schema_version`),
//! migrated in one transaction under an advisory lock, so replicas starting
//! together migrate once.
//!
//! The client is the synchronous `postgres` crate, which runs a runtime of its
//! own: call it from plain threads (the [`super::Recorder`]'s writer,
//! `spawn_blocking`), never from a thread driving async tasks (it panics there).
//! No TLS: the server is expected on a private network or loopback.

use super::sqlite::BUTTON_STATE_TABLES;
use super::{
    check_state, parse_time, stamp, EntryPoint, Offered, QuestionRecord, RecordId, Store,
    StoreError, StoredQuestion, VoteRecord, MIGRATIONS,
};
use chrono::{DateTime, Utc};
use postgres::{Client, Config, NoTls};
use std::time::Duration;

/// The migrations of the PostgreSQL schema: migration `i` takes it from
/// version `i` to `i + 1`, the same tables and versions as SQLite's
/// [`MIGRATIONS`] (in PostgreSQL's types). Never edit one that has shipped.
pub const PG_MIGRATIONS: &[&str] = &[
    // 1: the questions (`seq` orders questions asked in the same millisecond,
    // as SQLite's rowid does).
    "CREATE TABLE questions (
        id TEXT PRIMARY KEY,
        seq BIGINT GENERATED ALWAYS AS IDENTITY,
        asked_at TEXT NOT NULL,
        question TEXT NOT NULL,
        answered BOOLEAN NOT NULL,
        entry_point TEXT NOT NULL,
        guild_id TEXT,
        asker TEXT,
        passages TEXT NOT NULL DEFAULT '[]'
    );",
    // 2: votes, one per voter and answer, and the time index.
    "CREATE TABLE votes (
        record_id TEXT NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
        voter TEXT NOT NULL,
        up BOOLEAN NOT NULL,
        text TEXT,
        voted_at TEXT NOT NULL,
        PRIMARY KEY (record_id, voter)
    );
    CREATE INDEX questions_asked_at ON questions(asked_at);",
    // 3: button states and once-only claims (SQLite's SQL).
    BUTTON_STATE_TABLES,
];

const _: () = assert!(
    PG_MIGRATIONS.len() == MIGRATIONS.len(),
    "both backends have the same schema versions"
);

const SCHEMA_VERSION: i64 = PG_MIGRATIONS.len() as i64;

/// How a [`PostgresStore`] connects.
#[derive(Clone)]
pub struct PgOptions {
    /// Connecting, and each statement, may take this long
    /// (`connect_timeout`, `statement_timeout`, `lock_timeout`, and the TCP
    /// user timeout, so a vanished server is given up too).
    pub timeout: Duration,
    /// The password when the URL has none (`PGPASSWORD`).
    pub password: Option<String>,
}

impl std::fmt::Debug for PgOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgOptions")
            .field("timeout", &self.timeout)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .finish()
    }
}

impl Default for PgOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
            password: None,
        }
    }
}

/// The URL as it may be logged: any password (in the user part or a
/// `password` parameter) replaced by `***`.
pub fn redacted_url(url: &str) -> String {
    let Ok(mut u) = url::Url::parse(url.trim()) else {
        return "(a store URL that does not parse)".into();
    };
    if u.password().is_some() {
        let _ = u.set_password(Some("***"));
    }
    if u.query_pairs().any(|(k, _)| k == "password") {
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "password" {
                    "***".to_string()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    u.to_string()
}

/// What a postgres error says, with its cause (the error's own `Display`
/// says only "db error").
pub(super) fn describe(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{}: {} ({})", db.severity(), db.message(), db.code().code());
    }
    match std::error::Error::source(e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

pub struct PostgresStore {
    client: Client,
}

impl PostgresStore {
    /// Connect to the server at `url` and migrate its schema (the first one
    /// on the connection's `search_path`) to the current version.
    pub fn connect(url: &str, options: &PgOptions) -> Result<Self, StoreError> {
        let shown = redacted_url(url);
        let open_err = |message: String| StoreError::Open {
            path: shown.clone(),
            message,
        };
        let mut config: Config = url
            .trim()
            .parse()
            .map_err(|e: postgres::Error| open_err(describe(&e)))?;
        if config.get_password().is_none() {
            if let Some(p) = options.password.as_deref().filter(|p| !p.is_empty()) {
                config.password(p);
            }
        }
        if config.get_application_name().is_none() {
            config.application_name("rolefaq");
        }
        let timeout = options.timeout.max(Duration::from_secs(1));
        config
            .connect_timeout(timeout)
            .tcp_user_timeout(timeout)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(30));
        let mut client = config.connect(NoTls).map_err(|e| open_err(describe(&e)))?;
        let ms = timeout.as_millis();
        client
            .batch_execute(&format!(
                "SET statement_timeout = {ms}; SET lock_timeout = {ms};"
            ))
            .map_err(|e| open_err(describe(&e)))?;
        migrate(&mut client)?;
        Ok(Self { client })
    }

    /// The schema version of the connected schema.
    pub fn version(&mut self) -> Result<i64, StoreError> {
        version(&mut self.client)
    }
}

fn version(client: &mut impl postgres::GenericClient) -> Result<i64, StoreError> {
    let exists: bool = client
        .query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[])?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let v: Option<i32> = client
        .query_one("SELECT MAX(version) FROM schema_version", &[])?
        .get(0);
    Ok(v.map_or(0, i64::from))
}

/// Apply the missing migrations in one transaction, holding an advisory lock
/// (per schema) so two replicas starting at once do not both apply them.
fn migrate(client: &mut Client) -> Result<(), StoreError> {
    let mut tx = client.transaction()?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('rolefaq.store.migrate:' || COALESCE(current_schema(), '')))",
        &[],
    )?;
    let mut current = version(&mut tx)?;
    if current > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            found: current,
            known: SCHEMA_VERSION,
        });
    }
    if current == SCHEMA_VERSION {
        tx.commit()?;
        return Ok(());
    }
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_version (
            version INTEGER PRIMARY KEY,
            applied_at TEXT NOT NULL
        );",
    )?;
    let from = current;
    while current < SCHEMA_VERSION {
        tx.batch_execute(PG_MIGRATIONS[current as usize])?;
        let next = i32::try_from(current + 1).unwrap_or(i32::MAX);
        tx.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)",
            &[&next, &stamp(Utc::now())],
        )?;
        current += 1;
    }
    tx.commit()?;
    tracing::info!(from, to = current, "store schema migrated (PostgreSQL)");
    Ok(())
}

impl Store for PostgresStore {
    fn record_question(&mut self, q: &QuestionRecord) -> Result<RecordId, StoreError> {
        let passages = serde_json::to_string(&q.passages).unwrap_or_else(|_| "[]".into());
        let guild = q.guild_id.map(|g| g.to_string());
        self.client.execute(
            "INSERT INTO questions
                (id, asked_at, question, answered, entry_point, guild_id, asker, passages)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (id) DO UPDATE SET
                asked_at = EXCLUDED.asked_at, question = EXCLUDED.question,
                answered = EXCLUDED.answered, entry_point = EXCLUDED.entry_point,
                guild_id = EXCLUDED.guild_id, asker = EXCLUDED.asker,
                passages = EXCLUDED.passages",
            &[
                &q.id.as_str(),
                &stamp(q.asked_at),
                &q.question,
                &q.answered,
                &q.entry_point.as_str(),
                &guild,
                &q.asker,
                &passages,
            ],
        )?;
        Ok(q.id.clone())
    }

    fn vote(&mut self, v: &VoteRecord) -> Result<bool, StoreError> {
        // One statement: nothing is inserted for a question that is not (or
        // no longer) there.
        let n = self.client.execute(
            "INSERT INTO votes (record_id, voter, up, text, voted_at)
             SELECT $1::text, $2::text, $3::boolean, $4::text, $5::text
             WHERE EXISTS (SELECT 1 FROM questions WHERE id = $1::text)
             ON CONFLICT (record_id, voter) DO UPDATE SET
                up = EXCLUDED.up,
                text = COALESCE(EXCLUDED.text, CASE WHEN votes.up = EXCLUDED.up THEN votes.text END),
                voted_at = EXCLUDED.voted_at",
            &[
                &v.record.as_str(),
                &v.voter,
                &v.up,
                &v.text,
                &stamp(v.voted_at),
            ],
        )?;
        Ok(n > 0)
    }

    fn prune(&mut self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        // Their votes go with them (ON DELETE CASCADE).
        let n = self.client.execute(
            "DELETE FROM questions WHERE asked_at < $1",
            &[&stamp(before)],
        )?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn questions_since(&mut self, since: DateTime<Utc>) -> Result<Vec<StoredQuestion>, StoreError> {
        let cutoff = stamp(since);
        let mut out: Vec<StoredQuestion> = Vec::new();
        let mut index = std::collections::HashMap::new();
        let rows = self.client.query(
            "SELECT id, asked_at, question, answered, entry_point, guild_id, asker, passages
             FROM questions WHERE asked_at >= $1 ORDER BY asked_at, seq",
            &[&cutoff],
        )?;
        for r in rows {
            let id: String = r.try_get(0)?;
            let passages: String = r.try_get(7)?;
            let entry: String = r.try_get(4)?;
            let guild: Option<String> = r.try_get(5)?;
            index.insert(id.clone(), out.len());
            out.push(StoredQuestion {
                record: QuestionRecord {
                    id: RecordId(id),
                    asked_at: parse_time(&r.try_get::<_, String>(1)?),
                    question: r.try_get(2)?,
                    answered: r.try_get(3)?,
                    passages: serde_json::from_str::<Vec<Offered>>(&passages).unwrap_or_default(),
                    entry_point: EntryPoint::parse(&entry).unwrap_or(EntryPoint::Cli),
                    guild_id: guild.and_then(|g| g.parse().ok()),
                    asker: r.try_get(6)?,
                },
                votes: Vec::new(),
            });
        }
        let rows = self.client.query(
            "SELECT v.record_id, v.voter, v.up, v.text, v.voted_at FROM votes v
             JOIN questions q ON q.id = v.record_id
             WHERE q.asked_at >= $1 ORDER BY v.voted_at",
            &[&cutoff],
        )?;
        for r in rows {
            let record: String = r.try_get(0)?;
            if let Some(&i) = index.get(&record) {
                out[i].votes.push(VoteRecord {
                    record: RecordId(record),
                    voter: r.try_get(1)?,
                    up: r.try_get(2)?,
                    text: r.try_get(3)?,
                    voted_at: parse_time(&r.try_get::<_, String>(4)?),
                });
            }
        }
        Ok(out)
    }

    fn put_state(&mut self, key: &str, json: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        check_state(key, json)?;
        self.client.execute(
            "INSERT INTO button_states (key, json, at) VALUES ($1, $2, $3)
             ON CONFLICT (key) DO UPDATE SET json = EXCLUDED.json, at = EXCLUDED.at",
            &[&key, &json, &stamp(at)],
        )?;
        Ok(())
    }

    fn get_state(&mut self, key: &str) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
        check_state(key, "")?;
        let row = self
            .client
            .query_opt("SELECT json, at FROM button_states WHERE key = $1", &[&key])?;
        match row {
            Some(r) => Ok(Some((
                r.try_get(0)?,
                parse_time(&r.try_get::<_, String>(1)?),
            ))),
            None => Ok(None),
        }
    }

    fn claim_once(&mut self, key: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        check_state(key, "")?;
        let n = self.client.execute(
            "INSERT INTO claims (key, at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            &[&key, &stamp(at)],
        )?;
        Ok(n == 1)
    }

    fn is_broken(&mut self) -> bool {
        self.client.is_closed()
    }

    fn prune_states(&mut self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        let cutoff = stamp(before);
        let mut tx = self.client.transaction()?;
        let states = tx.execute("DELETE FROM button_states WHERE at < $1", &[&cutoff])?;
        let claims = tx.execute("DELETE FROM claims WHERE at < $1", &[&cutoff])?;
        tx.commit()?;
        Ok(usize::try_from(states + claims).unwrap_or(usize::MAX))
    }
}
