//! Ranking internals for judged questions (debugging aid): per question the
//! understood concepts, then the top candidates with coverage and dense
//! similarity, `*` marking passages that contain a judged phrase.
//! `cargo run --release --example explain_rank -- QUESTIONS.json [INDEX_DIR] [ID...]`
//! (the index is built with the default settings when INDEX_DIR has none).
use rolefaq::config::Settings;
use std::sync::Arc;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let file = args
        .next()
        .unwrap_or_else(|| "tests/data/dev-questions.json".into());
    let index = args.next().unwrap_or_else(|| "/tmp/explain-index".into());
    let only: Vec<String> = args.collect();
    let mut settings = Settings::default();
    settings.index.dir = index.into();
    let embedder = rolefaq::embed::load_configured(&settings.model);
    let svc = rolefaq::service::Service::open_with(
        settings,
        embedder
            .clone()
            .map(|e| e as Arc<dyn rolefaq::index::Embedding>),
    )?;
    let engine = svc.engine();
    let qs: Vec<serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(file)?)?;
    for q in qs {
        let id = q["id"].as_str().unwrap_or("");
        if !only.is_empty() && !only.iter().any(|o| o == id) {
            continue;
        }
        let text = q["q"].as_str().unwrap_or("");
        let rel: Vec<&str> = q["rel"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        println!("\n===== {id} {text}");
        print!("{}", svc.explain(text));
        let u = svc.understand(&engine, text);
        let qv = embedder.as_ref().and_then(|e| e.embed_query(&u.text).ok());
        let ranked = svc.rank(&engine, &u, qv.as_deref())?;
        if ranked.is_empty() {
            println!("   NO ANSWER");
        }
        for (i, s) in ranked.iter().enumerate() {
            let p = &engine.gen.passages[s.ord];
            let gold = rel.iter().any(|r| p.text.contains(r));
            if i < 5 || gold {
                println!(
                    "   {}{i:>2} score={:.3} cov={:.2} dense={:.2} {} | {}",
                    if gold { "*" } else { " " },
                    s.score,
                    s.coverage,
                    s.dense,
                    p.doc_id,
                    p.text
                        .chars()
                        .take(110)
                        .collect::<String>()
                        .replace('\n', " ")
                );
            }
            if i > 30 {
                break;
            }
        }
        if let Some(v) = &qv {
            if let Some(e) = &engine.gen.embeddings {
                let best = (0..e.len()).map(|i| e.dot(i, v)).fold(f32::MIN, f32::max);
                let gold = (0..e.len())
                    .filter(|&i| rel.iter().any(|r| engine.gen.passages[i].text.contains(r)))
                    .map(|i| e.dot(i, v))
                    .fold(f32::MIN, f32::max);
                println!(
                    "   MAXDENSE {id} answerable={} best={best:.2} gold={gold:.2} ranked={}",
                    !rel.is_empty(),
                    !ranked.is_empty()
                );
                for (ord, p) in engine.gen.passages.iter().enumerate() {
                    if rel.iter().any(|r| p.text.contains(r))
                        && !ranked.iter().take(32).any(|s| s.ord == ord)
                    {
                        println!(
                            "   * not ranked: dense={:.2} | {}",
                            e.dot(ord, v),
                            p.text.chars().take(110).collect::<String>()
                        );
                    }
                }
            }
        }
    }
    Ok(())
}
