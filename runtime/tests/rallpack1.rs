//! Rallpack 1 (uniform passive cable, sealed ends): L = 1 mm, diam 1 µm, Ra 100 Ω·cm,
//! cm 1 µF/cm², g_pas 2.5e-5 S/cm², e_pas −65 mV, 0.1 nA at x = 0 from t = 0, nseg 1000.
//!
//! - `nsuite_rallpack1_*`: NSuite's criterion against the analytic series
//!   (`rallpack1_analytic.csv`): relative RMS error rms(v − v_ref)/max|v_ref| < 1e-3 at both ends.
//! - `parity_rallpack1_*`: NEURON 9.0.2's own traces (`rallpack1_neuron_{be,cn}.csv`, dt 0.025):
//!   max |Δv| ≤ 1e-6 mV at both ends.

mod support;
use serde_json::json;
use support::*;

fn simulate(dt: f64, method: &str) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let loc = |x: f64| json!({"cell": "cable", "section": "cable", "x": x});
    let sim = run(json!({
        "cells": [{
            "name": "cable",
            "morphology": cylinder("cable", 1000.0, 1.0, 1000),
            "cm": 1.0, "ra": 100.0,
            "mechanisms": [{"mechanism": "pas", "parameters": {"g": 2.5e-5, "e": -65.0}}]
        }],
        "stimuli": [{"type": "iclamp", "location": loc(0.0), "delay": 0.0, "duration": 1e9, "amplitude": 0.1}],
        "probes": [{"kind": "v", "name": "x0", "location": loc(0.0)},
                   {"kind": "v", "name": "x1", "location": loc(1.0)}],
        "run": {"tstop": 250.0, "dt": dt, "v_init": -65.0, "method": method}
    }));
    (sim.sample_times().to_vec(), values(&sim, "x0"), values(&sim, "x1"))
}

/// NSuite's relative RMS error at the reference's sample times (the simulation's samples must
/// include them).
fn rel_rms(t: &[f64], v: &[f64], t_ref: &[f64], v_ref: &[f64]) -> f64 {
    let stride = ((t_ref[1] - t_ref[0]) / (t[1] - t[0])).round() as usize;
    let mut s2 = 0.0;
    let mut vmax: f64 = 0.0;
    for (k, (&tr, &vr)) in t_ref.iter().zip(v_ref).enumerate() {
        let j = k * stride;
        assert!((t[j] - tr).abs() < 1e-6, "time {} vs {tr}", t[j]);
        s2 += (v[j] - vr) * (v[j] - vr);
        vmax = vmax.max(vr.abs());
    }
    (s2 / t_ref.len() as f64).sqrt() / vmax
}

fn nsuite(dt: f64, method: &str) {
    let (_, r) = read_csv(&shared_dir().join("reference/neuron/rallpack1_analytic.csv"));
    let (t, v0, v1) = simulate(dt, method);
    // At dt = 0.05 the simulation samples every other reference row.
    let step = ((dt / (r[0][1] - r[0][0])).round() as usize).max(1);
    let pick = |c: &Vec<f64>| c.iter().step_by(step).copied().collect::<Vec<f64>>();
    let (tr, r0, r1) = (pick(&r[0]), pick(&r[1]), pick(&r[2]));
    let e0 = rel_rms(&t, &v0, &tr, &r0);
    let e1 = rel_rms(&t, &v1, &tr, &r1);
    println!("rallpack1 dt {dt} {method}: relerr.rms x0 = {e0:.3e}, x1 = {e1:.3e}");
    assert!(e0 < 1e-3 && e1 < 1e-3, "relative RMS errors {e0:.3e} {e1:.3e}");
}

#[test]
fn nsuite_rallpack1_be_dt0025() {
    nsuite(0.025, "backward_euler");
}

#[test]
fn nsuite_rallpack1_be_dt005() {
    // NSuite's default parameter set: dt = 0.05 ms, n = 1000.
    nsuite(0.05, "backward_euler");
}

#[test]
fn nsuite_rallpack1_cn_dt0025() {
    nsuite(0.025, "crank_nicolson");
}

fn parity(method: &str, file: &str) {
    let (_, r) = read_csv(&shared_dir().join(format!("reference/neuron/{file}")));
    let (t, v0, v1) = simulate(0.025, method);
    assert_eq!(t.len(), r[0].len());
    let d0 = max_abs_diff(&v0, &r[1]);
    let d1 = max_abs_diff(&v1, &r[2]);
    println!("rallpack1 vs NEURON {method}: max|dv| x0 = {d0:.3e} mV, x1 = {d1:.3e} mV");
    assert!(d0 <= 1e-6 && d1 <= 1e-6, "max |dv| {d0:.3e} {d1:.3e} mV");
}

#[test]
fn parity_rallpack1_be() {
    parity("backward_euler", "rallpack1_neuron_be.csv");
}

#[test]
fn parity_rallpack1_cn() {
    parity("crank_nicolson", "rallpack1_neuron_cn.csv");
}
