//! Unit tests of evidence extraction.

use super::*;
use crate::model::{PassageKind, TableRow};
use crate::roles::tests::passage;

fn book() -> RoleBook {
    RoleBook::builtin()
}

fn quotes(ev: &[Evidence], role: &str) -> Vec<String> {
    ev.iter()
        .filter(|e| e.role == role)
        .map(|e| e.text.clone())
        .collect()
}

#[test]
fn sentence_splitter_respects_abbreviations() {
    let t = "CIO vs. CTO: who leads? The CIO runs IT. The CTO builds e.g. products.\nNext line";
    let got: Vec<&str> = sentences(t).into_iter().map(|r| &t[r]).collect();
    assert_eq!(
        got,
        vec![
            "CIO vs. CTO: who leads?",
            "The CIO runs IT.",
            "The CTO builds e.g. products.",
            "Next line"
        ]
    );
}

#[test]
fn table_row_with_role_columns_gives_one_cell_per_role() {
    let mut p = passage(
        "t",
        1,
        "Primary focus — CIO: Internal IT — CTO: External products",
    );
    p.kind = PassageKind::TableRow;
    p.table = Some(TableRow {
        headers: vec!["Dimension".into(), "CIO".into(), "CTO".into()],
        cells: vec![
            "Primary focus".into(),
            "Internal IT operations".into(),
            "External product innovation".into(),
        ],
    });
    let ev = extract(&[p], &book());
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[0].role, "cio");
    assert_eq!(ev[0].text, "Internal IT operations");
    assert_eq!(ev[0].source, Source::TableCell);
    assert_eq!(ev[1].role, "cto");
    assert_eq!(ev[1].text, "External product innovation");
    assert!(ev
        .iter()
        .all(|e| e.aspect.as_deref() == Some("Focus and orientation")));
}

#[test]
fn unknown_table_label_becomes_its_own_aspect() {
    let mut p = passage("t", 1, "Budget owner — CIO: IT budget — CTO: R&D budget");
    p.table = Some(TableRow {
        headers: vec!["".into(), "CIO".into(), "CTO".into()],
        cells: vec![
            "Budget owner".into(),
            "IT budget".into(),
            "R&D budget".into(),
        ],
    });
    let ev = extract(&[p], &book());
    assert_eq!(ev[0].aspect.as_deref(), Some("Budget owner"));
}

#[test]
fn labelled_list_items_take_aspect_from_heading() {
    let mut a = passage(
        "l",
        1,
        "  • CIO: Primarily internal, focusing on improving existing systems.",
    );
    a.kind = PassageKind::ListItem;
    a.section = Some("Focus and Orientation".into());
    let mut b = passage("l", 2, "CTO: Primarily external, aiming at innovation.");
    b.kind = PassageKind::ListItem;
    b.section = Some("Focus and Orientation".into());
    let ev = extract(&[a, b], &book());
    assert_eq!(
        quotes(&ev, "cio"),
        vec!["Primarily internal, focusing on improving existing systems."]
    );
    assert_eq!(
        quotes(&ev, "cto"),
        vec!["Primarily external, aiming at innovation."]
    );
    assert!(ev.iter().all(|e| e.source == Source::LabelledItem
        && e.aspect.as_deref() == Some("Focus and orientation")));
}

#[test]
fn contrastive_sentences_split_per_role() {
    let cases = [
        (
            "The clearest way to separate them is by direction: the CIO looks inward and the CTO looks outward.",
            "the CIO looks inward",
            "the CTO looks outward.",
        ),
        (
            "The CTO evaluates and selects the technology; the CIO ensures it is deployed securely.",
            "the CIO ensures it is deployed securely.",
            "The CTO evaluates and selects the technology",
        ),
        (
            "The CIO focuses inward, optimizing internal systems, while the CTO looks outward, using technology to advance products.",
            "The CIO focuses inward, optimizing internal systems",
            "the CTO looks outward, using technology to advance products.",
        ),
        (
            "The CTO role is more technical and closer to the IT teams, whereas the CIO is closer to the business.",
            "the CIO is closer to the business.",
            "The CTO role is more technical and closer to the IT teams",
        ),
    ];
    for (text, cio, cto) in cases {
        let ev = extract(&[passage("c", 1, text)], &book());
        assert_eq!(quotes(&ev, "cio"), vec![cio.to_string()], "{text}");
        assert_eq!(quotes(&ev, "cto"), vec![cto.to_string()], "{text}");
        assert!(ev.iter().all(|e| e.source == Source::Contrast));
        assert!(ev.iter().all(|e| text.contains(&e.text)));
        // Both halves land in the same row.
        assert_eq!(ev[0].aspect, ev[1].aspect, "{text}");
    }
}

#[test]
fn joint_subjects_are_not_split_or_attributed() {
    let ev = extract(
        &[
            passage("j", 1, "The CIO and CTO are often confused because both deal with technology."),
            passage("j", 2, "The CIO (Chief Information Officer) and CTO (Chief Technology Officer) are both executives."),
            passage("j", 3, "Supporting both CIOs and CTOs in driving adoption is a core use case."),
        ],
        &book(),
    );
    assert!(ev.is_empty(), "{ev:?}");
}

