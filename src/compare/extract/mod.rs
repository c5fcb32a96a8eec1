//! Evidence extraction: verbatim quotes about one role, with the aspect they speak to.
//!
//! Sources of evidence, most reliable first:
//! - table rows whose header names roles ("| Dimension | CIO | CTO |"): each role
//!   column's cell is a quote about that role, the row's label is the aspect;
//! - role-labelled items ("CIO: Primarily internal, …"): the text after the label,
//!   aspect from the section heading or lead-in;
//! - contrastive sentences naming two roles ("the CIO looks inward and the CTO
//!   looks outward", "…; the CTO …", "…, while the CTO …"): split into one clause
//!   per role at the delimiter before the second role;
//! - items of a list (rows of a table) whose lead-in names a single role;
//! - single-role statements whose subject is a role and that fit an aspect.
//!
//! Every quote is a verbatim substring of the passage text or a table cell.

mod clauses;
mod items;
mod table;
#[cfg(test)]
mod tests;

use clauses::*;
use items::*;
use table::*;

use super::taxonomy::{self, ASPECTS};
use crate::model::Passage;
use crate::roles::RoleBook;
use crate::text::{ceil_char_boundary, floor_char_boundary, Folded};
use std::ops::Range;

/// Where a quote came from; lower is more reliable (and preferred in cells).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    TableCell,
    LabelledItem,
    Contrast,
    RoleListItem,
    RoleTableRow,
    Statement,
}

/// One verbatim quote about one role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// Role key ("cio").
    pub role: String,
    /// Aspect display name, when the quote fits one.
    pub aspect: Option<String>,
    /// Verbatim quote.
    pub text: String,
    /// Index of the passage in the slice given to [`extract`].
    pub passage: usize,
    pub source: Source,
    /// Claims (indices into [`taxonomy::CLAIMS`]) the quote makes about the role.
    pub claims: Vec<usize>,
}

/// Longest quote kept whole; longer sentences are cut at a clause boundary.
const MAX_QUOTE_CHARS: usize = 280;
/// Smallest keyword score for a single-role statement to count for an aspect.
const STATEMENT_MIN_SCORE: usize = 2;
/// Words allowed between a split delimiter and the role mention it introduces
/// ("…, and in some cases the CIO …").
const MAX_WORDS_BEFORE_ROLE: usize = 4;

const PREPOSITIONS: &[&str] = &[
    "of", "to", "for", "with", "by", "from", "than", "about", "between", "on", "at", "in", "into",
    "like", "under", "over", "among", "within", "toward", "towards", "via", "behind", "versus",
    "vs", "unlike", "beside", "besides", "through",
];
const DETERMINERS: &[&str] = &[
    "the", "a", "an", "both", "each", "every", "its", "their", "our", "your", "this", "that",
    "his", "her", "any", "many", "most", "some",
];
/// Words that may join two role names into one noun phrase ("the CIO and the CTO").
const JOINERS: &[&str] = &[
    "and", "or", "nor", "vs", "versus", "the", "a", "an", "both", "either",
];
/// Split delimiters, tried in this order at each position.
const DELIMITERS: &[&str] = &[
    ", while ",
    " while ",
    ", whereas ",
    " whereas ",
    ", but ",
    " but ",
    "; ",
    ", and ",
    " and ",
    ": ",
    " — ",
    " – ",
    ", ",
];
const ABBREVIATIONS: &[&str] = &[
    "vs", "e.g", "i.e", "etc", "mr", "mrs", "ms", "dr", "inc", "no", "approx", "cf", "st", "jr",
    "sr", "co", "ltd",
];

/// Extract every piece of evidence the passages hold about any role of the book.
pub fn extract(passages: &[Passage], book: &RoleBook) -> Vec<Evidence> {
    let mut out = Vec::new();
    for (pi, p) in passages.iter().enumerate() {
        if let Some(t) = &p.table {
            table_evidence(pi, p, &t.headers, &t.cells, book, &mut out);
            continue;
        }
        if labelled_evidence(pi, p, book, &mut out) {
            continue;
        }
        if role_list_item(pi, p, book, &mut out) {
            continue;
        }
        let first = out.len();
        sentence_evidence(pi, &p.text, book, &mut out);
        // A statement opening with a contrast marker ("The CTO, by contrast, …")
        // answers the closest earlier statement about another role in the same
        // or the previous passage of the document.
        for i in first..out.len() {
            if out[i].source != Source::Statement || !opens_contrast(&out[i].text) {
                continue;
            }
            let partner = (0..i).rev().take_while(|&j| {
                let q = &passages[out[j].passage];
                q.doc_id == p.doc_id && (out[j].passage == pi || out[j].passage + 1 == pi)
            });
            let partner = partner
                .filter(|&j| out[j].source == Source::Statement)
                .find(|&j| out[j].role != out[i].role);
            if let Some(j) = partner {
                pair_as_contrast(&mut out, j, i, book);
            }
        }
        // Parallel statements in one passage ("For the CTO, … For the CIO, …").
        for i in (first + 1)..out.len() {
            let (a, b) = (&out[i - 1], &out[i]);
            if a.source == Source::Statement
                && b.source == Source::Statement
                && a.role != b.role
                && opening(&a.text, 2) == opening(&b.text, 2)
            {
                pair_as_contrast(&mut out, i - 1, i, book);
            }
        }
    }
    out
}

