//! Where the commands get mechanisms: Myelin's own catalogue (the .mod files of `mechanisms/`,
//! compiled ahead of time into the binary by build.rs; their sources are embedded too, for the
//! metadata and for `dump`) and user .mod files or directories, compiled through a compile cache
//! keyed by the mechanism fingerprint so that an unchanged file is never compiled twice.

use myelin_compiler::aot;
use myelin_compiler::codegen::{self, jit};
use myelin_compiler::diag::{Diagnostic, SourceMap};
use myelin_compiler::driver;
use myelin_compiler::mir::{self, lower::LowerOptions};
use myelin_compiler::nmodl;
use myelin_runtime::abi::{KernelFn, Kernels, NetReceiveFn};
use myelin_runtime::Catalogue;
use std::any::Any;
use std::path::{Path, PathBuf};

/// Myelin's own mechanisms, in the order NEURON registers them (NEURON's built-ins first, then
/// the others sorted by file name as `nrnivmodl` lists them): the engine calls mechanisms in this
/// order, which matters when one reads what another wrote in the same step.
pub const BUILTIN: &[(&str, &str)] = &[
    ("pas.mod", include_str!("../../mechanisms/pas.mod")),
    ("hh.mod", include_str!("../../mechanisms/hh.mod")),
    ("IClamp.mod", include_str!("../../mechanisms/IClamp.mod")),
    ("SEClamp.mod", include_str!("../../mechanisms/SEClamp.mod")),
    ("ExpSyn.mod", include_str!("../../mechanisms/ExpSyn.mod")),
    ("Exp2Syn.mod", include_str!("../../mechanisms/Exp2Syn.mod")),
    ("NetStim.mod", include_str!("../../mechanisms/NetStim.mod")),
    ("CaDynamics_E2.mod", include_str!("../../mechanisms/CaDynamics_E2.mod")),
    ("Ca_HVA.mod", include_str!("../../mechanisms/Ca_HVA.mod")),
    ("Ca_LVAst.mod", include_str!("../../mechanisms/Ca_LVAst.mod")),
    ("Ih.mod", include_str!("../../mechanisms/Ih.mod")),
    ("Im.mod", include_str!("../../mechanisms/Im.mod")),
    ("K_Pst.mod", include_str!("../../mechanisms/K_Pst.mod")),
    ("K_Tst.mod", include_str!("../../mechanisms/K_Tst.mod")),
    ("NaTa_t.mod", include_str!("../../mechanisms/NaTa_t.mod")),
    ("NaTs2_t.mod", include_str!("../../mechanisms/NaTs2_t.mod")),
    ("Nap_Et2.mod", include_str!("../../mechanisms/Nap_Et2.mod")),
    ("SK_E2.mod", include_str!("../../mechanisms/SK_E2.mod")),
    ("SKv3_1.mod", include_str!("../../mechanisms/SKv3_1.mod")),
];

/// Compiled mechanisms and the catalogue that refers to their code (which lives as long as this
/// value).
pub struct Mechanisms {
    /// Name → metadata and kernels, in registration order.
    pub catalogue: Catalogue,
    _code: Vec<Box<dyn Any>>,
}

/// Where mechanisms come from.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// Include Myelin's own catalogue.
    pub builtin: bool,
    /// .mod files or directories (user mechanisms replace built-ins of the same name).
    pub paths: Vec<PathBuf>,
}

/// The compile cache directory: `$MYELIN_CACHE_DIR` (empty disables it), else
/// `$XDG_CACHE_HOME/myelin` or `~/.cache/myelin`.
pub fn cache_dir() -> Option<PathBuf> {
    match std::env::var_os("MYELIN_CACHE_DIR") {
        Some(v) if v.is_empty() => None,
        Some(v) => Some(PathBuf::from(v)),
        None => std::env::var_os("XDG_CACHE_HOME")
            .map(|x| PathBuf::from(x).join("myelin"))
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/myelin"))),
    }
}

