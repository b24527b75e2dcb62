//! `myelin dump`: the syntax tree or mechanism IR of a file.

use super::{load, EXIT_INPUT};
use myelin_compiler::diag::SourceMap;
use myelin_compiler::driver;
use myelin_compiler::mir::lower::LowerOptions;
use myelin_compiler::{mir, nmodl};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `myelin dump`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print the syntax tree.
    #[arg(long)]
    pub ast: bool,
    /// Print the mechanism IR.
    #[arg(long)]
    pub mir: bool,
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
    if args.mir {
        let stem = args.file.file_stem().and_then(|s| s.to_str()).unwrap_or("mechanism");
        let lowered = driver::lower_module(&module, stem, diags, LowerOptions::default());
        sources.emit_stderr(&lowered.diagnostics);
        return match lowered.mir {
            Some(m) if !lowered.diagnostics.iter().any(|d| d.is_error()) => {
                load::print_stdout(&mir::dump_mechanism(&m));
                ExitCode::SUCCESS
            }
            _ => ExitCode::from(EXIT_INPUT),
        };
    }
    sources.emit_stderr(&diags);
    if args.ast || !args.mir {
        load::print_stdout(&nmodl::dump::dump_module(&module));
    }
    if diags.iter().any(|d| d.is_error()) {
        ExitCode::from(EXIT_INPUT)
    } else {
        ExitCode::SUCCESS
    }
}
