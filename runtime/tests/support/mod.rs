//! Shared helpers of the runtime's integration tests: finding the shared reference data, reading
//! CSV traces, building and running simulations with the test mechanisms.
#![allow(dead_code)]

use myelin_runtime::spec::SimulationSpec;
use myelin_runtime::Simulation;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The shared read-only data directory: `$MYELIN_SHARED`, else the first `shared` directory with a
/// `reference/` inside found next to the repository or one of its ancestors.
pub fn shared_dir() -> PathBuf {
    if let Ok(p) = std::env::var("MYELIN_SHARED") {
        return PathBuf::from(p);
    }
    let mut dir = Some(Path::new(env!("CARGO_MANIFEST_DIR")));
    while let Some(d) = dir {
        let cand = d.join("shared");
        if cand.join("reference").is_dir() {
            return cand;
        }
        dir = d.parent();
    }
    panic!("shared data not found: set MYELIN_SHARED or place the repository beside ../shared");
}

/// The repository root (parent of `runtime/`).
pub fn repo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Reads a CSV file (optionally gzipped) with a header row into its header and columns.
pub fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<f64>>) {
    let mut text = String::new();
    let mut f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if path.extension().map(|e| e == "gz").unwrap_or(false) {
        flate2::read::GzDecoder::new(f).read_to_string(&mut text).unwrap();
    } else {
        f.read_to_string(&mut text).unwrap();
    }
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(|s| s.trim().to_string()).collect();
    let mut cols = vec![Vec::new(); header.len()];
    for l in lines {
        if l.trim().is_empty() {
            continue;
        }
        for (k, x) in l.split(',').enumerate() {
            cols[k].push(x.trim().parse::<f64>().unwrap());
        }
    }
    (header, cols)
}

/// Builds a simulation from a JSON description with the test catalogue.
pub fn build(spec: serde_json::Value) -> Simulation {
    let spec: SimulationSpec = serde_json::from_value(spec).expect("valid description");
    Simulation::new(&spec, &myelin_runtime::testing::catalogue()).unwrap_or_else(|e| panic!("{e}"))
}

/// Builds and runs; returns the simulation.
pub fn run(spec: serde_json::Value) -> Simulation {
    let mut sim = build(spec);
    sim.run().unwrap_or_else(|e| panic!("{e}"));
    sim
}

/// Values of a probe.
pub fn values(sim: &Simulation, name: &str) -> Vec<f64> {
    sim.trace(name).unwrap_or_else(|| panic!("no probe {name}")).values.to_vec()
}

/// Upward crossings of `thr`, linearly interpolated between samples.
pub fn crossings(t: &[f64], v: &[f64], thr: f64) -> Vec<f64> {
    let mut out = Vec::new();
    for k in 1..v.len() {
        if v[k - 1] < thr && v[k] >= thr {
            out.push(t[k - 1] + (thr - v[k - 1]) / (v[k] - v[k - 1]) * (t[k] - t[k - 1]));
        }
    }
    out
}

/// Max |a − b|.
pub fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "length mismatch");
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

/// A single cylindrical section as an inline morphology.
pub fn cylinder(name: &str, length: f64, diam: f64, nseg: u32) -> serde_json::Value {
    serde_json::json!({"sections": [{"name": name, "kind": "soma", "length": length, "diam": diam, "nseg": nseg}]})
}
