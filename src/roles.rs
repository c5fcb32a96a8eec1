//! Technology-leadership roles: which ones exist, how users and documents name them.
//!
//! A [`RoleBook`] starts from a small built-in set of common C-level roles and adds
//! every "Chief X Officer" the corpus defines ("Chief Information Officer (CIO)",
//! "CIO (Chief Information Officer)", or a plain "Chief Data Officer", whose
//! short form is its initials). It resolves what a user types ("cio", "CIOs",
//! "Chief Information Officer's") to one role and finds role mentions in text.

use crate::model::Passage;
use regex::Regex;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

/// One role, e.g. key "cio", short "CIO", long "Chief Information Officer".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// Lower-case short form, stable identifier ("cio").
    pub key: String,
    /// Canonical short name as displayed ("CIO").
    pub short: String,
    /// Long form ("Chief Information Officer").
    pub long: String,
    /// Other names that resolve to this role (e.g. another expansion of the
    /// same initials met in the corpus).
    pub aliases: Vec<String>,
}

impl Role {
    fn new(short: &str, long: &str) -> Self {
        Role {
            key: short.to_lowercase(),
            short: short.to_string(),
            long: long.to_string(),
            aliases: Vec::new(),
        }
    }

    /// All names of the role, short first.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        [self.short.as_str(), self.long.as_str()]
            .into_iter()
            .chain(self.aliases.iter().map(String::as_str))
    }

    /// "CIO (Chief Information Officer)".
    pub fn display(&self) -> String {
        format!("{} ({})", self.short, self.long)
    }
}

/// Roles known out of the box, so common roles work on any corpus.
const BASE_ROLES: &[(&str, &str)] = &[
    ("CIO", "Chief Information Officer"),
    ("CTO", "Chief Technology Officer"),
    ("CISO", "Chief Information Security Officer"),
    ("CEO", "Chief Executive Officer"),
    ("COO", "Chief Operating Officer"),
    ("CFO", "Chief Financial Officer"),
    ("CDO", "Chief Data Officer"),
    ("CPO", "Chief Product Officer"),
];

/// Small words that do not contribute an initial to an acronym ("Chief Research and
/// Development Officer" → CRDO).
const ACRONYM_SKIP: &[&str] = &["and", "of", "for", "the", "&"];

/// One way of writing a role: lower-case words that must appear in sequence.
#[derive(Debug, Clone)]
struct Form {
    role: usize,
    words: Vec<String>,
}

/// The set of roles of a corpus.
#[derive(Debug, Clone)]
pub struct RoleBook {
    roles: Vec<Role>,
    /// Mentions of each role in the corpus the book was discovered from.
    counts: Vec<usize>,
    /// Forms indexed by their first word.
    forms: HashMap<String, Vec<Form>>,
}

impl Default for RoleBook {
    fn default() -> Self {
        Self::builtin()
    }
}

fn paren_after_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\bChief((?:[ \t]+[A-Z][A-Za-z&-]*){1,4})[ \t]+Officers?[ \t]*\([ \t]*([A-Z]{2,6})s?[ \t]*\)")
            .expect("valid regex")
    })
}

fn paren_before_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\b([A-Z]{2,6})s?[ \t]*\([ \t]*Chief((?:[ \t]+[A-Z][A-Za-z&-]*){1,4})[ \t]+Officers?[ \t]*\)")
            .expect("valid regex")
    })
}

fn plain_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\bChief((?:[ \t]+(?:[A-Z][A-Za-z-]*|and|of|&)){1,4}?)[ \t]+Officers?\b")
            .expect("valid regex")
    })
}

/// "Information Security" → ["Information", "Security"], whitespace normalised.
fn middle_words(m: &str) -> Vec<&str> {
    m.split_whitespace().collect()
}

fn long_form(middle: &[&str]) -> String {
    format!("Chief {} Officer", middle.join(" "))
}

