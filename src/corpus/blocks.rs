//! Structure of a document body: headings, paragraphs, lists and tables.
//! One parser per format; cleaning and splitting work on these blocks.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use scraper::{ElementRef, Html, Selector};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Block {
    Heading(String),
    Paragraph(String),
    List(Vec<String>),
    Table {
        headers: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    /// The blocks that follow start on this page (1-based) of the source file;
    /// only formats with pages (PDF) give these.
    Page(u32),
}

/// Bullet markers recognised at the start of a plain-text line.
const BULLETS: [&str; 6] = ["• ", "- ", "* ", "· ", "◦ ", "▪ "];

/// Longest line of a block of plain text that still reads as hard-wrapped prose.
const WRAP_WIDTH: usize = 100;

/// Plain text: blank lines separate blocks; inside a block, lines up to 100
/// characters are joined (hard-wrapped prose), longer lines are one paragraph
/// each. `|`-lines form tables, bullet lines form lists.
pub fn parse_text(body: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut para: Vec<&str> = Vec::new();
    let mut list: Vec<String> = Vec::new();
    let mut table: Vec<&str> = Vec::new();
    let lines: Vec<&str> = body.lines().collect();
    let wrapped =
        |group: &[&str]| group.len() > 1 && group.iter().all(|l| l.chars().count() <= WRAP_WIDTH);

    fn flush_para(para: &mut Vec<&str>, blocks: &mut Vec<Block>, join: bool) {
        if para.is_empty() {
            return;
        }
        if join {
            blocks.push(Block::Paragraph(collapse(&para.join(" "))));
        } else {
            blocks.extend(para.iter().map(|l| Block::Paragraph(collapse(l))));
        }
        para.clear();
    }

    // Pre-compute, for each line, whether its blank-line-separated group is hard-wrapped.
    let mut join_of_line = vec![false; lines.len()];
    let mut start = 0;
    for i in 0..=lines.len() {
        if i == lines.len() || lines[i].trim().is_empty() {
            let group: Vec<&str> = lines[start..i]
                .iter()
                .copied()
                .filter(|l| !is_table_line(l) && bullet_text(l).is_none())
                .collect();
            let join = wrapped(&group);
            for flag in &mut join_of_line[start..i] {
                *flag = join;
            }
            start = i + 1;
        }
    }

    for (i, raw) in lines.iter().enumerate() {
        let line = raw.trim();
        let is_table = is_table_line(line);
        let item = bullet_text(line);
        if !is_table && !table.is_empty() {
            blocks.extend(table_block(&table));
            table.clear();
        }
        if item.is_none() && !list.is_empty() && !line.is_empty() {
            blocks.push(Block::List(std::mem::take(&mut list)));
        }
        if line.is_empty() {
            flush_para(
                &mut para,
                &mut blocks,
                join_of_line
                    .get(i.saturating_sub(1))
                    .copied()
                    .unwrap_or(false),
            );
            continue;
        }
        if is_table {
            flush_para(&mut para, &mut blocks, join_of_line[i]);
            table.push(line);
        } else if let Some(text) = item {
            flush_para(&mut para, &mut blocks, join_of_line[i]);
            list.push(collapse(text));
        } else {
            para.push(line);
        }
    }
    flush_para(
        &mut para,
        &mut blocks,
        lines.last().is_some() && join_of_line[lines.len() - 1],
    );
    if !list.is_empty() {
        blocks.push(Block::List(list));
    }
    if !table.is_empty() {
        blocks.extend(table_block(&table));
    }
    blocks
}

fn is_table_line(line: &str) -> bool {
    let l = line.trim();
    l.len() >= 3 && l.starts_with('|') && l.ends_with('|')
}

fn bullet_text(line: &str) -> Option<&str> {
    let l = line.trim_start();
    for b in BULLETS {
        if let Some(rest) = l.strip_prefix(b) {
            return Some(rest.trim());
        }
    }
    // "1. item" / "1) item"
    let digits = l.chars().take_while(|c| c.is_ascii_digit()).count();
    if (1..=3).contains(&digits) {
        let rest = &l[digits..];
        if let Some(r) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return Some(r.trim());
        }
    }
    None
}

