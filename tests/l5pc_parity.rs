//! Acceptance of `myelin bluepyopt run` on BluePyOpt's L5PC example (issue 5): the example's own
//! configuration files, morphology and release parameters (read in place from ../shared), our
//! mechanisms/ compiled on the fly, against NEURON 9.0.2:
//!
//! * Step1 and bAP (soma, dend1, dend2) against ../shared/reference/neuron (NEURON with the
//!   original BBP .mod files): equal spike counts, every −20 mV crossing within 0.05 ms of
//!   NEURON's, RMS ≤ 0.005 mV before the stimulus; max |Δv| is printed;
//! * the 15 BluePyOpt scores of those protocols (`--features`) against the recorded ones
//!   (1e-6 relative; the traces agree to rounding, the scores to ~1e-10);
//! * Step3 (3 s, 32 spikes, the benchmark protocol) against tests/golden/neuron/l5pc (NEURON
//!   with our mechanisms/).
//!
//! The test runs the release binary end to end (`cargo test --release --test l5pc_parity`).

use flate2::read::GzDecoder;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `MYELIN_SHARED`, else a `shared/` directory with `reference/` beside the repository or one of
/// its ancestors (CI: a clean clone of main beside ../shared).
fn shared() -> PathBuf {
    if let Some(d) = std::env::var_os("MYELIN_SHARED") {
        return PathBuf::from(d);
    }
    for dir in root().ancestors() {
        let c = dir.join("shared");
        if c.join("reference").is_dir() {
            return c;
        }
    }
    panic!("shared directory not found: set MYELIN_SHARED or place `shared/` beside the repository");
}

struct Trace {
    t: Vec<f64>,
    v: Vec<f64>,
}

fn read_csv(path: &Path) -> Trace {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = if path.extension().is_some_and(|e| e == "gz") {
        let mut s = String::new();
        GzDecoder::new(&bytes[..])
            .read_to_string(&mut s)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        s
    } else {
        String::from_utf8(bytes).unwrap()
    };
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("t_ms,v_mV"), "{}: header", path.display());
    let (mut t, mut v) = (Vec::new(), Vec::new());
    for (i, l) in lines.enumerate() {
        let (a, b) = l.split_once(',').unwrap_or_else(|| panic!("{}:{}: {l}", path.display(), i + 2));
        t.push(a.parse().unwrap());
        v.push(b.parse().unwrap());
    }
    Trace { t, v }
}

/// Times of −20 mV crossings (up and down), linearly interpolated between samples.
fn crossings(tr: &Trace, thr: f64) -> Vec<(bool, f64)> {
    let mut out = Vec::new();
    for i in 1..tr.v.len() {
        let (a, b) = (tr.v[i - 1] - thr, tr.v[i] - thr);
        if (a < 0.0) != (b < 0.0) {
            let f = a / (a - b);
            out.push((b >= 0.0, tr.t[i - 1] + f * (tr.t[i] - tr.t[i - 1])));
        }
    }
    out
}

fn run_myelin(out: &Path, protocols: &[&str], features: bool) {
    let ex = shared().join("data/BluePyOpt/examples/l5pc");
    let _ = std::fs::remove_dir_all(out);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_myelin"));
    cmd.arg("bluepyopt")
        .arg("run")
        .arg("--config")
        .arg(ex.join("config"))
        .arg("--morphology")
        .arg(ex.join("morphology/C060114A7.asc"))
        .arg("--mechanisms")
        .arg(root().join("mechanisms"))
        .arg("--params")
        .arg(shared().join("reference/neuron/l5pc_release_params.json"))
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .env("MYELIN_CACHE_DIR", "");
    for p in protocols {
        cmd.arg("--protocol").arg(p);
    }
    if features {
        cmd.arg("--features");
    }
    let o = cmd.output().expect("myelin runs");
    assert!(o.status.success(), "myelin failed:\n{}", String::from_utf8_lossy(&o.stderr));
}

/// Compares a trace with NEURON's; returns (spikes, max |Δt|, RMS before the stimulus, max |Δv|).
fn compare(name: &str, ours: &Trace, neuron: &Trace, stim_start: f64) -> (usize, f64, f64, f64) {
    assert_eq!(ours.t.len(), neuron.t.len(), "{name}: number of samples");
    for (a, b) in ours.t.iter().zip(&neuron.t) {
        assert!((a - b).abs() < 1e-9, "{name}: sample times differ ({a} vs {b})");
    }
    let (ca, cb) = (crossings(ours, -20.0), crossings(neuron, -20.0));
    let spikes = |c: &[(bool, f64)]| c.iter().filter(|x| x.0).count();
    assert_eq!(spikes(&ca), spikes(&cb), "{name}: spike counts");
    assert_eq!(ca.len(), cb.len(), "{name}: −20 mV crossings");
    let mut max_dt: f64 = 0.0;
    for (a, b) in ca.iter().zip(&cb) {
        assert_eq!(a.0, b.0, "{name}: crossing directions");
        max_dt = max_dt.max((a.1 - b.1).abs());
    }
    let pre: Vec<f64> = ours
        .t
        .iter()
        .zip(ours.v.iter().zip(&neuron.v))
        .filter(|(t, _)| **t < stim_start)
        .map(|(_, (a, b))| (a - b) * (a - b))
        .collect();
    let rms = (pre.iter().sum::<f64>() / pre.len() as f64).sqrt();
    let max_dv = ours.v.iter().zip(&neuron.v).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    println!(
        "{name}: {} spikes (NEURON {}), max |Δt| of {} crossings {max_dt:.2e} ms, RMS before {stim_start} ms {rms:.2e} mV, max |Δv| {max_dv:.2e} mV",
        spikes(&ca),
        spikes(&cb),
        ca.len()
    );
    assert!(max_dt <= 0.05, "{name}: max |Δt| {max_dt} ms > 0.05 ms");
    assert!(rms <= 0.005, "{name}: RMS before the stimulus {rms} mV > 0.005 mV");
    (spikes(&ca), max_dt, rms, max_dv)
}

