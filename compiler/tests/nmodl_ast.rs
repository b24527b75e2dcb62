//! Syntax trees (span-free dumps) of every NMODL construct the front end accepts, as insta
//! snapshots; each program must parse without diagnostics and survive parse → print → parse.

use myelin_compiler::diag::SourceMap;
use myelin_compiler::nmodl::{self, dump::dump_module, print::print_module};
use std::path::{Path, PathBuf};

/// (snapshot name, program).
const CASES: &[(&str, &str)] = &[
    (
        "top_level_items",
        "TITLE Kv channel: test (all : kept)\n\
         COMMENT\n  free text, even } and { and \u{b0}C\nENDCOMMENT\n\
         DEFINE NANN 4\nDEFINE NEG -2\n\
         UNITSOFF\nUNITSON\n\
         LOCAL zz, buf[NANN]\n\
         VERBATIM\nstatic int counter = 0;\nENDVERBATIM\n\
         NEURON { SUFFIX kv }\n",
    ),
    (
        "neuron_block",
        "NEURON {\n\
         \x20   SUFFIX kv\n\
         \x20   USEION k READ ek, ki WRITE ik\n\
         \x20   USEION ca READ cai WRITE ica VALENCE 2\n\
         \x20   USEION cl WRITE icl VALENCE -1 REPRESENTS CHEBI:17996\n\
         \x20   USEION na WRITE ina\n\
         \x20   NONSPECIFIC_CURRENT il, ih\n\
         \x20   ELECTRODE_CURRENT iel\n\
         \x20   RANGE gbar, g, i\n\
         \x20   GLOBAL minf, mtau\n\
         \x20   POINTER ptr\n\
         \x20   BBCOREPOINTER rng\n\
         \x20   EXTERNAL ext\n\
         \x20   RANDOM r1\n\
         \x20   THREADSAFE\n\
         \x20   REPRESENTS NCIT:C17145\n\
         }\n",
    ),
    ("point_process_and_artificial_cell", "NEURON { POINT_PROCESS syn }\nNEURON { ARTIFICIAL_CELL cell }\n"),
    (
        "units_block",
        "UNITS {\n\
         \x20   (mA) = (milliamp)\n\
         \x20   (mV) = (millivolt)\n\
         \x20   (mM) = (milli/liter)\n\
         \x20   FARADAY = (faraday) (coulomb)\n\
         \x20   R = (k-mole) (joule/degC)\n\
         \x20   foot2inch = (foot) -> (inch)\n\
         \x20   F = 96520 (coul)\n\
         \x20   PI = (pi) (1)\n\
         }\n",
    ),
    (
        "declarations",
        "PARAMETER {\n\
         \x20   gbar = 0.036 (S/cm2) <0, 1e9>\n\
         \x20   ek = -77.5 (mV)\n\
         \x20   celsius (degC)\n\
         \x20   w[3] (1)\n\
         \x20   n = NANN\n\
         \x20   e1 = 1.5e-3 (mM)\n\
         \x20   e2 = .5\n\
         \x20   e3 = 2E+5\n\
         }\n\
         CONSTANT { q10 = 3 (1)  zneg = -2 }\n\
         ASSIGNED {\n\
         \x20   v (mV)\n\
         \x20   ik (mA/cm2)\n\
         \x20   arr[4] (mM)\n\
         \x20   x FROM 0 TO 1 START 0.5 (1) <1e-4>\n\
         }\n\
         STATE {\n\
         \x20   m h\n\
         \x20   ca[4] (mM) <1e-6>\n\
         \x20   c START 1\n\
         }\n\
         INDEPENDENT { t FROM 0 TO 1 WITH 1 (ms) }\n\
         INDEPENDENT { SWEEP t FROM 0 TO 1 WITH 10 START 0 (ms) }\n",
    ),
    (
        "initial_breakpoint_solve",
        "INITIAL {\n\
         \x20   SOLVE kin STEADYSTATE sparse\n\
         \x20   m = minf\n\
         }\n\
         BREAKPOINT {\n\
         \x20   SOLVE states METHOD cnexp\n\
         \x20   SOLVE other METHOD derivimplicit\n\
         \x20   SOLVE proc\n\
         \x20   CONDUCTANCE g USEION k\n\
         \x20   CONDUCTANCE gl\n\
         \x20   ik = gbar*m^4*(v - ek)\n\
         }\n",
    ),
    (
        "derivative_block",
        "DERIVATIVE states {\n\
         \x20   LOCAL a, b[2]\n\
         \x20   rates(v)\n\
         \x20   m' = (minf - m)/mtau\n\
         \x20   h' = -h/htau\n\
         \x20   ca'[0] = 0\n\
         \x20   ~ z = x*2\n\
         }\n",
    ),
    (
        "kinetic_block",
        "KINETIC kin SOLVEFOR c1, o {\n\
         \x20   COMPARTMENT vol {c1 o}\n\
         \x20   COMPARTMENT i, diam*diam*vrat[i] {ca}\n\
         \x20   LONGITUDINAL_DIFFUSION i, DCa*diam*diam*vrat[i] {ca}\n\
         \x20   LONGITUDINAL_DIFFUSION D {cb}\n\
         \x20   ~ c1 <-> o (a, b)\n\
         \x20   ~ 2 ca + B <-> CaB (kf*1 (/mM), kb)\n\
         \x20   ~ ca[0] << (-ica*PI*diam/(2*FARADAY))\n\
         \x20   ~ x -> (kdecay)\n\
         \x20   CONSERVE c1 + o + 2 i1 = 1\n\
         \x20   f = f_flux - b_flux\n\
         }\n",
    ),
    (
        "linear_nonlinear_discrete",
        "LINEAR lin SOLVEFOR a, b {\n\
         \x20   ~ a + b = 1\n\
         \x20   ~ a - 2*b = 0\n\
         }\n\
         NONLINEAR nl {\n\
         \x20   ~ x*x = 4\n\
         \x20   ~+ y = x\n\
         }\n\
         DISCRETE disc {\n\
         \x20   x = x@1 + y@2[0]\n\
         \x20   LAG x BY tau\n\
         }\n",
    ),
    (
        "procedure_function_table",
        "PROCEDURE rates(v (mV)) {\n\
         \x20   TABLE minf, mtau DEPEND celsius FROM -100 TO 100 WITH 200\n\
         \x20   minf = 1/(1 + exp(-(v + 40)/10))\n\
         }\n\
         FUNCTION vtrap(x, y) (mV) {\n\
         \x20   TABLE FROM -100 TO 100 WITH 10\n\
         \x20   if (fabs(x/y) < 1e-6) {\n\
         \x20       vtrap = y*(1 - x/y/2)\n\
         \x20   } else {\n\
         \x20       vtrap = x/(exp(x/y) - 1)\n\
         \x20   }\n\
         }\n\
         FUNCTION noargs() { noargs = 1 }\n\
         FUNCTION_TABLE tau1(v (mV), t (ms)) (ms)\n",
    ),
    (
        "control_flow_and_arrays",
        "PROCEDURE p() {\n\
         \x20   LOCAL i, s, a[3]\n\
         \x20   if (x > 0) {\n\
         \x20       s = 1\n\
         \x20   } else if (x < -1) {\n\
         \x20       s = 2\n\
         \x20   } else {\n\
         \x20       s = 3\n\
         \x20   }\n\
         \x20   IF (s == 1) { s = 0 } ELSE { s = 4 }\n\
         \x20   while (s < 10) { s = s + 1 }\n\
         \x20   WHILE (s > 0) { s = s - 1 }\n\
         \x20   FROM i = 0 TO NANN - 1 {\n\
         \x20       a[i] = i*2\n\
         \x20   }\n\
         \x20   FROM i = 0 TO 10 BY 2 { }\n\
         \x20   { s = 5 }\n\
         \x20   PROTECT g = g + 1\n\
         \x20   MUTEXLOCK\n\
         \x20   MUTEXUNLOCK\n\
         \x20   UNITSOFF\n\
         \x20   UNITSON\n\
         \x20   VERBATIM\n\
         \x20   return 0;\n\
         \x20   ENDVERBATIM\n\
         \x20   COMMENT\n\
         \x20   inside\n\
         \x20   ENDCOMMENT\n\
         }\n",
    ),
    (
        "expressions",
        "PROCEDURE e() {\n\
         \x20   a = -x^2\n\
         \x20   a = 2^3^2\n\
         \x20   a = (1 + 2)*3 - 4/5\n\
         \x20   a = 1 < 2 < 3\n\
         \x20   a = !b && c || d >= e && f != g && h == i && j <= k\n\
         \x20   a = 2 (x+1)\n\
         \x20   a = 0.1 (/ms) * 3 (mV) + .5e-3 (mM)\n\
         \x20   a = INT(b + 0.5)\n\
         \x20   a = b\n\
         \x20   -c\n\
         \x20   printf(\"%g %s\\n\", a, \"done\")\n\
         \x20   a = f(g(1, 2), h())\n\
         }\n",
    ),
    (
        "net_receive",
        "NET_RECEIVE (w (uS), tlast (ms)) {\n\
         \x20   INITIAL { tlast = -1e9 }\n\
         \x20   if (flag == 0) {\n\
         \x20       g = g + w\n\
         \x20       net_send(5, 1)\n\
         \x20       net_event(t)\n\
         \x20   } else if (flag == 1) {\n\
         \x20       WATCH (v > thresh) 2, (v < -20 (mV)) 3\n\
         \x20       net_move(t + 1)\n\
         \x20   }\n\
         \x20   FOR_NETCONS(w1, t1) {\n\
         \x20       t1 = t\n\
         \x20   }\n\
         }\n\
         NET_RECEIVE (w) { }\n",
    ),
    (
        "before_after_constructor",
        "BEFORE BREAKPOINT { a = 1 }\n\
         AFTER SOLVE { b = 2 }\n\
         BEFORE INITIAL { }\n\
         AFTER STEP { }\n\
         CONSTRUCTOR {\n\
         VERBATIM\n\
         _p_rng = 0;\n\
         ENDVERBATIM\n\
         }\n\
         DESTRUCTOR { }\n",
    ),
    (
        "crlf_and_comments",
        "TITLE crlf\r\n: a comment\r\nNEURON {\r\n    SUFFIX c ? old-style comment\r\n    RANGE g : trailing\r\n}\r\n\
         PARAMETER {\r\n    g = 1 (S/cm2)\r\n}\r\nCOMMENT\r\nnotes\r\nENDCOMMENT\r\n",
    ),
];

