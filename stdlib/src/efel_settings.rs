//! eFEL settings given by name, as configuration files write them (BluePyOpt `double_settings`,
//! BluePyEModel `efel_settings`), and BluePyEModel's rules for the settings and stimulus window
//! of one efeature.

use crate::efeatures::{BaseMode, Settings};
use std::fmt;

/// A setting value as it appears in a configuration file.
#[derive(Debug, Clone, PartialEq)]
pub enum SettingValue {
    /// A number (JSON numbers; eFEL double and int settings).
    Number(f64),
    /// A boolean (JSON `true`/`false`; eFEL stores it as an int).
    Bool(bool),
    /// A string (eFEL string settings such as `voltage_base_mode`).
    Text(String),
}

impl SettingValue {
    /// Converts a JSON value; `None` for arrays, objects and null.
    pub fn from_json(v: &serde_json::Value) -> Option<SettingValue> {
        match v {
            serde_json::Value::Number(n) => n.as_f64().map(SettingValue::Number),
            serde_json::Value::Bool(b) => Some(SettingValue::Bool(*b)),
            serde_json::Value::String(s) => Some(SettingValue::Text(s.clone())),
            _ => None,
        }
    }

    fn number(&self, name: &str) -> Result<f64, SettingError> {
        match self {
            SettingValue::Number(x) => Ok(*x),
            SettingValue::Bool(b) => Ok(f64::from(u8::from(*b))),
            SettingValue::Text(_) => Err(SettingError { name: name.to_string(), expected: "a number" }),
        }
    }

    /// eFEL stores booleans as ints: any non-zero number is true.
    fn flag(&self, name: &str) -> Result<bool, SettingError> {
        match self {
            SettingValue::Bool(b) => Ok(*b),
            SettingValue::Number(x) => Ok(*x != 0.0),
            SettingValue::Text(_) => Err(SettingError { name: name.to_string(), expected: "true or false" }),
        }
    }
}

impl From<f64> for SettingValue {
    fn from(x: f64) -> SettingValue {
        SettingValue::Number(x)
    }
}

impl From<bool> for SettingValue {
    fn from(b: bool) -> SettingValue {
        SettingValue::Bool(b)
    }
}

impl From<&str> for SettingValue {
    fn from(s: &str) -> SettingValue {
        SettingValue::Text(s.to_string())
    }
}

/// A setting with a value of the wrong kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingError {
    /// The setting's eFEL name.
    pub name: String,
    /// What it should be.
    pub expected: &'static str,
}

impl fmt::Display for SettingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "eFEL setting `{}` must be {}", self.name, self.expected)
    }
}

impl std::error::Error for SettingError {}

/// Whether a named setting changes what Myelin computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The setting was applied.
    Used,
    /// eFEL accepts the name but none of Myelin's features reads it (or it is unknown to eFEL,
    /// which accepts any name); callers may warn.
    Ignored,
}

/// Sets `settings` from an eFEL setting name and value (eFEL's names, e.g. `Threshold`,
/// `interp_step`, `strict_stiminterval`, `stim_start`).
pub fn apply_setting(
    settings: &mut Settings,
    name: &str,
    value: &SettingValue,
) -> Result<Applied, SettingError> {
    let s = settings;
    match name {
        "stim_start" => s.stim_start = value.number(name)?,
        "stim_end" => s.stim_end = value.number(name)?,
        "Threshold" => s.threshold = value.number(name)?,
        "DerivativeThreshold" => s.derivative_threshold = value.number(name)?,
        "DownDerivativeThreshold" => s.down_derivative_threshold = value.number(name)?,
        "DerivativeWindow" => {
            // eFEL converts to int with Python's int(): truncation toward zero.
            let x = value.number(name)?.trunc();
            if x.is_nan() || x < 0.0 {
                return Err(SettingError { name: name.into(), expected: "a non-negative integer" });
            }
            s.derivative_window = x as usize;
        }
        "interp_step" => s.interp_step = value.number(name)?,
        "strict_stiminterval" => s.strict_stiminterval = value.flag(name)?,
        "voltage_base_start_perc" => s.voltage_base_start_perc = value.number(name)?,
        "voltage_base_end_perc" => s.voltage_base_end_perc = value.number(name)?,
        "voltage_base_mode" => {
            s.voltage_base_mode = match value {
                SettingValue::Text(t) if t == "mean" => BaseMode::Mean,
                SettingValue::Text(t) if t == "median" => BaseMode::Median,
                _ => return Err(SettingError { name: name.into(), expected: "\"mean\" or \"median\"" }),
            }
        }
        "precision_threshold" => s.precision_threshold = value.number(name)?,
        "ignore_first_ISI" => s.ignore_first_isi = value.flag(name)?,
        "burst_factor" => s.burst_factor = value.number(name)?,
        "sahp_start" => s.sahp_start = value.number(name)?,
        "rise_start_perc" => s.rise_start_perc = value.number(name)?,
        "rise_end_perc" => s.rise_end_perc = value.number(name)?,
        "offset" => s.offset = value.number(name)?,
        "decay_start_after_stim" => s.decay_start_after_stim = value.number(name)?,
        "decay_end_after_stim" => s.decay_end_after_stim = value.number(name)?,
        "stimulus_current" => s.stimulus_current = Some(value.number(name)?),
        _ => return Ok(Applied::Ignored),
    }
    Ok(Applied::Used)
}

