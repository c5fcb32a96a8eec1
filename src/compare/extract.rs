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

fn table_evidence(
    pi: usize,
    p: &Passage,
    headers: &[String],
    cells: &[String],
    book: &RoleBook,
    out: &mut Vec<Evidence>,
) {
    let role_cols: Vec<(usize, String)> = headers
        .iter()
        .enumerate()
        .filter_map(|(i, h)| match book.roles_in(h).as_slice() {
            [one] => Some((i, one.to_string())),
            _ => None,
        })
        .collect();
    if !role_cols.is_empty() {
        let label = (0..cells.len())
            .find(|i| !role_cols.iter().any(|(c, _)| c == i))
            .and_then(|i| cells.get(i))
            .map(String::as_str)
            .unwrap_or("");
        let aspect = label_aspect(label, book, true);
        for (col, role) in role_cols {
            let Some(cell) = cells.get(col) else { continue };
            if is_empty_cell(cell) {
                continue;
            }
            out.push(Evidence {
                role,
                aspect: aspect.clone(),
                text: cell.trim().to_string(),
                passage: pi,
                source: Source::TableCell,
                claims: claims_of(cell, book),
            });
        }
        return;
    }
    // A table about one role, as its lead-in says ("CIOs evaluate IT effectiveness …").
    let Some(role) = single_role_lead_in(p, book) else {
        return;
    };
    let label = format!(
        "{} {}",
        headers.join(" "),
        p.context.as_deref().unwrap_or("")
    );
    let aspect =
        label_aspect(&label, book, false).or_else(|| text_aspect(&cells.join(" "), book, 1));
    let Some(text) = row_quote(&p.text, cells) else {
        return;
    };
    out.push(Evidence {
        role,
        aspect,
        text: text.to_string(),
        passage: pi,
        source: Source::RoleTableRow,
        claims: claims_of(text, book),
    });
}

/// The row's own line of a table-row passage ("Security posture | Cybersecurity
/// incident rates …"), without the outer pipes; else its longest cell.
fn row_quote<'t>(text: &'t str, cells: &'t [String]) -> Option<&'t str> {
    let filled: Vec<&str> = cells
        .iter()
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
        .collect();
    if filled.is_empty() {
        return None;
    }
    let line = text
        .lines()
        .find(|l| filled.iter().all(|c| l.contains(c)))
        .map(|l| l.trim().trim_matches('|').trim())
        .filter(|l| !l.is_empty());
    line.or_else(|| {
        filled
            .iter()
            .copied()
            .max_by_key(|c| c.split_whitespace().count())
    })
}

/// The role a list or table lead-in is about, when it names exactly one.
fn single_role_lead_in(p: &Passage, book: &RoleBook) -> Option<String> {
    let ctx = p.context.as_deref()?;
    match book.roles_in(ctx).as_slice() {
        [one] => Some(one.to_string()),
        _ => None,
    }
}

/// Byte offset of the first character after list bullets and indentation.
fn after_bullet(text: &str) -> usize {
    text.len()
        - text
            .trim_start_matches(|c: char| {
                c.is_whitespace() || matches!(c, '•' | '·' | '*' | '-' | '–' | '—' | '▪' | '◦')
            })
            .len()
}

/// "CIO: Primarily internal, …" — a role label then the statement about it.
fn labelled_evidence(pi: usize, p: &Passage, book: &RoleBook, out: &mut Vec<Evidence>) -> bool {
    let text = &p.text;
    let start = after_bullet(text);
    let mentions = book.mentions(text);
    let Some((role, r)) = mentions.first() else {
        return false;
    };
    if r.start != start {
        return false;
    }
    let rest = &text[r.end..];
    let trimmed = rest.trim_start();
    let Some(after) = [":", "—", "–"].iter().find_map(|d| trimmed.strip_prefix(d)) else {
        return false;
    };
    let quote_start = text.len() - after.trim_start().len();
    let quote = text[quote_start..].trim_end();
    if quote.split_whitespace().count() < 2 {
        return false;
    }
    let aspect = p
        .section
        .as_deref()
        .and_then(|s| label_aspect(s, book, false))
        .or_else(|| {
            p.context
                .as_deref()
                .and_then(|c| label_aspect(c, book, false))
        })
        .or_else(|| text_aspect(quote, book, 1))
        .or_else(|| {
            p.section
                .as_deref()
                .and_then(|s| label_aspect(s, book, true))
        });
    out.push(Evidence {
        role: role.to_string(),
        aspect,
        text: quote.to_string(),
        passage: pi,
        source: Source::LabelledItem,
        claims: claims_of(quote, book),
    });
    true
}

