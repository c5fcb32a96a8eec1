//! Print a role comparison of a corpus directory (debugging aid):
//! `cargo run --example compare_corpus -- corpus CIO CTO [aspect]`.
fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "corpus".into());
    let a = args.next().unwrap_or_else(|| "CIO".into());
    let b = args.next().unwrap_or_else(|| "CTO".into());
    let aspect = args.next();
    let s = rolefaq::config::CorpusSettings::default();
    let c = rolefaq::corpus::load_dir(std::path::Path::new(&dir), &s, 900)?;
    let book = rolefaq::roles::RoleBook::discover(&c.passages);
    println!("known roles: {}", book.known_list());
    println!(
        "aspects: {}",
        rolefaq::compare::aspects(&c.passages, &book).join(", ")
    );
    let cmp = rolefaq::compare::compare(&c.passages, &book, &a, &b, aspect.as_deref())?;
    for row in &cmp.rows {
        println!("\n== {}", row.aspect);
        for (role, quotes) in &row.cells {
            for q in quotes {
                println!("  [{role}] {}    ({})", q.text, q.citation);
            }
        }
        if let Some(d) = &row.disagreement {
            println!("  !! {}", d.summary);
            for (role, quotes) in &d.sides {
                for q in quotes {
                    println!("     {role}: {}    ({})", q.text, q.citation);
                }
            }
        }
    }
    let both = cmp
        .rows
        .iter()
        .filter(|r| r.cells.values().all(|q| !q.is_empty()))
        .count();
    println!(
        "\n{} rows, {} with evidence for both roles",
        cmp.rows.len(),
        both
    );
    Ok(())
}
