//! Settings: built-in defaults < `config.toml` < environment (`ROLEFAQ__SECTION__KEY`) < flags.
//!
//! Raw serde structs with `deny_unknown_fields` so a typo in `config.toml` or in an
//! environment variable is reported at start-up rather than silently ignored.
//! The Discord token is a secret: it is read only from the environment and is
//! refused (with a clear message) when written into the config file.

use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

/// Environment prefix and nesting separator: `ROLEFAQ__SEARCH__TOP=5`.
pub const ENV_PREFIX: &str = "ROLEFAQ";
pub const ENV_SEPARATOR: &str = "__";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("config file {path} does not exist (named by {named_by})")]
    NotFound { path: String, named_by: String },
    #[error("invalid configuration: {0}")]
    Invalid(String),
    #[error(
        "config file {0} contains discord.token: secrets are never read from files; \
         remove it and set DISCORD_TOKEN (or ROLEFAQ__DISCORD__TOKEN) in the environment"
    )]
    TokenInFile(String),
    #[error(
        "config file {0} gives store.url with a password: secrets are never read from files; \
         remove the password from it and set PGPASSWORD (or the whole URL in ROLEFAQ__STORE__URL) \
         in the environment"
    )]
    PasswordInFile(String),
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CorpusSettings {
    /// Directory holding the source documents.
    pub dir: PathBuf,
    /// Drop teaser lines that end in an ellipsis ("…" or "...").
    pub drop_ellipsis_teasers: bool,
    /// Drop lines that occur verbatim in at least this many documents (0 = off).
    #[serde(deserialize_with = "whole")]
    pub repeated_line_min_docs: usize,
    /// Lines of at most this many words that contain one of these phrases
    /// (case-insensitive) are call-to-action or promo lines.
    #[serde(deserialize_with = "one_or_many")]
    pub cta_phrases: Vec<String>,
    #[serde(deserialize_with = "whole")]
    pub cta_max_words: usize,
    /// Words that, in a short line, mark an author byline or bio
    /// (e.g. "seasoned", "dedicated to", "specialized in").
    #[serde(deserialize_with = "one_or_many")]
    pub bio_markers: Vec<String>,
    /// Lines shorter than this many words without final punctuation and not a
    /// heading candidate are treated as navigation debris.
    #[serde(deserialize_with = "whole")]
    pub min_words: usize,
    /// Phrases that mark promotional or cross-link lines ("core use case for",
    /// "for a deeper look"); matched case-insensitively anywhere in a paragraph.
    #[serde(deserialize_with = "one_or_many")]
    pub promo_phrases: Vec<String>,
    /// Largest corpus file loaded, in bytes; larger files are skipped with a warning.
    #[serde(deserialize_with = "whole")]
    pub max_file_bytes: u64,
    /// Follow symbolic links that lead out of the corpus directory (off: such
    /// links are skipped with a warning).
    pub allow_symlinks_outside: bool,
}

