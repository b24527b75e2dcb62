//! What checked recipes mean: expression values and units, regions, locations, distributions
//! compiled against their evaluation, and the lowering to a simulation description.

mod recipe_common;

use myelin_compiler::recipe::codegen;
use myelin_compiler::recipe::expr::Inputs;
use myelin_compiler::recipe::lower::{self, RunValues};
use myelin_compiler::recipe::model::{Model, Value};
use recipe_common::*;
use std::path::Path;

fn model(text: &str) -> Model {
    let dir = scratch_with_cell("semantics");
    let (m, d) = check_text(text, &dir);
    let errors: Vec<_> = d.iter().filter(|x| x.is_error()).collect();
    assert!(errors.is_empty(), "{text}\n{errors:#?}");
    m.expect("a model")
}

/// Value of `param p = EXPR` in the unit of its first written quantity, and that unit.
fn value(expr: &str) -> (f64, String) {
    let m = model(&format!("param p = {expr}\n"));
    (m.params[0].value.unwrap(), m.params[0].unit.clone())
}

#[test]
fn arithmetic_precedence_and_units() {
    let cases: &[(&str, f64)] = &[
        ("1 + 2 * 3", 7.0),
        ("2 ^ 3 ^ 2", 512.0),
        ("-2 ^ 2", -4.0),
        ("1 - 2 - 3", -4.0),
        ("8 / 4 / 2", 1.0),
        ("(1 + 2) * 3", 9.0),
        ("50 % / 1", 50.0),
        ("exp(0)", 1.0),
        ("log10(1000)", 3.0),
        ("min(3, 2) + max(3, 2)", 5.0),
        ("(2 > 1) * 3 + (2 < 1) * 5", 3.0),
        ("(1 um)^2 / um2", 1.0),
        ("100 mS/cm2 / (1 S/cm2)", 0.1),
        ("1 ms / 1 s", 0.001),
        ("pi", std::f64::consts::PI),
        ("floor(2.7) + ceil(0.2)", 3.0),
    ];
    for (e, want) in cases {
        let (v, _) = value(e);
        assert!((v - want).abs() <= 1e-12 * want.abs().max(1.0), "{e} = {v}, want {want}");
    }
    // Sums take the unit of their left operand; units written are kept.
    assert_eq!(value("1 mV + 1 V"), (1001.0, "mV".to_string()));
    assert_eq!(value("50 %"), (50.0, "%".to_string()));
    assert_eq!(value("0.1 nA").1, "nA");
    assert_eq!(value("0.005 /um").1, "1/um");
    let (v, _) = value("sqrt(4 um2) / um");
    assert_eq!(v, 2.0);
    let (v, _) = value("abs(-3 mV) / mV");
    assert_eq!(v, 3.0);
}

#[test]
fn quantities_convert_to_the_runtime_units_exactly() {
    let m = model(
        "morphology b = cylinder(length = 20 um, diam = 20 um)\n\
         param amp = 0.1 nA\n\
         cell c {\n morphology = b\n cm = 0.01 F/m2\n Ra = 1.5 ohm*m\n insert hh { gnabar = 120 mS/cm2 }\n}\n\
         settings { celsius = 279.45 K, v_init = -0.065 V }\n\
         protocol p {\n duration = 0.15 s\n stimulus step at soma { delay = 10 ms, duration = 100 ms, amplitude = amp }\n stimulus holding at soma { amplitude = 500 pA }\n}\n",
    );
    let params: Vec<f64> = m.params.iter().map(|p| p.value.unwrap()).collect();
    let v = RunValues { params: &params, holding: None, threshold: None };
    let spec = lower::protocol_spec(&m, 0, &v).unwrap();
    let c = &spec.cells[0];
    assert!((c.cm - 1.0).abs() < 1e-12 && (c.ra - 150.0).abs() < 1e-9, "{} {}", c.cm, c.ra);
    assert!((spec.run.celsius - 6.3).abs() < 1e-12);
    assert!((spec.run.v_init + 65.0).abs() < 1e-12);
    assert!((spec.run.tstop - 150.0).abs() < 1e-12);
    let json = serde_json::to_value(&spec.stimuli).unwrap();
    // 0.1 nA given in nA stays exactly 0.1.
    assert_eq!(json[0]["amplitude"], serde_json::json!(0.1));
    assert!((json[1]["amplitude"].as_f64().unwrap() - 0.5).abs() < 1e-15);
    let g = &c.mechanisms[0].parameters["gnabar"];
    assert!(matches!(g, myelin_runtime::spec::ParamValue::Number(x) if (x - 0.12).abs() < 1e-15));
}

#[test]
fn regions_select_sections() {
    let m = model(
        "morphology l5 = \"cell.swc\" { axon = bluepyopt }\n\
         cell c {\n morphology = l5\n\
         region dendrites = apical | basal\n\
         region near = apical & distance(0 um, 200 um)\n\
         region far = apical - near\n\
         insert pas on dendrites\n insert hh on near\n insert Ih on far\n insert Im on apic[2] | type(1)\n insert NaTs2_t on axon\n}\n",
    );
    let cell = &m.cells[0];
    let morph = &cell.morphology;
    let names = |k: usize| -> Vec<&str> {
        cell.insertions[k].sections.iter().map(|&s| morph.sections[s].name.as_str()).collect()
    };
    let dend = names(0);
    assert!(dend.iter().all(|n| n.starts_with("apic[") || n.starts_with("dend[")), "{dend:?}");
    assert_eq!(
        dend.len(),
        morph.sections.iter().filter(|s| s.name.starts_with("apic[") || s.name.starts_with("dend[")).count()
    );
    let near = &cell.insertions[1].sections;
    let far = &cell.insertions[2].sections;
    assert!(!near.is_empty() && !far.is_empty());
    assert!(near.iter().all(|s| !far.contains(s)));
    assert_eq!(near.len() + far.len(), morph.section_list("apical").unwrap().len());
    let d = myelin_compiler::recipe::geometry::midpoint_distances(morph).unwrap();
    assert!(near.iter().all(|&s| d[s] <= 200.0) && far.iter().all(|&s| d[s] > 200.0));
    assert_eq!(names(3), vec!["soma[0]", "apic[2]"]);
    // The replaced axon: two 30 µm stubs.
    assert_eq!(names(4), vec!["axon[0]", "axon[1]"]);
}

