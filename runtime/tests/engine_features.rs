//! Features of the simulation description checked against closed-form expectations: parameter
//! expressions of the distance from the soma, regions, nseg policies, record_dt, per-cell v_init,
//! seeded noise currents, NetStim with noise, and runs without cable cells.

mod support;
use serde_json::json;
use support::*;

fn three_sections() -> serde_json::Value {
    json!({"sections": [
        {"name": "soma", "kind": "soma", "length": 20.0, "diam": 20.0, "nseg": 1},
        {"name": "dend", "kind": "dend", "parent": "soma", "parent_x": 0.0, "nseg": 4,
         "pts": [[0, 0, 0, 2.0], [0, -100, 0, 1.0]]},
        {"name": "apic", "kind": "apic", "parent": "soma", "parent_x": 1.0, "nseg": 5, "length": 300.0, "diam": 2.0},
        {"name": "tuft", "kind": "apic", "parent": "apic", "parent_x": 0.5, "nseg": 2, "length": 50.0, "diam": 1.0}
    ]})
}

#[test]
fn distance_expressions_and_regions() {
    let loc = |s: &str, x: f64| json!({"cell": "c", "section": s, "x": x});
    let probe = |name: &str, s: &str, x: f64| json!({"kind": "mechanism", "name": name, "mechanism": "pas", "field": "g", "location": loc(s, x)});
    let sim = run(json!({
        "cells": [{"name": "c", "morphology": three_sections(), "ra": 100.0,
                   "mechanisms": [
                       {"mechanism": "pas", "parameters": {"g": 1e-4}},
                       {"mechanism": "pas", "region": "apical", "parameters": {"g": "1e-4 * (1 + {distance}/100)"}},
                       {"mechanism": "pas", "region": {"sections": ["dend"]}, "parameters": {"g": "2e-4 * x"}}
                   ]}],
        "probes": [probe("soma", "soma", 0.5), probe("apic", "apic", 0.5), probe("tuft", "tuft", 0.9),
                   probe("dend", "dend", 0.3)],
        "run": {"tstop": 0.0}
    }));
    let g = |n: &str| values(&sim, n)[0];
    assert_eq!(g("soma"), 1e-4);
    // apic(0.5) centre of segment 3 of 5 (x = 0.5): distance 10 + 150 µm.
    assert!((g("apic") - 1e-4 * (1.0 + 160.0 / 100.0)).abs() < 1e-18);
    // tuft(0.9): segment 2 of 2 (x = 0.75): distance 10 + 150 + 37.5.
    assert!((g("tuft") - 1e-4 * (1.0 + 197.5 / 100.0)).abs() < 1e-18);
    // dend(0.3) lies in segment 2 of 4 (centre x = 0.375).
    assert!((g("dend") - 2e-4 * 0.375).abs() < 1e-18);
}

#[test]
fn nseg_policies() {
    let build_with = |policy: serde_json::Value| {
        build(
            json!({"cells": [{"name": "c", "morphology": three_sections(), "ra": 100.0, "cm": 1.0, "nseg": policy}],
                     "run": {"tstop": 1.0}}),
        )
    };
    let nseg = |s: &myelin_runtime::Simulation| {
        s.layout().cells[0].sections.iter().map(|x| x.nseg).collect::<Vec<u32>>()
    };
    assert_eq!(nseg(&build_with(json!("given"))), vec![1, 4, 5, 2]);
    assert_eq!(nseg(&build_with(json!({"fixed": 3}))), vec![3, 3, 3, 3]);
    assert_eq!(nseg(&build_with(json!("per40um"))), vec![1, 5, 15, 3]);
    // d_lambda at 100 Hz, 0.1: soma λ = 1e5·sqrt(20/(4π·100·100·1)) = 1261.6 µm → 1;
    // apic (d = 2) λ = 398.9 µm → L/(0.1λ) = 7.52 → 9; tuft (d = 1) λ = 282.1 → 1.77 → 3.
    let d = nseg(&build_with(json!({"d_lambda": {"frequency": 100.0, "d_lambda": 0.1}})));
    assert_eq!((d[0], d[2], d[3]), (1, 9, 3));
}

