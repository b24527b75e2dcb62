//! Every supported feature against eFEL 5.7.34 on the NEURON reference traces (read in place
//! from ../shared) and on the synthetic traces committed with the goldens. Expected values come
//! from tools/golden/efel/generate.py. Tolerance: 1e-6 relative, 1e-9 absolute; a None must be
//! a None and array lengths must agree.

mod common;

use common::{close, golden_dir, number, read_trace, shared_dir};
use myelin_stdlib::efeatures::{BaseMode, Feature, FeatureExtractor, Settings, Trace};
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;

fn settings_from(json: &Value) -> Settings {
    let f = |k: &str| json[k].as_f64().unwrap_or_else(|| panic!("setting {k}"));
    let mut s = Settings::new(f("stim_start"), f("stim_end"));
    for (key, value) in json.as_object().unwrap() {
        let x = value.as_f64();
        match key.as_str() {
            "stim_start" | "stim_end" => {}
            "Threshold" => s.threshold = x.unwrap(),
            "interp_step" => s.interp_step = x.unwrap(),
            "strict_stiminterval" => s.strict_stiminterval = value.as_bool().unwrap(),
            "stimulus_current" => s.stimulus_current = x,
            "DerivativeThreshold" => s.derivative_threshold = x.unwrap(),
            "DownDerivativeThreshold" => s.down_derivative_threshold = x.unwrap(),
            "DerivativeWindow" => s.derivative_window = value.as_u64().unwrap() as usize,
            "voltage_base_mode" => {
                s.voltage_base_mode = match value.as_str().unwrap() {
                    "mean" => BaseMode::Mean,
                    "median" => BaseMode::Median,
                    other => panic!("voltage_base_mode {other}"),
                }
            }
            "voltage_base_start_perc" => s.voltage_base_start_perc = x.unwrap(),
            "voltage_base_end_perc" => s.voltage_base_end_perc = x.unwrap(),
            "ignore_first_ISI" => s.ignore_first_isi = value.as_bool().unwrap(),
            "burst_factor" => s.burst_factor = x.unwrap(),
            "sahp_start" => s.sahp_start = x.unwrap(),
            "rise_start_perc" => s.rise_start_perc = x.unwrap(),
            "rise_end_perc" => s.rise_end_perc = x.unwrap(),
            "offset" => s.offset = x.unwrap(),
            "decay_start_after_stim" => s.decay_start_after_stim = x.unwrap(),
            "decay_end_after_stim" => s.decay_end_after_stim = x.unwrap(),
            other => panic!("golden setting {other} not mapped"),
        }
    }
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
    let mut exact = 0usize;
    let mut undefined = 0usize;
    let mut worst = (0.0f64, String::new());
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
                    // Elements eFEL reads from outside its arrays (undefined behaviour) are not
                    // compared; the generator lists them.
                    let skip: Vec<usize> = case["undefined"][fname]
                        .as_array()
                        .map(|a| a.iter().map(|i| i.as_u64().unwrap() as usize).collect())
                        .unwrap_or_default();
                    undefined += skip.len();
                    let same_bits = g.len() == e.len()
                        && g.iter().zip(e).all(|(a, b)| a.to_bits() == number(b).to_bits());
                    exact += usize::from(same_bits);
                    for (i, (a, b)) in g.iter().zip(e).enumerate() {
                        let b = number(b);
                        if skip.contains(&i) {
                            continue;
                        }
                        if a.is_finite() && b.is_finite() && a != &b {
                            let rel = (a - b).abs() / b.abs().max(1e-300);
                            if rel > worst.0 {
                                worst = (rel, format!("{name} {fname}"));
                            }
                        }
                    }
                    g.len() == e.len()
                        && g.iter()
                            .zip(e)
                            .enumerate()
                            .all(|(i, (a, b))| skip.contains(&i) || close(*a, number(b)))
                }
                _ => false,
            };
            if !ok {
                failures.push(format!("{name} {fname}: myelin {got:?}, eFEL {expected}"));
            }
        }
    }
    assert!(cases.len() >= 60, "only {} cases", cases.len());
    eprintln!("{compared} feature values compared over {} cases, {exact} arrays bit-identical", cases.len());
    eprintln!(
        "largest relative difference {:e} ({}); {undefined} undefined elements skipped",
        worst.0, worst.1
    );
    assert!(failures.is_empty(), "{} of {compared} values differ:\n{}", failures.len(), failures.join("\n"));
}
