//! One page of an answer: the cited passages within the description's budget, the
//! verdict, the results footer; "no answer" and "no more results".

use super::freshness::{built_stamp, freshness_footer};
use super::limits;
use super::markup::{cite, escaped_fit, fit_chars, highlight, truncate};
use super::reply::{Embed, Reply, COLOR_ANSWER, COLOR_NO_ANSWER};
use crate::model::{Answer, Freshness, Hit};

/// Where in the result list a page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageInfo {
    pub offset: usize,
    pub page_size: usize,
}

/// Render one page of an answer. Buttons are added by the caller (they need state).
///
/// The description is assembled within 4096 characters by construction (each hit gets
/// an even share of what is left), so the final limit check never cuts inside `**bold**`.
pub fn answer(a: &Answer, fresh: &Freshness, page: PageInfo) -> Reply {
    let title = truncate(a.query.trim(), limits::EMBED_TITLE);
    let title = if title.is_empty() {
        "Your question".to_string()
    } else {
        title
    };
    let mut footer = freshness_footer(fresh);
    if !a.no_answer && a.results.is_empty() && a.total > 0 {
        // A page past the end of an answer that exists: never "no answer".
        return Reply {
            embeds: vec![Embed {
                title: Some(title),
                description: Some(format!(
                    "No more results: all {} were shown on the previous pages. \
                     Ask again with /ask to start over.",
                    a.total
                )),
                footer: Some(footer),
                timestamp: built_stamp(fresh),
                color: Some(COLOR_ANSWER),
                ..Default::default()
            }],
            ..Default::default()
        }
        .fitted();
    }
    if a.no_answer || a.results.is_empty() {
        let mut d = String::from("I found no answer to this in the corpus.");
        match &a.suggestion {
            Some(s) => {
                d.push_str("\n\n");
                d.push_str(&escaped_fit(s, 3000));
            }
            None => {
                d.push_str("\n\nTry rephrasing, or use /sources to see what the corpus covers.")
            }
        }
        return Reply {
            embeds: vec![Embed {
                title: Some(title),
                description: Some(d),
                footer: Some(footer),
                timestamp: built_stamp(fresh),
                color: Some(COLOR_NO_ANSWER),
                ..Default::default()
            }],
            ..Default::default()
        }
        .fitted();
    }
    let mut desc = String::new();
    if let Some(v) = &a.verdict {
        if !v.summary.trim().is_empty() {
            desc = format!("**Verdict:** {}", escaped_fit(&v.summary, 800));
            if v.disagreement {
                desc.push_str("\n⚠ The sources disagree; read the passages below.");
            }
            desc.push_str("\n\n");
        }
    }
    let budget = limits::EMBED_DESCRIPTION - 8;
    let n = a.results.len();
    let mut shown = 0;
    for (idx, h) in a.results.iter().enumerate() {
        let used = desc.chars().count();
        let share = budget.saturating_sub(used) / (n - idx);
        let sep = if idx > 0 { "\n\n" } else { "" };
        let prefix = format!("{sep}**{}.** ", h.rank);
        // Prefer a linked citation; fall back to a short plain one when space is tight.
        let mut citation = format!("\n— {}", cite(&h.citation, h.url.as_deref()));
        let fixed = |c: &str| prefix.chars().count() + c.chars().count();
        if fixed(&citation) + 40 > share {
            citation = format!("\n— {}", cite(&truncate(&h.citation, 60), None));
        }
        if fixed(&citation) + 20 > share {
            break;
        }
        let room = share - fixed(&citation);
        let body = fit_chars(room, |k| hit_text(h, k));
        desc.push_str(&prefix);
        desc.push_str(&body);
        desc.push_str(&citation);
        shown += 1;
    }
    if shown < n {
        desc.push_str("\n…");
    }
    if a.total > 0 {
        let first = page.offset + 1;
        let last = page.offset + shown;
        footer = format!("Results {first}–{last} of {} · {footer}", a.total);
    }
    Reply {
        embeds: vec![Embed {
            title: Some(title),
            description: Some(desc),
            footer: Some(footer),
            timestamp: built_stamp(fresh),
            color: Some(COLOR_ANSWER),
            ..Default::default()
        }],
        ..Default::default()
    }
    .fitted()
}

/// The best sentences with highlights, or the whole passage when `best` is
/// empty; a list item after its list's lead-in (at most half the room); a
/// lead-in before the items of its list, as many as fit.
fn hit_text(h: &Hit, max_chars: usize) -> String {
    let item = |k: usize| {
        if h.best.trim().is_empty() {
            highlight(&h.text, &[], k)
        } else {
            highlight(&h.best, &h.highlights, k)
        }
    };
    match h.context.as_deref().filter(|c| !c.trim().is_empty()) {
        Some(lead) => {
            let lead = highlight(lead, &[], max_chars / 2);
            let rest = max_chars.saturating_sub(lead.chars().count() + 3);
            format!("{lead}\n• {}", item(rest))
        }
        None if !h.items.is_empty() => {
            let mut out = item(max_chars / 2);
            let mut shown = 0;
            for (i, it) in h.items.iter().enumerate() {
                // room for this item and a closing "…" line, shared with those
                // after it, but never so little that no item is readable
                let left = max_chars
                    .saturating_sub(out.chars().count())
                    .saturating_sub(4);
                if left < MIN_ITEM_CHARS {
                    break;
                }
                let share = (left / (h.items.len() - i)).max(MIN_ITEM_CHARS);
                out.push_str("\n• ");
                out.push_str(&highlight(it, &[], share - 3));
                shown += 1;
            }
            if shown < h.items.len() || h.more_items > 0 {
                out.push_str("\n• …");
            }
            out
        }
        None => item(max_chars),
    }
}

/// The least room an item of a list is shown in; the rest of the list is "…".
const MIN_ITEM_CHARS: usize = 24;

/// True when there are results after this page.
pub fn has_more(a: &Answer, page: PageInfo) -> bool {
    !a.no_answer && page.offset + a.results.len() < a.total
}
