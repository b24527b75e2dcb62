//! `myelin check`: checks .mod files and reports every problem found.

use super::{load, EXIT_INPUT};
use myelin_compiler::diag::{FileId, SourceMap};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `myelin check`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Files to check.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// Runs `myelin check`: exit 0 when every file is valid, 1 when any has errors.
pub fn run(args: Args) -> ExitCode {
    let mut failed = false;
    for f in &args.files {
        let mut sources = SourceMap::new();
        match load::parse_mod(&mut sources, f) {
            Ok((module, mut diags)) => {
                myelin_compiler::units::check_module(&module, FileId(0), &mut diags);
                sources.emit_stderr(&diags);
                failed |= diags.iter().any(|d| d.is_error());
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
