//! BluePyEModel's model configuration format on the L5PC: the example's parameters.json and
//! mechanisms.json rewritten as a BluePyEModel legacy dict (with the release values frozen, the
//! Ih gradient as a named distribution and Ih on the `somadend` multi-location) and as the list
//! format must give NEURON's bAP traces exactly as the BluePyOpt files do.

use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn shared() -> PathBuf {
    if let Some(d) = std::env::var_os("MYELIN_SHARED") {
        return PathBuf::from(d);
    }
    root()
        .ancestors()
        .map(|d| d.join("shared"))
        .find(|c| c.join("reference").is_dir())
        .expect("shared/ beside the repository")
}

fn read(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .unwrap()
}

fn gunzip(p: &Path) -> String {
    use std::io::Read;
    let mut s = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(p).unwrap()).read_to_string(&mut s).unwrap();
    s
}

/// (location, name, value, distribution) of every parameter, release values for the free ones.
fn l5pc_parameters() -> Vec<(String, String, f64, Option<String>)> {
    let config = shared().join("data/BluePyOpt/examples/l5pc/config");
    let release = read(&shared().join("reference/neuron/l5pc_release_params.json"));
    let mut out = Vec::new();
    for p in read(&config.join("parameters.json")).as_array().unwrap() {
        let name = p["param_name"].as_str().unwrap().to_string();
        let loc = p.get("sectionlist").and_then(Value::as_str).unwrap_or("global").to_string();
        let value = match p.get("value") {
            Some(v) => v.as_f64().unwrap(),
            None => release[format!("{name}.{loc}")].as_f64().unwrap(),
        };
        let dist = (p["dist_type"] == "exp").then(|| "exp".to_string());
        out.push((loc, name, value, dist));
    }
    out
}

fn mechanisms() -> Vec<(String, String)> {
    let config = shared().join("data/BluePyOpt/examples/l5pc/config");
    let mut out = Vec::new();
    for (loc, list) in read(&config.join("mechanisms.json")).as_object().unwrap() {
        for m in list.as_array().unwrap() {
            out.push((loc.clone(), m.as_str().unwrap().to_string()));
        }
    }
    out
}

const KOLE: &str = "(-0.8696 + 2.087*math.exp(({distance})*0.0031))*{value}";

fn run_bap(config: &Path, out: &Path) {
    let ex = shared().join("data/BluePyOpt/examples/l5pc");
    let o = Command::new(env!("CARGO_BIN_EXE_myelin"))
        .args(["bluepyopt", "run", "--config"])
        .arg(config)
        .arg("--protocols")
        .arg(ex.join("config/protocols.json"))
        .arg("--morphology")
        .arg(ex.join("morphology/C060114A7.asc"))
        .args(["--protocol", "bAP", "--quiet", "--out"])
        .arg(out)
        .env("MYELIN_CACHE_DIR", "")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for rec in ["soma", "dend1", "dend2"] {
        let ours = std::fs::read_to_string(out.join(format!("bAP.{rec}.v.csv"))).unwrap();
        let neuron = gunzip(&shared().join(format!("reference/neuron/l5pc_neuron_fixed_bAP.{rec}.v.csv.gz")));
        assert!(ours == neuron, "{}: bAP.{rec}.v differs from NEURON's", config.display());
    }
}

#[test]
fn legacy_dict_and_list_formats_give_neurons_bap() {
    let dir = std::env::temp_dir().join(format!("myelin-l5pc-bpem-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    // Legacy dict. Ih (basal, apical, somatic with the same uniform value on basal and somatic)
    // goes on `somadend` with the gradient overridden on apical afterwards.
    let mut mechs = Map::new();
    for (loc, m) in mechanisms() {
        if m == "Ih" {
            continue;
        }
        mechs.entry(loc).or_insert_with(|| json!({"mech": []}))["mech"]
            .as_array_mut()
            .unwrap()
            .push(json!(m));
    }
    mechs.insert("somadend".into(), json!({"mech": ["Ih"]}));
    // Locations apply in file order: `somadend` must come before `apical` (written by hand,
    // since serde_json's maps sort their keys).
    let mut params: Vec<(String, Vec<Value>)> = vec![("somadend".into(), vec![])];
    for (loc, name, value, dist) in l5pc_parameters() {
        let (loc, keep) = match (name.as_str(), loc.as_str(), &dist) {
            ("gIhbar_Ih", "basal", _) => ("somadend".to_string(), true),
            ("gIhbar_Ih", "somatic", _) => (loc, false),
            _ => (loc, true),
        };
        if !keep {
            continue;
        }
        let mut p = json!({"name": name, "val": value});
        if let Some(d) = dist {
            p["dist"] = json!(d);
        }
        match params.iter_mut().find(|(l, _)| *l == loc) {
            Some((_, v)) => v.push(p),
            None => params.push((loc, vec![p])),
        }
    }
    let params_text: Vec<String> =
        params.iter().map(|(l, v)| format!("{}: {}", json!(l), serde_json::to_string(v).unwrap())).collect();
    let legacy = format!(
        "{{\"mechanisms\": {}, \"distributions\": {{\"exp\": {{\"fun\": {}}}}}, \"parameters\": {{{}}}}}",
        Value::Object(mechs),
        json!(KOLE),
        params_text.join(",\n")
    );
    let legacy_file = dir.join("pyr.json");
    std::fs::write(&legacy_file, legacy).unwrap();
    run_bap(&legacy_file, &dir.join("legacy"));

    // List format, one entry per (location, mechanism) and parameter, as BluePyEModel stores it.
    let list = json!({
        "mechanisms": mechanisms().iter().map(|(l, m)| json!({"name": m, "location": l, "stochastic": false})).collect::<Vec<_>>(),
        "distributions": [{"name": "exp", "function": KOLE, "soma_ref_location": 0.5}],
        "parameters": l5pc_parameters().iter().map(|(l, n, v, d)| {
            let mut p = json!({"name": n, "value": v, "location": l});
            if let Some(d) = d { p["distribution"] = json!(d); }
            p
        }).collect::<Vec<_>>(),
    });
    let list_file = dir.join("model.json");
    std::fs::write(&list_file, serde_json::to_string_pretty(&list).unwrap()).unwrap();
    run_bap(&list_file, &dir.join("list"));
    let _ = std::fs::remove_dir_all(&dir);
}
