//! The layered decoder's pass ([`super::layered`]) on 512-bit vectors, for CPUs with AVX-512
//! (F, BW, VBMI and CD, as from Ice Lake). A base row's 32 lanes of 16 bits are one register,
//! so each step of the check update is one instruction per edge where the AVX2 copy needs two,
//! and each `phi` lookup is a few permutes (`vpermi2w`: 64 words from two registers; `vpermi2b`:
//! 128 bytes) where the byte shuffles ([`super::shuffle`]) take about thirty instructions. The arithmetic is the other copies',
//! step for step (saturating where they saturate), so the same frames decode in the same
//! iterations; a test runs every copy the CPU has on the same frames and compares every belief
//! and message after every pass.
//!
//! - **Rotation.** A block's beliefs are read from and written to their middle copy only
//!   (lanes `Z..2Z` of [`super::layered::COPIES`]), rotated by the edge's shift in a register
//!   (`vpermw`): one load and one store per edge, where the other copies read a contiguous
//!   rotated slice and store three. The other copies of a block go stale, which is why the
//!   decoder's stopping test and its final word read the middle copy only.
//! - **Forward** (`phi` of a belief, 160 entries): entries `0..64` by a word permute; from 64
//!   on every entry is below 256, so entries `64..160` are one byte permute of a 128-byte table
//!   whose byte 0 is 0: a lane's index less 63 reads its entry with its low byte and that 0
//!   with its high byte. The two are merged by the index's range.
//! - **Inverse** (4,260 entries): the index's cell ([`super::shuffle::cell`]) is
//!   `16 s + (j >> s)` with `s = max(floor(log2 j) - 4, 0) = max(11 - lz, 0)`, `lz` the
//!   leading zeros of the 16-bit `j`, counted by `vplzcntd` on each half of a 32-bit lane. The
//!   cell's first value and step offset are one 16-bit word, looked up by three word permutes
//!   merged by range, and the value is `first - (offset >= step)`, as in the AVX2 copy.
//!
//! Against the first version of this copy (three word permutes for the forward table, `s`
//! from two small tables), these and a masked negation took 6 to 10 % off a pass (best of 15
//! A/B runs of 20 passes, rates 0.5 and 0.91).

use super::decoder::{FORWARD_LEN, INVERSE_LEN, INVERSE_SHIFT, tables};
use super::layered::{Block, Lanes, Line, Phis};
use super::lift::{LIFT, Lifting};
use super::shuffle::{CELLS, inverse_cells};
use std::arch::x86_64::*;
use std::sync::OnceLock;

/// The tables of this copy, in lanes.
pub(super) struct Tables {
    /// `phi` of a belief, entries `0..64`.
    forward_low: [[u16; LIFT]; 2],
    /// `phi` of a belief, entries `64..160` as bytes from byte 1 on (byte 0 and the padding
    /// are 0), in rows of 32 `u16` for loading.
    forward_high: [[u16; LIFT]; 2],
    /// Per cell of the inverse table: its first value, plus its step offset times 256; padded
    /// to 192 with zeros (never read).
    cells: [[u16; LIFT]; 6],
    /// Per shift `s`, the lanes' sources to read a block rotated by `s`: lane `k` takes
    /// `(k + s) mod Z`; the rotation back by `s` is the one by `Z - s`.
    rotations: [Line<[u16; LIFT]>; LIFT],
}

/// The tables, built once from [`super::decoder::tables`] and [`inverse_cells`].
pub(super) fn avx512_tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let forward = &tables().forward;
        let forward_low = std::array::from_fn(|r| std::array::from_fn(|k| forward[r * LIFT + k]));
        let mut bytes = [0u8; 4 * LIFT];
        for k in 2 * LIFT..FORWARD_LEN {
            bytes[1 + k - 2 * LIFT] = u8::try_from(forward[k]).expect("from entry 64 on, below 256");
        }
        let forward_high = std::array::from_fn(|r| {
            std::array::from_fn(|k| u16::from_le_bytes([bytes[2 * (r * LIFT + k)], bytes[2 * (r * LIFT + k) + 1]]))
        });
        let (first, step) = inverse_cells();
        let mut cells = [[0; LIFT]; 6];
        for c in 0..CELLS {
            cells[c / LIFT][c % LIFT] = u16::from(first[c]) | u16::from(step[c]) << 8;
        }
        let rotations = std::array::from_fn(|s| Line(std::array::from_fn(|k| ((k + s) % LIFT) as u16)));
        Tables { forward_low, forward_high, cells, rotations }
    })
}

/// A table's registers.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512cd")]
#[allow(unsafe_code)]
fn registers<const N: usize>(table: &[[u16; LIFT]; N]) -> [__m512i; N] {
    // SAFETY: each row is 32 `u16`, one unaligned 512-bit load.
    table.map(|row| unsafe { _mm512_loadu_si512(row.as_ptr().cast()) })
}

