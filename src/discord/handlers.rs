//! Interaction handling: parse, check (cooldown, admin, ownership), call the core on the
//! blocking pool, render, send.

use super::commands;
use super::guard::{self, Caller, Cooldown};
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
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const MORE_PREFIX: &str = "rf:more:";
const SHARE_PREFIX: &str = "rf:share:";
const SOURCES_PREFIX: &str = "rf:src:";

/// What a "More results" / "Share" button refers to, kept server-side.
#[derive(Debug, Clone)]
struct PageState {
    question: String,
    user_id: u64,
    /// Offset of the page currently shown.
    offset: usize,
    created: Instant,
    private: bool,
    /// The page currently shown (what "Share" posts).
    shown: Reply,
}

/// Shared state of the handler (one per client, shared by all shards).
pub struct State {
    core: Arc<dyn Core>,
    settings: DiscordSettings,
    cooldown: Cooldown,
    pages: Mutex<HashMap<String, PageState>>,
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
            settings,
            pages: Mutex::new(HashMap::new()),
            reindexing: AtomicBool::new(false),
            core_slots: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, usize::from),
            ),
            registered: AtomicBool::new(false),
            next_key: AtomicU64::new(1),
            key_salt: h.finish(),
        }
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(self.settings.button_timeout_secs)
    }

    fn pages(&self) -> std::sync::MutexGuard<'_, HashMap<String, PageState>> {
        self.pages.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Store a page state and return its short key (≤ 16 chars).
    fn store(&self, st: PageState) -> String {
        let n = self.next_key.fetch_add(1, Ordering::Relaxed);
        let key = format!(
            "{:x}{:04x}",
            n,
            (self.key_salt ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15)) & 0xffff
        );
        let timeout = self.timeout();
        let mut pages = self.pages();
        pages.retain(|_, p| p.created.elapsed() <= timeout);
        pages.insert(key.clone(), st);
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

async fn respond(ctx: &Context, cmd: &CommandInteraction, reply: &Reply) -> anyhow::Result<()> {
    cmd.create_response(
        &ctx.http,
        CreateInteractionResponse::Message(
            reply.to_response_message().allowed_mentions(no_mentions()),
        ),
    )
    .await?;
    Ok(())
}

async fn defer(ctx: &Context, cmd: &CommandInteraction, ephemeral: bool) -> anyhow::Result<()> {
    cmd.create_response(
        &ctx.http,
        CreateInteractionResponse::Defer(
            CreateInteractionResponseMessage::new().ephemeral(ephemeral),
        ),
    )
    .await?;
    Ok(())
}