fn split_cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(|c| collapse(c.trim())).collect()
}

fn is_separator_row(cells: &[String]) -> bool {
    cells
        .iter()
        .all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':' | ' ')))
}

/// Pipe-table lines → a table block; a table without a separator row keeps
/// its first line as the header all the same.
fn table_block(lines: &[&str]) -> Option<Block> {
    let mut rows: Vec<Vec<String>> = lines
        .iter()
        .map(|l| split_cells(l))
        .filter(|cells| !is_separator_row(cells))
        .collect();
    if rows.is_empty() {
        return None;
    }
    let headers = rows.remove(0);
    Some(Block::Table { headers, rows })
}

/// Collapse runs of whitespace to one space and trim.
pub fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Markdown through pulldown-cmark (CommonMark + tables).
pub fn parse_markdown(body: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut text = String::new();
    let mut items: Vec<String> = Vec::new();
    let mut list_depth = 0usize;
    let mut in_item = false;
    let mut headers: Vec<String> = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut rows: Vec<Vec<String>> = Vec::new();
    for event in Parser::new_ext(body, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::List(_)) => {
                list_depth += 1;
            }
            Event::End(TagEnd::List(_)) => {
                list_depth = list_depth.saturating_sub(1);
                if list_depth == 0 && !items.is_empty() {
                    blocks.push(Block::List(std::mem::take(&mut items)));
                }
            }
            Event::Start(Tag::Item) => {
                if in_item && !text.trim().is_empty() {
                    items.push(collapse(&text));
                }
                text.clear();
                in_item = true;
            }
            Event::End(TagEnd::Item) => {
                if !text.trim().is_empty() {
                    items.push(collapse(&text));
                }
                text.clear();
                in_item = false;
            }
            Event::End(TagEnd::Heading(_)) => {
                blocks.push(Block::Heading(collapse(&text)));
                text.clear();
            }
            Event::End(TagEnd::Paragraph) if list_depth == 0 => {
                if !text.trim().is_empty() {
                    blocks.push(Block::Paragraph(collapse(&text)));
                }
                text.clear();
            }
            Event::End(TagEnd::TableCell) => {
                row.push(collapse(&text));
                text.clear();
            }
            Event::End(TagEnd::TableHead) => headers = std::mem::take(&mut row),
            Event::End(TagEnd::TableRow) => rows.push(std::mem::take(&mut row)),
            Event::End(TagEnd::Table) => blocks.push(Block::Table {
                headers: std::mem::take(&mut headers),
                rows: std::mem::take(&mut rows),
            }),
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::End(TagEnd::Paragraph) => text.push(' '),
            _ => {}
        }
    }
    blocks
}

/// HTML through a real HTML parser: navigation, headers, footers, asides,
/// scripts, styles and forms are skipped; headings, paragraphs, list items and
/// table rows become blocks. Returns the blocks and the `<title>` if any.
pub fn parse_html(body: &str) -> (Vec<Block>, Option<String>) {
    let doc = Html::parse_document(body);
    let title = Selector::parse("title").ok().and_then(|s| {
        doc.select(&s)
            .next()
            .map(|t| collapse(&t.text().collect::<String>()))
            .filter(|t| !t.is_empty())
    });
    let mut blocks = Vec::new();
    let root = Selector::parse("body")
        .ok()
        .and_then(|s| doc.select(&s).next())
        .unwrap_or_else(|| doc.root_element());
    walk_html(root, &mut blocks);
    (blocks, title)
}

const SKIPPED_HTML: [&str; 10] = [
    "nav", "header", "footer", "aside", "script", "style", "form", "noscript", "template", "svg",
];

fn element_text(el: ElementRef) -> String {
    collapse(&el.text().collect::<String>())
}

