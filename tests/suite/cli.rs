//! The command line end to end: JSON contract, human output, bad input, eval.

use crate::common;

use assert_cmd::Command;
use common::Sandbox;
use serde_json::Value;

fn rolefaq(sb: &Sandbox) -> Command {
    let mut c = Command::cargo_bin("rolefaq").unwrap();
    c.current_dir(sb.dir.path())
        .env_remove("DISCORD_TOKEN")
        .env("ROLEFAQ__MODEL__ENABLED", "false")
        .args(["--corpus", "corpus", "--index", "index"]);
    c
}

/// Run a command that must succeed and print JSON.
fn json_of(cmd: &mut Command) -> Value {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn ask_json(sb: &Sandbox, q: &str) -> Value {
    json_of(rolefaq(sb).args(["ask", "--json", q]))
}

#[test]
fn ask_json_contract_and_flagship_question() {
    let sb = Sandbox::new();
    let v = ask_json(&sb, "who owns cybersecurity?");
    assert_eq!(v["query"], "who owns cybersecurity?");
    assert_eq!(v["no_answer"], false);
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    let raw = common::corpus_text(&sb.corpus());
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r["rank"], i + 1);
        assert!(r["score"].as_f64().unwrap() > 0.0);
        for k in ["doc", "title", "location", "text", "citation"] {
            assert!(!r[k].as_str().unwrap().is_empty(), "{k} empty");
        }
        assert!(r.get("section").is_some());
        assert!(r["citation"]
            .as_str()
            .unwrap()
            .contains(r["title"].as_str().unwrap()));
        assert!(
            raw.contains(r["text"].as_str().unwrap()),
            "text is verbatim"
        );
    }
    let security = results.iter().any(|r| {
        let t = r["text"].as_str().unwrap().to_lowercase();
        t.contains("cio") && (t.contains("cybersecurity") || t.contains("information security"))
            || t.contains("overseeing information security")
    });
    assert!(
        security,
        "a CIO security passage in the top 3: {results:#?}"
    );
}

