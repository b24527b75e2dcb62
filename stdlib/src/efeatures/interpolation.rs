//! eFEL's pre-processing: linear interpolation onto a uniform grid.
//!
//! The grid starts at the first sample time and is built by *repeated addition* of the step
//! (`x += step`), not as `t0 + k·step`: the accumulated rounding is part of eFEL's numbers (a
//! peak time reads 733.500000000098 rather than 733.5). The number of grid points is
//! `ceil((t_last − t0) / step)`, plus one more accumulated point when the last one is still
//! below `t_last`; that point may lie past `t_last` and takes the last voltage.

/// Why the interpolation could not be done; eFEL then computes every feature on the raw
/// samples instead (its interpolation step returns an error that the feature chain ignores).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InterpolationFailure {
    /// A grid point fell on two samples with the same time.
    ZeroInterval,
    /// The grid would be empty (all samples at the same time).
    EmptyGrid,
}

/// Interpolates `y(x)` onto eFEL's grid of step `step`, writing the grid to `grid_x` and the
/// values to `grid_y` (both cleared first, capacity reused). `x` must be non-decreasing with at
/// least 3 samples and `step > 0`.
pub(crate) fn interpolate(
    step: f64,
    x: &[f64],
    y: &[f64],
    grid_x: &mut Vec<f64>,
    grid_y: &mut Vec<f64>,
) -> Result<(), InterpolationFailure> {
    grid_x.clear();
    grid_y.clear();
    let n = x.len();
    let start = x[0];
    let stop = x[n - 1];
    let count = ((stop - start) / step).ceil();
    if count < 1.0 {
        return Err(InterpolationFailure::EmptyGrid);
    }
    let count = count as usize;
    grid_x.reserve(count + 1);
    let mut acc = start;
    for _ in 0..count {
        grid_x.push(acc);
        acc += step;
    }
    if grid_x[count - 1] < stop {
        grid_x.push(acc);
    }

    grid_y.reserve(grid_x.len());
    // `j` only moves forward: the bracketing sample of the next grid point is at or after the
    // current one, so the whole pass is linear in the number of samples and grid points.
    let mut j = 0usize;
    for &gx in grid_x.iter() {
        while x[j + 1] < gx {
            j += 1;
            if j + 1 >= n {
                j = n - 1;
                break;
            }
        }
        if j == n - 1 {
            grid_y.push(y[j]);
            break;
        }
        let dx = x[j + 1] - x[j];
        if dx == 0.0 {
            return Err(InterpolationFailure::ZeroInterval);
        }
        let dydx = (y[j + 1] - y[j]) / dx;
        grid_y.push(y[j] + dydx * (gx - x[j]));
    }
    // eFEL stops filling values at the first grid point past the last sample; a grid longer
    // than its values can only arise from an accumulated step overshooting by more than one
    // point, which we keep consistent by trimming the grid.
    grid_x.truncate(grid_y.len());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_is_built_by_repeated_addition() {
        let x: Vec<f64> = (0..=100).map(|k| k as f64 * 0.25).collect();
        let y: Vec<f64> = x.iter().map(|t| 2.0 * t + 1.0).collect();
        let (mut gx, mut gy) = (vec![], vec![]);
        interpolate(0.1, &x, &y, &mut gx, &mut gy).unwrap();
        // 25 / 0.1 = 250 exactly representable division -> 250 points, the 250th accumulated
        // value is slightly below 25 so one more point is appended.
        let mut acc = 0.0f64;
        for (k, &g) in gx.iter().enumerate() {
            assert_eq!(g.to_bits(), acc.to_bits(), "grid point {k}");
            acc += 0.1;
        }
        assert_eq!(gx.len(), gy.len());
        assert!(gx.len() == 250 || gx.len() == 251);
        // Linear data is reproduced up to rounding.
        for (g, v) in gx.iter().zip(&gy).take(gx.len() - 1) {
            assert!((v - (2.0 * g + 1.0)).abs() < 1e-12);
        }
    }

    #[test]
    fn appended_point_takes_last_value() {
        let x = [0.0, 0.1, 0.25];
        let y = [0.0, 1.0, 5.0];
        let (mut gx, mut gy) = (vec![], vec![]);
        interpolate(0.1, &x, &y, &mut gx, &mut gy).unwrap();
        // ceil(0.25/0.1) = 3 points: 0, 0.1, 0.2; 0.2 < 0.25 so 0.30000000000000004 is added.
        assert_eq!(gx.len(), 4);
        assert!(gx[3] > 0.25);
        assert_eq!(gy[3], 5.0);
        assert!((gy[2] - (1.0 + 4.0 * (0.2 - 0.1) / 0.15)).abs() < 1e-12);
    }

    #[test]
    fn zero_interval_fails_like_efel() {
        let x = [0.0, 0.1, 0.1, 0.3];
        let y = [0.0, 1.0, 2.0, 3.0];
        let (mut gx, mut gy) = (vec![], vec![]);
        // The grid point 0.1 (after one addition) brackets on [0.0, 0.1]: fine. Use a step that
        // lands exactly on the duplicate from its left neighbour to trigger the failure.
        assert!(interpolate(0.1, &x, &y, &mut gx, &mut gy).is_ok());
        let x = [0.0, 0.0, 0.2];
        assert_eq!(interpolate(0.1, &x, &y[..3], &mut gx, &mut gy), Err(InterpolationFailure::ZeroInterval));
    }
}
