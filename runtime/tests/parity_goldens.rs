//! Parity with NEURON 9.0.2 on small models exercising stimuli, synapses, events, networks, ions
//! and membrane currents. Goldens are in `tests/golden/engine/` (made by
//! `tools/golden/engine/run.sh`), except the ball-and-stick membrane currents, which are the LFP
//! reference data in ../shared. Traces are compared at every step.

mod support;
use serde_json::{json, Value};
use support::*;

fn golden(name: &str) -> (Vec<String>, Vec<Vec<f64>>) {
    read_csv(&repo_dir().join("tests/golden/engine").join(name))
}

fn col<'a>(g: &'a (Vec<String>, Vec<Vec<f64>>), name: &str) -> &'a [f64] {
    let k = g.0.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    &g.1[k]
}

fn method(tag: &str) -> &'static str {
    if tag == "cn" {
        "crank_nicolson"
    } else {
        "backward_euler"
    }
}

/// Max |a − b| after checking the sample times agree.
fn compare(sim: &myelin_runtime::Simulation, probe: &str, t_ref: &[f64], reference: &[f64]) -> f64 {
    let tr = sim.trace(probe).unwrap();
    assert_eq!(tr.t.len(), t_ref.len(), "{probe}: sample count");
    assert!(max_abs_diff(tr.t, t_ref) < 1e-9, "{probe}: sample times differ");
    max_abs_diff(tr.values, reference)
}

fn soma20(name: &str, mechs: Value) -> Value {
    json!({"name": name, "morphology": cylinder("soma", 20.0, 20.0, 1), "cm": 1.0, "ra": 100.0, "mechanisms": mechs})
}

fn at(cell: &str, section: &str, x: f64) -> Value {
    json!({"cell": cell, "section": section, "x": x})
}

#[test]
fn parity_seclamp_hh() {
    let g = golden("seclamp_hh.csv.gz");
    let sim = run(json!({
        "cells": [soma20("c", json!([{"mechanism": "hh"}]))],
        "stimuli": [{"type": "seclamp", "id": "clamp", "location": at("c", "soma", 0.5), "rs": 0.5,
                     "durations": [5.0, 10.0, 5.0], "amplitudes": [-70.0, -20.0, -60.0]}],
        "probes": [{"kind": "v", "name": "v", "location": at("c", "soma", 0.5)},
                   {"kind": "stimulus", "name": "i", "id": "clamp"},
                   {"kind": "stimulus", "name": "vc", "id": "clamp", "field": "vc"}],
        "run": {"tstop": 25.0, "dt": 0.025, "celsius": 6.3, "v_init": -65.0}
    }));
    let t = col(&g, "t_ms");
    let dv = compare(&sim, "v", t, col(&g, "v"));
    let di = compare(&sim, "i", t, col(&g, "i"));
    let dvc = compare(&sim, "vc", t, col(&g, "vc"));
    println!("SEClamp + hh: max|dv| = {dv:.2e} mV, max|di| = {di:.2e} nA, max|dvc| = {dvc:.2e} mV");
    assert!(dv < 1e-8 && di < 1e-8 && dvc == 0.0);
}

fn ball_and_stick(name: &str) -> Value {
    json!({
        "name": name,
        "morphology": {"sections": [
            {"name": "soma", "kind": "soma", "length": 20.0, "diam": 20.0, "nseg": 1},
            {"name": "dend", "kind": "dend", "parent": "soma", "parent_x": 1.0, "length": 200.0, "diam": 1.0, "nseg": 5}
        ]},
        "cm": 1.0, "ra": 100.0,
        "mechanisms": [{"mechanism": "hh", "region": "somatic"},
                       {"mechanism": "pas", "region": "basal", "parameters": {"g": 1e-4, "e": -65.0}}],
        "spike_detector": {"threshold": 0.0}
    })
}

