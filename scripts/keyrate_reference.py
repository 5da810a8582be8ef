#!/usr/bin/env python3
"""Independent Python reference for asymptotic BB84 key rates against distance.

Written from the papers (not from the Rust code) so that the Rust implementation
can be tested against it. Standard library only.

Usage:
    python3 scripts/keyrate_reference.py [OUTPUT.json]
    (the checked-in copy is crate/tests/data/keyrate_python.json)

Formulas (all rates in bits per signal pulse, asymptotic, clamped at 0)
-----------------------------------------------------------------------
Channel + detector, shared by every model:
    eta  = 10^(-alpha*L/10) * eta_bob,   e0 = 1/2,   q = 1/2 (BB84 sifting)
    h(x) = -x log2 x - (1-x) log2(1-x),  with h(x) = 0 for x <= 0, 1 for x >= 1/2
    Q_mu = Y0 + 1 - exp(-eta*mu)
    E_mu = (e0*Y0 + e_d*(1 - exp(-eta*mu))) / Q_mu
    Y1   = Y0 + eta - Y0*eta
    e1   = (e0*Y0 + e_d*eta) / Y1
  (Lo, Ma, Chen, "Decoy state quantum key distribution", PRL 94, 230504 (2005),
   Eqs. for the GYS-type channel model; same in Ma, Qi, Zhao, Lo, PRA 72,
   012326 (2005), Sec. II.)

single-photon (ideal single-photon source):
    R = q * Y1 * (1 - h(e1) - f*h(e1))
gllp (weak coherent pulses, no decoys; GLLP, QIC 4, 325 (2004), as written in
Lo-Ma-Chen 2005):
    P_multi = 1 - exp(-mu) - mu*exp(-mu);   Delta = P_multi / Q_mu
    R = q * (-Q_mu*f*h(E_mu) + Q_mu*(1-Delta)*(1 - h(E_mu/(1-Delta))));  0 if Delta >= 1
decoy-infinite (Lo-Ma-Chen 2005, infinitely many decoys, Y1 and e1 known exactly):
    Q1 = Y1*mu*exp(-mu)
    R = q * (-Q_mu*f*h(E_mu) + Q1*(1 - h(e1)))
decoy-vacuum-weak (Ma-Qi-Zhao-Lo 2005, vacuum + one weak decoy nu < mu):
    Y1L = mu/(mu*nu - nu^2) * (Q_nu*e^nu - Q_mu*e^mu*nu^2/mu^2 - (mu^2-nu^2)/mu^2*Y0)
    e1U = (E_nu*Q_nu*e^nu - e0*Y0) / (Y1L*nu)
    Q1L = Y1L*mu*exp(-mu)
    R = q * (-Q_mu*f*h(E_mu) + Q1L*(1 - h(e1U)));  0 if Y1L <= 0 or e1U >= 1/2

Optimal mu: maximise R over mu in (0, 1] ((nu, 1] for decoy-vacuum-weak) with a
log-spaced grid followed by golden-section refinement around the best grid
point. Where R = 0 for every mu (no key) the optimum is undefined and muUsed is
reported as null. Optimal rates are reproducible to ~1e-12 relative (grid
of 20000 points gives the same to that level); muUsed only to ~1e-7 absolute,
because R is flat at its maximum. maxDistanceKm: bisection on L in [0, 400] km for the largest
L (floored to 0.001 km) with R > 0 at optimal mu.

Published figures to compare with (GYS parameters, Lo-Ma-Chen 2005 Fig. 1 and
Ma-Qi-Zhao-Lo 2005): infinite decoys ~142 km, vacuum + weak decoy ~140 km,
no decoys (GLLP) ~30-40 km. These are printed to stderr on every run.
"""
from __future__ import annotations

import json
import math
import sys
from typing import Callable, Optional

E0 = 0.5
Q_SIFT = 0.5
MODELS = ("single-photon", "gllp", "decoy-infinite", "decoy-vacuum-weak")
LENGTHS_KM = (0, 10, 25, 50, 75, 100, 125, 140)
FIXED_MU = 0.5
GRID_POINTS = 4000
MU_MIN = 1e-8
MAX_SEARCH_KM = 400.0

