//! `INTERACTION_CREATE` payloads serenity 0.12.5 cannot parse: the missing fields are
//! filled with neutral values and the interaction is handled after all.

use super::events::dispatch;
use super::state::State;
use serde_json::{json, Value};
use serenity::all::{Context, Event, Interaction, RawEventHandler};
use std::sync::Arc;

/// Catches `INTERACTION_CREATE` payloads serenity 0.12.5 could not parse because a field
/// it requires is missing (Discord documents several as optional or added them later:
/// `channel_id`, `locale`, `attachment_size_limit`, member `flags`…), fills those with
/// neutral values and handles the interaction instead of silently dropping it.
pub struct Compat {
    pub state: Arc<State>,
}

#[serenity::async_trait]
impl RawEventHandler for Compat {
    async fn raw_event(&self, ctx: Context, ev: Event) {
        let Event::Unknown(unknown) = ev else {
            return;
        };
        if unknown.kind != "INTERACTION_CREATE" {
            return;
        }
        let mut value = unknown.value;
        let filled = fill_interaction_defaults(&mut value);
        match serde_json::from_value::<Interaction>(value) {
            Ok(interaction) => {
                tracing::debug!(?filled, "interaction parsed after filling missing fields");
                dispatch(&self.state, &ctx, interaction).await;
            }
            Err(e) => {
                tracing::warn!(error = %e, ?filled, "INTERACTION_CREATE could not be parsed; ignored");
            }
        }
    }
}

/// Fill fields serenity requires but Discord may omit. Returns the names filled.
pub fn fill_interaction_defaults(v: &mut Value) -> Vec<&'static str> {
    let mut filled = Vec::new();
    let Some(obj) = v.as_object_mut() else {
        return filled;
    };
    if missing(obj.get("channel_id")) {
        let from_channel = obj
            .get("channel")
            .and_then(|c| c.get("id"))
            .or_else(|| obj.get("message").and_then(|m| m.get("channel_id")))
            .cloned();
        // Responses go through the interaction token; the channel id is informational.
        obj.insert(
            "channel_id".into(),
            from_channel.unwrap_or_else(|| json!("1")),
        );
        filled.push("channel_id");
    }
    for (key, default) in [
        ("locale", json!("en-US")),
        ("entitlements", json!([])),
        ("attachment_size_limit", json!(10_485_760)),
        ("version", json!(1)),
    ] {
        if missing(obj.get(key)) {
            obj.insert(key.into(), default);
            filled.push(key);
        }
    }
    if let Some(member) = obj.get_mut("member").and_then(Value::as_object_mut) {
        for (key, default) in [
            ("deaf", json!(false)),
            ("mute", json!(false)),
            ("flags", json!(0)),
        ] {
            if missing(member.get(key)) {
                member.insert(key.into(), default);
                filled.push(key);
            }
        }
    }
    let kind = obj.get("type").and_then(Value::as_u64);
    if matches!(kind, Some(2 | 4)) {
        if let Some(data) = obj.get_mut("data").and_then(Value::as_object_mut) {
            if missing(data.get("type")) {
                data.insert("type".into(), json!(1));
                filled.push("data.type");
            }
        }
    }
    filled
}

/// Absent or JSON null.
fn missing(v: Option<&Value>) -> bool {
    !matches!(v, Some(x) if !x.is_null())
}
