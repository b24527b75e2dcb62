//! Helpers shared by the stdlib integration tests: locating the shared reference directory and
//! reading traces (plain or gzipped CSV) with the library's own CSV reader.

#![allow(dead_code)]

use flate2::read::GzDecoder;
use myelin_stdlib::trace_csv::{parse_trace_csv, TraceColumns};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The shared read-only directory: `MYELIN_SHARED`, else a `shared` directory with a
/// `reference/` subdirectory beside the repository or one of its ancestors.
pub fn shared_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("MYELIN_SHARED") {
        return PathBuf::from(dir);
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in manifest.ancestors() {
        let candidate = dir.join("shared");
        if candidate.join("reference").is_dir() {
            return candidate;
        }
    }
    panic!("shared directory not found: set MYELIN_SHARED or place `shared/` beside the repository");
}

/// Directory of the committed eFEL goldens; `MYELIN_EFEL_GOLDEN_DIR` points the tests at another
/// set generated the same way (e.g. a large randomised sweep kept out of the repository).
pub fn golden_dir() -> PathBuf {
    match std::env::var_os("MYELIN_EFEL_GOLDEN_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/efel"),
    }
}

/// Reads a trace CSV, gunzipping `.gz` files.
pub fn read_trace(path: &Path) -> TraceColumns {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = if path.extension().is_some_and(|e| e == "gz") {
        let mut s = String::new();
        GzDecoder::new(&bytes[..])
            .read_to_string(&mut s)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        s
    } else {
        String::from_utf8(bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    parse_trace_csv(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Golden numbers may be the strings "NaN", "Infinity", "-Infinity".
pub fn number(v: &serde_json::Value) -> f64 {
    match v {
        serde_json::Value::Number(n) => n.as_f64().unwrap(),
        serde_json::Value::String(s) if s == "NaN" => f64::NAN,
        serde_json::Value::String(s) if s == "Infinity" => f64::INFINITY,
        serde_json::Value::String(s) if s == "-Infinity" => f64::NEG_INFINITY,
        other => panic!("not a number: {other}"),
    }
}

/// The comparison every golden test uses: 1e-6 relative, 1e-9 absolute; NaN equals NaN and
/// infinities must match exactly.
pub fn close(actual: f64, expected: f64) -> bool {
    if expected.is_nan() || actual.is_nan() {
        return expected.is_nan() && actual.is_nan();
    }
    if expected.is_infinite() || actual.is_infinite() {
        return expected == actual;
    }
    (actual - expected).abs() <= 1e-9 + 1e-6 * expected.abs()
}
