//! PARAMETER defaults as NEURON has them: nocmodl writes them into the generated C with `%g`
//! (six significant digits), so a default written with more digits is rounded, GLOBAL and RANGE
//! alike, while numbers inside expressions keep every digit. (Found on lfpy's sinsyn.mod, whose
//! `PI = 3.14159265358979` is 3.14159 in NEURON: its current was 8.4e-7 relative off.)

// The approximations of π are the point of this test.
#![allow(clippy::approx_constant)]

use myelin_compiler::driver::jit_source;
use myelin_runtime::standalone::{inert_services, KernelStorage};

const DEFAULTS: &str = "
NEURON { SUFFIX defaults GLOBAL gp RANGE rp, short, diff }
PARAMETER { gp = 3.14159265358979323846 rp = -23.32708 short = 0.05 }
ASSIGNED { diff }
INITIAL { diff = 3.14159265358979323846 - gp }
";

#[test]
fn defaults_have_six_significant_digits_and_literals_all() {
    let (mir, jit) = jit_source("defaults.mod", DEFAULTS).expect("compiles");
    let global = |n: &str| mir.meta.globals[mir.meta.global_index(n).expect(n)].default;
    let field = |n: &str| mir.meta.fields[mir.meta.field_index(n).expect(n)].default;
    assert_eq!(global("gp"), 3.14159);
    assert_eq!(field("rp"), -23.3271);
    assert_eq!(field("short"), 0.05);
    let mut s = KernelStorage::new(&mir.meta, mir.n_globals as usize, 1);
    s.with_args((0.0, 0.025, 34.0), &inert_services(), |a| unsafe { jit.kernels.init.expect("init")(a) });
    let diff = s.fields[mir.meta.field_index("diff").expect("diff")][0];
    assert_eq!(diff, std::f64::consts::PI - 3.14159, "the literal in INITIAL keeps its digits");
}