/// After a deferral: show `reply`, or the error. A public deferral cannot turn
/// ephemeral, so errors there delete the placeholder and follow up ephemerally.
async fn finish(
    ctx: &Context,
    cmd: &CommandInteraction,
    deferred_ephemeral: bool,
    outcome: Result<Reply, String>,
) -> anyhow::Result<()> {
    match outcome {
        Ok(reply) => {
            cmd.edit_response(&ctx.http, reply.to_edit().allowed_mentions(no_mentions()))
                .await?;
        }
        Err(msg) => {
            let r = render::refusal(&msg);
            if deferred_ephemeral {
                cmd.edit_response(&ctx.http, r.to_edit()).await?;
            } else {
                cmd.delete_response(&ctx.http).await?;
                cmd.create_followup(&ctx.http, r.to_followup()).await?;
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
                    ctx,
                    cmd,
                    &render::refusal(
                        "Please type a question, e.g. `/ask question: who owns cybersecurity?`",
                    ),
                )
                .await;
            }
            if let Some(refusal) = cooldown_refusal(st, caller.user_id) {
                return respond(ctx, cmd, &refusal).await;
            }
            defer(ctx, cmd, private).await?;
            let outcome = ask_page(st, &question, 0).await;
            let outcome = outcome.map(|(reply, more)| {
                with_buttons(
                    st,
                    reply,
                    more,
                    private,
                    PageState {
                        question: question.clone(),
                        user_id: caller.user_id,
                        offset: 0,
                        created: Instant::now(),
                        private,
                        shown: Reply::default(),
                    },
                )
            });
            finish(ctx, cmd, private, outcome).await
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
                    ctx,
                    cmd,
                    &render::refusal("Give two roles, e.g. `/compare role_a: CIO role_b: CTO`."),
                )
                .await;
            }
            if let Some(refusal) = cooldown_refusal(st, caller.user_id) {
                return respond(ctx, cmd, &refusal).await;
            }
            defer(ctx, cmd, false).await?;
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
            finish(ctx, cmd, false, outcome).await
        }
        commands::REINDEX => {
            let d = &st.settings;
            if !guard::is_admin(&caller, &d.admin_user_ids, &d.admin_role_ids) {
                tracing::info!(user = caller.user_id, "reindex refused: not an admin");
                return respond(
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
                    ctx,
                    cmd,
                    &render::refusal(&user_message(&Error::RebuildInProgress)),
                )
                .await;
            }
            // Busy until the rebuild itself ends, not until its report is sent: an
            // admin who sees "Index rebuilt" may start the next one at once.
            let busy = ClearOnDrop(&st.reindexing);
            defer(ctx, cmd, true).await?;
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
            finish(ctx, cmd, true, outcome).await
        }
        commands::SOURCES => {
            let res = st.blocking(|c| (c.sources(), c.freshness())).await;
            let reply = match res {
                Ok((list, fresh)) => render::sources(&list, &fresh, 0),
                Err(e) => render::refusal(&core_failure("sources", &e)),
            };
            respond(ctx, cmd, &reply).await
        }
        commands::HELP => {
            respond(
                ctx,
                cmd,
                &render::help(st.settings.page_size, st.settings.cooldown_secs),
            )
            .await
        }
        other => {
            tracing::warn!(command = other, "unknown command");
            respond(
                ctx,
                cmd,
                &render::refusal("I don't know that command (it may be outdated). Try /help."),
            )
            .await
        }
    }
}

/// One page of an answer: the rendered reply and whether there are more results.
async fn ask_page(st: &State, question: &str, offset: usize) -> Result<(Reply, bool), String> {
    let q = question.to_string();
    let top = st.settings.page_size.max(1);
    let res = st
        .blocking(move |c| {
            c.ask(&q, AskOptions { top, offset })
                .map(|a| (a, c.freshness()))
        })
        .await;
    match res {
        Ok(Ok((answer, fresh))) => {
            let page = PageInfo {
                offset,
                page_size: top,
            };
            Ok((
                render::answer(&answer, &fresh, page),
                render::has_more(&answer, page),
            ))
        }
        Ok(Err(e)) => {
            tracing::info!(error = %e, "question refused by the core");
            Err(user_message(&e))
        }
        Err(e) => Err(core_failure("ask", &e)),
    }
}

/// Attach "More results" / "Share" buttons, storing the page state they point to.
fn with_buttons(st: &State, reply: Reply, more: bool, private: bool, mut ps: PageState) -> Reply {
    if !more && !private {
        return reply;
    }
    ps.shown = reply.clone();
    let key = st.store(ps);
    Reply {
        buttons: buttons_for(&key, more, private),
        ..reply
    }
    .fitted()
}

