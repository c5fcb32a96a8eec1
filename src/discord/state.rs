//! The handler's shared state (one per client, shared by all shards) and the page
//! state "More results" / "Share" refer to.
//!
//! # Lanes
//!
//! Core calls run on tokio's blocking pool in three lanes, so nothing that has to answer
//! within Discord's 3 s waits behind work that may take longer:
//!
//! * **search** (`/ask`, `/compare`, the message command, @mentions, "More results"):
//!   one call per CPU at a time (a burst queues here, not on the runtime threads);
//! * **light** (autocomplete, `/sources` and its buttons): cheap reads of the serving
//!   engine, no slot, so they never wait behind questions;
//! * **rebuild** (`/reindex`): its own thread, no search slot, so questions never wait
//!   behind a rebuild (one rebuild at a time: the busy flag and the core's lock).

use super::guard::{self, Cooldown};
use super::pages::Bounded;
use super::render::Reply;
use super::Core;
use crate::config::DiscordSettings;
use crate::store::RecordId;
use serenity::all::Http;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// What a "More results" / "Share" button refers to, kept server-side (its age is
/// kept by the [`Bounded`] map).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(super) struct PageState {
    pub(super) question: String,
    pub(super) user_id: u64,
    /// Results of the answer when last asked (pages are clamped to them).
    pub(super) total: usize,
    pub(super) private: bool,
    /// The page currently shown (what "Share" posts).
    pub(super) shown: Reply,
    /// "Share" was used (it posts once).
    pub(super) shared: bool,
    /// The recorded question (its vote buttons stay on every page; paging never
    /// records again).
    pub(super) record: Option<RecordId>,
}

/// Store keys of page states and of "Share" claims.
const PAGE_STATE_PREFIX: &str = "page:";
const SHARE_CLAIM_PREFIX: &str = "share:";

/// Shared state of the handler (one per client, shared by all shards).
pub struct State {
    pub(super) core: Arc<dyn Core>,
    pub(super) settings: DiscordSettings,
    pub(super) cooldown: Cooldown,
    pages: Mutex<Bounded<PageState>>,
    pub(super) reindexing: AtomicBool,
    /// The search lane: one search per CPU at a time; a burst of questions queues
    /// here instead of crowding out the runtime threads that send responses.
    search_slots: tokio::sync::Semaphore,
    /// Interaction callbacks, edits and follow-ups (no serenity rate limiter; see the
    /// module docs).
    pub(super) ihttp: Arc<Http>,
    /// The bot's user id (from READY), to find @mentions.
    pub(super) bot_id: AtomicU64,
    /// How long the last rebuild took (0: none yet).
    pub(super) last_rebuild_ms: AtomicU64,
    pub(super) registered: AtomicBool,
    next_key: AtomicU64,
    key_salt: u64,
}

