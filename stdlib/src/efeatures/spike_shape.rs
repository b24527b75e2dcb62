//! Action potential shape features (eFEL's `SpikeShape` family): heights, amplitudes, widths,
//! AP onsets, rise and fall times, AHPs.

use super::feature::Feature;
use super::intermediates::Ctx;
use super::numeric::{argmin_first, find_if, first_at_or_after};

/// eFEL's C++ features report an empty result as a failure.
fn nonempty(v: Vec<f64>) -> Option<Vec<f64>> {
    (!v.is_empty()).then_some(v)
}

/// Computes a spike shape feature; `None` where eFEL gives None.
pub(crate) fn compute(cx: &mut Ctx<'_>, f: Feature) -> Option<Vec<f64>> {
    use Feature::*;
    match f {
        PeakVoltage | ApHeight => {
            cx.ensure_peaks();
            Some(cx.c().peaks()?.iter().map(|&i| cx.v[i]).collect())
        }
        ApAmplitude => ap_amplitude(cx),
        Ap1Amp => ap_amplitude(cx).map(|a| vec![a[0]]),
        Ap2Amp => ap_amplitude(cx).and_then(|a| a.get(1).map(|&x| vec![x])),
        ApLastAmp => ap_amplitude(cx).map(|a| vec![a[a.len() - 1]]),
        MeanApAmplitude => ap_amplitude(cx).map(|a| {
            let mut sum = 0.0;
            for x in &a {
                sum += x;
            }
            vec![sum / a.len() as f64]
        }),
        ApAmplitudeFromVoltagebase => {
            cx.ensure_voltage_base();
            cx.ensure_peaks();
            let vb = cx.c().voltage_base()?;
            Some(cx.c().peaks()?.iter().map(|&i| cx.v[i] - vb).collect())
        }
        ApBeginVoltage => {
            cx.ensure_ap_begin();
            let b = cx.c().ap_begin().filter(|b| !b.is_empty())?;
            Some(b.iter().map(|&i| cx.v[i]).collect())
        }
        MinAhpValues | AhpDepthAbs => {
            cx.ensure_min_ahp();
            Some(cx.c().min_ahp()?.iter().map(|&i| cx.v[i]).collect())
        }
        AhpDepth => {
            cx.ensure_voltage_base();
            cx.ensure_min_ahp();
            let vb = cx.c().voltage_base()?;
            Some(cx.c().min_ahp()?.iter().map(|&i| cx.v[i] - vb).collect())
        }
        AhpDepthAbsSlow => slow_ahp(cx).map(|(depth, _)| depth),
        AhpSlowTime => slow_ahp(cx).map(|(_, time)| time),
        ApWidth => ap_width(cx),
        SpikeHalfWidth => spike_half_width(cx),
        ApDurationHalfWidth => ap_duration_half_width(cx),
        ApRiseTime => ap_rise_time(cx),
        ApFallTime => ap_fall_time(cx),
        _ => None,
    }
}

/// `AP_amplitude`: the i-th peak inside [stim_start, stim_end] minus V at the i-th AP onset
/// (paired by order); fails when there are more such peaks than onsets.
fn ap_amplitude(cx: &mut Ctx<'_>) -> Option<Vec<f64>> {
    cx.ensure_ap_begin();
    let (t, v, s) = (cx.t, cx.v, cx.s);
    let begin = cx.c().ap_begin().filter(|b| !b.is_empty())?;
    let peaks = cx.c().peaks()?;
    let during: Vec<f64> =
        peaks.iter().filter(|&&p| t[p] >= s.stim_start && t[p] <= s.stim_end).map(|&p| v[p]).collect();
    if during.len() > begin.len() {
        return None;
    }
    nonempty(during.iter().zip(begin).map(|(pv, &b)| pv - v[b]).collect())
}

