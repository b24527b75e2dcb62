//! Axon replacements of BluePyOpt and BluePyEModel.
//!
//! Both delete every axonal section and append new stylized sections (no 3-D points) at the end
//! of the section list, as NEURON's `delete_section` + `create` + `all.append` leave them. They
//! read diameters and distances of the original axon with the nseg the sections have at that
//! moment (BluePyOpt sets nseg before it replaces the axon), so call them after the nseg rule.

use super::error::MorphError;
use super::location::Location;
use super::{Morphology, Section, SectionKind};

/// Which axon replacement to apply after loading.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AxonReplacement {
    /// Keep the morphology's axon.
    None,
    /// BluePyOpt's `replace_axon`: two 30 µm cylinders (`axon[0]`, `axon[1]`).
    BluePyOpt,
    /// BluePyEModel's default `replace_axon_with_taper`: two 30 µm sections with the original
    /// axon's diameter profile (5 segments each) and a 1000 µm `myelin[0]`.
    Taper,
}

impl Morphology {
    /// Applies an [`AxonReplacement`].
    pub fn replace_axon(&mut self, how: AxonReplacement) -> Result<(), MorphError> {
        match how {
            AxonReplacement::None => Ok(()),
            AxonReplacement::BluePyOpt => self.replace_axon_bluepyopt(60.0, 40.0),
            AxonReplacement::Taper => self.replace_axon_with_taper(),
        }
    }

    fn soma0(&self) -> Result<usize, MorphError> {
        self.find("soma[0]").ok_or_else(|| {
            MorphError::general("axon replacement needs a soma[0]")
                .with_hint("the new axon is attached to soma[0](1)")
        })
    }

    /// Deletes sections (NEURON's `delete_section`): remaining children of deleted sections
    /// become roots, indices are compacted.
    fn delete_sections(&mut self, doomed: &[usize]) {
        let mut gone = vec![false; self.sections.len()];
        for &i in doomed {
            gone[i] = true;
        }
        let mut new_index = vec![usize::MAX; self.sections.len()];
        let mut k = 0;
        for i in 0..self.sections.len() {
            if !gone[i] {
                new_index[i] = k;
                k += 1;
            }
        }
        let old = std::mem::take(&mut self.sections);
        for (i, mut s) in old.into_iter().enumerate() {
            if gone[i] {
                continue;
            }
            s.parent = match s.parent {
                Some(p) if !gone[p] => Some(new_index[p]),
                _ => None,
            };
            self.sections.push(s);
        }
    }

    fn new_stylized(
        name: &str,
        kind: SectionKind,
        parent: usize,
        length: f64,
        nseg: u32,
        diam: f64,
    ) -> Section {
        Section {
            name: name.into(),
            kind,
            parent: Some(parent),
            parent_x: 1.0,
            orientation: 0.0,
            pts: vec![],
            length,
            diam,
            nseg,
            seg_diam: vec![],
        }
    }

    /// BluePyOpt's `replace_axon(axon_stub_length, axon_nseg_frequency)`.
    ///
    /// `axon[0]` gets the diameter of the original `axon[0]` at 0.5; `axon[1]` that of the first
    /// axonal section whose centre is more than `stub_length` µm from `soma[0](0.5)` (else the
    /// same); 1 µm each without an axon. Each is `stub_length/2` long with
    /// `nseg = 1 + 2·int(L/nseg_frequency)`; `axon[0](0)` hangs from `soma[0](1)` and `axon[1](0)`
    /// from `axon[0](1)`.
    pub fn replace_axon_bluepyopt(
        &mut self,
        stub_length: f64,
        nseg_frequency: f64,
    ) -> Result<(), MorphError> {
        let soma = self.soma0()?;
        let axonal = self.section_list("axonal")?;
        let first_diam = || -> f64 {
            let a0 = self.find("axon[0]").unwrap_or(axonal[0]);
            self.sections[a0].diam_at(0.5)
        };
        let diams = match axonal.len() {
            0 => [1.0, 1.0],
            1 => [first_diam(); 2],
            _ => {
                let d0 = first_diam();
                let mut d = [d0, d0];
                let origin = Location { section: soma, x: 0.5 };
                for &s in &axonal {
                    if self.distance(origin, Location { section: s, x: 0.5 }) > stub_length {
                        d[1] = self.sections[s].diam_at(0.5);
                        break;
                    }
                }
                d
            }
        };
        self.delete_sections(&axonal);
        let soma = self.soma0()?;
        let l = stub_length / 2.0;
        let nseg = (1.0 + 2.0 * (l / nseg_frequency).trunc()) as u32;
        let a0 = self.sections.len();
        self.sections.push(Self::new_stylized("axon[0]", SectionKind::Axon, soma, l, nseg, diams[0]));
        self.sections.push(Self::new_stylized("axon[1]", SectionKind::Axon, a0, l, nseg, diams[1]));
        Ok(())
    }

