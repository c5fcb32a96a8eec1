//! Question understanding: clean the text, find its content words, expand
//! synonyms and role aliases, correct words the index does not know.

use crate::index::schema;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Words that carry no content in a question.
const STOP_WORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "and",
    "or",
    "but",
    "of",
    "to",
    "in",
    "on",
    "at",
    "for",
    "by",
    "with",
    "from",
    "about",
    "as",
    "into",
    "than",
    "then",
    "so",
    "if",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "am",
    "do",
    "does",
    "did",
    "doing",
    "done",
    "have",
    "has",
    "had",
    "having",
    "who",
    "whom",
    "whose",
    "what",
    "which",
    "when",
    "where",
    "why",
    "how",
    "this",
    "that",
    "these",
    "those",
    "it",
    "its",
    "they",
    "them",
    "their",
    "there",
    "he",
    "she",
    "his",
    "her",
    "i",
    "me",
    "my",
    "we",
    "us",
    "our",
    "you",
    "your",
    "can",
    "could",
    "should",
    "would",
    "will",
    "shall",
    "may",
    "might",
    "must",
    "not",
    "no",
    "yes",
    "any",
    "some",
    "all",
    "both",
    "each",
    "either",
    "neither",
    "other",
    "such",
    "very",
    "just",
    "really",
    "actually",
    "exactly",
    "typically",
    "usually",
    "generally",
    "tell",
    "explain",
    "describe",
    "please",
    "thing",
    "happen",
    "happens",
    "happened",
    "happening",
    "things",
    "someone",
    "somebody",
    "person",
    "role",
    "roles",
    "job",
    "usual",
    "normally",
    "mean",
    "means",
    "there's",
    "what's",
    "who's",
    "s",
    "t",
    "more",
    "most",
    "less",
    "much",
    "many",
    "make",
    "makes",
    "sure",
    "get",
    "gets",
    "one",
    "between",
    // function words and fillers of conversational questions
    "whether",
    "something",
    "anything",
    "everything",
    "nothing",
    "anyone",
    "anybody",
    "everyone",
    "everybody",
    "off",
    "up",
    "out",
    "over",
    "down",
    "still",
    "ever",
    "also",
    "too",
    "yet",
    "even",
    "else",
    "instead",
    "vice",
    "versa",
    "supposed",
    "going",
    "gonna",
    "let",
    "lets",
    "say",
    "says",
    "said",
    "like",
    "want",
    "wants",
    "way",
    "ways",
    "sort",
    "sorts",
    "ok",
    "okay",
    "hey",
    "hi",
    "thanks",
    "etc",
    "via",
];

/// Predicates of "who …" questions: any statement of responsibility answers
/// them, so they weigh little and expand to the usual responsibility verbs.
const RESPONSIBILITY_VERBS: &[&str] = &[
    "own",
    "owns",
    "handle",
    "handles",
    "manage",
    "manages",
    "run",
    "runs",
    "look",
    "looks",
    "take",
    "takes",
    "oversee",
    "oversees",
    "lead",
    "leads",
    "deal",
    "deals",
    "responsible",
    "charge",
    "care",
    "drive",
    "drives",
    "work",
    "works",
    "keep",
    "keeps",
    "set",
    "sets",
    "control",
    "controls",
    "after",
    "accountable",
    "job",
    "duty",
    "task",
];

/// What a responsibility predicate also matches.
const RESPONSIBILITY_ALTS: &[&str] = &["responsible", "oversee", "manage", "lead", "own"];

/// Generic nouns that add nothing to a question about roles.
const GENERIC_NOUNS: &[&str] = &[
    "people", "folks", "guys", "stuff", "person", "someone", "team",
];

/// Weight of a content word in the framing around the question.
const FRAMING_WEIGHT: f32 = 0.3;

/// Words that ask "who": the answer is a role.
const WHO_WORDS: &[&str] = &["who", "whom", "whose", "which"];

/// Content concepts weigh at least this much to count as words the question
/// is about (framing and "who" predicates weigh less).
pub const CONTENT: f32 = 0.5;

