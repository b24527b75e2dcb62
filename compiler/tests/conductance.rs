//! The symbolic-conductance option: the current is the same as NEURON's, and dI/dv agrees with
//! NEURON's finite difference to the difference's own error (O(0.001 mV · d²I/dv²)).

use myelin_compiler::codegen::jit;
use myelin_compiler::diag::SourceMap;
use myelin_compiler::driver;
use myelin_compiler::interp::{self, EntryPoint};
use myelin_compiler::mir::lower::LowerOptions;
use myelin_compiler::nmodl;
use myelin_runtime::standalone::{
    inert_services, KernelStorage, ION_CONC_IN, ION_CONC_OUT, ION_CUR, ION_DIDV, ION_EREV,
};
use std::path::Path;

fn lowered(file: &str, symbolic: bool) -> myelin_compiler::mir::Mechanism {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../mechanisms").join(file);
    let text = std::fs::read_to_string(&path).expect("read");
    let mut sources = SourceMap::new();
    let id = sources.add(&path, text);
    let parsed = nmodl::parse_source(&mut sources, id, &[], 0);
    let opts = LowerOptions { symbolic_conductance: symbolic, ..Default::default() };
    driver::lower_module(&parsed.module, "m", parsed.diagnostics, opts).mir.expect("lowers")
}

/// (i, g, ion currents, ion di/dv) after init + compute_currents at voltage `v`.
fn currents(m: &myelin_compiler::mir::Mechanism, v: f64) -> (f64, f64, Vec<f64>, Vec<f64>) {
    let mut s = KernelStorage::new(&m.meta, m.n_globals as usize, 1);
    (s.area[0], s.diam[0]) = (500.0, 10.0);
    for c in &mut s.ions {
        (c[ION_EREV][0], c[ION_CONC_IN][0], c[ION_CONC_OUT][0]) = (40.0, 5e-5, 2.0);
    }
    let (env, services) = ((0.0, 0.025, 6.3), inert_services());
    // Initialise at -65 mV, then evaluate the currents at v.
    let j = jit::compile(m).expect("jit");
    s.v[0] = -65.0;
    s.with_args(env, &services, |a| unsafe { j.kernels.init.expect("init")(a) });
    s.v[0] = v;
    s.with_args(env, &services, |a| unsafe { interp::run(m, EntryPoint::ComputeCurrents, a) });
    let ic: Vec<f64> = s.ions.iter().map(|c| c[ION_CUR][0]).collect();
    let id: Vec<f64> = s.ions.iter().map(|c| c[ION_DIDV][0]).collect();
    (s.i[0], s.g[0], ic, id)
}

#[test]
fn symbolic_conductance_agrees_with_neurons_difference() {
    for file in ["hh.mod", "pas.mod", "NaTs2_t.mod", "Ih.mod", "SKv3_1.mod"] {
        let (fd, sy) = (lowered(file, false), lowered(file, true));
        // The symbolic form evaluates BREAKPOINT once: no v + 0.001 in its IR.
        let text = myelin_compiler::mir::dump_mechanism(&sy);
        assert!(!text.contains("(v + 0.001)"), "{file}: symbolic option not applied");
        for v in [-80.0, -65.0, -40.0, 0.0, 30.0] {
            let (i1, g1, ic1, id1) = currents(&fd, v);
            let (i2, g2, ic2, id2) = currents(&sy, v);
            assert!((i1 - i2).abs() <= 1e-15 * i1.abs().max(1e-12), "{file} at {v}: current {i1} vs {i2}");
            assert!((g1 - g2).abs() <= 1e-6 * g1.abs().max(1e-9), "{file} at {v}: g {g1} vs {g2}");
            for (a, b) in ic1.iter().zip(&ic2) {
                assert!((a - b).abs() <= 1e-15 * a.abs().max(1e-12), "{file}: ion current {a} vs {b}");
            }
            for (a, b) in id1.iter().zip(&id2) {
                assert!((a - b).abs() <= 1e-6 * a.abs().max(1e-9), "{file}: di/dv {a} vs {b}");
            }
        }
    }
}
