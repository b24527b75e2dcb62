//! No input may panic or hang the front end: mutated programs (truncations, byte flips,
//! insertions, deletions), random token soups and hand-made adversarial inputs go through
//! parsing, the units pass, and (when they parse) print → parse. Each input is time-bounded.
//!
//! This is the fast, deterministic companion of the cargo-fuzz target `fuzz/fuzz_targets/nmodl_parse.rs`.

mod nmodl_gen;

use myelin_compiler::diag::SourceMap;
use myelin_compiler::{nmodl, units};
use nmodl_gen::{has_errors, mod_files, round_trip, Gen, Rng, SEEDS};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// One input through everything the front end does with a file. Returns an error message when a
/// property other than "no panic" fails (a parsed input must round-trip).
fn exercise(bytes: &[u8]) -> Result<(), String> {
    let text = nmodl::parse::decode(bytes);
    let path = PathBuf::from("fuzz.mod");
    let mut sources = SourceMap::new();
    let id = sources.add(&path, text);
    let parsed = nmodl::parse_source(&mut sources, id, &[], 0);
    let mut diags = parsed.diagnostics.clone();
    units::check_module(&parsed.module, id, &mut diags);
    // As `myelin check` does: at most 100 diagnostics are rendered.
    let _ = sources.render(&diags[..diags.len().min(100)]);
    if !has_errors(&parsed.diagnostics) {
        round_trip(&path, &parsed.module, &[])?;
    }
    Ok(())
}

/// Token vocabulary for soups: keywords, punctuation, names, numbers, units, raw-block words.
const TOKENS: &[&str] = &[
    "NEURON",
    "SUFFIX",
    "USEION",
    "READ",
    "WRITE",
    "VALENCE",
    "RANGE",
    "GLOBAL",
    "PARAMETER",
    "ASSIGNED",
    "STATE",
    "UNITS",
    "CONSTANT",
    "INDEPENDENT",
    "INITIAL",
    "BREAKPOINT",
    "DERIVATIVE",
    "KINETIC",
    "LINEAR",
    "NONLINEAR",
    "PROCEDURE",
    "FUNCTION",
    "FUNCTION_TABLE",
    "NET_RECEIVE",
    "DISCRETE",
    "BEFORE",
    "AFTER",
    "CONSTRUCTOR",
    "DESTRUCTOR",
    "SOLVE",
    "METHOD",
    "STEADYSTATE",
    "cnexp",
    "sparse",
    "TABLE",
    "DEPEND",
    "FROM",
    "TO",
    "WITH",
    "BY",
    "LOCAL",
    "if",
    "else",
    "while",
    "CONSERVE",
    "COMPARTMENT",
    "LONGITUDINAL_DIFFUSION",
    "WATCH",
    "FOR_NETCONS",
    "PROTECT",
    "MUTEXLOCK",
    "MUTEXUNLOCK",
    "UNITSON",
    "UNITSOFF",
    "TITLE",
    "COMMENT",
    "ENDCOMMENT",
    "VERBATIM",
    "ENDVERBATIM",
    "DEFINE",
    "INCLUDE",
    "INT",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "=",
    "==",
    "<",
    ">",
    "<=",
    ">=",
    "!=",
    "!",
    "&&",
    "||",
    "+",
    "-",
    "*",
    "/",
    "^",
    ",",
    "~",
    "~+",
    "<->",
    "->",
    "<<",
    "'",
    "@",
    ";",
    ":",
    "?",
    "\"",
    "\n",
    "\r\n",
    "\r",
    " ",
    "\t",
    "v",
    "m",
    "x'",
    "gbar",
    "ina",
    "1",
    "2.5",
    ".5",
    "1e-3",
    "1E+999",
    "(mV)",
    "(/ms)",
    "(mA/cm2)",
    "(1|0)",
    "(k-mole)",
    "(bogus)",
    "\"s\"",
    "\u{b0}",
    "\u{1a}",
];

/// Bytes that matter to the scanner and grammar, for point mutations.
const SPECIAL: &[u8] = b"{}()[]:?\";~'\n\r<>-=!@^ \t0aZ_.,|";

fn mutate(rng: &mut Rng, src: &[u8]) -> Vec<u8> {
    let mut v = src.to_vec();
    let n = 1 + rng.below(4);
    for _ in 0..n {
        let len = v.len().max(1);
        match rng.below(7) {
            0 => v.truncate(rng.below(len)),
            1 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = *rng.pick(SPECIAL);
            }
            2 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = (rng.next() & 0xFF) as u8;
            }
            3 => {
                let i = rng.below(len.min(v.len() + 1));
                let t = rng.pick(TOKENS).as_bytes().to_vec();
                v.splice(i..i, t);
            }
            4 if !v.is_empty() => {
                let a = rng.below(v.len());
                let b = (a + rng.below(64)).min(v.len());
                v.drain(a..b);
            }
            5 if !v.is_empty() => {
                let a = rng.below(v.len());
                let b = (a + rng.below(64)).min(v.len());
                let piece = v[a..b].to_vec();
                let at = rng.below(v.len() + 1);
                v.splice(at..at, piece);
            }
            _ => {
                let i = rng.below(len.min(v.len() + 1));
                v.insert(i, *rng.pick(SPECIAL));
            }
        }
    }
    v
}

fn soup(rng: &mut Rng) -> Vec<u8> {
    let n = rng.below(80);
    let mut s = String::new();
    for _ in 0..n {
        s.push_str(rng.pick::<&str>(TOKENS));
        if rng.chance(0.6) {
            s.push(' ');
        }
    }
    s.into_bytes()
}