/// `AHP_depth_abs_slow` and `AHP_slow_time`: for each peak i+1 (i from 0 to N−3), the first
/// minimum of V from the first sample at or after t_peak + `sahp_start` up to the next peak,
/// and its position as a fraction of that ISI. Needs three peaks.
fn slow_ahp(cx: &mut Ctx<'_>) -> Option<(Vec<f64>, Vec<f64>)> {
    cx.ensure_peaks();
    let (t, v) = (cx.t, cx.v);
    let p = cx.c().peaks()?;
    if p.len() < 3 {
        return None;
    }
    let mut depth = Vec::with_capacity(p.len() - 2);
    let mut time = Vec::with_capacity(p.len() - 2);
    for i in 0..p.len() - 2 {
        let t_start = t[p[i + 1]] + cx.s.sahp_start;
        let from = (p[i + 1]..p[i + 2]).find(|&k| t[k] >= t_start).unwrap_or(p[i + 2]);
        let k = argmin_first(v, from, p[i + 2]);
        depth.push(v[k]);
        time.push((t[k] - t[p[i + 1]]) / (t[p[i + 2]] - t[p[i + 1]]));
    }
    Some((depth, time))
}

/// `AP_width`: windows between [the first sample at or after stim_start, the AHP troughs
/// inside the stimulus] with `strict_stiminterval`, else [0, all troughs]; in each window the
/// time from the first sample ≥ `Threshold` to the next sample ≤ `Threshold`.
fn ap_width(cx: &mut Ctx<'_>) -> Option<Vec<f64>> {
    cx.ensure_min_ahp();
    let (t, v, s) = (cx.t, cx.v, cx.s);
    let ahp = cx.c().min_ahp()?;
    let mut bounds = Vec::with_capacity(ahp.len() + 1);
    if s.strict_stiminterval {
        let start = first_at_or_after(t, s.stim_start);
        let end = first_at_or_after(t, s.stim_end);
        bounds.push(start);
        bounds.extend(ahp.iter().copied().filter(|&a| start < a && a < end));
    } else {
        bounds.push(0);
        bounds.extend_from_slice(ahp);
    }
    let thr = s.threshold;
    let mut out = Vec::with_capacity(bounds.len());
    for w in bounds.windows(2) {
        let onset = find_if(v, w[0], w[1], |x| x >= thr);
        let end = find_if(v, onset, w[1], |x| x <= thr);
        out.push(t[end] - t[onset]);
    }
    nonempty(out)
}

/// `spike_half_width`: for each AHP trough, the peak before it and the previous trough (or the
/// stimulus onset sample); half level (V_peak + V_trough)/2; rise and fall crossings of the
/// half level, each refined by linear interpolation over the preceding sample interval.
fn spike_half_width(cx: &mut Ctx<'_>) -> Option<Vec<f64>> {
    cx.ensure_min_ahp();
    let (t, v) = (cx.t, cx.v);
    let ahp = cx.c().min_ahp()?;
    let peaks = cx.c().peaks()?;
    let mut bounds = Vec::with_capacity(ahp.len() + 1);
    bounds.push(first_at_or_after(t, cx.s.stim_start));
    bounds.extend_from_slice(ahp);
    let mut out = Vec::with_capacity(ahp.len());
    for i in 1..bounds.len() {
        let peak = peaks[i - 1];
        let half = (v[peak] + v[bounds[i]]) / 2.0;
        let rise = find_if(v, bounds[i - 1], peak, |x| x >= half);
        let fall = find_if(v, peak, bounds[i], |x| x <= half);
        if rise == 0 || fall == 0 {
            return None;
        }
        let t_dev_rise = (t[rise] - t[rise - 1]) * (half - v[rise]) / (v[rise] - v[rise - 1]);
        let t_dev_fall = (t[fall] - t[fall - 1]) * (half - v[fall]) / (v[fall] - v[fall - 1]);
        out.push(t[fall] - t_dev_rise - t[rise] + t_dev_fall);
    }
    nonempty(out)
}

