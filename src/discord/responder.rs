//! The transport seam of an interaction's initial response: every initial response
//! (a message, a deferral, an autocomplete result, a modal, a message update, the
//! `{"type": 6}` acknowledgement) goes through the [`Responder`] of its interaction.
//!
//! * **Gateway** ([`Transport::Callback`]): `POST /interactions/{id}/{token}/callback`
//!   through `State::ihttp`, exactly as serenity's `create_response` sends it.
//! * **HTTP endpoint** ([`Transport::Body`]): the serialised response is handed to the
//!   endpoint, which sends it as the body of its answer to Discord's POST. The endpoint
//!   waits at most until the deadline; then it answers with [`fallback`] (a deferral
//!   fitting the interaction's kind) and a response the handler sends later is
//!   delivered through the interaction's webhook instead (`late`): an update or
//!   message after a deferral edits `@original`, a message after a click's
//!   acknowledgement is a follow-up, a modal can no longer be opened (the user is told
//!   to click again), late autocomplete choices are dropped.
//!
//! Edits of the original response and follow-ups use the interaction token in both
//! modes and do not pass through here.
//!
//! Files: over HTTP only the JSON of a response becomes the body (its attachments'
//! data would need a multipart answer), so `respond` defers a reply with files there
//! and edits it in by the token ([`Responder::edit_original`]), files included.

use super::render;
use super::state::State;
use serde_json::{json, Value};
use serenity::all::{
    CreateAutocompleteResponse, CreateInteractionResponse, CreateInteractionResponseFollowup,
    CreateInteractionResponseMessage, EditInteractionResponse, Interaction, InteractionId,
};
use serenity::builder::Builder as _;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::time::Instant;

/// What an initial response may be, by the kind of the interaction (the HTTP
/// endpoint's deferral and error message depend on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// APPLICATION_COMMAND (slash or message command).
    Command,
    /// MESSAGE_COMPONENT (a button click).
    Component,
    /// APPLICATION_COMMAND_AUTOCOMPLETE.
    Autocomplete,
    /// MODAL_SUBMIT.
    Modal,
}

impl Kind {
    pub fn of(interaction: &Interaction) -> Option<Self> {
        match interaction {
            Interaction::Command(_) => Some(Self::Command),
            Interaction::Component(_) => Some(Self::Component),
            Interaction::Autocomplete(_) => Some(Self::Autocomplete),
            Interaction::Modal(_) => Some(Self::Modal),
            _ => None,
        }
    }
}

/// Where an interaction's initial response goes.
#[derive(Debug)]
pub enum Transport {
    /// The interaction callback endpoint (the gateway shell).
    Callback,
    /// The HTTP endpoint's answer to Discord: the serialised response, if sent before
    /// `deadline`.
    Body {
        tx: oneshot::Sender<Handover>,
        deadline: Instant,
    },
}

/// An initial response handed to the HTTP endpoint: its body, and a signal the
/// endpoint fires (or drops) once the body has gone out, so that the handler's next
/// call (an edit of `@original`) does not overtake the response it edits.
#[derive(Debug)]
pub struct Handover {
    pub body: Vec<u8>,
    pub written: oneshot::Sender<()>,
}

/// How long a handler waits for the endpoint to have written its response.
const WRITTEN_WAIT: Duration = Duration::from_secs(1);

/// The initial-response sender of one interaction.
#[derive(Debug)]
pub struct Responder {
    id: InteractionId,
    token: String,
    kind: Kind,
    via: Via,
}

#[derive(Debug)]
enum Via {
    Callback,
    Body {
        slot: Mutex<Slot>,
        deadline: Instant,
    },
}

/// The HTTP body's state: still awaited, handed over, or answered by the endpoint.
#[derive(Debug)]
enum Slot {
    Waiting(oneshot::Sender<Handover>),
    HandedOver,
    Late,
}

/// `{"type": 6}` (DEFERRED_UPDATE_MESSAGE). serenity's `Acknowledge` adds
/// `"data": null`, which Discord documents as an absent optional field.
fn acknowledgement() -> Value {
    json!({ "type": 6 })
}

