//! Acceptance of `/compare` on the repository's seed corpus.

use rolefaq::compare::{self, CompareIndex};
use rolefaq::config::CorpusSettings;
use rolefaq::model::{Comparison, Passage, Quote};
use rolefaq::roles::RoleBook;
use std::path::Path;

fn seed_passages() -> Vec<Passage> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let corpus = rolefaq::corpus::load_dir(&dir, &CorpusSettings::default(), 900)
        .expect("seed corpus loads");
    assert!(
        corpus.documents.len() >= 5,
        "seed corpus has {} documents",
        corpus.documents.len()
    );
    corpus.passages
}

fn passage<'p>(ps: &'p [Passage], q: &Quote) -> &'p Passage {
    ps.iter()
        .find(|p| p.id == q.passage_id)
        .unwrap_or_else(|| panic!("quote cites unknown passage {}", q.passage_id))
}

/// Verbatim: a substring of the passage text, or one of its table cells.
fn assert_verbatim(ps: &[Passage], q: &Quote) {
    let p = passage(ps, q);
    let in_cell = p
        .table
        .as_ref()
        .is_some_and(|t| t.cells.iter().any(|c| c.trim() == q.text));
    assert!(
        p.text.contains(&q.text) || in_cell,
        "not verbatim in {}: {:?}",
        p.id,
        q.text
    );
    assert_eq!(q.doc, p.doc_id);
    assert_eq!(q.citation, p.citation());
}

/// About `role`: the quote's first role mention is that role, or it comes from
/// that role's table column, role label ("CIO: …") or a lead-in naming only it.
fn assert_about(ps: &[Passage], book: &RoleBook, role: &str, q: &Quote) {
    let key = book.resolve(role).expect("role").key.clone();
    let p = passage(ps, q);
    let first_mention = book.mentions(&q.text).first().map(|(k, _)| k.to_string());
    let column = p.table.as_ref().is_some_and(|t| {
        t.headers
            .iter()
            .zip(&t.cells)
            .any(|(h, c)| c.trim() == q.text && book.roles_in(h) == [key.as_str()])
    });
    let label = book
        .mentions(&p.text)
        .first()
        .is_some_and(|(k, r)| *k == key && p.text[r.end..].trim_start().starts_with(':'));
    let lead_in = p
        .context
        .as_deref()
        .is_some_and(|c| book.roles_in(c) == [key.as_str()])
        && book.mentions(&q.text).is_empty();
    assert!(
        first_mention.as_deref() == Some(key.as_str()) || column || label || lead_in,
        "quote in the {role} cell is not about the {role}: {:?} ({})",
        q.text,
        p.id
    );
}

fn both_sided(c: &Comparison) -> Vec<&str> {
    c.rows
        .iter()
        .filter(|r| r.cells.len() == 2 && r.cells.values().all(|q| !q.is_empty()))
        .map(|r| r.aspect.as_str())
        .collect()
}

#[test]
fn cio_cto_on_the_seed_corpus() {
    let ps = seed_passages();
    let book = RoleBook::discover(&ps);
    let c = compare::compare(&ps, &book, "CIO", "cto", None).expect("compare");
    assert_eq!(c.roles, ["CIO".to_string(), "CTO".to_string()]);

    let both = both_sided(&c);
    assert!(
        both.len() >= 6,
        "only {} aspects with evidence for both: {both:?}",
        both.len()
    );
    for wanted in [
        "Focus and orientation",
        "Stakeholders and collaborators",
        "Reporting line",
        "Team led",
        "Success metrics",
        "Technology orientation",
    ] {
        assert!(both.contains(&wanted), "{wanted} missing from {both:?}");
    }

    let mut quotes = 0;
    for row in &c.rows {
        for (role, qs) in &row.cells {
            assert!(qs.len() <= compare::MAX_QUOTES_PER_CELL);
            for q in qs {
                quotes += 1;
                assert_verbatim(&ps, q);
                assert_about(&ps, &book, role, q);
            }
        }
        // Never the same quote for both roles.
        let cio: Vec<&String> = row.cells["CIO"].iter().map(|q| &q.text).collect();
        assert!(
            row.cells["CTO"].iter().all(|q| !cio.contains(&&q.text)),
            "{}",
            row.aspect
        );
        if let Some(d) = &row.disagreement {
            for (role, qs) in &d.sides {
                for q in qs {
                    assert_verbatim(&ps, q);
                    assert_about(&ps, &book, role, q);
                }
            }
        }
    }
    assert!(quotes >= 20, "only {quotes} quotes");
}

