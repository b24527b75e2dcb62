//! `myelin build`: compiles mechanisms ahead of time into an artifact directory that
//! `myelin run --aot DIR` loads without a C compiler, a linker, or recompiling.

use super::{load, EXIT_INPUT};
use myelin_compiler::aot;
use myelin_compiler::diag::SourceMap;
use myelin_compiler::driver;
use myelin_compiler::mir::lower::LowerOptions;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `myelin build`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// .mod files or directories of .mod files.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Output directory (created if needed; also the compile cache).
    #[arg(short = 'o', long = "out")]
    pub out: PathBuf,
    /// Print one line per mechanism.
    #[arg(short, long)]
    pub verbose: bool,
}

/// Every .mod file named by the inputs (directories are searched non-recursively, sorted).
pub fn mod_files(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for i in inputs {
        if i.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(i)
                .map_err(|e| format!("cannot read directory {}: {e}", i.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "mod"))
                .collect();
            v.sort();
            if v.is_empty() {
                return Err(format!("{} contains no .mod files", i.display()));
            }
            files.extend(v);
        } else if i.is_file() {
            files.push(i.clone());
        } else {
            return Err(format!("{}: no such file or directory", i.display()));
        }
    }
    Ok(files)
}

/// Runs `myelin build`.
pub fn run(args: Args) -> ExitCode {
    let files = match mod_files(&args.inputs) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_INPUT);
        }
    };
    let mut sources = SourceMap::new();
    let mut mechs = Vec::new();
    let mut failed = false;
    for f in &files {
        match driver::lower_file(&mut sources, f, &load::include_path(), LowerOptions::default()) {
            Ok(l) => {
                sources.emit_stderr(&l.diagnostics);
                match l.mir {
                    Some(m) => mechs.push((m, f.clone())),
                    None => failed = true,
                }
            }
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", f.display());
                failed = true;
            }
        }
    }
    if failed {
        return ExitCode::from(EXIT_INPUT);
    }
    match aot::build(&mechs, &args.out) {
        Ok(report) => {
            let cached = report.iter().filter(|r| r.cached).count();
            if args.verbose {
                for r in &report {
                    eprintln!("{:>20} {} {}", r.name, r.fingerprint, if r.cached { "(cached)" } else { "" });
                }
            }
            eprintln!(
                "built {} mechanism(s) into {} ({} compiled, {} from cache)",
                report.len(),
                display(&args.out),
                report.len() - cached,
                cached
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_INPUT)
        }
    }
}

fn display(p: &Path) -> String {
    p.display().to_string()
}
