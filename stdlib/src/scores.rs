//! Feature scores and objectives with BluePyOpt's and BluePyEModel's semantics.
//!
//! * BluePyOpt (`eFELFeature.calculate_score`, eFEL's `getDistance` with the trace check off):
//!   score = Σ|v_i − mean| / std / n over the whole value array; a missing trace, a failed or
//!   empty feature, or a NaN result gives `max_score` (250); no cap unless `force_max_score`.
//! * BluePyEModel (`eFELFeatureBPEM`): the same distance capped at 250 (NaN → 250), 0 when the
//!   target mean is unknown; `bpo_*` features (holding and threshold currents, RMP, input
//!   resistance) score |value − mean| / std, *not* capped, 250 when missing.
//! * Objectives: BluePyOpt's singleton, weighted singleton, weighted sum and max objectives;
//!   the fitness used for ranking (final.json `score`) is the plain sum of objective values.
//!
//! The L5PC example's configuration (`features.json`, `protocols.json`) is read by
//! [`bluepyopt_objectives`], which derives names, stimulus windows and spike thresholds the way
//! BluePyOpt's `l5pc_evaluator.py` does.

use crate::efeatures::{Feature, Settings};
use serde_json::Value;
use std::fmt;

/// The score of a missing or failed feature (`max_score` / `error_dist` in BluePyOpt).
pub const MAX_SCORE: f64 = 250.0;

/// eFEL's `getDistance`: Σ|v_i − mean| / std / n, or `error_dist` when `values` is missing or
/// empty, or when the result is NaN (e.g. a NaN value, or std 0 with all values on the mean).
pub fn efel_distance(values: Option<&[f64]>, mean: f64, std: f64, error_dist: f64) -> f64 {
    let Some(values) = values.filter(|v| !v.is_empty()) else { return error_dist };
    let mut distance = 0.0;
    for &v in values {
        distance += (v - mean).abs();
    }
    let distance = distance / std / values.len() as f64;
    if distance.is_nan() {
        error_dist
    } else {
        distance
    }
}

/// BluePyOpt's `eFELFeature.calculate_score` with `trace_check` off (its default):
/// [`efel_distance`] with `error_dist = max_score`, capped at `max_score` only when
/// `force_max_score`. Pass `values = None` for a missing trace.
pub fn bluepyopt_score(
    values: Option<&[f64]>,
    mean: f64,
    std: f64,
    max_score: f64,
    force_max_score: bool,
) -> f64 {
    let score = efel_distance(values, mean, std, max_score);
    if force_max_score {
        score.min(max_score)
    } else {
        score
    }
}

/// BluePyEModel's score of an eFEL feature: 0 when the target mean is unknown; 250 when the
/// values are missing or empty; otherwise Σ|v_i − mean| / std / n capped at 250, and 250 for NaN.
pub fn bpem_score(values: Option<&[f64]>, mean: Option<f64>, std: f64) -> f64 {
    let Some(mean) = mean else { return 0.0 };
    let Some(values) = values.filter(|v| !v.is_empty()) else { return MAX_SCORE };
    let mut sum = 0.0;
    for &v in values {
        sum += (v - mean).abs();
    }
    let score = sum / std / values.len() as f64;
    // numpy.min([NaN, 250]) is NaN, which the caller then maps to 250.
    if score.is_nan() {
        MAX_SCORE
    } else {
        score.min(MAX_SCORE)
    }
}

/// BluePyEModel's score of a `bpo_*` feature (a scalar response such as
/// `bpo_threshold_current`): |value − mean| / std, not capped; 250 when the response is
/// missing or the result is NaN.
pub fn bpem_bpo_score(value: Option<f64>, mean: f64, std: f64) -> f64 {
    match value {
        None => MAX_SCORE,
        Some(v) => {
            let score = (v - mean).abs() / std;
            if score.is_nan() {
                MAX_SCORE
            } else {
                score
            }
        }
    }
}

/// The standard deviation BluePyEModel scores with (`EFeatureConfiguration.std`): the original
/// std when no `threshold_efeature_std` is set; for a zero mean the threshold itself (or
/// `default_std_value`, 1e-3 by default, when the threshold is 0); otherwise
/// max(original std, |threshold × mean|).
pub fn bpem_std(
    original_std: f64,
    mean: f64,
    threshold_efeature_std: Option<f64>,
    default_std_value: f64,
) -> f64 {
    let Some(threshold) = threshold_efeature_std else { return original_std };
    if mean == 0.0 {
        return if threshold != 0.0 { threshold } else { default_std_value };
    }
    let limit = (threshold * mean).abs();
    if original_std < limit {
        limit
    } else {
        original_std
    }
}

