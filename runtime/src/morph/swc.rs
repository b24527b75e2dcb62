//! SWC reader with NEURON's `Import3d_SWC_read` rules.
//!
//! Points are split into sections at branch points and at changes of type; the soma may be one
//! point (a sphere), the neuromorpho.org 3-point convention (also a sphere), or a chain of points
//! (a cylinder stack, split where soma points branch). Children get a copy of their parent point
//! as first pt3d point; dendrites on the soma get the diameter of their own first point there,
//! and those hanging from a one-point soma or the soma's first point are connected by a "wire"
//! (the copy is dropped). Parent positions are 1 for section ends, 0.5 for soma interiors and
//! one-point somata, 0 for the soma's first point.
//!
//! Where NEURON only prints a message and continues, this reader does the same thing NEURON then
//! does and records a warning (more than one tree, parents that do not exist). Where NEURON fails
//! or produces nonsense (unsorted ids, a parent id not smaller than the id, unreadable lines), it
//! returns an error.

use super::error::MorphError;
use super::import3d::{self, RawSection};
use super::scan::{is_space, scan_f64};
use super::Morphology;

/// One SWC sample.
#[derive(Debug, Clone, Copy)]
struct Sample {
    id: i64,
    sec_type: i32,
    x: f64,
    y: f64,
    z: f64,
    /// Diameter (the file's radius × 2).
    d: f64,
    pid: i64,
    line: usize,
}

/// Reads the 7 numbers of a sample line as `sscanf("%f %f %f %f %f %f %f")` does.
fn scan_line(s: &[u8]) -> Option<[f64; 7]> {
    let mut a = [0.0; 7];
    let mut pos = 0;
    for v in a.iter_mut() {
        let (x, p) = scan_f64(s, pos)?;
        *v = x;
        pos = p;
    }
    Some(a)
}

/// An integral value that fits the purpose, or an error naming the column.
fn integral(v: f64, what: &str, file: &str, line: usize) -> Result<i64, MorphError> {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 9.0e15 {
        Ok(v as i64)
    } else {
        Err(MorphError::at(file, line, 0, format!("{what} {v} is not an integer"))
            .with_hint("the id, type and parent columns of an SWC file hold integers"))
    }
}

/// Parses the lines of an SWC file into samples.
fn read_samples(text: &[u8], file: &str) -> Result<Vec<Sample>, MorphError> {
    let mut out = Vec::new();
    for (k, raw_line) in text.split(|&b| b == b'\n').enumerate() {
        let line = k + 1;
        let first_non_blank = raw_line.iter().position(|&b| b != b' ' && b != b'\t');
        match first_non_blank {
            None => continue,
            Some(p) if raw_line[p] == b'#' => continue,
            _ => {}
        }
        if raw_line.iter().all(|&b| is_space(b)) {
            continue;
        }
        let Some(a) = scan_line(raw_line) else {
            let shown = String::from_utf8_lossy(raw_line);
            return Err(MorphError::at(file, line, 1, format!("could not parse `{}`", shown.trim_end()))
                .with_hint(
                    "each sample line is `id type x y z radius parent` (7 numbers); comments start with #",
                ));
        };
        let id = integral(a[0], "id", file, line)?;
        let t = integral(a[1], "type", file, line)?;
        let pid = integral(a[6], "parent id", file, line)?;
        if id < 0 {
            return Err(MorphError::at(file, line, 1, format!("negative id {id}"))
                .with_hint("SWC ids are non-negative integers"));
        }
        if t < i32::MIN as i64 || t > i32::MAX as i64 {
            return Err(MorphError::at(file, line, 1, format!("type {t} is out of range")));
        }
        for (v, what) in [(a[2], "x"), (a[3], "y"), (a[4], "z"), (a[5], "radius")] {
            if !v.is_finite() {
                return Err(MorphError::at(file, line, 1, format!("{what} is not a finite number"))
                    .with_hint("coordinates and radii must be finite numbers"));
            }
        }
        if a[5] < 0.0 {
            return Err(MorphError::at(file, line, 1, format!("negative radius {}", a[5]))
                .with_hint("radii must be >= 0 (NEURON rejects negative diameters)"));
        }
        out.push(Sample { id, sec_type: t as i32, x: a[2], y: a[3], z: a[4], d: a[5] * 2.0, pid, line });
    }
    Ok(out)
}

