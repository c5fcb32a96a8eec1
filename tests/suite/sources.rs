//! Adding and removing corpus documents (`rolefaq sources add|remove`,
//! `Service::add_source` / `remove_source`, behind Discord's `/sources add|remove`).

use crate::common::{json_of, rolefaq, Sandbox};
use rolefaq::error::{Error, SourceError};
use rolefaq::service::{AskOptions, Service};

const FACT: &str =
    "The Chief Sustainability Officer reports carbon targets to the board every quarter.";
const QUESTION: &str = "who reports carbon targets to the board?";

fn opts() -> AskOptions {
    AskOptions { top: 3, offset: 0 }
}

fn answers_with_fact(svc: &Service) -> bool {
    svc.ask(QUESTION, opts())
        .unwrap()
        .results
        .iter()
        .any(|h| h.text.contains("carbon targets"))
}

fn removed_files(sb: &Sandbox) -> Vec<String> {
    std::fs::read_dir(sb.corpus().join(".removed"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_document_added_is_answered_from_and_a_removed_one_is_kept_aside() {
    let sb = Sandbox::new();
    let svc = Service::open(sb.settings()).unwrap();
    assert!(
        !answers_with_fact(&svc),
        "the bundled corpus must not know the fact"
    );
    let body = format!("# The CSO role\n\n{FACT} The role is new in most companies.\n");
    let change = svc
        .add_source("../CSO role (draft).MD", body.as_bytes(), false)
        .unwrap();
    assert_eq!(change.action, "added");
    assert_eq!(change.id, "CSO-role-draft");
    assert_eq!(change.titled.as_deref(), Some("The CSO role"));
    assert!(change.rebuild_error.is_none(), "{:?}", change.rebuild_error);
    assert_eq!(
        change.rebuild.as_ref().unwrap().added,
        vec!["CSO-role-draft"]
    );
    let written = sb.corpus().join("CSO-role-draft.md");
    let text = std::fs::read_to_string(&written).unwrap();
    assert!(
        text.starts_with("---\ntitle: \"The CSO role\"\n---\n"),
        "{text}"
    );
    assert!(text.contains(FACT));
    assert!(
        answers_with_fact(&svc),
        "the new document must be searched at once"
    );
    assert!(svc.sources().iter().any(|s| s.id == "CSO-role-draft"));
    // no temporary file is left in the corpus
    let leftovers: Vec<_> = std::fs::read_dir(sb.corpus())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty());

    // the same id again: refused unless replacing
    let again = svc.add_source(
        "CSO-role-draft.txt",
        b"---\ntitle: T\n---\nOther text about budgets and plans.",
        false,
    );
    assert!(
        matches!(again, Err(Error::Source(SourceError::Exists(ref id))) if id == "CSO-role-draft"),
        "{again:?}"
    );
    let replaced = svc
        .add_source(
            "CSO-role-draft.txt",
            b"---\ntitle: T\n---\nThe CSO now writes the sustainability report for investors.",
            true,
        )
        .unwrap();
    assert_eq!(replaced.kept.len(), 1, "{replaced:?}");
    assert!(!written.exists(), "the replaced file moves aside");
    assert!(
        !answers_with_fact(&svc),
        "the replaced text is no longer served"
    );
    assert_eq!(removed_files(&sb).len(), 1);

    let removed = svc.remove_source("CSO-role-draft").unwrap();
    assert_eq!(removed.action, "removed");
    assert_eq!(
        removed.rebuild.as_ref().unwrap().removed,
        vec!["CSO-role-draft"]
    );
    assert!(!svc.sources().iter().any(|s| s.id == "CSO-role-draft"));
    assert!(!sb.corpus().join("CSO-role-draft.txt").exists());
    assert_eq!(
        removed_files(&sb).len(),
        2,
        "removed files are kept, not deleted"
    );
    // a rebuild from scratch does not read .removed/
    let report = svc.reindex().unwrap();
    assert!(
        report.skipped.iter().all(|s| !s.path.contains(".removed")),
        "{:?}",
        report.skipped
    );
    assert_eq!(report.documents, 5);
}

#[test]
fn bad_documents_are_refused_with_a_reason_and_nothing_is_written() {
    let sb = Sandbox::new();
    let svc = Service::open(sb.settings()).unwrap();
    let before = std::fs::read_dir(sb.corpus()).unwrap().count();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("tool.exe", b"MZ".to_vec(), "unsupported file type"),
        ("empty.md", Vec::new(), "is empty"),
        ("???.md", b"text".to_vec(), "rename the file"),
        (
            "broken.pdf",
            b"%PDF-1.4 this is not a pdf".to_vec(),
            "cannot be read",
        ),
        ("binary.txt", vec![0, 159, 146, 150, 0, 1], "cannot be read"),
        (
            "bad-front.md",
            b"---\ntitle: x\nsecret: y\n---\nbody words here".to_vec(),
            "unknown",
        ),
        ("big.txt", vec![b'a'; 2_000_001], "at most"),
    ];
    let mut s = sb.settings();
    s.corpus.max_file_bytes = 2_000_000;
    let small = Service::open(s).unwrap();
    for (name, bytes, want) in cases {
        let svc = if name == "big.txt" { &small } else { &svc };
        let err = svc.add_source(name, &bytes, false).unwrap_err().to_string();
        assert!(err.contains(want), "{name}: {err}");
    }
    assert_eq!(std::fs::read_dir(sb.corpus()).unwrap().count(), before);
    for id in ["nope", "", "../corpus", ".removed"] {
        let err = svc.remove_source(id).unwrap_err();
        assert!(
            matches!(err, Error::Source(SourceError::UnknownId(_))),
            "{id}: {err}"
        );
    }
}

#[test]
fn cli_adds_and_removes_documents() {
    let sb = Sandbox::new();
    let file = sb.dir.path().join("cso notes.txt");
    std::fs::write(&file, format!("{FACT}\n")).unwrap();
    let added = json_of(rolefaq(&sb).args(["sources", "add", "--json"]).arg(&file));
    assert_eq!(added["action"], "added");
    assert_eq!(added["id"], "cso-notes");
    assert_eq!(added["titled"], "cso notes");
    assert_eq!(added["rebuild"]["added"][0], "cso-notes");
    let ask = json_of(rolefaq(&sb).args(["ask", "--json", QUESTION]));
    assert!(ask.to_string().contains("carbon targets"), "{ask}");
    let out = rolefaq(&sb)
        .args(["sources", "add"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already in the corpus"));
    let out = rolefaq(&sb)
        .args(["sources", "remove", "cso-notes"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Removed 'cso-notes'") && text.contains(".removed"),
        "{text}"
    );
    let list = json_of(rolefaq(&sb).args(["sources", "--json"]));
    assert!(!list.to_string().contains("cso-notes"), "{list}");
}