#[test]
fn top_and_human_output() {
    let sb = Sandbox::new();
    let out = rolefaq(&sb)
        .args(["ask", "--top", "5", "who sets the technical roadmap?"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("The CTO"),
        "the role verdict comes first: {text}"
    );
    assert!(text.contains("\n1. "), "{text}");
    assert!(text.contains("\n5. "));
    assert!(text.contains("*roadmap*"), "query terms emphasised: {text}");
    assert!(text.contains("— "), "citations shown");
    let out = rolefaq(&sb)
        .args(["ask", "--top", "0", "x"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--top"));
}

#[test]
fn unanswerable_questions_say_so() {
    let sb = Sandbox::new();
    for q in [
        "What is on the cafeteria menu today?",
        "How much is the average CIO salary?",
    ] {
        let v = ask_json(&sb, q);
        assert_eq!(v["no_answer"], true, "{q}: {v:#}");
        assert!(v["results"].as_array().unwrap().is_empty());
        assert!(v["suggestion"].as_str().unwrap().contains("corpus covers"));
    }
}

#[test]
fn bad_input_gets_a_clear_message_or_an_empty_answer_never_a_panic() {
    let sb = Sandbox::new();
    let huge = "security ".repeat(100 * 1024 / 9);
    let inputs: Vec<String> = vec![
        "".into(),
        "   \t ".into(),
        huge,
        "title:x AND (".into(),
        "\"unclosed".into(),
        "cio^2 OR cto~ -security +[a TO z] {x} * ? : \\ / !".into(),
        "who\u{0001}owns\u{0007}security\u{001b}[31m".into(),
        "\u{200b}\u{200b}\u{feff}".into(),
        "מי אחראי על אבטחת מידע؟".into(),
        "🔥🔥 who owns 🔒 security? 🔥".into(),
        format!("who{}", "\u{0301}".repeat(5000)),
    ];
    for q in inputs {
        let out = rolefaq(&sb)
            .args(["ask", "--json", "--", &q])
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("panicked"),
            "panic for {:?}: {stderr}",
            q.chars().take(40).collect::<String>()
        );
        assert_ne!(out.status.code(), Some(101));
        if out.status.success() {
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert!(v["no_answer"].is_boolean());
            assert!(v["query"].as_str().unwrap().chars().count() <= 1000);
        } else {
            assert!(
                stderr.contains("error: ") && stderr.contains("question"),
                "clear message: {stderr}"
            );
        }
    }
}

#[test]
fn index_verbose_lists_dropped_lines_and_ask_warns_when_stale() {
    let sb = Sandbox::new();
    let out = rolefaq(&sb).args(["index", "--verbose"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Indexed 5 documents"));
    assert!(
        text.contains("[ellipsis-teaser]") && text.contains("[author-bio]"),
        "{text}"
    );
    sb.write(
        "extra.md",
        b"---\ntitle: Extra\n---\nThe CDO leads data strategy.\n",
    );
    let out = rolefaq(&sb)
        .args(["ask", "who leads data strategy?"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("rolefaq index"));
}

#[test]
fn eval_prints_metrics_and_the_dev_set_passes() {
    let sb = Sandbox::new();
    let dev = common::repo().join("tests/data/dev-questions.json");
    let v = json_of(rolefaq(&sb).args(["eval", "--json"]).arg(&dev));
    assert_eq!(v["questions"], 15);
    let hits_at_3 = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["rank"].as_u64().is_some_and(|k| k <= 3))
        .count();
    assert!(hits_at_3 >= 13, "answer in top 3 for {hits_at_3}/15: {v:#}");
    let text = rolefaq(&sb).arg("eval").arg(&dev).output().unwrap().stdout;
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("S@1:") && text.contains("S@3:") && text.contains("MRR@5:"));
}

#[test]
fn config_errors_are_clear() {
    let sb = Sandbox::new();
    std::fs::write(sb.dir.path().join("bad.toml"), "[search]\ntop = \"many\"\n").unwrap();
    let out = rolefaq(&sb)
        .args(["--config", "bad.toml", "ask", "x"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("configuration") && e.contains("top"), "{e}");
    let out = rolefaq(&sb)
        .args(["--config", "missing.toml", "sources"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.toml"));
}

#[test]
fn compare_json_contract_text_table_and_errors() {
    let sb = Sandbox::new();
    let v = json_of(rolefaq(&sb).args(["compare", "cio", "Chief Technology Officer", "--json"]));
    assert_eq!(v["roles"], serde_json::json!(["CIO", "CTO"]));
    let rows = v["rows"].as_array().unwrap();
    let both = rows
        .iter()
        .filter(|r| {
            r["cells"]["CIO"].as_array().is_some_and(|c| !c.is_empty())
                && r["cells"]["CTO"].as_array().is_some_and(|c| !c.is_empty())
        })
        .count();
    assert!(both >= 6, "{both} aspects with evidence for both");
    let raw = common::corpus_text(&sb.corpus());
    for r in rows {
        assert!(r.get("disagreement").is_some());
        for role in ["CIO", "CTO"] {
            for q in r["cells"][role].as_array().into_iter().flatten() {
                assert!(raw.contains(q["text"].as_str().unwrap()), "verbatim: {q}");
                assert!(!q["citation"].as_str().unwrap().is_empty());
                assert!(!q["doc"].as_str().unwrap().is_empty());
            }
        }
    }
    assert!(
        rows.iter().any(|r| !r["disagreement"].is_null()),
        "the reversal in one source shows"
    );

    let out = rolefaq(&sb)
        .args(["compare", "cio", "cto", "--aspect", "security"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("│") && text.to_lowercase().contains("secur"),
        "{text}"
    );

    let out = rolefaq(&sb)
        .args(["compare", "cio", "wizard"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("unknown role 'wizard'") && e.contains("CTO"),
        "{e}"
    );
    let out = rolefaq(&sb)
        .args(["compare", "cio", "cto", "--aspect", "cafeteria"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("aspect"));
}

#[test]
fn bench_reports_latency_slowest_questions_and_like_for_like_retrieval() {
    let sb = Sandbox::new();
    let queries = common::repo().join("tests/data/dev-questions.json");
    let v = json_of(
        rolefaq(&sb)
            .args(["bench", "--json", "--seconds", "0.2", "--samples", "30"])
            .arg("--queries")
            .arg(&queries),
    );
    assert_eq!(v["mode"], "lexical");
    assert_eq!(v["queries"]["count"], 15);
    let lat = &v["latency"];
    assert!(lat["samples"].as_u64().unwrap() >= 30);
    assert!(lat["p50_us"].as_f64().unwrap() <= lat["p99_us"].as_f64().unwrap());
    // the slowest questions are real questions of the set, slowest first
    let slowest = lat["slowest"].as_array().unwrap();
    assert!(!slowest.is_empty());
    let set = std::fs::read_to_string(&queries).unwrap();
    for pair in slowest {
        assert!(set.contains(pair[0].as_str().unwrap()), "{pair}");
    }
    let times: Vec<f64> = slowest.iter().map(|p| p[1].as_f64().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    // lexical: no new-question latency; plain BM25 retrieval measured for the peer comparison
    assert!(v["latency_new_question"].is_null());
    let retrieval = &v["retrieval"];
    assert!(retrieval["latency"]["samples"].as_u64().unwrap() >= 30);
    assert!(retrieval["throughput"][0]["qps"].as_f64().unwrap() > 0.0);
    // the configured index was never touched: bench works in a private directory
    assert!(!sb.index().exists());
}
