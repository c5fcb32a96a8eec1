//! Where the question is inside a message: people open with who they are and
//! why they ask ("I'm a new eng manager and my boss keeps mentioning the CIO,
//! what do they actually own?"). The words of the asking clause carry the
//! question; the framing around it counts for little.
//!
//! Pure over the analyzer's tokens of the text: sentences end at `.`, `!`,
//! `?`, `;`, `:` or a line break; a sentence that ends with `?` asks. Within an
//! asking sentence, a clause (after `,`, a dash or a parenthesis) that opens
//! with a question word starts the question; what comes before it is framing.

use std::ops::Range;

/// Words that open a question (after lower-casing).
const OPENERS: &[&str] = &[
    "who", "whom", "whose", "what", "what's", "whats", "which", "when", "where", "why", "how",
    "is", "are", "am", "was", "were", "does", "do", "did", "should", "shall", "can", "could",
    "would", "will", "may", "might", "must", "isn't", "aren't", "doesn't", "don't", "who's",
    "whos",
];

/// Fillers that may precede the opener of a question ("so who …", "ok but is …").
const LEAD_FILLERS: &[&str] = &[
    "so",
    "and",
    "but",
    "ok",
    "okay",
    "honestly",
    "like",
    "basically",
    "then",
    "also",
    "anyway",
    "well",
    "hey",
    "hi",
    "quick",
    "question",
    "q",
    "tl",
    "dr",
    "tldr",
    "i",
    "wonder",
    "wondering",
];

/// Question words that open an embedded question ("… figure out *what* our CTO does").
const WH_WORDS: &[&str] = &[
    "who", "whom", "whose", "what", "which", "when", "where", "why", "how", "whether",
];

/// Words after which a question word opens an embedded question: verbs of
/// knowing and asking ("trying to figure out what…", "not sure who…",
/// "can someone explain how…").
const ASKING_WORDS: &[&str] = &[
    "know",
    "knows",
    "knowing",
    "wonder",
    "wondering",
    "wondered",
    "out",
    "understand",
    "understanding",
    "explain",
    "tell",
    "me",
    "us",
    "sure",
    "idea",
    "clue",
    "curious",
    "about",
    "ask",
    "asking",
    "learn",
    "see",
    "decide",
    "deciding",
    "confused",
    "unclear",
];

fn ends_sentence(gap: &str) -> bool {
    gap.contains(['.', '!', '?', ';', ':', '\n', '…'])
}

fn ends_clause(gap: &str) -> bool {
    gap.contains([',', '(', ')', '—', '–']) || gap.contains(" - ")
}