impl Default for CorpusSettings {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("corpus"),
            drop_ellipsis_teasers: true,
            repeated_line_min_docs: 2,
            cta_phrases: [
                "talk to a",
                "contact us",
                "book a demo",
                "request a demo",
                "sign up",
                "subscribe",
                "learn more",
                "get started",
                "download the",
                "click here",
                "free trial",
            ]
            .map(String::from)
            .to_vec(),
            cta_max_words: 8,
            bio_markers: [
                "seasoned",
                "dedicated to",
                "specialized in",
                "specializes in",
                "years of experience",
                "is a writer",
                "passionate about",
            ]
            .map(String::from)
            .to_vec(),
            min_words: 3,
            promo_phrases: [
                "core use case for",
                "our solution",
                "our platform",
                "schedule a demo",
                "for a deeper look",
                "for a full overview",
                "resource page covers",
                "guide covers",
                "read more",
                "see also",
            ]
            .map(String::from)
            .to_vec(),
            max_file_bytes: 20 * 1024 * 1024,
            allow_symlinks_outside: false,
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct IndexSettings {
    pub dir: PathBuf,
    /// Passages are split at sentence boundaries to stay under this many characters.
    #[serde(deserialize_with = "whole")]
    pub max_passage_chars: usize,
    /// Writer memory budget in bytes.
    #[serde(deserialize_with = "whole")]
    pub writer_memory_bytes: usize,
}

impl Default for IndexSettings {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("index"),
            max_passage_chars: 900,
            writer_memory_bytes: 50_000_000,
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SearchSettings {
    /// Results shown by default.
    #[serde(deserialize_with = "whole")]
    pub top: usize,
    /// Largest number of results a caller may ask for.
    #[serde(deserialize_with = "whole")]
    pub max_top: usize,
    /// Questions longer than this (in characters) are truncated, with a note.
    #[serde(deserialize_with = "whole")]
    pub max_query_chars: usize,
    /// Fuzzy matching for words the index does not know (edit distance 1–2).
    pub fuzzy: bool,
    /// No longer read: the answer/no-answer decision (`search::decide`)
    /// replaced the coverage threshold. Accepted so older config files load;
    /// a warning says it is ignored.
    pub min_coverage: Option<f32>,
    /// A word list (one word per line, e.g. Debian's `/usr/share/dict/words`)
    /// of real words that typo correction never changes. The model's own
    /// vocabulary (`vocab.txt` in `[model] dir`) is used as well when present.
    pub word_list: Option<PathBuf>,
    /// Synonyms and acronyms: a word or phrase → phrases it also means.
    pub synonyms: BTreeMap<String, Vec<String>>,
    /// A question word the corpus never uses is also searched as up to this
    /// many corpus words closest to it in meaning (the model's word vectors;
    /// hybrid mode only). 0: off.
    #[serde(deserialize_with = "whole")]
    pub meaning_neighbours: usize,
    /// How close in meaning (cosine of the model's word vectors) a corpus
    /// word must be to stand in for a question word.
    pub meaning_similarity: f32,
    /// How close (cosine) such a corpus word must also be to the whole
    /// question, so that a word close for another sense ("lights" → "LED")
    /// does not stand in.
    pub meaning_context: f32,
}

impl Default for SearchSettings {
    fn default() -> Self {
        let syn = |k: &str, v: &[&str]| (k.to_string(), v.iter().map(|s| s.to_string()).collect());
        Self {
            top: 3,
            max_top: 25,
            max_query_chars: 1000,
            fuzzy: true,
            min_coverage: None,
            word_list: None,
            meaning_neighbours: 3,
            meaning_similarity: 0.7,
            meaning_context: 0.15,
            synonyms: BTreeMap::from([
                syn(
                    "infosec",
                    &["information security", "cybersecurity", "security"],
                ),
                syn("cybersecurity", &["security", "information security"]),
                syn("cyber", &["cybersecurity", "security"]),
                syn("helpdesk", &["help desk", "it services", "service desk"]),
                syn("help desk", &["helpdesk", "it services"]),
                syn("boss", &["reports to", "reporting line"]),
                syn("senior", &["higher", "reports to", "authority"]),
                syn(
                    "in charge of",
                    &["responsible for", "oversees", "owns", "leads"],
                ),
                syn("owns", &["responsible for", "oversees", "leads"]),
                syn("kpi", &["metrics", "success measured by"]),
                syn("kpis", &["metrics", "success measured by"]),
                syn("roadmap", &["technical roadmap", "technology roadmap"]),
                syn("engineers", &["engineering teams"]),
                syn("data privacy", &["data protection", "privacy"]),
                syn("kinds", &["types", "profiles", "archetypes"]),
                syn("types", &["kinds", "profiles", "archetypes"]),
                syn("main", &["primary", "core"]),
                syn("goal", &["objective", "aim", "purpose"]),
                syn("difference", &["differ", "distinction", "versus"]),
                syn("adopt", &["adoption"]),
                syn("tech", &["technology", "technologies"]),
                syn(
                    "it support",
                    &["helpdesk", "it service management", "it services"],
                ),
                syn("tickets", &["helpdesk", "incident"]),
                syn("pick", &["select", "choose", "evaluate"]),
                syn("choose", &["select", "evaluate"]),
                syn("provider", &["vendor", "platform"]),
                syn("budget", &["spend", "cost", "investments"]),
                syn("hackers", &["security", "cybersecurity", "threat"]),
                syn("guard", &["protect", "protecting", "security"]),
                syn("staff", &["employees", "workforce"]),
                syn("company", &["organization", "business"]),
                syn("train", &["training", "skill gaps"]),
                syn(
                    "keep an eye on",
                    &["monitor", "track", "scouting", "evaluate"],
                ),
                syn(
                    "one person",
                    &[
                        "single executive",
                        "single role",
                        "one executive",
                        "both hats",
                    ],
                ),
                syn("appear", &["emerged", "emerge", "originated"]),
                syn("origin", &["emerged", "originated", "history"]),
                syn(
                    "more senior",
                    &["higher", "subordinate", "same level", "peers", "authority"],
                ),
                syn(
                    "work together",
                    &["collaborate", "collaboration", "alignment"],
                ),
                syn(
                    "not aligned",
                    &["misalignment", "without alignment", "silos"],
                ),
                syn(
                    "misaligned",
                    &["misalignment", "without alignment", "silos"],
                ),
                syn("gdpr", &["compliance", "data protection", "regulatory"]),
            ]),
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ModelSettings {
    /// Use dense embeddings when a model is present in `dir`.
    pub enabled: bool,
    /// Local directory with `model.safetensors`, `tokenizer.json`, `config.json`.
    pub dir: PathBuf,
    /// Weight of the dense ranking in reciprocal-rank fusion (0 = lexical only).
    pub dense_weight: f32,
    /// Weights used to embed questions: "q8" (8-bit, 2–3× faster, median
    /// cosine 0.9995 to exact) or "f32" (exact). Passages are always
    /// embedded with the exact weights.
    pub question_precision: Precision,
    /// Dynamic batching of questions (`embed::batch`): questions that queue
    /// while every lane (one per CPU) is embedding go together in the next
    /// batch; during a burst, a question that finds a lane free waits up to
    /// this long for companions. A question with nobody else about never
    /// waits. 0: each question embedded on its own.
    pub batch_window_ms: u64,
    /// Questions embedded together at most (1: each on its own).
    pub batch_max: usize,
}

impl Default for ModelSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            dir: PathBuf::from("models/all-MiniLM-L6-v2"),
            dense_weight: 1.0,
            question_precision: Precision::Q8,
            batch_window_ms: 2,
            batch_max: 16,
        }
    }
}

/// How the dense layers' weights that embed questions are held
/// (`[model] question_precision`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// f32, exactly as published.
    F32,
    /// 8-bit weights with one scale per output; each token's inputs are
    /// rounded to 16 bits with their own scale (`embed::question`).
    Q8,
}

impl Precision {
    /// Every accepted spelling, for messages.
    pub const VALUES: [&'static str; 2] = ["q8", "f32"];
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Precision::F32 => "f32",
            Precision::Q8 => "q8",
        })
    }
}

