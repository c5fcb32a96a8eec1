//! Corpus loading on the bundled seed documents and on broken files.

use crate::common;

use common::Sandbox;
use rolefaq::config::CorpusSettings;
use rolefaq::corpus::load_dir;
use rolefaq::model::PassageKind;

/// Why the loader skipped the file whose path ends in `file` ("" when it did not).
fn skip_reason(c: &rolefaq::corpus::Corpus, file: &str) -> String {
    c.skipped
        .iter()
        .find(|s| s.path.ends_with(file))
        .map(|s| s.reason.clone())
        .unwrap_or_default()
}

#[test]
fn seed_corpus_loads_clean_citable_passages() {
    let sb = Sandbox::new();
    let c = load_dir(&sb.corpus(), &CorpusSettings::default(), 900).unwrap();
    assert_eq!(c.documents.len(), 5);
    assert!(c.skipped.is_empty(), "{:?}", c.skipped);
    let raw = common::corpus_text(&sb.corpus());
    for p in &c.passages {
        // debris is gone
        assert!(
            !p.text.ends_with("...") && !p.text.ends_with('…'),
            "teaser kept: {}",
            p.text
        );
        assert!(!p.text.contains("TALK TO A CTO"));
        assert!(!p.text.starts_with("Seasoned technology executive"));
        assert!(
            p.text.chars().count() <= 900 || !p.text.trim_end().contains(". "),
            "overlong passage {}",
            p.id
        );
        // paragraphs and list items are verbatim
        if p.kind != PassageKind::TableRow {
            assert!(raw.contains(&p.text), "not verbatim: {}", p.text);
        }
        assert!(p.citation().contains(&p.doc_title));
    }
    // ids are unique and stable in form
    let mut ids: Vec<&str> = c.passages.iter().map(|p| p.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), c.passages.len());
    // every dropped line names its rule, and the kinds of debris are all caught
    let rules: std::collections::HashSet<&str> =
        c.dropped.iter().map(|d| d.rule.as_str()).collect();
    for r in [
        "ellipsis-teaser",
        "call-to-action",
        "author-bio",
        "preamble",
    ] {
        assert!(rules.contains(r), "no line dropped by {r}: {rules:?}");
    }
}

#[test]
fn table_rows_carry_their_header_and_list_items_their_lead_in() {
    let sb = Sandbox::new();
    let c = load_dir(&sb.corpus(), &CorpusSettings::default(), 900).unwrap();
    let row = c
        .passages
        .iter()
        .find(|p| {
            p.table
                .as_ref()
                .is_some_and(|t| t.cells[0] == "Primary focus")
        })
        .expect("the Primary focus row");
    let t = row.table.as_ref().unwrap();
    assert_eq!(t.headers, vec!["Dimension", "CIO", "CTO"]);
    assert_eq!(
        rolefaq::corpus::split::table_row_labelled(t),
        "Primary focus — CIO: Internal IT operations and business efficiency — CTO: External product innovation and revenue growth"
    );
    assert!(row
        .text
        .starts_with("| Dimension | CIO | CTO |\n| Primary focus |"));
    let item = c
        .passages
        .iter()
        .find(|p| p.text == "Overseeing information security")
        .expect("list item");
    assert_eq!(item.kind, PassageKind::ListItem);
    assert_eq!(
        item.context.as_deref(),
        Some("CIOs commonly handle responsibilities such as:")
    );
    assert_eq!(item.section.as_deref(), Some("Understanding the CIO Role"));
}

