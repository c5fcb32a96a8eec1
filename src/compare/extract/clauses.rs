//! Evidence from sentences: sentence splitting, contrastive sentences split
//! into one clause per role, and single-role statements whose subject is a role.

use super::*;

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

pub(super) fn push_trimmed(text: &str, r: Range<usize>, out: &mut Vec<Range<usize>>) {
    let s = &text[r.clone()];
    let lead = s.len() - s.trim_start().len();
    let trail = s.len() - s.trim_end().len();
    if r.start + lead < r.end - trail {
        out.push(r.start + lead..r.end - trail);
    }
}

pub(super) fn word_count(s: &str) -> usize {
    crate::text::words(s).count()
}

/// Remove a parenthetical right at the start of `s` ("(Chief Information Officer) and").
pub(super) fn skip_parenthetical(s: &str) -> &str {
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
pub(super) fn without_parentheticals(s: &str) -> String {
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
pub(super) fn is_joint_gap(gap: &str) -> bool {
    let g = without_parentheticals(gap);
    let words: Vec<String> = crate::text::words(&g).map(str::to_lowercase).collect();
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
pub(super) struct Segment {
    role: String,
    range: Range<usize>,
    subject: Range<usize>,
}

/// Why a piece of a sentence is not a clause about one role.
pub(super) enum NotAClause {
    /// The role has nothing said about it here ("The CIO (…)"): merge with what follows.
    NoPredicate,
    /// Joint subject or no role as subject: the piece is not evidence.
    NoSubject,
}

/// Check a candidate segment `seg` of `s` and find the role it is about.
pub(super) fn segment_subject(
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
        let mut words: Vec<&str> = crate::text::words(before).collect();
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
pub(super) fn split_point(s: &str, prev_end: usize, next_start: usize) -> Option<Range<usize>> {
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
pub(super) fn clean_quote(s: &str, seg: &Segment) -> Range<usize> {
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
pub(super) fn sentence_evidence(pi: usize, text: &str, book: &RoleBook, out: &mut Vec<Evidence>) {
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
