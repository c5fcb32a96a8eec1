//! Terminal rendering of core results (plain text; JSON is serde).

use crate::eval::Report;
use crate::model::{Answer, IndexReport};
use crate::search::snippet::emphasise;

/// Numbered passages, query terms emphasised, each with its citation.
pub fn answer(a: &Answer, full: bool, color: bool) -> String {
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
    if a.total > a.results.len() {
        out.push_str(&format!(
            "({} more results; use --top N)\n",
            a.total - a.results.len()
        ));
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
    out
}
