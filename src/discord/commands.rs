//! Slash-command definitions (the registration payloads) and their registration.

use serenity::all::{
    Command, CommandOptionType, CommandType, CreateCommand, CreateCommandOption, GuildId, Http,
    Permissions,
};

pub const ASK: &str = "ask";
pub const COMPARE: &str = "compare";
pub const REINDEX: &str = "reindex";
pub const SOURCES: &str = "sources";
pub const HELP: &str = "help";

/// Longest question accepted by `/ask` (Discord enforces it client-side too).
pub const QUESTION_MAX: u16 = 1000;

/// All commands of the bot.
pub fn definitions() -> Vec<CreateCommand> {
    vec![
        CreateCommand::new(ASK)
            .kind(CommandType::ChatInput)
            .description("Ask a question about technology-leadership roles (CIO, CTO, …)")
            .add_option(
                CreateCommandOption::new(CommandOptionType::String, "question", "Your question")
                    .required(true)
                    .min_length(1)
                    .max_length(QUESTION_MAX),
            )
            .add_option(CreateCommandOption::new(
                CommandOptionType::Boolean,
                "private",
                "Only you see the answer (you can share it afterwards)",
            )),
        CreateCommand::new(COMPARE)
            .kind(CommandType::ChatInput)
            .description("Compare two roles side by side, with quotes from the corpus")
            .add_option(
                CreateCommandOption::new(
                    CommandOptionType::String,
                    "role_a",
                    "First role, e.g. CIO",
                )
                .required(true)
                .max_length(100)
                .set_autocomplete(true),
            )
            .add_option(
                CreateCommandOption::new(
                    CommandOptionType::String,
                    "role_b",
                    "Second role, e.g. CTO",
                )
                .required(true)
                .max_length(100)
                .set_autocomplete(true),
            )
            .add_option(
                CreateCommandOption::new(
                    CommandOptionType::String,
                    "aspect",
                    "Only this aspect (e.g. reporting line)",
                )
                .max_length(100)
                .set_autocomplete(true),
            ),
        CreateCommand::new(REINDEX)
            .kind(CommandType::ChatInput)
            .description("Rebuild the index from the corpus (admins only)")
            .default_member_permissions(Permissions::ADMINISTRATOR),
        CreateCommand::new(SOURCES)
            .kind(CommandType::ChatInput)
            .description("List the documents answers are drawn from"),
        CreateCommand::new(HELP)
            .kind(CommandType::ChatInput)
            .description("What this bot does and how to use it"),
    ]
}

/// Register the commands in each guild of `guild_ids` (instant) or globally when empty.
/// Uses bulk overwrite (`PUT`), so stale commands disappear.
pub async fn register(http: &Http, guild_ids: &[u64]) -> serenity::Result<()> {
    if guild_ids.is_empty() {
        Command::set_global_commands(http, definitions()).await?;
        tracing::info!("registered global commands");
    } else {
        for g in guild_ids.iter().filter(|g| **g != 0) {
            GuildId::new(*g).set_commands(http, definitions()).await?;
            tracing::info!(guild = g, "registered guild commands");
        }
    }
    Ok(())
}
