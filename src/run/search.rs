//! The searches of threshold-based protocols, with BluePyEModel's algorithms (its
//! `SearchHoldingCurrent`, `RMPProtocol`, `RinProtocol` and `SearchThresholdCurrent`):
//!
//! * holding current: bisection on a constant current I from t = 0 for `duration`; V(I) is
//!   `steady_state_voltage_stimend` with the window [duration − 100, duration] (the mean of the
//!   last 10 ms); a trial that spikes (Spikecount > 0 over [0, duration]) counts as too
//!   depolarised; stop when |V − target| < tolerance (return mid) or after `max_depth` (return
//!   the lower bound);
//! * resting potential: the same measure with no current, over `rmp_duration`;
//! * input resistance: `ohmic_input_resistance_vb_ssse` of a `rin_amplitude` step on top of the
//!   holding current;
//! * threshold current: steps on top of the holding current; the upper bound is
//!   min((max_voltage − RMP)/Rin, 2 nA) and must spike, the lower bound is the holding current
//!   (used as a step amplitude, as BluePyEModel does) and must not; bisection on the spike count
//!   until the bracket is narrower than `precision` or deeper than `max_depth`, returning the
//!   upper bound. The result is the step *above* the holding current.
//!
//! Differences from BluePyEModel: trials use the recipe's fixed time step (BluePyEModel uses
//! CVODE for these protocols), and there is no timeout.

use super::Runner;
use myelin_compiler::recipe::lower::{self, RunValues};
use myelin_runtime::spec::{ProbeSpec, SimulationSpec, StimulusSpec};
use myelin_stdlib::efeatures::{Feature, FeatureExtractor, Settings, Trace};
use myelin_stdlib::efel_settings;
use serde_json::json;
use std::collections::BTreeMap;

/// Results of the searches for one parameter set.
#[derive(Debug, Clone, PartialEq)]
pub struct Currents {
    /// Holding current (nA); 0 when no holding search runs.
    pub holding: f64,
    /// Threshold current above the holding current (nA), when searched and found.
    pub threshold: Option<f64>,
    /// Resting potential (mV), when measured.
    pub rmp: Option<f64>,
    /// Input resistance (MΩ), when measured.
    pub rin: Option<f64>,
    /// Whether the holding current was searched.
    pub holding_searched: bool,
}

impl Currents {
    /// As JSON.
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "holding_current": if self.holding_searched { Some(self.holding) } else { None },
            "threshold_current": self.threshold,
            "rmp": self.rmp,
            "rin": self.rin,
        })
    }
}

/// A trial: the search cell with these stimuli for `tstop`, voltage at the search location.
fn trial(
    r: &mut Runner<'_>,
    params: &[f64],
    stimuli: Vec<StimulusSpec>,
    tstop: f64,
    label: &str,
) -> Result<(Vec<f64>, Vec<f64>), String> {
    let m = r.model;
    let s = &m.search;
    let at = s.at.ok_or("the searches need a location")?;
    let cell = &m.cells[s.cell];
    let values = RunValues { params, holding: None, threshold: None };
    let mut ion_defaults = BTreeMap::new();
    let cs = lower::cell_spec(m, s.cell, &values, &mut ion_defaults)?;
    let location = lower::cell_location(cell, at);
    let spec = SimulationSpec {
        cells: vec![cs],
        artificial_cells: vec![],
        spike_sources: vec![],
        connections: vec![],
        stimuli: stimuli
            .into_iter()
            .map(|mut st| {
                set_location(&mut st, location.clone());
                st
            })
            .collect(),
        probes: vec![ProbeSpec::V { name: "v".into(), location }],
        globals: lower::globals(m, &values)?,
        ion_defaults,
        run: lower::run_spec(m, tstop, None, &values)?,
    };
    let sim = r.simulate(&spec, params, label)?;
    let tr = sim.trace("v").ok_or("no trace")?;
    Ok((tr.t.to_vec(), tr.values.to_vec()))
}

fn set_location(st: &mut StimulusSpec, loc: myelin_runtime::spec::CellLocation) {
    match st {
        StimulusSpec::Iclamp { location, .. }
        | StimulusSpec::Holding { location, .. }
        | StimulusSpec::Ramp { location, .. }
        | StimulusSpec::Waveform { location, .. }
        | StimulusSpec::Noise { location, .. }
        | StimulusSpec::Seclamp { location, .. } => *location = loc,
    }
}

fn placeholder() -> myelin_runtime::spec::CellLocation {
    myelin_runtime::spec::CellLocation { cell: String::new(), section: String::new(), x: 0.5 }
}

fn step(delay: f64, duration: f64, amplitude: f64) -> StimulusSpec {
    StimulusSpec::Iclamp { id: None, location: placeholder(), delay, duration, amplitude }
}

fn holding(amplitude: f64) -> StimulusSpec {
    StimulusSpec::Holding { id: None, location: placeholder(), amplitude }
}

/// A feature of a trace with BluePyEModel's settings (and the recipe's global eFEL settings).
fn feature(
    r: &Runner<'_>,
    t: &[f64],
    v: &[f64],
    f: Feature,
    window: (f64, f64),
    current: Option<f64>,
) -> Option<f64> {
    let mut s = Settings::bluepyemodel(window.0, window.1);
    for (name, val) in &r.model.settings.efel {
        let _ = efel_settings::apply_setting(&mut s, name, &super::evaluate::setting(val));
    }
    s.stim_start = window.0;
    s.stim_end = window.1;
    s.stimulus_current = current;
    let trace = Trace::new(t, v).ok()?;
    let mut ex = FeatureExtractor::new(trace, s).ok()?;
    ex.get(f).and_then(|x| x.first().copied())
}

