//! Dense sentence embeddings with all-MiniLM-L6-v2, computed in pure Rust with candle.
//!
//! [`Embedder`] reproduces what `sentence-transformers` does for this model
//! (`modules.json`: Transformer → mean Pooling → Normalize): WordPiece
//! tokenisation from the model's own `tokenizer.json`, truncated to
//! [`MAX_SEQ_LEN`] tokens, a BERT forward pass on the CPU, mean pooling over
//! the attention mask and L2 normalisation. The vectors therefore have unit
//! norm and [`dot`] equals cosine similarity.
//!
//! Nothing is downloaded, at build time or at run time: the model directory
//! is filled once by `scripts/fetch-model.sh` (see [`DEFAULT_MODEL_DIR`]).
//!
//! [`Embedder`] is `Send + Sync`; share one as `Arc<Embedder>` across threads.

use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::{DType, Device, Tensor, D};
use candle_nn::VarBuilder;
mod batch;
pub mod bert;
mod int8;
mod question;

pub use crate::config::Precision;
pub(crate) use crate::vector::quantise_i8;
pub use crate::vector::{cosine, dot, dot_widened};
pub use batch::BatchOptions;
use batch::Batcher;
use bert::{Bert, Config};
use question::QuestionEncoder;
use tokenizers::{Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

/// Longest input, in word pieces including `[CLS]`/`[SEP]`; longer texts are
/// truncated, as sentence-transformers does (`max_seq_length` of the model).
pub const MAX_SEQ_LEN: usize = 256;

/// Where `scripts/fetch-model.sh` puts the model by default (relative to the repository).
pub const DEFAULT_MODEL_DIR: &str = "models/all-MiniLM-L6-v2";

/// Questions longer than this (in word pieces) go through the f32 model even
/// when a [`QuestionEncoder`] is loaded: its matrix products use every core
/// and win from about 60 pieces on (measured with `examples/embed_speed`).
const LONG_QUESTION: usize = 64;

/// Texts run through the model together; larger batches pad more and use more memory.
const CHUNK: usize = 32;

/// Files the model directory must contain.
pub const MODEL_FILES: [&str; 3] = ["model.safetensors", "tokenizer.json", "config.json"];

/// Errors of loading the model or computing embeddings.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error(
        "embedding model file {path} is missing; fetch the model with `scripts/fetch-model.sh {dir}`"
    )]
    MissingFile { path: PathBuf, dir: PathBuf },
    #[error("could not read embedding model file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a valid BERT config.json: {source}")]
    Config {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(
        "could not load tokenizer {path}: {message} (corrupt file? rerun scripts/fetch-model.sh)"
    )]
    Tokenizer { path: PathBuf, message: String },
    #[error(
        "could not load model weights {path}: {source} (corrupt or not a BERT safetensors file? \
         delete the directory and rerun scripts/fetch-model.sh)"
    )]
    Weights {
        path: PathBuf,
        source: candle_core::Error,
    },
    #[error("tokenization failed: {0}")]
    Tokenize(String),
    #[error("embedding inference failed: {0}")]
    Inference(#[from] candle_core::Error),
    #[error("embedding a batch of {questions} questions failed: {message}")]
    Batch { questions: usize, message: String },
}

impl From<EmbedError> for crate::Error {
    fn from(e: EmbedError) -> Self {
        crate::Error::Model(e.to_string())
    }
}

/// A loaded sentence-embedding model (all-MiniLM-L6-v2 or another BERT
/// sentence-transformers model with mean pooling).
pub struct Embedder {
    /// Exact (f32) weights: passages, and questions unless `questions` is set.
    model: Bert,
    /// The same model with 8-bit layers, for questions (see [`Embedder::load_with`]).
    questions: Option<QuestionEncoder>,
    tokenizer: Tokenizer,
    device: Device,
    dim: usize,
    /// Recorded in index manifests: the model directory's name.
    name: String,
    /// Questions arriving together are embedded together (`None`: each on its own).
    batcher: Option<Batcher>,
}

