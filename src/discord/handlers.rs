//! Interaction and message handling: parse, check (cooldown, who may rebuild,
//! ownership), call the core on the blocking pool, render, send.
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
//!
//! # Fast answers
//!
//! A question's search starts at once; when it is done within `fast_answer_ms` its
//! answer is the initial response (`CHANNEL_MESSAGE_WITH_SOURCE`, one request), else the
//! interaction is deferred and the answer edited in. Interaction callbacks, edits and
//! follow-ups go through their own HTTP client without serenity's rate limiter: serenity
//! 0.12.5 buckets every `webhooks/{application}/{token}/…` call under the application
//! id, so one token's bucket would queue every other answer of the bot, whereas Discord
//! limits interaction webhooks per token and exempts them from the global limit.

use super::commands;
use super::guard::{self, Caller, Cooldown};
use super::pages::Bounded;
use super::render::{self, Button, ButtonKind, PageInfo, Reply};
use super::Core;
use crate::config::DiscordSettings;
use crate::error::Error;
use crate::service::AskOptions;
use crate::store::{EntryPoint, RecordId};
use serde_json::{json, Value};
use serenity::all::{
    ActionRowComponent, ButtonKind as SButtonKind, ChannelId, CommandDataOptionValue,
    CommandInteraction, CommandType, ComponentInteraction, Context, CreateActionRow,
    CreateAllowedMentions, CreateAutocompleteResponse, CreateButton, CreateInputText,
    CreateInteractionResponse, CreateInteractionResponseFollowup, CreateInteractionResponseMessage,
    CreateModal, CreateThread, Event, EventHandler, Http, InputTextStyle, Interaction, Message,
    ModalInteraction, Permissions, RawEventHandler, Ready, ResolvedTarget,
};
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

const MORE_PREFIX: &str = "rf:more:";
const SHARE_PREFIX: &str = "rf:share:";
const SOURCES_PREFIX: &str = "rf:src:";
const DELETE_PREFIX: &str = "rf:del:";
/// 👍 / 👎 on a recorded answer: `fb:up:{record id}` / `fb:down:{record id}`.
const VOTE_UP_PREFIX: &str = "fb:up:";
const VOTE_DOWN_PREFIX: &str = "fb:down:";
/// The 👎 modal (`fb:why:{record id}`) and its text input.
const WHY_PREFIX: &str = "fb:why:";
const WHY_INPUT: &str = "fb:why:text";
/// The label of the 👎 modal's text input.
pub const WHY_LABEL: &str = "What were you looking for?";

/// An interaction token is valid this long after the interaction was created.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// A rebuild reports through the channel (not the token) once this much of the token's
/// life is gone, and says up front it will when the last rebuild took this long.
pub const TOKEN_SAFE: Duration = Duration::from_secs(14 * 60);

/// What a "More results" / "Share" button refers to, kept server-side (its age is
/// kept by the [`Bounded`] map).
#[derive(Debug, Clone)]
struct PageState {
    question: String,
    user_id: u64,
    /// Results of the answer when last asked (pages are clamped to them).
    total: usize,
    private: bool,
    /// The page currently shown (what "Share" posts).
    shown: Reply,
    /// "Share" was used (it posts once).
    shared: bool,
    /// The recorded question (its vote buttons stay on every page; paging never
    /// records again).
    record: Option<RecordId>,
}

/// Shared state of the handler (one per client, shared by all shards).
pub struct State {
    core: Arc<dyn Core>,
    settings: DiscordSettings,
    cooldown: Cooldown,
    pages: Mutex<Bounded<PageState>>,
    reindexing: AtomicBool,
    /// The search lane: one search per CPU at a time; a burst of questions queues
    /// here instead of crowding out the runtime threads that send responses.
    search_slots: tokio::sync::Semaphore,
    /// Interaction callbacks, edits and follow-ups (no serenity rate limiter; see the
    /// module docs).
    ihttp: Arc<Http>,
    /// The bot's user id (from READY), to find @mentions.
    bot_id: AtomicU64,
    /// How long the last rebuild took (0: none yet).
    last_rebuild_ms: AtomicU64,
    registered: AtomicBool,
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

    fn pages(&self) -> std::sync::MutexGuard<'_, Bounded<PageState>> {
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
    async fn within<T, E>(
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

    /// Store a page state and return its short key (≤ 16 chars).
    fn store(&self, st: PageState) -> String {
        let n = self.next_key.fetch_add(1, Ordering::Relaxed);
        let key = format!(
            "{:x}{:04x}",
            n,
            (self.key_salt ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15)) & 0xffff
        );
        self.pages().insert(key.clone(), st, Instant::now());
        key
    }

    /// A search-lane core call (a slot, then the blocking pool). A panic in the core
    /// becomes an error.
    async fn search<T, F>(&self, f: F) -> anyhow::Result<T>
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
    async fn light<T, F>(&self, f: F) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Core) -> T + Send + 'static,
    {
        let core = Arc::clone(&self.core);
        tokio::task::spawn_blocking(move || f(core.as_ref()))
            .await
            .map_err(|e| anyhow::anyhow!("core task failed: {e}"))
    }

    fn policy(&self) -> guard::ReindexPolicy<'_> {
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
struct ClearOnDrop<'a>(&'a AtomicBool);

impl Drop for ClearOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// The serenity event handler.
pub struct Handler {
    pub state: Arc<State>,
}

/// Text shown to the user for an error of the core; says what to do.
pub fn user_message(e: &Error) -> String {
    match e {
        Error::RebuildInProgress => {
            "A rebuild of the index is already in progress. Try again in a minute.".into()
        }
        Error::UnknownRole { given, known } => format!(
            "I don't know the role '{}'. Known roles: {}. Pick one from the suggestions.",
            render::truncate(given, 100),
            render::truncate(known, 1500)
        ),
        Error::UnknownAspect { given, known } => format!(
            "The corpus has no evidence for the aspect '{}'. Aspects with evidence: {}. \
             Leave `aspect` empty to see them all.",
            render::truncate(given, 100),
            render::truncate(known, 1500)
        ),
        Error::BadQuestion(m) => format!("{m} Please rephrase your question."),
        Error::ReadOnlyIndex { .. } => {
            "This bot serves a read-only copy of the index, so /reindex cannot rebuild it here. \
             Rebuild the index where it is built and ship the new copy."
                .into()
        }
        Error::CorpusMissing(_) | Error::EmptyCorpus(_) => {
            "The corpus is missing or empty on the server. Ask an admin to check it and run /reindex.".into()
        }
        _ => "Something went wrong on my side (it has been logged). Please try again later.".into(),
    }
}

fn caller_of(cmd: &CommandInteraction) -> Caller {
    Caller {
        user_id: cmd.user.id.get(),
        guild_id: cmd.guild_id.map(|g| g.get()),
        role_ids: cmd
            .member
            .as_ref()
            .map(|m| m.roles.iter().map(|r| r.get()).collect())
            .unwrap_or_default(),
        administrator: cmd
            .member
            .as_ref()
            .and_then(|m| m.permissions)
            .is_some_and(|p| p.contains(Permissions::ADMINISTRATOR)),
    }
}

