//! Command definitions (the registration payloads) and their registration.
//!
//! Every command says where it can be used (`contexts`: servers, DMs with the bot) and
//! how the app is installed (`integration_types`: server install only), rather than
//! leaving Discord's defaults to decide. `/reindex` carries
//! `default_member_permissions = ADMINISTRATOR`: Discord shows it to server
//! administrators and to whoever a server admin opens it to in *Server Settings ›
//! Integrations*; the bot then decides which servers and users may rebuild the shared
//! index (`guard::may_reindex`). It is usable in DMs only when `admin_user_ids` is set.

use super::sources;
use serenity::all::{
    Command, CommandOptionType, CommandType, CreateCommand, CreateCommandOption, GuildId, Http,
    InstallationContext, InteractionContext, Permissions,
};

pub const ASK: &str = "ask";
pub const COMPARE: &str = "compare";
pub const REINDEX: &str = "reindex";
pub const SOURCES: &str = "sources";
pub const HELP: &str = "help";
pub const GAPS: &str = "gaps";
/// The message context-menu command (right-click a message › Apps).
pub const ASK_MESSAGE: &str = "Ask rolefaq";

/// Longest question accepted by `/ask` (Discord enforces it client-side too).
pub const QUESTION_MAX: u16 = 1000;

/// Localised names and descriptions: `(command, locale, name, description)`. English
/// (the registration's `name`/`description`) is the default for every other locale.
/// Discord sends the default name in interactions whatever the user's locale.
pub const LOCALISED: &[(&str, &str, &str, &str)] = &[
    (
        ASK,
        "fr",
        "demander",
        "Poser une question sur les rôles de direction technique (DSI, CTO…)",
    ),
    (
        ASK,
        "de",
        "fragen",
        "Eine Frage zu IT-Führungsrollen stellen (CIO, CTO …)",
    ),
    (
        COMPARE,
        "fr",
        "comparer",
        "Comparer deux rôles, citations du corpus à l'appui",
    ),
    (
        COMPARE,
        "de",
        "vergleichen",
        "Zwei Rollen nebeneinander vergleichen, mit Zitaten",
    ),
    (
        REINDEX,
        "fr",
        "réindexer",
        "Reconstruire l'index à partir du corpus (admins)",
    ),
    (
        REINDEX,
        "de",
        "neu-indizieren",
        "Den Index aus dem Korpus neu aufbauen (Admins)",
    ),
    (
        GAPS,
        "fr",
        "lacunes",
        "Les questions que le corpus ne couvre pas (admins)",
    ),
    (
        GAPS,
        "de",
        "lücken",
        "Fragen, die der Korpus nicht beantwortet (Admins)",
    ),
    (
        SOURCES,
        "fr",
        "sources",
        "Les documents d'où viennent les réponses",
    ),
    (
        SOURCES,
        "de",
        "quellen",
        "Die Dokumente, aus denen die Antworten stammen",
    ),
    (
        HELP,
        "fr",
        "aide",
        "Ce que fait ce bot et comment l'utiliser",
    ),
    (
        HELP,
        "de",
        "hilfe",
        "Was dieser Bot kann und wie man ihn benutzt",
    ),
    (ASK_MESSAGE, "fr", "Demander à rolefaq", ""),
    (ASK_MESSAGE, "de", "rolefaq fragen", ""),
];

fn localised(mut c: CreateCommand, name: &str) -> CreateCommand {
    for (cmd, locale, n, d) in LOCALISED.iter().filter(|l| l.0 == name) {
        debug_assert_eq!(*cmd, name);
        c = c.name_localized(*locale, *n);
        if !d.is_empty() {
            c = c.description_localized(*locale, *d);
        }
    }
    c
}

/// Where the commands are registered. A guild command is usable in its guild alone, so
/// its `contexts` say just that (servers); global commands get the contexts asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    Guild,
}