/// `table[i]` per lane, for indices below 192 (three 64-word tables, merged by range).
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512cd")]
fn lookup(i: __m512i, t: &[__m512i; 6]) -> __m512i {
    let low = _mm512_permutex2var_epi16(t[0], i, t[1]);
    let middle = _mm512_permutex2var_epi16(t[2], i, t[3]);
    let high = _mm512_permutex2var_epi16(t[4], i, t[5]);
    let v = _mm512_mask_blend_epi16(_mm512_cmpge_epu16_mask(i, _mm512_set1_epi16(64)), low, middle);
    _mm512_mask_blend_epi16(_mm512_cmpge_epu16_mask(i, _mm512_set1_epi16(128)), v, high)
}

/// The tables in registers for one pass.
struct Registers {
    forward_low: [__m512i; 2],
    forward_high: [__m512i; 2],
    cells: [__m512i; 6],
}

impl Registers {
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512cd")]
    fn of(t: &Tables) -> Self {
        Self {
            forward_low: registers(&t.forward_low),
            forward_high: registers(&t.forward_high),
            cells: registers(&t.cells),
        }
    }
}

/// `forward[i]` per lane, for indices below [`FORWARD_LEN`] (see the module documentation).
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512cd")]
fn forward(i: __m512i, t: &Registers) -> __m512i {
    let low = _mm512_permutex2var_epi16(t.forward_low[0], i, t.forward_low[1]);
    let bytes = _mm512_sub_epi16(i, _mm512_set1_epi16(2 * LIFT as i16 - 1));
    let high = _mm512_permutex2var_epi8(t.forward_high[0], bytes, t.forward_high[1]);
    _mm512_mask_blend_epi16(_mm512_cmpge_epu16_mask(i, _mm512_set1_epi16(2 * LIFT as i16)), low, high)
}

/// `max(11 - lz, 0)` per lane, `lz` the lane's leading zeros as a 16-bit number: the shift of
/// the index's cell. `vplzcntd` counts a 32-bit lane's; its high half's count is right wherever
/// that half is nonzero (and at least 16, so the shift is 0, where it is zero), and the low
/// half's count is that of the lane shifted left by 16.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512cd")]
fn cell_shift(j: __m512i) -> __m512i {
    let high = _mm512_slli_epi32::<16>(_mm512_lzcnt_epi32(j));
    let low = _mm512_lzcnt_epi32(_mm512_slli_epi32::<16>(j));
    _mm512_subs_epu16(_mm512_set1_epi16(11), _mm512_or_si512(high, low))
}

/// `inverse[j]` per lane, for indices below [`INVERSE_LEN`] (see the module documentation).
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512cd")]
fn inverse(j: __m512i, t: &Registers) -> __m512i {
    let s = cell_shift(j);
    let q = _mm512_srlv_epi16(j, s);
    let cell = _mm512_add_epi16(_mm512_slli_epi16::<4>(s), q);
    let offset = _mm512_sub_epi16(j, _mm512_sllv_epi16(q, s));
    let word = lookup(cell, &t.cells);
    let first = _mm512_and_si512(word, _mm512_set1_epi16(0xff));
    let past = _mm512_cmpge_epu16_mask(offset, _mm512_srli_epi16::<8>(word));
    _mm512_mask_sub_epi16(first, past, first, _mm512_set1_epi16(1))
}

/// 32 lanes from `p`.
///
/// # Safety
/// `p` must point to 32 readable `i16`.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512cd")]
#[inline]
#[allow(unsafe_code)]
unsafe fn load(p: *const i16) -> __m512i {
    // SAFETY: the caller's.
    unsafe { _mm512_loadu_si512(p.cast()) }
}

