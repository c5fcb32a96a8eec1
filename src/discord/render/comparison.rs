//! A side-by-side of two roles: one field per aspect, footnoted quotes.

use super::freshness::{built_stamp, freshness_footer};
use super::limits;
use super::markup::{escaped_fit, truncate};
use super::reply::{Embed, Field, Reply, COLOR_ANSWER, COLOR_NO_ANSWER};
use crate::model::{Comparison, Freshness, Quote};
use std::collections::BTreeMap;

/// Render a comparison: one field per aspect, footnotes in the description.
pub fn comparison(c: &Comparison, fresh: &Freshness) -> Reply {
    let [ra, rb] = &c.roles;
    let title = format!("{} vs {}", truncate(ra, 120), truncate(rb, 120));
    if c.rows.is_empty() {
        return Reply {
            embeds: vec![Embed {
                title: Some(title),
                description: Some(
                    "The corpus has no passages comparing these roles on that aspect.".into(),
                ),
                footer: Some(freshness_footer(fresh)),
                timestamp: built_stamp(fresh),
                color: Some(COLOR_NO_ANSWER),
                ..Default::default()
            }],
            ..Default::default()
        }
        .fitted();
    }
    let shown = c.rows.len().min(limits::FIELDS);
    let footnote_budget = 1400;
    let mut footer = freshness_footer(fresh);
    if c.rows.len() > shown {
        footer = format!(
            "{} more aspect(s) not shown; pick one with the aspect option · {footer}",
            c.rows.len() - shown
        );
    }
    let fixed = title.chars().count() + footer.chars().count() + footnote_budget;
    let per_row = (limits::EMBED_TOTAL.saturating_sub(fixed) / shown).min(limits::FIELD_VALUE);
    // Footnotes: one number per passage, in order of first use.
    let mut notes: Vec<&Quote> = Vec::new();
    let mut ids: BTreeMap<&str, usize> = BTreeMap::new();
    let mut fields = Vec::new();
    for row in c.rows.iter().take(shown) {
        let name = truncate(&row.aspect, limits::FIELD_NAME.min(per_row / 3).max(20));
        let value_budget = per_row.saturating_sub(name.chars().count()).max(60);
        let dis_budget = if row.disagreement.is_some() {
            value_budget / 4
        } else {
            0
        };
        // Two lines and their newlines.
        let cell_budget = (value_budget.saturating_sub(dis_budget + 2)) / 2;
        let mut lines = Vec::new();
        for role in [ra, rb] {
            let label = format!("**{}:** ", escaped_fit(role, 40));
            let quotes = row.cells.get(role).map(Vec::as_slice).unwrap_or(&[]);
            let line = match quotes.first() {
                Some(q) => {
                    let n = *ids.entry(q.passage_id.as_str()).or_insert_with(|| {
                        notes.push(q);
                        notes.len()
                    });
                    let suffix = format!(" [{n}]");
                    let room = cell_budget
                        .saturating_sub(label.chars().count() + suffix.chars().count() + 2);
                    format!("{label}“{}”{suffix}", escaped_fit(&q.text, room))
                }
                None => format!("{label}*no passage in the corpus*"),
            };
            lines.push(line);
        }
        if let Some(d) = &row.disagreement {
            let lead = "⚠ sources disagree: ";
            let room = dis_budget.saturating_sub(lead.chars().count() + 1);
            lines.push(format!("{lead}{}", escaped_fit(&d.summary, room)));
        }
        fields.push(Field {
            name,
            value: truncate(&lines.join("\n"), limits::FIELD_VALUE),
            inline: false,
        });
    }
    let mut description = String::new();
    for (i, q) in notes.iter().enumerate() {
        let line = format!("[{}] {}\n", i + 1, escaped_fit(&q.citation, 200));
        if description.chars().count() + line.chars().count() > footnote_budget {
            description.push('…');
            break;
        }
        description.push_str(&line);
    }
    Reply {
        embeds: vec![Embed {
            title: Some(title),
            description: Some(description),
            fields,
            footer: Some(footer),
            timestamp: built_stamp(fresh),
            color: Some(COLOR_ANSWER),
            image: None,
        }],
        ..Default::default()
    }
    .fitted()
}
