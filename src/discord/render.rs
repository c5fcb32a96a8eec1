//! Pure rendering: core values → [`Reply`] (a plain description of a Discord message),
//! with every Discord limit enforced, then converted to serenity builders.
//!
//! Nothing here does I/O; everything is tested without a gateway.

use crate::model::{Answer, Comparison, Freshness, Hit, IndexReport, Quote, SourceInfo};
use serenity::builder::{
    CreateActionRow, CreateButton, CreateEmbed, CreateEmbedFooter,
    CreateInteractionResponseFollowup, CreateInteractionResponseMessage, CreateMessage,
    EditInteractionResponse,
};
use serenity::model::application::ButtonStyle;
use std::collections::BTreeMap;

/// Discord's documented limits (characters unless noted).
pub mod limits {
    pub const CONTENT: usize = 2000;
    pub const EMBED_TITLE: usize = 256;
    pub const EMBED_DESCRIPTION: usize = 4096;
    pub const FIELD_NAME: usize = 256;
    pub const FIELD_VALUE: usize = 1024;
    pub const FIELDS: usize = 25;
    pub const FOOTER: usize = 2048;
    /// Sum of title, description, field names/values and footer over all embeds.
    pub const EMBED_TOTAL: usize = 6000;
    pub const EMBEDS: usize = 10;
    pub const AUTOCOMPLETE_CHOICES: usize = 25;
    pub const CHOICE_CHARS: usize = 100;
    pub const CUSTOM_ID: usize = 100;
    pub const BUTTON_LABEL: usize = 80;
    pub const BUTTONS_PER_ROW: usize = 5;
    pub const ROWS: usize = 5;
}

