//! 8-bit dense layers for short inputs: the question path of the encoder.
//!
//! A question is a handful of tokens, so its forward pass does little
//! arithmetic per weight and is bound by moving weights and by the overhead
//! around each product. Here every layer keeps its weights rounded to 8 bits
//! with one scale per output (row), and each input row is rounded to a
//! 16-bit integer grid with its own scale; a dot product is then exact integer
//! arithmetic, and one float multiply per output restores the scale. The
//! kernel is chosen at run time: `vpdpwssd` over weight panels with the
//! outputs in the vector lanes when the CPU has AVX-512 VNNI (no sum is
//! reduced across lanes), `pmaddwd` with AVX2, a portable loop otherwise; all
//! three give bit-identical results (unit-tested). The 16-bit inputs keep the outliers of BERT's hidden states from
//! costing the other values their precision. No thread pool: one question
//! runs on one core, and concurrent questions use the others.

/// `y = x · Wᵀ + b` with 8-bit weights.
#[derive(Clone)]
pub struct Int8Linear {
    outputs: usize,
    inputs: usize,
    /// Row `j` holds output `j`'s weights divided by `scale[j]`, in −127..=127.
    weights: Vec<i8>,
    /// The same weights in panels for the AVX-512 kernel (empty when it does
    /// not run here): panel `p` holds outputs `16p..16p+16`, and for each pair
    /// of inputs `(2q, 2q+1)` the 16 outputs' two weights side by side.
    panels: Vec<i8>,
    scale: Vec<f32>,
    bias: Vec<f32>,
    /// Largest magnitude of a rounded input: `inputs · 127 · input_max` stays
    /// below `i32::MAX`, so no dot product can overflow.
    input_max: f32,
}

impl Int8Linear {
    /// From a row-major `(outputs, inputs)` weight matrix and its bias.
    /// `None` when the shapes disagree.
    pub fn new(weight: &[f32], bias: &[f32], outputs: usize, inputs: usize) -> Option<Self> {
        if inputs == 0 || weight.len() != outputs * inputs || bias.len() != outputs {
            return None;
        }
        let mut weights = Vec::with_capacity(weight.len());
        let mut scale = Vec::with_capacity(outputs);
        for row in weight.chunks_exact(inputs) {
            scale.push(super::quantise_i8(row, &mut weights));
        }
        let input_max = ((i32::MAX as usize) / (127 * inputs)).min(i16::MAX as usize) as f32;
        #[cfg(target_arch = "x86_64")]
        let panels = if avx512::fits(outputs, inputs) && avx512::available() {
            avx512::panels(&weights, outputs, inputs)
        } else {
            Vec::new()
        };
        #[cfg(not(target_arch = "x86_64"))]
        let panels = Vec::new();
        Some(Self {
            outputs,
            inputs,
            weights,
            panels,
            scale,
            bias: bias.to_vec(),
            input_max,
        })
    }

    /// `x` is `rows × inputs`, row-major; returns `rows × outputs`.
    /// Non-finite inputs give non-finite outputs for their row, as f32 would.
    pub fn forward(&self, x: &[f32], rows: usize) -> Vec<f32> {
        let k = self.inputs;
        debug_assert_eq!(x.len(), rows * k);
        let mut xq = vec![0i16; rows * k];
        let mut xs = vec![0f32; rows];
        for ((row, q), s) in x.chunks_exact(k).zip(xq.chunks_exact_mut(k)).zip(&mut xs) {
            let max = row.iter().fold(0f32, |m, v| m.max(v.abs()));
            *s = if max > 0.0 { max / self.input_max } else { 1.0 };
            if !max.is_finite() {
                *s = f32::NAN;
                continue;
            }
            let inv = 1.0 / *s;
            for (q, v) in q.iter_mut().zip(row) {
                // round half away from zero, as `round()` but without a libm call
                let y = v * inv;
                *q = (y + 0.5f32.copysign(y)) as i16;
            }
        }
        let mut out = vec![0f32; rows * self.outputs];
        self.products(&xq, &xs, &mut out);
        out
    }

    fn products(&self, xq: &[i16], xs: &[f32], out: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if !self.panels.is_empty() {
            // SAFETY: panels are only made when the CPU has AVX-512 F, BW and VNNI.
            unsafe { avx512::products(self, xq, xs, out) };
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if self.inputs.is_multiple_of(16) && std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            unsafe { avx2::products(self, xq, xs, out) };
            return;
        }
        products(self, xq, xs, out)
    }
}

