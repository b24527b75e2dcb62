//! Malformed input never panics the readers: random bytes, truncations and mutations of real
//! files, token soups for the Neurolucida grammar, random SWC trees, very deep nesting. Every
//! morphology that loads is checked for the invariants the engine relies on, and pushed through
//! the pipeline operations (nseg rules, axon replacements, distances), which must not panic
//! either.

mod morph_support;

use morph_support::*;
use myelin_runtime::morph::{self, AxonReplacement, Location, Morphology};

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn exercise(m: &Morphology) {
    m.validate().unwrap_or_else(|e| panic!("reader produced an invalid morphology: {e}"));
    let mut names = std::collections::HashSet::new();
    for s in &m.sections {
        assert!(names.insert(s.name.clone()), "duplicate name {}", s.name);
        assert!(s.length.is_finite() && s.diam.is_finite());
    }
    let mut m2 = m.clone();
    let _ = m2.set_nseg_frequency(40.0);
    let _ = m2.set_nseg_d_lambda(100.0, 0.1, 100.0, 1.0);
    if let Ok(o) = m2.soma_center() {
        let locs: Vec<Location> = (0..m2.sections.len())
            .flat_map(|i| [0.0, 0.5, 1.0].map(|x| Location { section: i, x }))
            .collect();
        for d in m2.distances_from(o, &locs) {
            assert!(d.is_finite() || d == 1e20, "{d}");
        }
        let _ = m2.soma_distance_location("apical", 100.0);
        let _ = m2.soma_distance_location("basal", 10.0);
    }
    for how in [AxonReplacement::BluePyOpt, AxonReplacement::Taper] {
        let mut m3 = m2.clone();
        if m3.replace_axon(how).is_ok() {
            m3.validate().unwrap();
        }
    }
}

fn both(bytes: &[u8]) {
    if let Ok(m) = morph::parse_swc(bytes, "fuzz.swc") {
        exercise(&m);
    }
    if let Ok(m) = morph::parse_asc(bytes, "fuzz.asc") {
        exercise(&m);
    }
}

fn seeds() -> Vec<Vec<u8>> {
    let mut out = vec![];
    for f in std::fs::read_dir(data_dir()).unwrap() {
        let p = f.unwrap().path();
        if p.extension().is_some_and(|e| e == "swc" || e == "asc") {
            out.push(std::fs::read(p).unwrap());
        }
    }
    let l5 =
        std::fs::read(shared_dir().join("data/BluePyOpt/examples/l5pc/morphology/C060114A7.asc")).unwrap();
    out.push(l5[..60_000].to_vec());
    out
}

#[test]
fn random_bytes() {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3000 {
        let n = r.below(400);
        let bytes: Vec<u8> = (0..n).map(|_| r.next() as u8).collect();
        both(&bytes);
    }
}

#[test]
fn truncations_of_real_files() {
    let mut r = Rng(42);
    for s in seeds() {
        for _ in 0..60 {
            let cut = r.below(s.len() + 1);
            both(&s[..cut]);
        }
    }
}

#[test]
fn mutations_of_real_files() {
    let mut r = Rng(7);
    let alphabet = b"()|<>,;@\"\n -.e0123456789";
    for s in seeds() {
        let s = &s[..s.len().min(6000)];
        for _ in 0..150 {
            let mut v = s.to_vec();
            for _ in 0..1 + r.below(4) {
                let i = r.below(v.len());
                match r.below(3) {
                    0 if !v.is_empty() => {
                        v.remove(i.min(v.len() - 1));
                    }
                    1 => v.insert(i, alphabet[r.below(alphabet.len())]),
                    _ if !v.is_empty() => {
                        let k = i.min(v.len() - 1);
                        v[k] = alphabet[r.below(alphabet.len())];
                    }
                    _ => {}
                }
            }
            both(&v);
        }
    }
}

#[test]
fn neurolucida_token_soup() {
    let vocab: &[&str] = &[
        "(",
        ")",
        "(",
        ")",
        "|",
        "<",
        ">",
        ",",
        "\"CellBody\"",
        "\"Soma\"",
        "(Dendrite)",
        "(Axon)",
        "(Apical)",
        "(Color Red)",
        "(Color RGB (1, 2, 3))",
        "1.5",
        "-2",
        "0",
        "7e1",
        "Normal",
        "Incomplete",
        "(Cross",
        "set",
        "\"x\"",
        "\n",
        " ; c\n",
        "@",
        "( 1 2 3 1)",
        "( 0 0 0 2)",
        "(5 5 0 1)",
        "(-5 5 0 1)",
    ];
    let mut r = Rng(1234);
    for _ in 0..4000 {
        let n = r.below(60);
        let mut s = String::new();
        for _ in 0..n {
            s.push_str(vocab[r.below(vocab.len())]);
            s.push(' ');
        }
        both(s.as_bytes());
    }
}

#[test]
fn random_swc_trees() {
    let mut r = Rng(99);
    for _ in 0..3000 {
        let n = 1 + r.below(25);
        let mut s = String::new();
        let mut id = 0i64;
        for k in 0..n {
            id += 1 + r.below(2) as i64;
            let t = [1, 1, 1, 2, 3, 3, 4, 5, 0, -1, 7][r.below(11)];
            let pid = if k == 0 || r.below(12) == 0 { -1 } else { id - 1 - r.below(k.min(4) + 1) as i64 };
            let (x, y, z) = (r.below(5) as f64, r.below(5) as f64 * 2.0, r.below(3) as f64);
            let rad = [0.0, 0.5, 1.0, 2.5][r.below(4)];
            s.push_str(&format!("{id} {t} {x} {y} {z} {rad} {pid}\n"));
        }
        both(s.as_bytes());
    }
}

#[test]
fn deep_nesting_is_an_error_or_fine_but_never_a_stack_overflow() {
    // 1500 nested splits in a 2 MB thread (the default for test threads).
    let handle = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let mut s = String::from("((Dendrite) (0 0 0 1) (0 1 0 1)\n");
            for i in 0..1500 {
                s.push_str(&format!("( ({i} 2 0 1) ({i} 3 0 1)\n"));
            }
            for _ in 0..1500 {
                s.push_str(")\n");
            }
            s.push_str(")\n");
            let _ = morph::parse_asc(s.as_bytes(), "deep.asc");
            let mut s = String::new();
            for _ in 0..200_000 {
                s.push('(');
            }
            assert!(morph::parse_asc(s.as_bytes(), "parens.asc").is_err());
        })
        .unwrap();
    handle.join().expect("no stack overflow");
}
