//! Unit tests of the benchmark's parts.

use super::*;

#[test]
fn percentile_nearest_rank() {
    let v: Vec<f64> = (1..=100).map(f64::from).collect();
    assert_eq!(percentile(&v, 50.0), 50.0);
    assert_eq!(percentile(&v, 99.0), 99.0);
    assert_eq!(percentile(&v, 100.0), 100.0);
    assert_eq!(percentile(&v, 0.0), 1.0);
    assert_eq!(percentile(&[3.0], 99.0), 3.0);
    assert_eq!(percentile(&[], 50.0), 0.0);
    let small = [1.0, 2.0, 3.0, 4.0];
    assert_eq!(percentile(&small, 50.0), 2.0);
    assert_eq!(percentile(&small, 99.0), 4.0);
}

#[test]
fn latency_summary() {
    let d: Vec<Duration> = [3u64, 1, 2, 4]
        .iter()
        .map(|&m| Duration::from_millis(m))
        .collect();
    let l = latency_of(&d);
    assert_eq!(l.samples, 4);
    assert!((l.mean_us - 2500.0).abs() < 1e-6);
    assert!((l.p50_us - 2000.0).abs() < 1e-6);
    assert!((l.max_us - 4000.0).abs() < 1e-6);
}

fn passage(text: &str) -> Passage {
    Passage {
        id: "d#1".into(),
        doc_id: "d".into(),
        doc_title: "D".into(),
        section: None,
        paragraph: 1,
        part: 1,
        kind: crate::model::PassageKind::Paragraph,
        text: text.into(),
        context: None,
        table: None,
        url: None,
        page: None,
    }
}

#[test]
fn generated_queries_are_deterministic_content_words() {
    let ps = vec![
        passage("The quick brown foxes jump over lazy sleeping dogs in 2024."),
        passage("Compression library for archives with streaming support."),
    ];
    let a = generate_queries(&ps, 20, 1);
    assert_eq!(a, generate_queries(&ps, 20, 1));
    assert_eq!(a.len(), 20);
    for q in &a {
        let words: Vec<&str> = q.split(' ').collect();
        assert!((2..=4).contains(&words.len()), "{q}");
        assert!(words.iter().all(|w| w.len() >= 4 && !is_stop(w)), "{q}");
    }
    assert!(generate_queries(&[passage("a b")], 5, 1).is_empty());
}

#[test]
fn queries_from_json_and_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = dir.path().join("q.json");
    std::fs::write(&j, r#"[{"id":"1","q":"who owns x?"},"plain"]"#).expect("write");
    assert_eq!(load_queries(&j).expect("json"), ["who owns x?", "plain"]);
    let t = dir.path().join("q.txt");
    std::fs::write(&t, "# c\nfirst\n\n second \n").expect("write");
    assert_eq!(load_queries(&t).expect("lines"), ["first", "second"]);
    std::fs::write(&j, "[1]").expect("write");
    assert!(load_queries(&j).is_err());
}
