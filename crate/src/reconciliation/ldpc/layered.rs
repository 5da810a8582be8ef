//! The layered decoder for quasi-cyclic codes ([`super::lift`]).
//!
//! The same sum-product update as [`super::decoder`], with the same fixed-point `phi` tables,
//! done one base row at a time: the `Z` checks of a base row touch disjoint variables, so they
//! are one layer of the layered schedule (Hocevar, "A reduced complexity decoder architecture
//! via layered decoding of LDPC codes", SiPS 2004; Mansour & Shanbhag, "High-throughput LDPC
//! decoders", IEEE Trans. VLSI 11, 2003, who introduced this organisation for
//! architecture-aware codes). Each edge of the base row copies its `Z` beliefs, rotated by its
//! shift, into a contiguous row of lanes; every step of the check update is then a loop over
//! lanes that the compiler turns into vector instructions. The two table lookups are byte
//! shuffles where the CPU has AVX2 ([`super::shuffle`]; exactly the tables' values), and scalar
//! loads otherwise (WebAssembly SIMD's byte swizzle measured no faster). Where the CPU has
//! AVX-512 (F, BW, VBMI, CD), a pass written for it runs instead ([`super::avx512`]): a row
//! of lanes is one register and the lookups are permutes, 2.4 times faster than the AVX2 copy
//! on the same Xeon. Every copy ([`Kernel`]) computes the same numbers; a test compares them
//! pass by pass. Beliefs travel between
//! memory and registers in whole cache lines instead of one random 16-bit load per edge, which
//! is what bounded the unstructured decoder. Every lane is 16 bits wide (beliefs, messages,
//! table indices and `phi` values), sixteen to a 256-bit vector, and the results are the same
//! as with 32-bit lanes: no belief but a known one can reach the `i16` range's end ([`KNOWN`]),
//! and a `phi` sum that saturates at `u16::MAX` indexes past the inverse table's end for every
//! edge, as the exact sum would. Against 32-bit lanes, decoding took 30 % less time; the
//! shuffles took another 15 to 25 % off a pass.
//!
//! Known variables (shortened or revealed) are not folded into the syndrome here: they keep a
//! belief of [`KNOWN`], far beyond the largest message, so they send a certain sign and no
//! doubt (`phi` of it is 0), which is what folding them does to the other variables' messages
//! (a check made only of known variables stays counted, and if the peer's data violate it the
//! decoder runs to its stall limit and fails, as it would after the final syndrome check).

use super::code::LdpcCode;
use super::decoder::{
    CHANNEL_MAX, Decoded, FORWARD_LEN, INVERSE_LEN, INVERSE_SHIFT, LLR_SCALE, Tables, run_passes, tables,
};
use super::lift::{LIFT, Lifting};
#[cfg(target_arch = "x86_64")]
use super::shuffle::{ShuffleTables, shuffle_tables};
use crate::bits::BitVec;

/// Elsewhere the lookups are scalar loads and need no byte tables.
#[cfg(not(target_arch = "x86_64"))]
struct ShuffleTables;

#[cfg(not(target_arch = "x86_64"))]
fn shuffle_tables() -> &'static ShuffleTables {
    &ShuffleTables
}

/// Belief of a known variable: its sign is certain. Beliefs are `i16`, added to and
/// subtracted from with saturation, which only ever happens to known variables: any other
/// belief is its channel value (at most 8,191) plus its checks' current messages (at most 133
/// each, at most [`MAX_LIFTED_DEGREE`] of them), below `i16::MAX`. A known belief that
/// saturates loses at most what its messages move it by, so it stays above
/// `KNOWN - 2 * 133 * MAX_LIFTED_DEGREE`, and what it sends above the last entry of the forward
/// table (`phi` of it is 0, the same as for any larger value).
const KNOWN: i16 = i16::MAX;

/// Largest variable degree of a code decoded here (see `KNOWN`, the belief of a known bit); codes
/// with larger degrees are drawn unstructured (`lift::lifting`).
pub const MAX_LIFTED_DEGREE: u32 = 122;

const _: () = assert!(
    KNOWN as i32 - 2 * 133 * MAX_LIFTED_DEGREE as i32 - 133 >= FORWARD_LEN as i32 - 4,
    "a known belief stays certain"
);

