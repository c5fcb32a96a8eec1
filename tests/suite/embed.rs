//! Sentence embeddings against reference vectors of all-MiniLM-L6-v2.
//!
//! Needs the real model: run `scripts/fetch-model.sh` first (CI does). The
//! tests fail, not skip, when it is missing. `ROLEFAQ_MODEL_DIR` overrides the
//! default `models/all-MiniLM-L6-v2`.
//!
//! The reference (tests/data/minilm_reference.json) comes from
//! scripts/make-embedding-reference.py, a float64 numpy re-implementation of
//! sentence-transformers' pipeline for this model.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use rolefaq::embed::{cosine, dot, Embedder, Precision, DEFAULT_MODEL_DIR, MAX_SEQ_LEN};
use serde::Deserialize;

#[derive(Deserialize)]
struct Reference {
    max_seq_length: usize,
    items: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    text: String,
    input_ids: Vec<u32>,
    embedding: Vec<f32>,
}

fn model_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_MODEL_DIR)
}

fn embedder() -> Arc<Embedder> {
    static MODEL: OnceLock<Arc<Embedder>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let dir = model_dir();
            let started = Instant::now();
            let model = Embedder::load(&dir).unwrap_or_else(|e| {
                panic!(
                    "cannot load the embedding model from {}: {e}\n\
                     Run `scripts/fetch-model.sh {}` before these tests.",
                    dir.display(),
                    dir.display()
                )
            });
            eprintln!("model load: {:?}", started.elapsed());
            Arc::new(model)
        })
        .clone()
}

fn reference() -> Reference {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/minilm_reference.json");
    let text = std::fs::read_to_string(&path).expect("tests/data/minilm_reference.json");
    serde_json::from_str(&text).expect("valid reference json")
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn tokenization_matches_reference() {
    let e = embedder();
    let r = reference();
    assert_eq!(r.max_seq_length, MAX_SEQ_LEN);
    for item in &r.items {
        let ids = e.tokenize(&item.text).expect("tokenize");
        assert_eq!(ids, item.input_ids, "tokens of {:?}", item.text);
    }
    assert!(
        r.items.iter().any(|i| i.input_ids.len() == MAX_SEQ_LEN),
        "reference must exercise truncation"
    );
}

#[test]
fn vectors_match_reference() {
    let e = embedder();
    let r = reference();
    let texts: Vec<&str> = r.items.iter().map(|i| i.text.as_str()).collect();
    let started = Instant::now();
    // One padded batch: also checks that padding does not leak into the result.
    let got = e.embed_batch(&texts).expect("embed");
    eprintln!(
        "embedded {} reference texts in {:?}",
        texts.len(),
        started.elapsed()
    );
    assert_eq!(got.len(), r.items.len());
    let mut worst = 0f32;
    for (item, v) in r.items.iter().zip(&got) {
        assert_eq!(v.len(), item.embedding.len());
        let cos = cosine(v, &item.embedding);
        let diff = max_abs_diff(v, &item.embedding);
        worst = worst.max(diff);
        assert!(cos >= 0.9999, "cosine {cos} for {:?}", item.text);
        assert!(diff <= 1e-4, "max abs diff {diff} for {:?}", item.text);
    }
    eprintln!("worst max abs diff vs reference: {worst:e}");
}

#[test]
fn semantic_sanity() {
    let e = embedder();
    let q = e.embed_query("who owns cybersecurity").expect("embed");
    let cio = e
        .embed_query("The CIO oversees information security")
        .expect("embed");
    let cto = e
        .embed_query("The CTO leads product development")
        .expect("embed");
    let (s_cio, s_cto) = (dot(&q, &cio), dot(&q, &cto));
    assert!(
        s_cio > s_cto,
        "security question: CIO {s_cio} vs CTO {s_cto}"
    );

    let q = e
        .embed_query("who is responsible for building the product")
        .expect("embed");
    assert!(dot(&q, &cto) > dot(&q, &cio));
}

#[test]
fn properties() {
    let e = embedder();
    assert_eq!(e.dim(), 384);
    assert!(e.embed_batch(&[]).expect("empty batch").is_empty());

    let texts = [
        "Chief Information Security Officer",
        "",
        "The CDO sets the data strategy and chairs the data governance board.",
        "VP Engineering",
    ];
    let batch = e.embed_batch(&texts).expect("embed");
    for (t, v) in texts.iter().zip(&batch) {
        assert_eq!(v.len(), 384);
        let norm = dot(v, v).sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "norm {norm} for {t:?}");
        let single = e.embed_query(t).expect("embed");
        let diff = max_abs_diff(v, &single);
        assert!(diff <= 1e-5, "batch vs single differ by {diff} for {t:?}");
        assert_eq!(single, e.embed_query(t).expect("embed"), "deterministic");
    }
}