impl std::str::FromStr for Precision {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "f32" => Ok(Precision::F32),
            "q8" => Ok(Precision::Q8),
            _ => Err(format!(
                "'{s}' is not a question precision; valid values: \"q8\" (8-bit, the default) or \"f32\" (exact)"
            )),
        }
    }
}

impl<'de> Deserialize<'de> for Precision {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A secret (the bot token, the store's URL, which may carry a password), kept
/// out of `Debug` and `Display` so it cannot reach a log line.
#[derive(Clone, Default, Deserialize, PartialEq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DiscordSettings {
    /// REST base URL (`https://discord.com`, a REST proxy, or a local fake in tests).
    pub api_base: String,
    /// Register commands in these guilds (instant); empty = global registration.
    #[serde(deserialize_with = "one_or_many")]
    pub guild_ids: Vec<u64>,
    /// Users allowed to run /reindex.
    #[serde(deserialize_with = "one_or_many")]
    pub admin_user_ids: Vec<u64>,
    /// Roles whose members may run /reindex.
    #[serde(deserialize_with = "one_or_many")]
    pub admin_role_ids: Vec<u64>,
    /// Servers whose administrators (and the members Discord lets invoke /reindex
    /// there) may rebuild the shared index. Empty: only `admin_user_ids` and
    /// `admin_role_ids` may.
    #[serde(deserialize_with = "one_or_many")]
    pub home_guild_ids: Vec<u64>,
    /// Answer messages that @mention the bot and direct messages to it.
    pub answer_mentions: bool,
    /// Answer an @mention in a new thread on the asker's message (not in DMs).
    pub answer_in_thread: bool,
    /// Channel where every /reindex also reports (start of a long rebuild, result);
    /// unset: the channel /reindex was used in, and only when the rebuild outlives
    /// the interaction token.
    #[serde(deserialize_with = "whole_opt")]
    pub admin_channel_id: Option<u64>,
    /// Milliseconds an answer may take to go out as the initial response; a slower
    /// one is deferred and edited in (100-2500).
    #[serde(deserialize_with = "whole")]
    pub fast_answer_ms: u64,
    /// Seconds between "still rebuilding" updates of a `/reindex` reply (1-3600).
    #[serde(deserialize_with = "whole")]
    pub reindex_progress_secs: u64,
    /// Seconds a user waits between questions.
    #[serde(deserialize_with = "whole")]
    pub cooldown_secs: u64,
    /// Seconds after which "More results" buttons stop working.
    #[serde(deserialize_with = "whole")]
    pub button_timeout_secs: u64,
    /// Results per page in Discord replies.
    #[serde(deserialize_with = "whole")]
    pub page_size: usize,
    /// Seconds any one Discord REST call may take (connect, send, answer) before it
    /// is abandoned (1–300).
    pub http_timeout_secs: u64,
    /// Answers whose "More results"/"Share" buttons are remembered at most (the
    /// oldest is forgotten first; each also expires after `button_timeout_secs`).
    pub max_paged_answers: usize,
    /// Largest attachment `/sources add` downloads, in bytes (1 KiB–100 MiB; the
    /// corpus's `max_file_bytes` applies too).
    pub max_upload_bytes: u64,
    /// Shard handling: total shards and the range this process runs (None = automatic).
    #[serde(deserialize_with = "whole_opt")]
    pub shard_count: Option<u32>,
    #[serde(deserialize_with = "whole_opt")]
    pub shard_start: Option<u32>,
    #[serde(deserialize_with = "whole_opt")]
    pub shard_end: Option<u32>,
    /// Serve Discord's outgoing interactions over HTTP on this address
    /// (`host:port`, behind a TLS proxy: Discord's "Interactions Endpoint URL") instead
    /// of connecting to the gateway; `rolefaq serve --http ADDR` sets it. Empty: the
    /// gateway.
    pub http_listen: String,
    /// The application's public key (hex, from the Developer Portal), which checks the
    /// signatures of HTTP interactions. Not a secret (`ROLEFAQ__DISCORD__PUBLIC_KEY`).
    pub public_key: String,
    /// Only from the environment (`DISCORD_TOKEN` or `ROLEFAQ__DISCORD__TOKEN`).
    pub token: Secret,
}

impl DiscordSettings {
    /// `http_listen` is empty or `host:port` with an IP address; `public_key` is empty
    /// or 64 hex digits, and set when `http_listen` is.
    pub fn check_http_keys(&self) -> Result<(), String> {
        let listen = self.http_listen.trim();
        if !listen.is_empty() && listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(format!(
                "discord.http_listen (--http) must be an address such as 127.0.0.1:8080, not '{listen}'"
            ));
        }
        let key = self.public_key.trim();
        if !key.is_empty() && (key.len() != 64 || !key.bytes().all(|b| b.is_ascii_hexdigit())) {
            return Err(
                "discord.public_key must be the application's public key: 64 hex digits \
                 (Developer Portal > your application > General Information)"
                    .into(),
            );
        }
        if !listen.is_empty() && key.is_empty() {
            return Err(
                "discord.http_listen needs discord.public_key (or ROLEFAQ__DISCORD__PUBLIC_KEY): \
                 the application's public key, which signs Discord's HTTP interactions"
                    .into(),
            );
        }
        Ok(())
    }
}

