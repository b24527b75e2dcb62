//! Every recipe in `recipes/` runs, and its numbers agree with something independent:
//! * `hh_soma`: NEURON's reference traces of the same model (`../shared/reference/neuron/
//!   hh_soma_amp{0.1,0.2,0.3}_be.csv`), every step, to 1e-6 mV;
//! * `ball_and_stick`: cable theory (the steady-state input resistance of a soma and a
//!   sealed-end cable, and the attenuation to the tip), to 0.1 %;
//! * `fi_curve`: NEURON's spike counts of the reference HH runs at 0.1, 0.2 and 0.3 nA;
//! * `l5pc`: the same e-model built with BluePyOpt and NEURON (`tests/golden/recipe/`, made by
//!   `tools/golden/recipe/run.sh`), to 1e-6 mV;
//! * `myelin build` + `myelin run --aot` give the same files as the JIT run;
//! * the threshold search finds the smallest step that fires, within its precision.

mod recipe_support;

use flate2::read::GzDecoder;
use recipe_support::*;
use std::io::Read;
use std::path::Path;

fn run_recipe(name: &str, out: &Path) {
    let o = myelin(
        &repo(),
        &["run", &format!("recipes/{name}.recipe"), "--out", out.to_str().unwrap(), "--quiet"],
    );
    assert!(o.status.success(), "recipes/{name}.recipe failed:\n{}", stderr(&o));
}

fn reference(name: &str) -> (Vec<f64>, Vec<f64>) {
    read_csv(&shared().join("reference/neuron").join(name))
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "lengths differ");
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

