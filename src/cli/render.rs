//! Terminal rendering of core results (plain text; JSON is serde).

use crate::eval::Report;
use crate::model::{Answer, IndexReport, SourceChange};
use crate::search::snippet::emphasise;

/// Where a page of results sits, for the footer that points to the next one.
#[derive(Debug, Clone, Copy)]
pub struct Paging {
    /// From 1.
    pub page: usize,
    /// Results per page.
    pub top: usize,
    /// The largest `--top` allowed.
    pub max_top: usize,
}

/// Numbered passages, query terms emphasised, each with its citation; a
/// footer naming the next page when there are more results.
pub fn answer(a: &Answer, full: bool, color: bool, paging: Paging) -> String {
    let (open, close) = if color {
        ("\x1b[1m", "\x1b[0m")
    } else {
        ("*", "*")
    };
    let mut out = String::new();
    if a.no_answer {
        out.push_str("No answer in the corpus for this question.\n");
        if let Some(s) = &a.suggestion {
            out.push_str(s);
            out.push('\n');
        }
        return out;
    }
    if let Some(v) = &a.verdict {
        out.push_str(&format!("{}\n\n", v.summary));
    }
    for h in &a.results {
        let body = if full || h.best.is_empty() {
            h.text.clone()
        } else {
            emphasise(&h.best, &h.highlights, open, close)
        };
        let mut body = match &h.context {
            Some(lead) => format!("{lead}\n• {body}"),
            None => body,
        };
        for item in &h.items {
            body.push_str(&format!("\n• {item}"));
        }
        if h.more_items > 0 {
            body.push_str(&format!("\n• … ({} more)", h.more_items));
        }
        out.push_str(&format!(
            "{}. {}\n   — {}",
            h.rank,
            body.replace('\n', "\n   "),
            h.citation
        ));
        if let Some(u) = &h.url {
            out.push_str(&format!(" <{u}>"));
        }
        out.push_str("\n\n");
    }
    let shown_to = a.results.last().map_or(0, |h| h.rank);
    if a.total > shown_to {
        let first = a.results.first().map_or(0, |h| h.rank);
        let mut footer = format!(
            "(results {first}–{shown_to} of {}; next page: --page {}",
            a.total,
            paging.page + 1
        );
        if paging.top < paging.max_top {
            footer.push_str(&format!(
                "; more per page: --top N, up to {}",
                paging.max_top
            ));
        }
        out.push_str(&footer);
        out.push_str(")\n");
    }
    out
}

/// What `sources add|remove` did, and the rebuild after it.
pub fn source_change(c: &SourceChange) -> String {
    let mut out = match c.action.as_str() {
        "added" => format!(
            "Added '{}' ({}; {} passages on its own).\n",
            c.id,
            c.files.join(", "),
            c.passages
        ),
        _ => format!("Removed '{}' ({}).\n", c.id, c.files.join(", ")),
    };
    if let Some(t) = &c.titled {
        out.push_str(&format!("It had no front matter: titled \"{t}\".\n"));
    }
    if !c.kept.is_empty() {
        out.push_str(&format!(
            "Kept (move back to restore): {}.\n",
            c.kept.join(", ")
        ));
    }
    if let Some(r) = &c.skipped_reason {
        out.push_str(&format!("The rebuild skipped the new file: {r}.\n"));
    }
    match (&c.rebuild, &c.rebuild_error) {
        (Some(report), _) => out.push_str(&index_report(report, false)),
        (None, Some(e)) => out.push_str(&format!(
            "Not rebuilt yet ({e}); the next rebuild takes the change in.\n"
        )),
        (None, None) => {}
    }
    out
}

pub fn index_report(r: &IndexReport, verbose: bool) -> String {
    let mut out = format!(
        "Indexed {} documents, {} passages in {} ms{}.\n",
        r.documents,
        r.passages,
        r.elapsed_ms,
        if r.embeddings {
            " (with embeddings)"
        } else {
            " (lexical only)"
        }
    );
    let list = |v: &Vec<String>| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    out.push_str(&format!(
        "Added: {}. Removed: {}. Changed: {}.\n",
        list(&r.added),
        list(&r.removed),
        list(&r.changed)
    ));
    if r.embeddings {
        let v = &r.vectors;
        out.push_str(&format!(
            "Vectors: {} passages embedded, {} reused; {} sentences embedded, {} reused; \
             {} words embedded, {} reused.\n",
            v.passages_embedded,
            v.passages_reused,
            v.sentences_embedded,
            v.sentences_reused,
            v.words_embedded,
            v.words_reused
        ));
    }
    for s in &r.skipped {
        out.push_str(&format!("skipped {}: {}\n", s.path, s.reason));
    }
    out.push_str(&format!(
        "Dropped {} lines of web-page debris",
        r.dropped.len()
    ));
    if verbose {
        out.push_str(":\n");
        for d in &r.dropped {
            out.push_str(&format!("  [{}] {}: {}\n", d.rule, d.doc, d.line));
        }
    } else {
        out.push_str(" (--verbose lists them).\n");
    }
    out
}