/// An item of a list whose lead-in names one role ("CIOs commonly handle …:").
fn role_list_item(pi: usize, p: &Passage, book: &RoleBook, out: &mut Vec<Evidence>) -> bool {
    if p.kind != crate::model::PassageKind::ListItem || !book.mentions(&p.text).is_empty() {
        return false;
    }
    let Some(role) = single_role_lead_in(p, book) else {
        return false;
    };
    let quote = p.text[after_bullet(&p.text)..].trim_end();
    if quote.is_empty() {
        return false;
    }
    let aspect = text_aspect(quote, book, 1)
        .or_else(|| p.context.as_deref().and_then(|c| text_aspect(c, book, 1)));
    out.push(Evidence {
        role,
        aspect,
        text: quote.to_string(),
        passage: pi,
        source: Source::RoleListItem,
        claims: claims_of(quote, book),
    });
    true
}

/// Sentence byte ranges of `text`, trimmed.
pub(crate) fn sentences(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (k, &(i, c)) in chars.iter().enumerate() {
        let end_here = match c {
            '\n' => Some(i),
            '.' | '!' | '?' => {
                let next = chars.get(k + 1).map(|x| x.1);
                let after = chars.get(k + 2).map(|x| x.1);
                let boundary = next.is_some_and(char::is_whitespace)
                    && after.is_none_or(|a| {
                        a.is_uppercase() || a.is_numeric() || matches!(a, '"' | '“' | '(' | '\'')
                    });
                let word_before = text[start..i]
                    .rsplit(|ch: char| ch.is_whitespace() || ch == '(')
                    .next()
                    .unwrap_or("")
                    .to_lowercase();
                let abbrev = c == '.' && ABBREVIATIONS.contains(&word_before.as_str());
                (boundary && !abbrev).then_some(i + c.len_utf8())
            }
            _ => None,
        };
        if let Some(end) = end_here {
            push_trimmed(text, start..end, &mut out);
            start = end;
        }
    }
    push_trimmed(text, start..text.len(), &mut out);
    out
}

fn push_trimmed(text: &str, r: Range<usize>, out: &mut Vec<Range<usize>>) {
    let s = &text[r.clone()];
    let lead = s.len() - s.trim_start().len();
    let trail = s.len() - s.trim_end().len();
    if r.start + lead < r.end - trail {
        out.push(r.start + lead..r.end - trail);
    }
}

fn word_count(s: &str) -> usize {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .count()
}

/// Remove a parenthetical right at the start of `s` ("(Chief Information Officer) and").
fn skip_parenthetical(s: &str) -> &str {
    let t = s.trim_start();
    if let Some(rest) = t.strip_prefix('(') {
        if let Some(close) = rest.find(')') {
            return &rest[close + 1..];
        }
    }
    s
}