#[test]
fn bad_files_are_skipped_with_a_warning_naming_them() {
    let sb = Sandbox::new();
    sb.write(
        "latin1.txt",
        b"---\ntitle: x\n---\nCaf\xe9 ol\xe9 is not UTF-8 text at all.\n",
    );
    sb.write(
        "nofm.md",
        b"# Just a heading\n\nNo front matter here, so it cannot be cited.\n",
    );
    sb.write("binary.txt", &[0u8, 159, 146, 150, 0, 1, 2]);
    sb.write("empty.txt", b"");
    sb.write("notes.pdf", b"%PDF-1.4");
    sb.write(
        "page.html",
        b"<html><head><title>An HTML page</title></head><body><nav>Home | About</nav><p>The CISO reports to the CIO in many organizations and runs security operations.</p></body></html>",
    );
    let c = load_dir(&sb.corpus(), &CorpusSettings::default(), 900).unwrap();
    let skipped: Vec<(&str, &str)> = c
        .skipped
        .iter()
        .map(|s| (s.path.rsplit('/').next().unwrap(), s.reason.as_str()))
        .collect();
    let reason = |f: &str| {
        skipped
            .iter()
            .find(|(p, _)| *p == f)
            .map(|(_, r)| *r)
            .unwrap_or("")
    };
    assert!(reason("latin1.txt").contains("UTF-8"), "{skipped:?}");
    assert!(reason("nofm.md").contains("front matter"), "{skipped:?}");
    assert!(reason("binary.txt").contains("binary"), "{skipped:?}");
    assert!(reason("empty.txt").contains("front matter"), "{skipped:?}");
    assert!(reason("notes.pdf").contains("corrupt"), "{skipped:?}");
    assert_eq!(
        c.documents.len(),
        6,
        "the five seeds and the HTML page still load"
    );
    let html = c.passages.iter().find(|p| p.doc_id == "page").unwrap();
    assert_eq!(html.doc_title, "An HTML page");
    assert!(!c.passages.iter().any(|p| p.text.contains("Home | About")));
}

#[test]
fn markdown_documents_keep_headings_lists_and_tables() {
    let sb = Sandbox::new();
    sb.write(
        "handbook.md",
        "---\ntitle: Handbook\nurl: https://example.test/handbook\n---\n# Security\n\nThe CISO owns these duties:\n\n- Running the security operations center\n- Incident response\n\n| Area | CISO | CIO |\n|---|---|---|\n| Budget | Security budget | IT budget |\n".as_bytes(),
    );
    let c = load_dir(&sb.corpus(), &CorpusSettings::default(), 900).unwrap();
    let ps: Vec<_> = c
        .passages
        .iter()
        .filter(|p| p.doc_id == "handbook")
        .collect();
    assert_eq!(ps.len(), 4, "{ps:#?}");
    assert_eq!(ps[1].text, "Running the security operations center");
    assert_eq!(
        ps[1].context.as_deref(),
        Some("The CISO owns these duties:")
    );
    assert_eq!(ps[1].section.as_deref(), Some("Security"));
    assert_eq!(
        ps[3].table.as_ref().unwrap().cells,
        vec!["Budget", "Security budget", "IT budget"]
    );
    assert_eq!(ps[0].url.as_deref(), Some("https://example.test/handbook"));
}

#[test]
fn corpus_faults_skip_the_file_and_keep_the_rest() {
    let sb = Sandbox::new();
    // a 50 MB file, over the default 20 MB limit
    let big = sb.corpus().join("huge.txt");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&big).unwrap();
        f.write_all(b"---\ntitle: Huge\n---\n").unwrap();
        let line =
            "The CIO owns the servers and the CTO owns the product roadmap today.\n".repeat(1000);
        for _ in 0..(50 * 1024 * 1024 / line.len() + 1) {
            f.write_all(line.as_bytes()).unwrap();
        }
    }
    // duplicate id: same stem, another extension
    sb.write(
        "cio-vs-cto-key-differences.md",
        b"---\ntitle: Dup\n---\nA duplicate document id.\n",
    );
    // broken front matter
    sb.write(
        "unclosed.txt",
        b"---\ntitle: Never closed\nThe body starts here.\n",
    );
    sb.write("badkey.txt", b"---\ntitel: Typo\n---\nBody.\n");
    // unreadable: a dangling symlink
    #[cfg(unix)]
    std::os::unix::fs::symlink(
        sb.dir.path().join("nowhere.txt"),
        sb.corpus().join("dangling.txt"),
    )
    .unwrap();

    let c = load_dir(&sb.corpus(), &CorpusSettings::default(), 900).unwrap();
    let reason = |f: &str| skip_reason(&c, f);
    assert!(
        reason("huge.txt").contains("max_file_bytes"),
        "{:?}",
        c.skipped
    );
    // the first file in name order keeps the id; the other is skipped, naming it
    let dup = reason("cio-vs-cto-key-differences.txt");
    assert!(
        dup.contains("duplicate") && dup.contains("cio-vs-cto-key-differences.md"),
        "{dup}"
    );
    assert!(
        reason("unclosed.txt").contains("front matter"),
        "{:?}",
        c.skipped
    );
    assert!(reason("badkey.txt").contains("titel"), "{:?}", c.skipped);
    #[cfg(unix)]
    assert!(
        reason("dangling.txt").contains("unreadable"),
        "{:?}",
        c.skipped
    );
    assert_eq!(c.documents.len(), 5, "the seeds still load");
}

