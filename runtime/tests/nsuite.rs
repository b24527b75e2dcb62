//! NSuite validation models (github:arbor-sim/nsuite, see ../shared/spec/NSUITE.md) at NSuite's
//! thresholds, each against a reference computed here: the analytic steady state of a tapered
//! cable (modified Bessel functions), and accurate ODE solutions (classical Runge–Kutta with a
//! step 25–250× smaller than the simulation's) of RC compartments driven by synapses.
//! (Rallpack 1 is in `rallpack1.rs`.)

mod support;
use serde_json::json;
use support::*;

// ---------------------------------------------------------------------------------------------
// cable-steadystate

/// Modified Bessel function of the first kind I_n(z) for integer n:
/// (1/π)∫₀^π e^{z cos θ} cos(nθ) dθ by the trapezoidal rule (spectrally accurate for this
/// periodic integrand).
fn bessel_i(n: i32, z: f64) -> f64 {
    let m = 2000;
    let h = std::f64::consts::PI / m as f64;
    let f = |th: f64| (z * th.cos()).exp() * (n as f64 * th).cos();
    let mut s = 0.5 * (f(0.0) + f(std::f64::consts::PI));
    for k in 1..m {
        s += f(k as f64 * h);
    }
    s * h / std::f64::consts::PI
}

/// Modified Bessel function of the second kind K_n(z) = ∫₀^∞ e^{−z cosh t} cosh(nt) dt
/// (trapezoidal rule on the doubly exponentially decaying integrand).
fn bessel_k(n: i32, z: f64) -> f64 {
    let h = 1e-3;
    let f = |t: f64| (-z * t.cosh()).exp() * (n as f64 * t).cosh();
    let mut s = 0.5 * f(0.0);
    let mut k = 1;
    loop {
        let x = f(k as f64 * h);
        s += x;
        if x < 1e-30 {
            break;
        }
        k += 1;
    }
    s * h
}

#[test]
fn bessel_functions_match_tabulated_values() {
    // Abramowitz & Stegun table 9.8 / 9.9 (scaled values converted): I1(1) = 0.565159104,
    // I2(1) = 0.135747670, K1(1) = 0.601907230, K2(1) = 1.624838899.
    assert!((bessel_i(1, 1.0) - 0.5651591040).abs() < 1e-9);
    assert!((bessel_i(2, 1.0) - 0.1357476698).abs() < 1e-9);
    assert!((bessel_k(1, 1.0) - 0.6019072302).abs() < 1e-9);
    assert!((bessel_k(2, 1.0) - 1.6248388986).abs() < 1e-9);
}

/// Steady-state potential (mV) of a sealed-end frustum cable with current `i_na` injected at the
/// wide end. Radius a(x) = a0 + k x; with c = 2 Ra/(Rm k²) the cable equation becomes
/// a V'' + 2V' − cV = 0 (in a), solved by V = a^{-1/2}[A I1(z) + B K1(z)], z = 2√(ca);
/// dV/da = √c/a·[A I2(z) − B K2(z)]. Sealed end at x = 0; (πa²/Ra)·dV/dx = I at x = L.
fn tapered_steady_state(
    x_um: f64,
    l_um: f64,
    d0_um: f64,
    d1_um: f64,
    ra_ohm_cm: f64,
    rm_ohm_cm2: f64,
    i_na: f64,
) -> f64 {
    let (l, a0, a1) = (l_um * 1e-6, 0.5 * d0_um * 1e-6, 0.5 * d1_um * 1e-6);
    let (ra, rm, i) = (ra_ohm_cm * 1e-2, rm_ohm_cm2 * 1e-4, i_na * 1e-9);
    let k = (a1 - a0) / l;
    let c = 2.0 * ra / (rm * k * k);
    let z = |a: f64| 2.0 * (c * a).sqrt();
    let (z0, z1) = (z(a0), z(a1));
    let b_over_a = bessel_i(2, z0) / bessel_k(2, z0);
    let a_coef =
        i * ra / (std::f64::consts::PI * a1 * k * c.sqrt()) / (bessel_i(2, z1) - b_over_a * bessel_k(2, z1));
    let a = a0 + k * x_um * 1e-6;
    1e3 * a.powf(-0.5) * a_coef * (bessel_i(1, z(a)) + b_over_a * bessel_k(1, z(a)))
}

