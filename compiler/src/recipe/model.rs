//! The checked recipe: every name resolved, every quantity in the runtime's units (ms, mV, nA,
//! µm, S/cm², µF/cm², Ω·cm, mM, °C), regions as sets of sections and locations as `sec(x)` of the
//! prepared morphology. Values that depend on parameters, searched currents or the segment are
//! [`Term`]s, evaluated (or compiled) when a run is set up, so that sweeps and searches never
//! re-check the recipe.

use super::expr::Term;
use crate::diag::Span;
use myelin_runtime::morph::Morphology;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Everything a recipe says, checked.
#[derive(Debug, Clone, Default)]
pub struct Model {
    /// Where mechanisms come from.
    pub sources: MechanismSources,
    /// Parameters (index = `Term::Param` index).
    pub params: Vec<Param>,
    /// Cells.
    pub cells: Vec<Cell>,
    /// Protocols.
    pub protocols: Vec<Protocol>,
    /// Searches of holding and threshold currents.
    pub search: Search,
    /// Run settings.
    pub settings: Settings,
    /// Statements, in order.
    pub statements: Vec<Statement>,
    /// Distinct per-segment expressions to compile; `Value::Segment` refers to them by index.
    pub segment_terms: Vec<Term>,
    /// Mechanism-wide (GLOBAL) values: (mechanism, name, value in the global's unit).
    pub globals: Vec<(String, String, Term)>,
}

/// Mechanism sources, resolved to paths.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MechanismSources {
    /// Myelin's own catalogue.
    pub builtin: bool,
    /// .mod files and directories.
    pub mods: Vec<PathBuf>,
    /// Ahead-of-time artifact directories.
    pub aot: Vec<PathBuf>,
}

/// A recipe parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// Name.
    pub name: String,
    /// Unit of its value as written (e.g. `S/cm2`, empty when dimensionless).
    pub unit: String,
    /// Value, in `unit`.
    pub value: Option<f64>,
    /// Bounds of a free parameter, in `unit`.
    pub bounds: Option<(f64, f64)>,
    /// Where it is defined.
    pub span: Span,
}

impl Param {
    /// True for a parameter with bounds (an optimiser would vary it).
    pub fn is_free(&self) -> bool {
        self.bounds.is_some()
    }
}

/// A value of a mechanism parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// The same everywhere; may depend on parameters.
    Uniform(Term),
    /// Depends on the segment: index into [`Model::segment_terms`].
    Segment(usize),
}

/// A density mechanism inserted on a set of sections.
#[derive(Debug, Clone, PartialEq)]
pub struct Insertion {
    /// Mechanism name.
    pub mechanism: String,
    /// Sections (indices into the prepared morphology), in section order.
    pub sections: Vec<usize>,
    /// Whether the region is exactly every section (lowered as `all`).
    pub everywhere: bool,
    /// Parameter values, in the units of the mechanism's fields.
    pub params: Vec<(String, Value)>,
}

/// Membrane properties set on a set of sections.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertySet {
    /// Sections.
    pub sections: Vec<usize>,
    /// What is set.
    pub what: Property,
    /// Value (may depend on parameters).
    pub value: Term,
}

/// A property set with `set`.
#[derive(Debug, Clone, PartialEq)]
pub enum Property {
    /// Specific capacitance (µF/cm²).
    Cm,
    /// Axial resistivity (Ω·cm).
    Ra,
    /// Reversal potential of an ion (mV).
    Erev(String),
    /// Inner concentration of an ion (mM).
    ConcIn(String),
    /// Outer concentration of an ion (mM).
    ConcOut(String),
}

/// Global values of an ion.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IonDefaults {
    /// Valence.
    pub valence: Option<f64>,
    /// Initial inner concentration of state concentrations (mM).
    pub conc_in: Option<f64>,
    /// Initial outer concentration (mM).
    pub conc_out: Option<f64>,
}

/// A location on a cell: `sec(x)` of the prepared morphology.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Loc {
    /// Section index.
    pub section: usize,
    /// Position 0..1.
    pub x: f64,
}

/// A cell.
#[derive(Debug, Clone)]
pub struct Cell {
    /// Name.
    pub name: String,
    /// The prepared morphology (nseg set, axon replaced).
    pub morphology: Morphology,
    /// Where the morphology came from (a file, or the built-in shape's name).
    pub morphology_source: String,
    /// Specific capacitance everywhere (µF/cm²).
    pub cm: Term,
    /// Axial resistivity everywhere (Ω·cm).
    pub ra: Term,
    /// Initial potential of this cell (mV), if it overrides the settings.
    pub v_init: Option<Term>,
    /// `set` entries in order.
    pub properties: Vec<PropertySet>,
    /// Inserted mechanisms in order.
    pub insertions: Vec<Insertion>,
    /// Ion globals.
    pub ions: BTreeMap<String, IonDefaults>,
    /// Named locations.
    pub locations: BTreeMap<String, Loc>,
}