pub fn eval_report(r: &Report) -> String {
    let mut out = String::new();
    for q in &r.results {
        out.push_str(&format!(
            "{:<6} {:<5} {}\n",
            q.id,
            match (q.rank, q.no_answer) {
                (Some(k), _) => format!("@{k}"),
                (None, true) => "none".into(),
                (None, false) => "miss".into(),
            },
            q.q
        ));
    }
    out.push_str(&format!(
        "\nquestions: {}  S@1: {:.3}  S@3: {:.3}  MRR@5: {:.3}\n",
        r.questions, r.s_at_1, r.s_at_3, r.mrr_at_5
    ));
    let (a, u) = (&r.answerable, &r.unanswerable);
    if a.questions > 0 && u.questions > 0 {
        out.push_str(&format!(
            "answerable: {}  S@1: {:.3}  S@3: {:.3}  refused: {:.3}\n\
             unanswerable: {}  refused: {:.3}\n",
            a.questions, a.s_at_1, a.s_at_3, a.refused, u.questions, u.refused
        ));
    }
    for (kind, g) in &r.kinds {
        out.push_str(&format!(
            "  {kind:<13} {:>3}  S@1: {:.3}  S@3: {:.3}  refused: {:.3}\n",
            g.questions, g.s_at_1, g.s_at_3, g.refused
        ));
    }
    out.push_str(
        "(marks: @k = first correct passage at rank k, or an unanswerable question rightly refused; \
         none = refused; miss = answered but nothing correct in the top 5)\n",
    );
    out
}

