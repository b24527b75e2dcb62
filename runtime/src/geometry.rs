//! Discretisation of one section into segments with NEURON's exact geometry.
//!
//! NEURON (`treeset.cpp: nrn_area_ri, diam_from_list`) integrates the pt3d frusta of a section over
//! each half segment: the lateral area of every frustum piece gives the segment area, and the
//! axial resistance of each half segment is `Ra·4/(π·100)·Σ Δx/(d₁·d₂)` (MΩ). The resistance
//! between two adjacent nodes is the right half of one segment plus the left half of the next; a
//! section's first node is joined to its parent node by its left half only, and its 1-end node
//! (zero area) by the right half of the last segment. Sections without 3-D points are right
//! circular cylinders of length L and diameter diam. Reproducing the same sequence of floating-point
//! operations (including NEURON's single-precision pt3d storage and single-precision coordinate
//! differences) makes areas and resistances agree with NEURON's to rounding.

use crate::morph::{Pt3d, Section};
use std::f64::consts::PI;

/// NEURON's largest nseg.
pub const MAX_NSEG: u32 = 32767;

/// The discretised geometry of one section.
#[derive(Debug, Clone, PartialEq)]
pub struct SectionGeometry {
    /// Section length L (µm): the arc length of the 3-D points, or the given length.
    pub length: f64,
    /// Area of each segment (µm²), `nseg` entries.
    pub area: Vec<f64>,
    /// Average diameter of each segment (µm), `nseg` entries.
    pub diam: Vec<f64>,
    /// 1 / resistance (µS) between each node and the node before it: `nseg + 1` entries, the
    /// first between the first segment's centre and the parent node (left half segment only),
    /// the last between the 1-end node and the last segment's centre.
    pub rinv: Vec<f64>,
}

/// Cumulative arc lengths of 3-D points as NEURON computes them: coordinates are single precision
/// and their differences are taken in single precision before squaring in double.
pub fn arc_lengths(pts: &[Pt3d]) -> Vec<f64> {
    let mut arc = Vec::with_capacity(pts.len());
    if pts.is_empty() {
        return arc;
    }
    arc.push(0.0);
    for i in 1..pts.len() {
        let (p, q) = (&pts[i - 1], &pts[i]);
        let t1 = ((q.x as f32) - (p.x as f32)) as f64;
        let t2 = ((q.y as f32) - (p.y as f32)) as f64;
        let t3 = ((q.z as f32) - (p.z as f32)) as f64;
        arc.push(arc[i - 1] + (t1 * t1 + t2 * t2 + t3 * t3).sqrt());
    }
    arc
}

/// The length NEURON uses for a section: the last arc length of its 3-D points (when it has at
/// least two), else `sec.length`.
pub fn section_length(sec: &Section) -> f64 {
    if sec.pts.len() > 1 {
        *arc_lengths(&sec.pts).last().unwrap_or(&0.0)
    } else {
        sec.length
    }
}

/// Discretises a section into `nseg` segments with axial resistivity `ra` (Ω·cm).
///
/// Errors name the problem (no diameter, single 3-D point, zero length).
pub fn section_geometry(sec: &Section, nseg: u32, ra: f64) -> Result<SectionGeometry, String> {
    if nseg == 0 || nseg > MAX_NSEG {
        return Err(format!("section `{}` has nseg = {nseg} (NEURON allows 1 to {MAX_NSEG})", sec.name));
    }
    if let Some(k) = sec.pts.iter().position(|p| ![p.x, p.y, p.z, p.d].iter().all(|c| c.is_finite())) {
        return Err(format!(
            "section `{}`: 3-D point {k} has a coordinate or diameter that is not a finite number",
            sec.name
        ));
    }
    if !(ra > 0.0) || !ra.is_finite() {
        return Err(format!("section `{}` has axial resistivity Ra = {ra} (must be > 0)", sec.name));
    }
    if sec.pts.len() == 1 {
        return Err(format!(
            "section `{}` has a single 3-D point; NEURON needs at least two to define its geometry",
            sec.name
        ));
    }
    if sec.pts.len() > 1 {
        frusta_geometry(sec, nseg, ra)
    } else {
        cylinder_geometry(sec, nseg, ra)
    }
}