/// Copies of each block of beliefs, in a row: lanes `Z..3Z` always hold variable `p mod Z` at
/// `p`, so the read at shift `s` is the contiguous `Z + s..2Z + s`; the first and last copies
/// are padding for the write ([`store_rotated`]).
pub(super) const COPIES: usize = 4;

/// A value on cache lines of its own (64 bytes), so that a row of lanes is one line and each
/// vector load or store touches one line (a load split across two lines costs two, and AVX-512
/// loads a whole line at once).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, align(64))]
pub(super) struct Line<T>(pub(super) T);

impl<T> std::ops::Deref for Line<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> std::ops::DerefMut for Line<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// One row of lanes: beliefs and messages.
pub(super) type Lanes = Line<[i16; LIFT]>;

/// One row of lanes: table indices and `phi` values (in units of 1/4096, at most 17,040).
pub(super) type Phis = Line<[u16; LIFT]>;

/// The [`COPIES`] of a block of beliefs.
pub(super) type Block = Line<[i16; COPIES * LIFT]>;

/// Which copy of the pass runs: the same arithmetic, compiled for different instruction sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kernel {
    /// Plain Rust (vectorized by the compiler where the target allows, as in wasm).
    Portable,
    /// 256-bit vectors, lookups by byte shuffles ([`super::shuffle`]).
    Avx2,
    /// 512-bit vectors, lookups by word permutes ([`super::avx512`]).
    Avx512,
}

