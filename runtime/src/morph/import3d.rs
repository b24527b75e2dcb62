//! The part of NEURON's Import3d shared by all file formats: from the reader's list of raw
//! sections to NEURON sections (`Import3d_GUI.instantiate`).
//!
//! Readers (SWC, Neurolucida) produce [`RawSection`]s exactly as NEURON's `Import3d_*_read`
//! templates do (raw points including the copy of the parent point, `first` = whether that copy
//! is dropped, parent and parent x). [`instantiate`] then applies `chk_valid` (removal of
//! one-point and zero-length sections), names sections per type in file order, creates them in
//! NEURON's order (by type, then index), turns contours into centroids and single points into
//! 3-point spheres, and rounds every pt3d value as NEURON does: printed with `%.8g` into a hoc
//! command, parsed back, and stored as `float`.

use super::contour;
use super::error::MorphError;
use super::{Morphology, Pt3d, Section, SectionKind};

/// One section as an Import3d reader sees it, before instantiation.
#[derive(Debug, Clone)]
pub(crate) struct RawSection {
    /// Raw points (x, y, z, diameter), including a copy of the parent point when there is one.
    pub pts: Vec<[f64; 4]>,
    /// SWC-style type (1 soma, 2 axon, 3 basal, 4 apical, others kept).
    pub sec_type: i32,
    /// Parent raw section.
    pub parent: Option<usize>,
    /// Position on the parent.
    pub parentx: f64,
    /// Index of the first point that becomes a pt3d point (1 when the first raw point is a
    /// "wire" to the parent that NEURON keeps only as a logical connection).
    pub first: usize,
    /// A soma contour (to be turned into a centroid).
    pub contour: bool,
    /// Further contours of a soma contour stack (indices of subsidiary raw sections).
    pub stack: Vec<usize>,
    /// Part of another contour's stack; not instantiated.
    pub subsidiary: bool,
    /// Source line of the section's first own point (for diagnostics).
    pub line: usize,
}

impl RawSection {
    pub(crate) fn new(sec_type: i32, line: usize) -> Self {
        RawSection {
            pts: Vec::new(),
            sec_type,
            parent: None,
            parentx: 1.0,
            first: 0,
            contour: false,
            stack: Vec::new(),
            subsidiary: false,
            line,
        }
    }
}

/// NEURON's section base name for an SWC type (`Import3d_GUI.type2name`).
pub fn type_name(t: i32) -> String {
    match t {
        1 => "soma".into(),
        2 => "axon".into(),
        3 => "dend".into(),
        4 => "apic".into(),
        t if t < 0 => format!("minus_{}", -(t as i64)),
        t => format!("dend_{t}"),
    }
}

/// The section kind of an SWC type.
pub fn kind_of_type(t: i32) -> SectionKind {
    match t {
        1 => SectionKind::Soma,
        2 => SectionKind::Axon,
        3 => SectionKind::Dend,
        4 => SectionKind::Apic,
        t => SectionKind::Other(t),
    }
}

/// A pt3d value as NEURON stores it after `pt3dadd(%.8g, …)`: 8 significant decimal digits,
/// then single precision.
pub fn nrn_pt3d_value(v: f64) -> f64 {
    let text = format!("{v:.7e}");
    let back: f64 = text.parse().unwrap_or(v);
    back as f32 as f64
}

/// `Import3d_GUI.chk_valid`: remove non-root sections with a single pt3d point or with two
/// coincident points; their children are reattached to the removed section's parent.
fn chk_valid(raws: &mut [RawSection], removed: &mut [bool]) {
    for i in (0..raws.len()).rev() {
        if removed[i] || raws[i].parent.is_none() {
            continue;
        }
        let n = raws[i].pts.len() - raws[i].first.min(raws[i].pts.len());
        let f = raws[i].first;
        let degenerate = if n <= 1 {
            true
        } else if n == 2 {
            let a = raws[i].pts[f];
            let b = raws[i].pts[f + 1];
            a[0] == b[0] && a[1] == b[1] && a[2] == b[2]
        } else {
            false
        };
        if degenerate {
            removed[i] = true;
            let (pp, px) = (raws[i].parent, raws[i].parentx);
            for j in i + 1..raws.len() {
                if !removed[j] && raws[j].parent == Some(i) {
                    raws[j].parent = pp;
                    raws[j].parentx = px;
                }
            }
        }
    }
}