impl State {
    /// `ihttp` sends interaction responses (see the module docs).
    pub fn new(core: Arc<dyn Core>, settings: DiscordSettings, ihttp: Arc<Http>) -> Self {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(0x5eed);
        Self {
            core,
            cooldown: Cooldown::new(Duration::from_secs(settings.cooldown_secs)),
            pages: Mutex::new(Bounded::new(
                settings.max_paged_answers,
                Duration::from_secs(settings.button_timeout_secs),
            )),
            settings,
            reindexing: AtomicBool::new(false),
            search_slots: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, usize::from),
            ),
            ihttp,
            bot_id: AtomicU64::new(0),
            last_rebuild_ms: AtomicU64::new(0),
            registered: AtomicBool::new(false),
            next_key: AtomicU64::new(1),
            key_salt: h.finish(),
        }
    }

    pub(super) fn pages(&self) -> std::sync::MutexGuard<'_, Bounded<PageState>> {
        self.pages.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Page states remembered now (bounded by `max_paged_answers`).
    pub fn paged_answers(&self) -> usize {
        self.pages().len()
    }

    /// Forget expired page states; returns how many.
    pub fn sweep_pages(&self, now: Instant) -> usize {
        self.pages().sweep(now)
    }

    /// `call` (a Discord REST call) abandoned after `http_timeout_secs`. The HTTP
    /// client has the same timeout; this one also bounds serenity's own waits
    /// (rate-limit sleeps) around the request.
    pub(super) async fn within<T, E>(
        &self,
        what: &str,
        call: impl Future<Output = Result<T, E>>,
    ) -> anyhow::Result<T>
    where
        E: Into<anyhow::Error>,
    {
        let limit = Duration::from_secs(self.settings.http_timeout_secs);
        match tokio::time::timeout(limit, call).await {
            Ok(res) => res.map_err(|e| e.into().context(format!("{what} failed"))),
            Err(_) => Err(anyhow::anyhow!(
                "{what} abandoned after {} s (discord.http_timeout_secs)",
                limit.as_secs()
            )),
        }
    }

    /// Store a page state and return its key (16 hex digits, random: replicas
    /// sharing a store never collide). It is kept in memory and, in the background,
    /// in the core's store, so any replica (or this one after a restart) can serve a
    /// click on its buttons.
    pub(super) fn store(&self, st: PageState) -> String {
        let n = self.next_key.fetch_add(1, Ordering::Relaxed);
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(self.key_salt ^ n);
        let key = format!("{:016x}", h.finish());
        self.save_page(&key, &st);
        self.pages().insert(key.clone(), st, Instant::now());
        key
    }

    /// Write a page state to the store without waiting (a failure is logged: the
    /// state stays in this process's memory).
    fn save_page(&self, key: &str, st: &PageState) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let json = match serde_json::to_string(st) {
            Ok(j) => j,
            Err(e) => {
                tracing::warn!(error = %e, "a page state could not be serialised");
                return;
            }
        };
        let core = Arc::clone(&self.core);
        let key = format!("{PAGE_STATE_PREFIX}{key}");
        runtime.spawn_blocking(move || {
            if let Err(e) = core.save_button_state(&key, &json) {
                tracing::debug!(error = %e, "page state kept in memory only");
            }
        });
    }

    /// The page state under `key`: this process's memory, else the store (a click
    /// another replica's answer got), which is then remembered here too.
    pub(super) async fn page_state(&self, key: &str) -> Option<PageState> {
        if let Some((_, p)) = self.pages().get_mut(key, Instant::now()) {
            return Some(p.clone());
        }
        let stored = format!("{PAGE_STATE_PREFIX}{key}");
        let loaded = self
            .light(move |c| c.load_button_state(&stored))
            .await
            .ok()?;
        let json = match loaded {
            Ok(Some(json)) => json,
            Ok(None) => return None,
            Err(e) => {
                tracing::debug!(error = %e, "no page state from the store");
                return None;
            }
        };
        match serde_json::from_str::<PageState>(&json) {
            Ok(p) => {
                self.pages()
                    .insert(key.to_string(), p.clone(), Instant::now());
                Some(p)
            }
            Err(e) => {
                tracing::warn!(error = %e, "a stored page state could not be read");
                None
            }
        }
    }

    /// Change the page state under `key` (here and in the store); `None` when it is
    /// unknown or expired.
    pub(super) async fn update_page(
        &self,
        key: &str,
        f: impl FnOnce(&mut PageState),
    ) -> Option<PageState> {
        let mut p = self.page_state(key).await?;
        f(&mut p);
        self.save_page(key, &p);
        if let Some((_, here)) = self.pages().get_mut(key, Instant::now()) {
            *here = p.clone();
        }
        Some(p)
    }

    /// True for the one click that may "Share" the answer under `key`, across
    /// every process sharing the store (this process's memory when there is no
    /// store).
    pub(super) async fn claim_share(&self, key: &str) -> bool {
        let claim = format!("{SHARE_CLAIM_PREFIX}{key}");
        let claimed = self.light(move |c| c.claim_once(&claim)).await;
        let first = match claimed {
            Ok(Ok(first)) => Some(first),
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "Share claimed in memory only");
                None
            }
            Err(_) => None,
        };
        let mut pages = self.pages();
        match (first, pages.get_mut(key, Instant::now())) {
            (Some(false), _) | (None, None) => false,
            (_, Some((_, p))) if p.shared => false,
            (_, Some((_, p))) => {
                p.shared = true;
                true
            }
            (Some(true), None) => true,
        }
    }

    /// A search-lane core call (a slot, then the blocking pool). A panic in the core
    /// becomes an error.
    pub(super) async fn search<T, F>(&self, f: F) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Core) -> T + Send + 'static,
    {
        let _slot = self
            .search_slots
            .acquire()
            .await
            .map_err(|e| anyhow::anyhow!("search slots closed: {e}"))?;
        self.light(f).await
    }

    /// A light-lane or rebuild-lane core call: straight to the blocking pool, waiting
    /// for no search slot.
    pub(super) async fn light<T, F>(&self, f: F) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Core) -> T + Send + 'static,
    {
        let core = Arc::clone(&self.core);
        tokio::task::spawn_blocking(move || f(core.as_ref()))
            .await
            .map_err(|e| anyhow::anyhow!("core task failed: {e}"))
    }

    /// Claim the one change of the shared index at a time (`/reindex`, `/sources
    /// add|remove`): `None` while another runs; released when the guard drops.
    pub(super) fn claim_rebuild(&self) -> Option<ClearOnDrop<'_>> {
        (!self.reindexing.swap(true, Ordering::SeqCst)).then(|| ClearOnDrop(&self.reindexing))
    }

    pub(super) fn policy(&self) -> guard::ReindexPolicy<'_> {
        guard::ReindexPolicy {
            admin_user_ids: &self.settings.admin_user_ids,
            admin_role_ids: &self.settings.admin_role_ids,
            home_guild_ids: &self.settings.home_guild_ids,
        }
    }
}

