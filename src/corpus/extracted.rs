//! What the parsers of files that are not text (`pdf`, `docx`) give, and why
//! one gives no document: plain data they and `binary` (which dispatches to
//! them) share, so that neither imports the other.

use super::blocks::Block;

/// Why a PDF or DOCX file gives no document. The message names what is wrong
/// with the file; the loader adds the file's name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("encrypted PDF that needs a password to open")]
    Encrypted,
    #[error("encrypted or legacy Word file (an OLE container, not a DOCX zip); save it as .docx without a password")]
    OleContainer,
    #[error("no text layer (scanned or image-only PDF); run OCR on it first")]
    NoText,
    #[error("corrupt or unreadable {format}: {detail}")]
    Corrupt {
        format: &'static str,
        detail: String,
    },
    #[error("metadata sidecar {file}: {detail}")]
    Sidecar { file: String, detail: String },
}

impl FormatError {
    pub(crate) fn corrupt(format: &'static str, detail: impl std::fmt::Display) -> Self {
        FormatError::Corrupt {
            format,
            detail: detail.to_string(),
        }
    }
}

/// What a PDF or DOCX parser gives: the body and the document's own properties.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extracted {
    pub blocks: Vec<Block>,
    pub title: Option<String>,
    pub author: Option<String>,
    /// `YYYY-MM-DD` when the document says when it was made.
    pub published: Option<String>,
}
