//! BluePyOpt scores of the L5PC example's Step1 and bAP objectives, computed by Myelin from the
//! NEURON reference traces and the example's own configuration files (both read in place from
//! ../shared), against
//!   * the scores recorded in ../shared/reference/neuron/l5pc_step1_bap.json (BluePyOpt on the
//!     in-memory NEURON traces), and
//!   * BluePyOpt's scores on the same CSV traces (tools/golden/efel/generate.py).
//!
//! The CSV voltages are rounded to 1e-6 mV, which moves the recorded scores by at most a few
//! 1e-8 relative; both comparisons use 1e-6 relative, 1e-9 absolute.

mod common;

use common::{close, golden_dir, number, read_trace, shared_dir};
use myelin_stdlib::efeatures::{mean_value, FeatureExtractor, Trace};
use myelin_stdlib::scores::{bluepyopt_objectives, total_fitness};
use serde_json::Value;

fn json(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .unwrap()
}

#[test]
fn l5pc_step1_and_bap_scores_match_bluepyopt() {
    let shared = shared_dir();
    let config = shared.join("data/BluePyOpt/examples/l5pc/config");
    let objectives = bluepyopt_objectives(
        &std::fs::read_to_string(config.join("features.json")).unwrap(),
        &std::fs::read_to_string(config.join("protocols.json")).unwrap(),
    )
    .unwrap();
    let reference = json(&shared.join("reference/neuron/l5pc_step1_bap.json"));
    let golden = json(&golden_dir().join("l5pc_scores.json"));

    let mut checked = 0;
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for obj in objectives.iter().filter(|o| o.protocol == "Step1" || o.protocol == "bAP") {
        let file = format!("reference/neuron/l5pc_neuron_fixed_{}.csv.gz", obj.recording);
        let cols = read_trace(&shared.join(file));
        let trace = Trace::new(&cols.time, &cols.voltage).unwrap();
        let mut ex = FeatureExtractor::new(trace, obj.settings.clone()).unwrap();
        let values = ex.get(obj.feature);
        let score = obj.score(values.as_deref());
        let recorded = number(&reference["scores"][&obj.name]);
        let on_csv = number(&golden["scores"][&obj.name]);
        assert!(close(score, recorded), "{}: myelin {score}, recorded {recorded}", obj.name);
        assert!(close(score, on_csv), "{}: myelin {score}, BluePyOpt on CSV {on_csv}", obj.name);
        let mean = mean_value(&values).unwrap();
        let recorded_mean = number(&reference["features"][&obj.name]);
        assert!(close(mean, recorded_mean), "{}: feature {mean}, recorded {recorded_mean}", obj.name);
        ours.push(score);
        theirs.push(recorded);
        checked += 1;
    }
    assert_eq!(checked, reference["scores"].as_object().unwrap().len());
    let (a, b) = (total_fitness(&ours), total_fitness(&theirs));
    assert!(close(a, b), "total fitness {a} vs {b}");
}