/// The response the HTTP endpoint sends when the handler has sent none by the
/// deadline: an ephemeral deferral for commands and modal submits (so nothing private
/// is ever shown publicly: a late public answer is then seen by the asker only), the
/// acknowledgement of a click, no choices for autocomplete.
pub fn fallback(kind: Kind) -> Vec<u8> {
    let v = match kind {
        Kind::Command | Kind::Modal => serde_json::to_value(CreateInteractionResponse::Defer(
            CreateInteractionResponseMessage::new().ephemeral(true),
        ))
        .unwrap_or_else(|_| json!({ "type": 5, "data": { "flags": 64 } })),
        Kind::Component => acknowledgement(),
        Kind::Autocomplete => serde_json::to_value(CreateInteractionResponse::Autocomplete(
            CreateAutocompleteResponse::new(),
        ))
        .unwrap_or_else(|_| json!({ "type": 8, "data": { "choices": [] } })),
    };
    v.to_string().into_bytes()
}

/// The response the HTTP endpoint sends when the handler ended without one: an
/// ephemeral error message (no choices for autocomplete, which cannot show one).
pub fn failed(kind: Kind) -> Vec<u8> {
    if kind == Kind::Autocomplete {
        return fallback(kind);
    }
    let msg = render::refusal(
        "Something went wrong on my side (it has been logged). Please try again later.",
    );
    serde_json::to_vec(&CreateInteractionResponse::Message(
        msg.to_response_message(),
    ))
    .unwrap_or_else(|_| {
        json!({ "type": 4, "data": { "content": "Something went wrong.", "flags": 64 } })
            .to_string()
            .into_bytes()
    })
}

impl Responder {
    /// The responder of `interaction` (None for a kind the bot does not answer: pings).
    pub fn new(interaction: &Interaction, transport: Transport) -> Option<Self> {
        let kind = Kind::of(interaction)?;
        let (id, token) = match interaction {
            Interaction::Command(c) | Interaction::Autocomplete(c) => (c.id, c.token.clone()),
            Interaction::Component(c) => (c.id, c.token.clone()),
            Interaction::Modal(m) => (m.id, m.token.clone()),
            _ => return None,
        };
        let via = match transport {
            Transport::Callback => Via::Callback,
            Transport::Body { tx, deadline } => Via::Body {
                slot: Mutex::new(Slot::Waiting(tx)),
                deadline,
            },
        };
        Some(Self {
            id,
            token,
            kind,
            via,
        })
    }

    /// How long a handler may wait for an answer before it defers: `configured`, or
    /// less when the HTTP endpoint's deadline comes sooner (with a margin for the
    /// deferral to reach the endpoint).
    pub fn fast_window(&self, configured: Duration) -> Duration {
        match &self.via {
            Via::Callback => configured,
            Via::Body { deadline, .. } => configured.min(
                deadline
                    .saturating_duration_since(Instant::now())
                    .saturating_sub(Duration::from_millis(300)),
            ),
        }
    }

    /// True when the initial response is the HTTP endpoint's answer (not a callback).
    pub fn over_http(&self) -> bool {
        matches!(self.via, Via::Body { .. })
    }

    /// Edit the original response (`PATCH …/messages/@original` by the token), files
    /// included.
    pub async fn edit_original(
        &self,
        st: &State,
        what: &str,
        edit: EditInteractionResponse,
    ) -> anyhow::Result<()> {
        st.within(what, edit.execute(&st.ihttp, &self.token))
            .await
            .map(|_| ())
    }

