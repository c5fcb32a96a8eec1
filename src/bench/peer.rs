//! The benchmark's peer: SQLite FTS5 (bundled SQLite, `porter unicode61`
//! tokenizer, `bm25()` ranking) over the same passages and questions.

use super::{
    content_words, measure_latency, measure_throughput, BenchError, BenchOptions, PeerReport,
};
use crate::index::indexed_text;
use crate::model::Passage;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::time::Instant;

fn sql(e: rusqlite::Error) -> BenchError {
    BenchError::Peer(e.to_string())
}

const SEARCH: &str =
    "SELECT rowid, title, body, bm25(p) FROM p WHERE p MATCH ?1 ORDER BY bm25(p) LIMIT ?2";

/// The FTS5 query of a question: its content words, each quoted, OR-ed
/// (like our SHOULD clauses). `None` when no content word is left.
pub fn fts_query(question: &str) -> Option<String> {
    let words = content_words(question);
    (!words.is_empty()).then(|| {
        words
            .iter()
            .map(|w| format!("\"{w}\""))
            .collect::<Vec<_>>()
            .join(" OR ")
    })
}

/// One connection's searcher; returns the number of hits.
struct Searcher {
    conn: Connection,
    top: i64,
}

impl Searcher {
    fn open(db: &Path, top: usize) -> Result<Self, BenchError> {
        let conn = Connection::open_with_flags(
            db,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sql)?;
        Ok(Self {
            conn,
            top: top as i64,
        })
    }

    fn ask(&self, question: &str) -> Result<usize, BenchError> {
        let Some(q) = fts_query(question) else {
            return Ok(0);
        };
        let mut stmt = self.conn.prepare_cached(SEARCH).map_err(sql)?;
        let rows = stmt
            .query_map(rusqlite::params![q, self.top], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, f64>(3)?,
                ))
            })
            .map_err(sql)?;
        let mut n = 0;
        for row in rows {
            std::hint::black_box(row.map_err(sql)?);
            n += 1;
        }
        Ok(n)
    }
}

/// Build the FTS5 table from `passages` in `dir/fts5.db`, then time `queries`.
pub fn run(
    passages: &[Passage],
    queries: &[String],
    dir: &Path,
    opts: &BenchOptions,
) -> Result<PeerReport, BenchError> {
    let db = dir.join("fts5.db");
    let t = Instant::now();
    {
        let mut conn = Connection::open(&db).map_err(sql)?;
        conn.execute_batch(
            "CREATE VIRTUAL TABLE p USING fts5(title, body, tokenize = 'porter unicode61');",
        )
        .map_err(sql)?;
        let tx = conn.transaction().map_err(sql)?;
        {
            let mut ins = tx
                .prepare("INSERT INTO p (rowid, title, body) VALUES (?1, ?2, ?3)")
                .map_err(sql)?;
            for (ord, p) in passages.iter().enumerate() {
                let mut body = indexed_text(p);
                if let Some(s) = &p.section {
                    body.push('\n');
                    body.push_str(s);
                }
                ins.execute(rusqlite::params![ord as i64, p.doc_title, body])
                    .map_err(sql)?;
            }
        }
        tx.commit().map_err(sql)?;
        conn.execute_batch("INSERT INTO p(p) VALUES('optimize');")
            .map_err(sql)?;
    }
    let build = t.elapsed();
    let index_bytes = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);

    let searcher = Searcher::open(&db, opts.top)?;
    let answered = queries
        .iter()
        .filter(|q| searcher.ask(q).is_ok_and(|n| n > 0))
        .count();
    // Fail loudly once rather than timing errors.
    if let Some(q) = queries.first() {
        searcher.ask(q)?;
    }
    let latency = measure_latency(queries, opts.min_samples, opts.max_latency_time, |q| {
        let _ = searcher.ask(q);
    });
    drop(searcher);
    let mut throughput = Vec::new();
    for &n in &opts.threads {
        // Each thread its own connection (a rusqlite Connection is not Sync).
        let conns: Vec<Searcher> = (0..n)
            .map(|_| Searcher::open(&db, opts.top))
            .collect::<Result<_, _>>()?;
        let pool = std::sync::Mutex::new(conns);
        throughput.push(measure_throughput(queries, n, opts.throughput_time, || {
            let s = pool.lock().ok().and_then(|mut v| v.pop());
            move |q: &str| {
                if let Some(s) = &s {
                    let _ = s.ask(q);
                }
            }
        }));
    }
    Ok(PeerReport {
        engine: format!(
            "SQLite {} FTS5 (porter unicode61, bm25, top {})",
            rusqlite::version(),
            opts.top
        ),
        build_ms: build.as_secs_f64() * 1e3,
        index_bytes,
        answered,
        latency,
        throughput,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts_query_quotes_content_words() {
        assert_eq!(
            fts_query("Who owns the \"cyber\"-security budget?").as_deref(),
            Some("\"owns\" OR \"cyber\" OR \"security\" OR \"budget\"")
        );
        assert_eq!(fts_query("who is the?"), None);
    }
}