/// One idea of the question: its own stem and the alternatives that also express it.
#[derive(Debug, Clone, PartialEq)]
pub struct Concept {
    /// The word as the user wrote it (after correction).
    pub word: String,
    /// Alternatives, each a sequence of stems (a phrase when longer than one),
    /// with a weight (1.0 for the word itself).
    pub alts: Vec<(Vec<String>, f32)>,
    /// Set when the word names a role (CIO, CTO…): the answer is about it,
    /// but matching it alone does not answer the question.
    pub role: Option<String>,
    /// How much the concept counts towards coverage (1.0 normally; less for the
    /// predicate of a "who" question, which any responsibility verb answers).
    pub weight: f32,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Understood {
    /// The question as used (cleaned, possibly truncated).
    pub text: String,
    pub concepts: Vec<Concept>,
    /// Canonical short names of the roles the question names, in order.
    pub roles: Vec<String>,
    /// "who …" / "which role …": the answer names a role.
    pub asks_who: bool,
    /// "who/what is the CTO?": a definition of a role answers it.
    pub asks_definition: bool,
    /// Corrections made to unknown words ("cybersecurty" → "cybersecurity").
    pub corrections: Vec<(String, String)>,
    /// Question words the corpus lacks and the corpus words (as written)
    /// searched for them by meaning (`search::meaning`).
    pub meanings: Vec<(String, String)>,
    /// The question as searched: `text` with the corrections spliced in (the
    /// text that is embedded; `text` is what is shown).
    pub search_text: String,
    pub truncated: bool,
}

/// Remove control and zero-width characters, normalise Unicode (NFKC) and
/// whitespace, and cap the length at `max_chars` characters.
pub fn sanitize(question: &str, max_chars: usize) -> (String, bool) {
    use unicode_normalization::UnicodeNormalization;
    let mut out = String::with_capacity(question.len().min(max_chars * 4));
    let mut count = 0;
    let mut truncated = false;
    let mut last_space = true;
    let mut marks = 0;
    for c in question.nfkc() {
        let zero_width = matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{feff}');
        if zero_width {
            continue;
        }
        if unicode_normalization::char::is_combining_mark(c) {
            // floods of combining marks ("Zalgo") add nothing
            marks += 1;
            if marks > 2 {
                continue;
            }
        } else {
            marks = 0;
        }
        let c = if c.is_control() || c.is_whitespace() {
            ' '
        } else {
            c
        };
        if c == ' ' {
            if last_space {
                continue;
            }
            last_space = true;
        } else {
            last_space = false;
        }
        if count >= max_chars {
            truncated = true;
            break;
        }
        out.push(c);
        count += 1;
    }
    (out.trim().to_string(), truncated)
}

/// Role aliases: alias phrase (lower-case) → canonical short name.
pub type RoleAliases = BTreeMap<String, String>;

/// Index vocabulary lookups the understanding step needs.
pub trait Vocabulary {
    /// Number of passages containing this stem.
    fn doc_freq(&self, stem: &str) -> u32;
    /// The most frequent known stem within `max_edits` of `stem`, if any.
    fn nearest(&self, stem: &str, max_edits: usize) -> Option<String>;
    /// The most frequent word of the corpus (lower-case, as written) within
    /// `max_edits` of `word`: typos are closer to the word than to its stem
    /// ("secuirty" is one transposition from "security", three edits from "secur").
    fn nearest_word(&self, _word: &str, _max_edits: usize) -> Option<String> {
        None
    }
    /// The corpus's most frequent word (lower-case, as written) with this stem.
    fn word_of(&self, _stem: &str) -> Option<String> {
        None
    }
    /// Whether `word` (lower-case) is a real word of the language, which is
    /// never "corrected" into a different corpus word ("traits" is not a typo
    /// of "training"). False when no dictionary is known.
    fn is_word(&self, _word: &str) -> bool {
        false
    }
}

/// Whether `word` (lower-case) is a stop word.
pub(crate) fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.contains(&word)
}

/// Phrases whose stems are remembered per thread: stop words, synonyms and
/// role aliases come back on every question.
const STEM_CACHE: usize = 4096;

/// The stems of a text's content words: its words stemmed as the index
/// stems them, without the stop and question words (for grouping questions
/// by the words they share, `gaps`).
pub fn content_stems(text: &str) -> Vec<String> {
    let stop: HashSet<String> = STOP_WORDS.iter().flat_map(|w| stems_of(w)).collect();
    schema::tokens(text)
        .into_iter()
        .map(|(s, _)| s)
        .filter(|s| !stop.contains(s))
        .collect()
}