impl Kernel {
    /// Whether this CPU can run it.
    pub(super) fn supported(self) -> bool {
        match self {
            Kernel::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 => {
                std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512bw")
                    && std::arch::is_x86_feature_detected!("avx512vbmi")
                    && std::arch::is_x86_feature_detected!("avx512cd")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The fastest this CPU can run.
    pub(super) fn fastest() -> Self {
        [Kernel::Avx512, Kernel::Avx2].into_iter().find(|k| k.supported()).unwrap_or(Kernel::Portable)
    }
}

/// Decodes a lifted code; see [`super::decode`] for the contract.
pub(super) fn decode(
    code: &LdpcCode,
    lifting: &Lifting,
    syndrome: &BitVec,
    llr: &[f32],
    max_iterations: u32,
) -> Decoded {
    decode_with(Kernel::fastest(), code, lifting, syndrome, llr, max_iterations)
}

/// [`decode`] with a given kernel (one it [supports](Kernel::supported)).
pub(super) fn decode_with(
    kernel: Kernel,
    code: &LdpcCode,
    lifting: &Lifting,
    syndrome: &BitVec,
    llr: &[f32],
    max_iterations: u32,
) -> Decoded {
    assert_eq!(lifting.z, LIFT, "lifted with the decoder's circulant size");
    let mut g = Layers::new(code, lifting, syndrome, llr);
    let tables = (tables(), shuffle_tables());
    let max_degree = lifting.row_starts.windows(2).map(|w| (w[1] - w[0]) as usize).max().unwrap_or(0);
    let (mut t, mut x) = (vec![Line([0; LIFT]); max_degree], vec![Line([0; LIFT]); max_degree]);
    let iterations =
        run_passes(&mut g, max_iterations, Layers::satisfied, |g| g.iterate(kernel, tables, &mut t, &mut x));
    let word = g.word();
    let success = code.syndrome(&word) == *syndrome;
    Decoded { word, success, iterations }
}

/// The decoder's state, by base row.
struct Layers<'a> {
    lifting: &'a Lifting,
    /// The target syndrome.
    syndrome: &'a BitVec,
    /// Per variable: its current total belief (fixed point, 1/16 units); each block of `Z`
    /// variables is stored [`COPIES`] times in a row. Only the middle copy (lanes `Z..2Z`) is
    /// current for every kernel: the AVX-512 one writes only that.
    belief: Vec<Block>,
    /// Per base edge, a row of lanes: the last check-to-variable messages.
    msgs: Vec<Lanes>,
    /// Per base row, a row of lanes: each check's target parity as a sign bit (`-1` or `0`).
    flip: Vec<Lanes>,
}

impl<'a> Layers<'a> {
    fn new(code: &LdpcCode, lifting: &'a Lifting, syndrome: &'a BitVec, llr: &[f32]) -> Self {
        assert_eq!(llr.len(), code.len(), "one belief per variable");
        assert_eq!(code.len() % LIFT, 0, "whole blocks");
        let beliefs: Vec<i16> = llr
            .iter()
            .map(|&l| {
                if l.is_infinite() {
                    if l < 0.0 { -KNOWN } else { KNOWN }
                } else {
                    // Saturating conversion; never 0 for a nonzero belief, so its sign survives.
                    let q = round((l * LLR_SCALE).clamp(-CHANNEL_MAX, CHANNEL_MAX)) as i16;
                    if q == 0 && l != 0.0 { if l < 0.0 { -1 } else { 1 } } else { q }
                }
            })
            .collect();
        let belief = beliefs
            .chunks(LIFT)
            .map(|block| {
                let mut copies = [0; COPIES * LIFT];
                for copy in copies.chunks_mut(LIFT) {
                    copy.copy_from_slice(block);
                }
                Line(copies)
            })
            .collect();
        let rows = lifting.row_starts.len() - 1;
        let flip = (0..rows).map(|r| Line(std::array::from_fn(|k| -i16::from(syndrome.get(r * LIFT + k))))).collect();
        let msgs = vec![Line([0; LIFT]); lifting.blocks.len()];
        Self { lifting, syndrome, belief, msgs, flip }
    }

    /// The edges of base row `r`: `(column block, shift)`.
    fn row(&self, r: usize) -> &'a [(u32, u32)] {
        let l = self.lifting;
        &l.blocks[l.row_starts[r] as usize..l.row_starts[r + 1] as usize]
    }

    /// Whether the hard decisions satisfy every check: their syndrome, by rotated blocks.
    fn satisfied(&self) -> bool {
        self.lifting.syndrome(&self.word()) == *self.syndrome
    }

    /// One layered pass over all base rows; returns how many checks the hard decisions violated
    /// when their row was processed. Runs `kernel`: for AVX2, a copy of the portable code
    /// compiled for it, with vectors twice as wide and the lookups done by byte shuffles; for
    /// AVX-512, [`super::avx512::pass`]. Panics if the CPU does not support `kernel`.
    #[allow(unsafe_code)]
    fn iterate(&mut self, kernel: Kernel, tables: (&Tables, &ShuffleTables), t: &mut [Lanes], x: &mut [Phis]) -> usize {
        assert!(kernel.supported(), "{kernel:?} on this CPU");
        #[cfg(target_arch = "x86_64")]
        match kernel {
            Kernel::Avx512 => {
                let (l, b, m, f) = (self.lifting, &mut self.belief, &mut self.msgs, &self.flip);
                // SAFETY: the CPU supports AVX-512 F, BW, VBMI and CD (asserted above).
                return unsafe { super::avx512::pass(l, b, m, f, super::avx512::avx512_tables(), t, x) };
            }
            // SAFETY: the CPU supports AVX2 (asserted above).
            Kernel::Avx2 => return unsafe { self.iterate_avx2(tables, t, x) },
            Kernel::Portable => {}
        }
        self.iterate_body::<false>(tables, t, x)
    }

    /// # Safety
    /// The CPU must support AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    #[allow(unsafe_code)]
    unsafe fn iterate_avx2(&mut self, tables: (&Tables, &ShuffleTables), t: &mut [Lanes], x: &mut [Phis]) -> usize {
        self.iterate_body::<true>(tables, t, x)
    }

    /// The pass itself: per base row, `t` holds each edge's lanes of variable-to-check
    /// messages and `x` their table indices, `phi` values and new magnitudes in turn. `AVX2`:
    /// only instantiated inside [`Self::iterate_avx2`].
    #[inline(always)]
    fn iterate_body<const AVX2: bool>(
        &mut self,
        (tables, shuffle): (&Tables, &ShuffleTables),
        t: &mut [Lanes],
        x: &mut [Phis],
    ) -> usize {
        let mut unsatisfied = 0;
        let mut first = 0;
        for r in 0..self.flip.len() {
            let edges = self.row(r);
            let d = edges.len();
            let (t, x) = (&mut t[..d], &mut x[..d]);
            let msgs = &mut self.msgs[first..first + d];
            first += d;
            // The beliefs, each edge's block rotated by its shift.
            for (t, &(c, s)) in t.iter_mut().zip(edges) {
                let from = &self.belief[c as usize][LIFT + s as usize..][..LIFT];
                t.copy_from_slice(from);
            }
            // Hard decisions as they stand, then the variable-to-check messages, their signs
            // and table indices.
            let mut hard = self.flip[r];
            let mut sign = self.flip[r];
            for ((t, x), m) in t.iter_mut().zip(x.iter_mut()).zip(msgs.iter()) {
                for k in 0..LIFT {
                    hard[k] ^= t[k];
                    t[k] = t[k].saturating_sub(m[k]);
                    sign[k] ^= t[k];
                    x[k] = t[k].unsigned_abs().min(FORWARD_LEN as u16 - 1);
                }
            }
            unsatisfied += hard.iter().map(|&h| usize::from(h as u16 >> 15)).sum::<usize>();
            for x in x.iter_mut() {
                lookup::<AVX2, _>(x, &tables.forward, shuffle, Table::Forward);
            }
            // The sum saturates at u16::MAX, 48,495 above any single phi value: a sum that
            // does gives every edge an index past the table's end, as the exact sum would.
            let mut sum = [0u16; LIFT];
            for x in x.iter() {
                for k in 0..LIFT {
                    sum[k] = sum[k].saturating_add(x[k]);
                }
            }
            for x in x.iter_mut() {
                for k in 0..LIFT {
                    x[k] = ((sum[k] - x[k]) >> INVERSE_SHIFT).min(INVERSE_LEN as u16 - 1);
                }
            }
            for x in x.iter_mut() {
                lookup::<AVX2, _>(x, &tables.inverse, shuffle, Table::Inverse);
            }
            // The product of the other signs: the full product times this input's sign. The
            // new belief is the input plus the new message.
            for ((t, x), m) in t.iter_mut().zip(x.iter()).zip(msgs.iter_mut()) {
                for k in 0..LIFT {
                    let negative = (sign[k] ^ t[k]) >> 15;
                    let out = (x[k] as i16 ^ negative) - negative;
                    m[k] = out;
                    t[k] = t[k].saturating_add(out);
                }
            }
            for (t, &(c, s)) in t.iter().zip(edges) {
                store_rotated(&mut self.belief[c as usize], t, s as usize);
            }
        }
        unsatisfied
    }

    /// The hard decisions: a bit set where the belief is negative. Known bits are their own
    /// (a known belief keeps its sign, [`KNOWN`]). Built a block at a time, as 32-bit halves
    /// of the word's `u64`s (most significant bit first, as [`BitVec`] packs them).
    fn word(&self) -> BitVec {
        let mut words = vec![0u64; self.belief.len().div_ceil(2)];
        for (c, block) in self.belief.iter().enumerate() {
            let bits = block[LIFT..2 * LIFT].iter().fold(0u32, |w, &b| w << 1 | u32::from(b < 0));
            words[c / 2] |= u64::from(bits) << if c % 2 == 0 { 32 } else { 0 };
        }
        BitVec::from_words(words, self.belief.len() * LIFT)
    }
}

/// Which of the two tables a lookup reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Table {
    Forward,
    Inverse,
}

