//! Rendered diagnostics of the NMODL front end and the units pass, as a user sees them
//! (`file:line:column`, labels, hints), one insta snapshot per distinct error.
//!
//! Each case also states the code of its first diagnostic and the line it must point at, so
//! that a change of wording updates snapshots but a wrong location fails outright.

use myelin_compiler::diag::{Diagnostic, SourceMap};
use myelin_compiler::{nmodl, units};
use std::path::Path;

/// (snapshot name, code of the first diagnostic, 1-based line it points at, source).
const CASES: &[(&str, &str, usize, &str)] = &[
    // --- structure: braces, top level, raw blocks -------------------------------------------
    ("missing_brace_before_next_block", "E0005", 1, "NEURON {\n    SUFFIX hh\n\nPARAMETER {\n    gbar = 0.1 (S/cm2)\n}\n"),
    ("missing_brace_at_end_of_file", "E0005", 2, "NEURON { SUFFIX x }\nBREAKPOINT {\n    if (v > 0) {\n        v = 1\n}\n"),
    ("unmatched_closing_brace", "E0003", 2, "NEURON { SUFFIX x }\n}\nPARAMETER { a = 1 }\n"),
    ("statement_at_top_level", "E0002", 2, "NEURON { SUFFIX x }\nx = 3\nPARAMETER { a = 1 }\n"),
    ("garbage_after_define", "E0002", 1, "DEFINE N 3 junk\nNEURON { SUFFIX x }\n"),
    ("unterminated_comment", "E0004", 2, "NEURON { SUFFIX x }\nCOMMENT\n  notes\nPARAMETER { a = 1 }\n"),
    ("unterminated_verbatim", "E0004", 3, "NEURON { SUFFIX x }\nINITIAL {\nVERBATIM\n  int x;\n}\n"),
    ("include_not_found", "E0006", 2, "NEURON { SUFFIX x }\nINCLUDE \"nowhere.inc\"\n"),
    ("equation_block", "E0013", 2, "NEURON { SUFFIX x }\nEQUATION {\n}\n"),
    // --- tokens and statements ------------------------------------------------------------
    ("semicolon", "E0010", 4, "NEURON { SUFFIX x }\nASSIGNED { a }\nINITIAL {\n    a = 1;\n}\n"),
    ("reserved_word_as_parameter", "E0001", 3, "NEURON { SUFFIX x }\nPARAMETER {\n    euler = 1\n}\n"),
    ("reserved_word_as_local", "E0001", 3, "NEURON { SUFFIX x }\nINITIAL {\n    LOCAL sparse\n}\n"),
    ("useion_write_before_read", "E0001", 3, "NEURON {\n    SUFFIX k\n    USEION k WRITE ik READ ek\n}\n"),
    ("range_without_comma", "E0001", 3, "NEURON {\n    SUFFIX x\n    RANGE a b\n}\n"),
    ("neuron_block_typo", "E0001", 2, "NEURON {\n    SUFIX hh\n}\n"),
    ("valence_without_number", "E0001", 4, "NEURON {\n    SUFFIX x\n    USEION ca READ cai VALENCE\n}\n"),
    ("double_operator", "E0001", 4, "NEURON { SUFFIX x }\nASSIGNED { a }\nINITIAL {\n    a = 3 * * 2\n}\n"),
    ("incomplete_expression", "E0011", 5, "NEURON { SUFFIX x }\nASSIGNED { a }\nINITIAL {\n    a = 3 +\n}\n"),
    ("unclosed_parenthesis", "E0001", 5, "NEURON { SUFFIX x }\nASSIGNED { a }\nINITIAL {\n    a = (1 + 2\n}\n"),
    ("missing_equals", "E0001", 4, "NEURON { SUFFIX x }\nASSIGNED { a }\nINITIAL {\n    a 3\n}\n"),
    ("if_without_parentheses", "E0001", 4, "NEURON { SUFFIX x }\nASSIGNED { a }\nINITIAL {\n    if a > 0 { a = 1 }\n}\n"),
    ("else_without_if", "E0001", 4, "NEURON { SUFFIX x }\nASSIGNED { a }\nINITIAL {\n    else { a = 1 }\n}\n"),
    ("string_as_value", "E0001", 4, "NEURON { SUFFIX x }\nASSIGNED { a }\nINITIAL {\n    a = \"text\"\n}\n"),
    ("solve_without_method_name", "E0001", 4, "NEURON { SUFFIX x }\nBREAKPOINT {\n    SOLVE states METHOD\n}\n"),
    ("function_without_parentheses", "E0001", 2, "NEURON { SUFFIX x }\nFUNCTION f {\n    f = 1\n}\n"),
    ("reaction_with_one_rate", "E0001", 4, "NEURON { SUFFIX x }\nSTATE { a b }\nKINETIC kin {\n    ~ a <-> b (1)\n}\n"),
    ("parameter_value_expression", "E0001", 3, "NEURON { SUFFIX x }\nPARAMETER {\n    a = 2*3\n}\n"),
    ("define_without_value", "E0001", 1, "DEFINE N\nNEURON { SUFFIX x }\n"),
    ("non_ascii_in_code", "E0001", 4, "NEURON { SUFFIX x }\nASSIGNED { a }\nINITIAL {\n    a = 1 \u{b0} 2\n}\n"),
    ("unit_not_closed_on_line", "E0001", 3, "NEURON { SUFFIX x }\nPARAMETER {\n    a = 1 (mV\n}\n"),
    ("two_errors_in_two_blocks", "E0001", 3, "NEURON { SUFFIX x }\nPARAMETER {\n    a = = 1\n}\nASSIGNED { b }\nINITIAL {\n    b = 1;\n}\n"),
    // --- units ------------------------------------------------------------------------------
    ("unknown_unit_in_parameter", "E0201", 3, "NEURON { SUFFIX x }\nPARAMETER {\n    gbar = 0.1 (siemen/cm2)\n}\n"),
    ("unknown_unit_typo", "E0201", 3, "NEURON { SUFFIX x }\nASSIGNED {\n    i (milliamp/centimetr2)\n}\n"),
    ("unknown_unit_celsius", "E0201", 3, "NEURON { SUFFIX x }\nPARAMETER {\n    temp = 22 (celsius)\n}\n"),
    ("unknown_unit_in_alias", "E0201", 3, "NEURON { SUFFIX x }\nUNITS {\n    (mV) = (milivolt)\n}\n"),
    ("unknown_unit_in_number", "E0201", 4, "NEURON { SUFFIX x }\nASSIGNED { a (mV) }\nINITIAL {\n    a = 2 (mVV)\n}\n"),
    ("units_redefinition", "E0203", 3, "NEURON { SUFFIX x }\nUNITS {\n    (ms) = (millisec)\n}\n"),
    ("units_alias_defined_twice", "E0203", 4, "NEURON { SUFFIX x }\nUNITS {\n    (mM) = (milli/liter)\n    (mM) = (millimole/liter)\n}\n"),
    ("factor_without_units", "E0204", 3, "NEURON { SUFFIX x }\nUNITS {\n    F = 96520\n}\n"),
    ("unit_out_of_range", "E0205", 3, "NEURON { SUFFIX x }\nPARAMETER {\n    a = 1 (1+999 m)\n}\n"),
    (
        "unit_mismatch_assignment",
        "E0202",
        7,
        "NEURON { SUFFIX x USEION na READ ena WRITE ina }\nASSIGNED {\n    ina (mA/cm2)\n    ena (mV)\n}\n\
         BREAKPOINT {\n    ina = ena\n}\n",
    ),
    (
        "unit_mismatch_sum",
        "E0202",
        5,
        "NEURON { SUFFIX x }\nPARAMETER { tau = 2 (ms) }\nASSIGNED { q }\nINITIAL {\n    q = v + tau\n}\n",
    ),
    (
        "unit_mismatch_expression_warning",
        "W0202",
        8,
        "NEURON { SUFFIX x USEION na READ ena WRITE ina }\nPARAMETER { gnabar = 0.12 (S/cm2) }\n\
         ASSIGNED {\n    ina (mA/cm2)\n    ena (mV)\n}\nBREAKPOINT {\n    ina = gnabar*(v - ena)*(v - ena)\n}\n",
    ),
    (
        "unit_mismatch_function_argument",
        "W0202",
        6,
        "NEURON { SUFFIX x }\nPARAMETER { tau = 2 (ms) }\nFUNCTION f(x (mV)) (mV) { f = x }\nASSIGNED { q }\n\
         INITIAL {\n    q = f(tau)\n}\n",
    ),
    (
        "missing_conversion_factor",
        "W0203",
        5,
        "NEURON { SUFFIX x }\nASSIGNED { i (mA/cm2) }\nUNITS { (mA) = (milliamp) }\nINITIAL {\n    \
         i = 0.001 (A/cm2)\n}\n",
    ),
    (
        "exp_argument_not_dimensionless",
        "W0204",
        4,
        "NEURON { SUFFIX x }\nASSIGNED { minf }\nINITIAL {\n    minf = 1/(1 + exp(-(v + 40)))\n}\n",
    ),
    ("unit_unknown_to_neuron", "W0201", 3, "NEURON { SUFFIX x }\nUNITS {\n    FARADAY = (faraday) (kC)\n}\n"),
    ("unit_wrong_case", "W0205", 3, "NEURON { SUFFIX x }\nPARAMETER {\n    vh = -22 (mv)\n}\n"),
];

