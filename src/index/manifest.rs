//! `manifest.json` of an index generation: what was built from what, and when.

use crate::model::SourceInfo;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub schema_version: u32,
    /// Fingerprint of the corpus the generation was built from: a hash of `files`.
    pub corpus_hash: String,
    /// What each corpus entry was when the build read it (size, modification
    /// time, hash of the bytes parsed), to tell at open whether it changed.
    #[serde(default)]
    pub files: Vec<crate::corpus::FileStamp>,
    pub documents: usize,
    pub passages: usize,
    /// RFC 3339 build time.
    pub built_at: String,
    pub build_ms: u64,
    /// Per-document content hashes, to report what a rebuild changed.
    pub doc_hashes: Vec<(String, String)>,
    pub sources: Vec<SourceInfo>,
    /// Name of the embedding model when passage embeddings are stored.
    pub model: Option<String>,
    /// The vector size (dimension) of the stored passage and sentence vectors
    /// when there are any. Absent in manifests written before it was recorded
    /// (unknown: the width of `embeddings.f32` is then taken for it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dim: Option<usize>,
    pub dropped_lines: usize,
    pub skipped_files: usize,
    /// The corpus entries skipped (their paths), so that a watched rebuild
    /// can tell a file that has just broken from one that always was.
    #[serde(default)]
    pub skipped: Vec<String>,
}
