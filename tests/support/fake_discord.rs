//! A fake Discord for end-to-end tests, bound to 127.0.0.1 only.
//!
//! REST (HTTP/1.1, axum) and the gateway (websocket, tokio-tungstenite) follow the
//! payloads documented at <https://discord.com/developers/docs>: `GET /gateway`,
//! `GET /gateway/bot`, `GET /users/@me`, `GET /oauth2/applications/@me`, bulk command
//! overwrite, interaction callbacks, `@original` edits/deletes and follow-ups; the
//! gateway sends HELLO, expects IDENTIFY, sends READY, ACKs heartbeats and dispatches
//! `INTERACTION_CREATE` and `MESSAGE_CREATE` events; channel messages, their deletion
//! and threads started on a message. Every REST request is recorded for assertions.
//!
//! Rate limits as Discord documents them: every response carries `X-RateLimit-Limit`,
//! `-Remaining`, `-Reset`, `-Reset-After` and `-Bucket`; a route's bucket is per major
//! parameter (channel, guild, or webhook id **and token**: each interaction token has
//! its own bucket), [`RATE_LIMIT`] requests per [`RATE_WINDOW`]; past that the answer is
//! `429` with `retry_after` (recorded in [`FakeDiscord::errors`]).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, Notify};
use tokio_tungstenite::tungstenite::Message as WsMessage;

pub const APP_ID: u64 = 900_000_000_000_000_001;
pub const BOT_ID: u64 = APP_ID;
pub const GUILD_ID: u64 = 900_000_000_000_000_010;
pub const CHANNEL_ID: u64 = 900_000_000_000_000_020;
pub const ADMIN_ROLE_ID: u64 = 900_000_000_000_000_030;
/// A second server the bot is in (not a home server in the tests).
pub const OTHER_GUILD_ID: u64 = 900_000_000_000_000_011;
/// Requests per bucket per window.
pub const RATE_LIMIT: u32 = 5;
pub const RATE_WINDOW: Duration = Duration::from_secs(2);

/// Privileged intents: GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT.
pub const PRIVILEGED_INTENTS: u64 = (1 << 1) | (1 << 8) | (1 << 15);

/// One recorded REST request.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub authorization: Option<String>,
    pub body: Value,
    /// Files of a `multipart/form-data` request (its JSON is `body`, from the
    /// `payload_json` part), as Discord documents uploads.
    pub files: Vec<UploadedFile>,
    /// When the fake received it (for the end-to-end benchmark).
    pub at: std::time::Instant,
}

/// One file part of a multipart request (`files[n]`).
#[derive(Debug, Clone)]
pub struct UploadedFile {
    pub field: String,
    pub filename: String,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// The parts of a `multipart/form-data` body (the JSON part too, as a file named "").
fn multipart_parts(body: &[u8], boundary: &str) -> Vec<UploadedFile> {
    let delim = format!("--{boundary}");
    let find = |hay: &[u8], needle: &[u8], from: usize| {
        hay.get(from..)?
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| p + from)
    };
    let mut parts = Vec::new();
    let mut at = match find(body, delim.as_bytes(), 0) {
        Some(p) => p + delim.len(),
        None => return parts,
    };
    let sep = format!("\r\n--{boundary}");
    while body.get(at..at + 2) == Some(b"\r\n") {
        let start = at + 2;
        let Some(head_end) = find(body, b"\r\n\r\n", start) else {
            break;
        };
        let head = String::from_utf8_lossy(&body[start..head_end]).to_string();
        let data_start = head_end + 4;
        let Some(end) = find(body, sep.as_bytes(), data_start) else {
            break;
        };
        let disposition = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
            .unwrap_or("")
            .to_string();
        let attr = |key: &str| {
            disposition
                .split(';')
                .map(str::trim)
                .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
                .map(|v| v.trim_matches('"').to_string())
        };
        let content_type = head.lines().find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type:")
                .map(|v| v.trim().to_string())
        });
        parts.push(UploadedFile {
            field: attr("name").unwrap_or_default(),
            filename: attr("filename").unwrap_or_default(),
            content_type,
            bytes: body[data_start..end].to_vec(),
        });
        at = end + sep.len();
    }
    parts
}

