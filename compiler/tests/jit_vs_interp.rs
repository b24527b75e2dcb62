//! Every entry point of every test mechanism gives the same numbers through the MIR interpreter
//! (the oracle), through the Cranelift JIT, and through ahead-of-time objects loaded by our own
//! loader, on random inputs.

use myelin_compiler::aot;
use myelin_compiler::codegen::jit::JitMechanism;
use myelin_compiler::driver::jit_source;
use myelin_compiler::interp::{self, EntryPoint};
use myelin_compiler::mir::Mechanism;
use myelin_runtime::abi::{KernelArgs, MechanismKind};
use myelin_runtime::standalone::{inert_services, KernelStorage};

/// A tiny deterministic generator (xorshift) so that failures are reproducible.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next()
    }
}

/// Owned memory behind a KernelArgs block, and a NET_RECEIVE weight vector.
#[derive(Clone)]
struct Storage {
    k: KernelStorage,
    weights: Vec<f64>,
}

impl Storage {
    /// Random values everywhere; point processes share nodes (count + 2 nodes).
    fn new(m: &Mechanism, count: usize, rng: &mut Rng) -> Storage {
        let nodes = count + 2;
        let mut k = KernelStorage::new(&m.meta, m.n_globals as usize, count);
        k.node = (0..count)
            .map(|i| if m.meta.kind == MechanismKind::Density { i as u32 } else { (i % nodes) as u32 })
            .collect();
        k.fields =
            m.meta
                .fields
                .iter()
                .map(|f| {
                    (0..count)
                        .map(|_| {
                            if f.default != 0.0 {
                                f.default * rng.range(0.5, 1.5)
                            } else {
                                rng.range(0.0, 1.0)
                            }
                        })
                        .collect()
                })
                .collect();
        for c in &mut k.ions {
            *c = [
                (0..nodes).map(|_| rng.range(-0.01, 0.01)).collect(),
                vec![0.0; nodes],
                (0..nodes).map(|_| rng.range(-90.0, 60.0)).collect(),
                (0..nodes).map(|_| rng.range(1e-5, 10.0)).collect(),
                (0..nodes).map(|_| rng.range(2.0, 140.0)).collect(),
            ];
        }
        k.v = (0..nodes).map(|_| rng.range(-90.0, 40.0)).collect();
        k.i = vec![0.0; nodes];
        k.g = vec![0.0; nodes];
        k.area = (0..nodes).map(|_| rng.range(50.0, 900.0)).collect();
        k.diam = (0..nodes).map(|_| rng.range(0.5, 20.0)).collect();
        Storage { k, weights: vec![rng.range(0.0, 0.1), 0.0, 0.0, 0.0] }
    }

    /// Runs `f` with a KernelArgs pointing into this storage, and the weight vector.
    fn with_args(&mut self, f: impl FnOnce(&KernelArgs, *mut f64)) {
        let w = self.weights.as_mut_ptr();
        self.k.with_args((3.0, 0.025, 34.0), &inert_services(), |a| f(a, w));
    }

    fn all_values(&self) -> Vec<(String, f64)> {
        let mut v = Vec::new();
        let mut push = |name: &str, xs: &[f64]| {
            v.extend(xs.iter().enumerate().map(|(k, x)| (format!("{name}[{k}]"), *x)))
        };
        push("i", &self.k.i);
        push("g", &self.k.g);
        for (k, f) in self.k.fields.iter().enumerate() {
            push(&format!("field{k}"), f);
        }
        push("globals", &self.k.globals);
        for (k, c) in self.k.ions.iter().enumerate() {
            for (j, col) in c.iter().enumerate() {
                push(&format!("ion{k}.{j}"), col);
            }
        }
        push("weights", &self.weights);
        v
    }
}

fn assert_same(a: &Storage, b: &Storage, what: &str) {
    for ((name, x), (_, y)) in a.all_values().iter().zip(b.all_values()) {
        let tol = 1e-13 * x.abs().max(y.abs()).max(1e-300);
        assert!(
            (x - y).abs() <= tol || (x.is_nan() && y.is_nan()),
            "{what}: {name} differs: interpreter {x:e}, JIT {y:e}"
        );
    }
}

