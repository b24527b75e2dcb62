//! `myelin dump`: the syntax tree or mechanism IR of a file.

use super::{load, EXIT_INPUT};
use myelin_compiler::diag::SourceMap;
use myelin_compiler::nmodl;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `myelin dump`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print the syntax tree.
    #[arg(long)]
    pub ast: bool,
    /// The .mod file.
    pub file: PathBuf,
}

/// Runs `myelin dump`.
pub fn run(args: Args) -> ExitCode {
    let mut sources = SourceMap::new();
    let (module, diags) = match load::parse_mod(&mut sources, &args.file) {
        Ok(x) => x,
        Err(msg) => {
            eprintln!("{msg}");
            return ExitCode::from(EXIT_INPUT);
        }
    };
    sources.emit_stderr(&diags);
    if args.ast || true {
        load::print_stdout(&nmodl::dump::dump_module(&module));
    }
    if diags.iter().any(|d| d.is_error()) {
        ExitCode::from(EXIT_INPUT)
    } else {
        ExitCode::SUCCESS
    }
}