/// Inputs built to stress recursion, loops and number parsing.
fn adversarial() -> Vec<Vec<u8>> {
    let mut v: Vec<String> = vec![
        format!("INITIAL {{ a = {}1{} }}", "(".repeat(5000), ")".repeat(5000)),
        format!("INITIAL {{ a = {}1 }}", "(".repeat(5000)),
        format!("INITIAL {{ a = 1{} }}", " + 1".repeat(20000)),
        format!("INITIAL {{ a = 2{} }}", "^2".repeat(20000)),
        format!("INITIAL {{ a = {}1 }}", "-".repeat(20000)),
        format!("INITIAL {{ a = {}1 }}", "!".repeat(20000)),
        format!("INITIAL {{ a = b{} }}", "[1]".repeat(5000)),
        format!("INITIAL {} }}", "{".repeat(5000)),
        format!("INITIAL {}", "{".repeat(5000)),
        format!("INITIAL {{ {} }}", "if (1) {".repeat(3000)),
        format!("INITIAL {{ a = f({}) }}", "f(".repeat(3000)),
        format!("PARAMETER {{ a = 1 ({}) }}", "1|".repeat(100000)),
        "PARAMETER { a = 1 (1+99999999999999999999 m) }".into(),
        format!("PARAMETER {{ a = 1 ({}) }}", "m".repeat(100000)),
        format!("PARAMETER {{ a = 1 ({}) }}", "m9".repeat(50000)),
        format!("UNITS {{ {} }}", "(a) = (a) ".repeat(3000)),
        format!("UNITS {{ X = ({}) (1) }}", "/".repeat(10000)),
        "COMMENT".into(),
        "VERBATIM\n".into(),
        "TITLE".into(),
        "\"".into(),
        "NEURON { SUFFIX \"".into(),
        "INITIAL { a = 1 (mV".into(),
        "DEFINE".into(),
        "INCLUDE \"".into(),
        "}".repeat(10000),
        format!("NEURON {{ RANGE {} }}", "a, ".repeat(20000)),
        format!("{}", "UNITSOFF\n".repeat(10000)),
        "\u{feff}NEURON { SUFFIX bom }".into(),
        "NEURON { SUFFIX x }\0\0\0".into(),
    ];
    v.push(format!("KINETIC k {{ ~ {} <-> b (1, 1) }}", "a + ".repeat(10000)));
    for n in [100, 300, 3000] {
        v.push(format!("INITIAL {{ if (a) {{ }} {} }}", "else if (a) { } ".repeat(n)));
    }
    v.push(format!("INITIAL {{ a = {} }}", "(1 + 1)*".repeat(3000) + "1"));
    v.push(format!("INITIAL {{ a = {}1{} }}", "(1 + ".repeat(60), ")".repeat(60)));
    let mut out: Vec<Vec<u8>> = v.into_iter().map(String::into_bytes).collect();
    out.push(vec![0xff, 0xfe, b'N', 0x80, b'{', 0xc3]);
    out.push(b"NEURON { SUFFIX x }\x1a garbage after ^Z".to_vec());
    out
}

#[test]
fn nothing_panics_or_hangs() {
    let mut inputs: Vec<Vec<u8>> = adversarial();
    let mut rng = Rng::new(0x5eed);
    let mut bases: Vec<Vec<u8>> = SEEDS.iter().map(|s| s.as_bytes().to_vec()).collect();
    for seed in 0..40 {
        bases.push(Gen::new(10_000 + seed).program().into_bytes());
    }
    if let Some(dir) = std::env::var_os("MYELIN_MOD_CORPUS") {
        for f in mod_files(Path::new(&dir)) {
            bases.push(std::fs::read(f).unwrap_or_default());
        }
    } else {
        println!("MYELIN_MOD_CORPUS is not set: mutating the built-in seeds and generated programs only");
    }
    let per_base = (12_000 / bases.len()).max(20);
    for b in &bases {
        inputs.push(b.clone());
        for _ in 0..per_base {
            inputs.push(mutate(&mut rng, b));
        }
    }
    for _ in 0..3000 {
        inputs.push(soup(&mut rng));
    }
    let total = inputs.len();

    // The work runs in a thread so that a hang is reported (with its input) instead of
    // blocking the test run forever.
    let (tx, rx) = mpsc::channel::<(usize, Result<(), String>)>();
    let worker = std::thread::Builder::new()
        // A small stack, as on worker threads: deep inputs must be rejected, not overflow it.
        .stack_size(2 << 20)
        .spawn(move || {
            for (i, input) in inputs.iter().enumerate() {
                let r = match catch_unwind(AssertUnwindSafe(|| exercise(input))) {
                    Ok(r) => r,
                    Err(_) => Err(format!("panicked on input {:?}", String::from_utf8_lossy(input))),
                };
                if tx.send((i, r)).is_err() {
                    return;
                }
            }
        })
        .expect("thread");
    let start = Instant::now();
    let mut failures = Vec::new();
    let mut slowest = Duration::ZERO;
    let mut last = Instant::now();
    for done in 0..total {
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok((i, r)) => {
                slowest = slowest.max(last.elapsed());
                last = Instant::now();
                if let Err(e) = r {
                    failures.push(format!("input {i}: {e}"));
                }
            }
            Err(_) => panic!("input {done} did not finish within 20 s (hang?)"),
        }
    }
    worker.join().expect("worker");
    println!("{total} inputs in {:.2?}, slowest {slowest:.2?}", start.elapsed());
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n\n"));
}
