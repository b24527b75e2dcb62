//! Ahead-of-time compilation (`myelin build`) and loading (`myelin run --aot`).
//!
//! An artifact directory holds one relocatable object per mechanism, named by the mechanism's
//! fingerprint (`<fingerprint>.o`), and `catalogue.json` listing the mechanisms with their
//! metadata and symbol prefixes. The fingerprint hashes the normalised mechanism IR, the
//! compiler version and the target, so an unchanged .mod file is never compiled twice: a build
//! finds the object already there and reuses it.

use crate::codegen::{self, load::LoadedObject};
use crate::mir::{self, Mechanism};
use myelin_runtime::abi::{KernelFn, Kernels, MechanismMeta, NetReceiveFn};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// File name of the artifact index.
pub const CATALOGUE_FILE: &str = "catalogue.json";

/// One mechanism of an artifact directory.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ArtifactEntry {
    /// Metadata (fields, globals, ions …), including the fingerprint.
    pub meta: MechanismMeta,
    /// Symbol prefix of the entry points inside the object.
    pub prefix: String,
    /// Object file name inside the directory.
    pub object: String,
    /// Source file it was compiled from.
    pub source: String,
}

/// The index of an artifact directory.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Catalogue {
    /// Format version.
    pub version: u32,
    /// Target triple the objects were compiled for.
    pub target: String,
    /// Mechanisms.
    pub mechanisms: Vec<ArtifactEntry>,
    /// Compiled per-segment parameter values of a recipe (`myelin build FILE.recipe`).
    #[serde(default)]
    pub terms: Vec<TermEntry>,
}

/// One compiled per-segment value of a recipe (see `recipe::codegen`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TermEntry {
    /// The key the runtime looks it up by (`recipe::lower::segment_key`).
    pub key: String,
    /// Symbol of the function in the object.
    pub symbol: String,
    /// Object file name inside the directory.
    pub object: String,
}

/// The fingerprint of a lowered mechanism: 128-bit FNV-1a of its IR dump, the compiler version
/// and the target, in hex.
pub fn fingerprint(m: &Mechanism) -> String {
    let text = format!(
        "{}\n{}\n{}\n{}\n{:?}\n{}",
        mir::dump_mechanism(m),
        env!("CARGO_PKG_VERSION"),
        target_triple(),
        serde_json::to_string(&m.meta).unwrap_or_default(),
        codegen::CodegenOptions::default(),
        CODE_GENERATOR_SOURCE.join("\n")
    );
    let mut h1: u64 = 0xcbf29ce484222325;
    let mut h2: u64 = 0x84222325cbf29ce4;
    for b in text.bytes() {
        h1 = (h1 ^ b as u64).wrapping_mul(0x100000001b3);
        h2 = (h2 ^ b as u64).wrapping_mul(0x100000001b3).rotate_left(5);
    }
    format!("{h1:016x}{h2:016x}")
}

/// The code generator's own source: part of every fingerprint, so that objects compiled by an
/// older code generator are never reused from a cache.
const CODE_GENERATOR_SOURCE: &[&str] = &[
    include_str!("codegen/mod.rs"),
    include_str!("codegen/vector.rs"),
    include_str!("codegen/object.rs"),
    include_str!("codegen/helpers.rs"),
    include_str!("mir/exp.rs"),
];

/// The target the code generator compiles for.
pub fn target_triple() -> String {
    format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS)
}

/// What a build did with one mechanism.
#[derive(Debug, Clone)]
pub struct BuiltMechanism {
    /// Mechanism name.
    pub name: String,
    /// Fingerprint.
    pub fingerprint: String,
    /// True when the object was already present (compile cache hit).
    pub cached: bool,
}

