//! Two small calcium mechanisms for testing ion handling (written by us; the matching .mod files
//! used to make NEURON goldens are in `tools/golden/engine/mod/`).
//!
//! `ca_leak`: `ica = gbar·(v − eca)` (USEION ca READ eca WRITE ica), gbar = 1e-5 S/cm².
//!
//! `cadyn`: a first-order calcium pool (USEION ca READ ica WRITE cai):
//! `cai' = drive + (cainf − cai)/taur`, `drive = max(0, −10000·ica/(2·F·depth))`, with
//! depth = 0.1 µm, taur = 20 ms, cainf = 1e-4 mM; INITIAL `cai = cainf`. Because it writes `cai`,
//! NEURON's ion style makes `eca` follow the Nernst equation at every step.

use super::util::{field, hoc_exp, ion_add, ion_get, ion_set, ion_use, Args};
use crate::abi::{FieldRole::*, KernelArgs, Kernels, MechanismKind, MechanismMeta};
use crate::ions::FARADAY;

unsafe extern "C" fn leak_cur(p: *const KernelArgs) {
    // SAFETY: valid block from the engine.
    let a = unsafe { Args::new(p) };
    let ca = a.ion(0);
    for i in 0..a.count() {
        let nd = a.node(i);
        let v = a.v(nd);
        let eca = ion_get(ca.erev, nd);
        let g = a.get(0, i);
        let i1 = g * ((v + 0.001) - eca);
        let i0 = g * (v - eca);
        a.set(1, i, i0);
        ion_add(ca.didv, nd, (i1 - i0) / 0.001);
        ion_add(ca.cur, nd, i0);
        a.add(nd, i0, (i1 - i0) / 0.001);
    }
}

/// Metadata and kernels of `ca_leak`.
pub fn ca_leak() -> (MechanismMeta, Kernels) {
    let meta = MechanismMeta {
        name: "ca_leak".into(),
        kind: MechanismKind::Density,
        fields: vec![field("gbar", Parameter, 1e-5, "S/cm2"), field("ica", Assigned, 0.0, "mA/cm2")],
        globals: vec![],
        ions: vec![ion_use("ca", &["e"], &["i"])],
        net_receive_args: 0,
        writes_current: true,
        electrode_current: false,
        fingerprint: "testing:ca_leak".into(),
        parallel_safe: false,
    };
    (meta, Kernels { compute_currents: Some(leak_cur), ..Kernels::default() })
}

const DEPTH: usize = 0;
const TAUR: usize = 1;
const CAINF: usize = 2;
const DRIVE: usize = 3;

unsafe extern "C" fn cadyn_init(p: *const KernelArgs) {
    // SAFETY: valid block from the engine.
    let a = unsafe { Args::new(p) };
    let ca = a.ion(0);
    for i in 0..a.count() {
        ion_set(ca.conc_in, a.node(i), a.get(CAINF, i));
    }
}

unsafe extern "C" fn cadyn_state(p: *const KernelArgs) {
    // SAFETY: valid block from the engine.
    let a = unsafe { Args::new(p) };
    let ca = a.ion(0);
    let dt = a.a.dt;
    for i in 0..a.count() {
        let nd = a.node(i);
        let ica = ion_get(ca.cur, nd);
        let mut drive = -10000.0 * ica / (2.0 * FARADAY * a.get(DEPTH, i));
        if drive <= 0.0 {
            drive = 0.0;
        }
        a.set(DRIVE, i, drive);
        let (taur, cainf) = (a.get(TAUR, i), a.get(CAINF, i));
        let cai = ion_get(ca.conc_in, nd);
        // cnexp for cai' = drive + cainf/taur - cai/taur: J = -1/taur, B = drive + cainf/taur.
        let j = (-1.0) / taur;
        let b = drive + cainf / taur;
        let cai = cai + (1.0 - hoc_exp(dt * j)) * (-(b / j) - cai);
        ion_set(ca.conc_in, nd, cai);
    }
}

/// Metadata and kernels of `cadyn`.
pub fn cadyn() -> (MechanismMeta, Kernels) {
    let meta = MechanismMeta {
        name: "cadyn".into(),
        kind: MechanismKind::Density,
        fields: vec![
            field("depth", Parameter, 0.1, "um"),
            field("taur", Parameter, 20.0, "ms"),
            field("cainf", Parameter, 1e-4, "mM"),
            field("drive", Assigned, 0.0, "mM/ms"),
        ],
        globals: vec![],
        ions: vec![ion_use("ca", &["i"], &["in"])],
        net_receive_args: 0,
        writes_current: false,
        electrode_current: false,
        fingerprint: "testing:cadyn".into(),
        parallel_safe: false,
    };
    (meta, Kernels { init: Some(cadyn_init), advance_state: Some(cadyn_state), ..Kernels::default() })
}