/// `AP_duration_half_width` from `AP_rise_indices` and `AP_fall_indices`. Both pair the i-th
/// AP onset with the i-th peak of *all* peaks; the rise index is the sample of [onset, peak)
/// closest to the half height, the fall index the sample of [peak, AP end) closest to it.
fn ap_duration_half_width(cx: &mut Ctx<'_>) -> Option<Vec<f64>> {
    cx.ensure_ap_begin();
    cx.ensure_ap_end();
    let (t, v) = (cx.t, cx.v);
    let begin = cx.c().ap_begin().filter(|b| !b.is_empty())?;
    let peaks = cx.c().peaks()?;
    let n = begin.len().min(peaks.len());
    let mut rise = vec![0usize; n];
    for i in 0..n {
        if peaks[i] < begin[i] {
            return None;
        }
        let half = (v[peaks[i]] + v[begin[i]]) / 2.0;
        rise[i] = closest(v, begin[i], peaks[i], half);
    }
    let end = cx.c().ap_end().filter(|e| !e.is_empty())?;
    let mut fall = vec![0usize; n];
    for i in 0..n {
        // With fewer AP ends than pairs eFEL reads past the end of its AP_end_indices copy
        // (undefined behaviour: heap garbage decides). We take its explicit skip path, which
        // leaves the fall index at 0, as eFEL itself does for some of these reads.
        let Some(&e) = end.get(i) else { continue };
        if peaks[i] > e {
            continue;
        }
        let half = (v[peaks[i]] + v[begin[i]]) / 2.0;
        fall[i] = closest(v, peaks[i], e, half);
    }
    nonempty((0..n).map(|i| t[fall[i]] - t[rise[i]]).collect())
}

/// Index of the first sample of `v[lo..hi]` closest to `level` (`lo` for an empty range).
fn closest(v: &[f64], lo: usize, hi: usize, level: f64) -> usize {
    let mut best = lo;
    let mut best_d = f64::INFINITY;
    for (k, &x) in v.iter().enumerate().take(hi).skip(lo) {
        let d = (x - level).abs();
        if d < best_d {
            best_d = d;
            best = k;
        }
    }
    best
}

/// `AP_rise_time`: for the i-th AP onset and the i-th peak after the first onset, the time from
/// the first sample ≥ V_begin + `rise_start_perc`·amplitude to the last sample (going back from
/// the peak) ≤ V_begin + `rise_end_perc`·amplitude, with a 1e-13 mV tolerance.
fn ap_rise_time(cx: &mut Ctx<'_>) -> Option<Vec<f64>> {
    cx.ensure_ap_begin();
    let (t, v, s) = (cx.t, cx.v, cx.s);
    let begin = cx.c().ap_begin().filter(|b| !b.is_empty())?;
    let peaks = cx.c().peaks()?;
    let later: Vec<usize> = peaks.iter().copied().filter(|&p| p > begin[0]).collect();
    let n = begin.len().min(peaks.len());
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let (b, p) = (begin[i], *later.get(i)?);
        let amplitude = v[p] - v[b];
        let begin_v = v[b] + s.rise_start_perc * amplitude;
        let end_v = v[b] + s.rise_end_perc * amplitude;
        let mut j = b;
        while j < p && v[j] < begin_v - 1e-13 {
            j += 1;
        }
        let start = j;
        let mut j = p;
        while j > b && v[j] > end_v + 1e-13 {
            j -= 1;
        }
        out.push(t[j] - t[start]);
    }
    nonempty(out)
}

/// `AP_fall_time`: time from each peak after stim_start to its AP end.
fn ap_fall_time(cx: &mut Ctx<'_>) -> Option<Vec<f64>> {
    cx.ensure_ap_end();
    let (t, s0) = (cx.t, cx.s.stim_start);
    let end = cx.c().ap_end().filter(|e| !e.is_empty())?;
    let peaks = cx.c().peaks()?;
    let later: Vec<usize> = peaks.iter().copied().filter(|&p| t[p] > s0).collect();
    let n = peaks.len().min(end.len());
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        out.push(t[end[i]] - t[*later.get(i)?]);
    }
    nonempty(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_sample_to_a_level() {
        let v = [0.0, 2.0, 4.9, 5.1, 8.0];
        assert_eq!(closest(&v, 0, 5, 5.0), 2);
        assert_eq!(closest(&v, 3, 3, 5.0), 3);
    }
}
