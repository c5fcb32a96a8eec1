//! Case-changing Unicode in the corpus (issue 11, item 1): letters whose lower
//! case has another byte length (`İ` → `i̇`, `ẞ` → `ß`, the Kelvin sign → `k`)
//! once made offsets of a lower-cased copy slice the original, which cut the
//! wrong place or panicked; the panic inside the engine build then poisoned the
//! rebuild lock. Each test here failed (or panicked) before the fix.

use crate::common;

use rolefaq::compare::extract::{self, Source};
use rolefaq::model::{Hit, Passage, PassageKind};
use rolefaq::roles::RoleBook;
use rolefaq::search::verdict;
use rolefaq::service::{AskOptions, Service};

/// The sentence, as filed.
pub const TURKISH: &str =
    "The CIO of İŞ YATIRIM İSTANBUL DİJİTAL İNOVASYON, while the CTO leads product development.";

fn passage(text: &str) -> Passage {
    Passage {
        id: "u#1".into(),
        doc_id: "u".into(),
        doc_title: "Unicode".into(),
        section: None,
        paragraph: 1,
        part: 1,
        kind: PassageKind::Paragraph,
        text: text.into(),
        context: None,
        table: None,
        url: None,
        page: None,
    }
}

fn quotes(ev: &[extract::Evidence], role: &str) -> Vec<String> {
    ev.iter()
        .filter(|e| e.role == role)
        .map(|e| e.text.clone())
        .collect()
}

/// A contrast is split at its delimiter whatever the letters before it do
/// under lower-casing (Turkish, German, Kelvin and Ångström signs, Greek
/// final sigma, ligatures, Georgian, Cherokee, dotless i, full-width, marks).
#[test]
fn contrasts_split_at_the_delimiter_around_case_changing_letters() {
    let names = [
        "İŞ YATIRIM İSTANBUL DİJİTAL İNOVASYON",
        "STRAẞE GROẞ AG",
        "\u{212A}\u{212A}\u{212A} \u{212B}NGSTRÖM",
        "ΟΔΟΣ ΣΟΦΊΑΣ",
        "ﬁnance ﬂow ﬓﬔ",
        "ᲡᲐᲥᲐᲠᲗᲕᲔᲚᲝ",
        "ᏣᎳᎩ ᎠᏂ",
        "ıIıI",
        "ＢＡＮＫ",
        "Ze\u{0301}\u{0301}\u{0301}bra",
        "שלום عربي",
    ];
    for name in names {
        let text = format!(
            "The CIO of {name} runs internal systems, while the CTO leads product development."
        );
        let ev = extract::extract(&[passage(&text)], &RoleBook::builtin());
        assert_eq!(
            quotes(&ev, "cio"),
            vec![format!("The CIO of {name} runs internal systems")],
            "{text}"
        );
        assert_eq!(
            quotes(&ev, "cto"),
            vec!["the CTO leads product development.".to_string()],
            "{text}"
        );
        assert!(ev.iter().all(|e| e.source == Source::Contrast), "{ev:?}");
    }
    // The sentence as filed.
    let ev = extract::extract(&[passage(TURKISH)], &RoleBook::builtin());
    assert_eq!(
        quotes(&ev, "cio"),
        vec!["The CIO of İŞ YATIRIM İSTANBUL DİJİTAL İNOVASYON".to_string()]
    );
    assert_eq!(
        quotes(&ev, "cto"),
        vec!["the CTO leads product development.".to_string()]
    );
}

/// A statement longer than a quote is cut at a clause boundary: the window it
/// looks in began 20 bytes after the role, inside a `ẞ`.
#[test]
fn long_statements_with_multibyte_letters_are_cut_between_characters() {
    // "The CIO led " is 12 bytes: the second ẞ takes bytes 26..29, and the window
    // began at byte 27 (20 bytes after "CIO").
    let text = format!(
        "The CIO led {}and keeps every system of the group secure.",
        "STRAẞE, ".repeat(40)
    );
    let ev = extract::extract(&[passage(&text)], &RoleBook::builtin());
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert!(text.contains(&ev[0].text));
    assert!(ev[0].text.starts_with("The CIO led STRAẞE"));
    assert!(ev[0].text.len() < text.len(), "cut at a clause boundary");
}

