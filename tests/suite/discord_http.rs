//! The HTTP interactions endpoint (`rolefaq serve --http`), loopback only: the fake
//! Discord signs and posts interactions to it as Discord does; the bot answers in the
//! HTTP body (or defers there and edits in at the fake), and refuses what Discord
//! did not sign.

use crate::support;

use ed25519_dalek::{Signer, SigningKey};
use rolefaq::config::Settings;
use rolefaq::discord::http::Endpoint;
use rolefaq::discord::Core;
use rolefaq::service::Service;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use support::fake_discord::*;
use support::harness::*;
use tokio::sync::oneshot;

const ASKER: u64 = 400_000_000_000_000_333;
const QUESTION: &str = "Who is responsible for cybersecurity?";

/// A keypair made for the test (random seed).
fn keypair() -> SigningKey {
    let seed: [u8; 32] = std::array::from_fn(|_| fastrand::u8(..));
    SigningKey::from_bytes(&seed)
}

struct HttpBot {
    fake: FakeDiscord,
    url: String,
    key: SigningKey,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    _tmp: Option<tempfile::TempDir>,
    /// The real service when started with [`HttpBot::start`].
    service: Option<Arc<Service>>,
}

impl HttpBot {
    /// The endpoint over `core`, against `fake`, with `settings` (its listen address
    /// and public key set here).
    async fn start_with(
        fake: FakeDiscord,
        mut settings: Settings,
        core: Arc<dyn Core>,
        tmp: Option<tempfile::TempDir>,
    ) -> Self {
        let key = keypair();
        settings.discord.http_listen = "127.0.0.1:0".into();
        settings.discord.public_key = hex::encode(key.verifying_key().to_bytes());
        let endpoint = Endpoint::start(&settings, core)
            .await
            .expect("the endpoint starts");
        let url = format!("http://{}/interactions", endpoint.local_addr());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(endpoint.serve(async {
            let _ = rx.await;
        }));
        Self {
            fake,
            url,
            key,
            stop: Some(tx),
            task,
            _tmp: tmp,
            service: None,
        }
    }

    /// The real service over a copy of the corpus, the core `wrap` makes of it.
    async fn start(
        cfg: impl FnOnce(&mut Settings),
        wrap: impl FnOnce(Arc<Service>) -> Arc<dyn Core>,
    ) -> Self {
        let (fake, tmp, settings, service) = prepare(cfg).await;
        let mut bot = Self::start_with(fake, settings, wrap(service.clone()), Some(tmp)).await;
        bot.service = Some(service);
        bot
    }

    async fn post(&self, interaction: &Value) -> (u16, Value) {
        let (status, text) = self
            .fake
            .post_interaction(&self.url, &self.key, interaction)
            .await;
        let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, v)
    }

    /// POST raw bytes with the given headers.
    async fn raw(&self, url: &str, headers: &[(&str, String)], body: Vec<u8>) -> (u16, String) {
        let mut req = reqwest::Client::new().post(url).body(body);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let resp = req.send().await.expect("the endpoint answers");
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap_or_default())
    }

    async fn stop(mut self) {
        let errors = self.fake.errors();
        assert!(
            errors.is_empty(),
            "requests Discord would refuse: {errors:#?}"
        );
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        tokio::time::timeout(WAIT, &mut self.task)
            .await
            .expect("the endpoint stops")
            .expect("no panic")
            .expect("no error");
    }
}