/// A side-by-side of two roles: one block per aspect, one column per role,
/// each quote with its citation; disagreements flagged.
pub fn comparison(c: &crate::model::Comparison, width: usize) -> String {
    let col = (width.saturating_sub(3) / 2).max(20);
    let wrap = |s: &str| -> Vec<String> {
        let mut lines = Vec::new();
        let mut cur = String::new();
        for w in s.split_whitespace() {
            if !cur.is_empty() && cur.chars().count() + 1 + w.chars().count() > col {
                lines.push(std::mem::take(&mut cur));
            }
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(w);
        }
        if !cur.is_empty() {
            lines.push(cur);
        }
        lines
    };
    let pad = |s: &str| format!("{s}{}", " ".repeat(col.saturating_sub(s.chars().count())));
    let [a, b] = &c.roles;
    let mut out = format!("{} │ {}\n{}\n", pad(a), b, "─".repeat(col * 2 + 3));
    for row in &c.rows {
        out.push_str(&format!("\n▸ {}\n", row.aspect));
        let side = |role: &str| -> Vec<String> {
            row.cells
                .get(role)
                .map(|qs| {
                    qs.iter()
                        .flat_map(|q| {
                            let mut l = wrap(&format!("“{}”", q.text));
                            l.extend(wrap(&format!("  — {}", q.citation)));
                            l
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let (la, lb) = (side(a), side(b));
        for i in 0..la.len().max(lb.len()) {
            let l = la.get(i).map(String::as_str).unwrap_or("");
            let r = lb.get(i).map(String::as_str).unwrap_or("");
            out.push_str(&format!("{} │ {}\n", pad(l), r));
        }
        if let Some(d) = &row.disagreement {
            out.push_str(&format!("  ⚠ sources disagree: {}\n", d.summary));
        }
    }
    // A role the corpus mentions but never says anything comparable about
    // would be an empty column without a word.
    for role in [a, b] {
        let quoted = c
            .rows
            .iter()
            .any(|r| r.cells.get(role).is_some_and(|q| !q.is_empty()));
        if !quoted {
            out.push_str(&format!(
                "\nThe corpus has no statement about the {role} that fits an aspect{}.\n",
                if c.rows.is_empty() { "" } else { " shown here" }
            ));
        }
    }
    out
}

/// `rolefaq gaps`: the period's figures, the answer rate per week, then the
/// groups of missed questions, largest first.
pub fn gaps(r: &crate::model::GapsReport) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Last {} days: {} questions, {} answered ({:.0} %); votes 👍 {} 👎 {}",
        r.days,
        r.questions,
        r.answered,
        r.answer_rate * 100.0,
        r.votes_up,
        r.votes_down
    );
    if r.questions == 0 {
        s.push_str(
            "Nothing recorded yet: questions are recorded as the bot answers them \
             (or with `rolefaq ask --record`), unless store.enabled is false.\n",
        );
        return s;
    }
    if !r.weeks.is_empty() {
        s.push_str("\nweek       questions  answered\n");
        for w in &r.weeks {
            let _ = writeln!(
                s,
                "{:<10} {:>9}  {:>7.0} %",
                w.week,
                w.questions,
                w.rate * 100.0
            );
        }
    }
    if r.groups.is_empty() {
        s.push_str("\nNo gaps: every question was answered and none was voted down.\n");
        return s;
    }
    let _ = writeln!(
        s,
        "\n{} groups of missed questions (grouped by {}):",
        r.groups.len(),
        if r.grouping == "embedding" {
            "meaning"
        } else {
            "shared words"
        }
    );
    for (i, g) in r.groups.iter().enumerate() {
        let _ = writeln!(
            s,
            "\n{}. {} questions from {} askers ({} unanswered, {} 👎)",
            i + 1,
            g.count,
            g.askers,
            g.unanswered,
            g.down_votes
        );
        for q in &g.questions {
            let _ = writeln!(s, "   \"{q}\"");
        }
        for c in &g.comments {
            let _ = writeln!(s, "   looking for: {c}");
        }
        for p in &g.passages {
            let _ = writeln!(
                s,
                "   offered {}× {}",
                p.times,
                p.citation.as_deref().unwrap_or(&p.id)
            );
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Comparison, ComparisonRow, Hit, Quote};
    use std::collections::BTreeMap;

    fn hit(rank: usize) -> Hit {
        Hit {
            rank,
            score: 1.0,
            doc: "d".into(),
            title: "D".into(),
            section: None,
            location: format!("¶{rank}"),
            text: format!("passage {rank}"),
            best: String::new(),
            context: None,
            items: Vec::new(),
            more_items: 0,
            highlights: Vec::new(),
            citation: format!("D, ¶{rank}"),
            url: None,
            passage_id: format!("d#{rank}"),
        }
    }

    #[test]
    fn the_footer_names_the_next_page_and_stays_within_max_top() {
        let a = Answer {
            query: "q".into(),
            results: vec![hit(4), hit(5), hit(6)],
            no_answer: false,
            verdict: None,
            suggestion: None,
            total: 10,
            decision: None,
        };
        let p = Paging {
            page: 2,
            top: 3,
            max_top: 25,
        };
        let out = answer(&a, true, false, p);
        assert!(
            out.ends_with(
                "(results 4–6 of 10; next page: --page 3; more per page: --top N, up to 25)\n"
            ),
            "{out}"
        );
        let p = Paging {
            page: 1,
            top: 25,
            max_top: 25,
        };
        assert!(
            !answer(&a, true, false, p).contains("--top"),
            "no --top past its maximum"
        );
        let last = Answer { total: 6, ..a };
        assert!(!answer(&last, true, false, p).contains("next page"));
    }

    #[test]
    fn a_lead_in_is_printed_with_its_items_and_how_many_more_its_list_has() {
        let mut h = hit(1);
        h.text = "CIOs commonly handle:".into();
        h.items = vec!["Security".into(), "Infrastructure".into()];
        h.more_items = 3;
        let a = Answer {
            query: "q".into(),
            results: vec![h],
            no_answer: false,
            verdict: None,
            suggestion: None,
            total: 1,
            decision: None,
        };
        let p = Paging {
            page: 1,
            top: 1,
            max_top: 25,
        };
        let out = answer(&a, true, false, p);
        assert!(
            out.starts_with(
                "1. CIOs commonly handle:\n   • Security\n   • Infrastructure\n   • … (3 more)\n   — D, ¶1"
            ),
            "{out}"
        );
    }

    #[test]
    fn a_role_without_any_quote_is_named() {
        let quote = Quote {
            text: "The CIO runs IT.".into(),
            doc: "d".into(),
            citation: "D, ¶1".into(),
            passage_id: "d#1".into(),
        };
        let c = Comparison {
            roles: ["CIO".into(), "CDO".into()],
            rows: vec![ComparisonRow {
                aspect: "Focus".into(),
                cells: BTreeMap::from([("CIO".to_string(), vec![quote])]),
                disagreement: None,
            }],
        };
        let out = comparison(&c, 110);
        assert!(out.contains("no statement about the CDO"), "{out}");
        assert!(!out.contains("about the CIO that"), "{out}");
    }

    #[test]
    fn the_index_report_says_what_was_embedded_and_reused() {
        let mut r = IndexReport {
            documents: 2,
            passages: 10,
            added: vec!["a".into()],
            removed: Vec::new(),
            changed: vec!["b".into()],
            skipped: Vec::new(),
            dropped: Vec::new(),
            elapsed_ms: 5,
            built_at: "now".into(),
            embeddings: true,
            vectors: crate::model::VectorCounts {
                passages_embedded: 3,
                passages_reused: 7,
                sentences_embedded: 4,
                sentences_reused: 9,
                words_embedded: 2,
                words_reused: 5,
            },
        };
        let out = index_report(&r, false);
        assert!(
            out.contains("Added: a. Removed: none. Changed: b."),
            "{out}"
        );
        assert!(
            out.contains(
                "Vectors: 3 passages embedded, 7 reused; 4 sentences embedded, 9 reused; \
                 2 words embedded, 5 reused."
            ),
            "{out}"
        );
        r.embeddings = false;
        assert!(!index_report(&r, false).contains("Vectors:"));
    }
}