/// `s` without any "(…)" parentheticals (and stray closing brackets of one
/// that began before `s`).
fn without_parentheticals(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Is the gap between two role mentions only a joining of names ("CIO and CTO",
/// "CIO (…) and the CTO", "CIO/CTO")?
fn is_joint_gap(gap: &str) -> bool {
    let g = without_parentheticals(gap);
    let words: Vec<String> = g
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let only_joiners = g
        .chars()
        .all(|c| c.is_alphanumeric() || c.is_whitespace() || matches!(c, ',' | '/' | '&' | '.'))
        && words.iter().all(|w| JOINERS.contains(&w.as_str()));
    let conjunction = g.trim().is_empty()
        || g.contains(['/', '&'])
        || words
            .iter()
            .any(|w| matches!(w.as_str(), "and" | "or" | "nor" | "vs" | "versus"));
    only_joiners && conjunction
}

/// One clause about one role.
struct Segment {
    role: String,
    range: Range<usize>,
    subject: Range<usize>,
}

/// Why a piece of a sentence is not a clause about one role.
enum NotAClause {
    /// The role has nothing said about it here ("The CIO (…)"): merge with what follows.
    NoPredicate,
    /// Joint subject or no role as subject: the piece is not evidence.
    NoSubject,
}

/// Check a candidate segment `seg` of `s` and find the role it is about.
fn segment_subject(
    s: &str,
    seg: Range<usize>,
    mentions: &[(&str, Range<usize>)],
) -> Result<Segment, NotAClause> {
    for (role, r) in mentions
        .iter()
        .filter(|(_, r)| r.start >= seg.start && r.end <= seg.end)
    {
        // Preceded by a preposition ("reports to the CIO") → not the subject, unless
        // it is a topic opener at the start of the clause ("For the CIO, …").
        let before = &s[seg.start..r.start];
        let mut words: Vec<&str> = before
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        let ends_with_word = before
            .trim_end()
            .chars()
            .last()
            .is_some_and(char::is_alphanumeric);
        if ends_with_word {
            while words
                .last()
                .is_some_and(|w| DETERMINERS.contains(&w.to_lowercase().as_str()))
            {
                words.pop();
            }
            if let Some(w) = words.last() {
                let lw = w.to_lowercase();
                if PREPOSITIONS.contains(&lw.as_str()) {
                    let topic = words.len() == 1 && s[r.end..].trim_start().starts_with(',');
                    if !topic {
                        continue;
                    }
                }
            }
        }
        // Part of a joint subject ("the CIO and CTO are …")?
        let next_other = mentions.iter().find(|(k, n)| k != role && n.start >= r.end);
        let prev_other = mentions
            .iter()
            .rev()
            .find(|(k, p)| k != role && p.end <= r.start);
        let joint = next_other.is_some_and(|(_, n)| is_joint_gap(&s[r.end..n.start]))
            || prev_other.is_some_and(|(_, p)| is_joint_gap(&s[p.end..r.start]));
        if joint {
            return Err(NotAClause::NoSubject);
        }
        // A predicate after the subject.
        let after = skip_parenthetical(&s[r.end..seg.end]);
        if word_count(after) < 2 {
            return Err(NotAClause::NoPredicate);
        }
        return Ok(Segment {
            role: role.to_string(),
            range: seg,
            subject: r.clone(),
        });
    }
    Err(NotAClause::NoSubject)
}

/// Where to split between a mention ending at `prev_end` and one starting at
/// `next_start`: the delimiter closest to the second mention.
fn split_point(s: &str, prev_end: usize, next_start: usize) -> Option<Range<usize>> {
    let gap = &s[prev_end..next_start];
    // Delimiters are found case-insensitively, at offsets of `gap` itself.
    let folded = Folded::new(gap);
    let mut best: Option<Range<usize>> = None;
    for d in DELIMITERS {
        for r in folded.find_all(d) {
            if word_count(&gap[r.end..]) <= MAX_WORDS_BEFORE_ROLE
                && best.as_ref().is_none_or(|b| r.end > b.end)
            {
                best = Some(prev_end + r.start..prev_end + r.end);
            }
        }
    }
    best
}

/// Trim a clause to a clean verbatim quote: start after a colon preamble, drop
/// trailing separators, cut long clauses at a clause boundary.
fn clean_quote(s: &str, seg: &Segment) -> Range<usize> {
    let mut start = seg.range.start;
    if let Some(colon) = s[start..seg.subject.start].rfind(": ") {
        start += colon + 2;
    }
    let mut end = seg.range.end;
    let text = &s[start..end];
    let lead = text.len() - text.trim_start().len();
    start += lead;
    if end - start > MAX_QUOTE_CHARS {
        let min = ceil_char_boundary(s, seg.subject.end.max(start) + 20);
        let limit = floor_char_boundary(s, (start + MAX_QUOTE_CHARS).min(end));
        if min < limit {
            let window = &s[min..limit];
            if let Some(cut) = window.rfind("; ").or_else(|| window.rfind(", ")) {
                end = min + cut;
            }
        }
    }
    let body = s[start..end].trim_end_matches(|c: char| {
        c.is_whitespace() || matches!(c, ',' | ';' | ':' | '—' | '–' | '-')
    });
    start..start + body.len()
}

/// Clauses about single roles in each sentence of `text`.
fn sentence_evidence(pi: usize, text: &str, book: &RoleBook, out: &mut Vec<Evidence>) {
    for sr in sentences(text) {
        let s = &text[sr.clone()];
        if s.ends_with('?') {
            continue;
        }
        let mentions = book.mentions(s);
        if mentions.is_empty() {
            continue;
        }
        // Candidate splits between consecutive mentions of different roles.
        let mut splits: Vec<Range<usize>> = Vec::new();
        for w in mentions.windows(2) {
            if w[0].0 != w[1].0 && !is_joint_gap(&s[w[0].1.end..w[1].1.start]) {
                if let Some(sp) = split_point(s, w[0].1.end, w[1].1.start) {
                    splits.push(sp);
                }
            }
        }
        // Cut at a split when the piece before it is a clause about one role, or is
        // no evidence at all (a preamble, a joint subject); a piece without a
        // predicate ("The CIO (…) and") runs on into the next one.
        let mut segments: Vec<Segment> = Vec::new();
        let mut start = 0;
        // Did the last cut end a clause (rather than drop a piece)?
        let mut after_clause = false;
        for sp in splits {
            if sp.start <= start {
                continue;
            }
            match segment_subject(s, start..sp.start, &mentions) {
                Ok(seg) => {
                    segments.push(seg);
                    start = sp.end;
                    after_clause = true;
                }
                Err(NotAClause::NoSubject) => {
                    start = sp.end;
                    after_clause = false;
                }
                Err(NotAClause::NoPredicate) => {}
            }
        }
        match segment_subject(s, start..s.len(), &mentions) {
            Ok(seg) => segments.push(seg),
            Err(_) => {
                // The tail does not stand alone: it belongs to the clause before it.
                if let Some(prev) = segments.last_mut().filter(|_| after_clause) {
                    prev.range.end = s.len();
                }
            }
        }
        let contrast = segments.len() >= 2 && segments.iter().any(|g| g.role != segments[0].role);
        let quotes: Vec<(String, Range<usize>)> = segments
            .iter()
            .map(|g| (g.role.clone(), clean_quote(s, g)))
            .filter(|(_, r)| word_count(&s[r.clone()]) >= 3)
            .collect();
        // Both halves of a contrast share the aspect of the whole sentence.
        let shared_aspect = if contrast {
            text_aspect(s, book, 1)
        } else {
            None
        };
        for (role, r) in quotes {
            let q = &s[r];
            let aspect = if contrast {
                shared_aspect.clone()
            } else {
                text_aspect(q, book, STATEMENT_MIN_SCORE)
            };
            out.push(Evidence {
                role,
                aspect,
                text: q.to_string(),
                passage: pi,
                source: if contrast {
                    Source::Contrast
                } else {
                    Source::Statement
                },
                claims: claims_of(q, book),
            });
        }
    }
}

#[cfg(test)]
mod tests {
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
                passage("s", 1, "The CIO oversees cybersecurity, compliance and risk management."),
                passage("s", 2, "Budgets were approved by the CIO last year in several firms."),
                passage("s", 3, "The CTO had lunch with friends yesterday afternoon."),
                passage("s", 4, "For the CTO, consider metrics such as time to market and platform scalability."),
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
}