/// The "who" verdict splits a sentence into clauses at offsets of the sentence.
#[test]
fn verdict_clauses_are_cut_at_the_break_after_turkish_capitals() {
    let p =
        passage("The CIO of İŞ İSTANBUL İNOVASYON builds nothing; the CTO looks after security.");
    let hit = Hit {
        rank: 1,
        score: 1.0,
        doc: p.doc_id.clone(),
        title: p.doc_title.clone(),
        section: None,
        location: String::new(),
        text: p.text.clone(),
        best: p.text.clone(),
        context: None,
        items: Vec::new(),
        more_items: 0,
        highlights: Vec::new(),
        citation: String::new(),
        url: None,
        passage_id: p.id.clone(),
    };
    let concepts = vec![vec![vec!["secur".to_string()]]];
    let got = verdict::roles_of(&p, &hit, &RoleBook::builtin(), &concepts);
    assert_eq!(
        got,
        vec![(
            "CTO".to_string(),
            "the CTO looks after security.".to_string()
        )]
    );
}

fn write_case_changing_doc(sb: &common::Sandbox) {
    sb.write(
        "case-changing.md",
        format!(
            "---\ntitle: İSTANBUL and STRAẞE\n---\n# Roles at İŞ\n\n{TURKISH}\n\n\
             The CTO of STRAẞE GROẞ AG builds the products, whereas the CIO of STRAẞE runs the internal systems.\n\n\
             | Dimension | CIO | CTO |\n|---|---|---|\n| İNOVASYON | İç sistemler | ÜRÜN GELİŞTİRME |\n"
        )
        .as_bytes(),
    );
}

/// The report, end to end: the corpus file indexes, and ask, compare,
/// sources and reindex all answer (before: `Service::open` panicked).
#[test]
fn a_case_changing_corpus_file_is_served_by_every_command() {
    let sb = common::Sandbox::new();
    write_case_changing_doc(&sb);
    let svc = Service::open(sb.settings()).expect("opens");
    let engine = svc.engine();
    let passage = |id: &str| {
        engine
            .gen
            .passages
            .iter()
            .find(|p| p.id == id)
            .unwrap_or_else(|| panic!("unknown passage {id}"))
    };
    let a = svc
        .ask(
            "who leads product development?",
            AskOptions { top: 5, offset: 0 },
        )
        .expect("answers");
    assert!(!a.results.is_empty());
    for h in &a.results {
        assert_eq!(passage(&h.passage_id).text, h.text);
        for &(s, e) in &h.highlights {
            assert!(h.best.is_char_boundary(s) && h.best.is_char_boundary(e));
        }
    }
    let a = svc
        .ask(
            "İSTANBUL STRAẞE İNOVASYON",
            AskOptions { top: 3, offset: 0 },
        )
        .expect("answers");
    for h in &a.results {
        for &(s, e) in &h.highlights {
            assert!(h.best.is_char_boundary(s) && h.best.is_char_boundary(e));
        }
    }
    let c = svc.compare("cio", "cto", None).expect("compares");
    let quotes: Vec<_> = c
        .rows
        .iter()
        .flat_map(|r| r.cells.values().flatten())
        .collect();
    assert!(quotes.iter().any(|q| q.doc == "case-changing"), "{c:?}");
    for q in &quotes {
        let p = passage(&q.passage_id);
        let in_cell = p
            .table
            .as_ref()
            .is_some_and(|t| t.cells.iter().any(|c| c.trim() == q.text));
        assert!(p.text.contains(&q.text) || in_cell, "not verbatim: {q:?}");
    }
    assert!(svc.sources().iter().any(|s| s.id == "case-changing"));
    svc.reindex().expect("reindexes");
    svc.reindex().expect("and again: the rebuild lock is free");
}

/// A rebuild that meets the file after start-up succeeds and leaves the next
/// rebuild free (before: the panic poisoned the mutex, and every later
/// `/reindex` said "already in progress").
#[test]
fn reindex_after_a_case_changing_file_arrives_keeps_the_lock_free() {
    let sb = common::Sandbox::new();
    let svc = Service::open(sb.settings()).expect("opens");
    write_case_changing_doc(&sb);
    let report = svc.reindex().expect("reindexes");
    assert!(
        report.added.iter().any(|d| d == "case-changing"),
        "{report:?}"
    );
    svc.reindex().expect("the next rebuild runs");
    let c = svc.compare("cio", "cto", None).expect("compares");
    assert!(!c.rows.is_empty());
    // A restart opens the index the rebuild left.
    drop(svc);
    Service::open(sb.settings()).expect("reopens");
}