fn parse_text(name: &str, text: &str) -> (nmodl::Parsed, SourceMap) {
    let mut sources = SourceMap::new();
    let id = sources.add(Path::new(&format!("{name}.mod")), text.to_string());
    let parsed = nmodl::parse_source(&mut sources, id, &[], 0);
    (parsed, sources)
}

#[test]
fn ast_snapshots_and_round_trip() {
    for &(name, src) in CASES {
        let (parsed, sources) = parse_text(name, src);
        assert!(parsed.diagnostics.is_empty(), "{name}:\n{}", sources.render(&parsed.diagnostics));
        let dump = dump_module(&parsed.module);
        insta::assert_snapshot!(name, dump);
        let printed = print_module(&parsed.module);
        let (again, s2) = parse_text(name, &printed);
        assert!(
            again.diagnostics.is_empty(),
            "{name} printed:\n{printed}\n{}",
            s2.render(&again.diagnostics)
        );
        assert_eq!(dump, dump_module(&again.module), "{name}: printing changed the tree:\n{printed}");
        assert_eq!(printed, print_module(&again.module), "{name}: printer not idempotent");
    }
}

/// A fresh directory under the system temp dir.
fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("myelin-nmodl-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn include_searches_the_file_directory_then_the_include_path() {
    let dir = temp_dir("include");
    let lib = dir.join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    std::fs::write(dir.join("local.inc"), "FUNCTION twice(x) { twice = 2*x }\n").unwrap();
    std::fs::write(lib.join("shared.inc"), "UNITS { FARADAY = (faraday) (coulomb) }\n").unwrap();
    let main = dir.join("main.mod");
    std::fs::write(&main, "NEURON { SUFFIX inc }\nINCLUDE \"local.inc\"\nINCLUDE \"shared.inc\"\n").unwrap();
    let mut sources = SourceMap::new();
    let (_, parsed) = nmodl::parse_file(&mut sources, &main, std::slice::from_ref(&lib)).unwrap();
    assert!(parsed.diagnostics.is_empty(), "{}", sources.render(&parsed.diagnostics));
    insta::assert_snapshot!("include_search_path", dump_module(&parsed.module));
    // Without the include path the second file is not found, and that is an error at its line.
    let mut sources = SourceMap::new();
    let (_, parsed) = nmodl::parse_file(&mut sources, &main, &[]).unwrap();
    let codes: Vec<_> = parsed.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["E0006"]);
    let span = parsed.diagnostics[0].primary_span().unwrap();
    assert_eq!(sources.line_col(span.file, span.start as usize).0, 3);
    let _ = std::fs::remove_dir_all(&dir);
}
