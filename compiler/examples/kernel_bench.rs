//! Compile time per mechanism and kernel throughput (instances × steps per second) for each
//! entry point, over every .mod file given (files or directories). Run through
//! `bench/kernels.sh`; prints a table.

use myelin_compiler::codegen::jit;
use myelin_compiler::diag::SourceMap;
use myelin_compiler::driver;
use myelin_compiler::mir::lower::LowerOptions;
use myelin_runtime::abi::{IonColumns, KernelArgs, KernelFn, Services};
use std::ffi::c_void;
use std::path::PathBuf;
use std::time::Instant;

extern "C" fn send(_: *mut c_void, _: u32, _: u64, _: *mut f64, _: f64, _: f64) {}
extern "C" fn mv(_: *mut c_void, _: u32, _: u64, _: f64) {}
extern "C" fn ev(_: *mut c_void, _: u32, _: u64, _: f64) {}
extern "C" fn rnd(_: *mut c_void, _: u32, _: u64) -> f64 {
    0.5
}

fn files(args: &[String]) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for a in args {
        let p = PathBuf::from(a);
        if p.is_dir() {
            let mut d: Vec<PathBuf> = std::fs::read_dir(&p)
                .expect("read dir")
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "mod"))
                .collect();
            d.sort();
            v.extend(d);
        } else {
            v.push(p);
        }
    }
    v
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = std::env::var("BENCH_INSTANCES").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let steps: usize = std::env::var("BENCH_STEPS").ok().and_then(|s| s.parse().ok()).unwrap_or(200);
    println!("{n} instances × {steps} steps per entry point (JIT, opt_level=speed)");
    println!(
        "{:<16} {:>12} {:>14} {:>14} {:>14}",
        "mechanism", "compile ms", "init M/s", "currents M/s", "state M/s"
    );
    for f in files(&args) {
        let mut sources = SourceMap::new();
        let t0 = Instant::now();
        let l = driver::lower_file(&mut sources, &f, &[], LowerOptions::default()).expect("read");
        let Some(m) = l.mir else {
            println!(
                "{:<16} does not compile: {}",
                f.display(),
                sources.render(&l.diagnostics).lines().next().unwrap_or("")
            );
            continue;
        };
        let opts = myelin_compiler::codegen::CodegenOptions {
            vectorize: std::env::var("BENCH_VECTORIZE").map(|v| v != "0").unwrap_or(true),
            libm_exp: std::env::var("BENCH_LIBM_EXP").map(|v| v == "1").unwrap_or(false),
        };
        let j = jit::compile_with(&m, opts).expect("jit");
        let compile_ms = t0.elapsed().as_secs_f64() * 1e3;
        // Storage.
        let mut v: Vec<f64> = (0..n).map(|k| -70.0 + (k % 100) as f64 * 0.5).collect();
        let mut i = vec![0.0; n];
        let mut g = vec![0.0; n];
        let area = vec![500.0; n];
        let diam = vec![1.0; n];
        let node: Vec<u32> = (0..n as u32).collect();
        let mut cols: Vec<Vec<f64>> = m.meta.fields.iter().map(|fm| vec![fm.default; n]).collect();
        let mut fields: Vec<*mut f64> = cols.iter_mut().map(|c| c.as_mut_ptr()).collect();
        let mut globals: Vec<f64> = m.meta.globals.iter().map(|g| g.default).collect();
        let mut ion_data: Vec<[Vec<f64>; 5]> = m
            .meta
            .ions
            .iter()
            .map(|_| [vec![0.0; n], vec![0.0; n], vec![50.0; n], vec![1e-4; n], vec![2.0; n]])
            .collect();
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
                    valence: 2.0,
                }
            })
            .collect();
        let services = Services {
            ctx: std::ptr::null_mut(),
            net_send: send,
            net_move: mv,
            net_event: ev,
            random_uniform: rnd,
        };
        let args = KernelArgs {
            count: n as u64,
            mech_id: 0,
            secondorder: 0,
            t: 0.0,
            dt: 0.025,
            celsius: 34.0,
            v: v.as_mut_ptr(),
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
        let rate = |k: Option<KernelFn>| -> String {
            match k {
                None => "-".into(),
                Some(k) => {
                    // Best of several trials: robust against other processes on the machine.
                    let trials = 7;
                    let per = (steps / trials).max(1);
                    let mut best = f64::INFINITY;
                    for _ in 0..trials {
                        let t = Instant::now();
                        for _ in 0..per {
                            // SAFETY: args describes valid storage for this mechanism.
                            unsafe { k(&args) };
                        }
                        best = best.min(t.elapsed().as_secs_f64() / per as f64);
                    }
                    format!("{:.1}", n as f64 / best / 1e6)
                }
            }
        };
        let (ri, rc, rs) =
            (rate(j.kernels.init), rate(j.kernels.compute_currents), rate(j.kernels.advance_state));
        println!("{:<16} {:>12.2} {:>14} {:>14} {:>14}", m.meta.name, compile_ms, ri, rc, rs);
    }
}