/// BluePyEModel's default pipeline `efel_settings`.
pub fn bpem_default_pipeline_settings() -> Vec<(String, SettingValue)> {
    vec![
        ("interp_step".into(), SettingValue::Number(0.025)),
        ("strict_stiminterval".into(), SettingValue::Bool(true)),
    ]
}

/// What BluePyEModel takes from an efeature's protocol.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProtocolWindow {
    /// Stimulus start (ms), the step delay.
    pub stim_start: f64,
    /// Stimulus end (ms), delay + duration.
    pub stim_end: f64,
    /// Total duration of the protocol (ms).
    pub total_duration: f64,
    /// Step amplitude (nA), used as `stimulus_current`.
    pub amplitude: Option<f64>,
}

/// The settings of one BluePyEModel efeature (`define_efeature`): eFEL's defaults, then the
/// pipeline settings, then the feature's own settings (the feature wins); stim_start and
/// stim_end from the *feature's* settings when given, else from the protocol, where a protocol
/// whose name contains `bAP` ends at its total duration; `stimulus_current` is the protocol
/// amplitude. Returns the settings and the names Myelin ignores.
pub fn bpem_feature_settings(
    pipeline: &[(String, SettingValue)],
    feature: &[(String, SettingValue)],
    protocol_name: &str,
    protocol: ProtocolWindow,
) -> Result<(Settings, Vec<String>), SettingError> {
    let stim_end = if protocol_name.contains("bAP") { protocol.total_duration } else { protocol.stim_end };
    let mut s = Settings::new(protocol.stim_start, stim_end);
    s.stimulus_current = protocol.amplitude;
    let mut ignored = Vec::new();
    for (name, value) in pipeline.iter().filter(|(n, _)| !feature.iter().any(|(m, _)| m == n)).chain(feature)
    {
        // The pipeline's stim_start/stim_end are overridden by the trace's window in eFEL.
        let from_pipeline = !feature.iter().any(|(m, _)| m == name);
        if from_pipeline && (name == "stim_start" || name == "stim_end") {
            continue;
        }
        if apply_setting(&mut s, name, value)? == Applied::Ignored {
            ignored.push(name.clone());
        }
    }
    Ok((s, ignored))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(items: &[(&str, SettingValue)]) -> Vec<(String, SettingValue)> {
        items.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    }

    #[test]
    fn names_map_to_fields() {
        let mut s = Settings::new(0.0, 1.0);
        assert_eq!(apply_setting(&mut s, "Threshold", &(-30.0).into()), Ok(Applied::Used));
        assert_eq!(
            apply_setting(&mut s, "strict_stiminterval", &SettingValue::Number(1.0)),
            Ok(Applied::Used)
        );
        assert_eq!(apply_setting(&mut s, "DerivativeWindow", &3.7.into()), Ok(Applied::Used));
        assert_eq!(apply_setting(&mut s, "voltage_base_mode", &"median".into()), Ok(Applied::Used));
        assert_eq!(apply_setting(&mut s, "spike_skipf", &0.2.into()), Ok(Applied::Ignored));
        assert_eq!((s.threshold, s.strict_stiminterval, s.derivative_window), (-30.0, true, 3));
        assert_eq!(s.voltage_base_mode, BaseMode::Median);
        assert!(apply_setting(&mut s, "voltage_base_mode", &"mode".into()).is_err());
        assert!(apply_setting(&mut s, "Threshold", &"high".into()).is_err());
    }

    #[test]
    fn bpem_feature_window_and_precedence() {
        let window = ProtocolWindow {
            stim_start: 700.0,
            stim_end: 2700.0,
            total_duration: 3000.0,
            amplitude: Some(0.4),
        };
        let pipeline = kv(&[
            ("interp_step", 0.025.into()),
            ("strict_stiminterval", true.into()),
            ("Threshold", (-30.0).into()),
            ("stim_start", 500.0.into()),
        ]);
        let feature = kv(&[("Threshold", (-20.0).into()), ("stim_start", 300.0.into())]);
        let (s, ignored) = bpem_feature_settings(&pipeline, &feature, "Step_150", window).unwrap();
        assert_eq!((s.stim_start, s.stim_end, s.threshold, s.interp_step), (300.0, 2700.0, -20.0, 0.025));
        assert_eq!(s.stimulus_current, Some(0.4));
        assert!(ignored.is_empty());
        // Pipeline stim_start does not move the window; bAP protocols end at the total duration.
        let (s, _) = bpem_feature_settings(&pipeline, &[], "bAP_dend", window).unwrap();
        assert_eq!((s.stim_start, s.stim_end), (700.0, 3000.0));
    }
}
