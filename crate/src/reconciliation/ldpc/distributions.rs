//! The degree distributions the mother codes are built from.
//!
//! - [`PUBLISHED`]: Table I of Elkouss, Leverrier, Alléaume and Boutros, "Efficient
//!   reconciliation protocol for discrete-variable quantum key distribution", ISIT 2009
//!   (arXiv:0901.2140): irregular LDPC ensembles optimized for the binary symmetric channel by
//!   differential evolution and discretized density evolution, one per rate from 0.50 to 0.90.
//! - [`DESIGNED`]: rates 0.75 to 0.92 designed with `crate/examples/ldpc_design`
//!   (a linear program in the Gaussian approximation, rated by discretized density evolution;
//!   from rate 0.9 improved by a hill-climb on that threshold) with no degree-2 variables. On 10^5-bit frames near 1 % the published rate-0.9 row (and
//!   any design with degree-2 variables) fails about one frame in ten even at f = 1.24, far
//!   from its threshold: belief propagation stalls on clusters of hundreds of degree-2 and
//!   degree-3 variables (an exact floating-point decoder stalls on them too). Without degree 2
//!   the threshold is as good (0.0116 against 0.0109 at rate 0.9, 0.0119 after the hill-climb)
//!   and the same test fails no frame in 40, in half the iterations. At 2 % the designed 0.85 needs the blind reveal less
//!   often than the published one.
//! - [`DISTRIBUTIONS`]: what the plan chooses from: the published rows up to 0.70 and the
//!   designed ones above (at 3 and 4 % the published rates 0.8 and 0.75 lost frames far from
//!   their thresholds in the same way; see [`DESIGNED`]).
//!
//! Coefficients are the edge-perspective fractions `lambda_i` (`rho_i`): the share of edges
//! that meet a variable (check) node of degree `i`, the coefficient of `x^(i-1)`.

/// One ensemble: its nominal rate, its BSC threshold and its edge-perspective distributions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Distribution {
    /// The rate the table lists (the design rate of `lambda`, `rho` is within 0.002 of it).
    pub nominal_rate: f64,
    /// Crossover probability below which density evolution converges (the table's threshold;
    /// for a designed row, the one `ldpc_design` computes by discretized density evolution).
    pub threshold: f64,
    /// `(degree, lambda_i)` for variable nodes.
    pub lambda: &'static [(u32, f64)],
    /// `(degree, rho_i)` for check nodes.
    pub rho: &'static [(u32, f64)],
}

impl Distribution {
    /// `sum_i lambda_i / i`: one over the mean variable degree.
    pub fn lambda_integral(&self) -> f64 {
        integral(self.lambda)
    }

    /// `sum_i rho_i / i`: one over the mean check degree.
    pub fn rho_integral(&self) -> f64 {
        integral(self.rho)
    }

    /// The design rate `1 - (sum rho_i / i) / (sum lambda_i / i)` (Elkouss et al. 2009, eq. 5).
    pub fn design_rate(&self) -> f64 {
        1.0 - self.rho_integral() / self.lambda_integral()
    }

    /// Node-perspective fractions for `(degree, edge fraction)` pairs: `(lambda_i / i) / sum`.
    pub fn node_fractions(edges: &[(u32, f64)]) -> Vec<(u32, f64)> {
        let total = integral(edges);
        edges.iter().map(|&(d, l)| (d, l / f64::from(d) / total)).collect()
    }
}

fn integral(edges: &[(u32, f64)]) -> f64 {
    edges.iter().map(|&(d, l)| l / f64::from(d)).sum()
}

/// The ensembles the plan builds mother codes from, lowest rate first.
pub const DISTRIBUTIONS: [&Distribution; 14] = [
    &PUBLISHED[0],
    &PUBLISHED[1],
    &PUBLISHED[2],
    &PUBLISHED[3],
    &PUBLISHED[4],
    &DESIGNED[0],
    &DESIGNED[1],
    &DESIGNED[2],
    &DESIGNED[3],
    &DESIGNED[4],
    &DESIGNED[5],
    &DESIGNED[6],
    &DESIGNED[7],
    &DESIGNED[8],
];