impl Request {
    /// Interaction callback type (`POST /interactions/{id}/{token}/callback`).
    pub fn callback_type(&self) -> Option<u64> {
        self.body.get("type").and_then(Value::as_u64)
    }
    /// Message flags of a callback (`data.flags`) or of a follow-up / edit (`flags`).
    pub fn flags(&self) -> u64 {
        self.body
            .pointer("/data/flags")
            .or_else(|| self.body.get("flags"))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    }
    pub fn is_ephemeral(&self) -> bool {
        self.flags() & 64 != 0
    }
    /// Interaction id of a callback path.
    pub fn interaction_id(&self) -> Option<&str> {
        let mut it = self.path.split('/');
        while let Some(seg) = it.next() {
            if seg == "interactions" {
                return it.next();
            }
        }
        None
    }
    /// The token in a callback or webhook path.
    pub fn token(&self) -> Option<&str> {
        let segs: Vec<&str> = self.path.split('/').collect();
        match segs
            .iter()
            .position(|s| *s == "interactions" || *s == "webhooks")
        {
            Some(i) => segs.get(i + 2).copied(),
            None => None,
        }
    }
    pub fn is_callback(&self) -> bool {
        self.method == "POST"
            && self.path.contains("/interactions/")
            && self.path.ends_with("/callback")
    }
    pub fn is_edit_original(&self) -> bool {
        self.method == "PATCH" && self.path.ends_with("/messages/@original")
    }
    pub fn is_delete_original(&self) -> bool {
        self.method == "DELETE" && self.path.ends_with("/messages/@original")
    }
    /// `POST /channels/{id}/messages`: a channel message (an @mention reply, a report).
    pub fn is_channel_message(&self) -> bool {
        self.method == "POST"
            && self.path.starts_with("/api/v10/channels/")
            && self.path.ends_with("/messages")
    }
    /// The channel id of a `/channels/{id}/…` request.
    pub fn channel(&self) -> Option<&str> {
        self.path
            .strip_prefix("/api/v10/channels/")
            .and_then(|r| r.split('/').next())
    }
    pub fn is_followup(&self) -> bool {
        self.method == "POST"
            && self.path.starts_with("/api/v10/webhooks/")
            && !self.path.contains("/messages")
    }
    /// Embeds of the message this request sends (callback `data.embeds` or body `embeds`).
    pub fn embeds(&self) -> Vec<Value> {
        self.body
            .pointer("/data/embeds")
            .or_else(|| self.body.get("embeds"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    }
    /// Custom ids of the buttons in this message.
    pub fn custom_ids(&self) -> Vec<String> {
        let comps = self
            .body
            .pointer("/data/components")
            .or_else(|| self.body.get("components"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        comps
            .iter()
            .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
            .filter_map(|b| b["custom_id"].as_str().map(String::from))
            .collect()
    }
}

#[derive(Default)]
struct Shared {
    gateway_url: Mutex<String>,
    requests: Mutex<Vec<Request>>,
    /// Requests the fake answered with an error status (what Discord would refuse).
    errors: Mutex<Vec<(u16, Request)>>,
    identifies: Mutex<Vec<Value>>,
    sessions: Mutex<Vec<mpsc::UnboundedSender<Value>>>,
    heartbeats: AtomicU64,
    /// Interaction ids already answered, and tokens whose webhook is usable.
    acknowledged: Mutex<std::collections::HashSet<String>>,
    tokens: Mutex<std::collections::HashSet<String>>,
    message_ids: AtomicU64,
    changed: Notify,
    /// Answer message edits this long after recording them (Discord's latency).
    edit_delay: Mutex<std::time::Duration>,
    /// Interaction tokens whose every request (callback, edits, follow-ups) is
    /// answered only this long after it was recorded: a stalled network.
    stalls: Mutex<std::collections::HashMap<String, std::time::Duration>>,
    /// Files served at `/attachments/{id}/{name}` (the CDN of uploaded attachments).
    attachments: Mutex<std::collections::HashMap<String, Vec<u8>>>,
    /// Rate-limit buckets: key → (window start, requests in it).
    buckets: Mutex<std::collections::HashMap<String, (std::time::Instant, u32)>>,
}

impl Shared {
    fn bump(&self) {
        self.changed.notify_waiters();
    }
}

/// The running fake. Dropping it stops accepting connections (tasks end with the runtime).
pub struct FakeDiscord {
    pub rest_addr: SocketAddr,
    pub gateway_addr: SocketAddr,
    shared: Arc<Shared>,
    next_id: AtomicU64,
}

fn user(id: u64, name: &str, bot: bool) -> Value {
    json!({
        "id": id.to_string(),
        "username": name,
        "discriminator": "0",
        "global_name": name,
        "avatar": null,
        "bot": bot,
        "public_flags": 0
    })
}

fn bot_user() -> Value {
    user(BOT_ID, "rolefaq-test", true)
}

impl FakeDiscord {
    pub async fn start() -> Self {
        let shared = Arc::new(Shared::default());
        let rest = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gw = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let rest_addr = rest.local_addr().unwrap();
        let gateway_addr = gw.local_addr().unwrap();
        *shared.gateway_url.lock().unwrap() = format!("ws://{gateway_addr}");

        let app = Router::new()
            .fallback(rest_handler)
            .with_state(Arc::clone(&shared));
        tokio::spawn(async move {
            let _ = axum::serve(rest, app).await;
        });
        let s = Arc::clone(&shared);
        tokio::spawn(async move {
            while let Ok((stream, _)) = gw.accept().await {
                let s = Arc::clone(&s);
                tokio::spawn(async move {
                    if let Err(e) = gateway_session(stream, s).await {
                        eprintln!("fake gateway session ended: {e}");
                    }
                });
            }
        });
        Self {
            rest_addr,
            gateway_addr,
            shared,
            next_id: AtomicU64::new(1),
        }
    }

    /// Host `bytes` as an uploaded attachment; returns its attachment object as
    /// Discord puts it in `data.resolved.attachments` (the URL on this fake's CDN).
    pub fn host_attachment(&self, filename: &str, bytes: &[u8]) -> Value {
        let id = self.snowflake();
        // Discord's CDN paths have no spaces (they become underscores)
        let path = format!("/attachments/{id}/{}", filename.replace(' ', "_"));
        self.shared
            .attachments
            .lock()
            .unwrap()
            .insert(path.clone(), bytes.to_vec());
        let url = format!("{}{path}", self.api_base());
        json!({
            "id": id,
            "filename": filename,
            "size": bytes.len(),
            "url": url,
            "proxy_url": url,
            "content_type": "application/octet-stream",
            "ephemeral": true
        })
    }

    /// `http://127.0.0.1:PORT`, for `discord.api_base`.
    pub fn api_base(&self) -> String {
        format!("http://{}", self.rest_addr)
    }

    /// Answer message edits `delay` after they were recorded, as a slow network would.
    pub fn delay_edits(&self, delay: std::time::Duration) {
        *self.shared.edit_delay.lock().unwrap() = delay;
    }

    /// Answer every request for `interaction` (its callback, then edits and follow-ups
    /// by its token) only `delay` after recording it, as a stalled connection would.
    pub fn stall(&self, interaction: &Value, delay: std::time::Duration) {
        let token = interaction["token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        self.shared.stalls.lock().unwrap().insert(token, delay);
    }

    /// Make `GET /gateway` (and `/gateway/bot`) answer with this URL.
    pub fn set_gateway_url(&self, url: &str) {
        *self.shared.gateway_url.lock().unwrap() = url.to_string();
    }

    pub fn requests(&self) -> Vec<Request> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// Requests answered with an error status, as Discord would have refused them.
    pub fn errors(&self) -> Vec<(u16, Request)> {
        self.shared.errors.lock().unwrap().clone()
    }

    pub fn identifies(&self) -> Vec<Value> {
        self.shared.identifies.lock().unwrap().clone()
    }

    pub fn heartbeats(&self) -> u64 {
        self.shared.heartbeats.load(Ordering::SeqCst)
    }

    /// Wait until at least `n` recorded requests satisfy `pred`; bounded by `timeout`.
    pub async fn wait_for(
        &self,
        n: usize,
        timeout: Duration,
        pred: impl Fn(&Request) -> bool,
    ) -> Result<Vec<Request>, String> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            // Count under the lock and clone only when done: cloning every
            // request on every change made waiting quadratic, and the benchmark
            // then measured this fake as much as the bot.
            let matching = |all: &[Request]| all.iter().filter(|r| pred(r)).count();
            if matching(&self.shared.requests.lock().unwrap()) >= n {
                let all = self.shared.requests.lock().unwrap();
                return Ok(all.iter().filter(|r| pred(r)).cloned().collect());
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                let got: Vec<Request> = self.requests().into_iter().filter(|r| pred(r)).collect();
                return Err(format!(
                    "timed out after {timeout:?} waiting for {n} requests, got {}: {:#?}",
                    got.len(),
                    got.iter().map(|r| (&r.method, &r.path)).collect::<Vec<_>>()
                ));
            }
        }
    }

    /// Wait until the bot has sent `n` IDENTIFY payloads; returns them.
    pub async fn wait_identifies(&self, n: usize, timeout: Duration) -> Result<Vec<Value>, String> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let ids = self.identifies();
            if ids.len() >= n {
                return Ok(ids);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Err(format!("timed out waiting for {n} IDENTIFYs, got {ids:?}"));
            }
        }
    }

    /// Wait until the bot has identified and a gateway session is open.
    pub async fn wait_ready(&self, timeout: Duration) -> Result<(), String> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if !self.shared.sessions.lock().unwrap().is_empty() {
                return Ok(());
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Err("the bot never identified on the fake gateway".into());
            }
        }
    }

    /// Wait for requests to the interaction with `id` (callback and webhook calls by token).
    pub async fn wait_for_interaction(
        &self,
        interaction: &Value,
        n: usize,
        timeout: Duration,
    ) -> Result<Vec<Request>, String> {
        let id = interaction["id"].as_str().unwrap_or_default().to_string();
        let token = interaction["token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        self.wait_for(n, timeout, move |r| {
            r.interaction_id() == Some(id.as_str()) || r.token() == Some(token.as_str())
        })
        .await
    }

    /// Wait for the request carrying the answer to `interaction`: its initial response
    /// (`CHANNEL_MESSAGE_WITH_SOURCE`) or, after a deferral, the edit of `@original`.
    pub async fn wait_for_answer(
        &self,
        interaction: &Value,
        timeout: Duration,
    ) -> Result<Request, String> {
        let id = interaction["id"].as_str().unwrap_or_default().to_string();
        let token = interaction["token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let r = self
            .wait_for(1, timeout, move |r| {
                (r.is_callback()
                    && r.callback_type() == Some(4)
                    && r.interaction_id() == Some(id.as_str()))
                    || (r.is_edit_original() && r.token() == Some(token.as_str()))
            })
            .await?;
        Ok(r[0].clone())
    }

    /// Send `interaction` to the bot's Interactions Endpoint URL `url` as Discord does:
    /// a POST of the JSON body signed by `key` (Ed25519 over timestamp ‖ body, the
    /// signature in `X-Signature-Ed25519`, the timestamp in `X-Signature-Timestamp`).
    /// Its token's webhook is usable from then on, and a 200 answer is recorded as the
    /// interaction's callback (query `via=http`), so the waits above see it. Returns
    /// the status and the body.
    pub async fn post_interaction(
        &self,
        url: &str,
        key: &ed25519_dalek::SigningKey,
        interaction: &Value,
    ) -> (u16, String) {
        use ed25519_dalek::Signer;
        let id = interaction["id"].as_str().unwrap_or_default().to_string();
        let token = interaction["token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if !token.is_empty() {
            self.shared.tokens.lock().unwrap().insert(token.clone());
            self.shared.acknowledged.lock().unwrap().insert(id.clone());
        }
        let body = interaction.to_string();
        let ts = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            .to_string();
        let mut msg = ts.as_bytes().to_vec();
        msg.extend_from_slice(body.as_bytes());
        let sig = hex::encode(key.sign(&msg).to_bytes());
        let resp = reqwest::Client::new()
            .post(url)
            .header("content-type", "application/json")
            .header("x-signature-ed25519", sig)
            .header("x-signature-timestamp", ts)
            .body(body)
            .send()
            .await
            .expect("the endpoint answers");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        if status == 200 && !token.is_empty() {
            if let Ok(v) = serde_json::from_str::<Value>(&text) {
                self.shared.requests.lock().unwrap().push(Request {
                    method: "POST".into(),
                    path: format!("/api/v10/interactions/{id}/{token}/callback"),
                    query: Some("via=http".into()),
                    authorization: None,
                    body: v,
                    files: Vec::new(),
                    at: std::time::Instant::now(),
                });
                self.shared.bump();
            }
        }
        (status, text)
    }

    /// Send an `INTERACTION_CREATE` dispatch to the bot.
    pub fn dispatch(&self, interaction: &Value) {
        let sessions = self.shared.sessions.lock().unwrap();
        let tx = sessions.last().expect("no gateway session");
        tx.send(json!({"t": "INTERACTION_CREATE", "d": interaction}))
            .expect("gateway session closed");
    }

    fn snowflake(&self) -> String {
        // Discord snowflakes: timestamp bits + increment; any unique u64 works here.
        (1_200_000_000_000_000_000u64 + self.next_id.fetch_add(1, Ordering::SeqCst)).to_string()
    }

    fn base_interaction(&self, kind: u64, user_id: u64, roles: &[u64], permissions: u64) -> Value {
        let id = self.snowflake();
        json!({
            "id": id,
            "application_id": APP_ID.to_string(),
            "type": kind,
            "token": format!("itok-{id}"),
            "version": 1,
            "guild_id": GUILD_ID.to_string(),
            "channel_id": CHANNEL_ID.to_string(),
            "channel": {"id": CHANNEL_ID.to_string(), "type": 0, "guild_id": GUILD_ID.to_string(), "name": "general"},
            "member": {
                "user": user(user_id, &format!("user{user_id}"), false),
                "nick": null,
                "avatar": null,
                "roles": roles.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
                "joined_at": "2024-01-01T00:00:00.000000+00:00",
                "premium_since": null,
                "deaf": false,
                "mute": false,
                "flags": 0,
                "pending": false,
                "permissions": permissions.to_string(),
                "communication_disabled_until": null
            },
            "app_permissions": "2251799813685247",
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 26_214_400,
            "authorizing_integration_owners": {"0": GUILD_ID.to_string()},
            "context": 0
        })
    }

    /// A type 2 APPLICATION_COMMAND interaction. `options` are `(name, type, value)`.
    pub fn command(
        &self,
        name: &str,
        options: &[(&str, u64, Value)],
        user_id: u64,
        roles: &[u64],
        permissions: u64,
    ) -> Value {
        let mut v = self.base_interaction(2, user_id, roles, permissions);
        let opts: Vec<Value> = options
            .iter()
            .map(|(n, t, val)| json!({"name": n, "type": t, "value": val}))
            .collect();
        v["data"] = json!({
            "id": format!("{}", 1_100_000_000_000_000_000u64 + name.len() as u64),
            "name": name,
            "type": 1,
            "options": opts,
            "guild_id": GUILD_ID.to_string()
        });
        v
    }

    /// The same interaction as if it came from the server `guild` (a server the
    /// bot is in that is not [`GUILD_ID`]).
    pub fn in_guild(&self, mut i: Value, guild: u64) -> Value {
        let g = guild.to_string();
        i["guild_id"] = json!(g);
        i["channel"]["guild_id"] = json!(g);
        i["authorizing_integration_owners"] = json!({"0": g});
        if i.get("data").and_then(|d| d.get("guild_id")).is_some() {
            i["data"]["guild_id"] = json!(g);
        }
        i
    }

    /// The same interaction as if Discord had created it `age` ago (its id's snowflake
    /// timestamp moved back): its token has that much less of its 15 minutes left.
    pub fn created_ago(&self, mut i: Value, age: Duration) -> Value {
        const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let ms = now - age.as_millis() as u64 - DISCORD_EPOCH_MS;
        let id = (ms << 22) | (self.next_id.fetch_add(1, Ordering::SeqCst) & 0x3f_ffff);
        i["id"] = json!(id.to_string());
        i
    }

    /// A message some user posted in the test channel (`guild`: in [`GUILD_ID`], else a DM),
    /// mentioning the bot when `content` has `<@BOT_ID>`, as Discord's message object.
    pub fn user_message(&self, content: &str, user_id: u64, guild: bool) -> Value {
        let id = self.snowflake();
        let author = user(user_id, &format!("user{user_id}"), false);
        let mentions: Vec<Value> = if content.contains(&format!("<@{BOT_ID}>")) {
            vec![bot_user()]
        } else {
            Vec::new()
        };
        let mut m = json!({
            "id": id,
            "channel_id": CHANNEL_ID.to_string(),
            "author": author,
            "content": content,
            "timestamp": "2024-01-01T00:00:00.000000+00:00",
            "edited_timestamp": null,
            "tts": false,
            "mention_everyone": false,
            "mentions": mentions,
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "components": [],
            "pinned": false,
            "type": 0,
            "flags": 0
        });
        if guild {
            m["guild_id"] = json!(GUILD_ID.to_string());
            m["member"] = json!({
                "roles": [], "joined_at": "2024-01-01T00:00:00.000000+00:00",
                "deaf": false, "mute": false, "flags": 0, "pending": false
            });
        }
        m
    }

    /// Send a `MESSAGE_CREATE` dispatch (a message from [`Self::user_message`]).
    pub fn dispatch_message(&self, message: &Value) {
        let sessions = self.shared.sessions.lock().unwrap();
        let tx = sessions.last().expect("no gateway session");
        tx.send(json!({"t": "MESSAGE_CREATE", "d": message}))
            .expect("gateway session closed");
    }

    /// A type 2 interaction of a message (type 3) command on `message`.
    pub fn message_command(&self, name: &str, message: &Value, user_id: u64) -> Value {
        let mut v = self.base_interaction(2, user_id, &[], 0);
        let mid = message["id"].clone();
        let mut messages = serde_json::Map::new();
        messages.insert(
            mid.as_str().unwrap_or_default().to_string(),
            message.clone(),
        );
        v["data"] = json!({
            "id": "1100000000000000200",
            "name": name,
            "type": 3,
            "target_id": mid,
            "resolved": {"messages": messages},
            "guild_id": GUILD_ID.to_string()
        });
        v
    }

    /// A click by a member with `permissions` (e.g. MANAGE_MESSAGES = 1 << 13).
    pub fn click_with(
        &self,
        custom_id: &str,
        message: &Value,
        user_id: u64,
        permissions: u64,
    ) -> Value {
        let mut v = self.base_interaction(3, user_id, &[], permissions);
        v["data"] = json!({"custom_id": custom_id, "component_type": 2});
        v["message"] = message.clone();
        v
    }

    /// A type 4 APPLICATION_COMMAND_AUTOCOMPLETE interaction with `focused` typed so far.
    pub fn autocomplete(
        &self,
        name: &str,
        filled: &[(&str, &str)],
        focused: (&str, &str),
        user_id: u64,
    ) -> Value {
        let mut v = self.base_interaction(4, user_id, &[], 0);
        let mut opts: Vec<Value> = filled
            .iter()
            .map(|(n, val)| json!({"name": n, "type": 3, "value": val}))
            .collect();
        opts.push(json!({"name": focused.0, "type": 3, "value": focused.1, "focused": true}));
        v["data"] = json!({
            "id": "1100000000000000100",
            "name": name,
            "type": 1,
            "options": opts,
            "guild_id": GUILD_ID.to_string()
        });
        v
    }

    /// A type 3 MESSAGE_COMPONENT interaction: `user_id` clicks `custom_id` on `message`.
    pub fn click(&self, custom_id: &str, message: &Value, user_id: u64) -> Value {
        let mut v = self.base_interaction(3, user_id, &[], 0);
        v["data"] = json!({"custom_id": custom_id, "component_type": 2});
        v["message"] = message.clone();
        v
    }

    /// A type 5 MODAL_SUBMIT interaction: `user_id` submits the modal `custom_id` with
    /// `inputs` (text input custom id, value), each in its own type 1 action row holding
    /// a type 4 text input, as Discord sends them.
    pub fn modal_submit(&self, custom_id: &str, inputs: &[(&str, &str)], user_id: u64) -> Value {
        let mut v = self.base_interaction(5, user_id, &[], 0);
        let rows: Vec<Value> = inputs
            .iter()
            .map(|(id, value)| {
                json!({"type": 1, "components": [{"type": 4, "custom_id": id, "value": value}]})
            })
            .collect();
        v["data"] = json!({"custom_id": custom_id, "components": rows});
        v
    }

    /// A message object as Discord returns it, from a message body the bot sent.
    pub fn message_from(&self, body: &Value, interaction: Option<&Value>) -> Value {
        message_object(&self.shared, body, interaction)
    }
}