/// The analyzer's stems of a phrase (cached per thread).
pub(crate) fn stems_of(phrase: &str) -> Vec<String> {
    use std::cell::RefCell;
    thread_local! {
        static CACHE: RefCell<HashMap<String, Vec<String>>> = RefCell::new(HashMap::new());
    }
    if let Some(hit) = CACHE.with(|c| c.borrow().get(phrase).cloned()) {
        return hit;
    }
    let stems: Vec<String> = schema::tokens(phrase).into_iter().map(|(s, _)| s).collect();
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() < STEM_CACHE {
            c.insert(phrase.to_string(), stems.clone());
        }
    });
    stems
}

/// Misspelt words of a question corrected against the corpus's words, before
/// anything else reads it, so that a corrected word is then read as any word
/// is: a stop word is dropped, "whos" asks "who", and the embedding model
/// sees "security" rather than the word pieces of "secuirty". Corrected are
/// only words the corpus lacks that are not real words, not synonym keys or
/// role aliases, of four letters or more and without digits. Returns the text
/// with each correction spliced in place, and the corrections.
fn correct(
    text: &str,
    synonyms: &BTreeMap<String, Vec<String>>,
    roles: &RoleAliases,
    vocab: &dyn Vocabulary,
) -> (String, Vec<(String, String)>) {
    let keep: HashSet<String> = synonyms
        .keys()
        .chain(roles.keys())
        .flat_map(|k| stems_of(k))
        .chain(STOP_WORDS.iter().flat_map(|w| stems_of(w)))
        .collect();
    let edits = |n: usize| if n >= 8 { 2 } else { 1 };
    let mut out = String::with_capacity(text.len());
    let mut corrections = Vec::new();
    let mut last = 0;
    for (stem, range) in schema::tokens(text) {
        let word = text[range.clone()].to_lowercase();
        if keep.contains(&stem)
            || is_stop_word(&word)
            || vocab.doc_freq(&stem) > 0
            || stem.chars().count() < 4
            || stem.chars().any(|c| c.is_ascii_digit())
            || vocab.is_word(&word)
        {
            continue;
        }
        let fix = vocab
            .nearest_word(&word, edits(word.chars().count()))
            .or_else(|| {
                // a stem is no word to show or to embed: the word written for it
                let near = vocab.nearest(&stem, edits(stem.chars().count()))?;
                Some(vocab.word_of(&near).unwrap_or(near))
            });
        if let Some(fix) = fix {
            out.push_str(&text[last..range.start]);
            out.push_str(&fix);
            last = range.end;
            corrections.push((word, fix));
        }
    }
    out.push_str(&text[last..]);
    (out, corrections)
}

/// Understand a cleaned question: its misspelt words corrected first (when
/// `fuzzy`), then read as written.
pub fn understand(
    text: &str,
    truncated: bool,
    synonyms: &BTreeMap<String, Vec<String>>,
    roles: &RoleAliases,
    vocab: &dyn Vocabulary,
    fuzzy: bool,
) -> Understood {
    if fuzzy {
        let (fixed, corrections) = correct(text, synonyms, roles, vocab);
        if !corrections.is_empty() {
            let mut u = read(&fixed, truncated, synonyms, roles);
            u.search_text = fixed;
            u.text = text.to_string();
            u.corrections = corrections;
            return u;
        }
    }
    read(text, truncated, synonyms, roles)
}