fn check(name: &str, src: &str) {
    let (mir, jit): (Mechanism, JitMechanism) =
        jit_source(name, src).unwrap_or_else(|e| panic!("{name}:\n{e}"));
    // The same mechanism through an object file and the loader.
    let dir = std::env::temp_dir().join(format!("myelin-aot-test-{}-{name}", std::process::id()));
    aot::build(&[(mir.clone(), name.into())], &dir).expect("build");
    let loaded = aot::load_dir(&dir).expect("load");
    let _ = std::fs::remove_dir_all(&dir);
    let aot_kernels = loaded[0].kernels;
    let mut rng = Rng(0x9E3779B97F4A7C15);
    for count in [1usize, 7, 33] {
        let mut a = Storage::new(&mir, count, &mut rng);
        let mut b = a.clone();
        let mut c = a.clone();
        type K = Option<unsafe extern "C" fn(*const KernelArgs)>;
        let steps: Vec<(EntryPoint, K, K)> = vec![
            (EntryPoint::Init, jit.kernels.init, aot_kernels.init),
            (EntryPoint::ComputeCurrents, jit.kernels.compute_currents, aot_kernels.compute_currents),
            (EntryPoint::AdvanceState, jit.kernels.advance_state, aot_kernels.advance_state),
            (EntryPoint::ComputeCurrents, jit.kernels.compute_currents, aot_kernels.compute_currents),
            (EntryPoint::AdvanceState, jit.kernels.advance_state, aot_kernels.advance_state),
        ];
        for (entry, kernel, aot_kernel) in steps {
            a.with_args(|args, _| unsafe { interp::run(&mir, entry, args) });
            for (s, k) in [(&mut b, kernel), (&mut c, aot_kernel)] {
                s.with_args(|args, _| {
                    if let Some(k) = k {
                        unsafe { k(args) }
                    }
                });
            }
            assert_same(&a, &b, &format!("{name} {entry:?} count {count} (JIT)"));
            assert_same(&a, &c, &format!("{name} {entry:?} count {count} (AOT)"));
        }
        if let Some(nr) = jit.kernels.net_receive {
            for flag in [1.0, 2.0, 0.0, 3.0] {
                for inst in 0..count as u64 {
                    a.with_args(|args, w| unsafe { interp::net_receive(&mir, args, inst, w, flag, false) });
                    b.with_args(|args, w| unsafe { nr(args, inst, w, flag) });
                }
                assert_same(&a, &b, &format!("{name} net_receive flag {flag}"));
            }
            if let Some(pe) = jit.kernels.post_event {
                a.with_args(|args, _| unsafe { interp::run(&mir, EntryPoint::PostEvent, args) });
                b.with_args(|args, _| unsafe { pe(args) });
                assert_same(&a, &b, &format!("{name} post_event"));
            }
        }
    }
}

fn test_mod(file: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mods").join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn mechanism(file: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../mechanisms").join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn hh_matches() {
    check("hh.mod", &mechanism("hh.mod"));
}

#[test]
fn pas_matches() {
    check("pas.mod", &mechanism("pas.mod"));
}

#[test]
fn kinetic_sparse_with_conserve_matches() {
    check("kin3.mod", &test_mod("kin3.mod"));
}

#[test]
fn derivimplicit_euler_and_table_function_match() {
    check("mix.mod", &test_mod("mix.mod"));
}

#[test]
fn point_process_with_net_receive_matches() {
    check("syn.mod", &test_mod("syn.mod"));
}

#[test]
fn watch_reset_and_random_numbers_match() {
    check("iaf.mod", &test_mod("iaf.mod"));
}

#[test]
fn local_copy_of_v_matches() {
    check("vshift.mod", &test_mod("vshift.mod"));
}

#[test]
fn verbatim_random_stream_idiom_matches() {
    check("rng_fallback.mod", &test_mod("rng_fallback.mod"));
}

#[test]
fn arrays_unrolled_loops_and_indexed_kinetics_match() {
    check("shells.mod", &test_mod("shells.mod"));
}

#[test]
fn arrays_indexed_at_run_time_match() {
    check("ring.mod", &test_mod("ring.mod"));
}

#[test]
fn concentration_writer_matches() {
    check("cad.mod", &test_mod("cad.mod"));
}

#[test]
fn exponential_over_its_whole_range_matches() {
    check("expspan.mod", &test_mod("expspan.mod"));
}

/// Generated code's exponential equals `mir::exp::exp` (itself the C library's exp under NEURON's
/// clamps) bit for bit, in vector pairs and in the scalar tail, in every range.
#[test]
fn generated_exponential_is_bit_exact() {
    use myelin_compiler::mir::exp::exp;
    let (mir, jit) = jit_source("expspan.mod", &test_mod("expspan.mod")).expect("compiles");
    let field = |name: &str| mir.meta.fields.iter().position(|f| f.name == name).expect(name);
    let (x, ys) = (field("x"), ["y1", "y2", "y3", "y4", "y5"].map(field));
    let args: [fn(f64) -> f64; 5] = [
        |x| 1400.0 * x - 700.0,
        |x| (x - 0.5) * 1e-15,
        |x| 2000.0 * x - 1000.0,
        |x| 60.0 * x - 30.0,
        |x| 1200.0 * x - 600.0,
    ];
    let mut rng = Rng(0x243F6A8885A308D3);
    let mut s = Storage::new(&mir, 4001, &mut rng);
    let init = jit.kernels.init.expect("init kernel");
    s.with_args(|a, _| unsafe { init(a) });
    for i in 0..s.k.count {
        let xi = s.k.fields[x][i];
        for (y, f) in ys.iter().zip(args) {
            let (got, want) = (s.k.fields[*y][i], exp(f(xi)));
            assert_eq!(got.to_bits(), want.to_bits(), "exp({:e}): JIT {got:e}, expected {want:e}", f(xi));
        }
    }
}
