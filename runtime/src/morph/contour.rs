//! Soma contours to soma centroids, as NEURON's `Import3d_GUI.contour2centroid` computes them.
//!
//! A Neurolucida soma is a closed outline. NEURON resamples it to 101 points along its perimeter,
//! finds the principal axis of those points, slices the outline perpendicular to that axis at 21
//! equally spaced positions and makes a 21-point soma section along the axis whose diameters are
//! the outline's widths. Every floating-point operation below follows the order NEURON uses
//! (hoc `Vector` methods), because the result is rounded to `f32` afterwards and a different
//! summation order can flip the last bit.

/// hoc's `PI`.
const PI: f64 = std::f64::consts::PI;

/// NEURON's `Vector.interpolate(xdest, xsrc, ysrc)`: piecewise linear, constant outside the
/// source domain, source abscissae that do not increase are skipped.
pub(crate) fn interpolate(xd: &[f64], xs: &[f64], ys: &[f64]) -> Vec<f64> {
    let nd = xd.len();
    let ns = xs.len();
    let mut yd = vec![0.0; nd];
    if ns == 0 {
        return yd;
    }
    let mut id = 0;
    while id < nd && xd[id] <= xs[0] {
        yd[id] = ys[0];
        id += 1;
    }
    let mut is = 1;
    while is < ns && id < nd {
        if xs[is] > xs[is - 1] {
            while xd[id] <= xs[is] {
                let thet = (xd[id] - xs[is - 1]) / (xs[is] - xs[is - 1]);
                yd[id] = (1.0 - thet) * ys[is - 1] + thet * ys[is];
                id += 1;
                if id >= nd {
                    break;
                }
            }
        }
        is += 1;
    }
    while id < nd {
        yd[id] = ys[ns - 1];
        id += 1;
    }
    yd
}

/// Sum in index order from 0.0 (`std::accumulate`).
fn sum(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |a, &b| a + b)
}

/// `Vector.mean`.
fn mean(v: &[f64]) -> f64 {
    sum(v) / v.len() as f64
}

/// Index of the first largest element (`std::max_element`).
fn max_ind(v: &[f64]) -> usize {
    let mut k = 0;
    for i in 1..v.len() {
        if v[k] < v[i] {
            k = i;
        }
    }
    k
}

/// Index of the first smallest element (`std::min_element`).
fn min_ind(v: &[f64]) -> usize {
    let mut k = 0;
    for i in 1..v.len() {
        if v[i] < v[k] {
            k = i;
        }
    }
    k
}

