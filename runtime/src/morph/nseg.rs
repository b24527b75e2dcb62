//! Number of segments per section: fixed, BluePyOpt's `1 + 2·int(L/f)` and NEURON's d_lambda
//! rule (`lambda_f` in stdlib.hoc).

use super::error::MorphError;
use super::{Morphology, Section};

/// NEURON's largest nseg.
pub const MAX_NSEG: u32 = 32767;

/// NEURON's `lambda_f(freq)` for a section: the AC length constant (µm) at `freq` Hz, from the
/// pt3d profile when the section has at least two points (so that tapering counts), else from
/// its diameter. `ra` in Ω·cm, `cm` in µF/cm².
pub fn lambda_f(sec: &Section, freq: f64, ra: f64, cm: f64) -> Result<f64, MorphError> {
    if cm == 0.0 {
        return Ok(1e10);
    }
    let pi = std::f64::consts::PI;
    if sec.pts.len() < 2 {
        return Ok(1e5 * (sec.diam / (4.0 * pi * freq * ra * cm)).sqrt());
    }
    let arc = super::arc_lengths(&sec.pts);
    let mut x1 = arc[0];
    let mut d1 = sec.pts[0].d.abs();
    let mut lam = 0.0;
    for i in 1..sec.pts.len() {
        if d1 == 0.0 {
            return Err(MorphError::general(format!("0 diameter for 3d point {} of {}", i - 1, sec.name))
                .with_hint("the d_lambda rule needs non-zero diameters"));
        }
        let x2 = arc[i];
        let d2 = sec.pts[i].d.abs();
        lam += (x2 - x1) / (d1 + d2).sqrt();
        x1 = x2;
        d1 = d2;
    }
    lam *= 2f64.sqrt() * 1e-5 * (4.0 * pi * freq * ra * cm).sqrt();
    Ok(sec.length / lam)
}

/// NEURON's segment map when nseg changes: new segment i takes the properties of old segment
/// `int(n_old·(i + 0.5)/n_new)` (`node_realloc`).
fn remap_seg_values(old: &[f64], n_new: usize) -> Vec<f64> {
    let n1 = old.len();
    (0..n_new).map(|i| old[((n1 as f64) * ((i as f64 + 0.5) / n_new as f64)) as usize]).collect()
}

fn check(nseg: f64, sec: &Section) -> Result<u32, MorphError> {
    if !(nseg.is_finite() && nseg >= 1.0 && nseg <= MAX_NSEG as f64) {
        return Err(MorphError::general(format!("nseg {nseg} of {} is outside 1..32767", sec.name))
            .with_hint("NEURON allows 1 to 32767 segments per section"));
    }
    Ok(nseg as u32)
}

impl Section {
    /// Sets nseg (keeping per-segment diameters as NEURON keeps node properties) and refreshes
    /// `diam`.
    pub fn set_nseg(&mut self, nseg: u32) -> Result<(), MorphError> {
        let n = check(nseg as f64, self)?;
        if !self.seg_diam.is_empty() && self.seg_diam.len() != n as usize {
            self.seg_diam = remap_seg_values(&self.seg_diam, n as usize);
        }
        self.nseg = n;
        self.update_geometry();
        Ok(())
    }
}

impl Morphology {
    /// The same nseg everywhere.
    pub fn set_nseg_fixed(&mut self, nseg: u32) -> Result<(), MorphError> {
        for s in &mut self.sections {
            s.set_nseg(nseg)?;
        }
        Ok(())
    }

    /// BluePyOpt's rule: `nseg = 1 + 2·int(L / frequency)` (frequency in µm, 40 by default).
    pub fn set_nseg_frequency(&mut self, frequency: f64) -> Result<(), MorphError> {
        if !(frequency > 0.0 && frequency.is_finite()) {
            return Err(MorphError::general(format!("nseg frequency {frequency} must be a positive length")));
        }
        for s in &mut self.sections {
            let n = 1.0 + 2.0 * (s.length / frequency).trunc();
            let n = check(n, s)?;
            s.set_nseg(n)?;
        }
        Ok(())
    }

