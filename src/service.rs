//! The search service: owns the serving index generation (and the embedding
//! model when there is one) and answers every command of both shells.
//! Shared as `Arc<Service>` across tasks; all methods are blocking (run them in
//! `spawn_blocking` from async code).

use crate::compare;
use crate::config::Settings;
use crate::corpus;
use crate::error::{Error, Result};
use crate::index::{self, Embedding, Generation};
use crate::model::{
    Answer, Comparison, Freshness, IndexReport, SourceChange, SourceInfo, WatchEvent,
};
use crate::roles::RoleBook;
use crate::search::{self, query, verdict, Lexicon, RankParams};
use crate::store::{
    Backend, ButtonStates, EntryPoint, Offered, PgOptions, PgUrl, QuestionRecord, RecordId,
    Recorder, RecorderOptions, StoredQuestion,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock, TryLockError};

/// Options of one question.
#[derive(Debug, Clone, Copy)]
pub struct AskOptions {
    /// Results per page.
    pub top: usize,
    /// Results to skip (pagination: page * top).
    pub offset: usize,
}

/// What serves questions: one generation and what is derived from it.
pub struct Engine {
    pub gen: Generation,
    pub lexicon: Lexicon,
    /// Roles the corpus knows (built-in and discovered), and their aliases.
    pub book: RoleBook,
    /// What `/compare` reads, extracted once per generation.
    pub compare: compare::Extracted,
    /// Aspects the comparison has evidence for.
    pub aspects: Vec<String>,
    pub roles: query::RoleAliases,
    /// Single-word role aliases as stems ("cio" → "CIO").
    pub role_stems: std::collections::HashMap<String, String>,
}

impl Engine {
    /// Build the engine of a generation. A panic while building it is caught and
    /// returned as [`Error::EngineBuild`], so no lock is poisoned on the way and
    /// the caller decides what serves instead.
    pub fn build(gen: Generation) -> Result<Self> {
        Self::build_with(gen, Self::new)
    }

    /// [`Engine::build`] with another constructor (tests inject a panicking one).
    fn build_with(gen: Generation, make: impl FnOnce(Generation) -> Self) -> Result<Self> {
        let generation = gen.name.clone();
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| make(gen))).map_err(|panic| {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic without a message".to_string());
            tracing::error!(%generation, "building the search engine panicked: {message}");
            Error::EngineBuild {
                generation,
                message,
            }
        })
    }

    fn new(gen: Generation) -> Self {
        let lexicon = Lexicon::build(&gen.passages);
        let book = RoleBook::discover(&gen.passages);
        let extracted = compare::Extracted::new(&gen.passages, &book);
        let aspects = compare::CompareIndex::with(&gen.passages, &book, &extracted).aspects();
        let mut roles = query::RoleAliases::new();
        for r in book.roles() {
            for name in r.names() {
                let name = name.to_lowercase();
                // "CTOs" keeps its s through the stemmer ("CIOs" does not): the plural
                // is an alias of its own wherever it stems differently.
                let plural = format!("{name}s");
                if query::stems_of(&plural) != query::stems_of(&name) {
                    roles.insert(plural, r.short.clone());
                }
                roles.insert(name, r.short.clone());
            }
        }
        let role_stems = roles
            .iter()
            .filter_map(|(alias, short)| {
                let t = crate::index::schema::tokens(alias);
                (t.len() == 1).then(|| (t[0].0.clone(), short.clone()))
            })
            .collect();
        Self {
            lexicon,
            book,
            compare: extracted,
            aspects,
            roles,
            role_stems,
            gen,
        }
    }
}

pub struct Service {
    settings: Settings,
    engine: RwLock<Arc<Engine>>,
    rebuild: Mutex<()>,
    embedder: Option<Arc<dyn Embedding>>,
    stale: AtomicBool,
    /// Recent question embeddings (paging re-asks the same question).
    query_vectors: crate::memo::VectorMemo,
    /// Recent embeddings of question words looked up by meaning (apart, so
    /// that words never push questions out).
    word_vectors: crate::memo::VectorMemo,
    /// Real words typo correction leaves alone (empty when none is known).
    dictionary: std::collections::HashSet<String>,
    /// The question store's writer, started at the first record (never when
    /// `store.enabled` is false).
    recorder: std::sync::OnceLock<Option<Recorder>>,
    /// Button states in the store (a connection of its own), opened at the
    /// first use; `None` when `store.enabled` is false.
    button_states: std::sync::OnceLock<Option<ButtonStates>>,
    /// Rebuilds nobody asked for (the corpus watcher), for the shells to report.
    rebuilds: tokio::sync::broadcast::Sender<WatchEvent>,
}

/// Watch events kept for a subscriber that falls behind.
const WATCH_EVENTS: usize = 16;

/// Word lists are read up to this size (Debian's largest English list is 5 MB).
const WORD_LIST_BYTES: u64 = 16 << 20;

/// Real words: the model's vocabulary (whole words of `vocab.txt`) and the
/// configured word list. A file that cannot be read is logged and skipped.
fn load_dictionary(settings: &Settings) -> std::collections::HashSet<String> {
    let mut words = std::collections::HashSet::new();
    let model_vocab = settings.model.dir.join("vocab.txt");
    for path in [Some(model_vocab), settings.search.word_list.clone()]
        .into_iter()
        .flatten()
    {
        if !path.is_file() {
            if settings.search.word_list.as_ref() == Some(&path) {
                tracing::warn!(path = %path.display(), "search.word_list: no such file; ignored");
            }
            continue;
        }
        let read = std::fs::File::open(&path).and_then(|f| {
            use std::io::Read;
            let mut text = String::new();
            f.take(WORD_LIST_BYTES).read_to_string(&mut text)?;
            Ok(text)
        });
        match read {
            Ok(text) => words.extend(
                text.lines()
                    .map(|w| w.trim().to_lowercase())
                    .filter(|w| w.chars().count() >= 2 && w.chars().all(char::is_alphabetic)),
            ),
            Err(e) => tracing::warn!(path = %path.display(), "word list not read: {e}"),
        }
    }
    words
}

