//! Morphologies against goldens made by NEURON 9 (`tools/golden/morph/make_goldens.py`):
//! our own small SWC/ASC files covering the Import3d rules (one-point, 3-point, chain and contour
//! somata, contour stacks, multifurcations, unusual types, several trees, no soma) and shared
//! morphologies read in place (SSCx, BluePyMM, the L5PC) through BluePyOpt's pipeline.
//!
//! Tolerances: pt3d values equal as f32 (NEURON stores f32) or within 1e-4 µm; L 1e-6 relative;
//! diameters 1e-9 relative; distances 1e-9 µm; location x 1e-12; nseg exact.

mod morph_support;

use morph_support::*;
use myelin_runtime::morph::{self, AxonReplacement, Morphology};

fn check_sections(name: &str, m: &Morphology, g: &Golden) {
    let (errs, not_exact) = compare_counting(m, &g.sections);
    assert!(errs.is_empty(), "{name}: {} differences: {:#?}", errs.len(), &errs[..errs.len().min(20)]);
    let npts: usize = g.sections.iter().map(|s| s.pts.len()).sum();
    eprintln!("{name}: {} sections, {npts} pt3d points, {not_exact} not bit-identical", g.sections.len());
}

fn import3d_case(file: &str) {
    let path = data_dir().join(file);
    let m = morph::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let golden = file.replace('.', "_") + ".json";
    let g = read_golden(&golden);
    assert_eq!(g.mode, "import3d");
    check_sections(file, &m, &g);
}

#[test]
fn swc_one_point_soma() {
    import3d_case("single_point_soma.swc");
}

#[test]
fn swc_three_point_soma() {
    import3d_case("three_point_soma.swc");
}

#[test]
fn swc_soma_chain_with_branches() {
    import3d_case("cylinder_soma.swc");
}

#[test]
fn swc_unusual_types_and_removed_sections() {
    import3d_case("unusual_types.swc");
}

#[test]
fn swc_two_trees_and_missing_parent() {
    import3d_case("two_trees.swc");
    let (_, warnings) = morph::load_with_warnings(data_dir().join("two_trees.swc")).unwrap();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
}

#[test]
fn swc_without_soma() {
    import3d_case("no_soma.swc");
}

#[test]
fn asc_contour_soma_markers_spines() {
    import3d_case("contour_soma.asc");
}

#[test]
fn asc_soma_contour_stack() {
    import3d_case("soma_stack.asc");
}

#[test]
fn asc_two_somata_and_a_stray_tree() {
    import3d_case("two_somas.asc");
}

#[test]
fn asc_without_soma() {
    import3d_case("no_soma.asc");
}

