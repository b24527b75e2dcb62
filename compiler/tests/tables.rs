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

#[test]
fn a_table_first_used_after_initial_is_built() {
    let (mir, jit) = jit_source("tabder.mod", TABLE_IN_DERIVATIVE).expect("compiles");
    let fx = mir.meta.field_index("x").expect("x");
    // A grid point of the table (−100 + 37·1 mV): interpolation returns the tabulated value,
    // which is the procedure's value there.
    let v = -63.0;
    let (xinf, xtau) = (1.0 / (1.0 + (-(v + 40.0) / 5.0f64).exp()), 1.0 + v * v / 1000.0);
    let dt = 0.025;
    for use_jit in [false, true] {
        let mut s = KernelStorage::new(&mir.meta, mir.n_globals as usize, 1);
        s.v[0] = v;
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
        let mut x = 0.0;
        for n in 0..200 {
            run(&mut s, EntryPoint::AdvanceState);
            x += (1.0 - (-dt / xtau).exp()) * (xinf - x);
            let got = s.fields[fx][0];
            assert!((got - x).abs() <= 1e-12 * x.abs(), "step {}: x = {got}, cnexp gives {x}", n + 1);
        }
    }
}
