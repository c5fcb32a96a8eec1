//! Case-insensitive matching that answers in byte offsets of the original text.
//!
//! Case mapping changes lengths: `İ` (2 bytes) lower-cases to `i̇` (3), `ẞ` (3) to
//! `ß` (2), the Kelvin sign `K` (3) to `k` (1), `ﬁ` upper-cases to `FI`. An
//! offset found in `text.to_lowercase()` is therefore no offset of `text`, and
//! slicing `text` with it cuts the wrong place or panics mid-character. Every
//! search of folded text that needs positions goes through [`Folded`], which
//! keeps, for each byte of the folded text, where its character starts in the
//! original. Also the words of a text ([`words`]), split one way everywhere.
//! Imports nothing from the crate, so any module can use it.

use std::ops::Range;

/// `original` lower-cased character by character, with the way back to it.
///
/// Folding is per character (`char::to_lowercase`), so it differs from
/// `str::to_lowercase` only for a final capital sigma (`Σ` → `σ`, never `ς`),
/// which no search of ours depends on.
#[derive(Debug, Clone)]
pub struct Folded {
    folded: String,
    /// For each byte of `folded`, the offset in `original` of the character it
    /// comes from; one more entry, `original.len()`, for the end.
    origin: Vec<usize>,
}

impl Folded {
    pub fn new(original: &str) -> Self {
        let mut folded = String::with_capacity(original.len());
        let mut origin = Vec::with_capacity(original.len() + 1);
        for (i, c) in original.char_indices() {
            for l in c.to_lowercase() {
                folded.push(l);
                origin.extend(std::iter::repeat_n(i, l.len_utf8()));
            }
        }
        origin.push(original.len());
        Folded { folded, origin }
    }

    /// The lower-cased text (for tests of membership; never slice the original with its offsets).
    pub fn as_str(&self) -> &str {
        &self.folded
    }

    /// Does folded byte `i` begin the folding of an original character (or end the text)?
    fn at_char_start(&self, i: usize) -> bool {
        i == 0 || i == self.folded.len() || self.origin[i] != self.origin[i - 1]
    }

    /// The range of the original that folds to `folded[r]`, when `r` covers whole
    /// original characters (`None` when it starts or ends inside the folding of one,
    /// like the `i` of the `i̇` that `İ` folds to).
    pub fn original_range(&self, r: Range<usize>) -> Option<Range<usize>> {
        if r.start > r.end
            || r.end > self.folded.len()
            || !self.at_char_start(r.start)
            || !self.at_char_start(r.end)
        {
            return None;
        }
        Some(self.origin[r.start]..self.origin[r.end])
    }

    /// Every occurrence of `needle` (lower-case) in the folded text, overlapping
    /// ones included, as byte ranges of the original covering whole characters.
    pub fn find_all(&self, needle: &str) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        if needle.is_empty() {
            return out;
        }
        let mut from = 0;
        while let Some(pos) = self.folded[from..].find(needle) {
            let at = from + pos;
            if let Some(r) = self.original_range(at..at + needle.len()) {
                out.push(r);
            }
            // On to the next character of the folded text.
            from = at + self.folded[at..].chars().next().map_or(1, char::len_utf8);
        }
        out
    }
}

/// The words of `text` as written: its runs of letters and digits (any
/// script), without the punctuation, spaces and symbols between them.
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// The largest character boundary of `s` at or before `i` (`s.len()` when past the end).
pub fn floor_char_boundary(s: &str, i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    let mut i = i;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The smallest character boundary of `s` at or after `i` (`s.len()` when past the end).
pub fn ceil_char_boundary(s: &str, i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    let mut i = i;
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn words_are_runs_of_letters_and_digits_in_any_script() {
        let w: Vec<&str> = words("Who's the CTO? 90-day plan, 首席 ok…").collect();
        assert_eq!(
            w,
            ["Who", "s", "the", "CTO", "90", "day", "plan", "首席", "ok"]
        );
        assert_eq!(words(" ,.;—🙂 ").count(), 0);
    }

    /// Letters whose case mapping changes their length or splits them.
    const CASE_CHANGING: &[&str] = &[
        "İ", "ẞ", "Σ", "ς", "ǅ", "ﬁ", "\u{212A}", "\u{212B}", "ı", "ﬓ", "Ა", "Ꭰ", "Ｃ", "\u{0301}",
        "ש", "\u{202e}", "Ⱥ", "ΐ",
    ];

    #[test]
    fn turkish_capitals_keep_offsets_of_the_original() {
        let s = "The CIO of İŞ YATIRIM İSTANBUL DİJİTAL İNOVASYON, while the CTO leads.";
        let f = Folded::new(s);
        let found = f.find_all(", while ");
        assert_eq!(found.len(), 1);
        assert_eq!(&s[found[0].clone()], ", while ");
        // The naive way finds another offset (and slicing with it panics).
        let naive = s.to_lowercase().find(", while ").unwrap_or(0);
        assert_ne!(naive, found[0].start);
    }

    #[test]
    fn matches_inside_one_characters_folding_are_not_offsets() {
        // "İ" folds to "i" + U+0307: a match of "i" alone covers half of it.
        let f = Folded::new("İ");
        assert!(f.find_all("i").is_empty());
        assert_eq!(Folded::new("STRAẞE").find_all("ß"), vec![4..7]);
        // Kelvin sign: 3 bytes folding to ASCII "k".
        assert_eq!(Folded::new("\u{212A}m").find_all("km"), vec![0..4]);
    }

    #[test]
    fn char_boundaries_round_the_right_way() {
        let s = "aẞb";
        assert_eq!(floor_char_boundary(s, 2), 1);
        assert_eq!(ceil_char_boundary(s, 2), 4);
        assert_eq!(floor_char_boundary(s, 9), s.len());
        assert_eq!(ceil_char_boundary(s, 9), s.len());
        assert_eq!(ceil_char_boundary(s, 0), 0);
    }

    fn text() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                prop::sample::select(CASE_CHANGING.to_vec()).prop_map(str::to_string),
                prop::sample::select(vec![", while ", "; ", " and ", ", ", " ", "I", "K"])
                    .prop_map(str::to_string),
                any::<char>().prop_map(String::from),
            ],
            0..40,
        )
        .prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn found_ranges_are_whole_characters_that_fold_to_the_needle(
            s in text(),
            needle in prop::sample::select(vec![", while ", "; ", " and ", "i", "k", "ß", "σ", "fi"]),
        ) {
            let f = Folded::new(&s);
            for r in f.find_all(needle) {
                prop_assert!(s.is_char_boundary(r.start) && s.is_char_boundary(r.end));
                let lowered: String = s[r.clone()].chars().flat_map(char::to_lowercase).collect();
                prop_assert_eq!(lowered, needle);
            }
            // ASCII needles in text without case-changing letters: as str::find sees them.
            if s.is_ascii() {
                let lower = s.to_lowercase();
                let naive: Vec<usize> = lower.match_indices(needle).map(|(i, _)| i).collect();
                let ours: Vec<usize> = f.find_all(needle).into_iter().map(|r| r.start).collect();
                // (" and " can overlap itself, which `match_indices` skips)
                if needle != " and " {
                    prop_assert_eq!(ours, naive);
                }
            }
        }

        #[test]
        fn boundaries_are_boundaries(s in text(), i in 0usize..200) {
            let lo = floor_char_boundary(&s, i);
            let hi = ceil_char_boundary(&s, i);
            prop_assert!(s.is_char_boundary(lo) && s.is_char_boundary(hi));
            prop_assert!(lo <= i.min(s.len()) && hi >= i.min(s.len()));
        }
    }
}
