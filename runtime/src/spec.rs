//! The simulation description: a serialisable (JSON) form of everything a run needs — cells with
//! their morphology, discretisation, passive properties, mechanisms painted on regions (values may
//! be expressions of the distance from the soma), point processes, artificial cells, spike
//! sources, connections, stimuli, probes and run settings.
//!
//! The recipe language and the importers lower to this form; `myelin simulate` runs it. The
//! format is documented with a complete example in `docs/simulation.md`.

use crate::morph::{Morphology, Pt3d, Section, SectionKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A whole simulation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulationSpec {
    /// Cable cells.
    #[serde(default)]
    pub cells: Vec<CellSpec>,
    /// Artificial cells (mechanisms of kind `artificial`, e.g. NetStim).
    #[serde(default)]
    pub artificial_cells: Vec<ArtificialCellSpec>,
    /// Spike sources with explicit times.
    #[serde(default)]
    pub spike_sources: Vec<SpikeSourceSpec>,
    /// Connections from spike sources to point processes or artificial cells.
    #[serde(default)]
    pub connections: Vec<ConnectionSpec>,
    /// Electrode stimuli.
    #[serde(default)]
    pub stimuli: Vec<StimulusSpec>,
    /// Recorded variables.
    #[serde(default)]
    pub probes: Vec<ProbeSpec>,
    /// Mechanism-wide (GLOBAL) values: mechanism → name → value.
    #[serde(default)]
    pub globals: BTreeMap<String, BTreeMap<String, f64>>,
    /// Per-ion global settings (valence, initial concentrations of state concentrations).
    #[serde(default)]
    pub ion_defaults: BTreeMap<String, IonDefaultsSpec>,
    /// Run settings.
    pub run: RunSpec,
}

/// Integration method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// NEURON's default: backward Euler (`secondorder = 0`).
    #[default]
    BackwardEuler,
    /// Crank–Nicolson (`secondorder = 2`).
    CrankNicolson,
}

fn default_dt() -> f64 {
    0.025
}
fn default_celsius() -> f64 {
    6.3
}
fn default_v_init() -> f64 {
    -65.0
}
fn default_seed() -> u64 {
    1
}
fn default_half() -> f64 {
    0.5
}
fn default_cm() -> f64 {
    1.0
}
fn default_ra() -> f64 {
    35.4
}
fn default_threshold() -> f64 {
    10.0
}
fn default_delay() -> f64 {
    1.0
}
fn default_rs() -> f64 {
    1.0
}

/// Run settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSpec {
    /// Simulated time (ms); the run takes `round(tstop/dt)` steps.
    pub tstop: f64,
    /// Time step (ms), default 0.025.
    #[serde(default = "default_dt")]
    pub dt: f64,
    /// Temperature (°C), default NEURON's 6.3.
    #[serde(default = "default_celsius")]
    pub celsius: f64,
    /// Initial membrane potential (mV), default −65.
    #[serde(default = "default_v_init")]
    pub v_init: f64,
    /// Integration method, default backward Euler.
    #[serde(default)]
    pub method: Method,
    /// Sampling interval of probes (ms), a multiple of dt; default every step.
    #[serde(default)]
    pub record_dt: Option<f64>,
    /// Seed of the per-instance random streams of mechanisms.
    #[serde(default = "default_seed")]
    pub seed: u64,
}

/// Where a cell's morphology comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum MorphologySpec {
    /// A file (relative paths are relative to the description file).
    File(PathBuf),
    /// Sections given inline.
    Sections(Vec<InlineSection>),
}

fn default_one_x() -> f64 {
    1.0
}
fn default_nseg() -> u32 {
    1
}
fn default_kind() -> SectionKind {
    SectionKind::Dend
}

/// A section written inline in a description. Parents are named; 3-D points are `[x, y, z, d]`
/// (µm). A section without points is a cylinder of `length` and `diam`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InlineSection {
    /// Name, unique in the cell (e.g. `soma[0]`).
    pub name: String,
    /// Kind (`soma`, `axon`, `dend`, `apic`, or `{"other": n}`); default `dend`.
    #[serde(default = "default_kind")]
    pub kind: SectionKind,
    /// Name of the parent section (none for the root).
    #[serde(default)]
    pub parent: Option<String>,
    /// Where on the parent it attaches (default 1, NEURON's `connect` default).
    #[serde(default = "default_one_x")]
    pub parent_x: f64,
    /// 3-D points `[x, y, z, d]`.
    #[serde(default)]
    pub pts: Vec<[f64; 4]>,
    /// Length (µm) when there are no points.
    #[serde(default)]
    pub length: f64,
    /// Diameter (µm) when there are no points.
    #[serde(default)]
    pub diam: f64,
    /// Number of segments (used by the `given` nseg policy), default 1.
    #[serde(default = "default_nseg")]
    pub nseg: u32,
}

