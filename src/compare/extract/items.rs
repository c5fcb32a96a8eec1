//! Evidence from list items: role-labelled items ("CIO: …") and items of a
//! list whose lead-in names a single role.

use super::*;

/// The role a list or table lead-in is about, when it names exactly one.
pub(super) fn single_role_lead_in(p: &Passage, book: &RoleBook) -> Option<String> {
    let ctx = p.context.as_deref()?;
    match book.roles_in(ctx).as_slice() {
        [one] => Some(one.to_string()),
        _ => None,
    }
}

/// Byte offset of the first character after list bullets and indentation.
pub(super) fn after_bullet(text: &str) -> usize {
    text.len()
        - text
            .trim_start_matches(|c: char| {
                c.is_whitespace() || matches!(c, '•' | '·' | '*' | '-' | '–' | '—' | '▪' | '◦')
            })
            .len()
}

/// "CIO: Primarily internal, …" — a role label then the statement about it.
pub(super) fn labelled_evidence(
    pi: usize,
    p: &Passage,
    book: &RoleBook,
    out: &mut Vec<Evidence>,
) -> bool {
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
pub(super) fn role_list_item(
    pi: usize,
    p: &Passage,
    book: &RoleBook,
    out: &mut Vec<Evidence>,
) -> bool {
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