/// Scalar responses that BluePyEModel scores as features although eFEL does not compute them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BpoResponse {
    /// `bpo_holding_current` (nA): the current that holds the cell at the target voltage.
    HoldingCurrent,
    /// `bpo_threshold_current` (nA): the smallest step that fires, **relative to the holding
    /// current** (the step is added on top of it).
    ThresholdCurrent,
    /// `bpo_rmp` (mV): resting membrane potential.
    Rmp,
    /// `bpo_rin` (MΩ): input resistance.
    Rin,
}

impl BpoResponse {
    /// The response key (also the efel feature name in BluePyEModel configurations).
    pub fn name(self) -> &'static str {
        match self {
            BpoResponse::HoldingCurrent => "bpo_holding_current",
            BpoResponse::ThresholdCurrent => "bpo_threshold_current",
            BpoResponse::Rmp => "bpo_rmp",
            BpoResponse::Rin => "bpo_rin",
        }
    }

    /// Looks up a response by key; any name starting with `bpo_` is scored as a response by
    /// BluePyEModel, but only these four are produced by its pre-protocols.
    pub fn from_name(name: &str) -> Option<BpoResponse> {
        [BpoResponse::HoldingCurrent, BpoResponse::ThresholdCurrent, BpoResponse::Rmp, BpoResponse::Rin]
            .into_iter()
            .find(|r| r.name() == name)
    }
}

/// Absolute step amplitude of a BluePyEModel threshold-based protocol:
/// `threshold_current × thresh_perc / 100`, applied on top of `holding_current` (so the injected
/// current during the step is `holding + step`). Returns (step, holding + step).
pub fn threshold_based_step(threshold_current: f64, thresh_perc: f64, holding_current: f64) -> (f64, f64) {
    let step = threshold_current * thresh_perc / 100.0;
    (step, holding_current + step)
}

/// How an objective combines its feature scores (BluePyOpt `objectives.py`).
#[derive(Debug, Clone, PartialEq)]
pub enum Combine {
    /// The single feature's score (`SingletonObjective`).
    Singleton,
    /// The single feature's score times a weight (`SingletonWeightObjective`, BluePyEModel).
    SingletonWeight(f64),
    /// Σ weight_i × score_i (`WeightedSumObjective`).
    WeightedSum(Vec<f64>),
    /// The largest score (`MaxObjective`).
    Max,
}

impl Combine {
    /// The objective value from its features' scores (in definition order).
    pub fn value(&self, scores: &[f64]) -> f64 {
        match self {
            Combine::Singleton => scores.first().copied().unwrap_or(MAX_SCORE),
            Combine::SingletonWeight(w) => scores.first().copied().unwrap_or(MAX_SCORE) * w,
            Combine::WeightedSum(w) => w.iter().zip(scores).map(|(w, s)| w * s).sum(),
            Combine::Max => scores.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }
}

/// The total fitness BluePyOpt and BluePyEModel rank by and store as final.json `score`: the
/// plain sum of the objective values (validation objectives excluded by the caller).
pub fn total_fitness(objective_values: &[f64]) -> f64 {
    objective_values.iter().sum()
}

/// BluePyOpt's objective name in the L5PC example: `<protocol>.<location>.<feature>`.
pub fn bluepyopt_objective_name(protocol: &str, location: &str, feature: &str) -> String {
    format!("{protocol}.{location}.{feature}")
}

/// BluePyEModel's objective name: `<protocol>.<recording>.<efeature_name or efel name>`, e.g.
/// `IDrest_150.soma.v.Spikecount`.
pub fn bpem_objective_name(protocol: &str, recording: &str, efeature_name: &str) -> String {
    format!("{protocol}.{recording}.{efeature_name}")
}

/// One feature objective of a BluePyOpt configuration, ready to compute and score.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureObjective {
    /// Objective name, `<protocol>.<location>.<feature>`.
    pub name: String,
    /// Protocol name.
    pub protocol: String,
    /// Recording location (`soma`, `dend1`, …).
    pub location: String,
    /// Recording name, `<protocol>.<location>.v`.
    pub recording: String,
    /// The eFEL feature.
    pub feature: Feature,
    /// Target mean.
    pub mean: f64,
    /// Target standard deviation.
    pub std: f64,
    /// eFEL settings: stimulus window and spike threshold.
    pub settings: Settings,
}