impl InlineSection {
    /// Converts inline sections into a morphology (parents resolved by name, points rounded to
    /// single precision as NEURON stores them).
    pub fn to_morphology(secs: &[InlineSection]) -> Result<Morphology, (usize, String)> {
        let mut out = Vec::with_capacity(secs.len());
        for (i, s) in secs.iter().enumerate() {
            if secs[..i].iter().any(|o| o.name == s.name) {
                return Err((i, format!("section name `{}` is used twice", s.name)));
            }
            let parent = match &s.parent {
                None => None,
                Some(p) => match secs.iter().position(|o| &o.name == p) {
                    Some(k) => Some(k),
                    None => return Err((i, format!("parent section `{p}` of `{}` does not exist", s.name))),
                },
            };
            let pts: Vec<Pt3d> = s
                .pts
                .iter()
                .map(|p| Pt3d {
                    x: p[0] as f32 as f64,
                    y: p[1] as f32 as f64,
                    z: p[2] as f32 as f64,
                    d: p[3] as f32 as f64,
                })
                .collect();
            let mut sec = Section {
                name: s.name.clone(),
                kind: s.kind,
                parent,
                parent_x: s.parent_x,
                orientation: 0.0,
                pts,
                length: s.length,
                diam: s.diam,
                nseg: s.nseg,
                seg_diam: vec![],
            };
            if sec.pts.len() > 1 {
                sec.length = crate::geometry::section_length(&sec);
            }
            out.push(sec);
        }
        Ok(Morphology { sections: out })
    }
}

/// How many segments each section gets.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum NsegPolicy {
    /// The `nseg` of each section as given in the morphology.
    #[default]
    Given,
    /// The same number everywhere.
    Fixed(u32),
    /// BluePyOpt's rule `1 + 2·int(L/40 µm)`.
    Per40um,
    /// NEURON's d_lambda rule at a frequency (after Ra and cm are assigned).
    DLambda {
        /// Frequency (Hz), commonly 100.
        frequency: f64,
        /// Fraction of the length constant per segment, commonly 0.1.
        d_lambda: f64,
    },
}

/// A set of sections.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Region {
    /// Every section.
    #[default]
    All,
    /// Soma sections.
    Somatic,
    /// Axon sections.
    Axonal,
    /// Basal dendrites.
    Basal,
    /// Apical dendrites.
    Apical,
    /// Sections of SWC type 5 and above (myelin, custom).
    Myelinated,
    /// Sections by name.
    Sections(Vec<String>),
}

/// A parameter value: a number, or an expression of `distance` and `x` (see [`crate::expr`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// A constant.
    Number(f64),
    /// An expression evaluated per segment.
    Expr(String),
}

/// Cm and Ra of a region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PropertySpec {
    /// Where.
    #[serde(default)]
    pub region: Region,
    /// Specific capacitance (µF/cm²).
    #[serde(default)]
    pub cm: Option<f64>,
    /// Axial resistivity (Ω·cm).
    #[serde(default)]
    pub ra: Option<f64>,
}

/// A density mechanism inserted in a region, with parameter values there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaintSpec {
    /// Mechanism name.
    pub mechanism: String,
    /// Where (default: all sections).
    #[serde(default)]
    pub region: Region,
    /// RANGE parameter values in this region.
    #[serde(default)]
    pub parameters: BTreeMap<String, ParamValue>,
}

/// Initial ion values in a region (per-segment `e<ion>`, `<ion>i`, `<ion>o`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IonSpec {
    /// Ion name.
    pub ion: String,
    /// Where.
    #[serde(default)]
    pub region: Region,
    /// Reversal potential (mV).
    #[serde(default)]
    pub erev: Option<f64>,
    /// Inner concentration (mM).
    #[serde(default)]
    pub conc_in: Option<f64>,
    /// Outer concentration (mM).
    #[serde(default)]
    pub conc_out: Option<f64>,
}

/// Global values of an ion.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IonDefaultsSpec {
    /// Valence (required for ions other than na, k, ca unless a mechanism declares it).
    #[serde(default)]
    pub valence: Option<f64>,
    /// `<ion>i0`: inner concentration given to state concentrations at initialisation (mM).
    #[serde(default)]
    pub conc_in0: Option<f64>,
    /// `<ion>o0` (mM).
    #[serde(default)]
    pub conc_out0: Option<f64>,
}