/// Sweep expired page states every minute (every `button_timeout_secs` when that is
/// shorter), so memory shrinks even when no answer is stored. Ends with the state.
pub fn spawn_page_sweeper(state: &Arc<State>) {
    let weak: Weak<State> = Arc::downgrade(state);
    let every = Duration::from_secs(state.settings.button_timeout_secs.clamp(1, 60));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            let Some(st) = weak.upgrade() else { return };
            let n = st.sweep_pages(Instant::now());
            if n > 0 {
                tracing::debug!(expired = n, left = st.paged_answers(), "page states swept");
            }
        }
    });
}

/// Clears a busy flag when dropped, on every path out of the work it guards.
pub(super) struct ClearOnDrop<'a>(pub(super) &'a AtomicBool);

impl Drop for ClearOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::error::Error;
    use crate::service::AskOptions;

    /// A core the paging store never calls.
    pub(in crate::discord) struct NoCore;

    impl Core for NoCore {
        fn ask(&self, _: &str, _: AskOptions) -> crate::Result<crate::model::Answer> {
            Err(Error::RebuildInProgress)
        }
        fn compare(
            &self,
            _: &str,
            _: &str,
            _: Option<&str>,
        ) -> crate::Result<crate::model::Comparison> {
            Err(Error::RebuildInProgress)
        }
        fn reindex(&self) -> crate::Result<crate::model::IndexReport> {
            Err(Error::RebuildInProgress)
        }
        fn sources(&self) -> Vec<crate::model::SourceInfo> {
            Vec::new()
        }
        fn freshness(&self) -> crate::model::Freshness {
            unreachable!("the paging store never asks for freshness")
        }
        fn known_roles(&self) -> Vec<String> {
            Vec::new()
        }
        fn known_aspects(&self) -> Vec<String> {
            Vec::new()
        }
    }

    fn page_state() -> PageState {
        PageState {
            question: "q".into(),
            user_id: 1,
            total: 9,
            private: false,
            shown: Reply::default(),
            shared: false,
            record: None,
        }
    }

    #[test]
    fn paged_answers_are_bounded_by_count_and_age() {
        let settings = DiscordSettings {
            max_paged_answers: 50,
            button_timeout_secs: 600,
            ..DiscordSettings::default()
        };
        let st = State::new(Arc::new(NoCore), settings, Arc::new(Http::new("")));
        let keys: Vec<String> = (0..80).map(|_| st.store(page_state())).collect();
        assert_eq!(st.paged_answers(), 50, "capped by count");
        let now = Instant::now();
        assert!(
            st.pages().get_mut(&keys[0], now).is_none(),
            "oldest forgotten"
        );
        assert!(st.pages().get_mut(&keys[79], now).is_some(), "newest kept");
        // The periodic sweep frees them once expired, with no new answer stored.
        assert_eq!(st.sweep_pages(now + Duration::from_secs(601)), 50);
        assert_eq!(st.paged_answers(), 0);
    }
}
