//! `myelin check`: checks .mod files and recipes (`.recipe`) and reports every problem found:
//! syntax, names, units, and everything the compiler finds while lowering. Constructs NEURON accepts but Myelin cannot
//! compile yet (VERBATIM, arrays …) are reported as warnings: the file is valid NMODL.

use super::{load, EXIT_INPUT};
use myelin_compiler::diag::SourceMap;
use myelin_compiler::driver;
use myelin_compiler::mir::lower::LowerOptions;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `myelin check`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Files to check.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// Diagnostics shown per file at most.
const MAX_SHOWN: usize = 100;

/// Runs `myelin check`: exit 0 when every file is valid, 1 when any has errors.
pub fn run(args: Args) -> ExitCode {
    let mut failed = false;
    for f in &args.files {
        if f.extension().is_some_and(|e| e == "recipe") {
            failed |= !check_recipe(f);
            continue;
        }
        let mut sources = SourceMap::new();
        match load::parse_mod(&mut sources, f) {
            Ok((module, diags)) => {
                let stem = f.file_stem().and_then(|s| s.to_str()).unwrap_or("mechanism");
                let lowered = driver::lower_module(&module, stem, diags, LowerOptions::default());
                let diags = driver::limitations_as_warnings(lowered.diagnostics);
                failed |= diags.iter().any(|d| d.is_error());
                // A flood of diagnostics (a corrupt file) helps nobody and renders slowly.
                sources.emit_stderr(&diags[..diags.len().min(MAX_SHOWN)]);
                if diags.len() > MAX_SHOWN {
                    eprintln!("{}: {} more diagnostics not shown", f.display(), diags.len() - MAX_SHOWN);
                }
            }
            Err(msg) => {
                eprintln!("{msg}");
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::from(EXIT_INPUT)
    } else {
        ExitCode::SUCCESS
    }
}

/// Checks a recipe (and the .mod files its sources name); prints its diagnostics. True when it
/// has no errors.
fn check_recipe(f: &std::path::Path) -> bool {
    let mut sources = SourceMap::new();
    match crate::run::load::check_file(f, None, &mut sources) {
        Ok(c) => {
            super::run::emit(&sources, &c.warnings, f);
            true
        }
        Err(d) => {
            super::run::emit(&sources, &d, f);
            false
        }
    }
}
