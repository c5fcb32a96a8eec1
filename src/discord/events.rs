//! The serenity event handler: READY (the bot's id, command registration), interactions
//! (dispatched by kind) and messages (@mentions and DMs).

use super::commands;
use super::components::on_component;
use super::feedback::on_modal_submit;
use super::mentions::on_message;
use super::slash::{on_autocomplete, on_command};
use super::state::State;
use serenity::all::{Context, EventHandler, Interaction, Message, Ready};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// The serenity event handler.
pub struct Handler {
    pub state: Arc<State>,
}

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        tracing::info!(
            user = %ready.user.name,
            shard = ?ready.shard.map(|s| (s.id.0, s.total)),
            guilds = ready.guilds.len(),
            "connected to the gateway"
        );
        self.state
            .bot_id
            .store(ready.user.id.get(), Ordering::SeqCst);
        self.state.ihttp.set_application_id(ready.application.id);
        // Register once per process, whichever shard is ready first.
        if self.state.registered.swap(true, Ordering::SeqCst) {
            return;
        }
        let d = &self.state.settings;
        let reindex_in_dms = !d.admin_user_ids.is_empty();
        if let Err(e) = commands::register(&ctx.http, &d.guild_ids, reindex_in_dms).await {
            tracing::error!(error = %e, "registering slash commands failed");
            self.state.registered.store(false, Ordering::SeqCst);
        }
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        dispatch(&self.state, &ctx, interaction).await;
    }

    async fn message(&self, ctx: Context, msg: Message) {
        if let Err(e) = on_message(&self.state, &ctx, &msg).await {
            tracing::warn!(error = %e, "answering a message failed");
        }
    }
}

pub(super) async fn dispatch(st: &State, ctx: &Context, interaction: Interaction) {
    // A secret for 15 minutes: scrubbed from every log line from here on.
    let token = match &interaction {
        Interaction::Command(c) | Interaction::Autocomplete(c) => Some(c.token.as_str()),
        Interaction::Component(c) => Some(c.token.as_str()),
        Interaction::Modal(m) => Some(m.token.as_str()),
        _ => None,
    };
    if let Some(t) = token {
        crate::logging::register_transient(t, crate::logging::INTERACTION_TOKEN_TTL);
    }
    let result = match interaction {
        Interaction::Command(cmd) => on_command(st, ctx, &cmd).await,
        Interaction::Autocomplete(cmd) => on_autocomplete(st, &cmd).await,
        Interaction::Component(c) => on_component(st, ctx, &c).await,
        Interaction::Modal(m) => on_modal_submit(st, &m).await,
        _ => Ok(()),
    };
    if let Err(e) = result {
        tracing::warn!(error = %e, "handling an interaction failed");
    }
}
