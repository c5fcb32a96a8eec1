//! The question and feedback store: what was asked, whether it was answered,
//! which passages were offered, and the 👍/👎 votes on the answers.
//!
//! [`Store`] is the small interface a backend implements: [`SqliteStore`] (one
//! file, the default) and [`PostgresStore`] (a server several bot replicas
//! share). It also holds the state of answers' buttons, so a click that reaches
//! another replica still finds its page, and [`Store::claim_once`] makes "Share"
//! post once however many replicas get the click. The shells never
//! write to a store on the answer path: [`Recorder`] hands each write to a
//! writer thread through a bounded queue and drops it, with a log line, when
//! the queue is full, so a locked, read-only or full database never delays or
//! fails an answer.

mod backend;
mod key;
mod postgres;
mod recorder;
mod sqlite;
mod states;

pub use backend::{Backend, PgUrl};
pub use key::{AskerKey, KEY_ENV};
pub use postgres::{redacted_url, PgOptions, PostgresStore, PG_MIGRATIONS};
pub use recorder::{OpenStore, Recorder, RecorderOptions, QUEUE};
pub use sqlite::{SqliteStore, MIGRATIONS, SCHEMA_VERSION};
pub use states::ButtonStates;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Errors of a store backend. They are logged by the writer thread and never
/// reach an answer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store {path}: {message}")]
    Open { path: String, message: String },
    #[error("store database: {0}")]
    Db(#[from] rusqlite::Error),
    /// An error of the PostgreSQL server or of the connection to it.
    #[error("store database (PostgreSQL): {}", self::postgres::describe(.0))]
    Postgres(#[from] ::postgres::Error),
    /// A button state or claim outside the bounds ([`MAX_STATE_KEY`],
    /// [`MAX_STATE_JSON`]).
    #[error("store: {0}")]
    BadState(String),
    #[error("store key {path}: {source}")]
    Key {
        path: String,
        source: std::io::Error,
    },
    #[error("store key: {0}")]
    BadKey(String),
    #[error("the store database is of schema version {found}, newer than this rolefaq knows ({known}); upgrade rolefaq")]
    TooNew { found: i64, known: i64 },
}

/// The id of one recorded question (what votes refer to): 16 hex digits,
/// chosen by the recorder so an answer can carry it before the row is written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecordId(pub String);

impl RecordId {
    /// Parse an id given back by a shell (a button's custom id, a CLI argument).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        (s.len() == 16 && s.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| Self(s.to_ascii_lowercase()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RecordId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a question came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryPoint {
    /// `/ask`.
    Slash,
    /// The "Ask rolefaq" message context menu.
    ContextMenu,
    /// A message mentioning the bot.
    Mention,
    /// `rolefaq ask --record`.
    Cli,
}

impl EntryPoint {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryPoint::Slash => "slash",
            EntryPoint::ContextMenu => "context_menu",
            EntryPoint::Mention => "mention",
            EntryPoint::Cli => "cli",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "slash" => EntryPoint::Slash,
            "context_menu" => EntryPoint::ContextMenu,
            "mention" => EntryPoint::Mention,
            "cli" => EntryPoint::Cli,
            _ => return None,
        })
    }
}

/// A passage offered in an answer, with its score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Offered {
    pub id: String,
    pub score: f32,
}

/// One answered (or refused) question as it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionRecord {
    pub id: RecordId,
    pub asked_at: DateTime<Utc>,
    /// The sanitised question (what the search saw).
    pub question: String,
    pub answered: bool,
    /// The top passages, best first.
    pub passages: Vec<Offered>,
    pub entry_point: EntryPoint,
    pub guild_id: Option<u64>,
    /// Keyed hash of the asker (never the user id itself).
    pub asker: Option<String>,
}

