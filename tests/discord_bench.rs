//! End-to-end benchmark (not a timed test; it asserts only correctness):
//! interactions per second and interaction-to-callback / to-answer latency
//! through the real serenity client and the fake Discord, at 1, 10 and 100
//! concurrent users. Run with:
//!
//! ```sh
//! ROLEFAQ_TEST_MODE=1 cargo test --release --test discord_bench -- --ignored --nocapture
//! ```

mod support;

use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use support::harness::Harness;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run explicitly with --ignored --nocapture"]
async fn interactions_per_second_at_1_10_100_users() {
    let h = Harness::start(|s| s.discord.cooldown_secs = 0).await;
    let questions = [
        "who owns cybersecurity?",
        "What does a CTO do?",
        "Who sets the technical roadmap?",
        "Who does the CIO report to?",
    ];
    println!("| users | interactions | deferred | interactions/s | callback p50 ms | callback p99 ms | answer p50 ms | answer p99 ms |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut serial = 0u64;
    for users in [1usize, 10, 100] {
        let rounds = (300 / users).max(3);
        let mut sent: HashMap<String, (String, Instant)> = HashMap::new();
        let started = Instant::now();
        for _ in 0..rounds {
            let wave: Vec<Value> = (0..users)
                .map(|u| {
                    serial += 1;
                    h.fake.command(
                        "ask",
                        &[(
                            "question",
                            3,
                            json!(questions[serial as usize % questions.len()]),
                        )],
                        10_000 + u as u64,
                        &[],
                        0,
                    )
                })
                .collect();
            let mut tokens = std::collections::HashSet::new();
            let mut ids = std::collections::HashSet::new();
            for i in &wave {
                let id = i["id"].as_str().unwrap().to_string();
                let token = i["token"].as_str().unwrap().to_string();
                sent.insert(id.clone(), (token.clone(), Instant::now()));
                tokens.insert(token);
                ids.insert(id);
                h.fake.dispatch(i);
            }
            // each user waits for their answer (the initial response when it was
            // fast, else the edit after the deferral) before asking again
            h.fake
                .wait_for(users, Duration::from_secs(120), move |r| {
                    (r.callback_type() == Some(4)
                        && r.interaction_id().is_some_and(|i| ids.contains(i)))
                        || (r.is_edit_original() && r.token().is_some_and(|t| tokens.contains(t)))
                })
                .await
                .unwrap();
        }
        let elapsed = started.elapsed().as_secs_f64();
        let reqs = h.fake.requests();
        let mut cb = Vec::new();
        let mut answer = Vec::new();
        let mut deferred = 0usize;
        for (id, (token, at)) in &sent {
            let c = reqs
                .iter()
                .find(|r| r.is_callback() && r.interaction_id() == Some(id.as_str()))
                .expect("callback");
            let e = if c.callback_type() == Some(4) {
                c
            } else {
                deferred += 1;
                reqs.iter()
                    .find(|r| r.is_edit_original() && r.token() == Some(token.as_str()))
                    .expect("answer")
            };
            cb.push(c.at.duration_since(*at).as_secs_f64() * 1e3);
            answer.push(e.at.duration_since(*at).as_secs_f64() * 1e3);
        }
        assert_eq!(cb.len(), sent.len(), "every interaction answered");
        cb.sort_by(f64::total_cmp);
        answer.sort_by(f64::total_cmp);
        println!(
            "| {users} | {} | {deferred} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} |",
            sent.len(),
            sent.len() as f64 / elapsed,
            percentile(&cb, 0.5),
            percentile(&cb, 0.99),
            percentile(&answer, 0.5),
            percentile(&answer, 0.99),
        );
    }
    h.stop().await;
}