fn network(tag: &str) {
    let g = golden(&format!("network_{tag}.csv.gz"));
    let spikes: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_dir().join(format!("tests/golden/engine/network_spikes_{tag}.json")))
            .unwrap(),
    )
    .unwrap();
    let mut a = ball_and_stick("A");
    a["point_processes"] = json!([{"id": "syn1", "mechanism": "ExpSyn", "location": {"section": "dend", "x": 0.8},
                                   "parameters": {"tau": 2.0, "e": 0.0}}]);
    let mut b = ball_and_stick("B");
    b["point_processes"] = json!([{"id": "syn2", "mechanism": "Exp2Syn", "location": {"section": "soma", "x": 0.5},
                                   "parameters": {"tau1": 0.2, "tau2": 2.0, "e": 0.0}}]);
    let sim = run(json!({
        "cells": [a, b],
        "artificial_cells": [{"id": "ns", "mechanism": "NetStim",
                              "parameters": {"start": 5.0, "interval": 10.0, "number": 3.0, "noise": 0.0}}],
        "connections": [{"source": {"artificial_cell": "ns"}, "target": "syn1", "weight": 0.05, "delay": 1.0},
                        {"source": {"cell": "A"}, "target": "syn2", "weight": 0.05, "delay": 2.5}],
        "probes": [{"kind": "v", "name": "va", "location": at("A", "soma", 0.5)},
                   {"kind": "v", "name": "vb", "location": at("B", "soma", 0.5)},
                   {"kind": "v", "name": "vdend", "location": at("A", "dend", 0.8)},
                   {"kind": "point_process", "name": "i_expsyn", "id": "syn1", "field": "i"},
                   {"kind": "point_process", "name": "g_exp2syn", "id": "syn2", "field": "g"}],
        "run": {"tstop": 40.0, "dt": 0.025, "celsius": 6.3, "v_init": -65.0, "method": method(tag)}
    }));
    let t = col(&g, "t_ms");
    let mut worst: f64 = 0.0;
    for p in ["va", "vb", "vdend", "i_expsyn", "g_exp2syn"] {
        let d = compare(&sim, p, t, col(&g, p));
        println!("network {tag}: {p} max|d| = {d:.2e}");
        worst = worst.max(d);
    }
    assert!(worst < 1e-7, "trace difference {worst:.2e}");
    let trains = sim.spikes();
    for (label, key) in [("A", "A"), ("B", "B"), ("ns", "netstim")] {
        let want: Vec<f64> = spikes[key].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
        let got = trains.iter().find(|s| s.source == label).unwrap().times;
        println!("network {tag}: spikes {label} {got:?} vs NEURON {want:?}");
        assert_eq!(got.len(), want.len(), "{label} spike count");
        assert!(max_abs_diff(got, &want) < 1e-9, "{label} spike times");
    }
}

#[test]
fn parity_network_be() {
    network("be");
}

#[test]
fn parity_network_cn() {
    network("cn");
}

fn ions(tag: &str) {
    let g = golden(&format!("ions_cadyn_{tag}.csv.gz"));
    let sim = run(json!({
        "cells": [soma20("c", json!([{"mechanism": "hh"},
                                     {"mechanism": "ca_leak", "parameters": {"gbar": 2e-4}},
                                     {"mechanism": "cadyn"}]))],
        "stimuli": [{"type": "iclamp", "location": at("c", "soma", 0.5), "delay": 5.0, "duration": 20.0, "amplitude": 0.2}],
        "probes": [{"kind": "v", "name": "v", "location": at("c", "soma", 0.5)},
                   {"kind": "ion", "name": "cai", "ion": "ca", "field": "conc_in", "location": at("c", "soma", 0.5)},
                   {"kind": "ion", "name": "eca", "ion": "ca", "field": "erev", "location": at("c", "soma", 0.5)},
                   {"kind": "ion", "name": "ica", "ion": "ca", "field": "current", "location": at("c", "soma", 0.5)}],
        "run": {"tstop": 40.0, "dt": 0.025, "celsius": 34.0, "v_init": -65.0, "method": method(tag)}
    }));
    let t = col(&g, "t_ms");
    for (p, tol) in [("v", 1e-7), ("cai", 1e-12), ("eca", 1e-8), ("ica", 1e-12)] {
        let d = compare(&sim, p, t, col(&g, p));
        println!("ions {tag}: {p} max|d| = {d:.2e}");
        assert!(d < tol, "{p}: {d:.2e}");
    }
}

#[test]
fn parity_ions_nernst_be() {
    ions("be");
}

#[test]
fn parity_ions_nernst_cn() {
    ions("cn");
}

fn rc_expsyn(tag: &str) {
    let g = golden(&format!("rc_expsyn_10uS_{tag}.csv.gz"));
    let area_cm2 = std::f64::consts::PI * 18.0 * 18.0 * 1e-8;
    let sim = run(json!({
        "cells": [{"name": "rc", "morphology": cylinder("soma", 18.0, 18.0, 1),
                   "cm": 0.01e-9 / area_cm2 * 1e6, "ra": 100.0,
                   "mechanisms": [{"mechanism": "pas", "parameters": {"g": 1.0 / (100e6 * area_cm2), "e": -65.0}}],
                   "point_processes": [{"id": "syn", "mechanism": "ExpSyn", "location": {"section": "soma"},
                                        "parameters": {"tau": 1.0, "e": 0.0}}]}],
        "artificial_cells": [{"id": "ns", "mechanism": "NetStim", "parameters": {"number": 1.0, "start": 0.0}}],
        "connections": [{"source": {"artificial_cell": "ns"}, "target": "syn", "weight": 10.0, "delay": 0.0}],
        "probes": [{"kind": "v", "name": "v", "location": at("rc", "soma", 0.5)}],
        "run": {"tstop": 1.0, "dt": 0.0025, "v_init": -65.0, "method": method(tag)}
    }));
    let d = compare(&sim, "v", col(&g, "t_ms"), col(&g, "v"));
    println!("rc-expsyn 10 µS {tag}: max|dv| = {d:.2e} mV");
    assert!(d < 1e-8);
}

