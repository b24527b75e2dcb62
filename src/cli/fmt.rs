//! `myelin fmt`: prints a .mod file in canonical layout.

use super::{load, EXIT_INPUT};
use myelin_compiler::diag::SourceMap;
use myelin_compiler::nmodl;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `myelin fmt`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The .mod file.
    pub file: PathBuf,
}

/// Runs `myelin fmt`: the formatted file goes to stdout; nothing is printed if it has errors.
pub fn run(args: Args) -> ExitCode {
    let mut sources = SourceMap::new();
    let (module, diags) = match load::parse_mod(&mut sources, &args.file) {
        Ok(x) => x,
        Err(msg) => {
            eprintln!("{msg}");
            return ExitCode::from(EXIT_INPUT);
        }
    };
    if diags.iter().any(|d| d.is_error()) {
        sources.emit_stderr(&diags);
        return ExitCode::from(EXIT_INPUT);
    }
    load::print_stdout(&nmodl::print::print_module(&module));
    ExitCode::SUCCESS
}