// Checked at compile time: the embedder can be shared as `Arc<Embedder>`.
const _: fn() = || {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Embedder>();
};

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("dim", &self.dim)
            .field("device", &self.device)
            .finish_non_exhaustive()
    }
}

impl Embedder {
    /// Load the model from `dir`, which must hold `model.safetensors`,
    /// `tokenizer.json` and `config.json` (as left by `scripts/fetch-model.sh`).
    pub fn load(dir: &Path) -> Result<Embedder, EmbedError> {
        Self::load_with(dir, Precision::F32)
    }

    /// [`Embedder::load`], with questions ([`Embedder::embed_query`]) embedded
    /// at `question_precision`. Passages ([`Embedder::embed_batch`]) always
    /// use the exact weights, so an index does not depend on this choice.
    /// With [`Precision::Q8`] questions go through [`QuestionEncoder`] (8-bit
    /// dense layers, one core, no thread pool): a median cosine of 0.9995 to
    /// the exact vector (0.996 for the empty text), 2–3× faster, and not
    /// slowed by other work on the machine.
    pub fn load_with(dir: &Path, question_precision: Precision) -> Result<Embedder, EmbedError> {
        let started = Instant::now();
        for name in MODEL_FILES {
            let path = dir.join(name);
            if !path.is_file() {
                return Err(EmbedError::MissingFile {
                    path,
                    dir: dir.to_path_buf(),
                });
            }
        }

        let config_path = dir.join("config.json");
        let config_text =
            std::fs::read_to_string(&config_path).map_err(|source| EmbedError::Io {
                path: config_path.clone(),
                source,
            })?;
        let config: Config =
            serde_json::from_str(&config_text).map_err(|source| EmbedError::Config {
                path: config_path.clone(),
                source,
            })?;

        let tokenizer_path = dir.join("tokenizer.json");
        let mut tokenizer =
            Tokenizer::from_file(&tokenizer_path).map_err(|e| EmbedError::Tokenizer {
                path: tokenizer_path.clone(),
                message: e.to_string(),
            })?;
        // The shipped tokenizer.json pads to a fixed 128 and truncates at 128;
        // sentence-transformers overrides both (max_seq_length 256, pad per batch).
        // We pad ourselves, per chunk.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_SEQ_LEN.min(config.max_position_embeddings),
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
                direction: TruncationDirection::Right,
            }))
            .map_err(|e| EmbedError::Tokenizer {
                path: tokenizer_path.clone(),
                message: e.to_string(),
            })?;

        let weights_path = dir.join("model.safetensors");
        let device = Device::Cpu;
        let bytes = std::fs::read(&weights_path).map_err(|source| EmbedError::Io {
            path: weights_path.clone(),
            source,
        })?;
        let weights_err = |source| EmbedError::Weights {
            path: weights_path.clone(),
            source,
        };
        let vb = VarBuilder::from_buffered_safetensors(bytes, DType::F32, &device)
            .map_err(weights_err)?;
        let model = Bert::load(vb, &config).map_err(weights_err)?;
        let questions = match question_precision {
            Precision::F32 => None,
            Precision::Q8 => Some(QuestionEncoder::new(&model).map_err(weights_err)?),
        };

        tracing::info!(
            dir = %dir.display(),
            dim = config.hidden_size,
            layers = config.num_hidden_layers,
            questions = %question_precision,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "loaded embedding model"
        );
        Ok(Embedder {
            model,
            questions,
            tokenizer,
            device,
            dim: config.hidden_size,
            name: model_name(dir),
            batcher: None,
        })
    }

    /// This model with questions batched as `options` say (see
    /// [`BatchOptions`]; disabled options embed each question on its own).
    pub fn with_batching(mut self, options: BatchOptions) -> Self {
        self.batcher = options.enabled().then(|| Batcher::new(options));
        self
    }

    /// How questions are batched (`None`: each on its own).
    pub fn batching(&self) -> Option<BatchOptions> {
        self.batcher.as_ref().map(Batcher::options)
    }

    /// Dimension of the vectors (384 for all-MiniLM-L6-v2).
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Word-piece ids the model sees for `text`, with `[CLS]`/`[SEP]`, after truncation.
    pub fn tokenize(&self, text: &str) -> Result<Vec<u32>, EmbedError> {
        let enc = self
            .tokenizer
            .encode(text, true)
            .map_err(|e| EmbedError::Tokenize(e.to_string()))?;
        Ok(enc.get_ids().to_vec())
    }

    /// Embed one query or passage: a unit vector of length [`Embedder::dim`].
    /// Uses the question model when one was loaded ([`Embedder::load_with`]);
    /// with batching on ([`Embedder::with_batching`]) a question is embedded
    /// together with the others that arrive with it, and its vector is the
    /// one [`Embedder::embed_queries`] gives for it.
    pub fn embed_query(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        let ids = self.tokenize(text)?;
        match &self.batcher {
            Some(b) if ids.len() <= LONG_QUESTION => b.embed(ids, |seqs| self.embed_short(seqs)),
            _ => self.embed_one(&ids),
        }
    }

    /// Questions embedded together, in order: what batching computes for the
    /// questions of one batch. Short questions go in one pass (packed through
    /// the 8-bit encoder, or padded through the f32 model), long ones each on
    /// their own, exactly as [`Embedder::embed_query`] would without batching.
    pub fn embed_queries(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let ids = texts
            .iter()
            .map(|t| self.tokenize(t))
            .collect::<Result<Vec<_>, _>>()?;
        let short: Vec<&[u32]> = ids
            .iter()
            .filter(|i| i.len() <= LONG_QUESTION)
            .map(Vec::as_slice)
            .collect();
        let mut short = self.embed_short(&short)?.into_iter();
        ids.iter()
            .map(|i| {
                if i.len() <= LONG_QUESTION {
                    short
                        .next()
                        .ok_or_else(|| EmbedError::Tokenize("the model returned no vector".into()))
                } else {
                    self.embed_one(i)
                }
            })
            .collect()
    }

    /// One question's token ids, on its own.
    fn embed_one(&self, ids: &[u32]) -> Result<Vec<f32>, EmbedError> {
        if let Some(q) = self
            .questions
            .as_ref()
            .filter(|_| ids.len() <= LONG_QUESTION)
        {
            return Ok(q.embed(ids)?);
        }
        let mut v = self.forward(&self.model, &[ids])?;
        v.pop()
            .ok_or_else(|| EmbedError::Tokenize("the model returned no vector".into()))
    }

    /// Short questions' token ids in one pass: packed through the 8-bit
    /// encoder when there is one, else padded through the f32 model.
    fn embed_short(&self, seqs: &[&[u32]]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if seqs.is_empty() {
            return Ok(Vec::new());
        }
        match &self.questions {
            Some(q) => Ok(q.embed_many(seqs)?),
            None => self.forward(&self.model, seqs),
        }
    }

    /// Embed many texts; the result is in the order of `texts`. Texts are
    /// grouped by length into padded chunks, so a batch is much faster than
    /// one call per text, and gives the same vectors (to float rounding).
    pub fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let started = Instant::now();
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| EmbedError::Tokenize(e.to_string()))?;

        // Sort by length so each chunk pads little (as sentence-transformers does).
        let mut order: Vec<usize> = (0..encodings.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(encodings[i].get_ids().len()));

        let mut out: Vec<Vec<f32>> = vec![Vec::new(); texts.len()];
        let mut tokens = 0usize;
        for chunk in order.chunks(CHUNK) {
            let batch: Vec<&[u32]> = chunk.iter().map(|&i| encodings[i].get_ids()).collect();
            tokens += batch.iter().map(|ids| ids.len()).sum::<usize>();
            let vectors = self.forward(&self.model, &batch)?;
            for (&i, v) in chunk.iter().zip(vectors) {
                out[i] = v;
            }
        }
        tracing::debug!(
            texts = texts.len(),
            tokens,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "embedded batch"
        );
        Ok(out)
    }

    /// One padded forward pass, mean pooling and normalisation.
    fn forward(&self, model: &Bert, batch: &[&[u32]]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let rows = batch.len();
        let len = batch.iter().map(|ids| ids.len()).max().unwrap_or(0).max(1);
        let mut ids = vec![0u32; rows * len];
        let mut mask = vec![0u32; rows * len];
        for (r, row) in batch.iter().enumerate() {
            ids[r * len..r * len + row.len()].copy_from_slice(row);
            mask[r * len..r * len + row.len()].fill(1);
        }
        let ids = Tensor::from_vec(ids, (rows, len), &self.device)?;
        let mask = Tensor::from_vec(mask, (rows, len), &self.device)?;
        let hidden = model.forward(&ids, &mask)?; // (rows, len, dim)
        let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?; // (rows, len, 1)
        let summed = hidden.broadcast_mul(&mask)?.sum(1)?; // (rows, dim)
        let counts = mask.sum(1)?.clamp(1e-9f32, f32::MAX)?; // (rows, 1)
        let mean = summed.broadcast_div(&counts)?;
        let norms = mean
            .sqr()?
            .sum_keepdim(D::Minus1)?
            .sqrt()?
            .clamp(1e-12f32, f32::MAX)?;
        Ok(mean.broadcast_div(&norms)?.to_vec2::<f32>()?)
    }
}