/// eFEL's Spikecount with its defaults in the window (BluePyOpt's plain eFELFeature), with the
/// search's spike threshold.
fn spikes(t: &[f64], v: &[f64], window: (f64, f64), threshold: f64) -> Option<f64> {
    let mut s = Settings::new(window.0, window.1);
    s.threshold = threshold;
    let mut ex = FeatureExtractor::new(Trace::new(t, v).ok()?, s).ok()?;
    ex.get(Feature::Spikecount).and_then(|x| x.first().copied())
}

/// V(I) of the holding search: None when the trial spikes or fails.
fn holding_voltage(r: &mut Runner<'_>, params: &[f64], i: f64) -> Option<f64> {
    let h = r.model.search.holding.clone();
    let threshold = r.model.search.threshold.spike_threshold;
    let (t, v) =
        trial(r, params, vec![step(0.0, h.duration, i)], h.duration, "search holding_current").ok()?;
    if spikes(&t, &v, (0.0, h.duration), threshold) != Some(0.0) {
        return None;
    }
    feature(r, &t, &v, Feature::SteadyStateVoltageStimend, (h.duration - 100.0, h.duration), Some(0.0))
}

fn holding_search(r: &mut Runner<'_>, params: &[f64]) -> Result<f64, String> {
    let h = r.model.search.holding.clone();
    let target = h.target.ok_or("the holding search has no target voltage")?;
    let (mut lo, mut hi) = (h.lower, h.upper);
    if !h.strict_bounds {
        // Widen by 0.2 nA until the bounds bracket the target (at most 50 times).
        for _ in 0..50 {
            let v = holding_voltage(r, params, lo).unwrap_or(1e10);
            if v <= target {
                break;
            }
            lo -= 0.2;
        }
        for _ in 0..50 {
            match holding_voltage(r, params, hi) {
                Some(v) if v < target => hi += 0.2,
                _ => break,
            }
        }
    }
    let mut depth = 0u64;
    loop {
        let mid = (hi + lo) * 0.5;
        // A bracket that can no longer be halved ends the search like `max_depth` does (a
        // tolerance finer than the voltages the currents give would otherwise never be met).
        if mid == lo || mid == hi {
            return Ok(lo);
        }
        let v = holding_voltage(r, params, mid);
        if depth > u64::from(h.max_depth) {
            return Ok(lo);
        }
        if let Some(v) = v {
            if (v - target).abs() < h.tolerance {
                return Ok(mid);
            }
        }
        match v {
            None => hi = mid,
            Some(v) if v > target => hi = mid,
            Some(_) => lo = mid,
        }
        depth += 1;
    }
}

fn threshold_spikes(r: &mut Runner<'_>, params: &[f64], hold: f64, amp: f64) -> Result<f64, String> {
    let t = r.model.search.threshold.clone();
    let (tt, v) = trial(
        r,
        params,
        vec![holding(hold), step(t.delay, t.duration, amp)],
        t.total,
        "search threshold_current",
    )?;
    Ok(spikes(&tt, &v, (t.delay, t.delay + t.duration), t.spike_threshold).unwrap_or(0.0))
}

/// Runs the searches a model's protocols need.
pub fn find(r: &mut Runner<'_>, params: &[f64]) -> Result<Currents, String> {
    use myelin_compiler::recipe::expr::CurrentVar;
    let m = r.model;
    let needs_threshold = m.protocols.iter().any(|p| p.uses(CurrentVar::Threshold));
    let holding_searched =
        m.search.holding_declared || m.protocols.iter().any(|p| p.uses(CurrentVar::Holding));
    let hold = if holding_searched { holding_search(r, params)? } else { 0.0 };
    let mut out = Currents { holding: hold, threshold: None, rmp: None, rin: None, holding_searched };
    if !needs_threshold {
        return Ok(out);
    }
    let t = m.search.threshold.clone();
    let (tt, v) = trial(r, params, vec![], t.rmp_duration, "search rmp")?;
    let rmp = feature(
        r,
        &tt,
        &v,
        Feature::SteadyStateVoltageStimend,
        (t.rmp_duration - 100.0, t.rmp_duration),
        Some(0.0),
    )
    .ok_or("the resting potential could not be measured")?;
    out.rmp = Some(rmp);
    let (tt, v) = trial(
        r,
        params,
        vec![holding(hold), step(t.rin_delay, t.rin_duration, t.rin_amplitude)],
        t.rin_total,
        "search rin",
    )?;
    let rin = feature(
        r,
        &tt,
        &v,
        Feature::OhmicInputResistanceVbSsse,
        (t.rin_delay, t.rin_delay + t.rin_duration),
        Some(t.rin_amplitude),
    )
    .ok_or("the input resistance could not be measured")?;
    out.rin = Some(rin);
    let upper = ((t.max_voltage - rmp) / rin).min(2.0);
    if threshold_spikes(r, params, hold, upper)? == 0.0 {
        return Err(format!("the threshold search failed: no spike at its upper bound ({upper:.4} nA)"));
    }
    let lower = hold;
    if threshold_spikes(r, params, hold, lower)? > 0.0 {
        return Err(format!(
            "the threshold search failed: the cell fires at its lower bound ({lower:.4} nA)"
        ));
    }
    if lower > upper {
        return Err("the threshold search failed: its bounds are inverted".into());
    }
    let (mut lo, mut hi) = (lower, upper);
    let mut depth = 0;
    let found = loop {
        let mid = (hi + lo) * 0.5;
        let n = threshold_spikes(r, params, hold, mid)?;
        if (lo - hi).abs() < t.precision || depth > t.max_depth {
            break hi;
        }
        if n == 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
        depth += 1;
    };
    out.threshold = Some(found);
    Ok(out)
}