#[test]
fn doc_004_reversal_is_a_disagreement() {
    let ps = seed_passages();
    let book = RoleBook::discover(&ps);
    let c = compare::compare(&ps, &book, "cio", "cto", None).expect("compare");
    let reversed = c
        .rows
        .iter()
        .filter_map(|r| r.disagreement.as_ref())
        .find(|d| {
            d.sides.get("CTO").is_some_and(|qs| {
                qs.iter().any(|q| {
                    q.doc == "cio-vs-cto-sparring-partners" && q.text.contains("operation")
                })
            })
        })
        .expect("the sparring-partners document's CTO-operates claim is flagged");
    assert!(
        reversed.summary.contains("operations"),
        "{}",
        reversed.summary
    );
    let cio_docs: std::collections::BTreeSet<&str> = reversed.sides["CIO"]
        .iter()
        .map(|q| q.doc.as_str())
        .collect();
    assert!(cio_docs.len() >= 2, "{cio_docs:?}");
    assert!(!cio_docs.contains("cio-vs-cto-sparring-partners"));
}

#[test]
fn aspect_filter_and_autocomplete_on_the_seed_corpus() {
    let ps = seed_passages();
    let book = RoleBook::discover(&ps);
    let index = CompareIndex::new(&ps, &book);
    let names = index.aspects();
    assert!(names.len() >= 6, "{names:?}");
    let c = index
        .compare("Chief Information Officer", "CTOs", Some("security"))
        .expect("security");
    assert_eq!(c.rows.len(), 1);
    assert_eq!(c.rows[0].aspect, "Security and risk");
    assert!(c.rows[0].cells.values().all(|q| !q.is_empty()));
    let err = index
        .compare("CIO", "CTO", Some("salary"))
        .expect_err("no such aspect");
    assert!(err.to_string().contains("Focus and orientation"), "{err}");
    let err = index
        .compare("CIO", "CMOO", None)
        .expect_err("no such role");
    assert!(err.to_string().contains("CIO, CTO"), "{err}");
}

#[test]
fn evidence_extracted_once_compares_exactly_as_a_fresh_extraction() {
    let ps = seed_passages();
    let book = RoleBook::discover(&ps);
    let kept = compare::Extracted::new(&ps, &book);
    let reused = CompareIndex::with(&ps, &book, &kept);
    assert!(!reused.evidence().is_empty());
    for (a, b, aspect) in [
        ("cio", "cto", None),
        ("CTO", "CEO", None),
        ("cio", "cto", Some("security")),
    ] {
        let fresh = compare::compare(&ps, &book, a, b, aspect).expect("compare");
        // asked twice: nothing of the first comparison leaks into the second
        for _ in 0..2 {
            assert_eq!(
                reused.compare(a, b, aspect).expect("compare"),
                fresh,
                "{a} vs {b}"
            );
        }
    }
    assert_eq!(reused.aspects(), compare::aspects(&ps, &book));
}

#[test]
fn other_pairs_stay_verbatim_and_attributed() {
    let ps = seed_passages();
    let book = RoleBook::discover(&ps);
    let c = compare::compare(&ps, &book, "CTO", "CEO", None).expect("compare");
    for row in &c.rows {
        for (role, qs) in &row.cells {
            for q in qs {
                assert_verbatim(&ps, q);
                assert_about(&ps, &book, role, q);
            }
        }
    }
}
