//! [`Reply`]: a plain description of a Discord message (content, embeds, one row of
//! buttons), and [`Reply::fitted`], which enforces every Discord limit on it.

use super::limits;
use super::markup::truncate;
use serde::{Deserialize, Serialize};

pub(super) const COLOR_ANSWER: u32 = 0x2B6CB0;
pub(super) const COLOR_NO_ANSWER: u32 = 0xB7791F;
pub(super) const COLOR_ERROR: u32 = 0xC53030;
pub(super) const COLOR_OK: u32 = 0x2F855A;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    pub value: String,
    pub inline: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Embed {
    pub title: Option<String>,
    pub description: Option<String>,
    pub fields: Vec<Field>,
    pub footer: Option<String>,
    /// ISO 8601 time Discord shows beside the footer in the reader's locale and zone
    /// (the index's build time on answers).
    pub timestamp: Option<String>,
    pub color: Option<u32>,
    /// An image shown in the embed: `attachment://NAME` for a file of the reply.
    pub image: Option<String>,
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

/// A file sent with a reply (multipart upload), e.g. a chart an embed shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct File {
    /// The file name (`attachment://NAME` refers to it).
    pub name: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ButtonKind {
    Primary,
    Secondary,
    Success,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    pub custom_id: String,
    pub label: String,
    pub kind: ButtonKind,
    pub disabled: bool,
}

/// A message as we mean to send it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Reply {
    pub content: Option<String>,
    pub embeds: Vec<Embed>,
    /// One action row of buttons (at most 5).
    pub buttons: Vec<Button>,
    pub ephemeral: bool,
    /// Files uploaded with the message (never kept with a page's state) (at most [`limits::FILES`], each at most
    /// [`limits::FILE_BYTES`]: larger ones are left off).
    #[serde(skip)]
    pub files: Vec<File>,
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
        self.files.retain(|f| f.bytes.len() <= limits::FILE_BYTES);
        self.files.truncate(limits::FILES);
        // an image of a file that is not sent would show as a broken link
        let names: Vec<String> = self
            .files
            .iter()
            .map(|f| format!("attachment://{}", f.name))
            .collect();
        for e in &mut self.embeds {
            if e.image
                .as_ref()
                .is_some_and(|i| i.starts_with("attachment://") && !names.contains(i))
            {
                e.image = None;
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