fn message_object(shared: &Shared, body: &Value, interaction: Option<&Value>) -> Value {
    let id = 1_300_000_000_000_000_000u64 + shared.message_ids.fetch_add(1, Ordering::SeqCst);
    let body = body.get("data").unwrap_or(body);
    let mut m = json!({
        "id": id.to_string(),
        "channel_id": CHANNEL_ID.to_string(),
        "author": bot_user(),
        "content": body.get("content").cloned().unwrap_or(json!("")),
        "timestamp": "2024-01-01T00:00:00.000000+00:00",
        "edited_timestamp": null,
        "tts": false,
        "mention_everyone": false,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": body.get("embeds").cloned().unwrap_or(json!([])),
        "components": body.get("components").cloned().unwrap_or(json!([])),
        "pinned": false,
        "type": 20,
        "flags": body.get("flags").cloned().unwrap_or(json!(0)),
        "webhook_id": APP_ID.to_string(),
        "application_id": APP_ID.to_string()
    });
    if let Some(i) = interaction {
        m["interaction_metadata"] = json!({
            "id": i["id"],
            "type": i["type"],
            "user": i["member"]["user"],
            "authorizing_integration_owners": i["authorizing_integration_owners"]
        });
    }
    m
}

async fn rest_handler(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    if method == Method::GET && path.starts_with("/attachments/") {
        // the CDN: no authorization, the file as uploaded
        let file = shared.attachments.lock().unwrap().get(&path).cloned();
        return match file {
            Some(bytes) => (StatusCode::OK, bytes).into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        };
    }
    let boundary = headers
        .get("content-type")
        .and_then(|h| h.to_str().ok())
        .filter(|c| c.starts_with("multipart/form-data"))
        .and_then(|c| c.split("boundary=").nth(1))
        .map(|b| b.trim_matches('"').to_string());
    let mut files = Vec::new();
    let body_json: Value = if let Some(boundary) = boundary {
        let mut payload = Value::Null;
        for part in multipart_parts(&body, &boundary) {
            if part.field == "payload_json" {
                payload = serde_json::from_slice(&part.bytes).unwrap_or(Value::Null);
            } else {
                files.push(part);
            }
        }
        payload
    } else if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body)
            .unwrap_or_else(|_| json!({"_raw": String::from_utf8_lossy(&body)}))
    };
    let req = Request {
        method: method.to_string(),
        path: path.clone(),
        query: uri.query().map(String::from),
        authorization: headers
            .get("authorization")
            .and_then(|h| h.to_str().ok())
            .map(String::from),
        body: body_json.clone(),
        files,
        at: std::time::Instant::now(),
    };
    let authorized = req
        .authorization
        .as_deref()
        .is_some_and(|a| a.starts_with("Bot "));
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let gw = shared.gateway_url.lock().unwrap().clone();
    let bucket = bucket_of(method.as_str(), &segs);
    let (remaining, reset_after) = {
        let mut b = shared.buckets.lock().unwrap();
        let now = std::time::Instant::now();
        let e = b.entry(bucket.clone()).or_insert((now, 0));
        if now.duration_since(e.0) >= RATE_WINDOW {
            *e = (now, 0);
        }
        e.1 += 1;
        (
            i64::from(RATE_LIMIT) - i64::from(e.1),
            RATE_WINDOW.saturating_sub(now.duration_since(e.0)),
        )
    };
    let mut response = if remaining < 0 {
        (
            StatusCode::TOO_MANY_REQUESTS,
            axum::Json(json!({"message": "You are being rate limited.", "retry_after": reset_after.as_secs_f64(), "global": false})),
        )
            .into_response()
    } else {
        match (method.as_str(), segs.as_slice()) {
        ("GET", ["api", "v10", "gateway"]) => (StatusCode::OK, axum::Json(json!({"url": gw}))).into_response(),
        ("GET", ["api", "v10", "gateway", "bot"]) if authorized => (
            StatusCode::OK,
            axum::Json(json!({
                "url": gw,
                "shards": 1,
                "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1}
            })),
        )
            .into_response(),
        ("GET", ["api", "v10", "users", "@me"]) if authorized => {
            (StatusCode::OK, axum::Json(bot_user())).into_response()
        }
        ("GET", ["api", "v10", "oauth2", "applications", "@me"]) if authorized => (
            StatusCode::OK,
            axum::Json(json!({
                "id": APP_ID.to_string(),
                "name": "rolefaq-test",
                "icon": null,
                "description": "",
                "bot_public": true,
                "bot_require_code_grant": false,
                "verify_key": "00",
                "flags": 0,
                "team": null,
                "owner": user(1, "owner", false),
                "bot": bot_user()
            })),
        )
            .into_response(),
        ("PUT", ["api", "v10", "applications", app, "commands"]) if authorized => {
            commands_response(&body_json, app, None)
        }
        ("PUT", ["api", "v10", "applications", app, "guilds", guild, "commands"]) if authorized => {
            commands_response(&body_json, app, Some(guild))
        }
        ("POST", ["api", "v10", "interactions", id, token, "callback"]) => {
            // Discord: one initial response per interaction (error 40060 otherwise).
            if !shared.acknowledged.lock().unwrap().insert(id.to_string()) {
                (
                    StatusCode::BAD_REQUEST,
                    axum::Json(json!({"message": "Interaction has already been acknowledged.", "code": 40060})),
                )
                    .into_response()
            } else if !matches!(body_json["type"].as_u64(), Some(1 | 4 | 5 | 6 | 7 | 8 | 9)) {
                (
                    StatusCode::BAD_REQUEST,
                    axum::Json(json!({"message": "Invalid Form Body", "code": 50035})),
                )
                    .into_response()
            } else {
                shared.tokens.lock().unwrap().insert(token.to_string());
                StatusCode::NO_CONTENT.into_response()
            }
        }
        ("PATCH" | "DELETE", ["api", "v10", "webhooks", app, token, "messages", _])
        | ("POST", ["api", "v10", "webhooks", app, token])
            if *app != APP_ID.to_string() || !shared.tokens.lock().unwrap().contains(*token) =>
        {
            // Webhook calls before the initial response (or for another app) fail on Discord.
            (
                StatusCode::NOT_FOUND,
                axum::Json(json!({"message": "Unknown Webhook", "code": 10015})),
            )
                .into_response()
        }
        ("PATCH", ["api", "v10", "webhooks", _app, _token, "messages", _msg]) => {
            (StatusCode::OK, axum::Json(message_object(&shared, &body_json, None))).into_response()
        }
        ("DELETE", ["api", "v10", "webhooks", _app, _token, "messages", _msg]) => {
            StatusCode::NO_CONTENT.into_response()
        }
        ("POST", ["api", "v10", "channels", channel, "messages"]) if authorized => {
            let mut m = message_object(&shared, &body_json, None);
            m["channel_id"] = json!(channel);
            m["type"] = json!(if body_json.get("message_reference").is_some() { 19 } else { 0 });
            m["webhook_id"] = Value::Null;
            (StatusCode::OK, axum::Json(m)).into_response()
        }
        ("DELETE", ["api", "v10", "channels", _channel, "messages", _msg]) if authorized => {
            StatusCode::NO_CONTENT.into_response()
        }
        ("POST", ["api", "v10", "channels", channel, "messages", msg, "threads"]) if authorized => {
            if body_json["name"].as_str().is_none_or(|n| n.is_empty() || n.chars().count() > 100) {
                (StatusCode::BAD_REQUEST, axum::Json(json!({"message": "Invalid Form Body", "code": 50035}))).into_response()
            } else {
                // Discord: the thread's id is the starter message's id.
                (StatusCode::CREATED, axum::Json(json!({
                    "id": msg, "type": 11, "guild_id": GUILD_ID.to_string(), "parent_id": channel,
                    "name": body_json["name"], "owner_id": BOT_ID.to_string(),
                    "message_count": 0, "member_count": 1, "rate_limit_per_user": 0,
                    "thread_metadata": {"archived": false, "auto_archive_duration": 1440,
                        "archive_timestamp": "2024-01-01T00:00:00.000000+00:00", "locked": false},
                    "total_message_sent": 0, "flags": 0
                }))).into_response()
            }
        }
        ("POST", ["api", "v10", "webhooks", _app, _token]) => {
            (StatusCode::OK, axum::Json(message_object(&shared, &body_json, None))).into_response()
        }
        (_, ["api", "v10", ..]) if !authorized && !path.contains("/interactions/") && !path.contains("/webhooks/") => {
            (StatusCode::UNAUTHORIZED, axum::Json(json!({"message": "401: Unauthorized", "code": 0}))).into_response()
        }
        _ => (StatusCode::NOT_FOUND, axum::Json(json!({"message": "Unknown route (fake)", "code": 0}))).into_response(),
    }
    };
    let h = response.headers_mut();
    let reset = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        + reset_after;
    for (k, v) in [
        ("x-ratelimit-limit", RATE_LIMIT.to_string()),
        ("x-ratelimit-remaining", remaining.max(0).to_string()),
        ("x-ratelimit-reset", format!("{:.3}", reset.as_secs_f64())),
        (
            "x-ratelimit-reset-after",
            format!("{:.3}", reset_after.as_secs_f64()),
        ),
        ("x-ratelimit-bucket", format!("{:016x}", fxhash(&bucket))),
    ] {
        if let Ok(v) = axum::http::HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    }
    if response.status().as_u16() >= 400 {
        shared
            .errors
            .lock()
            .unwrap()
            .push((response.status().as_u16(), req.clone()));
    }
    let is_edit = req.method == "PATCH" && path.contains("/webhooks/");
    let stall = req
        .token()
        .and_then(|t| shared.stalls.lock().unwrap().get(t).copied());
    shared.requests.lock().unwrap().push(req);
    shared.bump();
    if is_edit {
        let delay = *shared.edit_delay.lock().unwrap();
        tokio::time::sleep(delay).await;
    }
    if let Some(delay) = stall {
        tokio::time::sleep(delay).await;
    }
    response
}

