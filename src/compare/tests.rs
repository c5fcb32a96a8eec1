use super::*;
use crate::model::{PassageKind, TableRow};
use crate::roles::tests::passage;

fn table_row(doc: &str, n: u32, cells: [&str; 3]) -> Passage {
    let mut p = passage(
        doc,
        n,
        &format!("{} — CIO: {} — CTO: {}", cells[0], cells[1], cells[2]),
    );
    p.kind = PassageKind::TableRow;
    p.table = Some(TableRow {
        headers: vec!["Dimension".into(), "CIO".into(), "CTO".into()],
        cells: cells.iter().map(|c| c.to_string()).collect(),
    });
    p
}

/// A small corpus in the shape of the seeds: a role-column table, labelled list
/// pairs, contrastive sentences, and one document reversing the usual split.
fn corpus() -> Vec<Passage> {
    let mut item_a = passage(
        "b",
        1,
        "  • CIO: Emphasizes operational efficiency, reliability, security, and risk management.",
    );
    item_a.kind = PassageKind::ListItem;
    item_a.section = Some("Strategic Objectives".into());
    let mut item_b = passage(
        "b",
        2,
        "  • CTO: Prioritizes innovation, technological advancement, and market differentiation.",
    );
    item_b.kind = PassageKind::ListItem;
    item_b.section = Some("Strategic Objectives".into());
    vec![
        table_row("a", 1, ["Primary focus", "Internal IT operations and business efficiency", "External product innovation and revenue growth"]),
        table_row("a", 2, ["Typical reporting line", "CEO (or occasionally COO)", "CEO (or occasionally CIO in some structures)"]),
        table_row("a", 3, ["Team led", "IT department, security, helpdesk", "Engineering, product development, R&D"]),
        passage("a", 4, "The CIO focuses inward on IT operations and business efficiency, while the CTO focuses outward on product innovation."),
        item_a,
        item_b,
        passage("b", 3, "The CIO concentrates on the internal machinery: IT operations, infrastructure and service management."),
        passage("c", 1, "The CIO oversees cybersecurity and compliance; the CTO addresses security at the product level."),
        passage("c", 2, "The CIO runs day-to-day IT operations and keeps systems reliable."),
        passage("d", 1, "The CIO is tasked with delivering value to the business, while the CTO is strictly responsible for the operation of these systems."),
    ]
}

fn cell<'c>(row: &'c ComparisonRow, role: &str) -> &'c [Quote] {
    row.cells.get(role).map_or(&[], Vec::as_slice)
}

fn row<'c>(c: &'c Comparison, aspect: &str) -> &'c ComparisonRow {
    c.rows
        .iter()
        .find(|r| r.aspect == aspect)
        .unwrap_or_else(|| {
            panic!(
                "no row {aspect}: {:?}",
                c.rows.iter().map(|r| &r.aspect).collect::<Vec<_>>()
            )
        })
}

#[test]
fn compares_with_rows_from_every_pattern() {
    let ps = corpus();
    let book = RoleBook::discover(&ps);
    let c = compare(&ps, &book, "cio", "Chief Technology Officer", None).expect("compare");
    assert_eq!(c.roles, ["CIO".to_string(), "CTO".to_string()]);
    let focus = row(&c, "Focus and orientation");
    assert!(cell(focus, "CIO")
        .iter()
        .any(|q| q.text == "Internal IT operations and business efficiency"));
    assert!(cell(focus, "CTO")
        .iter()
        .any(|q| q.text == "the CTO focuses outward on product innovation."));
    let obj = row(&c, "Strategic objectives");
    assert_eq!(
        cell(obj, "CTO")[0].text,
        "Prioritizes innovation, technological advancement, and market differentiation."
    );
    let rep = row(&c, "Reporting line");
    assert_eq!(
        cell(rep, "CTO")[0].text,
        "CEO (or occasionally CIO in some structures)"
    );
    assert_eq!(cell(rep, "CTO")[0].doc, "a");
    assert_eq!(cell(rep, "CTO")[0].passage_id, "a#2");
    // Rows with evidence for both roles come first.
    let first_one_sided = c
        .rows
        .iter()
        .position(|r| cell(r, "CIO").is_empty() || cell(r, "CTO").is_empty());
    if let Some(i) = first_one_sided {
        assert!(c.rows[i..]
            .iter()
            .all(|r| cell(r, "CIO").is_empty() || cell(r, "CTO").is_empty()));
    }
    for r in &c.rows {
        for q in r.cells.values() {
            assert!(q.len() <= MAX_QUOTES_PER_CELL);
        }
    }
}

#[test]
fn every_quote_is_verbatim_and_about_its_role() {
    let ps = corpus();
    let book = RoleBook::discover(&ps);
    let c = compare(&ps, &book, "CIO", "CTO", None).expect("compare");
    let mut n = 0;
    for r in &c.rows {
        for (role, qs) in &r.cells {
            for q in qs {
                n += 1;
                let p = ps.iter().find(|p| p.id == q.passage_id).expect("passage");
                let in_cell = p.table.as_ref().is_some_and(|t| t.cells.contains(&q.text));
                assert!(
                    p.text.contains(&q.text) || in_cell,
                    "not verbatim: {}",
                    q.text
                );
                // About its role: the quote names it or sits under its label/column.
                let named_first = book.mentions(&q.text).first().map(|(k, _)| *k)
                    == Some(role.to_lowercase().as_str());
                let column = p.table.as_ref().is_some_and(|t| {
                    t.cells
                        .iter()
                        .zip(&t.headers)
                        .any(|(c, h)| c == &q.text && h == role)
                });
                let label = p
                    .text
                    .trim_start_matches([' ', '•'])
                    .starts_with(&format!("{role}:"));
                assert!(named_first || column || label, "{role}: {}", q.text);
                assert_eq!(q.citation, p.citation());
            }
        }
    }
    assert!(n >= 10, "only {n} quotes");
}

