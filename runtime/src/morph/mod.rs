//! Morphologies: sections with 3-D points, as NEURON instantiates them from SWC / Neurolucida
//! files with its Import3d rules.
//!
//! [`Section`] is the contract between the morphology readers (which produce sections exactly as
//! NEURON's Import3d does) and the discretisation (which turns sections into cable nodes with
//! NEURON's areas and axial resistances).

/// One 3-D point of a section: position and diameter in µm.
///
/// NEURON stores pt3d data in single precision; readers round every coordinate and diameter to
/// `f32` (and keep it as `f64`), so that lengths and areas computed from them match NEURON's.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Pt3d {
    /// x (µm).
    pub x: f64,
    /// y (µm).
    pub y: f64,
    /// z (µm).
    pub z: f64,
    /// Diameter (µm).
    pub d: f64,
}

/// What a section is, from the SWC type of its points (1 soma, 2 axon, 3 basal dendrite,
/// 4 apical dendrite; anything else is kept as its number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionKind {
    /// Soma (SWC 1).
    Soma,
    /// Axon (SWC 2).
    Axon,
    /// Basal dendrite (SWC 3), NEURON's `dend`.
    Dend,
    /// Apical dendrite (SWC 4), NEURON's `apic`.
    Apic,
    /// Any other SWC type (e.g. myelin, custom tags).
    Other(i32),
}

/// One unbranched cable, as a NEURON section.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Section {
    /// NEURON-style name, e.g. `soma[0]`, `dend[12]`, `apic[3]`, `axon[1]`.
    pub name: String,
    /// Kind.
    pub kind: SectionKind,
    /// Parent section index (None for the root).
    pub parent: Option<usize>,
    /// Position on the parent where this section attaches (0..1).
    pub parent_x: f64,
    /// Which end of this section attaches to the parent (0 or 1; NEURON's default 0).
    pub orientation: f64,
    /// 3-D points; empty when the geometry is given by `length` and `diam` alone (then the
    /// section is a uniform cylinder, as after `sec.L = …; sec.diam = …` in NEURON).
    pub pts: Vec<Pt3d>,
    /// Length L (µm): the arc length of `pts` when present.
    pub length: f64,
    /// Uniform diameter (µm) used when `pts` is empty.
    pub diam: f64,
    /// Number of segments.
    pub nseg: u32,
}

/// A whole cell morphology: sections in NEURON's creation order (index = position).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Morphology {
    /// All sections; the root (normally `soma[0]`) has no parent.
    pub sections: Vec<Section>,
}
