//! The layered decoder's pass ([`super::layered`]) on 512-bit vectors, for CPUs with AVX-512
//! (F and BW). A base row's 32 lanes of 16 bits are one register, so each step of the check
//! update is one instruction per edge where the AVX2 copy needs two, and each `phi` lookup is
//! three word permutes (`vpermi2w`, 64 entries from two registers) where the byte shuffles
//! ([`super::shuffle`]) take about thirty instructions. The arithmetic is the other copies',
//! step for step (saturating where they saturate), so the same frames decode in the same
//! iterations; a test runs every copy the CPU has on the same frames and compares every belief
//! and message after every pass.
//!
//! - **Rotation.** A block's beliefs are read from and written to their middle copy only
//!   (lanes `Z..2Z` of [`super::layered::COPIES`]), rotated by the edge's shift in a register
//!   (`vpermw`): one load and one store per edge, where the other copies read a contiguous
//!   rotated slice and store three. The other copies of a block go stale, which is why the
//!   decoder's stopping test and its final word read the middle copy only.
//! - **Forward** (`phi` of a belief, 160 entries): three 64-entry permutes, merged by the
//!   index's range (`0..64`, `64..128`, `128..`).
//! - **Inverse** (4,260 entries): the index's cell ([`super::shuffle::cell`]) is
//!   `16 s + (j >> s)` with `s = max(floor(log2 j) - 4, 0)`, and `s` comes from two small tables
//!   (by `j >> 7`, and by `j >> 3` below 128); the cell's first value and step offset are one
//!   16-bit word, looked up like the forward table, and the value is
//!   `first - (offset >= step)`, as in the AVX2 copy.

use super::decoder::{FORWARD_LEN, INVERSE_LEN, INVERSE_SHIFT, tables};
use super::layered::{Block, Lanes, Line, Phis};
use super::lift::{LIFT, Lifting};
use super::shuffle::{CELLS, inverse_cells};
use std::arch::x86_64::*;
use std::sync::OnceLock;

/// A table of up to 192 16-bit entries: three pairs of registers of 32 lanes.
type Table192 = [[u16; LIFT]; 6];

/// The tables of this copy, in lanes.
pub(super) struct Tables {
    /// `phi` of a belief, padded with zeros (never read) past [`FORWARD_LEN`].
    forward: Table192,
    /// Per cell of the inverse table: its first value, plus its step offset times 256.
    cells: Table192,
    /// `s` for `j >= 128`, by `j >> 7`: `3 + floor(log2 (j >> 7))`.
    shift_high: [[u16; LIFT]; 2],
    /// `s` for `j < 128`, by `j >> 3`.
    shift_low: [u16; LIFT],
    /// Per shift `s`, the lanes' sources to read a block rotated by `s`: lane `k` takes
    /// `(k + s) mod Z`; the rotation back by `s` is the one by `Z - s`.
    rotations: [Line<[u16; LIFT]>; LIFT],
}

/// `max(floor(log2 j) - 4, 0)`: the shift of index `j`'s cell.
fn shift_of(j: u32) -> u16 {
    (31u32.saturating_sub(j.leading_zeros())).saturating_sub(4) as u16
}

/// The tables, built once from [`super::decoder::tables`] and [`inverse_cells`].
pub(super) fn avx512_tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut forward = [[0; LIFT]; 6];
        for (k, &v) in tables().forward.iter().enumerate().take(FORWARD_LEN) {
            forward[k / LIFT][k % LIFT] = v;
        }
        let (first, step) = inverse_cells();
        let mut cells = [[0; LIFT]; 6];
        for c in 0..CELLS {
            cells[c / LIFT][c % LIFT] = u16::from(first[c]) | u16::from(step[c]) << 8;
        }
        let mut shift_high = [[0; LIFT]; 2];
        for h in 1..2 * LIFT {
            shift_high[h / LIFT][h % LIFT] = shift_of((h as u32) << 7);
        }
        let shift_low = std::array::from_fn(|q| shift_of((q as u32) << 3));
        let rotations = std::array::from_fn(|s| Line(std::array::from_fn(|k| ((k + s) % LIFT) as u16)));
        Tables { forward, cells, shift_high, shift_low, rotations }
    })
}