/// The engine's vocabulary with the dictionary of real words.
struct Vocab<'a> {
    lexicon: &'a Lexicon,
    dictionary: &'a std::collections::HashSet<String>,
}

impl query::Vocabulary for Vocab<'_> {
    fn doc_freq(&self, stem: &str) -> u32 {
        self.lexicon.doc_freq(stem)
    }
    fn nearest(&self, stem: &str, max_edits: usize) -> Option<String> {
        self.lexicon.nearest(stem, max_edits)
    }
    fn nearest_word(&self, word: &str, max_edits: usize) -> Option<String> {
        self.lexicon.nearest_word(word, max_edits)
    }
    fn word_of(&self, stem: &str) -> Option<String> {
        self.lexicon.word_of(stem)
    }
    fn is_word(&self, word: &str) -> bool {
        self.dictionary.contains(word)
    }
}

/// Top passages a role verdict looks at.
const VERDICT_WINDOW: usize = 8;

/// Question embeddings kept (the least recently asked forgotten first).
const QUERY_CACHE: usize = 512;

/// Embeddings of question words looked up by meaning kept (1.5 KB each).
const WORD_CACHE: usize = 4096;

impl Service {
    /// Open the index in `settings.index.dir`, building it from the corpus first
    /// when it is missing, unreadable or of another schema (with a log line why).
    /// The embedding model is loaded as `[model]` says (lexical only without one).
    pub fn open(settings: Settings) -> Result<Self> {
        let embedder =
            crate::embed::load_configured(&settings.model).map(|e| e as Arc<dyn Embedding>);
        Self::open_with(settings, embedder)
    }