/// A command of a server-installed app usable in `contexts` (when global).
fn command(
    scope: Scope,
    name: &str,
    kind: CommandType,
    contexts: Vec<InteractionContext>,
) -> CreateCommand {
    let contexts = match scope {
        Scope::Global => contexts,
        Scope::Guild => vec![InteractionContext::Guild],
    };
    let c = CreateCommand::new(name)
        .kind(kind)
        .integration_types(vec![InstallationContext::Guild])
        .contexts(contexts);
    localised(c, name)
}

fn everywhere() -> Vec<InteractionContext> {
    vec![InteractionContext::Guild, InteractionContext::BotDm]
}

/// All commands of the bot. `reindex_in_dms`: `/reindex` is offered in DMs with the bot
/// (only users in `admin_user_ids` can use it there).
pub fn definitions(scope: Scope, reindex_in_dms: bool) -> Vec<CreateCommand> {
    let reindex_contexts = if reindex_in_dms {
        everywhere()
    } else {
        vec![InteractionContext::Guild]
    };
    vec![
        command(scope, ASK, CommandType::ChatInput, everywhere())
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
        command(scope, COMPARE, CommandType::ChatInput, everywhere())
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
        command(
            scope,
            REINDEX,
            CommandType::ChatInput,
            reindex_contexts.clone(),
        )
        .description("Rebuild the index from the corpus (admins only)")
        .default_member_permissions(Permissions::ADMINISTRATOR),
        command(scope, GAPS, CommandType::ChatInput, reindex_contexts)
            .description("What the corpus misses: unanswered and voted-down questions (admins)")
            .default_member_permissions(Permissions::ADMINISTRATOR)
            .add_option(
                CreateCommandOption::new(
                    CommandOptionType::Integer,
                    "days",
                    "The last this many days (default 30)",
                )
                .min_int_value(1)
                .max_int_value(3650),
            ),
        command(scope, SOURCES, CommandType::ChatInput, everywhere())
            .description("The documents answers are drawn from (admins: add or remove one)")
            .add_option(CreateCommandOption::new(
                CommandOptionType::SubCommand,
                sources::LIST,
                "List the documents answers are drawn from",
            ))
            .add_option(
                CreateCommandOption::new(
                    CommandOptionType::SubCommand,
                    sources::ADD,
                    "Add a document to the corpus and rebuild (admins)",
                )
                .add_sub_option(
                    CreateCommandOption::new(
                        CommandOptionType::Attachment,
                        "file",
                        "A .md, .txt, .html, .pdf or .docx file",
                    )
                    .required(true),
                )
                .add_sub_option(CreateCommandOption::new(
                    CommandOptionType::Boolean,
                    "replace",
                    "Replace the document of the same name (the old file is kept aside)",
                )),
            )
            .add_option(
                CreateCommandOption::new(
                    CommandOptionType::SubCommand,
                    sources::REMOVE,
                    "Take a document out of the corpus and rebuild (admins)",
                )
                .add_sub_option(
                    CreateCommandOption::new(
                        CommandOptionType::String,
                        "id",
                        "The document's id, as /sources list shows it",
                    )
                    .required(true)
                    .max_length(100)
                    .set_autocomplete(true),
                ),
            ),
        command(scope, HELP, CommandType::ChatInput, everywhere())
            .description("What this bot does and how to use it"),
        // Context-menu commands have no description (Discord: empty string or absent).
        command(scope, ASK_MESSAGE, CommandType::Message, everywhere()),
    ]
}

/// Register the commands in each guild of `guild_ids` (instant) or globally when empty.
/// Uses bulk overwrite (`PUT`), so stale commands disappear.
pub async fn register(
    http: &Http,
    guild_ids: &[u64],
    reindex_in_dms: bool,
) -> serenity::Result<()> {
    if guild_ids.is_empty() {
        Command::set_global_commands(http, definitions(Scope::Global, reindex_in_dms)).await?;
        tracing::info!("registered global commands");
    } else {
        for g in guild_ids.iter().filter(|g| **g != 0) {
            GuildId::new(*g)
                .set_commands(http, definitions(Scope::Guild, reindex_in_dms))
                .await?;
            tracing::info!(guild = g, "registered guild commands");
        }
    }
    Ok(())
}
