//! The command line end to end: JSON contract, human output, bad input, eval.

use crate::common;

use assert_cmd::Command;
use common::Sandbox;
use serde_json::Value;

fn rolefaq(sb: &Sandbox) -> Command {
    common::rolefaq(sb)
}

fn json_of(cmd: &mut Command) -> Value {
    common::json_of(cmd)
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

/// A document with a list led in by a sentence, between two paragraphs.
const CISO_LIST: &[u8] = b"---\ntitle: Roles\n---\n\
    # The CISO\n\n\
    The CISO answers to the board for security risk.\n\n\
    CISOs commonly handle responsibilities such as:\n\n\
    - Running the incident response plan\n\
    - Vendor risk reviews\n\n\
    Other duties of the CISO vary by company.\n";

#[test]
fn a_question_about_what_a_list_holds_gets_the_lead_in_with_its_whole_list_once() {
    let sb = Sandbox::empty();
    sb.write("roles.md", CISO_LIST);
    let v = ask_json(&sb, "what responsibilities do cisos commonly handle");
    let results = v["results"].as_array().unwrap();
    let first = &results[0];
    assert_eq!(
        first["text"], "CISOs commonly handle responsibilities such as:",
        "{v:#}"
    );
    assert_eq!(
        first["items"],
        serde_json::json!(["Running the incident response plan", "Vendor risk reviews"]),
        "the list, verbatim and in order: {v:#}"
    );
    for r in &results[1..] {
        assert!(
            r["context"].is_null(),
            "no item of the list shown again: {r:#}"
        );
    }
    let out = rolefaq(&sb)
        .args([
            "ask",
            "--top",
            "1",
            "what responsibilities do cisos commonly handle",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with(
            "1. *CISOs* *commonly* *handle* *responsibilities* such as:\n   • Running the incident response plan\n   • Vendor risk reviews\n   — "
        ),
        "{text}"
    );
}

#[test]
fn a_list_item_is_shown_under_the_sentence_that_leads_in_to_its_list() {
    let sb = Sandbox::empty();
    sb.write("roles.md", CISO_LIST);
    let v = ask_json(&sb, "incident response plan");
    let results = v["results"].as_array().unwrap();
    let item = results
        .iter()
        .find(|r| r["text"] == "Running the incident response plan")
        .unwrap_or_else(|| panic!("the item is found: {v:#}"));
    assert_eq!(
        item["context"], "CISOs commonly handle responsibilities such as:",
        "verbatim lead-in: {item:#}"
    );
    for r in results.iter().filter(|r| r["text"] != item["text"]) {
        let lead_in_or_item = r["context"].is_null() || r["text"] == "Vendor risk reviews";
        assert!(lead_in_or_item, "only items carry a lead-in: {r:#}");
    }
    let out = rolefaq(&sb)
        .args(["ask", "--top", "1", "incident response plan"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with(
            "1. CISOs commonly handle responsibilities such as:\n   • Running the *incident* *response* *plan*\n   — "
        ),
        "{text}"
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
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("config file missing.toml does not exist (named by --config)"),
        "{e}"
    );
    assert!(!e.contains("no such file: no such file"), "{e}");
}

fn stderr_of(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_command_describes_every_option_and_argument() {
    use clap::CommandFactory;
    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        if cmd.get_about().is_none() && path != "rolefaq help" {
            missing.push(format!("{path}: no description"));
        }
        for a in cmd.get_arguments() {
            let id = a.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            if a.get_help().is_none_or(|h| h.to_string().trim().is_empty()) {
                missing.push(format!("{path} {id}"));
            }
        }
        for sub in cmd.get_subcommands() {
            walk(sub, &format!("{path} {}", sub.get_name()), missing);
        }
    }
    let mut missing = Vec::new();
    walk(&rolefaq::cli::Cli::command(), "rolefaq", &mut missing);
    assert!(missing.is_empty(), "without help: {missing:?}");

    // --top states its default and its maximum; eval explains its marks
    let sb = Sandbox::empty();
    let (ok, help, _) = stderr_of(rolefaq(&sb).args(["ask", "--help"]));
    assert!(ok);
    assert!(
        help.contains("3 as shipped") && help.contains("25 as shipped"),
        "{help}"
    );
    assert!(
        help.contains("--page") && help.contains("--explain"),
        "{help}"
    );
    let (_, help, _) = stderr_of(rolefaq(&sb).args(["eval", "--help"]));
    for mark in ["`@K`", "`none`", "`miss`", "\"rel\": []"] {
        assert!(help.contains(mark), "{mark} explained: {help}");
    }
    let (_, help, _) = stderr_of(rolefaq(&sb).arg("--help"));
    assert!(
        help.contains("ROLEFAQ_CONFIG") && help.contains("NO_COLOR"),
        "{help}"
    );
}

#[test]
fn results_are_paged_and_the_footer_names_the_next_page() {
    let sb = Sandbox::new();
    let q = "what does the CIO do?";
    let (ok, text, e) = stderr_of(rolefaq(&sb).args(["ask", "--top", "2", q]));
    assert!(ok, "{e}");
    let all = ask_json(&sb, q);
    let total = all["total"].as_u64().unwrap() as usize;
    assert!(total > 4, "enough results to page: {total}");
    assert!(
        text.contains(&format!(
            "(results 1–2 of {total}; next page: --page 2; more per page: --top N, up to 25)"
        )),
        "{text}"
    );
    let p2 = json_of(rolefaq(&sb).args(["ask", "--json", "--top", "2", "--page", "2", q]));
    let ranks: Vec<u64> = p2["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rank"].as_u64().unwrap())
        .collect();
    assert_eq!(ranks, vec![3, 4]);
    assert_eq!(p2["page"], 2);
    let (ok, text, _) = stderr_of(rolefaq(&sb).args(["ask", "--top", "2", "--page", "2", q]));
    assert!(
        ok && text.starts_with("3. ") || text.contains("\n3. "),
        "{text}"
    );
    assert!(text.contains("next page: --page 3"), "{text}");
    // past the last page: a message with the number of pages
    let last = total.div_ceil(2);
    let (ok, _, e) =
        stderr_of(rolefaq(&sb).args(["ask", "--top", "2", "--page", &(last + 1).to_string(), q]));
    assert!(!ok);
    assert!(
        e.contains(&format!("{total} results make {last} pages of 2")),
        "{e}"
    );
    for bad in ["0", "18446744073709551615"] {
        let (ok, _, e) = stderr_of(rolefaq(&sb).args(["ask", "--page", bad, q]));
        assert!(
            !ok && e.contains("--page counts from 1") && !e.contains("panicked"),
            "{e}"
        );
    }
    // --top past the maximum says so and points at paging
    let (ok, _, e) = stderr_of(rolefaq(&sb).args(["ask", "--top", "26", q]));
    assert!(
        !ok && e.contains("between 1 and 25") && e.contains("--page"),
        "{e}"
    );
}

#[test]
fn questions_without_words_are_not_called_empty() {
    let sb = Sandbox::new();
    for q in ["???", "🔥🔒🔥", "!!! ... ?"] {
        let (ok, _, e) = stderr_of(rolefaq(&sb).args(["ask", "--", q]));
        assert!(!ok);
        assert!(
            e.contains("has no words") && !e.contains("is empty"),
            "{q}: {e}"
        );
    }
    let (ok, _, e) = stderr_of(rolefaq(&sb).args(["ask", "  "]));
    assert!(!ok && e.contains("the question is empty"), "{e}");
}

#[test]
fn a_long_question_is_cut_with_a_note() {
    let sb = Sandbox::new();
    let long = format!(
        "who owns cybersecurity? {}",
        "and also security ".repeat(600)
    );
    assert!(long.chars().count() > 10_000);
    let (ok, _, e) = stderr_of(rolefaq(&sb).args(["ask", &long]));
    assert!(ok, "{e}");
    assert!(
        e.contains("note: the question is longer than 1000 characters (search.max_query_chars)"),
        "{e}"
    );
    let v = ask_json(&sb, &long);
    assert!(
        v["notes"][0].as_str().unwrap().contains("first 1000"),
        "{v}"
    );
    // a question within the limit gets no note
    let v = ask_json(&sb, "who owns cybersecurity?");
    assert_eq!(v["notes"], serde_json::json!([]));
    let (_, _, e) = stderr_of(rolefaq(&sb).args(["ask", "who owns cybersecurity?"]));
    assert!(!e.contains("note:"), "{e}");
}

#[test]
fn json_mode_prints_errors_as_json() {
    let sb = Sandbox::new();
    for args in [
        vec!["ask", "--json", ""],
        vec!["compare", "--json", "cio", "wizard"],
        vec!["ask", "--json", "--top", "99", "x"],
    ] {
        let (ok, out, e) = stderr_of(rolefaq(&sb).args(&args));
        assert!(!ok, "{args:?}");
        let v: Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{args:?}: {out:?}"));
        let msg = v["error"].as_str().unwrap();
        assert!(!msg.is_empty() && e.contains(msg), "{args:?}: {msg} / {e}");
    }
}

#[test]
fn output_is_plain_when_not_a_terminal() {
    for no_color in [None, Some("1")] {
        // a fresh index each time: its first build logs at info
        let sb = Sandbox::new();
        let mut cmd = rolefaq(&sb);
        cmd.env("ROLEFAQ_LOG", "info")
            .args(["ask", "who sets the technical roadmap?"]);
        if let Some(v) = no_color {
            cmd.env("NO_COLOR", v);
        }
        let (ok, out, e) = stderr_of(&mut cmd);
        assert!(ok, "{e}");
        assert!(e.contains("INFO"), "log lines were written: {e}");
        assert!(
            !e.contains('\x1b'),
            "no ANSI codes in logs to a pipe: {e:?}"
        );
        assert!(!out.contains('\x1b'), "no bold to a pipe: {out:?}");
        assert!(out.contains("*roadmap*"), "plain emphasis instead: {out}");
    }
}

#[test]
fn a_bad_setting_value_names_the_key_and_the_valid_values() {
    let sb = Sandbox::new();
    let (ok, _, e) = stderr_of(
        rolefaq(&sb)
            .env("ROLEFAQ__MODEL__QUESTION_PRECISION", "f16")
            .arg("sources"),
    );
    assert!(!ok);
    assert!(
        e.contains("question_precision")
            && e.contains("'f16'")
            && e.contains("\"q8\"")
            && e.contains("\"f32\""),
        "{e}"
    );
    assert!(!e.contains("variant constructor"), "{e}");
}

#[test]
fn the_config_file_is_found_in_a_predictable_order_and_its_paths_are_its_own() {
    let sb = Sandbox::new();
    // A config elsewhere naming the corpus relative to itself.
    let etc = sb.dir.path().join("etc");
    std::fs::create_dir_all(&etc).unwrap();
    std::fs::write(
        etc.join("rolefaq.toml"),
        "[corpus]\ndir = \"../corpus\"\n[index]\ndir = \"../etc-index\"\n[search]\ntop = 2\n",
    )
    .unwrap();
    let elsewhere = sb.dir.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let bare = |cwd: &std::path::Path| {
        let mut c = Command::cargo_bin("rolefaq").unwrap();
        c.current_dir(cwd)
            .env_remove("DISCORD_TOKEN")
            .env_remove("ROLEFAQ_CONFIG")
            .env("XDG_CONFIG_HOME", sb.dir.path().join("xdg"))
            .env("ROLEFAQ__MODEL__ENABLED", "false");
        c
    };
    let v = json_of(
        bare(&elsewhere)
            .env("ROLEFAQ_CONFIG", etc.join("rolefaq.toml"))
            .args(["ask", "--json", "who owns cybersecurity?"]),
    );
    assert_eq!(
        v["results"].as_array().unwrap().len(),
        2,
        "top from the file"
    );
    assert!(sb.dir.path().join("etc-index").join("CURRENT").exists());
    assert!(!elsewhere.join("index").exists());

    // A missing ROLEFAQ_CONFIG is an error naming the variable.
    let (ok, _, e) = stderr_of(
        bare(&elsewhere)
            .env("ROLEFAQ_CONFIG", "/nonexistent/rolefaq.toml")
            .arg("sources"),
    );
    assert!(!ok && e.contains("named by ROLEFAQ_CONFIG"), "{e}");

    // The user's config directory is read when there is no ./config.toml.
    let user = sb.dir.path().join("xdg").join("rolefaq");
    std::fs::create_dir_all(&user).unwrap();
    std::fs::write(
        user.join("config.toml"),
        format!(
            "[corpus]\ndir = {:?}\n[index]\ndir = \"user-index\"\n",
            sb.corpus().display().to_string()
        ),
    )
    .unwrap();
    let v = json_of(bare(&elsewhere).args(["sources", "--json"]));
    assert_eq!(v.as_array().unwrap().len(), 5);
    assert!(user.join("user-index").join("CURRENT").exists());

    // ./config.toml comes before the user's.
    std::fs::write(elsewhere.join("config.toml"), "[search]\ntop = 0\n").unwrap();
    let (ok, _, e) = stderr_of(bare(&elsewhere).arg("sources"));
    assert!(
        !ok && e.contains("search.top"),
        "./config.toml was read: {e}"
    );
}

#[test]
fn compare_says_when_the_corpus_never_mentions_a_role() {
    let sb = Sandbox::new();
    let (ok, out, e) = stderr_of(rolefaq(&sb).args(["compare", "cio", "cfo"]));
    assert!(!ok, "{out}");
    assert!(
        e.contains("the corpus says nothing about the CFO") && e.contains("CTO"),
        "{e}"
    );
    // disagreement notes say "sources disagree" once
    let (ok, out, _) = stderr_of(rolefaq(&sb).args(["compare", "cio", "cto"]));
    assert!(ok);
    let notes: Vec<&str> = out.lines().filter(|l| l.contains('⚠')).collect();
    assert!(!notes.is_empty(), "{out}");
    for n in notes {
        assert!(n.contains("⚠ sources disagree: On "), "{n}");
        assert_eq!(n.to_lowercase().matches("disagree").count(), 1, "{n}");
    }
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

#[test]
fn explain_shows_each_candidates_ranking_in_ask_and_eval() {
    let sb = Sandbox::new();
    let (ok, out, e) =
        stderr_of(rolefaq(&sb).args(["ask", "--explain", "--top", "2", "who owns cybersecurity?"]));
    assert!(ok, "{e}");
    assert!(e.contains("who-question: true"), "{e}");
    assert!(e.contains("candidates (rank, score, coverage"), "{e}");
    assert!(
        e.contains("  1 score=") && e.contains("  2 score=") && e.contains("cov="),
        "{e}"
    );
    assert!(
        !e.contains("  3 score="),
        "as many candidates as shown: {e}"
    );
    assert!(
        !out.contains("score="),
        "the explanation goes to stderr: {out}"
    );

    let dev = common::repo().join("tests/data/dev-questions.json");
    let (ok, out, e) = stderr_of(
        rolefaq(&sb)
            .args(["eval", "--explain", "--only", "d01"])
            .arg(&dev),
    );
    assert!(ok, "{e}");
    assert!(e.contains("===== d01 who owns cybersecurity?"), "{e}");
    assert!(
        e.lines()
            .any(|l| l.starts_with("  *") && l.contains("score=")),
        "judged passages marked: {e}"
    );
    assert!(out.contains("questions: 1"), "{out}");
    let (ok, _, e) = stderr_of(rolefaq(&sb).args(["eval", "--only", "zz9"]).arg(&dev));
    assert!(!ok && e.contains("zz9"), "{e}");
}

#[test]
fn eval_features_writes_each_answerable_questions_pool_with_its_score_parts() {
    let sb = Sandbox::new();
    let dev = common::repo().join("tests/data/dev-questions.json");
    let questions: Value = serde_json::from_str(&std::fs::read_to_string(&dev).unwrap()).unwrap();
    let answerable: Vec<&str> = questions
        .as_array()
        .unwrap()
        .iter()
        .filter(|q| !q["rel"].as_array().unwrap().is_empty())
        .map(|q| q["id"].as_str().unwrap())
        .collect();
    let path = sb.dir.path().join("features.jsonl");
    let report = json_of(
        rolefaq(&sb)
            .args(["eval", "--json", "--features"])
            .arg(&path)
            .arg(&dev),
    );
    let rank_of = |id: &str| {
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .and_then(|r| r["rank"].as_u64())
    };
    let text = std::fs::read_to_string(&path).unwrap();
    let rows: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids, answerable,
        "one line per answerable question, in order"
    );
    let mut judged = 0;
    for row in &rows {
        assert!(row["content_words"].as_u64().is_some(), "{row}");
        let pool = row["pool"].as_array().unwrap();
        // the pool is in the answer's order: its first judged candidate is
        // where eval found the first correct result
        let first_judged = pool
            .iter()
            .position(|c| c["judged"] == true)
            .map(|i| i as u64 + 1);
        if let Some(k) = rank_of(row["id"].as_str().unwrap()) {
            assert_eq!(first_judged, Some(k), "{row}");
        }
        for c in pool {
            let part = |k: &str| c[k].as_f64().unwrap_or_else(|| panic!("{k} in {c}"));
            // the score is the documented sum of its parts (dense_weight 1 as shipped)
            let sum = (0.45 * part("bm25") + 0.55 * part("coverage") + 0.5 * part("dense_centred"))
                * part("factor");
            assert!((sum - part("score")).abs() < 1e-4, "{c}");
            judged += usize::from(c["judged"].as_bool().unwrap());
        }
    }
    assert!(
        judged >= answerable.len(),
        "judged passages are marked ({judged})"
    );
}

#[test]
fn the_readme_lists_every_command_and_option() {
    use clap::CommandFactory;
    let readme = std::fs::read_to_string(common::repo().join("README.md")).unwrap();
    let table: Vec<&str> = readme
        .lines()
        .filter(|l| l.starts_with("| `rolefaq "))
        .collect();
    let mut missing = Vec::new();
    for sub in rolefaq::cli::Cli::command().get_subcommands() {
        if sub.is_hide_set() {
            continue;
        }
        let name = sub.get_name();
        let Some(row) = table
            .iter()
            .find(|l| l.starts_with(&format!("| `rolefaq {name}")))
        else {
            missing.push(format!("{name}: no row"));
            continue;
        };
        if name == "bench" {
            continue; // its many options are described in docs/benchmarks.md
        }
        for a in sub.get_arguments() {
            if let Some(long) = a.get_long().filter(|l| *l != "help") {
                let global = ["config", "corpus", "index", "model", "no-model"];
                if !global.contains(&long) && !row.contains(&format!("--{long}")) {
                    missing.push(format!("{name} --{long}"));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "README's command table lacks {missing:?}"
    );
    assert!(
        !readme.contains("--example explain_rank"),
        "folded into ask/eval --explain"
    );
}

#[test]
fn the_index_readme_names_the_files_the_index_writes() {
    let readme = std::fs::read_to_string(common::repo().join("index/README.md")).unwrap();
    let code = std::fs::read_to_string(common::repo().join("src/index/mod.rs")).unwrap();
    let files: Vec<&str> = code
        .lines()
        .filter_map(|l| l.strip_prefix("const "))
        .filter_map(|l| {
            l.split_once(": &str = \"")
                .map(|(_, v)| v.trim_end_matches("\";"))
        })
        .filter(|v| v.contains('.') && !v.starts_with(".rebuild"))
        .collect();
    assert!(files.contains(&"embeddings.f32"), "{files:?}");
    for f in files {
        assert!(
            readme.contains(&format!("`{f}`")),
            "index/README.md names {f}"
        );
    }
    assert!(!readme.contains("embeddings.bin"));
}
