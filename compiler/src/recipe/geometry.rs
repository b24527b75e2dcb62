//! Preparing a cell's morphology (the nseg rule, then the axon replacement, in BluePyOpt's
//! order) and selecting sections: section lists, SWC types, distance ranges.

use myelin_runtime::morph::{kind_of_type, AxonReplacement, Location, Morphology};

/// How many segments each section gets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NsegRule {
    /// As the morphology gives it (1 for files and built-in shapes).
    Given,
    /// The same number everywhere.
    Fixed(u32),
    /// BluePyOpt's `1 + 2·int(L / length)` (length in µm; BluePyOpt uses 40).
    PerLength(f64),
    /// NEURON's d_lambda rule at a frequency (Hz).
    DLambda {
        /// Fraction of the AC length constant per segment.
        d_lambda: f64,
        /// Frequency (Hz).
        frequency: f64,
    },
}

/// Applies the nseg rule, then the axon replacement. `ra_cm` gives each section's Ra (Ω·cm) and
/// cm (µF/cm²) for the d_lambda rule.
pub fn prepare(
    morph: &mut Morphology,
    nseg: NsegRule,
    ra_cm: impl Fn(usize) -> (f64, f64),
    axon: AxonReplacement,
) -> Result<(), String> {
    match nseg {
        NsegRule::Given => Ok(()),
        NsegRule::Fixed(n) => morph.set_nseg_fixed(n),
        NsegRule::PerLength(l) => morph.set_nseg_frequency(l),
        NsegRule::DLambda { d_lambda, frequency } => morph.set_nseg_d_lambda_with(frequency, d_lambda, ra_cm),
    }
    .map_err(|e| e.message.clone())?;
    morph.replace_axon(axon).map_err(|e| e.message.clone())
}

/// Named section lists a region may use.
pub const SECTION_LISTS: &[&str] = &["all", "somatic", "axonal", "basal", "apical", "myelinated"];

/// The sections of a section list, as a mask (None for an unknown name).
pub fn section_list(morph: &Morphology, name: &str) -> Option<Vec<bool>> {
    if !SECTION_LISTS.contains(&name) {
        return None;
    }
    let list = morph.section_list(name).ok()?;
    let mut m = vec![false; morph.sections.len()];
    for i in list {
        m[i] = true;
    }
    Some(m)
}

/// Sections of an SWC type.
pub fn of_type(morph: &Morphology, t: i32) -> Vec<bool> {
    let k = kind_of_type(t);
    morph.sections.iter().map(|s| s.kind == k).collect()
}

/// Path distance (µm) of each section's midpoint from `soma[0](0.5)`: NEURON's distance to the
/// section's 0 end plus half its length. None without a `soma[0]`.
pub fn midpoint_distances(morph: &Morphology) -> Option<Vec<f64>> {
    let origin = morph.soma_center().ok()?;
    let ends: Vec<Location> = (0..morph.sections.len()).map(|s| Location { section: s, x: 0.0 }).collect();
    let d0 = morph.distances_from(origin, &ends);
    Some(
        (0..morph.sections.len())
            .map(|s| {
                if morph.sections[s].parent.is_none() {
                    // The root: its midpoint is the origin's own segment.
                    morph.distance(origin, Location { section: s, x: 0.5 })
                } else {
                    d0[s] + 0.5 * morph.sections[s].length
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recipe::shapes::ball_and_stick;

    #[test]
    fn selections() {
        let mut m = ball_and_stick(20.0, 20.0, 200.0, 2.0);
        prepare(&mut m, NsegRule::PerLength(40.0), |_| (100.0, 1.0), AxonReplacement::None).unwrap();
        assert_eq!(m.sections[1].nseg, 11);
        assert_eq!(section_list(&m, "somatic").unwrap(), vec![true, false]);
        assert!(section_list(&m, "bogus").is_none());
        assert_eq!(of_type(&m, 3), vec![false, true]);
        assert_eq!(midpoint_distances(&m).unwrap(), vec![0.0, 110.0]);
    }
}