/// The ephemeral "wait N s" refusal when the user is still cooling down.
fn cooldown_refusal(st: &State, user_id: u64) -> Option<Reply> {
    st.cooldown
        .check(user_id, Instant::now())
        .err()
        .map(|wait| {
            render::refusal(&format!(
                "You are asking a bit fast — please wait {} s and try again.",
                wait.as_millis().div_ceil(1000).max(1)
            ))
        })
}

fn opt_str<'a>(cmd: &'a CommandInteraction, name: &str) -> Option<&'a str> {
    cmd.data
        .options
        .iter()
        .find(|o| o.name == name)
        .and_then(|o| match &o.value {
            CommandDataOptionValue::String(s) => Some(s.as_str()),
            CommandDataOptionValue::Autocomplete { value, .. } => Some(value.as_str()),
            _ => None,
        })
}

fn opt_int(cmd: &CommandInteraction, name: &str) -> Option<i64> {
    cmd.data
        .options
        .iter()
        .find(|o| o.name == name)
        .and_then(|o| o.value.as_i64())
}

fn opt_bool(cmd: &CommandInteraction, name: &str) -> Option<bool> {
    cmd.data
        .options
        .iter()
        .find(|o| o.name == name)
        .and_then(|o| o.value.as_bool())
}

fn no_mentions() -> CreateAllowedMentions {
    CreateAllowedMentions::new()
        .empty_users()
        .empty_roles()
        .everyone(false)
}

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        tracing::info!(
            user = %ready.user.name,
            shard = ?ready.shard.map(|s| (s.id.0, s.total)),
            guilds = ready.guilds.len(),
            "connected to the gateway"
        );
        self.state
            .bot_id
            .store(ready.user.id.get(), Ordering::SeqCst);
        self.state.ihttp.set_application_id(ready.application.id);
        // Register once per process, whichever shard is ready first.
        if self.state.registered.swap(true, Ordering::SeqCst) {
            return;
        }
        let d = &self.state.settings;
        let reindex_in_dms = !d.admin_user_ids.is_empty();
        if let Err(e) = commands::register(&ctx.http, &d.guild_ids, reindex_in_dms).await {
            tracing::error!(error = %e, "registering slash commands failed");
            self.state.registered.store(false, Ordering::SeqCst);
        }
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        dispatch(&self.state, &ctx, interaction).await;
    }

    async fn message(&self, ctx: Context, msg: Message) {
        if let Err(e) = on_message(&self.state, &ctx, &msg).await {
            tracing::warn!(error = %e, "answering a message failed");
        }
    }
}

async fn dispatch(st: &State, ctx: &Context, interaction: Interaction) {
    // A secret for 15 minutes: scrubbed from every log line from here on.
    let token = match &interaction {
        Interaction::Command(c) | Interaction::Autocomplete(c) => Some(c.token.as_str()),
        Interaction::Component(c) => Some(c.token.as_str()),
        Interaction::Modal(m) => Some(m.token.as_str()),
        _ => None,
    };
    if let Some(t) = token {
        crate::logging::register_transient(t, crate::logging::INTERACTION_TOKEN_TTL);
    }
    let result = match interaction {
        Interaction::Command(cmd) => on_command(st, ctx, &cmd).await,
        Interaction::Autocomplete(cmd) => on_autocomplete(st, &cmd).await,
        Interaction::Component(c) => on_component(st, ctx, &c).await,
        Interaction::Modal(m) => on_modal_submit(st, &m).await,
        _ => Ok(()),
    };
    if let Err(e) = result {
        tracing::warn!(error = %e, "handling an interaction failed");
    }
}

/// Catches `INTERACTION_CREATE` payloads serenity 0.12.5 could not parse because a field
/// it requires is missing (Discord documents several as optional or added them later:
/// `channel_id`, `locale`, `attachment_size_limit`, member `flags`…), fills those with
/// neutral values and handles the interaction instead of silently dropping it.
pub struct Compat {
    pub state: Arc<State>,
}

#[serenity::async_trait]
impl RawEventHandler for Compat {
    async fn raw_event(&self, ctx: Context, ev: Event) {
        let Event::Unknown(unknown) = ev else {
            return;
        };
        if unknown.kind != "INTERACTION_CREATE" {
            return;
        }
        let mut value = unknown.value;
        let filled = fill_interaction_defaults(&mut value);
        match serde_json::from_value::<Interaction>(value) {
            Ok(interaction) => {
                tracing::debug!(?filled, "interaction parsed after filling missing fields");
                dispatch(&self.state, &ctx, interaction).await;
            }
            Err(e) => {
                tracing::warn!(error = %e, ?filled, "INTERACTION_CREATE could not be parsed; ignored");
            }
        }
    }
}

/// Fill fields serenity requires but Discord may omit. Returns the names filled.
pub fn fill_interaction_defaults(v: &mut Value) -> Vec<&'static str> {
    let mut filled = Vec::new();
    let Some(obj) = v.as_object_mut() else {
        return filled;
    };
    if missing(obj.get("channel_id")) {
        let from_channel = obj
            .get("channel")
            .and_then(|c| c.get("id"))
            .or_else(|| obj.get("message").and_then(|m| m.get("channel_id")))
            .cloned();
        // Responses go through the interaction token; the channel id is informational.
        obj.insert(
            "channel_id".into(),
            from_channel.unwrap_or_else(|| json!("1")),
        );
        filled.push("channel_id");
    }
    for (key, default) in [
        ("locale", json!("en-US")),
        ("entitlements", json!([])),
        ("attachment_size_limit", json!(10_485_760)),
        ("version", json!(1)),
    ] {
        if missing(obj.get(key)) {
            obj.insert(key.into(), default);
            filled.push(key);
        }
    }
    if let Some(member) = obj.get_mut("member").and_then(Value::as_object_mut) {
        for (key, default) in [
            ("deaf", json!(false)),
            ("mute", json!(false)),
            ("flags", json!(0)),
        ] {
            if missing(member.get(key)) {
                member.insert(key.into(), default);
                filled.push(key);
            }
        }
    }
    let kind = obj.get("type").and_then(Value::as_u64);
    if matches!(kind, Some(2 | 4)) {
        if let Some(data) = obj.get_mut("data").and_then(Value::as_object_mut) {
            if missing(data.get("type")) {
                data.insert("type".into(), json!(1));
                filled.push("data.type");
            }
        }
    }
    filled
}

/// Absent or JSON null.
fn missing(v: Option<&Value>) -> bool {
    !matches!(v, Some(x) if !x.is_null())
}

async fn respond(st: &State, cmd: &CommandInteraction, reply: &Reply) -> anyhow::Result<()> {
    st.within(
        "the interaction response",
        cmd.create_response(
            &st.ihttp,
            CreateInteractionResponse::Message(
                reply.to_response_message().allowed_mentions(no_mentions()),
            ),
        ),
    )
    .await
}

async fn defer(st: &State, cmd: &CommandInteraction, ephemeral: bool) -> anyhow::Result<()> {
    st.within(
        "the deferral",
        cmd.create_response(
            &st.ihttp,
            CreateInteractionResponse::Defer(
                CreateInteractionResponseMessage::new().ephemeral(ephemeral),
            ),
        ),
    )
    .await
}

