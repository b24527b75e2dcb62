//! NEURON's `ExpSyn` and `Exp2Syn` conductance synapses.
//!
//! ExpSyn: `g' = −g/tau`, `i = g·(v − e)` (nA), each event adds its weight (µS) to g.
//! Fields: tau (0.1 ms), e (0 mV); i; g (state).
//!
//! Exp2Syn: `A' = −A/tau1`, `B' = −B/tau2`, `g = B − A`, `i = g·(v − e)`; each event adds
//! `weight·factor` to A and B, with `factor` normalising the peak of g to the weight.
//! Fields: tau1 (0.1 ms), tau2 (10 ms), e (0 mV); i, g, factor; A, B (states).

use super::util::{field, hoc_exp, Args};
use crate::abi::{FieldRole::*, KernelArgs, Kernels, MechanismKind, MechanismMeta};

/// Adds a point-process current `i(v)` (nA) with its finite-difference conductance.
fn add_point(a: &Args, nd: usize, i1: f64, i0: f64) {
    let mut g = (i1 - i0) / 0.001;
    let mfac = 1.0e2 / a.area(nd);
    g *= mfac;
    let rhs = i0 * mfac;
    a.add(nd, rhs, g);
}

mod exp {
    pub const TAU: usize = 0;
    pub const E: usize = 1;
    pub const I: usize = 2;
    pub const G: usize = 3;
}

unsafe extern "C" fn expsyn_init(p: *const KernelArgs) {
    // SAFETY: valid block from the engine.
    let a = unsafe { Args::new(p) };
    for i in 0..a.count() {
        a.set(exp::G, i, 0.0);
    }
}

unsafe extern "C" fn expsyn_cur(p: *const KernelArgs) {
    // SAFETY: valid block from the engine.
    let a = unsafe { Args::new(p) };
    for i in 0..a.count() {
        let nd = a.node(i);
        let v = a.v(nd);
        let (g, e) = (a.get(exp::G, i), a.get(exp::E, i));
        let i1 = g * ((v + 0.001) - e);
        let i0 = g * (v - e);
        a.set(exp::I, i, i0);
        add_point(&a, nd, i1, i0);
    }
}

unsafe extern "C" fn expsyn_state(p: *const KernelArgs) {
    // SAFETY: valid block from the engine.
    let a = unsafe { Args::new(p) };
    let dt = a.a.dt;
    for i in 0..a.count() {
        let g = a.get(exp::G, i);
        let tau = a.get(exp::TAU, i);
        a.set(exp::G, i, g + (1.0 - hoc_exp(dt * ((-1.0) / tau))) * (-g));
    }
}

unsafe extern "C" fn expsyn_receive(p: *const KernelArgs, instance: u64, w: *mut f64, _flag: f64) {
    // SAFETY: valid block and weight vector from the engine.
    let a = unsafe { Args::new(p) };
    let i = instance as usize;
    let weight = unsafe { *w };
    a.set(exp::G, i, a.get(exp::G, i) + weight);
}

/// Metadata and kernels of `ExpSyn`.
pub fn expsyn() -> (MechanismMeta, Kernels) {
    let meta = MechanismMeta {
        name: "ExpSyn".into(),
        kind: MechanismKind::Point,
        fields: vec![
            field("tau", Parameter, 0.1, "ms"),
            field("e", Parameter, 0.0, "mV"),
            field("i", Assigned, 0.0, "nA"),
            field("g", State, 0.0, "uS"),
        ],
        globals: vec![],
        ions: vec![],
        net_receive_args: 1,
        writes_current: true,
        electrode_current: false,
        fingerprint: "testing:ExpSyn".into(),
        parallel_safe: false,
    };
    let k = Kernels {
        init: Some(expsyn_init),
        compute_currents: Some(expsyn_cur),
        advance_state: Some(expsyn_state),
        net_receive: Some(expsyn_receive),
        ..Kernels::default()
    };
    (meta, k)
}

mod exp2 {
    pub const TAU1: usize = 0;
    pub const TAU2: usize = 1;
    pub const E: usize = 2;
    pub const I: usize = 3;
    pub const G: usize = 4;
    pub const FACTOR: usize = 5;
    pub const A: usize = 6;
    pub const B: usize = 7;
}

