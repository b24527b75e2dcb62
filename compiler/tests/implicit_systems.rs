//! Implicit systems (KINETIC sparse, derivimplicit) against their backward-Euler solution, for
//! schemes whose rates read ion values: A ⇌ B with forward rate kf = al·cai² and backward rate
//! k2, at a fixed cai. Backward Euler of this linear system is a 2 × 2 solve per step, computed
//! here independently; the interpreter and the JIT must both follow it.
//!
//! A residual function has its own local space, so the READ ion values it uses must be read
//! inside it (a first version reused the caller's local numbers and read a state instead).

use myelin_compiler::driver::jit_source;
use myelin_compiler::interp::{self, EntryPoint};
use myelin_runtime::standalone::{inert_services, KernelStorage, ION_CONC_IN};

const AL: f64 = 141.0;
const K2: f64 = 0.05;
const CAI: f64 = 5e-3;
const DT: f64 = 0.025;

const KINETIC: &str = "
NEURON { SUFFIX kinca USEION ca READ cai }
PARAMETER { al = 141 (/mM2-ms) k2 = 0.05 (/ms) }
ASSIGNED { cai (mM) kf (/ms) }
STATE { A B }
INITIAL { A = 5 B = 0 }
BREAKPOINT { SOLVE scheme METHOD sparse }
KINETIC scheme {
    kf = al*cai*cai
    ~ A <-> B (kf, k2)
}
";

const DERIVIMPLICIT: &str = "
NEURON { SUFFIX derca USEION ca READ cai }
PARAMETER { al = 141 (/mM2-ms) k2 = 0.05 (/ms) }
ASSIGNED { cai (mM) kf (/ms) }
STATE { A B }
INITIAL { A = 5 B = 0 }
BREAKPOINT { SOLVE states METHOD derivimplicit }
DERIVATIVE states {
    kf = al*cai*cai
    A' = -kf*A + k2*B
    B' = kf*A - k2*B
}
";

/// Backward Euler of dA/dt = −kf·A + k2·B, dB/dt = kf·A − k2·B over `steps` steps from (5, 0).
fn backward_euler(steps: usize) -> Vec<(f64, f64)> {
    let kf = AL * CAI * CAI;
    let (mut a, mut b) = (5.0, 0.0);
    let mut out = Vec::with_capacity(steps);
    for _ in 0..steps {
        // [1 + dt·kf, −dt·k2; −dt·kf, 1 + dt·k2] · [a'; b'] = [a; b]
        let (m11, m12, m21, m22) = (1.0 + DT * kf, -DT * K2, -DT * kf, 1.0 + DT * K2);
        let det = m11 * m22 - m12 * m21;
        (a, b) = ((a * m22 - m12 * b) / det, (m11 * b - m21 * a) / det);
        out.push((a, b));
    }
    out
}

fn check(name: &str, text: &str) {
    let (mir, jit) = jit_source(name, text).unwrap_or_else(|e| panic!("{name}:\n{e}"));
    let field = |n: &str| mir.meta.field_index(n).unwrap_or_else(|| panic!("{name}: no field {n}"));
    let (fa, fb) = (field("A"), field("B"));
    let want = backward_euler(400);
    for use_jit in [false, true] {
        let mut s = KernelStorage::new(&mir.meta, mir.n_globals as usize, 1);
        s.v[0] = -65.0;
        s.ions[0][ION_CONC_IN][0] = CAI;
        let env = (0.0, DT, 34.0);
        let run = |s: &mut KernelStorage, entry: EntryPoint| {
            let kernel = match entry {
                EntryPoint::Init => jit.kernels.init,
                _ => jit.kernels.advance_state,
            };
            s.with_args(env, &inert_services(), |a| unsafe {
                if use_jit {
                    kernel.expect("kernel")(a)
                } else {
                    interp::run(&mir, entry, a)
                }
            });
        };
        run(&mut s, EntryPoint::Init);
        for (n, &(a, b)) in want.iter().enumerate() {
            run(&mut s, EntryPoint::AdvanceState);
            let (ga, gb) = (s.fields[fa][0], s.fields[fb][0]);
            let what = if use_jit { "JIT" } else { "interpreter" };
            assert!(
                (ga - a).abs() <= 1e-10 * a.abs().max(1e-3) && (gb - b).abs() <= 1e-10 * b.abs().max(1e-3),
                "{name} ({what}), step {}: (A, B) = ({ga}, {gb}), backward Euler gives ({a}, {b})",
                n + 1
            );
        }
    }
}

#[test]
fn kinetic_rates_read_the_ion_value() {
    check("kinca.mod", KINETIC);
}

#[test]
fn derivimplicit_rates_read_the_ion_value() {
    check("derca.mod", DERIVIMPLICIT);
}

const FLUX_IN_KINETIC: &str = "
NEURON { SUFFIX kinflux RANGE net }
PARAMETER { kf = 2 (/ms) kb = 1 (/ms) }
ASSIGNED { net (/ms) }
STATE { A B }
INITIAL { A = 1 B = 0 }
BREAKPOINT { SOLVE scheme METHOD sparse }
KINETIC scheme {
    ~ A <-> B (kf, kb)
    net = f_flux - b_flux
}
";

/// A value a KINETIC block computes from its fluxes keeps the value of an evaluation at the
/// iterate (as NEURON's solver leaves it), not of a perturbed evaluation made for the Jacobian:
/// `net` must equal kf·A − kb·B at the solution to within the last Newton update.
#[test]
fn kinetic_side_values_come_from_the_iterate() {
    let (mir, jit) = jit_source("kinflux.mod", FLUX_IN_KINETIC).expect("compiles");
    let field = |n: &str| mir.meta.field_index(n).unwrap_or_else(|| panic!("no field {n}"));
    let (fa, fb, fnet) = (field("A"), field("B"), field("net"));
    let mut s = KernelStorage::new(&mir.meta, mir.n_globals as usize, 1);
    let env = (0.0, DT, 34.0);
    s.with_args(env, &inert_services(), |a| unsafe { jit.kernels.init.expect("init")(a) });
    for n in 0..400 {
        s.with_args(env, &inert_services(), |a| unsafe { jit.kernels.advance_state.expect("state")(a) });
        let (a, b, net) = (s.fields[fa][0], s.fields[fb][0], s.fields[fnet][0]);
        let want = 2.0 * a - 1.0 * b;
        assert!((net - want).abs() <= 1e-10 * 2.0 * a, "step {}: net = {net}, kf·A − kb·B = {want}", n + 1);
    }
}
