//! The front-matter block at the top of a Markdown or plain-text corpus file:
//!
//! ```text
//! ---
//! title: CIO vs CTO: Key Differences
//! url: https://example.com/article
//! author: Jane Doe
//! published: 2025-05-01
//! ---
//! ```
//!
//! One `key: value` per line; values may be wrapped in double quotes. `title` is
//! required, the other keys optional; unknown keys are an error so typos surface.

/// Metadata of a document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrontMatter {
    pub title: String,
    pub url: Option<String>,
    pub author: Option<String>,
    pub published: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrontMatterError {
    #[error("no front matter: the file must start with a '---' line, then 'title: …', then '---'")]
    Missing,
    #[error("front matter is not closed by a '---' line")]
    Unclosed,
    #[error("front matter line {0} is not 'key: value'")]
    BadLine(usize),
    #[error("front matter key '{0}' is unknown (known: title, url, author, published)")]
    UnknownKey(String),
    #[error("front matter has no title")]
    NoTitle,
}

/// Split `text` into its front matter and the body that follows it.
pub fn split(text: &str) -> Result<(FrontMatter, &str), FrontMatterError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().ok_or(FrontMatterError::Missing)?;
    if first.trim_end() != "---" {
        return Err(FrontMatterError::Missing);
    }
    let mut offset = first.len();
    let mut fm = FrontMatter::default();
    for (n, line) in lines.enumerate() {
        offset += line.len();
        let trimmed = line.trim();
        if trimmed == "---" {
            if fm.title.is_empty() {
                return Err(FrontMatterError::NoTitle);
            }
            return Ok((fm, &text[offset..]));
        }
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let (key, value) = trimmed
            .split_once(':')
            .ok_or(FrontMatterError::BadLine(n + 2))?;
        let value = unquote(value.trim()).to_string();
        let some = |v: String| if v.is_empty() { None } else { Some(v) };
        match key.trim().to_ascii_lowercase().as_str() {
            "title" => fm.title = value,
            "url" | "source" => fm.url = some(value),
            "author" => fm.author = some(value),
            "published" | "date" => fm.published = some(value),
            other => return Err(FrontMatterError::UnknownKey(other.to_string())),
        }
    }
    Err(FrontMatterError::Unclosed)
}

fn unquote(v: &str) -> &str {
    v.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keys_and_body() {
        let (fm, body) =
            split("---\ntitle: \"A: B\"\nurl: https://x.test/a\n---\nHello.\n").unwrap();
        assert_eq!(fm.title, "A: B");
        assert_eq!(fm.url.as_deref(), Some("https://x.test/a"));
        assert_eq!(body, "Hello.\n");
    }

    #[test]
    fn reports_missing_unclosed_and_unknown() {
        assert_eq!(split("Hello").unwrap_err(), FrontMatterError::Missing);
        assert_eq!(
            split("---\ntitle: x\n").unwrap_err(),
            FrontMatterError::Unclosed
        );
        assert_eq!(
            split("---\ntitel: x\n---\n").unwrap_err(),
            FrontMatterError::UnknownKey("titel".into())
        );
        assert_eq!(
            split("---\nurl: u\n---\n").unwrap_err(),
            FrontMatterError::NoTitle
        );
        assert_eq!(
            split("---\njunk\n---\n").unwrap_err(),
            FrontMatterError::BadLine(2)
        );
    }
}