/// Lowers every mechanism the sources name. Diagnostics of all files are collected; the result is
/// Err when any file has errors.
pub fn lower_all(src: &Sources, sources: &mut SourceMap) -> Result<Vec<mir::Mechanism>, Vec<Diagnostic>> {
    let mut out: Vec<mir::Mechanism> = Vec::new();
    let mut diags = Vec::new();
    let mut failed = false;
    if src.builtin {
        for (name, text) in BUILTIN {
            let id = sources.add(Path::new(&format!("<builtin>/{name}")), text.to_string());
            let parsed = nmodl::parse_source(sources, id, &[], 0);
            let stem = name.trim_end_matches(".mod");
            let l = driver::lower_module(&parsed.module, stem, parsed.diagnostics, LowerOptions::default());
            failed |= l.diagnostics.iter().any(Diagnostic::is_error);
            diags.extend(l.diagnostics.into_iter().filter(Diagnostic::is_error));
            out.extend(l.mir);
        }
    }
    let files = super::build::mod_files(&src.paths).map_err(|e| vec![Diagnostic::error("E0905", e)])?;
    let include = super::load::include_path();
    for f in &files {
        match driver::lower_file(sources, f, &include, LowerOptions::default()) {
            Ok(l) => {
                failed |= l.diagnostics.iter().any(Diagnostic::is_error);
                diags.extend(l.diagnostics);
                if let Some(m) = l.mir {
                    // A user mechanism replaces a built-in of the same name.
                    out.retain(|x| x.meta.name != m.meta.name);
                    out.push(m);
                }
            }
            Err(e) => {
                failed = true;
                diags.push(Diagnostic::error("E0905", format!("cannot read {}: {e}", f.display())));
            }
        }
    }
    if failed {
        Err(diags)
    } else {
        sort_neuron_order(&mut out);
        Ok(out)
    }
}

/// NEURON's own mechanisms, in the order NEURON registers them.
const NEURON_BUILTIN: &[&str] = &["pas", "hh", "IClamp", "SEClamp", "ExpSyn", "Exp2Syn", "NetStim"];

/// Sorts mechanisms in NEURON's registration order: its built-ins first, then the others by name
/// as nrnivmodl lists its files. The engine calls mechanisms in this order, which matters where
/// one reads what another wrote in the same step (SK_E2 reads the cai CaDynamics_E2 wrote).
pub fn sort_neuron_order(v: &mut [mir::Mechanism]) {
    let rank = |n: &str| NEURON_BUILTIN.iter().position(|x| *x == n).unwrap_or(NEURON_BUILTIN.len());
    v.sort_by(|a, b| {
        (rank(&a.meta.name), a.meta.name.as_bytes()).cmp(&(rank(&b.meta.name), b.meta.name.as_bytes()))
    });
}

/// Myelin's own mechanisms compiled ahead of time by build.rs: the object's bytes and its index
/// (symbol prefix and metadata, with the fingerprint, of each mechanism).
static BUILTIN_OBJECT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/builtin_mechanisms.o"));
static BUILTIN_INDEX: &str = include_str!(concat!(env!("OUT_DIR"), "/builtin_mechanisms.json"));

/// The built-in object, loaded once: fingerprint → (metadata, kernels).
struct Builtin {
    _object: codegen::load::LoadedObject,
    by_fingerprint: std::collections::HashMap<String, (myelin_runtime::abi::MechanismMeta, Kernels)>,
}

fn builtin() -> Option<&'static Builtin> {
    static CELL: std::sync::OnceLock<Option<Builtin>> = std::sync::OnceLock::new();
    CELL.get_or_init(|| {
        let object = codegen::load::load(BUILTIN_OBJECT).ok()?;
        let index: Vec<serde_json::Value> = serde_json::from_str(BUILTIN_INDEX).ok()?;
        let mut by_fingerprint = std::collections::HashMap::new();
        for e in index {
            let prefix = e["prefix"].as_str()?.to_string();
            let meta: myelin_runtime::abi::MechanismMeta = serde_json::from_value(e["meta"].clone()).ok()?;
            let kernels = kernels_of(&object, &prefix)?;
            by_fingerprint.insert(meta.fingerprint.clone(), (meta, kernels));
        }
        Some(Builtin { _object: object, by_fingerprint })
    })
    .as_ref()
}