impl FeatureObjective {
    /// BluePyOpt score of this objective from the feature's values (`None`: missing or failed).
    pub fn score(&self, values: Option<&[f64]>) -> f64 {
        bluepyopt_score(values, self.mean, self.std, MAX_SCORE, false)
    }
}

/// A problem in a BluePyOpt configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Which file (`features.json` or `protocols.json`).
    pub file: &'static str,
    /// What is wrong, with the JSON path.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Reads BluePyOpt's L5PC-style `features.json` (`{protocol: {location: {feature: [mean,
/// std]}}}`) and `protocols.json` into feature objectives, in file order, the way
/// `l5pc_evaluator.py` defines them: stim_start = delay of the protocol's first stimulus,
/// stim_end = delay + duration (the total duration for the protocol named `bAP`), spike
/// threshold −20 mV at `soma` and −55 mV at locations containing `dend` (eFEL's default −20 mV
/// elsewhere), eFEL's default interpolation step.
pub fn bluepyopt_objectives(
    features_json: &str,
    protocols_json: &str,
) -> Result<Vec<FeatureObjective>, ConfigError> {
    let ferr = |message: String| ConfigError { file: "features.json", message };
    let perr = |message: String| ConfigError { file: "protocols.json", message };
    // Objective order is definition order (the optimiser sees the list in that order), so the
    // file's key order is kept rather than serde_json's sorted maps.
    let features: Ordered<Ordered<Ordered<Vec<f64>>>> =
        serde_json::from_str(features_json).map_err(|e| ferr(e.to_string()))?;
    let protocols: Value = serde_json::from_str(protocols_json).map_err(|e| perr(e.to_string()))?;
    let mut out = Vec::new();
    for (protocol, locations) in features.0 {
        let stim = protocols
            .get(&protocol)
            .and_then(|p| p.get("stimuli"))
            .and_then(|s| s.get(0))
            .ok_or_else(|| perr(format!("protocol `{protocol}` has no stimuli")))?;
        let number = |key: &str| {
            stim.get(key)
                .and_then(Value::as_f64)
                .ok_or_else(|| perr(format!("{protocol}.stimuli[0].{key} missing")))
        };
        let delay = number("delay")?;
        let stim_end = if protocol == "bAP" { number("totduration")? } else { delay + number("duration")? };
        for (location, feats) in locations.0 {
            for (fname, meanstd) in feats.0 {
                let path = format!("{protocol}.{location}.{fname}");
                let feature: Feature = fname.parse().map_err(|e| ferr(format!("{path}: {e}")))?;
                let [mean, std] = meanstd[..] else {
                    return Err(ferr(format!("{path}: expected [mean, std]")));
                };
                let mut settings = Settings::new(delay, stim_end);
                if location.contains("dend") {
                    settings.threshold = -55.0;
                }
                out.push(FeatureObjective {
                    name: bluepyopt_objective_name(&protocol, &location, &fname),
                    protocol: protocol.clone(),
                    location: location.clone(),
                    recording: format!("{protocol}.{location}.v"),
                    feature,
                    mean,
                    std,
                    settings,
                });
            }
        }
    }
    Ok(out)
}

