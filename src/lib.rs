//! rolefaq: answers questions about technology-leadership roles from a cited corpus.
//!
//! The core (corpus, index, search, compare) is pure and knows nothing of Discord
//! or the terminal; `cli` and `discord` are thin shells over [`service::Service`].

pub mod compare;
pub mod config;
pub mod discord;
pub mod embed;
pub mod error;
pub mod model;
pub mod roles;
pub mod service;
pub mod store;
pub mod text;
pub mod vector;

pub use error::{Error, Result};
pub mod bench;
pub mod cli;
pub mod corpus;
pub mod eval;
pub mod gaps;
pub mod index;
pub mod logging;
pub mod memo;
pub mod search;
pub mod watch;
