//! Every supported feature against eFEL 5.7.34 on the NEURON reference traces (read in place
//! from ../shared) and on the synthetic traces committed with the goldens. Expected values come
//! from tools/golden/efel/generate.py. Tolerance: 1e-6 relative, 1e-9 absolute; a None must be
//! a None and array lengths must agree.

mod common;

use common::{close, golden_dir, number, read_trace, shared_dir};
use myelin_stdlib::efeatures::{Feature, FeatureExtractor, Settings, Trace};
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;

fn settings_from(json: &Value) -> Settings {
    let f = |k: &str| json[k].as_f64().unwrap_or_else(|| panic!("setting {k}"));
    let mut s = Settings::new(f("stim_start"), f("stim_end"));
    s.threshold = f("Threshold");
    s.interp_step = f("interp_step");
    s.strict_stiminterval = json["strict_stiminterval"].as_bool().unwrap();
    s.stimulus_current = json["stimulus_current"].as_f64();
    s
}

#[test]
fn features_match_efel() {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(golden_dir().join("features.json")).unwrap()).unwrap();
    assert_eq!(doc["efel_version"], "5.7.34");
    let names: Vec<&str> = doc["features"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    // The golden file covers every feature Myelin supports.
    for f in Feature::ALL {
        assert!(names.contains(&f.name()), "no golden values for {f}");
    }
    let shared = shared_dir();
    let mut traces: HashMap<PathBuf, (Vec<f64>, Vec<f64>)> = HashMap::new();
    let mut failures = Vec::new();
    let mut compared = 0usize;
    let cases = doc["cases"].as_array().unwrap();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let path = match (&case["trace"]["shared"], &case["trace"]["file"]) {
            (Value::String(rel), _) => shared.join(rel),
            (_, Value::String(rel)) => golden_dir().join(rel),
            _ => panic!("{name}: no trace"),
        };
        let (t, v) = traces.entry(path.clone()).or_insert_with(|| {
            let c = read_trace(&path);
            (c.time, c.voltage)
        });
        let trace = Trace::new(t, v).unwrap();
        let mut ex = FeatureExtractor::new(trace, settings_from(&case["settings"])).unwrap();
        for (fname, expected) in case["values"].as_object().unwrap() {
            let feature = Feature::from_name(fname).unwrap();
            let got = ex.get(feature);
            compared += 1;
            let ok = match (&got, expected) {
                (None, Value::Null) => true,
                (Some(g), Value::Array(e)) => {
                    g.len() == e.len() && g.iter().zip(e).all(|(a, b)| close(*a, number(b)))
                }
                _ => false,
            };
            if !ok {
                failures.push(format!("{name} {fname}: myelin {got:?}, eFEL {expected}"));
            }
        }
    }
    assert!(cases.len() >= 50, "only {} cases", cases.len());
    assert!(failures.is_empty(), "{} of {compared} values differ:\n{}", failures.len(), failures.join("\n"));
}
