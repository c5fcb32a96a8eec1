//! Best sentences of a passage, with the byte ranges of matched words.

use crate::corpus::split::sentence_spans;
use crate::index::schema;
use std::collections::HashSet;

/// The best one or two consecutive sentences of `text` for the query stems, verbatim,
/// and the byte ranges (within the returned string) of the words that match.
pub fn best_sentences(text: &str, query: &HashSet<String>) -> (String, Vec<(usize, usize)>) {
    let sents: Vec<(usize, &str)> = sentence_spans(text)
        .into_iter()
        .filter(|(_, s)| !s.trim().is_empty())
        .collect();
    if sents.is_empty() {
        return (String::new(), Vec::new());
    }
    // The passage is analysed once; each sentence owns the matched words in its span.
    let matches: Vec<(String, std::ops::Range<usize>)> = schema::tokens(text)
        .into_iter()
        .filter(|(t, _)| query.contains(t))
        .collect();
    let scores: Vec<usize> = sents
        .iter()
        .map(|&(at, s)| {
            let mut found: Vec<&str> = matches
                .iter()
                .filter(|(_, r)| r.start >= at && r.end <= at + s.len())
                .map(|(t, _)| t.as_str())
                .collect();
            found.sort_unstable();
            found.dedup();
            found.len()
        })
        .collect();
    let best = (0..sents.len())
        .max_by_key(|&i| (scores[i], std::cmp::Reverse(i)))
        .unwrap_or(0);
    // Add the neighbour that adds most matches, if any, keeping document order.
    let mut range = best..best + 1;
    let next = scores.get(best + 1).copied().unwrap_or(0);
    let prev = best.checked_sub(1).map(|p| scores[p]).unwrap_or(0);
    if next > 0 && next >= prev {
        range = best..best + 2;
    } else if prev > 0 {
        range = best - 1..best + 1;
    }
    let (from, _) = sents[range.start];
    let (last_at, last) = sents[range.end - 1];
    let span = &text[from..last_at + last.len()];
    let chosen = span.trim();
    let base = from + (span.len() - span.trim_start().len());
    let highlights = matches
        .iter()
        .filter(|(_, r)| r.start >= base && r.end <= base + chosen.len())
        .map(|(_, r)| (r.start - base, r.end - base))
        .collect();
    (chosen.to_string(), highlights)
}

/// Byte ranges of the words of `text` whose stem is in `query`.
pub fn highlight(text: &str, query: &HashSet<String>) -> Vec<(usize, usize)> {
    schema::tokens(text)
        .into_iter()
        .filter(|(t, _)| query.contains(t))
        .map(|(_, r)| (r.start, r.end))
        .collect()
}

/// Wrap highlighted ranges in `open`/`close` markers (`**` for Markdown).
pub fn emphasise(text: &str, ranges: &[(usize, usize)], open: &str, close: &str) -> String {
    let mut out = String::with_capacity(text.len() + ranges.len() * 4);
    let mut at = 0;
    for &(s, e) in ranges {
        if s < at || e > text.len() || !text.is_char_boundary(s) || !text.is_char_boundary(e) {
            continue;
        }
        out.push_str(&text[at..s]);
        out.push_str(open);
        out.push_str(&text[s..e]);
        out.push_str(close);
        at = e;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_matching_sentence_and_highlights() {
        let q: HashSet<String> = ["secur".to_string(), "cio".to_string()].into();
        let text = "Intro words here. The CIO oversees security. Unrelated close.";
        let (best, hl) = best_sentences(text, &q);
        assert_eq!(best, "The CIO oversees security.");
        assert_eq!(
            emphasise(&best, &hl, "**", "**"),
            "The **CIO** oversees **security**."
        );
    }

    #[test]
    fn neighbour_sentence_joins_and_keeps_its_highlights() {
        let q: HashSet<String> = ["budget".to_string(), "cio".to_string()].into();
        let text = "  Noise first.  The CIO decides.  Budgets follow the CIO. Tail.";
        let (best, hl) = best_sentences(text, &q);
        assert_eq!(best, "The CIO decides.  Budgets follow the CIO.");
        assert_eq!(
            emphasise(&best, &hl, "[", "]"),
            "The [CIO] decides.  [Budgets] follow the [CIO]."
        );
        assert_eq!(best_sentences("   ", &q), (String::new(), Vec::new()));
    }
}
