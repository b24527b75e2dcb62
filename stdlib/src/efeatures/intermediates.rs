//! Intermediates shared by many features (peaks, AHP troughs, AP onsets and ends, dV/dt,
//! voltage_base), computed at most once per trace and kept in a [`Cache`].
//!
//! Each slot is `None` until computed; a computed slot holds `None` when eFEL's computation of
//! that intermediate fails (which makes every feature that reads it fail), or its value. The
//! failure rules follow eFEL's dependency chains: a feature fails when an intermediate it reads
//! failed or is empty.

use super::numeric::{argmin_first, dvdt, first_at_or_after, first_local_min, seq_sum};
use super::peaks::{peak_indices, CrossingBuffers};
use super::settings::{BaseMode, Settings};

/// Per-trace cache of intermediates.
#[derive(Debug, Default)]
pub(crate) struct Cache {
    crossings: CrossingBuffers,
    peaks: Option<Option<Vec<usize>>>,
    min_ahp: Option<Option<Vec<usize>>>,
    ap_begin: Option<Option<Vec<usize>>>,
    ap_end: Option<Option<Vec<usize>>>,
    dvdt: Option<Vec<f64>>,
    voltage_base: Option<Option<f64>>,
}

impl Cache {
    /// Forgets everything (a new trace or new settings), keeping the crossing buffers.
    pub(crate) fn clear(&mut self) {
        self.peaks = None;
        self.min_ahp = None;
        self.ap_begin = None;
        self.ap_end = None;
        self.dvdt = None;
        self.voltage_base = None;
    }

    /// Peak indices, if detection succeeded (never empty).
    pub(crate) fn peaks(&self) -> Option<&[usize]> {
        self.peaks.as_ref().and_then(|p| p.as_deref())
    }

    /// First AHP trough after each peak, if any were found (never empty).
    pub(crate) fn min_ahp(&self) -> Option<&[usize]> {
        self.min_ahp.as_ref().and_then(|p| p.as_deref())
    }

    /// AP onset indices, if computable (may be empty).
    pub(crate) fn ap_begin(&self) -> Option<&[usize]> {
        self.ap_begin.as_ref().and_then(|p| p.as_deref())
    }

    /// AP end indices, if computable (may be empty).
    pub(crate) fn ap_end(&self) -> Option<&[usize]> {
        self.ap_end.as_ref().and_then(|p| p.as_deref())
    }

    /// `voltage_base`, if computable.
    pub(crate) fn voltage_base(&self) -> Option<f64> {
        self.voltage_base.flatten()
    }
}

/// What a feature computation sees: the (interpolated) trace, the settings and the cache.
pub(crate) struct Ctx<'a> {
    /// Time (ms) on eFEL's grid.
    pub t: &'a [f64],
    /// Voltage (mV) on eFEL's grid.
    pub v: &'a [f64],
    /// Settings.
    pub s: &'a Settings,
    /// Shared intermediates.
    pub cache: &'a mut Cache,
}