PARAM_SETS: dict[str, dict[str, float]] = {
    "gys": {"attenuationDbPerKm": 0.21, "detectorEfficiency": 0.045,
            "darkCountProb": 1.7e-6, "errorRate": 0.033, "f": 1.22, "nu": 0.1},
    "default": {"attenuationDbPerKm": 0.2, "detectorEfficiency": 0.2,
                "darkCountProb": 1e-6, "errorRate": 0.01, "f": 1.1, "nu": 0.1},
}

# (model, published max distance in km for GYS, source)
PUBLISHED_GYS = {
    "decoy-infinite": ("~142", "Lo-Ma-Chen PRL 2005"),
    "decoy-vacuum-weak": ("~140", "Ma-Qi-Zhao-Lo PRA 2005 / Lo-Ma-Chen 2005"),
    "gllp": ("~30-40", "Lo-Ma-Chen PRL 2005 (GLLP without decoys)"),
}


def h(x: float) -> float:
    """Binary entropy, 0 for x <= 0 and 1 for x >= 1/2."""
    if x <= 0.0:
        return 0.0
    if x >= 0.5:
        return 1.0
    return -x * math.log2(x) - (1.0 - x) * math.log2(1.0 - x)


def transmittance(p: dict[str, float], length_km: float) -> float:
    return 10.0 ** (-p["attenuationDbPerKm"] * length_km / 10.0) * p["detectorEfficiency"]


def gain_qber(p: dict[str, float], eta: float, mu: float) -> tuple[float, float]:
    """Q_mu and E_mu of a coherent state with mean photon number mu."""
    y0, ed = p["darkCountProb"], p["errorRate"]
    det = -math.expm1(-eta * mu)  # 1 - exp(-eta*mu)
    q = y0 + det
    return q, (E0 * y0 + ed * det) / q


def single_photon_yield_error(p: dict[str, float], eta: float) -> tuple[float, float]:
    y0, ed = p["darkCountProb"], p["errorRate"]
    y1 = y0 + eta - y0 * eta
    return y1, (E0 * y0 + ed * eta) / y1


def rate_single_photon(p: dict[str, float], eta: float, mu: float) -> float:
    y1, e1 = single_photon_yield_error(p, eta)
    return Q_SIFT * y1 * (1.0 - h(e1) - p["f"] * h(e1))


def rate_gllp(p: dict[str, float], eta: float, mu: float) -> float:
    q_mu, e_mu = gain_qber(p, eta, mu)
    p_multi = 1.0 - math.exp(-mu) - mu * math.exp(-mu)
    delta = p_multi / q_mu
    if delta >= 1.0:
        return 0.0
    return Q_SIFT * (-q_mu * p["f"] * h(e_mu)
                     + q_mu * (1.0 - delta) * (1.0 - h(e_mu / (1.0 - delta))))


def rate_decoy_infinite(p: dict[str, float], eta: float, mu: float) -> float:
    q_mu, e_mu = gain_qber(p, eta, mu)
    y1, e1 = single_photon_yield_error(p, eta)
    q1 = y1 * mu * math.exp(-mu)
    return Q_SIFT * (-q_mu * p["f"] * h(e_mu) + q1 * (1.0 - h(e1)))


def rate_decoy_vacuum_weak(p: dict[str, float], eta: float, mu: float) -> float:
    nu, y0 = p["nu"], p["darkCountProb"]
    if not mu > nu:
        return 0.0
    q_mu, e_mu = gain_qber(p, eta, mu)
    q_nu, e_nu = gain_qber(p, eta, nu)
    y1l = mu / (mu * nu - nu * nu) * (q_nu * math.exp(nu)
                                      - q_mu * math.exp(mu) * nu * nu / (mu * mu)
                                      - (mu * mu - nu * nu) / (mu * mu) * y0)
    if y1l <= 0.0:
        return 0.0
    e1u = (e_nu * q_nu * math.exp(nu) - E0 * y0) / (y1l * nu)
    if e1u >= 0.5:
        return 0.0
    q1l = y1l * mu * math.exp(-mu)
    return Q_SIFT * (-q_mu * p["f"] * h(e_mu) + q1l * (1.0 - h(e1u)))


RATE_FUNCS: dict[str, Callable[[dict[str, float], float, float], float]] = {
    "single-photon": rate_single_photon,
    "gllp": rate_gllp,
    "decoy-infinite": rate_decoy_infinite,
    "decoy-vacuum-weak": rate_decoy_vacuum_weak,
}