    /// BluePyEModel's `replace_axon_with_taper` (its default morphology modifier).
    ///
    /// Samples the diameters of the first 10 segments of the axon, with each original axonal
    /// section cut into `1 + 2·int(L/12)` segments (6 µm chunks), deletes the axon, makes
    /// `axon[0]` and `axon[1]` (30 µm, 5 segments each, those diameters segment by segment) and
    /// `myelin[0]` (1000 µm, 5 segments, the last sampled diameter, type 5 → `myelinated`)
    /// hanging from `axon[1](1)`. An axon too short to give 10 samples is an error here (NEURON
    /// would leave segments at its default 500 µm diameter).
    pub fn replace_axon_with_taper(&mut self) -> Result<(), MorphError> {
        const L_TARGET: f64 = 60.0;
        const NSEG0: usize = 5;
        const NSEG_TOTAL: usize = 2 * NSEG0;
        let chunk = L_TARGET / NSEG_TOTAL as f64;
        self.soma0()?;
        let axonal = self.section_list("axonal")?;
        let mut diams = Vec::with_capacity(NSEG_TOTAL);
        'outer: for &s in &axonal {
            let l = self.sections[s].length;
            let nseg = 1 + 2 * (l / chunk / 2.0).trunc() as u32;
            self.sections[s].set_nseg(nseg)?;
            for d in self.sections[s].segment_diams() {
                diams.push(d);
                if diams.len() == NSEG_TOTAL {
                    break 'outer;
                }
            }
        }
        if diams.len() < NSEG_TOTAL {
            return Err(MorphError::general(format!(
                "the axon gives {} of the {NSEG_TOTAL} diameter samples BluePyEModel's tapered axon needs",
                diams.len()
            ))
            .with_hint("use the BluePyOpt axon replacement for morphologies with a short or no axon"));
        }
        self.delete_sections(&axonal);
        let soma = self.soma0()?;
        let l = L_TARGET / 2.0;
        let a0 = self.sections.len();
        let mut s0 = Self::new_stylized("axon[0]", SectionKind::Axon, soma, l, NSEG0 as u32, diams[0]);
        s0.seg_diam = diams[..NSEG0].to_vec();
        s0.update_geometry();
        let mut s1 = Self::new_stylized("axon[1]", SectionKind::Axon, a0, l, NSEG0 as u32, diams[NSEG0]);
        s1.seg_diam = diams[NSEG0..].to_vec();
        s1.update_geometry();
        self.sections.push(s0);
        self.sections.push(s1);
        let last = diams[NSEG_TOTAL - 1];
        self.sections.push(Self::new_stylized("myelin[0]", SectionKind::Other(5), a0 + 1, 1000.0, 5, last));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::morph::Pt3d;

    fn pts_line(y0: f64, y1: f64, d0: f64, d1: f64) -> Vec<Pt3d> {
        vec![Pt3d { x: 0.0, y: y0, z: 0.0, d: d0 }, Pt3d { x: 0.0, y: y1, z: 0.0, d: d1 }]
    }

