//! `/sources`: the indexed documents, a page at a time, with Previous/Next buttons.

use super::freshness::{built_stamp, freshness_footer};
use super::limits;
use super::markup::{cite, plural, truncate};
use super::reply::{Button, ButtonKind, Embed, Reply, COLOR_ANSWER};
use crate::discord::ids::sources_button_id;
use crate::model::{Freshness, SourceInfo};

/// Sources per page of `/sources`.
pub const SOURCES_PER_PAGE: usize = 10;

/// Number of pages of `/sources` (at least 1).
pub fn source_pages(n: usize) -> usize {
    n.div_ceil(SOURCES_PER_PAGE).max(1)
}

/// One page (0-based) of `/sources` with Previous/Next buttons that page it for
/// `owner` only.
pub fn sources(list: &[SourceInfo], fresh: &Freshness, page: usize, owner: Option<u64>) -> Reply {
    let pages = source_pages(list.len());
    let page = page.min(pages - 1);
    let mut d = String::new();
    if list.is_empty() {
        d.push_str("The index has no documents. Add files to the corpus and run /reindex.");
    }
    let per_line = limits::EMBED_DESCRIPTION / SOURCES_PER_PAGE - 8;
    for (i, s) in list
        .iter()
        .enumerate()
        .skip(page * SOURCES_PER_PAGE)
        .take(SOURCES_PER_PAGE)
    {
        let title = cite(&truncate(&s.title, 150), s.url.as_deref());
        let line = format!(
            "{}. {} — `{}` · {} passage{}",
            i + 1,
            title,
            truncate(&s.id.replace('`', "'"), 80),
            s.passages,
            plural(s.passages)
        );
        d.push_str(&truncate(&line, per_line));
        d.push('\n');
    }
    let buttons = if pages > 1 {
        vec![
            Button {
                custom_id: sources_button_id(page.saturating_sub(1), owner),
                label: "◀ Previous".into(),
                kind: ButtonKind::Secondary,
                disabled: page == 0,
            },
            Button {
                custom_id: sources_button_id(page + 1, owner),
                label: "Next ▶".into(),
                kind: ButtonKind::Secondary,
                disabled: page + 1 >= pages,
            },
        ]
    } else {
        Vec::new()
    };
    Reply {
        embeds: vec![Embed {
            title: Some(format!(
                "Sources ({} document{}) — page {}/{}",
                list.len(),
                plural(list.len()),
                page + 1,
                pages
            )),
            description: Some(d),
            footer: Some(freshness_footer(fresh)),
            timestamp: built_stamp(fresh),
            color: Some(COLOR_ANSWER),
            ..Default::default()
        }],
        buttons,
        ..Default::default()
    }
    .fitted()
}