#[test]
fn nsuite_cable_steadystate() {
    let (l, d0, d1, n) = (1000.0, 1.0, 1.7, 1000);
    let mut sim = build(json!({
        "cells": [{
            "name": "cable",
            "morphology": {"sections": [{"name": "cable", "kind": "dend", "nseg": n,
                                         "pts": [[0.0, 0.0, 0.0, d0], [l, 0.0, 0.0, d1]]}]},
            "cm": 1.0, "ra": 100.0,
            "mechanisms": [{"mechanism": "pas", "parameters": {"g": 2.5e-5, "e": 0.0}}]
        }],
        "stimuli": [{"type": "iclamp", "location": {"cell": "cable", "section": "cable", "x": 1.0},
                     "delay": 0.0, "duration": 1e9, "amplitude": 0.1}],
        "run": {"tstop": 800.0, "dt": 0.05, "v_init": 0.0}
    }));
    sim.run().unwrap();
    let v = sim.voltages();
    let mut max_err: f64 = 0.0;
    let mut max_ref: f64 = 0.0;
    for j in 0..n {
        let x = (j as f64 + 0.5) / n as f64;
        let node = sim.node("cable", "cable", x).unwrap() as usize;
        let want = tapered_steady_state(x * l, l, d0, d1, 100.0, 40000.0, 0.1);
        max_err = max_err.max((v[node] - want).abs());
        max_ref = max_ref.max(want.abs());
    }
    let rel = max_err / max_ref;
    println!(
        "cable-steadystate: max|dv| = {max_err:.3e} mV, max|v_ref| = {max_ref:.3} mV, relerr = {rel:.3e}"
    );
    assert!(max_ref > 1.0, "reference looks wrong: {max_ref}");
    assert!(rel < 1e-3, "relative error {rel:.3e}");
}

// ---------------------------------------------------------------------------------------------
// rc-expsyn and rc-exp2syn-spike: a single compartment with total Rm = 100 MΩ, Cm = 0.01 nF.

/// d = L = 18 µm soma with g_pas and cm giving Rm_total = 100 MΩ and Cm_total = 0.01 nF.
fn rc_cell(name: &str, synapse: serde_json::Value) -> serde_json::Value {
    let area_cm2 = std::f64::consts::PI * 18.0 * 18.0 * 1e-8;
    let g = 1.0 / (100e6 * area_cm2);
    let cm = 0.01e-9 / area_cm2 * 1e6;
    json!({
        "name": name,
        "morphology": cylinder("soma", 18.0, 18.0, 1),
        "cm": cm, "ra": 100.0,
        "mechanisms": [{"mechanism": "pas", "parameters": {"g": g, "e": -65.0}}],
        "point_processes": [synapse],
        "spike_detector": {"threshold": -10.0}
    })
}

/// Classical RK4 for dv/dt = f(t, v) from v(0) = v0 with step h; samples every `every` steps.
fn rk4(f: impl Fn(f64, f64) -> f64, v0: f64, h: f64, steps: usize, every: usize) -> Vec<f64> {
    let mut out = vec![v0];
    let mut v = v0;
    for k in 0..steps {
        let t = k as f64 * h;
        let k1 = f(t, v);
        let k2 = f(t + h / 2.0, v + h / 2.0 * k1);
        let k3 = f(t + h / 2.0, v + h / 2.0 * k2);
        let k4 = f(t + h, v + h * k3);
        v += h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
        if (k + 1) % every == 0 {
            out.push(v);
        }
    }
    out
}

/// Relative error of rc-expsyn from sample `skip` on.
fn rc_expsyn(g0: f64, method: &str, skip: usize) -> f64 {
    let sim = run(json!({
        "cells": [rc_cell("rc", json!({"id": "syn", "mechanism": "ExpSyn", "location": {"section": "soma"},
                                        "parameters": {"tau": 1.0, "e": 0.0}}))],
        "spike_sources": [{"id": "stim", "times": [0.0]}],
        "connections": [{"source": {"spike_source": "stim"}, "target": "syn", "weight": g0, "delay": 0.0}],
        "probes": [{"kind": "v", "name": "v", "location": {"cell": "rc", "section": "soma"}}],
        "run": {"tstop": 10.0, "dt": 0.0025, "v_init": -65.0, "method": method}
    }));
    let v = values(&sim, "v");
    // C dv/dt = −(v − E)/R − g0 e^{−t/τ} v with C = 0.01 nF, R = 100 MΩ, τ = 1 ms (nA, mV, µS).
    let f = |t: f64, v: f64| (-(v + 65.0) / 100.0 - g0 * (-t).exp() * v) / 0.01;
    let reference = rk4(f, -65.0, 0.0001, 100_000, 25);
    assert_eq!(reference.len(), v.len());
    let err = max_abs_diff(&v[skip..], &reference[skip..]);
    let vmax = reference.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let rel = err / vmax;
    println!("rc-expsyn g0 = {g0} µS, {method}: max|dv| = {err:.3e} mV, relerr = {rel:.3e}");
    rel
}

