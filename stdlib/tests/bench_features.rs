//! In-process timing of the feature pipeline (ignored by default; bench/efel/run.sh runs it):
//! CSV parsing, eFEL's interpolation, and 10 features of the L5PC Step1 trace (120 001 samples).
//!
//!     cargo test --release -p myelin-stdlib --test bench_features -- --ignored --nocapture

mod common;

use common::shared_dir;
use myelin_stdlib::efeatures::{Feature, FeatureExtractor, Settings, Trace};
use myelin_stdlib::trace_csv::parse_trace_csv;
use std::io::Read;
use std::time::{Duration, Instant};

const FEATURES: [&str; 10] = [
    "AP_height",
    "AHP_slow_time",
    "ISI_CV",
    "doublet_ISI",
    "adaptation_index2",
    "mean_frequency",
    "AHP_depth_abs_slow",
    "AP_width",
    "time_to_first_spike",
    "AHP_depth_abs",
];

fn stats(mut d: Vec<Duration>) -> String {
    d.sort();
    format!("min {:.3} ms, median {:.3} ms", d[0].as_secs_f64() * 1e3, d[d.len() / 2].as_secs_f64() * 1e3)
}

#[test]
#[ignore]
fn time_feature_pipeline() {
    let path = shared_dir().join("reference/neuron/l5pc_neuron_fixed_Step1.soma.v.csv.gz");
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap()).read_to_string(&mut text).unwrap();
    let features: Vec<Feature> = FEATURES.iter().map(|s| s.parse().unwrap()).collect();
    let (mut parse, mut extract, mut total) = (vec![], vec![], vec![]);
    let mut samples = 0;
    for _ in 0..15 {
        let t0 = Instant::now();
        let cols = parse_trace_csv(&text).unwrap();
        let t1 = Instant::now();
        let trace = Trace::new(&cols.time, &cols.voltage).unwrap();
        let mut ex = FeatureExtractor::new(trace, Settings::new(700.0, 2700.0)).unwrap();
        let values = ex.get_all(&features);
        let t2 = Instant::now();
        assert!(values.iter().all(Option::is_some));
        samples = cols.time.len();
        parse.push(t1 - t0);
        extract.push(t2 - t1);
        total.push(t2 - t0);
    }
    println!("trace: {samples} samples, 10 features, 15 repeats");
    println!("csv parse:                      {}", stats(parse));
    println!("interpolation + 10 features:    {}", stats(extract));
    println!("parse + features:               {}", stats(total));
}