/// One layered pass over all base rows, as [`super::layered`]'s: `belief` holds [`COPIES`](super::layered::COPIES)
/// copies of each block (only the middle one is read and written), `msgs` a row of lanes per
/// base edge, `flip` a row per base row; `t` and `x` are scratch rows, one per edge of the
/// largest base row. Returns how many checks the hard decisions violated when their row was
/// processed.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512cd")]
#[allow(unsafe_code)]
pub(super) fn pass(
    lifting: &Lifting,
    belief: &mut [Block],
    msgs: &mut [Lanes],
    flip: &[Lanes],
    tables: &Tables,
    t: &mut [Lanes],
    x: &mut [Phis],
) -> usize {
    let r = Registers::of(tables);
    // SAFETY (every load and store below): each pointer is a row of 32 lanes, or a block's
    // middle copy taken as a slice of 32 (so bounds-checked).
    let rotation = |s: u32| unsafe { load(tables.rotations[s as usize % LIFT].as_ptr().cast()) };
    let (forward_last, inverse_last) =
        (_mm512_set1_epi16(FORWARD_LEN as i16 - 1), _mm512_set1_epi16(INVERSE_LEN as i16 - 1));
    let mut unsatisfied = 0;
    let mut first = 0;
    for (row, flip) in flip.iter().enumerate() {
        let edges = &lifting.blocks[lifting.row_starts[row] as usize..lifting.row_starts[row + 1] as usize];
        let msgs = &mut msgs[first..first + edges.len()];
        first += edges.len();
        // SAFETY: as above.
        let flip = unsafe { load(flip.as_ptr()) };
        let (mut hard, mut sign, mut sum) = (flip, flip, _mm512_setzero_si512());
        // The variable-to-check messages, their signs and `phi` values, and the hard decisions.
        for (((&(c, s), m), t), x) in edges.iter().zip(msgs.iter()).zip(t.iter_mut()).zip(x.iter_mut()) {
            // SAFETY: as above.
            let (block, m) = unsafe { (load(belief[c as usize][LIFT..2 * LIFT].as_ptr()), load(m.as_ptr())) };
            let b = _mm512_permutexvar_epi16(rotation(s), block);
            hard = _mm512_xor_si512(hard, b);
            let v = _mm512_subs_epi16(b, m);
            sign = _mm512_xor_si512(sign, v);
            let phi = forward(_mm512_min_epu16(_mm512_abs_epi16(v), forward_last), &r);
            // Saturates as the other copies' sum does.
            sum = _mm512_adds_epu16(sum, phi);
            // SAFETY: as above.
            unsafe {
                _mm512_storeu_si512(t.as_mut_ptr().cast(), v);
                _mm512_storeu_si512(x.as_mut_ptr().cast(), phi);
            }
        }
        unsatisfied += _mm512_movepi16_mask(hard).count_ones() as usize;
        // The new messages and beliefs.
        for (((&(c, s), m), t), x) in edges.iter().zip(msgs.iter_mut()).zip(t.iter()).zip(x.iter()) {
            // SAFETY: as above.
            let (v, phi) = unsafe { (load(t.as_ptr()), load(x.as_ptr().cast())) };
            let j = _mm512_min_epu16(_mm512_srli_epi16::<INVERSE_SHIFT>(_mm512_sub_epi16(sum, phi)), inverse_last);
            let magnitude = inverse(j, &r);
            // Negated where the other inputs' signs multiply to minus.
            let negative = _mm512_movepi16_mask(_mm512_xor_si512(sign, v));
            let out = _mm512_mask_sub_epi16(magnitude, negative, _mm512_setzero_si512(), magnitude);
            let b = _mm512_adds_epi16(v, out);
            let back = rotation(LIFT as u32 - s);
            // SAFETY: as above.
            unsafe {
                _mm512_storeu_si512(m.as_mut_ptr().cast(), out);
                let block = belief[c as usize][LIFT..2 * LIFT].as_mut_ptr();
                _mm512_storeu_si512(block.cast(), _mm512_permutexvar_epi16(back, b));
            }
        }
    }
    unsatisfied
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconciliation::ldpc::layered::Kernel;

    /// Every index of both tables, in every lane position.
    fn rows(len: usize) -> impl Iterator<Item = [i16; LIFT]> {
        (0..len + LIFT).map(move |start| std::array::from_fn(|k| ((start + 7 * k) % len) as i16))
    }

    #[test]
    #[allow(unsafe_code)]
    fn lookups_give_the_tables_values() {
        if !Kernel::Avx512.supported() {
            return;
        }
        let t = tables();
        for row in rows(INVERSE_LEN) {
            // SAFETY: the CPU has the features (checked above); `row` is 32 lanes.
            let (s, value) = unsafe {
                let j = load(row.as_ptr());
                let r = Registers::of(avx512_tables());
                let mut out = ([0i16; LIFT], [0i16; LIFT]);
                _mm512_storeu_si512(out.0.as_mut_ptr().cast(), cell_shift(j));
                _mm512_storeu_si512(out.1.as_mut_ptr().cast(), inverse(j, &r));
                out
            };
            for k in 0..LIFT {
                let j = row[k] as u16;
                let (cell, offset) = super::super::shuffle::cell(j);
                let s = s[k] as u16;
                assert_eq!(u16::from(cell), 16 * s + (j >> s), "index {j}");
                assert_eq!(u16::from(offset), j - ((j >> s) << s), "index {j}");
                assert_eq!(value[k] as u16, t.inverse[usize::from(j)], "index {j}");
                assert!(usize::from(cell) < CELLS, "index {j}");
            }
        }
        for row in rows(FORWARD_LEN) {
            // SAFETY: as above.
            let value = unsafe {
                let r = Registers::of(avx512_tables());
                let mut out = [0i16; LIFT];
                _mm512_storeu_si512(out.as_mut_ptr().cast(), forward(load(row.as_ptr()), &r));
                out
            };
            for k in 0..LIFT {
                assert_eq!(value[k] as u16, t.forward[row[k] as usize], "index {}", row[k]);
            }
        }
    }
}
