//! The two `phi` tables of [`super::decoder`] cut into 16-entry byte tables, so that the layered
//! decoder's AVX2 copy ([`super::layered`]) looks up a row of 32 lanes with byte shuffles
//! (`vpshufb`) instead of 32 scalar loads, which were more than half of its time; the shuffles
//! take 15 to 25 % off a pass. Every lookup gives exactly the table's value (the tests try
//! every index), so decoding results do not change. (The same with WebAssembly SIMD's
//! `i8x16.swizzle` measured no faster than the scalar loads under Node, so wasm keeps those.)
//!
//! - **Forward** (`phi` of a belief, index `k < 160`, value below 2^15): ten groups of sixteen
//!   entries, by low and high byte; from entry 64 on every high byte is 0, so only four groups
//!   have one. A lane's group is `k >> 4`: each group's shuffle sees the index `k - 16 g`, which
//!   is out of range (and so gives 0) in every other group.
//! - **Inverse** (a message from a `phi` sum, index `j < 4260`, value at most 133, one byte): `j`
//!   is cut into 160 cells like a floating-point number with four mantissa bits ([`cell`]):
//!   below 16 a cell per index, then sixteen cells per octave. Lanes compute the cell by
//!   converting `j` to `f32`. The table is decreasing and steps down at most once within a cell
//!   (`phi` falls by at most one message unit across a sixteenth of an octave;
//!   [`shuffle_tables`] checks it), so a cell is its first value and the offset of its step: the value is
//!   `first - (offset >= step)`.

use super::decoder::{FORWARD_LEN, INVERSE_LEN, tables};
use super::lift::LIFT;
use std::sync::OnceLock;

/// Groups of sixteen table entries (160 = [`FORWARD_LEN`] entries and 160 cells).
const GROUPS: usize = 10;

/// Cells of the inverse table ([`cell`]).
pub(super) const CELLS: usize = 16 * GROUPS;

/// Forward groups whose entries reach 256 (the rest have a zero high byte).
const HIGH_GROUPS: usize = 4;

/// A step offset that no cell reaches (offsets are below 256 only in the last octave, whose
/// indices stop at [`INVERSE_LEN`]).
const NO_STEP: u8 = u8::MAX;

/// Sixteen bytes, twice: one 256-bit vector (`vpshufb` shuffles each 128-bit half alone).
type Group = [u8; 32];

/// The byte tables.
pub(super) struct ShuffleTables {
    /// Forward table: low bytes by group, then the high bytes of the first [`HIGH_GROUPS`].
    forward: [Group; GROUPS + HIGH_GROUPS],
    /// Inverse table: each cell's first value by group, then its step offset by group.
    inverse: [Group; 2 * GROUPS],
}

/// The cell of inverse index `j` and its offset within the cell: `j` itself below 16, then
/// `16 (e - 3) + m` for `j = (16 + m) 2^(e - 4) + offset` with `e = floor(log2 j)` and
/// `m < 16`. The vector versions compute the same from `j`'s `f32` bits.
pub(super) fn cell(j: u16) -> (u8, u8) {
    if j < 16 {
        return (j as u8, 0);
    }
    let e = 15 - j.leading_zeros();
    let shift = e - 4;
    let cell = 16 * (e - 3) + ((u32::from(j) >> shift) & 15);
    (cell as u8, (u32::from(j) & ((1 << shift) - 1)) as u8)
}

/// The inverse table by cell ([`cell`]): each cell's first value and the offset of its step
/// ([`NO_STEP`] where it has none), so that entry `j` is `first - (offset >= step)`. Panics if
/// the table steps more than once in a cell, which the tests rule out.
pub(super) fn inverse_cells() -> ([u8; CELLS], [u8; CELLS]) {
    let (mut first, mut step) = ([0u8; CELLS], [NO_STEP; CELLS]);
    for (j, &v) in tables().inverse.iter().enumerate().take(INVERSE_LEN) {
        let v = u8::try_from(v).expect("messages fit a byte");
        let (c, offset) = cell(j as u16);
        let c = usize::from(c);
        if offset == 0 {
            first[c] = v;
        } else if v == first[c] {
            assert_eq!(step[c], NO_STEP, "the table decreases (cell {c})");
        } else {
            assert_eq!(v + 1, first[c], "one step in cell {c}");
            step[c] = step[c].min(offset);
        }
    }
    (first, step)
}

