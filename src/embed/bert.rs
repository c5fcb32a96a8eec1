//! The BERT encoder of a sentence-transformers model, for inference only.
//!
//! Same computation and weight names as Hugging Face's `BertModel` (and
//! candle-transformers' port of it), with one difference that matters on a
//! CPU: every dense layer is a [`QMatMul`], so its weights can be kept as f32
//! (exact) or quantised to 8 bits ([`Precision::Q8`]). A question is a handful
//! of tokens, so its forward pass reads every weight for little arithmetic:
//! it is bound by memory traffic, and 8-bit weights (≈ 4× fewer bytes, small
//! enough to stay in the CPU cache) make it several times faster.

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{DType, Module, Result, Tensor, D};
use candle_nn::{embedding, layer_norm, Embedding, LayerNorm, VarBuilder};
use serde::Deserialize;

/// How the dense layers' weights are held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// f32, exactly as published.
    F32,
    /// 8-bit blocks with one scale per 32 weights (GGML's Q8_0).
    Q8,
}

impl std::fmt::Display for Precision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Precision::F32 => "f32",
            Precision::Q8 => "q8",
        })
    }
}

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
struct Dense {
    weight: QMatMul,
    bias: Tensor,
}

impl Dense {
    fn load(vb: VarBuilder, inputs: usize, outputs: usize) -> Result<Self> {
        Ok(Self {
            weight: QMatMul::Tensor(vb.get((outputs, inputs), "weight")?),
            bias: vb.get(outputs, "bias")?,
        })
    }

    /// This layer with its weights held at `precision` (the bias stays f32).
    fn at(&self, precision: Precision) -> Result<Self> {
        let w = match &self.weight {
            QMatMul::Tensor(w) => w.clone(),
            QMatMul::TensorF16(w) => w.to_dtype(DType::F32)?,
            QMatMul::QTensor(q) => q.dequantize(&q.device())?,
        };
        let inputs = w.dim(1)?;
        let dtype = match precision {
            // Q8_0 needs rows in whole blocks of 32; other shapes stay exact.
            Precision::Q8 if inputs % 32 == 0 => GgmlDType::Q8_0,
            _ => GgmlDType::F32,
        };
        Ok(Self {
            weight: QMatMul::from_qtensor(QTensor::quantize(&w, dtype)?)?,
            bias: self.bias.clone(),
        })
    }

    /// `x` is `(rows, len, inputs)`; one 2-D product over all tokens (a
    /// batched product per row is much slower on the CPU).
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (rows, len, inputs) = x.dims3()?;
        let y = self
            .weight
            .forward(&x.reshape((rows * len, inputs))?)?
            .broadcast_add(&self.bias)?;
        y.reshape((rows, len, ()))
    }
}

#[derive(Clone)]
struct Layer {
    query: Dense,
    key: Dense,
    value: Dense,
    attention_out: Dense,
    attention_norm: LayerNorm,
    intermediate: Dense,
    output: Dense,
    output_norm: LayerNorm,
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

    fn at(&self, p: Precision) -> Result<Self> {
        Ok(Self {
            query: self.query.at(p)?,
            key: self.key.at(p)?,
            value: self.value.at(p)?,
            attention_out: self.attention_out.at(p)?,
            intermediate: self.intermediate.at(p)?,
            output: self.output.at(p)?,
            ..self.clone()
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
    layers: Vec<Layer>,
    heads: usize,
    head_size: usize,
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
        })
    }

    /// A copy whose dense layers hold their weights at `precision`; the
    /// embedding tables and layer norms are shared, not copied.
    pub fn at(&self, precision: Precision) -> Result<Self> {
        Ok(Self {
            layers: self
                .layers
                .iter()
                .map(|l| l.at(precision))
                .collect::<Result<_>>()?,
            ..self.clone()
        })
    }

    /// Hidden states `(rows, len, hidden)` of token ids `(rows, len)` whose
    /// attention mask (1 for tokens, 0 for padding) is `mask`; token types are 0.
    pub fn forward(&self, ids: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let (_, len) = ids.dims2()?;
        let positions = Tensor::arange(0u32, len as u32, ids.device())?;
        let x = (self.word.forward(ids)? + self.token_type.forward(&ids.zeros_like()?)?)?
            .broadcast_add(&self.position.forward(&positions)?)?;
        let mut x = self.norm.forward(&x)?;
        // Padding gets the most negative score, as in Hugging Face's extended mask.
        let mask = mask.to_dtype(DType::F32)?.unsqueeze(1)?.unsqueeze(1)?;
        let mask = ((1.0 - mask)? * f64::from(f32::MIN))?;
        for layer in &self.layers {
            x = self.layer(layer, &x, &mask)?;
        }
        Ok(x)
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
