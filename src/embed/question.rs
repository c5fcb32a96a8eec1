//! The encoder for short texts: questions, one at a time or a batch packed together.
//!
//! Same computation as [`Bert`] (the embeddings are even computed by it), but
//! the layers run as plain loops over unpadded sequences with 8-bit dense
//! layers ([`Int8Linear`]). For a few tokens the f32 model spends its time
//! reading 42 MB of weights and in per-operation overhead (tensor
//! allocation, thread-pool hand-offs); here the weights are 11 MB and nothing
//! is shared with other threads, so a question costs one core for a few
//! milliseconds and concurrent questions do not slow each other down.

use super::bert::{Bert, Dense};
use super::int8::Int8Linear;
use candle_core::{Result, Tensor};
use candle_nn::LayerNorm;

struct Norm {
    weight: Vec<f32>,
    bias: Vec<f32>,
    eps: f32,
}

impl Norm {
    fn new(n: &LayerNorm, eps: f64) -> Result<Self> {
        let weight = n.weight().to_vec1::<f32>()?;
        let bias = match n.bias() {
            Some(b) => b.to_vec1::<f32>()?,
            None => vec![0.0; weight.len()],
        };
        Ok(Self {
            weight,
            bias,
            eps: eps as f32,
        })
    }

    /// Normalise every row of `x` (rows of `weight.len()`) in place.
    fn apply(&self, x: &mut [f32]) {
        let h = self.weight.len();
        for row in x.chunks_exact_mut(h) {
            let mean = row.iter().sum::<f32>() / h as f32;
            let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / h as f32;
            let inv = 1.0 / (var + self.eps).sqrt();
            for ((v, w), b) in row.iter_mut().zip(&self.weight).zip(&self.bias) {
                *v = (*v - mean) * inv * w + b;
            }
        }
    }
}

struct Layer {
    query: Int8Linear,
    key: Int8Linear,
    value: Int8Linear,
    attention_out: Int8Linear,
    attention_norm: Norm,
    intermediate: Int8Linear,
    output: Int8Linear,
    output_norm: Norm,
}

fn int8(d: &Dense) -> Result<Int8Linear> {
    let (outputs, inputs) = d.weight.dims2()?;
    let w = d.weight.flatten_all()?.to_vec1::<f32>()?;
    let b = d.bias.to_vec1::<f32>()?;
    Int8Linear::new(&w, &b, outputs, inputs)
        .ok_or_else(|| candle_core::Error::Msg("dense layer shapes disagree".into()))
}

/// BERT for one sequence, 8-bit dense layers; see the module documentation.
pub struct QuestionEncoder {
    /// The f32 model, for the embedding tables (shared, not copied).
    embeddings: Bert,
    layers: Vec<Layer>,
    heads: usize,
    head_size: usize,
}

