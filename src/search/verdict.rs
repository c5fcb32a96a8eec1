//! The role verdict for "who …" questions: which role the top passages assign
//! the responsibility to, with how many sources say so.

use crate::index::schema;
use crate::model::{Hit, Passage, RoleShare, Verdict};
use crate::roles::RoleBook;
use crate::text::Folded;
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// The question's content concepts, each a list of alternatives (stem sequences).
pub type Concepts = Vec<Vec<Vec<String>>>;

/// Clause boundaries inside a sentence where the subject changes.
const CLAUSE_BREAKS: &[&str] = &[
    "; ",
    ", while ",
    " while ",
    ", whereas ",
    " whereas ",
    ", but ",
    " by contrast",
];

/// How many of the question's concepts `text` expresses.
pub(crate) fn matched(text: &str, concepts: &Concepts) -> usize {
    let toks: HashSet<String> = schema::tokens(text).into_iter().map(|(t, _)| t).collect();
    concepts
        .iter()
        .filter(|alts| {
            alts.iter()
                .any(|a| !a.is_empty() && a.iter().all(|s| toks.contains(s)))
        })
        .count()
}

/// Concepts a clause must express to count: about two thirds of them.
fn needed(concepts: &Concepts) -> usize {
    (concepts.len() * 2).div_ceil(3).max(1)
}

/// Split a sentence at clause breaks, keeping byte offsets.
fn clauses(text: &str) -> Vec<(usize, &str)> {
    let mut cuts = vec![0];
    let folded = Folded::new(text);
    for b in CLAUSE_BREAKS {
        cuts.extend(folded.find_all(b).into_iter().map(|r| r.start));
    }
    cuts.sort_unstable();
    cuts.dedup();
    cuts.push(text.len());
    cuts.windows(2).map(|w| (w[0], &text[w[0]..w[1]])).collect()
}

/// The roles a passage gives the asked responsibility to, each with the
/// verbatim clause that says so.
pub fn roles_of(
    p: &Passage,
    hit: &Hit,
    book: &RoleBook,
    concepts: &Concepts,
) -> Vec<(String, String)> {
    let short = |key: &str| book.get(key).map(|r| r.short.clone());
    // Table rows: the role column whose cell matches the question best.
    if let Some(row) = &p.table {
        let best = row
            .headers
            .iter()
            .zip(&row.cells)
            .skip(1)
            .filter_map(|(h, c)| {
                book.resolve(h)
                    .map(|r| (r.short.clone(), c.clone(), matched(c, concepts)))
            })
            .max_by_key(|(_, _, n)| *n);
        return best
            .filter(|b| b.2 >= needed(concepts))
            .map(|(r, c, _)| vec![(r, c)])
            .unwrap_or_default();
    }
    // Labelled items ("CIO: …") and items under a lead-in naming one role.
    if let Some((label, rest)) = p.text.split_once(':') {
        if let Some(r) = book.resolve(label.trim()) {
            return vec![(r.short.clone(), rest.trim().to_string())];
        }
    }
    if let Some(ctx) = &p.context {
        let roles: BTreeSet<&str> = book.mentions(ctx).into_iter().map(|(k, _)| k).collect();
        if roles.len() == 1 {
            return roles
                .into_iter()
                .next()
                .and_then(short)
                .map(|r| vec![(r, p.text.clone())])
                .unwrap_or_default();
        }
    }
    // Sentences: the subject role of every clause that matches the question.
    let text = if hit.best.is_empty() {
        &p.text
    } else {
        &hit.best
    };
    let mentions = book.mentions(text);
    if mentions.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for (start, clause) in clauses(text) {
        if matched(clause, concepts) < needed(concepts) {
            continue;
        }
        let end = start + clause.len();
        let inside: BTreeSet<&str> = mentions
            .iter()
            .filter(|(_, r)| r.start >= start && r.end <= end)
            .map(|(k, _)| *k)
            .collect();
        let role = match inside.len() {
            1 => inside.into_iter().next().and_then(short),
            0 => mentions
                .iter()
                .rev()
                .find(|(_, r)| r.end <= start)
                .and_then(|(k, _)| short(k)),
            _ => None,
        };
        if let Some(r) = role {
            if !out.iter().any(|(o, _)| *o == r) {
                let c = clause.trim_start_matches([';', ',', ' ']).trim();
                out.push((r, c.to_string()));
            }
        }
    }
    out
}

/// Count, per role, the distinct documents among the top hits that assign the
/// responsibility to it.
pub fn verdict(hits: &[(Hit, &Passage)], book: &RoleBook, concepts: &Concepts) -> Option<Verdict> {
    let mut by_role: BTreeMap<String, (BTreeSet<String>, Vec<usize>, String)> = BTreeMap::new();
    for (hit, p) in hits {
        for (role, clause) in roles_of(p, hit, book, concepts) {
            let e = by_role.entry(role).or_default();
            e.0.insert(hit.doc.clone());
            if !e.1.contains(&hit.rank) {
                e.1.push(hit.rank);
            }
            if e.2.is_empty() {
                e.2 = clause;
            }
        }
    }
    let mut shares: Vec<(RoleShare, String)> = by_role
        .into_iter()
        .map(|(role, (docs, ranks, clause))| {
            (
                RoleShare {
                    role,
                    sources: docs.len(),
                    ranks,
                },
                clause,
            )
        })
        .collect();
    shares.sort_by(|a, b| {
        b.0.sources
            .cmp(&a.0.sources)
            .then(a.0.ranks[0].cmp(&b.0.ranks[0]))
    });
    let (first, _) = shares.first()?;
    let plural = |n: usize| if n == 1 { "source" } else { "sources" };
    let disagreement = shares.len() > 1;
    let summary = if !disagreement {
        format!(
            "The {} ({} {}).",
            first.role,
            first.sources,
            plural(first.sources)
        )
    } else if shares[1].0.sources == first.sources {
        let parts: Vec<String> = shares
            .iter()
            .map(|(s, _)| format!("the {} ({} {})", s.role, s.sources, plural(s.sources)))
            .collect();
        format!("Sources differ: {}.", parts.join(" vs "))
    } else {
        let rest: Vec<String> = shares[1..]
            .iter()
            .map(|(s, clause)| {
                let mut q: String = clause.chars().take(90).collect();
                if q.len() < clause.len() {
                    q.push('…');
                }
                format!(
                    "the {} in {} {} (“{}”)",
                    s.role,
                    s.sources,
                    plural(s.sources),
                    q.trim_end_matches('.')
                )
            })
            .collect();
        format!(
            "Mostly the {} ({} {}); {}.",
            first.role,
            first.sources,
            plural(first.sources),
            rest.join("; ")
        )
    };
    Some(Verdict {
        summary,
        shares: shares.into_iter().map(|(s, _)| s).collect(),
        disagreement,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clauses_split_at_contrast() {
        let c = clauses("The CIO looks inward; the CTO looks outward.");
        assert_eq!(c.len(), 2);
        assert_eq!(c[1].1, "; the CTO looks outward.");
    }
}