#[test]
fn long_text_is_truncated_not_rejected() {
    let e = embedder();
    let long = "the head of platform engineering owns the developer platform ".repeat(200);
    assert_eq!(e.tokenize(&long).expect("tokenize").len(), MAX_SEQ_LEN);
    let v = e.embed_query(&long).expect("embed");
    assert_eq!(v.len(), 384);
}

#[test]
fn shared_across_threads() {
    let e = embedder();
    let handles: Vec<_> = ["CIO", "CTO"]
        .into_iter()
        .map(|t| {
            let e = Arc::clone(&e);
            std::thread::spawn(move || e.embed_query(t).expect("embed"))
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().expect("thread").len(), 384);
    }
}

#[test]
fn q8_question_vectors_stay_close_to_the_reference_and_rank_alike() {
    let dir = model_dir();
    let q8 = Embedder::load_with(&dir, Precision::Q8).expect("load q8");
    let exact = embedder();
    let r = reference();
    let mut cosines = Vec::new();
    for item in r.items.iter().take(12) {
        let v = q8.embed_query(&item.text).expect("embed");
        assert!((dot(&v, &v).sqrt() - 1.0).abs() < 1e-4, "unit norm");
        let cos = cosine(&v, &item.embedding);
        // the worst case is the empty text ([CLS] [SEP] alone)
        assert!(cos >= 0.995, "q8 cosine {cos} for {:?}", item.text);
        cosines.push(cos);
        // passages are embedded exactly whatever the question precision
        let passage = q8.embed_batch(&[item.text.as_str()]).expect("embed");
        assert!(max_abs_diff(&passage[0], &item.embedding) <= 1e-4);
    }
    cosines.sort_by(f32::total_cmp);
    let median = cosines[cosines.len() / 2];
    eprintln!(
        "q8 cosines to the reference: min {} median {median}",
        cosines[0]
    );
    assert!(median >= 0.999, "median q8 cosine {median}");
    // a medium question (~40 pieces, odd Unicode included) still takes the 8-bit path ...
    let line = "The chief technology officer owns the roadmap, and ünïcødé 🚀 sometimes. ";
    let medium = line.repeat(2);
    let (a, b) = (
        q8.embed_query(&medium).expect("embed"),
        exact.embed_query(&medium).expect("embed"),
    );
    let cos = cosine(&a, &b);
    assert!(cos >= 0.995, "q8 cosine {cos} for a medium question");
    assert!(max_abs_diff(&a, &b) > 1e-6, "8-bit path not taken");
    // ... and a long one (truncated at the model's limit) the exact one
    let long = line.repeat(40);
    let (a, b) = (
        q8.embed_query(&long).expect("embed"),
        exact.embed_query(&long).expect("embed"),
    );
    assert!(
        max_abs_diff(&a, &b) <= 1e-6,
        "long questions are embedded exactly"
    );
    // the q8 question ranks passages as the exact one does
    let passages = [
        "The CIO oversees information security",
        "The CTO leads product development",
        "The CFO reports quarterly results",
    ];
    let pv = exact.embed_batch(&passages).expect("embed");
    for q in [
        "who owns cybersecurity",
        "who builds the product",
        "who does finance",
    ] {
        let order = |v: &[f32]| {
            let mut o: Vec<usize> = (0..pv.len()).collect();
            o.sort_by(|&a, &b| dot(v, &pv[b]).total_cmp(&dot(v, &pv[a])));
            o
        };
        let a = order(&exact.embed_query(q).expect("embed"));
        let b = order(&q8.embed_query(q).expect("embed"));
        assert_eq!(a, b, "ranking for {q:?}");
    }
}

/// The reference texts and a few questions of the kinds the bot is asked.
fn question_texts() -> Vec<String> {
    let mut texts: Vec<String> = reference().items.into_iter().map(|i| i.text).collect();
    texts.extend(
        [
            "Who owns cybersecurity?",
            "Does the CIO or the CTO handle vendor contracts?",
            "Which executive sets the strategy for machine learning platforms in a mid-sized company?",
            "",
            "The chief technology officer owns the roadmap, and ünïcødé 🚀 sometimes. ",
        ]
        .map(String::from),
    );
    texts
}