impl Default for DiscordSettings {
    fn default() -> Self {
        Self {
            api_base: "https://discord.com".into(),
            guild_ids: Vec::new(),
            admin_user_ids: Vec::new(),
            admin_role_ids: Vec::new(),
            home_guild_ids: Vec::new(),
            answer_mentions: true,
            answer_in_thread: false,
            admin_channel_id: None,
            fast_answer_ms: 1200,
            reindex_progress_secs: 30,
            cooldown_secs: 3,
            button_timeout_secs: 600,
            page_size: 3,
            http_timeout_secs: 10,
            max_paged_answers: 1000,
            max_upload_bytes: 10 * 1024 * 1024,
            shard_count: None,
            shard_start: None,
            shard_end: None,
            http_listen: String::new(),
            public_key: String::new(),
            token: Secret::default(),
        }
    }
}

/// The question and feedback store (`src/store`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSettings {
    /// Record the questions answered through Discord and the votes on them
    /// (`rolefaq ask --record` too). Off: nothing is written.
    pub enabled: bool,
    /// The SQLite file; default `questions.sqlite` beside the index directory
    /// ([`Settings::store_path`]). Its asker key is `FILE.key` beside it.
    pub path: Option<PathBuf>,
    /// Questions and votes older than this many days are deleted (1–3650).
    #[serde(deserialize_with = "whole")]
    pub retention_days: u32,
    /// A PostgreSQL server instead of the SQLite file (`postgres://USER@HOST:PORT/DB`),
    /// for several bot replicas sharing one store. A password only from the
    /// environment (`ROLEFAQ__STORE__URL` or `PGPASSWORD`); logged without it.
    /// Empty: the SQLite file.
    pub url: Option<Secret>,
    /// Seconds connecting to the PostgreSQL server, and each statement on it,
    /// may take (1–60).
    #[serde(deserialize_with = "whole")]
    pub timeout_secs: u64,
}

impl Default for StoreSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            path: None,
            retention_days: 90,
            url: None,
            timeout_secs: 5,
        }
    }
}