/// Name recorded in index manifests for a model whose directory has no name.
pub const MODEL_NAME: &str = "all-MiniLM-L6-v2";

/// The name an index records for the model in `dir`: the directory's own name
/// (`models/all-MiniLM-L6-v2` → `all-MiniLM-L6-v2`), so pointing
/// `[model] dir` at another model makes the index's vectors count as foreign.
pub fn model_name(dir: &Path) -> String {
    dir.file_name()
        .and_then(|n| n.to_str())
        .filter(|n| !n.is_empty() && *n != "." && *n != "..")
        .unwrap_or(MODEL_NAME)
        .to_string()
}

impl crate::vector::Embedding for Embedder {
    fn name(&self) -> String {
        self.name.clone()
    }
    fn dim(&self) -> usize {
        self.dim
    }
    fn embed_batch(&self, texts: &[&str]) -> crate::Result<Vec<Vec<f32>>> {
        Ok(Embedder::embed_batch(self, texts)?)
    }
    fn embed_query(&self, text: &str) -> crate::Result<Vec<f32>> {
        Ok(Embedder::embed_query(self, text)?)
    }
    fn embed_queries(&self, texts: &[&str]) -> crate::Result<Vec<Vec<f32>>> {
        Ok(Embedder::embed_queries(self, texts)?)
    }
}