fn cylinder_geometry(sec: &Section, nseg: u32, ra: f64) -> Result<SectionGeometry, String> {
    let n = nseg as usize;
    // Per-segment diameters (e.g. BluePyEModel's tapered axon sets `seg.diam` one by one) when
    // given for every segment, else the section's uniform diameter.
    let diams: Vec<f64> = if sec.seg_diam.len() == n { sec.seg_diam.clone() } else { vec![sec.diam; n] };
    for &diam in &diams {
        if !(diam > 0.0) || !diam.is_finite() {
            return Err(format!("section `{}` has diameter {diam} (must be > 0)", sec.name));
        }
    }
    if !(sec.length > 0.0) || !sec.length.is_finite() {
        return Err(format!("section `{}` has length {} (must be > 0)", sec.name, sec.length));
    }
    let dx = sec.length / nseg as f64;
    let mut g = SectionGeometry {
        length: sec.length,
        area: Vec::with_capacity(n),
        diam: diams.clone(),
        rinv: Vec::with_capacity(n + 1),
    };
    let mut rright = 0.0;
    for &diam in &diams {
        g.area.push(PI * diam * dx);
        let rleft = 1e-2 * ra * (dx / 2.0) / (PI * diam * diam / 4.0);
        g.rinv.push(1.0 / (rleft + rright));
        rright = rleft;
    }
    g.rinv.push(1.0 / rright);
    Ok(g)
}

fn frusta_geometry(sec: &Section, nseg: u32, ra: f64) -> Result<SectionGeometry, String> {
    let pts = &sec.pts;
    let npt = pts.len();
    let arc = arc_lengths(pts);
    let length = arc[npt - 1];
    if !(length > 0.0) {
        return Err(format!("section `{}` has 3-D points that span zero length", sec.name));
    }
    // pt3d diameters are single precision in NEURON.
    let dm: Vec<f64> = pts.iter().map(|p| (p.d as f32).abs() as f64).collect();
    let n = nseg as usize;
    let ds = length / nseg as f64;
    let mut g = SectionGeometry {
        length,
        area: Vec::with_capacity(n),
        diam: Vec::with_capacity(n),
        rinv: Vec::with_capacity(n + 1),
    };
    // Integration state carried across segments, as in NEURON's static variables.
    let mut j = 0usize;
    let mut x1 = arc[0];
    let mut y1 = dm[0];
    let mut rparent = 0.0;
    for inode in 0..n {
        let mut si = inode as f64 * ds;
        let mut diam = 0.0;
        let mut area = 0.0;
        let mut rleft = 0.0;
        let mut rright = 0.0;
        for ihalf in 0..2 {
            let mut ri = 0.0;
            let sip = si + ds / 2.0;
            loop {
                let jp = j + 1;
                let xj = arc[j];
                let xjp = arc[jp];
                let (x2, y2, jnext) = if xjp > sip || jp == npt - 1 {
                    let frac = if (xjp - xj).abs() < 1e-10 { 1.0 } else { (sip - xj) / (xjp - xj) };
                    (sip, (1.0 - frac) * dm[j] + frac * dm[jp], j)
                } else {
                    (xjp, dm[jp], jp)
                };
                let mut delta = x2 - x1;
                diam += (y2 + y1) * delta;
                if delta < 1e-15 {
                    delta = 1e-15;
                }
                let mut temp = y2 * y1 / delta;
                if temp == 0.0 {
                    temp = 1e-15;
                }
                ri += 1.0 / temp;
                let half = 0.5 * (y2 - y1);
                let slant = (delta * delta + half * half).sqrt();
                area += (y2 + y1) * slant;
                x1 = x2;
                y1 = y2;
                if j == jnext {
                    break;
                }
                j = jnext;
            }
            let r = ri * ra / PI * (4.0 * 0.01);
            if ihalf == 0 {
                rleft = r;
            } else {
                rright = r;
            }
            si = sip;
        }
        g.rinv.push(1.0 / (rparent + rleft));
        g.diam.push(diam * (0.5 / ds));
        g.area.push(area * 0.5 * PI);
        rparent = rright;
    }
    g.rinv.push(1.0 / rparent);
    Ok(g)
}

/// NEURON's `lambda_f(freq)` (stdlib.hoc): the AC length constant (µm) of a section at frequency
/// `freq` (Hz), integrated over its 3-D points when it has them.
pub fn lambda_f(sec: &Section, freq: f64, ra: f64, cm: f64) -> f64 {
    if sec.pts.len() < 2 {
        return 1e5 * (sec.diam / (4.0 * PI * freq * ra * cm)).sqrt();
    }
    let arc = arc_lengths(&sec.pts);
    let mut x1 = arc[0];
    let mut d1 = (sec.pts[0].d as f32).abs() as f64;
    let mut lam = 0.0;
    for i in 1..sec.pts.len() {
        let x2 = arc[i];
        let d2 = (sec.pts[i].d as f32).abs() as f64;
        lam += (x2 - x1) / (d1 + d2).sqrt();
        x1 = x2;
        d1 = d2;
    }
    lam *= 2f64.sqrt() * 1e-5 * (4.0 * PI * freq * ra * cm).sqrt();
    arc[arc.len() - 1] / lam
}