const COLOR_ANSWER: u32 = 0x2B6CB0;
const COLOR_NO_ANSWER: u32 = 0xB7791F;
const COLOR_ERROR: u32 = 0xC53030;
const COLOR_OK: u32 = 0x2F855A;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Field {
    pub name: String,
    pub value: String,
    pub inline: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Embed {
    pub title: Option<String>,
    pub description: Option<String>,
    pub fields: Vec<Field>,
    pub footer: Option<String>,
    /// ISO 8601 time Discord shows beside the footer in the reader's locale and zone
    /// (the index's build time on answers).
    pub timestamp: Option<String>,
    pub color: Option<u32>,
}

impl Embed {
    /// Characters counted against the 6000 total.
    pub fn total_chars(&self) -> usize {
        let c = |s: &Option<String>| s.as_deref().map_or(0, |s| s.chars().count());
        c(&self.title)
            + c(&self.description)
            + c(&self.footer)
            + self
                .fields
                .iter()
                .map(|f| f.name.chars().count() + f.value.chars().count())
                .sum::<usize>()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ButtonKind {
    Primary,
    Secondary,
    Success,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    pub custom_id: String,
    pub label: String,
    pub kind: ButtonKind,
    pub disabled: bool,
}

/// A message as we mean to send it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reply {
    pub content: Option<String>,
    pub embeds: Vec<Embed>,
    /// One action row of buttons (at most 5).
    pub buttons: Vec<Button>,
    pub ephemeral: bool,
}

impl Reply {
    pub fn text(content: impl Into<String>) -> Self {
        Self {
            content: Some(content.into()),
            ..Default::default()
        }
        .fitted()
    }

    pub fn ephemeral_text(content: impl Into<String>) -> Self {
        Self {
            ephemeral: true,
            ..Self::text(content)
        }
    }

    /// Characters of all embeds, counted as Discord does for the 6000 limit.
    pub fn embed_chars(&self) -> usize {
        self.embeds.iter().map(Embed::total_chars).sum()
    }

    /// Enforce every Discord limit, trimming on character boundaries with an ellipsis.
    pub fn fitted(mut self) -> Self {
        if let Some(c) = &mut self.content {
            *c = truncate(c, limits::CONTENT);
            if c.trim().is_empty() {
                self.content = None;
            }
        }
        self.embeds.truncate(limits::EMBEDS);
        for e in &mut self.embeds {
            trim_opt(&mut e.title, limits::EMBED_TITLE);
            trim_opt(&mut e.description, limits::EMBED_DESCRIPTION);
            trim_opt(&mut e.footer, limits::FOOTER);
            e.fields.truncate(limits::FIELDS);
            for f in &mut e.fields {
                f.name = non_empty(truncate(&f.name, limits::FIELD_NAME));
                f.value = non_empty(truncate(&f.value, limits::FIELD_VALUE));
            }
        }
        // The 6000 total: drop trailing fields, then shorten descriptions, then titles.
        while self.embed_chars() > limits::EMBED_TOTAL {
            let over = self.embed_chars() - limits::EMBED_TOTAL;
            if let Some(e) = self.embeds.iter_mut().rev().find(|e| !e.fields.is_empty()) {
                e.fields.pop();
                continue;
            }
            if let Some(e) = self.embeds.iter_mut().rev().find(|e| {
                e.description
                    .as_ref()
                    .is_some_and(|d| d.chars().count() > 1)
            }) {
                if let Some(d) = &mut e.description {
                    let keep = d.chars().count().saturating_sub(over).max(1);
                    *d = truncate(d, keep);
                }
                continue;
            }
            if let Some(e) = self.embeds.iter_mut().rev().find(|e| e.footer.is_some()) {
                e.footer = None;
                continue;
            }
            // Only titles left: shorten the last embed's title.
            match self.embeds.last_mut() {
                Some(e) => match &mut e.title {
                    Some(t) if t.chars().count() > 1 => {
                        let keep = t.chars().count().saturating_sub(over).max(1);
                        *t = truncate(t, keep);
                    }
                    _ => {
                        self.embeds.pop();
                    }
                },
                None => break,
            }
        }
        self.buttons.truncate(limits::BUTTONS_PER_ROW);
        for b in &mut self.buttons {
            b.label = non_empty(truncate(&b.label, limits::BUTTON_LABEL));
            // custom ids are ours and short; never cut one silently into another id
            debug_assert!(b.custom_id.len() <= limits::CUSTOM_ID);
        }
        self.buttons.retain(|b| {
            !b.custom_id.is_empty() && b.custom_id.chars().count() <= limits::CUSTOM_ID
        });
        if self.content.is_none() && self.embeds.is_empty() {
            self.content = Some("(empty reply)".into());
        }
        self
    }

    pub fn with_buttons_disabled(mut self) -> Self {
        for b in &mut self.buttons {
            b.disabled = true;
        }
        self
    }
}

fn trim_opt(s: &mut Option<String>, max: usize) {
    if let Some(v) = s {
        *v = truncate(v, max);
        if v.trim().is_empty() {
            *s = None;
        }
    }
}

fn non_empty(s: String) -> String {
    if s.trim().is_empty() {
        "\u{2014}".to_string()
    } else {
        s
    }
}

/// Cut `s` to at most `max` characters, ending with "…" when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// Escape Discord markdown so passage text renders verbatim.
pub fn escape_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for ch in s.chars() {
        if matches!(
            ch,
            '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '[' | ']' | '#'
        ) {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// `text` cut to `max_chars` (on a char boundary, "…" when cut) with the byte
/// ranges in `highlights` rendered bold. Invalid or overlapping ranges are ignored.
pub fn highlight(text: &str, highlights: &[(usize, usize)], max_chars: usize) -> String {
    // Where to cut, in bytes.
    let cut = if text.chars().count() > max_chars {
        text.char_indices()
            .nth(max_chars.saturating_sub(1))
            .map_or(text.len(), |(i, _)| i)
    } else {
        text.len()
    };
    let mut ranges: Vec<(usize, usize)> = highlights
        .iter()
        .copied()
        .filter(|&(a, b)| a < b && b <= text.len())
        .filter(|&(a, b)| text.is_char_boundary(a) && text.is_char_boundary(b))
        .map(|(a, b)| (a, b.min(cut)))
        .filter(|&(a, b)| a < b)
        .collect();
    ranges.sort_unstable();
    let mut out = String::new();
    let mut pos = 0;
    for (a, b) in ranges {
        if a < pos {
            continue; // overlaps the previous range
        }
        out.push_str(&escape_markdown(&text[pos..a]));
        let inner = &text[a..b];
        if inner.trim().is_empty() {
            out.push_str(&escape_markdown(inner));
        } else {
            out.push_str("**");
            out.push_str(&escape_markdown(inner));
            out.push_str("**");
        }
        pos = b;
    }
    out.push_str(&escape_markdown(&text[pos..cut]));
    if cut < text.len() {
        out.push('…');
    }
    out
}

fn is_web_url(u: &str) -> bool {
    (u.starts_with("https://") || u.starts_with("http://")) && u.len() <= 512
}

/// A URL safe inside `[label](url)`: characters that end the link or look like
/// markdown are percent-encoded.
fn link_target(u: &str) -> String {
    let mut out = String::with_capacity(u.len());
    for ch in u.chars() {
        match ch {
            '(' | ')' | '[' | ']' | '<' | '>' | '*' | '`' | '|' | '~' | '"' | '\\' => {
                out.push_str(&format!("%{:02X}", ch as u32));
            }
            c if c.is_whitespace() || c.is_control() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// "Title › Section, ¶3", as a markdown link when there is a URL.
fn cite(citation: &str, url: Option<&str>) -> String {
    let citation = if citation.trim().is_empty() {
        "source"
    } else {
        citation
    };
    let label = escaped_fit(&citation.replace('\n', " "), 200);
    match url {
        Some(u) if is_web_url(u) => format!("[{label}]({})", link_target(u)),
        _ => format!("*{label}*"),
    }
}

/// Footer text describing the serving index. Its build time is the embed's
/// `timestamp` ([`built_stamp`]), which Discord shows in each reader's locale; a time
/// that is not RFC 3339 (it never should be) stays in the text.
pub fn freshness_footer(f: &Freshness) -> String {
    let mut s = format!(
        "{} document{} · {} passage{} indexed",
        f.documents,
        plural(f.documents),
        f.passages,
        plural(f.passages)
    );
    if built_stamp(f).is_none() {
        s = format!("Index built {} · {s}", f.built_at);
    }
    if f.stale {
        s.push_str(" · corpus changed since (an admin can /reindex)");
    }
    s
}

/// The index's build time as an embed timestamp, when it is a valid RFC 3339 time.
pub fn built_stamp(f: &Freshness) -> Option<String> {
    serenity::model::Timestamp::parse(f.built_at.trim())
        .ok()
        .map(|t| t.to_string())
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The longest output of `render(k)` that has at most `max` characters, shrinking the
/// input budget `k` from `max` down (rendering can add characters: escapes, emphasis).
fn fit_chars(max: usize, render: impl Fn(usize) -> String) -> String {
    let mut k = max;
    loop {
        let out = render(k);
        let n = out.chars().count();
        if n <= max || k == 0 {
            return out;
        }
        k = (k * max / n).min(k - 1);
    }
}

/// `raw` escaped for markdown, cut so that the escaped text has at most `max` characters.
fn escaped_fit(raw: &str, max: usize) -> String {
    fit_chars(max, |k| escape_markdown(&truncate(raw, k)))
}

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

/// The best sentences with highlights, or the whole passage when `best` is empty.
fn hit_text(h: &Hit, max_chars: usize) -> String {
    if h.best.trim().is_empty() {
        highlight(&h.text, &[], max_chars)
    } else {
        highlight(&h.best, &h.highlights, max_chars)
    }
}

/// True when there are results after this page.
pub fn has_more(a: &Answer, page: PageInfo) -> bool {
    !a.no_answer && page.offset + a.results.len() < a.total
}

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
        }],
        ..Default::default()
    }
    .fitted()
}

/// Sources per page of `/sources`.
pub const SOURCES_PER_PAGE: usize = 10;

/// Number of pages of `/sources` (at least 1).
pub fn source_pages(n: usize) -> usize {
    n.div_ceil(SOURCES_PER_PAGE).max(1)
}

/// Custom id of a `/sources` page button; `owner` (the user who asked for the list)
/// is the only one whose clicks page that message.
pub fn sources_button_id(page: usize, owner: Option<u64>) -> String {
    match owner {
        Some(u) => format!("rf:src:{page}:{u}"),
        None => format!("rf:src:{page}"),
    }
}

/// The "Delete" button of a public answer: only `asker` (or a moderator with Manage
/// Messages) can use it.
pub fn delete_button(asker: u64) -> Button {
    Button {
        custom_id: format!("rf:del:{asker}"),
        label: "Delete".into(),
        kind: ButtonKind::Secondary,
        disabled: false,
    }
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

/// A short titled notice (rebuild progress).
pub fn notice(title: &str, text: &str) -> Reply {
    Reply {
        embeds: vec![Embed {
            title: Some(title.to_string()),
            description: Some(text.to_string()),
            color: Some(COLOR_OK),
            ..Default::default()
        }],
        ..Default::default()
    }
    .fitted()
}

/// How many groups `/gaps` shows (each one embed field).
pub const GAPS_GROUPS: usize = 10;

/// `/gaps`: the period's totals and its top missed groups (count, askers, a few
/// wordings and what down-voters looked for), within Discord's limits (`fitted`).
pub fn gaps(r: &crate::model::GapsReport) -> Reply {
    let mut d = format!(
        "{} questions in the last {} days, {} answered ({:.0} %); 👍 {} · 👎 {}.",
        r.questions,
        r.days,
        r.answered,
        r.answer_rate * 100.0,
        r.votes_up,
        r.votes_down
    );
    if r.groups.is_empty() {
        d.push_str("\nNothing missed in this period.");
    } else {
        d.push_str(&format!(
            "\nMissed (unanswered or voted down), most asked first ({} groups):",
            r.groups.len()
        ));
    }
    let fields = r
        .groups
        .iter()
        .take(GAPS_GROUPS)
        .map(|g| {
            let mut v: Vec<String> = g
                .questions
                .iter()
                .take(3)
                .map(|q| format!("• {}", truncate(q, 200)))
                .collect();
            for c in g.comments.iter().take(2) {
                v.push(format!("looking for: {}", truncate(c, 200)));
            }
            Field {
                name: format!(
                    "{} questions · {} askers · {} unanswered · {} 👎",
                    g.count, g.askers, g.unanswered, g.down_votes
                ),
                value: v.join("\n"),
                inline: false,
            }
        })
        .collect();
    Reply {
        embeds: vec![Embed {
            title: Some(format!("What the corpus misses — last {} days", r.days)),
            description: Some(d),
            fields,
            ..Default::default()
        }],
        ephemeral: true,
        ..Default::default()
    }
    .fitted()
}

/// `/help`.
pub fn help(page_size: usize, cooldown_secs: u64) -> Reply {
    let fields = vec![
        Field {
            name: "/ask question [private]".into(),
            value: format!(
                "Answers from the corpus with the {page_size} best passages, each cited \
                 (document, section, paragraph). \"More results\" pages on; with \
                 `private: true` only you see the answer, and \"Share\" posts it."
            ),
            inline: false,
        },
        Field {
            name: "/compare role_a role_b [aspect]".into(),
            value: "Side-by-side quotes about two roles (e.g. CIO and CTO), one row per \
                    aspect, with a warning where sources disagree."
                .into(),
            inline: false,
        },
        Field {
            name: "/sources".into(),
            value: "The documents the answers come from.".into(),
            inline: false,
        },
        Field {
            name: "Ask rolefaq, @mention, DM".into(),
            value: "Right-click a message › Apps › **Ask rolefaq** to ask its text, or \
                    mention me (or send me a DM) with a question. Public answers have a \
                    **Delete** button for the asker; \"Share\" posts a private answer once."
                .into(),
            inline: false,
        },
        Field {
            name: "/reindex (admins)".into(),
            value: "Rebuild the index from the corpus and report what changed.".into(),
            inline: false,
        },
        Field {
            name: "/gaps [days] (admins)".into(),
            value: "The questions the corpus missed (unanswered or voted down), grouped by \
                    meaning, with what the down-voters were looking for."
                .into(),
            inline: false,
        },
        Field {
            name: "Feedback and privacy".into(),
            value: "Questions are recorded (with the answer's passages and your 👍/👎, \
                    never your user id in clear: only a keyed hash) to show the corpus \
                    owners what is missed (/gaps). The bot's admins \
                    switch recording off with `[store] enabled = false` in its config."
                .into(),
            inline: false,
        },
    ];
    let mut d = String::from(
        "I answer questions about technology-leadership roles (CIO, CTO, …) with \
         verbatim passages from a curated corpus — never invented text.",
    );
    if cooldown_secs > 0 {
        d.push_str(&format!(
            "\nPlease wait {cooldown_secs} s between questions."
        ));
    }
    Reply {
        embeds: vec![Embed {
            title: Some("rolefaq — help".into()),
            description: Some(d),
            fields,
            footer: None,
            timestamp: None,
            color: Some(COLOR_ANSWER),
        }],
        ephemeral: true,
        ..Default::default()
    }
    .fitted()
}

/// `/reindex` result.
pub fn index_report(r: &IndexReport) -> Reply {
    let list = |v: &[String]| -> String {
        if v.is_empty() {
            "none".into()
        } else {
            let shown: Vec<String> = v
                .iter()
                .take(15)
                .map(|s| format!("`{}`", s.replace('`', "'")))
                .collect();
            let mut s = shown.join(", ");
            if v.len() > 15 {
                s.push_str(&format!(" and {} more", v.len() - 15));
            }
            s
        }
    };
    let d = format!(
        "**Documents:** {} · **Passages:** {} · **Time:** {:.1} s\n\
         Embeddings: {}\nBuilt at {}",
        r.documents,
        r.passages,
        r.elapsed_ms as f64 / 1000.0,
        if r.embeddings { "yes" } else { "no" },
        r.built_at
    );
    let mut fields = vec![
        Field {
            name: format!("Added ({})", r.added.len()),
            value: list(&r.added),
            inline: false,
        },
        Field {
            name: format!("Removed ({})", r.removed.len()),
            value: list(&r.removed),
            inline: false,
        },
        Field {
            name: format!("Changed ({})", r.changed.len()),
            value: list(&r.changed),
            inline: false,
        },
    ];
    if !r.skipped.is_empty() {
        let v: Vec<String> = r
            .skipped
            .iter()
            .take(10)
            .map(|s| format!("`{}`: {}", s.path.replace('`', "'"), s.reason))
            .collect();
        fields.push(Field {
            name: format!("Skipped files ({})", r.skipped.len()),
            value: v.join("\n"),
            inline: false,
        });
    }
    Reply {
        embeds: vec![Embed {
            title: Some("Index rebuilt".into()),
            description: Some(d),
            fields,
            footer: None,
            timestamp: None,
            color: Some(COLOR_OK),
        }],
        ..Default::default()
    }
    .fitted()
}

/// A refusal or error: always ephemeral, saying what to do.
pub fn refusal(message: &str) -> Reply {
    Reply {
        embeds: vec![Embed {
            description: Some(message.to_string()),
            color: Some(COLOR_ERROR),
            ..Default::default()
        }],
        ephemeral: true,
        ..Default::default()
    }
    .fitted()
}

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

// ---- conversion to serenity builders -------------------------------------------------

fn embed_builder(e: &Embed) -> CreateEmbed {
    let mut b = CreateEmbed::new();
    if let Some(t) = &e.title {
        b = b.title(t);
    }
    if let Some(d) = &e.description {
        b = b.description(d);
    }
    for f in &e.fields {
        b = b.field(&f.name, &f.value, f.inline);
    }
    if let Some(f) = &e.footer {
        b = b.footer(CreateEmbedFooter::new(f));
    }
    if let Some(c) = e.color {
        b = b.colour(c);
    }
    if let Some(t) = e.timestamp.as_deref() {
        if let Ok(t) = serenity::model::Timestamp::parse(t) {
            b = b.timestamp(t);
        }
    }
    b
}

fn rows(buttons: &[Button]) -> Vec<CreateActionRow> {
    if buttons.is_empty() {
        return Vec::new();
    }
    let bs = buttons
        .iter()
        .map(|b| {
            CreateButton::new(&b.custom_id)
                .label(&b.label)
                .style(match b.kind {
                    ButtonKind::Primary => ButtonStyle::Primary,
                    ButtonKind::Secondary => ButtonStyle::Secondary,
                    ButtonKind::Success => ButtonStyle::Success,
                })
                .disabled(b.disabled)
        })
        .collect();
    vec![CreateActionRow::Buttons(bs)]
}

impl Reply {
    /// For callback types 4 and 7.
    pub fn to_response_message(&self) -> CreateInteractionResponseMessage {
        let mut m = CreateInteractionResponseMessage::new()
            .embeds(self.embeds.iter().map(embed_builder).collect())
            .components(rows(&self.buttons))
            .ephemeral(self.ephemeral);
        if let Some(c) = &self.content {
            m = m.content(c);
        }
        m
    }

    /// For `PATCH …/messages/@original`; replaces content, embeds and components.
    pub fn to_edit(&self) -> EditInteractionResponse {
        let mut e = EditInteractionResponse::new()
            .embeds(self.embeds.iter().map(embed_builder).collect())
            .components(rows(&self.buttons));
        if let Some(c) = &self.content {
            e = e.content(c);
        }
        e
    }

    /// For channel messages (`POST /channels/{id}/messages`: @mention replies, reports).
    pub fn to_message(&self) -> CreateMessage {
        let mut m = CreateMessage::new()
            .embeds(self.embeds.iter().map(embed_builder).collect())
            .components(rows(&self.buttons));
        if let Some(c) = &self.content {
            m = m.content(c);
        }
        m
    }

    /// For follow-up messages (`POST /webhooks/{app}/{token}`).
    pub fn to_followup(&self) -> CreateInteractionResponseFollowup {
        let mut m = CreateInteractionResponseFollowup::new()
            .embeds(self.embeds.iter().map(embed_builder).collect())
            .components(rows(&self.buttons))
            .ephemeral(self.ephemeral);
        if let Some(c) = &self.content {
            m = m.content(c);
        }
        m
    }
}