impl StoreSettings {
    /// The PostgreSQL URL when one is set (an empty one is none).
    pub fn postgres_url(&self) -> Option<&str> {
        self.url
            .as_ref()
            .map(|u| u.expose().trim())
            .filter(|u| !u.is_empty())
    }
}

/// The store's file name beside the index directory when `store.path` is unset.
pub const STORE_FILE: &str = "questions.sqlite";

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub corpus: CorpusSettings,
    pub index: IndexSettings,
    pub search: SearchSettings,
    pub model: ModelSettings,
    pub discord: DiscordSettings,
    pub store: StoreSettings,
    pub watch: WatchSettings,
}

impl Settings {
    /// The store file: `store.path`, else `questions.sqlite` beside the index
    /// directory (`index/` → `questions.sqlite` in the directory holding it).
    pub fn store_path(&self) -> PathBuf {
        if let Some(p) = &self.store.path {
            return p.clone();
        }
        let index = &self.index.dir;
        match index.parent() {
            Some(parent) => parent.join(STORE_FILE),
            None => PathBuf::from(STORE_FILE),
        }
    }
}

/// `[watch]`: rebuilding when the corpus changes (`rolefaq serve`, `rolefaq watch`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct WatchSettings {
    /// Watch the corpus while `rolefaq serve` runs (`rolefaq watch` always does).
    pub enabled: bool,
    /// Milliseconds without a further change before a rebuild starts (writes settle).
    #[serde(deserialize_with = "whole")]
    pub settle_ms: u64,
    /// Seconds between scans of the corpus in case file events are missed or
    /// unavailable (network and some container file systems); 0 = events only.
    #[serde(deserialize_with = "whole")]
    pub poll_secs: u64,
}

impl Default for WatchSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            settle_ms: 1500,
            poll_secs: 30,
        }
    }
}

/// A list, or a single value standing for a one-element list: an environment
/// variable such as `ROLEFAQ__DISCORD__GUILD_IDS=123` has no comma to split on,
/// and split items arrive as strings ("1", "2").
fn one_or_many<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + std::str::FromStr,
    T::Err: fmt::Display,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Item<T> {
        Val(T),
        Text(String),
    }
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany<T> {
        Many(Vec<Item<T>>),
        One(Item<T>),
    }
    let items = match OneOrMany::<T>::deserialize(d)? {
        OneOrMany::Many(v) => v,
        OneOrMany::One(x) => vec![x],
    };
    items
        .into_iter()
        .map(|i| match i {
            Item::Val(v) => Ok(v),
            Item::Text(t) => t
                .trim()
                .parse::<T>()
                .map_err(|e| serde::de::Error::custom(format!("'{t}': {e}"))),
        })
        .collect()
}

/// An integer setting: whole numbers only. The `config` crate would round 2.5
/// to 3; here a fraction, a negative number or one too large for the setting
/// is refused (`config` adds the key to the message).
fn whole<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<u64>,
{
    let n = d.deserialize_any(WholeVisitor)?;
    T::try_from(n).map_err(|_| serde::de::Error::custom(format!("number too large: {n}")))
}

/// [`whole`] for an optional setting.
fn whole_opt<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<u64>,
{
    struct Whole<T>(T);
    impl<'de, T: TryFrom<u64>> Deserialize<'de> for Whole<T> {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            whole(d).map(Whole)
        }
    }
    Ok(Option::<Whole<T>>::deserialize(d)?.map(|w| w.0))
}

struct WholeVisitor;

impl serde::de::Visitor<'_> for WholeVisitor {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a whole number")
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| E::custom(format!("{v} is negative")))
    }
    fn visit_u128<E: serde::de::Error>(self, v: u128) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| E::custom(format!("number too large: {v}")))
    }
    fn visit_i128<E: serde::de::Error>(self, v: i128) -> Result<u64, E> {
        if v < 0 {
            return Err(E::custom(format!("{v} is negative")));
        }
        u64::try_from(v).map_err(|_| E::custom(format!("number too large: {v}")))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<u64, E> {
        if !v.is_finite() || v.fract() != 0.0 {
            Err(E::custom(format!("{v} is not a whole number")))
        } else if v < 0.0 {
            Err(E::custom(format!("{v} is negative")))
        } else if v >= u64::MAX as f64 {
            Err(E::custom(format!("number too large: {v}")))
        } else {
            Ok(v as u64)
        }
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<u64, E> {
        let t = v.trim();
        if let Ok(n) = t.parse::<u64>() {
            return Ok(n);
        }
        match t.parse::<f64>() {
            Ok(f) => self.visit_f64(f),
            Err(_) => Err(E::custom(format!("'{v}' is not a whole number"))),
        }
    }
}

/// A TOML syntax error, naming the key of the line it is on ("number too
/// large" in `[index]` `max_passage_chars = 99999999999999999999` says
/// `index.max_passage_chars`).
fn toml_error(path: &Path, text: &str, e: &toml::de::Error) -> ConfigError {
    let at = e.span().map_or(0, |s| s.start).min(text.len());
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].lines().next().unwrap_or("");
    let table = text[..start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('[') && l.ends_with(']'))
        .map(|l| l.trim_matches(['[', ']']).trim());
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim())
        .filter(|k| !k.is_empty());
    let name = match (table, key) {
        (Some(t), Some(k)) => format!("{t}.{k}: "),
        (None, Some(k)) => format!("{k}: "),
        _ => String::new(),
    };
    ConfigError::Invalid(format!("{}: {name}{}", path.display(), e.message()))
}