    /// As [`Service::open`] with an embedding model for hybrid ranking.
    pub fn open_with(settings: Settings, mut embedder: Option<Arc<dyn Embedding>>) -> Result<Self> {
        let dir = &settings.index.dir;
        // Why the corpus no longer matches a generation (`None`: it does).
        // Cheap: files are compared by size and modification time.
        let changed =
            |g: &Generation| match corpus::changed_since(&settings.corpus, &g.manifest.files) {
                Ok(c) => c,
                Err(e) => Some(e.to_string()),
            };
        let fresh = |g: &Generation| changed(g).is_none();
        // A read-only index is served as it is: it can never be rebuilt here.
        let read_only = index::check_writable(dir).err();
        let mut lexical_only = false;
        // Vectors are usable when they come from the configured model. An index
        // with vectors opened without a model is served lexically as it is (a
        // rebuild would throw the vectors away); one without vectors, or with
        // another model's, is rebuilt for the configured model.
        let usable = |g: &Generation| match (&g.manifest.model, &embedder) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some(name), Some(e)) => {
                *name == e.name() && g.embeddings.as_ref().map(|v| v.dim) == Some(e.dim())
            }
        };
        let opened = match index::open_current(dir) {
            Ok(Some(gen)) if !usable(&gen) && read_only.is_some() => {
                tracing::warn!(
                    "{}; its embeddings ({}) do not match the configured model: ranking lexically",
                    read_only
                        .as_ref()
                        .map(|e| e.to_string())
                        .unwrap_or_default(),
                    gen.manifest.model.as_deref().unwrap_or("none"),
                );
                lexical_only = true;
                Some(gen)
            }
            Ok(Some(gen)) if !usable(&gen) => {
                tracing::info!(
                    "index embeddings ({}) do not match the configured model ({}); rebuilding",
                    gen.manifest.model.as_deref().unwrap_or("none"),
                    embedder
                        .as_ref()
                        .map(|e| format!("{}, {} dimensions", e.name(), e.dim()))
                        .unwrap_or_else(|| "none".into())
                );
                None
            }
            Ok(Some(gen)) => {
                if embedder.is_none() {
                    if let Some(name) = &gen.manifest.model {
                        tracing::info!(
                            model = %name,
                            "the index has passage vectors but no model is configured: \
                             ranking lexically, vectors kept"
                        );
                    }
                }
                Some(gen)
            }
            Ok(None) => {
                tracing::info!(index = %dir.display(), "no index yet; building it from the corpus");
                None
            }
            Err(e) if read_only.is_some() => {
                let ro = read_only
                    .as_ref()
                    .map(|r| r.to_string())
                    .unwrap_or_default();
                return Err(Error::Index(format!("{ro}; and it cannot be served: {e}")));
            }
            Err(e) => {
                tracing::warn!(index = %dir.display(), "index unusable ({e}); rebuilding it from the corpus");
                None
            }
        };
        let engine = match opened {
            Some(g) => Engine::build(g)?,
            None => {
                let _lock = index::lock_rebuild(dir)?;
                // Another process may have finished a build since we looked.
                match index::open_current(dir) {
                    Ok(Some(g)) if usable(&g) && fresh(&g) => Engine::build(g)?,
                    _ => {
                        // CURRENT names the new generation only once it can serve.
                        let (_, engine) = index::rebuild_accepted(
                            &settings,
                            embedder.as_deref(),
                            false,
                            Engine::build,
                        )?;
                        engine
                    }
                }
            }
        };
        if lexical_only {
            embedder = None;
        }
        let stale = match changed(&engine.gen) {
            Some(why) => {
                tracing::info!(index = %dir.display(), "the index is stale: {why}");
                if let Some(e) = &read_only {
                    tracing::warn!("{e}");
                }
                true
            }
            None => false,
        };
        let dictionary = load_dictionary(&settings);
        Ok(Self {
            settings,
            engine: RwLock::new(Arc::new(engine)),
            rebuild: Mutex::new(()),
            embedder,
            stale: AtomicBool::new(stale),
            query_vectors: crate::memo::VectorMemo::new(QUERY_CACHE),
            word_vectors: crate::memo::VectorMemo::new(WORD_CACHE),
            dictionary,
            recorder: std::sync::OnceLock::new(),
            button_states: std::sync::OnceLock::new(),
            rebuilds: tokio::sync::broadcast::channel(WATCH_EVENTS).0,
        })
    }

    /// Record through `recorder` instead of the configured store (tests:
    /// a store that fails or blocks). Only before the first record.
    pub fn with_recorder(self, recorder: Recorder) -> Self {
        let _ = self.recorder.set(Some(recorder));
        self
    }

    /// The store the settings name: the PostgreSQL server of `store.url`
    /// (its password may come from `PGPASSWORD`), else the SQLite file.
    pub fn store_backend(&self) -> Backend {
        let s = &self.settings.store;
        match s.postgres_url() {
            Some(url) => Backend::Postgres(
                PgUrl::new(url),
                PgOptions {
                    timeout: std::time::Duration::from_secs(s.timeout_secs),
                    password: std::env::var("PGPASSWORD").ok(),
                },
            ),
            None => Backend::Sqlite(self.settings.store_path()),
        }
    }

    fn recorder(&self) -> Option<&Recorder> {
        self.recorder
            .get_or_init(|| {
                let s = &self.settings.store;
                s.enabled.then(|| {
                    let backend = self.store_backend();
                    let key = std::env::var(crate::store::KEY_ENV).ok();
                    if matches!(backend, Backend::Postgres(..)) && key.is_none() {
                        tracing::warn!(
                            "store: a PostgreSQL store without {}: this process hashes askers \
                             with a key of its own, so replicas do not count the same person once",
                            crate::store::KEY_ENV
                        );
                    }
                    Recorder::new(
                        backend,
                        RecorderOptions {
                            retention_days: s.retention_days,
                            queue: crate::store::QUEUE,
                            key_beside: self.settings.store_path(),
                            key,
                        },
                    )
                })
            })
            .as_ref()
    }

    fn button_states(&self) -> Result<&ButtonStates> {
        self.button_states
            .get_or_init(|| {
                self.settings.store.enabled.then(|| {
                    ButtonStates::new(
                        self.store_backend(),
                        std::time::Duration::from_secs(self.settings.discord.button_timeout_secs),
                    )
                })
            })
            .as_ref()
            .ok_or_else(|| Error::Store("the store is off (store.enabled = false)".into()))
    }

    /// Keep the state of an answer's buttons under `key` (JSON of the
    /// shell's choosing, at most `store::MAX_STATE_JSON` bytes; keys at most
    /// `store::MAX_STATE_KEY`), so another replica can serve a click on them.
    /// Blocks on the store (call it in `spawn_blocking`); an error when the
    /// store is off or failing, never a panic: the shell keeps the state in
    /// memory then.
    pub fn save_button_state(&self, key: &str, json: &str) -> Result<()> {
        self.button_states()?
            .save(key, json)
            .map_err(|e| Error::Store(e.to_string()))
    }

    /// The state saved under `key` and when, unless older than
    /// `discord.button_timeout_secs`. Blocks, and fails, as
    /// [`Service::save_button_state`].
    pub fn load_button_state(
        &self,
        key: &str,
    ) -> Result<Option<(String, chrono::DateTime<chrono::Utc>)>> {
        self.button_states()?
            .load(key)
            .map_err(|e| Error::Store(e.to_string()))
    }

    /// True for the first caller with `key` across every process sharing the
    /// store (so "Share" posts once when two replicas get the click). Blocks,
    /// and fails, as [`Service::save_button_state`].
    pub fn claim_once(&self, key: &str) -> Result<bool> {
        self.button_states()?
            .claim_once(key)
            .map_err(|e| Error::Store(e.to_string()))
    }

    /// Record a question a shell answered: the sanitised question, whether it
    /// was answered, the offered passages (this page's hits) with their
    /// scores, where it came in, the server, and the asker as a keyed hash
    /// (`user_id` itself is never written). Never blocks and never fails the
    /// answer: `None` when recording is off or the write was dropped (logged).
    /// The id is what [`Service::vote`] takes back.
    pub fn record(
        &self,
        question: &str,
        answer: &Answer,
        entry_point: EntryPoint,
        guild_id: Option<u64>,
        user_id: Option<&str>,
    ) -> Option<RecordId> {
        let recorder = self.recorder()?;
        let (text, _) = query::sanitize(question, self.settings.search.max_query_chars);
        let q = QuestionRecord {
            id: RecordId(String::new()),
            asked_at: chrono::Utc::now(),
            question: text,
            answered: !answer.no_answer,
            passages: answer
                .results
                .iter()
                .map(|h| Offered {
                    id: h.passage_id.clone(),
                    score: h.score,
                })
                .collect(),
            entry_point,
            guild_id,
            asker: None,
        };
        recorder.record(q, user_id)
    }

    /// A 👍 (`up`) or 👎 on a recorded answer by `user_id` (hashed; one vote
    /// per person and answer, a later one replaces it), with what the voter
    /// was looking for (sanitised, at most `store::MAX_VOTE_TEXT` characters).
    /// Never blocks; false when recording is off or the write was dropped.
    pub fn vote(&self, record: &RecordId, user_id: &str, up: bool, text: Option<&str>) -> bool {
        let Some(recorder) = self.recorder() else {
            return false;
        };
        let text = text
            .map(|t| query::sanitize(t, crate::store::MAX_VOTE_TEXT).0)
            .filter(|t| !t.trim().is_empty());
        recorder.vote(record.clone(), user_id, up, text)
    }

    /// Wait up to `timeout` for the queued records to be written (the CLI
    /// before it exits; tests). True when they were, or nothing is recorded.
    pub fn flush_records(&self, timeout: std::time::Duration) -> bool {
        match self.recorder.get() {
            Some(Some(r)) => r.flush(timeout),
            _ => true,
        }
    }

    /// The recorded questions of the last `days` days, oldest first, after
    /// deleting those past `store.retention_days` (when the store is writable).
    /// No store file: none.
    pub fn recorded(&self, days: u32) -> Result<Vec<StoredQuestion>> {
        let backend = self.store_backend();
        if let Backend::Sqlite(path) = &backend {
            if !path.exists() {
                return Ok(Vec::new());
            }
        }
        let mut store = backend.open().map_err(|e| Error::Store(e.to_string()))?;
        let now = chrono::Utc::now();
        let retention = chrono::Duration::days(i64::from(self.settings.store.retention_days));
        if let Err(e) = store.prune(now - retention) {
            tracing::warn!("store: old questions not deleted: {e}");
        }
        store
            .questions_since(now - chrono::Duration::days(i64::from(days)))
            .map_err(|e| Error::Store(e.to_string()))
    }

    /// What the corpus misses over the last `days` days: see [`crate::gaps`].
    pub fn gaps(&self, days: u32) -> Result<crate::model::GapsReport> {
        let questions = self.recorded(days)?;
        Ok(self.gaps_of(&questions, days))
    }

    /// The gaps report of questions already read ([`Service::recorded`]).
    pub fn gaps_of(&self, questions: &[StoredQuestion], days: u32) -> crate::model::GapsReport {
        let engine = self.engine();
        let citations: std::collections::HashMap<&str, String> = engine
            .gen
            .passages
            .iter()
            .map(|p| (p.id.as_str(), p.citation()))
            .collect();
        let since = chrono::Utc::now() - chrono::Duration::days(i64::from(days));
        crate::gaps::report(questions, days, since, self.embedder.as_deref(), &|id| {
            citations.get(id).cloned()
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Rank the passages of `engine` for an understood question, with its
    /// vector when there is one, under this service's ranking settings.
    pub fn rank(
        &self,
        engine: &Engine,
        u: &query::Understood,
        query_vec: Option<&[f32]>,
    ) -> Result<Vec<search::Scored>> {
        Ok(search::rank(
            &engine.gen,
            &engine.lexicon,
            u,
            &engine.role_stems,
            query_vec,
            self.rank_params(query_vec.is_some()),
        )?)
    }

    /// This service's ranking settings for a question with a vector or without.
    fn rank_params(&self, hybrid: bool) -> RankParams {
        RankParams {
            dense_weight: if hybrid {
                self.settings.model.dense_weight
            } else {
                0.0
            },
        }
    }

    /// The serving engine (cheap clone of an `Arc`).
    pub fn engine(&self) -> Arc<Engine> {
        match self.engine.read() {
            Ok(e) => e.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Whether dense ranking is active.
    pub fn hybrid(&self) -> bool {
        self.embedder.is_some() && self.engine().gen.embeddings.is_some()
    }

    /// Answer a question with ranked, cited passages (or `no_answer`).
    pub fn ask(&self, question: &str, opts: AskOptions) -> Result<Answer> {
        self.ask_gated(question, opts, true)
    }

    /// As [`Service::ask`], but the passages are returned even when the
    /// answer decision refuses (`decision.answered` says what it decided):
    /// `rolefaq eval --ungated` measures the ranking apart from the decision.
    pub fn ask_ungated(&self, question: &str, opts: AskOptions) -> Result<Answer> {
        self.ask_gated(question, opts, false)
    }

    /// Plain BM25 over the question's words (body and title, no synonyms,
    /// roles, typo correction, coverage, dense similarity or refusals): the
    /// baseline `rolefaq eval --baseline bm25` compares the method with.
    pub fn ask_bm25(&self, question: &str, opts: AskOptions) -> Result<Answer> {
        let engine = self.engine();
        let (text, _) = query::sanitize(question, self.settings.search.max_query_chars);
        let hits = search::bm25_only(&engine.gen, &text, opts.offset + opts.top)?;
        let stems = std::collections::HashSet::new();
        let results = hits
            .iter()
            .enumerate()
            .skip(opts.offset)
            .map(|(i, &(ord, score))| {
                search::hit(&engine.gen, &engine.lexicon, ord, i + 1, score, &stems)
            })
            .collect();
        Ok(Answer {
            query: text,
            no_answer: hits.is_empty(),
            total: hits.len(),
            results,
            verdict: None,
            suggestion: None,
            decision: None,
        })
    }

    fn ask_gated(&self, question: &str, opts: AskOptions, gate: bool) -> Result<Answer> {
        let s = &self.settings.search;
        let engine = self.engine();
        // Words are looked up by meaning only once the question is one to
        // answer (each lookup costs an embedding): the refusals below read
        // only the question's words and roles.
        let mut u = self.understand_words(&engine, question);
        if u.text.chars().all(|c| !c.is_alphanumeric()) {
            let what = if u.text.is_empty() {
                "the question is empty"
            } else {
                "the question has no words, only punctuation, symbols or emoji"
            };
            return Err(Error::BadQuestion(format!(
                "{what}; ask something like \"who owns cybersecurity?\""
            )));
        }
        let top = opts.top.clamp(1, s.max_top);
        if let Some(why) = self.refused_before_ranking(&engine, &u) {
            return Ok(self.refused(&engine, &u, &why));
        }
        self.add_meaning_neighbours(&engine, &mut u);
        let query_vec = self.question_vector(&engine, &u);
        let ranked = self.rank(&engine, &u, query_vec.as_deref())?;
        let decision = self.decision(&engine, &u, &ranked, query_vec.is_some());
        let ranked = if decision.answered || !gate {
            let mut ranked = ranked;
            Self::answer_order(&engine, &u, &mut ranked);
            ranked
        } else {
            Vec::new()
        };
        let stems = search::query_stems(&u);
        // Each hit is cut once, for the page and for the verdict alike.
        let verdict_window = if u.asks_who { VERDICT_WINDOW } else { 0 };
        let page = opts.offset..(opts.offset + top).min(ranked.len());
        let hits: std::collections::BTreeMap<usize, crate::model::Hit> = (0..verdict_window
            .min(ranked.len()))
            .chain(page.clone())
            .map(|i| {
                let r = &ranked[i];
                (
                    i,
                    search::hit(&engine.gen, &engine.lexicon, r.ord, i + 1, r.score, &stems),
                )
            })
            .collect();
        let results: Vec<_> = page.filter_map(|i| hits.get(&i).cloned()).collect();
        let no_answer = ranked.is_empty();
        let verdict = if verdict_window > 0 && !no_answer {
            let top: Vec<_> = (0..verdict_window)
                .filter_map(|i| {
                    hits.get(&i)
                        .map(|h| (h.clone(), &engine.gen.passages[ranked[i].ord]))
                })
                .collect();
            verdict::verdict(&top, &engine.book, &search::content_concepts(&u))
        } else {
            None
        };
        Ok(Answer {
            query: u.text.clone(),
            no_answer,
            suggestion: no_answer.then(|| {
                let hint = self.coverage_hint(&engine);
                match search::decide::rule_refusal(&decision) {
                    Some(why) => format!("{why} {hint}"),
                    None => hint,
                }
            }),
            verdict,
            total: ranked.len(),
            results,
            decision: Some(decision),
        })
    }

    /// Why a question is refused before anything is ranked (a role or title
    /// the corpus never mentions, a script it does not use, no word to search
    /// for), in the words the asker is told; `None` when it is searched.
    fn refused_before_ranking(&self, engine: &Engine, u: &query::Understood) -> Option<String> {
        // A role the corpus never mentions: say so rather than answer about another.
        let unknown: Vec<&String> = u
            .roles
            .iter()
            .filter(|r| {
                engine
                    .book
                    .resolve(r)
                    .is_none_or(|role| engine.book.mention_count(&role.key) == 0)
            })
            .collect();
        // or a title written as a role's ("chief digital officer") that is none of its roles
        let untitled = engine.book.unknown_titles(&u.text);
        if let Some(role) = unknown
            .first()
            .map(|r| r.as_str())
            .or(untitled.first().map(|t| t.as_str()))
        {
            return Some(format!("The corpus says nothing about the {role}."));
        }
        // Nothing to search for: say so rather than offer whatever is closest.
        if !engine.lexicon.shares_letters(&u.text) {
            return Some(
                "The question is written in a script the corpus does not use, so none of its words can be found there."
                    .to_string(),
            );
        }
        if u.concepts.is_empty() {
            let overlong =
                crate::text::words(&u.text).any(|w| w.len() > crate::index::schema::MAX_WORD_BYTES);
            let why = if overlong {
                format!(
                    "The question has no word to search for: its words are either such as \u{201c}what\u{201d} or \u{201c}the\u{201d}, or too long to be words (a run of letters longer than {} bytes is no word to the index).",
                    crate::index::schema::MAX_WORD_BYTES
                )
            } else {
                "The question has no word to search for, only words such as \u{201c}what\u{201d}, \u{201c}the\u{201d} or \u{201c}is\u{201d}.".to_string()
            };
            return Some(why);
        }
        None
    }

    /// An answered pool in the order the answer lists it: for a figure
    /// question, the candidates stating the figure first
    /// ([`search::decide::figures_first`]).
    fn answer_order(engine: &Engine, u: &query::Understood, ranked: &mut [search::Scored]) {
        search::decide::figures_first(u, ranked, |r| engine.gen.passages[r.ord].text.as_str());
    }

    /// Whether a ranked pool answers the question ([`search::decide`]), with
    /// the signals it was decided on; `hybrid` when the question has a vector.
    fn decision(
        &self,
        engine: &Engine,
        u: &query::Understood,
        ranked: &[search::Scored],
        hybrid: bool,
    ) -> crate::model::Decision {
        let d = search::decide::decide(
            search::decide::signals(&engine.lexicon, u, ranked),
            u,
            ranked,
            hybrid,
        );
        let d = search::decide::require_known_names(d, &engine.lexicon, u);
        search::decide::require_figure(
            d,
            u,
            ranked
                .iter()
                .map(|r| engine.gen.passages[r.ord].text.as_str()),
        )
    }

    /// The understood question's embedding, when there is a model and the
    /// generation has passage vectors to compare it with.
    fn question_vector(&self, engine: &Engine, u: &query::Understood) -> Option<Vec<f32>> {
        match &self.embedder {
            Some(e) if engine.gen.embeddings.is_some() => {
                self.query_vector(e.as_ref(), &u.search_text)
            }
            _ => None,
        }
    }

    /// The question's embedding, from the cache when it was asked recently.
    fn query_vector(&self, e: &dyn Embedding, text: &str) -> Option<Vec<f32>> {
        self.query_vectors.vector(e, text)
    }

    /// Forget the cached question and word embeddings (benchmarks use it to
    /// time new questions).
    pub fn forget_question_vectors(&self) {
        self.query_vectors.clear();
        self.word_vectors.clear();
    }

    /// Clean and understand a question against an engine's vocabulary and
    /// roles; with the model, words the corpus lacks gain the corpus words
    /// closest to them in meaning ([`search::meaning`]).
    pub fn understand(&self, engine: &Engine, question: &str) -> query::Understood {
        let mut u = self.understand_words(engine, question);
        self.add_meaning_neighbours(engine, &mut u);
        u
    }

    fn add_meaning_neighbours(&self, engine: &Engine, u: &mut query::Understood) {
        let s = &self.settings.search;
        let (Some(e), Some(words), true) = (
            &self.embedder,
            &engine.gen.words,
            s.meaning_neighbours > 0 && engine.gen.embeddings.is_some(),
        ) else {
            return;
        };
        let unknown =
            search::meaning::unknown_concepts(u, &engine.lexicon, search::meaning::MAX_LOOKUPS);
        if unknown.is_empty() {
            return;
        }
        let params = search::meaning::MeaningParams {
            neighbours: s.meaning_neighbours,
            similarity: s.meaning_similarity,
            context: s.meaning_context,
        };
        // the question's own vector (cached, so ask does not embed it twice)
        let question = self.question_vector(engine, u);
        let asked: Vec<String> = unknown
            .iter()
            .map(|&i| u.concepts[i].word.clone())
            .collect();
        let asked: Vec<&str> = asked.iter().map(String::as_str).collect();
        let vectors = self.word_vectors.vectors(e.as_ref(), &asked);
        for (i, v) in unknown.into_iter().zip(vectors) {
            let Some(v) = v else {
                continue;
            };
            search::meaning::add_neighbours(
                u,
                i,
                &v,
                question.as_deref(),
                words,
                &engine.role_stems,
                params,
            );
        }
    }

    fn understand_words(&self, engine: &Engine, question: &str) -> query::Understood {
        let s = &self.settings.search;
        let (text, truncated) = query::sanitize(question, s.max_query_chars);
        query::understand(
            &text,
            truncated,
            &s.synonyms,
            &engine.roles,
            &Vocab {
                lexicon: &engine.lexicon,
                dictionary: &self.dictionary,
            },
            s.fuzzy,
        )
    }

    /// How a question was understood (for `rolefaq ask --explain`).
    pub fn explain(&self, question: &str) -> String {
        let engine = self.engine();
        let u = self.understand(&engine, question);
        let mut out = format!("who-question: {}  roles: {:?}\n", u.asks_who, u.roles);
        let question = self.question_vector(&engine, &u);
        let emphasis = search::emphasis_in(
            &engine.gen,
            &u,
            question.as_deref(),
            self.rank_params(question.is_some()),
        );
        for (i, c) in u.concepts.iter().enumerate() {
            let alts: Vec<String> = c
                .alts
                .iter()
                .map(|(a, w)| format!("{}^{w}", a.join(" ")))
                .collect();
            let emphasis = match emphasis.get(i) {
                Some(e) if *e < 1.0 => format!(", emphasis {e:.2}"),
                _ => String::new(),
            };
            out.push_str(&format!(
                "  {} (weight {}{emphasis}): {}\n",
                c.word,
                c.weight,
                alts.join(", ")
            ));
        }
        for (from, to) in &u.corrections {
            out.push_str(&format!("  corrected {from} → {to}\n"));
        }
        for (word, near) in &u.meanings {
            out.push_str(&format!("  by meaning {word} → {near}\n"));
        }
        if let (Some(v), Some(emb)) = (&question, &engine.gen.embeddings) {
            for (ord, sim) in search::dense(emb, v, 3) {
                let t: String = engine.gen.passages[ord].text.chars().take(70).collect();
                out.push_str(&format!("  dense {sim:.3}: {t}\n"));
            }
        }
        out
    }

    /// The whole ranked pool of a question (before the answer decision), with
    /// the question's vector when there is one.
    fn ranked_pool(
        &self,
        engine: &Engine,
        question: &str,
    ) -> Result<(query::Understood, Option<Vec<f32>>, Vec<search::Scored>)> {
        let u = self.understand(engine, question);
        let query_vec = self.question_vector(engine, &u);
        let ranked = self.rank(engine, &u, query_vec.as_deref())?;
        Ok((u, query_vec, ranked))
    }

    /// The ranked pool of a judged question, each candidate with whether
    /// `is_judged` holds for its text, and how many content words the question
    /// has (`rolefaq eval --features`, for refitting the ranking weights).
    pub fn judged_pool(
        &self,
        question: &str,
        is_judged: &dyn Fn(&str) -> bool,
    ) -> Result<(usize, Vec<(search::Scored, bool)>)> {
        let engine = self.engine();
        let (u, _, ranked) = self.ranked_pool(&engine, question)?;
        let signals = search::decide::signals(&engine.lexicon, &u, &ranked);
        let pool = ranked
            .into_iter()
            .map(|c| {
                let gold = is_judged(&engine.gen.passages[c.ord].text);
                (c, gold)
            })
            .collect();
        Ok((signals.content_words, pool))
    }

    /// [`Service::explain`], then why each candidate ranked where it did: the
    /// first `shown` candidates with score, coverage and dense similarity, and,
    /// for judged questions, every candidate whose text `judged` holds for
    /// (marked `*`) and the judged passages that were not ranked at all
    /// (for `rolefaq ask --explain` and `rolefaq eval --explain`).
    pub fn explain_ranking(
        &self,
        question: &str,
        judged: Option<&dyn Fn(&str) -> bool>,
        shown: usize,
    ) -> Result<String> {
        let engine = self.engine();
        let mut out = self.explain(question);
        let (u, query_vec, mut ranked) = self.ranked_pool(&engine, question)?;
        if let Some(why) = self.refused_before_ranking(&engine, &u) {
            out.push_str(&format!("  decision: refused before ranking; {why}\n"));
            return Ok(out);
        }
        // decided on the ranking as it comes, then listed as the answer lists it
        let decision =
            (!ranked.is_empty()).then(|| self.decision(&engine, &u, &ranked, query_vec.is_some()));
        if decision.as_ref().is_some_and(|d| d.answered) {
            Self::answer_order(&engine, &u, &mut ranked);
        }
        let is_judged = |ord: usize| judged.is_some_and(|j| j(&engine.gen.passages[ord].text));
        let line = |text: &str| -> String {
            text.chars()
                .take(110)
                .collect::<String>()
                .replace('\n', " ")
        };
        if ranked.is_empty() {
            out.push_str("  no answer: no candidate covers enough of the question\n");
        } else {
            out.push_str(&format!(
                "  {} candidates (rank, score, coverage of the question, dense similarity, document):\n",
                ranked.len()
            ));
        }
        for (i, c) in ranked.iter().enumerate() {
            let gold = is_judged(c.ord);
            if i < shown || gold {
                let p = &engine.gen.passages[c.ord];
                out.push_str(&format!(
                    "  {}{:>3} score={:.3} cov={:.2} dense={:.2} {} | {}\n",
                    if gold { "*" } else { " " },
                    i + 1,
                    c.score,
                    c.coverage,
                    c.dense,
                    p.doc_id,
                    line(&p.text)
                ));
            }
        }
        if let Some(figure) = search::decide::figure_asked(&u) {
            let about: Vec<&str> = search::content_of(&u, search::figures::framing)
                .map(|c| c.word.as_str())
                .collect();
            out.push_str(&format!(
                "  figure asked: {figure:?}, of: {} (one of the first {} candidates must state it in a sentence{}; those that do are listed first among the first {} of an answer, as above)\n",
                if about.is_empty() { "-".to_string() } else { about.join(", ") },
                search::decide::FIGURE_WINDOW,
                if about.is_empty() { "" } else { " naming one of these" },
                search::decide::FIGURE_LIFT,
            ));
        }
        if let Some(d) = decision {
            out.push_str(&format!(
                "  decision: {} (score {:.2}; coverage {:.2}, dense {:.2}, centred {:.2}, known {:.2}, unknown words {}){}\n",
                if d.answered { "answered" } else { "refused" },
                d.score,
                d.coverage,
                d.dense,
                d.dense_centred,
                d.known,
                d.unknown_words,
                search::decide::rule_refusal(&d)
                    .map(|why| format!("; {why}"))
                    .unwrap_or_default()
            ));
        }
        if judged.is_some() {
            let ranked_ords: std::collections::HashSet<usize> =
                ranked.iter().map(|c| c.ord).collect();
            for (ord, p) in engine.gen.passages.iter().enumerate() {
                if is_judged(ord) && !ranked_ords.contains(&ord) {
                    let dense = match (&query_vec, &engine.gen.embeddings) {
                        (Some(v), Some(e)) => format!("dense={:.2} ", e.dot(ord, v)),
                        _ => String::new(),
                    };
                    out.push_str(&format!(
                        "  * not ranked: {dense}{} | {}\n",
                        p.doc_id,
                        line(&p.text)
                    ));
                }
            }
        }
        Ok(out)
    }

    /// "No answer", with why and what the corpus covers.
    fn refused(&self, engine: &Engine, u: &query::Understood, why: &str) -> Answer {
        Answer {
            query: u.text.clone(),
            results: Vec::new(),
            no_answer: true,
            verdict: None,
            suggestion: Some(format!("{why} {}", self.coverage_hint(engine))),
            total: 0,
            decision: None,
        }
    }

    /// A short description of what the corpus covers, for "no answer" replies.
    fn coverage_hint(&self, engine: &Engine) -> String {
        let titles: Vec<&str> = engine
            .gen
            .manifest
            .sources
            .iter()
            .map(|s| s.title.as_str())
            .take(3)
            .collect();
        format!(
            "The corpus covers technology-leadership roles ({}) in {} documents, e.g. {}. Try asking who is responsible for something, or compare two roles.",
            self.known_roles().join(", "),
            engine.gen.manifest.documents,
            titles.join("; ")
        )
    }

    /// Compare two roles (any alias the corpus knows), optionally one aspect.
    pub fn compare(&self, a: &str, b: &str, aspect: Option<&str>) -> Result<Comparison> {
        let e = self.engine();
        compare::CompareIndex::with(&e.gen.passages, &e.book, &e.compare).compare(a, b, aspect)
    }

    /// Rebuild the index from the corpus beside the serving one, then swap.
    /// Errors with `RebuildInProgress` when another rebuild runs.
    /// A rebuild whose engine cannot be built (even by a panic) leaves `CURRENT`
    /// and the serving engine as they were, and the next rebuild can run.
    pub fn reindex(&self) -> Result<IndexReport> {
        self.reindex_with(Engine::build)
    }

    /// [`Service::reindex`] for the corpus watcher: a file that the serving
    /// generation has but this build could not read fails it
    /// ([`Error::BrokenFiles`]) and the serving generation stays.
    pub fn reindex_watched(&self) -> Result<IndexReport> {
        self.reindex_as(true, Engine::build)
    }

    /// Why the corpus no longer matches the serving generation, `None` when it does.
    pub fn corpus_changed(&self) -> Result<Option<String>> {
        corpus::changed_since(&self.settings.corpus, &self.engine().gen.manifest.files)
    }

    /// Rebuilds of the corpus watcher as they happen (successes and failures):
    /// a shell subscribes to report them where `/reindex` reports. Events sent
    /// while nobody subscribes are dropped.
    pub fn subscribe_rebuilds(&self) -> tokio::sync::broadcast::Receiver<WatchEvent> {
        self.rebuilds.subscribe()
    }

    /// Tell every subscriber about a watched rebuild; a failed one also marks
    /// the serving index stale (the corpus has moved on from it).
    pub fn announce_rebuild(&self, event: WatchEvent) {
        if event.error.is_some() {
            self.stale.store(true, Ordering::SeqCst);
        }
        // Err only when nobody listens
        let _ = self.rebuilds.send(event);
    }

    fn reindex_with(
        &self,
        build: impl FnOnce(Generation) -> Result<Engine>,
    ) -> Result<IndexReport> {
        self.reindex_as(false, build)
    }

    fn reindex_as(
        &self,
        watched: bool,
        build: impl FnOnce(Generation) -> Result<Engine>,
    ) -> Result<IndexReport> {
        // The mutex guards no data: a poisoned one (a panic while it was held)
        // is free, not "in progress".
        let _guard = match self.rebuild.try_lock() {
            Ok(g) => g,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => return Err(Error::RebuildInProgress),
        };
        let dir = &self.settings.index.dir;
        let _lock = index::lock_rebuild(dir)?;
        let (report, engine) = if watched {
            index::rebuild_watched(&self.settings, self.embedder.as_deref(), build)?
        } else {
            index::rebuild_accepted(&self.settings, self.embedder.as_deref(), false, build)?
        };
        let engine = Arc::new(engine);
        match self.engine.write() {
            Ok(mut e) => *e = engine,
            Err(poisoned) => *poisoned.into_inner() = engine,
        }
        self.stale.store(false, Ordering::SeqCst);
        Ok(report)
    }

    /// The loaded embedding model, if any.
    pub fn embedder(&self) -> Option<Arc<dyn Embedding>> {
        self.embedder.clone()
    }

    /// Validate `bytes` as the corpus document `name`, write it into the corpus
    /// atomically (refusing an existing id unless `replace`) and rebuild. A
    /// rebuild that cannot run now is reported in the change: the file is in the
    /// corpus and the next rebuild (or the watcher) takes it in.
    pub fn add_source(&self, name: &str, bytes: &[u8], replace: bool) -> Result<SourceChange> {
        let c = &self.settings.corpus;
        let added = corpus::upload::add(
            &c.dir,
            c,
            self.settings.index.max_passage_chars,
            name,
            bytes,
            replace,
        )?;
        tracing::info!(id = %added.id, file = %added.path.display(), "document added to the corpus");
        let mut change = SourceChange {
            action: "added".into(),
            id: added.id,
            files: vec![added.path.display().to_string()],
            kept: added
                .replaced
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
            passages: added.passages,
            titled: added.titled,
            rebuild: None,
            rebuild_error: None,
            skipped_reason: None,
        };
        self.rebuild_for(&mut change);
        Ok(change)
    }

    /// Move the document `id` out of the corpus (into `.removed/`, where it can
    /// be restored from) and rebuild.
    pub fn remove_source(&self, id: &str) -> Result<SourceChange> {
        let removed = corpus::upload::remove(&self.settings.corpus.dir, id)?;
        tracing::info!(id = %removed.id, "document removed from the corpus");
        let mut change = SourceChange {
            action: "removed".into(),
            id: removed.id,
            files: removed
                .kept
                .iter()
                .map(|(f, _)| f.display().to_string())
                .collect(),
            kept: removed
                .kept
                .iter()
                .map(|(_, k)| k.display().to_string())
                .collect(),
            passages: 0,
            titled: None,
            rebuild: None,
            rebuild_error: None,
            skipped_reason: None,
        };
        self.rebuild_for(&mut change);
        Ok(change)
    }

    fn rebuild_for(&self, change: &mut SourceChange) {
        match self.reindex() {
            Ok(report) => {
                change.skipped_reason = report
                    .skipped
                    .iter()
                    .find(|s| change.action == "added" && change.files.contains(&s.path))
                    .map(|s| s.reason.clone());
                change.rebuild = Some(report);
            }
            Err(e) => change.rebuild_error = Some(e.to_string()),
        }
    }

    /// Documents of the serving index.
    pub fn sources(&self) -> Vec<SourceInfo> {
        self.engine().gen.manifest.sources.clone()
    }

    /// Build time and counts of the serving index.
    pub fn freshness(&self) -> Freshness {
        let e = self.engine();
        Freshness {
            built_at: e.gen.manifest.built_at.clone(),
            documents: e.gen.manifest.documents,
            passages: e.gen.manifest.passages,
            stale: self.stale.load(Ordering::SeqCst),
        }
    }

    /// Canonical short names of the roles the corpus knows ("CIO", "CTO", …).
    /// Roles the corpus mentions, most mentioned first.
    pub fn known_roles(&self) -> Vec<String> {
        let e = self.engine();
        e.book
            .known()
            .into_iter()
            .filter(|r| e.book.mention_count(&r.key) > 0)
            .map(|r| r.short.clone())
            .collect()
    }

    /// Aspect names the comparison has evidence for.
    pub fn known_aspects(&self) -> Vec<String> {
        self.engine().aspects.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-document corpus and an index directory beside it.
    fn sandbox() -> (tempfile::TempDir, Settings) {
        let dir = tempfile::tempdir().expect("tempdir");
        let corpus = dir.path().join("corpus");
        std::fs::create_dir_all(&corpus).expect("corpus dir");
        std::fs::write(
            corpus.join("a.md"),
            "---\ntitle: A\n---\nThe CIO runs internal systems, while the CTO leads product development.\n",
        )
        .expect("corpus file");
        let mut s = Settings::default();
        s.corpus.dir = corpus;
        s.index.dir = dir.path().join("index");
        s.model.enabled = false;
        (dir, s)
    }

    fn generations(index_dir: &std::path::Path) -> usize {
        std::fs::read_dir(index_dir)
            .expect("index dir")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("gen-"))
            .count()
    }

    #[test]
    fn a_panic_while_building_the_engine_is_an_error_and_publishes_nothing() {
        let (_dir, settings) = sandbox();
        let index_dir = settings.index.dir.clone();
        let svc = Service::open(settings).expect("opens");
        let current = index::current_name(&index_dir);
        let serving = svc.engine().gen.name.clone();
        let err = svc
            .reindex_with(|g| Engine::build_with(g, |_| panic!("injected")))
            .expect_err("a panic becomes an error");
        assert!(
            matches!(&err, Error::EngineBuild { message, .. } if message == "injected"),
            "{err}"
        );
        assert!(err.to_string().contains("building the search engine"));
        assert_eq!(
            index::current_name(&index_dir),
            current,
            "CURRENT unchanged"
        );
        assert_eq!(
            generations(&index_dir),
            1,
            "the refused generation is removed"
        );
        assert_eq!(svc.engine().gen.name, serving, "the old engine serves");
        assert!(!svc.rebuild.is_poisoned());
        svc.reindex().expect("the next rebuild runs");
        assert_ne!(index::current_name(&index_dir), current);
    }

    #[test]
    fn a_poisoned_rebuild_mutex_is_free_not_in_progress() {
        let (_dir, settings) = sandbox();
        let svc = Service::open(settings).expect("opens");
        std::thread::scope(|s| {
            let _ = s
                .spawn(|| {
                    let _held = svc.rebuild.lock();
                    panic!("poisons the rebuild mutex");
                })
                .join();
        });
        assert!(svc.rebuild.is_poisoned());
        svc.reindex()
            .expect("a poisoned mutex is not a rebuild in progress");
    }
}