/// Read a question as written: roles, synonyms, concepts and their weights.
fn read(
    text: &str,
    truncated: bool,
    synonyms: &BTreeMap<String, Vec<String>>,
    roles: &RoleAliases,
) -> Understood {
    let toks = schema::tokens(text);
    let lower_words: Vec<String> = toks
        .iter()
        .map(|(_, r)| text[r.clone()].to_lowercase())
        .collect();
    let stems: Vec<String> = toks.iter().map(|(s, _)| s.clone()).collect();
    let asks_who = lower_words
        .first()
        .is_some_and(|w| WHO_WORDS.contains(&w.as_str()))
        || lower_words
            .windows(2)
            .any(|w| w[0] == "which" && (w[1] == "role" || w[1] == "executive" || w[1] == "one"))
        || lower_words.iter().any(|w| w == "who");

    // Role mentions: longest alias first, over the lower-cased word sequence.
    let mut covered = vec![false; toks.len()];
    let mut concepts: Vec<(usize, Concept)> = Vec::new();
    let mut found_roles: Vec<String> = Vec::new();
    let mut aliases: Vec<(Vec<String>, &String, &String)> = roles
        .iter()
        .map(|(alias, short)| (stems_of(alias), alias, short))
        .filter(|(s, _, _)| !s.is_empty())
        .collect();
    aliases.sort_by_key(|(s, _, _)| std::cmp::Reverse(s.len()));
    for (alias_stems, _, short) in &aliases {
        let n = alias_stems.len();
        let mut i = 0;
        while i + n <= stems.len() {
            if !covered[i..i + n].iter().any(|c| *c) && stems[i..i + n] == alias_stems[..] {
                covered[i..i + n].iter_mut().for_each(|c| *c = true);
                let mut alts: Vec<(Vec<String>, f32)> = vec![(stems_of(short), 1.0)];
                for (a, _, s) in &aliases {
                    if s == short && a != &alts[0].0 {
                        alts.push((a.clone(), 0.8));
                    }
                }
                concepts.push((
                    i,
                    Concept {
                        word: short.to_string(),
                        alts,
                        role: Some(short.to_string()),
                        weight: 1.0,
                    },
                ));
                if !found_roles.contains(short) {
                    found_roles.push(short.to_string());
                }
                i += n;
            } else {
                i += 1;
            }
        }
    }

    // Synonym phrases (multi-word keys first), matched on stems.
    let mut syn: Vec<(Vec<String>, &Vec<String>)> = synonyms
        .iter()
        .map(|(k, v)| (stems_of(k), v))
        .filter(|(k, _)| !k.is_empty())
        .collect();
    syn.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
    let stop: Vec<String> = STOP_WORDS.iter().flat_map(|w| stems_of(w)).collect();
    let mut syn_used = vec![false; toks.len()];
    for (key, expansions) in &syn {
        let n = key.len();
        if n < 2 {
            continue;
        }
        for i in 0..stems.len().saturating_sub(n - 1) {
            if !covered[i..i + n].iter().any(|c| *c) && stems[i..i + n] == key[..] {
                covered[i..i + n].iter_mut().for_each(|c| *c = true);
                let mut alts = vec![(key.clone(), 1.0)];
                alts.extend(expansions.iter().map(|e| (stems_of(e), 0.6)));
                concepts.push((
                    i,
                    Concept {
                        word: lower_words[i..i + n].join(" "),
                        alts,
                        role: None,
                        weight: 1.0,
                    },
                ));
                syn_used[i] = true;
            }
        }
    }
    let verbs: Vec<String> = RESPONSIBILITY_VERBS
        .iter()
        .flat_map(|w| stems_of(w))
        .collect();
    let generic: Vec<String> = GENERIC_NOUNS.iter().flat_map(|w| stems_of(w)).collect();
    for (i, stem) in stems.iter().enumerate() {
        // the form of a figure question ("how often", "what year") is no
        // more what it asks about than "how much" is
        let figure_form = i
            .checked_sub(1)
            .is_some_and(|p| super::figures::pair(&lower_words[p], &lower_words[i]).is_some());
        if covered[i]
            || stop.contains(stem)
            || stop.contains(&lower_words[i])
            || generic.contains(stem)
            || figure_form
        {
            continue;
        }
        let predicate = asks_who && verbs.contains(stem);
        let word = lower_words[i].clone();
        let stem = stem.clone();
        let mut alts = vec![(vec![stem.clone()], 1.0)];
        if let Some((_, exp)) = syn.iter().find(|(k, _)| {
            k.len() == 1
                && (k[0] == stem || k[0] == stems_of(&word).first().cloned().unwrap_or_default())
        }) {
            alts.extend(exp.iter().map(|e| (stems_of(e), 0.6)));
        }
        if predicate {
            for v in RESPONSIBILITY_ALTS {
                let st = stems_of(v);
                if !alts.iter().any(|(a, _)| *a == st) {
                    alts.push((st, 0.4));
                }
            }
        }
        let weight = if predicate { 0.25 } else { 1.0 };
        concepts.push((
            i,
            Concept {
                word,
                alts,
                role: None,
                weight,
            },
        ));
    }
    // Words of the framing around the question (who asks and why) count little.
    let ranges: Vec<std::ops::Range<usize>> = toks.iter().map(|(_, r)| r.clone()).collect();
    let framing = super::focus::framing(text, &ranges, &lower_words);
    for (i, c) in concepts.iter_mut() {
        if c.role.is_none() && framing.get(*i).copied().unwrap_or(false) {
            c.weight *= FRAMING_WEIGHT;
        }
    }
    // The same concept twice ("CIO … CIO") counts once, at its larger weight.
    concepts.sort_by(|(i, a), (j, b)| b.weight.total_cmp(&a.weight).then(i.cmp(j)));
    let mut seen: HashSet<Vec<String>> = HashSet::new();
    let mut concepts: Vec<(usize, Concept)> = concepts
        .into_iter()
        .filter(|(_, c)| seen.insert(c.alts[0].0.clone()))
        .collect();
    concepts.sort_by_key(|(i, _)| *i);
    let concepts: Vec<Concept> = concepts.into_iter().map(|(_, c)| c).collect();
    let asks_definition = !found_roles.is_empty()
        && lower_words
            .first()
            .is_some_and(|w| w == "who" || w == "what" || w == "what's" || w == "define")
        && lower_words.len() <= 8;
    Understood {
        concepts,
        roles: found_roles,
        asks_who,
        asks_definition,
        corrections: Vec::new(),
        meanings: Vec::new(),
        search_text: text.to_string(),
        text: text.to_string(),
        truncated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Vocab(Vec<&'static str>);
    impl Vocabulary for Vocab {
        fn doc_freq(&self, stem: &str) -> u32 {
            self.0.iter().filter(|w| **w == stem).count() as u32
        }
        fn nearest(&self, stem: &str, max: usize) -> Option<String> {
            self.0
                .iter()
                .filter(|w| strsim::damerau_levenshtein(w, stem) <= max)
                .map(|w| w.to_string())
                .next()
        }
    }

    fn roles() -> RoleAliases {
        [
            ("cio", "CIO"),
            ("chief information officer", "CIO"),
            ("cto", "CTO"),
            ("chief technology officer", "CTO"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
    }

    #[test]
    fn sanitize_strips_controls_zero_width_and_caps_length() {
        let (s, t) = sanitize("  who\u{200b} owns\u{0007}\tsecurity?  ", 100);
        assert_eq!(s, "who owns security?");
        assert!(!t);
        let (s, t) = sanitize(&"x".repeat(5000), 10);
        assert_eq!(s.len(), 10);
        assert!(t);
        let zalgo = format!("a{}", "\u{0301}".repeat(1000));
        assert!(sanitize(&zalgo, 100).0.chars().count() <= 3);
    }

    #[test]
    fn roles_and_stop_words() {
        let v = Vocab(vec!["cio", "secur", "lead"]);
        let u = understand(
            "Who is the Chief Information Officer's boss?",
            false,
            &BTreeMap::new(),
            &roles(),
            &v,
            true,
        );
        assert!(u.asks_who);
        assert_eq!(u.roles, vec!["CIO"]);
        assert_eq!(u.concepts[0].role.as_deref(), Some("CIO"));
        assert_eq!(u.concepts.len(), 2, "{:?}", u.concepts);
        assert_eq!(u.concepts[1].word, "boss");
    }

    #[test]
    fn the_form_of_a_figure_question_is_not_what_it_asks_about() {
        let v = Vocab(vec!["brief", "board", "long", "question", "year"]);
        let words = |q: &str| -> Vec<String> {
            understand(q, false, &BTreeMap::new(), &roles(), &v, true)
                .concepts
                .into_iter()
                .map(|c| c.word)
                .collect()
        };
        assert_eq!(
            words("how often should the CIO brief the board"),
            ["CIO", "brief", "board"]
        );
        assert_eq!(
            words("what year did the CIO brief the board"),
            ["CIO", "brief", "board"]
        );
        // the same words outside the form are content
        assert_eq!(
            words("long questionnaires for the CIO"),
            ["long", "questionnaires", "CIO"]
        );
        assert_eq!(words("the CIO's first year"), ["CIO", "first", "year"]);
    }

    #[test]
    fn conversational_filler_is_not_content() {
        let v = Vocab(vec!["build", "buy", "shelf", "hous", "decid"]);
        let u = understand(
            "who decides whether we build something in-house or buy it off the shelf, or vice versa?",
            false,
            &BTreeMap::new(),
            &roles(),
            &v,
            true,
        );
        let words: Vec<&str> = u.concepts.iter().map(|c| c.word.as_str()).collect();
        for filler in ["whether", "something", "off", "vice", "versa"] {
            assert!(!words.contains(&filler), "{filler} in {words:?}");
        }
        for content in ["build", "buy", "shelf"] {
            assert!(words.contains(&content), "{content} missing from {words:?}");
        }
    }

    #[test]
    fn synonyms_and_typos() {
        let v = Vocab(vec!["cybersecur", "inform", "secur"]);
        let syn = BTreeMap::from([(
            "infosec".to_string(),
            vec!["information security".to_string()],
        )]);
        let u = understand("who handles infosec", false, &syn, &roles(), &v, true);
        let infosec = u.concepts.iter().find(|c| c.word == "infosec").unwrap();
        assert!(infosec
            .alts
            .iter()
            .any(|(a, _)| a == &vec!["inform".to_string(), "secur".to_string()]));
        let u = understand(
            "who owns cybersecurty",
            false,
            &BTreeMap::new(),
            &roles(),
            &v,
            true,
        );
        assert_eq!(
            u.corrections,
            vec![("cybersecurty".to_string(), "cybersecur".to_string())]
        );
    }

    /// A vocabulary that knows words as written too, as the index's does.
    struct Words(Vec<&'static str>);
    impl Vocabulary for Words {
        fn doc_freq(&self, stem: &str) -> u32 {
            self.0
                .iter()
                .filter(|w| stems_of(w).first().is_some_and(|s| s == stem))
                .count() as u32
        }
        fn nearest(&self, stem: &str, max: usize) -> Option<String> {
            self.0
                .iter()
                .filter_map(|w| stems_of(w).into_iter().next())
                .find(|s| strsim::damerau_levenshtein(s, stem) <= max)
        }
        fn nearest_word(&self, word: &str, max: usize) -> Option<String> {
            self.0
                .iter()
                .find(|w| strsim::damerau_levenshtein(w, word) <= max)
                .map(|w| w.to_string())
        }
        fn word_of(&self, stem: &str) -> Option<String> {
            self.0
                .iter()
                .find(|w| stems_of(w).first().is_some_and(|s| s == stem))
                .map(|w| w.to_string())
        }
    }

    #[test]
    fn corrected_words_are_read_as_words_and_searched_as_corrected() {
        let v = Words(vec![
            "security",
            "responsible",
            "measurement",
            "whom",
            "about",
        ]);
        let none = BTreeMap::new();
        // the corrected text is what is searched and embedded; the question as typed is shown
        let u = understand("Who owns secuirty?", false, &none, &roles(), &v, true);
        assert_eq!(u.text, "Who owns secuirty?");
        assert_eq!(u.search_text, "Who owns security?");
        assert_eq!(u.corrections, vec![("secuirty".into(), "security".into())]);
        assert!(u.concepts.iter().any(|c| c.word == "security"));
        // a word corrected into a stop word is then dropped as one ("abuot" → "about")
        let u = understand("cio abuot budgets", false, &none, &roles(), &v, true);
        assert_eq!(u.corrections, vec![("abuot".into(), "about".into())]);
        assert!(
            u.concepts.iter().all(|c| c.word != "about"),
            "{:?}",
            u.concepts
        );
        // a word corrected into a question word asks it ("whomm" → "whom")
        let u = understand(
            "whomm does the CIO report to",
            false,
            &none,
            &roles(),
            &v,
            true,
        );
        assert!(u.asks_who);
        // a fix found only by its stem is written as the corpus writes it
        let u = understand("cio mesure", false, &none, &roles(), &v, true);
        assert!(u.search_text.contains("measurement"), "{}", u.search_text);
        // without fuzzy matching nothing changes
        let u = understand("Who owns secuirty?", false, &none, &roles(), &v, false);
        assert!(u.corrections.is_empty());
        assert_eq!(u.search_text, u.text);
    }
}
