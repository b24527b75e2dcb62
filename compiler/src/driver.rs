//! The compilation pipeline from a .mod file to MIR and native kernels, shared by the CLI,
//! the catalogue and tests.

use crate::codegen::jit::{self, JitMechanism};
use crate::diag::{Diagnostic, SourceMap};
use crate::mir::{self, lower::LowerOptions};
use crate::nmodl;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Result of compiling one file: the mechanism IR when everything succeeded, and all
/// diagnostics (warnings included).
pub struct Lowered {
    /// The mechanism IR.
    pub mir: Option<mir::Mechanism>,
    /// Everything reported.
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses, checks and lowers a .mod file.
pub fn lower_file(
    sources: &mut SourceMap,
    path: &Path,
    include_path: &[PathBuf],
    opts: LowerOptions,
) -> Result<Lowered, std::io::Error> {
    let (_, parsed) = nmodl::parse_file(sources, path, include_path)?;
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("mechanism");
    Ok(lower_module(&parsed.module, stem, parsed.diagnostics, opts))
}

/// Checks and lowers a parsed module.
pub fn lower_module(
    module: &nmodl::ast::Module,
    stem: &str,
    mut diags: Vec<Diagnostic>,
    opts: LowerOptions,
) -> Lowered {
    let factors = unit_factors(module, &mut diags);
    let sema = nmodl::sema::analyse(module, stem, &factors, &mut diags);
    if diags.iter().any(Diagnostic::is_error) {
        return Lowered { mir: None, diagnostics: diags };
    }
    let mir = mir::lower::lower(&sema, opts, &mut diags);
    Lowered { mir, diagnostics: diags }
}

/// Checks units (unknown units, dimensions under UNITSON) and returns the values of the
/// UNITS-block factor definitions as nocmodl computes them.
fn unit_factors(module: &nmodl::ast::Module, diags: &mut Vec<Diagnostic>) -> HashMap<String, f64> {
    let report = crate::units::check_module(module, crate::diag::FileId(0), diags);
    report.factors.iter().map(|f| (f.name.clone(), f.value)).collect()
}

/// Parses, checks, lowers and JIT-compiles a source text (tests and embedded mechanisms).
pub fn jit_source(name: &str, text: &str) -> Result<(mir::Mechanism, JitMechanism), String> {
    let mut sources = SourceMap::new();
    let id = sources.add(Path::new(name), text.to_string());
    let parsed = nmodl::parse_source(&mut sources, id, &[], 0);
    let stem = Path::new(name).file_stem().and_then(|s| s.to_str()).unwrap_or("mechanism");
    let lowered = lower_module(&parsed.module, stem, parsed.diagnostics, LowerOptions::default());
    match lowered.mir {
        Some(m) if !lowered.diagnostics.iter().any(Diagnostic::is_error) => {
            let j = jit::compile(&m).map_err(|e| e.to_string())?;
            Ok((m, j))
        }
        _ => Err(sources.render(&lowered.diagnostics)),
    }
}

/// Codes of lowering diagnostics that mean "valid NMODL that Myelin cannot compile yet" rather
/// than an error in the file.
pub const LIMITATION_CODES: &[&str] = &["E0301", "E0304", "E0306", "E0308", "E0310", "E0317", "E0318"];

/// Turns compiler limitations into warnings (for `myelin check`, which judges the file, not the
/// compiler).
pub fn limitations_as_warnings(mut diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    // With VERBATIM, names may be declared in its C code: unresolved names are not the file's fault.
    let verbatim = diags.iter().any(|d| d.code == "E0306");
    for d in &mut diags {
        if d.is_error() && (LIMITATION_CODES.contains(&d.code) || (verbatim && d.code == "E0313")) {
            d.severity = crate::diag::Severity::Warning;
            d.notes.push("note: NEURON accepts this; Myelin cannot compile it yet".into());
        }
    }
    diags
}
