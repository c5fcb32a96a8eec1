//! The Discord shell: a serenity gateway client answering slash commands.
//!
//! Invariant: this module tree is the only place in the crate that imports serenity.
//!
//! * [`serve`] opens the [`Service`] and runs the bot until SIGINT/SIGTERM
//!   ([`serve_blocking`] for synchronous callers such as the CLI).
//! * [`run`] runs the bot over an open service until `shutdown` resolves.
//! * [`build_client`] builds the serenity client after the start-up checks (token,
//!   loopback guard, gateway URL) so tests can drive it against a fake Discord.
//! * With `discord.http_listen` set (`rolefaq serve --http ADDR`), [`run_with_core`]
//!   serves Discord's interactions over HTTP instead ([`http::Endpoint`]): the same
//!   handlers, their initial responses through [`responder::Responder`] as the HTTP
//!   body; no gateway, so no @mentions or DMs.
//!
//! # Sharding
//!
//! `discord.shard_count` / `shard_start` / `shard_end` choose the shards this process runs:
//!
//! * none set: Discord's recommended count from `GET /gateway/bot` (as serenity's
//!   `start_autosharded`; one shard if that request fails);
//! * `shard_count = N` only: all N shards in this process (`start_shards`);
//! * `shard_count = N`, `shard_start = a`, `shard_end = b`: shards `a..=b` (inclusive)
//!   of N (`start_shard_range`), so several processes can split the shards.
//!   `shard_start` defaults to 0 and `shard_end` to N-1.
//!
//! # Loopback guard
//!
//! When `discord.api_base` is not `https://discord.com` every REST call goes to that base
//! (serenity's `HttpBuilder::proxy`, with serenity's ratelimiter disabled because in
//! 0.12.5 it ignores the proxy and would call discord.com directly), and `GET {api_base}/api/v10/gateway` is fetched
//! before start-up: if it fails we refuse to start (serenity would otherwise fall back to
//! Discord's real gateway). In test mode (`ROLEFAQ_TEST_MODE=1`, or unit tests) the REST
//! base and the gateway URL must be on 127.0.0.1, ::1 or localhost.

pub mod ask;
pub mod attachments;
pub mod commands;
pub mod compat;
pub mod components;
pub mod events;
pub mod failures;
pub mod feedback;
pub mod guard;
pub mod http;
pub mod ids;
pub mod mentions;
pub mod pages;
pub mod reindex;
pub mod render;
pub mod respond;
pub mod responder;
pub mod slash;
pub mod sources;
pub mod state;
pub mod watch_reports;

use crate::config::Settings;
use crate::model::{
    Answer, Comparison, Freshness, GapsReport, IndexReport, SourceChange, SourceInfo, WatchEvent,
};
use crate::service::{AskOptions, Service};
use crate::store::{EntryPoint, RecordId};
use anyhow::{bail, Context as _};
use serenity::all::{Client, ClientBuilder, GatewayIntents, HttpBuilder};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// What the bot needs from the core. Implemented by [`Service`]; the methods are
/// blocking and are always called on tokio's blocking pool.
pub trait Core: Send + Sync + 'static {
    fn ask(&self, question: &str, opts: AskOptions) -> crate::Result<Answer>;
    fn compare(&self, a: &str, b: &str, aspect: Option<&str>) -> crate::Result<Comparison>;
    fn reindex(&self) -> crate::Result<IndexReport>;
    fn sources(&self) -> Vec<SourceInfo>;
    fn freshness(&self) -> Freshness;
    fn known_roles(&self) -> Vec<String>;
    fn known_aspects(&self) -> Vec<String>;
    /// Record the question of a first page (never blocks); `None`: recording is off
    /// or the write was dropped, so the answer carries no vote buttons.
    fn record(
        &self,
        _question: &str,
        _answer: &Answer,
        _entry: EntryPoint,
        _guild_id: Option<u64>,
        _user_id: Option<&str>,
    ) -> Option<RecordId> {
        None
    }
    /// A 👍/👎 (with what the voter looked for) on a recorded answer; never blocks.
    fn vote(&self, _record: &RecordId, _user_id: &str, _up: bool, _text: Option<&str>) -> bool {
        false
    }
    /// What the recorded questions of the last `days` days miss (blocking: reads the
    /// store and groups the questions).
    fn gaps(&self, _days: u32) -> crate::Result<GapsReport> {
        Err(crate::error::Error::Store("no question store".into()))
    }
    /// `/sources add`: write the document into the corpus and rebuild (blocking).
    fn add_source(
        &self,
        _name: &str,
        _bytes: &[u8],
        _replace: bool,
    ) -> crate::Result<SourceChange> {
        Err(crate::error::Error::Index(
            "this core cannot change its corpus".into(),
        ))
    }
    /// `/sources remove`: take the document out of the corpus and rebuild (blocking).
    fn remove_source(&self, _id: &str) -> crate::Result<SourceChange> {
        Err(crate::error::Error::Index(
            "this core cannot change its corpus".into(),
        ))
    }
    /// Keep a button's state (JSON) under `key` where every replica can read it
    /// (blocking; an error when there is no store: the shell keeps it in memory).
    fn save_button_state(&self, _key: &str, _json: &str) -> crate::Result<()> {
        Err(crate::error::Error::Store(
            "no store for button state".into(),
        ))
    }
    /// The button state saved under `key`, unless expired (blocking).
    fn load_button_state(&self, _key: &str) -> crate::Result<Option<String>> {
        Err(crate::error::Error::Store(
            "no store for button state".into(),
        ))
    }
    /// True for the first caller with `key` across every process sharing the store.
    fn claim_once(&self, _key: &str) -> crate::Result<bool> {
        Err(crate::error::Error::Store(
            "no store for button state".into(),
        ))
    }
    /// The corpus watcher's rebuilds, to report in the admin channel (`None`: this
    /// core has no watcher).
    fn subscribe_rebuilds(&self) -> Option<tokio::sync::broadcast::Receiver<WatchEvent>> {
        None
    }
}

