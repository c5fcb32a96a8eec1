//! Conversion of a [`Reply`] to serenity's builders: interaction responses, edits of
//! the original response, channel messages and follow-ups.

use super::reply::{Button, ButtonKind, Embed, File, Reply};
use serenity::builder::{
    CreateActionRow, CreateAttachment, CreateButton, CreateEmbed, CreateEmbedFooter,
    CreateInteractionResponseFollowup, CreateInteractionResponseMessage, CreateMessage,
    EditInteractionResponse,
};
use serenity::model::application::ButtonStyle;

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
    if let Some(i) = &e.image {
        b = b.image(i);
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

fn attachment(f: &File) -> CreateAttachment {
    CreateAttachment::bytes(f.bytes.clone(), f.name.clone())
}

impl Reply {
    /// For callback types 4 and 7.
    pub fn to_response_message(&self) -> CreateInteractionResponseMessage {
        let mut m = CreateInteractionResponseMessage::new()
            .embeds(self.embeds.iter().map(embed_builder).collect())
            .components(rows(&self.buttons))
            .ephemeral(self.ephemeral)
            .files(self.files.iter().map(attachment));
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
        for f in &self.files {
            e = e.new_attachment(attachment(f));
        }
        if let Some(c) = &self.content {
            e = e.content(c);
        }
        e
    }

    /// For channel messages (`POST /channels/{id}/messages`: @mention replies, reports).
    pub fn to_message(&self) -> CreateMessage {
        let mut m = CreateMessage::new()
            .embeds(self.embeds.iter().map(embed_builder).collect())
            .components(rows(&self.buttons))
            .files(self.files.iter().map(attachment));
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
            .ephemeral(self.ephemeral)
            .files(self.files.iter().map(attachment));
        if let Some(c) = &self.content {
            m = m.content(c);
        }
        m
    }
}
