//! Blocks → citable passages: paragraphs (split at sentence boundaries when
//! long), list items with their lead-in sentence, table rows with their header.

use super::blocks::Block;
use super::Document;
use crate::model::{Passage, PassageKind, TableRow};
use unicode_segmentation::UnicodeSegmentation;

/// Sentences of `text`, verbatim (each keeps its trailing space, so the parts
/// concatenate back to `text`).
pub fn sentences(text: &str) -> Vec<&str> {
    text.split_sentence_bounds().collect()
}

/// [`sentences`] with the byte offset of each in `text`.
pub fn sentence_spans(text: &str) -> Vec<(usize, &str)> {
    text.split_sentence_bound_indices().collect()
}

/// Group sentences greedily into parts of at most `max` characters; a single
/// sentence longer than `max` stays whole (a passage is never cut mid-sentence).
pub fn group_sentences(text: &str, max: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    for s in sentences(text) {
        if !current.is_empty() && current.chars().count() + s.trim_end().chars().count() > max {
            parts.push(current.trim_end().to_string());
            current.clear();
        }
        current.push_str(s);
    }
    if !current.trim().is_empty() {
        parts.push(current.trim_end().to_string());
    }
    parts
}

/// The last sentence of a paragraph that introduces a list or table ("…include:").
fn lead_in(block: Option<&Block>) -> Option<String> {
    match block {
        Some(Block::Paragraph(t)) if t.trim_end().ends_with(':') => {
            sentences(t).last().map(|s| s.trim().to_string())
        }
        _ => None,
    }
}

/// The list items or table rows that paragraph `i` leads in to: the
/// passages right after it, of its document, carrying its closing sentence
/// as their context (empty for any other passage).
pub fn list_after(passages: &[Passage], i: usize) -> std::ops::Range<usize> {
    let start = i + 1;
    let Some(p) = passages.get(i).filter(|p| p.kind == PassageKind::Paragraph) else {
        return start..start;
    };
    let text = p.text.trim_end();
    let end = passages
        .get(start..)
        .unwrap_or_default()
        .iter()
        .take_while(|n| {
            n.kind != PassageKind::Paragraph
                && n.doc_id == p.doc_id
                && n.context
                    .as_deref()
                    .is_some_and(|c| !c.is_empty() && text.ends_with(c))
        })
        .count();
    start..start + end
}

/// Render a table row as pipe lines, header first: `| A | B |\n| x | y |`.
pub fn table_row_text(headers: &[String], cells: &[String]) -> String {
    let line = |v: &[String]| format!("| {} |", v.join(" | "));
    format!("{}\n{}", line(headers), line(cells))
}

/// A table row labelled by its header: "Primary focus — CIO: … — CTO: …".
pub fn table_row_labelled(row: &TableRow) -> String {
    let mut out = row.cells.first().cloned().unwrap_or_default();
    for (h, c) in row.headers.iter().zip(&row.cells).skip(1) {
        out.push_str(&format!(" — {h}: {c}"));
    }
    out
}