#[test]
fn hh_soma_matches_neuron_reference_traces() {
    let out = scratch("hh_soma");
    run_recipe("hh_soma", &out);
    let (t, v) = read_csv(&out.join("step/v.csv"));
    let (rt, rv) = reference("hh_soma_amp0.1_be.csv");
    assert_eq!(t.len(), rt.len());
    assert!(max_abs_diff(&t, &rt) < 1e-9);
    let d = max_abs_diff(&v, &rv);
    assert!(d < 1e-6, "max |v - v_NEURON| = {d} mV");
    for (k, amp) in ["0.1", "0.2", "0.3"].iter().enumerate() {
        let (_, v) = read_csv(&out.join(format!("sweep_amp/{k}/step/v.csv")));
        let (_, rv) = reference(&format!("hh_soma_amp{amp}_be.csv"));
        let d = max_abs_diff(&v, &rv);
        assert!(d < 1e-6, "amp {amp}: max |v - v_NEURON| = {d} mV");
    }
    // The evaluation scores what it reports: Σ|v - mean|/std/n.
    let e = read_json(&out.join("evaluation.json"));
    for f in e["features"].as_array().unwrap() {
        let vals: Vec<f64> = f["values"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
        let (m, s) = (f["target"]["mean"].as_f64().unwrap(), f["target"]["std"].as_f64().unwrap());
        let want = vals.iter().map(|x| (x - m).abs()).sum::<f64>() / s / vals.len() as f64;
        assert!((f["score"].as_f64().unwrap() - want).abs() < 1e-12, "{f}");
    }
    let sweep = std::fs::read_to_string(out.join("sweep_amp.csv")).unwrap();
    assert!(
        sweep.starts_with(
            "amp_nA,step.v.Spikecount,step.v.mean_frequency,step.v.AP_height,total_score\n0.1,7,"
        ),
        "{sweep}"
    );
}

#[test]
fn ball_and_stick_matches_cable_theory() {
    let out = scratch("ball_and_stick");
    run_recipe("ball_and_stick", &out);
    // Geometry and membrane of recipes/ball_and_stick.recipe (CGS units).
    let (rm, ra) = (1.0 / 1e-4, 100.0); // Ω·cm², Ω·cm
    let (ls, ds, l, d) = (20e-4, 20e-4, 500e-4, 2e-4); // cm
    let g_soma = std::f64::consts::PI * ds * ls / rm; // S
    let lambda = (rm * d / (4.0 * ra)).sqrt();
    let g_inf = std::f64::consts::PI * d * d / (4.0 * ra * lambda);
    let g_cable = g_inf * (l / lambda).tanh();
    let r_in = 1.0 / (g_soma + g_cable) / 1e6; // MΩ
    let dv = 0.1 * r_in; // mV for 0.1 nA
    let (t, v) = read_csv(&out.join("step/soma.csv"));
    let at = |ms: f64| v[t.iter().position(|&x| x >= ms).unwrap()];
    let rest = at(19.0);
    let steady = at(279.0);
    assert!((rest + 65.0).abs() < 1e-9, "rest {rest}");
    let rel = ((steady - rest) - dv).abs() / dv;
    assert!(rel < 1e-3, "soma deflection {} mV, cable theory {dv} mV ({rel:.2e})", steady - rest);
    let (_, tip) = read_csv(&out.join("step/tip.csv"));
    let tip_dv = tip[t.iter().position(|&x| x >= 279.0).unwrap()] + 65.0;
    let want = dv / (l / lambda).cosh();
    assert!((tip_dv - want).abs() / want < 2e-3, "tip {tip_dv} mV, cable theory {want} mV");
    // The input resistance feature agrees too.
    let e = read_json(&out.join("evaluation.json"));
    let rin = e["features"][1]["mean"].as_f64().unwrap();
    assert!((rin - r_in).abs() / r_in < 2e-3, "Rin {rin} MΩ, cable theory {r_in} MΩ");
}

#[test]
fn fi_curve_counts_match_neuron() {
    let out = scratch("fi_curve");
    run_recipe("fi_curve", &out);
    let table = std::fs::read_to_string(out.join("sweep_amplitude.csv")).unwrap();
    let rows: Vec<Vec<&str>> = table.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 21);
    let summary = read_json(&shared().join("reference/neuron/simple_summary.json"));
    for amp in ["0.1", "0.2", "0.3"] {
        let row = rows.iter().find(|r| r[0] == amp).unwrap_or_else(|| panic!("no row {amp}:\n{table}"));
        let n: f64 = row[1].parse().unwrap();
        let want = summary["hh_soma"][format!("amp{amp}_be")]["n_spikes_0mV"].as_f64().unwrap();
        assert_eq!(n, want, "spikes at {amp} nA");
    }
    assert_eq!(rows[0][1], "0");
    // Firing rises with the current once the cell fires repetitively.
    let f: Vec<f64> = rows[3..].iter().map(|r| r[2].parse().unwrap()).collect();
    assert!(f.windows(2).all(|w| w[1] >= w[0]), "{table}");
}

fn golden(name: &str) -> (Vec<f64>, Vec<f64>) {
    let path = repo().join("tests/golden/recipe").join(name);
    let mut text = String::new();
    GzDecoder::new(std::fs::File::open(&path).unwrap()).read_to_string(&mut text).unwrap();
    let mut t = Vec::new();
    let mut v = Vec::new();
    for l in text.lines().skip(1) {
        let (a, b) = l.split_once(',').unwrap();
        t.push(a.parse().unwrap());
        v.push(b.parse().unwrap());
    }
    (t, v)
}

/// Compares a trace with a golden sampled every `every` steps.
fn compare_with_golden(trace: &Path, golden_name: &str) -> f64 {
    let (t, v) = read_csv(trace);
    let (gt, gv) = golden(golden_name);
    let every = (t.len() - 1) / (gt.len() - 1);
    assert_eq!((gt.len() - 1) * every, t.len() - 1, "{golden_name}: sample counts");
    let mut worst: f64 = 0.0;
    for (k, (a, b)) in gt.iter().zip(&gv).enumerate() {
        assert!((t[k * every] - a).abs() < 1e-9, "{golden_name}: times differ at {k}");
        worst = worst.max((v[k * every] - b).abs());
    }
    worst
}