fn number(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn step1_and_bap_match_neuron_and_bluepyopt_scores() {
    let out = std::env::temp_dir().join(format!("myelin-l5pc-step1-bap-{}", std::process::id()));
    run_myelin(&out, &["Step1", "bAP"], true);
    let reference = shared().join("reference/neuron");
    let cases = [
        ("Step1.soma.v", 700.0, 14),
        ("bAP.soma.v", 295.0, 1),
        ("bAP.dend1.v", 295.0, 1),
        ("bAP.dend2.v", 295.0, 0),
    ];
    for (name, stim, spikes) in cases {
        let ours = read_csv(&out.join(format!("{name}.csv")));
        let neuron = read_csv(&reference.join(format!("l5pc_neuron_fixed_{name}.csv.gz")));
        let (n, _, _, _) = compare(name, &ours, &neuron, stim);
        assert_eq!(n, spikes, "{name}: the reference has {spikes} spikes");
    }
    // Scores (and feature values) against BluePyOpt's on NEURON's in-memory traces.
    let rec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(reference.join("l5pc_step1_bap.json")).unwrap())
            .unwrap();
    let ours: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("features.json")).unwrap()).unwrap();
    let want = rec["scores"].as_object().unwrap();
    assert_eq!(ours["scores"].as_object().unwrap().len(), want.len(), "one score per objective");
    let mut worst: f64 = 0.0;
    for (k, v) in want {
        let (a, b) = (number(&ours["scores"][k]), number(v));
        let rel = (a - b).abs() / b.abs().max(1e-9);
        worst = worst.max(if b == 0.0 { a.abs() } else { rel });
        assert!((a - b).abs() <= 1e-9 + 1e-6 * b.abs(), "{k}: score {a}, BluePyOpt {b}");
        let (fa, fb) = (number(&ours["features"][k]), number(&rec["features"][k]));
        assert!((fa - fb).abs() <= 1e-9 + 1e-6 * fb.abs(), "{k}: feature {fa}, eFEL {fb}");
    }
    println!("scores: {} objectives, worst relative difference {worst:.1e}", want.len());
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn step3_matches_neuron_on_our_mechanisms() {
    let out = std::env::temp_dir().join(format!("myelin-l5pc-step3-{}", std::process::id()));
    run_myelin(&out, &["Step3"], false);
    let ours = read_csv(&out.join("Step3.soma.v.csv"));
    let neuron = read_csv(&root().join("tests/golden/neuron/l5pc/Step3.soma.v.csv.gz"));
    let (n, _, _, _) = compare("Step3.soma.v", &ours, &neuron, 700.0);
    assert_eq!(n, 32, "the golden has 32 spikes");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn bad_input_names_the_file_and_the_field() {
    let ex = shared().join("data/BluePyOpt/examples/l5pc");
    let dir = std::env::temp_dir().join(format!("myelin-l5pc-bad-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["mechanisms.json", "protocols.json", "features.json"] {
        std::fs::copy(ex.join("config").join(f), dir.join(f)).unwrap();
    }
    let params = std::fs::read_to_string(ex.join("config/parameters.json")).unwrap();
    std::fs::write(
        dir.join("parameters.json"),
        params.replacen("\"sectionlist\": \"apical\"", "\"sectionlist\": \"apicl\"", 1),
    )
    .unwrap();
    let run = |extra: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_myelin"))
            .args(["bluepyopt", "run", "--config"])
            .arg(&dir)
            .arg("--morphology")
            .arg(ex.join("morphology/C060114A7.asc"))
            .arg("--params")
            .arg(shared().join("reference/neuron/l5pc_release_params.json"))
            .arg("--out")
            .arg(dir.join("out"))
            .args(extra)
            .output()
            .unwrap();
        (o.status.code(), String::from_utf8_lossy(&o.stderr).to_string())
    };
    let (code, err) = run(&["--protocol", "bAP"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("parameters.json:") && err.contains("unknown section list `apicl`"), "{err}");
    assert!(err.contains("sectionlist") && err.contains("help:"), "{err}");
    std::fs::copy(ex.join("config/parameters.json"), dir.join("parameters.json")).unwrap();
    let (code, err) = run(&["--protocol", "Step9"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("no protocol named `Step9`") && err.contains("bAP"), "{err}");
    let (code, err) = run(&[]);
    assert_eq!(code, Some(2), "a missing --protocol is a usage error: {err}");
    let _ = std::fs::remove_dir_all(&dir);
}
