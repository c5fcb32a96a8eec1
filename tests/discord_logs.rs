//! Neither the bot token nor an interaction token ever reaches a log line, whatever
//! `ROLEFAQ_LOG` asks for: the real `rolefaq serve` binary runs against the fake Discord
//! once per directive spelling, answers an `/ask` and a "More results" click, and its
//! stderr is searched for every token in the encodings the wire-level crates print
//! (plain, hex as in tungstenite's frame dumps, and a decimal byte list as in `{:?}` of
//! the bytes).

mod support;

use serde_json::json;
use std::process::{Child, Stdio};
use support::fake_discord::FakeDiscord;
use support::harness::{serve_command, TOKEN, WAIT};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The encodings of `secret` searched for in the logs.
fn encodings(secret: &str) -> Vec<String> {
    let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
    let bytes: Vec<String> = secret.bytes().map(|b| b.to_string()).collect();
    vec![
        secret.to_string(),
        hex.clone(),
        hex.to_uppercase(),
        bytes.join(", "),
    ]
}

fn assert_absent(logs: &str, what: &str, secret: &str, directives: &str) {
    for needle in encodings(secret) {
        if let Some(pos) = logs.find(&needle) {
            let start = logs[..pos]
                .char_indices()
                .rev()
                .nth(200)
                .map_or(0, |(i, _)| i);
            panic!(
                "ROLEFAQ_LOG={directives}: {what} leaked into the logs: …{}…",
                &logs[start..(pos + needle.len()).min(logs.len())]
            );
        }
    }
}

/// Run the bot with `ROLEFAQ_LOG=directives`, drive it, return its stderr and the
/// interaction tokens it saw.
async fn run_bot(directives: &str) -> (String, Vec<String>) {
    std::env::set_var("ROLEFAQ_TEST_MODE", "1");
    let fake = FakeDiscord::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let log_path = tmp.path().join("stderr.log");
    let log_file = std::fs::File::create(&log_path).unwrap();
    let child = serve_command(&fake, tmp.path())
        .env("ROLEFAQ_LOG", directives)
        .env("ROLEFAQ__DISCORD__COOLDOWN_SECS", "0")
        .env("ROLEFAQ__DISCORD__PAGE_SIZE", "1")
        .stdout(Stdio::null())
        .stderr(log_file)
        .spawn()
        .unwrap();
    let mut child = Killed(child);
    let read_logs = || std::fs::read_to_string(&log_path).unwrap_or_default();
    if let Err(e) = fake.wait_ready(WAIT).await {
        let _ = child.0.kill();
        panic!("{e}; rolefaq said: {}", read_logs());
    }
    fake.wait_for(1, WAIT, |r| {
        r.method == "PUT" && r.path.ends_with("/commands")
    })
    .await
    .unwrap();
    let ask = fake.command(
        "ask",
        &[(
            "question",
            3,
            json!("Who is responsible for cybersecurity?"),
        )],
        7,
        &[],
        0,
    );
    fake.dispatch(&ask);
    let edit = fake.wait_for_answer(&ask, WAIT).await.expect("answered");
    let more = edit
        .custom_ids()
        .into_iter()
        .find(|c| c.starts_with("rf:more:"))
        .expect("More results");
    let click = fake.click(&more, &fake.message_from(&edit.body, Some(&ask)), 7);
    fake.dispatch(&click);
    fake.wait_for_interaction(&click, 2, WAIT).await.unwrap();
    // Let the last responses be logged, then stop the bot.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(child.0.try_wait().unwrap().is_none(), "still serving");
    drop(child);
    let tokens = [&ask, &click]
        .iter()
        .map(|i| i["token"].as_str().unwrap().to_string())
        .collect();
    (read_logs(), tokens)
}

/// No token in any encoding; `shows` must appear (the directive took effect).
async fn check(directives: &str, shows: &[&str]) {
    let (logs, interaction_tokens) = run_bot(directives).await;
    eprintln!(
        "ROLEFAQ_LOG={directives}: {} bytes, {} lines of logs, {} redactions",
        logs.len(),
        logs.lines().count(),
        logs.matches("[redacted]").count()
    );
    for s in shows {
        assert!(
            logs.contains(s),
            "ROLEFAQ_LOG={directives}: expected {s:?} in {} bytes of logs",
            logs.len()
        );
    }
    assert_absent(&logs, "the bot token", TOKEN, directives);
    let secret_part = TOKEN.split('.').nth(1).unwrap();
    assert_absent(
        &logs,
        "the bot token's secret part",
        secret_part,
        directives,
    );
    for t in &interaction_tokens {
        assert_absent(&logs, "an interaction token", t, directives);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_for_everything() {
    check("trace", &["Received a Hello", "registered guild commands"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_for_tungstenite() {
    check("tungstenite=trace", &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_for_tungstenite_protocol_child_target() {
    check("tungstenite::protocol=trace", &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_for_an_upper_case_target() {
    check("TUNGSTENITE=trace,Tungstenite::Protocol=trace", &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_in_every_span_is_refused_and_logs_at_warn() {
    // Not a valid directive: the bot says so and logs at warn.
    check("[{}]=trace", &["ROLEFAQ_LOG could not be parsed"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_inside_serenitys_request_spans() {
    // Span-based directives enable every target inside the span (hyper, reqwest…).
    check(
        "[request]=trace,[{interaction_id}]=trace,rolefaq=debug",
        &["registered guild commands"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_for_serenity_and_a_tungstenite_frame_target() {
    check(
        "serenity=trace,tungstenite::protocol::frame=trace,rolefaq=debug",
        &["Received a Hello"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_for_the_http_stack() {
    check(
        "reqwest=trace,hyper=trace,hyper_util=trace,h2=trace,rustls=trace,serenity::http=trace",
        &[],
    )
    .await;
}
