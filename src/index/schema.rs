//! The tantivy schema for passages and the English analyzer, registered on every open.

use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, STORED, STRING,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer,
    Stemmer, TextAnalyzer,
};
use tantivy::Index;

/// Name of the analyzer used for every text field and for query analysis.
pub const ANALYZER: &str = "rolefaq_en";

/// Bumped whenever the schema or analyzer changes; an index of another version is rebuilt.
pub const SCHEMA_VERSION: u32 = 1;

/// Field handles, kept from the schema builder rather than looked up by name.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub id: Field,
    pub doc_id: Field,
    /// Position of the passage in the generation's `passages.json`.
    pub ord: Field,
    /// Passage text plus its context (lead-in sentence).
    pub body: Field,
    pub section: Field,
    pub title: Field,
}

/// Words longer than this (in UTF-8 bytes) are no words to the analyzer: a
/// run of letters that long is a hash, a URL's tail or a key held down.
pub const MAX_WORD_BYTES: usize = 40;

/// Lower-cased, ASCII-folded, English-stemmed words; overlong tokens dropped.
pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_WORD_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::English))
        .build()
}

pub fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        doc_id: b.add_text_field("doc_id", STRING | STORED),
        ord: b.add_u64_field("ord", STORED | FAST),
        body: b.add_text_field("body", text.clone()),
        section: b.add_text_field("section", text.clone()),
        title: b.add_text_field("title", text),
    };
    (b.build(), fields)
}

/// Register our analyzer on an index (needed after every open).
pub fn register(index: &Index) {
    index.tokenizers().register(ANALYZER, analyzer());
}

/// Field handles of an opened index, checked against the schema we expect.
pub fn fields_of(index: &Index) -> Option<Fields> {
    let (expected, fields) = build_schema();
    (index.schema() == expected).then_some(fields)
}

/// The analyzer without its stemmer: words as they are before stemming.
fn unstemmed() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_WORD_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// The analyzer's stemmer alone, for one word at a time.
fn stemmer() -> TextAnalyzer {
    TextAnalyzer::builder(RawTokenizer::default())
        .filter(Stemmer::new(Language::English))
        .build()
}

/// Words remembered per thread before the stem cache is emptied.
const STEM_CACHE_WORDS: usize = 100_000;

/// Analyse `text` into its tokens' stems, with their byte ranges: the same
/// stems as [`analyzer`] (its stemmer works on one token at a time), with each
/// word's stem remembered per thread, since stemming is most of the cost of
/// analysing passages at query time.
pub fn tokens(text: &str) -> Vec<(String, std::ops::Range<usize>)> {
    use std::cell::RefCell;
    thread_local! {
        // Building an analyzer allocates its filter chain: keep them per thread.
        static UNSTEMMED: RefCell<TextAnalyzer> = RefCell::new(unstemmed());
        static STEMMER: RefCell<TextAnalyzer> = RefCell::new(stemmer());
        static STEMS: RefCell<rustc_hash::FxHashMap<String, String>> = RefCell::default();
    }
    UNSTEMMED.with(|a| {
        STEMS.with(|stems| {
            let mut a = a.borrow_mut();
            let mut stems = stems.borrow_mut();
            let mut stream = a.token_stream(text);
            let mut out = Vec::new();
            while stream.advance() {
                let t = stream.token();
                let stem = match stems.get(t.text.as_str()) {
                    Some(s) => s.clone(),
                    None => {
                        let s = STEMMER.with(|st| {
                            let mut st = st.borrow_mut();
                            let mut one = st.token_stream(&t.text);
                            let mut s = String::new();
                            while one.advance() {
                                s = one.token().text.clone();
                            }
                            s
                        });
                        if stems.len() >= STEM_CACHE_WORDS {
                            stems.clear();
                        }
                        stems.insert(t.text.clone(), s.clone());
                        s
                    }
                };
                out.push((stem, t.offset_from..t.offset_to));
            }
            out
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Tokens of the full analyzer chain, as tantivy indexes them.
    fn indexed(text: &str) -> Vec<(String, std::ops::Range<usize>)> {
        let mut a = analyzer();
        let mut stream = a.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            let t = stream.token();
            out.push((t.text.clone(), t.offset_from..t.offset_to));
        }
        out
    }

    #[test]
    fn cached_stems_are_the_indexed_stems() {
        let text = "The CIO's responsibilities: running, runs, ran — Café naïve ÉTUDES \
                    cybersecurity x"
            .to_string()
            + &"a".repeat(50);
        // twice: the second pass is served from the cache
        assert_eq!(tokens(&text), indexed(&text));
        assert_eq!(tokens(&text), indexed(&text));
        assert!(tokens(&text).iter().any(|(t, _)| t == "respons"));
    }

    proptest! {
        #[test]
        fn cached_stems_match_the_analyzer_on_any_text(text in "\\PC{0,80}") {
            prop_assert_eq!(tokens(&text), indexed(&text));
        }
    }
}