fn walk_html(el: ElementRef, blocks: &mut Vec<Block>) {
    for child in el.children() {
        let Some(child) = ElementRef::wrap(child) else {
            continue;
        };
        let name = child.value().name();
        if SKIPPED_HTML.contains(&name) {
            continue;
        }
        match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                let t = element_text(child);
                if !t.is_empty() {
                    blocks.push(Block::Heading(t));
                }
            }
            "p" | "blockquote" | "pre" => {
                let t = element_text(child);
                if !t.is_empty() {
                    blocks.push(Block::Paragraph(t));
                }
            }
            "ul" | "ol" => {
                let items: Vec<String> = child
                    .children()
                    .filter_map(ElementRef::wrap)
                    .filter(|c| c.value().name() == "li")
                    .map(element_text)
                    .filter(|t| !t.is_empty())
                    .collect();
                if !items.is_empty() {
                    blocks.push(Block::List(items));
                }
            }
            "table" => blocks.extend(html_table(child)),
            _ => walk_html(child, blocks),
        }
    }
}

fn html_table(table: ElementRef) -> Option<Block> {
    let tr = Selector::parse("tr").ok()?;
    let cell = Selector::parse("th, td").ok()?;
    let mut rows: Vec<Vec<String>> = table
        .select(&tr)
        .map(|r| r.select(&cell).map(element_text).collect::<Vec<_>>())
        .filter(|r| !r.is_empty())
        .collect();
    if rows.is_empty() {
        return None;
    }
    let headers = rows.remove(0);
    Some(Block::Table { headers, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_lines_lists_and_tables() {
        let body = "Intro line that is long enough to be one paragraph on its own and then some more words to pass the wrap width limit.\nSecond.\n\nHeading\n\n  • CIO: inward.\n\n  • CTO: outward.\n\n| Dimension | CIO | CTO |\n|---|---|---|\n| Focus | In | Out |\nAfter.\n";
        let b = parse_text(body);
        assert_eq!(b[0], Block::Paragraph("Intro line that is long enough to be one paragraph on its own and then some more words to pass the wrap width limit.".into()));
        assert_eq!(b[1], Block::Paragraph("Second.".into()));
        assert_eq!(b[2], Block::Paragraph("Heading".into()));
        assert_eq!(
            b[3],
            Block::List(vec!["CIO: inward.".into(), "CTO: outward.".into()])
        );
        assert_eq!(
            b[4],
            Block::Table {
                headers: vec!["Dimension".into(), "CIO".into(), "CTO".into()],
                rows: vec![vec!["Focus".into(), "In".into(), "Out".into()]],
            }
        );
        assert_eq!(b[5], Block::Paragraph("After.".into()));
    }

    #[test]
    fn hard_wrapped_text_is_joined() {
        let b = parse_text("The CIO runs\nthe IT department.\n\nNext one.\n");
        assert_eq!(
            b[0],
            Block::Paragraph("The CIO runs the IT department.".into())
        );
        assert_eq!(b[1], Block::Paragraph("Next one.".into()));
    }

    #[test]
    fn markdown_structure() {
        let md = "# Title\n\nSome *text* here.\n\nLead in:\n\n- one\n- two\n\n| A | B |\n|---|---|\n| x | y |\n";
        let b = parse_markdown(md);
        assert_eq!(b[0], Block::Heading("Title".into()));
        assert_eq!(b[1], Block::Paragraph("Some text here.".into()));
        assert_eq!(b[2], Block::Paragraph("Lead in:".into()));
        assert_eq!(b[3], Block::List(vec!["one".into(), "two".into()]));
        assert_eq!(
            b[4],
            Block::Table {
                headers: vec!["A".into(), "B".into()],
                rows: vec![vec!["x".into(), "y".into()]]
            }
        );
    }

    #[test]
    fn html_skips_navigation() {
        let html = "<html><head><title>T</title></head><body><nav><p>Menu</p></nav><h2>Sec</h2><div><p>Body   text.</p><ul><li>a</li><li>b</li></ul></div><table><tr><th>A</th><th>B</th></tr><tr><td>1</td><td>2</td></tr></table><footer><p>Foot</p></footer></body></html>";
        let (b, title) = parse_html(html);
        assert_eq!(title.as_deref(), Some("T"));
        assert_eq!(
            b,
            vec![
                Block::Heading("Sec".into()),
                Block::Paragraph("Body text.".into()),
                Block::List(vec!["a".into(), "b".into()]),
                Block::Table {
                    headers: vec!["A".into(), "B".into()],
                    rows: vec![vec!["1".into(), "2".into()]]
                }
            ]
        );
    }
}
