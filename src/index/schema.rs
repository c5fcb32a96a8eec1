//! The tantivy schema for passages and the English analyzer, registered on every open.

use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, STORED, STRING,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer,
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

/// Lower-cased, ASCII-folded, English-stemmed words; overlong tokens dropped.
pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
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

/// Analyse `text` into its tokens' stems, with their byte ranges.
pub fn tokens(text: &str) -> Vec<(String, std::ops::Range<usize>)> {
    thread_local! {
        // Building the analyzer allocates its filter chain: keep one per thread.
        static ANALYZER_OF_THREAD: std::cell::RefCell<TextAnalyzer> =
            std::cell::RefCell::new(analyzer());
    }
    ANALYZER_OF_THREAD.with(|a| {
        let mut a = a.borrow_mut();
        let mut stream = a.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            let t = stream.token();
            out.push((t.text.clone(), t.offset_from..t.offset_to));
        }
        out
    })
}