impl QuestionEncoder {
    pub fn new(model: &Bert) -> Result<Self> {
        let layers = model
            .layers
            .iter()
            .map(|l| {
                Ok(Layer {
                    query: int8(&l.query)?,
                    key: int8(&l.key)?,
                    value: int8(&l.value)?,
                    attention_out: int8(&l.attention_out)?,
                    attention_norm: Norm::new(&l.attention_norm, model.eps)?,
                    intermediate: int8(&l.intermediate)?,
                    output: int8(&l.output)?,
                    output_norm: Norm::new(&l.output_norm, model.eps)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            embeddings: model.embeddings_only(),
            layers,
            heads: model.heads,
            head_size: model.head_size,
        })
    }

    /// Mean-pooled, unit-length vector of the token ids `ids` (not empty).
    pub fn embed(&self, ids: &[u32]) -> Result<Vec<f32>> {
        let mut v = self.embed_many(&[ids])?;
        v.pop()
            .ok_or_else(|| candle_core::Error::Msg("no vector for the question".into()))
    }

    /// [`QuestionEncoder::embed`] of several sequences at once, in their order.
    /// They are packed, not padded: the dense layers run over every token of
    /// every sequence as one matrix (each weight row is read once for all of
    /// them), attention and pooling over each sequence's own rows. Every input
    /// row is rounded on its own scale, so each vector is exactly the one
    /// [`QuestionEncoder::embed`] gives for its sequence alone.
    pub fn embed_many(&self, seqs: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
        if seqs.is_empty() {
            return Ok(Vec::new());
        }
        if seqs.iter().any(|ids| ids.is_empty()) {
            candle_core::bail!("no tokens to embed");
        }
        let mut spans = Vec::with_capacity(seqs.len());
        let mut x = Vec::new();
        for ids in seqs {
            let start = spans.last().map_or(0, |s: &std::ops::Range<usize>| s.end);
            spans.push(start..start + ids.len());
            let ids = Tensor::from_slice(ids, (1, ids.len()), &candle_core::Device::Cpu)?;
            x.extend(
                self.embeddings
                    .embed(&ids)?
                    .flatten_all()?
                    .to_vec1::<f32>()?,
            );
        }
        for l in &self.layers {
            x = self.layer(l, &x, &spans);
        }
        let h = self.heads * self.head_size;
        Ok(spans
            .iter()
            .map(|span| {
                let mut mean = vec![0f32; h];
                for row in x[span.start * h..span.end * h].chunks_exact(h) {
                    for (m, v) in mean.iter_mut().zip(row) {
                        *m += v;
                    }
                }
                let norm = super::dot(&mean, &mean).sqrt().max(1e-12);
                // mean pooling then normalisation: the 1/len cancels out
                mean.into_iter().map(|v| v / norm).collect()
            })
            .collect())
    }

    /// One encoder layer over the packed rows of `x`; `spans` are each
    /// sequence's rows (attention stays within a sequence).
    fn layer(&self, l: &Layer, x: &[f32], spans: &[std::ops::Range<usize>]) -> Vec<f32> {
        let (heads, d) = (self.heads, self.head_size);
        let h = heads * d;
        let rows = spans.last().map_or(0, |s| s.end);
        let q = l.query.forward(x, rows);
        let k = l.key.forward(x, rows);
        let v = l.value.forward(x, rows);
        let scale = 1.0 / (d as f32).sqrt();
        let mut context = vec![0f32; rows * h];
        let longest = spans.iter().map(|s| s.len()).max().unwrap_or(0);
        let mut p = vec![0f32; longest];
        for span in spans {
            let p = &mut p[..span.len()];
            for head in 0..heads {
                // this head's slice of token `t`'s row
                let at = |t: usize| t * h + head * d..t * h + head * d + d;
                for i in span.clone() {
                    let qi = &q[at(i)];
                    for (j, pj) in span.clone().zip(p.iter_mut()) {
                        *pj = super::dot(qi, &k[at(j)]) * scale;
                    }
                    softmax(p);
                    let out = &mut context[at(i)];
                    for (j, pj) in span.clone().zip(p.iter()) {
                        for (o, vj) in out.iter_mut().zip(&v[at(j)]) {
                            *o += pj * vj;
                        }
                    }
                }
            }
        }
        let mut attended = l.attention_out.forward(&context, rows);
        for (a, xi) in attended.iter_mut().zip(x) {
            *a += xi;
        }
        l.attention_norm.apply(&mut attended);
        let mut inner = l.intermediate.forward(&attended, rows);
        for v in &mut inner {
            *v = gelu(*v);
        }
        let mut out = l.output.forward(&inner, rows);
        for (o, a) in out.iter_mut().zip(&attended) {
            *o += a;
        }
        l.output_norm.apply(&mut out);
        out
    }
}

fn softmax(p: &mut [f32]) {
    let max = p.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for v in p.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    for v in p.iter_mut() {
        *v /= sum;
    }
}

/// GELU with the error function, as BERT's `gelu` (candle's `gelu_erf`).
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

/// The error function to within 1.5e-7 (Abramowitz & Stegun 7.1.26): far
/// below the 8-bit layers' rounding, and a few times cheaper than `libm`'s.
fn erf(x: f32) -> f32 {
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let poly = t
        * (0.254_829_6
            + t * (-0.284_496_74 + t * (1.421_413_8 + t * (-1.453_152_1 + t * 1.061_405_4))));
    (1.0 - poly * (-a * a).exp()).copysign(x)
}

#[cfg(test)]
mod tests {
    #[test]
    fn erf_matches_libm_to_a_millionth() {
        for i in -6000..=6000 {
            let x = i as f32 / 1000.0;
            let (got, want) = (super::erf(x), libm::erff(x));
            assert!((got - want).abs() < 1e-6, "erf({x}) = {got}, libm {want}");
        }
        assert_eq!(super::erf(f32::INFINITY), 1.0);
        assert_eq!(super::erf(f32::NEG_INFINITY), -1.0);
    }
}