/// Discord's bucket of a request: the route (method and path with ids replaced) and
/// its major parameter: a channel, a guild, or a webhook id with its token (every
/// interaction token is a bucket of its own). Interaction callbacks: per interaction.
fn bucket_of(method: &str, segs: &[&str]) -> String {
    let major = match segs {
        ["api", "v10", "channels", c, ..] => format!("channel:{c}"),
        ["api", "v10", "guilds", g, ..] => format!("guild:{g}"),
        ["api", "v10", "webhooks", id, token, ..] => format!("webhook:{id}:{token}"),
        ["api", "v10", "interactions", id, ..] => format!("interaction:{id}"),
        _ => "global".into(),
    };
    let route: Vec<&str> = segs
        .iter()
        .map(|s| {
            if s.chars().all(|c| c.is_ascii_digit()) || s.starts_with("itok-") {
                ":id"
            } else {
                s
            }
        })
        .collect();
    format!("{method} {} {major}", route.join("/"))
}

fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn commands_response(body: &Value, app: &str, guild: Option<&str>) -> Response {
    let Some(list) = body.as_array() else {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"message": "expected an array", "code": 50035})),
        )
            .into_response();
    };
    let out: Vec<Value> = list
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut c = c.clone();
            c["id"] = json!((1_100_000_000_000_000_000u64 + i as u64).to_string());
            c["application_id"] = json!(app);
            c["version"] = json!("1");
            if c.get("type").is_none() {
                c["type"] = json!(1);
            }
            // Discord returns an empty description for context-menu commands.
            if c.get("description").is_none_or(Value::is_null) {
                c["description"] = json!("");
            }
            if let Some(g) = guild {
                c["guild_id"] = json!(g);
            }
            c
        })
        .collect();
    (StatusCode::OK, axum::Json(Value::Array(out))).into_response()
}