/// The model the settings ask for, loaded once; `None` (lexical ranking only)
/// when it is switched off, missing or broken — said once, with what to do.
pub fn load_configured(
    settings: &crate::config::ModelSettings,
) -> Option<std::sync::Arc<Embedder>> {
    if !settings.enabled {
        return None;
    }
    if !MODEL_FILES.iter().all(|f| settings.dir.join(f).exists()) {
        tracing::warn!(
            "no embedding model in {} (run scripts/fetch-model.sh); ranking is lexical only",
            settings.dir.display()
        );
        return None;
    }
    match Embedder::load_with(&settings.dir, settings.question_precision) {
        Ok(e) => Some(std::sync::Arc::new(e.with_batching(BatchOptions {
            window: std::time::Duration::from_millis(settings.batch_window_ms),
            max: settings.batch_max,
            lanes: std::thread::available_parallelism().map_or(1, usize::from),
        }))),
        Err(e) => {
            tracing::warn!("embedding model unusable ({e}); ranking is lexical only");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_name_is_the_directory_name() {
        assert_eq!(
            model_name(Path::new("models/all-MiniLM-L6-v2")),
            "all-MiniLM-L6-v2"
        );
        assert_eq!(model_name(Path::new("/opt/models/e5-small/")), "e5-small");
        assert_eq!(model_name(Path::new("models/bge/.")), "bge");
        assert_eq!(model_name(Path::new("/")), MODEL_NAME);
        assert_eq!(model_name(Path::new("..")), MODEL_NAME);
    }

    #[test]
    fn cosine_and_dot() {
        let a = [1.0, 0.0, 0.0];
        let b = [0.0, 2.0, 0.0];
        let c = [3.0, 0.0, 0.0];
        assert_eq!(dot(&a, &b), 0.0);
        assert!((cosine(&a, &c) - 1.0).abs() < 1e-6);
        assert_eq!(cosine(&a, &b), 0.0);
        assert_eq!(cosine(&a, &[0.0, 0.0, 0.0]), 0.0);
        let d = [0.6, 0.8];
        assert!((dot(&d, &d) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn dot_matches_a_double_precision_sum_at_every_length() {
        let mut rng = fastrand::Rng::with_seed(5);
        for n in 0..41 {
            let a: Vec<f32> = (0..n).map(|_| rng.f32() - 0.5).collect();
            let b: Vec<f32> = (0..n + 3).map(|_| rng.f32() - 0.5).collect();
            let want: f64 = a
                .iter()
                .zip(&b)
                .map(|(x, y)| f64::from(*x) * f64::from(*y))
                .sum();
            // extra elements of the longer slice are ignored, either way round
            for got in [dot(&a, &b), dot(&b, &a)] {
                assert!(
                    (f64::from(got) - want).abs() < 1e-5,
                    "n={n}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn missing_model_dir_names_the_fetch_script() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = Embedder::load(dir.path()).expect_err("empty dir must not load");
        let msg = err.to_string();
        assert!(matches!(err, EmbedError::MissingFile { .. }), "{msg}");
        assert!(msg.contains("model.safetensors"), "{msg}");
        assert!(msg.contains("scripts/fetch-model.sh"), "{msg}");
    }

    #[test]
    fn corrupt_files_give_clear_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in MODEL_FILES {
            std::fs::write(dir.path().join(name), b"not what you expect").expect("write");
        }
        let err = Embedder::load(dir.path()).expect_err("junk config must not load");
        assert!(matches!(err, EmbedError::Config { .. }), "{err}");

        let config = r#"{"vocab_size": 30522, "hidden_size": 384, "num_hidden_layers": 6,
            "num_attention_heads": 12, "intermediate_size": 1536, "hidden_act": "gelu",
            "hidden_dropout_prob": 0.1, "max_position_embeddings": 512, "type_vocab_size": 2,
            "initializer_range": 0.02, "layer_norm_eps": 1e-12, "pad_token_id": 0}"#;
        std::fs::write(dir.path().join("config.json"), config).expect("write");
        let err = Embedder::load(dir.path()).expect_err("junk tokenizer must not load");
        assert!(matches!(err, EmbedError::Tokenizer { .. }), "{err}");

        let tokenizer = r#"{"version": "1.0", "truncation": null, "padding": null,
            "added_tokens": [], "normalizer": null, "pre_tokenizer": {"type": "Whitespace"},
            "post_processor": null, "decoder": null,
            "model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "a": 1}, "unk_token": "[UNK]"}}"#;
        std::fs::write(dir.path().join("tokenizer.json"), tokenizer).expect("write");
        let err = Embedder::load(dir.path()).expect_err("junk weights must not load");
        assert!(matches!(err, EmbedError::Weights { .. }), "{err}");
        assert!(err.to_string().contains("model.safetensors"), "{err}");
    }

    #[test]
    fn default_model_dir_matches_the_config_default() {
        assert_eq!(
            crate::config::ModelSettings::default().dir,
            PathBuf::from(DEFAULT_MODEL_DIR)
        );
    }
}
