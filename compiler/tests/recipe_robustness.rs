//! No input may panic or hang the recipe front end: mutated recipes (truncations, byte flips,
//! insertions, deletions, duplications), random token soups and hand-made adversarial inputs go
//! through the scanner, the grammar, the tree builder and the checker (with Myelin's own
//! mechanisms and a morphology file), each time-bounded, on a small stack.
//!
//! The deterministic companion of the cargo-fuzz target `fuzz/fuzz_targets/recipe_parse.rs`.

mod recipe_common;

use recipe_common::*;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// xorshift64*: deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545F4914F6CDD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const TOKENS: &[&str] = &[
    "mechanisms",
    "builtin",
    "mod",
    "aot",
    "morphology",
    "cell",
    "param",
    "distribution",
    "protocol",
    "search",
    "settings",
    "simulate",
    "evaluate",
    "sweep",
    "region",
    "location",
    "insert",
    "set",
    "ion",
    "stimulus",
    "record",
    "feature",
    "efel",
    "in",
    "from",
    "to",
    "by",
    "at",
    "on",
    "for",
    "optimise",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    ";",
    "=",
    "+-",
    "±",
    "+",
    "-",
    "*",
    "/",
    "^",
    "<",
    "<=",
    "==",
    "|",
    "&",
    ".",
    "\"cell.swc\"",
    "\"",
    "#",
    "\n",
    " ",
    "0",
    "1",
    "0.5",
    "1e-4",
    "1e400",
    "-65",
    "mV",
    "nA",
    "ms",
    "um",
    "S/cm2",
    "uF/cm2",
    "ohm*cm",
    "degC",
    "%",
    "Hz",
    "soma",
    "soma(0.5)",
    "dend[0]",
    "apic[3]",
    "somatic",
    "apical",
    "basal",
    "all",
    "hh",
    "pas",
    "ExpSyn",
    "NaTs2_t",
    "gnabar",
    "distance",
    "x",
    "diam",
    "exp",
    "sqrt",
    "min",
    "step",
    "holding",
    "ramp",
    "pulses",
    "sequence",
    "noise",
    "synapse",
    "clamp",
    "delay",
    "duration",
    "amplitude",
    "times",
    "v",
    "hh.m",
    "ica",
    "Spikecount",
    "AP_height",
    "cylinder",
    "ball_and_stick",
    "length",
    "nseg",
    "per_length",
    "d_lambda",
    "somadistance",
    "trunk",
    "seclist",
    "type",
    "holding_current",
    "threshold_current",
    "target",
    "score",
    "celsius",
    "v_init",
];

fn mutate(rng: &mut Rng, src: &[u8]) -> Vec<u8> {
    let mut v = src.to_vec();
    for _ in 0..1 + rng.below(4) {
        let n = v.len().max(1);
        match rng.below(6) {
            0 => v.truncate(rng.below(n)),
            1 => {
                let a = rng.below(n);
                let b = (a + rng.below(40)).min(v.len());
                if a < b {
                    v.drain(a..b);
                }
            }
            2 => {
                let a = rng.below(n).min(v.len());
                let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
                v.splice(a..a, t.iter().copied());
            }
            3 => {
                if !v.is_empty() {
                    let a = rng.below(v.len());
                    v[a] = (rng.next() & 0x7f) as u8;
                }
            }
            4 => {
                let a = rng.below(n).min(v.len());
                let b = (a + rng.below(200)).min(v.len());
                let piece = v[a..b].to_vec();
                let at = rng.below(v.len().max(1)).min(v.len());
                v.splice(at..at, piece);
            }
            _ => {
                if !v.is_empty() {
                    let a = rng.below(v.len());
                    v.insert(a, [b'{', b'}', b'(', b')', b'"', b'#', b'\n', 0xC3][rng.below(8)]);
                }
            }
        }
    }
    v
}

fn soup(rng: &mut Rng) -> Vec<u8> {
    let mut s = String::new();
    for _ in 0..rng.below(120) {
        s.push_str(TOKENS[rng.below(TOKENS.len())]);
        s.push(if rng.below(3) == 0 { '\n' } else { ' ' });
    }
    s.into_bytes()
}

