//! PDF and DOCX corpus files: the LibreOffice-made fixtures of tests/data/formats/
//! (rebuilt by scripts/make-format-fixtures.sh), DOCX packages built here with the
//! `zip` crate, and PDFs written here by hand.

use crate::common::{self, Sandbox};
use rolefaq::config::CorpusSettings;
use rolefaq::corpus::{load_dir, Corpus};
use rolefaq::model::{Passage, PassageKind};
use rolefaq::service::{AskOptions, Service};
use std::io::Write;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(common::repo().join("tests/data/formats").join(name)).unwrap()
}

fn load(sb: &Sandbox) -> Corpus {
    load_dir(&sb.corpus(), &CorpusSettings::default(), 900).unwrap()
}

fn doc_passages<'c>(c: &'c Corpus, doc: &str) -> Vec<&'c Passage> {
    c.passages.iter().filter(|p| p.doc_id == doc).collect()
}

fn find<'c>(ps: &[&'c Passage], text: &str) -> &'c Passage {
    ps.iter()
        .find(|p| p.text.contains(text))
        .copied()
        .unwrap_or_else(|| panic!("no passage with {text:?} in {ps:#?}"))
}

fn reason(c: &Corpus, file: &str) -> String {
    c.skipped
        .iter()
        .find(|s| s.path.ends_with(file))
        .map(|s| s.reason.clone())
        .unwrap_or_default()
}