/// A stimulus of a protocol.
#[derive(Debug, Clone, PartialEq)]
pub struct Stimulus {
    /// Where.
    pub at: Loc,
    /// What.
    pub kind: StimulusKind,
    /// Where it is written.
    pub span: Span,
}

/// Kinds of stimuli; amplitudes may depend on parameters and searched currents.
#[derive(Debug, Clone, PartialEq)]
pub enum StimulusKind {
    /// A current step (IClamp).
    Step {
        /// Onset (ms).
        delay: Term,
        /// Duration (ms).
        duration: Term,
        /// Amplitude (nA).
        amplitude: Term,
    },
    /// A constant current for the whole protocol.
    Holding {
        /// Amplitude (nA).
        amplitude: Term,
    },
    /// A linear ramp, zero outside its window.
    Ramp {
        /// Onset (ms).
        delay: Term,
        /// Duration (ms).
        duration: Term,
        /// Current at onset (nA).
        from: Term,
        /// Current at the end (nA).
        to: Term,
    },
    /// A train of equal steps.
    Pulses {
        /// Onset of the first pulse (ms).
        delay: Term,
        /// Duration of each pulse (ms).
        duration: Term,
        /// Amplitude (nA).
        amplitude: Term,
        /// Number of pulses.
        count: u32,
        /// Onset-to-onset interval (ms).
        interval: Term,
    },
    /// Piecewise-constant levels: `amplitudes[i]` from `times[i]` to the next time (the last
    /// level lasts to the end).
    Sequence {
        /// Start times (ms), increasing.
        times: Vec<Term>,
        /// Levels (nA).
        amplitudes: Vec<Term>,
    },
    /// Gaussian current noise resampled every step.
    Noise {
        /// Onset (ms).
        delay: Term,
        /// Duration (ms).
        duration: Term,
        /// Mean (nA).
        mean: Term,
        /// Standard deviation (nA).
        std: Term,
        /// The stimulus's own seed; without one, the stream is derived from `settings.seed`
        /// (see [`crate::recipe::lower::noise_seed`]).
        seed: Option<u64>,
    },
    /// A synapse (point process) activated at given spike times.
    Synapse {
        /// Mechanism (a point process with NET_RECEIVE).
        mechanism: String,
        /// Parameter values in the mechanism's units.
        params: Vec<(String, Term)>,
        /// Spike times (ms).
        times: Vec<Term>,
        /// Connection weight (first NET_RECEIVE argument, in its units).
        weight: Term,
        /// Connection delay (ms).
        delay: Term,
    },
    /// A voltage clamp (NEURON's SEClamp): up to three levels held one after the other from
    /// t = 0, then off.
    Clamp {
        /// Durations of the levels (ms).
        durations: Vec<Term>,
        /// Clamp potentials (mV).
        levels: Vec<Term>,
        /// Series resistance (MΩ).
        rs: Term,
    },
}

/// What a recording reads.
#[derive(Debug, Clone, PartialEq)]
pub enum Variable {
    /// Membrane potential (mV).
    V,
    /// Transmembrane current of the segment (nA).
    IMembrane,
    /// `i<ion>` (mA/cm²).
    IonCurrent(String),
    /// `e<ion>` (mV).
    IonErev(String),
    /// `<ion>i` (mM).
    IonConcIn(String),
    /// `<ion>o` (mM).
    IonConcOut(String),
    /// A field of a density mechanism.
    Mechanism {
        /// Mechanism.
        mechanism: String,
        /// Field.
        field: String,
    },
}

/// A recording of a protocol.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    /// Name (the CSV file name and the feature key).
    pub name: String,
    /// Variable.
    pub variable: Variable,
    /// Where.
    pub at: Loc,
    /// Column name in the CSV (`v`, `ina`, `m_hh` …).
    pub column: String,
    /// Unit of the values, for plots.
    pub unit: &'static str,
}

/// An eFEL setting value.
#[derive(Debug, Clone, PartialEq)]
pub enum SettingValue {
    /// A number in eFEL's units.
    Number(f64),
    /// true / false.
    Bool(bool),
    /// Text (`voltage_base_mode`).
    Text(String),
}

