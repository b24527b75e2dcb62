//! The entry point: compute features of one trace with one set of settings, sharing the
//! interpolation and the intermediates between features.

use super::feature::Feature;
use super::intermediates::{Cache, Ctx};
use super::interpolation::interpolate;
use super::settings::{Settings, SettingsError};
use super::trace::Trace;
use super::{isi, spike_event, spike_shape, subthreshold};

/// Largest interpolation grid accepted (1.6 GB of time and voltage).
const MAX_GRID_POINTS: f64 = 1e8;

/// The value of one feature: `None` where eFEL returns None (the feature failed), otherwise
/// eFEL's value array (empty only for features eFEL computes in Python).
pub type FeatureValue = Option<Vec<f64>>;

/// Computes features of one trace. The trace is interpolated once (eFEL's pre-processing) when
/// loaded; peaks, AHP troughs, AP onsets and ends, dV/dt and `voltage_base` are computed on first
/// use and shared by all features. The buffers are reused by [`FeatureExtractor::load`], so one
/// extractor per worker thread serves any number of traces without reallocating the grid.
#[derive(Debug)]
pub struct FeatureExtractor {
    settings: Settings,
    t: Vec<f64>,
    v: Vec<f64>,
    interpolated: bool,
    cache: Cache,
}

impl FeatureExtractor {
    /// Loads `trace` with `settings` (validated as eFEL validates them).
    pub fn new(trace: Trace<'_>, settings: Settings) -> Result<FeatureExtractor, SettingsError> {
        let mut ex = FeatureExtractor {
            settings: settings.clone(),
            t: Vec::new(),
            v: Vec::new(),
            interpolated: false,
            cache: Cache::default(),
        };
        ex.load(trace, settings)?;
        Ok(ex)
    }

    /// Replaces the trace and settings, reusing the buffers.
    pub fn load(&mut self, trace: Trace<'_>, settings: Settings) -> Result<(), SettingsError> {
        settings.validate()?;
        let t = trace.time();
        let points = ((t[t.len() - 1] - t[0]) / settings.interp_step).ceil();
        if points > MAX_GRID_POINTS {
            return Err(SettingsError::GridTooLarge { points });
        }
        self.cache.clear();
        self.interpolated =
            interpolate(settings.interp_step, trace.time(), trace.voltage(), &mut self.t, &mut self.v)
                .is_ok();
        if !self.interpolated {
            // eFEL ignores a failed interpolation and computes on the recorded samples.
            self.t.clear();
            self.t.extend_from_slice(trace.time());
            self.v.clear();
            self.v.extend_from_slice(trace.voltage());
        }
        self.settings = settings;
        Ok(())
    }

    /// The settings in use.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Time on eFEL's interpolation grid (ms).
    pub fn time(&self) -> &[f64] {
        &self.t
    }

    /// Voltage on eFEL's interpolation grid (mV).
    pub fn voltage(&self) -> &[f64] {
        &self.v
    }

    /// False when eFEL's interpolation failed (two samples at the same time under a grid
    /// point) and features are computed on the recorded samples, as eFEL does.
    pub fn interpolated(&self) -> bool {
        self.interpolated
    }

    /// Computes one feature.
    pub fn get(&mut self, feature: Feature) -> FeatureValue {
        use Feature::*;
        let mut cx = Ctx { t: &self.t, v: &self.v, s: &self.settings, cache: &mut self.cache };
        let value = match feature {
            Spikecount | SpikeCount | SpikecountStimint | SpikeCountStimint | PeakTime | TimeToFirstSpike
            | InvTimeToFirstSpike | TimeToSecondSpike | TimeToLastSpike | MeanFrequency | DoubletIsi
            | AllIsiValues | AdaptationIndex2 => spike_event::compute(&mut cx, feature),
            IsiValues | IsiCv | InvFirstIsi | InvSecondIsi | InvThirdIsi | InvFourthIsi | InvFifthIsi
            | InvLastIsi | BurstNumber => isi::compute(&mut cx, feature),
            PeakVoltage
            | ApHeight
            | ApAmplitude
            | Ap1Amp
            | Ap2Amp
            | ApLastAmp
            | MeanApAmplitude
            | ApAmplitudeFromVoltagebase
            | ApBeginVoltage
            | ApWidth
            | ApDurationHalfWidth
            | SpikeHalfWidth
            | ApRiseTime
            | ApFallTime
            | MinAhpValues
            | AhpDepthAbs
            | AhpDepth
            | AhpDepthAbsSlow
            | AhpSlowTime => spike_shape::compute(&mut cx, feature),
            VoltageBase
            | SteadyStateVoltage
            | SteadyStateVoltageStimend
            | VoltageDeflection
            | VoltageDeflectionBegin
            | VoltageDeflectionVbSsse
            | VoltageAfterStim
            | DecayTimeConstantAfterStim
            | MaximumVoltage
            | MinimumVoltage
            | MaximumVoltageFromVoltagebase
            | OhmicInputResistance
            | OhmicInputResistanceVbSsse => subthreshold::compute(&mut cx, feature),
        };
        // eFEL's C++ layer reports an empty array as a failure; only its Python features can
        // return an empty array.
        value.filter(|v| !v.is_empty() || feature.is_python_feature())
    }

    /// Computes several features, in order.
    pub fn get_all(&mut self, features: &[Feature]) -> Vec<FeatureValue> {
        features.iter().map(|&f| self.get(f)).collect()
    }
}

/// Computes `features` of `trace` with `settings` (a one-shot [`FeatureExtractor`]).
pub fn compute_features(
    trace: Trace<'_>,
    settings: Settings,
    features: &[Feature],
) -> Result<Vec<FeatureValue>, SettingsError> {
    Ok(FeatureExtractor::new(trace, settings)?.get_all(features))
}

/// The mean of a feature's values as BluePyOpt reports it (`get_mean_feature_values`): `None`
/// when the feature failed or is empty.
pub fn mean_value(value: &FeatureValue) -> Option<f64> {
    let v = value.as_deref().filter(|v| !v.is_empty())?;
    Some(super::numeric::numpy_mean(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_interpolation_step_is_an_error_not_an_allocation() {
        let t = [0.0, 1000.0, 2000.0];
        let v = [-70.0; 3];
        let s = Settings { interp_step: 1e-9, ..Settings::new(10.0, 20.0) };
        let e = FeatureExtractor::new(Trace::new(&t, &v).unwrap(), s).unwrap_err();
        assert!(matches!(e, SettingsError::GridTooLarge { .. }), "{e}");
    }

    #[test]
    fn failed_interpolation_falls_back_to_the_samples() {
        let t = [0.0, 0.0, 0.2, 0.4];
        let v = [-70.0, -70.0, -60.0, -70.0];
        let ex = FeatureExtractor::new(Trace::new(&t, &v).unwrap(), Settings::new(0.1, 0.3)).unwrap();
        assert!(!ex.interpolated());
        assert_eq!(ex.time(), &t);
    }
}
