//! Discord's documented limits (characters unless noted).

pub const CONTENT: usize = 2000;
pub const EMBED_TITLE: usize = 256;
pub const EMBED_DESCRIPTION: usize = 4096;
pub const FIELD_NAME: usize = 256;
pub const FIELD_VALUE: usize = 1024;
pub const FIELDS: usize = 25;
pub const FOOTER: usize = 2048;
/// Sum of title, description, field names/values and footer over all embeds.
pub const EMBED_TOTAL: usize = 6000;
pub const EMBEDS: usize = 10;
pub const AUTOCOMPLETE_CHOICES: usize = 25;
pub const CHOICE_CHARS: usize = 100;
pub const CUSTOM_ID: usize = 100;
pub const BUTTON_LABEL: usize = 80;
pub const BUTTONS_PER_ROW: usize = 5;
pub const ROWS: usize = 5;
/// Files per message.
pub const FILES: usize = 10;
/// Bytes per uploaded file (the default upload limit, 10 MiB).
pub const FILE_BYTES: usize = 10 * 1024 * 1024;
