//! Compiles every .mod file under a directory through the whole pipeline (parse, check, lower,
//! JIT) and reports which succeed; used to measure compiler coverage on a corpus.

use myelin_compiler::codegen::jit;
use myelin_compiler::diag::SourceMap;
use myelin_compiler::driver;
use myelin_compiler::mir::lower::LowerOptions;
use std::path::PathBuf;

fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "mod") {
                out.push(p);
            }
        }
    }
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: jit_corpus DIR");
    let mut files = Vec::new();
    walk(std::path::Path::new(&dir), &mut files);
    files.sort();
    let (mut ok, mut bad) = (0, 0);
    let mut causes: std::collections::BTreeMap<String, usize> = Default::default();
    for f in &files {
        let mut sources = SourceMap::new();
        let l = match driver::lower_file(&mut sources, f, &[], LowerOptions::default()) {
            Ok(l) => l,
            Err(_) => continue,
        };
        let first_error =
            l.diagnostics.iter().find(|d| d.is_error()).map(|d| format!("{} {}", d.code, d.message));
        match (l.mir, first_error) {
            (Some(m), None) => match jit::compile(&m) {
                Ok(_) => ok += 1,
                Err(e) => {
                    bad += 1;
                    *causes.entry(format!("codegen: {e}")).or_default() += 1;
                    println!("FAIL {} codegen {e}", f.display());
                }
            },
            (_, e) => {
                bad += 1;
                let e = e.unwrap_or_else(|| "unknown".into());
                let key: String = e.split('`').next().unwrap_or("").to_string();
                *causes.entry(key).or_default() += 1;
                println!("FAIL {} {e}", f.display());
            }
        }
    }
    println!("compiled {ok}, failed {bad}");
    for (c, n) in causes {
        println!("{n:5} {c}");
    }
}