impl Core for Service {
    fn ask(&self, question: &str, opts: AskOptions) -> crate::Result<Answer> {
        Service::ask(self, question, opts)
    }
    fn compare(&self, a: &str, b: &str, aspect: Option<&str>) -> crate::Result<Comparison> {
        Service::compare(self, a, b, aspect)
    }
    fn reindex(&self) -> crate::Result<IndexReport> {
        Service::reindex(self)
    }
    fn sources(&self) -> Vec<SourceInfo> {
        Service::sources(self)
    }
    fn freshness(&self) -> Freshness {
        Service::freshness(self)
    }
    fn known_roles(&self) -> Vec<String> {
        Service::known_roles(self)
    }
    fn known_aspects(&self) -> Vec<String> {
        Service::known_aspects(self)
    }
    fn record(
        &self,
        question: &str,
        answer: &Answer,
        entry: EntryPoint,
        guild_id: Option<u64>,
        user_id: Option<&str>,
    ) -> Option<RecordId> {
        Service::record(self, question, answer, entry, guild_id, user_id)
    }
    fn vote(&self, record: &RecordId, user_id: &str, up: bool, text: Option<&str>) -> bool {
        Service::vote(self, record, user_id, up, text)
    }
    fn gaps(&self, days: u32) -> crate::Result<GapsReport> {
        Service::gaps(self, days)
    }
    fn add_source(&self, name: &str, bytes: &[u8], replace: bool) -> crate::Result<SourceChange> {
        Service::add_source(self, name, bytes, replace)
    }
    fn remove_source(&self, id: &str) -> crate::Result<SourceChange> {
        Service::remove_source(self, id)
    }
    fn subscribe_rebuilds(&self) -> Option<tokio::sync::broadcast::Receiver<WatchEvent>> {
        Some(Service::subscribe_rebuilds(self))
    }
    fn save_button_state(&self, key: &str, json: &str) -> crate::Result<()> {
        Service::save_button_state(self, key, json)
    }
    fn load_button_state(&self, key: &str) -> crate::Result<Option<String>> {
        Service::load_button_state(self, key).map(|s| s.map(|(json, _)| json))
    }
    fn claim_once(&self, key: &str) -> crate::Result<bool> {
        Service::claim_once(self, key)
    }
}

/// serenity's log targets that print wire-level detail (the bytes of a gateway
/// payload it could not decode, which may carry interaction tokens), capped like the
/// generic ones of [`crate::logging::WIRE_TARGETS`].
pub const WIRE_LOG_TARGETS: &[&str] = &["serenity::gateway::ws"];

/// Gateway intents: interactions need none; @mentions and DMs need GUILD_MESSAGES and
/// DIRECT_MESSAGES, neither privileged: Discord delivers the content of messages that
/// mention the bot and of DMs without MESSAGE_CONTENT. No privileged intent is ever
/// asked for.
pub fn intents(answer_mentions: bool) -> GatewayIntents {
    if answer_mentions {
        GatewayIntents::GUILD_MESSAGES | GatewayIntents::DIRECT_MESSAGES
    } else {
        GatewayIntents::empty()
    }
}

