//! Shared helpers of the NMODL property tests: a small deterministic random source, a generator
//! of random *valid* NMODL programs (every construct, random layout), seed programs, and the
//! round-trip check (parse → print → parse gives the same tree; printing is idempotent).

#![allow(dead_code)]

use myelin_compiler::diag::{Diagnostic, SourceMap};
use myelin_compiler::nmodl::{self, dump::dump_module, print::print_module};
use std::path::{Path, PathBuf};

/// xorshift64*: deterministic, dependency-free randomness for reproducible property tests.
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (0 is remapped).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// Next 64 random bits.
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

const NAMES: &[&str] =
    &["a", "b", "gbar", "m", "h", "n2", "x_1", "minf", "tau", "q10", "ik", "cai", "w", "z9"];
const STATES: &[&str] = &["m", "h", "c1", "o", "ca"];
const FUNCS: &[&str] = &["exp", "log", "fabs", "f", "vtrap", "g1"];
const UNITS: &[&str] =
    &["mV", "/ms", "mA/cm2", "1", "", "S/cm2", "micro m", "k-mole", "10000 coulomb", "degC"];
const NUMBERS: &[&str] = &["0", "1", "2.5", ".5", "1e-3", "3E+2", "1.", "42", "6.3", "1e10"];

/// Generates random valid NMODL programs.
pub struct Gen {
    /// Randomness.
    pub rng: Rng,
    /// Line ending used for this program.
    nl: &'static str,
}

impl Gen {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Gen {
        Gen { rng: Rng::new(seed), nl: "\n" }
    }

    fn name(&mut self) -> String {
        (*self.rng.pick(NAMES)).to_string()
    }

    fn number(&mut self) -> String {
        (*self.rng.pick(NUMBERS)).to_string()
    }

    fn units(&mut self) -> String {
        format!("({})", self.rng.pick(UNITS))
    }

    /// Blank, comment or line break between tokens of statements.
    fn sep(&mut self) -> String {
        match self.rng.below(12) {
            0 => format!(" : note{}", self.nl),
            1 => self.nl.to_string(),
            2 => "\t".into(),
            _ => " ".into(),
        }
    }

    /// A random expression of at most `depth` levels.
    pub fn expr(&mut self, depth: u32) -> String {
        if depth == 0 {
            return match self.rng.below(6) {
                0 | 1 => self.name(),
                2 => self.number(),
                3 => format!("{} {}", self.number(), self.units()),
                4 => format!("{}[{}]", self.name(), self.rng.below(3)),
                _ => format!("{}()", self.rng.pick(FUNCS)),
            };
        }
        match self.rng.below(9) {
            0..=3 => {
                let op =
                    *self.rng.pick(&["+", "-", "*", "/", "^", "<", ">", "<=", ">=", "==", "!=", "&&", "||"]);
                let (a, b) = (self.expr(depth - 1), self.expr(depth - 1));
                // A binary operator may be followed by a line break (newlines carry no syntax).
                let s = if self.rng.chance(0.1) { self.nl.to_string() } else { " ".into() };
                format!("{a} {op}{s}{b}")
            }
            4 => format!("-{}", self.expr(depth - 1)),
            5 => format!("!{}", self.expr(0)),
            6 => format!("({})", self.expr(depth - 1)),
            7 => {
                let n = self.rng.below(3);
                let args: Vec<String> = (0..n).map(|_| self.expr(depth - 1)).collect();
                format!("{}({})", self.rng.pick(FUNCS), args.join(", "))
            }
            _ => format!("INT({})", self.expr(depth - 1)),
        }
    }

    fn block(&mut self, depth: u32, ctx: Ctx) -> String {
        let mut s = String::from("{");
        s.push_str(self.nl);
        if self.rng.chance(0.3) {
            s.push_str(&format!("    LOCAL {}, {}[2]{}", "l1", "l2", self.nl));
        }
        for _ in 0..self.rng.below(5) {
            s.push_str("    ");
            s.push_str(&self.stmt(depth, ctx));
            s.push_str(&self.sep());
            s.push_str(self.nl);
        }
        s.push('}');
        s
    }