/// One vote on an answer; a later vote of the same voter on the same record
/// replaces it.
#[derive(Debug, Clone, PartialEq)]
pub struct VoteRecord {
    pub record: RecordId,
    /// Keyed hash of the voter.
    pub voter: String,
    pub up: bool,
    /// What the voter was looking for (the 👎 modal), bounded.
    pub text: Option<String>,
    pub voted_at: DateTime<Utc>,
}

/// A stored question with its votes, as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredQuestion {
    pub record: QuestionRecord,
    pub votes: Vec<VoteRecord>,
}

impl StoredQuestion {
    pub fn ups(&self) -> usize {
        self.votes.iter().filter(|v| v.up).count()
    }
    pub fn downs(&self) -> usize {
        self.votes.iter().filter(|v| !v.up).count()
    }
}

/// A backend of the store. Calls may block (the [`Recorder`]'s writer thread
/// makes them), and may fail; neither reaches an answer.
pub trait Store: Send {
    /// Write a question; returns its id.
    fn record_question(&mut self, q: &QuestionRecord) -> Result<RecordId, StoreError>;
    /// Record or change a vote. A vote on an unknown record is ignored
    /// (`Ok(false)`): its question was pruned or never written.
    fn vote(&mut self, v: &VoteRecord) -> Result<bool, StoreError>;
    /// Delete questions (and their votes) asked before `before`; returns how
    /// many questions went.
    fn prune(&mut self, before: DateTime<Utc>) -> Result<usize, StoreError>;
    /// Questions asked at or after `since`, oldest first, with their votes.
    fn questions_since(&mut self, since: DateTime<Utc>) -> Result<Vec<StoredQuestion>, StoreError>;
    /// Keep the state of an answer's buttons under `key` (JSON the shell
    /// chose), replacing what was there. Bounded by [`check_state`].
    fn put_state(&mut self, key: &str, json: &str, at: DateTime<Utc>) -> Result<(), StoreError>;
    /// The state under `key` and when it was put, if it is there.
    fn get_state(&mut self, key: &str) -> Result<Option<(String, DateTime<Utc>)>, StoreError>;
    /// True for the first caller with `key` across every process sharing the
    /// store, false for everyone after (one insert under the primary key).
    fn claim_once(&mut self, key: &str, at: DateTime<Utc>) -> Result<bool, StoreError>;
    /// Delete the states put and the claims made before `before`; returns how
    /// many rows went.
    fn prune_states(&mut self, before: DateTime<Utc>) -> Result<usize, StoreError>;
    /// True when the connection is gone for good (a server that restarted):
    /// the caller opens a new one. A file never is.
    fn is_broken(&mut self) -> bool {
        false
    }
}

/// Longest key of a button state or claim, in bytes.
pub const MAX_STATE_KEY: usize = 100;

/// Longest button state, in bytes of JSON.
pub const MAX_STATE_JSON: usize = 64 * 1024;

/// Refuse an empty or too long key, or too much JSON, before any backend sees it.
pub fn check_state(key: &str, json: &str) -> Result<(), StoreError> {
    if key.is_empty() {
        return Err(StoreError::BadState("a state key must not be empty".into()));
    }
    if key.len() > MAX_STATE_KEY {
        return Err(StoreError::BadState(format!(
            "a state key is at most {MAX_STATE_KEY} bytes (this one is {})",
            key.len()
        )));
    }
    if json.len() > MAX_STATE_JSON {
        return Err(StoreError::BadState(format!(
            "a button state is at most {MAX_STATE_JSON} bytes of JSON (this one is {})",
            json.len()
        )));
    }
    Ok(())
}

/// Longest modal text kept, in characters (Discord's paragraph input allows 4000).
pub const MAX_VOTE_TEXT: usize = 1000;

/// Times as stored: RFC 3339 in UTC with milliseconds, which sorts as text.
pub fn stamp_of(t: DateTime<Utc>) -> String {
    stamp(t)
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A stored time read back; one that does not parse reads as the epoch.
fn parse_time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}
