//! TABLE statements: tables are built at initialisation whichever block first calls their
//! function (NEURON checks every table before INITIAL). Here only the DERIVATIVE block calls the
//! tabulated procedure; at a grid point the states must follow cnexp with the procedure's values
//! (a table never built gave τ = 0 and NaN states).

use myelin_compiler::driver::jit_source;
use myelin_compiler::interp::{self, EntryPoint};
use myelin_runtime::standalone::{inert_services, KernelStorage};

const TABLE_IN_DERIVATIVE: &str = "
NEURON { SUFFIX tabder NONSPECIFIC_CURRENT i RANGE gbar GLOBAL xinf, xtau }
PARAMETER { gbar = 1e-4 (S/cm2) }
ASSIGNED { v (mV) i (mA/cm2) xinf xtau (ms) }
STATE { x }
BREAKPOINT {
    SOLVE states METHOD cnexp
    i = gbar * x * (v + 70)
}
INITIAL { x = 0 }
DERIVATIVE states {
    rates(v)
    x' = (xinf - x) / xtau
}
PROCEDURE rates(vm) {
    TABLE xinf, xtau FROM -100 TO 100 WITH 200
    xinf = 1 / (1 + exp(-(vm + 40) / 5))
    xtau = 1 + vm * vm / 1000
}
";

const TABLE_OF_ARRAYS: &str = "
NEURON { SUFFIX tabarr NONSPECIFIC_CURRENT i RANGE gbar }
PARAMETER { gbar = 1e-3 (S/cm2) }
ASSIGNED { v (mV) i (mA/cm2) inf[2] tau[2] (ms) }
STATE { x y }
BREAKPOINT {
    SOLVE states METHOD cnexp
    i = gbar * x * y * (v + 20)
}
INITIAL { x = 0 y = 0 }
DERIVATIVE states {
    rates(v)
    x' = (inf[0] - x) / tau[0]
    y' = (inf[1] - y) / tau[1]
}
PROCEDURE rates(vm (mV)) {
    TABLE inf, tau FROM -100 TO 100 WITH 200
    inf[0] = 1 / (1 + exp(-(vm + 40) / 5))
    inf[1] = 1 / (1 + exp((vm + 60) / 5))
    tau[0] = 1 + vm * vm / 1000
    tau[1] = 10
}
";

/// The procedure's values at v for both tabulated mechanisms: (x∞, τx, y∞, τy).
fn rates(v: f64) -> (f64, f64, f64, f64) {
    (
        1.0 / (1.0 + (-(v + 40.0) / 5.0f64).exp()),
        1.0 + v * v / 1000.0,
        1.0 / (1.0 + ((v + 60.0) / 5.0f64).exp()),
        10.0,
    )
}

#[test]
fn a_table_first_used_after_initial_is_built() {
    let (xinf, xtau, _, _) = rates(V);
    check("tabder.mod", TABLE_IN_DERIVATIVE, &[("x", xinf, xtau)]);
}

#[test]
fn a_table_of_arrays_tabulates_every_element() {
    let (xinf, xtau, yinf, ytau) = rates(V);
    check("tabarr.mod", TABLE_OF_ARRAYS, &[("x", xinf, xtau), ("y", yinf, ytau)]);
}

/// A grid point of the tables (−100 + 37·1 mV): interpolation returns the tabulated value, which
/// is the procedure's value there.
const V: f64 = -63.0;

/// Runs init and 200 steps at `V` and checks each state against cnexp with (x∞, τ).
fn check(name: &str, text: &str, states: &[(&str, f64, f64)]) {
    let (mir, jit) = jit_source(name, text).unwrap_or_else(|e| panic!("{name}:\n{e}"));
    let dt = 0.025;
    for use_jit in [false, true] {
        let mut s = KernelStorage::new(&mir.meta, mir.n_globals as usize, 1);
        s.v[0] = V;
        let run = |s: &mut KernelStorage, entry: EntryPoint| {
            let kernel = if entry == EntryPoint::Init { jit.kernels.init } else { jit.kernels.advance_state };
            s.with_args((0.0, dt, 34.0), &inert_services(), |a| unsafe {
                if use_jit {
                    kernel.expect("kernel")(a)
                } else {
                    interp::run(&mir, entry, a)
                }
            })
        };
        run(&mut s, EntryPoint::Init);
        let mut want = vec![0.0; states.len()];
        for n in 0..200 {
            run(&mut s, EntryPoint::AdvanceState);
            for ((state, inf, tau), x) in states.iter().zip(&mut want) {
                *x += (1.0 - (-dt / tau).exp()) * (inf - *x);
                let got = s.fields[mir.meta.field_index(state).expect("state")][0];
                assert!(
                    (got - *x).abs() <= 1e-12 * x.abs(),
                    "{name}, step {}: {state} = {got}, cnexp gives {x}",
                    n + 1
                );
            }
        }
    }
}
