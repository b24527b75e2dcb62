//! `myelin import bluepyopt` converts the BluePyOpt L5PC example (configuration and morphology
//! in `../shared/data`, release parameters in `../shared/reference`) into a recipe; the recipe
//! checks, its text is snapshotted, and running it gives the same traces as
//! `myelin bluepyopt run` on the same inputs (equal to the 6 decimals that command prints).

mod recipe_support;

use recipe_support::*;

fn import(dir: &std::path::Path) -> String {
    let s = shared();
    let l5 = s.join("data/BluePyOpt/examples/l5pc");
    let o = myelin(
        dir,
        &[
            "import",
            "bluepyopt",
            "--config",
            l5.join("config").to_str().unwrap(),
            "--morphology",
            l5.join("morphology/C060114A7.asc").to_str().unwrap(),
            "--params",
            s.join("reference/neuron/l5pc_release_params.json").to_str().unwrap(),
            "-o",
            "l5pc.recipe",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::read_to_string(dir.join("l5pc.recipe")).unwrap()
}

#[test]
fn converted_l5pc_recipe_checks_and_is_stable() {
    let dir = scratch("import-text");
    let text = import(&dir);
    let shared = std::fs::canonicalize(shared()).unwrap();
    let normalised: String = text
        .replace(&shared.display().to_string(), "<shared>")
        .replace(&crate::shared().display().to_string(), "<shared>")
        .lines()
        .map(|l| match (l.find("= \""), l.find("C060114A7.asc")) {
            // The morphology's relative path depends on where the checkout is.
            (Some(a), Some(b)) if l.starts_with("morphology ") => {
                format!("{}= \"<path>/{}\n", &l[..a], &l[b..])
            }
            _ => format!("{l}\n"),
        })
        .collect();
    insta::assert_snapshot!("l5pc_converted", normalised);
    let o = myelin(&dir, &["check", "l5pc.recipe"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn converted_l5pc_runs_like_bluepyopt_run() {
    let dir = scratch("import-run");
    let text = import(&dir);
    // Run the two reference protocols only.
    let last = text.lines().last().unwrap();
    assert!(last.starts_with("evaluate "), "{last}");
    let text = text.replace(last, "simulate bAP, Step1");
    std::fs::write(dir.join("l5pc.recipe"), text).unwrap();
    let o = myelin(&dir, &["run", "l5pc.recipe", "--out", "recipe", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = shared();
    let l5 = s.join("data/BluePyOpt/examples/l5pc");
    let o = myelin(
        &dir,
        &[
            "bluepyopt",
            "run",
            "--config",
            l5.join("config").to_str().unwrap(),
            "--morphology",
            l5.join("morphology/C060114A7.asc").to_str().unwrap(),
            "--params",
            s.join("reference/neuron/l5pc_release_params.json").to_str().unwrap(),
            "--protocol",
            "bAP",
            "--protocol",
            "Step1",
            "--out",
            "bpo",
            "--quiet",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    for (p, r) in [("bAP", "soma"), ("bAP", "dend1"), ("bAP", "dend2"), ("Step1", "soma")] {
        let (t1, v1) = read_csv(&dir.join(format!("bpo/{p}.{r}.v.csv")));
        let (t2, v2) = read_csv(&dir.join(format!("recipe/{p}/{r}.csv")));
        assert_eq!(v1.len(), v2.len(), "{p}.{r}");
        let dv = v1.iter().zip(&v2).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        let dt = t1.iter().zip(&t2).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        // `bluepyopt run` prints v to 1e-6 mV and t to 1e-4 ms.
        assert!(dv <= 5.0001e-7 && dt <= 5.0001e-5, "{p}.{r}: max |dv| {dv} mV, |dt| {dt} ms");
    }
}