/// `x[k] = table[x[k]]` (indices are in range): by byte shuffles in the AVX2 copy
/// ([`super::shuffle`]), else a scalar load per lane (the mask lets the compiler drop the
/// bounds check). AVX2's gather instruction measured no faster than scalar
/// loads on an AMD EPYC; the shuffles take 15 to 25 % off a pass.
#[inline(always)]
#[allow(unsafe_code)]
fn lookup<const AVX2: bool, const N: usize>(x: &mut Phis, table: &[u16; N], shuffle: &ShuffleTables, which: Table) {
    #[cfg(target_arch = "x86_64")]
    if AVX2 {
        // SAFETY: `AVX2` is only set in `Layers::iterate_avx2`, which runs after detection.
        unsafe {
            match which {
                Table::Forward => super::shuffle::avx2::forward(x, shuffle),
                Table::Inverse => super::shuffle::avx2::inverse(x, shuffle),
            }
        }
        return;
    }
    let _ = (shuffle, which);
    for x in x.iter_mut() {
        *x = table[*x as usize & (N - 1)];
    }
}

/// `x.round()` (half away from zero) for `|x| < 2^23`, without the library call baseline
/// x86-64 makes for it (it has no rounding instruction): its integer part and fraction are
/// exact, so the result is too. A test compares it with `round` across the channel's range.
fn round(x: f32) -> f32 {
    let whole = x as i32 as f32;
    let fraction = x - whole;
    if fraction >= 0.5 {
        whole + 1.0
    } else if fraction <= -0.5 {
        whole - 1.0
    } else {
        whole
    }
}

