//! Rendered diagnostics of semantic analysis and lowering (names, NEURON-block rules, SOLVE
//! targets, placement rules, what the compiler cannot translate), one insta snapshot per error,
//! each checked for its code and the line it points at.

use myelin_compiler::diag::{Diagnostic, SourceMap};
use myelin_compiler::driver;
use myelin_compiler::mir::lower::LowerOptions;
use myelin_compiler::nmodl;
use std::path::Path;

/// (snapshot name, code of the first error, 1-based line it points at, source).
const CASES: &[(&str, &str, usize, &str)] = &[
    ("undeclared_variable", "E0150", 4, "NEURON { SUFFIX x }\nASSIGNED { a }\nINITIAL {\n    a = gbar * 2\n}\n"),
    ("undeclared_variable_did_you_mean", "E0150", 4, "NEURON { SUFFIX x }\nPARAMETER { gnabar = 1 }\nASSIGNED { a }\nINITIAL { a = gnbar }\n"),
    ("solve_of_missing_block", "E0120", 3, "NEURON { SUFFIX x }\nBREAKPOINT {\n    SOLVE states METHOD cnexp\n}\n"),
    ("solve_after_derivative_block", "E0123", 4, "NEURON { SUFFIX x }\nSTATE { m }\nDERIVATIVE states { m' = -m }\nBREAKPOINT { SOLVE states METHOD cnexp }\n"),
    ("method_for_wrong_block", "E0122", 4, "NEURON { SUFFIX x }\nSTATE { m }\nBREAKPOINT {\n    SOLVE states METHOD sparse\n}\nDERIVATIVE states { m' = -m }\n"),
    ("unknown_method", "E0121", 4, "NEURON { SUFFIX x }\nSTATE { m }\nBREAKPOINT {\n    SOLVE states METHOD rk45\n}\nDERIVATIVE states { m' = -m }\n"),
    ("useion_wrong_variable", "E0111", 1, "NEURON { SUFFIX x USEION na READ ek }\nASSIGNED { ek }\n"),
    ("useion_variable_not_declared", "E0113", 3, "NEURON {\n    SUFFIX x\n    USEION na READ ena WRITE ina\n}\nASSIGNED { ina }\n"),
    ("current_not_declared", "E0113", 1, "NEURON { SUFFIX x NONSPECIFIC_CURRENT il }\n"),
    ("local_not_first", "E0130", 5, "NEURON { SUFFIX x }\nASSIGNED { a }\nINITIAL {\n    a = 1\n    LOCAL b\n}\n"),
    ("derivative_of_non_state", "E0140", 4, "NEURON { SUFFIX x }\nASSIGNED { a }\nBREAKPOINT { SOLVE s METHOD cnexp }\nDERIVATIVE s { a' = -a }\n"),
    ("derivative_outside_derivative_block", "E0141", 4, "NEURON { SUFFIX x }\nSTATE { m }\nINITIAL {\n    m' = 1\n}\n"),
    ("assign_to_area", "E0142", 4, "NEURON { SUFFIX x }\nASSIGNED { area }\nINITIAL {\n    area = 2\n}\n"),
    ("assign_to_constant", "E0143", 4, "NEURON { SUFFIX x }\nCONSTANT { K = 3 }\nINITIAL {\n    K = 2\n}\n"),
    ("unknown_function_min", "E0156", 4, "NEURON { SUFFIX x }\nASSIGNED { a }\nINITIAL {\n    a = min(1, 2)\n}\n"),
    ("wrong_argument_count", "E0151", 4, "NEURON { SUFFIX x }\nASSIGNED { a }\nINITIAL {\n    a = f(1, 2)\n}\nFUNCTION f(x) { f = x }\n"),
    ("declared_twice_variable_and_function", "E0101", 3, "NEURON { SUFFIX x }\nASSIGNED { f }\nFUNCTION f(x) { f = x }\n"),
    ("net_receive_in_density_mechanism", "E0114", 2, "NEURON { SUFFIX x }\nNET_RECEIVE(w) { }\n"),
    ("net_send_without_net_receive", "E0155", 3, "NEURON { POINT_PROCESS x }\nINITIAL {\n    net_send(1, 1)\n}\n"),
    ("watch_outside_net_receive", "E0131", 4, "NEURON { POINT_PROCESS x }\nASSIGNED { v (mV) }\nINITIAL {\n    WATCH (v > 0) 1\n}\nNET_RECEIVE(w) { }\n"),
    ("reaction_outside_kinetic", "E0131", 4, "NEURON { SUFFIX x }\nSTATE { a b }\nINITIAL {\n    ~ a <-> b (1, 2)\n}\n"),
    ("table_outside_function", "E0131", 4, "NEURON { SUFFIX x }\nASSIGNED { a }\nINITIAL {\n    TABLE a FROM 0 TO 1 WITH 10\n}\n"),
    ("ion_variable_declared_constant", "E0115", 2, "NEURON { SUFFIX x USEION na READ ena }\nCONSTANT { ena = 50 (mV) }\n"),
    ("two_mechanism_kinds", "E0110", 1, "NEURON { SUFFIX x POINT_PROCESS y }\n"),
    ("artificial_cell_with_current", "E0112", 1, "NEURON { ARTIFICIAL_CELL x NONSPECIFIC_CURRENT i }\nASSIGNED { i }\n"),
    ("solvefor_non_state", "E0125", 3, "NEURON { SUFFIX x }\nASSIGNED { a }\nKINETIC k SOLVEFOR a {\n}\n"),
    ("verbatim_cannot_compile", "E0306", 4, "NEURON { SUFFIX x }\nASSIGNED { a }\nINITIAL {\nVERBATIM\n  _la = hoc_call();\nENDVERBATIM\n}\n"),
    ("recursive_function", "E0318", 4, "NEURON { SUFFIX x }\nASSIGNED { a }\nINITIAL { a = f(3) }\nFUNCTION f(n) { if (n > 0) { f = f(n - 1) } else { f = 1 } }\n"),
];

fn render(name: &str, src: &str) -> (String, Vec<Diagnostic>, SourceMap) {
    let mut sources = SourceMap::new();
    let id = sources.add(Path::new(&format!("{name}.mod")), src.to_string());
    let parsed = nmodl::parse_source(&mut sources, id, &[], 0);
    let lowered = driver::lower_module(&parsed.module, name, parsed.diagnostics, LowerOptions::default());
    let diags: Vec<Diagnostic> = lowered.diagnostics.into_iter().filter(Diagnostic::is_error).collect();
    (sources.render(&diags), diags, sources)
}

#[test]
fn semantic_diagnostics_snapshots() {
    let mut wrong = Vec::new();
    for &(name, code, line, src) in CASES {
        let (text, diags, sources) = render(name, src);
        match diags.first() {
            None => wrong.push(format!("{name}: no error")),
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
        insta::assert_snapshot!(name, text);
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