fn adversarial() -> Vec<Vec<u8>> {
    let mut v: Vec<String> = vec![
        format!("param p = {}1{}", "(".repeat(10_000), ")".repeat(10_000)),
        format!("param p = {}1", "-".repeat(100_000)),
        format!("param p = 1{}", " ^ 2".repeat(5_000)),
        format!("param p = {}", "1 + ".repeat(50_000) + "1"),
        format!("param {} = 1", "a".repeat(100_000)),
        format!("param p = 1 {}", "m".repeat(100_000)),
        format!("cell c {{{}", "{".repeat(100_000)),
        "}".repeat(100_000),
        "param p = 1e999999\n".to_string(),
        "param p = 1 S/cm2^999999\n".to_string(),
        "param p = (1 um)^1000000\n".to_string(),
        "distribution f(a) = g(a)\ndistribution g(a) = f(a)\nparam p = f(1)\n".to_string(),
        format!("distribution f0(a) = a\n{}param p = f99(1)\n", (1..100).map(|i| format!("distribution f{i}(a) = f{}(a) * f{}(a)\n", i - 1, i - 1)).collect::<String>()),
        "morphology m = \"cell.swc\"\ncell c { morphology = m, insert hh on distance(-1e308 um, 1e308 um) }\n".to_string(),
        "morphology m = \"cell.swc\"\ncell c { morphology = m\n location l = somadistance(apical, 1e308 um)\n location k = seclist(apical, 4000000000, 0.5) }\n".to_string(),
        "morphology m = cylinder(length = 1e-300 um, diam = 1e300 um)\ncell c { morphology = m, nseg = d_lambda(1e-300, 1e300 Hz) }\n".to_string(),
        "morphology m = cylinder()\ncell c { morphology = m, nseg = 32767 }\n".to_string(),
        "param a = 1 nA\nsweep a from 0 nA to 1e300 nA by 1e-300 nA { simulate p }\n".to_string(),
        "\u{feff}param p = 1\r\n\r\n".to_string(),
        "param p = \"\u{0}\"".to_string(),
        // A syntax error on the line after a string holding a no-break space (2 bytes).
        "mechanisms {\n    mod \"a\u{a0}b.mod\"\n    = 3\n}\n".to_string(),
    ];
    v.push(String::from_utf8_lossy(&[0xff, 0xfe, b'{', 0x80]).into_owned());
    v.into_iter().map(String::into_bytes).collect()
}

fn exercise(bytes: &[u8], base: &std::path::Path) {
    let text = String::from_utf8_lossy(bytes);
    let (_, diags) = check_text(&text, base);
    let mut sources = myelin_compiler::diag::SourceMap::new();
    sources.add(std::path::Path::new("fuzz.recipe"), text.into_owned());
    let _ = sources.render(&diags[..diags.len().min(100)]);
}

#[test]
fn nothing_panics_or_hangs() {
    let base: PathBuf = scratch_with_cell("robustness");
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    let seeds = seeds();
    assert!(seeds.len() >= 10, "{} seeds", seeds.len());
    let mut rng = Rng(0x9E3779B97F4A7C15);
    for s in &seeds {
        inputs.push(s.clone().into_bytes());
        for _ in 0..150 {
            inputs.push(mutate(&mut rng, s.as_bytes()));
        }
    }
    for _ in 0..1500 {
        inputs.push(soup(&mut rng));
    }
    inputs.extend(adversarial());
    let n = inputs.len();
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            for (i, input) in inputs.iter().enumerate() {
                let t0 = Instant::now();
                let r = catch_unwind(AssertUnwindSafe(|| exercise(input, &base)));
                if tx.send((i, r.is_ok(), t0.elapsed(), input.clone())).is_err() {
                    return;
                }
            }
        })
        .expect("thread");
    let mut slowest = Duration::ZERO;
    for _ in 0..n {
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok((i, ok, took, input)) => {
                assert!(
                    ok,
                    "input {i} panicked:\n{}",
                    String::from_utf8_lossy(&input[..input.len().min(2000)])
                );
                slowest = slowest.max(took);
                assert!(
                    took < Duration::from_secs(5),
                    "input {i} took {took:?}:\n{}",
                    String::from_utf8_lossy(&input[..input.len().min(500)])
                );
            }
            Err(_) => panic!("an input hangs (no answer in 20 s)"),
        }
    }
    worker.join().unwrap();
    eprintln!("{n} inputs, slowest {slowest:?}");
}