/// After a deferral: show `reply`, or the error. A public deferral cannot turn
/// ephemeral, so errors there delete the placeholder and follow up ephemerally.
async fn finish(
    st: &State,
    cmd: &CommandInteraction,
    deferred_ephemeral: bool,
    outcome: Result<Reply, String>,
) -> anyhow::Result<()> {
    match outcome {
        Ok(reply) => {
            st.within(
                "the reply's edit",
                cmd.edit_response(&st.ihttp, reply.to_edit().allowed_mentions(no_mentions())),
            )
            .await?;
        }
        Err(msg) => {
            let r = render::refusal(&msg);
            if deferred_ephemeral {
                st.within(
                    "the refusal's edit",
                    cmd.edit_response(&st.ihttp, r.to_edit()),
                )
                .await?;
            } else {
                st.within("the deletion", cmd.delete_response(&st.ihttp))
                    .await?;
                st.within(
                    "the follow-up",
                    cmd.create_followup(&st.ihttp, r.to_followup()),
                )
                .await?;
            }
        }
    }
    Ok(())
}

/// Answer a command with the outcome of `work` (a search): as the initial response when
/// it is ready within `fast_answer_ms`, else deferred (ephemeral when `private`) and
/// edited in. A refusal is always ephemeral.
async fn answer_or_defer(
    st: &State,
    cmd: &CommandInteraction,
    private: bool,
    work: impl Future<Output = Result<Reply, String>>,
) -> anyhow::Result<()> {
    tokio::pin!(work);
    let fast = Duration::from_millis(st.settings.fast_answer_ms);
    match tokio::time::timeout(fast, &mut work).await {
        Ok(Ok(mut reply)) => {
            reply.ephemeral = private;
            respond(st, cmd, &reply).await
        }
        Ok(Err(msg)) => respond(st, cmd, &render::refusal(&msg)).await,
        Err(_) => {
            defer(st, cmd, private).await?;
            let outcome = work.await;
            finish(st, cmd, private, outcome).await
        }
    }
}

fn core_failure(what: &str, e: &anyhow::Error) -> String {
    tracing::error!(error = %e, "{what} failed in the core");
    "Something went wrong on my side (it has been logged). Please try again later.".into()
}

/// The first page of the answer to `question`, with its buttons (state stored).
async fn first_page(
    st: &State,
    question: &str,
    asker: u64,
    private: bool,
    entry: EntryPoint,
    guild_id: Option<u64>,
) -> Result<Reply, String> {
    let page = ask_page(st, question, 0).await?;
    // Only the first page is recorded; `record` never blocks (it queues the write).
    let record = st.core.record(
        question,
        &page.answer,
        entry,
        guild_id,
        Some(&asker.to_string()),
    );
    Ok(with_buttons(
        st,
        page.reply,
        page.next,
        private,
        PageState {
            question: question.to_string(),
            user_id: asker,
            total: page.total,
            private,
            shown: Reply::default(),
            shared: false,
            record,
        },
    ))
}

/// A question from a message, cut to what `/ask` accepts.
fn capped(text: &str) -> String {
    text.chars()
        .take(usize::from(commands::QUESTION_MAX))
        .collect()
}

/// The text of the message a message command was used on.
fn target_text(cmd: &CommandInteraction) -> Option<String> {
    match cmd.data.target() {
        Some(ResolvedTarget::Message(m)) => {
            let mut t = m.content.trim().to_string();
            if t.is_empty() {
                // A message of embeds only (another bot's answer): their text.
                t = m
                    .embeds
                    .iter()
                    .flat_map(|e| [e.title.as_deref(), e.description.as_deref()])
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("\n")
                    .trim()
                    .to_string();
            }
            Some(t)
        }
        _ => None,
    }
}

async fn on_command(st: &State, ctx: &Context, cmd: &CommandInteraction) -> anyhow::Result<()> {
    let caller = caller_of(cmd);
    tracing::debug!(command = %cmd.data.name, user = caller.user_id, "command");
    if cmd.data.kind == CommandType::Message {
        if cmd.data.name != commands::ASK_MESSAGE {
            return respond(
                st,
                cmd,
                &render::refusal("I don't know that command. Try /help."),
            )
            .await;
        }
        let question = capped(&target_text(cmd).unwrap_or_default());
        if question.trim().is_empty() {
            return respond(
                st,
                cmd,
                &render::refusal("That message has no text to ask about. Use /ask instead."),
            )
            .await;
        }
        if let Some(refusal) = cooldown_refusal(st, caller.user_id) {
            return respond(st, cmd, &refusal).await;
        }
        return answer_or_defer(
            st,
            cmd,
            false,
            first_page(
                st,
                &question,
                caller.user_id,
                false,
                EntryPoint::ContextMenu,
                cmd.guild_id.map(|g| g.get()),
            ),
        )
        .await;
    }
    match cmd.data.name.as_str() {
        commands::ASK => {
            let question = opt_str(cmd, "question").unwrap_or("").trim().to_string();
            let private = opt_bool(cmd, "private").unwrap_or(false);
            if question.is_empty() {
                return respond(
                    st,
                    cmd,
                    &render::refusal(
                        "Please type a question, e.g. `/ask question: who owns cybersecurity?`",
                    ),
                )
                .await;
            }
            if let Some(refusal) = cooldown_refusal(st, caller.user_id) {
                return respond(st, cmd, &refusal).await;
            }
            answer_or_defer(
                st,
                cmd,
                private,
                first_page(
                    st,
                    &question,
                    caller.user_id,
                    private,
                    EntryPoint::Slash,
                    cmd.guild_id.map(|g| g.get()),
                ),
            )
            .await
        }
        commands::COMPARE => {
            let a = opt_str(cmd, "role_a").unwrap_or("").trim().to_string();
            let b = opt_str(cmd, "role_b").unwrap_or("").trim().to_string();
            let aspect = opt_str(cmd, "aspect")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from);
            if a.is_empty() || b.is_empty() {
                return respond(
                    st,
                    cmd,
                    &render::refusal("Give two roles, e.g. `/compare role_a: CIO role_b: CTO`."),
                )
                .await;
            }
            if let Some(refusal) = cooldown_refusal(st, caller.user_id) {
                return respond(st, cmd, &refusal).await;
            }
            let work = async {
                let res = st
                    .search(move |c| {
                        c.compare(&a, &b, aspect.as_deref())
                            .map(|cmp| (cmp, c.freshness()))
                    })
                    .await;
                match res {
                    Ok(Ok((cmp, fresh))) => {
                        let mut r = render::comparison(&cmp, &fresh);
                        r.buttons.push(render::delete_button(caller.user_id));
                        Ok(r.fitted())
                    }
                    Ok(Err(e)) => {
                        tracing::info!(error = %e, "compare refused");
                        Err(user_message(&e))
                    }
                    Err(e) => Err(core_failure("compare", &e)),
                }
            };
            answer_or_defer(st, cmd, false, work).await
        }
        commands::REINDEX => reindex(st, ctx, cmd, &caller).await,
        commands::GAPS => gaps(st, cmd, &caller).await,
        commands::SOURCES => {
            let res = st.light(|c| (c.sources(), c.freshness())).await;
            let reply = match res {
                Ok((list, fresh)) => render::sources(&list, &fresh, 0, Some(caller.user_id)),
                Err(e) => render::refusal(&core_failure("sources", &e)),
            };
            respond(st, cmd, &reply).await
        }
        commands::HELP => {
            respond(
                st,
                cmd,
                &render::help(st.settings.page_size, st.settings.cooldown_secs),
            )
            .await
        }
        other => {
            tracing::warn!(command = other, "unknown command");
            respond(
                st,
                cmd,
                &render::refusal("I don't know that command (it may be outdated). Try /help."),
            )
            .await
        }
    }
}