async fn gateway_session(stream: tokio::net::TcpStream, shared: Arc<Shared>) -> Result<(), String> {
    let ws = tokio_tungstenite::accept_async(stream)
        .await
        .map_err(|e| e.to_string())?;
    let (mut sink, mut source) = ws.split();
    let send = |v: Value| WsMessage::Text(v.to_string());
    sink.send(send(
        json!({"op": 10, "d": {"heartbeat_interval": 41250}, "s": null, "t": null}),
    ))
    .await
    .map_err(|e| e.to_string())?;
    let (tx, mut rx) = mpsc::unbounded_channel::<Value>();
    let mut seq: u64 = 0;
    loop {
        tokio::select! {
            incoming = source.next() => {
                let Some(msg) = incoming else { return Ok(()) };
                let msg = msg.map_err(|e| e.to_string())?;
                let text = match msg {
                    WsMessage::Text(t) => t,
                    WsMessage::Close(_) => return Ok(()),
                    _ => continue,
                };
                let v: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
                match v["op"].as_u64() {
                    Some(1) => {
                        shared.heartbeats.fetch_add(1, Ordering::SeqCst);
                        sink.send(send(json!({"op": 11, "d": null, "s": null, "t": null}))).await.map_err(|e| e.to_string())?;
                    }
                    Some(2) => {
                        let shard = v["d"]["shard"].clone();
                        let shard = if shard.is_array() { shard } else { json!([0, 1]) };
                        shared.identifies.lock().unwrap().push(v["d"].clone());
                        shared.bump();
                        let intents = v["d"]["intents"].as_u64().unwrap_or(0);
                        if intents & PRIVILEGED_INTENTS != 0 {
                            // Discord: 4014 Disallowed intent(s) for unapproved privileged intents.
                            use tokio_tungstenite::tungstenite::protocol::{frame::coding::CloseCode, CloseFrame};
                            let frame = CloseFrame { code: CloseCode::Library(4014), reason: "Disallowed intent(s).".into() };
                            let _ = sink.send(WsMessage::Close(Some(frame))).await;
                            return Err(format!("privileged intents requested: {intents}"));
                        }
                        seq += 1;
                        let gw = shared.gateway_url.lock().unwrap().clone();
                        let ready = json!({
                            "op": 0, "s": seq, "t": "READY",
                            "d": {
                                "v": 10,
                                "user": bot_user(),
                                "guilds": [{"id": GUILD_ID.to_string(), "unavailable": true}],
                                "session_id": format!("fake-session-{seq}"),
                                "resume_gateway_url": gw,
                                "shard": shard,
                                "application": {"id": APP_ID.to_string(), "flags": 0},
                                "private_channels": [],
                                "relationships": [],
                                "presences": []
                            }
                        });
                        sink.send(send(ready)).await.map_err(|e| e.to_string())?;
                        shared.sessions.lock().unwrap().push(tx.clone());
                        shared.bump();
                    }
                    Some(6) => {
                        // RESUME is not supported by the fake: invalid session, not resumable.
                        sink.send(send(json!({"op": 9, "d": false, "s": null, "t": null}))).await.map_err(|e| e.to_string())?;
                    }
                    _ => {}
                }
            }
            out = rx.recv() => {
                let Some(ev) = out else { return Ok(()) };
                seq += 1;
                let frame = json!({"op": 0, "s": seq, "t": ev["t"], "d": ev["d"]});
                sink.send(send(frame)).await.map_err(|e| e.to_string())?;
            }
        }
    }
}