/// `rolefaq serve`: open the index (building it when missing) and run the bot until
/// SIGINT or SIGTERM.
pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    check_token(&settings)?;
    let s = settings.clone();
    let service = tokio::task::spawn_blocking(move || Service::open(s))
        .await
        .context("opening the index panicked")?
        .context("cannot open the index")?;
    run(settings, Arc::new(service), shutdown_signal()).await
}

/// [`serve`] on a fresh multi-threaded tokio runtime, for the synchronous CLI.
pub fn serve_blocking(settings: Settings) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?
        .block_on(serve(settings))
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received, shutting down"),
        () = term => tracing::info!("SIGTERM received, shutting down"),
    }
}

/// Run the bot over an open service until `shutdown` resolves (or the gateway fails).
pub async fn run(
    settings: Settings,
    service: Arc<Service>,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    run_with_core(settings, service, shutdown).await
}

/// True when `discord.http_listen` asks for the HTTP endpoint instead of the gateway.
pub fn http_mode(settings: &Settings) -> bool {
    !settings.discord.http_listen.trim().is_empty()
}

/// As [`run`] over any [`Core`]: the gateway client, or the HTTP endpoint when
/// `discord.http_listen` is set ([`http`]).
pub async fn run_with_core(
    settings: Settings,
    core: Arc<dyn Core>,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    if http_mode(&settings) {
        let endpoint = http::Endpoint::start(&settings, core).await?;
        return endpoint.serve(shutdown).await;
    }
    let mut client = build_client(&settings, core).await?;
    let manager = Arc::clone(&client.shard_manager);
    let shards = ShardPlan::from_settings(&settings)?;
    let mut task = tokio::spawn(async move { shards.start(&mut client).await });
    tokio::select! {
        res = &mut task => {
            res.context("gateway task panicked")?.context("gateway connection failed")?;
            Ok(())
        }
        () = shutdown => {
            tracing::info!("stopping shards");
            manager.shutdown_all().await;
            match tokio::time::timeout(Duration::from_secs(10), task).await {
                Ok(Ok(Err(e))) => tracing::debug!(error = %e, "gateway ended during shutdown"),
                Ok(_) => {}
                Err(_) => tracing::warn!("shards did not stop within 10 s"),
            }
            Ok(())
        }
    }
}

fn check_token(settings: &Settings) -> anyhow::Result<()> {
    if settings.discord.token.is_empty() {
        bail!(
            "no Discord bot token: set DISCORD_TOKEN (or ROLEFAQ__DISCORD__TOKEN) in the \
             environment (see docs/discord.md)"
        );
    }
    Ok(())
}

/// The bot's REST clients after the token check and the loopback guard: `http` (with
/// serenity's ratelimiter unless proxied) and `ihttp` for interaction responses.
struct Rest {
    http: serenity::all::Http,
    ihttp: Arc<serenity::all::Http>,
    base: String,
    proxied: bool,
}

fn rest_clients(settings: &Settings) -> anyhow::Result<Rest> {
    check_token(settings)?;
    let d = &settings.discord;
    let test = guard::test_mode();
    let base = d.api_base.trim().trim_end_matches('/').to_string();
    guard::check_endpoint("discord.api_base", &base, test)?;
    // Scrubbed from every log line from now on (see `crate::logging`).
    crate::logging::register_secret(d.token.expose());
    // Every REST call (serenity's ratelimiter uses the same client) gives up after
    // `http_timeout_secs`: connecting, sending and reading the answer included.
    let http_timeout = Duration::from_secs(d.http_timeout_secs);
    let client = reqwest::Client::builder()
        .use_rustls_tls()
        .connect_timeout(http_timeout)
        .timeout(http_timeout)
        .build()
        .context("cannot build the HTTP client")?;
    let mut builder = HttpBuilder::new(d.token.expose()).client(client.clone());
    let proxied = !guard::is_discord(&base);
    if proxied {
        // serenity 0.12.5's ratelimiter builds its requests without the proxy (it passes
        // `None` to `Request::build`), which would send every call to discord.com; with
        // a proxy the ratelimiter must be off (a real REST proxy rate-limits itself).
        builder = builder.proxy(base.clone()).ratelimiter_disabled(true);
    }
    let http = builder.build();
    // Interaction responses: the same client and base, without serenity's limiter
    // (see `respond`'s module docs); the application id is set on READY.
    let mut ibuilder = HttpBuilder::new(d.token.expose())
        .client(client.clone())
        .ratelimiter_disabled(true);
    if proxied {
        ibuilder = ibuilder.proxy(base.clone());
    }
    let ihttp = Arc::new(ibuilder.build());
    Ok(Rest {
        http,
        ihttp,
        base,
        proxied,
    })
}

