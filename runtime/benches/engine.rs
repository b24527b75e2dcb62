//! Throughput of the engine: compartment-steps per second for simulation descriptions given on
//! the command line (with the test mechanisms). `bench/engine/run.py` makes the descriptions, runs
//! this and NEURON on the same models and reports the ratio.
//!
//!     cargo bench -p myelin-runtime --bench engine -- SPEC.json [SPEC.json ...] [--repeats N]
//!
//! Prints one JSON object per description: compartments, steps, wall times (s) of each repeat of
//! `run()` (finitialize + all steps), and the final voltage of the first node of every cell for
//! cross-checking against NEURON.

use myelin_runtime::spec::SimulationSpec;
use myelin_runtime::Simulation;
use std::time::Instant;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut repeats = 5usize;
    if let Some(k) = args.iter().position(|a| a == "--repeats") {
        repeats = args.get(k + 1).and_then(|s| s.parse().ok()).unwrap_or(5);
        args.drain(k..(k + 2).min(args.len()));
    }
    let specs: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    if specs.is_empty() {
        eprintln!("usage: cargo bench -p myelin-runtime --bench engine -- SPEC.json [...] [--repeats N]");
        return;
    }
    let catalogue = myelin_runtime::testing::catalogue();
    for path in specs {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let spec: SimulationSpec = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut sim = Simulation::new(&spec, &catalogue).unwrap_or_else(|e| panic!("{path}: {e}"));
        let comps: usize = sim.layout().cells.iter().flat_map(|c| &c.sections).map(|s| s.nseg as usize).sum();
        let mut times = Vec::with_capacity(repeats);
        for _ in 0..repeats {
            let t0 = Instant::now();
            sim.run().unwrap_or_else(|e| panic!("{path}: {e}"));
            times.push(t0.elapsed().as_secs_f64());
        }
        let v_soma: Vec<f64> = sim
            .layout()
            .cells
            .iter()
            .map(|c| sim.voltages()[c.sections[c.order[0]].first as usize])
            .collect();
        println!(
            "{}",
            serde_json::json!({
                "spec": path, "compartments": comps, "nodes": sim.layout().n_nodes(),
                "steps": sim.steps(), "times_s": times, "v_end_root": v_soma
            })
        );
    }
}
