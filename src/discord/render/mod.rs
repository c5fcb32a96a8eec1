//! Pure rendering: core values → [`Reply`] (a plain description of a Discord message),
//! with every Discord limit enforced, then converted to serenity builders.
//!
//! Nothing here does I/O; everything is tested without a gateway.
//!
//! * `reply`: [`Reply`], its embeds and buttons, and [`Reply::fitted`] (the limits);
//! * `limits`: Discord's documented limits; `markup`: truncation, escaping, highlights,
//!   citation links;
//! * `answer`, `comparison`, `sources`, `reports` (`/reindex`, `/gaps`), `help`,
//!   `notices` (notices and refusals), `choices` (autocomplete), `freshness` (the
//!   index's footer and timestamp);
//! * `builders`: [`Reply`] → serenity's builders.

mod answer;
mod builders;
mod choices;
mod comparison;
mod freshness;
mod help;
pub mod limits;
mod markup;
mod notices;
mod reply;
mod reports;
mod sources;

pub use super::ids::{delete_button, sources_button_id};
pub use answer::{answer, has_more, PageInfo};
pub use choices::choices;
pub use comparison::comparison;
pub use freshness::{built_stamp, freshness_footer};
pub use help::help;
pub use markup::{escape_markdown, highlight, truncate};
pub use notices::{notice, refusal};
pub use reply::{Button, ButtonKind, Embed, Field, File, Reply};
pub use reports::{gaps, index_report, source_change, watch_event, GAPS_CHART, GAPS_GROUPS};
pub use sources::{source_pages, sources, SOURCES_PER_PAGE};
