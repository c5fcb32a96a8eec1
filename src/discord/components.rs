//! Button clicks: "More results" (the page the button names), "Share" (once),
//! `/sources` pages, "Delete"; expired buttons are disabled. Votes are in `feedback`.

use super::ask::ask_page;
use super::ask::clamp_offset;
use super::failures::core_failure;
use super::feedback::on_vote_click;
use super::ids::{buttons_for, parse_custom_id, ButtonAction, SHARE_PREFIX};
use super::render;
use super::respond::{acknowledge, ephemeral, no_mentions};
use super::responder::Responder;
use super::state::State;
use serenity::all::{
    ActionRowComponent, ButtonKind as SButtonKind, ComponentInteraction, CreateActionRow,
    CreateButton, CreateInteractionResponse, CreateInteractionResponseFollowup,
    CreateInteractionResponseMessage, Http, Permissions,
};
use std::sync::Arc;

/// The message's buttons, those `disable` picks (by custom id) disabled; `relabel`
/// gives a disabled button its new label.
fn rows_with(
    c: &ComponentInteraction,
    disable: impl Fn(&str) -> bool,
    relabel: impl Fn(&str) -> Option<&'static str>,
) -> Vec<CreateActionRow> {
    let mut out = Vec::new();
    for row in &c.message.components {
        let mut buttons = Vec::new();
        for comp in &row.components {
            if let ActionRowComponent::Button(b) = comp {
                if let SButtonKind::NonLink { custom_id, style } = &b.data {
                    let off = b.disabled || disable(custom_id);
                    let mut nb = CreateButton::new(custom_id).style(*style).disabled(off);
                    let label = relabel(custom_id)
                        .map(String::from)
                        .or_else(|| b.label.clone());
                    if let Some(l) = label {
                        nb = nb.label(l);
                    }
                    buttons.push(nb);
                }
            }
        }
        if !buttons.is_empty() {
            out.push(CreateActionRow::Buttons(buttons));
        }
    }
    out
}

/// The message's buttons, all disabled (for expired state).
fn disabled_rows(c: &ComponentInteraction) -> Vec<CreateActionRow> {
    rows_with(c, |_| true, |_| None)
}

async fn on_sources_click(
    st: &State,
    r: &Responder,
    c: &ComponentInteraction,
    page: usize,
    owner: Option<u64>,
) -> anyhow::Result<()> {
    let user = c.user.id.get();
    let res = st.light(|core| (core.sources(), core.freshness())).await;
    let (list, fresh) = match res {
        Ok(v) => v,
        Err(e) => return ephemeral(st, r, &core_failure("sources", &e)).await,
    };
    let mut list_page = render::sources(&list, &fresh, page, Some(user));
    let response = if owner.is_none_or(|o| o == user) {
        CreateInteractionResponse::UpdateMessage(list_page.to_response_message())
    } else {
        // Someone else's list: their own (private) copy at that page.
        list_page.ephemeral = true;
        CreateInteractionResponse::Message(list_page.to_response_message())
    };
    r.send(st, "the sources page", response).await
}

async fn on_delete_click(
    st: &State,
    http: &Arc<Http>,
    r: &Responder,
    c: &ComponentInteraction,
    asker: u64,
) -> anyhow::Result<()> {
    let moderator = c
        .member
        .as_ref()
        .and_then(|m| m.permissions)
        .is_some_and(|p| p.contains(Permissions::MANAGE_MESSAGES));
    if c.user.id.get() != asker && !moderator {
        return ephemeral(
            st,
            r,
            "Only the person who asked (or a moderator with Manage Messages) can delete this answer.",
        )
        .await;
    }
    acknowledge(st, r).await?;
    // The bot's own message: deleting it needs no permission.
    let deleted = st
        .within(
            "the deletion",
            c.channel_id.delete_message(http, c.message.id),
        )
        .await;
    if let Err(e) = deleted {
        tracing::warn!(error = %e, "deleting an answer failed");
        st.within(
            "the follow-up",
            c.create_followup(
                &st.ihttp,
                render::refusal("I could not delete that message. Please try again later.")
                    .to_followup(),
            ),
        )
        .await?;
    }
    Ok(())
}

