//! Two threads give bit-identical traces to one: every instance computes the same thing, and per
//! node the mechanisms still run in NEURON's order.

mod support;
use serde_json::json;
use support::*;

fn branched_hh_cell() -> serde_json::Value {
    json!({
        "cells": [{"name": "c", "ra": 100.0,
                   "morphology": {"sections": [
                       {"name": "soma", "kind": "soma", "length": 20.0, "diam": 20.0, "nseg": 1},
                       {"name": "dend", "kind": "dend", "parent": "soma", "parent_x": 0.0, "nseg": 41,
                        "length": 400.0, "diam": 2.0},
                       {"name": "apic", "kind": "apic", "parent": "soma", "parent_x": 1.0, "nseg": 61,
                        "length": 600.0, "diam": 3.0},
                       {"name": "tuft", "kind": "apic", "parent": "apic", "parent_x": 1.0, "nseg": 21,
                        "length": 200.0, "diam": 1.0}]},
                   "mechanisms": [
                       {"mechanism": "pas", "parameters": {"g": 1e-4, "e": -65.0}},
                       {"mechanism": "hh", "region": "apical"},
                       {"mechanism": "hh", "region": "somatic"}]}],
        "stimuli": [{"type": "iclamp", "id": "step", "location": {"cell": "c", "section": "soma", "x": 0.5},
                     "delay": 5.0, "duration": 60.0, "amplitude": 0.8}],
        "probes": [{"kind": "v", "name": "soma", "location": {"cell": "c", "section": "soma", "x": 0.5}},
                   {"kind": "v", "name": "tuft", "location": {"cell": "c", "section": "tuft", "x": 0.9}},
                   {"kind": "v", "name": "dend", "location": {"cell": "c", "section": "dend", "x": 0.9}}],
        "run": {"tstop": 80.0, "dt": 0.025, "celsius": 6.3}
    })
}

#[test]
fn two_threads_give_the_same_traces_as_one() {
    let mut one = build(branched_hh_cell());
    one.run().expect("run");
    let mut two = build(branched_hh_cell());
    two.set_threads(2).expect("worker");
    two.run().expect("run");
    for probe in ["soma", "tuft", "dend"] {
        let (a, b) = (values(&one, probe), values(&two, probe));
        assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()), "{probe} differs");
    }
    // The run spikes, so the comparison covers active dynamics.
    let t: Vec<f64> = one.sample_times().to_vec();
    assert!(crossings(&t, &values(&one, "soma"), 0.0).len() >= 3);
}
