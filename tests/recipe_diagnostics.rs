//! Snapshots of recipe diagnostics as `myelin check` prints them: unknown names, unit
//! mismatches, bad ranges, missing mechanisms, locations outside the morphology, syntax errors
//! and recovery. Each case is a small recipe written to `case.recipe` in a scratch directory;
//! the snapshot holds the exit code and stderr.

mod recipe_support;

use recipe_support::*;

/// A ball-and-stick cell with hh on the soma and pas everywhere, for the cases to build on.
const CELL: &str = "morphology bs = ball_and_stick()\ncell c {\n    morphology = bs\n    insert hh on somatic\n    insert pas { g = 1e-4 S/cm2, e = -65 mV }\n}\n";

fn check(name: &str, text: &str) -> String {
    let dir = scratch(&format!("diag-{name}"));
    std::fs::write(dir.join("case.recipe"), text).unwrap();
    let o = myelin(&dir, &["check", "case.recipe"]);
    format!("exit {}\n{}", o.status.code().unwrap_or(-1), stderr(&o))
}

fn with_cell(extra: &str) -> String {
    format!("{CELL}{extra}")
}

fn protocol(body: &str) -> String {
    with_cell(&format!("protocol p {{\n    duration = 50 ms\n{body}\n}}\n"))
}

macro_rules! case {
    ($name:ident, $text:expr) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(stringify!($name), check(stringify!($name), &$text));
        }
    };
}