fn buttons_for(key: &str, more: bool, private: bool) -> Vec<Button> {
    let mut b = Vec::new();
    if more {
        b.push(Button {
            custom_id: format!("{MORE_PREFIX}{key}"),
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
    cmd.create_response(&ctx.http, CreateInteractionResponse::Autocomplete(resp))
        .await?;
    Ok(())
}

async fn ephemeral(ctx: &Context, c: &ComponentInteraction, msg: &str) -> anyhow::Result<()> {
    c.create_response(
        &ctx.http,
        CreateInteractionResponse::Message(render::refusal(msg).to_response_message()),
    )
    .await?;
    Ok(())
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
    let id = c.data.custom_id.as_str();
    let user = c.user.id.get();
    if let Some(page) = id.strip_prefix(SOURCES_PREFIX) {
        let page: usize = page.parse().unwrap_or(0);
        let res = st.blocking(|core| (core.sources(), core.freshness())).await;
        return match res {
            Ok((list, fresh)) => {
                let r = render::sources(&list, &fresh, page);
                c.create_response(
                    &ctx.http,
                    CreateInteractionResponse::UpdateMessage(r.to_response_message()),
                )
                .await?;
                Ok(())
            }
            Err(e) => ephemeral(ctx, c, &core_failure("sources", &e)).await,
        };
    }
    let (key, is_more) = if let Some(k) = id.strip_prefix(MORE_PREFIX) {
        (k, true)
    } else if let Some(k) = id.strip_prefix(SHARE_PREFIX) {
        (k, false)
    } else {
        return ephemeral(ctx, c, "This button is no longer supported. Use /help.").await;
    };
    let timeout = st.timeout();
    let found = st.pages().get(key).cloned();
    let ps = match found {
        Some(ps) if ps.created.elapsed() <= timeout => ps,
        other => {
            if other.is_some() {
                st.pages().remove(key);
            }
            // Disable the buttons on the message, then tell the user (only them).
            c.create_response(
                &ctx.http,
                CreateInteractionResponse::UpdateMessage(
                    CreateInteractionResponseMessage::new().components(disabled_rows(c)),
                ),
            )
            .await?;
            c.create_followup(
                &ctx.http,
                CreateInteractionResponseFollowup::new()
                    .embed(
                        serenity::all::CreateEmbed::new()
                            .description("These buttons have expired. Ask again with /ask."),
                    )
                    .ephemeral(true),
            )
            .await?;
            return Ok(());
        }
    };
    if ps.user_id != user {
        return ephemeral(
            ctx,
            c,
            "Only the person who asked can use these buttons. Ask your own question with /ask.",
        )
        .await;
    }
    if !is_more {
        // Share: post the page currently shown, publicly.
        let mut shared = ps.shown.clone();
        shared.ephemeral = false;
        shared.buttons.clear();
        shared.content = Some(format!("Shared by <@{user}>"));
        let shared = shared.fitted();
        c.create_response(
            &ctx.http,
            CreateInteractionResponse::Message(
                shared.to_response_message().allowed_mentions(no_mentions()),
            ),
        )
        .await?;
        return Ok(());
    }
    // More results: acknowledge (type 6), then edit the message with the next page.
    // The offset advances under the lock, so two quick clicks show two different pages.
    let step = st.settings.page_size.max(1);
    let offset = match st.pages().get_mut(key) {
        Some(p) => {
            p.offset += step;
            p.offset
        }
        None => ps.offset + step,
    };
    // DEFERRED_UPDATE_MESSAGE. Sent as `{"type": 6}`: serenity's `Acknowledge` adds
    // `"data": null`, which Discord documents as an absent optional field.
    ctx.http
        .create_interaction_response(c.id, &c.token, &json!({ "type": 6 }), Vec::new())
        .await?;
    match ask_page(st, &ps.question, offset).await {
        Ok((reply, more)) => {
            if let Some(p) = st.pages().get_mut(key) {
                if p.offset == offset {
                    p.shown = reply.clone();
                }
            }
            let mut reply = reply;
            reply.buttons = buttons_for(key, more, ps.private);
            let reply = reply.fitted();
            c.edit_response(&ctx.http, reply.to_edit().allowed_mentions(no_mentions()))
                .await?;
        }
        Err(msg) => {
            c.create_followup(&ctx.http, render::refusal(&msg).to_followup())
                .await?;
        }
    }
    Ok(())
}
