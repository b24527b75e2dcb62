//! Spike detection: eFEL's `peak_indices`.
//!
//! An up-crossing is a sample strictly above the threshold whose predecessor is strictly below
//! it; a down-crossing the reverse (samples exactly at the threshold never count). Down-crossings
//! before the first up-crossing are dropped (a trace that starts above threshold), ups beyond
//! the number of downs are dropped (an unfinished last spike), and the i-th up is paired with
//! the i-th down *by position*. The peak of a pair is the first maximum on [up, down]; a pair
//! whose down precedes its up (possible when a crossing lands exactly on the threshold) yields
//! no peak. With `strict_stiminterval` only peaks with stim_start ≤ t ≤ stim_end are kept.

/// Why there are no peaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoPeaks {
    /// The voltage never goes below (after being above) the threshold.
    NoDownCrossing,
    /// The voltage never crosses the threshold upwards.
    NoUpCrossing,
    /// Crossings exist but no peak survived (pairing or the stimulus window).
    Empty,
}

/// Scratch buffers of the crossing lists, kept by the caller to avoid reallocating per trace.
#[derive(Debug, Default)]
pub(crate) struct CrossingBuffers {
    up: Vec<usize>,
    down: Vec<usize>,
}

/// Detects peaks of `v` (on time base `t`) and writes their indices to `out`.
pub(crate) fn peak_indices(
    t: &[f64],
    v: &[f64],
    threshold: f64,
    strict: Option<(f64, f64)>,
    buffers: &mut CrossingBuffers,
    out: &mut Vec<usize>,
) -> Result<(), NoPeaks> {
    out.clear();
    let (up, down) = (&mut buffers.up, &mut buffers.down);
    up.clear();
    down.clear();
    for i in 1..v.len() {
        if v[i] > threshold && v[i - 1] < threshold {
            up.push(i);
        } else if v[i] < threshold && v[i - 1] > threshold {
            down.push(i);
        }
    }
    if down.is_empty() {
        return Err(NoPeaks::NoDownCrossing);
    }
    if up.is_empty() {
        return Err(NoPeaks::NoUpCrossing);
    }
    let skip = down.iter().take_while(|&&d| d < up[0]).count();
    let down = &down[skip..];
    let pairs = up.len().min(down.len());
    for (&u, &d) in up[..pairs].iter().zip(down) {
        if d < u {
            continue;
        }
        // First maximum on [u, d]; eFEL starts its running maximum at -1e9, so a peak below
        // that value (never in practice) would not register.
        let mut best = -1e9;
        let mut at = None;
        for j in u..=d {
            if best < v[j] {
                best = v[j];
                at = Some(j);
            }
        }
        if let Some(p) = at {
            match strict {
                Some((s0, s1)) if !(t[p] >= s0 && t[p] <= s1) => {}
                _ => out.push(p),
            }
        }
    }
    if out.is_empty() {
        Err(NoPeaks::Empty)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect(v: &[f64], strict: Option<(f64, f64)>) -> Result<Vec<usize>, NoPeaks> {
        let t: Vec<f64> = (0..v.len()).map(|i| i as f64).collect();
        let mut out = vec![];
        peak_indices(&t, v, 0.0, strict, &mut CrossingBuffers::default(), &mut out).map(|_| out)
    }

    #[test]
    fn pairs_crossings_and_takes_first_maximum() {
        let v = [-1.0, 2.0, 5.0, 5.0, -1.0, -2.0, 3.0, -1.0];
        assert_eq!(detect(&v, None), Ok(vec![2, 6]));
    }

    #[test]
    fn trace_starting_above_threshold_and_unfinished_spike() {
        // Starts above threshold (leading down dropped), ends above threshold (extra up dropped).
        let v = [4.0, 1.0, -1.0, 3.0, -1.0, 6.0];
        assert_eq!(detect(&v, None), Ok(vec![3]));
    }

    #[test]
    fn samples_on_the_threshold_do_not_cross() {
        assert_eq!(detect(&[-1.0, 0.0, 1.0, 2.0], None), Err(NoPeaks::NoDownCrossing));
        assert_eq!(detect(&[1.0, -1.0, -2.0], None), Err(NoPeaks::NoUpCrossing));
        // The rise through 0.0 is not an up-crossing but the following fall is a down-crossing:
        // positional pairing then meets a down before its up and that pair gives no peak.
        let v = [-1.0, 1.0, -1.0, 0.0, 1.0, -1.0, 2.0, -1.0];
        assert_eq!(detect(&v, None), Ok(vec![1]));
    }

    #[test]
    fn strict_window_filters_peaks() {
        let v = [-1.0, 2.0, -1.0, -1.0, 3.0, -1.0];
        assert_eq!(detect(&v, Some((3.0, 5.0))), Ok(vec![4]));
        assert_eq!(detect(&v, Some((5.0, 9.0))), Err(NoPeaks::Empty));
    }
}