#[test]
fn l5pc_matches_bluepyopt_and_neuron() {
    let out = scratch("l5pc");
    run_recipe("l5pc", &out);
    for (trace, gold) in [
        ("Step/soma.csv", "l5pc_like.Step.soma.v.csv.gz"),
        ("bAP/soma.csv", "l5pc_like.bAP.soma.v.csv.gz"),
        ("bAP/dend1.csv", "l5pc_like.bAP.dend1.v.csv.gz"),
        ("bAP/dend2.csv", "l5pc_like.bAP.dend2.v.csv.gz"),
    ] {
        let d = compare_with_golden(&out.join(trace), gold);
        assert!(d < 1e-6, "{trace}: max |v - v_NEURON| = {d} mV");
    }
    let e = read_json(&out.join("evaluation.json"));
    assert_eq!(e["features"].as_array().unwrap().len(), 9);
    let spikes = e["features"][0]["mean"].as_f64().unwrap();
    assert!(spikes >= 5.0, "Step fires {spikes} spikes");
    assert!(e["total_score"].as_f64().unwrap().is_finite());
    for f in ["Step/soma.svg", "bAP/dend1.svg"] {
        let svg = std::fs::read_to_string(out.join(f)).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("polyline"), "{f}");
    }
}

#[test]
fn aot_build_runs_like_the_jit() {
    let dir = scratch("aot");
    let art = dir.join("artifacts");
    let o = myelin(&repo(), &["build", "recipes/l5pc.recipe", "-o", art.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("1 compiled value(s)"), "{}", stderr(&o));
    let jit = dir.join("jit");
    let aot = dir.join("aot");
    run_recipe("l5pc", &jit);
    let o = myelin(
        &repo(),
        &[
            "run",
            "recipes/l5pc.recipe",
            "--aot",
            art.to_str().unwrap(),
            "--out",
            aot.to_str().unwrap(),
            "--quiet",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    for f in ["Step/soma.csv", "bAP/dend2.csv", "evaluation.json"] {
        let a = std::fs::read(jit.join(f)).unwrap();
        let b = std::fs::read(aot.join(f)).unwrap();
        assert!(a == b, "{f} differs between JIT and AOT");
    }
    // A directory built from another recipe lacks the recipe's compiled values.
    let other = dir.join("other");
    let o = myelin(&repo(), &["build", "recipes/hh_soma.recipe", "-o", other.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = myelin(
        &repo(),
        &["run", "recipes/l5pc.recipe", "--aot", other.to_str().unwrap(), "--out", aot.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("run `myelin build` again"), "{}", stderr(&o));
}

#[test]
fn threshold_search_finds_the_smallest_step_that_fires() {
    let dir = scratch("search");
    let recipe = "\
morphology ball = cylinder(length = 20 um, diam = 20 um)
cell c { morphology = ball, insert hh, insert pas { g = 1e-5 S/cm2, e = -70 mV } }
search holding_current { target = -68 mV, duration = 200 ms }
search threshold_current {
    delay = 50 ms, duration = 100 ms, total = 200 ms, precision = 0.002 nA
    rmp_duration = 200 ms, rin_delay = 50 ms, rin_duration = 100 ms, rin_total = 200 ms
}
protocol thr {
    duration = 200 ms
    stimulus holding at soma { amplitude = holding_current }
    stimulus step at soma { delay = 50 ms, duration = 100 ms, amplitude = threshold_current }
    record v = v at soma
    feature v Spikecount = 1 +- 1
}
protocol below {
    duration = 200 ms
    stimulus holding at soma { amplitude = holding_current }
    stimulus step at soma { delay = 50 ms, duration = 100 ms, amplitude = threshold_current - 0.002 nA }
    record v = v at soma
    feature v Spikecount = 0 +- 1
}
protocol held {
    duration = 200 ms
    stimulus holding at soma { amplitude = holding_current }
    record v = v at soma
    feature v steady_state_voltage_stimend = -68 mV +- 1 mV { stim_start = 100 ms, stim_end = 200 ms }
}
evaluate thr, below, held
";
    std::fs::write(dir.join("s.recipe"), recipe).unwrap();
    let o = myelin(&dir, &["run", "s.recipe", "--out", "out", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let e = read_json(&dir.join("out/evaluation.json"));
    let value = |k: usize| e["features"][k]["mean"].as_f64().unwrap();
    assert!(value(0) >= 1.0, "no spike at the threshold current: {e}");
    assert_eq!(value(1), 0.0, "a spike below the threshold current: {e}");
    // The holding current holds the cell within the search's tolerance.
    assert!((value(2) + 68.0).abs() < 0.1, "held at {} mV", value(2));
    let c = &e["currents"];
    assert!(
        c["holding_current"].as_f64().unwrap() < 0.0 && c["threshold_current"].as_f64().unwrap() > 0.0,
        "{c}"
    );
    assert!(c["rin"].as_f64().unwrap() > 0.0 && c["rmp"].as_f64().unwrap() < -60.0, "{c}");
}

/// A 300-line recipe: the L5PC-like e-model with 20 step protocols of 12 lines each.
fn three_hundred_lines() -> String {
    let base = std::fs::read_to_string(repo().join("recipes/l5pc.recipe")).unwrap();
    let cut = base.find("# A depolarising step").unwrap();
    let mut text = base[..cut].replace("\"morphologies/", "\"../../../../recipes/morphologies/");
    for k in 0..20 {
        text.push_str(&format!(
            "protocol Step{k} {{\n    duration = 1000 ms\n    stimulus holding at soma(0.5) {{ amplitude = -0.05 nA }}\n    stimulus step at soma(0.5) {{ delay = 200 ms, duration = 600 ms, amplitude = {} nA }}\n    record soma = v at soma(0.5)\n    record dend1 = v at dend1\n    feature soma Spikecount = {k} +- 3\n    feature soma mean_frequency = 20 Hz +- 5 Hz\n    feature soma AP_height = 22 mV +- 5 mV {{ Threshold = -30 mV }}\n    feature soma voltage_base = -71 mV +- 2 mV\n    feature dend1 maximum_voltage_from_voltagebase = 65 mV +- 10 mV {{ Threshold = -55 mV }}\n}}\n",
            0.2 + 0.05 * k as f64
        ));
    }
    text.push_str("evaluate\n");
    text
}

#[test]
fn checking_a_300_line_recipe_is_fast() {
    let dir = scratch("check-300");
    let text = three_hundred_lines();
    let lines = text.lines().count();
    assert!((290..=320).contains(&lines), "{lines} lines");
    std::fs::write(dir.join("big.recipe"), &text).unwrap();
    // Once to warm the file cache, then the best of three.
    let mut best = f64::INFINITY;
    for _ in 0..4 {
        let t0 = std::time::Instant::now();
        let o = myelin(&dir, &["check", "big.recipe"]);
        let took = t0.elapsed().as_secs_f64();
        assert!(o.status.success(), "{}", stderr(&o));
        best = best.min(took);
    }
    eprintln!("myelin check of a {lines}-line recipe: {:.1} ms (best of 4)", best * 1000.0);
    assert!(best < 2.0, "checking took {best} s");
}

#[test]
fn recipes_take_mechanisms_from_artifact_directories() {
    let dir = scratch("aot-source");
    let o = myelin(&repo(), &["build", "mechanisms/hh.mod", "-o", dir.join("hh-objects").to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let recipe = "\
mechanisms { aot \"hh-objects\" }
morphology ball = cylinder(length = 18.8 um, diam = 18.8 um)
cell soma { morphology = ball, Ra = 123 ohm*cm, insert hh }
protocol step {
    duration = 150 ms
    stimulus step at soma(0.5) { delay = 10 ms, duration = 100 ms, amplitude = 0.1 nA }
    record v = v at soma(0.5)
}
simulate step
";
    std::fs::write(dir.join("aot.recipe"), recipe).unwrap();
    let o = myelin(&dir, &["run", "aot.recipe", "--out", "out", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (_, v) = read_csv(&dir.join("out/step/v.csv"));
    let (_, rv) = reference("hh_soma_amp0.1_be.csv");
    let d = max_abs_diff(&v, &rv);
    assert!(d < 1e-6, "max |v - v_NEURON| = {d} mV");
    // Only what the sources provide exists: `pas` is not in this directory.
    std::fs::write(dir.join("bad.recipe"), recipe.replace("insert hh", "insert pas")).unwrap();
    let o = myelin(&dir, &["check", "bad.recipe"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("unknown mechanism `pas`"), "{}", stderr(&o));
}

#[test]
fn sweeps_reach_compiled_distributions() {
    let dir = scratch("sweep-distribution");
    let recipe = "\
morphology bs = ball_and_stick(dend_length = 100 um)
param slope = 1 /um
cell c {
    morphology = bs
    nseg = 5
    insert pas { g = 1e-5 S/cm2 * (1 + distance * slope / 100), e = -65 mV }
}
protocol rest {
    duration = 1 ms
    record g = pas.g at dend(0.9)
}
sweep slope in [0 /um, 1 /um, 2 /um] {
    simulate rest
}
";
    std::fs::write(dir.join("s.recipe"), recipe).unwrap();
    let o = myelin(&dir, &["run", "s.recipe", "--out", "out", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // dend(0.9) is the centre of the last of 5 segments: 10 + 90 µm from the soma's centre.
    for (k, slope) in [0.0, 1.0, 2.0].iter().enumerate() {
        let (_, g) = read_csv(&dir.join(format!("out/sweep_slope/{k}/rest/g.csv")));
        let want = 1e-5 * (1.0 + 100.0 * slope / 100.0);
        assert!((g[0] - want).abs() < 1e-18, "slope {slope}: g = {}, want {want}", g[0]);
    }
}

#[test]
fn failed_searches_score_250_and_stop_simulations() {
    let dir = scratch("search-fails");
    let recipe = "\
morphology ball = cylinder(length = 20 um, diam = 20 um)
cell c { morphology = ball, insert pas { g = 1e-4 S/cm2, e = -70 mV } }
search threshold_current { delay = 50 ms, duration = 100 ms, total = 200 ms, rmp_duration = 200 ms, rin_delay = 50 ms, rin_duration = 100 ms, rin_total = 200 ms, score = 0.1 nA +- 0.01 nA }
protocol thr {
    duration = 200 ms
    stimulus step at soma { delay = 50 ms, duration = 100 ms, amplitude = 2 * threshold_current }
    record v = v at soma
    feature v Spikecount = 3 +- 1
}
evaluate thr
";
    std::fs::write(dir.join("e.recipe"), recipe).unwrap();
    let o = myelin(&dir, &["run", "e.recipe", "--out", "out", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let e = read_json(&dir.join("out/evaluation.json"));
    assert_eq!(e["scores"]["thr.v.Spikecount"].as_f64(), Some(250.0), "{e}");
    assert_eq!(e["scores"]["search.threshold_current"].as_f64(), Some(250.0), "{e}");
    assert!(e["errors"][0]["error"].as_str().unwrap().contains("threshold search failed"), "{e}");
    std::fs::write(dir.join("s.recipe"), recipe.replace("evaluate thr", "simulate thr")).unwrap();
    let o = myelin(&dir, &["run", "s.recipe", "--out", "out2"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no spike at its upper bound"), "{}", stderr(&o));
}
