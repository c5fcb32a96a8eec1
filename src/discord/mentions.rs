//! @mentions of the bot and DMs to it: the question in the message, answered with the
//! same cited passages as `/ask`, in a reply or a thread.

use super::ask::{capped, cooldown_refusal, first_page};
use super::render;
use super::respond::{no_mentions, post};
use super::state::State;
use crate::store::EntryPoint;
use serenity::all::{Context, CreateThread, Message};
use std::sync::atomic::Ordering;

/// The question of a message addressed to the bot: its text without the bot's
/// mentions (`<@id>`, `<@!id>`), trimmed. None when the message is not for the bot:
/// in a server it must mention the bot; in a DM every message is.
pub fn question_of(content: &str, bot_id: u64, dm: bool, mentioned: bool) -> Option<String> {
    let plain = format!("<@{bot_id}>");
    let nick = format!("<@!{bot_id}>");
    let addressed = dm || mentioned || content.contains(&plain) || content.contains(&nick);
    if !addressed || bot_id == 0 {
        return None;
    }
    let q = content.replace(&plain, " ").replace(&nick, " ");
    Some(q.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// An @mention of the bot or a DM to it: answer with the same cited passages as `/ask`,
/// replying to (quoting) the asker's message, or in a thread on it
/// (`discord.answer_in_thread`).
pub(super) async fn on_message(st: &State, ctx: &Context, msg: &Message) -> anyhow::Result<()> {
    if !st.settings.answer_mentions || msg.author.bot || msg.webhook_id.is_some() {
        return Ok(());
    }
    let bot = st.bot_id.load(Ordering::SeqCst);
    let dm = msg.guild_id.is_none();
    let mentioned = msg.mentions.iter().any(|u| u.id.get() == bot);
    let Some(question) = question_of(&msg.content, bot, dm, mentioned) else {
        return Ok(());
    };
    let asker = msg.author.id.get();
    tracing::debug!(user = asker, dm, "message question");
    let reply = if question.is_empty() {
        render::refusal(
            "Ask me a question after the mention, e.g. `@rolefaq who owns cybersecurity?` \
             (or use /ask).",
        )
    } else if let Some(refusal) = cooldown_refusal(st, asker) {
        refusal
    } else {
        let guild = msg.guild_id.map(|g| g.get());
        match first_page(
            st,
            &capped(&question),
            asker,
            false,
            EntryPoint::Mention,
            guild,
        )
        .await
        {
            Ok(r) => r,
            Err(m) => render::refusal(&m),
        }
    };
    let mut reply = reply;
    reply.ephemeral = false;
    if st.settings.answer_in_thread && !dm {
        let name: String = if question.is_empty() {
            "rolefaq".to_string()
        } else {
            render::truncate(&question, 90)
        };
        let thread = st
            .within(
                "the thread",
                msg.channel_id.create_thread_from_message(
                    &ctx.http,
                    msg.id,
                    CreateThread::new(name),
                ),
            )
            .await;
        match thread {
            Ok(t) => return post(st, ctx, t.id.get(), &reply).await,
            Err(e) => tracing::info!(error = %e, "no thread (answering in the channel)"),
        }
    }
    st.within(
        "the reply",
        msg.channel_id.send_message(
            &ctx.http,
            reply
                .to_message()
                .reference_message(msg)
                .allowed_mentions(no_mentions().replied_user(false)),
        ),
    )
    .await
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_question_drops_the_bots_mentions() {
        let bot = 42;
        assert_eq!(
            question_of("<@42> who owns security?", bot, false, true).as_deref(),
            Some("who owns security?")
        );
        assert_eq!(
            question_of("hey <@!42>  what does a CTO do", bot, false, false).as_deref(),
            Some("hey what does a CTO do")
        );
        assert_eq!(question_of("who owns security?", bot, false, false), None);
        assert_eq!(
            question_of("who owns security?", bot, true, false).as_deref(),
            Some("who owns security?"),
            "every DM is for the bot"
        );
        assert_eq!(question_of("<@42>", bot, false, true).as_deref(), Some(""));
        assert_eq!(
            question_of("<@42> hi", 0, false, true),
            None,
            "before READY"
        );
    }
}
