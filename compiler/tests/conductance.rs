//! The symbolic-conductance option: the current is the same as NEURON's, and dI/dv agrees with
//! NEURON's finite difference to the difference's own error (O(0.001 mV · d²I/dv²)).

use myelin_compiler::codegen::jit;
use myelin_compiler::diag::SourceMap;
use myelin_compiler::driver;
use myelin_compiler::interp::{self, EntryPoint};
use myelin_compiler::mir::lower::LowerOptions;
use myelin_compiler::nmodl;
use myelin_runtime::abi::{IonColumns, KernelArgs, Services};
use std::ffi::c_void;
use std::path::Path;

extern "C" fn send(_: *mut c_void, _: u32, _: u64, _: *mut f64, _: f64, _: f64) {}
extern "C" fn mv(_: *mut c_void, _: u32, _: u64, _: f64) {}
extern "C" fn rnd(_: *mut c_void, _: u32, _: u64) -> f64 {
    0.5
}

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
    let mut vs = vec![v];
    let (mut i, mut g) = (vec![0.0], vec![0.0]);
    let (area, diam, node) = (vec![500.0], vec![10.0], vec![0u32]);
    let mut cols: Vec<Vec<f64>> = m.meta.fields.iter().map(|f| vec![f.default]).collect();
    let mut fields: Vec<*mut f64> = cols.iter_mut().map(|c| c.as_mut_ptr()).collect();
    let mut globals: Vec<f64> = m.meta.globals.iter().map(|g| g.default).collect();
    let mut ion_data: Vec<[Vec<f64>; 5]> =
        m.meta.ions.iter().map(|_| [vec![0.0], vec![0.0], vec![40.0], vec![5e-5], vec![2.0]]).collect();
    let ions: Vec<IonColumns> = ion_data
        .iter_mut()
        .map(|c| {
            let [a, b, e, ci, co] = c;
            IonColumns {
                cur: a.as_mut_ptr(),
                didv: b.as_mut_ptr(),
                erev: e.as_mut_ptr(),
                conc_in: ci.as_mut_ptr(),
                conc_out: co.as_mut_ptr(),
                valence: 1.0,
            }
        })
        .collect();
    let services = Services {
        ctx: std::ptr::null_mut(),
        net_send: send,
        net_move: mv,
        net_event: mv,
        random_uniform: rnd,
    };
    let args = KernelArgs {
        count: 1,
        mech_id: 0,
        secondorder: 0,
        t: 0.0,
        dt: 0.025,
        celsius: 6.3,
        v: vs.as_mut_ptr(),
        i: i.as_mut_ptr(),
        g: g.as_mut_ptr(),
        area: area.as_ptr(),
        diam: diam.as_ptr(),
        node: node.as_ptr(),
        fields: fields.as_mut_ptr(),
        globals: globals.as_mut_ptr(),
        ions: ions.as_ptr(),
        services: &services,
        reserved: std::ptr::null_mut(),
    };
    // Initialise at -65 mV, then evaluate the currents at v.
    let j = jit::compile(m).expect("jit");
    vs[0] = -65.0;
    unsafe { j.kernels.init.expect("init")(&args) };
    vs[0] = v;
    unsafe { interp::run(m, EntryPoint::ComputeCurrents, &args) };
    let ic: Vec<f64> = ion_data.iter().map(|c| c[0][0]).collect();
    let id: Vec<f64> = ion_data.iter().map(|c| c[1][0]).collect();
    (i[0], g[0], ic, id)
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
