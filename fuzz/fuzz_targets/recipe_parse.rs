//! Fuzz target: any bytes through the recipe scanner, grammar, tree builder and checker (with no
//! mechanisms and no files), and diagnostics rendering. Nothing may panic, overflow the stack or
//! hang (libFuzzer reports these as crashes). Run with `cargo +nightly fuzz run recipe_parse`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use myelin_compiler::diag::SourceMap;
use myelin_compiler::recipe::env::{FeatureInfo, SimpleEnv};
use myelin_compiler::recipe::{check, parse};
use std::path::Path;

fn feature(name: &str) -> Result<FeatureInfo, Option<String>> {
    match name {
        "Spikecount" => Ok(FeatureInfo { unit: "" }),
        "AP_height" => Ok(FeatureInfo { unit: "mV" }),
        "mean_frequency" => Ok(FeatureInfo { unit: "Hz" }),
        _ => Err(None),
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let mut sources = SourceMap::new();
    let id = sources.add(Path::new("fuzz.recipe"), text);
    let parsed = parse::parse_source(&sources, id);
    let env = SimpleEnv { mechanisms: vec![], features: feature };
    let (_, mut diags) = check(&parsed.recipe, Path::new("/nonexistent"), &env);
    diags.extend(parsed.diagnostics);
    let _ = sources.render(&diags[..diags.len().min(100)]);
});