#[test]
fn contrast_halves_never_go_to_both_roles() {
    let ps = corpus();
    let book = RoleBook::discover(&ps);
    let c = compare(&ps, &book, "CIO", "CTO", None).expect("compare");
    for r in &c.rows {
        let cio: Vec<&str> = cell(r, "CIO").iter().map(|q| q.text.as_str()).collect();
        for q in cell(r, "CTO") {
            assert!(!cio.contains(&q.text.as_str()), "{} in both cells", q.text);
        }
    }
}

#[test]
fn unknown_and_identical_roles_are_errors() {
    let ps = corpus();
    let book = RoleBook::discover(&ps);
    match compare(&ps, &book, "CIO", "wizard", None) {
        Err(Error::UnknownRole { given, known }) => {
            assert_eq!(given, "wizard");
            assert!(known.starts_with("CIO, CTO"), "{known}");
        }
        other => panic!("expected UnknownRole, got {other:?}"),
    }
    match compare(&ps, &book, "cio", "Chief Information Officer", None) {
        Err(Error::BadQuestion(m)) => assert!(m.contains("same role"), "{m}"),
        other => panic!("expected BadQuestion, got {other:?}"),
    }
}

#[test]
fn aspect_filter_matches_names_and_keywords() {
    let ps = corpus();
    let book = RoleBook::discover(&ps);
    let c = compare(&ps, &book, "CIO", "CTO", Some("SECURITY")).expect("security");
    assert_eq!(c.rows.len(), 1);
    assert_eq!(c.rows[0].aspect, "Security and risk");
    assert!(!cell(&c.rows[0], "CIO").is_empty() && !cell(&c.rows[0], "CTO").is_empty());
    let c = compare(&ps, &book, "CIO", "CTO", Some("reporting")).expect("reporting");
    assert_eq!(
        c.rows.iter().map(|r| r.aspect.as_str()).collect::<Vec<_>>(),
        ["Reporting line"]
    );
    let c = compare(&ps, &book, "CIO", "CTO", Some("cybersecurity")).expect("keyword");
    assert_eq!(c.rows[0].aspect, "Security and risk");
    match compare(&ps, &book, "CIO", "CTO", Some("salary")) {
        Err(Error::UnknownAspect { given, known }) => {
            assert_eq!(given, "salary");
            assert!(
                known.contains("Focus and orientation") && known.contains("Reporting line"),
                "{known}"
            );
        }
        other => panic!("expected UnknownAspect, got {other:?}"),
    }
}

#[test]
fn reversed_attribution_is_a_disagreement() {
    let ps = corpus();
    let book = RoleBook::discover(&ps);
    let c = compare(&ps, &book, "CIO", "CTO", None).expect("compare");
    let flagged: Vec<&ComparisonRow> = c.rows.iter().filter(|r| r.disagreement.is_some()).collect();
    let ops = flagged
        .iter()
        .find(|r| r.aspect == "Operations and infrastructure")
        .expect("operations disagreement");
    let d = ops.disagreement.as_ref().expect("disagreement");
    assert!(d.summary.contains("operations"), "{}", d.summary);
    assert!(
        d.summary.contains("on the CIO") && d.summary.contains("on the CTO"),
        "{}",
        d.summary
    );
    let cto = &d.sides["CTO"];
    assert_eq!(cto.len(), 1);
    assert_eq!(cto[0].doc, "d");
    assert!(cto[0].text.contains("operation of these systems"));
    assert!(d.sides["CIO"].iter().all(|q| q.doc != "d"));
    assert!(d.sides["CIO"].len() >= 2);
}

#[test]
fn no_disagreement_when_sources_agree() {
    let ps: Vec<Passage> = corpus().into_iter().filter(|p| p.doc_id != "d").collect();
    let book = RoleBook::discover(&ps);
    let c = compare(&ps, &book, "CIO", "CTO", None).expect("compare");
    let flagged: Vec<(&str, &str)> = c
        .rows
        .iter()
        .filter_map(|r| {
            r.disagreement
                .as_ref()
                .map(|d| (r.aspect.as_str(), d.summary.as_str()))
        })
        .collect();
    assert!(flagged.is_empty(), "{flagged:?}");
}

#[test]
fn aspects_lists_aspects_with_evidence() {
    let ps = corpus();
    let book = RoleBook::discover(&ps);
    let a = aspects(&ps, &book);
    for name in [
        "Focus and orientation",
        "Reporting line",
        "Team led",
        "Security and risk",
    ] {
        assert!(a.iter().any(|x| x == name), "{name} missing from {a:?}");
    }
    assert!(!a.iter().any(|x| x == "Talent and skills"), "{a:?}");
    assert!(aspects(&[], &book).is_empty());
}

#[test]
fn a_document_on_both_sides_of_a_claim_takes_no_side() {
    // Document "d" also says the CIO runs operations (in a paragraph naming only
    // the CIO, without a quotable subject): it no longer reverses the others.
    let mut ps = corpus();
    ps.push(passage(
        "d",
        9,
        "Everything hinges on the CIO here. Day-to-day operations are always in the hands of this office.",
    ));
    let book = RoleBook::discover(&ps);
    let c = compare(&ps, &book, "CIO", "CTO", None).expect("compare");
    let ops = row(&c, "Operations and infrastructure");
    assert!(ops.disagreement.is_none(), "{:?}", ops.disagreement);
}
