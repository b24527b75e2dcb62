//! Loading .mod files for the commands: reading, parsing, include path, reporting diagnostics.

use myelin_compiler::diag::{Diagnostic, SourceMap};
use myelin_compiler::nmodl;
use std::path::{Path, PathBuf};

/// The INCLUDE search path after the file's own directory: `$MODL_INCLUDES` (colon separated),
/// as NEURON's nocmodl uses it.
pub fn include_path() -> Vec<PathBuf> {
    std::env::var_os("MODL_INCLUDES").map(|v| std::env::split_paths(&v).collect()).unwrap_or_default()
}

/// Parses one .mod file; an unreadable file becomes an error diagnostic-like message on stderr.
pub fn parse_mod(
    sources: &mut SourceMap,
    path: &Path,
) -> Result<(nmodl::ast::Module, Vec<Diagnostic>), String> {
    match nmodl::parse_file(sources, path, &include_path()) {
        Ok((_, parsed)) => Ok((parsed.module, parsed.diagnostics)),
        Err(e) => Err(format!("error: cannot read {}: {e}", path.display())),
    }
}

/// Writes text to stdout, ignoring a closed pipe (`myelin dump … | head`).
pub fn print_stdout(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}
