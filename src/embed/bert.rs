//! The BERT encoder of a sentence-transformers model, for inference only.
//!
//! Same computation and weight names as Hugging Face's `BertModel` (and
//! candle-transformers' port of it), in f32 with candle: the exact model, and
//! fast for padded batches of passages. Questions, a handful of tokens each,
//! go through [`super::question::QuestionEncoder`] built from the same weights
//! unless [`Precision::F32`] is asked for.

use candle_core::{DType, Module, Result, Tensor, D};
use candle_nn::{embedding, layer_norm, Embedding, LayerNorm, VarBuilder};
use serde::Deserialize;

pub use crate::config::Precision;

/// The fields of a BERT `config.json` this encoder uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    pub type_vocab_size: usize,
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    #[serde(default = "default_act")]
    pub hidden_act: String,
}

fn default_eps() -> f64 {
    1e-12
}

fn default_act() -> String {
    "gelu".into()
}

/// A dense layer: `x · Wᵀ + b`.
#[derive(Clone)]
pub(super) struct Dense {
    pub(super) weight: Tensor,
    pub(super) bias: Tensor,
}

impl Dense {
    fn load(vb: VarBuilder, inputs: usize, outputs: usize) -> Result<Self> {
        Ok(Self {
            weight: vb.get((outputs, inputs), "weight")?,
            bias: vb.get(outputs, "bias")?,
        })
    }

    /// `x` is `(rows, len, inputs)`; one 2-D product over all tokens (a
    /// batched product per row is much slower on the CPU).
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (rows, len, inputs) = x.dims3()?;
        let y = x
            .reshape((rows * len, inputs))?
            .matmul(&self.weight.t()?)?
            .broadcast_add(&self.bias)?;
        y.reshape((rows, len, ()))
    }
}

#[derive(Clone)]
pub(super) struct Layer {
    pub(super) query: Dense,
    pub(super) key: Dense,
    pub(super) value: Dense,
    pub(super) attention_out: Dense,
    pub(super) attention_norm: LayerNorm,
    pub(super) intermediate: Dense,
    pub(super) output: Dense,
    pub(super) output_norm: LayerNorm,
}

impl Layer {
    fn load(vb: VarBuilder, c: &Config) -> Result<Self> {
        let (h, i) = (c.hidden_size, c.intermediate_size);
        let attn = vb.pp("attention");
        Ok(Self {
            query: Dense::load(attn.pp("self.query"), h, h)?,
            key: Dense::load(attn.pp("self.key"), h, h)?,
            value: Dense::load(attn.pp("self.value"), h, h)?,
            attention_out: Dense::load(attn.pp("output.dense"), h, h)?,
            attention_norm: layer_norm(h, c.layer_norm_eps, attn.pp("output.LayerNorm"))?,
            intermediate: Dense::load(vb.pp("intermediate.dense"), h, i)?,
            output: Dense::load(vb.pp("output.dense"), i, h)?,
            output_norm: layer_norm(h, c.layer_norm_eps, vb.pp("output.LayerNorm"))?,
        })
    }
}

/// BERT embeddings and encoder layers (no pooler: sentence-transformers pools itself).
#[derive(Clone)]
pub struct Bert {
    word: Embedding,
    position: Embedding,
    token_type: Embedding,
    norm: LayerNorm,
    pub(super) layers: Vec<Layer>,
    pub(super) heads: usize,
    pub(super) head_size: usize,
    pub(super) eps: f64,
}

impl Bert {
    /// The model with f32 weights, as published.
    pub fn load(vb: VarBuilder, c: &Config) -> Result<Self> {
        if c.hidden_act != "gelu" {
            candle_core::bail!("unsupported hidden_act {:?} (only gelu)", c.hidden_act);
        }
        if c.num_attention_heads == 0 || !c.hidden_size.is_multiple_of(c.num_attention_heads) {
            candle_core::bail!("hidden_size is not a multiple of num_attention_heads");
        }
        let vb = if vb.contains_tensor("bert.embeddings.word_embeddings.weight") {
            vb.pp("bert")
        } else {
            vb
        };
        let emb = vb.pp("embeddings");
        let layers = (0..c.num_hidden_layers)
            .map(|i| Layer::load(vb.pp(format!("encoder.layer.{i}")), c))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            word: embedding(c.vocab_size, c.hidden_size, emb.pp("word_embeddings"))?,
            position: embedding(
                c.max_position_embeddings,
                c.hidden_size,
                emb.pp("position_embeddings"),
            )?,
            token_type: embedding(
                c.type_vocab_size,
                c.hidden_size,
                emb.pp("token_type_embeddings"),
            )?,
            norm: layer_norm(c.hidden_size, c.layer_norm_eps, emb.pp("LayerNorm"))?,
            layers,
            heads: c.num_attention_heads,
            head_size: c.hidden_size / c.num_attention_heads,
            eps: c.layer_norm_eps,
        })
    }

    /// Hidden states `(rows, len, hidden)` of token ids `(rows, len)` whose
    /// attention mask (1 for tokens, 0 for padding) is `mask`; token types are 0.
    pub fn forward(&self, ids: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let mut x = self.embed(ids)?;
        // Padding gets the most negative score, as in Hugging Face's extended mask.
        let mask = mask.to_dtype(DType::F32)?.unsqueeze(1)?.unsqueeze(1)?;
        let mask = ((1.0 - mask)? * f64::from(f32::MIN))?;
        for layer in &self.layers {
            x = self.layer(layer, &x, &mask)?;
        }
        Ok(x)
    }

    /// This model without its layers: what [`Bert::embed`] needs (the
    /// tables are shared, not copied).
    pub(super) fn embeddings_only(&self) -> Self {
        Self {
            layers: Vec::new(),
            ..self.clone()
        }
    }

    /// The input of the first layer: word, position and token-type (0)
    /// embeddings of `ids` `(rows, len)`, summed and normalised.
    pub(super) fn embed(&self, ids: &Tensor) -> Result<Tensor> {
        let (_, len) = ids.dims2()?;
        let positions = Tensor::arange(0u32, len as u32, ids.device())?;
        let x = (self.word.forward(ids)? + self.token_type.forward(&ids.zeros_like()?)?)?
            .broadcast_add(&self.position.forward(&positions)?)?;
        self.norm.forward(&x)
    }

    fn layer(&self, l: &Layer, x: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let heads = |t: Tensor| -> Result<Tensor> {
            let (rows, len, _) = t.dims3()?;
            t.reshape((rows, len, self.heads, self.head_size))?
                .transpose(1, 2)?
                .contiguous()
        };
        let q = heads(l.query.forward(x)?)?;
        let k = heads(l.key.forward(x)?)?;
        let v = heads(l.value.forward(x)?)?;
        let scores = (q.matmul(&k.t()?)? / (self.head_size as f64).sqrt())?.broadcast_add(mask)?;
        let probs = candle_nn::ops::softmax(&scores, D::Minus1)?;
        let context = probs
            .matmul(&v)?
            .transpose(1, 2)?
            .contiguous()?
            .flatten_from(D::Minus2)?;
        let attended = l
            .attention_norm
            .forward(&(l.attention_out.forward(&context)? + x)?)?;
        let inner = l.intermediate.forward(&attended)?.gelu_erf()?;
        l.output_norm
            .forward(&(l.output.forward(&inner)? + attended)?)
    }
}
