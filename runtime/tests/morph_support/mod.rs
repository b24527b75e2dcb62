//! Helpers shared by the morphology tests: where the shared data and our goldens are, and a
//! comparison of a loaded morphology with a NEURON geometry dump.
#![allow(dead_code)]

use myelin_runtime::morph::Morphology;
use std::path::{Path, PathBuf};

/// The shared read-only data directory: `$MYELIN_SHARED`, else the first `shared` directory
/// (containing `reference/`) found next to an ancestor of this crate.
pub fn shared_dir() -> PathBuf {
    if let Ok(p) = std::env::var("MYELIN_SHARED") {
        return PathBuf::from(p);
    }
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in here.ancestors() {
        let cand = dir.join("shared");
        if cand.join("reference").is_dir() {
            return cand;
        }
    }
    panic!("shared data directory not found: set MYELIN_SHARED or place the checkout beside ../shared");
}

/// Our own test data (`runtime/tests/data/morph`).
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/morph")
}

/// One section of a NEURON geometry dump (the form of `l5pc_nrngeom_sections.json`).
#[derive(Debug, serde::Deserialize)]
pub struct NrnSection {
    pub name: String,
    pub tag: Option<i32>,
    #[serde(rename = "L")]
    pub l: f64,
    pub nseg: u32,
    pub diam: f64,
    pub pts: Vec<[f64; 4]>,
    pub parent: Option<String>,
    pub parent_x: Option<f64>,
    #[serde(default)]
    pub seg_diam: Vec<f64>,
}

/// A golden made by `tools/golden/morph/make_goldens.py`.
#[derive(Debug, serde::Deserialize)]
pub struct Golden {
    pub mode: String,
    pub sections: Vec<NrnSection>,
    #[serde(default)]
    pub lists: Option<std::collections::BTreeMap<String, Vec<String>>>,
    #[serde(default)]
    pub distances: Option<Vec<(String, f64, f64)>>,
    #[serde(default)]
    pub locations: Option<Vec<GoldenLocation>>,
    #[serde(default)]
    pub d_lambda: Option<GoldenDLambda>,
}

/// A BluePyOpt location query and NEURON's answer (or error).
#[derive(Debug, serde::Deserialize)]
pub struct GoldenLocation {
    pub kind: String,
    pub seclist: String,
    pub distance: f64,
    pub section: Option<String>,
    pub x: Option<f64>,
    pub error: Option<String>,
}

/// The d_lambda settings and NEURON's nseg per section.
#[derive(Debug, serde::Deserialize)]
pub struct GoldenDLambda {
    pub freq: f64,
    pub d_lambda: f64,
    #[serde(rename = "Ra")]
    pub ra: f64,
    pub cm: f64,
    pub nseg: Vec<u32>,
}

/// Reads a golden (`.json` or `.json.gz`) from our test data.
pub fn read_golden(name: &str) -> Golden {
    let path = data_dir().join("golden").join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = if name.ends_with(".gz") {
        use std::io::Read;
        let mut s = String::new();
        flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut s).expect("gzip");
        s
    } else {
        String::from_utf8(bytes).expect("utf-8")
    };
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Reads a geometry dump.
pub fn read_nrn_geometry(path: &Path) -> Vec<NrnSection> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// NEURON's name without the cell prefix (`l5pc[0].soma[0]` → `soma[0]`).
pub fn strip(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// Compares a morphology with a NEURON dump: names and order, parents and parent_x, every pt3d
/// value (as f32, i.e. what NEURON stores; equal or within 1e-4 µm), L (1e-6 relative), nseg,
/// the section diameter at 0.5 and every segment diameter (1e-9 relative). Returns a list of
/// differences (empty = equal).
pub fn compare(m: &Morphology, nrn: &[NrnSection]) -> Vec<String> {
    compare_counting(m, nrn).0
}

/// [`compare`], also counting the pt3d values that are within 1e-4 µm but not bit-identical.
pub fn compare_counting(m: &Morphology, nrn: &[NrnSection]) -> (Vec<String>, usize) {
    let mut not_exact = 0;
    let mut errs = vec![];
    if m.sections.len() != nrn.len() {
        errs.push(format!("section count {} vs NEURON {}", m.sections.len(), nrn.len()));
    }
    for (i, (s, r)) in m.sections.iter().zip(nrn).enumerate() {
        let rn = strip(&r.name);
        if s.name != rn {
            errs.push(format!("#{i}: name {} vs {}", s.name, rn));
            continue;
        }
        let parent = s.parent.map(|p| m.sections[p].name.as_str());
        let rparent = r.parent.as_deref().map(strip);
        if parent != rparent {
            errs.push(format!("{}: parent {:?} vs {:?}", s.name, parent, rparent));
        }
        if let Some(px) = r.parent_x {
            if s.parent_x != px {
                errs.push(format!("{}: parent_x {} vs {}", s.name, s.parent_x, px));
            }
        }
        if s.pts.len() != r.pts.len() {
            errs.push(format!("{}: {} pts vs {}", s.name, s.pts.len(), r.pts.len()));
        } else {
            for (k, (p, q)) in s.pts.iter().zip(&r.pts).enumerate() {
                let a = [p.x as f32, p.y as f32, p.z as f32, p.d as f32];
                let b = [q[0] as f32, q[1] as f32, q[2] as f32, q[3] as f32];
                if a != b {
                    let close = a.iter().zip(&b).all(|(u, v)| (u - v).abs() <= 1e-4);
                    if close {
                        not_exact += 1;
                    } else {
                        errs.push(format!("{} pt {k}: {:?} vs {:?}", s.name, a, b));
                    }
                }
            }
        }
        if (s.length - r.l).abs() > 1e-6 * r.l.abs().max(1e-12) {
            errs.push(format!("{}: L {} vs {}", s.name, s.length, r.l));
        }
        if s.nseg != r.nseg {
            errs.push(format!("{}: nseg {} vs {}", s.name, s.nseg, r.nseg));
        }
        if (s.diam - r.diam).abs() > 1e-9 * r.diam.abs().max(1e-12) {
            errs.push(format!("{}: diam {} vs {}", s.name, s.diam, r.diam));
        }
        if !r.seg_diam.is_empty() {
            let ours = s.segment_diams();
            let same = ours.len() == r.seg_diam.len()
                && ours.iter().zip(&r.seg_diam).all(|(a, b)| (a - b).abs() <= 1e-9 * b.abs().max(1e-12));
            if !same {
                errs.push(format!("{}: segment diameters {:?} vs {:?}", s.name, ours, r.seg_diam));
            }
        }
    }
    (errs, not_exact)
}
