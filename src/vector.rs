//! Vector maths and the dense model's interface: dot products, 8-bit
//! quantisation, and the [`Embedding`] trait the index builds with and the
//! embedding model implements. Imports nothing from the crate but the error
//! type, so the index and the model both stand on it without importing each
//! other.

/// Something that turns passages into unit vectors (the dense model).
pub trait Embedding: Send + Sync {
    /// Model name recorded in the manifest.
    fn name(&self) -> String;
    fn dim(&self) -> usize;
    /// Passage vectors, in the order of `texts`.
    fn embed_batch(&self, texts: &[&str]) -> crate::Result<Vec<Vec<f32>>>;
    /// A question's vector (a model may embed questions faster, less exactly).
    fn embed_query(&self, text: &str) -> crate::Result<Vec<f32>> {
        self.embed_batch(&[text])?
            .pop()
            .ok_or_else(|| crate::Error::Model("the model returned no vector".into()))
    }
    /// Several questions' vectors, in the order of `texts`: each the one
    /// [`Embedding::embed_query`] gives for it (a model may embed them in one pass).
    fn embed_queries(&self, texts: &[&str]) -> crate::Result<Vec<Vec<f32>>> {
        texts.iter().map(|t| self.embed_query(t)).collect()
    }
}

/// Dot product. For unit vectors (the embedding model's) this is the cosine
/// similarity. Extra elements of the longer slice are ignored.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    dot_widened(a, b)
}

/// [`dot`] of any elements that widen to f32 (the index's 8-bit passage codes
/// too) with an f32 vector. Extra elements of the longer slice are ignored.
pub fn dot_widened<T: Copy>(a: &[T], b: &[f32]) -> f32
where
    f32: From<T>,
{
    // Sixteen independent partial sums: a single running f32 sum must be added
    // in order, one element at a time, so it would not vectorise (a scan of
    // 100k passage vectors took ~40 ms that way).
    const LANES: usize = 16;
    let n = a.len().min(b.len());
    let (a, b) = (a[..n].chunks_exact(LANES), b[..n].chunks_exact(LANES));
    let tail: f32 = a
        .remainder()
        .iter()
        .zip(b.remainder())
        .map(|(&x, y)| f32::from(x) * y)
        .sum();
    let mut acc = [0f32; LANES];
    for (x, y) in a.zip(b) {
        for i in 0..LANES {
            acc[i] += f32::from(x[i]) * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Append `row` rounded to 8 bits to `out` and return the scale that restores
/// it (`value ≈ code × scale`): symmetric, the largest magnitude maps to ±127;
/// a row of zeros or with non-finite values gets scale 1. The index's passage
/// vectors and the question encoder's weights are both stored this way.
pub fn quantise_i8(row: &[f32], out: &mut Vec<i8>) -> f32 {
    let max = row.iter().fold(0f32, |m, x| m.max(x.abs()));
    let scale = if max > 0.0 && max.is_finite() {
        max / 127.0
    } else {
        1.0
    };
    out.extend(
        row.iter()
            .map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8),
    );
    scale
}

/// Cosine similarity of any two vectors; 0 when either is all zeros.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let (mut ab, mut aa, mut bb) = (0f32, 0f32, 0f32);
    for (x, y) in a.iter().zip(b) {
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa == 0.0 || bb == 0.0 {
        0.0
    } else {
        ab / (aa.sqrt() * bb.sqrt())
    }
}