/// Where a rebuild's report goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportRoute {
    /// Edit the deferred response (the token is still valid).
    Edit,
    /// Post in this channel (the token is (nearly) expired).
    Channel(u64),
    /// Neither is possible (a DM whose token expired and no admin channel).
    Lost,
}

/// Discord's epoch (2015-01-01) in Unix milliseconds: snowflakes count from it.
const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

/// How long ago Discord created the interaction with snowflake `id` (its token's age),
/// from the timestamp in the id's top 42 bits. An id that claims to be from the future
/// or older than a token's life (a clock off, an id not made by Discord) counts as
/// new: the time since we received it is then all we know.
pub fn interaction_age(id: u64, now: std::time::SystemTime) -> Duration {
    let created = (id >> 22).saturating_add(DISCORD_EPOCH_MS);
    let now_ms = now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    match now_ms.checked_sub(created).map(Duration::from_millis) {
        Some(age) if age <= TOKEN_LIFETIME => age,
        _ => Duration::ZERO,
    }
}

/// Where to report a rebuild that ends `age` after its interaction was created.
pub fn report_route(
    age: Duration,
    asked_in: Option<u64>,
    admin_channel: Option<u64>,
) -> ReportRoute {
    if age < TOKEN_SAFE {
        ReportRoute::Edit
    } else if let Some(c) = admin_channel.or(asked_in) {
        ReportRoute::Channel(c)
    } else {
        ReportRoute::Lost
    }
}

async fn post(st: &State, ctx: &Context, channel: u64, reply: &Reply) -> anyhow::Result<()> {
    st.within(
        "the channel message",
        ChannelId::new(channel).send_message(
            &ctx.http,
            reply.to_message().allowed_mentions(no_mentions()),
        ),
    )
    .await
    .map(|_| ())
}

/// `/gaps [days]`: who may rebuild the index may see what it misses (the same
/// policy); the report is read and grouped on the blocking pool and shown ephemerally.
async fn gaps(st: &State, cmd: &CommandInteraction, caller: &Caller) -> anyhow::Result<()> {
    if let Err(why) = guard::may_reindex(caller, &st.policy()) {
        tracing::info!(user = caller.user_id, guild = ?caller.guild_id, %why, "gaps refused");
        return respond(st, cmd, &render::refusal(&why.to_string())).await;
    }
    let days = u32::try_from(opt_int(cmd, "days").unwrap_or(30).clamp(1, 3650)).unwrap_or(30);
    let work = async move {
        match st.light(move |c| c.gaps(days)).await {
            Ok(Ok(report)) => Ok(render::gaps(&report)),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "gaps failed");
                Err(user_message(&e))
            }
            Err(e) => Err(core_failure("gaps", &e)),
        }
    };
    answer_or_defer(st, cmd, true, work).await
}

async fn reindex(
    st: &State,
    ctx: &Context,
    cmd: &CommandInteraction,
    caller: &Caller,
) -> anyhow::Result<()> {
    // The token's clock started when Discord created the interaction.
    let token_age = interaction_age(cmd.id.get(), std::time::SystemTime::now());
    let started = Instant::now();
    let grant = match guard::may_reindex(caller, &st.policy()) {
        Ok(g) => g,
        Err(why) => {
            tracing::info!(user = caller.user_id, guild = ?caller.guild_id, %why, "reindex refused");
            return respond(st, cmd, &render::refusal(&why.to_string())).await;
        }
    };
    if st.reindexing.swap(true, Ordering::SeqCst) {
        tracing::info!(user = caller.user_id, "reindex refused: one is running");
        return respond(
            st,
            cmd,
            &render::refusal(&user_message(&Error::RebuildInProgress)),
        )
        .await;
    }
    // Busy until the rebuild itself ends, not until its report is sent: an
    // admin who sees "Index rebuilt" may start the next one at once.
    let busy = ClearOnDrop(&st.reindexing);
    // The admin asked for a rebuild: a deferral that fails or stalls (it is
    // abandoned after http_timeout_secs) does not cancel it.
    if let Err(e) = defer(st, cmd, true).await {
        tracing::warn!(error = %e, "reindex: the deferral failed; rebuilding anyway");
    }
    let asked_in = cmd.guild_id.map(|_| cmd.channel_id.get());
    let admin_channel = st.settings.admin_channel_id;
    let last = Duration::from_millis(st.last_rebuild_ms.load(Ordering::SeqCst));
    let report_elsewhere = admin_channel.or(asked_in);
    if token_age + started.elapsed() + last >= TOKEN_SAFE {
        // Say up front that the answer will come through the channel.
        let where_ = report_elsewhere.map_or_else(
            || "I may not be able to report the result here".to_string(),
            |c| format!("the result will be posted in <#{c}>"),
        );
        let note = render::notice(
            "Rebuilding the index",
            &format!(
                "This rebuild may end after Discord stops letting me edit this reply \
                 (15 minutes after the command; the last rebuild took {} s), so {where_}.",
                last.as_secs()
            ),
        );
        if let Err(e) = st
            .within(
                "the long-rebuild notice",
                cmd.edit_response(&st.ihttp, note.to_edit()),
            )
            .await
        {
            tracing::warn!(error = %e, "reindex: the notice failed");
        }
    }
    if let Some(c) = admin_channel {
        let start = render::notice(
            "Rebuild started",
            &format!(
                "<@{}> started a rebuild of the index ({}).",
                caller.user_id,
                match grant {
                    guard::ReindexGrant::AdminUser => "a configured admin",
                    guard::ReindexGrant::AdminRole => "an admin role",
                    guard::ReindexGrant::HomeServer => "in a home server",
                }
            ),
        );
        if let Err(e) = post(st, ctx, c, &start).await {
            tracing::warn!(error = %e, "reindex: the admin channel notice failed");
        }
    }
    tracing::info!(user = caller.user_id, ?grant, "reindex started");
    let rebuild = st.light(|c| c.reindex());
    tokio::pin!(rebuild);
    let every = Duration::from_secs(st.settings.reindex_progress_secs);
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    let res = loop {
        tokio::select! {
            res = &mut rebuild => break res,
            _ = tick.tick() => {
                // Progress in the reply while its token lives.
                if token_age + started.elapsed() < TOKEN_SAFE {
                    let note = render::notice(
                        "Rebuilding the index",
                        &format!("Still rebuilding: {} s so far.", started.elapsed().as_secs()),
                    );
                    if let Err(e) = st
                        .within("the progress edit", cmd.edit_response(&st.ihttp, note.to_edit()))
                        .await
                    {
                        tracing::debug!(error = %e, "reindex: a progress edit failed");
                    }
                }
            }
        }
    };
    let took = started.elapsed();
    if matches!(res, Ok(Ok(_))) {
        st.last_rebuild_ms.store(
            u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
            Ordering::SeqCst,
        );
    }
    drop(busy);
    let outcome = match res {
        Ok(Ok(report)) => {
            tracing::info!(
                documents = report.documents,
                passages = report.passages,
                ms = report.elapsed_ms,
                "reindex done"
            );
            Ok(render::index_report(&report))
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "reindex failed");
            Err(user_message(&e))
        }
        Err(e) => Err(core_failure("reindex", &e)),
    };
    let as_reply = |o: &Result<Reply, String>| match o {
        Ok(r) => r.clone(),
        Err(m) => render::refusal(m),
    };
    if let Some(c) = admin_channel {
        if let Err(e) = post(st, ctx, c, &as_reply(&outcome)).await {
            tracing::warn!(error = %e, "reindex: the admin channel report failed");
        }
    }
    match report_route(token_age + took, asked_in, admin_channel) {
        ReportRoute::Edit => finish(st, cmd, true, outcome).await,
        ReportRoute::Channel(c) if Some(c) == admin_channel => Ok(()),
        ReportRoute::Channel(c) => {
            let mut r = as_reply(&outcome);
            r.ephemeral = false;
            r.content = Some(format!("Rebuild requested by <@{}>:", caller.user_id));
            post(st, ctx, c, &r.fitted()).await
        }
        ReportRoute::Lost => {
            tracing::warn!("reindex: the token expired and there is no channel to report in");
            Ok(())
        }
    }
}