pub fn passages(doc: &Document, blocks: &[Block], max_chars: usize) -> Vec<Passage> {
    let mut out = Vec::new();
    let mut section: Option<String> = None;
    let mut number = 0u32;
    // formats with pages start on page 1; `Block::Page` moves on and restarts the count
    let mut page: Option<u32> = (doc.format == super::Format::Pdf).then_some(1);
    let base = |number: u32,
                part: u32,
                kind,
                text: String,
                section: &Option<String>,
                page: Option<u32>| Passage {
        id: match (page, part > 1 || kind != PassageKind::Paragraph) {
            (None, true) => format!("{}#{}.{}", doc.id, number, part),
            (None, false) => format!("{}#{}", doc.id, number),
            (Some(pg), true) => format!("{}#p{}.{}.{}", doc.id, pg, number, part),
            (Some(pg), false) => format!("{}#p{}.{}", doc.id, pg, number),
        },
        doc_id: doc.id.clone(),
        doc_title: doc.title.clone(),
        section: section.clone(),
        paragraph: number,
        part,
        kind,
        text,
        context: None,
        table: None,
        url: doc.url.clone(),
        page,
    };
    for (i, block) in blocks.iter().enumerate() {
        // the block before, across a page break
        let prev = blocks[..i]
            .iter()
            .rev()
            .find(|b| !matches!(b, Block::Page(_)));
        match block {
            Block::Page(n) => {
                page = Some(*n);
                number = 0;
            }
            Block::Heading(h) => section = Some(h.clone()),
            Block::Paragraph(t) => {
                number += 1;
                for (k, part) in group_sentences(t, max_chars).into_iter().enumerate() {
                    out.push(base(
                        number,
                        k as u32 + 1,
                        PassageKind::Paragraph,
                        part,
                        &section,
                        page,
                    ));
                }
            }
            Block::List(items) => {
                number += 1;
                let lead = lead_in(prev);
                for (k, item) in items.iter().enumerate() {
                    let mut p = base(
                        number,
                        k as u32 + 1,
                        PassageKind::ListItem,
                        item.clone(),
                        &section,
                        page,
                    );
                    p.context = lead.clone();
                    out.push(p);
                }
            }
            Block::Table { headers, rows } => {
                number += 1;
                let lead = lead_in(prev);
                for (k, cells) in rows.iter().enumerate() {
                    if cells.iter().all(|c| c.is_empty()) {
                        continue;
                    }
                    let text = table_row_text(headers, cells);
                    let mut p = base(
                        number,
                        k as u32 + 1,
                        PassageKind::TableRow,
                        text,
                        &section,
                        page,
                    );
                    p.context = lead.clone();
                    p.table = Some(TableRow {
                        headers: headers.clone(),
                        cells: cells.clone(),
                    });
                    out.push(p);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Document {
        Document {
            id: "d".into(),
            title: "T".into(),
            url: None,
            author: None,
            published: None,
            path: "d.txt".into(),
            format: super::super::Format::Text,
        }
    }

    #[test]
    fn long_paragraphs_split_at_sentences() {
        let text = "One two three. Four five six. Seven eight nine.";
        let parts = group_sentences(text, 20);
        assert_eq!(
            parts,
            vec!["One two three.", "Four five six.", "Seven eight nine."]
        );
        assert_eq!(group_sentences(text, 1000), vec![text]);
        // a sentence longer than the cap stays whole
        assert_eq!(
            group_sentences("A very long sentence indeed.", 5),
            vec!["A very long sentence indeed."]
        );
    }

    #[test]
    fn list_items_keep_lead_and_tables_keep_header() {
        let blocks = vec![
            Block::Heading("Roles".into()),
            Block::Paragraph("Intro sentence. CIOs commonly handle:".into()),
            Block::List(vec!["Security".into(), "Infrastructure".into()]),
            Block::Table {
                headers: vec!["Dimension".into(), "CIO".into(), "CTO".into()],
                rows: vec![vec![
                    "Primary focus".into(),
                    "Internal".into(),
                    "External".into(),
                ]],
            },
        ];
        let ps = passages(&doc(), &blocks, 900);
        assert_eq!(ps.len(), 4);
        assert_eq!(ps[1].text, "Security");
        assert_eq!(ps[1].context.as_deref(), Some("CIOs commonly handle:"));
        assert_eq!(ps[1].section.as_deref(), Some("Roles"));
        assert_eq!(ps[1].id, "d#2.1");
        assert_eq!(
            ps[3].text,
            "| Dimension | CIO | CTO |\n| Primary focus | Internal | External |"
        );
        let row = ps[3].table.as_ref().unwrap();
        assert_eq!(
            table_row_labelled(row),
            "Primary focus — CIO: Internal — CTO: External"
        );
        assert_eq!(ps[3].citation(), "T › Roles, ¶3.1");
    }

    #[test]
    fn a_paragraph_ending_in_a_lead_in_has_its_list_after_it_and_no_other_passage_has_one() {
        let blocks = vec![
            Block::Paragraph("Intro sentence. CIOs commonly handle:".into()),
            Block::List(vec!["Security".into(), "Infrastructure".into()]),
            Block::Paragraph("A paragraph with no list.".into()),
            Block::Paragraph("Rows below:".into()),
            Block::Table {
                headers: vec!["Dimension".into(), "CIO".into()],
                rows: vec![vec!["Focus".into(), "Internal".into()]],
            },
            Block::List(vec!["A list led in by nothing".into()]),
        ];
        let ps = passages(&doc(), &blocks, 900);
        assert_eq!(ps.len(), 7);
        assert_eq!(list_after(&ps, 0), 1..3);
        assert_eq!(list_after(&ps, 4), 5..6, "a table's rows after its lead-in");
        for i in [1, 2, 3, 5, 6, 7, 100] {
            assert!(list_after(&ps, i).is_empty(), "passage {i}");
        }
        // the list ends where the document does
        let mut other = ps[..2].to_vec();
        other.push(Passage {
            doc_id: "e".into(),
            ..ps[2].clone()
        });
        assert_eq!(list_after(&other, 0), 1..2);
    }
}