    /// The sender of the HTTP body while it is awaited (taken once: the slot is then
    /// `HandedOver`); else the slot's state.
    fn take_body(&self) -> Result<oneshot::Sender<Handover>, &'static str> {
        let Via::Body { slot, .. } = &self.via else {
            return Err("gateway");
        };
        let mut slot = slot.lock().unwrap_or_else(|p| p.into_inner());
        match std::mem::replace(&mut *slot, Slot::HandedOver) {
            Slot::Waiting(tx) => Ok(tx),
            Slot::HandedOver => Err("handed over"),
            Slot::Late => {
                *slot = Slot::Late;
                Err("late")
            }
        }
    }

    fn mark_late(&self) {
        if let Via::Body { slot, .. } = &self.via {
            *slot.lock().unwrap_or_else(|p| p.into_inner()) = Slot::Late;
        }
    }

    /// Send `response` as the initial response (`what` names it in errors).
    pub async fn send(
        &self,
        st: &State,
        what: &str,
        response: CreateInteractionResponse,
    ) -> anyhow::Result<()> {
        if let Via::Callback = self.via {
            return st
                .within(what, response.execute(&st.ihttp, (self.id, &self.token)))
                .await;
        }
        let body = serde_json::to_value(&response)
            .map_err(|e| anyhow::anyhow!("{what}: cannot serialise the response: {e}"))?;
        self.hand_over(st, what, body).await
    }

    /// Acknowledge a click without changing anything yet (DEFERRED_UPDATE_MESSAGE),
    /// sent as `{"type": 6}`.
    pub async fn acknowledge(&self, st: &State, what: &str) -> anyhow::Result<()> {
        if let Via::Callback = self.via {
            return st
                .within(
                    what,
                    st.ihttp.create_interaction_response(
                        self.id,
                        &self.token,
                        &acknowledgement(),
                        Vec::new(),
                    ),
                )
                .await;
        }
        self.hand_over(st, what, acknowledgement()).await
    }

    /// HTTP mode: the body of the endpoint's answer if it still waits, else [`late`].
    async fn hand_over(&self, st: &State, what: &str, body: Value) -> anyhow::Result<()> {
        let tx = match self.take_body() {
            Ok(tx) => tx,
            Err("late") => return late(st, &self.token, self.kind, what, &body).await,
            // As Discord refuses a second callback (40060).
            Err(_) => anyhow::bail!("{what}: the interaction already has its initial response"),
        };
        let (written, gone) = oneshot::channel();
        let handover = Handover {
            body: body.to_string().into_bytes(),
            written,
        };
        match tx.send(handover) {
            Ok(()) => {
                // Sent, or the connection closed (the signal is dropped): either way done.
                let _ = tokio::time::timeout(WRITTEN_WAIT, gone).await;
                Ok(())
            }
            // The endpoint answered with its fallback meanwhile.
            Err(_) => {
                self.mark_late();
                late(st, &self.token, self.kind, what, &body).await
            }
        }
    }
}

/// Deliver an initial response that came after the HTTP endpoint answered with
/// [`fallback`] of `kind`, through the interaction's webhook (see the module docs).
async fn late(st: &State, token: &str, kind: Kind, what: &str, body: &Value) -> anyhow::Result<()> {
    let kind_of = body.get("type").and_then(Value::as_u64).unwrap_or(0);
    let data = body.get("data").cloned().unwrap_or(Value::Null);
    tracing::debug!(
        response = kind_of,
        ?kind,
        "{what} came after the HTTP deadline"
    );
    // The message fields of a callback's data, for an edit of @original (flags are
    // fixed by the deferral).
    let edit = || {
        let mut d = data.clone();
        if let Some(o) = d.as_object_mut() {
            o.remove("flags");
            o.remove("tts");
        }
        d
    };
    match (kind, kind_of) {
        // Already deferred / acknowledged: nothing more to send now.
        (Kind::Command | Kind::Modal, 5) | (Kind::Component, 5 | 6) => Ok(()),
        (Kind::Command | Kind::Modal, 4 | 7) | (Kind::Component, 7) => st
            .within(
                what,
                st.ihttp
                    .edit_original_interaction_response(token, &edit(), Vec::new()),
            )
            .await
            .map(|_| ()),
        (Kind::Component, 4) => st
            .within(
                what,
                st.ihttp.create_followup_message(token, &data, Vec::new()),
            )
            .await
            .map(|_| ()),
        (Kind::Component, 9) => {
            let note = render::refusal("That took too long to open the form. Please click again.")
                .to_followup();
            send_followup(st, token, what, note).await
        }
        (Kind::Autocomplete, _) => Ok(()),
        (_, other) => Err(anyhow::anyhow!(
            "{what} (type {other}) came after the HTTP deadline and cannot be sent now"
        )),
    }
}