/// One page of an answer as shown.
struct Page {
    reply: Reply,
    /// The page index a "More results" button would show (None on the last page).
    next: Option<usize>,
    /// Results of the answer (the pages it has).
    total: usize,
    /// The answer itself (what the first page records).
    answer: crate::model::Answer,
}

/// The offset of the page that shows `offset`, clamped to the last page of `total`
/// results (`page_size` each): a page past the end is never asked for.
pub fn clamp_offset(offset: usize, total: usize, page_size: usize) -> usize {
    let step = page_size.max(1);
    let last = total.saturating_sub(1) / step * step;
    (offset / step * step).min(last)
}

/// One page of an answer, at `offset` or, when the answer has fewer results than that
/// (the index changed since it was first asked), at its last page.
async fn ask_page(st: &State, question: &str, offset: usize) -> Result<Page, String> {
    let top = st.settings.page_size.max(1);
    let mut offset = offset;
    loop {
        let q = question.to_string();
        let res = st
            .search(move |c| {
                c.ask(&q, AskOptions { top, offset })
                    .map(|a| (a, c.freshness()))
            })
            .await;
        let (answer, fresh) = match res {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => {
                tracing::info!(error = %e, "question refused by the core");
                return Err(user_message(&e));
            }
            Err(e) => return Err(core_failure("ask", &e)),
        };
        let clamped = clamp_offset(offset, answer.total, top);
        if answer.results.is_empty() && !answer.no_answer && clamped < offset {
            offset = clamped;
            continue;
        }
        let page = PageInfo {
            offset,
            page_size: top,
        };
        return Ok(Page {
            reply: render::answer(&answer, &fresh, page),
            next: render::has_more(&answer, page).then_some(offset / top + 1),
            total: answer.total,
            answer,
        });
    }
}

/// Attach "More results" (to page `next`) / "Share" / "Delete" buttons, storing the
/// page state the first two point to.
fn with_buttons(
    st: &State,
    reply: Reply,
    next: Option<usize>,
    private: bool,
    mut ps: PageState,
) -> Reply {
    let asker = ps.user_id;
    let record = ps.record.clone();
    let key = if next.is_some() || private {
        ps.shown = reply.clone();
        Some(st.store(ps))
    } else {
        None
    };
    Reply {
        buttons: buttons_for(key.as_deref(), next, private, false, asker, record.as_ref()),
        ..reply
    }
    .fitted()
}

/// The buttons of an answer. "More results" names the page it shows
/// (`rf:more:{key}:{page}`), so clicking it twice shows that page twice; a private
/// answer has "Share" (disabled once used), a public one "Delete" (for `asker`); a
/// recorded answer (`record`) has 👍 / 👎.
fn buttons_for(
    key: Option<&str>,
    next: Option<usize>,
    private: bool,
    shared: bool,
    asker: u64,
    record: Option<&RecordId>,
) -> Vec<Button> {
    let mut b = Vec::new();
    if let (Some(key), Some(page)) = (key, next) {
        b.push(Button {
            custom_id: format!("{MORE_PREFIX}{key}:{page}"),
            label: "More results".into(),
            kind: ButtonKind::Primary,
            disabled: false,
        });
    }
    match (private, key) {
        (true, Some(key)) => b.push(Button {
            custom_id: format!("{SHARE_PREFIX}{key}"),
            label: if shared { "Shared" } else { "Share" }.into(),
            kind: ButtonKind::Success,
            disabled: shared,
        }),
        (true, None) => {}
        (false, _) => b.push(render::delete_button(asker)),
    }
    if let Some(id) = record {
        b.push(Button {
            custom_id: format!("{VOTE_UP_PREFIX}{id}"),
            label: "👍".into(),
            kind: ButtonKind::Secondary,
            disabled: false,
        });
        b.push(Button {
            custom_id: format!("{VOTE_DOWN_PREFIX}{id}"),
            label: "👎".into(),
            kind: ButtonKind::Secondary,
            disabled: false,
        });
    }
    b
}

/// What a button's custom id asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ButtonAction<'a> {
    /// Show page `page` (0-based) of the answer stored under `key`.
    More {
        key: &'a str,
        page: usize,
    },
    Share {
        key: &'a str,
    },
    /// A `/sources` page; `owner` pages that message, anyone else gets a copy.
    Sources {
        page: usize,
        owner: Option<u64>,
    },
    /// Delete a public answer (its asker or a moderator).
    Delete {
        asker: u64,
    },
    /// 👍 (`up`) or 👎 on the recorded answer `record`.
    Vote {
        record: RecordId,
        up: bool,
    },
}

/// Parse a custom id this bot made; None for anything else (or an older format).
pub fn parse_custom_id(id: &str) -> Option<ButtonAction<'_>> {
    for (prefix, up) in [(VOTE_UP_PREFIX, true), (VOTE_DOWN_PREFIX, false)] {
        if let Some(rest) = id.strip_prefix(prefix) {
            return RecordId::parse(rest).map(|record| ButtonAction::Vote { record, up });
        }
    }
    if let Some(rest) = id.strip_prefix(SOURCES_PREFIX) {
        let (page, owner) = match rest.split_once(':') {
            Some((p, o)) => (p, Some(o.parse().ok()?)),
            None => (rest, None),
        };
        return page
            .parse()
            .ok()
            .map(|page| ButtonAction::Sources { page, owner });
    }
    if let Some(asker) = id.strip_prefix(DELETE_PREFIX) {
        return asker
            .parse()
            .ok()
            .map(|asker| ButtonAction::Delete { asker });
    }
    if let Some(rest) = id.strip_prefix(MORE_PREFIX) {
        let (key, page) = rest.split_once(':')?;
        return Some(ButtonAction::More {
            key,
            page: page.parse().ok()?,
        });
    }
    id.strip_prefix(SHARE_PREFIX)
        .map(|key| ButtonAction::Share { key })
}

