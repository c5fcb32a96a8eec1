//! Autocomplete choices for role and aspect options.

use super::limits;
use super::markup::truncate;

/// Autocomplete choices: prefix matches first, then substring matches,
/// case-insensitive, at most 25, each at most 100 characters.
pub fn choices(all: &[String], typed: &str) -> Vec<String> {
    let t = typed.trim().to_lowercase();
    let mut prefix = Vec::new();
    let mut inner = Vec::new();
    for s in all {
        if s.trim().is_empty() {
            continue;
        }
        let l = s.to_lowercase();
        if l.starts_with(&t) {
            prefix.push(s);
        } else if l.contains(&t) {
            inner.push(s);
        }
    }
    let mut seen = std::collections::HashSet::new();
    prefix
        .into_iter()
        .chain(inner)
        .map(|s| truncate(s, limits::CHOICE_CHARS))
        .filter(|s| seen.insert(s.clone()))
        .take(limits::AUTOCOMPLETE_CHOICES)
        .collect()
}
