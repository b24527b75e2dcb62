//! Reading and checking a recipe for the commands: parse, find the mechanisms its sources name,
//! check it against them. Every diagnostic of the recipe and of its .mod files is collected.

use super::env::RunEnv;
use crate::cli::mechs;
use myelin_compiler::aot;
use myelin_compiler::diag::{Diagnostic, SourceMap};
use myelin_compiler::mir;
use myelin_compiler::recipe::{self, model::Model};
use myelin_runtime::abi::MechanismMeta;
use std::path::{Path, PathBuf};

/// A checked recipe.
pub struct Checked {
    /// The model.
    pub model: Model,
    /// Lowered mechanisms of the `builtin` and `mod` sources (for JIT or `myelin build`).
    pub mechanisms: Vec<mir::Mechanism>,
    /// Warnings.
    pub warnings: Vec<Diagnostic>,
}

/// Metadata of every mechanism of artifact directories (their `catalogue.json`).
pub fn aot_metas(dirs: &[PathBuf]) -> Result<Vec<MechanismMeta>, String> {
    let mut out: Vec<MechanismMeta> = Vec::new();
    for d in dirs {
        let p = d.join(aot::CATALOGUE_FILE);
        let text = std::fs::read_to_string(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
        let cat: aot::Catalogue = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))?;
        for e in cat.mechanisms {
            out.retain(|m| m.name != e.meta.name);
            out.push(e.meta);
        }
    }
    Ok(out)
}

/// Parses and checks a recipe. With `aot`, the mechanisms come from that artifact directory
/// instead of the recipe's own sources.
pub fn check_file(
    path: &Path,
    aot: Option<&Path>,
    sources: &mut SourceMap,
) -> Result<Checked, Vec<Diagnostic>> {
    let (_, parsed) = recipe::parse_file(sources, path)
        .map_err(|e| vec![Diagnostic::error("E0904", format!("cannot read `{}`: {e}", path.display()))])?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut diags = parsed.diagnostics;
    let srcs = recipe::check::mechanism_sources(&parsed.recipe, &base, &mut diags);
    let (lowered, mut metas) = match aot {
        Some(dir) => {
            (vec![], aot_metas(&[dir.to_path_buf()]).map_err(|e| vec![Diagnostic::error("E1041", e)])?)
        }
        None => {
            let mods = mechs::lower_all(
                &mechs::Sources { builtin: srcs.builtin, paths: srcs.mods.clone() },
                sources,
            )
            .map_err(|mut d| {
                diags.append(&mut d);
                std::mem::take(&mut diags)
            })?;
            let metas = mods.iter().map(|m| m.meta.clone()).collect();
            (mods, metas)
        }
    };
    if aot.is_none() {
        match aot_metas(&srcs.aot) {
            Ok(m) => {
                for x in m {
                    metas.retain(|y| y.name != x.name);
                    metas.push(x);
                }
            }
            Err(e) => diags.push(Diagnostic::error("E1041", e)),
        }
    }
    let env = RunEnv { mechanisms: metas };
    let (model, mut check_diags) = recipe::check(&parsed.recipe, &base, &env);
    diags.append(&mut check_diags);
    match model {
        Some(model) if !diags.iter().any(Diagnostic::is_error) => {
            Ok(Checked { model, mechanisms: lowered, warnings: diags })
        }
        _ => Err(diags),
    }
}
