//! What the user is told when the core refuses or fails: what happened and what to do,
//! never a server path or an internal error.

use super::render;
use crate::error::{Error, SourceError};

/// Text shown to the user for an error of the core; says what to do.
pub fn user_message(e: &Error) -> String {
    match e {
        Error::RebuildInProgress => {
            "A rebuild of the index is already in progress. Try again in a minute.".into()
        }
        Error::UnknownRole { given, known } => format!(
            "I don't know the role '{}'. Known roles: {}. Pick one from the suggestions.",
            render::truncate(given, 100),
            render::truncate(known, 1500)
        ),
        Error::UnknownAspect { given, known } => format!(
            "The corpus has no evidence for the aspect '{}'. Aspects with evidence: {}. \
             Leave `aspect` empty to see them all.",
            render::truncate(given, 100),
            render::truncate(known, 1500)
        ),
        Error::BadQuestion(m) => format!("{m} Please rephrase your question."),
        Error::ReadOnlyIndex { .. } => {
            "This bot serves a read-only copy of the index, so /reindex cannot rebuild it here. \
             Rebuild the index where it is built and ship the new copy."
                .into()
        }
        Error::CorpusMissing(_) | Error::EmptyCorpus(_) => {
            "The corpus is missing or empty on the server. Ask an admin to check it and run /reindex.".into()
        }
        Error::Source(SourceError::Io { .. }) => {
            "The corpus directory on the server cannot be changed (it has been logged). \
             Ask whoever runs the bot to check that it is writable."
                .into()
        }
        // names and ids the admin gave, and why the file does not load
        Error::Source(s) => format!("{s}."),
        _ => "Something went wrong on my side (it has been logged). Please try again later.".into(),
    }
}

pub(super) fn core_failure(what: &str, e: &anyhow::Error) -> String {
    tracing::error!(error = %e, "{what} failed in the core");
    "Something went wrong on my side (it has been logged). Please try again later.".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_only_index_is_explained_to_the_admin_without_the_server_path() {
        let e = Error::ReadOnlyIndex {
            dir: "/srv/secret/index".into(),
            reason: "read-only file system".into(),
        };
        let m = user_message(&e);
        assert!(m.contains("read-only"), "{m}");
        assert!(!m.contains("/srv/secret"), "{m}");
    }
}