/// Run `f` on another thread and fail (rather than hang the suite) when it
/// takes longer than `secs`: a FIFO in the corpus used to block for ever.
fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(std::time::Duration::from_secs(secs))
        .unwrap_or_else(|_| panic!("still running after {secs} s (blocked on a corpus entry?)"))
}

#[cfg(unix)]
#[test]
fn hostile_entries_are_skipped_by_name_without_being_read() {
    use std::os::unix::ffi::OsStrExt;
    let sb = Sandbox::new();
    let doc = b"---\ntitle: Outside\n---\nThe Chief Outside Officer owns the secret outside plan of the company.\n";
    // an endless device, a FIFO nobody writes, a document outside the corpus
    std::os::unix::fs::symlink("/dev/zero", sb.corpus().join("zero.txt")).unwrap();
    let fifo = sb.corpus().join("pipe.txt");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let outside = sb.dir.path().join("outside.txt");
    std::fs::write(&outside, doc).unwrap();
    std::os::unix::fs::symlink(&outside, sb.corpus().join("linked.txt")).unwrap();
    // a symlink that stays inside the corpus is fine
    std::os::unix::fs::symlink(
        sb.corpus().join("cio-vs-cto-key-differences.txt"),
        sb.corpus().join("zz-alias.txt"),
    )
    .unwrap();
    // a name that is not UTF-8, with good content
    let latin1 = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
    std::fs::write(sb.corpus().join(latin1), doc).unwrap();
    std::fs::create_dir(sb.corpus().join("drafts.txt")).unwrap();

    let dir = sb.corpus();
    let started = std::time::Instant::now();
    let c = within(30, move || {
        load_dir(&dir, &CorpusSettings::default(), 900).expect("the corpus loads")
    });
    eprintln!(
        "hostile corpus loaded in {} ms",
        started.elapsed().as_millis()
    );
    for (file, why) in [
        ("zero.txt", "outside the corpus"),
        ("pipe.txt", "not a regular file"),
        ("linked.txt", "outside the corpus"),
        ("drafts.txt", "directory"),
        // the in-corpus alias is the same document under another name
        ("zz-alias.txt", "duplicate"),
    ] {
        let reason = skip_reason(&c, file);
        assert!(
            reason.contains(why),
            "{file}: {reason:?} in {:?}",
            c.skipped
        );
    }
    // the non-UTF-8 name is named (escaped), not silently dropped
    let odd = c
        .skipped
        .iter()
        .find(|s| s.path.contains("caf\\xE9.txt"))
        .unwrap_or_else(|| panic!("no warning for the non-UTF-8 name: {:?}", c.skipped));
    assert!(odd.reason.contains("UTF-8"), "{odd:?}");
    assert!(!c
        .passages
        .iter()
        .any(|p| p.text.contains("Outside Officer")));
    assert_eq!(c.documents.len(), 5, "the seeds load: {:?}", c.skipped);

    // allowed by configuration: the outside document loads, /dev/zero is still
    // refused as not a regular file
    let rules = CorpusSettings {
        allow_symlinks_outside: true,
        ..CorpusSettings::default()
    };
    let dir = sb.corpus();
    let c = within(30, move || load_dir(&dir, &rules, 900).unwrap());
    assert!(c
        .passages
        .iter()
        .any(|p| p.text.contains("Outside Officer")));
    let zero = skip_reason(&c, "zero.txt");
    assert!(zero.contains("not a regular file"), "{zero}");
}

