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
// A no-break space (two bytes in UTF-8) in the string that ends the line before the error: the
// diagnostic names that string, not a slice from the middle of the space (it used to panic).
case!(line_ending_in_a_string_with_a_no_break_space, "mechanisms {\n    mod \"a\u{a0}b.mod\"\n    = 3\n}\n");
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

// Regression cases of the blind test of docs/recipe.md (its report's items 1–3, 6–9, 12, 13).
case!(
    cell_errors_do_not_hide_protocol_errors,
    "morphology ball = cylinder(length = 20 um, diam = 20 um)\ncell c {\n    morphology = ball\n    Ra = 100 ohm\n    cm = 1 uF\n    insert pas { g = 1e-4 S/cm2, e = -65 }\n}\nsettings { celsius = 34 mV, dt = 0.025 }\nprotocol p {\n    duration = 10 ms\n    stimulus step at soma { delay = 1 ms, duration = 5 ms, amplitude = 0.5 mV }\n    record v = v at soma\n}\nsimulate p\n"
);
case!(
    unknown_morphology_does_not_hide_protocol_errors,
    "morphology ball = cylinder(length = 20 um, diam = 20 um)\nparam amp = 0.1 nA\ncell c {\n    morphology = bal\n    insert hh on somatc\n}\nprotocol p {\n    duration = 100 ms\n    stimulus step at soma { delay = 1 ms, duration = 5 ms, amplitude = ampp }\n    stimulus stepp at soma { delay = 1 ms, duration = 5 ms, amplitude = amp }\n    record v = v at soma\n    record m = hh.mm at soma\n    feature v Spikecont = 1 +- 1\n    feature vv Spikecount = 1 +- 1\n}\nsimulate pp\nevaluate p\n"
);
case!(
    nseg_error_does_not_hide_stimulus_errors,
    "morphology bs = ball_and_stick()\ncell c { morphology = bs, nseg = 0, insert hh }\nsettings { dt = 0 ms }\nprotocol p {\n    duration = -10 ms\n    stimulus sequence at soma { times = [1 ms, 2 ms], amplitudes = [0.1 nA] }\n    stimulus noise at soma { delay = 1 ms, duration = 5 ms, mean = 0 nA }\n    record v = v at soma\n}\nprotocol q { duration = 10 ms, record v = v at soma }\nsimulate p, q\n"
);
case!(
    protocol_without_its_cell_is_still_checked,
    "morphology ball = cylinder(length = 20 um, diam = 20 um)\ncell a { morphology = ball, insert hh }\ncell b { morphology = ball, insert pas }\nprotocol p { duration = 10 ms, record v = v at soma, record x = hh.mm at soma }\nsimulate p\n"
);
case!(
    unreadable_morphology_file,
    "morphology m = \"does_not_exist.swc\"\ncell c { morphology = m, insert hh }\nprotocol p {\n    duration = 10 ms\n    record v = v at soma(2)\n    stimulus step at soma { delay = 1 ms, duration = 5 ms, amplitude = 1 mV }\n}\nsimulate p\n"
);
case!(
    protocol_with_errors_is_not_an_unknown_protocol,
    with_cell(
        "protocol p {\n    duration = 10 ms nA\n}\nprotocol q { duration = 10 ms }\nsimulate p\nsimulate q\n"
    )
);
case!(
    stray_text_between_items,
    "morphology ball = cylinder(length = 20 um, diam = 20 um)\ncell c { morphology = ball, insert hh }\n\nthis is garbage\n\nprotocol p { duration = 10 ms, record v = v at soma }\nsimulate p\n"
);
case!(
    misspelt_parameter_read_as_a_unit,
    with_cell("param amp = 0.1 nA\nprotocol p {\n    duration = 10 ms\n    stimulus step at soma { delay = 1 ms, duration = 5 ms, amplitude = ampp }\n    stimulus step at soma { delay = 1 ms, duration = 5 ms, amplitude = amp }\n}\n")
);
case!(
    parameter_with_errors_is_not_read_as_a_unit,
    "param g = 0.2 S/cm2 in [0.1 S/cm2, 0.15 S/cm2]\nmorphology bs = ball_and_stick()\ncell c {\n    morphology = bs\n    insert hh { gnabar = g }\n}\n"
);
case!(
    mechanism_not_inserted_is_not_recordable,
    with_cell("protocol p {\n    duration = 10 ms\n    record ih = Ih.gIhbar at dend(0.9)\n}\n")
);
case!(
    sweeps_do_not_nest,
    with_cell("param amp = 0.1 nA\nparam g = 0.1 S/cm2\nprotocol p {\n    duration = 10 ms\n    stimulus step at soma { delay = 1 ms, duration = 5 ms, amplitude = amp }\n}\nsweep amp in [0.1 nA, 0.2 nA] {\n    sweep g in [0.1 S/cm2] { simulate p }\n}\nsimulate p\n")
);
case!(
    region_defined_twice,
    "morphology bs = ball_and_stick()\ncell c {\n    morphology = bs\n    region r = somatic\n    region r = all\n    region basal = all\n}\n"
);
case!(
    missing_spread_at_the_end_of_a_line,
    with_cell("protocol p {\n    duration = 10 ms\n    record v = v at soma\n    feature v voltage_base = -65 mV +- \n}\n")
);
case!(
    unclosed_inner_block,
    "morphology bs = ball_and_stick()\ncell c {\n    morphology = bs\n    insert hh { gnabar = 0.12 S/cm2\n}\nprotocol p { duration = 10 ms }\n"
);
case!(
    free_parameter_a_statement_needs,
    "param gk in [0 S/cm2, 0.1 S/cm2]\nparam gna in [0 S/cm2, 0.2 S/cm2]\nparam amp in [0 nA, 1 nA]\nmorphology ball = cylinder(length = 20 um, diam = 20 um)\ncell c { morphology = ball, insert hh { gkbar = gk, gnabar = gna } }\nprotocol p {\n    duration = 10 ms\n    stimulus step at soma { delay = 1 ms, duration = 5 ms, amplitude = amp }\n    record v = v at soma\n    feature v Spikecount = 1 +- 1\n}\nsimulate p\nevaluate p\nsweep amp in [0.1 nA] { simulate p }\n"
);
case!(
    ion_values_neuron_overrides,
    "morphology bs = ball_and_stick()\ncell c {\n    morphology = bs\n    insert pas\n    insert CaDynamics_E2\n    insert Ca_HVA { gCa_HVAbar = 1e-4 S/cm2 }\n    set cai = 2e-4 mM on soma\n    set eca = 120 mV on somatic\n}\nprotocol p { duration = 1 ms, record cai = cai at soma }\nsimulate p\n"
);

#[test]
fn diagnostics_are_plain_text_when_stderr_is_not_a_terminal() {
    // stderr is captured (a pipe): no escape sequences even with a colour terminal type and
    // without NO_COLOR.
    let dir = scratch("diag-plain");
    std::fs::write(dir.join("case.recipe"), "param a = 1 mV + 1 ms\n").unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_myelin"))
        .args(["check", "case.recipe"])
        .current_dir(&dir)
        .env_remove("NO_COLOR")
        .env("TERM", "xterm-256color")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(!stderr(&o).contains('\u{1b}'), "{}", stderr(&o));
    assert!(stderr(&o).contains("error[E1011]"));
}

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