/// Initials of "Chief <middle> Officer": C + initials of significant words + O.
fn initials(middle: &[&str]) -> Option<String> {
    let mut s = String::from("C");
    for w in middle {
        if ACRONYM_SKIP.contains(&w.to_lowercase().as_str()) {
            continue;
        }
        s.push(w.chars().next()?.to_ascii_uppercase());
    }
    s.push('O');
    (s.len() >= 3).then_some(s)
}

/// Byte length of a char-class run: alphanumeric characters form words.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Word tokens of `text` with their byte ranges.
fn tokens(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        if is_word_char(c) {
            if start.is_none() {
                start = Some(i);
            }
        } else if let Some(s) = start.take() {
            out.push(s..i);
        }
    }
    if let Some(s) = start {
        out.push(s..text.len());
    }
    out
}

/// Lower-case, apostrophes unified, whitespace collapsed.
fn normalise_name(s: &str) -> String {
    s.replace(['’', '‘', '`'], "'")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl RoleBook {
    /// The built-in roles only.
    pub fn builtin() -> Self {
        let roles = BASE_ROLES
            .iter()
            .map(|(s, l)| Role::new(s, l))
            .collect::<Vec<_>>();
        Self::from_roles(roles)
    }

    /// Build a book from explicit roles (no corpus counts).
    pub fn from_roles(roles: Vec<Role>) -> Self {
        let mut book = RoleBook {
            counts: vec![0; roles.len()],
            roles,
            forms: HashMap::new(),
        };
        book.rebuild_forms();
        book
    }

    /// The built-in roles plus every role the passages define, with mention counts.
    pub fn discover(passages: &[Passage]) -> Self {
        let mut roles: Vec<Role> = BASE_ROLES.iter().map(|(s, l)| Role::new(s, l)).collect();
        // Roles a corpus definition already overrode (first definition wins).
        let mut defined: Vec<String> = Vec::new();

        let texts = passages.iter().flat_map(|p| {
            std::iter::once(p.text.as_str())
                .chain(p.context.as_deref())
                .chain(p.section.as_deref())
                .chain(std::iter::once(p.doc_title.as_str()))
        });
        for text in texts {
            for c in paren_after_re().captures_iter(text) {
                let middle = middle_words(&c[1]);
                add_definition(&mut roles, &mut defined, &c[2], &long_form(&middle), true);
            }
            for c in paren_before_re().captures_iter(text) {
                let middle = middle_words(&c[2]);
                add_definition(&mut roles, &mut defined, &c[1], &long_form(&middle), true);
            }
            for c in plain_re().captures_iter(text) {
                let middle = middle_words(&c[1]);
                if let Some(short) = initials(&middle) {
                    add_definition(&mut roles, &mut defined, &short, &long_form(&middle), false);
                }
            }
        }

        let mut book = Self::from_roles(roles);
        for p in passages {
            for text in std::iter::once(p.text.as_str()).chain(p.section.as_deref()) {
                let found: Vec<usize> = book
                    .mentions(text)
                    .into_iter()
                    .filter_map(|(key, _)| book.index_of(key))
                    .collect();
                for i in found {
                    book.counts[i] += 1;
                }
            }
        }
        book
    }

    fn index_of(&self, key: &str) -> Option<usize> {
        self.roles.iter().position(|r| r.key == key)
    }

    fn rebuild_forms(&mut self) {
        self.forms.clear();
        for (i, r) in self.roles.iter().enumerate() {
            for name in r.names() {
                let lower = normalise_name(name);
                let words: Vec<String> = tokens(&lower)
                    .into_iter()
                    .map(|t| lower[t].to_string())
                    .collect();
                if let Some(first) = words.first() {
                    self.forms
                        .entry(first.clone())
                        .or_default()
                        .push(Form { role: i, words });
                }
            }
        }
        for forms in self.forms.values_mut() {
            // Longest forms first so "Chief Information Security Officer" wins.
            forms.sort_by_key(|f| std::cmp::Reverse(f.words.len()));
        }
    }

    /// Every role, in book order (built-in first, then discovered).
    pub fn roles(&self) -> &[Role] {
        &self.roles
    }

    /// The role with this key ("cio").
    pub fn get(&self, key: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.key == key)
    }

    /// How often the corpus the book was discovered from mentions the role.
    pub fn mention_count(&self, key: &str) -> usize {
        self.index_of(key).map_or(0, |i| self.counts[i])
    }

    /// Roles, those the corpus mentions first (most mentioned first), then the rest
    /// of the built-in set.
    pub fn known(&self) -> Vec<&Role> {
        let mut idx: Vec<usize> = (0..self.roles.len()).collect();
        idx.sort_by(|&a, &b| {
            let (ca, cb) = (self.counts[a], self.counts[b]);
            (cb > 0).cmp(&(ca > 0)).then(cb.cmp(&ca)).then(a.cmp(&b))
        });
        idx.into_iter().map(|i| &self.roles[i]).collect()
    }

    /// "CIO, CTO, …" — for error messages.
    pub fn known_list(&self) -> String {
        self.known()
            .iter()
            .map(|r| r.short.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The role a user means: "cio", "CIO", "the CIO", "CIOs", "CIO's",
    /// "Chief Information Officer", "chief information officers", "C.I.O.".
    pub fn resolve(&self, user_text: &str) -> Option<&Role> {
        let mut s = normalise_name(user_text);
        for article in ["the ", "a ", "an "] {
            if let Some(rest) = s.strip_prefix(article) {
                s = rest.to_string();
            }
        }
        let s = s.trim().trim_end_matches(['?', '!', ',', ';', ':']).trim();
        let mut candidates = vec![s.to_string()];
        for suffix in ["'s", "s'", "'"] {
            if let Some(base) = s.strip_suffix(suffix) {
                candidates.push(base.to_string());
            }
        }
        let undotted = s.replace('.', "");
        if undotted != s {
            candidates.push(undotted);
        }
        let plurals: Vec<String> = candidates
            .iter()
            .filter_map(|c| c.strip_suffix('s').map(str::to_string))
            .collect();
        candidates.extend(plurals);
        for c in &candidates {
            let c = c.trim();
            if c.is_empty() {
                continue;
            }
            if let Some(r) = self
                .roles
                .iter()
                .find(|r| r.key == c || r.names().any(|n| normalise_name(n) == c))
            {
                return Some(r);
            }
        }
        None
    }

    /// Role mentions in `text`: short or long form, any case, whole words, plural
    /// ("CIOs") and possessive ("CIO's", "CIOs'") included in the range.
    /// Non-overlapping, in text order; the longest form wins.
    pub fn mentions(&self, text: &str) -> Vec<(&str, Range<usize>)> {
        let toks = tokens(text);
        let lowers: Vec<String> = toks
            .iter()
            .map(|t| text[t.clone()].to_lowercase())
            .collect();
        let mut out = Vec::new();
        let mut i = 0;
        while i < toks.len() {
            let mut matched: Option<(usize, usize, usize)> = None; // (role, last token, end)
            for (_, forms) in self
                .forms
                .iter()
                .filter(|(first, _)| first_matches(first, &lowers[i]))
            {
                for f in forms {
                    let n = f.words.len();
                    if i + n > toks.len() {
                        continue;
                    }
                    let ok = (0..n).all(|k| {
                        let w = &f.words[k];
                        let t = &lowers[i + k];
                        let word_ok = if k + 1 == n {
                            t == w
                                || (t.len() == w.len() + 1
                                    && t.starts_with(w.as_str())
                                    && t.ends_with('s'))
                        } else {
                            t == w
                        };
                        let gap_ok = k == 0
                            || text[toks[i + k - 1].end..toks[i + k].start]
                                .chars()
                                .all(char::is_whitespace);
                        word_ok && gap_ok
                    });
                    if ok && matched.is_none_or(|(_, last, _)| i + n - 1 > last) {
                        matched = Some((f.role, i + n - 1, toks[i + n - 1].end));
                    }
                }
            }
            match matched {
                Some((role, last, end)) => {
                    let end = end + possessive_len(&text[end..], lowers[last].ends_with('s'));
                    out.push((self.roles[role].key.as_str(), toks[i].start..end));
                    i = last + 1;
                }
                None => i += 1,
            }
        }
        out
    }

    /// Titles in `text` written as a role's ("chief digital officer", "Chief
    /// People Officers": "chief", one to three words, "officer") that name no
    /// role the corpus mentions, by name or as another spelling of one
    /// ("chief technical officer" is the CTO). Each once, singular and title-cased, in text order.
    pub fn unknown_titles(&self, text: &str) -> Vec<String> {
        const MAX_WORDS: usize = 3;
        // words that do not make a title ("chief of staff, the officer …")
        const NOT_IN_TITLES: &[&str] = &["chief", "of", "the", "a", "an", "in", "to"];
        let toks = tokens(text);
        let lowers: Vec<String> = toks
            .iter()
            .map(|t| text[t.clone()].to_lowercase())
            .collect();
        let spaced = |k: usize| {
            text[toks[k - 1].end..toks[k].start]
                .chars()
                .all(char::is_whitespace)
        };
        let mentioned = |name: &str| {
            self.resolve(name)
                .is_some_and(|r| self.mention_count(&r.key) > 0)
        };
        let mut out: Vec<String> = Vec::new();
        for (i, w) in lowers.iter().enumerate() {
            if w != "chief" {
                continue;
            }
            let Some(n) = (1..=MAX_WORDS).find(|&n| {
                lowers
                    .get(i + n + 1)
                    .is_some_and(|t| t == "officer" || t == "officers")
            }) else {
                continue;
            };
            let middle: Vec<&str> = lowers[i + 1..=i + n].iter().map(String::as_str).collect();
            if middle.iter().any(|w| NOT_IN_TITLES.contains(w)) || !(i + 1..=i + n + 1).all(spaced)
            {
                continue;
            }
            // by name, or as another spelling ("chief technical officer" is the CTO)
            if mentioned(&long_form(&middle)) || self.variant_of_mentioned(&middle) {
                continue;
            }
            let capitalised: Vec<String> = middle
                .iter()
                .map(|w| {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_uppercase().chain(c).collect())
                        .unwrap_or_default()
                })
                .collect();
            let shown = long_form(&capitalised.iter().map(String::as_str).collect::<Vec<_>>());
            if !out.contains(&shown) {
                out.push(shown);
            }
        }
        out
    }

    /// Whether "Chief <middle> Officer" is another spelling of a role the
    /// corpus mentions: the same initials, and each word opening as that
    /// role's word does ("technical" / "technology"; not "digital" / "data").
    fn variant_of_mentioned(&self, middle: &[&str]) -> bool {
        const SAME_OPENING: usize = 4;
        let Some(short) = initials(middle) else {
            return false;
        };
        let opening = |w: &str| w.chars().take(SAME_OPENING).collect::<String>();
        self.resolve(&short).is_some_and(|r| {
            let long: Vec<String> = normalise_name(&r.long)
                .split(' ')
                .filter(|w| *w != "chief" && *w != "officer")
                .map(opening)
                .collect();
            self.mention_count(&r.key) > 0
                && long.len() == middle.len()
                && middle.iter().zip(&long).all(|(w, l)| opening(w) == *l)
        })
    }

    /// Keys of the roles mentioned in `text`, without repeats, in order of first mention.
    pub fn roles_in(&self, text: &str) -> Vec<&str> {
        let mut keys: Vec<&str> = Vec::new();
        for (k, _) in self.mentions(text) {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        keys
    }
}

fn first_matches(form_first: &str, token: &str) -> bool {
    token == form_first
        || (token.len() == form_first.len() + 1
            && token.starts_with(form_first)
            && token.ends_with('s'))
}

/// Length of a possessive suffix at the start of `rest`: "'s", "’s", or a bare
/// apostrophe after a plural ("CIOs'").
fn possessive_len(rest: &str, plural: bool) -> usize {
    let mut chars = rest.char_indices();
    let Some((_, c)) = chars.next() else {
        return 0;
    };
    if c != '\'' && c != '’' {
        return 0;
    }
    let after_apos = c.len_utf8();
    let next = rest[after_apos..].chars().next();
    match next {
        Some('s') | Some('S') => {
            let after_s = rest[after_apos + 1..].chars().next();
            if after_s.is_none_or(|c| !is_word_char(c)) {
                after_apos + 1
            } else {
                0
            }
        }
        Some(n) if plural && !is_word_char(n) => after_apos,
        None if plural => after_apos,
        _ => 0,
    }
}

/// Add "short = long" to the roles. A definition with parentheses (`strong`) from the
/// corpus replaces the built-in expansion of the same initials (which becomes an
/// alias); any other differing expansion becomes an alias.
fn add_definition(
    roles: &mut Vec<Role>,
    defined: &mut Vec<String>,
    short: &str,
    long: &str,
    strong: bool,
) {
    if !short.starts_with('C') || short.len() < 3 {
        return;
    }
    let key = short.to_lowercase();
    let long_norm = normalise_name(long);
    match roles.iter_mut().find(|r| r.key == key) {
        Some(r) => {
            if normalise_name(&r.long) == long_norm
                || r.aliases.iter().any(|a| normalise_name(a) == long_norm)
            {
                if strong && !defined.contains(&key) {
                    defined.push(key);
                }
                return;
            }
            if strong && !defined.contains(&key) {
                let old = std::mem::replace(&mut r.long, long.to_string());
                r.aliases.push(old);
                defined.push(key);
            } else {
                r.aliases.push(long.to_string());
            }
        }
        None => {
            // A long form already known under other initials is not a new role.
            if roles
                .iter()
                .any(|r| r.names().any(|n| normalise_name(n) == long_norm))
            {
                return;
            }
            roles.push(Role::new(short, long));
            if strong {
                defined.push(key);
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::PassageKind;

    #[test]
    fn titles_of_roles_the_book_lacks_are_found_and_known_ones_are_not() {
        let book = RoleBook::discover(&[passage(
            "d",
            1,
            "The CIO, the CTO, the CISO and the Chief Data Officer meet.",
        )]);
        assert_eq!(
            book.unknown_titles("how is a chief digital officer different from a cio?"),
            vec!["Chief Digital Officer".to_string()]
        );
        assert_eq!(
            book.unknown_titles("Do Chief People Officers and chief people officer's staff…"),
            vec!["Chief People Officer".to_string()]
        );
        assert!(book
            .unknown_titles("the Chief Information Security Officer, the chief data officer")
            .is_empty());
        assert!(book
            .unknown_titles("what does a chief technical officer do")
            .is_empty());
        // named by the book but never by the corpus
        assert_eq!(
            book.unknown_titles("chief financial officer pay"),
            vec!["Chief Financial Officer".to_string()]
        );
        assert!(book
            .unknown_titles("chief of staff, the officer in chief, chief officer, chief executive")
            .is_empty());
        assert!(book
            .unknown_titles("a chief among many, not quite an officer at all in this firm")
            .is_empty());
    }

    pub(crate) fn passage(doc: &str, n: u32, text: &str) -> Passage {
        Passage {
            id: format!("{doc}#{n}"),
            doc_id: doc.to_string(),
            doc_title: format!("Title {doc}"),
            section: None,
            paragraph: n,
            part: 1,
            kind: PassageKind::Paragraph,
            text: text.to_string(),
            context: None,
            table: None,
            url: None,
            page: None,
        }
    }

    #[test]
    fn builtin_roles_resolve_by_any_name() {
        let book = RoleBook::builtin();
        for q in [
            "cio",
            "CIO",
            "Chief Information Officer",
            "chief information officer",
            "CIOs",
            "CIO's",
            "CIO’s",
            "  chief   information  officer ",
            "the CIO",
            "Chief Information Officers",
            "C.I.O.",
        ] {
            assert_eq!(book.resolve(q).map(|r| r.key.as_str()), Some("cio"), "{q}");
        }
        assert_eq!(book.resolve("ciso").map(|r| r.short.as_str()), Some("CISO"));
        assert_eq!(
            book.resolve("Chief Technology Officer's")
                .map(|r| r.key.as_str()),
            Some("cto")
        );
        assert!(book.resolve("janitor").is_none());
        assert!(book.resolve("").is_none());
        assert!(book.resolve("ci").is_none());
    }

    #[test]
    fn discovers_parenthesised_and_plain_definitions() {
        let ps = vec![
            passage("d", 1, "The Chief Revenue Officer (CRO) owns sales."),
            passage("d", 2, "A CMO (Chief Marketing Officer) runs brand."),
            passage("d", 3, "The Chief Human Resources Officer hires people."),
            passage("d", 4, "The CIO works with the CRO and the CROs' teams."),
        ];
        let book = RoleBook::discover(&ps);
        let cro = book.resolve("cro").expect("CRO discovered");
        assert_eq!(cro.long, "Chief Revenue Officer");
        assert_eq!(
            book.resolve("chief marketing officer")
                .map(|r| r.short.as_str()),
            Some("CMO")
        );
        assert_eq!(
            book.resolve("CHRO").map(|r| r.long.as_str()),
            Some("Chief Human Resources Officer")
        );
        // Mentioned roles come first in `known`, most mentioned first.
        let known: Vec<&str> = book.known().iter().map(|r| r.short.as_str()).collect();
        assert_eq!(known[0], "CRO");
        let mut mentioned = known[..4].to_vec();
        mentioned.sort_unstable();
        assert_eq!(mentioned, vec!["CHRO", "CIO", "CMO", "CRO"]);
        assert!(known.contains(&"CTO"), "built-in roles are always known");
        assert!(book.mention_count("cro") >= 3);
        assert_eq!(book.mention_count("cfo"), 0);
    }

    #[test]
    fn corpus_definition_overrides_builtin_expansion() {
        let ps = vec![passage(
            "d",
            1,
            "The Chief Digital Officer (CDO) leads change.",
        )];
        let book = RoleBook::discover(&ps);
        let cdo = book.resolve("CDO").expect("cdo");
        assert_eq!(cdo.long, "Chief Digital Officer");
        assert_eq!(
            book.resolve("Chief Data Officer").map(|r| r.key.as_str()),
            Some("cdo"),
            "the built-in expansion stays an alias"
        );
        assert_eq!(book.roles().iter().filter(|r| r.key == "cdo").count(), 1);
    }

    #[test]
    fn mentions_are_whole_word_with_plural_and_possessive() {
        let book = RoleBook::builtin();
        let text = "The CIO's team, CIOs, CTOs' budgets and the Chief Technology Officer; \
                    not CIOX nor sociology nor CTOCIO. cio and the chief information security officers.";
        let m = book.mentions(text);
        let got: Vec<(&str, &str)> = m.iter().map(|(k, r)| (*k, &text[r.clone()])).collect();
        assert_eq!(
            got,
            vec![
                ("cio", "CIO's"),
                ("cio", "CIOs"),
                ("cto", "CTOs'"),
                ("cto", "Chief Technology Officer"),
                ("cio", "cio"),
                ("ciso", "chief information security officers"),
            ]
        );
    }

    #[test]
    fn long_form_needs_plain_spacing_between_words() {
        let book = RoleBook::builtin();
        assert!(book.mentions("Chief, Information Officer").is_empty());
        assert_eq!(book.mentions("Chief  Information\nOfficer").len(), 1);
    }

    #[test]
    fn roles_in_lists_each_role_once_in_order() {
        let book = RoleBook::builtin();
        assert_eq!(
            book.roles_in("the CTO and the CIO; the CTO again and the CEO"),
            vec!["cto", "cio", "ceo"]
        );
    }
}
