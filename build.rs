//! Compiles Myelin's own mechanisms (mechanisms/*.mod) ahead of time into one relocatable object
//! that the binary embeds and loads at run time with Myelin's own loader: the built-in catalogue
//! needs no JIT and no cache on first use. The object is keyed by the same fingerprints as the
//! compile cache, so a mechanism compiled here is recognised at run time whatever path lowers it.

use myelin_compiler::diag::{Diagnostic, SourceMap};
use myelin_compiler::mir::lower::LowerOptions;
use myelin_compiler::{aot, codegen, driver, nmodl};
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=mechanisms");
    println!("cargo:rerun-if-changed=compiler/src");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let mut files: Vec<PathBuf> = std::fs::read_dir("mechanisms")
        .expect("mechanisms/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "mod"))
        .collect();
    files.sort();
    let mut mirs = Vec::new();
    for f in &files {
        let mut sources = SourceMap::new();
        let text = std::fs::read_to_string(f).expect("read mechanism");
        let id = sources.add(f, text);
        let parsed = nmodl::parse_source(&mut sources, id, &[], 0);
        let stem = f.file_stem().and_then(|s| s.to_str()).unwrap_or("mechanism");
        let l = driver::lower_module(&parsed.module, stem, parsed.diagnostics, LowerOptions::default());
        if l.diagnostics.iter().any(Diagnostic::is_error) || l.mir.is_none() {
            panic!("{} does not compile:\n{}", f.display(), sources.render(&l.diagnostics));
        }
        mirs.extend(l.mir);
    }
    let refs: Vec<&myelin_compiler::mir::Mechanism> = mirs.iter().collect();
    let (bytes, prefixes) = codegen::object::compile(&refs, "myelin_builtin").expect("code generation");
    std::fs::write(out.join("builtin_mechanisms.o"), bytes).expect("write object");
    let entries: Vec<serde_json::Value> = mirs
        .iter()
        .zip(&prefixes)
        .map(|(m, prefix)| {
            let mut meta = m.meta.clone();
            meta.fingerprint = aot::fingerprint(m);
            serde_json::json!({ "prefix": prefix, "meta": meta })
        })
        .collect();
    let json = serde_json::to_string(&entries).expect("json");
    std::fs::write(out.join("builtin_mechanisms.json"), json).expect("write catalogue");
    let _ = Path::new("");
}