async fn on_autocomplete(st: &State, cmd: &CommandInteraction) -> anyhow::Result<()> {
    let Some(focused) = cmd.data.autocomplete() else {
        return Ok(());
    };
    let typed = focused.value.to_string();
    let which = focused.name.to_string();
    // Light lane: autocomplete cannot be deferred, so it never waits for a search slot.
    let list = st
        .light(move |c| match which.as_str() {
            "role_a" | "role_b" => c.known_roles(),
            "aspect" => c.known_aspects(),
            _ => Vec::new(),
        })
        .await
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "autocomplete failed in the core");
            Vec::new()
        });
    let mut resp = CreateAutocompleteResponse::new();
    for choice in render::choices(&list, &typed) {
        resp = resp.add_string_choice(choice.clone(), choice);
    }
    st.within(
        "the autocomplete response",
        cmd.create_response(&st.ihttp, CreateInteractionResponse::Autocomplete(resp)),
    )
    .await
}

async fn ephemeral(st: &State, c: &ComponentInteraction, msg: &str) -> anyhow::Result<()> {
    st.within(
        "the ephemeral response",
        c.create_response(
            &st.ihttp,
            CreateInteractionResponse::Message(render::refusal(msg).to_response_message()),
        ),
    )
    .await
}

/// The message's buttons, those `disable` picks (by custom id) disabled; `relabel`
/// gives a disabled button its new label.
fn rows_with(
    c: &ComponentInteraction,
    disable: impl Fn(&str) -> bool,
    relabel: impl Fn(&str) -> Option<&'static str>,
) -> Vec<CreateActionRow> {
    let mut out = Vec::new();
    for row in &c.message.components {
        let mut buttons = Vec::new();
        for comp in &row.components {
            if let ActionRowComponent::Button(b) = comp {
                if let SButtonKind::NonLink { custom_id, style } = &b.data {
                    let off = b.disabled || disable(custom_id);
                    let mut nb = CreateButton::new(custom_id).style(*style).disabled(off);
                    let label = relabel(custom_id)
                        .map(String::from)
                        .or_else(|| b.label.clone());
                    if let Some(l) = label {
                        nb = nb.label(l);
                    }
                    buttons.push(nb);
                }
            }
        }
        if !buttons.is_empty() {
            out.push(CreateActionRow::Buttons(buttons));
        }
    }
    out
}

/// The message's buttons, all disabled (for expired state).
fn disabled_rows(c: &ComponentInteraction) -> Vec<CreateActionRow> {
    rows_with(c, |_| true, |_| None)
}

/// Acknowledge a click without changing anything yet (DEFERRED_UPDATE_MESSAGE), sent
/// as `{"type": 6}`: serenity's `Acknowledge` adds `"data": null`, which Discord
/// documents as an absent optional field.
async fn acknowledge(st: &State, c: &ComponentInteraction) -> anyhow::Result<()> {
    st.within(
        "the acknowledgement",
        st.ihttp
            .create_interaction_response(c.id, &c.token, &json!({ "type": 6 }), Vec::new()),
    )
    .await
}

async fn on_sources_click(
    st: &State,
    c: &ComponentInteraction,
    page: usize,
    owner: Option<u64>,
) -> anyhow::Result<()> {
    let user = c.user.id.get();
    let res = st.light(|core| (core.sources(), core.freshness())).await;
    let (list, fresh) = match res {
        Ok(v) => v,
        Err(e) => return ephemeral(st, c, &core_failure("sources", &e)).await,
    };
    let mut r = render::sources(&list, &fresh, page, Some(user));
    let response = if owner.is_none_or(|o| o == user) {
        CreateInteractionResponse::UpdateMessage(r.to_response_message())
    } else {
        // Someone else's list: their own (private) copy at that page.
        r.ephemeral = true;
        CreateInteractionResponse::Message(r.to_response_message())
    };
    st.within("the sources page", c.create_response(&st.ihttp, response))
        .await
}

async fn on_delete_click(
    st: &State,
    ctx: &Context,
    c: &ComponentInteraction,
    asker: u64,
) -> anyhow::Result<()> {
    let moderator = c
        .member
        .as_ref()
        .and_then(|m| m.permissions)
        .is_some_and(|p| p.contains(Permissions::MANAGE_MESSAGES));
    if c.user.id.get() != asker && !moderator {
        return ephemeral(
            st,
            c,
            "Only the person who asked (or a moderator with Manage Messages) can delete this answer.",
        )
        .await;
    }
    acknowledge(st, c).await?;
    // The bot's own message: deleting it needs no permission.
    let deleted = st
        .within(
            "the deletion",
            c.channel_id.delete_message(&ctx.http, c.message.id),
        )
        .await;
    if let Err(e) = deleted {
        tracing::warn!(error = %e, "deleting an answer failed");
        st.within(
            "the follow-up",
            c.create_followup(
                &st.ihttp,
                render::refusal("I could not delete that message. Please try again later.")
                    .to_followup(),
            ),
        )
        .await?;
    }
    Ok(())
}

async fn on_component(st: &State, ctx: &Context, c: &ComponentInteraction) -> anyhow::Result<()> {
    let user = c.user.id.get();
    let (key, target) = match parse_custom_id(c.data.custom_id.as_str()) {
        Some(ButtonAction::Sources { page, owner }) => {
            return on_sources_click(st, c, page, owner).await
        }
        Some(ButtonAction::Delete { asker }) => return on_delete_click(st, ctx, c, asker).await,
        Some(ButtonAction::Vote { record, up }) => return on_vote_click(st, c, &record, up).await,
        Some(ButtonAction::More { key, page }) => (key, Some(page)),
        Some(ButtonAction::Share { key }) => (key, None),
        None => return ephemeral(st, c, "This button is no longer supported. Use /help.").await,
    };
    let found = st
        .pages()
        .get_mut(key, Instant::now())
        .map(|(_, p)| p.clone());
    let Some(ps) = found else {
        // Expired or forgotten: disable the buttons on the message, then tell the
        // user (only them).
        st.within(
            "disabling expired buttons",
            c.create_response(
                &st.ihttp,
                CreateInteractionResponse::UpdateMessage(
                    CreateInteractionResponseMessage::new().components(disabled_rows(c)),
                ),
            ),
        )
        .await?;
        st.within(
            "the expiry follow-up",
            c.create_followup(
                &st.ihttp,
                CreateInteractionResponseFollowup::new()
                    .embed(
                        serenity::all::CreateEmbed::new()
                            .description("These buttons have expired. Ask again with /ask."),
                    )
                    .ephemeral(true),
            ),
        )
        .await?;
        return Ok(());
    };
    if ps.user_id != user {
        return ephemeral(
            st,
            c,
            "Only the person who asked can use these buttons. Ask your own question with /ask.",
        )
        .await;
    }
    let Some(target) = target else {
        return share(st, c, key, user).await;
    };
    // More results: acknowledge (type 6), then edit the message with the page the
    // button names, clamped to the last page; a second click on the same button shows
    // the same page again.
    let step = st.settings.page_size.max(1);
    let offset = clamp_offset(target.saturating_mul(step), ps.total, step);
    acknowledge(st, c).await?;
    match ask_page(st, &ps.question, offset).await {
        Ok(page) => {
            let shared = match st.pages().get_mut(key, Instant::now()) {
                Some((_, p)) => {
                    p.total = page.total;
                    p.shown = page.reply.clone();
                    p.shared
                }
                None => ps.shared,
            };
            let mut reply = page.reply;
            reply.buttons = buttons_for(
                Some(key),
                page.next,
                ps.private,
                shared,
                ps.user_id,
                ps.record.as_ref(),
            );
            let reply = reply.fitted();
            st.within(
                "the page's edit",
                c.edit_response(&st.ihttp, reply.to_edit().allowed_mentions(no_mentions())),
            )
            .await?;
        }
        Err(msg) => {
            st.within(
                "the follow-up",
                c.create_followup(&st.ihttp, render::refusal(&msg).to_followup()),
            )
            .await?;
        }
    }
    Ok(())
}

