//! Compile time per mechanism and kernel throughput (instances × steps per second) for each
//! entry point, over every .mod file given (files or directories). Run through
//! `bench/kernels.sh`; prints a table.

use myelin_compiler::codegen::jit;
use myelin_compiler::diag::SourceMap;
use myelin_compiler::driver;
use myelin_compiler::mir::lower::LowerOptions;
use myelin_runtime::abi::KernelFn;
use myelin_runtime::standalone::{inert_services, KernelStorage, ION_CONC_IN, ION_CONC_OUT, ION_EREV};
use std::path::PathBuf;
use std::time::Instant;

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
        // Storage: voltages spread over -70..-20 mV, ion values of a typical cell.
        let mut storage = KernelStorage::new(&m.meta, m.n_globals as usize, n);
        for (k, v) in storage.v.iter_mut().enumerate() {
            *v = -70.0 + (k % 100) as f64 * 0.5;
        }
        storage.area.fill(500.0);
        for c in &mut storage.ions {
            c[ION_EREV].fill(50.0);
            c[ION_CONC_IN].fill(1e-4);
            c[ION_CONC_OUT].fill(2.0);
        }
        let services = inert_services();
        let mut rate = |k: Option<KernelFn>| -> String {
            match k {
                None => "-".into(),
                Some(k) => {
                    // Best of several trials: robust against other processes on the machine.
                    let trials = 7;
                    let per = (steps / trials).max(1);
                    let mut best = f64::INFINITY;
                    for _ in 0..trials {
                        let secs = storage.with_args((0.0, 0.025, 34.0), &services, |args| {
                            let t = Instant::now();
                            for _ in 0..per {
                                // SAFETY: args describes valid storage for this mechanism.
                                unsafe { k(args) };
                            }
                            t.elapsed().as_secs_f64()
                        });
                        best = best.min(secs / per as f64);
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
