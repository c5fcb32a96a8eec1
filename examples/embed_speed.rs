//! Time the question embedding: `cargo run --release --example embed_speed [MODEL_DIR]`
//! (`PRECISION=q8|f32` for one precision only, `QUESTION=…` for one text of yours).
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
    for p in [Precision::F32, Precision::Q8] {
        if only.as_deref().is_some_and(|o| o != p.to_string()) {
            continue;
        }
        let e = Embedder::load_with(std::path::Path::new(&dir), p)?;
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
