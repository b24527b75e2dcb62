//! Subthreshold features (eFEL's `Subthreshold` family): baselines, steady states, deflections,
//! input resistance, decay time constant, extreme voltages.

use super::feature::Feature;
use super::intermediates::Ctx;
use super::numeric::{argmax_first, argmin_first, first_at_or_after, seq_sum, straight_line_slope};

/// Computes a subthreshold feature; `None` where eFEL gives None.
pub(crate) fn compute(cx: &mut Ctx<'_>, f: Feature) -> Option<Vec<f64>> {
    use Feature::*;
    let one = |x: f64| Some(vec![x]);
    match f {
        VoltageBase => {
            cx.ensure_voltage_base();
            one(cx.c().voltage_base()?)
        }
        SteadyStateVoltage => one(steady_state_voltage(cx)),
        SteadyStateVoltageStimend => one(steady_state_voltage_stimend(cx)?),
        VoltageDeflection => one(voltage_deflection(cx)?),
        VoltageDeflectionBegin => one(voltage_deflection_begin(cx)),
        VoltageDeflectionVbSsse => one(deflection_vb_ssse(cx)?),
        VoltageAfterStim => one(voltage_after_stim(cx)?),
        DecayTimeConstantAfterStim => one(decay_time_constant_after_stim(cx)?),
        MaximumVoltage => one(max_min_voltage(cx)?.0),
        MinimumVoltage => one(max_min_voltage(cx)?.1),
        MaximumVoltageFromVoltagebase => {
            cx.ensure_voltage_base();
            let vb = cx.c().voltage_base()?;
            one(max_min_voltage(cx)?.0 - vb)
        }
        OhmicInputResistance => {
            let current = cx.s.stimulus_current?;
            let deflection = voltage_deflection(cx)?;
            (current != 0.0).then(|| vec![deflection / current])
        }
        OhmicInputResistanceVbSsse => {
            let deflection = deflection_vb_ssse(cx)?;
            let current = cx.s.stimulus_current?;
            (current != 0.0).then(|| vec![deflection / current])
        }
        _ => None,
    }
}

/// Mean of V over the samples after stim_end (NaN when there are none).
fn steady_state_voltage(cx: &Ctx<'_>) -> f64 {
    let (t, v) = (cx.t, cx.v);
    let mut sum = 0.0;
    let mut count = 0usize;
    let mut i = t.len();
    while i > 0 && t[i - 1] > cx.s.stim_end {
        i -= 1;
        sum += v[i];
        count += 1;
    }
    sum / count as f64
}

/// Mean of V from the first sample at or after stim_end − 10 % of the stimulus up to (not
/// including) the first sample at or after stim_end.
fn steady_state_voltage_stimend(cx: &Ctx<'_>) -> Option<f64> {
    let s = cx.s;
    let start = first_at_or_after(cx.t, s.stim_end - 0.1 * (s.stim_end - s.stim_start));
    let stop = first_at_or_after(cx.t, s.stim_end);
    (stop > start).then(|| seq_sum(&cx.v[start..stop]) / (stop - start) as f64)
}

fn deflection_vb_ssse(cx: &mut Ctx<'_>) -> Option<f64> {
    cx.ensure_voltage_base();
    let vb = cx.c().voltage_base()?;
    Some(steady_state_voltage_stimend(cx)? - vb)
}

/// Mean of the 5 samples ending 5 samples before the first sample after stim_end, minus the
/// mean of the samples before stim_start.
fn voltage_deflection(cx: &Ctx<'_>) -> Option<f64> {
    const WINDOW: usize = 5;
    let (t, v, s) = (cx.t, cx.v, cx.s);
    let mut base = 0.0;
    let mut base_size = 0usize;
    let mut end_index = 0usize;
    for i in 0..t.len() {
        if t[i] < s.stim_start {
            base += v[i];
            base_size += 1;
        }
        if t[i] > s.stim_end {
            end_index = i;
            break;
        }
    }
    if base_size == 0 || end_index < 2 * WINDOW {
        return None;
    }
    base /= base_size as f64;
    let mut mean = 0.0;
    for &x in &v[end_index - 2 * WINDOW..end_index - WINDOW] {
        mean += x;
    }
    Some(mean / WINDOW as f64 - base)
}

/// Mean of V over (stim_start + 5 %, stim_start + 15 %] of the stimulus, minus the mean of the
/// leading samples before stim_start (NaN parts when a window is empty).
fn voltage_deflection_begin(cx: &Ctx<'_>) -> f64 {
    let (t, v, s) = (cx.t, cx.v, cx.s);
    let duration = s.stim_end - s.stim_start;
    let range_begin = s.stim_start + duration * (0.10 / 2.0);
    let range_stop = range_begin + duration * 0.10;
    let leading = t.iter().take_while(|&&x| x < s.stim_start).count();
    let base = seq_sum(&v[..leading]) / leading as f64;
    let mut volt = 0.0;
    let mut count = 0usize;
    for i in 0..t.len() {
        if t[i] > range_stop {
            break;
        }
        if t[i] > range_begin {
            volt += v[i];
            count += 1;
        }
    }
    volt / count as f64 - base
}

/// Mean of V from the first sample at or after stim_end + 25 % of the remaining time, through
/// the first sample past stim_end + 75 % of it.
fn voltage_after_stim(cx: &Ctx<'_>) -> Option<f64> {
    let (t, v, s1) = (cx.t, cx.v, cx.s.stim_end);
    let last = t[t.len() - 1];
    let start = s1 + (last - s1) * 0.25;
    let end = s1 + (last - s1) * 0.75;
    let mut sum = 0.0;
    let mut count = 0usize;
    for i in 0..t.len() {
        if t[i] >= start {
            sum += v[i];
            count += 1;
        }
        if t[i] > end {
            break;
        }
    }
    (count > 0).then(|| sum / count as f64)
}

/// |τ| of a straight-line fit of ln|V − V(stim_start)| against t over [stim_end +
/// `decay_start_after_stim`, stim_end + `decay_end_after_stim`).
fn decay_time_constant_after_stim(cx: &Ctx<'_>) -> Option<f64> {
    let (t, v, s) = (cx.t, cx.v, cx.s);
    if s.decay_start_after_stim >= s.decay_end_after_stim {
        return None;
    }
    let reference = *v.get(first_at_or_after(t, s.stim_start))?;
    let lo = first_at_or_after(t, s.stim_end + s.decay_start_after_stim);
    let hi = first_at_or_after(t, s.stim_end + s.decay_end_after_stim);
    if hi <= lo {
        return None;
    }
    let times = &t[lo..hi];
    let logs: Vec<f64> = v[lo..hi].iter().map(|x| (x - reference).abs().ln()).collect();
    let slope = straight_line_slope(times, &logs);
    Some((-1.0 / slope).abs())
}

/// Maximum and minimum of V on [first sample ≥ stim_start, first sample ≥ stim_end), stim_end
/// clipped to the trace end; an empty range reads the sample at its end, as eFEL does.
fn max_min_voltage(cx: &Ctx<'_>) -> Option<(f64, f64)> {
    let (t, v, s) = (cx.t, cx.v, cx.s);
    let last = t[t.len() - 1];
    if s.stim_start > last {
        return None;
    }
    let stim_end = s.stim_end.min(last);
    let lo = first_at_or_after(t, s.stim_start);
    let hi = first_at_or_after(t, stim_end);
    if lo >= t.len() || hi >= t.len() {
        return None;
    }
    Some((v[argmax_first(v, lo, hi)], v[argmin_first(v, lo, hi)]))
}
