//! Short messages: a titled notice (rebuild progress) and a refusal or error.

use super::reply::{Embed, Reply, COLOR_ERROR, COLOR_OK};

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