#[test]
fn colon_preamble_before_joint_subject_is_dropped() {
    let t = "The CIO (Chief Information Officer) and CTO (Chief Technology Officer) are both technology executives, but they own different mandates: the CIO focuses inward on IT operations, while the CTO focuses outward on product innovation.";
    let ev = extract(&[passage("p", 1, t)], &book());
    assert_eq!(
        quotes(&ev, "cio"),
        vec!["the CIO focuses inward on IT operations"]
    );
    assert_eq!(
        quotes(&ev, "cto"),
        vec!["the CTO focuses outward on product innovation."]
    );
}

#[test]
fn single_role_statements_need_a_subject_and_an_aspect() {
    let ev = extract(
        &[
            passage(
                "s",
                1,
                "The CIO oversees cybersecurity, compliance and risk management.",
            ),
            passage(
                "s",
                2,
                "Budgets were approved by the CIO last year in several firms.",
            ),
            passage(
                "s",
                3,
                "The CTO had lunch with friends yesterday afternoon.",
            ),
            passage(
                "s",
                4,
                "For the CTO, consider metrics such as time to market and platform scalability.",
            ),
        ],
        &book(),
    );
    let with_aspect: Vec<(&str, &str)> = ev
        .iter()
        .filter_map(|e| e.aspect.as_deref().map(|a| (e.role.as_str(), a)))
        .collect();
    assert_eq!(
        with_aspect,
        vec![("cio", "Security and risk"), ("cto", "Success metrics")]
    );
    assert!(ev.iter().all(|e| e.source == Source::Statement));
    assert!(!ev.iter().any(|e| e.text.starts_with("Budgets")));
}

#[test]
fn object_mentions_stay_with_the_subject() {
    let t = "In technology-product companies, the CTO may hold broader authority, and in some cases the CIO reports to the CTO.";
    let ev = extract(&[passage("r", 1, t)], &book());
    assert_eq!(
        quotes(&ev, "cto"),
        vec!["In technology-product companies, the CTO may hold broader authority"]
    );
    assert_eq!(
        quotes(&ev, "cio"),
        vec!["in some cases the CIO reports to the CTO."]
    );
}

#[test]
fn list_items_under_a_single_role_lead_in() {
    let mut a = passage("i", 1, "Overseeing information security");
    a.kind = PassageKind::ListItem;
    a.context = Some("CIOs commonly handle responsibilities such as:".into());
    let mut b = passage("i", 2, "Leading product development and innovation");
    b.kind = PassageKind::ListItem;
    b.context = Some("Both the CIO and the CTO do:".into());
    let ev = extract(&[a, b], &book());
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].role, "cio");
    assert_eq!(ev[0].source, Source::RoleListItem);
    assert_eq!(ev[0].aspect.as_deref(), Some("Security and risk"));
}

#[test]
fn long_sentences_are_cut_at_a_clause_boundary_verbatim() {
    let t = format!(
        "The CIO oversees security, {} and more.",
        "compliance and regulatory reporting across every business unit, ".repeat(8)
    );
    let ev = extract(&[passage("x", 1, &t)], &book());
    assert_eq!(ev.len(), 1);
    assert!(ev[0].text.len() <= MAX_QUOTE_CHARS);
    assert!(t.contains(&ev[0].text));
    assert!(ev[0].text.starts_with("The CIO oversees security"));
}

#[test]
fn by_contrast_statement_pairs_with_the_previous_role_statement() {
    let ps = vec![
        passage(
            "k",
            1,
            "The CTO builds products and drives innovation for customers.",
        ),
        passage(
            "k",
            2,
            "The CIO, by contrast, runs the internal systems and infrastructure.",
        ),
    ];
    let ev = extract(&ps, &book());
    assert_eq!(ev.len(), 2);
    assert!(ev.iter().all(|e| e.source == Source::Contrast), "{ev:?}");
    assert_eq!(ev[0].aspect, ev[1].aspect);
    assert!(ev[0].aspect.is_some());
}

#[test]
fn parallel_openers_pair_as_contrast() {
    let t = "For the CTO, consider metrics such as time to market. For the CIO, focus on service reliability and data quality.";
    let ev = extract(&[passage("m", 1, t)], &book());
    assert_eq!(ev.len(), 2);
    assert!(ev.iter().all(|e| e.source == Source::Contrast));
    assert_eq!(ev[0].aspect.as_deref(), Some("Success metrics"));
    assert_eq!(ev[1].aspect.as_deref(), Some("Success metrics"));
}

#[test]
fn role_type_names_make_no_claims() {
    let b = book();
    let ops = taxonomy::CLAIMS
        .iter()
        .position(|c| c.name == "operations")
        .expect("operations claim");
    assert!(!claims_of(
        "the Infrastructure and Operations CTO focuses on uptime",
        &b
    )
    .contains(&ops));
    assert!(claims_of("the CTO runs operations", &b).contains(&ops));
}

#[test]
fn topic_claims_cover_sentences_without_the_role_name() {
    let ps = vec![
        passage(
            "t",
            1,
            "The CIO concentrates on the machinery. This includes cybersecurity.",
        ),
        passage("t", 2, "The CIO and the CTO both care about security."),
    ];
    let tc = topic_claims(&ps, &book());
    let sec = taxonomy::CLAIMS
        .iter()
        .position(|c| c.name == "security")
        .expect("security claim");
    assert!(tc
        .iter()
        .any(|t| t.role == "cio" && t.passage == 0 && t.claim == sec));
    assert!(
        tc.iter().all(|t| t.passage == 0),
        "two-role passages have no topic"
    );
}
