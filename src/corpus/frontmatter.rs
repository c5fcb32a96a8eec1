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
    #[error("{key} is {chars} characters long (at most {max}): a document field is copied into every passage")]
    TooLong {
        key: &'static str,
        chars: usize,
        max: usize,
    },
    #[error("{0} contains control characters")]
    Control(&'static str),
}

/// Longest value of each field, in characters. The title is copied into every
/// passage of the document (a 1 MB title made a 1 MB file a 288 MB index).
fn max_chars(key: &str) -> usize {
    match key {
        "title" => 300,
        "author" => 200,
        "url" => 2048,
        _ => 64,
    }
}

/// Check one metadata field (front matter, or an HTML `<title>`): bounded in
/// length, without control characters.
pub fn check_field(key: &'static str, value: &str) -> Result<(), FrontMatterError> {
    let max = max_chars(key);
    let chars = value.chars().count();
    if chars > max {
        return Err(FrontMatterError::TooLong { key, chars, max });
    }
    if value.chars().any(char::is_control) {
        return Err(FrontMatterError::Control(key));
    }
    Ok(())
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
        let value = unquote(value.trim());
        let key = match key.trim().to_ascii_lowercase().as_str() {
            "title" => "title",
            "url" | "source" => "url",
            "author" => "author",
            "published" | "date" => "published",
            other => return Err(FrontMatterError::UnknownKey(other.to_string())),
        };
        check_field(key, value)?;
        let value = (!value.is_empty()).then(|| value.to_string());
        match key {
            "title" => fm.title = value.unwrap_or_default(),
            "url" => fm.url = value,
            "author" => fm.author = value,
            _ => fm.published = value,
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

    #[test]
    fn bounds_and_validates_fields() {
        let long = format!("---\ntitle: {}\n---\n", "é".repeat(301));
        assert_eq!(
            split(&long).unwrap_err(),
            FrontMatterError::TooLong {
                key: "title",
                chars: 301,
                max: 300
            }
        );
        let ok = format!("---\ntitle: {}\n---\n", "é".repeat(300));
        assert!(split(&ok).is_ok());
        assert_eq!(
            split("---\ntitle: a\u{1b}[31m\n---\n").unwrap_err(),
            FrontMatterError::Control("title")
        );
    }
}