fn thanks(kept: bool) -> Reply {
    Reply::ephemeral_text(if kept {
        "Thanks for your feedback! (You can change your vote at any time.)"
    } else {
        "Thanks! (Feedback is not being recorded right now.)"
    })
}

/// 👍 / 👎: the vote is recorded at the click (one per person and answer; a later
/// click replaces it). 👍 thanks the voter privately; 👎 opens a modal (type 9) asking
/// what they were looking for: its submission replaces the down vote with one carrying
/// that text, and dismissing it keeps the plain down vote. `vote` never blocks (it
/// queues the write).
async fn on_vote_click(
    st: &State,
    c: &ComponentInteraction,
    record: &RecordId,
    up: bool,
) -> anyhow::Result<()> {
    let user = c.user.id.get().to_string();
    let kept = st.core.vote(record, &user, up, None);
    let response = if up || !kept {
        CreateInteractionResponse::Message(thanks(kept).to_response_message())
    } else {
        CreateInteractionResponse::Modal(why_modal(record))
    };
    st.within(
        "the vote's response",
        c.create_response(&st.ihttp, response),
    )
    .await
}

/// The 👎 modal: one optional paragraph input of at most `store::MAX_VOTE_TEXT` chars.
fn why_modal(record: &RecordId) -> CreateModal {
    let max = u16::try_from(crate::store::MAX_VOTE_TEXT)
        .unwrap_or(4000)
        .min(4000);
    CreateModal::new(format!("{WHY_PREFIX}{record}"), "Not helpful?").components(vec![
        CreateActionRow::InputText(
            CreateInputText::new(InputTextStyle::Paragraph, WHY_LABEL, WHY_INPUT)
                .max_length(max)
                .required(false),
        ),
    ])
}

/// The record a modal's custom id names (`fb:why:{record id}`).
pub fn parse_modal_id(id: &str) -> Option<RecordId> {
    id.strip_prefix(WHY_PREFIX).and_then(RecordId::parse)
}

/// MODAL_SUBMIT of the 👎 modal: the down vote with what the voter looked for.
async fn on_modal_submit(st: &State, m: &ModalInteraction) -> anyhow::Result<()> {
    let reply = match parse_modal_id(&m.data.custom_id) {
        Some(record) => {
            let text: String = m
                .data
                .components
                .iter()
                .flat_map(|row| &row.components)
                .filter_map(|c| match c {
                    ActionRowComponent::InputText(t) if t.custom_id == WHY_INPUT => t.value.clone(),
                    _ => None,
                })
                .collect();
            let user = m.user.id.get().to_string();
            let text = Some(text.as_str()).filter(|t| !t.trim().is_empty());
            thanks(st.core.vote(&record, &user, false, text))
        }
        None => render::refusal("This form is no longer supported. Use /help."),
    };
    st.within(
        "the modal's response",
        m.create_response(
            &st.ihttp,
            CreateInteractionResponse::Message(reply.to_response_message()),
        ),
    )
    .await
}

/// "Share": post the page currently shown, publicly, once. The private message's
/// "Share" button is disabled (UPDATE_MESSAGE) and the public copy is a follow-up.
async fn share(st: &State, c: &ComponentInteraction, key: &str, user: u64) -> anyhow::Result<()> {
    let shown = {
        let mut pages = st.pages();
        match pages.get_mut(key, Instant::now()) {
            Some((_, p)) if !p.shared => {
                p.shared = true;
                Some(p.shown.clone())
            }
            _ => None,
        }
    };
    let Some(shown) = shown else {
        return ephemeral(st, c, "You have already shared this answer.").await;
    };
    let share_id = format!("{SHARE_PREFIX}{key}");
    st.within(
        "disabling Share",
        c.create_response(
            &st.ihttp,
            CreateInteractionResponse::UpdateMessage(
                CreateInteractionResponseMessage::new().components(rows_with(
                    c,
                    |id| id == share_id,
                    |id| (id == share_id).then_some("Shared"),
                )),
            ),
        ),
    )
    .await?;
    let mut shared = shown;
    shared.ephemeral = false;
    shared.buttons = vec![render::delete_button(user)];
    shared.content = Some(format!("Shared by <@{user}>"));
    let shared = shared.fitted();
    st.within(
        "the shared answer",
        c.create_followup(
            &st.ihttp,
            shared.to_followup().allowed_mentions(no_mentions()),
        ),
    )
    .await
    .map(|_| ())
}

