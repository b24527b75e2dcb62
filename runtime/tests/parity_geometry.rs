//! Geometry golden: per-segment areas, axial resistances (ri) and diameters computed by NEURON
//! 9.0.2 for pt3d cells (`tests/golden/engine/geometry.json`, made by
//! `tools/golden/engine/run.sh`): a tapered frustum, an irregular multi-section cell (contour-like
//! soma with a zero-length step, sections attached at 0, 0.5 and 1, a cylinder without points)
//! and the L5PC of ../shared with NEURON's instantiated pt3d points. Agreement: 1e-9 relative.

mod support;
use myelin_runtime::geometry::{nseg_per_40um, section_geometry};
use myelin_runtime::layout::{CellInput, Layout};
use myelin_runtime::morph::{Morphology, Pt3d, Section, SectionKind};
use serde_json::Value;
use support::*;

fn golden() -> Value {
    let p = repo_dir().join("tests/golden/engine/geometry.json");
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

/// Sections from the golden's (or the shared L5PC file's) description, points rounded to f32 as
/// NEURON stores them.
fn sections(list: &[Value]) -> Morphology {
    let names: Vec<&str> = list.iter().map(|s| s["name"].as_str().unwrap()).collect();
    let sections = list
        .iter()
        .map(|s| {
            let pts: Vec<Pt3d> = s["pts"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|p| {
                            let f = |k: usize| p[k].as_f64().unwrap() as f32 as f64;
                            Pt3d { x: f(0), y: f(1), z: f(2), d: f(3) }
                        })
                        .collect()
                })
                .unwrap_or_default();
            Section {
                name: s["name"].as_str().unwrap().to_string(),
                kind: SectionKind::Dend,
                parent: s["parent"].as_str().map(|p| names.iter().position(|n| *n == p).unwrap()),
                parent_x: s["parent_x"].as_f64().unwrap_or(0.0),
                orientation: 0.0,
                length: s["L"].as_f64().unwrap_or(0.0),
                diam: s["diam"].as_f64().unwrap_or(0.0),
                nseg: s["nseg"].as_u64().unwrap() as u32,
                seg_diam: vec![],
                pts,
            }
        })
        .collect();
    Morphology { sections }
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

/// Compares every section; returns the worst relative difference.
fn compare(m: &Morphology, ra: &[f64], result: &[Value]) -> f64 {
    let mut worst: f64 = 0.0;
    for (i, (s, r)) in m.sections.iter().zip(result).enumerate() {
        assert_eq!(s.name, r["name"].as_str().unwrap());
        let g = section_geometry(s, s.nseg, ra[i]).unwrap();
        let want =
            |k: &str| r[k].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect::<Vec<f64>>();
        let (area, ri, diam) = (want("area"), want("ri"), want("diam"));
        assert_eq!(area.len(), s.nseg as usize);
        for j in 0..s.nseg as usize {
            let e = rel(g.area[j], area[j]).max(rel(1.0 / g.rinv[j], ri[j])).max(rel(g.diam[j], diam[j]));
            assert!(
                e < 1e-9,
                "{} segment {j}: area {} vs {}, ri {} vs {}, diam {} vs {}",
                s.name,
                g.area[j],
                area[j],
                1.0 / g.rinv[j],
                ri[j],
                g.diam[j],
                diam[j]
            );
            worst = worst.max(e);
        }
        let e = rel(1.0 / g.rinv[s.nseg as usize], r["ri_end"].as_f64().unwrap())
            .max(rel(g.length, r["L"].as_f64().unwrap()));
        assert!(e < 1e-9, "{}: end ri or L differs ({e:.2e})", s.name);
        worst = worst.max(e);
    }
    let nseg: Vec<u32> = m.sections.iter().map(|s| s.nseg).collect();
    let cm = vec![1.0; m.sections.len()];
    Layout::build(&[CellInput { morph: m, nseg: &nseg, ra, cm: &cm }]).expect("the cell builds");
    worst
}

#[test]
fn parity_geometry_taper_and_irregular() {
    let g = golden();
    for name in ["taper", "irregular"] {
        let secs = g[name]["sections"].as_array().unwrap();
        let m = sections(secs);
        let ra: Vec<f64> = secs.iter().map(|s| s["ra"].as_f64().unwrap()).collect();
        let worst = compare(&m, &ra, g[name]["result"].as_array().unwrap());
        println!("geometry {name}: worst relative difference {worst:.2e}");
    }
}

#[test]
fn parity_geometry_l5pc() {
    let g = golden();
    let path = shared_dir().join("reference/neuron/l5pc_nrngeom_sections.json");
    let l5: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let m = sections(l5.as_array().unwrap());
    let ra = vec![g["l5pc"]["ra"].as_f64().unwrap(); m.sections.len()];
    let worst = compare(&m, &ra, g["l5pc"]["result"].as_array().unwrap());
    let total: u32 = m.sections.iter().map(|s| s.nseg).sum();
    assert_eq!(total, 699);
    // BluePyOpt's rule 1 + 2·int(L/40) on the arc lengths gives NEURON's nseg everywhere.
    for s in &m.sections {
        assert_eq!(nseg_per_40um(s), s.nseg, "{}", s.name);
    }
    println!("geometry l5pc: 199 sections, 699 segments, worst relative difference {worst:.2e}");
}
