//! The search service: owns the open index (and the embedding model when there is one)
//! and answers every command of both shells. Shared as `Arc<Service>` across tasks.

use crate::config::Settings;
use crate::error::Result;
use crate::model::{Answer, Comparison, Freshness, IndexReport, SourceInfo};

/// Options of one question.
#[derive(Debug, Clone, Copy)]
pub struct AskOptions {
    /// Results per page.
    pub top: usize,
    /// Results to skip (pagination: page * top).
    pub offset: usize,
}

pub struct Service {
    settings: Settings,
}

impl Service {
    /// Open the index in `settings.index.dir`, building it from the corpus first when
    /// it is missing or unreadable.
    pub fn open(settings: Settings) -> Result<Self> {
        let _ = &settings;
        todo!("foundation in progress")
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Answer a question with ranked, cited passages (or `no_answer`).
    pub fn ask(&self, question: &str, opts: AskOptions) -> Result<Answer> {
        let _ = (question, opts);
        todo!("foundation in progress")
    }

    /// Compare two roles (any alias the corpus knows), optionally one aspect.
    pub fn compare(&self, a: &str, b: &str, aspect: Option<&str>) -> Result<Comparison> {
        let _ = (a, b, aspect);
        todo!("compare in progress")
    }

    /// Rebuild the index from the corpus beside the serving one, then swap.
    /// Errors with `RebuildInProgress` when another rebuild runs.
    pub fn reindex(&self) -> Result<IndexReport> {
        todo!("foundation in progress")
    }

    /// Documents of the serving index.
    pub fn sources(&self) -> Vec<SourceInfo> {
        todo!("foundation in progress")
    }

    /// Build time and counts of the serving index.
    pub fn freshness(&self) -> Freshness {
        todo!("foundation in progress")
    }

    /// Canonical short names of the roles the corpus knows ("CIO", "CTO", …).
    pub fn known_roles(&self) -> Vec<String> {
        todo!("foundation in progress")
    }

    /// Aspect names the comparison can show.
    pub fn known_aspects(&self) -> Vec<String> {
        todo!("compare in progress")
    }
}