/// `Import3d_GUI.instantiate`: the NEURON sections made from the raw sections, in NEURON's
/// creation order, with rounded pt3d points, lengths and nseg = 1.
pub(crate) fn instantiate(mut raws: Vec<RawSection>, file: &str) -> Result<Morphology, MorphError> {
    let mut removed = vec![false; raws.len()];
    chk_valid(&mut raws, &mut removed);
    // Name index per type, counted in file order over the sections that will exist.
    let live: Vec<usize> = (0..raws.len()).filter(|&i| !removed[i] && !raws[i].subsidiary).collect();
    if live.is_empty() {
        return Err(MorphError::at(file, 0, 0, "the file contains no sections")
            .with_hint("a morphology needs at least a soma or one tree of points"));
    }
    let mut nameindex = vec![0usize; raws.len()];
    let mut counts: std::collections::BTreeMap<i32, usize> = std::collections::BTreeMap::new();
    for &i in &live {
        let c = counts.entry(raws[i].sec_type).or_insert(0);
        nameindex[i] = *c;
        *c += 1;
    }
    // NEURON creates `soma[n]`, `axon[n]`, `dend[n]`, … type by type, so that is the order of
    // `forall` and of the `all` list.
    let mut order = live.clone();
    order.sort_by_key(|&i| (raws[i].sec_type, nameindex[i]));
    let mut new_index = vec![usize::MAX; raws.len()];
    for (k, &i) in order.iter().enumerate() {
        new_index[i] = k;
    }
    let mut sections = Vec::with_capacity(order.len());
    for &i in &order {
        let r = &raws[i];
        let pts = section_points(r, &raws, file)?;
        let parent = match r.parent {
            Some(p) if new_index[p] != usize::MAX => Some(new_index[p]),
            _ => None,
        };
        let mut sec = Section {
            name: format!("{}[{}]", type_name(r.sec_type), nameindex[i]),
            kind: kind_of_type(r.sec_type),
            parent,
            parent_x: if parent.is_some() { r.parentx } else { 0.0 },
            orientation: 0.0,
            pts,
            length: 0.0,
            diam: 0.0,
            nseg: 1,
            seg_diam: Vec::new(),
        };
        sec.update_geometry();
        sections.push(sec);
    }
    Ok(Morphology { sections })
}

/// The pt3d points of one section: from `first` on, contour → centroid, one point → sphere,
/// every value rounded as NEURON stores it.
fn section_points(r: &RawSection, raws: &[RawSection], file: &str) -> Result<Vec<Pt3d>, MorphError> {
    let f = r.first.min(r.pts.len());
    let mut x: Vec<f64> = r.pts[f..].iter().map(|p| p[0]).collect();
    let mut y: Vec<f64> = r.pts[f..].iter().map(|p| p[1]).collect();
    let mut z: Vec<f64> = r.pts[f..].iter().map(|p| p[2]).collect();
    let mut d: Vec<f64> = r.pts[f..].iter().map(|p| p[3]).collect();
    if r.contour {
        if r.stack.is_empty() {
            let c = contour::contour2centroid(&x, &y, &z).map_err(|m| {
                MorphError::at(file, r.line, 0, m)
                    .with_hint("a soma contour needs at least three distinct points around the soma")
            })?;
            [x, y, z] = c.xyz;
            d = c.d;
        } else {
            // A stack of contours: one point per contour at its centre, diameter from a circle
            // fitted to it (`contourstack2centroid`).
            let (mut xs, mut ys, mut zs, mut ds) = (vec![], vec![], vec![], vec![]);
            for k in std::iter::once(None).chain(r.stack.iter().map(Some)) {
                let rs = match k {
                    None => r,
                    Some(&k) => &raws[k],
                };
                let cx: Vec<f64> = rs.pts.iter().map(|p| p[0]).collect();
                let cy: Vec<f64> = rs.pts.iter().map(|p| p[1]).collect();
                let cz: Vec<f64> = rs.pts.iter().map(|p| p[2]).collect();
                let (c, dd) = contour::approximate_by_circle(&cx, &cy, &cz);
                xs.push(c[0]);
                ys.push(c[1]);
                zs.push(c[2]);
                ds.push(dd);
            }
            (x, y, z, d) = (xs, ys, zs, ds);
        }
    }
    if d.len() == 1 {
        // A single point is a sphere: NEURON makes a 3-point cylinder along x with L = diam.
        let (x0, y0, z0, d0) = (x[0], y[0], z[0], d[0]);
        x = vec![x0 - d0 / 2.0, x0, x0 + d0 / 2.0];
        y = vec![y0; 3];
        z = vec![z0; 3];
        d = vec![d0; 3];
    }
    let mut pts = Vec::with_capacity(d.len());
    for i in 0..d.len() {
        let p = Pt3d {
            x: nrn_pt3d_value(x[i]),
            y: nrn_pt3d_value(y[i]),
            z: nrn_pt3d_value(z[i]),
            d: nrn_pt3d_value(d[i]),
        };
        if !(p.x.is_finite() && p.y.is_finite() && p.z.is_finite() && p.d.is_finite()) {
            return Err(MorphError::at(file, r.line, 0, "a point of this section is not a finite number")
                .with_hint("coordinates and diameters must be finite numbers within single precision"));
        }
        if p.d < 0.0 {
            return Err(MorphError::at(file, r.line, 0, format!("negative diameter {}", p.d))
                .with_hint("diameters (SWC radii) must be >= 0"));
        }
        pts.push(p);
    }
    Ok(pts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pt3d_rounding_is_g8_then_f32() {
        assert_eq!(nrn_pt3d_value(263.248f32 as f64), 263.248f32 as f64);
        assert_eq!(nrn_pt3d_value(0.1), 0.1f32 as f64);
        // 8 significant digits first: 1.234567849 -> 1.2345678 -> f32
        assert_eq!(nrn_pt3d_value(1.234567849), 1.2345678f32 as f64);
    }

    #[test]
    fn names_follow_import3d() {
        assert_eq!(type_name(1), "soma");
        assert_eq!(type_name(7), "dend_7");
        assert_eq!(type_name(-2), "minus_2");
        assert_eq!(type_name(0), "dend_0");
    }
}
