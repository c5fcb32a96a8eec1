//! Evidence from tables: role columns of a table whose header names roles,
//! and table rows whose lead-in names a single role.

use super::*;

pub(super) fn table_evidence(
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
pub(super) fn row_quote<'t>(text: &'t str, cells: &'t [String]) -> Option<&'t str> {
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