/// Writes (or reuses) the objects of `mechs` into `outdir` and writes the catalogue.
pub fn build(mechs: &[(Mechanism, PathBuf)], outdir: &Path) -> Result<Vec<BuiltMechanism>, String> {
    std::fs::create_dir_all(outdir).map_err(|e| format!("cannot create {}: {e}", outdir.display()))?;
    let mut cat = Catalogue { version: 1, target: target_triple(), mechanisms: vec![], terms: vec![] };
    let mut report = Vec::new();
    for (m, source) in mechs {
        let fp = fingerprint(m);
        let object = format!("{fp}.o");
        let path = outdir.join(&object);
        let prefix = format!("{}_0", codegen::jit::sanitize(&m.meta.name));
        let cached = path.is_file();
        if !cached {
            let (bytes, _) = codegen::object::compile(&[m], &m.meta.name).map_err(|e| e.to_string())?;
            // Write atomically so that an interrupted build never leaves a truncated object.
            let tmp = outdir.join(format!("{object}.tmp"));
            std::fs::write(&tmp, &bytes).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
            std::fs::rename(&tmp, &path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        let mut meta = m.meta.clone();
        meta.fingerprint = fp.clone();
        cat.mechanisms.push(ArtifactEntry { meta, prefix, object, source: source.display().to_string() });
        report.push(BuiltMechanism { name: m.meta.name.clone(), fingerprint: fp, cached });
    }
    let json = serde_json::to_string_pretty(&cat).map_err(|e| e.to_string())?;
    std::fs::write(outdir.join(CATALOGUE_FILE), json).map_err(|e| format!("cannot write catalogue: {e}"))?;
    Ok(report)
}

/// A mechanism loaded from an artifact directory.
pub struct LoadedMechanism {
    /// Metadata.
    pub meta: MechanismMeta,
    /// Entry points (valid while `object` lives).
    pub kernels: Kernels,
    /// The loaded code.
    pub object: Arc<LoadedObject>,
}

impl std::fmt::Debug for LoadedMechanism {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedMechanism").field("name", &self.meta.name).finish()
    }
}

/// Reads the catalogue of an artifact directory and checks that it was built for this machine.
fn read_catalogue(dir: &Path) -> Result<Catalogue, String> {
    let cat_path = dir.join(CATALOGUE_FILE);
    let text =
        std::fs::read_to_string(&cat_path).map_err(|e| format!("cannot read {}: {e}", cat_path.display()))?;
    let cat: Catalogue = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", cat_path.display()))?;
    if cat.target != target_triple() {
        return Err(format!(
            "{} was built for {}, this machine is {}: rebuild with `myelin build`",
            dir.display(),
            cat.target,
            target_triple()
        ));
    }
    Ok(cat)
}

/// Loads every mechanism of an artifact directory.
pub fn load_dir(dir: &Path) -> Result<Vec<LoadedMechanism>, String> {
    let cat = read_catalogue(dir)?;
    let mut out = Vec::new();
    for e in cat.mechanisms {
        let path = dir.join(&e.object);
        let bytes = std::fs::read(&path).map_err(|err| format!("cannot read {}: {err}", path.display()))?;
        let obj = Arc::new(codegen::load::load(&bytes).map_err(|err| format!("{}: {err}", path.display()))?);
        let sym = |entry: &str| obj.symbol(&codegen::symbol(&e.prefix, entry));
        // SAFETY: the symbols were defined by our code generator with these signatures.
        let kernel =
            |entry: &str| sym(entry).map(|p| unsafe { std::mem::transmute::<*const u8, KernelFn>(p) });
        let event =
            |entry: &str| sym(entry).map(|p| unsafe { std::mem::transmute::<*const u8, NetReceiveFn>(p) });
        let kernels = Kernels {
            init: kernel("init"),
            compute_currents: kernel("compute_currents"),
            advance_state: kernel("advance_state"),
            write_ions: None,
            net_receive: event("net_receive"),
            net_receive_init: event("net_receive_init"),
            post_event: kernel("post_event"),
        };
        if kernels.init.is_none() {
            return Err(format!("{}: entry points of {} are missing", path.display(), e.meta.name));
        }
        out.push(LoadedMechanism { meta: e.meta, kernels, object: obj.clone() });
    }
    Ok(out)
}

/// Writes the compiled per-segment values of a recipe (`(key, term)` pairs) into `outdir` as one
/// object and adds them to the directory's catalogue (which [`build`] must have written first).
pub fn build_terms(terms: &[(String, crate::recipe::expr::Term)], outdir: &Path) -> Result<usize, String> {
    let cat_path = outdir.join(CATALOGUE_FILE);
    let text =
        std::fs::read_to_string(&cat_path).map_err(|e| format!("cannot read {}: {e}", cat_path.display()))?;
    let mut cat: Catalogue =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", cat_path.display()))?;
    cat.terms.clear();
    if !terms.is_empty() {
        let only: Vec<crate::recipe::expr::Term> = terms.iter().map(|(_, t)| t.clone()).collect();
        // The object is named by a hash of the keys, so that a rebuild of the same recipe reuses it.
        let mut h: u64 = 0xcbf29ce484222325;
        for b in terms.iter().flat_map(|(k, _)| k.bytes().chain([0])).chain(target_triple().bytes()) {
            h = (h ^ b as u64).wrapping_mul(0x100000001b3);
        }
        let object = format!("terms-{h:016x}.o");
        let path = outdir.join(&object);
        if !path.is_file() {
            let bytes = crate::recipe::codegen::object(&only, "recipe_terms").map_err(|e| e.to_string())?;
            let tmp = outdir.join(format!("{object}.tmp"));
            std::fs::write(&tmp, &bytes).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
            std::fs::rename(&tmp, &path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        for (k, (key, _)) in terms.iter().enumerate() {
            cat.terms.push(TermEntry {
                key: key.clone(),
                symbol: crate::recipe::codegen::symbol(k),
                object: object.clone(),
            });
        }
    }
    let json = serde_json::to_string_pretty(&cat).map_err(|e| e.to_string())?;
    std::fs::write(&cat_path, json).map_err(|e| format!("cannot write catalogue: {e}"))?;
    Ok(terms.len())
}

/// A compiled per-segment value loaded from an artifact directory.
pub struct LoadedTerm {
    /// Its key.
    pub key: String,
    /// The function (valid while `object` lives).
    pub function: crate::recipe::codegen::SegmentFn,
    /// The loaded code.
    pub object: Arc<LoadedObject>,
}

/// Loads the compiled per-segment values of an artifact directory.
pub fn load_terms(dir: &Path) -> Result<Vec<LoadedTerm>, String> {
    let cat = read_catalogue(dir)?;
    let mut objects: Vec<(String, Arc<LoadedObject>)> = Vec::new();
    let mut out = Vec::new();
    for t in cat.terms {
        let obj = match objects.iter().find(|(n, _)| *n == t.object) {
            Some((_, o)) => o.clone(),
            None => {
                let path = dir.join(&t.object);
                let bytes =
                    std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                let o =
                    Arc::new(codegen::load::load(&bytes).map_err(|e| format!("{}: {e}", path.display()))?);
                objects.push((t.object.clone(), o.clone()));
                o
            }
        };
        let p =
            obj.symbol(&t.symbol).ok_or_else(|| format!("{}: symbol {} is missing", t.object, t.symbol))?;
        // SAFETY: defined by recipe::codegen with the SegmentFn signature.
        let function = unsafe { std::mem::transmute::<*const u8, crate::recipe::codegen::SegmentFn>(p) };
        out.push(LoadedTerm { key: t.key, function, object: obj });
    }
    Ok(out)
}
