//! Property-based fuzzing of question handling and corpus parsing.
//! CI runs a bounded smoke run; `scripts/fuzz.sh` runs far more cases
//! (PROPTEST_CASES). Regression cases found so far are kept as plain tests below.

use crate::common;

use proptest::prelude::*;
use rolefaq::config::CorpusSettings;
use rolefaq::corpus::{blocks, clean, frontmatter, parse_document, split};
use rolefaq::search::query;
use rolefaq::service::{AskOptions, Service};
use std::path::Path;
use std::sync::OnceLock;

fn service() -> &'static Service {
    static SVC: OnceLock<(common::Sandbox, Service)> = OnceLock::new();
    &SVC.get_or_init(|| {
        let sb = common::Sandbox::new();
        let svc = Service::open(sb.settings()).unwrap();
        (sb, svc)
    })
    .1
}

/// Characters that stress the pipeline: query syntax, controls, zero-width,
/// right-to-left, combining marks, emoji, plus ordinary words.
fn nasty_char() -> impl Strategy<Value = char> {
    prop_oneof![
        prop::sample::select(vec![
            ':', '(', ')', '"', '\'', '[', ']', '{', '}', '^', '~', '*', '?', '\\', '/', '!', '+',
            '-', '&', '|', '<', '>', '\u{0}', '\u{7}', '\u{1b}', '\t', '\n', '\u{200b}',
            '\u{200f}', '\u{202e}', '\u{feff}', '\u{0301}', '\u{0336}', 'ש', 'ع', '🔥', '👩',
            '\u{fe0f}', 'ǅ', 'ß',
        ]),
        any::<char>(),
        prop::char::range('a', 'z'),
    ]
}

fn nasty_string(max: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(nasty_char(), 0..max).prop_map(|v| v.into_iter().collect()),
        prop::collection::vec(
            prop::sample::select(vec![
                "who",
                "owns",
                "CIO",
                "cto",
                "AND",
                "OR",
                "NOT",
                "title:",
                "security",
                "(",
                "\"",
                "*",
                "chief",
                "information",
                "officer",
                "cybersecurty",
                "🔥",
                "\u{200b}",
            ]),
            0..20
        )
        .prop_map(|v| v.join(" ")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn any_question_gets_an_answer_or_a_clear_error(q in nasty_string(300)) {
        let svc = service();
        match svc.ask(&q, AskOptions { top: 5, offset: 0 }) {
            Ok(a) => {
                prop_assert!(a.results.len() <= 5);
                prop_assert_eq!(a.no_answer, a.results.is_empty());
                prop_assert!(a.query.chars().count() <= 1000);
                for h in &a.results {
                    for &(s, e) in &h.highlights {
                        prop_assert!(h.best.is_char_boundary(s) && h.best.is_char_boundary(e));
                    }
                }
            }
            Err(e) => prop_assert!(e.to_string().contains("question")),
        }
    }

    #[test]
    fn sanitize_is_bounded_and_clean(q in nasty_string(3000), max in 10usize..500) {
        let (s, _) = query::sanitize(&q, max);
        prop_assert!(s.chars().count() <= max);
        prop_assert!(!s.chars().any(|c| c.is_control()));
        prop_assert!(!s.contains('\u{200b}'), "zero-width kept");
    }

    #[test]
    fn front_matter_never_panics(text in nasty_string(400)) {
        let with_fm = format!("---\n{text}\n---\n{text}");
        let _ = frontmatter::split(&text);
        let _ = frontmatter::split(&with_fm);
    }

    #[test]
    fn any_document_parses_into_verbatim_passages(body in nasty_string(600), ext in prop::sample::select(vec!["txt", "md", "html"])) {
        let text = format!("---\ntitle: Fuzz\n---\n{body}");
        let path = format!("fuzz.{ext}");
        if let Ok((doc, blocks)) = parse_document(Path::new(&path), &text) {
            let counts = clean::line_document_counts(std::iter::once(blocks.as_slice()));
            let (kept, _) = clean::clean(&doc.id, blocks, &counts, &CorpusSettings::default(), ext == "txt");
            let passages = split::passages(&doc, &kept, 120);
            for p in passages {
                prop_assert!(!p.text.is_empty());
                prop_assert!(p.id.starts_with("fuzz#"));
            }
        }
    }

    #[test]
    fn tables_and_lists_in_text_never_panic(rows in prop::collection::vec(nasty_string(40), 0..12)) {
        let body: String = rows.iter().enumerate().map(|(i, r)| match i % 3 {
            0 => format!("| {r} | {r} |\n"),
            1 => format!("  • {r}\n"),
            _ => format!("{r}\n"),
        }).collect();
        let _ = blocks::parse_text(&body);
        let _ = blocks::parse_markdown(&body);
        let _ = blocks::parse_html(&body);
    }
}

// Regression cases kept from fuzzing runs.

#[test]
fn regression_only_query_syntax() {
    for q in [
        "title:x AND (",
        "\"unclosed",
        "*",
        "((((",
        "-",
        "AND OR NOT",
        ":::",
    ] {
        match service().ask(q, AskOptions { top: 3, offset: 0 }) {
            Ok(a) => assert_eq!(a.no_answer, a.results.is_empty()),
            Err(e) => assert!(e.to_string().contains("question")),
        }
    }
}

#[test]
fn regression_multibyte_at_truncation_boundary() {
    let q = "é".repeat(2000);
    let (s, truncated) = query::sanitize(&q, 1000);
    assert!(truncated);
    assert_eq!(s.chars().count(), 1000);
}