/// Ensembles with variable degrees from 3 and one check degree, printed by
/// `MIN_DEGREE=3 cargo run --release -p qkdlab --example ldpc_design -- design RATE DC` with
/// (0.75, 28), (0.8, 36) and (0.85, 50); the rows of rate 0.9, 0.91 and 0.92 (check degrees 70,
/// 75 and 85) are those designs improved by `ldpc_design -- search RATE 800`, a hill-climb on
/// the density-evolution threshold that keeps the rate and the degrees from 3. Thresholds by
/// discretized density evolution (same tool); in efficiency at threshold, `(1 - R) / h(p*)`:
/// 1.056, 1.061, 1.071, 1.071, 1.071 and 1.073 (the designs before the search: 1.097, 1.108
/// and 1.116 for the last three).
///
/// The published rates 0.75 and 0.8 have better thresholds (1.045 and 1.037) but lost frames
/// far from them: 100 frames of 10^5 bits at 3 % (rate 0.8) lost 3 and at 4 % (rate 0.75) lost
/// 8, quasi-cyclic, and 7 and 18 unstructured; these lose none there, at f 1.098 and 1.099.
/// Below 0.75 the published rows stay: a design without degree 2 at rate 0.7 (dc 24, threshold
/// f 1.052 against 1.042) needed the reveal for 37 frames in 100 at 5.5 % against 7.
///
/// The last three rows (rates 0.943, 0.9575 and 0.966) are for error rates below 0.8 %: the
/// rate-0.92 row's variable degrees with checks of degree 120, 160 and 200 (thresholds by the
/// same density evolution; f 1.13, 1.17 and 1.21 at threshold). Without them the plan punctured
/// the rate-0.92 code by up to 5 % of the frame, and lost 30 frames in 30 at 0.3 % (16 at
/// 0.5 %, 4 with the rows before the search); with them, none in 20 at 0.2, 0.3 and 0.5 %.
///
/// On 10^5-bit frames the searched thresholds gain little: near 1 % those frames fail from
/// f 1.12 down whatever the threshold (the finite-length spread; `ldpc_design -- simulate`). On
/// frames of 10^6 bits they decide: the searched rate-0.91 code at 1 % fails no frame in 10 at
/// f 1.100 and 2 at 1.095, where the old rate-0.9 row cannot go below its threshold's 1.097.
pub const DESIGNED: [Distribution; 9] = [
    Distribution {
        nominal_rate: 0.75,
        threshold: 0.03880,
        lambda: &[(3, 0.33131), (12, 0.19925), (14, 0.14111), (50, 0.07975), (60, 0.24858)],
        rho: &[(28, 1.0)],
    },
    Distribution {
        nominal_rate: 0.80,
        threshold: 0.02882,
        lambda: &[(3, 0.31466), (12, 0.27722), (14, 0.06514), (50, 0.16301), (60, 0.17450), (70, 0.00546)],
        rho: &[(36, 1.0)],
    },
    Distribution {
        nominal_rate: 0.85,
        threshold: 0.01976,
        lambda: &[(3, 0.29263), (11, 0.10612), (12, 0.22718), (40, 0.07534), (50, 0.18565), (70, 0.11308)],
        rho: &[(50, 1.0)],
    },
    Distribution {
        nominal_rate: 0.90,
        threshold: 0.01193,
        lambda: &[
            (3, 0.28619),
            (4, 0.00177),
            (5, 0.00947),
            (6, 0.01130),
            (7, 0.00481),
            (10, 0.17415),
            (11, 0.13507),
            (12, 0.00609),
            (14, 0.01897),
            (16, 0.00602),
            (20, 0.02719),
            (24, 0.06449),
            (32, 0.03442),
            (40, 0.22008),
        ],
        rho: &[(70, 1.0)],
    },
    Distribution {
        nominal_rate: 0.91,
        threshold: 0.01049,
        lambda: &[
            (3, 0.29045),
            (4, 0.00916),
            (5, 0.00156),
            (7, 0.00724),
            (8, 0.00224),
            (9, 0.01888),
            (10, 0.30841),
            (11, 0.02704),
            (12, 0.00599),
            (14, 0.01574),
            (18, 0.00544),
            (20, 0.00427),
            (24, 0.05586),
            (28, 0.00239),
            (32, 0.21342),
            (40, 0.03193),
        ],
        rho: &[(75, 1.0)],
    },
    Distribution { nominal_rate: 0.92, threshold: 0.00907, lambda: HIGH_RATE_LAMBDA, rho: &[(85, 1.0)] },
    Distribution { nominal_rate: 0.943, threshold: 0.00566, lambda: HIGH_RATE_LAMBDA, rho: &[(120, 1.0)] },
    Distribution { nominal_rate: 0.9575, threshold: 0.00381, lambda: HIGH_RATE_LAMBDA, rho: &[(160, 1.0)] },
    Distribution { nominal_rate: 0.966, threshold: 0.00280, lambda: HIGH_RATE_LAMBDA, rho: &[(200, 1.0)] },
];

