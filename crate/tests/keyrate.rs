//! The analytic key-rate models against an independent computation: a Python script written
//! from the papers without this crate's code (`scripts/keyrate_reference.py`, output checked in
//! as `tests/data/keyrate_python.json`), and the published GYS maximum distances.

use qkdlab::keyrate::{KeyRateParams, Model, Mu, key_rate, max_distance};
use serde_json::Value;

fn model(name: &str) -> Model {
    serde_json::from_value(Value::String(name.into())).expect("a model name")
}

fn params(set: &Value, m: Model, km: f64, mu: &Value) -> KeyRateParams {
    let p = &set["params"];
    let num = |k: &str| p[k].as_f64().expect("a number");
    KeyRateParams {
        model: m,
        length_km: km,
        attenuation_db_per_km: num("attenuationDbPerKm"),
        detector_efficiency: num("detectorEfficiency"),
        dark_count_prob: num("darkCountProb"),
        error_rate: num("errorRate"),
        f: num("f"),
        mu: mu.as_f64().map_or(Mu::Optimal, Mu::Fixed),
        nu: num("nu"),
    }
}

fn data() -> Value {
    serde_json::from_str(include_str!("data/keyrate_python.json")).expect("valid JSON")
}

#[test]
fn every_rate_is_within_one_percent_of_the_independent_python() {
    let d = data();
    let mut checked = 0;
    for (name, set) in d["sets"].as_object().expect("sets") {
        for pt in set["points"].as_array().expect("points") {
            let m = model(pt["model"].as_str().expect("model"));
            let km = pt["lengthKm"].as_f64().expect("length");
            let ours = key_rate(&params(set, m, km, &pt["mu"])).expect("valid").bits_per_pulse;
            let theirs = pt["bitsPerPulse"].as_f64().expect("rate");
            if theirs == 0.0 {
                assert!(ours < 1e-12, "{name} {m:?} {km} km: python 0, ours {ours}");
            } else {
                assert!((ours / theirs - 1.0).abs() < 0.01, "{name} {m:?} {km} km: python {theirs}, ours {ours}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 100, "only {checked} points");
}

#[test]
fn maximum_distances_match_the_python_and_the_published_gys_figures() {
    let d = data();
    for (name, set) in d["sets"].as_object().expect("sets") {
        for (m, km) in set["maxDistanceKm"].as_object().expect("max distances") {
            let theirs = km.as_f64().expect("km");
            let ours = max_distance(&params(set, model(m), 0.0, &Value::Null)).expect("valid");
            assert!((ours - theirs).abs() <= 0.01 * theirs.max(1.0), "{name} {m}: python {theirs}, ours {ours}");
        }
    }
    // Lo, Ma, Chen, PRL 94, 230504 (2005) and Ma, Qi, Zhao, Lo, PRA 72, 012326 (2005): with the
    // GYS parameters, about 140 km with decoys and about 30-40 km without.
    let gys = |m| max_distance(&KeyRateParams::gys(m, 0.0)).expect("valid");
    assert!((135.0..150.0).contains(&gys(Model::DecoyInfinite)));
    assert!((130.0..145.0).contains(&gys(Model::DecoyVacuumWeak)));
    assert!((25.0..45.0).contains(&gys(Model::Gllp)));
    assert!(gys(Model::SinglePhoton) > gys(Model::DecoyInfinite));
}

#[test]
fn bad_parameters_are_refused_with_their_field() {
    let mut p = KeyRateParams::gys(Model::DecoyVacuumWeak, 10.0);
    p.mu = Mu::Fixed(0.05);
    assert_eq!(key_rate(&p).map(|_| ()).map_err(|e| e.code()), Err("invalid_parameter"));
    p.mu = Mu::Optimal;
    p.length_km = f64::NAN;
    assert!(key_rate(&p).is_err());
}