#[test]
fn batched_questions_get_the_vectors_they_get_alone() {
    let dir = model_dir();
    let q8 = Embedder::load_with(&dir, Precision::Q8).expect("load q8");
    let texts = question_texts();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let alone: Vec<Vec<f32>> = refs
        .iter()
        .map(|t| q8.embed_query(t).expect("embed"))
        .collect();
    // 8-bit: packed, every row rounded on its own scale, so exactly the same vectors
    let together = q8.embed_queries(&refs).expect("embed together");
    assert_eq!(together.len(), refs.len());
    for ((t, a), b) in refs.iter().zip(&alone).zip(&together) {
        assert_eq!(a, b, "8-bit batched vector differs for {t:?}");
    }
    // and they stay as close to the float64 reference as single 8-bit questions do
    for (item, v) in reference().items.iter().zip(&together) {
        let cos = cosine(v, &item.embedding);
        assert!(cos >= 0.995, "batched q8 cosine {cos} for {:?}", item.text);
    }
    // f32: padded through candle, equal to float rounding
    let exact = embedder();
    let alone: Vec<Vec<f32>> = refs
        .iter()
        .map(|t| exact.embed_query(t).expect("embed"))
        .collect();
    let together = exact.embed_queries(&refs).expect("embed together");
    for ((t, a), b) in refs.iter().zip(&alone).zip(&together) {
        assert!(
            max_abs_diff(a, b) <= 1e-4,
            "f32 batched vector differs for {t:?}"
        );
    }
    // a question too long for the 8-bit path inside a batch is embedded exactly, as alone
    let long = "The chief information officer owns the budget. ".repeat(20);
    let mixed = q8
        .embed_queries(&["Who owns cybersecurity?", &long])
        .expect("embed");
    assert_eq!(mixed[0], q8.embed_query("Who owns cybersecurity?").unwrap());
    assert!(max_abs_diff(&mixed[1], &exact.embed_query(&long).unwrap()) <= 1e-6);
}

#[test]
fn concurrent_callers_each_get_their_own_questions_vector() {
    use rolefaq::embed::BatchOptions;
    let dir = model_dir();
    let plain = Embedder::load_with(&dir, Precision::Q8).expect("load q8");
    let texts = question_texts();
    let want: Vec<Vec<f32>> = texts
        .iter()
        .map(|t| plain.embed_query(t).expect("embed"))
        .collect();
    // one lane, so callers queue behind each other and are batched
    let batched = Arc::new(
        Embedder::load_with(&dir, Precision::Q8)
            .expect("load q8")
            .with_batching(BatchOptions {
                window: std::time::Duration::from_millis(5),
                max: 8,
                lanes: 1,
            }),
    );
    assert!(batched.batching().is_some());
    let texts = Arc::new(texts);
    let want = Arc::new(want);
    let threads = 24;
    let start = Arc::new(std::sync::Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (e, texts, want, start) = (
                Arc::clone(&batched),
                Arc::clone(&texts),
                Arc::clone(&want),
                Arc::clone(&start),
            );
            std::thread::spawn(move || {
                start.wait();
                for round in 0..4 {
                    let i = (t * 7 + round * 5) % texts.len();
                    let v = e.embed_query(&texts[i]).expect("embed");
                    assert_eq!(v, want[i], "thread {t} got another question's vector");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("a caller failed");
    }
}

#[test]
fn no_window_or_a_batch_of_one_embeds_each_question_on_its_own() {
    use rolefaq::embed::BatchOptions;
    let dir = model_dir();
    for (window, max) in [(0, 16), (2, 1)] {
        let e = Embedder::load_with(&dir, Precision::Q8)
            .expect("load q8")
            .with_batching(BatchOptions {
                window: std::time::Duration::from_millis(window),
                max,
                lanes: 2,
            });
        assert_eq!(e.batching(), None, "window {window} ms, max {max}");
    }
    // the configured model follows [model]: batching on by default, off with a 0 window
    let mut settings = rolefaq::config::ModelSettings {
        dir: dir.clone(),
        ..Default::default()
    };
    let on = rolefaq::embed::load_configured(&settings).expect("model");
    assert_eq!(on.batching().map(|b| b.max), Some(settings.batch_max));
    settings.batch_window_ms = 0;
    let off = rolefaq::embed::load_configured(&settings).expect("model");
    assert_eq!(off.batching(), None);
    let plain = Embedder::load_with(&dir, Precision::Q8).expect("load q8");
    for t in question_texts() {
        assert_eq!(off.embed_query(&t).unwrap(), plain.embed_query(&t).unwrap());
        assert_eq!(on.embed_query(&t).unwrap(), plain.embed_query(&t).unwrap());
    }
}