def key_rate(model: str, p: dict[str, float], length_km: float, mu: float) -> float:
    """Clamped asymptotic key rate (bits per pulse)."""
    return max(0.0, RATE_FUNCS[model](p, transmittance(p, length_km), mu))


def optimal_mu(model: str, p: dict[str, float], length_km: float) -> tuple[Optional[float], float]:
    """(argmax mu or None if no key for any mu, max rate)."""
    if model == "single-photon":
        return None, key_rate(model, p, length_km, 1.0)
    # Search variable t in log space; mu = lo + (1 - lo) * t for vacuum-weak
    # (so the grid crowds towards nu), mu = t otherwise.
    lo = p["nu"] if model == "decoy-vacuum-weak" else 0.0

    def mu_of(log_t: float) -> float:
        return lo + (1.0 - lo) * math.exp(log_t)

    def f(log_t: float) -> float:
        return key_rate(model, p, length_km, mu_of(log_t))

    a, b = math.log(MU_MIN), 0.0
    xs = [a + (b - a) * i / (GRID_POINTS - 1) for i in range(GRID_POINTS)]
    vals = [f(x) for x in xs]
    best = max(range(GRID_POINTS), key=lambda i: vals[i])
    if vals[best] <= 0.0:
        return None, 0.0
    # Golden-section on the bracket of neighbouring grid points.
    left, right = xs[max(best - 1, 0)], xs[min(best + 1, GRID_POINTS - 1)]
    g = (math.sqrt(5.0) - 1.0) / 2.0
    c, d = right - g * (right - left), left + g * (right - left)
    fc, fd = f(c), f(d)
    for _ in range(200):
        if right - left < 1e-15:
            break
        if fc >= fd:
            right, d, fd = d, c, fc
            c = right - g * (right - left)
            fc = f(c)
        else:
            left, c, fc = c, d, fd
            d = left + g * (right - left)
            fd = f(d)
    cands = [(vals[best], xs[best]), (fc, c), (fd, d)]
    r, x = max(cands)
    return mu_of(x), r


def max_distance(model: str, p: dict[str, float]) -> float:
    """Largest L (floored to 0.001 km, capped at 400 km) with R > 0 at optimal mu."""
    def positive(length: float) -> bool:
        return optimal_mu(model, p, length)[1] > 0.0

    if not positive(0.0):
        return 0.0
    if positive(MAX_SEARCH_KM):
        return MAX_SEARCH_KM
    lo, hi = 0.0, MAX_SEARCH_KM
    while hi - lo > 1e-7:
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if positive(mid) else (lo, mid)
    return math.floor(lo * 1000.0) / 1000.0


def build_set(p: dict[str, float]) -> dict:
    points = []
    for model in MODELS:
        for length in LENGTHS_KM:
            mu_used, r = optimal_mu(model, p, float(length))
            points.append({"model": model, "lengthKm": length,
                           "mu": None if model == "single-photon" else "optimal",
                           "bitsPerPulse": r, "muUsed": mu_used})
    for model in MODELS[1:]:
        for length in LENGTHS_KM:
            points.append({"model": model, "lengthKm": length, "mu": FIXED_MU,
                           "bitsPerPulse": key_rate(model, p, float(length), FIXED_MU),
                           "muUsed": FIXED_MU})
    return {"params": dict(p), "points": points,
            "maxDistanceKm": {m: max_distance(m, p) for m in MODELS}}


def main(argv: list[str]) -> None:
    out = {"source": "scripts/keyrate_reference.py (independent Python, formulas as in the docstring)",
           "sets": {name: build_set(p) for name, p in PARAM_SETS.items()}}
    for name, s in out["sets"].items():
        for model, km in s["maxDistanceKm"].items():
            pub = PUBLISHED_GYS.get(model) if name == "gys" else None
            note = f"  (published {pub[0]} km, {pub[1]})" if pub else ""
            print(f"[{name}] max distance {model:18s} {km:9.3f} km{note}", file=sys.stderr)
    text = json.dumps(out, indent=2) + "\n"  # json uses repr() for floats
    if len(argv) > 1:
        with open(argv[1], "w") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main(sys.argv)