fn render(name: &str, src: &str) -> (String, Vec<Diagnostic>, SourceMap) {
    let mut sources = SourceMap::new();
    let id = sources.add(Path::new(&format!("{name}.mod")), src.to_string());
    let parsed = nmodl::parse_source(&mut sources, id, &[], 0);
    let mut diags = parsed.diagnostics;
    units::check_module(&parsed.module, id, &mut diags);
    (sources.render(&diags), diags, sources)
}

#[test]
fn enough_distinct_errors() {
    let errors = CASES.iter().filter(|c| c.1.starts_with('E')).count();
    assert!(errors >= 25, "only {errors} error cases");
    let mut names: Vec<&str> = CASES.iter().map(|c| c.0).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), CASES.len(), "duplicate case names");
}

#[test]
fn diagnostics_snapshots() {
    let mut wrong = Vec::new();
    for &(name, code, line, src) in CASES {
        let (text, diags, sources) = render(name, src);
        let first = diags.first();
        match first {
            None => wrong.push(format!("{name}: no diagnostic")),
            Some(d) => {
                let span = d.primary_span().expect("primary label");
                let (l, _) = sources.line_col(span.file, span.start as usize);
                if d.code != code || l != line {
                    wrong.push(format!(
                        "{name}: got {} at line {l}, want {code} at line {line}\n{text}",
                        d.code
                    ));
                }
            }
        }
        if !text.contains(&format!("{name}.mod:{line}:")) {
            wrong.push(format!("{name}: no {name}.mod:{line}:column in\n{text}"));
        }
        insta::assert_snapshot!(name, text);
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