#[test]
fn parity_rc_expsyn_highcurrent_be() {
    rc_expsyn("be");
}

#[test]
fn parity_rc_expsyn_highcurrent_cn() {
    rc_expsyn("cn");
}

#[test]
fn parity_stimuli_holding_step_ramp() {
    let g = golden("stimuli_pas.csv.gz");
    let loc = at("c", "soma", 0.5);
    let sim = run(json!({
        "cells": [soma20("c", json!([{"mechanism": "pas", "parameters": {"g": 5e-4, "e": -65.0}}]))],
        "stimuli": [{"type": "holding", "id": "hold", "location": loc, "amplitude": 0.05},
                    {"type": "iclamp", "id": "step", "location": loc, "delay": 3.0, "duration": 4.0, "amplitude": 0.2},
                    {"type": "waveform", "id": "ramp", "location": loc,
                     "times": [0.0, 10.0, 10.0, 15.0, 15.0, 20.0], "amplitudes": [0.0, 0.0, 0.1, 0.3, 0.0, 0.0]}],
        "probes": [{"kind": "v", "name": "v", "location": loc},
                   {"kind": "stimulus", "name": "i_hold", "id": "hold"},
                   {"kind": "stimulus", "name": "i_step", "id": "step"},
                   {"kind": "stimulus", "name": "i_ramp", "id": "ramp"}],
        "run": {"tstop": 20.0, "dt": 0.025, "v_init": -65.0}
    }));
    let t = col(&g, "t_ms");
    for p in ["v", "i_hold", "i_step", "i_ramp"] {
        let d = compare(&sim, p, t, col(&g, p));
        println!("stimuli: {p} max|d| = {d:.2e}");
        assert!(d < 1e-9, "{p}: {d:.2e}");
    }
}

/// The passive ball-and-stick of ../shared/reference/lfp (LFPy + NEURON, fast i_membrane_):
/// per-segment membrane currents of all 31 segments, soma voltage and synaptic current.
#[test]
fn parity_ball_and_stick_i_membrane() {
    let sh = shared_dir().join("reference/lfp");
    let (_, imem) = read_csv(&sh.join("sim_ball_and_stick_imem_nA.csv"));
    let meta: Value =
        serde_json::from_str(&std::fs::read_to_string(sh.join("sim_ball_and_stick_expsyn.json")).unwrap())
            .unwrap();
    let segs: Vec<(String, f64)> = meta["segments"]["secname_x"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s[0].as_str().unwrap().to_string(), s[1].as_f64().unwrap()))
        .collect();
    let mut probes: Vec<Value> = segs
        .iter()
        .enumerate()
        .map(|(k, (s, x))| json!({"kind": "i_membrane", "name": format!("seg{k}"), "location": at("bs", s, *x)}))
        .collect();
    probes.push(json!({"kind": "v", "name": "somav", "location": at("bs", "soma[0]", 0.5)}));
    probes.push(json!({"kind": "point_process", "name": "isyn", "id": "syn", "field": "i"}));
    let sim = run(json!({
        "cells": [{
            "name": "bs",
            "morphology": {"sections": [
                {"name": "soma[0]", "kind": "soma", "nseg": 1, "pts": [[0, 0, -15, 30], [0, 0, 15, 30]]},
                {"name": "dend[0]", "kind": "dend", "parent": "soma[0]", "parent_x": 0.0, "nseg": 5,
                 "pts": [[0, 0, -15, 2], [0, 0, -215, 2]]},
                {"name": "apic[0]", "kind": "apic", "parent": "soma[0]", "parent_x": 1.0, "nseg": 25,
                 "pts": [[0, 0, 15, 3], [0, 0, 1015, 3]]}
            ]},
            "cm": 1.0, "ra": 100.0,
            "mechanisms": [{"mechanism": "pas", "parameters": {"g": 0.0003, "e": -65.0}}],
            "point_processes": [{"id": "syn", "mechanism": "ExpSyn", "location": {"section": "apic[0]", "x": 0.5},
                                 "parameters": {"tau": 2.0, "e": 0.0}}]
        }],
        "spike_sources": [{"id": "in", "times": [5.0]}],
        "connections": [{"source": {"spike_source": "in"}, "target": "syn", "weight": 0.001, "delay": 0.0}],
        "probes": probes,
        "run": {"tstop": 40.0, "dt": 0.0625, "celsius": 34.0, "v_init": -65.0}
    }));
    let t = &imem[0];
    let mut peak: f64 = 0.0;
    let mut worst: f64 = 0.0;
    for k in 0..segs.len() {
        peak = imem[k + 1].iter().fold(peak, |m, x| m.max(x.abs()));
        worst = worst.max(compare(&sim, &format!("seg{k}"), t, &imem[k + 1]));
    }
    let arr = |k: &str| meta[k].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect::<Vec<f64>>();
    let dv = compare(&sim, "somav", t, &arr("somav_mV"));
    let di = compare(&sim, "isyn", t, &arr("isyn_nA"));
    // Kirchhoff: the membrane currents of an isolated cell sum to zero.
    let sums: f64 = (0..t.len())
        .map(|j| (0..segs.len()).map(|k| sim.trace(&format!("seg{k}")).unwrap().values[j]).sum::<f64>().abs())
        .fold(0.0, f64::max);
    println!("ball-and-stick: max|d imem| = {worst:.2e} nA (peak {peak:.3e}), soma v {dv:.2e} mV, isyn {di:.2e} nA, max|Σ imem| = {sums:.1e}");
    assert!(worst < 1e-9 * peak, "imem difference {worst:.2e} nA");
    assert!(dv < 1e-9 && di < 1e-12);
    assert!(sums < 1e-12 * peak.max(1.0));
}