unsafe extern "C" fn exp2syn_init(p: *const KernelArgs) {
    // SAFETY: valid block from the engine.
    let a = unsafe { Args::new(p) };
    for i in 0..a.count() {
        let mut tau1 = a.get(exp2::TAU1, i);
        let tau2 = a.get(exp2::TAU2, i);
        if tau1 / tau2 > 0.9999 {
            tau1 = 0.9999 * tau2;
        }
        if tau1 / tau2 < 1e-9 {
            tau1 = tau2 * 1e-9;
        }
        a.set(exp2::TAU1, i, tau1);
        a.set(exp2::A, i, 0.0);
        a.set(exp2::B, i, 0.0);
        let tp = (tau1 * tau2) / (tau2 - tau1) * (tau2 / tau1).ln();
        let mut factor = -hoc_exp(-tp / tau1) + hoc_exp(-tp / tau2);
        factor = 1.0 / factor;
        a.set(exp2::FACTOR, i, factor);
    }
}

unsafe extern "C" fn exp2syn_cur(p: *const KernelArgs) {
    // SAFETY: valid block from the engine.
    let a = unsafe { Args::new(p) };
    for i in 0..a.count() {
        let nd = a.node(i);
        let v = a.v(nd);
        let g = a.get(exp2::B, i) - a.get(exp2::A, i);
        let e = a.get(exp2::E, i);
        let i1 = g * ((v + 0.001) - e);
        let i0 = g * (v - e);
        a.set(exp2::G, i, g);
        a.set(exp2::I, i, i0);
        add_point(&a, nd, i1, i0);
    }
}

unsafe extern "C" fn exp2syn_state(p: *const KernelArgs) {
    // SAFETY: valid block from the engine.
    let a = unsafe { Args::new(p) };
    let dt = a.a.dt;
    for i in 0..a.count() {
        let (x, t1) = (a.get(exp2::A, i), a.get(exp2::TAU1, i));
        a.set(exp2::A, i, x + (1.0 - hoc_exp(dt * ((-1.0) / t1))) * (-x));
        let (y, t2) = (a.get(exp2::B, i), a.get(exp2::TAU2, i));
        a.set(exp2::B, i, y + (1.0 - hoc_exp(dt * ((-1.0) / t2))) * (-y));
    }
}

unsafe extern "C" fn exp2syn_receive(p: *const KernelArgs, instance: u64, w: *mut f64, _flag: f64) {
    // SAFETY: valid block and weight vector from the engine.
    let a = unsafe { Args::new(p) };
    let i = instance as usize;
    let weight = unsafe { *w };
    let f = a.get(exp2::FACTOR, i);
    a.set(exp2::A, i, a.get(exp2::A, i) + weight * f);
    a.set(exp2::B, i, a.get(exp2::B, i) + weight * f);
}

/// Metadata and kernels of `Exp2Syn`.
pub fn exp2syn() -> (MechanismMeta, Kernels) {
    let meta = MechanismMeta {
        name: "Exp2Syn".into(),
        kind: MechanismKind::Point,
        fields: vec![
            field("tau1", Parameter, 0.1, "ms"),
            field("tau2", Parameter, 10.0, "ms"),
            field("e", Parameter, 0.0, "mV"),
            field("i", Assigned, 0.0, "nA"),
            field("g", Assigned, 0.0, "uS"),
            field("factor", Assigned, 0.0, ""),
            field("A", State, 0.0, "uS"),
            field("B", State, 0.0, "uS"),
        ],
        globals: vec![],
        ions: vec![],
        net_receive_args: 1,
        writes_current: true,
        electrode_current: false,
        fingerprint: "testing:Exp2Syn".into(),
        parallel_safe: false,
    };
    let k = Kernels {
        init: Some(exp2syn_init),
        compute_currents: Some(exp2syn_cur),
        advance_state: Some(exp2syn_state),
        net_receive: Some(exp2syn_receive),
        ..Kernels::default()
    };
    (meta, k)
}