/// The variable degrees of the rate-0.92 row (after the hill-climb), shared by the three rows
/// above it, which only raise the check degree.
const HIGH_RATE_LAMBDA: &[(u32, f64)] = &[
    (3, 0.28111),
    (4, 0.01750),
    (5, 0.00131),
    (8, 0.00320),
    (9, 0.01092),
    (10, 0.29342),
    (11, 0.03332),
    (12, 0.04887),
    (14, 0.01347),
    (18, 0.00504),
    (20, 0.00609),
    (24, 0.00639),
    (28, 0.04423),
    (32, 0.22276),
    (40, 0.01236),
];

/// Table I of Elkouss et al., ISIT 2009, lowest rate first. The rate-0.85 row prints
/// `0.094274 x^4`; the row only sums to one (and gives rate 0.85) with `0.04274`, used here.
pub const PUBLISHED: [Distribution; 9] = [
    Distribution {
        nominal_rate: 0.50,
        threshold: 0.1071,
        lambda: &[
            (2, 0.14438),
            (3, 0.19026),
            (4, 0.01836),
            (5, 0.00233),
            (6, 0.04697),
            (8, 0.053943),
            (9, 0.05590),
            (10, 0.01290),
            (11, 0.00162),
            (14, 0.06159),
            (15, 0.13115),
            (17, 0.01481),
            (47, 0.00879),
            (49, 0.00650),
            (55, 0.00210),
            (56, 0.00099),
            (57, 0.11178),
            (58, 0.06238),
            (59, 0.05094),
            (66, 0.02230),
        ],
        rho: &[(10, 0.47575), (12, 0.46847), (13, 0.02952), (14, 0.02626)],
    },
    Distribution {
        nominal_rate: 0.55,
        threshold: 0.0904,
        lambda: &[
            (2, 0.16880),
            (3, 0.20994),
            (6, 0.18095),
            (15, 0.03846),
            (16, 0.02635),
            (18, 0.23454),
            (19, 0.05815),
            (31, 0.08280),
        ],
        rho: &[(10, 0.27631), (11, 0.72369)],
    },
    Distribution {
        nominal_rate: 0.60,
        threshold: 0.0766,
        lambda: &[
            (2, 0.11040),
            (3, 0.20804),
            (8, 0.14163),
            (9, 0.14858),
            (26, 0.14438),
            (27, 0.08909),
            (46, 0.00748),
            (71, 0.15038),
        ],
        rho: &[(2, 0.00036), (10, 0.13063), (13, 0.31068), (18, 0.49341), (19, 0.064915)],
    },
    Distribution {
        nominal_rate: 0.65,
        threshold: 0.0633,
        lambda: &[
            (2, 0.10451),
            (3, 0.15652),
            (4, 0.08057),
            (5, 0.00056),
            (9, 0.12151),
            (13, 0.10485),
            (15, 0.10719),
            (21, 0.00771),
            (51, 0.31656),
        ],
        rho: &[(2, 0.000578), (15, 0.06089), (16, 0.47001), (21, 0.46852)],
    },
    Distribution {
        nominal_rate: 0.70,
        threshold: 0.0504,
        lambda: &[
            (2, 0.05343),
            (3, 0.29406),
            (6, 0.00896),
            (9, 0.15571),
            (12, 0.12189),
            (25, 0.19872),
            (46, 0.09572),
            (62, 0.02741),
            (65, 0.04056),
            (73, 0.00354),
        ],
        rho: &[(20, 0.76922), (21, 0.23077)],
    },
    Distribution {
        nominal_rate: 0.75,
        threshold: 0.0392,
        lambda: &[
            (2, 0.10805),
            (3, 0.09511),
            (4, 0.01449),
            (5, 0.13764),
            (6, 0.10667),
            (7, 0.05288),
            (28, 0.01107),
            (31, 0.47408),
        ],
        rho: &[(25, 0.74161), (26, 0.25839)],
    },
    Distribution {
        nominal_rate: 0.80,
        threshold: 0.0298,
        lambda: &[(2, 0.09420), (3, 0.18088), (6, 0.11972), (7, 0.08550), (8, 0.09816), (17, 0.07194), (26, 0.34960)],
        rho: &[(29, 0.58807), (30, 0.41193)],
    },
    Distribution {
        nominal_rate: 0.85,
        threshold: 0.0199,
        lambda: &[
            (2, 0.04528),
            (3, 0.20537),
            (4, 0.05878),
            (5, 0.04274),
            (6, 0.08454),
            (7, 0.01176),
            (9, 0.05137),
            (21, 0.50015),
        ],
        rho: &[(41, 0.54204), (42, 0.45795)],
    },
    Distribution {
        nominal_rate: 0.90,
        threshold: 0.0109,
        lambda: &[(2, 0.07689), (3, 0.28096), (5, 0.08933), (9, 0.19620), (12, 0.30631), (21, 0.05031)],
        rho: &[(50, 0.95025), (51, 0.04975)],
    },
];