    fn stmt(&mut self, depth: u32, ctx: Ctx) -> String {
        let d = depth.saturating_sub(1);
        let simple = depth == 0;
        match self.rng.below(if simple { 3 } else { 12 }) {
            0 | 1 => format!("{} = {}", self.name(), self.expr(2)),
            2 => match ctx {
                Ctx::Derivative => format!("{}' = {}", self.rng.pick(STATES), self.expr(2)),
                Ctx::Kinetic => self.reaction(),
                Ctx::NetReceive => format!("net_send({}, {})", self.expr(1), self.rng.below(4)),
                Ctx::Plain => format!("{}({})", self.rng.pick(FUNCS), self.expr(1)),
            },
            3 => {
                let mut s = format!("if ({}) {}", self.expr(2), self.block(d, ctx));
                match self.rng.below(3) {
                    0 => s.push_str(&format!(" else {}", self.block(d, ctx))),
                    1 => s.push_str(&format!(" else if ({}) {}", self.expr(1), self.block(d, ctx))),
                    _ => {}
                }
                s
            }
            4 => format!("while ({}) {}", self.expr(1), self.block(d, ctx)),
            5 => format!("FROM i = 0 TO {} {}", self.rng.below(5), self.block(d, ctx)),
            6 => format!("{}[{}] = {}", self.name(), self.expr(0), self.expr(1)),
            7 => format!("PROTECT {} = {}", self.name(), self.expr(1)),
            8 => self.block(d, ctx),
            9 => "UNITSOFF".into(),
            10 => match ctx {
                Ctx::NetReceive => format!("WATCH ({} > {}) 2", self.name(), self.expr(0)),
                Ctx::Kinetic => format!("CONSERVE {} + {} = 1", self.rng.pick(STATES), self.rng.pick(STATES)),
                _ => "MUTEXLOCK".into(),
            },
            _ => format!("VERBATIM{nl}  int x = 0;{nl}ENDVERBATIM", nl = self.nl),
        }
    }

    fn reaction(&mut self) -> String {
        let (a, b) = (self.rng.pick(STATES), self.rng.pick(STATES));
        match self.rng.below(4) {
            0 => format!("~ {a} <-> {b} ({}, {})", self.expr(1), self.expr(1)),
            1 => format!("~ 2 {a} + {b} <-> c1 ({}, {})", self.expr(0), self.expr(0)),
            2 => format!("~ {a} << ({})", self.expr(1)),
            _ => format!("~ {a} -> ({})", self.expr(0)),
        }
    }

    /// A random program: declarations, then procedural blocks, in random layout.
    pub fn program(&mut self) -> String {
        self.nl = if self.rng.chance(0.25) { "\r\n" } else { "\n" };
        let nl = self.nl;
        let mut p = String::new();
        if self.rng.chance(0.5) {
            p.push_str(&format!("TITLE random program {}{nl}", self.rng.below(1000)));
        }
        p.push_str(&format!(
            "NEURON {{{nl}    SUFFIX r{}{nl}    USEION k READ ek WRITE ik{nl}    RANGE gbar, a{nl}}}{nl}",
            self.rng.below(100)
        ));
        if self.rng.chance(0.3) {
            p.push_str(&format!("COMMENT{nl}free text {{ }}{nl}ENDCOMMENT{nl}"));
        }
        p.push_str(&format!("UNITS {{{nl}    (mA) = (milliamp){nl}    F = (faraday) (coulomb){nl}}}{nl}"));
        p.push_str(&format!("PARAMETER {{{nl}"));
        for n in ["gbar", "a", "tau"] {
            p.push_str(&format!("    {n} = {} {}{nl}", self.number(), self.units()));
        }
        p.push_str(&format!("}}{nl}STATE {{ m h c1 o ca }}{nl}ASSIGNED {{ v (mV) ik (mA/cm2) minf }}{nl}"));
        let blocks = 2 + self.rng.below(5);
        for _ in 0..blocks {
            let b = match self.rng.below(7) {
                0 => format!("INITIAL {}", self.block(2, Ctx::Plain)),
                1 => format!("BREAKPOINT {}", self.block(2, Ctx::Plain)),
                2 => format!("DERIVATIVE states {}", self.block(2, Ctx::Derivative)),
                3 => format!("KINETIC kin {}", self.block(1, Ctx::Kinetic)),
                4 => format!("PROCEDURE p{}(x (mV), y) {}", self.rng.below(9), self.block(2, Ctx::Plain)),
                5 => format!("FUNCTION f{}(x) (/ms) {}", self.rng.below(9), self.block(2, Ctx::Plain)),
                _ => format!("NET_RECEIVE (w (uS)) {}", self.block(2, Ctx::NetReceive)),
            };
            p.push_str(&b);
            p.push_str(nl);
            if self.rng.chance(0.2) {
                p.push_str(&format!(": between blocks{nl}"));
            }
        }
        p
    }
}