impl Ctx<'_> {
    /// Read-only view of the cache (after the `ensure_*` calls a feature needs).
    pub(crate) fn c(&self) -> &Cache {
        self.cache
    }

    /// Peak detection (`peak_indices`).
    pub(crate) fn ensure_peaks(&mut self) {
        if self.cache.peaks.is_some() {
            return;
        }
        let strict = self.s.strict_stiminterval.then_some((self.s.stim_start, self.s.stim_end));
        let mut out = Vec::new();
        let found =
            peak_indices(self.t, self.v, self.s.threshold, strict, &mut self.cache.crossings, &mut out)
                .is_ok();
        self.cache.peaks = Some(found.then_some(out));
    }

    /// `min_AHP_indices`: the first trough (eFEL's `first_min_element`) between consecutive
    /// peaks, and after the last peak up to the first sample at or after stim_end when
    /// `strict_stiminterval`, else to the end of the trace. A trough on the last sample of
    /// that final interval is not an AHP and is dropped.
    pub(crate) fn ensure_min_ahp(&mut self) {
        if self.cache.min_ahp.is_some() {
            return;
        }
        self.ensure_peaks();
        let result = self.cache.peaks().map(|peaks| {
            let end = if self.s.strict_stiminterval {
                first_at_or_after(self.t, self.s.stim_end)
            } else {
                self.t.len()
            };
            let mut out = Vec::with_capacity(peaks.len());
            for (i, &p) in peaks.iter().enumerate() {
                let next = peaks.get(i + 1).copied().unwrap_or(end);
                let idx = first_local_min(self.v, p, next);
                if idx != end.wrapping_sub(1) {
                    out.push(idx);
                }
            }
            out
        });
        self.cache.min_ahp = Some(result.filter(|m| !m.is_empty()));
    }

    /// dV/dt on the grid.
    pub(crate) fn ensure_dvdt(&mut self) {
        if self.cache.dvdt.is_none() {
            let mut d = Vec::new();
            dvdt(self.t, self.v, &mut d);
            self.cache.dvdt = Some(d);
        }
    }

    /// `AP_begin_indices`: for each peak after the stimulus onset sample, scan dV/dt backwards
    /// from the peak towards the preceding trough for the last sample at or below
    /// `DerivativeThreshold`; the onset candidate is the next sample, accepted only when the
    /// `DerivativeWindow` samples from it are all at or above the threshold (else the scan goes
    /// on before it). Troughs: the sample two before the onset sample, then `min_AHP_indices`
    /// after the onset sample. More peaks than troughs is a failure.
    pub(crate) fn ensure_ap_begin(&mut self) {
        if self.cache.ap_begin.is_some() {
            return;
        }
        self.ensure_min_ahp();
        self.ensure_dvdt();
        let c: &Cache = self.cache;
        let result = c.peaks().and_then(|peaks| {
            let ahp = c.min_ahp().unwrap_or(&[]);
            let d = c.dvdt.as_deref().unwrap_or(&[]);
            ap_begin_indices(self.t, d, self.s, peaks, ahp)
        });
        self.cache.ap_begin = Some(result);
    }

    /// `AP_end_indices`: for each peak after the stimulus onset sample, the steepest fall
    /// (first minimum of dV/dt) before the next such peak (or the last sample), then the first
    /// sample from there with dV/dt ≥ `DownDerivativeThreshold`; peaks without one are skipped.
    pub(crate) fn ensure_ap_end(&mut self) {
        if self.cache.ap_end.is_some() {
            return;
        }
        self.ensure_peaks();
        self.ensure_dvdt();
        let c: &Cache = self.cache;
        let result = c.peaks().map(|peaks| {
            let d = c.dvdt.as_deref().unwrap_or(&[]);
            let n = d.len();
            let onset = first_at_or_after(self.t, self.s.stim_start);
            let mut bounds: Vec<usize> = peaks.iter().copied().filter(|&p| p > onset).collect();
            bounds.push(n - 1);
            let mut out = Vec::with_capacity(bounds.len());
            for w in bounds.windows(2) {
                let (start, end) = (w[0] + 1, w[1]);
                if start >= end || start >= n || end >= n {
                    continue;
                }
                let steepest = argmin_first(d, start, end);
                if let Some(k) = (steepest..end).find(|&k| d[k] >= self.s.down_derivative_threshold) {
                    out.push(k);
                }
            }
            out
        });
        self.cache.ap_end = Some(result);
    }

    /// `voltage_base`: mean (or median) of V from the first sample at or after
    /// `voltage_base_start_perc`·stim_start through the last sample within
    /// `precision_threshold` of `voltage_base_end_perc`·stim_start. Fails when the window is
    /// empty by construction (start ≥ end, e.g. stim_start ≤ 0).
    pub(crate) fn ensure_voltage_base(&mut self) {
        if self.cache.voltage_base.is_some() {
            return;
        }
        let s = self.s;
        let start_time = s.stim_start * s.voltage_base_start_perc;
        let end_time = s.stim_start * s.voltage_base_end_perc;
        let result = if start_time >= end_time {
            None
        } else {
            let t = self.t;
            let lo = t.iter().position(|&x| x >= start_time).unwrap_or(0);
            let hi = (1..t.len())
                .rev()
                .find(|&i| t[i] - end_time < s.precision_threshold)
                .map_or(t.len(), |i| i + 1);
            if lo > hi {
                None
            } else {
                let w = &self.v[lo..hi];
                Some(match s.voltage_base_mode {
                    BaseMode::Mean => seq_sum(w) / w.len() as f64,
                    BaseMode::Median => median(w),
                })
            }
        };
        self.cache.voltage_base = Some(result);
    }
}