/// The L5PC morphology of ../shared (NEURON's instantiated pt3d, 199 sections, 699 segments) with
/// hh in soma and axon and pas in the dendrites, driven at the soma: a large tree with NEURON's
/// section connections at 0.5 and 1.
#[test]
fn parity_l5pc_hh_pas() {
    let g = golden("l5pc_hh_pas.csv.gz");
    let l5: Value = serde_json::from_str(
        &std::fs::read_to_string(shared_dir().join("reference/neuron/l5pc_nrngeom_sections.json")).unwrap(),
    )
    .unwrap();
    let sections: Vec<Value> = l5
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let kind = match s["tag"].as_i64().unwrap() {
                1 => json!("soma"),
                2 => json!("axon"),
                3 => json!("dend"),
                4 => json!("apic"),
                n => json!({"other": n}),
            };
            let mut o = json!({"name": s["name"], "kind": kind, "pts": s["pts"], "length": s["L"],
                               "diam": s["diam"], "nseg": s["nseg"]});
            if !s["parent"].is_null() {
                o["parent"] = s["parent"].clone();
                o["parent_x"] = s["parent_x"].clone();
            }
            o
        })
        .collect();
    let at5 = |s: &str, x: f64| at("l5pc", &format!("l5pc[0].{s}"), x);
    let sim = run(json!({
        "cells": [{"name": "l5pc", "morphology": {"sections": sections}, "cm": 1.0, "ra": 100.0,
                   "mechanisms": [{"mechanism": "hh", "region": "somatic"}, {"mechanism": "hh", "region": "axonal"},
                                  {"mechanism": "pas", "region": "basal", "parameters": {"g": 3e-5, "e": -70.0}},
                                  {"mechanism": "pas", "region": "apical", "parameters": {"g": 3e-5, "e": -70.0}}]}],
        "stimuli": [{"type": "iclamp", "location": at5("soma[0]", 0.5), "delay": 5.0, "duration": 20.0, "amplitude": 2.0}],
        "probes": [{"kind": "v", "name": "soma", "location": at5("soma[0]", 0.5)},
                   {"kind": "v", "name": "axon1_end", "location": at5("axon[1]", 1.0)},
                   {"kind": "v", "name": "dend10", "location": at5("dend[10]", 0.5)},
                   {"kind": "v", "name": "apic30", "location": at5("apic[30]", 0.5)}],
        "run": {"tstop": 30.0, "dt": 0.025, "celsius": 6.3, "v_init": -65.0}
    }));
    let comps: u32 = sim.layout().cells[0].sections.iter().map(|s| s.nseg).sum();
    assert_eq!(comps, 699);
    let t = col(&g, "t_ms");
    for p in ["soma", "axon1_end", "dend10", "apic30"] {
        let d = compare(&sim, p, t, col(&g, p));
        println!("l5pc hh/pas: {p} max|dv| = {d:.2e} mV");
        assert!(d < 1e-7, "{p}: {d:.2e}");
    }
    assert!(col(&g, "soma").iter().any(|&v| v > 0.0), "the reference spikes");
}