/// The tree of samples with NEURON's point indices and parent indices (`pix2ix`, -1 for a
/// root or an unknown parent).
struct Tree {
    s: Vec<Sample>,
    pix: Vec<isize>,
}

impl Tree {
    /// `v.x[i]` in hoc clamps a negative index to 0; Import3d relies on that for roots.
    fn at(i: isize) -> usize {
        if i < 0 {
            0
        } else {
            i as usize
        }
    }
    fn ty(&self, i: usize) -> i32 {
        self.s[i].sec_type
    }
}

/// Reads an SWC file from memory. `file` names it in diagnostics.
pub fn parse_swc(text: &[u8], file: &str) -> Result<Morphology, MorphError> {
    parse_swc_with_warnings(text, file).map(|(m, _)| m)
}

/// Like [`parse_swc`], also returning what NEURON would have warned about.
pub fn parse_swc_with_warnings(text: &[u8], file: &str) -> Result<(Morphology, Vec<MorphError>), MorphError> {
    let samples = read_samples(text, file)?;
    if samples.is_empty() {
        return Err(MorphError::at(file, 0, 0, "the file contains no samples")
            .with_hint("an SWC file has one line `id type x y z radius parent` per point"));
    }
    let mut warnings = Vec::new();
    for w in samples.windows(2) {
        if w[1].id <= w[0].id {
            let msg = if w[1].id == w[0].id {
                format!("duplicate id {}", w[1].id)
            } else {
                format!("id {} follows id {}: ids are not in increasing order", w[1].id, w[0].id)
            };
            return Err(MorphError::at(file, w[1].line, 1, msg).with_hint(
                "NEURON's Import3d reads SWC files whose ids increase line by line; sort the samples by id",
            ));
        }
    }
    let mut pix = Vec::with_capacity(samples.len());
    let mut roots = 0;
    for s in &samples {
        if s.pid >= s.id {
            return Err(MorphError::at(
                file,
                s.line,
                1,
                format!("parent {} is not less than id {}", s.pid, s.id),
            )
            .with_hint("every sample's parent must appear before it"));
        }
        if s.pid < 0 {
            roots += 1;
            if roots > 1 {
                warnings.push(
                    MorphError::at(
                        file,
                        s.line,
                        1,
                        "more than one tree: NEURON connects this root to the soma",
                    )
                    .with_hint("an SWC file should describe one tree"),
                );
            }
            pix.push(-1);
        } else {
            match samples.binary_search_by_key(&s.pid, |t| t.id) {
                Ok(k) => pix.push(k as isize),
                Err(_) => {
                    warnings.push(
                        MorphError::at(
                            file,
                            s.line,
                            1,
                            format!("parent {} does not exist: NEURON treats this point as a root", s.pid),
                        )
                        .with_hint("check the parent column"),
                    );
                    pix.push(-1);
                }
            }
        }
    }
    let tree = Tree { s: samples, pix };
    let raws = sectionify(tree);
    let m = import3d::instantiate(raws, file)?;
    Ok((m, warnings))
}