#[test]
fn oversized_front_matter_fields_are_refused() {
    let sb = Sandbox::new();
    let mut big = b"---\ntitle: ".to_vec();
    big.extend(std::iter::repeat_n(b'T', 1024 * 1024));
    big.extend(b"\n---\nThe CDO owns the data strategy of the company and its quality.\n");
    sb.write("bigtitle.txt", &big);
    sb.write(
        "bigauthor.txt",
        format!(
            "---\ntitle: Fine\nauthor: {}\n---\nThe CFO approves the technology budget every single year.\n",
            "a".repeat(5000)
        )
        .as_bytes(),
    );
    sb.write(
        "control.txt",
        b"---\ntitle: Bell\x07 title\n---\nThe CMO owns the brand and the marketing calendar.\n",
    );
    let c = load_dir(&sb.corpus(), &CorpusSettings::default(), 900).unwrap();
    let reason = |f: &str| skip_reason(&c, f);
    assert!(reason("bigtitle.txt").contains("title"), "{:?}", c.skipped);
    assert!(
        reason("bigtitle.txt").contains("characters"),
        "{:?}",
        c.skipped
    );
    assert!(
        reason("bigauthor.txt").contains("author"),
        "{:?}",
        c.skipped
    );
    assert!(reason("control.txt").contains("control"), "{:?}", c.skipped);
    assert_eq!(c.documents.len(), 5);
    // no passage carries a huge title
    assert!(c.passages.iter().all(|p| p.doc_title.len() < 1000));
}

#[test]
fn a_copied_document_is_reported_and_keeps_its_prose() {
    let sb = Sandbox::new();
    let base = load_dir(&sb.corpus(), &CorpusSettings::default(), 900).unwrap();
    let original = "cio-vs-cto-key-differences";
    let count = |c: &rolefaq::corpus::Corpus, id: &str| {
        c.passages.iter().filter(|p| p.doc_id == id).count()
    };
    let before = count(&base, original);
    assert!(before > 10);
    // an exact copy under another name
    std::fs::copy(
        sb.corpus().join(format!("{original}.txt")),
        sb.corpus().join("copy-of-key-differences.txt"),
    )
    .unwrap();
    let c = load_dir(&sb.corpus(), &CorpusSettings::default(), 900).unwrap();
    let dup = c
        .skipped
        .iter()
        .find(|s| s.path.ends_with("copy-of-key-differences.txt"))
        .unwrap_or_else(|| panic!("the copy is not reported: {:?}", c.skipped));
    assert!(
        dup.reason.contains("duplicate") && dup.reason.contains(original),
        "{dup:?}"
    );
    assert_eq!(count(&c, original), before, "the original lost its prose");

    // a near copy (another title, one paragraph more): both keep their prose
    std::fs::remove_file(sb.corpus().join("copy-of-key-differences.txt")).unwrap();
    let text = std::fs::read_to_string(sb.corpus().join(format!("{original}.txt"))).unwrap();
    let near = text.replacen(
        "title: CIO vs CTO: Key Differences",
        "title: CIO and CTO, Republished",
        1,
    ) + "\nThis republished copy adds one closing paragraph of its own for readers.\n";
    sb.write("republished.txt", near.as_bytes());
    let c = load_dir(&sb.corpus(), &CorpusSettings::default(), 900).unwrap();
    assert!(
        count(&c, original) >= before,
        "the original lost its prose to the repeated-line rule: {} of {before}",
        count(&c, original)
    );
    assert!(count(&c, "republished") >= before, "{:?}", c.skipped);
}