/// nseg from the d_lambda rule: `int((L/(d_lambda·λ_f) + 0.9)/2)·2 + 1`.
pub fn nseg_d_lambda(sec: &Section, freq: f64, d_lambda: f64, ra: f64, cm: f64) -> u32 {
    let l = section_length(sec);
    // Saturating: absurd inputs give a huge nseg that the discretisation then rejects.
    ((((l / (d_lambda * lambda_f(sec, freq, ra, cm)) + 0.9) / 2.0) as u32).saturating_mul(2))
        .saturating_add(1)
}

/// nseg from BluePyOpt's rule: `1 + 2·int(L/40)`.
pub fn nseg_per_40um(sec: &Section) -> u32 {
    ((section_length(sec) / 40.0) as u32).saturating_mul(2).saturating_add(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::morph::SectionKind;

    fn sec(pts: Vec<Pt3d>, length: f64, diam: f64) -> Section {
        Section {
            name: "s".into(),
            kind: SectionKind::Dend,
            parent: None,
            parent_x: 0.0,
            orientation: 0.0,
            pts,
            length,
            diam,
            nseg: 1,
            seg_diam: vec![],
        }
    }

    fn p(x: f64, d: f64) -> Pt3d {
        Pt3d { x, y: 0.0, z: 0.0, d }
    }

    #[test]
    fn cylinder_matches_closed_form() {
        // Values printed by NEURON 9.0.2 for L=10, diam=3, nseg=3, Ra=35.4.
        let g = section_geometry(&sec(vec![], 10.0, 3.0), 3, 35.4).unwrap();
        for a in &g.area {
            assert!((a - 31.41592653589793).abs() < 1e-12);
        }
        assert!((1.0 / g.rinv[0] - 0.08346792571041622).abs() < 1e-15);
        assert!((1.0 / g.rinv[1] - 0.16693585142083245).abs() < 1e-15);
        assert!((1.0 / g.rinv[3] - 0.08346792571041622).abs() < 1e-15);
    }

    #[test]
    fn straight_pt3d_equals_cylinder_and_cone_has_frustum_area() {
        let c = section_geometry(&sec(vec![p(0.0, 2.0), p(100.0, 2.0)], 0.0, 0.0), 4, 100.0).unwrap();
        let y = section_geometry(&sec(vec![], 100.0, 2.0), 4, 100.0).unwrap();
        for i in 0..4 {
            assert!((c.area[i] - y.area[i]).abs() < 1e-10 * y.area[i]);
            assert!((c.rinv[i] - y.rinv[i]).abs() < 1e-10 * y.rinv[i]);
        }
        // A cone from d=1 to d=3 over 10 µm, one segment: lateral area of the frustum.
        let k = section_geometry(&sec(vec![p(0.0, 1.0), p(10.0, 3.0)], 0.0, 0.0), 1, 100.0).unwrap();
        let want = PI * (0.5 + 1.5) * (100.0f64 + 1.0).sqrt();
        assert!((k.area[0] - want).abs() < 1e-12 * want);
        assert!((k.diam[0] - 2.0).abs() < 1e-12);
        // Resistance of the two halves: ∫ 4 Ra dx / (π d(x)²) with d linear: 4Ra·L/(π d1 d2) per half.
        let r_half = |d1: f64, d2: f64| 4.0 * 100.0 * 5.0 / (PI * d1 * d2) * 1e-2;
        assert!((1.0 / k.rinv[0] - r_half(1.0, 2.0)).abs() < 1e-12);
        assert!((1.0 / k.rinv[1] - r_half(2.0, 3.0)).abs() < 1e-12);
    }

    #[test]
    fn bad_geometry_is_an_error() {
        assert!(section_geometry(&sec(vec![], 10.0, 0.0), 1, 100.0).is_err());
        assert!(section_geometry(&sec(vec![p(0.0, 1.0)], 10.0, 1.0), 1, 100.0).is_err());
        assert!(section_geometry(&sec(vec![p(0.0, 1.0), p(0.0, 1.0)], 10.0, 1.0), 1, 100.0).is_err());
        assert!(section_geometry(&sec(vec![], 10.0, 1.0), 0, 100.0).is_err());
    }

    #[test]
    fn nseg_rules() {
        assert_eq!(nseg_per_40um(&sec(vec![], 79.9, 1.0)), 3);
        assert_eq!(nseg_per_40um(&sec(vec![], 30.0, 1.0)), 1);
        // λ(100 Hz) of a 1 µm cable with Ra 100, cm 1: 1e5·sqrt(1/(4π·100·100·1)) = 282 µm.
        let s = sec(vec![], 1000.0, 1.0);
        let lam = lambda_f(&s, 100.0, 100.0, 1.0);
        assert!((lam - 282.0947917738782).abs() < 1e-9);
        assert_eq!(nseg_d_lambda(&s, 100.0, 0.1, 100.0, 1.0), 37);
    }
}
