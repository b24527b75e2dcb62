//! Morphologies: sections with 3-D points, as NEURON instantiates them from SWC / Neurolucida
//! files with its Import3d rules.
//!
//! [`Section`] is the contract between the morphology readers (which produce sections exactly as
//! NEURON's Import3d does) and the discretisation (which turns sections into cable nodes with
//! NEURON's areas and axial resistances).
//!
//! Reading: [`load`] (by extension), [`parse_swc`], [`parse_asc`]. Section lists, nseg rules,
//! locations and distances, and the axon replacements of BluePyOpt / BluePyEModel are methods
//! of [`Morphology`] (see the `lists`, `nseg`, `location` and `modifiers` modules).

mod asc;
mod asc_lex;
mod contour;
mod error;
mod geometry;
mod import3d;
mod lists;
mod location;
mod modifiers;
mod nseg;
mod scan;
mod swc;

pub use asc::{parse_asc, parse_asc_with_warnings};
pub use error::MorphError;
pub use geometry::{arc_lengths, pt3d_segment_diams, segment_index};
pub use import3d::{kind_of_type, nrn_pt3d_value, type_name};
pub use location::{Location, TrunkDirection};
pub use modifiers::AxonReplacement;
pub use swc::{parse_swc, parse_swc_with_warnings};

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
    /// Per-segment diameters (µm) of a section without `pts` whose segments differ (as after
    /// `for seg in sec: seg.diam = …` in NEURON, e.g. BluePyEModel's tapered axon); empty
    /// otherwise. When set, its length is `nseg`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seg_diam: Vec<f64>,
}

/// A whole cell morphology: sections in NEURON's creation order (index = position).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Morphology {
    /// All sections; the root (normally `soma[0]`) has no parent.
    pub sections: Vec<Section>,
}

/// What kind of file a path is, from its extension (case-insensitive, as BluePyOpt decides).
fn format_of(path: &std::path::Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "swc" => Some("swc"),
        "asc" => Some("asc"),
        _ => None,
    }
}

/// Reads a morphology file (`.swc` or `.asc`, any case) with NEURON's Import3d rules.
pub fn load(path: impl AsRef<std::path::Path>) -> Result<Morphology, MorphError> {
    load_with_warnings(path).map(|(m, _)| m)
}

/// Like [`load`], also returning the warnings NEURON would print (and then carry on).
pub fn load_with_warnings(
    path: impl AsRef<std::path::Path>,
) -> Result<(Morphology, Vec<MorphError>), MorphError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let Some(fmt) = format_of(path) else {
        return Err(MorphError::at(&name, 0, 0, "unknown morphology format")
            .with_hint("use a .swc or .asc (Neurolucida) file"));
    };
    let bytes = std::fs::read(path).map_err(|e| MorphError::at(&name, 0, 0, format!("cannot read: {e}")))?;
    match fmt {
        "swc" => parse_swc_with_warnings(&bytes, &name),
        _ => parse_asc_with_warnings(&bytes, &name),
    }
}

impl Morphology {
    /// Index of the section with this NEURON name (`soma[0]`, `dend[12]`).
    pub fn find(&self, name: &str) -> Option<usize> {
        self.sections.iter().position(|s| s.name == name)
    }

    /// Total number of segments.
    pub fn total_nseg(&self) -> u64 {
        self.sections.iter().map(|s| s.nseg as u64).sum()
    }

    /// Checks the invariants the readers guarantee, for a morphology that came from elsewhere
    /// (e.g. JSON): parents exist and form no cycle, nseg is 1..32767, lengths, diameters and
    /// points are finite and non-negative where they must be, `seg_diam` is empty or has nseg
    /// entries.
    pub fn validate(&self) -> Result<(), MorphError> {
        let n = self.sections.len();
        let bad = |s: &Section, why: String| MorphError::general(format!("section {}: {why}", s.name));
        for s in &self.sections {
            if let Some(p) = s.parent {
                if p >= n {
                    return Err(bad(s, format!("parent index {p} out of range")));
                }
            }
            if !(0.0..=1.0).contains(&s.parent_x) {
                return Err(bad(s, format!("parent_x {} outside 0..1", s.parent_x)));
            }
            if s.nseg == 0 || s.nseg > nseg::MAX_NSEG {
                return Err(bad(s, format!("nseg {} outside 1..32767", s.nseg)));
            }
            if !(s.length.is_finite() && s.length >= 0.0 && s.diam.is_finite() && s.diam >= 0.0) {
                return Err(bad(s, "length and diam must be finite and >= 0".into()));
            }
            if s.pts.iter().any(|p| !(p.x.is_finite() && p.y.is_finite() && p.z.is_finite() && p.d >= 0.0)) {
                return Err(bad(s, "pt3d values must be finite, diameters >= 0".into()));
            }
            if !s.seg_diam.is_empty() && s.seg_diam.len() != s.nseg as usize {
                return Err(bad(s, format!("{} segment diameters for nseg {}", s.seg_diam.len(), s.nseg)));
            }
        }
        for i in 0..n {
            let mut cur = i;
            for step in 0..=n {
                match self.sections[cur].parent {
                    None => break,
                    Some(p) => cur = p,
                }
                if step == n {
                    return Err(bad(&self.sections[i], "its parents form a cycle".into()));
                }
            }
        }
        Ok(())
    }

    /// Indices of the children of a section, in section order.
    pub fn children(&self, sec: usize) -> Vec<usize> {
        (0..self.sections.len()).filter(|&i| self.sections[i].parent == Some(sec)).collect()
    }
}