#[test]
fn record_dt_and_per_cell_v_init() {
    let cell = |name: &str, v0: f64| {
        json!({"name": name, "morphology": cylinder("soma", 10.0, 10.0, 1), "v_init": v0,
               "mechanisms": [{"mechanism": "pas", "parameters": {"e": v0}}]})
    };
    let sim = run(json!({
        "cells": [cell("a", -70.0), cell("b", -50.0)],
        "probes": [{"kind": "v", "name": "a", "location": {"cell": "a", "section": "soma"}},
                   {"kind": "v", "name": "b", "location": {"cell": "b", "section": "soma"}}],
        "run": {"tstop": 1.0, "dt": 0.025, "record_dt": 0.1}
    }));
    assert_eq!(sim.sample_times().len(), 11);
    assert!((sim.sample_times()[10] - 1.0).abs() < 1e-12);
    // At rest at their own reversal potentials the cells stay where they started.
    assert!(values(&sim, "a").iter().all(|v| (v + 70.0).abs() < 1e-9));
    assert!(values(&sim, "b").iter().all(|v| (v + 50.0).abs() < 1e-9));
}

#[test]
fn noise_current_is_seeded_and_has_its_statistics() {
    let spec = |seed: u64| {
        json!({
            "cells": [{"name": "c", "morphology": cylinder("soma", 10.0, 10.0, 1), "mechanisms": [{"mechanism": "pas"}]}],
            "stimuli": [{"type": "noise", "id": "n", "location": {"cell": "c", "section": "soma"},
                         "delay": 0.0, "duration": 1e9, "mean": 0.1, "std": 0.05, "seed": seed}],
            "probes": [{"kind": "stimulus", "name": "i", "id": "n"},
                       {"kind": "v", "name": "v", "location": {"cell": "c", "section": "soma"}}],
            "run": {"tstop": 500.0, "dt": 0.025}
        })
    };
    let a = run(spec(7));
    let b = run(spec(7));
    let c = run(spec(8));
    assert_eq!(values(&a, "v"), values(&b, "v"));
    assert_ne!(values(&a, "i"), values(&c, "i"));
    let i = &values(&a, "i")[1..];
    let n = i.len() as f64;
    let mean = i.iter().sum::<f64>() / n;
    let sd = (i.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n).sqrt();
    // 20000 samples: standard errors 3.5e-4 (mean) and 2.5e-4 (sd).
    assert!((mean - 0.1).abs() < 2e-3, "mean {mean}");
    assert!((sd - 0.05).abs() < 2e-3, "sd {sd}");
}

#[test]
fn netstim_with_noise_has_exponential_intervals_without_any_cable_cell() {
    let sim = run(json!({
        "artificial_cells": [{"id": "ns", "mechanism": "NetStim",
                              "parameters": {"start": 0.0, "interval": 5.0, "number": 4000.0, "noise": 1.0}}],
        "run": {"tstop": 20000.0, "dt": 0.025, "seed": 3}
    }));
    let spikes = sim.spikes();
    let t = spikes.iter().find(|s| s.source == "ns").unwrap().times;
    assert!(t.len() > 3000, "{} spikes", t.len());
    let iv: Vec<f64> = t.windows(2).map(|w| w[1] - w[0]).collect();
    let n = iv.len() as f64;
    let mean = iv.iter().sum::<f64>() / n;
    let sd = (iv.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n).sqrt();
    // Exponential intervals: mean = sd = 5 ms (standard error ≈ 0.09 ms).
    assert!((mean - 5.0).abs() < 0.35, "mean interval {mean}");
    assert!((sd - 5.0).abs() < 0.5, "sd {sd}");
}

