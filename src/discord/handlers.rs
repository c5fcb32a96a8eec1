//! Interaction handling: parse, check (cooldown, admin, ownership), call the core on the
//! blocking pool, render, send.

use super::commands;
use super::guard::{self, Caller, Cooldown};
use super::pages::Bounded;
use super::render::{self, Button, ButtonKind, PageInfo, Reply};
use super::Core;
use crate::config::DiscordSettings;
use crate::error::Error;
use crate::service::AskOptions;
use serde_json::{json, Value};
use serenity::all::{
    ActionRowComponent, ButtonKind as SButtonKind, CommandDataOptionValue, CommandInteraction,
    ComponentInteraction, Context, CreateActionRow, CreateAllowedMentions,
    CreateAutocompleteResponse, CreateButton, CreateInteractionResponse,
    CreateInteractionResponseFollowup, CreateInteractionResponseMessage, Event, EventHandler,
    Interaction, Permissions, RawEventHandler, Ready,
};
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

const MORE_PREFIX: &str = "rf:more:";
const SHARE_PREFIX: &str = "rf:share:";
const SOURCES_PREFIX: &str = "rf:src:";

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
}

/// Shared state of the handler (one per client, shared by all shards).
pub struct State {
    core: Arc<dyn Core>,
    settings: DiscordSettings,
    cooldown: Cooldown,
    pages: Mutex<Bounded<PageState>>,
    reindexing: AtomicBool,
    /// One core call per CPU at a time: a burst of interactions queues here
    /// instead of crowding out the runtime threads that send deferrals.
    core_slots: tokio::sync::Semaphore,
    registered: AtomicBool,
    next_key: AtomicU64,
    key_salt: u64,
}

