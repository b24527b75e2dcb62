//! Numerical kernels shared by the feature families, written to follow the reference's order of
//! operations (sequential sums in eFEL's C++, numpy's pairwise sums in its Python features) so
//! that results agree to the last bits, not only within tolerance.

/// numpy's pairwise summation of a contiguous float64 block (`PW_BLOCKSIZE` 128, 8 partial sums).
fn pairwise(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        let mut res = 0.0;
        for &x in a {
            res += x;
        }
        res
    } else if n <= 128 {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - (n % 8) {
            for k in 0..8 {
                r[k] += a[i + k];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        while i < n {
            res += a[i];
            i += 1;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise(&a[..n2]) + pairwise(&a[n2..])
    }
}

/// `np.sum` of a 1-D float64 array: the first element seeds the reduction, the rest is summed
/// pairwise. Returns 0 for an empty slice.
pub(crate) fn numpy_sum(a: &[f64]) -> f64 {
    match a.split_first() {
        None => 0.0,
        Some((first, rest)) => *first + pairwise(rest),
    }
}

/// `np.mean` of a 1-D float64 array (NaN for an empty slice).
pub(crate) fn numpy_mean(a: &[f64]) -> f64 {
    numpy_sum(a) / a.len() as f64
}

/// `np.std(a, ddof=1)`: square root of the pairwise sum of squared deviations over `n − 1`.
pub(crate) fn numpy_std_ddof1(a: &[f64]) -> f64 {
    let mean = numpy_mean(a);
    let sq: Vec<f64> = a.iter().map(|x| (x - mean) * (x - mean)).collect();
    (numpy_sum(&sq) / (a.len() as f64 - 1.0)).sqrt()
}

/// Sequential left-to-right sum (C++ `std::accumulate` with a 0.0 seed).
pub(crate) fn seq_sum(a: &[f64]) -> f64 {
    let mut s = 0.0;
    for &x in a {
        s += x;
    }
    s
}

/// Central-difference derivative with unit spacing, one-sided at both ends (eFEL's
/// `getCentralDifferenceDerivative(1., v, dv)`); `v` needs at least 2 samples.
fn central_difference(v: &[f64], out: &mut Vec<f64>) {
    let n = v.len();
    out.clear();
    out.reserve(n);
    out.push(v[1] - v[0]);
    for i in 1..n - 1 {
        out.push((v[i + 1] - v[i - 1]) / 2.0);
    }
    out.push(v[n - 1] - v[n - 2]);
}

/// dV/dt as eFEL computes it for AP onsets and ends: central difference of V divided by the
/// central difference of T.
pub(crate) fn dvdt(t: &[f64], v: &[f64], out: &mut Vec<f64>) {
    let mut dt = Vec::with_capacity(t.len());
    central_difference(v, out);
    central_difference(t, &mut dt);
    for (d, s) in out.iter_mut().zip(&dt) {
        *d /= s;
    }
}

/// Index of the first smallest element of `v[lo..hi]` (C++ `std::min_element`); `hi` when the
/// range is empty.
pub(crate) fn argmin_first(v: &[f64], lo: usize, hi: usize) -> usize {
    if lo >= hi {
        return hi;
    }
    let mut best = lo;
    for i in lo + 1..hi {
        if v[i] < v[best] {
            best = i;
        }
    }
    best
}

/// Index of the first largest element of `v[lo..hi]` (C++ `std::max_element`); `hi` when the
/// range is empty.
pub(crate) fn argmax_first(v: &[f64], lo: usize, hi: usize) -> usize {
    if lo >= hi {
        return hi;
    }
    let mut best = lo;
    for i in lo + 1..hi {
        if v[i] > v[best] {
            best = i;
        }
    }
    best
}

/// eFEL's `first_min_element` on `v[lo..hi]`: the first running minimum followed by two samples
/// that are not lower (the first trough of an AHP, not the global minimum of the interval);
/// falls back to the first global minimum; `hi` for an empty range.
pub(crate) fn first_local_min(v: &[f64], lo: usize, hi: usize) -> usize {
    if lo >= hi {
        return hi;
    }
    let mut lowest = lo;
    let mut not_lower = 0;
    for i in lo + 1..hi {
        if v[i] >= v[lowest] {
            not_lower += 1;
        } else {
            not_lower = 0;
            lowest = i;
        }
        if not_lower == 2 {
            return lowest;
        }
    }
    lowest
}

/// First index `i` in `lo..hi` with `pred(v[i])`, or `hi` (C++ `std::find_if`). For a
/// reversed range (`lo > hi`), libstdc++'s random-access `find_if` computes a negative trip
/// count and returns `hi` at once; that is what eFEL gets, so it is what we return.
pub(crate) fn find_if(v: &[f64], lo: usize, hi: usize, pred: impl Fn(f64) -> bool) -> usize {
    (lo..hi).find(|&i| pred(v[i])).unwrap_or(hi)
}

/// First index with `t[i] >= x`, or `t.len()`.
pub(crate) fn first_at_or_after(t: &[f64], x: f64) -> usize {
    t.iter().position(|&ti| ti >= x).unwrap_or(t.len())
}

/// Least-squares slope of `y` against `x` with eFEL's formula (sequential sums,
/// `(n·Σxy − Σx·Σy) / (n·Σx² − (Σx)²)`).
pub(crate) fn straight_line_slope(x: &[f64], y: &[f64]) -> f64 {
    let (mut sx, mut sy, mut sx2, mut sxy) = (0.0, 0.0, 0.0, 0.0);
    for (&a, &b) in x.iter().zip(y) {
        sx += a;
        sy += b;
        sx2 += a * a;
        sxy += a * b;
    }
    let n = x.len() as f64;
    (n * sxy - sx * sy) / (n * sx2 - sx * sx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numpy_sum_matches_exact_sums_and_pairwise_shape() {
        let a: Vec<f64> = (1..=1000).map(|k| k as f64).collect();
        assert_eq!(numpy_sum(&a), 500500.0);
        assert_eq!(numpy_sum(&[]), 0.0);
        assert_eq!(numpy_mean(&[1.0, 2.0, 3.0, 4.0]), 2.5);
        // Pairwise summation loses less than a sequential sum on many equal small terms.
        let b = vec![0.1; 1 << 16];
        let exact = 0.1 * (1 << 16) as f64;
        assert!((numpy_sum(&b) - exact).abs() <= (seq_sum(&b) - exact).abs());
    }

    #[test]
    fn std_with_one_degree_of_freedom() {
        let s = numpy_std_ddof1(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert!((s - (32.0f64 / 7.0).sqrt()).abs() < 1e-15);
    }

    #[test]
    fn first_local_min_stops_at_first_trough() {
        // Trough at index 2 (followed by two samples not lower), deeper minimum later.
        let v = [5.0, 3.0, 1.0, 2.0, 2.5, 0.0, 4.0];
        assert_eq!(first_local_min(&v, 0, v.len()), 2);
        assert_eq!(argmin_first(&v, 0, v.len()), 5);
        // Monotone decrease: falls back to the global minimum (the last sample).
        let w = [3.0, 2.0, 1.0];
        assert_eq!(first_local_min(&w, 0, 3), 2);
        assert_eq!(first_local_min(&w, 1, 1), 1);
    }

    #[test]
    fn derivative_is_central_inside_one_sided_at_ends() {
        let t = [0.0, 1.0, 2.0, 4.0];
        let v = [0.0, 1.0, 4.0, 16.0];
        let mut d = vec![];
        dvdt(&t, &v, &mut d);
        assert_eq!(d, vec![1.0, 2.0, 5.0, 6.0]);
    }

    #[test]
    fn slope_of_a_line() {
        let x = [0.0, 1.0, 2.0, 3.0];
        let y = [1.0, 3.0, 5.0, 7.0];
        assert!((straight_line_slope(&x, &y) - 2.0).abs() < 1e-15);
    }

    #[test]
    fn find_if_returns_the_end_when_nothing_matches_or_the_range_is_reversed() {
        let v = [0.0, 5.0, 1.0, 7.0];
        assert_eq!(find_if(&v, 0, 4, |x| x > 4.0), 1);
        assert_eq!(find_if(&v, 2, 3, |x| x > 4.0), 3);
        assert_eq!(find_if(&v, 3, 1, |x| x > 6.0), 1);
    }
}