/// Markers of a contrast with what was said before.
const CONTRAST_MARKERS: &[&str] = &[
    "by contrast",
    "in contrast",
    "on the other hand",
    "conversely",
    "unlike",
];

/// Does the statement open (within its first clause) with a contrast marker?
fn opens_contrast(text: &str) -> bool {
    let head: String = text.chars().take(60).collect::<String>().to_lowercase();
    CONTRAST_MARKERS.iter().any(|m| head.contains(m))
}

/// First `n` words, lower-case, without the role ("for the …").
fn opening(text: &str, n: usize) -> Vec<String> {
    text.split_whitespace()
        .take(n)
        .map(str::to_lowercase)
        .collect()
}

/// Two statements about different roles answer each other: one aspect for both.
fn pair_as_contrast(out: &mut [Evidence], a: usize, b: usize, book: &RoleBook) {
    let joined = format!("{} {}", out[a].text, out[b].text);
    let aspect = text_aspect(&joined, book, STATEMENT_MIN_SCORE);
    for k in [a, b] {
        out[k].source = Source::Contrast;
        out[k].aspect = aspect.clone();
    }
}

/// Claims a passage makes about the only role it mentions (or its lead-in names),
/// including sentences that name no role ("This includes … cybersecurity …").
/// Used to tell which documents take a side on a claim, never as quotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicClaim {
    pub role: String,
    pub passage: usize,
    pub claim: usize,
}

pub fn topic_claims(passages: &[Passage], book: &RoleBook) -> Vec<TopicClaim> {
    let mut out = Vec::new();
    for (pi, p) in passages.iter().enumerate() {
        let mut roles = book.roles_in(&p.text);
        if roles.is_empty() {
            if let Some(ctx) = &p.context {
                roles = book.roles_in(ctx);
            }
        }
        let [role] = roles.as_slice() else { continue };
        for claim in claims_of(&p.text, book) {
            out.push(TopicClaim {
                role: role.to_string(),
                passage: pi,
                claim,
            });
        }
    }
    out
}

/// Text with role mentions blanked, so role names do not count as aspect keywords
/// or claims. Capitalised words right before a mention are blanked too: they name
/// a kind of the role ("the Infrastructure and Operations CTO"), not a claim.
fn masked(text: &str, book: &RoleBook) -> String {
    let mut s = text.to_string();
    for (_, r) in book.mentions(text) {
        let start = modifier_start(text, r.start);
        s.replace_range(start..r.end, &" ".repeat(r.end - start));
    }
    s
}

/// Start of the run of capitalised words (joined by "and"/"&") ending right
/// before `at`, or `at` when there is none.
fn modifier_start(text: &str, at: usize) -> usize {
    let mut start = at;
    let mut cursor = at;
    loop {
        let before = &text[..cursor];
        let trimmed = before.trim_end();
        if trimmed.len() == before.len() && cursor != at {
            break; // words must be separated by whitespace
        }
        let word_start = trimmed
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_alphanumeric() || *c == '-')
            .last()
            .map_or(trimmed.len(), |(i, _)| i);
        let word = &trimmed[word_start..];
        if word.is_empty() {
            break;
        }
        let capitalised = word.chars().next().is_some_and(char::is_uppercase);
        let joiner = matches!(word, "and" | "&");
        if capitalised {
            start = word_start;
        } else if !joiner {
            break;
        }
        cursor = word_start;
    }
    start
}

fn claims_of(text: &str, book: &RoleBook) -> Vec<usize> {
    taxonomy::claims(&masked(text, book))
}

/// Aspect named by a label (table row label, heading, lead-in): the best taxonomy
/// aspect, else — when `custom` — the label itself as a new aspect.
fn label_aspect(label: &str, book: &RoleBook, custom: bool) -> Option<String> {
    let scores = taxonomy::aspect_scores(&masked(label, book));
    if let Some((i, _)) = taxonomy::best_aspect(&scores) {
        return Some(ASPECTS[i].name.to_string());
    }
    let label = label.trim().trim_end_matches(':').trim();
    if custom && !label.is_empty() && label.split_whitespace().count() <= 6 {
        let mut c = label.chars();
        return c
            .next()
            .map(|f| f.to_uppercase().collect::<String>() + c.as_str());
    }
    None
}

/// Aspect of a quote by its own keywords, if it scores at least `min`.
fn text_aspect(text: &str, book: &RoleBook, min: usize) -> Option<String> {
    let scores = taxonomy::aspect_scores(&masked(text, book));
    taxonomy::best_aspect(&scores)
        .filter(|&(_, s)| s >= min)
        .map(|(i, _)| ASPECTS[i].name.to_string())
}

fn is_empty_cell(c: &str) -> bool {
    let t = c.trim();
    t.is_empty() || matches!(t, "-" | "—" | "–" | "n/a" | "N/A")
}
