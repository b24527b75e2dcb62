//! NEURON's `pas`: `i = g·(v − e)` with g = 0.001 S/cm² and e = −70 mV by default.
//!
//! Fields: g, e (parameters); i (assigned).

use super::util::{field, Args};
use crate::abi::{FieldRole::*, KernelArgs, Kernels, MechanismKind, MechanismMeta};

unsafe extern "C" fn cur(p: *const KernelArgs) {
    // SAFETY: called by the engine with a valid block.
    let a = unsafe { Args::new(p) };
    let (gc, ec, ic) = (a.col(0), a.col(1), a.col(2));
    for i in 0..a.count() {
        let nd = a.node(i);
        let v = a.v(nd);
        let (g, e) = (gc.get(i), ec.get(i));
        let g1 = g * ((v + 0.001) - e);
        let rhs = g * (v - e);
        ic.set(i, rhs);
        a.add(nd, rhs, (g1 - rhs) / 0.001);
    }
}

/// Metadata and kernels of `pas`.
pub fn mechanism() -> (MechanismMeta, Kernels) {
    let meta = MechanismMeta {
        name: "pas".into(),
        kind: MechanismKind::Density,
        fields: vec![
            field("g", Parameter, 0.001, "S/cm2"),
            field("e", Parameter, -70.0, "mV"),
            field("i", Assigned, 0.0, "mA/cm2"),
        ],
        globals: vec![],
        ions: vec![],
        net_receive_args: 0,
        writes_current: true,
        electrode_current: false,
        fingerprint: "testing:pas".into(),
        parallel_safe: true,
    };
    (meta, Kernels { compute_currents: Some(cur), ..Kernels::default() })
}