/// A JSON object read with its keys in file order.
struct Ordered<T>(Vec<(String, T)>);

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Ordered<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<T>(std::marker::PhantomData<T>);
        impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for Visit<T> {
            type Value = Ordered<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Ordered<T>, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Ordered(entries))
            }
        }
        d.deserialize_map(Visit(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_is_over_the_whole_array() {
        // Not |mean(v) - mean| / std: (|1-2| + |5-2|) / 1 / 2 = 2, whereas the mean is on target.
        assert_eq!(efel_distance(Some(&[1.0, 3.0]), 2.0, 1.0, 250.0), 1.0);
        assert_eq!(efel_distance(Some(&[1.0, 5.0]), 3.0, 1.0, 250.0), 2.0);
        assert_eq!(efel_distance(Some(&[]), 3.0, 1.0, 250.0), 250.0);
        assert_eq!(efel_distance(None, 3.0, 1.0, 250.0), 250.0);
        assert_eq!(efel_distance(Some(&[f64::NAN]), 3.0, 1.0, 250.0), 250.0);
        assert_eq!(efel_distance(Some(&[3.0]), 3.0, 0.0, 250.0), 250.0);
        assert_eq!(efel_distance(Some(&[4.0]), 3.0, 0.0, 250.0), f64::INFINITY);
    }

    #[test]
    fn bluepyopt_does_not_cap_unless_forced() {
        assert_eq!(bluepyopt_score(Some(&[1000.0]), 0.0, 1.0, 250.0, false), 1000.0);
        assert_eq!(bluepyopt_score(Some(&[1000.0]), 0.0, 1.0, 250.0, true), 250.0);
    }

    #[test]
    fn bpem_caps_efel_scores_but_not_bpo_scores() {
        assert_eq!(bpem_score(Some(&[1000.0]), Some(0.0), 1.0), 250.0);
        assert_eq!(bpem_score(Some(&[1.0]), None, 1.0), 0.0);
        assert_eq!(bpem_score(None, Some(1.0), 1.0), 250.0);
        assert_eq!(bpem_score(Some(&[f64::NAN]), Some(1.0), 1.0), 250.0);
        assert_eq!(bpem_bpo_score(Some(10.0), 0.0, 0.01), 1000.0);
        assert_eq!(bpem_bpo_score(None, 0.0, 0.01), 250.0);
    }

    #[test]
    fn bpem_std_floors() {
        assert_eq!(bpem_std(1.0, 10.0, None, 1e-3), 1.0);
        assert_eq!(bpem_std(0.1, 10.0, Some(0.05), 1e-3), 0.5);
        assert!((bpem_std(5.0, 66.64, Some(0.1), 1e-3) - 6.664).abs() < 1e-12);
        assert_eq!(bpem_std(0.1, 0.0, Some(0.05), 1e-3), 0.05);
        assert_eq!(bpem_std(0.1, 0.0, Some(0.0), 1e-3), 1e-3);
    }

    #[test]
    fn objectives_combine_and_sum() {
        assert_eq!(Combine::Singleton.value(&[3.0]), 3.0);
        assert_eq!(Combine::SingletonWeight(2.0).value(&[3.0]), 6.0);
        assert_eq!(Combine::WeightedSum(vec![1.0, 0.5]).value(&[3.0, 4.0]), 5.0);
        assert_eq!(Combine::Max.value(&[3.0, 4.0, 1.0]), 4.0);
        assert_eq!(total_fitness(&[1.0, 2.5]), 3.5);
        assert_eq!(bpem_objective_name("IDrest_150", "soma.v", "Spikecount"), "IDrest_150.soma.v.Spikecount");
    }

    #[test]
    fn threshold_step_is_relative_to_holding() {
        assert_eq!(threshold_based_step(0.2, 150.0, -0.1), (0.2 * 150.0 / 100.0, -0.1 + 0.2 * 150.0 / 100.0));
        assert_eq!(BpoResponse::from_name("bpo_threshold_current"), Some(BpoResponse::ThresholdCurrent));
    }

    #[test]
    fn reads_l5pc_style_configuration() {
        let features = r#"{"bAP": {"soma": {"AP_width": [2.0, 0.5]}, "dend1": {"AP_amplitude_from_voltagebase": [45, 10]}},
                           "Step1": {"soma": {"ISI_CV": [0.1, 0.01]}}}"#;
        let protocols = r#"{"bAP": {"stimuli": [{"delay": 295, "amp": 1.9, "duration": 5, "totduration": 600}]},
                            "Step1": {"stimuli": [{"delay": 700, "amp": 0.458, "duration": 2000, "totduration": 3000}]}}"#;
        let objs = bluepyopt_objectives(features, protocols).unwrap();
        let names: Vec<_> = objs.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(
            names,
            ["bAP.soma.AP_width", "bAP.dend1.AP_amplitude_from_voltagebase", "Step1.soma.ISI_CV"]
        );
        assert_eq!((objs[0].settings.stim_start, objs[0].settings.stim_end), (295.0, 600.0));
        assert_eq!(objs[1].settings.threshold, -55.0);
        assert_eq!((objs[2].settings.stim_end, objs[2].settings.threshold), (2700.0, -20.0));
        let bad = r#"{"Step1": {"soma": {"not_a_feature": [1, 1]}}}"#;
        let e = bluepyopt_objectives(bad, protocols).unwrap_err();
        assert!(e.message.contains("unknown feature `not_a_feature`"), "{e}");
    }
}
