//! PDF: the text layer, page by page, through `pdf-extract` (on `lopdf`), to blocks.
//!
//! An untagged PDF marks no structure, so it is read from the layout: each glyph's
//! position and size gives lines; a line in a larger font than the body text is a
//! heading; a wider gap than the usual line pitch, a first-line indent, a change of
//! font size or a short line ending a sentence ends a paragraph; a line starting
//! with a bullet or "1." starts a list item. Page-number lines and lines repeated at
//! the top or bottom of most pages (running headers and footers) are dropped. A
//! paragraph cut by a page break is joined again and cited at the page it starts
//! on. Tables are not marked in a PDF; their rows read as lines.
//!
//! Before the blocks of each page after the first comes a [`Block::Page`] marker,
//! from which passages get their page number.
//!
//! A PDF encrypted with only an owner password (printing/copying restrictions, no
//! password to open) is read, as every viewer does; one that needs a password to
//! open is [`FormatError::Encrypted`]. A page the reader cannot decode (or panics
//! on) is left out with a warning; no text on any page is [`FormatError::NoText`].

use super::blocks::{collapse, Block};
use super::extracted::{Extracted, FormatError};
use pdf_extract::{Document, MediaBox, OutputDev, OutputError, Transform};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// One line of text as laid out: baseline `y` (PDF units, up), left/right edges, size.
#[derive(Debug, Clone, PartialEq)]
struct Line {
    x0: f64,
    x1: f64,
    y: f64,
    size: f64,
    text: String,
    /// The words with their left and right edges, for table columns.
    words: Vec<Word>,
}

#[derive(Debug, Clone, PartialEq)]
struct Word {
    x0: f64,
    x1: f64,
    text: String,
}

impl Line {
    fn new(x0: f64, x1: f64, y: f64, size: f64, text: &str) -> Line {
        Line {
            x0,
            x1,
            y,
            size,
            text: text.to_string(),
            words: vec![Word {
                x0,
                x1,
                text: text.to_string(),
            }],
        }
    }
}

/// A horizontal gap wider than this many font sizes separates table cells.
const COLUMN_GAP: f64 = 1.5;

/// Collects the glyphs of one page into lines, in content-stream order.
#[derive(Default)]
struct Collector {
    lines: Vec<Line>,
}