/// `Vector.mag` of a 3-vector.
fn mag3(v: [f64; 3]) -> f64 {
    (0.0 + v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
}

/// `Vector.dot` of 3-vectors.
fn dot3(a: [f64; 3], b: [f64; 3]) -> f64 {
    0.0 + a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// Result of `contourcenter`: the centre and the contour resampled to 101 points.
pub(crate) struct Resampled {
    /// Mean of the resampled points.
    pub center: [f64; 3],
    /// Resampled coordinates.
    pub xyz: [Vec<f64>; 3],
}

/// `Import3d_Section.contourcenter`: resample the contour to 101 points equally spaced along
/// its perimeter and return their mean.
///
/// NEURON measures the perimeter in the xy plane only and along the open polyline (the closing
/// edge from the last point back to the first is not part of the abscissa), so do we.
pub(crate) fn contourcenter(x: &[f64], y: &[f64], z: &[f64]) -> Resampled {
    let n = x.len();
    let mut perim = vec![0.0; n];
    for i in 1..n {
        let dx = x[i] - x[i - 1];
        let dy = y[i] - y[i - 1];
        perim[i] = perim[i - 1] + mag3([dx, dy, 0.0]);
    }
    let step = perim[n - 1] / 100.0;
    let d: Vec<f64> = (0..101).map(|i| i as f64 * step + 0.0).collect();
    let xr = interpolate(&d, &perim, x);
    let yr = interpolate(&d, &perim, y);
    let zr = interpolate(&d, &perim, z);
    Resampled { center: [mean(&xr), mean(&yr), mean(&zr)], xyz: [xr, yr, zr] }
}

/// Eigen-decomposition of a symmetric 3×3 matrix by cyclic Jacobi rotations.
///
/// Returns eigenvalues in ascending order (as NEURON's `Matrix.symmeig`, backed by Eigen's
/// `SelfAdjointEigenSolver`, returns them) and unit eigenvectors as the columns of the second
/// result (`vecs[row][col]`).
pub(crate) fn symmeig3(m: [[f64; 3]; 3]) -> ([f64; 3], [[f64; 3]; 3]) {
    let mut a = m;
    let mut v = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    for _sweep in 0..64 {
        let off = a[0][1] * a[0][1] + a[0][2] * a[0][2] + a[1][2] * a[1][2];
        if off == 0.0 {
            break;
        }
        for (p, q) in [(0usize, 1usize), (0, 2), (1, 2)] {
            // Below this the rotation no longer changes anything representable.
            if a[p][q].abs() <= 1e-20 * (a[p][p].abs() + a[q][q].abs()) {
                a[p][q] = 0.0;
                a[q][p] = 0.0;
                continue;
            }
            // Rotation that annihilates a[p][q] (Numerical Recipes' stable form).
            let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
            let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
            let t = if theta == 0.0 { 1.0 } else { t };
            let c = 1.0 / (t * t + 1.0).sqrt();
            let s = t * c;
            for k in 0..3 {
                let akp = a[k][p];
                let akq = a[k][q];
                a[k][p] = c * akp - s * akq;
                a[k][q] = s * akp + c * akq;
            }
            for k in 0..3 {
                let apk = a[p][k];
                let aqk = a[q][k];
                a[p][k] = c * apk - s * aqk;
                a[q][k] = s * apk + c * aqk;
            }
            for row in v.iter_mut() {
                let vp = row[p];
                let vq = row[q];
                row[p] = c * vp - s * vq;
                row[q] = s * vp + c * vq;
            }
        }
    }
    let vals = [a[0][0], a[1][1], a[2][2]];
    let mut order = [0usize, 1, 2];
    order.sort_by(|&i, &j| vals[i].partial_cmp(&vals[j]).unwrap_or(std::cmp::Ordering::Equal));
    let mut sv = [0.0; 3];
    let mut vecs = [[0.0; 3]; 3];
    for (col, &k) in order.iter().enumerate() {
        sv[col] = vals[k];
        for row in 0..3 {
            vecs[row][col] = v[row][k];
        }
    }
    (sv, vecs)
}

/// A soma centroid: points and diameters (still unrounded).
pub(crate) struct Centroid {
    /// x, y, z of the centroid points.
    pub xyz: [Vec<f64>; 3],
    /// Diameters.
    pub d: Vec<f64>,
}

/// NEURON's "make it convex" pass: drop points whose abscissa does not increase.
fn make_monotonic(d: &mut Vec<f64>, rad: &mut Vec<f64>) {
    let mut j = d.len() as isize - 1;
    while j > 0 {
        let ju = j as usize;
        if d[ju] <= d[ju - 1] {
            d.remove(ju);
            rad.remove(ju);
            if ju != d.len() {
                j += 1;
            }
        }
        j -= 1;
    }
}

/// `Import3d_GUI.contour2centroid` for a single contour.
pub(crate) fn contour2centroid(x: &[f64], y: &[f64], z: &[f64]) -> Result<Centroid, String> {
    if x.len() < 2 {
        return Err("soma contour has fewer than two points".into());
    }
    let r = contourcenter(x, y, z);
    let mean = r.center;
    let n = r.xyz[0].len();
    let pts: Vec<[f64; 3]> =
        (0..n).map(|i| [r.xyz[0][i] - mean[0], r.xyz[1][i] - mean[1], r.xyz[2][i] - mean[2]]).collect();
    let mut m = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in i..3 {
            let prod: Vec<f64> = pts.iter().map(|p| p[i] * p[j]).collect();
            m[i][j] = sum(&prod);
            m[j][i] = m[i][j];
        }
    }
    let (vals, vecs) = symmeig3(m);
    let imaxv = max_ind(&vals);
    let iminv = min_ind(&vals);
    if imaxv == iminv {
        return Err("soma contour has no principal axis (all points coincide)".into());
    }
    let col = |k: usize| [vecs[0][k], vecs[1][k], vecs[2][k]];
    let mut major = col(imaxv);
    // NEURON orients the major axis so that its largest component is positive.
    let absmaj = [major[0].abs(), major[1].abs(), major[2].abs()];
    if major[max_ind(&absmaj)] < 0.0 {
        major = [-major[0], -major[1], -major[2]];
    }
    let mut minor = col(3 - iminv - imaxv);
    minor[2] = 0.0;
    if mag3(minor) / (mag3(major) + 1e-100) < 1e-6 {
        return Err("failed to compute the soma centroid from the contour".into());
    }
    let mm = mag3(minor);
    minor = [minor[0] / mm, minor[1] / mm, minor[2] / mm];
    let mut d: Vec<f64> = pts.iter().map(|&p| dot3(p, major)).collect();
    let mut rad: Vec<f64> = pts.iter().map(|&p| dot3(p, minor)).collect();
    let imax = max_ind(&d);
    d.rotate_left(imax);
    rad.rotate_left(imax);
    let imin = min_ind(&d);
    let mut side2 = d[imin..].to_vec();
    let mut rad2 = rad[imin..].to_vec();
    d.truncate(imin);
    rad.truncate(imin);
    d.reverse();
    rad.reverse();
    make_monotonic(&mut d, &mut rad);
    make_monotonic(&mut side2, &mut rad2);
    let mut all: Vec<f64> = d.iter().chain(side2.iter()).copied().collect();
    all.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    if d.is_empty() || side2.is_empty() || all.len() < 4 {
        return Err("soma contour is degenerate (too few distinct points along its axis)".into());
    }
    let lo = all[1];
    let hi = all[all.len() - 2];
    let step = (hi - lo) / 20.0;
    let xn = ((hi - lo) / step + 1e-9).floor() + 1.0;
    if !(xn.is_finite() && (1.0..=1e6).contains(&xn)) {
        return Err("soma contour is degenerate (zero extent along its principal axis)".into());
    }
    let t: Vec<f64> = (0..xn as usize).map(|i| i as f64 * step + lo).collect();
    let ra = interpolate(&t, &d, &rad);
    let rb = interpolate(&t, &side2, &rad2);
    let mut out = Centroid { xyz: [vec![], vec![], vec![]], d: Vec::with_capacity(t.len()) };
    for (i, &ti) in t.iter().enumerate() {
        for c in 0..3 {
            out.xyz[c].push(major[c] * ti + mean[c]);
        }
        out.d.push((ra[i] - rb[i]).abs());
    }
    // NEURON avoids zero-diameter ends by averaging each end with its neighbour.
    let k = out.d.len();
    if k >= 2 {
        out.d[0] = (out.d[0] + out.d[1]) / 2.0;
        out.d[k - 1] = (out.d[k - 1] + out.d[k - 2]) / 2.0;
    }
    Ok(out)
}

/// `Import3d_Section.approximate_contour_by_circle`: centre of the resampled contour and a
/// diameter that is the mean distance of the resampled points from it plus perimeter/(2π).
pub(crate) fn approximate_by_circle(x: &[f64], y: &[f64], z: &[f64]) -> ([f64; 3], f64) {
    let n = x.len();
    let mut perim = 0.0;
    for i in 0..n {
        let j = (i + 1) % n;
        perim += mag3([x[i] - x[j], y[i] - y[j], z[i] - z[j]]);
    }
    let r = contourcenter(x, y, z);
    let c = r.center;
    let radii: Vec<f64> = (0..r.xyz[0].len())
        .map(|i| {
            let dx = r.xyz[0][i] - c[0];
            let dy = r.xyz[1][i] - c[1];
            let dz = r.xyz[2][i] - c[2];
            (dx * dx + dy * dy + dz * dz).sqrt()
        })
        .collect();
    (c, mean(&radii) + perim / (2.0 * PI))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolate_matches_hoc_rules() {
        let xs = [0.0, 1.0, 1.0, 3.0];
        let ys = [0.0, 10.0, 99.0, 30.0];
        let y = interpolate(&[-1.0, 0.5, 1.0, 2.0, 4.0], &xs, &ys);
        // The repeated abscissa 1.0 is skipped, so 2.0 interpolates between (1,99) and (3,30).
        assert_eq!(y, vec![0.0, 5.0, 10.0, 64.5, 30.0]);
    }

    #[test]
    fn jacobi_diagonalises() {
        let m = [[4.0, 1.0, 0.0], [1.0, 3.0, 0.5], [0.0, 0.5, 1.0]];
        let (vals, v) = symmeig3(m);
        assert!(vals[0] <= vals[1] && vals[1] <= vals[2]);
        for k in 0..3 {
            for i in 0..3 {
                let mv: f64 = (0..3).map(|j| m[i][j] * v[j][k]).sum();
                assert!((mv - vals[k] * v[i][k]).abs() < 1e-13);
            }
        }
    }

    #[test]
    fn ellipse_centroid_has_axis_and_widths() {
        // An ellipse with semi-axes 10 (x) and 4 (y): the centroid runs along x and its widest
        // diameter is close to 8.
        let n = 64;
        let (mut x, mut y, mut z) = (vec![], vec![], vec![]);
        for i in 0..n {
            let a = 2.0 * PI * i as f64 / n as f64;
            x.push(10.0 * a.cos() + 5.0);
            y.push(4.0 * a.sin() - 2.0);
            z.push(1.5);
        }
        let c = contour2centroid(&x, &y, &z).unwrap();
        assert_eq!(c.d.len(), 21);
        let dmax = c.d.iter().cloned().fold(0.0, f64::max);
        assert!((dmax - 8.0).abs() < 0.1, "{dmax}");
        assert!(c.xyz[1].iter().all(|&v| (v + 2.0).abs() < 0.2));
        assert!(c.xyz[2].iter().all(|&v| (v - 1.5).abs() < 1e-12));
        assert!(c.xyz[0][0] < c.xyz[0][20]);
    }
}
