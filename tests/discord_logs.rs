//! The bot token never reaches a log line, even with `trace` for every crate
//! (serenity, reqwest, hyper included) once the filter is passed through
//! `cap_secret_leaking_logs` (tungstenite's frame dumps are capped at debug).
//! Own test binary: it installs the global tracing subscriber.

mod support;

use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};
use support::harness::*;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_never_appears_in_logs() {
    let capture = Capture::default();
    tracing_subscriber::fmt()
        .with_env_filter(rolefaq::discord::cap_secret_leaking_logs(
            tracing_subscriber::EnvFilter::new("trace,tungstenite=trace"),
        ))
        .with_writer(capture.clone())
        .with_ansi(false)
        .init();

    let h = Harness::start(|_| {}).await;
    tracing::info!(settings = ?h.settings, "settings as Debug");
    let i = h.fake.command(
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
    h.fake.dispatch(&i);
    h.fake.wait_for_interaction(&i, 2, WAIT).await.unwrap();
    h.stop().await;

    let logs = String::from_utf8_lossy(&capture.0.lock().unwrap()).to_string();
    assert!(
        logs.len() > 1000,
        "expected trace output, got {} bytes",
        logs.len()
    );
    assert!(logs.contains("Received a Hello"), "serenity gateway traced");
    assert!(
        logs.contains("registered guild commands"),
        "our handler traced"
    );
    let secret_part = TOKEN.split('.').nth(1).unwrap();
    let hex: String = TOKEN.bytes().map(|b| format!("{b:02x}")).collect();
    for needle in [TOKEN, secret_part, hex.as_str()] {
        if let Some(pos) = logs.find(needle) {
            let start = logs[..pos]
                .char_indices()
                .rev()
                .nth(200)
                .map_or(0, |(i, _)| i);
            panic!(
                "token leaked into logs: …{}…",
                &logs[start..(pos + needle.len()).min(logs.len())]
            );
        }
    }
    assert!(
        logs.contains("Secret(***)"),
        "settings Debug hides the token"
    );
}
