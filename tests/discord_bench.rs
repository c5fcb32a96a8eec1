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

/// Whether a request answers one of the interactions `ids` (a type-4 callback)
/// or edits in the answer of one of their `tokens`.
fn answers_to(
    ids: std::collections::HashSet<String>,
    tokens: std::collections::HashSet<String>,
) -> impl Fn(&support::fake_discord::Request) -> bool {
    move |r| {
        (r.callback_type() == Some(4) && r.interaction_id().is_some_and(|i| ids.contains(i)))
            || (r.is_edit_original() && r.token().is_some_and(|t| tokens.contains(t)))
    }
}

/// The callback of interaction `id` and the request that carried its answer:
/// the callback itself when it was the initial response (type 4), else the edit
/// of the original response (by `token`) after a deferral; `true` when deferred.
fn answer_of<'a>(
    reqs: &'a [support::fake_discord::Request],
    id: &str,
    token: &str,
) -> (
    &'a support::fake_discord::Request,
    &'a support::fake_discord::Request,
    bool,
) {
    let c = reqs
        .iter()
        .find(|r| r.is_callback() && r.interaction_id() == Some(id))
        .expect("callback");
    if c.callback_type() == Some(4) {
        return (c, c, false);
    }
    let e = reqs
        .iter()
        .find(|r| r.is_edit_original() && r.token() == Some(token))
        .expect("answer");
    (c, e, true)
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
                .wait_for(users, Duration::from_secs(120), answers_to(ids, tokens))
                .await
                .unwrap();
        }
        let elapsed = started.elapsed().as_secs_f64();
        let reqs = h.fake.requests();
        let mut cb = Vec::new();
        let mut answer = Vec::new();
        let mut deferred = 0usize;
        for (id, (token, at)) in &sent {
            let (c, e, was_deferred) = answer_of(&reqs, id, token);
            deferred += usize::from(was_deferred);
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

/// `n` distinct questions (templates × topics, shuffled with a fixed seed): each is a
/// new question to the service once its question-vector cache is forgotten.
fn new_questions(n: usize, seed: u64) -> Vec<String> {
    const TEMPLATES: [&str; 8] = [
        "Who owns {}?",
        "Which role is responsible for {}?",
        "Who should lead {} in a mid-sized company?",
        "Does the CIO or the CTO handle {}?",
        "What does the executive in charge of {} do?",
        "Who decides the budget for {}?",
        "Who reports on {} to the board?",
        "Which executive sets the strategy for {}?",
    ];
    const TOPICS: [&str; 30] = [
        "cybersecurity",
        "data protection",
        "cloud migration",
        "vendor contracts",
        "the product roadmap",
        "hiring engineers",
        "IT budgets",
        "digital transformation",
        "data governance",
        "incident response",
        "enterprise architecture",
        "software quality",
        "customer analytics",
        "machine learning platforms",
        "compliance audits",
        "network infrastructure",
        "developer productivity",
        "technical debt",
        "open source policy",
        "disaster recovery",
        "identity management",
        "privacy regulations",
        "supplier risk",
        "AI ethics",
        "mobile apps",
        "e-commerce platforms",
        "data warehouses",
        "help desk support",
        "innovation labs",
        "API strategy",
    ];
    let mut all: Vec<String> = TEMPLATES
        .iter()
        .flat_map(|t| TOPICS.iter().map(move |topic| t.replace("{}", topic)))
        .collect();
    fastrand::Rng::with_seed(seed).shuffle(&mut all);
    assert!(n <= all.len(), "at most {} distinct questions", all.len());
    all.truncate(n);
    all
}

/// Bursts of *new* questions with the embedding model on (the configured
/// `[model]` settings, the repository's model directory): `users` members each ask
/// a different question at the same moment, every question new to the service (its
/// question-vector cache is forgotten before each wave), and each member waits for
/// their answer before the next wave. Prints p50/p99 from dispatch to the answer
/// (the initial response, or the edit after a deferral), interactions/s over the
/// waves, and checks every interaction got the answer to its own question. Run with:
///
/// ```sh
/// ROLEFAQ_TEST_MODE=1 cargo test --release --test discord_bench -- --ignored --nocapture burst
/// ```
/// `BURST_WAVES` (default 5) sets the waves per burst size.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run explicitly with --ignored --nocapture"]
async fn burst_of_new_questions_at_1_50_100_members() {
    let model_dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/all-MiniLM-L6-v2");
    let h = Harness::start(|s| {
        s.discord.cooldown_secs = 0;
        s.model.enabled = true;
        s.model.dir = model_dir;
    })
    .await;
    let service = h.service();
    assert!(
        service.hybrid(),
        "the model must be loaded (scripts/fetch-model.sh)"
    );
    let waves: usize = std::env::var("BURST_WAVES")
        .ok()
        .and_then(|w| w.parse().ok())
        .unwrap_or(5);
    println!("| members at once | waves | interactions | answered | deferred | interactions/s | answer p50 ms | answer p90 ms | answer p99 ms | max ms |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut seed = 1u64;
    for users in [1usize, 50, 100] {
        // single questions: more waves, so the percentiles mean something
        let waves = if users == 1 { waves * 20 } else { waves };
        let mut answer = Vec::new();
        let mut deferred = 0usize;
        let mut busy = 0f64;
        for _ in 0..waves {
            seed += 1;
            let questions = new_questions(users, seed);
            service.forget_question_vectors();
            let wave: Vec<(Value, &String)> = questions
                .iter()
                .enumerate()
                .map(|(u, q)| {
                    let i = h.fake.command(
                        "ask",
                        &[("question", 3, json!(q))],
                        20_000 + u as u64,
                        &[],
                        0,
                    );
                    (i, q)
                })
                .collect();
            let mut asked: HashMap<String, (String, &String, Instant)> = HashMap::new();
            let started = Instant::now();
            for (i, q) in &wave {
                let id = i["id"].as_str().unwrap().to_string();
                let token = i["token"].as_str().unwrap().to_string();
                asked.insert(id, (token, q, Instant::now()));
                h.fake.dispatch(i);
            }
            let ids: std::collections::HashSet<String> = asked.keys().cloned().collect();
            let tokens: std::collections::HashSet<String> =
                asked.values().map(|(t, _, _)| t.clone()).collect();
            let done = h
                .fake
                .wait_for(users, Duration::from_secs(120), answers_to(ids, tokens))
                .await
                .unwrap();
            busy += started.elapsed().as_secs_f64();
            assert_eq!(done.len(), users, "one answer per interaction, none lost");
            let reqs = h.fake.requests();
            for (id, (token, question, at)) in &asked {
                let (_, a, was_deferred) = answer_of(&reqs, id, token);
                deferred += usize::from(was_deferred);
                // the answer is to this interaction's own question (its title is the query)
                let title = a.embeds()[0]["title"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                assert_eq!(&title, *question, "crossed answer");
                answer.push(a.at.duration_since(*at).as_secs_f64() * 1e3);
            }
        }
        answer.sort_by(f64::total_cmp);
        println!(
            "| {users} | {waves} | {} | {} | {deferred} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} |",
            waves * users,
            answer.len(),
            answer.len() as f64 / busy,
            percentile(&answer, 0.5),
            percentile(&answer, 0.9),
            percentile(&answer, 0.99),
            answer.last().copied().unwrap_or(0.0),
        );
    }
    h.stop().await;
}