/// `sectionify` + `mksections`: the raw sections.
fn sectionify(mut t: Tree) -> Vec<RawSection> {
    let n = t.s.len();
    let (mut nchild, connect2prox) = mark_branch(&t);
    let mut nchild_soma = vec![0.0f64; n];
    let mut nsoma_pts = usize::from(t.ty(0) == 1);
    for i in 1..n {
        if t.ty(i) == 1 {
            nsoma_pts += 1;
            let p = t.pix[i];
            if p >= 0 && t.ty(p as usize) == 1 {
                nchild_soma[p as usize] += 1.0;
            }
        }
    }
    let soma3geom = nsoma_pts == 3 && neuromorph_3point_soma(&mut t, &nchild);
    for i in 0..n.saturating_sub(1) {
        // Adjacent parent/child soma points do not end a section unless the parent has more than
        // one soma child.
        if t.ty(i) == 1 && t.ty(i + 1) == 1 && t.pix[i + 1] == i as isize && (i == 0 || nchild_soma[i] <= 1.0)
        {
            nchild[i] = 1.0;
        }
    }
    let sec2point: Vec<usize> = (0..n).filter(|&i| nchild[i] != 1.0).collect();
    let mut point2sec = vec![0usize; n];
    let mut si = 0;
    for i in 1..n {
        if i > sec2point[si] {
            si += 1;
        }
        point2sec[i] = si;
    }
    // mksections
    let mut raws: Vec<RawSection> = Vec::new();
    let mut sec_first: Vec<usize> = Vec::new();
    let ctx = Ctx { t: &t, nchild_soma: &nchild_soma, point2sec: &point2sec, connect2prox: &connect2prox };
    let mut isec = 0;
    let mut first = 0;
    for i in 0..n {
        if point2sec[i] > isec {
            mksection(&ctx, &mut raws, &mut sec_first, isec, first, i, soma3geom);
            isec += 1;
            first = i;
        }
    }
    mksection(&ctx, &mut raws, &mut sec_first, isec, first, n, soma3geom);
    raws
}

/// Shared read-only state of `mksection`.
struct Ctx<'a> {
    t: &'a Tree,
    nchild_soma: &'a [f64],
    point2sec: &'a [usize],
    connect2prox: &'a [bool],
}

/// `mark_branch`: child counts per point (1 per contiguous child, 1.01 per non-contiguous child,
/// +0.01 for a type change) — a point with a count other than exactly 1 ends a section — and the
/// points whose branch connects to the proximal end of a dendrite wired to the soma.
fn mark_branch(t: &Tree) -> (Vec<f64>, Vec<bool>) {
    let n = t.s.len();
    let mut nchild = vec![0.0f64; n];
    let mut connect2prox = vec![false; n];
    for i in 0..n {
        let p = t.pix[i];
        if p < 0 {
            continue;
        }
        let pu = p as usize;
        nchild[pu] += 1.0;
        if p != i as isize - 1 {
            nchild[pu] += 0.01;
            if pu > 1 {
                if t.ty(pu) != 1 && t.ty(Tree::at(t.pix[pu])) == 1 {
                    connect2prox[i] = true;
                    nchild[pu] = 1.0;
                }
            } else if pu == 0 && t.ty(0) != 1 {
                connect2prox[i] = true;
                nchild[pu] = 1.0;
            }
        }
        if t.ty(pu) != t.ty(i) {
            nchild[pu] += 0.01;
        }
    }
    (nchild, connect2prox)
}

/// neuromorpho.org's 3-point soma (middle point as root, two points at ±r with the same diameter,
/// no children on them) is a sphere: NEURON keeps only the root point.
fn neuromorph_3point_soma(t: &mut Tree, nchild: &[f64]) -> bool {
    if t.s.len() < 3 {
        return false;
    }
    if !(t.pix[1] == 0 && t.pix[2] == 0 && nchild[1] == 0.0 && nchild[2] == 0.0) {
        return false;
    }
    let s = &t.s;
    if !(s[1].d == s[0].d && s[2].d == s[0].d) {
        return false;
    }
    let mut len = 0.0;
    for i in 1..=2 {
        let (dx, dy, dz) = (s[i].x - s[0].x, s[i].y - s[0].y, s[i].z - s[0].z);
        len += (dx * dx + dy * dy + dz * dz).sqrt();
    }
    if (len / s[0].d - 1.0).abs() < 0.01 {
        // As NEURON does: re-parent point 2 onto point 1 so the three points form one section,
        // of which only the root point is kept.
        t.pix[2] = 1;
        return true;
    }
    false
}

