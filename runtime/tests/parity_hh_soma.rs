//! Parity with NEURON 9.0.2: a single-compartment soma with NEURON's `hh`, driven by an IClamp
//! (reference traces `hh_soma_amp{0.1,0.2,0.3}_{be,cn}.csv`, every step recorded).
//!
//! Acceptance: equal spike counts, spike times (upward 0 mV crossings, interpolated the same way
//! in both traces) within 0.005 ms, max |Δv| ≤ 1e-3 mV over the whole trace.

mod support;
use serde_json::json;
use support::*;

fn check(amp: &str, method: &str) {
    let path = shared_dir().join(format!("reference/neuron/hh_soma_amp{amp}_{method}.csv"));
    let (_, cols) = read_csv(&path);
    let (t_ref, v_ref) = (&cols[0], &cols[1]);
    let sim = run(json!({
        "cells": [{
            "name": "soma",
            "morphology": cylinder("soma", 18.8, 18.8, 1),
            "cm": 1.0, "ra": 123.0,
            "mechanisms": [{"mechanism": "hh"}]
        }],
        "stimuli": [{"type": "iclamp", "location": {"cell": "soma", "section": "soma", "x": 0.5},
                     "delay": 10.0, "duration": 100.0, "amplitude": amp.parse::<f64>().unwrap()}],
        "probes": [{"kind": "v", "name": "v", "location": {"cell": "soma", "section": "soma", "x": 0.5}}],
        "run": {"tstop": 150.0, "dt": 0.025, "celsius": 6.3, "v_init": -65.0,
                "method": if method == "cn" { "crank_nicolson" } else { "backward_euler" }}
    }));
    let tr = sim.trace("v").unwrap();
    assert_eq!(tr.t.len(), t_ref.len(), "sample count");
    for (a, b) in tr.t.iter().zip(t_ref) {
        assert!((a - b).abs() < 1e-6, "time {a} vs {b}");
    }
    let dv = max_abs_diff(tr.values, v_ref);
    let s_ref = crossings(t_ref, v_ref, 0.0);
    let s = crossings(tr.t, tr.values, 0.0);
    let dts = s.iter().zip(&s_ref).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    println!(
        "hh_soma amp {amp} {method}: max|dv| = {dv:.3e} mV, spikes {} vs {}, max|dt_spike| = {dts:.3e} ms",
        s.len(),
        s_ref.len()
    );
    assert_eq!(s.len(), s_ref.len(), "spike count");
    assert!(!s.is_empty());
    assert!(dts <= 0.005, "spike times differ by {dts} ms");
    assert!(dv <= 1e-3, "max |dv| = {dv} mV");
}

#[test]
fn parity_hh_soma_amp01_be() {
    check("0.1", "be");
}
#[test]
fn parity_hh_soma_amp02_be() {
    check("0.2", "be");
}
#[test]
fn parity_hh_soma_amp03_be() {
    check("0.3", "be");
}
#[test]
fn parity_hh_soma_amp01_cn() {
    check("0.1", "cn");
}
#[test]
fn parity_hh_soma_amp02_cn() {
    check("0.2", "cn");
}
#[test]
fn parity_hh_soma_amp03_cn() {
    check("0.3", "cn");
}