impl State {
    pub fn new(core: Arc<dyn Core>, settings: DiscordSettings) -> Self {
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
            core_slots: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, usize::from),
            ),
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

    /// Run a core call on the blocking pool. A panic in the core becomes an error.
    async fn blocking<T, F>(&self, f: F) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Core) -> T + Send + 'static,
    {
        let _slot = self
            .core_slots
            .acquire()
            .await
            .map_err(|e| anyhow::anyhow!("core slots closed: {e}"))?;
        let core = Arc::clone(&self.core);
        tokio::task::spawn_blocking(move || f(core.as_ref()))
            .await
            .map_err(|e| anyhow::anyhow!("core task failed: {e}"))
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
        // Register once per process, whichever shard is ready first.
        if self.state.registered.swap(true, Ordering::SeqCst) {
            return;
        }
        if let Err(e) = commands::register(&ctx.http, &self.state.settings.guild_ids).await {
            tracing::error!(error = %e, "registering slash commands failed");
            self.state.registered.store(false, Ordering::SeqCst);
        }
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        dispatch(&self.state, &ctx, interaction).await;
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
        Interaction::Autocomplete(cmd) => on_autocomplete(st, ctx, &cmd).await,
        Interaction::Component(c) => on_component(st, ctx, &c).await,
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

async fn respond(
    st: &State,
    ctx: &Context,
    cmd: &CommandInteraction,
    reply: &Reply,
) -> anyhow::Result<()> {
    st.within(
        "the interaction response",
        cmd.create_response(
            &ctx.http,
            CreateInteractionResponse::Message(
                reply.to_response_message().allowed_mentions(no_mentions()),
            ),
        ),
    )
    .await
}

async fn defer(
    st: &State,
    ctx: &Context,
    cmd: &CommandInteraction,
    ephemeral: bool,
) -> anyhow::Result<()> {
    st.within(
        "the deferral",
        cmd.create_response(
            &ctx.http,
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
    ctx: &Context,
    cmd: &CommandInteraction,
    deferred_ephemeral: bool,
    outcome: Result<Reply, String>,
) -> anyhow::Result<()> {
    match outcome {
        Ok(reply) => {
            st.within(
                "the reply's edit",
                cmd.edit_response(&ctx.http, reply.to_edit().allowed_mentions(no_mentions())),
            )
            .await?;
        }
        Err(msg) => {
            let r = render::refusal(&msg);
            if deferred_ephemeral {
                st.within(
                    "the refusal's edit",
                    cmd.edit_response(&ctx.http, r.to_edit()),
                )
                .await?;
            } else {
                st.within("the deletion", cmd.delete_response(&ctx.http))
                    .await?;
                st.within(
                    "the follow-up",
                    cmd.create_followup(&ctx.http, r.to_followup()),
                )
                .await?;
            }
        }
    }
    Ok(())
}

fn core_failure(what: &str, e: &anyhow::Error) -> String {
    tracing::error!(error = %e, "{what} failed in the core");
    "Something went wrong on my side (it has been logged). Please try again later.".into()
}

async fn on_command(st: &State, ctx: &Context, cmd: &CommandInteraction) -> anyhow::Result<()> {
    let caller = caller_of(cmd);
    tracing::debug!(command = %cmd.data.name, user = caller.user_id, "command");
    match cmd.data.name.as_str() {
        commands::ASK => {
            let question = opt_str(cmd, "question").unwrap_or("").trim().to_string();
            let private = opt_bool(cmd, "private").unwrap_or(false);
            if question.is_empty() {
                return respond(
                    st,
                    ctx,
                    cmd,
                    &render::refusal(
                        "Please type a question, e.g. `/ask question: who owns cybersecurity?`",
                    ),
                )
                .await;
            }
            if let Some(refusal) = cooldown_refusal(st, caller.user_id) {
                return respond(st, ctx, cmd, &refusal).await;
            }
            defer(st, ctx, cmd, private).await?;
            let outcome = ask_page(st, &question, 0).await;
            let outcome = outcome.map(|page| {
                with_buttons(
                    st,
                    page.reply,
                    page.next,
                    private,
                    PageState {
                        question: question.clone(),
                        user_id: caller.user_id,
                        total: page.total,
                        private,
                        shown: Reply::default(),
                    },
                )
            });
            finish(st, ctx, cmd, private, outcome).await
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
                    ctx,
                    cmd,
                    &render::refusal("Give two roles, e.g. `/compare role_a: CIO role_b: CTO`."),
                )
                .await;
            }
            if let Some(refusal) = cooldown_refusal(st, caller.user_id) {
                return respond(st, ctx, cmd, &refusal).await;
            }
            defer(st, ctx, cmd, false).await?;
            let res = st
                .blocking(move |c| {
                    c.compare(&a, &b, aspect.as_deref())
                        .map(|cmp| (cmp, c.freshness()))
                })
                .await;
            let outcome = match res {
                Ok(Ok((cmp, fresh))) => Ok(render::comparison(&cmp, &fresh)),
                Ok(Err(e)) => {
                    tracing::info!(error = %e, "compare refused");
                    Err(user_message(&e))
                }
                Err(e) => Err(core_failure("compare", &e)),
            };
            finish(st, ctx, cmd, false, outcome).await
        }
        commands::REINDEX => {
            let d = &st.settings;
            if !guard::is_admin(&caller, &d.admin_user_ids, &d.admin_role_ids) {
                tracing::info!(user = caller.user_id, "reindex refused: not an admin");
                return respond(
                    st,
                    ctx,
                    cmd,
                    &render::refusal(
                        "Only admins can rebuild the index. Ask a server administrator (or a user \
                     listed in discord.admin_user_ids / a role in discord.admin_role_ids).",
                    ),
                )
                .await;
            }
            if st.reindexing.swap(true, Ordering::SeqCst) {
                tracing::info!(user = caller.user_id, "reindex refused: one is running");
                return respond(
                    st,
                    ctx,
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
            if let Err(e) = defer(st, ctx, cmd, true).await {
                tracing::warn!(error = %e, "reindex: the deferral failed; rebuilding anyway");
            }
            tracing::info!(user = caller.user_id, "reindex started");
            let res = st.blocking(|c| c.reindex()).await;
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
            finish(st, ctx, cmd, true, outcome).await
        }
        commands::SOURCES => {
            let res = st.blocking(|c| (c.sources(), c.freshness())).await;
            let reply = match res {
                Ok((list, fresh)) => render::sources(&list, &fresh, 0),
                Err(e) => render::refusal(&core_failure("sources", &e)),
            };
            respond(st, ctx, cmd, &reply).await
        }
        commands::HELP => {
            respond(
                st,
                ctx,
                cmd,
                &render::help(st.settings.page_size, st.settings.cooldown_secs),
            )
            .await
        }
        other => {
            tracing::warn!(command = other, "unknown command");
            respond(
                st,
                ctx,
                cmd,
                &render::refusal("I don't know that command (it may be outdated). Try /help."),
            )
            .await
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
            .blocking(move |c| {
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
        });
    }
}

/// Attach "More results" (to page `next`) / "Share" buttons, storing the page state
/// they point to.
fn with_buttons(
    st: &State,
    reply: Reply,
    next: Option<usize>,
    private: bool,
    mut ps: PageState,
) -> Reply {
    if next.is_none() && !private {
        return reply;
    }
    ps.shown = reply.clone();
    let key = st.store(ps);
    Reply {
        buttons: buttons_for(&key, next, private),
        ..reply
    }
    .fitted()
}

/// The buttons of a paged answer. "More results" names the page it shows
/// (`rf:more:{key}:{page}`), so clicking it twice shows that page twice.
fn buttons_for(key: &str, next: Option<usize>, private: bool) -> Vec<Button> {
    let mut b = Vec::new();
    if let Some(page) = next {
        b.push(Button {
            custom_id: format!("{MORE_PREFIX}{key}:{page}"),
            label: "More results".into(),
            kind: ButtonKind::Primary,
            disabled: false,
        });
    }
    if private {
        b.push(Button {
            custom_id: format!("{SHARE_PREFIX}{key}"),
            label: "Share".into(),
            kind: ButtonKind::Success,
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
    Sources {
        page: usize,
    },
}

/// Parse a custom id this bot made; None for anything else (or an older format).
pub fn parse_custom_id(id: &str) -> Option<ButtonAction<'_>> {
    if let Some(page) = id.strip_prefix(SOURCES_PREFIX) {
        return page.parse().ok().map(|page| ButtonAction::Sources { page });
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

async fn on_autocomplete(
    st: &State,
    ctx: &Context,
    cmd: &CommandInteraction,
) -> anyhow::Result<()> {
    let Some(focused) = cmd.data.autocomplete() else {
        return Ok(());
    };
    let typed = focused.value.to_string();
    let which = focused.name.to_string();
    let list = st
        .blocking(move |c| match which.as_str() {
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
        cmd.create_response(&ctx.http, CreateInteractionResponse::Autocomplete(resp)),
    )
    .await
}

async fn ephemeral(
    st: &State,
    ctx: &Context,
    c: &ComponentInteraction,
    msg: &str,
) -> anyhow::Result<()> {
    st.within(
        "the ephemeral response",
        c.create_response(
            &ctx.http,
            CreateInteractionResponse::Message(render::refusal(msg).to_response_message()),
        ),
    )
    .await
}

/// The message's buttons, all disabled (for expired state).
fn disabled_rows(c: &ComponentInteraction) -> Vec<CreateActionRow> {
    let mut out = Vec::new();
    for row in &c.message.components {
        let mut buttons = Vec::new();
        for comp in &row.components {
            if let ActionRowComponent::Button(b) = comp {
                if let SButtonKind::NonLink { custom_id, style } = &b.data {
                    let mut nb = CreateButton::new(custom_id).style(*style).disabled(true);
                    if let Some(l) = &b.label {
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

async fn on_component(st: &State, ctx: &Context, c: &ComponentInteraction) -> anyhow::Result<()> {
    let user = c.user.id.get();
    let (key, target) = match parse_custom_id(c.data.custom_id.as_str()) {
        Some(ButtonAction::Sources { page }) => {
            let res = st.blocking(|core| (core.sources(), core.freshness())).await;
            return match res {
                Ok((list, fresh)) => {
                    let r = render::sources(&list, &fresh, page);
                    st.within(
                        "the sources page",
                        c.create_response(
                            &ctx.http,
                            CreateInteractionResponse::UpdateMessage(r.to_response_message()),
                        ),
                    )
                    .await
                }
                Err(e) => ephemeral(st, ctx, c, &core_failure("sources", &e)).await,
            };
        }
        Some(ButtonAction::More { key, page }) => (key, Some(page)),
        Some(ButtonAction::Share { key }) => (key, None),
        None => {
            return ephemeral(st, ctx, c, "This button is no longer supported. Use /help.").await
        }
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
                &ctx.http,
                CreateInteractionResponse::UpdateMessage(
                    CreateInteractionResponseMessage::new().components(disabled_rows(c)),
                ),
            ),
        )
        .await?;
        st.within(
            "the expiry follow-up",
            c.create_followup(
                &ctx.http,
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
            ctx,
            c,
            "Only the person who asked can use these buttons. Ask your own question with /ask.",
        )
        .await;
    }
    let Some(target) = target else {
        // Share: post the page currently shown, publicly.
        let mut shared = ps.shown.clone();
        shared.ephemeral = false;
        shared.buttons.clear();
        shared.content = Some(format!("Shared by <@{user}>"));
        let shared = shared.fitted();
        return st
            .within(
                "the shared answer",
                c.create_response(
                    &ctx.http,
                    CreateInteractionResponse::Message(
                        shared.to_response_message().allowed_mentions(no_mentions()),
                    ),
                ),
            )
            .await;
    };
    // More results: acknowledge (type 6), then edit the message with the page the
    // button names, clamped to the last page; a second click on the same button shows
    // the same page again.
    let step = st.settings.page_size.max(1);
    let offset = clamp_offset(target.saturating_mul(step), ps.total, step);
    // DEFERRED_UPDATE_MESSAGE. Sent as `{"type": 6}`: serenity's `Acknowledge` adds
    // `"data": null`, which Discord documents as an absent optional field.
    st.within(
        "the acknowledgement",
        ctx.http
            .create_interaction_response(c.id, &c.token, &json!({ "type": 6 }), Vec::new()),
    )
    .await?;
    match ask_page(st, &ps.question, offset).await {
        Ok(page) => {
            if let Some((_, p)) = st.pages().get_mut(key, Instant::now()) {
                p.total = page.total;
                p.shown = page.reply.clone();
            }
            let mut reply = page.reply;
            reply.buttons = buttons_for(key, page.next, ps.private);
            let reply = reply.fitted();
            st.within(
                "the page's edit",
                c.edit_response(&ctx.http, reply.to_edit().allowed_mentions(no_mentions())),
            )
            .await?;
        }
        Err(msg) => {
            st.within(
                "the follow-up",
                c.create_followup(&ctx.http, render::refusal(&msg).to_followup()),
            )
            .await?;
        }
    }
    Ok(())
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
        }
    }

    #[test]
    fn paged_answers_are_bounded_by_count_and_age() {
        let settings = DiscordSettings {
            max_paged_answers: 50,
            button_timeout_secs: 600,
            ..DiscordSettings::default()
        };
        let st = State::new(Arc::new(NoCore), settings);
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
        let b = buttons_for("ab12", Some(4), true);
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
            Some(ButtonAction::Sources { page: 2 })
        );
        // The old "next page" id carried no page: not guessed at.
        assert_eq!(parse_custom_id("rf:more:ab12"), None);
        assert_eq!(parse_custom_id("rf:more:ab12:x"), None);
        assert_eq!(parse_custom_id("other"), None);
        assert!(buttons_for("k", None, false).is_empty());
    }
}