case!(
    unknown_mechanism,
    "morphology bs = ball_and_stick()\ncell c {\n    morphology = bs\n    insert hhh\n}\n"
);
case!(unknown_mechanism_parameter, "morphology bs = ball_and_stick()\ncell c {\n    morphology = bs\n    insert hh { gnabr = 0.12 S/cm2 }\n}\n");
case!(mechanism_parameter_with_suffix, "morphology bs = ball_and_stick()\ncell c {\n    morphology = bs\n    insert hh { gnabar_hh = 0.12 S/cm2 }\n}\n");
case!(
    state_is_not_a_parameter,
    "morphology bs = ball_and_stick()\ncell c {\n    morphology = bs\n    insert hh { m = 0.1 }\n}\n"
);
case!(
    point_process_inserted,
    "morphology bs = ball_and_stick()\ncell c {\n    morphology = bs\n    insert ExpSyn\n}\n"
);
case!(
    unit_mismatch_amplitude,
    protocol("    stimulus step at soma { delay = 1 ms, duration = 5 ms, amplitude = 0.5 mV }")
);
case!(
    missing_unit,
    protocol("    stimulus step at soma { delay = 10, duration = 5 ms, amplitude = 0.5 nA }")
);
case!(
    unknown_unit,
    protocol("    stimulus step at soma { delay = 10 mz_s, duration = 5 ms, amplitude = 0.5 nA }")
);
case!(name_read_as_unit, "morphology bs = ball_and_stick()\ncell c {\n    morphology = bs\n    insert pas { g = 2 distance * 1e-6 S/cm2 / um }\n}\n");
case!(unit_mismatch_in_sum, "param y = 1 mV + 2 ms\n");
case!(exp_of_a_length, "morphology bs = ball_and_stick()\ncell c {\n    morphology = bs\n    insert pas { g = 1e-4 S/cm2 * exp(distance) }\n}\n");
case!(
    distance_outside_a_parameter_value,
    protocol("    stimulus step at soma { delay = 1 ms, duration = 5 ms, amplitude = distance * 1 nA / um }")
);
case!(mechanism_parameter_wrong_unit, "morphology bs = ball_and_stick()\ncell c {\n    morphology = bs\n    insert hh { gnabar = 0.12 mV }\n}\n");
case!(
    unknown_region,
    "morphology bs = ball_and_stick()\ncell c {\n    morphology = bs\n    insert hh on somatc\n}\n"
);
case!(
    empty_region_warning,
    "morphology bs = ball_and_stick()\ncell c {\n    morphology = bs\n    insert hh on apical\n}\n"
);
case!(inverted_distance_range, "morphology bs = ball_and_stick()\ncell c {\n    morphology = bs\n    insert hh on distance(300 um, 100 um)\n}\n");
case!(location_x_outside_the_section, protocol("    record v = v at soma(1.5)"));
case!(section_not_in_the_morphology, protocol("    record v = v at dend[7](0.5)"));
case!(distance_beyond_the_dendrite, protocol("    record v = v at somadistance(basal, 5000 um)"));
case!(unknown_location, protocol("    record v = v at tipp"));
case!(unknown_feature, protocol("    record v = v at soma\n    feature v Spikecnt = 3 +- 1"));
case!(
    feature_target_wrong_unit,
    protocol("    record v = v at soma\n    feature v mean_frequency = 10 ms +- 1 ms")
);
case!(feature_of_unknown_recording, protocol("    record v = v at soma\n    feature vv Spikecount = 3 +- 1"));
case!(feature_std_not_positive, protocol("    record v = v at soma\n    feature v Spikecount = 3 +- 0"));
case!(unknown_protocol, with_cell("protocol step {\n    duration = 10 ms\n}\nsimulate stp\n"));
case!(parameter_defined_twice, "param g = 1 mV\nparam g = 2 mV\n");
case!(inverted_bounds, "param g = 0.5 S/cm2 in [1 S/cm2, 0 S/cm2]\n");
case!(value_outside_bounds, "param g = 2 S/cm2 in [0 S/cm2, 1 S/cm2]\n");
case!(parameter_without_value, "param g\n");
case!(
    unknown_stimulus_key,
    protocol("    stimulus step at soma { delay = 1 ms, duration = 5 ms, amplitud = 0.5 nA }")
);
case!(missing_stimulus_key, protocol("    stimulus step at soma { duration = 5 ms, amplitude = 0.5 nA }"));
case!(unknown_stimulus_kind, protocol("    stimulus stepp at soma { delay = 1 ms }"));
case!(missing_equals, "param g 1 mV\n");
case!(unclosed_brace, "morphology bs = ball_and_stick()\ncell c {\n    morphology = bs\n    insert hh\nprotocol p {\n    duration = 10 ms\n}\n");
case!(unmatched_brace, "param a = 1 mV\n}\nparam b = 2 mV\n");
case!(unterminated_string, "morphology m = \"cell.swc\n");
case!(top_level_typo, "cel c {\n    morphology = bs\n}\n");
case!(morphology_file_missing, "morphology m = \"nowhere.swc\"\ncell c {\n    morphology = m\n}\n");
case!(unknown_morphology, "morphology bs = ball_and_stick()\ncell c {\n    morphology = bss\n}\n");
case!(cell_without_morphology, "cell c {\n    insert hh\n}\n");
case!(protocol_without_cell, "protocol p {\n    duration = 10 ms\n}\n");
case!(protocol_with_two_cells, "morphology bs = ball_and_stick()\ncell a { morphology = bs }\ncell b { morphology = bs }\nprotocol p {\n    duration = 10 ms\n}\n");
case!(planned_statement, with_cell("optimise {\n    generations = 10\n}\n"));
case!(unknown_variable, protocol("    record x = vv at soma"));
case!(mechanism_not_inserted_there, protocol("    record m = hh.m at dend(0.5)"));
case!(unknown_mechanism_field, protocol("    record m = hh.mm at soma"));
case!(unknown_efel_setting_warning, protocol("    record v = v at soma\n    feature v Spikecount = 3 +- 1 { Threshhold = -30 mV }\n    stimulus step at soma { delay = 1 ms, duration = 5 ms, amplitude = 0.5 nA }") + "evaluate p\n");
case!(
    holding_search_without_target,
    protocol("    stimulus holding at soma { amplitude = holding_current }")
);
case!(current_outside_a_stimulus, "param i = threshold_current\n");
case!(
    sweep_of_a_non_parameter,
    with_cell("protocol p {\n    duration = 10 ms\n}\nsweep amp in [1 nA] {\n    simulate p\n}\n")
);
case!(sweep_value_wrong_unit, with_cell("param amp = 0.1 nA\nprotocol p {\n    duration = 10 ms\n    stimulus step at soma { delay = 1 ms, duration = 5 ms, amplitude = amp }\n}\nsweep amp in [1 mV, 2 mV] {\n    simulate p\n}\n"));
case!(recursive_distribution, "distribution f(x) = f(x) * 2\nparam p = f(1)\n");
case!(unknown_function, "param p = expp(1)\n");
case!(wrong_number_of_arguments, "param p = exp(1, 2)\n");
case!(several_errors_in_several_items, "param a = 1 mV +\nparam b = 1 mV + 1 ms\nmorphology bs = ball_and_stick()\ncell c {\n    morphology = bs\n    insert hhx\n}\nsimulate nothing\n");
case!(mechanism_source_missing, "mechanisms { builtin  mod \"no_such_dir\" }\n");
case!(nseg_zero, "morphology bs = ball_and_stick()\ncell c {\n    morphology = bs\n    nseg = 0\n}\n");
case!(region_where_a_number_is_expected, "param p = somatic | basal\n");
case!(power_of_a_quantity, "param p = (2 um) ^ 1.5\n");
case!(evaluate_without_features, with_cell("protocol p {\n    duration = 10 ms\n}\nevaluate p\n"));
case!(set_unknown_property, "morphology bs = ball_and_stick()\ncell c {\n    morphology = bs\n    insert hh\n    set enaa = 50 mV\n}\n");
case!(record_dt_not_a_multiple, "settings { dt = 0.025 ms, record_dt = 0.03 ms }\n");
case!(entry_with_colon, with_cell("protocol p {\n    duration: 10 ms\n}\n"));
case!(unknown_global, with_cell("global hh { usetabel = 0 }\n"));
case!(computed_global_is_not_settable, with_cell("global hh { minf = 0 }\n"));
case!(two_settings_items, "settings { dt = 0.025 ms }\nsettings { celsius = 34 degC }\n");

#[test]
fn there_are_at_least_thirty_snapshots() {
    let dir = repo().join("tests/snapshots");
    let n = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter(|e| {
                e.as_ref().is_ok_and(|e| e.file_name().to_string_lossy().starts_with("recipe_diagnostics__"))
            })
            .count()
        })
        .unwrap_or(0);
    assert!(n >= 30, "{n} recipe diagnostic snapshots in {}", dir.display());
}