#[derive(Clone, Copy)]
enum Ctx {
    Plain,
    Derivative,
    Kinetic,
    NetReceive,
}

/// Seed programs for mutation: small but covering, written for these tests.
pub const SEEDS: &[&str] = &[
    "TITLE hh\nUNITS {\n (mA) = (milliamp)\n (mV) = (millivolt)\n}\nNEURON {\n SUFFIX hh\n USEION na READ ena WRITE ina\n \
     RANGE gnabar\n}\nPARAMETER { gnabar = .12 (S/cm2) <0,1e9> }\nSTATE { m h }\nASSIGNED { v (mV) ena (mV) ina (mA/cm2) \
     minf mtau (ms) }\nBREAKPOINT {\n SOLVE states METHOD cnexp\n ina = gnabar*m*m*m*h*(v - ena)\n}\nINITIAL { rates(v) m = minf }\n\
     DERIVATIVE states {\n rates(v)\n m' = (minf - m)/mtau\n}\nPROCEDURE rates(v (mV)) {\n LOCAL a, b\n TABLE minf, mtau FROM -100 \
     TO 100 WITH 200\n UNITSOFF\n a = .1*vtrap(-(v + 40), 10)\n b = 4*exp(-(v + 65)/18)\n mtau = 1/(a + b)\n minf = a*mtau\n UNITSON\n}\n\
     FUNCTION vtrap(x, y) {\n if (fabs(x/y) < 1e-6) { vtrap = y*(1 - x/y/2) } else { vtrap = x/(exp(x/y) - 1) }\n}\n",
    "COMMENT\nkinetic\nENDCOMMENT\nNEURON { POINT_PROCESS syn RANGE g POINTER p }\nSTATE { c1 o ca[4] (mM) }\n\
     KINETIC kin {\n COMPARTMENT i, diam*diam {ca}\n ~ c1 <-> o (a, b)\n ~ ca[0] << (-ica)\n CONSERVE c1 + o = 1\n}\n\
     NET_RECEIVE (w (uS)) {\n INITIAL { }\n if (flag == 1) { WATCH (v > 0) 2 } else { net_send(1, 1) }\n\
     FOR_NETCONS(w1) { w1 = 0 }\n}\nVERBATIM\nstatic int k;\nENDVERBATIM\nDEFINE N 3\nLOCAL top[N]\n",
];

/// Parses `text` as a file at `path` (so that INCLUDEs resolve next to it).
pub fn parse_at(path: &Path, text: &str, include_path: &[PathBuf]) -> (nmodl::Parsed, SourceMap) {
    let mut sources = SourceMap::new();
    let id = sources.add(path, text.to_string());
    let parsed = nmodl::parse_source(&mut sources, id, include_path, 0);
    (parsed, sources)
}

/// True when some diagnostic is an error.
pub fn has_errors(d: &[Diagnostic]) -> bool {
    d.iter().any(Diagnostic::is_error)
}

/// parse → print → parse must give the same tree, and printing must be idempotent.
/// `Err` describes the first difference.
pub fn round_trip(path: &Path, module: &nmodl::ast::Module, include_path: &[PathBuf]) -> Result<(), String> {
    let dump = dump_module(module);
    let printed = print_module(module);
    let (again, sources) = parse_at(path, &printed, include_path);
    if has_errors(&again.diagnostics) {
        return Err(format!(
            "printed text does not parse:\n{}\n{printed}",
            sources.render(&again.diagnostics)
        ));
    }
    let dump2 = dump_module(&again.module);
    if dump != dump2 {
        let line = dump.lines().zip(dump2.lines()).position(|(a, b)| a != b).unwrap_or(0);
        return Err(format!(
            "tree differs after printing (dump line {line}: `{}` vs `{}`):\n{printed}",
            dump.lines().nth(line).unwrap_or(""),
            dump2.lines().nth(line).unwrap_or("")
        ));
    }
    let printed2 = print_module(&again.module);
    if printed != printed2 {
        return Err(format!("printer is not idempotent:\n{printed}\n---\n{printed2}"));
    }
    Ok(())
}

/// Every `.mod` file under `dir`, sorted.
pub fn mod_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if p.is_dir() {
                if name != "target" && name != ".git" {
                    stack.push(p);
                }
            } else if p.extension().is_some_and(|x| x == "mod") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