/// A PDF with one page per entry: a line of Helvetica text, or (None) only a filled
/// rectangle, as a scanned page has no text either.
fn hand_pdf(pages: &[Option<&str>]) -> Vec<u8> {
    let n = pages.len();
    // objects: 1 catalog, 2 pages, 3 font, then per page: page, content
    let mut objects: Vec<String> = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".into(),
        format!(
            "<< /Type /Pages /Count {n} /Kids [{}] >>",
            (0..n)
                .map(|i| format!("{} 0 R", 4 + 2 * i))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".into(),
    ];
    for (i, page) in pages.iter().enumerate() {
        let content = match page {
            Some(text) => format!("BT /F1 12 Tf 72 720 Td ({text}) Tj ET"),
            None => "0.5 g 72 400 400 300 re f".into(),
        };
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
            5 + 2 * i
        ));
        objects.push(format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ));
    }
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for off in offsets {
        out.extend(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A DOCX package with the given parts.
fn docx(parts: &[(&str, &str)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for (name, body) in parts {
        zip.start_file(*name, opts).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

const W: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main""#;

#[test]
fn a_libreoffice_pdf_keeps_its_pages_headings_lists_and_properties() {
    let sb = Sandbox::empty();
    sb.write("handbook.pdf", &fixture("handbook.pdf"));
    let c = load(&sb);
    assert!(c.skipped.is_empty(), "{:?}", c.skipped);
    let doc = &c.documents[0];
    // from the PDF's Info dictionary
    assert_eq!(doc.title, "Technology Leadership Roles Handbook");
    assert_eq!(doc.author.as_deref(), Some("Office of the CIO"));
    assert!(doc.published.as_deref().is_some_and(|d| d.len() == 10));
    let ps = doc_passages(&c, "handbook");
    // the heading wrapped over two lines is one heading
    let first = find(&ps, "This handbook describes");
    assert_eq!(
        first.section.as_deref(),
        Some("Technology Leadership Roles Handbook")
    );
    assert_eq!(first.page, Some(1));
    let roadmap = find(&ps, "vendor consolidation roadmap");
    assert_eq!(roadmap.section.as_deref(), Some("The CIO's remit"));
    assert_eq!(
        roadmap.text,
        "In our organisation the CIO also owns the vendor consolidation roadmap, which is reviewed with procurement every spring."
    );
    assert!(
        roadmap
            .citation()
            .starts_with("Technology Leadership Roles Handbook › The CIO's remit, p. 1, ¶"),
        "{}",
        roadmap.citation()
    );
    let item = find(&ps, "Identity, access and endpoint management");
    assert_eq!(item.kind, PassageKind::ListItem);
    assert_eq!(item.text, "Identity, access and endpoint management");
    assert_eq!(
        item.context.as_deref(),
        Some("The CIO is accountable for the following areas:")
    );
    // three pages; later passages know theirs, and paragraphs restart on each page
    let pages: std::collections::BTreeSet<u32> = ps.iter().filter_map(|p| p.page).collect();
    assert_eq!(pages, [1, 2, 3].into_iter().collect(), "{ps:#?}");
    // a paragraph cut by a page break is one passage, cited at the page it starts on
    let cut = find(&ps, "On vendor management");
    assert!(
        cut.text.ends_with("stated in one page each."),
        "{}",
        cut.text
    );
    assert_eq!(cut.page, Some(1), "cited where it starts");
    assert!(
        !ps.iter().any(|p| p
            .text
            .starts_with("when they do not, the question about vendor")),
        "the continuation is no passage of its own"
    );
    // the table's columns are laid out apart: its rows keep their header
    let row = ps
        .iter()
        .find(|p| p.kind == PassageKind::TableRow)
        .expect("a table row");
    let t = row.table.as_ref().unwrap();
    assert_eq!(t.headers, vec!["Decision", "CIO", "CTO"]);
    assert_eq!(
        t.cells,
        vec!["Choice of payroll software", "Decides", "Consulted"]
    );
    let last = find(&ps, "settles the question");
    assert_eq!(last.page, Some(3));
    assert_eq!(last.section.as_deref(), Some("Who decides what"));
    assert!(last.id.starts_with("handbook#p3."), "{}", last.id);
    assert!(
        last.location().starts_with("p. 3, ¶"),
        "{}",
        last.location()
    );
    // page-number footers are not passages, and no passage is a wrapped fragment
    for p in &ps {
        assert!(!p.text.starts_with("Page "), "footer kept: {}", p.text);
        assert!(
            p.kind != PassageKind::Paragraph || p.text.ends_with(['.', ':']),
            "a paragraph cut short: {:?}",
            p.text
        );
    }
    let mut ids: Vec<&str> = ps.iter().map(|p| p.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), ps.len(), "passage ids are unique");
}

#[test]
fn a_libreoffice_docx_keeps_headings_lists_tables_and_properties() {
    let sb = Sandbox::empty();
    sb.write("decision-rights.docx", &fixture("decision-rights.docx"));
    let c = load(&sb);
    assert!(c.skipped.is_empty(), "{:?}", c.skipped);
    let doc = &c.documents[0];
    assert_eq!(doc.title, "Decision Rights for Technology Executives");
    assert_eq!(doc.author.as_deref(), Some("Governance Office"));
    let ps = doc_passages(&c, "decision-rights");
    let pw = find(&ps, "approves every exception");
    assert_eq!(pw.section.as_deref(), Some("Security and risk"));
    assert_eq!(pw.page, None);
    assert_eq!(
        pw.citation(),
        "Decision Rights for Technology Executives › Security and risk, ¶2"
    );
    let item = find(&ps, "Storing customer records in a new country");
    assert_eq!(item.kind, PassageKind::ListItem);
    assert_eq!(
        item.context.as_deref(),
        Some("The CISO must be consulted before any of these changes go live:")
    );
    assert_eq!(item.part, 2);
    let row = ps
        .iter()
        .find(|p| p.kind == PassageKind::TableRow)
        .expect("a table row");
    let t = row.table.as_ref().unwrap();
    assert_eq!(t.headers, vec!["Decision", "Owner", "Must consult"]);
    assert_eq!(
        t.cells,
        vec![
            "Retention period for sales records",
            "Chief data officer",
            "General counsel"
        ]
    );
    assert_eq!(row.section.as_deref(), Some("Data and analytics"));
}

#[test]
fn a_docx_built_here_maps_styles_numbering_and_takes_its_title_from_a_sidecar() {
    let sb = Sandbox::empty();
    let styles = format!(
        r#"<w:styles {W}><w:style w:type="paragraph" w:styleId="berschrift1"><w:name w:val="heading 1"/></w:style><w:style w:type="paragraph" w:styleId="Listenabsatz"><w:name w:val="List Paragraph"/></w:style></w:styles>"#
    );
    let p = |style: &str, text: &str| {
        format!(
            r#"<w:p><w:pPr><w:pStyle w:val="{style}"/></w:pPr><w:r><w:t>{text}</w:t></w:r></w:p>"#
        )
    };
    let body = format!(
        r#"<w:document {W}><w:body>{}{}{}{}<w:p><w:r><w:t xml:space="preserve">Budgets are </w:t></w:r><w:r><w:t>agreed with the chief financial officer in the autumn.</w:t></w:r></w:p></w:body></w:document>"#,
        p("berschrift1", "Rollen"),
        p(
            "Normal",
            "The chief operating officer coordinates these duties:"
        ),
        p("Listenabsatz", "Running the shared service centre"),
        p("Listenabsatz", "Negotiating the facilities contracts"),
    );
    sb.write(
        "ops.docx",
        &docx(&[("word/document.xml", &body), ("word/styles.xml", &styles)]),
    );
    sb.write(
        "ops.meta.toml",
        b"title = \"Operations Duties\"\nurl = \"https://intranet.example.test/ops\"\npublished = 2025-05-01\n",
    );
    // no properties, no sidecar, no heading: the file name
    sb.write(
        "plain-note.docx",
        &docx(&[(
            "word/document.xml",
            &format!(
                r#"<w:document {W}><w:body>{}</w:body></w:document>"#,
                p(
                    "Normal",
                    "The chief people officer owns the hiring process for every engineering team."
                )
            ),
        )]),
    );
    let c = load(&sb);
    assert!(c.skipped.is_empty(), "{:?}", c.skipped);
    let ops = c.documents.iter().find(|d| d.id == "ops").unwrap();
    assert_eq!(ops.title, "Operations Duties");
    assert_eq!(
        ops.url.as_deref(),
        Some("https://intranet.example.test/ops")
    );
    assert_eq!(ops.published.as_deref(), Some("2025-05-01"));
    let ps = doc_passages(&c, "ops");
    let item = find(&ps, "Negotiating the facilities contracts");
    assert_eq!(item.kind, PassageKind::ListItem);
    assert_eq!(item.section.as_deref(), Some("Rollen"));
    assert_eq!(
        item.context.as_deref(),
        Some("The chief operating officer coordinates these duties:")
    );
    // runs of one paragraph are joined verbatim
    find(
        &ps,
        "Budgets are agreed with the chief financial officer in the autumn.",
    );
    assert_eq!(
        ps[0].url.as_deref(),
        Some("https://intranet.example.test/ops")
    );
    let note = c.documents.iter().find(|d| d.id == "plain-note").unwrap();
    assert_eq!(note.title, "plain note");
}

#[test]
fn a_sidecar_overrides_the_pdf_properties_and_a_bad_one_is_named() {
    let sb = Sandbox::empty();
    sb.write("handbook.pdf", &fixture("handbook.pdf"));
    sb.write(
        "handbook.meta.toml",
        b"title = \"Our Roles Handbook\"\nurl = \"https://intranet.example.test/handbook\"\n",
    );
    sb.write("restricted.pdf", &fixture("restricted.pdf"));
    sb.write("restricted.meta.toml", b"titel = \"Typo\"\n");
    sb.write("orphan.meta.toml", b"title = \"Nobody\"\n");
    let c = load(&sb);
    let doc = c.documents.iter().find(|d| d.id == "handbook").unwrap();
    assert_eq!(doc.title, "Our Roles Handbook");
    assert_eq!(
        doc.author.as_deref(),
        Some("Office of the CIO"),
        "kept from the PDF"
    );
    let p = doc_passages(&c, "handbook")[0];
    assert_eq!(p.doc_title, "Our Roles Handbook");
    assert_eq!(
        p.url.as_deref(),
        Some("https://intranet.example.test/handbook")
    );
    let bad = reason(&c, "restricted.pdf");
    assert!(
        bad.contains("restricted.meta.toml") && bad.contains("titel"),
        "{bad}"
    );
    assert!(
        reason(&c, "orphan.meta.toml").contains("sidecar"),
        "{:?}",
        c.skipped
    );
    assert_eq!(c.documents.len(), 1);
    // a changed sidecar is a changed document
    let hash = |c: &Corpus| {
        c.hashes
            .iter()
            .find(|(id, _)| id == "handbook")
            .map(|(_, h)| h.clone())
    };
    let before = hash(&c);
    let stamps = rolefaq::corpus::stamps_hash(&c.stamps);
    sb.write("handbook.meta.toml", b"title = \"Another Title\"\n");
    let c = load(&sb);
    assert!(before.is_some() && hash(&c) != before);
    // the sidecar is stamped: the index built before it changed is stale
    assert_ne!(rolefaq::corpus::stamps_hash(&c.stamps), stamps);
}

#[test]
fn bad_encrypted_and_image_only_files_are_skipped_naming_them_and_the_rest_load() {
    let sb = Sandbox::new();
    sb.write("locked.pdf", &fixture("locked.pdf"));
    sb.write("restricted.pdf", &fixture("restricted.pdf"));
    sb.write("scan.pdf", &hand_pdf(&[None, None]));
    sb.write("garbage.pdf", b"%PDF-1.4\nthis is not a PDF body at all\n");
    let whole = fixture("handbook.pdf");
    sb.write("truncated.pdf", &whole[..whole.len() / 3]);
    sb.write("notzip.docx", b"PK\x03\x04 but not really a zip archive");
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.extend([0u8; 504]);
    sb.write("protected.docx", &ole);
    sb.write(
        "empty.docx",
        &docx(&[("docProps/app.xml", "<Properties/>")]),
    );
    sb.write(
        "two-pages.pdf",
        &hand_pdf(&[
            Some("The chief data officer owns the data catalogue of the whole group."),
            Some("The chief digital officer runs the online channels of the group."),
        ]),
    );
    let c = load(&sb);
    let locked = reason(&c, "locked.pdf");
    assert!(locked.contains("password"), "{:?}", c.skipped);
    assert!(
        reason(&c, "scan.pdf").contains("no text layer"),
        "{:?}",
        c.skipped
    );
    assert!(
        reason(&c, "garbage.pdf").contains("corrupt"),
        "{:?}",
        c.skipped
    );
    assert!(!reason(&c, "truncated.pdf").is_empty(), "{:?}", c.skipped);
    assert!(
        reason(&c, "notzip.docx").contains("corrupt"),
        "{:?}",
        c.skipped
    );
    assert!(
        reason(&c, "protected.docx").contains("encrypted"),
        "{:?}",
        c.skipped
    );
    assert!(
        reason(&c, "empty.docx").contains("word/document.xml"),
        "{:?}",
        c.skipped
    );
    // an owner password alone (no password to open) does not stop reading
    assert!(reason(&c, "restricted.pdf").is_empty(), "{:?}", c.skipped);
    let r = doc_passages(&c, "restricted");
    assert_eq!(
        r[0].text,
        "The chief digital officer leads the online customer channels and reports on them to the board every month."
    );
    // a hand-written PDF: one passage per page, each citing its page
    let two = doc_passages(&c, "two-pages");
    assert_eq!(two.len(), 2, "{two:#?}");
    assert_eq!((two[0].page, two[1].page), (Some(1), Some(2)));
    assert_eq!(two[1].location(), "p. 2, ¶1");
    assert_eq!(two[1].id, "two-pages#p2.1");
    // the title falls back to the file name when nothing else names the document
    let t = c.documents.iter().find(|d| d.id == "two-pages").unwrap();
    assert_eq!(t.title, "two pages");
    assert_eq!(
        c.documents.len(),
        5 + 2,
        "the seeds and the readable PDFs load"
    );
}

#[test]
fn a_partly_scanned_pdf_loads_the_pages_with_text() {
    let sb = Sandbox::empty();
    sb.write(
        "partly-scanned.pdf",
        &hand_pdf(&[
            None,
            Some("The chief risk officer keeps the risk register of the whole group."),
            None,
        ]),
    );
    let c = load(&sb);
    assert!(c.skipped.is_empty(), "{:?}", c.skipped);
    let ps = doc_passages(&c, "partly-scanned");
    assert_eq!(ps.len(), 1, "{ps:#?}");
    assert_eq!(ps[0].page, Some(2));
    assert_eq!(ps[0].location(), "p. 2, ¶1");
}

#[test]
fn passages_without_a_page_serialise_as_before() {
    let sb = Sandbox::new();
    let c = load(&sb);
    let json = serde_json::to_string(&c.passages[0]).unwrap();
    assert!(!json.contains("\"page\""), "{json}");
    // and a passage stored by an older build (no page) reads back
    let back: Passage = serde_json::from_str(&json).unwrap();
    assert_eq!(back, c.passages[0]);
    assert_eq!(back.page, None);
}

#[test]
fn ask_answers_from_a_pdf_and_a_docx_passage() {
    let sb = Sandbox::new();
    sb.write("handbook.pdf", &fixture("handbook.pdf"));
    sb.write("decision-rights.docx", &fixture("decision-rights.docx"));
    let svc = Service::open(sb.settings()).unwrap();
    let a = svc
        .ask(
            "Who chairs the architecture review board?",
            AskOptions { top: 3, offset: 0 },
        )
        .unwrap();
    assert!(!a.no_answer, "{a:#?}");
    let top = &a.results[0];
    assert_eq!(top.doc, "handbook", "{a:#?}");
    assert!(top.text.contains("chairs the architecture review board"));
    assert!(
        top.citation
            .starts_with("Technology Leadership Roles Handbook › The CTO's remit, p. 1, ¶"),
        "{}",
        top.citation
    );
    let a = svc
        .ask(
            "Who decides how long records are retained?",
            AskOptions { top: 3, offset: 0 },
        )
        .unwrap();
    assert!(!a.no_answer, "{a:#?}");
    assert_eq!(a.results[0].doc, "decision-rights", "{a:#?}");
    assert!(a.results[0]
        .citation
        .starts_with("Decision Rights for Technology Executives"));
}