/// The environment variable naming the config file when `--config` is not given.
pub const CONFIG_ENV: &str = "ROLEFAQ_CONFIG";

/// The config file to read and what named it: the first of `--config`,
/// `ROLEFAQ_CONFIG`, `./config.toml` and the user's config directory
/// (`$XDG_CONFIG_HOME/rolefaq/config.toml`, else `~/.config/rolefaq/config.toml`)
/// that applies. A file named by the flag or the variable must exist; the
/// other two are used when they exist. `None`: built-in defaults only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigLocation {
    pub path: PathBuf,
    /// Must exist (named explicitly).
    pub required: bool,
    /// What named it, for messages ("--config", "ROLEFAQ_CONFIG", …).
    pub named_by: &'static str,
}

/// See [`ConfigLocation`]; `cwd` is the directory `./config.toml` is looked for in.
pub fn locate_config(
    flag: Option<&Path>,
    env: &HashMap<String, String>,
    cwd: &Path,
) -> Option<ConfigLocation> {
    if let Some(p) = flag {
        return Some(ConfigLocation {
            path: p.to_path_buf(),
            required: true,
            named_by: "--config",
        });
    }
    if let Some(p) = env.get(CONFIG_ENV).filter(|p| !p.trim().is_empty()) {
        return Some(ConfigLocation {
            path: PathBuf::from(p),
            required: true,
            named_by: CONFIG_ENV,
        });
    }
    let here = cwd.join("config.toml");
    if here.is_file() {
        return Some(ConfigLocation {
            path: PathBuf::from("config.toml"),
            required: false,
            named_by: "./config.toml",
        });
    }
    let nonempty = |k: &str| {
        env.get(k)
            .filter(|v| !v.trim().is_empty())
            .map(PathBuf::from)
    };
    let user_dir = nonempty("XDG_CONFIG_HOME")
        .filter(|p| p.is_absolute())
        .or_else(|| nonempty("HOME").map(|h| h.join(".config")))?;
    let user = user_dir.join("rolefaq").join("config.toml");
    user.is_file().then_some(ConfigLocation {
        path: user,
        required: false,
        named_by: "the user config directory",
    })
}

/// Command-line overrides, the last word over file and environment.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub corpus_dir: Option<PathBuf>,
    pub index_dir: Option<PathBuf>,
    pub model_dir: Option<PathBuf>,
    pub no_model: bool,
}

impl Settings {
    /// Load the file [`locate_config`] finds, then the process environment,
    /// then `overrides`.
    pub fn load_located(flag: Option<&Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        let env: HashMap<String, String> = std::env::vars().collect();
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        match locate_config(flag, &env, &cwd) {
            Some(loc) => {
                if loc.required && !loc.path.exists() {
                    return Err(ConfigError::NotFound {
                        path: loc.path.display().to_string(),
                        named_by: loc.named_by.to_string(),
                    });
                }
                Self::load_with_env(Some(&loc.path), loc.required, &env, overrides)
            }
            None => Self::load_with_env(None, false, &env, overrides),
        }
    }

    /// Load from `path` (if it exists, or must exist when `required`), then the
    /// process environment, then `overrides`. Relative directories the file
    /// gives or leaves at their defaults are taken relative to the file.
    pub fn load(
        path: Option<&Path>,
        required: bool,
        overrides: &Overrides,
    ) -> Result<Self, ConfigError> {
        let env: HashMap<String, String> = std::env::vars().collect();
        Self::load_with_env(path, required, &env, overrides)
    }

