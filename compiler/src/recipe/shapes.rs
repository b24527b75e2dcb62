//! Built-in morphologies, so that a recipe needs no file: a single cylinder (a soma) and a
//! ball-and-stick. Sections are stylized (no 3-D points), named as NEURON's Import3d names them
//! (`soma[0]`, `dend[0]`), so that `soma(0.5)` and the section lists work as for files.

use myelin_runtime::morph::{Morphology, Section, SectionKind};

fn section(name: &str, kind: SectionKind, parent: Option<usize>, length: f64, diam: f64) -> Section {
    Section {
        name: name.into(),
        kind,
        parent,
        parent_x: 1.0,
        orientation: 0.0,
        pts: vec![],
        length,
        diam,
        nseg: 1,
        seg_diam: vec![],
    }
}

/// One somatic cylinder `soma[0]` (µm).
pub fn cylinder(length: f64, diam: f64) -> Morphology {
    Morphology { sections: vec![section("soma[0]", SectionKind::Soma, None, length, diam)] }
}

/// A somatic cylinder `soma[0]` with a basal dendrite `dend[0]` attached at `soma[0](1)` (µm).
pub fn ball_and_stick(soma_length: f64, soma_diam: f64, dend_length: f64, dend_diam: f64) -> Morphology {
    Morphology {
        sections: vec![
            section("soma[0]", SectionKind::Soma, None, soma_length, soma_diam),
            section("dend[0]", SectionKind::Dend, Some(0), dend_length, dend_diam),
        ],
    }
}

/// Names and parameters (with defaults in µm) of the built-in shapes, for the checker and the
/// language reference.
pub const SHAPES: &[(&str, &[(&str, f64)])] = &[
    ("cylinder", &[("length", 20.0), ("diam", 20.0)]),
    (
        "ball_and_stick",
        &[("soma_length", 20.0), ("soma_diam", 20.0), ("dend_length", 200.0), ("dend_diam", 2.0)],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_valid_morphologies() {
        let m = ball_and_stick(20.0, 20.0, 200.0, 2.0);
        m.validate().unwrap();
        assert_eq!(m.section_list("basal").unwrap(), vec![1]);
        assert_eq!(m.location("soma(0.5)").unwrap().section, 0);
        cylinder(18.8, 18.8).validate().unwrap();
    }
}