/// Outputs in the outer loop: each weight row is read once and stays in L1
/// while every input row is multiplied by it.
fn products(l: &Int8Linear, xq: &[i16], xs: &[f32], out: &mut [f32]) {
    let (k, n) = (l.inputs, l.outputs);
    for (j, w) in l.weights.chunks_exact(k).enumerate() {
        let (sw, b) = (l.scale[j], l.bias[j]);
        for (i, (x, sx)) in xq.chunks_exact(k).zip(xs).enumerate() {
            let d: i32 = w
                .iter()
                .zip(x)
                .map(|(&a, &b)| i32::from(a) * i32::from(b))
                .sum();
            out[i * n + j] = d as f32 * (sw * sx) + b;
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::Int8Linear;
    use std::arch::x86_64::*;

    /// `acc + pairwise sums of w × x[..16]` (16 i16 lanes → 8 i32 lanes).
    #[target_feature(enable = "avx2")]
    #[inline]
    fn madd(acc: __m256i, w: __m256i, x: __m256i) -> __m256i {
        _mm256_add_epi32(acc, _mm256_madd_epi16(w, x))
    }

    #[target_feature(enable = "avx2")]
    #[inline]
    fn sum(v: __m256i) -> i32 {
        let s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0b01_00_11_10));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0b10_11_00_01));
        _mm_cvtsi128_si32(s)
    }

    /// As [`super::products`], in tiles of two outputs × four input rows: each
    /// loaded weight vector serves four products and each loaded input vector
    /// two. `inputs` is a multiple of 16.
    #[target_feature(enable = "avx2")]
    pub(super) fn products(l: &Int8Linear, xq: &[i16], xs: &[f32], out: &mut [f32]) {
        let (k, n) = (l.inputs, l.outputs);
        let rows = xs.len();
        assert!(k.is_multiple_of(16) && xq.len() == rows * k && out.len() == rows * n);
        let mut j = 0;
        while j < n {
            // an odd last output is computed twice and written once
            let pair = [j, (j + 1).min(n - 1)];
            let w = pair.map(|j| &l.weights[j * k..(j + 1) * k]);
            let mut i = 0;
            while i < rows {
                let take = (rows - i).min(4);
                // a short last tile repeats its last row (computed, not written)
                let x: [&[i16]; 4] = std::array::from_fn(|r| {
                    let row = i + r.min(take - 1);
                    &xq[row * k..(row + 1) * k]
                });
                let mut acc = [[_mm256_setzero_si256(); 4]; 2];
                for c in (0..k).step_by(16) {
                    // SAFETY: every slice here is `k` long and `c + 16 <= k`:
                    // each load reads 16 lanes inside its slice (unaligned).
                    let (w0, w1, xv) = unsafe {
                        (
                            _mm256_cvtepi8_epi16(_mm_loadu_si128(w[0].as_ptr().add(c).cast())),
                            _mm256_cvtepi8_epi16(_mm_loadu_si128(w[1].as_ptr().add(c).cast())),
                            x.map(|x| _mm256_loadu_si256(x.as_ptr().add(c).cast())),
                        )
                    };
                    for r in 0..4 {
                        acc[0][r] = madd(acc[0][r], w0, xv[r]);
                        acc[1][r] = madd(acc[1][r], w1, xv[r]);
                    }
                }
                for (side, &jj) in
                    pair.iter()
                        .enumerate()
                        .take(if pair[0] == pair[1] { 1 } else { 2 })
                {
                    let (sw, b) = (l.scale[jj], l.bias[jj]);
                    for r in 0..take {
                        out[(i + r) * n + jj] = sum(acc[side][r]) as f32 * (sw * xs[i + r]) + b;
                    }
                }
                i += take;
            }
            j += 2;
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::Int8Linear;
    use std::arch::x86_64::*;

    /// Outputs of one panel: one vector of 16 sums.
    const PANEL: usize = 16;

    /// Whether this CPU runs [`products`].
    pub(super) fn available() -> bool {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vnni")
    }

    /// Whether a layer's shape suits the panels.
    pub(super) fn fits(outputs: usize, inputs: usize) -> bool {
        outputs > 0 && outputs.is_multiple_of(PANEL) && inputs.is_multiple_of(2)
    }

    /// Row-major `(outputs, inputs)` weights in the panel order of
    /// [`Int8Linear::panels`].
    pub(super) fn panels(weights: &[i8], outputs: usize, inputs: usize) -> Vec<i8> {
        let mut out = Vec::with_capacity(weights.len());
        for p in 0..outputs / PANEL {
            for q in 0..inputs / 2 {
                for o in 0..PANEL {
                    let row = &weights[(p * PANEL + o) * inputs..][..inputs];
                    out.extend_from_slice(&row[2 * q..2 * q + 2]);
                }
            }
        }
        out
    }

    /// As [`super::products`], with the outputs in the vector lanes: for each
    /// pair of inputs, one `vpdpwssd` multiplies 16 outputs' two weights (a
    /// panel) by the row's two inputs (broadcast) and adds both products to
    /// each output's sum, so no sum is ever reduced across lanes. Tiles of two
    /// panels × up to eight rows: each widened panel serves every row of the
    /// tile. The sums are exact integers and the scaling is the portable
    /// kernel's, so the results are bit for bit the same.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub(super) fn products(l: &Int8Linear, xq: &[i16], xs: &[f32], out: &mut [f32]) {
        let rows = xs.len();
        assert!(
            fits(l.outputs, l.inputs)
                && l.panels.len() == l.outputs * l.inputs
                && xq.len() == rows * l.inputs
                && out.len() == rows * l.outputs
        );
        let mut i = 0;
        while i < rows {
            let left = rows - i;
            i += if left >= 8 {
                tile::<8>(l, xq, xs, out, i)
            } else if left >= 4 {
                tile::<4>(l, xq, xs, out, i)
            } else if left >= 2 {
                tile::<2>(l, xq, xs, out, i)
            } else {
                tile::<1>(l, xq, xs, out, i)
            };
        }
    }

    /// Rows `first..first + R` of [`products`]; returns `R`.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    fn tile<const R: usize>(
        l: &Int8Linear,
        xq: &[i16],
        xs: &[f32],
        out: &mut [f32],
        first: usize,
    ) -> usize {
        let (k, n) = (l.inputs, l.outputs);
        let panels = n / PANEL;
        let pairs = k / 2;
        let mut p = 0;
        while p < panels {
            // two panels at a time; an odd last one is computed twice, written once
            let pp = [p, (p + 1).min(panels - 1)];
            let mut acc = [[_mm512_setzero_si512(); R]; 2];
            for q in 0..pairs {
                // SAFETY: panel `pp[s]`'s pair `q` is 32 weights inside `l.panels`
                // (`(pp[s] * pairs + q + 1) * 32 <= outputs * inputs`), and each
                // row's two inputs `2q, 2q + 1` lie inside `xq` (`2q + 1 < k`,
                // `first + r < rows`): every load is in bounds (unaligned).
                let (w, x) = unsafe {
                    (
                        pp.map(|s| {
                            let at = l.panels.as_ptr().add((s * pairs + q) * 2 * PANEL);
                            _mm512_cvtepi8_epi16(_mm256_loadu_si256(at.cast()))
                        }),
                        std::array::from_fn::<_, R, _>(|r| {
                            let at = xq.as_ptr().add((first + r) * k + 2 * q);
                            _mm512_set1_epi32(std::ptr::read_unaligned(at.cast::<i32>()))
                        }),
                    )
                };
                for r in 0..R {
                    acc[0][r] = _mm512_dpwssd_epi32(acc[0][r], w[0], x[r]);
                    acc[1][r] = _mm512_dpwssd_epi32(acc[1][r], w[1], x[r]);
                }
            }
            let sides = if pp[0] == pp[1] { 1 } else { 2 };
            for (side, &panel) in pp.iter().enumerate().take(sides) {
                let j = panel * PANEL;
                let (scale, bias) = (&l.scale[j..j + PANEL], &l.bias[j..j + PANEL]);
                // SAFETY: `scale` and `bias` are 16 long: full vector loads.
                let (sw, b) = unsafe {
                    (
                        _mm512_loadu_ps(scale.as_ptr()),
                        _mm512_loadu_ps(bias.as_ptr()),
                    )
                };
                for (r, sums) in acc[side].iter().enumerate() {
                    let row = first + r;
                    // `d as f32 * (sw * sx) + b`, rounded as the portable kernel rounds
                    let factor = _mm512_mul_ps(sw, _mm512_set1_ps(xs[row]));
                    let y = _mm512_add_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(*sums), factor), b);
                    let dst = &mut out[row * n + j..row * n + j + PANEL];
                    // SAFETY: `dst` is 16 long: a full vector store.
                    unsafe { _mm512_storeu_ps(dst.as_mut_ptr(), y) };
                }
            }
            p += 2;
        }
        R
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(w: &[f32], b: &[f32], x: &[f32], rows: usize, n: usize, k: usize) -> Vec<f32> {
        let mut out = vec![0f32; rows * n];
        for i in 0..rows {
            for j in 0..n {
                let s: f64 = (0..k)
                    .map(|l| f64::from(w[j * k + l]) * f64::from(x[i * k + l]))
                    .sum();
                out[i * n + j] = s as f32 + b[j];
            }
        }
        out
    }

    #[test]
    fn products_match_f32_within_rounding_and_outliers_do_not_flatten_the_rest() {
        let mut rng = fastrand::Rng::with_seed(7);
        let (rows, n, k) = (5, 37, 1536);
        let w: Vec<f32> = (0..n * k).map(|_| rng.f32() - 0.5).collect();
        let b: Vec<f32> = (0..n).map(|_| rng.f32()).collect();
        let mut x: Vec<f32> = (0..rows * k).map(|_| rng.f32() * 2.0 - 1.0).collect();
        // BERT-like outliers: one hidden unit far larger than the others.
        for i in 0..rows {
            x[i * k + 3] = 40.0;
        }
        let l = Int8Linear::new(&w, &b, n, k).unwrap();
        let got = l.forward(&x, rows);
        let want = reference(&w, &b, &x, rows, n, k);
        let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
        let worst = got
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(
            worst < 0.01 * scale,
            "worst error {worst} for outputs up to {scale}"
        );
    }

    #[test]
    fn the_vector_kernel_gives_exactly_the_portable_kernels_results() {
        let mut rng = fastrand::Rng::with_seed(11);
        // 16, 48: whole panels (an odd number of them too) for the AVX-512 kernel
        for (rows, n) in [
            (1, 7),
            (3, 16),
            (4, 48),
            (5, 9),
            (9, 16),
            (13, 48),
            (17, 2),
            (2, 1),
        ] {
            let k = 384;
            let w: Vec<f32> = (0..n * k).map(|_| rng.f32() - 0.5).collect();
            let b: Vec<f32> = (0..n).map(|_| rng.f32()).collect();
            let l = Int8Linear::new(&w, &b, n, k).unwrap();
            let xq: Vec<i16> = (0..rows * k).map(|_| rng.i16(-8000..8000)).collect();
            let xs: Vec<f32> = (0..rows).map(|_| rng.f32()).collect();
            let mut fast = vec![0f32; rows * n];
            let mut portable = vec![0f32; rows * n];
            l.products(&xq, &xs, &mut fast);
            products(&l, &xq, &xs, &mut portable);
            assert_eq!(fast, portable, "{rows} rows");
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                let mut v = vec![0f32; rows * n];
                // SAFETY: the CPU has AVX2 (checked just above).
                unsafe { avx2::products(&l, &xq, &xs, &mut v) };
                assert_eq!(v, portable, "AVX2, {rows} rows");
            }
            #[cfg(target_arch = "x86_64")]
            if !l.panels.is_empty() {
                let mut v = vec![0f32; rows * n];
                // SAFETY: panels are only made when the CPU has what the kernel needs.
                unsafe { avx512::products(&l, &xq, &xs, &mut v) };
                assert_eq!(v, portable, "AVX-512, {rows} rows");
            }
            #[cfg(target_arch = "x86_64")]
            assert_eq!(
                l.panels.is_empty(),
                !(n % 16 == 0 && avx512::available()),
                "panels exactly when the kernel can run"
            );
        }
    }

    #[test]
    fn extreme_inputs_do_not_overflow_and_zero_rows_give_the_bias() {
        let (n, k) = (3, 4096);
        let w = vec![1.0f32; n * k];
        let b = vec![0.5f32; n];
        let x: Vec<f32> = [vec![1e30f32; k], vec![0.0; k]].concat();
        let l = Int8Linear::new(&w, &b, n, k).unwrap();
        let y = l.forward(&x, 2);
        let want = 1e30f32 * k as f32;
        assert!((y[0] - want).abs() / want < 1e-3, "{}", y[0]);
        assert_eq!(&y[n..], &[0.5, 0.5, 0.5]);
    }

    #[test]
    fn non_finite_input_rows_stay_non_finite_and_bad_shapes_are_refused() {
        let l = Int8Linear::new(&[1.0, 2.0], &[0.0], 1, 2).unwrap();
        let y = l.forward(&[f32::INFINITY, 1.0, 1.0, 1.0], 2);
        assert!(!y[0].is_finite());
        assert!((y[1] - 3.0).abs() < 0.05);
        assert!(Int8Linear::new(&[1.0], &[0.0], 1, 2).is_none());
        assert!(Int8Linear::new(&[], &[], 0, 0).is_none());
    }
}