/// The entry points of a mechanism in a loaded object.
fn kernels_of(obj: &codegen::load::LoadedObject, prefix: &str) -> Option<Kernels> {
    let sym = |e: &str| obj.symbol(&codegen::symbol(prefix, e));
    // SAFETY: symbols defined by our code generator with these signatures.
    let k = |e: &str| sym(e).map(|p| unsafe { std::mem::transmute::<*const u8, KernelFn>(p) });
    let ev = |e: &str| sym(e).map(|p| unsafe { std::mem::transmute::<*const u8, NetReceiveFn>(p) });
    let kernels = Kernels {
        init: k("init"),
        compute_currents: k("compute_currents"),
        advance_state: k("advance_state"),
        write_ions: None,
        net_receive: ev("net_receive"),
        net_receive_init: ev("net_receive_init"),
        post_event: k("post_event"),
    };
    kernels.init.map(|_| kernels)
}

/// Compiles every mechanism and registers it: Myelin's own mechanisms come from the object built
/// into the binary, others from the compile cache or the JIT.
pub fn compile(mechs: Vec<mir::Mechanism>) -> Result<Mechanisms, String> {
    let mut catalogue = Catalogue::new();
    let mut code: Vec<Box<dyn Any>> = Vec::new();
    let cache = cache_dir();
    for m in mechs {
        if let Some((meta, kernels)) = builtin().and_then(|b| b.by_fingerprint.get(&aot::fingerprint(&m))) {
            catalogue.register(meta.clone(), *kernels)?;
            continue;
        }
        let (meta, kernels, keep) = match cache.as_deref().and_then(|d| cached(&m, d).ok()) {
            Some(x) => x,
            None => {
                let j = jit::compile(&m).map_err(|e| format!("{}: {e}", m.meta.name))?;
                let (meta, kernels) = (j.meta.clone(), j.kernels);
                (meta, kernels, Box::new(j) as Box<dyn Any>)
            }
        };
        catalogue.register(meta, kernels)?;
        code.push(keep);
    }
    Ok(Mechanisms { catalogue, _code: code })
}

/// Loads a mechanism's object from the cache, compiling and storing it first if needed.
fn cached(
    m: &mir::Mechanism,
    dir: &Path,
) -> Result<(myelin_runtime::abi::MechanismMeta, Kernels, Box<dyn Any>), String> {
    let fp = aot::fingerprint(m);
    let path = dir.join(format!("{fp}.o"));
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(_) => {
            let (bytes, _) = codegen::object::compile(&[m], &m.meta.name).map_err(|e| e.to_string())?;
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
            let tmp = dir.join(format!("{fp}.{}.tmp", std::process::id()));
            std::fs::write(&tmp, &bytes).map_err(|e| e.to_string())?;
            std::fs::rename(&tmp, &path).map_err(|e| e.to_string())?;
            bytes
        }
    };
    let obj = codegen::load::load(&bytes).map_err(|e| e.to_string())?;
    let prefix = format!("{}_0", jit::sanitize(&m.meta.name));
    let kernels = kernels_of(&obj, &prefix).ok_or("stale cache entry")?;
    let mut meta = m.meta.clone();
    meta.fingerprint = fp;
    Ok((meta, kernels, Box::new(obj)))
}

/// Lowers and compiles; diagnostics are printed with `sources` on failure.
pub fn load(src: &Sources) -> Result<Mechanisms, (SourceMap, Vec<Diagnostic>)> {
    let mut sources = SourceMap::new();
    let mechs = match lower_all(src, &mut sources) {
        Ok(m) => m,
        Err(d) => return Err((sources, d)),
    };
    compile(mechs).map_err(|e| (SourceMap::new(), vec![Diagnostic::error("E0906", e)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_mechanisms_come_compiled_in_the_binary() {
        let b = builtin().expect("the object built by build.rs loads");
        let mut sources = SourceMap::new();
        let mechs = lower_all(&Sources { builtin: true, paths: vec![] }, &mut sources).expect("lower");
        assert_eq!(mechs.len(), BUILTIN.len());
        for m in &mechs {
            assert!(
                b.by_fingerprint.contains_key(&aot::fingerprint(m)),
                "{} was not compiled ahead of time (fingerprint mismatch)",
                m.meta.name
            );
        }
    }
}