/// The byte tables, built once from [`tables`] (see the module documentation). Panics if the
/// inverse table steps more than once in a cell, which the tests rule out.
pub(super) fn shuffle_tables() -> &'static ShuffleTables {
    static TABLES: OnceLock<ShuffleTables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let t = tables();
        let mut forward = [[0; 32]; GROUPS + HIGH_GROUPS];
        for (k, &v) in t.forward.iter().enumerate().take(FORWARD_LEN) {
            let (g, i) = (k / 16, k % 16);
            let [low, high] = v.to_le_bytes();
            forward[g][i] = low;
            if g < HIGH_GROUPS {
                forward[GROUPS + g][i] = high;
            } else {
                assert_eq!(high, 0, "forward entry {k} below 256");
            }
        }
        let (first, step) = inverse_cells();
        let mut inverse = [[0; 32]; 2 * GROUPS];
        for c in 0..CELLS {
            inverse[c / 16][c % 16] = first[c];
            inverse[GROUPS + c / 16][c % 16] = step[c];
        }
        for group in forward.iter_mut().chain(inverse.iter_mut()) {
            group.copy_within(0..16, 16);
        }
        ShuffleTables { forward, inverse }
    })
}

/// The lookups on 256-bit vectors, for CPUs with AVX2.
#[allow(unsafe_code)]
pub(super) mod avx2 {
    use super::{GROUPS, HIGH_GROUPS, LIFT, ShuffleTables};
    use std::arch::x86_64::*;

    /// A row of lanes, as two vectors.
    #[target_feature(enable = "avx2")]
    fn load(x: &[u16; LIFT]) -> (__m256i, __m256i) {
        // SAFETY: `x` holds 32 `u16`, two unaligned 256-bit loads.
        unsafe { (_mm256_loadu_si256(x.as_ptr().cast()), _mm256_loadu_si256(x.as_ptr().add(16).cast())) }
    }

    /// Stores bytes `low` and `high` as the row's 16-bit lanes: the inverse of `_mm256_packus_epi16`'s
    /// order, so lane `k` gets the byte packed from lane `k`.
    #[target_feature(enable = "avx2")]
    fn store(x: &mut [u16; LIFT], low: __m256i, high: __m256i) {
        // SAFETY: `x` holds 32 `u16`, two unaligned 256-bit stores.
        unsafe {
            _mm256_storeu_si256(x.as_mut_ptr().cast(), _mm256_unpacklo_epi8(low, high));
            _mm256_storeu_si256(x.as_mut_ptr().add(16).cast(), _mm256_unpackhi_epi8(low, high));
        }
    }

    #[target_feature(enable = "avx2")]
    fn group(t: &[u8; 32]) -> __m256i {
        // SAFETY: 32 bytes, one unaligned 256-bit load.
        unsafe { _mm256_loadu_si256(t.as_ptr().cast()) }
    }

    /// `vpshufb` reads the low four bits of an index byte, or gives 0 if its top bit is set:
    /// adding 0x70 with unsigned saturation maps `0..16` to `0x70..0x80` and everything else
    /// (including the wrapped negatives) to `0x80` and up.
    #[target_feature(enable = "avx2")]
    fn in_group(d: __m256i) -> __m256i {
        _mm256_adds_epu8(d, _mm256_set1_epi8(0x70))
    }

    /// `x[k] = forward[x[k]]` for indices below 160.
    #[target_feature(enable = "avx2")]
    pub(in super::super) fn forward(x: &mut [u16; LIFT], t: &ShuffleTables) {
        let (a, b) = load(x);
        let mut d = _mm256_packus_epi16(a, b);
        let (mut low, mut high) = (_mm256_setzero_si256(), _mm256_setzero_si256());
        for g in 0..GROUPS {
            let index = in_group(d);
            low = _mm256_or_si256(low, _mm256_shuffle_epi8(group(&t.forward[g]), index));
            if g < HIGH_GROUPS {
                high = _mm256_or_si256(high, _mm256_shuffle_epi8(group(&t.forward[GROUPS + g]), index));
            }
            d = _mm256_sub_epi8(d, _mm256_set1_epi8(16));
        }
        store(x, low, high);
    }