#[test]
fn nsuite_rc_expsyn() {
    // NSuite runs NEURON with Crank–Nicolson by default; backward Euler (`neuron:firstorder`)
    // passes the default parameter set too.
    for method in ["crank_nicolson", "backward_euler"] {
        let rel = rc_expsyn(0.1, method, 0);
        assert!(rel < 0.01, "{method}: relative error {rel:.3e}");
    }
}

#[test]
fn nsuite_rc_expsyn_highcurrent() {
    // With g0 = 10 µS the onset time constant is C/g0 = 1 µs, below dt = 2.5 µs: no fixed-step
    // method resolves the first steps (NEURON 9.0.2 gives the same trace, see
    // `parity_goldens.rs`), and NSuite's `.lb` criterion discounts them through the reference's
    // interpolation error. Here the criterion is applied from t = 0.05 ms (20 steps) on.
    for method in ["crank_nicolson", "backward_euler"] {
        let rel = rc_expsyn(10.0, method, 20);
        assert!(rel < 0.01, "{method}: relative error after the onset {rel:.3e}");
    }
}

#[test]
fn nsuite_rc_exp2syn_spike() {
    // NSuite's NEURON runs use Crank–Nicolson (`secondorder = 2`) unless tagged `firstorder`.
    let worst = rc_exp2syn_spike("crank_nicolson");
    assert!(worst < 0.05, "max spike time error {worst} ms");
}

fn rc_exp2syn_spike(method: &str) -> f64 {
    let (g0, mindelay, ncell, tau1, tau2): (f64, f64, usize, f64, f64) = (0.1, 3.3, 101, 0.5, 4.0);
    let phi = (5f64.sqrt() - 1.0) / 2.0;
    let delay = |k: usize| mindelay + (k as f64 * phi).fract();
    let syn = json!({"id": "syn", "mechanism": "Exp2Syn", "location": {"section": "soma"},
                     "parameters": {"tau1": tau1, "tau2": tau2, "e": 0.0}});
    let mut cells = Vec::new();
    for k in 0..ncell {
        let mut s = syn.clone();
        s["id"] = json!(format!("syn{k}"));
        cells.push(rc_cell(&format!("c{k}"), s));
    }
    let mut conns =
        vec![json!({"source": {"spike_source": "stim"}, "target": "syn0", "weight": g0, "delay": 0.0})];
    for k in 1..ncell {
        conns.push(
            json!({"source": {"cell": "c0"}, "target": format!("syn{k}"), "weight": g0, "delay": delay(k)}),
        );
    }
    let sim = run(json!({
        "cells": cells,
        "spike_sources": [{"id": "stim", "times": [0.0]}],
        "connections": conns,
        "run": {"tstop": 15.0, "dt": 0.01, "v_init": -65.0, "method": method}
    }));
    // Reference threshold crossing of cell 0 from an accurate solution.
    let tp = (tau1 * tau2) / (tau2 - tau1) * (tau2 / tau1).ln();
    let factor = 1.0 / ((-tp / tau2).exp() - (-tp / tau1).exp());
    let g = |t: f64| g0 * factor * ((-t / tau2).exp() - (-t / tau1).exp());
    let f = |t: f64, v: f64| (-(v + 65.0) / 100.0 - g(t) * v) / 0.01;
    let h = 1e-5;
    let vs = rk4(f, -65.0, h, 1_000_000, 1);
    let k = vs.iter().position(|&v| v >= -10.0).expect("cell 0 reaches threshold");
    let t_cross = (k - 1) as f64 * h + (-10.0 - vs[k - 1]) / (vs[k] - vs[k - 1]) * h;
    let spikes = sim.spikes();
    let mut worst: f64 = 0.0;
    for k in 0..ncell {
        let train = spikes.iter().find(|s| s.source == format!("c{k}")).unwrap();
        assert!(!train.times.is_empty(), "cell {k} did not spike");
        let want = if k == 0 { t_cross } else { 2.0 * t_cross + delay(k) };
        let err = (train.times[0] - want).abs();
        worst = worst.max(err);
    }
    println!("rc-exp2syn-spike {method}: threshold crossing T = {t_cross:.5} ms, max spike time error = {worst:.4} ms");
    worst
}