/// `mksection`: the raw section of points `first..i` (section `isec`).
fn mksection(
    c: &Ctx,
    raws: &mut Vec<RawSection>,
    sec_first: &mut Vec<usize>,
    isec: usize,
    first: usize,
    i: usize,
    soma3geom: bool,
) {
    let t = c.t;
    let pt = |k: usize| {
        let s = &t.s[k];
        [s.x, s.y, s.z, s.d]
    };
    let mut sec = RawSection::new(t.ty(first), t.s[first].line);
    if isec == 0 {
        let end = if soma3geom { 1 } else { i };
        sec.pts = (first..end).map(pt).collect();
    } else {
        let pfirst = t.pix[first];
        let pidx = Tree::at(pfirst);
        let psec_i = c.point2sec[pidx];
        let psec = &raws[psec_i];
        let psec_id = sec_first[psec_i] as isize;
        let psec_n = psec.pts.len() as isize;
        let den_con_soma = psec.sec_type == 1 && t.ty(first) != 1;
        let con_soma = psec.sec_type == 1;
        let multi = i - first > 1;
        sec.parent = Some(psec_i);
        let mut handled = false;
        if psec_i == 0 {
            handled = true;
            if den_con_soma && psec_n == 1 {
                // One-point soma: every branch is wired to its centre.
                sec.parentx = 0.5;
                if multi {
                    sec.first = 1;
                }
            } else if pfirst == psec_id {
                // Connects to the first point of the root.
                sec.parentx = 0.0;
                if t.ty(first) != 1 && c.nchild_soma[pidx] > 1.0 {
                    sec.first = 1;
                }
            } else {
                handled = false;
            }
        }
        if !handled && con_soma {
            let offset = if psec_id == 0 { -1 } else { -2 };
            if pfirst < psec_id + psec_n + offset {
                // Interior point of a multi-point soma.
                sec.parentx = 0.5;
                if den_con_soma && multi {
                    sec.first = 1;
                }
            } else if multi && c.nchild_soma[pidx] > 1.0 && t.ty(first) != 1 {
                sec.first = 1;
            }
        }
        sec.pts.push(pt(pidx));
        sec.pts.extend((first..i).map(pt));
        if con_soma && t.ty(first) != 1 && sec.pts.len() > 1 {
            // Dendrites on the soma start with the parent position but their own diameter.
            sec.pts[0][3] = sec.pts[1][3];
        }
        if c.connect2prox[first] {
            sec.parentx = 0.0;
        }
    }
    raws.push(sec);
    sec_first.push(first);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(m: &Morphology) -> Vec<String> {
        m.sections.iter().map(|s| s.name.clone()).collect()
    }

    #[test]
    fn single_point_soma_is_a_sphere_with_wired_children() {
        let text = b"1 1 0 0 0 5 -1\n2 3 0 10 0 1 1\n3 3 0 20 0 1 2\n4 2 0 -10 0 0.5 1\n";
        let m = parse_swc(text, "t.swc").unwrap();
        assert_eq!(names(&m), ["soma[0]", "axon[0]", "dend[0]"]);
        let soma = &m.sections[0];
        assert_eq!(soma.pts.len(), 3);
        assert_eq!((soma.pts[0].x, soma.pts[2].x, soma.length), (-5.0, 5.0, 10.0));
        let dend = &m.sections[2];
        assert_eq!((dend.parent, dend.parent_x), (Some(0), 0.5));
        // Wired: the copy of the soma point is dropped.
        assert_eq!(dend.pts.len(), 2);
        assert_eq!(dend.pts[0].y, 10.0);
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse_swc(b"# c\n1 1 0 0 0 5 -1\n2 3 0 x 0 1 1\n", "t.swc").unwrap_err();
        assert_eq!((e.line, e.file.as_str()), (3, "t.swc"));
        let e = parse_swc(b"1 1 0 0 0 5 -1\n3 3 0 0 0 5 1\n2 3 0 0 0 5 1\n", "t.swc").unwrap_err();
        assert_eq!(e.line, 3);
        let e = parse_swc(b"1 1 0 0 0 5 2\n", "t.swc").unwrap_err();
        assert_eq!(e.line, 1);
        let e = parse_swc(b"1 1 0 0 0 -5 -1\n", "t.swc").unwrap_err();
        assert!(e.message.contains("negative radius"));
        assert!(parse_swc(b"# only comments\n\n", "t.swc").is_err());
    }
}