/// A feature with its experimental target.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureTarget {
    /// Recording name.
    pub recording: String,
    /// eFEL feature name.
    pub feature: String,
    /// Target mean (feature units).
    pub mean: f64,
    /// Target standard deviation.
    pub std: f64,
    /// Weight of the score.
    pub weight: f64,
    /// The feature's own eFEL settings (win over the protocol's and the global ones).
    pub settings: Vec<(String, SettingValue)>,
    /// Where it is written.
    pub span: Span,
}

/// A protocol.
#[derive(Debug, Clone, PartialEq)]
pub struct Protocol {
    /// Name.
    pub name: String,
    /// Cell index.
    pub cell: usize,
    /// Simulated time (ms).
    pub duration: Term,
    /// Time step (ms), if it overrides the settings.
    pub dt: Option<Term>,
    /// Stimuli.
    pub stimuli: Vec<Stimulus>,
    /// Recordings.
    pub recordings: Vec<Recording>,
    /// Features.
    pub features: Vec<FeatureTarget>,
    /// eFEL settings of the protocol's features.
    pub efel: Vec<(String, SettingValue)>,
    /// Where it is written.
    pub span: Span,
}

impl Protocol {
    /// True when any stimulus reads a searched current.
    pub fn uses(&self, c: super::expr::CurrentVar) -> bool {
        self.stimuli.iter().any(|s| s.kind.terms().iter().any(|t| t.uses_current(c)))
    }

    /// The window eFEL features use by default (stim_start, stim_end): that of the first step,
    /// ramp, pulse train or noise (`delay` to `delay + duration`, to the last pulse's end
    /// for trains); `None` when the protocol has none.
    pub fn window_terms(&self) -> Option<(Term, Term)> {
        use super::expr::Op;
        self.stimuli.iter().find_map(|s| match &s.kind {
            StimulusKind::Step { delay, duration, .. }
            | StimulusKind::Ramp { delay, duration, .. }
            | StimulusKind::Noise { delay, duration, .. } => {
                Some((delay.clone(), Term::bin(Op::Add, delay.clone(), duration.clone())))
            }
            StimulusKind::Pulses { delay, duration, count, interval, .. } => {
                let last = Term::bin(
                    Op::Add,
                    delay.clone(),
                    Term::bin(Op::Mul, Term::Const(count.saturating_sub(1) as f64), interval.clone()),
                );
                Some((delay.clone(), Term::bin(Op::Add, last, duration.clone())))
            }
            _ => None,
        })
    }

    /// The step amplitude eFEL's input-resistance features divide by (`stimulus_current`): the
    /// amplitude of the first step.
    pub fn step_amplitude(&self) -> Option<&Term> {
        self.stimuli.iter().find_map(|s| match &s.kind {
            StimulusKind::Step { amplitude, .. } => Some(amplitude),
            _ => None,
        })
    }
}

impl StimulusKind {
    /// Every term of the stimulus.
    pub fn terms(&self) -> Vec<&Term> {
        match self {
            StimulusKind::Step { delay, duration, amplitude } => vec![delay, duration, amplitude],
            StimulusKind::Holding { amplitude } => vec![amplitude],
            StimulusKind::Ramp { delay, duration, from, to } => vec![delay, duration, from, to],
            StimulusKind::Pulses { delay, duration, amplitude, interval, .. } => {
                vec![delay, duration, amplitude, interval]
            }
            StimulusKind::Sequence { times, amplitudes } => times.iter().chain(amplitudes).collect(),
            StimulusKind::Noise { delay, duration, mean, std, .. } => vec![delay, duration, mean, std],
            StimulusKind::Synapse { params, times, weight, delay, .. } => {
                params.iter().map(|(_, t)| t).chain(times).chain([weight, delay]).collect()
            }
            StimulusKind::Clamp { durations, levels, rs } => {
                durations.iter().chain(levels).chain([rs]).collect()
            }
        }
    }
}

/// A target of a search response (`bpo_holding_current`, `bpo_threshold_current`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResponseTarget {
    /// Mean (nA).
    pub mean: f64,
    /// Standard deviation (nA).
    pub std: f64,
}

/// The searches of BluePyEModel's threshold-based protocols (docs/recipe.md, "Searches").
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    /// Cell the searches run on.
    pub cell: usize,
    /// Where the search currents are injected (the soma centre by default).
    pub at: Option<Loc>,
    /// Holding current search.
    pub holding: HoldingSearch,
    /// Threshold current search (with the RMP and input resistance protocols it needs).
    pub threshold: ThresholdSearch,
    /// True when a `search holding_current` block was written.
    pub holding_declared: bool,
}

