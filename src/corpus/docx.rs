//! DOCX (Office Open XML) through `zip` and `quick-xml`: `word/document.xml` to blocks,
//! `docProps/core.xml` for the title, author and creation date.
//!
//! A paragraph whose style is a heading (style name "heading N" or "Title", or an
//! outline level, directly or through `basedOn`, from `word/styles.xml`) is a
//! heading; a numbered or bulleted paragraph (`w:numPr`, directly or through its
//! style, or a "List …" style) is a list item, consecutive ones one list; `w:tbl`
//! is a table whose first row is the header (a cell's paragraphs joined; a nested
//! table's text stays in its cell). Deleted text of tracked changes, field codes,
//! text boxes and the fallback copy of drawing content are left out.
//!
//! Password-protected Word files are not zips but OLE containers, as are old
//! `.doc` files: both are [`FormatError::OleContainer`].

use super::blocks::{collapse, Block};
use super::extracted::{Extracted, FormatError};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::collections::HashMap;
use std::io::Read;

/// Largest XML part read (decompressed), against zip bombs.
const MAX_PART_BYTES: u64 = 64 * 1024 * 1024;

const OLE_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

fn corrupt(detail: impl std::fmt::Display) -> FormatError {
    FormatError::corrupt("DOCX", detail)
}

type Archive<'a> = zip::ZipArchive<std::io::Cursor<&'a [u8]>>;

/// One part of the package as text, `None` if the package has no such part.
fn part(zip: &mut Archive, name: &str) -> Result<Option<String>, FormatError> {
    let file = match zip.by_name(name) {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(corrupt(format!("{name}: {e}"))),
    };
    let mut bytes = Vec::new();
    file.take(MAX_PART_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| corrupt(format!("{name}: {e}")))?;
    if bytes.len() as u64 > MAX_PART_BYTES {
        return Err(corrupt(format!("{name} is over {MAX_PART_BYTES} bytes")));
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| corrupt(format!("{name} is not UTF-8 XML")))
}

/// Extract the blocks and properties of a DOCX file.
pub fn extract(bytes: &[u8]) -> Result<Extracted, FormatError> {
    if bytes.starts_with(&OLE_MAGIC) {
        return Err(FormatError::OleContainer);
    }
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| corrupt(format!("not a zip package: {e}")))?;
    let document = part(&mut zip, "word/document.xml")?
        .ok_or_else(|| corrupt("no word/document.xml (is it a Word document?)"))?;
    let styles = match part(&mut zip, "word/styles.xml")? {
        Some(s) => parse_styles(&s)?,
        None => HashMap::new(),
    };
    let (blocks, styled_title) = parse_document(&document, &styles)?;
    let mut ex = Extracted {
        blocks,
        ..Default::default()
    };
    if let Some(core) = part(&mut zip, "docProps/core.xml")? {
        let props = parse_core(&core)?;
        ex.title = props.get("title").cloned();
        ex.author = props.get("creator").cloned();
        ex.published = props
            .get("created")
            .and_then(|d| d.get(..10))
            .filter(|d| d.chars().filter(|c| *c == '-').count() == 2)
            .map(str::to_string);
    }
    if ex.title.is_none() {
        ex.title = styled_title;
    }
    Ok(ex)
}

/// What a paragraph style says about its paragraphs.
#[derive(Debug, Clone, Default, PartialEq)]
struct Style {
    heading: bool,
    title: bool,
    list: bool,
    based_on: Option<String>,
}

fn attr(e: &BytesStart, local: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == local)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

fn xml_err(e: quick_xml::Error) -> FormatError {
    corrupt(format!("bad XML: {e}"))
}