/// A position on a section of the cell in context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// Section name.
    pub section: String,
    /// Position 0..1 (default 0.5).
    #[serde(default = "default_half")]
    pub x: f64,
}

/// A position on a named cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CellLocation {
    /// Cell name.
    pub cell: String,
    /// Section name.
    pub section: String,
    /// Position 0..1 (default 0.5).
    #[serde(default = "default_half")]
    pub x: f64,
}

/// A point process on the cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointProcessSpec {
    /// Unique id (connections and probes refer to it).
    pub id: String,
    /// Mechanism name.
    pub mechanism: String,
    /// Where.
    pub location: Location,
    /// Parameter values.
    #[serde(default)]
    pub parameters: BTreeMap<String, f64>,
}

/// Spike detection on a cell (NEURON's `NetCon(sec(x)._ref_v, …)` threshold).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectorSpec {
    /// Where v is watched (default: the middle of the root section).
    #[serde(default)]
    pub location: Option<Location>,
    /// Threshold (mV), default NEURON's 10.
    #[serde(default = "default_threshold")]
    pub threshold: f64,
}

/// A cable cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CellSpec {
    /// Unique name.
    pub name: String,
    /// Morphology.
    pub morphology: MorphologySpec,
    /// Discretisation.
    #[serde(default)]
    pub nseg: NsegPolicy,
    /// Specific capacitance everywhere (µF/cm²), default 1.
    #[serde(default = "default_cm")]
    pub cm: f64,
    /// Axial resistivity everywhere (Ω·cm), default NEURON's 35.4.
    #[serde(default = "default_ra")]
    pub ra: f64,
    /// Region-specific cm and Ra, applied in order after the defaults.
    #[serde(default)]
    pub properties: Vec<PropertySpec>,
    /// Density mechanisms, applied in order (later values override earlier ones).
    #[serde(default)]
    pub mechanisms: Vec<PaintSpec>,
    /// Initial ion values by region, applied in order.
    #[serde(default)]
    pub ions: Vec<IonSpec>,
    /// Point processes.
    #[serde(default)]
    pub point_processes: Vec<PointProcessSpec>,
    /// Initial voltage of this cell (mV); default the run's `v_init`.
    #[serde(default)]
    pub v_init: Option<f64>,
    /// Spike detection (needed to record spikes; added with defaults when the cell is a source).
    #[serde(default)]
    pub spike_detector: Option<DetectorSpec>,
}

/// An artificial cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArtificialCellSpec {
    /// Unique id.
    pub id: String,
    /// Mechanism name (kind `artificial`).
    pub mechanism: String,
    /// Parameter values.
    #[serde(default)]
    pub parameters: BTreeMap<String, f64>,
}

/// Spikes at explicit times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpikeSourceSpec {
    /// Unique id.
    pub id: String,
    /// Spike times (ms).
    pub times: Vec<f64>,
}

/// The source of a connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum SourceSpec {
    /// Threshold crossings of a cell (its spike detector).
    Cell(String),
    /// A spike source with explicit times.
    SpikeSource(String),
    /// `net_event` of an artificial cell.
    ArtificialCell(String),
    /// `net_event` of a point process.
    PointProcess(String),
}

/// A connection weight: one number or the whole NET_RECEIVE argument vector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum WeightSpec {
    /// The first argument; the others start at 0.
    Scalar(f64),
    /// All arguments (missing trailing ones are 0).
    Vector(Vec<f64>),
}

/// A connection (NEURON's NetCon).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionSpec {
    /// Where spikes come from.
    pub source: SourceSpec,
    /// Id of the target point process or artificial cell.
    pub target: String,
    /// Weight.
    pub weight: WeightSpec,
    /// Delay (ms), default NEURON's 1.
    #[serde(default = "default_delay")]
    pub delay: f64,
}

