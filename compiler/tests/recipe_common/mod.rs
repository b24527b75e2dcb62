//! Shared by the compiler's recipe tests: an environment with Myelin's own mechanisms (lowered
//! from `mechanisms/*.mod`) and a few features, and checking helpers.

#![allow(dead_code)]

use myelin_compiler::diag::{Diagnostic, FileId};
use myelin_compiler::driver;
use myelin_compiler::mir::lower::LowerOptions;
use myelin_compiler::recipe::env::{FeatureInfo, SimpleEnv};
use myelin_compiler::recipe::model::Model;
use myelin_compiler::recipe::{check, parse};
use myelin_runtime::abi::MechanismMeta;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Metadata of Myelin's own mechanisms.
pub fn metas() -> &'static [MechanismMeta] {
    static METAS: OnceLock<Vec<MechanismMeta>> = OnceLock::new();
    METAS.get_or_init(|| {
        let mut out = Vec::new();
        let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("mechanisms"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "mod"))
            .collect();
        files.sort();
        for f in files {
            let mut sources = myelin_compiler::diag::SourceMap::new();
            let l = driver::lower_file(&mut sources, &f, &[], LowerOptions::default()).unwrap();
            out.push(l.mir.expect("built-in mechanisms lower").meta);
        }
        out
    })
}

/// Features known to the test environment, with their units.
pub const FEATURES: &[(&str, &str)] = &[
    ("Spikecount", ""),
    ("mean_frequency", "Hz"),
    ("AP_height", "mV"),
    ("AP_amplitude", "mV"),
    ("AP_width", "ms"),
    ("ISI_CV", ""),
    ("voltage_base", "mV"),
    ("AHP_depth_abs", "mV"),
    ("maximum_voltage_from_voltagebase", "mV"),
    ("voltage_deflection_vb_ssse", "mV"),
    ("ohmic_input_resistance_vb_ssse", "megohm"),
];

fn feature(name: &str) -> Result<FeatureInfo, Option<String>> {
    FEATURES.iter().find(|(n, _)| *n == name).map(|(_, u)| FeatureInfo { unit: u }).ok_or(None)
}

/// Parses and checks recipe text; relative paths start at `base`.
pub fn check_text(text: &str, base: &Path) -> (Option<Model>, Vec<Diagnostic>) {
    let parsed = parse::parse_text(FileId(0), text);
    let env = SimpleEnv { mechanisms: metas().to_vec(), features: feature };
    let (model, mut diags) = check(&parsed.recipe, base, &env);
    let mut all = parsed.diagnostics;
    all.append(&mut diags);
    (model, all)
}

/// A scratch directory holding `cell.swc` (the repository's generated pyramidal cell).
pub fn scratch_with_cell(name: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let k = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("recipe-compiler-tests")
        .join(format!("{name}-{}-{k}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::copy(repo().join("recipes/morphologies/l5pc_like.swc"), d.join("cell.swc")).unwrap();
    d
}

/// The recipes of `recipes/` and the examples of docs/recipe.md.
pub fn seeds() -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(repo().join("recipes")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "recipe") {
            out.push(std::fs::read_to_string(p).unwrap());
        }
    }
    let doc = std::fs::read_to_string(repo().join("docs/recipe.md")).unwrap();
    let mut rest = doc.as_str();
    while let Some(i) = rest.find("```recipe") {
        let after = &rest[i..];
        let body_start = after.find('\n').map(|k| k + 1).unwrap_or(after.len());
        let body = &after[body_start..];
        let end = body.find("```").unwrap_or(body.len());
        out.push(body[..end].to_string());
        rest = &body[end..];
    }
    out
}