    fn cell() -> Morphology {
        let mut secs = vec![
            Section {
                name: "soma[0]".into(),
                kind: SectionKind::Soma,
                parent: None,
                parent_x: 0.0,
                orientation: 0.0,
                pts: pts_line(-5.0, 5.0, 10.0, 10.0),
                length: 0.0,
                diam: 0.0,
                nseg: 1,
                seg_diam: vec![],
            },
            Section {
                name: "axon[0]".into(),
                kind: SectionKind::Axon,
                parent: Some(0),
                parent_x: 0.5,
                orientation: 0.0,
                pts: pts_line(0.0, -40.0, 2.0, 1.0),
                length: 0.0,
                diam: 0.0,
                nseg: 1,
                seg_diam: vec![],
            },
            Section {
                name: "axon[1]".into(),
                kind: SectionKind::Axon,
                parent: Some(1),
                parent_x: 1.0,
                orientation: 0.0,
                pts: pts_line(-40.0, -140.0, 1.0, 0.5),
                length: 0.0,
                diam: 0.0,
                nseg: 1,
                seg_diam: vec![],
            },
            Section {
                name: "dend[0]".into(),
                kind: SectionKind::Dend,
                parent: Some(0),
                parent_x: 1.0,
                orientation: 0.0,
                pts: pts_line(5.0, 25.0, 1.0, 1.0),
                length: 0.0,
                diam: 0.0,
                nseg: 1,
                seg_diam: vec![],
            },
        ];
        for s in &mut secs {
            s.update_geometry();
        }
        Morphology { sections: secs }
    }

    #[test]
    fn bluepyopt_stub() {
        let mut m = cell();
        m.replace_axon(AxonReplacement::BluePyOpt).unwrap();
        let names: Vec<&str> = m.sections.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["soma[0]", "dend[0]", "axon[0]", "axon[1]"]);
        // axon[0] diam at 0.5 of a 2→1 cone = 1.5; axon[1](0.5) is 5 + 40 + 50 > 60 from the
        // soma centre: its diameter at 0.5 is 0.75.
        assert!((m.sections[2].diam - 1.5).abs() < 1e-12);
        assert!((m.sections[3].diam - 0.75).abs() < 1e-12);
        assert_eq!((m.sections[2].parent, m.sections[2].parent_x), (Some(0), 1.0));
        assert_eq!((m.sections[3].parent, m.sections[3].length, m.sections[3].nseg), (Some(2), 30.0, 1));
    }

    #[test]
    fn taper_profile() {
        let mut m = cell();
        m.replace_axon(AxonReplacement::Taper).unwrap();
        let names: Vec<&str> = m.sections.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["soma[0]", "dend[0]", "axon[0]", "axon[1]", "myelin[0]"]);
        // The 40 µm axon[0] is cut into 1 + 2·int(40/12) = 7 segments; samples are its segment
        // averages (a cone: values at the centres), then 3 from axon[1] (1 + 2·int(100/12) = 17).
        let a0 = &m.sections[2];
        assert_eq!(a0.seg_diam.len(), 5);
        for (i, d) in a0.seg_diam.iter().enumerate() {
            let x = (i as f64 + 0.5) / 7.0;
            assert!((d - (2.0 - x)).abs() < 1e-12);
        }
        let a1 = &m.sections[3];
        assert!((a1.seg_diam[0] - (2.0 - 5.5 / 7.0)).abs() < 1e-12);
        let x = 2.5 / 17.0;
        assert!((a1.seg_diam[4] - (1.0 - 0.5 * x)).abs() < 1e-12);
        assert_eq!(m.sections[4].diam, a1.seg_diam[4]);
        assert_eq!(m.section_list("myelinated").unwrap(), vec![4]);
        let mut short = cell();
        short.sections[1].pts = pts_line(0.0, -10.0, 1.0, 1.0);
        short.sections.truncate(2);
        short.sections[1].update_geometry();
        assert!(short.replace_axon_with_taper().is_err());
    }
}