/// An electrode stimulus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum StimulusSpec {
    /// NEURON's IClamp: `amplitude` nA for `delay ≤ t < delay + duration`.
    Iclamp {
        /// Id (for probes).
        #[serde(default)]
        id: Option<String>,
        /// Where.
        location: CellLocation,
        /// Onset (ms).
        delay: f64,
        /// Duration (ms).
        duration: f64,
        /// Amplitude (nA).
        amplitude: f64,
    },
    /// A constant holding current for the whole run (BluePyOpt's holding current).
    Holding {
        /// Id.
        #[serde(default)]
        id: Option<String>,
        /// Where.
        location: CellLocation,
        /// Amplitude (nA).
        amplitude: f64,
    },
    /// A linear ramp from `amplitude_start` to `amplitude_end` over `[delay, delay + duration)`,
    /// zero outside (BluePyOpt's NrnRampPulse).
    Ramp {
        /// Id.
        #[serde(default)]
        id: Option<String>,
        /// Where.
        location: CellLocation,
        /// Onset (ms).
        delay: f64,
        /// Duration (ms).
        duration: f64,
        /// Current at onset (nA).
        amplitude_start: f64,
        /// Current at the end (nA).
        amplitude_end: f64,
    },
    /// A piecewise-linear waveform (nA at ms; repeated times make jumps).
    Waveform {
        /// Id.
        #[serde(default)]
        id: Option<String>,
        /// Where.
        location: CellLocation,
        /// Times (ms), non-decreasing.
        times: Vec<f64>,
        /// Currents (nA).
        amplitudes: Vec<f64>,
    },
    /// Gaussian noise current, resampled every step.
    Noise {
        /// Id.
        #[serde(default)]
        id: Option<String>,
        /// Where.
        location: CellLocation,
        /// Onset (ms).
        delay: f64,
        /// Duration (ms).
        duration: f64,
        /// Mean (nA).
        mean: f64,
        /// Standard deviation (nA).
        std: f64,
        /// Seed.
        seed: u64,
    },
    /// NEURON's SEClamp.
    Seclamp {
        /// Id.
        #[serde(default)]
        id: Option<String>,
        /// Where.
        location: CellLocation,
        /// Series resistance (MΩ), default 1.
        #[serde(default = "default_rs")]
        rs: f64,
        /// Durations of the three levels (ms).
        durations: [f64; 3],
        /// The three levels (mV).
        amplitudes: [f64; 3],
    },
}

/// What an ion probe records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IonField {
    /// `e<ion>` (mV).
    Erev,
    /// `<ion>i` (mM).
    ConcIn,
    /// `<ion>o` (mM).
    ConcOut,
    /// `i<ion>` (mA/cm²).
    Current,
}

/// A recorded variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ProbeSpec {
    /// Membrane potential (mV).
    V {
        /// Output name (file name of the CSV).
        name: String,
        /// Where.
        location: CellLocation,
    },
    /// Total transmembrane current of the segment (nA), NEURON's `i_membrane_`.
    IMembrane {
        /// Output name.
        name: String,
        /// Where.
        location: CellLocation,
    },
    /// A field of a density mechanism.
    Mechanism {
        /// Output name.
        name: String,
        /// Where.
        location: CellLocation,
        /// Mechanism.
        mechanism: String,
        /// Field.
        field: String,
    },
    /// An ion variable.
    Ion {
        /// Output name.
        name: String,
        /// Where.
        location: CellLocation,
        /// Ion.
        ion: String,
        /// Variable.
        field: IonField,
    },
    /// A field of a point process or artificial cell.
    PointProcess {
        /// Output name.
        name: String,
        /// Id of the instance.
        id: String,
        /// Field.
        field: String,
    },
    /// The current of a stimulus (nA, positive into the cell), or `vc` of a voltage clamp.
    Stimulus {
        /// Output name.
        name: String,
        /// Id of the stimulus.
        id: String,
        /// `i` or `vc`.
        #[serde(default = "default_i")]
        field: String,
    },
}

fn default_i() -> String {
    "i".to_string()
}

impl ProbeSpec {
    /// The output name.
    pub fn name(&self) -> &str {
        match self {
            ProbeSpec::V { name, .. }
            | ProbeSpec::IMembrane { name, .. }
            | ProbeSpec::Mechanism { name, .. }
            | ProbeSpec::Ion { name, .. }
            | ProbeSpec::PointProcess { name, .. }
            | ProbeSpec::Stimulus { name, .. } => name,
        }
    }
}

impl StimulusSpec {
    /// The id, if given.
    pub fn id(&self) -> Option<&str> {
        match self {
            StimulusSpec::Iclamp { id, .. }
            | StimulusSpec::Holding { id, .. }
            | StimulusSpec::Ramp { id, .. }
            | StimulusSpec::Waveform { id, .. }
            | StimulusSpec::Noise { id, .. }
            | StimulusSpec::Seclamp { id, .. } => id.as_deref(),
        }
    }

    /// The location.
    pub fn location(&self) -> &CellLocation {
        match self {
            StimulusSpec::Iclamp { location, .. }
            | StimulusSpec::Holding { location, .. }
            | StimulusSpec::Ramp { location, .. }
            | StimulusSpec::Waveform { location, .. }
            | StimulusSpec::Noise { location, .. }
            | StimulusSpec::Seclamp { location, .. } => location,
        }
    }
}