/// Stores `t` as the block's beliefs read at shift `s` (lane `k` is variable `(k + s) mod Z`)
/// into its copies ([`COPIES`]): whole at `Z + s`, and again at `s` and `2Z + s`, whose parts
/// outside `Z..3Z` land in the padding. Three stores of a fixed length: the compiler moves
/// whole vectors, with no `memmove` call, no masked store and no load of what was just stored.
#[inline(always)]
fn store_rotated(copies: &mut [i16; COPIES * LIFT], t: &Lanes, s: usize) {
    copies[s..][..LIFT].copy_from_slice(&t[..]);
    copies[LIFT + s..][..LIFT].copy_from_slice(&t[..]);
    copies[2 * LIFT + s..][..LIFT].copy_from_slice(&t[..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconciliation::ldpc::distributions::Distribution;
    use crate::rng::Seed;
    use rand::{Rng, RngExt};

    /// Half the variables of degree [`MAX_LIFTED_DEGREE`], the rest of degree 3.
    const HEAVY: Distribution = Distribution {
        nominal_rate: 0.5,
        threshold: 0.0,
        lambda: &[(3, 0.024), (MAX_LIFTED_DEGREE, 0.976)],
        rho: &[(126, 1.0)],
    };

    /// Every kernel this CPU has does the portable pass's arithmetic: after each pass the
    /// beliefs, the messages and the count of violated checks agree, on frames with known,
    /// erased and noisy bits, from a rate-0.9 code at 1 % to a rate-0.5 one at 8 %.
    #[test]
    fn every_kernel_computes_the_portable_pass() {
        use crate::reconciliation::ldpc::distributions::{DESIGNED, PUBLISHED};
        let kernels: Vec<Kernel> = [Kernel::Avx2, Kernel::Avx512].into_iter().filter(|k| k.supported()).collect();
        let n = crate::reconciliation::ldpc::MIN_BASE_COLUMNS * LIFT;
        for (dist, q) in [(&DESIGNED[4], 0.011f64), (&PUBLISHED[0], 0.08)] {
            let code = LdpcCode::build(n, dist, &[5; 32]);
            let lifting = code.lifting().expect("lifted");
            let mut rng = Seed::from_text("kernels").rng(&format!("{q}"));
            let x = BitVec::from_bools(&(0..n).map(|_| rng.next_u32() & 1 == 1).collect::<Vec<_>>());
            let syndrome = code.syndrome(&x);
            let l = ((1.0 - q) / q).ln() as f32;
            let llr: Vec<f32> = (0..n)
                .map(|v| match (v % 50, x.get(v)) {
                    (0, true) => f32::NEG_INFINITY,
                    (0, false) => f32::INFINITY,
                    (1, _) => 0.0,
                    (_, bit) => {
                        let y = bit ^ (rng.random::<f64>() < q);
                        if y { -l } else { l }
                    }
                })
                .collect();
            let max_degree = lifting.row_starts.windows(2).map(|w| (w[1] - w[0]) as usize).max().unwrap_or(0);
            let run = |kernel: Kernel| {
                let mut g = Layers::new(&code, lifting, &syndrome, &llr);
                let (mut t, mut x) = (vec![Line([0; LIFT]); max_degree], vec![Line([0; LIFT]); max_degree]);
                (0..12)
                    .map(|_| {
                        let unsatisfied = g.iterate(kernel, (tables(), shuffle_tables()), &mut t, &mut x);
                        let middle: Vec<i16> = g.belief.iter().flat_map(|c| c[LIFT..2 * LIFT].to_vec()).collect();
                        (unsatisfied, middle, g.msgs.clone(), g.satisfied())
                    })
                    .collect::<Vec<_>>()
            };
            let portable = run(Kernel::Portable);
            // The frame is neither trivial nor hopeless: checks are violated, then fewer.
            assert!(
                portable[0].0 > 0 && portable[11].0 < portable[0].0,
                "{:?}",
                portable.iter().map(|p| p.0).collect::<Vec<_>>()
            );
            for &kernel in &kernels {
                for (pass, (a, b)) in run(kernel).iter().zip(&portable).enumerate() {
                    assert!(
                        a == b,
                        "{kernel:?} differs from the portable pass at pass {pass}, rate {}",
                        dist.nominal_rate
                    );
                }
            }
            let out = decode_with(Kernel::Portable, &code, lifting, &syndrome, &llr, 100);
            for &kernel in &kernels {
                assert_eq!(decode_with(kernel, &code, lifting, &syndrome, &llr, 100), out, "{kernel:?}");
            }
        }
    }

    #[test]
    fn rounding_without_the_library_is_rounding() {
        let mut x = -CHANNEL_MAX - 2.0;
        while x <= CHANNEL_MAX + 2.0 {
            for y in [x, f32::from_bits(x.to_bits() + 1), f32::from_bits(x.to_bits().saturating_sub(1))] {
                assert_eq!(round(y), y.round(), "{y}");
            }
            x += 0.125;
        }
        let mut rng = Seed::from_text("round").rng("x");
        for _ in 0..100_000 {
            let y = (rng.random::<f32>() - 0.5) * 2.0 * (CHANNEL_MAX + 2.0);
            assert_eq!(round(y), y.round(), "{y}");
        }
    }

    #[test]
    fn known_beliefs_stay_certain_through_saturation() {
        // The worst case for 16-bit beliefs: the variables of the largest degree are known, and
        // a random syndrome contradicts them, so their checks push them both ways for every
        // pass the decoder runs.
        let n = crate::reconciliation::ldpc::MIN_BASE_COLUMNS * LIFT;
        let code = LdpcCode::build(n, &HEAVY, &[3; 32]);
        let lifting = code.lifting().expect("lifted: degree MAX_LIFTED_DEGREE is allowed");
        let degrees = code.var_degrees();
        assert_eq!(degrees.iter().copied().max(), Some(MAX_LIFTED_DEGREE));
        let mut rng = Seed::from_text("saturation").rng("bits");
        let syndrome = BitVec::from_bools(&(0..code.checks()).map(|_| rng.next_u32() & 1 == 1).collect::<Vec<_>>());
        let known = |v: usize| degrees[v] == MAX_LIFTED_DEGREE && v.is_multiple_of(2);
        let llr: Vec<f32> = (0..n)
            .map(|v| match (known(v), rng.next_u32() & 1 == 1) {
                (true, true) => f32::INFINITY,
                (true, false) => f32::NEG_INFINITY,
                (false, s) => {
                    if s {
                        30.0
                    } else {
                        -30.0
                    }
                }
            })
            .collect();
        let mut g = Layers::new(&code, lifting, &syndrome, &llr);
        let (mut t, mut x) = (vec![Line([0; LIFT]); 200], vec![Line([0; LIFT]); 200]);
        let mut lowest = i32::from(KNOWN);
        for _ in 0..30 {
            g.iterate(Kernel::fastest(), (tables(), shuffle_tables()), &mut t, &mut x);
            for v in (0..n).filter(|&v| known(v)) {
                let b = i32::from(g.belief[v / LIFT][LIFT + v % LIFT]);
                let signed = if llr[v] > 0.0 { b } else { -b };
                lowest = lowest.min(signed);
            }
        }
        // Still certain: what it sends (its belief less one message) stays where phi is 0.
        assert!(lowest - 133 >= FORWARD_LEN as i32 - 4, "lowest known belief {lowest}");
        // And the bound is not vacuous: the checks did move the known beliefs.
        assert!(lowest < i32::from(KNOWN) - 1000, "lowest known belief {lowest}");
    }
}