    /// As [`Settings::load`] with an explicit environment (tests use this).
    pub fn load_with_env(
        path: Option<&Path>,
        required: bool,
        env: &HashMap<String, String>,
        overrides: &Overrides,
    ) -> Result<Self, ConfigError> {
        let mut builder = config::Config::builder();
        if let Some(p) = path {
            if p.exists() {
                let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.display().to_string(),
                    source,
                })?;
                if let Err(e) = text.parse::<toml::Table>() {
                    return Err(toml_error(p, &text, &e));
                }
                if file_has_token(&text) {
                    return Err(ConfigError::TokenInFile(p.display().to_string()));
                }
                if file_has_store_password(&text) {
                    return Err(ConfigError::PasswordInFile(p.display().to_string()));
                }
                builder =
                    builder.add_source(config::File::from_str(&text, config::FileFormat::Toml));
            } else if required {
                return Err(ConfigError::NotFound {
                    path: p.display().to_string(),
                    named_by: "--config".into(),
                });
            }
        }
        // Only our own prefix: ROLEFAQ__SECTION__KEY.
        let ours: HashMap<String, String> = env
            .iter()
            .filter(|(k, _)| k.starts_with(&format!("{ENV_PREFIX}{ENV_SEPARATOR}")))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        builder = builder.add_source(
            config::Environment::with_prefix(ENV_PREFIX)
                .prefix_separator(ENV_SEPARATOR)
                .separator(ENV_SEPARATOR)
                .list_separator(",")
                .with_list_parse_key("discord.guild_ids")
                .with_list_parse_key("discord.admin_user_ids")
                .with_list_parse_key("discord.admin_role_ids")
                .with_list_parse_key("discord.home_guild_ids")
                .with_list_parse_key("corpus.cta_phrases")
                .with_list_parse_key("corpus.bio_markers")
                .with_list_parse_key("corpus.promo_phrases")
                .try_parsing(true)
                .source(Some(ours)),
        );
        let raw = builder
            .build()
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        let mut settings: Settings = raw
            .try_deserialize()
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        // Synonyms from the file and environment add to (or, by key, replace) the
        // built-in table; an empty list switches a built-in entry off.
        let mut synonyms = SearchSettings::default().synonyms;
        synonyms.extend(std::mem::take(&mut settings.search.synonyms));
        synonyms.retain(|_, v| !v.is_empty());
        settings.search.synonyms = synonyms;
        if settings.discord.token.is_empty() {
            if let Some(t) = env.get("DISCORD_TOKEN") {
                settings.discord.token = Secret::new(t.clone());
            }
        }
        // Paths a config file gives (or leaves at their defaults) are relative
        // to the file's directory; those from the environment and the flags,
        // to the current directory.
        if let Some(base) = path.filter(|p| p.exists()).and_then(Path::parent) {
            let from_env =
                |key: &str| env.contains_key(&format!("{ENV_PREFIX}{ENV_SEPARATOR}{key}"));
            for (key, dir) in [
                ("CORPUS__DIR", &mut settings.corpus.dir),
                ("INDEX__DIR", &mut settings.index.dir),
                ("MODEL__DIR", &mut settings.model.dir),
            ] {
                if !from_env(key) && dir.is_relative() {
                    *dir = base.join(&*dir);
                }
            }
            if let Some(p) = settings.store.path.as_mut() {
                if !from_env("STORE__PATH") && p.is_relative() && !p.as_os_str().is_empty() {
                    *p = base.join(&*p);
                }
            }
        }
        if let Some(d) = &overrides.corpus_dir {
            settings.corpus.dir = d.clone();
        }
        if let Some(d) = &overrides.index_dir {
            settings.index.dir = d.clone();
        }
        if let Some(d) = &overrides.model_dir {
            settings.model.dir = d.clone();
        }
        if overrides.no_model {
            settings.model.enabled = false;
        }
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: &str| Err(ConfigError::Invalid(m.to_string()));
        // Values under which every document would be dropped.
        if self.corpus.repeated_line_min_docs == 1 {
            return bad(
                "corpus.repeated_line_min_docs must be 0 (off) or at least 2: \
                 at 1 every line of every document counts as repeated",
            );
        }
        if self.corpus.max_file_bytes == 0 {
            return bad("corpus.max_file_bytes must be at least 1 (0 would skip every file)");
        }
        if self.watch.settle_ms > 600_000 {
            return bad("watch.settle_ms must be at most 600000 (ten minutes)");
        }
        if self.search.top == 0 || self.search.top > self.search.max_top {
            return bad("search.top must be between 1 and search.max_top");
        }
        if self.search.max_top == 0 || self.search.max_top > 100 {
            return bad("search.max_top must be between 1 and 100");
        }
        if self.search.max_query_chars < 10 {
            return bad("search.max_query_chars must be at least 10");
        }
        if self.search.meaning_neighbours > 10 {
            return bad("search.meaning_neighbours must be between 0 (off) and 10");
        }
        if !(0.3..=1.0).contains(&self.search.meaning_similarity) {
            return bad("search.meaning_similarity must be between 0.3 and 1");
        }
        if !(-1.0..=1.0).contains(&self.search.meaning_context) {
            return bad("search.meaning_context must be between -1 and 1");
        }
        if self.search.min_coverage.is_some() {
            tracing::warn!(
                "search.min_coverage is no longer used (the answer decision replaced it); ignoring it"
            );
        }
        if self.index.max_passage_chars < 100 {
            return bad("index.max_passage_chars must be at least 100");
        }
        if self.index.writer_memory_bytes < 15_000_000 {
            return bad("index.writer_memory_bytes must be at least 15000000");
        }
        if !(0.0..=10.0).contains(&self.model.dense_weight) {
            return bad("model.dense_weight must be between 0 and 10");
        }
        if self.model.batch_window_ms > 100 {
            return bad("model.batch_window_ms must be at most 100 (0: no batching)");
        }
        if !(1..=256).contains(&self.model.batch_max) {
            return bad("model.batch_max must be between 1 and 256 (1: no batching)");
        }
        if self.discord.page_size == 0 || self.discord.page_size > 10 {
            return bad("discord.page_size must be between 1 and 10");
        }
        if !(1..=300).contains(&self.discord.http_timeout_secs) {
            return bad("discord.http_timeout_secs must be between 1 and 300");
        }
        if self.discord.max_paged_answers == 0 || self.discord.max_paged_answers > 1_000_000 {
            return bad("discord.max_paged_answers must be between 1 and 1000000");
        }
        if !(1024..=100 * 1024 * 1024).contains(&self.discord.max_upload_bytes) {
            return bad("discord.max_upload_bytes must be between 1024 and 104857600");
        }
        if !(100..=2500).contains(&self.discord.fast_answer_ms) {
            return bad(
                "discord.fast_answer_ms must be between 100 and 2500 (Discord's deadline for \
                 the initial response is 3000 ms)",
            );
        }
        if !(1..=3600).contains(&self.discord.reindex_progress_secs) {
            return bad("discord.reindex_progress_secs must be between 1 and 3600");
        }
        if self.discord.admin_channel_id == Some(0) {
            return bad("discord.admin_channel_id must be a channel id (unset it for none)");
        }
        if !(1..=3650).contains(&self.store.retention_days) {
            return bad("store.retention_days must be between 1 and 3650");
        }
        if self
            .store
            .path
            .as_ref()
            .is_some_and(|p| p.as_os_str().is_empty())
        {
            return bad(
                "store.path must name a file (leave it out for the default beside the index)",
            );
        }
        if !(1..=60).contains(&self.store.timeout_secs) {
            return bad("store.timeout_secs must be between 1 and 60");
        }
        if let Some(url) = self.store.postgres_url() {
            // The value is never echoed: it may hold a password.
            let parsed = url::Url::parse(url).ok();
            if !parsed
                .as_ref()
                .is_some_and(|u| matches!(u.scheme(), "postgres" | "postgresql") && u.has_host())
            {
                return bad(
                    "store.url must be a postgres://USER@HOST:PORT/DATABASE URL \
                     (leave it out for the SQLite file)",
                );
            }
        }
        let base = self.discord.api_base.trim();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return bad("discord.api_base must be an http:// or https:// URL");
        }
        self.discord
            .check_http_keys()
            .map_err(ConfigError::Invalid)?;
        Ok(())
    }
}

/// True when the TOML text's `[store] url` carries a password (in the user
/// part or as a `password` parameter).
fn file_has_store_password(text: &str) -> bool {
    let Ok(value) = text.parse::<toml::Table>() else {
        return false;
    };
    let Some(url) = value
        .get("store")
        .and_then(|d| d.get("url"))
        .and_then(|u| u.as_str())
    else {
        return false;
    };
    url::Url::parse(url.trim())
        .is_ok_and(|u| u.password().is_some() || u.query_pairs().any(|(k, _)| k == "password"))
}

/// True when the TOML text sets `token` in the `[discord]` table (in any spelling).
fn file_has_token(text: &str) -> bool {
    let Ok(value) = text.parse::<toml::Table>() else {
        return false; // the syntax error is reported by the caller
    };
    value
        .get("discord")
        .and_then(|d| d.as_table())
        .is_some_and(|d| d.contains_key("token"))
}
