//! Helpers of the recipe tests: the `myelin` binary, scratch directories, the shared data.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared` (or `$MYELIN_SHARED`): the read-only reference data beside the repository.
pub fn shared() -> PathBuf {
    if let Some(p) = std::env::var_os("MYELIN_SHARED") {
        return PathBuf::from(p);
    }
    let mut dir = repo();
    loop {
        let candidate = dir.join("shared");
        if candidate.join("reference").is_dir() {
            return candidate;
        }
        if !dir.pop() {
            panic!("no `shared` directory with `reference/` beside the repository (set MYELIN_SHARED)");
        }
    }
}

/// A fresh scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("recipe-tests").join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `myelin ARGS` run in `dir`, without colours.
pub fn myelin(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_myelin"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("TERM", "dumb")
        .output()
        .expect("the myelin binary runs")
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Reads a two-column CSV with a header (t, value).
pub fn read_csv(path: &Path) -> (Vec<f64>, Vec<f64>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut t = Vec::new();
    let mut v = Vec::new();
    for line in text.lines().skip(1) {
        let mut it = line.split(',');
        t.push(it.next().unwrap().trim().parse().unwrap());
        v.push(it.next().unwrap().trim().parse().unwrap());
    }
    (t, v)
}

/// Reads a JSON file.
pub fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Copies the recipe's morphology used by the examples as `cell.swc` into `dir`.
pub fn provide_cell_swc(dir: &Path) {
    std::fs::copy(repo().join("recipes/morphologies/l5pc_like.swc"), dir.join("cell.swc")).unwrap();
}
