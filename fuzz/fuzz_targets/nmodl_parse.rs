//! Fuzz target: any bytes through the NMODL scanner, grammar, tree builder and units pass; what
//! parses without errors must print, re-parse to the same tree, and print identically again.
//! Nothing may panic (libFuzzer reports panics and stack overflows as crashes).

#![no_main]

use libfuzzer_sys::fuzz_target;
use myelin_compiler::diag::SourceMap;
use myelin_compiler::nmodl::{self, dump::dump_module, print::print_module};
use myelin_compiler::units;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let text = nmodl::parse::decode(data);
    let mut sources = SourceMap::new();
    let id = sources.add(Path::new("fuzz.mod"), text);
    let parsed = nmodl::parse_source(&mut sources, id, &[], 0);
    let mut diags = parsed.diagnostics.clone();
    units::check_module(&parsed.module, id, &mut diags);
    let _ = sources.render(&diags[..diags.len().min(100)]);
    if parsed.diagnostics.iter().any(|d| d.is_error()) {
        return;
    }
    let printed = print_module(&parsed.module);
    let mut s2 = SourceMap::new();
    let id2 = s2.add(Path::new("fuzz.mod"), printed.clone());
    let again = nmodl::parse_source(&mut s2, id2, &[], 0);
    assert!(
        !again.diagnostics.iter().any(|d| d.is_error()),
        "printed text does not parse:\n{}\n{printed}",
        s2.render(&again.diagnostics)
    );
    assert_eq!(dump_module(&parsed.module), dump_module(&again.module), "tree changed:\n{printed}");
    assert_eq!(printed, print_module(&again.module), "printer not idempotent");
});