/// The BluePyOpt pipeline: load, nseg = 1 + 2·int(L/40), replace the axon; then section lists,
/// distances from soma[0](0.5) to every node, soma-distance locations and the d_lambda rule.
fn bluepyopt_case(path: &std::path::Path, golden: &str) {
    let mut m = morph::load(path).unwrap_or_else(|e| panic!("{e}"));
    m.set_nseg_frequency(40.0).unwrap();
    m.replace_axon(AxonReplacement::BluePyOpt).unwrap();
    let g = read_golden(golden);
    assert_eq!(g.mode, "bluepyopt");
    check_sections(golden, &m, &g);
    for (list, names) in g.lists.as_ref().expect("lists") {
        let ours: Vec<&str> =
            m.section_list(list).unwrap().iter().map(|&i| m.sections[i].name.as_str()).collect();
        let theirs: Vec<&str> = names.iter().map(|n| strip(n)).collect();
        assert_eq!(ours, theirs, "{golden}: section list {list}");
    }
    let origin = m.soma_center().unwrap();
    let mut worst = 0.0f64;
    for (name, x, d) in g.distances.as_ref().expect("distances") {
        let sec = m.find(strip(name)).unwrap_or_else(|| panic!("{name}"));
        let ours = m.distance(origin, morph::Location { section: sec, x: *x });
        worst = worst.max((ours - d).abs());
        assert!((ours - d).abs() <= 1e-9, "{golden}: distance to {name}({x}) {ours} vs {d}");
    }
    eprintln!("{golden}: {} distances, max |Δ| {worst:e} µm", g.distances.as_ref().unwrap().len());
    for q in g.locations.as_ref().expect("locations") {
        let ours = match q.kind.as_str() {
            "soma" => m.soma_distance_location(&q.seclist, q.distance),
            "trunk" => m.trunk_soma_distance_location(
                &q.seclist,
                q.distance,
                morph::TrunkDirection::Along([0.0, 1.0, 0.0]),
            ),
            k => panic!("unknown location kind {k}"),
        };
        match (&ours, &q.section) {
            (Ok(l), Some(sec)) => {
                assert_eq!(m.sections[l.section].name, strip(sec), "{golden}: {q:?}");
                assert!((l.x - q.x.unwrap()).abs() <= 1e-12, "{golden}: {q:?} got x {}", l.x);
            }
            (Err(_), None) => {}
            _ => panic!("{golden}: {q:?} vs ours {ours:?}"),
        }
    }
    let dl = g.d_lambda.as_ref().expect("d_lambda");
    m.set_nseg_d_lambda(dl.freq, dl.d_lambda, dl.ra, dl.cm).unwrap();
    let ours: Vec<u32> = m.sections.iter().map(|s| s.nseg).collect();
    assert_eq!(ours, dl.nseg, "{golden}: d_lambda nseg");
}

#[test]
fn bluepyopt_pipeline_one_point_soma_swc() {
    bluepyopt_case(&data_dir().join("single_point_soma.swc"), "single_point_soma_swc_bluepyopt.json");
}

#[test]
fn bluepyopt_pipeline_contour_asc() {
    bluepyopt_case(&data_dir().join("contour_soma.asc"), "contour_soma_asc_bluepyopt.json");
}

#[test]
fn bluepyopt_pipeline_l5pc_distances_and_locations() {
    let p = shared_dir().join("data/BluePyOpt/examples/l5pc/morphology/C060114A7.asc");
    bluepyopt_case(&p, "l5pc_C060114A7.json.gz");
}

const MM: &str = "data/SSCxEModelExamples/model_management/mm_run_minimal/morphologies/";

#[test]
fn bluepyopt_pipeline_sscx_rp110630() {
    let p = shared_dir().join(MM).join("rp110630_P1_idC.asc");
    bluepyopt_case(&p, "sscx_rp110630_P1_idC.json.gz");
}

#[test]
fn bluepyopt_pipeline_sscx_rat_20160316() {
    let p = shared_dir().join(MM).join("rat_20160316_E2_LH3_cell1.asc");
    bluepyopt_case(&p, "sscx_rat_20160316_E2_LH3_cell1.json.gz");
}

#[test]
fn bluepyopt_pipeline_bluepymm_soma_only() {
    let p = shared_dir().join("data/BluePyMM/tests/examples/simple1/data/morphs/morph1.asc");
    bluepyopt_case(&p, "bluepymm_morph1.json.gz");
}

#[test]
fn import3d_sscx_c060110a2() {
    let m = morph::load(shared_dir().join(MM).join("C060110A2.asc")).unwrap_or_else(|e| panic!("{e}"));
    let g = read_golden("sscx_C060110A2.json.gz");
    check_sections("C060110A2", &m, &g);
}

#[test]
fn bluepyemodel_taper_axon_l5pc() {
    let p = shared_dir().join("data/BluePyOpt/examples/l5pc/morphology/C060114A7.asc");
    let mut m = morph::load(p).unwrap();
    m.set_nseg_frequency(40.0).unwrap();
    m.replace_axon(AxonReplacement::Taper).unwrap();
    let g = read_golden("l5pc_C060114A7_taper.json.gz");
    check_sections("taper", &m, &g);
    let n = m.sections.len();
    assert_eq!(m.sections[n - 1].name, "myelin[0]");
    assert_eq!(m.section_list("myelinated").unwrap(), vec![n - 1]);
}