impl OutputDev for Collector {
    fn begin_page(
        &mut self,
        _page_num: u32,
        _media_box: &MediaBox,
        _art_box: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        Ok(())
    }
    fn end_page(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _spacing: f64,
        font_size: f64,
        ch: &str,
    ) -> Result<(), OutputError> {
        // the same size estimate as pdf-extract's own plain-text output
        let vx = font_size * (trm.m11 + trm.m21);
        let vy = font_size * (trm.m12 + trm.m22);
        let size = (vx * vy).abs().sqrt();
        if !size.is_finite() || size <= 0.0 {
            return Ok(());
        }
        let (x, y) = (trm.m31, trm.m32);
        let end = x + width * size;
        let same_line = self
            .lines
            .last()
            .is_some_and(|l| (y - l.y).abs() <= 0.5 * size.min(l.size) && x >= l.x1 - size);
        if same_line {
            if let Some(l) = self.lines.last_mut() {
                if x > l.x1 + COLUMN_GAP * size {
                    // a column gap: a table's cells
                    l.text.truncate(l.text.trim_end().len());
                    l.text.push('\t');
                } else if x > l.x1 + 0.1 * size && !l.text.ends_with([' ', '\t']) && ch != " " {
                    l.text.push(' ');
                }
                let new_word = l.text.ends_with([' ', '\t']) || l.words.is_empty();
                l.text.push_str(ch);
                l.x1 = l.x1.max(end);
                l.size = l.size.max(size);
                if !ch.trim().is_empty() {
                    match l.words.last_mut() {
                        Some(w) if !new_word => {
                            w.text.push_str(ch);
                            w.x1 = w.x1.max(end);
                        }
                        _ => l.words.push(Word {
                            x0: x,
                            x1: end,
                            text: ch.to_string(),
                        }),
                    }
                }
            }
        } else if !ch.trim().is_empty() {
            self.lines.push(Line::new(x, end, y, size, ch));
        }
        Ok(())
    }
    fn begin_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

fn is_password_error(e: &pdf_extract::Error) -> bool {
    matches!(
        e,
        pdf_extract::Error::InvalidPassword | pdf_extract::Error::Decryption(_)
    ) || e.to_string().to_lowercase().contains("password")
}

/// Extract the blocks and properties of a PDF.
pub fn extract(bytes: &[u8]) -> Result<Extracted, FormatError> {
    if !bytes.starts_with(b"%PDF-") && !bytes.get(..1024).is_some_and(|h| find(h, b"%PDF-")) {
        return Err(FormatError::corrupt("PDF", "no %PDF header"));
    }
    let loaded = catch_unwind(|| Document::load_mem(bytes))
        .map_err(|p| FormatError::corrupt("PDF", panic_message(&*p)))?;
    let mut doc = match loaded {
        Ok(d) => d,
        Err(e) if is_password_error(&e) => return Err(FormatError::Encrypted),
        Err(e) => return Err(FormatError::corrupt("PDF", e)),
    };
    if doc.is_encrypted() && doc.decrypt("").is_err() {
        return Err(FormatError::Encrypted);
    }
    let pages = doc.get_pages();
    if pages.is_empty() {
        return Err(FormatError::corrupt("PDF", "no pages"));
    }
    let mut laid_out: Vec<(u32, Vec<Line>)> = Vec::with_capacity(pages.len());
    for &number in pages.keys() {
        let mut out = Collector::default();
        let run = catch_unwind(AssertUnwindSafe(|| {
            pdf_extract::output_doc_page(&doc, &mut out, number)
        }));
        match run {
            Ok(Ok(())) => laid_out.push((number, out.lines)),
            Ok(Err(e)) => tracing::warn!(page = number, "PDF page left out: {e}"),
            Err(p) => tracing::warn!(
                page = number,
                "PDF page left out: the reader failed ({})",
                panic_message(&*p)
            ),
        }
    }
    if laid_out
        .iter()
        .all(|(_, lines)| lines.iter().all(|l| l.text.trim().is_empty()))
    {
        return Err(FormatError::NoText);
    }
    let blank: Vec<u32> = laid_out
        .iter()
        .filter(|(_, lines)| lines.iter().all(|l| l.text.trim().is_empty()))
        .map(|(n, _)| *n)
        .collect();
    if !blank.is_empty() {
        tracing::warn!(pages = ?blank, "PDF pages without a text layer (scanned or image-only) give no passages");
    }
    let (title, author, published) = info(&doc);
    Ok(Extracted {
        blocks: blocks_of_pages(laid_out),
        title,
        author,
        published,
    })
}

fn find(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Title, Author and CreationDate from the Info dictionary.
fn info(doc: &Document) -> (Option<String>, Option<String>, Option<String>) {
    let dict = doc
        .trailer
        .get(b"Info")
        .ok()
        .and_then(|o| doc.dereference(o).ok())
        .and_then(|(_, o)| o.as_dict().ok());
    let Some(dict) = dict else {
        return (None, None, None);
    };
    let text = |key: &[u8]| {
        dict.get(key)
            .ok()
            .and_then(|o| doc.dereference(o).ok())
            .and_then(|(_, o)| pdf_extract::decode_text_string(o).ok())
            .map(|s| collapse(&s))
            .filter(|s| !s.is_empty())
    };
    let date = text(b"CreationDate").and_then(|d| pdf_date(&d));
    (text(b"Title"), text(b"Author"), date)
}

/// "D:20250501093000+02'00'" → "2025-05-01".
fn pdf_date(d: &str) -> Option<String> {
    let digits: String = d
        .trim_start_matches("D:")
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    let (y, m, day) = (digits.get(0..4)?, digits.get(4..6)?, digits.get(6..8)?);
    Some(format!("{y}-{m}-{day}"))
}

/// Bullet glyphs that start a list item (LibreOffice, Word and LaTeX bullets).
const BULLETS: [char; 10] = ['•', '◦', '▪', '■', '●', '○', '–', '-', '*', '\u{f0b7}'];

/// The text after a list marker ("• x", "1. x", "a) x"), if the line starts with one.
fn list_item(text: &str) -> Option<&str> {
    let t = text.trim_start();
    let mut chars = t.chars();
    let first = chars.next()?;
    if BULLETS.contains(&first) {
        let rest = chars.as_str();
        return rest.starts_with(char::is_whitespace).then(|| rest.trim());
    }
    let marker: String = t
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let numeric =
        !marker.is_empty() && marker.len() <= 3 && marker.chars().all(|c| c.is_ascii_digit());
    let letter = marker.len() == 1 && marker.chars().all(|c| c.is_ascii_lowercase());
    if numeric || letter {
        let rest = t.get(marker.len()..)?;
        let rest = rest
            .strip_prefix(". ")
            .or_else(|| rest.strip_prefix(") "))
            .filter(|_| numeric || rest.starts_with(") "))?;
        return Some(rest.trim());
    }
    None
}

fn ends_sentence(s: &str) -> bool {
    s.trim_end()
        .trim_end_matches(['"', '”', '’', ')'])
        .ends_with(['.', '!', '?', ':', ';'])
}

/// Join a wrapped line to the text before it, undoing a hyphenation at the break.
fn join_line(text: &mut String, next: &str) {
    let hyphenated = text.ends_with('-')
        && text.chars().rev().nth(1).is_some_and(|c| c.is_alphabetic())
        && next.chars().next().is_some_and(|c| c.is_lowercase());
    if hyphenated {
        text.pop();
    } else if !text.is_empty() {
        text.push(' ');
    }
    text.push_str(next);
}

/// A page-number line: "3", "- 3 -", "Page 3", "3 of 12", "Page 3 of 12".
fn page_number_line(t: &str) -> bool {
    let lower = t.trim().to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| c.is_whitespace() || c == '-' || c == '–' || c == '/' || c == '|')
        .filter(|w| !w.is_empty())
        .collect();
    !words.is_empty()
        && words.len() <= 4
        && words.iter().any(|w| w.chars().all(|c| c.is_ascii_digit()))
        && words
            .iter()
            .all(|w| w.chars().all(|c| c.is_ascii_digit()) || ["page", "of", "p."].contains(w))
}

/// A line's text with digits masked, for finding running headers and footers.
fn masked(t: &str) -> String {
    collapse(t)
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect()
}

/// Drop page numbers and running headers/footers: the first and last line of
/// a page that are page numbers, or that recur (digits aside) in that place on at
/// least half of the pages (and at least three), or on two pages when they are
/// short and carry a number.
fn drop_running_lines(pages: &mut [(u32, Vec<Line>)]) {
    let edge = |lines: &[Line], i: usize| i == 0 || i + 1 == lines.len();
    let mut counts: std::collections::HashMap<String, usize> = Default::default();
    for (_, lines) in pages.iter() {
        let mut seen = std::collections::HashSet::new();
        for (i, l) in lines.iter().enumerate() {
            if edge(lines, i) && seen.insert(masked(&l.text)) {
                *counts.entry(masked(&l.text)).or_default() += 1;
            }
        }
    }
    let min = (pages.len().div_ceil(2)).max(3);
    for (_, lines) in pages.iter_mut() {
        let n = lines.len();
        let mut i = 0;
        lines.retain(|l| {
            let at_edge = i == 0 || i + 1 == n;
            i += 1;
            let m = masked(&l.text);
            let seen = counts.get(&m).copied().unwrap_or(0);
            // a short line that carries a number ("Chapter 4: Reference 17") recurring
            // at the edge of two pages is a running header with its page number
            let numbered =
                m.contains('#') && m.split_whitespace().count() <= 10 && !ends_sentence(&m);
            !(at_edge && (page_number_line(&l.text) || seen >= min || (numbered && seen >= 2)))
        });
    }
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied()
}

/// The size of most of the text (by characters), rounded to a half point.
fn body_size(pages: &[(u32, Vec<Line>)]) -> f64 {
    let mut by_size: std::collections::BTreeMap<i64, usize> = Default::default();
    for l in pages.iter().flat_map(|(_, ls)| ls) {
        *by_size.entry((l.size * 2.0).round() as i64).or_default() += l.text.chars().count();
    }
    by_size
        .into_iter()
        .max_by_key(|&(_, n)| n)
        .map(|(s, _)| s as f64 / 2.0)
        .unwrap_or(10.0)
}

/// The width the line's first word (and a space) would take at the end of the
/// line before: when it would have fitted there, the line before ended on purpose.
fn first_word_width(line: &Line) -> f64 {
    let chars = line.text.chars().count().max(1) as f64;
    let per_char = (line.x1 - line.x0).max(0.0) / chars;
    let word = line
        .text
        .split_whitespace()
        .next()
        .map_or(0, |w| w.chars().count()) as f64;
    (word + 1.0) * per_char
}

fn similar(a: f64, b: f64) -> bool {
    (a - b).abs() <= 0.1 * a.max(b)
}

/// What is being assembled on a page.
enum Open {
    None,
    Heading(String),
    Para(String),
    List(Vec<String>, f64),
    /// Rows, and the empty x ranges between the columns.
    Table(Vec<Vec<String>>, Vec<Gutter>),
}

/// An empty x range between two table columns: (left, right).
type Gutter = (f64, f64);

/// Cells of a line split at column gaps, with their extents.
fn gap_cells(line: &Line) -> Vec<(f64, f64, String)> {
    let mut cells: Vec<(f64, f64, String)> = Vec::new();
    for w in &line.words {
        match cells.last_mut() {
            Some(c) if w.x0 <= c.1 + COLUMN_GAP * line.size => {
                c.1 = c.1.max(w.x1);
                c.2.push(' ');
                c.2.push_str(&w.text);
            }
            _ => cells.push((w.x0, w.x1, w.text.clone())),
        }
    }
    cells
}

/// A line's words in the columns that `gutters` (empty x ranges) separate, and
/// the gutters narrowed to stay clear of its words. `None` when a word fills a
/// gutter, a gutter narrows below half the font size (as the spaces of a line of
/// prose would make it), or fewer than two columns get words.
fn column_cells(line: &Line, gutters: &[Gutter]) -> Option<(Vec<String>, Vec<Gutter>)> {
    let mut narrowed = gutters.to_vec();
    for (lo, hi) in narrowed.iter_mut() {
        for w in &line.words {
            if w.x1 <= *lo || w.x0 >= *hi {
                continue;
            }
            if w.x0 <= *lo {
                *lo = w.x1;
            } else if w.x1 >= *hi {
                *hi = w.x0;
            } else {
                return None;
            }
        }
        if *hi - *lo < 0.5 * line.size {
            return None;
        }
    }
    let mut cells = vec![String::new(); narrowed.len() + 1];
    for w in &line.words {
        let col = narrowed.iter().filter(|(_, hi)| w.x0 >= *hi).count();
        let cell = cells.get_mut(col)?;
        if !cell.is_empty() {
            cell.push(' ');
        }
        cell.push_str(&w.text);
    }
    let filled = cells.iter().filter(|c| !c.trim().is_empty()).count();
    (filled >= 2).then(|| (cells.iter().map(|c| collapse(c)).collect(), narrowed))
}

fn flush(open: &mut Open, out: &mut Vec<Block>) {
    match std::mem::replace(open, Open::None) {
        Open::None => {}
        Open::Heading(t) => out.push(Block::Heading(collapse(&t))),
        Open::Para(t) => out.push(Block::Paragraph(collapse(&t))),
        Open::List(items, _) => out.push(Block::List(items.iter().map(|i| collapse(i)).collect())),
        // one line with column gaps is no table
        Open::Table(mut rows, _) if rows.len() < 2 => {
            out.extend(rows.pop().map(|r| Block::Paragraph(r.join(" "))))
        }
        Open::Table(mut rows, _) => {
            let headers = rows.remove(0);
            out.push(Block::Table { headers, rows });
        }
    }
}

/// Lines of each page → blocks, with a page marker before every page but the first.
fn blocks_of_pages(mut pages: Vec<(u32, Vec<Line>)>) -> Vec<Block> {
    drop_running_lines(&mut pages);
    let body = body_size(&pages);
    // the usual distance between two lines of body text
    let pitches: Vec<f64> = pages
        .iter()
        .flat_map(|(_, ls)| ls.windows(2))
        .filter(|w| similar(w[0].size, body) && similar(w[1].size, body))
        .map(|w| w[0].y - w[1].y)
        .filter(|d| *d > 0.0 && *d < body * 4.0)
        .collect();
    let pitch = median(pitches).unwrap_or(body * 1.2);
    let mut out: Vec<Block> = Vec::new();
    for (number, lines) in pages {
        let mut page_blocks: Vec<Block> = Vec::new();
        let right = lines
            .iter()
            .filter(|l| similar(l.size, body))
            .map(|l| l.x1)
            .fold(f64::MIN, f64::max);
        let mut open = Open::None;
        let mut prev: Option<&Line> = None;
        for line in &lines {
            let text = collapse(&line.text);
            if text.is_empty() {
                continue;
            }
            // table rows: a line split by column gaps starts a table; the lines
            // right below it whose words fall in two or more of its columns continue it
            let near = prev.is_some_and(|p| {
                p.y > line.y && p.y - line.y <= pitch * 3.0 && similar(p.size, line.size)
            });
            let row = match &open {
                Open::Table(_, gutters) if near => column_cells(line, gutters),
                _ => None,
            };
            if let (Some((row, narrowed)), Open::Table(rows, gutters)) = (row, &mut open) {
                rows.push(row);
                *gutters = narrowed;
                prev = Some(line);
                continue;
            }
            let cells = gap_cells(line);
            if cells.len() >= 2 {
                flush(&mut open, &mut page_blocks);
                let gutters = cells.windows(2).map(|w| (w[0].1, w[1].0)).collect();
                open = Open::Table(
                    vec![cells.into_iter().map(|c| collapse(&c.2)).collect()],
                    gutters,
                );
                prev = Some(line);
                continue;
            }
            let heading = line.size >= body * 1.15 && text.split_whitespace().count() <= 20;
            let item = list_item(&text);
            let gap = prev.map(|p| p.y - line.y);
            let broke = match prev {
                None => true,
                Some(p) => {
                    let gap = gap.unwrap_or(0.0);
                    gap <= 0.0
                        || gap > pitch.max(p.size * 1.05) * 1.3
                        || !similar(p.size, line.size)
                        || (ends_sentence(&p.text) && p.x1 + first_word_width(line) < right)
                }
            };
            let indented = prev.is_some_and(|p| line.x0 > p.x0 + 0.8 * body);
            match (&mut open, heading, item) {
                (Open::Heading(h), true, _)
                    if !broke || gap.is_some_and(|g| g <= line.size * 1.6) =>
                {
                    h.push(' ');
                    h.push_str(&text);
                }
                (_, true, _) => {
                    flush(&mut open, &mut page_blocks);
                    open = Open::Heading(text);
                }
                (Open::List(items, _), false, Some(it)) => {
                    items.push(it.to_string());
                }
                (_, false, Some(it)) => {
                    flush(&mut open, &mut page_blocks);
                    open = Open::List(vec![it.to_string()], line.x0);
                }
                // a wrapped list item: not broken off, and indented past the marker
                (Open::List(items, x0), false, None) if !broke && line.x0 > *x0 + 0.3 * body => {
                    if let Some(last) = items.last_mut() {
                        join_line(last, &text);
                    }
                }
                (Open::Para(p), false, None) if !broke && !indented => join_line(p, &text),
                (_, false, None) => {
                    flush(&mut open, &mut page_blocks);
                    open = Open::Para(text);
                }
            }
            prev = Some(line);
        }
        flush(&mut open, &mut page_blocks);
        if page_blocks.is_empty() {
            continue;
        }
        // a paragraph cut by the page break continues in lower case
        let continues = matches!(out.last(), Some(Block::Paragraph(t)) if !t.trim_end().ends_with(['.', '!', '?']))
            && matches!(page_blocks.first(), Some(Block::Paragraph(t)) if t.starts_with(char::is_lowercase));
        if continues {
            if let (Some(Block::Paragraph(tail)), Block::Paragraph(head)) =
                (out.last_mut(), page_blocks.remove(0))
            {
                join_line(tail, &head);
            }
        }
        if number != 1 || !out.is_empty() {
            out.push(Block::Page(number));
        }
        out.extend(page_blocks);
    }
    // no marker without blocks after it
    while matches!(out.last(), Some(Block::Page(_))) {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line of text set at half the font size per character, one space apart.
    fn line(x0: f64, y: f64, size: f64, text: &str) -> Line {
        let mut words = Vec::new();
        let mut x = x0;
        for w in text.split(' ') {
            let x1 = x + w.chars().count() as f64 * size * 0.5;
            words.push(Word {
                x0: x,
                x1,
                text: w.into(),
            });
            x = x1 + size * 0.5;
        }
        Line {
            x0,
            x1: x0 + text.chars().count() as f64 * size * 0.5,
            y,
            size,
            text: text.into(),
            words,
        }
    }

    #[test]
    fn lines_become_headings_paragraphs_and_lists() {
        let p1 = vec![
            line(50.0, 800.0, 18.0, "The CIO Role"),
            line(
                50.0,
                770.0,
                10.0,
                "The chief information officer runs the internal systems of the",
            ),
            line(
                50.0,
                758.0,
                10.0,
                "company and reports to the chief executive officer.",
            ),
            line(
                50.0,
                740.0,
                10.0,
                "The CIO is accountable for the following areas of work:",
            ),
            line(60.0, 728.0, 10.0, "• Enterprise resource planning"),
            line(60.0, 716.0, 10.0, "• Identity and access manage-"),
            line(70.0, 704.0, 10.0, "ment for every employee"),
            line(
                50.0,
                686.0,
                10.0,
                "The CTO leads the engineering organisation and works with the",
            ),
            line(290.0, 30.0, 10.0, "1"),
        ];
        let p2 = vec![
            line(
                50.0,
                800.0,
                10.0,
                "customers on the direction of the products we sell.",
            ),
            line(
                50.0,
                780.0,
                10.0,
                "A new paragraph on the second page, with enough words in it.",
            ),
            line(290.0, 30.0, 10.0, "2"),
        ];
        let blocks = blocks_of_pages(vec![(1, p1), (2, p2)]);
        assert_eq!(
            blocks,
            vec![
                Block::Heading("The CIO Role".into()),
                Block::Paragraph("The chief information officer runs the internal systems of the company and reports to the chief executive officer.".into()),
                Block::Paragraph("The CIO is accountable for the following areas of work:".into()),
                Block::List(vec![
                    "Enterprise resource planning".into(),
                    "Identity and access management for every employee".into()
                ]),
                Block::Paragraph("The CTO leads the engineering organisation and works with the customers on the direction of the products we sell.".into()),
                Block::Page(2),
                Block::Paragraph("A new paragraph on the second page, with enough words in it.".into()),
            ]
        );
    }

    #[test]
    fn a_table_is_read_from_its_columns() {
        // the header's cells are set apart; the rows' cells are close but aligned
        let mut header = line(50.0, 500.0, 10.0, "Decision");
        header.words.push(Word {
            x0: 200.0,
            x1: 215.0,
            text: "CIO".into(),
        });
        header.words.push(Word {
            x0: 260.0,
            x1: 275.0,
            text: "CTO".into(),
        });
        header.x1 = 275.0;
        let mut row = line(50.0, 488.0, 10.0, "Choice of payroll");
        row.words.push(Word {
            x0: 140.0,
            x1: 175.0,
            text: "Decides".into(),
        });
        row.words.push(Word {
            x0: 180.0,
            x1: 225.0,
            text: "Consulted".into(),
        });
        let mut row2 = line(50.0, 476.0, 10.0, "Cloud platform");
        row2.words.push(Word {
            x0: 190.0,
            x1: 235.0,
            text: "Consulted".into(),
        });
        row2.words.push(Word {
            x0: 260.0,
            x1: 290.0,
            text: "Decides".into(),
        });
        let after = line(
            50.0,
            456.0,
            10.0,
            "Where the two disagree, the chief executive decides.",
        );
        let blocks = blocks_of_pages(vec![(1, vec![header, row2, after])]);
        assert_eq!(
            blocks,
            vec![
                Block::Table {
                    headers: vec!["Decision".into(), "CIO".into(), "CTO".into()],
                    rows: vec![vec![
                        "Cloud platform".into(),
                        "Consulted".into(),
                        "Decides".into()
                    ]],
                },
                Block::Paragraph("Where the two disagree, the chief executive decides.".into()),
            ]
        );
        // a gutter filled by a word, or narrowed to a space, is no column gap
        assert!(
            column_cells(&row, &[(141.0, 170.0)]).is_none(),
            "\"Decides\" fills it"
        );
        assert!(
            column_cells(&row, &[(60.0, 100.0)]).is_none(),
            "\"of\" sits in it"
        );
        let mut two = line(50.0, 0.0, 10.0, "Owner");
        two.words.push(Word {
            x0: 120.0,
            x1: 150.0,
            text: "Counsel".into(),
        });
        let (cells, narrowed) = column_cells(&two, &[(70.0, 125.0)]).unwrap();
        assert_eq!(cells, vec!["Owner", "Counsel"]);
        assert_eq!(narrowed, vec![(75.0, 120.0)]);
    }

    #[test]
    fn running_headers_and_page_numbers_are_dropped() {
        let page = |n: u32, header: &str| {
            (
                n,
                vec![
                    line(50.0, 800.0, 10.0, header),
                    line(
                        50.0,
                        770.0,
                        10.0,
                        &format!("Body text of page {n} that says something useful."),
                    ),
                    line(290.0, 30.0, 10.0, &format!("- {n} -")),
                ],
            )
        };
        let mut pages = vec![
            page(1, "Chapter 4: Function reference 17"),
            page(2, "Chapter 4: Function reference 18"),
            page(3, "Chapter 5: Examples 19"),
        ];
        drop_running_lines(&mut pages);
        let kept: Vec<&str> = pages
            .iter()
            .flat_map(|(_, ls)| ls.iter().map(|l| l.text.as_str()))
            .collect();
        assert_eq!(
            kept,
            vec![
                "Body text of page 1 that says something useful.",
                "Body text of page 2 that says something useful.",
                "Chapter 5: Examples 19",
                "Body text of page 3 that says something useful.",
            ]
        );
    }

    #[test]
    fn markers_dates_and_page_numbers() {
        assert_eq!(list_item("• Security"), Some("Security"));
        assert_eq!(list_item("12. Budget"), Some("Budget"));
        assert_eq!(list_item("a) Budget"), Some("Budget"));
        assert_eq!(list_item("2025. A year"), None);
        assert_eq!(list_item("I. Budget"), None);
        assert_eq!(list_item("-5 degrees"), None);
        assert_eq!(
            pdf_date("D:20250501093000+02'00'").as_deref(),
            Some("2025-05-01")
        );
        assert_eq!(pdf_date("D:20"), None);
        assert!(page_number_line("Page 3 of 12"));
        assert!(page_number_line("- 4 -"));
        assert!(!page_number_line("Chapter 4"));
        assert!(!page_number_line("2025 results"));
    }

    #[test]
    fn not_a_pdf_is_corrupt() {
        assert!(matches!(
            extract(b"hello"),
            Err(FormatError::Corrupt { .. })
        ));
        assert!(matches!(
            extract(b"%PDF-1.4\ngarbage"),
            Err(FormatError::Corrupt { .. })
        ));
    }
}