#[test]
fn locations_match_bluepyopt_definitions() {
    let m = model(
        "morphology l5 = \"cell.swc\"\n\
         cell c {\n morphology = l5\n nseg = per_length(40 um)\n\
         location a = somadistance(apical, 400 um)\n location b = seclist(basal, 2, 0.3)\n location t = trunk(apical, 600 um)\n location d = dend[3](0.25)\n location s = soma\n insert pas\n}\n",
    );
    let cell = &m.cells[0];
    let morph = &cell.morphology;
    let loc = |n: &str| cell.locations[n];
    let a = loc("a");
    let want = morph.soma_distance_location("apical", 400.0).unwrap();
    assert_eq!((a.section, a.x), (want.section, want.x));
    let dist = morph.soma_distance(myelin_runtime::morph::Location { section: a.section, x: a.x }).unwrap();
    assert!((dist - 400.0).abs() < 40.0, "{dist}");
    let b = loc("b");
    assert_eq!(b.section, morph.section_list("basal").unwrap()[2]);
    assert_eq!(b.x, 0.3);
    assert_eq!(morph.sections[loc("d").section].name, "dend[3]");
    assert_eq!((morph.sections[loc("s").section].name.as_str(), loc("s").x), ("soma[0]", 0.5));
    let t = loc("t");
    assert!(morph.sections[t.section].name.starts_with("apic["));
}

#[test]
fn compiled_distributions_equal_evaluated_ones() {
    let m = model(
        "morphology l5 = \"cell.swc\"\n\
         distribution kole(g) = g * (-0.8696 + 2.087 * exp(distance * 0.0031 / um))\n\
         param g = 8e-5 S/cm2\n param k = 0.002 /um\n\
         cell c {\n morphology = l5\n\
         insert Ih on apical { gIhbar = kole(g) }\n\
         insert pas { g = 3e-5 S/cm2 * (1 + tanh(distance * k - 1)) + (diam < 1 um) * 1e-6 S/cm2 + area / 1e9 um2 * 1 S/cm2 + x * length / 1e8 um * 1 S/cm2 }\n}\n",
    );
    assert_eq!(m.segment_terms.len(), 2);
    let compiled = codegen::jit(&m.segment_terms).unwrap();
    let params = [8e-5, 0.002];
    for d in [0.0, 10.0, 123.456, 400.0, 1000.0] {
        for geom in [[d, 0.5, 0.7, 12.0, 100.0], [d, 0.1, 2.5, 300.0, 40.0]] {
            for (t, f) in m.segment_terms.iter().zip(&compiled.functions) {
                let want = t.eval(&Inputs { params: &params, geometry: Some(geom), ..Default::default() });
                // SAFETY: compiled with the SegmentFn signature; the arrays outlive the call.
                let got = unsafe { f(geom.as_ptr(), params.as_ptr()) };
                assert_eq!(got.to_bits(), want.to_bits(), "{t}");
            }
        }
    }
    // Kole's formula, as BluePyOpt writes it, at 150 µm.
    let want = (-0.8696 + 2.087 * (150.0f64 * 0.0031).exp()) * 8e-5;
    let got = m.segment_terms[0].eval(&Inputs {
        params: &params,
        geometry: Some([150.0, 0.5, 1.0, 1.0, 1.0]),
        ..Default::default()
    });
    assert!((got - want).abs() <= 1e-18, "{got} {want}");
    assert!(matches!(m.cells[0].insertions[0].params[0].1, Value::Segment(0)));
}

#[test]
fn lowering_of_a_protocol() {
    let m = model(
        "morphology bs = ball_and_stick(dend_length = 100 um)\n\
         param amp = 0.2 nA\n\
         cell c {\n morphology = bs\n nseg = 3\n insert hh on somatic\n insert pas on basal { g = 1e-4 S/cm2, e = -65 mV }\n set ena = 55 mV on somatic\n}\n\
         settings { celsius = 6.3 degC, dt = 0.05 ms, record_dt = 0.1 ms }\n\
         protocol p {\n duration = 20 ms\n dt = 0.025 ms\n\
         stimulus step at soma { delay = 1 ms, duration = 2 ms, amplitude = amp }\n\
         stimulus pulses at soma { delay = 5 ms, duration = 1 ms, amplitude = 0.5 nA, count = 2, interval = 4 ms }\n\
         stimulus sequence at dend(0.5) { times = [10 ms, 12 ms], amplitudes = [0.1 nA, 0 nA] }\n\
         stimulus synapse at dend(0.5) { mechanism = ExpSyn, tau = 2 ms, weight = 0.01 uS, times = [15 ms, 3 ms] }\n\
         record v = v at soma\n record m = hh.m at soma\n record ina = ina at soma\n record i = i_membrane at dend(1)\n}\n",
    );
    let params = [0.2];
    let spec =
        lower::protocol_spec(&m, 0, &RunValues { params: &params, holding: None, threshold: None }).unwrap();
    insta::assert_snapshot!("lowered_protocol", serde_json::to_string_pretty(&spec).unwrap());
    let _ = Path::new(".");
}
