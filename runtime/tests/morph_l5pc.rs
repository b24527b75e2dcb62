//! The L5PC geometry: C060114A7.asc loaded with NEURON's Import3d rules, nseg = 1 + 2·int(L/40)
//! and BluePyOpt's axon replacement must give NEURON's instantiated cell
//! (`reference/neuron/l5pc_nrngeom_sections.json`): same sections in the same order, parents,
//! parent_x, pt3d points (as stored f32), L (1e-6 relative), nseg (699 in total) and diameters.

mod morph_support;

use morph_support::*;
use myelin_runtime::morph::{self, AxonReplacement};

#[test]
fn l5pc_geometry_matches_neuron() {
    let shared = shared_dir();
    let asc = shared.join("data/BluePyOpt/examples/l5pc/morphology/C060114A7.asc");
    let mut m = morph::load(&asc).unwrap_or_else(|e| panic!("{e}"));
    m.set_nseg_frequency(40.0).unwrap();
    m.replace_axon(AxonReplacement::BluePyOpt).unwrap();
    let nrn = read_nrn_geometry(&shared.join("reference/neuron/l5pc_nrngeom_sections.json"));
    let errs = compare(&m, &nrn);
    assert!(errs.is_empty(), "{} differences, first: {:#?}", errs.len(), &errs[..errs.len().min(20)]);
    assert_eq!(m.sections.len(), 199);
    assert_eq!(m.total_nseg(), 699);
}