/// Build the serenity client after the start-up checks: a token is set, the REST base
/// passes the loopback guard, and (for a non-Discord base) the gateway URL is fetched
/// from that base and checked — start-up fails rather than falling back to Discord.
pub async fn build_client(settings: &Settings, core: Arc<dyn Core>) -> anyhow::Result<Client> {
    let d = &settings.discord;
    let test = guard::test_mode();
    let Rest {
        http,
        ihttp,
        base,
        proxied,
    } = rest_clients(settings)?;
    let gateway = if proxied {
        let g = http
            .get_gateway()
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))
            .with_context(|| {
                format!(
                    "GET {base}/api/v10/gateway failed; refusing to start (serenity would \
                 otherwise fall back to Discord's real gateway)"
                )
            })?;
        guard::check_endpoint("gateway URL", &g.url, test)?;
        tracing::info!(api_base = %base, gateway = %g.url, "using a non-Discord REST base");
        Some(g.url)
    } else {
        None
    };
    let rebuilds = core.subscribe_rebuilds();
    let state = Arc::new(state::State::new(core, d.clone(), ihttp));
    state::spawn_page_sweeper(&state);
    let client = ClientBuilder::new_with_http(http, intents(d.answer_mentions))
        .event_handler(events::Handler {
            state: Arc::clone(&state),
        })
        .raw_event_handler(compat::Compat { state })
        .await
        .context("cannot build the Discord client")?;
    if let Some(url) = gateway {
        // Overwrite whatever serenity fetched (or fell back to) with the checked URL.
        *client.ws_url.lock().await = url;
    }
    if let Some(rx) = rebuilds {
        watch_reports::spawn(
            rx,
            Arc::clone(&client.http),
            d.admin_channel_id,
            Duration::from_secs(d.http_timeout_secs),
        );
    }
    Ok(client)
}

/// Which shards this process runs; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardPlan {
    Auto,
    All { total: u32 },
    Range { first: u32, last: u32, total: u32 },
}

impl ShardPlan {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let d = &settings.discord;
        match (d.shard_count, d.shard_start, d.shard_end) {
            (None, None, None) => Ok(Self::Auto),
            (None, _, _) => bail!("discord.shard_start/shard_end need discord.shard_count"),
            (Some(0), _, _) => bail!("discord.shard_count must be at least 1"),
            (Some(total), None, None) => Ok(Self::All { total }),
            (Some(total), start, end) => {
                let first = start.unwrap_or(0);
                let last = end.unwrap_or(total - 1);
                if first > last || last >= total {
                    bail!(
                        "discord shard range {first}..={last} is not within 0..{total} \
                         (shard_end is inclusive)"
                    );
                }
                Ok(Self::Range { first, last, total })
            }
        }
    }

    async fn start(self, client: &mut Client) -> serenity::Result<()> {
        match self {
            Self::Auto => match client.http.get_bot_gateway().await {
                Ok(g) => {
                    tracing::info!(
                        shards = g.shards,
                        "starting Discord's recommended shard count"
                    );
                    client.start_shards(g.shards.max(1)).await
                }
                Err(e) => {
                    tracing::warn!(error = %e, "GET /gateway/bot failed; starting one shard");
                    client.start().await
                }
            },
            Self::All { total } => client.start_shards(total).await,
            // serenity treats the range's end as inclusive (it boots end - start + 1 shards).
            Self::Range { first, last, total } => {
                client.start_shard_range(first..last, total).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_plans() {
        let mut s = Settings::default();
        assert_eq!(ShardPlan::from_settings(&s).unwrap(), ShardPlan::Auto);
        s.discord.shard_count = Some(4);
        assert_eq!(
            ShardPlan::from_settings(&s).unwrap(),
            ShardPlan::All { total: 4 }
        );
        s.discord.shard_start = Some(2);
        assert_eq!(
            ShardPlan::from_settings(&s).unwrap(),
            ShardPlan::Range {
                first: 2,
                last: 3,
                total: 4
            }
        );
        s.discord.shard_end = Some(4);
        assert!(ShardPlan::from_settings(&s).is_err());
        s.discord.shard_count = None;
        assert!(ShardPlan::from_settings(&s).is_err());
    }
}