pub(super) async fn on_component(
    st: &State,
    http: &Arc<Http>,
    r: &Responder,
    c: &ComponentInteraction,
) -> anyhow::Result<()> {
    let user = c.user.id.get();
    let (key, target) = match parse_custom_id(c.data.custom_id.as_str()) {
        Some(ButtonAction::Sources { page, owner }) => {
            return on_sources_click(st, r, c, page, owner).await
        }
        Some(ButtonAction::Delete { asker }) => {
            return on_delete_click(st, http, r, c, asker).await
        }
        Some(ButtonAction::Vote { record, up }) => {
            return on_vote_click(st, r, c, &record, up).await
        }
        Some(ButtonAction::More { key, page }) => (key, Some(page)),
        Some(ButtonAction::Share { key }) => (key, None),
        None => return ephemeral(st, r, "This button is no longer supported. Use /help.").await,
    };
    let Some(ps) = st.page_state(key).await else {
        // Expired or forgotten: disable the buttons on the message, then tell the
        // user (only them).
        r.send(
            st,
            "disabling expired buttons",
            CreateInteractionResponse::UpdateMessage(
                CreateInteractionResponseMessage::new().components(disabled_rows(c)),
            ),
        )
        .await?;
        st.within(
            "the expiry follow-up",
            c.create_followup(
                &st.ihttp,
                CreateInteractionResponseFollowup::new()
                    .embed(
                        serenity::all::CreateEmbed::new()
                            .description("These buttons have expired. Ask again with /ask."),
                    )
                    .ephemeral(true),
            ),
        )
        .await?;
        return Ok(());
    };
    if ps.user_id != user {
        return ephemeral(
            st,
            r,
            "Only the person who asked can use these buttons. Ask your own question with /ask.",
        )
        .await;
    }
    let Some(target) = target else {
        return share(st, r, c, key, user).await;
    };
    // More results: acknowledge (type 6), then edit the message with the page the
    // button names, clamped to the last page; a second click on the same button shows
    // the same page again.
    let step = st.settings.page_size.max(1);
    let offset = clamp_offset(target.saturating_mul(step), ps.total, step);
    acknowledge(st, r).await?;
    match ask_page(st, &ps.question, offset).await {
        Ok(page) => {
            let shown = page.reply.clone();
            let shared = st
                .update_page(key, |p| {
                    p.total = page.total;
                    p.shown = shown;
                })
                .await
                .map_or(ps.shared, |p| p.shared);
            let mut reply = page.reply;
            reply.buttons = buttons_for(
                Some(key),
                page.next,
                ps.private,
                shared,
                ps.user_id,
                ps.record.as_ref(),
            );
            let reply = reply.fitted();
            st.within(
                "the page's edit",
                c.edit_response(&st.ihttp, reply.to_edit().allowed_mentions(no_mentions())),
            )
            .await?;
        }
        Err(msg) => {
            st.within(
                "the follow-up",
                c.create_followup(&st.ihttp, render::refusal(&msg).to_followup()),
            )
            .await?;
        }
    }
    Ok(())
}

/// "Share": post the page currently shown, publicly, once. The private message's
/// "Share" button is disabled (UPDATE_MESSAGE) and the public copy is a follow-up.
async fn share(
    st: &State,
    r: &Responder,
    c: &ComponentInteraction,
    key: &str,
    user: u64,
) -> anyhow::Result<()> {
    // Another replica may have made the answer: its state comes from the store.
    let Some(state) = st.page_state(key).await else {
        return ephemeral(st, r, "These buttons have expired. Ask again with /ask.").await;
    };
    if !st.claim_share(key).await {
        return ephemeral(st, r, "You have already shared this answer.").await;
    }
    let shown = st
        .update_page(key, |p| p.shared = true)
        .await
        .map_or(state.shown, |p| p.shown);
    let share_id = format!("{SHARE_PREFIX}{key}");
    r.send(
        st,
        "disabling Share",
        CreateInteractionResponse::UpdateMessage(
            CreateInteractionResponseMessage::new().components(rows_with(
                c,
                |id| id == share_id,
                |id| (id == share_id).then_some("Shared"),
            )),
        ),
    )
    .await?;
    let mut shared = shown;
    shared.ephemeral = false;
    shared.buttons = vec![render::delete_button(user)];
    shared.content = Some(format!("Shared by <@{user}>"));
    let shared = shared.fitted();
    st.within(
        "the shared answer",
        c.create_followup(
            &st.ihttp,
            shared.to_followup().allowed_mentions(no_mentions()),
        ),
    )
    .await
    .map(|_| ())
}
