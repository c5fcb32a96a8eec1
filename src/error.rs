//! Errors of the core. Shells add context with `anyhow`.

use crate::config::ConfigError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("corpus directory {0} does not exist or is not readable")]
    CorpusMissing(String),
    #[error("the corpus has no loadable documents in {0}")]
    EmptyCorpus(String),
    #[error("index error: {0}")]
    Index(String),
    #[error("I/O error on {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("not rebuilt: {0} could not be read (the index is kept as it was; fix or remove it)")]
    BrokenFiles(String),
    #[error("a rebuild of the index is already in progress; try again when it has finished")]
    RebuildInProgress,
    #[error(
        "the index at {dir} is read-only ({reason}): it is served as it is, but cannot be \
         rebuilt here; rebuild it where it is built and ship it"
    )]
    ReadOnlyIndex { dir: String, reason: String },
    #[error("{0}")]
    BadQuestion(String),
    #[error("unknown role '{given}'; known roles: {known}")]
    UnknownRole { given: String, known: String },
    #[error("no evidence for aspect '{given}'; aspects with evidence: {known}")]
    UnknownAspect { given: String, known: String },
    /// Reading the question store (`gaps`); writes never return errors.
    #[error("question store: {0}")]
    Store(String),
    /// Adding or removing a corpus document (`/sources add|remove`).
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("embedding model error: {0}")]
    Model(String),
    /// Building what serves a generation (roles, comparison evidence, lexicon)
    /// panicked; the panic was caught and the generation is not served.
    #[error("building the search engine for index generation {generation} failed ({message}); this is a bug in rolefaq, please report it with the corpus file that caused it")]
    EngineBuild { generation: String, message: String },
}

/// Why a document could not be added to or removed from the corpus. Each says
/// what to do.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{0}: unsupported file type (add a .md, .txt, .html, .pdf or .docx file)")]
    Unsupported(String),
    #[error("{0}: the file name has no letters or digits to keep; rename the file")]
    BadName(String),
    #[error("{0} is empty")]
    Empty(String),
    #[error("{name} is {size} bytes; documents may be at most {max} bytes")]
    TooLarge { name: String, size: u64, max: u64 },
    #[error("{name} cannot be read as a corpus document: {reason}")]
    Invalid { name: String, reason: String },
    #[error("a document with the id '{0}' is already in the corpus; remove it first, or add with replace")]
    Exists(String),
    #[error("no corpus document has the id '{0}' (see /sources for the ids)")]
    UnknownId(String),
    #[error("the corpus directory {dir} cannot be changed: {source}")]
    Io { dir: String, source: std::io::Error },
}

impl From<tantivy::TantivyError> for Error {
    fn from(e: tantivy::TantivyError) -> Self {
        Error::Index(e.to_string())
    }
}

impl From<tantivy::directory::error::OpenDirectoryError> for Error {
    fn from(e: tantivy::directory::error::OpenDirectoryError) -> Self {
        Error::Index(e.to_string())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Attach a path to an I/O error.
pub fn io_err(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.display().to_string(),
        source,
    }
}