/// Settings of the holding current search.
#[derive(Debug, Clone, PartialEq)]
pub struct HoldingSearch {
    /// Voltage to hold the cell at (mV).
    pub target: Option<f64>,
    /// Initial bounds (nA).
    pub lower: f64,
    /// Upper bound (nA).
    pub upper: f64,
    /// Duration of each trial (ms).
    pub duration: f64,
    /// Largest bisection depth.
    pub max_depth: u32,
    /// Voltage tolerance (mV).
    pub tolerance: f64,
    /// Keep the bounds (else widen them by 0.2 nA until they bracket the target).
    pub strict_bounds: bool,
    /// Score target of the found current.
    pub score: Option<ResponseTarget>,
}

/// Settings of the threshold current search.
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdSearch {
    /// Step onset (ms).
    pub delay: f64,
    /// Step duration (ms).
    pub duration: f64,
    /// Trial length (ms).
    pub total: f64,
    /// Largest bisection depth.
    pub max_depth: u32,
    /// Stop when the bracket is narrower than this (nA).
    pub precision: f64,
    /// Voltage that bounds the search from above (mV).
    pub max_voltage: f64,
    /// Duration of the resting potential protocol (ms).
    pub rmp_duration: f64,
    /// Step of the input resistance protocol (nA).
    pub rin_amplitude: f64,
    /// Its onset (ms).
    pub rin_delay: f64,
    /// Its duration (ms).
    pub rin_duration: f64,
    /// Its total length (ms).
    pub rin_total: f64,
    /// Spike detection threshold of the trials (mV).
    pub spike_threshold: f64,
    /// Score target of the found current.
    pub score: Option<ResponseTarget>,
}

impl Default for Search {
    fn default() -> Search {
        Search {
            cell: 0,
            at: None,
            holding_declared: false,
            holding: HoldingSearch {
                target: None,
                lower: -0.2,
                upper: 0.2,
                duration: 500.0,
                max_depth: 7,
                tolerance: 0.1,
                strict_bounds: true,
                score: None,
            },
            threshold: ThresholdSearch {
                delay: 500.0,
                duration: 2000.0,
                total: 3000.0,
                max_depth: 10,
                precision: 0.01,
                max_voltage: -30.0,
                rmp_duration: 500.0,
                rin_amplitude: -0.02,
                rin_delay: 500.0,
                rin_duration: 500.0,
                rin_total: 1000.0,
                spike_threshold: -20.0,
                score: None,
            },
        }
    }
}

/// How scores are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScoreRule {
    /// BluePyOpt: Σ|v − mean|/std/n, 250 for a failed feature, not capped.
    #[default]
    BluePyOpt,
    /// BluePyEModel: the same capped at 250.
    BluePyEModel,
}

/// Integration method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// Backward Euler (NEURON's default).
    #[default]
    BackwardEuler,
    /// Crank–Nicolson.
    CrankNicolson,
}

/// Run settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Temperature (°C).
    pub celsius: Term,
    /// Initial potential (mV).
    pub v_init: Term,
    /// Time step (ms).
    pub dt: f64,
    /// Integration method.
    pub method: Method,
    /// Sampling interval of recordings (ms); every step when absent.
    pub record_dt: Option<f64>,
    /// Seed of random streams.
    pub seed: u64,
    /// Score rule.
    pub scores: ScoreRule,
    /// Global eFEL settings.
    pub efel: Vec<(String, SettingValue)>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            celsius: Term::Const(6.3),
            v_init: Term::Const(-65.0),
            dt: 0.025,
            method: Method::BackwardEuler,
            record_dt: None,
            seed: 1,
            scores: ScoreRule::BluePyOpt,
            efel: vec![],
        }
    }
}

/// A statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// Run protocols and write their traces.
    Simulate {
        /// Protocol indices.
        protocols: Vec<usize>,
        /// Where.
        span: Span,
    },
    /// Run protocols, compute features and scores.
    Evaluate {
        /// Protocol indices.
        protocols: Vec<usize>,
        /// Where.
        span: Span,
    },
    /// Run the body once per value of a parameter.
    Sweep {
        /// Parameter index.
        param: usize,
        /// Values, in the parameter's unit.
        values: Vec<f64>,
        /// Statements.
        body: Vec<Statement>,
        /// Where.
        span: Span,
    },
}