/// `word/styles.xml` → paragraph style id → what it marks, inheritance resolved.
fn parse_styles(xml: &str) -> Result<HashMap<String, Style>, FormatError> {
    let mut reader = Reader::from_str(xml);
    let mut styles: HashMap<String, Style> = HashMap::new();
    let mut current: Option<(String, Style)> = None;
    loop {
        let ev = reader.read_event().map_err(xml_err)?;
        match &ev {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "style" => {
                    let paragraph = attr(e, "type").is_none_or(|t| t == "paragraph");
                    current = match (paragraph, attr(e, "styleId")) {
                        (true, Some(id)) => Some((id, Style::default())),
                        _ => None,
                    };
                    if matches!(ev, Event::Empty(_)) {
                        current = None;
                    }
                }
                "name" => {
                    if let (Some((_, s)), Some(n)) = (current.as_mut(), attr(e, "val")) {
                        let n = n.to_lowercase();
                        s.heading |= n.starts_with("heading ") || n == "title";
                        s.title |= n == "title";
                        s.list |= n.starts_with("list");
                    }
                }
                "outlineLvl" => {
                    if let Some((_, s)) = current.as_mut() {
                        // level 9 is "body text"
                        s.heading |= attr(e, "val").is_some_and(|v| v != "9");
                    }
                }
                "numPr" => {
                    if let Some((_, s)) = current.as_mut() {
                        s.list = true;
                    }
                }
                "basedOn" => {
                    if let Some((_, s)) = current.as_mut() {
                        s.based_on = attr(e, "val");
                    }
                }
                _ => {}
            },
            Event::End(e) if e.local_name().as_ref() == "style" => {
                if let Some((id, s)) = current.take() {
                    styles.insert(id, s);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    // inheritance, a few levels deep (cycles stop at the bound)
    let snapshot = styles.clone();
    for s in styles.values_mut() {
        let mut parent = s.based_on.clone();
        for _ in 0..8 {
            let Some(p) = parent.and_then(|id| snapshot.get(&id)) else {
                break;
            };
            s.heading |= p.heading;
            s.list |= p.list;
            parent = p.based_on.clone();
        }
    }
    Ok(styles)
}

/// `docProps/core.xml` → local element name → text (title, creator, created, …).
fn parse_core(xml: &str) -> Result<HashMap<String, String>, FormatError> {
    let mut reader = Reader::from_str(xml);
    let mut props = HashMap::new();
    let mut current: Option<String> = None;
    let mut text = String::new();
    loop {
        match reader.read_event().map_err(xml_err)? {
            Event::Start(e) => {
                current = Some(e.local_name().as_ref().to_string());
                text.clear();
            }
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => push_ref(&mut text, &r),
            Event::End(_) => {
                if let Some(name) = current.take() {
                    let t = collapse(&text);
                    if !t.is_empty() {
                        props.insert(name, t);
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(props)
}

/// An entity or character reference in text.
fn push_ref(text: &mut String, r: &quick_xml::events::BytesRef) {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        text.push(c);
        return;
    }
    let c = match &*r.xml10_content() {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => return,
    };
    text.push(c);
}

/// A paragraph of the body as read.
#[derive(Default)]
struct Para {
    style: Option<String>,
    numbered: bool,
    outline: bool,
    text: String,
}

/// The table being read: rows of cells, and the cell's text so far.
#[derive(Default)]
struct Table {
    rows: Vec<Vec<String>>,
    row: Vec<String>,
    cell: String,
}

/// The body → blocks, and the text of the first "Title"-styled paragraph.
fn parse_document(
    xml: &str,
    styles: &HashMap<String, Style>,
) -> Result<(Vec<Block>, Option<String>), FormatError> {
    let mut reader = Reader::from_str(xml);
    let mut blocks: Vec<Block> = Vec::new();
    let mut list: Vec<String> = Vec::new();
    let mut title: Option<String> = None;
    let mut para: Option<Para> = None;
    let mut tables: Vec<Table> = Vec::new();
    // depth inside a subtree that is skipped (deleted text, text boxes, fallbacks)
    let mut skip = 0usize;
    let mut in_text = false;
    let flush_list = |list: &mut Vec<String>, blocks: &mut Vec<Block>| {
        if !list.is_empty() {
            blocks.push(Block::List(std::mem::take(list)));
        }
    };
    loop {
        let ev = reader.read_event().map_err(xml_err)?;
        let empty = matches!(ev, Event::Empty(_));
        match &ev {
            Event::Start(e) | Event::Empty(e) => {
                let name = e.local_name();
                let name = name.as_ref();
                if skip > 0
                    || matches!(
                        name,
                        "del" | "txbxContent" | "Fallback" | "instrText" | "delText"
                    )
                {
                    if !empty {
                        skip += 1;
                    }
                    continue;
                }
                match name {
                    "p" if !empty => para = Some(Para::default()),
                    "pStyle" => {
                        if let Some(p) = para.as_mut() {
                            p.style = attr(e, "val");
                        }
                    }
                    "numPr" => {
                        if let Some(p) = para.as_mut() {
                            p.numbered = true;
                        }
                    }
                    "outlineLvl" => {
                        if let Some(p) = para.as_mut() {
                            p.outline = attr(e, "val").is_some_and(|v| v != "9");
                        }
                    }
                    "t" if !empty => in_text = true,
                    "tab" | "br" | "cr" => {
                        if let Some(p) = para.as_mut() {
                            p.text.push(' ');
                        }
                    }
                    "noBreakHyphen" => {
                        if let Some(p) = para.as_mut() {
                            p.text.push('-');
                        }
                    }
                    "tbl" if !empty => {
                        if tables.is_empty() {
                            flush_list(&mut list, &mut blocks);
                        }
                        tables.push(Table::default());
                    }
                    _ => {}
                }
            }
            Event::End(e) => {
                let name = e.local_name();
                let name = name.as_ref();
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                match name {
                    "t" => in_text = false,
                    "p" => {
                        let Some(p) = para.take() else { continue };
                        let text = collapse(&p.text);
                        if let Some(t) = tables.last_mut() {
                            if !text.is_empty() {
                                if !t.cell.is_empty() {
                                    t.cell.push(' ');
                                }
                                t.cell.push_str(&text);
                            }
                            continue;
                        }
                        if text.is_empty() {
                            continue;
                        }
                        let style = p.style.as_ref().and_then(|s| styles.get(s));
                        let heading = p.outline || style.is_some_and(|s| s.heading);
                        let numbered = p.numbered || style.is_some_and(|s| s.list);
                        if style.is_some_and(|s| s.title) && title.is_none() {
                            title = Some(text.clone());
                        }
                        if heading {
                            flush_list(&mut list, &mut blocks);
                            blocks.push(Block::Heading(text));
                        } else if numbered {
                            list.push(text);
                        } else {
                            flush_list(&mut list, &mut blocks);
                            blocks.push(Block::Paragraph(text));
                        }
                    }
                    "tc" => {
                        if let Some(t) = tables.last_mut() {
                            let cell = std::mem::take(&mut t.cell);
                            t.row.push(collapse(&cell));
                        }
                    }
                    "tr" => {
                        if let Some(t) = tables.last_mut() {
                            let row = std::mem::take(&mut t.row);
                            if row.iter().any(|c| !c.is_empty()) {
                                t.rows.push(row);
                            }
                        }
                    }
                    "tbl" => {
                        let Some(t) = tables.pop() else { continue };
                        if let Some(outer) = tables.last_mut() {
                            // a nested table's text stays in the outer cell
                            let text = t
                                .rows
                                .iter()
                                .flatten()
                                .filter(|c| !c.is_empty())
                                .cloned()
                                .collect::<Vec<_>>()
                                .join(" ");
                            if !outer.cell.is_empty() {
                                outer.cell.push(' ');
                            }
                            outer.cell.push_str(&text);
                        } else {
                            blocks.extend(table_block(t.rows));
                        }
                    }
                    _ => {}
                }
            }
            Event::Text(t) if in_text && skip == 0 => {
                if let Some(p) = para.as_mut() {
                    p.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) if in_text && skip == 0 => {
                if let Some(p) = para.as_mut() {
                    push_ref(&mut p.text, r);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    flush_list(&mut list, &mut blocks);
    Ok((blocks, title))
}

/// A one-row table has no body: its cells read as a paragraph.
fn table_block(mut rows: Vec<Vec<String>>) -> Option<Block> {
    match rows.len() {
        0 => None,
        1 => Some(Block::Paragraph(rows.remove(0).join(" "))),
        _ => {
            let headers = rows.remove(0);
            Some(Block::Table { headers, rows })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main""#;

    fn para(style: &str, text: &str) -> String {
        format!(
            r#"<w:p><w:pPr><w:pStyle w:val="{style}"/></w:pPr><w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>"#
        )
    }

    #[test]
    fn styles_resolve_through_based_on() {
        let xml = format!(
            r#"<w:styles {W}><w:style w:type="paragraph" w:styleId="berschrift1"><w:name w:val="heading 1"/></w:style><w:style w:type="paragraph" w:styleId="Mine"><w:name w:val="My heading"/><w:basedOn w:val="berschrift1"/></w:style><w:style w:type="paragraph" w:styleId="Bul"><w:name w:val="Bullets"/><w:pPr><w:numPr><w:numId w:val="3"/></w:numPr></w:pPr></w:style></w:styles>"#
        );
        let s = parse_styles(&xml).unwrap();
        assert!(s["berschrift1"].heading);
        assert!(s["Mine"].heading);
        assert!(s["Bul"].list && !s["Bul"].heading);
    }

    #[test]
    fn body_to_blocks() {
        let styles = parse_styles(&format!(
            r#"<w:styles {W}><w:style w:type="paragraph" w:styleId="H2"><w:name w:val="heading 2"/></w:style><w:style w:type="paragraph" w:styleId="T"><w:name w:val="Title"/></w:style></w:styles>"#
        ))
        .unwrap();
        let xml = format!(
            r#"<w:document {W}><w:body>{}{}{}<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr><w:r><w:t>One &amp; only</w:t></w:r></w:p><w:p><w:pPr><w:numPr/></w:pPr><w:r><w:t>Two</w:t></w:r><w:del><w:r><w:delText>gone</w:delText></w:r></w:del></w:p><w:tbl><w:tr><w:tc><w:p><w:r><w:t>A</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>B</w:t></w:r></w:p></w:tc></w:tr><w:tr><w:tc><w:p><w:r><w:t>x</w:t></w:r></w:p><w:p><w:r><w:t>y</w:t></w:r></w:p></w:tc><w:tc><w:p/></w:tc></w:tr></w:tbl></w:body></w:document>"#,
            para("T", "The Handbook"),
            para("H2", "Roles"),
            para("Normal", "Body  text, with <b>no</b> markup."),
        );
        let (blocks, title) = parse_document(&xml, &styles).unwrap();
        assert_eq!(title.as_deref(), Some("The Handbook"));
        assert_eq!(
            blocks,
            vec![
                Block::Heading("The Handbook".into()),
                Block::Heading("Roles".into()),
                Block::Paragraph("Body text, with no markup.".into()),
                Block::List(vec!["One & only".into(), "Two".into()]),
                Block::Table {
                    headers: vec!["A".into(), "B".into()],
                    rows: vec![vec!["x y".into(), "".into()]],
                },
            ]
        );
    }

    #[test]
    fn not_a_docx() {
        assert!(matches!(
            extract(b"plain text".as_slice()),
            Err(FormatError::Corrupt { .. })
        ));
        let mut ole = OLE_MAGIC.to_vec();
        ole.extend([0u8; 64]);
        assert_eq!(extract(&ole), Err(FormatError::OleContainer));
    }
}
