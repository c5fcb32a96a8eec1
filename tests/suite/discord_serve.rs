//! The `rolefaq serve` binary itself, pointed at a fake Discord by
//! `ROLEFAQ__DISCORD__API_BASE`: registers its commands and answers /ask.

use crate::support;

use serde_json::json;
use std::process::{Child, Stdio};
use support::fake_discord::FakeDiscord;
use support::harness::{serve_command, Killed, TOKEN, WAIT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_binary_registers_commands_and_answers_ask() {
    support::harness::set_test_mode();
    let fake = FakeDiscord::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let child = serve_command(&fake, tmp.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = Killed(child);
    if let Err(e) = fake.wait_ready(WAIT).await {
        let _ = child.0.kill();
        panic!("{e}; rolefaq said: {}", child.0.stderr_after_exit());
    }
    let puts = fake
        .wait_for(1, WAIT, |r| {
            r.method == "PUT" && r.path.ends_with("/commands")
        })
        .await
        .unwrap();
    let names: Vec<String> = puts[0]
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    for n in ["ask", "compare", "reindex", "sources", "help"] {
        assert!(names.contains(&n.to_string()), "{names:?}");
    }
    let i = fake.command(
        "ask",
        &[("question", 3, json!("who owns cybersecurity?"))],
        4242,
        &[],
        0,
    );
    fake.dispatch(&i);
    let answer = fake.wait_for_answer(&i, WAIT).await.expect("the answer");
    let embed = &answer.embeds()[0];
    assert_eq!(embed["title"], "who owns cybersecurity?");
    assert!(
        embed["description"].as_str().unwrap().contains("¶"),
        "cited: {embed}"
    );
    // still running, then stopped
    assert!(child.0.try_wait().unwrap().is_none());
    let _ = child.0.kill();
    let out = child.0.stderr_after_exit();
    assert!(!out.contains(TOKEN), "the token never reaches the logs");
}

trait StderrText {
    fn stderr_after_exit(&mut self) -> String;
}

impl StderrText for Child {
    fn stderr_after_exit(&mut self) -> String {
        use std::io::Read;
        let _ = self.wait();
        let mut s = String::new();
        if let Some(mut e) = self.stderr.take() {
            let _ = e.read_to_string(&mut s);
        }
        s
    }
}
