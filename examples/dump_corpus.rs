//! Print the passages and dropped lines of a corpus directory (debugging aid).
fn main() -> anyhow::Result<()> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "corpus".into());
    let s = rolefaq::config::CorpusSettings::default();
    let c = rolefaq::corpus::load_dir(std::path::Path::new(&dir), &s, 900)?;
    for d in &c.dropped {
        println!("DROP [{}] {}: {}", d.rule, d.doc, d.line);
    }
    for p in &c.passages {
        println!(
            "{} [{:?}] sec={:?} ctx={:?}\n    {}",
            p.id, p.kind, p.section, p.context, p.text
        );
    }
    println!(
        "{} docs, {} passages, {} skipped",
        c.documents.len(),
        c.passages.len(),
        c.skipped.len()
    );
    Ok(())
}
