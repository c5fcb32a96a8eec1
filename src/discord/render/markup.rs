//! Text inside embeds: truncation on character boundaries, markdown escaping,
//! highlights in bold, citation links, and fitting escaped text to a budget.

/// Cut `s` to at most `max` characters, ending with "…" when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// Escape Discord markdown so passage text renders verbatim.
pub fn escape_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for ch in s.chars() {
        if matches!(
            ch,
            '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '[' | ']' | '#'
        ) {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// `text` cut to `max_chars` (on a char boundary, "…" when cut) with the byte
/// ranges in `highlights` rendered bold. Invalid or overlapping ranges are ignored.
pub fn highlight(text: &str, highlights: &[(usize, usize)], max_chars: usize) -> String {
    // Where to cut, in bytes.
    let cut = if text.chars().count() > max_chars {
        text.char_indices()
            .nth(max_chars.saturating_sub(1))
            .map_or(text.len(), |(i, _)| i)
    } else {
        text.len()
    };
    let mut ranges: Vec<(usize, usize)> = highlights
        .iter()
        .copied()
        .filter(|&(a, b)| a < b && b <= text.len())
        .filter(|&(a, b)| text.is_char_boundary(a) && text.is_char_boundary(b))
        .map(|(a, b)| (a, b.min(cut)))
        .filter(|&(a, b)| a < b)
        .collect();
    ranges.sort_unstable();
    let mut out = String::new();
    let mut pos = 0;
    for (a, b) in ranges {
        if a < pos {
            continue; // overlaps the previous range
        }
        out.push_str(&escape_markdown(&text[pos..a]));
        let inner = &text[a..b];
        if inner.trim().is_empty() {
            out.push_str(&escape_markdown(inner));
        } else {
            out.push_str("**");
            out.push_str(&escape_markdown(inner));
            out.push_str("**");
        }
        pos = b;
    }
    out.push_str(&escape_markdown(&text[pos..cut]));
    if cut < text.len() {
        out.push('…');
    }
    out
}

fn is_web_url(u: &str) -> bool {
    (u.starts_with("https://") || u.starts_with("http://")) && u.len() <= 512
}

/// A URL safe inside `[label](url)`: characters that end the link or look like
/// markdown are percent-encoded.
fn link_target(u: &str) -> String {
    let mut out = String::with_capacity(u.len());
    for ch in u.chars() {
        match ch {
            '(' | ')' | '[' | ']' | '<' | '>' | '*' | '`' | '|' | '~' | '"' | '\\' => {
                out.push_str(&format!("%{:02X}", ch as u32));
            }
            c if c.is_whitespace() || c.is_control() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// "Title › Section, ¶3", as a markdown link when there is a URL.
pub(super) fn cite(citation: &str, url: Option<&str>) -> String {
    let citation = if citation.trim().is_empty() {
        "source"
    } else {
        citation
    };
    let label = escaped_fit(&citation.replace('\n', " "), 200);
    match url {
        Some(u) if is_web_url(u) => format!("[{label}]({})", link_target(u)),
        _ => format!("*{label}*"),
    }
}

pub(super) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The longest output of `render(k)` that has at most `max` characters, shrinking the
/// input budget `k` from `max` down (rendering can add characters: escapes, emphasis).
pub(super) fn fit_chars(max: usize, render: impl Fn(usize) -> String) -> String {
    let mut k = max;
    loop {
        let out = render(k);
        let n = out.chars().count();
        if n <= max || k == 0 {
            return out;
        }
        k = (k * max / n).min(k - 1);
    }
}

/// `raw` escaped for markdown, cut so that the escaped text has at most `max` characters.
pub(super) fn escaped_fit(raw: &str, max: usize) -> String {
    fit_chars(max, |k| escape_markdown(&truncate(raw, k)))
}