async fn send_followup(
    st: &State,
    token: &str,
    what: &str,
    followup: CreateInteractionResponseFollowup,
) -> anyhow::Result<()> {
    st.within(
        what,
        st.ihttp
            .create_followup_message(token, &followup, Vec::new()),
    )
    .await
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DiscordSettings;
    use crate::discord::state::tests::NoCore;
    use serenity::all::Http;
    use std::sync::Arc;

    fn json(bytes: &[u8]) -> Value {
        serde_json::from_slice(bytes).expect("JSON")
    }

    #[test]
    fn the_http_fallback_fits_each_kind_and_never_shows_anything_publicly() {
        for kind in [Kind::Command, Kind::Modal] {
            let v = json(&fallback(kind));
            assert_eq!(v["type"], 5, "{v}");
            assert_eq!(v["data"]["flags"], 64, "ephemeral: {v}");
        }
        assert_eq!(json(&fallback(Kind::Component)), json!({ "type": 6 }));
        let v = json(&fallback(Kind::Autocomplete));
        assert_eq!(v["type"], 8, "{v}");
        assert_eq!(v["data"]["choices"], json!([]), "{v}");
    }

    #[test]
    fn a_handler_that_sent_nothing_gets_an_ephemeral_error_message() {
        for kind in [Kind::Command, Kind::Component, Kind::Modal] {
            let v = json(&failed(kind));
            assert_eq!(v["type"], 4, "{v}");
            assert_eq!(v["data"]["flags"], 64, "{v}");
            let text = v["data"]["embeds"][0]["description"].as_str().unwrap_or("");
            assert!(text.contains("went wrong"), "{v}");
        }
        // Autocomplete cannot show a message: no choices.
        assert_eq!(json(&failed(Kind::Autocomplete))["type"], 8);
    }

    fn body_responder(deadline: Instant) -> (Responder, oneshot::Receiver<Handover>) {
        let (tx, rx) = oneshot::channel();
        let r = Responder {
            id: InteractionId::new(7),
            token: "tok".into(),
            kind: Kind::Command,
            via: Via::Body {
                slot: Mutex::new(Slot::Waiting(tx)),
                deadline,
            },
        };
        (r, rx)
    }

    #[tokio::test]
    async fn over_http_the_response_is_handed_over_as_serenity_serialises_it() {
        let st = State::new(
            Arc::new(NoCore),
            DiscordSettings::default(),
            Arc::new(Http::new("")),
        );
        let (r, rx) = body_responder(Instant::now() + Duration::from_secs(60));
        let reply = render::refusal("no");
        let response = CreateInteractionResponse::Message(reply.to_response_message());
        let expected = serde_json::to_value(&response).unwrap();
        let endpoint = tokio::spawn(async move {
            let h = rx.await.expect("handed over");
            let _ = h.written.send(());
            h.body
        });
        r.send(&st, "the response", response).await.unwrap();
        let got = json(&endpoint.await.unwrap());
        assert_eq!(got, expected);
        assert_eq!(got["type"], 4);
        assert_eq!(got["data"]["flags"], 64);
        // The acknowledgement is the documented `{"type": 6}` over HTTP too.
        let (r, rx) = body_responder(Instant::now() + Duration::from_secs(60));
        let endpoint = tokio::spawn(async move { rx.await.expect("handed over").body });
        r.acknowledge(&st, "the acknowledgement").await.unwrap();
        assert_eq!(json(&endpoint.await.unwrap()), json!({ "type": 6 }));
        // A second initial response is refused, as Discord refuses a second callback.
        let err = r.acknowledge(&st, "again").await.unwrap_err().to_string();
        assert!(err.contains("already has its initial response"), "{err}");
    }

    #[test]
    fn the_fast_window_ends_before_the_http_deadline() {
        let configured = Duration::from_millis(1200);
        let (r, _rx) = body_responder(Instant::now() + Duration::from_millis(1000));
        assert!(r.fast_window(configured) <= Duration::from_millis(700));
        let (r, _rx) = body_responder(Instant::now());
        assert_eq!(r.fast_window(configured), Duration::ZERO);
        let r = Responder {
            via: Via::Callback,
            ..body_responder(Instant::now()).0
        };
        assert_eq!(r.fast_window(configured), configured);
    }
}
