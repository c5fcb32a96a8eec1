//! Test support: a fake Discord (REST + gateway) on 127.0.0.1 and a bot harness.
#![allow(dead_code)]

pub mod fake_discord;
pub mod harness;