#[test]
fn crank_nicolson_and_backward_euler_converge_to_the_same_rc_response() {
    // RC soma with a step current: v(t) = E + I R (1 − e^{−t/τ}) after the onset.
    let spec = |method: &str, dt: f64| {
        json!({
            "cells": [{"name": "c", "morphology": cylinder("soma", 10.0, 10.0, 1), "cm": 1.0,
                       "mechanisms": [{"mechanism": "pas", "parameters": {"g": 1e-3, "e": -65.0}}]}],
            "stimuli": [{"type": "iclamp", "location": {"cell": "c", "section": "soma"}, "delay": 0.0, "duration": 100.0, "amplitude": 0.01}],
            "probes": [{"kind": "v", "name": "v", "location": {"cell": "c", "section": "soma"}}],
            "run": {"tstop": 5.0, "dt": dt, "method": method}
        })
    };
    let area_cm2 = std::f64::consts::PI * 100.0 * 1e-8;
    let r_mohm = 1.0 / (1e-3 * area_cm2) * 1e-6;
    let exact = |t: f64| -65.0 + 0.01 * r_mohm * (1.0 - (-t / 1.0).exp());
    let err = |method: &str, dt: f64| {
        let s = run(spec(method, dt));
        s.sample_times().iter().zip(values(&s, "v")).map(|(t, v)| (v - exact(*t)).abs()).fold(0.0, f64::max)
    };
    let (be1, be2) = (err("backward_euler", 0.02), err("backward_euler", 0.01));
    let (cn1, cn2) = (err("crank_nicolson", 0.02), err("crank_nicolson", 0.01));
    // First order: halving dt halves the error; second order: quarters it.
    assert!((be1 / be2 - 2.0).abs() < 0.2, "BE ratio {}", be1 / be2);
    assert!((cn1 / cn2 - 4.0).abs() < 0.6, "CN ratio {}", cn1 / cn2);
    assert!(cn2 < be2 / 10.0);
}

#[test]
fn mechanism_globals_are_applied() {
    // hh with its rate TABLE (NEURON's default) and with exact rates (`usetable = 0`).
    let spec = |usetable: f64| {
        json!({
            "cells": [{"name": "c", "morphology": cylinder("soma", 18.8, 18.8, 1), "ra": 123.0,
                       "mechanisms": [{"mechanism": "hh"}]}],
            "stimuli": [{"type": "iclamp", "location": {"cell": "c", "section": "soma"}, "delay": 1.0, "duration": 20.0, "amplitude": 0.2}],
            "probes": [{"kind": "v", "name": "v", "location": {"cell": "c", "section": "soma"}}],
            "globals": {"hh": {"usetable": usetable}},
            "run": {"tstop": 20.0}
        })
    };
    let (a, b) = (values(&run(spec(1.0)), "v"), values(&run(spec(0.0)), "v"));
    let d = max_abs_diff(&a, &b);
    // The table's linear interpolation on a 1 mV grid changes the trace slightly.
    assert!(d > 1e-6 && d < 2.0, "max |dv| between table and exact rates: {d}");
}

/// A numerical breakdown stops the run at the step where it happened, not at tstop: a current of
/// 1e300 nA from 5 ms in the tuft, against an absurd leak, overflows the double range within a few
/// steps of the pulse's start; the root node of the cell sees it in the same step.
#[test]
fn a_breakdown_stops_the_run_where_it_happens() {
    let loc = |s: &str| json!({"cell": "c", "section": s, "x": 0.5});
    let mut sim = build(json!({
        "cells": [{"name": "c", "morphology": three_sections(), "ra": 100.0,
                   "mechanisms": [{"mechanism": "pas", "parameters": {"g": 1e8}}]}],
        "stimuli": [{"type": "iclamp", "location": loc("tuft"), "delay": 5.0, "duration": 10.0, "amplitude": 1e300}],
        "run": {"tstop": 50.0, "dt": 0.025}
    }));
    let e = sim.run().expect_err("the potential overflows");
    assert!(e.message.contains("not finite"), "{}", e.message);
    assert!((5.0..=5.25).contains(&e.t), "stopped at t = {} ms, the pulse starts at 5 ms", e.t);
}