/// A table's registers.
#[target_feature(enable = "avx512f,avx512bw")]
#[allow(unsafe_code)]
fn registers<const N: usize>(table: &[[u16; LIFT]; N]) -> [__m512i; N] {
    // SAFETY: each row is 32 `u16`, one unaligned 512-bit load.
    table.map(|row| unsafe { _mm512_loadu_si512(row.as_ptr().cast()) })
}

/// `table[i]` per lane, for indices below 192.
#[target_feature(enable = "avx512f,avx512bw")]
fn lookup(i: __m512i, t: &[__m512i; 6]) -> __m512i {
    let low = _mm512_permutex2var_epi16(t[0], i, t[1]);
    let middle = _mm512_permutex2var_epi16(t[2], i, t[3]);
    let high = _mm512_permutex2var_epi16(t[4], i, t[5]);
    let v = _mm512_mask_blend_epi16(_mm512_cmpge_epu16_mask(i, _mm512_set1_epi16(64)), low, middle);
    _mm512_mask_blend_epi16(_mm512_cmpge_epu16_mask(i, _mm512_set1_epi16(128)), v, high)
}

/// The tables in registers for one pass.
struct Registers {
    forward: [__m512i; 6],
    cells: [__m512i; 6],
    shift_high: [__m512i; 2],
    shift_low: __m512i,
}

/// `inverse[j]` per lane, for indices below [`INVERSE_LEN`] (see the module documentation).
#[target_feature(enable = "avx512f,avx512bw")]
fn inverse(j: __m512i, t: &Registers) -> __m512i {
    let high = _mm512_permutex2var_epi16(t.shift_high[0], _mm512_srli_epi16::<7>(j), t.shift_high[1]);
    let low = _mm512_permutexvar_epi16(_mm512_srli_epi16::<3>(j), t.shift_low);
    let s = _mm512_mask_blend_epi16(_mm512_cmpge_epu16_mask(j, _mm512_set1_epi16(128)), low, high);
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
#[target_feature(enable = "avx512f,avx512bw")]
#[inline]
#[allow(unsafe_code)]
unsafe fn load(p: *const i16) -> __m512i {
    // SAFETY: the caller's.
    unsafe { _mm512_loadu_si512(p.cast()) }
}

/// One layered pass over all base rows, as [`super::layered`]'s: `belief` holds [`COPIES`]
/// copies of each block (only the middle one is read and written), `msgs` a row of lanes per
/// base edge, `flip` a row per base row; `t` and `x` are scratch rows, one per edge of the
/// largest base row. Returns how many checks the hard decisions violated when their row was
/// processed.
#[target_feature(enable = "avx512f,avx512bw")]
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
    let r = Registers {
        forward: registers(&tables.forward),
        cells: registers(&tables.cells),
        shift_high: registers(&tables.shift_high),
        shift_low: registers(&[tables.shift_low])[0],
    };
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
            let phi = lookup(_mm512_min_epu16(_mm512_abs_epi16(v), forward_last), &r.forward);
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
            let negative = _mm512_srai_epi16::<15>(_mm512_xor_si512(sign, v));
            let out = _mm512_sub_epi16(_mm512_xor_si512(magnitude, negative), negative);
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

    #[test]
    fn cell_shifts_match_the_cells() {
        // The module's formula for a cell against `cell`, for every index.
        for j in 0..INVERSE_LEN as u16 {
            let s = shift_of(u32::from(j));
            let from_tables = if j >= 128 {
                let t = avx512_tables();
                t.shift_high[usize::from(j >> 7) / LIFT][usize::from(j >> 7) % LIFT]
            } else {
                avx512_tables().shift_low[usize::from(j >> 3)]
            };
            assert_eq!(s, from_tables, "index {j}");
            let (cell, offset) = super::super::shuffle::cell(j);
            assert_eq!(u16::from(cell), 16 * s + (j >> s), "index {j}");
            assert_eq!(u16::from(offset), j - ((j >> s) << s), "index {j}");
        }
    }
}