/// The question of a message addressed to the bot: its text without the bot's
/// mentions (`<@id>`, `<@!id>`), trimmed. None when the message is not for the bot:
/// in a server it must mention the bot; in a DM every message is.
pub fn question_of(content: &str, bot_id: u64, dm: bool, mentioned: bool) -> Option<String> {
    let plain = format!("<@{bot_id}>");
    let nick = format!("<@!{bot_id}>");
    let addressed = dm || mentioned || content.contains(&plain) || content.contains(&nick);
    if !addressed || bot_id == 0 {
        return None;
    }
    let q = content.replace(&plain, " ").replace(&nick, " ");
    Some(q.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// An @mention of the bot or a DM to it: answer with the same cited passages as `/ask`,
/// replying to (quoting) the asker's message, or in a thread on it
/// (`discord.answer_in_thread`).
async fn on_message(st: &State, ctx: &Context, msg: &Message) -> anyhow::Result<()> {
    if !st.settings.answer_mentions || msg.author.bot || msg.webhook_id.is_some() {
        return Ok(());
    }
    let bot = st.bot_id.load(Ordering::SeqCst);
    let dm = msg.guild_id.is_none();
    let mentioned = msg.mentions.iter().any(|u| u.id.get() == bot);
    let Some(question) = question_of(&msg.content, bot, dm, mentioned) else {
        return Ok(());
    };
    let asker = msg.author.id.get();
    tracing::debug!(user = asker, dm, "message question");
    let reply = if question.is_empty() {
        render::refusal(
            "Ask me a question after the mention, e.g. `@rolefaq who owns cybersecurity?` \
             (or use /ask).",
        )
    } else if let Some(refusal) = cooldown_refusal(st, asker) {
        refusal
    } else {
        let guild = msg.guild_id.map(|g| g.get());
        match first_page(
            st,
            &capped(&question),
            asker,
            false,
            EntryPoint::Mention,
            guild,
        )
        .await
        {
            Ok(r) => r,
            Err(m) => render::refusal(&m),
        }
    };
    let mut reply = reply;
    reply.ephemeral = false;
    if st.settings.answer_in_thread && !dm {
        let name: String = if question.is_empty() {
            "rolefaq".to_string()
        } else {
            render::truncate(&question, 90)
        };
        let thread = st
            .within(
                "the thread",
                msg.channel_id.create_thread_from_message(
                    &ctx.http,
                    msg.id,
                    CreateThread::new(name),
                ),
            )
            .await;
        match thread {
            Ok(t) => return post(st, ctx, t.id.get(), &reply).await,
            Err(e) => tracing::info!(error = %e, "no thread (answering in the channel)"),
        }
    }
    st.within(
        "the reply",
        msg.channel_id.send_message(
            &ctx.http,
            reply
                .to_message()
                .reference_message(msg)
                .allowed_mentions(no_mentions().replied_user(false)),
        ),
    )
    .await
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_only_index_is_explained_to_the_admin_without_the_server_path() {
        let e = Error::ReadOnlyIndex {
            dir: "/srv/secret/index".into(),
            reason: "read-only file system".into(),
        };
        let m = user_message(&e);
        assert!(m.contains("read-only"), "{m}");
        assert!(!m.contains("/srv/secret"), "{m}");
    }

    /// A core the paging store never calls.
    struct NoCore;

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

    #[test]
    fn a_message_question_drops_the_bots_mentions() {
        let bot = 42;
        assert_eq!(
            question_of("<@42> who owns security?", bot, false, true).as_deref(),
            Some("who owns security?")
        );
        assert_eq!(
            question_of("hey <@!42>  what does a CTO do", bot, false, false).as_deref(),
            Some("hey what does a CTO do")
        );
        assert_eq!(question_of("who owns security?", bot, false, false), None);
        assert_eq!(
            question_of("who owns security?", bot, true, false).as_deref(),
            Some("who owns security?"),
            "every DM is for the bot"
        );
        assert_eq!(question_of("<@42>", bot, false, true).as_deref(), Some(""));
        assert_eq!(
            question_of("<@42> hi", 0, false, true),
            None,
            "before READY"
        );
    }

    #[test]
    fn a_rebuild_reports_in_a_channel_once_the_token_is_nearly_expired() {
        let soon = Duration::from_secs(30);
        assert_eq!(report_route(soon, Some(1), Some(2)), ReportRoute::Edit);
        let late = TOKEN_SAFE;
        assert_eq!(
            report_route(late, Some(1), Some(2)),
            ReportRoute::Channel(2)
        );
        assert_eq!(report_route(late, Some(1), None), ReportRoute::Channel(1));
        assert_eq!(report_route(late, None, None), ReportRoute::Lost);
        assert!(TOKEN_SAFE < TOKEN_LIFETIME);
    }

    #[test]
    fn an_interactions_age_comes_from_its_snowflake_when_plausible() {
        let now = std::time::UNIX_EPOCH + Duration::from_millis(DISCORD_EPOCH_MS + 10_000_000);
        let at = |ms_ago: u64| ((10_000_000 - ms_ago) << 22) | 77;
        assert_eq!(interaction_age(at(0), now), Duration::ZERO);
        assert_eq!(interaction_age(at(60_000), now), Duration::from_secs(60));
        assert_eq!(
            interaction_age(at(14 * 60_000), now),
            Duration::from_secs(14 * 60)
        );
        // Older than a token lives, or from the future: not trusted.
        assert_eq!(interaction_age(at(16 * 60_000), now), Duration::ZERO);
        assert_eq!(interaction_age(u64::MAX, now), Duration::ZERO);
        assert_eq!(interaction_age(1, now), Duration::ZERO);
    }

    #[test]
    fn pages_are_clamped_to_the_last_page() {
        // 7 results, 3 a page: offsets 0, 3, 6.
        assert_eq!(clamp_offset(0, 7, 3), 0);
        assert_eq!(clamp_offset(3, 7, 3), 3);
        assert_eq!(clamp_offset(6, 7, 3), 6);
        assert_eq!(clamp_offset(9, 7, 3), 6, "past the end: the last page");
        assert_eq!(clamp_offset(usize::MAX, 7, 3), 6);
        assert_eq!(clamp_offset(4, 7, 3), 3, "inside a page: that page");
        assert_eq!(clamp_offset(6, 6, 3), 3, "exactly full pages");
        assert_eq!(clamp_offset(3, 0, 3), 0, "no results");
        assert_eq!(clamp_offset(5, 7, 0), 5, "page size 0 counts as 1");
    }

    #[test]
    fn more_results_ids_name_their_page() {
        let b = buttons_for(Some("ab12"), Some(4), true, false, 7, None);
        assert_eq!(b[0].custom_id, "rf:more:ab12:4");
        assert_eq!(
            parse_custom_id(&b[0].custom_id),
            Some(ButtonAction::More {
                key: "ab12",
                page: 4
            })
        );
        assert_eq!(
            parse_custom_id(&b[1].custom_id),
            Some(ButtonAction::Share { key: "ab12" })
        );
        assert_eq!(
            parse_custom_id("rf:src:2"),
            Some(ButtonAction::Sources {
                page: 2,
                owner: None
            })
        );
        assert_eq!(
            parse_custom_id(&render::sources_button_id(3, Some(55))),
            Some(ButtonAction::Sources {
                page: 3,
                owner: Some(55)
            })
        );
        assert_eq!(parse_custom_id("rf:src:3:x"), None);
        // A public answer: Delete for its asker, no Share.
        let public = buttons_for(None, None, false, false, 7, None);
        assert_eq!(public.len(), 1);
        assert_eq!(
            parse_custom_id(&public[0].custom_id),
            Some(ButtonAction::Delete { asker: 7 })
        );
        // Shared once: the Share button is disabled.
        let shared = buttons_for(Some("k"), None, true, true, 7, None);
        assert!(shared[0].disabled && shared[0].label == "Shared");
        // The old "next page" id carried no page: not guessed at.
        assert_eq!(parse_custom_id("rf:more:ab12"), None);
        assert_eq!(parse_custom_id("rf:more:ab12:x"), None);
        assert_eq!(parse_custom_id("other"), None);
        assert!(buttons_for(None, None, true, false, 1, None).is_empty());
    }

    #[test]
    fn a_recorded_answer_has_vote_buttons_naming_its_record() {
        let id = RecordId::parse("00ff00ff00ff00ff").unwrap();
        let b = buttons_for(None, None, false, false, 7, Some(&id));
        let ids: Vec<_> = b.iter().map(|b| b.custom_id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "rf:del:7",
                "fb:up:00ff00ff00ff00ff",
                "fb:down:00ff00ff00ff00ff"
            ]
        );
        assert_eq!(
            parse_custom_id(ids[2]),
            Some(ButtonAction::Vote {
                record: id.clone(),
                up: false
            })
        );
        assert_eq!(
            parse_custom_id(ids[1]),
            Some(ButtonAction::Vote {
                record: id,
                up: true
            })
        );
        assert_eq!(parse_custom_id("fb:up:nothex"), None);
        assert_eq!(
            parse_modal_id("fb:why:00FF00FF00FF00FF"),
            RecordId::parse("00ff00ff00ff00ff")
        );
        assert_eq!(parse_modal_id("fb:why:short"), None);
        // More + Share + 👍 + 👎 fit one action row.
        let id = RecordId::parse("0123456789abcdef").unwrap();
        assert!(buttons_for(Some("k"), Some(1), true, false, 7, Some(&id)).len() <= 5);
    }
}
