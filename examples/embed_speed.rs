//! Time the question embedding: `cargo run --release --example embed_speed [MODEL_DIR]`
//! (`PRECISION=q8|f32` for one precision only, `QUESTION=…` for one text of yours,
//! `BATCHES=1` for the batched questions only: ms per question when 1, 4, 16 and 32
//! different questions are embedded together, through the 8-bit and the f32 path).
use rolefaq::embed::{Embedder, Precision};
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| rolefaq::embed::DEFAULT_MODEL_DIR.to_string());
    // QUESTION=... times that text instead of the three examples.
    let asked = std::env::var("QUESTION").ok();
    let qs: Vec<&str> = match &asked {
        Some(q) => vec![q.as_str()],
        None => vec![
            "Who is the CTO?",
            "Who is responsible for data protection?",
            "Which role drives revenue growth and owns the product roadmap for customers?",
        ],
    };
    let exact = Embedder::load_with(std::path::Path::new(&dir), Precision::F32)?;
    let only = std::env::var("PRECISION").ok();
    let batches_only = std::env::var("BATCHES").is_ok_and(|b| b == "1");
    for p in [Precision::F32, Precision::Q8] {
        if only.as_deref().is_some_and(|o| o != p.to_string()) {
            continue;
        }
        let e = Embedder::load_with(std::path::Path::new(&dir), p)?;
        batches(&e, p)?;
        if batches_only {
            continue;
        }
        for &q in &qs {
            let n = e.tokenize(q)?.len();
            let mut times = Vec::new();
            for _ in 0..200 {
                let t = Instant::now();
                let _ = e.embed_query(q)?;
                times.push(t.elapsed().as_secs_f64() * 1e3);
            }
            times.sort_by(f64::total_cmp);
            let cos = rolefaq::embed::dot(&e.embed_query(q)?, &exact.embed_query(q)?);
            println!(
                "{p} {n:3} tokens  p50 {:.2} ms  p99 {:.2} ms  cos {cos:.5} “{q}”",
                times[100], times[197]
            );
        }
        let texts: Vec<String> = (0..64).map(|i| format!("The chief information officer number {i} owns the budget, the roadmap and the risk register of the company, and reports to the board every quarter about cybersecurity.")).collect();
        let refs: Vec<&str> = texts.iter().map(|s| s.as_str()).collect();
        let t = Instant::now();
        e.embed_batch(&refs)?;
        println!(
            "{p} batch of 64 passages: {:.0} passages/s",
            64.0 / t.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// Questions embedded together ([`Embedder::embed_queries`], what batching
/// runs): median ms per question over distinct questions of 8–16 word pieces.
fn batches(e: &Embedder, p: Precision) -> anyhow::Result<()> {
    // distinct questions of the kinds the bot is asked, 8–16 word pieces
    let topics = "cybersecurity, data protection, cloud migration, vendor contracts, \
        the product roadmap, hiring engineers, IT budgets, data governance, incident response, \
        enterprise architecture, software quality, customer analytics, compliance audits, \
        technical debt, disaster recovery, identity management";
    let topics: Vec<&str> = topics.split(", ").collect();
    let templates = "Who owns {}?|Which role is responsible for {}?|\
        Who should lead {} in a mid-sized company?|Who decides the budget for {}?";
    let templates: Vec<&str> = templates.split('|').collect();
    let questions: Vec<String> = templates
        .iter()
        .flat_map(|t| topics.iter().map(move |x| t.replace("{}", x)))
        .collect();
    let pieces: usize = questions
        .iter()
        .map(|q| e.tokenize(q).map_or(0, |t| t.len()))
        .sum();
    for n in [1usize, 4, 16, 32] {
        let (mut wall, mut cpu) = (Vec::new(), Vec::new());
        for round in 0..(64 / n).max(8) {
            let start = (round * n) % questions.len();
            let batch: Vec<&str> = (0..n)
                .map(|i| questions[(start + i) % questions.len()].as_str())
                .collect();
            let (t, c) = (Instant::now(), process_cpu_ms());
            e.embed_queries(&batch)?;
            wall.push(t.elapsed().as_secs_f64() * 1e3 / n as f64);
            cpu.push((process_cpu_ms() - c) / n as f64);
        }
        wall.sort_by(f64::total_cmp);
        cpu.sort_by(f64::total_cmp);
        println!(
            "{p} batch of {n:2} questions ({:.1} pieces each on average): {:.2} ms per question, \
             {:.2} ms of CPU (medians)",
            pieces as f64 / questions.len() as f64,
            wall[wall.len() / 2],
            cpu[cpu.len() / 2]
        );
    }
    Ok(())
}

/// CPU time of this process so far (every thread: the f32 path uses a pool),
/// in ms: less disturbed than wall time by other work on a shared machine.
fn process_cpu_ms() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec for the call to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 * 1e3 + t.tv_nsec as f64 / 1e6
}
