//! The integration tests, as one test binary: every binary links the whole
//! dependency tree (tantivy, candle, serenity), so one binary instead of a dozen
//! saves about a gigabyte of disk and a minute of linking per build.
//! `discord_logs` (installs the global tracing subscriber) and `discord_bench`
//! (an ignored benchmark) stay binaries of their own.
//!
//! Run one group with a filter: `cargo test --test suite discord_e2e::`.

#[path = "../common/mod.rs"]
mod common;
#[path = "../support/mod.rs"]
mod support;

mod cli;
mod compare;
mod config;
mod corpus;
mod discord_e2e;
mod discord_http;
mod discord_render;
mod discord_serve;
mod embed;
mod formats;
mod fuzz;
mod gaps;
mod index;
mod layers;
mod pg;
mod quality;
mod sources;
mod store;
mod unicode;
mod watch;
