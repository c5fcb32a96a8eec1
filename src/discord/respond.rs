//! Sending: the initial response of a command (at once, or deferred and edited in),
//! acknowledgements and ephemeral notes on clicks (all through the interaction's
//! [`Responder`]), channel messages.
//!
//! # Fast answers
//!
//! A question's search starts at once; when it is done within `fast_answer_ms` its
//! answer is the initial response (`CHANNEL_MESSAGE_WITH_SOURCE`, one request), else the
//! interaction is deferred and the answer edited in. Interaction callbacks, edits and
//! follow-ups go through their own HTTP client without serenity's rate limiter: serenity
//! 0.12.5 buckets every `webhooks/{application}/{token}/…` call under the application
//! id, so one token's bucket would queue every other answer of the bot, whereas Discord
//! limits interaction webhooks per token and exempts them from the global limit.

use super::render::{self, Reply};
use super::responder::Responder;
use super::state::State;
use serenity::all::{
    ChannelId, CommandInteraction, CreateAllowedMentions, CreateInteractionResponse,
    CreateInteractionResponseMessage, Http,
};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

pub(super) fn no_mentions() -> CreateAllowedMentions {
    CreateAllowedMentions::new()
        .empty_users()
        .empty_roles()
        .everyone(false)
}

pub(super) async fn respond(st: &State, r: &Responder, reply: &Reply) -> anyhow::Result<()> {
    if r.over_http() && !reply.files.is_empty() {
        // An HTTP body carries no files: defer there, then edit the reply in with them.
        defer(st, r, reply.ephemeral).await?;
        return r
            .edit_original(
                st,
                "the reply's edit",
                reply.to_edit().allowed_mentions(no_mentions()),
            )
            .await;
    }
    r.send(
        st,
        "the interaction response",
        CreateInteractionResponse::Message(
            reply.to_response_message().allowed_mentions(no_mentions()),
        ),
    )
    .await
}

pub(super) async fn defer(st: &State, r: &Responder, ephemeral: bool) -> anyhow::Result<()> {
    r.send(
        st,
        "the deferral",
        CreateInteractionResponse::Defer(
            CreateInteractionResponseMessage::new().ephemeral(ephemeral),
        ),
    )
    .await
}

/// After a deferral: show `reply`, or the error. A public deferral cannot turn
/// ephemeral, so errors there delete the placeholder and follow up ephemerally.
pub(super) async fn finish(
    st: &State,
    cmd: &CommandInteraction,
    deferred_ephemeral: bool,
    outcome: Result<Reply, String>,
) -> anyhow::Result<()> {
    match outcome {
        Ok(reply) => {
            st.within(
                "the reply's edit",
                cmd.edit_response(&st.ihttp, reply.to_edit().allowed_mentions(no_mentions())),
            )
            .await?;
        }
        Err(msg) => {
            let r = render::refusal(&msg);
            if deferred_ephemeral {
                st.within(
                    "the refusal's edit",
                    cmd.edit_response(&st.ihttp, r.to_edit()),
                )
                .await?;
            } else {
                st.within("the deletion", cmd.delete_response(&st.ihttp))
                    .await?;
                st.within(
                    "the follow-up",
                    cmd.create_followup(&st.ihttp, r.to_followup()),
                )
                .await?;
            }
        }
    }
    Ok(())
}

/// Answer a command with the outcome of `work` (a search): as the initial response when
/// it is ready within `fast_answer_ms`, else deferred (ephemeral when `private`) and
/// edited in. A refusal is always ephemeral. (Over the HTTP endpoint the window also
/// ends in time for the deferral to be its answer: [`Responder::fast_window`].)
pub(super) async fn answer_or_defer(
    st: &State,
    r: &Responder,
    cmd: &CommandInteraction,
    private: bool,
    work: impl Future<Output = Result<Reply, String>>,
) -> anyhow::Result<()> {
    tokio::pin!(work);
    let fast = r.fast_window(Duration::from_millis(st.settings.fast_answer_ms));
    match tokio::time::timeout(fast, &mut work).await {
        Ok(Ok(mut reply)) => {
            reply.ephemeral = private;
            respond(st, r, &reply).await
        }
        Ok(Err(msg)) => respond(st, r, &render::refusal(&msg)).await,
        Err(_) => {
            defer(st, r, private).await?;
            let outcome = work.await;
            finish(st, cmd, private, outcome).await
        }
    }
}

pub(super) async fn ephemeral(st: &State, r: &Responder, msg: &str) -> anyhow::Result<()> {
    r.send(
        st,
        "the ephemeral response",
        CreateInteractionResponse::Message(render::refusal(msg).to_response_message()),
    )
    .await
}

/// Acknowledge a click without changing anything yet (DEFERRED_UPDATE_MESSAGE), sent
/// as `{"type": 6}` ([`Responder::acknowledge`]).
pub(super) async fn acknowledge(st: &State, r: &Responder) -> anyhow::Result<()> {
    r.acknowledge(st, "the acknowledgement").await
}

pub(super) async fn post(
    st: &State,
    http: &Arc<Http>,
    channel: u64,
    reply: &Reply,
) -> anyhow::Result<()> {
    st.within(
        "the channel message",
        ChannelId::new(channel)
            .send_message(http, reply.to_message().allowed_mentions(no_mentions())),
    )
    .await
    .map(|_| ())
}