/// For each token, whether it belongs to the framing around the question
/// rather than to the question itself. `toks` are byte ranges into `text`,
/// in order; `words` the tokens lower-cased.
pub fn framing(text: &str, toks: &[Range<usize>], words: &[String]) -> Vec<bool> {
    let n = toks.len();
    if n == 0 {
        return Vec::new();
    }
    let gap = |i: usize| -> &str {
        let from = if i == 0 { 0 } else { toks[i - 1].end };
        let to = if i == n { text.len() } else { toks[i].start };
        text.get(from..to).unwrap_or("")
    };
    // sentences as token ranges, and whether each ends with a question mark
    let mut sentences: Vec<(Range<usize>, bool)> = Vec::new();
    let mut start = 0;
    for i in 1..=n {
        if i == n || ends_sentence(gap(i)) {
            sentences.push((start..i, gap(i).contains('?')));
            start = i;
        }
    }
    let opens = |i: usize| -> bool {
        let mut j = i;
        while j < n && LEAD_FILLERS.contains(&words[j].as_str()) && j < i + 3 {
            j += 1;
        }
        j < n && OPENERS.contains(&words[j].as_str())
    };
    let asking: Vec<usize> = {
        let marked: Vec<usize> = (0..sentences.len()).filter(|&s| sentences[s].1).collect();
        if !marked.is_empty() {
            marked
        } else {
            let opened: Vec<usize> = (0..sentences.len())
                .filter(|&s| opens(sentences[s].0.start))
                .collect();
            if opened.is_empty() {
                vec![sentences.len() - 1]
            } else {
                opened
            }
        }
    };
    let mut framing = vec![true; n];
    for s in asking {
        let r = sentences[s].0.clone();
        // the last clause start that opens a question, when the sentence does not
        // or, failing both, the last embedded question after a verb of knowing
        let embedded = |i: usize| {
            WH_WORDS.contains(&words[i].as_str()) && ASKING_WORDS.contains(&words[i - 1].as_str())
        };
        let from = if opens(r.start) {
            r.start
        } else {
            (r.start + 1..r.end)
                .rfind(|&i| ends_clause(gap(i)) && opens(i))
                .or_else(|| (r.start + 1..r.end).rfind(|&i| embedded(i)))
                .unwrap_or(r.start)
        };
        framing[from..r.end].iter_mut().for_each(|f| *f = false);
    }
    framing
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(text: &str) -> (Vec<String>, Vec<String>) {
        let mut toks = Vec::new();
        let mut words = Vec::new();
        let mut start = None;
        for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
            let word = c.is_alphanumeric() || c == '\'';
            match (word, start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    toks.push(s..i);
                    words.push(text[s..i].to_lowercase());
                    start = None;
                }
                _ => {}
            }
        }
        let f = framing(text, &toks, &words);
        let pick = |want: bool| {
            words
                .iter()
                .zip(&f)
                .filter(|(_, &x)| x == want)
                .map(|(w, _)| w.clone())
                .collect()
        };
        (pick(false), pick(true))
    }

    #[test]
    fn a_plain_question_is_all_question() {
        let (ask, framing) = frame("who owns cybersecurity?");
        assert_eq!(ask, ["who", "owns", "cybersecurity"]);
        assert!(framing.is_empty());
        let (ask, _) = frame("cio reporting line");
        assert_eq!(ask.len(), 3);
    }

    #[test]
    fn context_before_the_asking_clause_is_framing() {
        let (ask, framing) =
            frame("I'm a new eng manager and my boss keeps mentioning the CIO, what do they actually own?");
        assert_eq!(ask, ["what", "do", "they", "actually", "own"]);
        assert!(framing.contains(&"manager".to_string()));
    }

    #[test]
    fn sentences_around_the_question_are_framing() {
        let (ask, framing) = frame(
            "rant incoming. we rolled out a new ERP last year. so whose job is it to make sure staff use it? thanks",
        );
        assert_eq!(ask[..3], ["so", "whose", "job"]);
        assert!(framing.contains(&"erp".to_string()));
        assert!(framing.contains(&"thanks".to_string()));
    }

    #[test]
    fn without_a_question_mark_the_opening_sentence_asks() {
        let (ask, framing) = frame("long story. what does a CIO do all day");
        assert_eq!(ask, ["what", "does", "a", "cio", "do", "all", "day"]);
        assert_eq!(framing, ["long", "story"]);
        // nothing opens a question: the last sentence is the question
        let (ask, _) = frame("just joined a startup. trying to figure out our CTO");
        assert_eq!(ask, ["trying", "to", "figure", "out", "our", "cto"]);
    }

    #[test]
    fn an_embedded_question_after_a_verb_of_knowing_asks() {
        let (ask, framing) = frame(
            "just joined a saas startup as a backend dev, trying to figure out what our CTO is supposed to be doing",
        );
        assert_eq!(
            ask,
            ["what", "our", "cto", "is", "supposed", "to", "be", "doing"]
        );
        assert!(framing.contains(&"saas".to_string()));
        // a question word that does not follow such a verb opens nothing
        let (ask, _) = frame("the team what we hired last year owns the cloud");
        assert_eq!(ask.len(), 10);
    }
}