/// `timestamp ‖ body` signed by `key`: (signature hex, timestamp).
fn sign(key: &SigningKey, at: u64, body: &[u8]) -> (String, String) {
    let ts = at.to_string();
    let mut m = ts.as_bytes().to_vec();
    m.extend_from_slice(body);
    (hex::encode(key.sign(&m).to_bytes()), ts)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn signed_headers(sig: String, ts: String) -> Vec<(&'static str, String)> {
    vec![
        ("content-type", "application/json".into()),
        ("x-signature-ed25519", sig),
        ("x-signature-timestamp", ts),
    ]
}

/// The message an interaction was answered with: the HTTP body's `data` when it was
/// a message (type 4), else the edit of `@original` that followed the deferral.
async fn answer_of(bot: &HttpBot, i: &Value, body: &Value) -> Value {
    match body["type"].as_u64() {
        Some(4) => body["data"].clone(),
        Some(5) => {
            let token = i["token"].as_str().unwrap().to_string();
            let edits = bot
                .fake
                .wait_for(1, WAIT, |r| {
                    r.is_edit_original() && r.token() == Some(token.as_str())
                })
                .await
                .unwrap();
            edits[0].body.clone()
        }
        other => panic!("not an answer ({other:?}): {body}"),
    }
}

/// No request of the bot's reached the interaction callback endpoint (in HTTP mode
/// the initial response is the HTTP body).
fn no_callbacks_from_the_bot(fake: &FakeDiscord) {
    let callbacks: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.is_callback() && r.query.as_deref() != Some("via=http"))
        .collect();
    assert!(callbacks.is_empty(), "{callbacks:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_ping_is_ponged_and_ask_is_answered_in_the_http_body() {
    let bot = HttpBot::start(|_| {}, |s| s).await;
    // Commands are registered at start, over REST, as over the gateway.
    bot.fake
        .wait_for(1, WAIT, |r| {
            r.method == "PUT" && r.path.ends_with("/commands")
        })
        .await
        .unwrap();
    let (status, body) = bot.post(&json!({"id": "1", "type": 1, "application_id": APP_ID.to_string(), "version": 1, "token": ""})).await;
    assert_eq!((status, body), (200, json!({"type": 1})));

    let i = bot
        .fake
        .command("ask", &[("question", 3, json!(QUESTION))], ASKER, &[], 0);
    let (status, body) = bot.post(&i).await;
    assert_eq!(status, 200, "{body}");
    let answer = answer_of(&bot, &i, &body).await;
    let embed = &answer["embeds"][0];
    assert_eq!(embed["title"], json!(QUESTION), "{answer}");
    let d = embed["description"].as_str().unwrap_or_default();
    assert!(
        d.contains("**1.**") && d.contains('—'),
        "cited passages: {d}"
    );
    assert_eq!(answer["flags"].as_u64().unwrap_or(0) & 64, 0, "public");
    no_callbacks_from_the_bot(&bot.fake);
    bot.stop().await;
}

/// Custom ids carry per-process keys: compared by their kind only.
fn masked(mut data: Value) -> Value {
    if let Some(rows) = data.get_mut("components").and_then(Value::as_array_mut) {
        for row in rows {
            if let Some(bs) = row.get_mut("components").and_then(Value::as_array_mut) {
                for b in bs {
                    let id = b["custom_id"].as_str().unwrap_or_default();
                    let kind: String = id.split(':').take(2).collect::<Vec<_>>().join(":");
                    b["custom_id"] = json!(kind);
                }
            }
        }
    }
    data
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_http_answer_is_the_json_the_gateway_sends() {
    // One service, one fake: the same question over the gateway and over HTTP.
    let h = Harness::start(|s| s.discord.fast_answer_ms = 2500).await;
    let i = h
        .fake
        .command("ask", &[("question", 3, json!(QUESTION))], ASKER, &[], 0);
    h.fake.dispatch(&i);
    let over_gateway = h.fake.wait_for_answer(&i, WAIT).await.unwrap();
    let settings = h.settings.clone();
    let core: Arc<dyn Core> = h.service();
    let fake = FakeDiscord::start().await;
    let mut s = settings;
    s.discord.api_base = fake.api_base();
    let bot = HttpBot::start_with(fake, s, core, None).await;
    let j = bot
        .fake
        .command("ask", &[("question", 3, json!(QUESTION))], ASKER, &[], 0);
    let (status, body) = bot.post(&j).await;
    assert_eq!(status, 200, "{body}");
    if over_gateway.callback_type() == Some(4) && body["type"] == 4 {
        // Both initial responses: the whole callback body, custom ids aside.
        let mut g = over_gateway.body.clone();
        g["data"] = masked(g["data"].clone());
        let mut b = body.clone();
        b["data"] = masked(b["data"].clone());
        assert_eq!(g, b);
    } else {
        // A loaded machine deferred one of them: the answers' embeds still match.
        let gw = if over_gateway.callback_type() == Some(4) {
            over_gateway.body["data"].clone()
        } else {
            over_gateway.body.clone()
        };
        let http = answer_of(&bot, &j, &body).await;
        assert_eq!(gw["embeds"], http["embeds"]);
    }
    no_callbacks_from_the_bot(&bot.fake);
    bot.stop().await;
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_answer_is_deferred_in_the_body_and_edited_in_at_the_fake() {
    let bot = HttpBot::start(
        |_| {},
        |inner| {
            // Searches and `/sources` slower than the HTTP deadline.
            Arc::new(SlowCore {
                inner,
                ask: Duration::from_secs(3),
                rebuild: Duration::ZERO,
                sources: Duration::from_millis(3500),
            })
        },
    )
    .await;
    // The handler defers (its fast window ends before the deadline), then edits the
    // answer in.
    let i = bot
        .fake
        .command("ask", &[("question", 3, json!(QUESTION))], ASKER, &[], 0);
    let (status, body) = bot.post(&i).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["type"], 5, "{body}");
    let answer = answer_of(&bot, &i, &body).await;
    assert_eq!(answer["embeds"][0]["title"], json!(QUESTION), "{answer}");

    // /sources sends nothing within the deadline: the endpoint defers (ephemerally)
    // and the list, when ready, is edited into that reply.
    let s = bot.fake.command("sources", &[], ASKER, &[], 0);
    let (status, body) = bot.post(&s).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["type"], 5, "{body}");
    assert_eq!(body["data"]["flags"], 64, "never public by default: {body}");
    let list = answer_of(&bot, &s, &body).await;
    let title = list["embeds"][0]["title"].as_str().unwrap_or_default();
    assert!(title.starts_with("Sources ("), "{list}");
    no_callbacks_from_the_bot(&bot.fake);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_forged_modified_stale_replayed_and_oversized_requests_are_refused() {
    let bot = HttpBot::start(|_| {}, |s| s).await;
    let i = bot
        .fake
        .command("ask", &[("question", 3, json!(QUESTION))], ASKER, &[], 0);
    let body = i.to_string().into_bytes();
    let json_only = vec![("content-type", "application/json".to_string())];

    // Unsigned.
    let (st, text) = bot.raw(&bot.url, &json_only, body.clone()).await;
    assert_eq!(st, 401, "{text}");
    assert!(text.contains("signature"), "{text}");
    // Signed by another key.
    let (sig, ts) = sign(&keypair(), now(), &body);
    assert_eq!(
        bot.raw(&bot.url, &signed_headers(sig, ts), body.clone())
            .await
            .0,
        401
    );
    // Signed, then the body changed.
    let (sig, ts) = sign(&bot.key, now(), &body);
    let mut changed = body.clone();
    let at = changed.len() - 2;
    changed[at] = b' ';
    assert_eq!(
        bot.raw(&bot.url, &signed_headers(sig, ts), changed).await.0,
        401
    );
    // Correctly signed but stale, or from the future.
    for at in [now() - 400, now() + 400] {
        let (sig, ts) = sign(&bot.key, at, &body);
        assert_eq!(
            bot.raw(&bot.url, &signed_headers(sig, ts), body.clone())
                .await
                .0,
            401
        );
    }
    // A malformed signature.
    let (_, ts) = sign(&bot.key, now(), &body);
    assert_eq!(
        bot.raw(&bot.url, &signed_headers("zz".into(), ts), body.clone())
            .await
            .0,
        401
    );
    // Over 64 KiB, even signed.
    let big = format!(r#"{{"type":2,"pad":"{}"}}"#, "x".repeat(70 * 1024)).into_bytes();
    let (sig, ts) = sign(&bot.key, now(), &big);
    let (st, text) = bot.raw(&bot.url, &signed_headers(sig, ts), big).await;
    assert_eq!(st, 413, "{text}");
    // Not JSON, another path, another method.
    let (sig, ts) = sign(&bot.key, now(), &body);
    let mut plain = signed_headers(sig, ts);
    plain[0].1 = "text/plain".into();
    assert_eq!(bot.raw(&bot.url, &plain, body.clone()).await.0, 415);
    let other = bot.url.replace("/interactions", "/other");
    assert_eq!(bot.raw(&other, &json_only, body.clone()).await.0, 404);
    let get = reqwest::get(&bot.url).await.unwrap().status().as_u16();
    assert_eq!(get, 405);
    // None of them reached a handler: nothing was sent for the interaction.
    let token = i["token"].as_str().unwrap().to_string();
    assert!(
        !bot.fake
            .requests()
            .iter()
            .any(|r| r.token() == Some(token.as_str())),
        "{:#?}",
        bot.fake.requests()
    );
    // And a signed one still is answered.
    let (status, body) = bot.post(&i).await;
    assert_eq!(status, 200, "{body}");
    // Once: the same signed request again is a replay.
    let again = i.to_string().into_bytes();
    let (sig, ts) = sign(&bot.key, now(), &again);
    let (st, text) = bot.raw(&bot.url, &signed_headers(sig, ts), again).await;
    assert_eq!(st, 409, "{text}");
    bot.stop().await;
}

#[test]
fn serve_http_without_a_public_key_is_refused_before_anything_starts() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rolefaq"))
        .current_dir(dir.path())
        .args(["--no-model", "serve", "--http", "127.0.0.1:0"])
        .env("ROLEFAQ_TEST_MODE", "1")
        .env("ROLEFAQ__DISCORD__API_BASE", "http://127.0.0.1:9")
        .env("DISCORD_TOKEN", TOKEN)
        .env_remove("ROLEFAQ__DISCORD__PUBLIC_KEY")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("discord.public_key"), "{err}");
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_rolefaq"))
        .current_dir(dir.path())
        .args(["--no-model", "serve", "--http", "not-an-address"])
        .env("ROLEFAQ_TEST_MODE", "1")
        .env("DISCORD_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("127.0.0.1:8080"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_serve_binary_with_http_answers_signed_interactions_without_a_gateway() {
    set_test_mode();
    let fake = FakeDiscord::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let key = keypair();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let child = serve_command(&fake, tmp.path())
        .args(["--http", &addr])
        .env(
            "ROLEFAQ__DISCORD__PUBLIC_KEY",
            hex::encode(key.verifying_key().to_bytes()),
        )
        .env("ROLEFAQ_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = Killed(child);
    fake.wait_for(1, WAIT, |r| {
        r.method == "PUT" && r.path.ends_with("/commands")
    })
    .await
    .expect("commands registered over REST");
    // Listening once the commands are registered: a signed PING is ponged.
    let url = format!("http://{addr}/interactions");
    let ping = json!({"id": "1", "type": 1, "application_id": APP_ID.to_string(), "version": 1, "token": ""});
    let deadline = tokio::time::Instant::now() + WAIT;
    let pong = loop {
        let body = ping.to_string().into_bytes();
        let (sig, ts) = sign(&key, now(), &body);
        let mut req = reqwest::Client::new().post(&url).body(body);
        for (k, v) in signed_headers(sig, ts) {
            req = req.header(k, v);
        }
        if let Ok(r) = req.send().await {
            break (r.status().as_u16(), r.text().await.unwrap_or_default());
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the endpoint never listened"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(pong.0, 200, "{}", pong.1);
    assert_eq!(
        serde_json::from_str::<Value>(&pong.1).unwrap(),
        json!({"type": 1})
    );
    let i = fake.command("ask", &[("question", 3, json!(QUESTION))], ASKER, &[], 0);
    let (status, text) = fake.post_interaction(&url, &key, &i).await;
    assert_eq!(status, 200, "{text}");
    let answer = fake.wait_for_answer(&i, WAIT).await.expect("the answer");
    assert_eq!(answer.embeds()[0]["title"], json!(QUESTION));
    assert!(
        fake.identifies().is_empty(),
        "no gateway connection in HTTP mode"
    );
    assert!(child.0.try_wait().unwrap().is_none(), "still running");
    let _ = child.0.kill();
    let _ = child.0.wait();
    let mut err = String::new();
    if let Some(mut e) = child.0.stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut err);
    }
    assert!(err.contains("@mentions and DMs are not answered"), "{err}");
    assert!(!err.contains(TOKEN), "the token never reaches the logs");
    let itok = i["token"].as_str().unwrap();
    assert!(!err.contains(itok), "nor an interaction token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gaps_over_http_defers_in_the_body_and_edits_its_chart_in() {
    let bot = HttpBot::start(|_| {}, |s| s).await;
    for q in ["who decides the cafeteria menu?", QUESTION] {
        let i = bot
            .fake
            .command("ask", &[("question", 3, json!(q))], ASKER, &[], 0);
        let (status, body) = bot.post(&i).await;
        assert_eq!(status, 200, "{body}");
        answer_of(&bot, &i, &body).await;
    }
    let service = bot.service.clone().unwrap();
    assert!(service.flush_records(Duration::from_secs(10)));
    // An HTTP body carries no file: the reply is deferred there (privately) and edited
    // in at the fake with the PNG as a multipart upload.
    let i = bot
        .fake
        .command("gaps", &[("days", 4, json!(7))], ASKER, &[ADMIN_ROLE_ID], 0);
    let (status, body) = bot.post(&i).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["type"], 5, "{body}");
    assert_eq!(body["data"]["flags"], 64, "{body}");
    let token = i["token"].as_str().unwrap().to_string();
    let edit = bot
        .fake
        .wait_for(1, WAIT, |r| {
            r.is_edit_original() && r.token() == Some(token.as_str())
        })
        .await
        .unwrap()
        .remove(0);
    assert_eq!(edit.files.len(), 1, "{:?}", edit.body);
    assert_eq!(edit.files[0].filename, "answer-rate.png");
    assert!(
        edit.files[0].bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "a PNG"
    );
    assert_eq!(
        edit.body["embeds"][0]["image"]["url"],
        json!("attachment://answer-rate.png")
    );
    no_callbacks_from_the_bot(&bot.fake);
    bot.stop().await;
}
