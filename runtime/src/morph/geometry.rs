//! Section lengths and segment diameters as NEURON computes them from pt3d points.
//!
//! Lengths: NEURON's `nrn_pt3dmodified` subtracts coordinates in single precision (pt3d values
//! are `float`) and accumulates the arc length in double precision. Segment diameters:
//! `diam_from_list` averages the pt3d diameter profile (linear between points) over each segment,
//! which is what `sec(x).diam` returns for a section with 3-D points. The readers and the axon
//! replacement need these; areas and axial resistances belong to the discretisation.

use super::{Pt3d, Section};

/// Arc length of each pt3d point from the first, as NEURON stores it (`Pt3d.arc`).
pub fn arc_lengths(pts: &[Pt3d]) -> Vec<f64> {
    let mut arc = Vec::with_capacity(pts.len());
    for i in 0..pts.len() {
        if i == 0 {
            arc.push(0.0);
            continue;
        }
        let (a, b) = (&pts[i - 1], &pts[i]);
        // float - float in C is a float; the squares and the sum are double.
        let t1 = (b.x as f32 - a.x as f32) as f64;
        let t2 = (b.y as f32 - a.y as f32) as f64;
        let t3 = (b.z as f32 - a.z as f32) as f64;
        arc.push(arc[i - 1] + (t1 * t1 + t2 * t2 + t3 * t3).sqrt());
    }
    arc
}

/// NEURON's segment index for `0 < x < 1` (`node_index`): `floor(nseg·x)`, capped at
/// `nseg − 1`.
pub fn segment_index(nseg: u32, x: f64) -> usize {
    let n = nseg.max(1) as f64;
    let mut i = (n * x) as i64;
    if i >= nseg as i64 {
        i = nseg as i64 - 1;
    }
    i.max(0) as usize
}

/// Average diameter of each of `nseg` equal segments of a pt3d profile (`diam_from_list`).
pub fn pt3d_segment_diams(pts: &[Pt3d], nseg: u32) -> Vec<f64> {
    let nseg = nseg.max(1) as usize;
    let npt = pts.len();
    if npt == 0 {
        return vec![0.0; nseg];
    }
    if npt == 1 {
        return vec![pts[0].d.abs(); nseg];
    }
    let arc = arc_lengths(pts);
    let ds = arc[npt - 1] / nseg as f64;
    let mut out = Vec::with_capacity(nseg);
    // The integration state carries over from one segment to the next, as in NEURON.
    let mut j = 0usize;
    let mut x1 = arc[0];
    let mut y1 = pts[0].d.abs();
    for inode in 0..nseg {
        let mut si = inode as f64 * ds;
        let mut diam = 0.0;
        for _half in 0..2 {
            let sip = si + ds / 2.0;
            loop {
                let jp = j + 1;
                let xj = arc[j];
                let xjp = arc[jp];
                let (x2, y2, jnext);
                if xjp > sip || jp == npt - 1 {
                    let frac = if (xjp - xj).abs() < 1e-10 { 1.0 } else { (sip - xj) / (xjp - xj) };
                    x2 = sip;
                    y2 = (1.0 - frac) * pts[j].d.abs() + frac * pts[jp].d.abs();
                    jnext = j;
                } else {
                    x2 = xjp;
                    y2 = pts[jp].d.abs();
                    jnext = jp;
                }
                diam += (y2 + y1) * (x2 - x1);
                x1 = x2;
                y1 = y2;
                if j == jnext {
                    break;
                }
                j = jnext;
            }
            si = sip;
        }
        out.push(if ds > 0.0 { diam * 0.5 / ds } else { pts[0].d.abs() });
    }
    out
}

impl Section {
    /// Recomputes `length` from the pt3d points (NEURON's arc length) and `diam` (NEURON's
    /// `sec.diam`, the diameter of the segment containing x = 0.5). Stylized sections (no
    /// points) keep their `length`; their `diam` follows `seg_diam` when that is set.
    pub fn update_geometry(&mut self) {
        if !self.pts.is_empty() {
            self.length = arc_lengths(&self.pts).last().copied().unwrap_or(0.0);
        }
        self.diam = self.diam_at(0.5);
    }

    /// Diameter of every segment: the pt3d average for sections with points, `seg_diam` when
    /// set, otherwise the uniform `diam`.
    pub fn segment_diams(&self) -> Vec<f64> {
        if !self.pts.is_empty() {
            pt3d_segment_diams(&self.pts, self.nseg)
        } else if self.seg_diam.len() == self.nseg as usize {
            self.seg_diam.clone()
        } else {
            vec![self.diam; self.nseg.max(1) as usize]
        }
    }

    /// `sec(x).diam` in NEURON: the diameter of the segment containing x.
    pub fn diam_at(&self, x: f64) -> f64 {
        let i = segment_index(self.nseg, x.clamp(0.0, 1.0));
        if !self.pts.is_empty() {
            pt3d_segment_diams(&self.pts, self.nseg)[i]
        } else if self.seg_diam.len() == self.nseg as usize && !self.seg_diam.is_empty() {
            self.seg_diam[i]
        } else {
            self.diam
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(x: f64, d: f64) -> Pt3d {
        Pt3d { x, y: 0.0, z: 0.0, d }
    }

    #[test]
    fn cone_segment_diams_are_averages() {
        // A cone from d=2 to d=4 over 10 µm: segment averages are the diameters at the centres.
        let pts = [p(0.0, 2.0), p(10.0, 4.0)];
        let d = pt3d_segment_diams(&pts, 2);
        assert!((d[0] - 2.5).abs() < 1e-12 && (d[1] - 3.5).abs() < 1e-12, "{d:?}");
        // A step inside a segment: 1 µm of d=1 then 3 µm of d=3 → average 2.5 over 4 µm.
        let pts = [p(0.0, 1.0), p(1.0, 1.0), p(1.0, 3.0), p(4.0, 3.0)];
        let d = pt3d_segment_diams(&pts, 1);
        assert!((d[0] - 2.5).abs() < 1e-12, "{d:?}");
    }

    #[test]
    fn node_index_rule() {
        assert_eq!(segment_index(3, 0.5), 1);
        assert_eq!(segment_index(4, 0.5), 2);
        assert_eq!(segment_index(3, 1.0), 2);
        assert_eq!(segment_index(3, 0.0), 0);
    }
}
