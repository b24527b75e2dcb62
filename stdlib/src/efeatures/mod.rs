//! Electrophysiology features with eFEL 5.7's exact definitions.
//!
//! Usage: wrap borrowed columns in a [`Trace`], choose [`Settings`] (eFEL's defaults plus the
//! stimulus window), then ask a [`FeatureExtractor`] for [`Feature`]s:
//!
//! ```
//! use myelin_stdlib::efeatures::{Feature, FeatureExtractor, Settings, Trace};
//! let t: Vec<f64> = (0..2000).map(|i| i as f64 * 0.05).collect();
//! let v: Vec<f64> = t.iter().map(|&x| if (40.0..41.0).contains(&x) { 20.0 } else { -70.0 }).collect();
//! let mut ex = FeatureExtractor::new(Trace::new(&t, &v).unwrap(), Settings::new(20.0, 80.0)).unwrap();
//! assert_eq!(ex.get(Feature::Spikecount), Some(vec![1.0]));
//! assert_eq!(ex.get(Feature::IsiCv), None); // eFEL gives None: fewer than 3 spikes
//! ```
//!
//! Pre-processing (interpolation) and spike detection (peaks) follow eFEL bit for bit;
//! features are grouped by family: spike timing, ISI (eFEL's Python features), spike shape and
//! subthreshold. `docs/features.md` lists every feature with its definition and the few places
//! where Myelin deviates (eFEL undefined behaviour).

mod extractor;
mod feature;
mod intermediates;
pub(crate) mod interpolation;
mod isi;
pub(crate) mod numeric;
pub(crate) mod peaks;
mod settings;
mod spike_event;
mod spike_shape;
mod subthreshold;
mod trace;

pub use extractor::{compute_features, mean_value, FeatureExtractor, FeatureValue};
pub use feature::{Feature, UnknownFeature};
pub use settings::{BaseMode, Settings, SettingsError};
pub use trace::{Trace, TraceError};
