//! Round trip of the printer: parse → print → parse gives the same tree (spans aside), and
//! printing is idempotent. Over the public corpus (`MYELIN_MOD_CORPUS`, skipped with a notice
//! when unset: CI does not have it), over every .mod file of this repository, over the seed
//! programs, and over a thousand random valid programs.

mod nmodl_gen;

use myelin_compiler::diag::SourceMap;
use myelin_compiler::nmodl;
use nmodl_gen::{has_errors, mod_files, parse_at, round_trip, Gen, SEEDS};
use std::path::{Path, PathBuf};

#[test]
fn public_corpus_round_trip() {
    let Some(dir) = std::env::var_os("MYELIN_MOD_CORPUS") else {
        println!("MYELIN_MOD_CORPUS is not set: skipping the public-corpus round trip");
        println!("(download it with ../shared/tools/fetch-mod-corpus.sh DIR and set MYELIN_MOD_CORPUS=DIR)");
        return;
    };
    let files = mod_files(Path::new(&dir));
    assert!(!files.is_empty(), "no .mod files under {}", PathBuf::from(&dir).display());
    let mut parsed_ok = 0;
    let mut not_parsed = Vec::new();
    let mut failures = Vec::new();
    for f in &files {
        let mut sources = SourceMap::new();
        let (_, parsed) = nmodl::parse_file(&mut sources, f, &[]).expect("readable corpus file");
        if has_errors(&parsed.diagnostics) {
            not_parsed.push(f.display().to_string());
            continue;
        }
        parsed_ok += 1;
        // The printed text is parsed as if it were the same file, so INCLUDEs still resolve.
        if let Err(e) = round_trip(f, &parsed.module, &[]) {
            failures.push(format!("{}: {e}", f.display()));
        }
    }
    println!(
        "public corpus: {} files, {parsed_ok} parsed and round-tripped, {} with syntax errors: {:?}",
        files.len(),
        not_parsed.len(),
        not_parsed
    );
    assert!(failures.is_empty(), "{} round-trip failures:\n{}", failures.len(), failures.join("\n\n"));
    // The corpus holds a few files NEURON itself rejects; anything beyond that is a regression.
    assert!(not_parsed.len() * 50 <= files.len(), "too many corpus files fail to parse: {not_parsed:?}");
}

#[test]
fn repository_mod_files_round_trip() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root");
    let mut n = 0;
    for f in mod_files(root) {
        if f.components().any(|c| c.as_os_str() == "fuzz") {
            continue;
        }
        let mut sources = SourceMap::new();
        let (_, parsed) = nmodl::parse_file(&mut sources, &f, &[]).expect("readable");
        assert!(
            !has_errors(&parsed.diagnostics),
            "{}:\n{}",
            f.display(),
            sources.render(&parsed.diagnostics)
        );
        round_trip(&f, &parsed.module, &[]).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        n += 1;
    }
    println!("{n} .mod files of the repository round-tripped");
}

#[test]
fn seed_programs_round_trip() {
    for (i, s) in SEEDS.iter().enumerate() {
        let path = PathBuf::from(format!("seed{i}.mod"));
        let (parsed, sources) = parse_at(&path, s, &[]);
        assert!(parsed.diagnostics.is_empty(), "seed {i}:\n{}", sources.render(&parsed.diagnostics));
        round_trip(&path, &parsed.module, &[]).unwrap_or_else(|e| panic!("seed {i}: {e}"));
    }
}

#[test]
fn random_programs_round_trip() {
    let path = PathBuf::from("random.mod");
    for seed in 0..1000u64 {
        let text = Gen::new(seed).program();
        let (parsed, sources) = parse_at(&path, &text, &[]);
        assert!(
            !has_errors(&parsed.diagnostics),
            "seed {seed}: generated program does not parse:\n{}\n{text}",
            sources.render(&parsed.diagnostics)
        );
        round_trip(&path, &parsed.module, &[])
            .unwrap_or_else(|e| panic!("seed {seed}: {e}\nsource:\n{text}"));
    }
}