    /// NEURON's d_lambda rule: `nseg = int((L/(d_lambda·lambda_f(freq)) + 0.9)/2)·2 + 1`, with
    /// uniform `ra` (Ω·cm) and `cm` (µF/cm²).
    pub fn set_nseg_d_lambda(
        &mut self,
        freq: f64,
        d_lambda: f64,
        ra: f64,
        cm: f64,
    ) -> Result<(), MorphError> {
        self.set_nseg_d_lambda_with(freq, d_lambda, |_| (ra, cm))
    }

    /// d_lambda rule with per-section `(ra, cm)`.
    pub fn set_nseg_d_lambda_with(
        &mut self,
        freq: f64,
        d_lambda: f64,
        ra_cm: impl Fn(usize) -> (f64, f64),
    ) -> Result<(), MorphError> {
        if !(freq > 0.0 && d_lambda > 0.0) {
            return Err(MorphError::general("d_lambda rule: frequency and d_lambda must be positive"));
        }
        for i in 0..self.sections.len() {
            let (ra, cm) = ra_cm(i);
            let s = &self.sections[i];
            let lam = lambda_f(s, freq, ra, cm)?;
            let n = ((s.length / (d_lambda * lam) + 0.9) / 2.0).trunc() * 2.0 + 1.0;
            let n = check(n, s)?;
            self.sections[i].set_nseg(n)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::morph::{Pt3d, SectionKind};

    fn cyl(l: f64, d: f64) -> Section {
        Section {
            name: "dend[0]".into(),
            kind: SectionKind::Dend,
            parent: None,
            parent_x: 0.0,
            orientation: 0.0,
            pts: vec![],
            length: l,
            diam: d,
            nseg: 1,
            seg_diam: vec![],
        }
    }

    #[test]
    fn frequency_rule() {
        let mut m = Morphology { sections: vec![cyl(39.9, 1.0), cyl(40.0, 1.0), cyl(125.0, 1.0)] };
        m.set_nseg_frequency(40.0).unwrap();
        let n: Vec<u32> = m.sections.iter().map(|s| s.nseg).collect();
        assert_eq!(n, vec![1, 3, 7]);
    }

    #[test]
    fn lambda_of_a_cylinder_matches_the_formula_both_ways() {
        // λ_f = 1e5·sqrt(d/(4π f Ra cm)); a 2-point cylinder gives the same value.
        let s = cyl(100.0, 2.0);
        let lam = lambda_f(&s, 100.0, 100.0, 1.0).unwrap();
        let expect = 1e5 * (2.0 / (4.0 * std::f64::consts::PI * 100.0 * 100.0)).sqrt();
        assert!((lam - expect).abs() < 1e-9 * expect);
        let mut p = s.clone();
        p.pts = vec![Pt3d { x: 0.0, y: 0.0, z: 0.0, d: 2.0 }, Pt3d { x: 100.0, y: 0.0, z: 0.0, d: 2.0 }];
        p.update_geometry();
        let lam3 = lambda_f(&p, 100.0, 100.0, 1.0).unwrap();
        assert!((lam3 - expect).abs() < 1e-9 * expect, "{lam3} {expect}");
        let mut m = Morphology { sections: vec![s] };
        m.set_nseg_d_lambda(100.0, 0.1, 100.0, 1.0).unwrap();
        // λ ≈ 398.9 µm: L/(0.1 λ) = 2.507 → int(3.407/2)·2 + 1 = 3
        assert_eq!(m.sections[0].nseg, 3);
        m.sections[0].length = 1000.0;
        m.set_nseg_d_lambda(100.0, 0.1, 100.0, 1.0).unwrap();
        // 25.07 → int(25.97/2)·2 + 1 = 25
        assert_eq!(m.sections[0].nseg, 25);
    }

    #[test]
    fn seg_diams_follow_nseg_changes() {
        let mut s = cyl(30.0, 1.0);
        s.nseg = 5;
        s.seg_diam = vec![1.0, 2.0, 3.0, 4.0, 5.0];
        s.set_nseg(1).unwrap();
        assert_eq!(s.seg_diam, vec![3.0]);
        assert!(s.set_nseg(0).is_err());
    }
}