/// eFEL's `vec_median`: sort, middle element or mean of the two middle elements (NaN if empty).
fn median(w: &[f64]) -> f64 {
    if w.is_empty() {
        return f64::NAN;
    }
    let mut s = w.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[(n - 1) / 2] + s[n / 2]) / 2.0
    }
}

fn ap_begin_indices(
    t: &[f64],
    d: &[f64],
    s: &Settings,
    peaks: &[usize],
    ahp: &[usize],
) -> Option<Vec<usize>> {
    let n = t.len() as isize;
    let thr = s.derivative_threshold;
    let width = s.derivative_window as isize;
    let onset = first_at_or_after(t, s.stim_start);
    let mut minima = Vec::with_capacity(ahp.len() + 1);
    minima.push(onset.saturating_sub(if onset > 1 { 2 } else { 1 }));
    minima.extend(ahp.iter().copied().filter(|&a| a > onset));
    let late_peaks: Vec<usize> = peaks.iter().copied().filter(|&p| p > onset).collect();
    if minima.len() < late_peaks.len() {
        return None;
    }
    let mut out = Vec::with_capacity(late_peaks.len());
    for (i, &peak) in late_peaks.iter().enumerate() {
        let lo = minima[i] as isize;
        let mut newbegin = peak as isize;
        let found = loop {
            if newbegin < lo {
                // The C++ reverse scan would run outside its range here; no onset.
                break None;
            }
            // Last sample in [lo, newbegin) with dV/dt <= threshold; the candidate is the next.
            let mut begin = (lo..newbegin).rev().find(|&k| d[k as usize] <= thr).map_or(lo, |k| k + 1);
            if begin > n - width {
                begin = n - width;
            }
            if begin == lo || begin < 0 {
                break None;
            }
            newbegin = begin - 1;
            let window = begin..(begin + width).min(n);
            if !window.clone().any(|k| d[k as usize] < thr) {
                break Some(begin as usize);
            }
        };
        if let Some(b) = found {
            out.push(b);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn onset_is_where_the_slope_stays_above_threshold() {
        // Unit time steps: flat, a short blip of slope 20 (one sample), flat, then a sustained
        // rise of slope 20 up to a peak at index 12.
        let v = [0.0, 0.0, 0.0, 20.0, 20.0, 20.0, 20.0, 20.0, 40.0, 60.0, 80.0, 100.0, 120.0, 0.0];
        let t: Vec<f64> = (0..v.len()).map(|i| i as f64).collect();
        let mut d = vec![];
        dvdt(&t, &v, &mut d);
        let s = Settings::new(0.0, 100.0);
        let got = ap_begin_indices(&t, &d, &s, &[12], &[]).unwrap();
        // dV/dt: [0,0,10,10,0,0,0,10,20,20,20,20,-60,-120]; last sample <= 10 before the peak is
        // index 7 -> candidate 8; window 8..11 all >= 10 -> accepted.
        assert_eq!(got, vec![8]);
    }
}