    /// Cells and offsets ([`super::cell`]) of 16 lanes below 8,192, from their `f32` bits:
    /// `bits >> 19` is `16 (127 + e) + m`, and clearing the 19 bits below gives the cell's start.
    #[target_feature(enable = "avx2")]
    fn cells(j: __m256i) -> (__m256i, __m256i) {
        let zero = _mm256_setzero_si256();
        let halves = [_mm256_unpacklo_epi16(j, zero), _mm256_unpackhi_epi16(j, zero)];
        let bits = halves.map(|h| _mm256_castps_si256(_mm256_cvtepi32_ps(h)));
        let code = _mm256_packus_epi32(_mm256_srli_epi32(bits[0], 19), _mm256_srli_epi32(bits[1], 19));
        let start = bits.map(|b| {
            _mm256_cvttps_epi32(_mm256_castsi256_ps(_mm256_and_si256(b, _mm256_set1_epi32(!((1 << 19) - 1)))))
        });
        let start = _mm256_packus_epi32(start[0], start[1]);
        let small = _mm256_cmpgt_epi16(_mm256_set1_epi16(16), j);
        let cell = _mm256_blendv_epi8(_mm256_sub_epi16(code, _mm256_set1_epi16(16 * (127 + 3))), j, small);
        (cell, _mm256_andnot_si256(small, _mm256_sub_epi16(j, start)))
    }

    /// `x[k] = inverse[x[k]]` for indices below 4,260.
    #[target_feature(enable = "avx2")]
    pub(in super::super) fn inverse(x: &mut [u16; LIFT], t: &ShuffleTables) {
        let (a, b) = load(x);
        let ((cell_a, offset_a), (cell_b, offset_b)) = (cells(a), cells(b));
        let mut d = _mm256_packus_epi16(cell_a, cell_b);
        let offset = _mm256_packus_epi16(offset_a, offset_b);
        let (mut first, mut step) = (_mm256_setzero_si256(), _mm256_setzero_si256());
        for g in 0..GROUPS {
            let index = in_group(d);
            first = _mm256_or_si256(first, _mm256_shuffle_epi8(group(&t.inverse[g]), index));
            step = _mm256_or_si256(step, _mm256_shuffle_epi8(group(&t.inverse[GROUPS + g]), index));
            d = _mm256_sub_epi8(d, _mm256_set1_epi8(16));
        }
        // -1 where offset >= step.
        let past = _mm256_cmpeq_epi8(_mm256_max_epu8(offset, step), offset);
        store(x, _mm256_add_epi8(first, past), _mm256_setzero_si256());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cells and offsets reconstruct the inverse table, and `cell` is the float-like code
    /// the vector versions compute.
    #[test]
    fn cells_reconstruct_the_inverse_table() {
        let (t, s) = (tables(), shuffle_tables());
        let mut last = (0, 0);
        for j in 0..INVERSE_LEN as u16 {
            let (c, offset) = cell(j);
            let (c, offset) = (usize::from(c), offset);
            assert!(c < 16 * GROUPS);
            // Cells are consecutive runs of indices, in order.
            assert!(c == last.0 && offset == last.1 + 1 || c > last.0 && offset == 0 || j == 0, "index {j}");
            last = (c, offset);
            let (first, step) = (s.inverse[c / 16][c % 16], s.inverse[GROUPS + c / 16][c % 16]);
            let value = first - u8::from(offset >= step);
            assert_eq!(u16::from(value), t.inverse[usize::from(j)], "index {j}");
            if j >= 16 {
                let bits = f32::from(j).to_bits();
                assert_eq!(c, (bits >> 19) as usize - 16 * (127 + 3), "index {j}");
                assert_eq!(u32::from(offset), u32::from(j) - f32::from_bits(bits & !((1 << 19) - 1)) as u32);
            }
        }
    }

    /// `lookup` gives the table's value for every index, in every lane position.
    fn check(len: usize, table: &[u16], lookup: &dyn Fn(&mut [u16; LIFT])) {
        for start in 0..len + LIFT {
            let mut x: [u16; LIFT] = std::array::from_fn(|k| ((start + 7 * k) % len) as u16);
            let want = x.map(|i| table[usize::from(i)]);
            lookup(&mut x);
            assert_eq!(x, want, "indices from {start}");
        }
    }

    #[test]
    #[allow(unsafe_code)]
    fn avx2_lookups_give_the_tables_values() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            return;
        }
        let (t, s) = (tables(), shuffle_tables());
        // SAFETY: the CPU supports AVX2 (checked above).
        check(FORWARD_LEN, &t.forward, &|x| unsafe { avx2::forward(x, s) });
        // SAFETY: as above.
        check(INVERSE_LEN, &t.inverse, &|x| unsafe { avx2::inverse(x, s) });
    }
}
