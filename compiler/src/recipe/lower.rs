//! From the checked [`Model`] to the runtime's [`SimulationSpec`]: one simulation per protocol
//! run, with the values of the parameters and searched currents of that run.
//!
//! The cell's prepared morphology is passed by reference: the spec names it
//! `recipe-cell/<name>` and [`Lowered::load_morphology`] returns it, so that per-segment
//! diameters of replaced axons survive (inline sections cannot carry them). Per-segment parameter
//! values are written as the canonical text of their term ([`super::expr::Term`]'s `Display`);
//! the runtime asks the caller for the compiled function of that text (see
//! `Simulation::build_with`), with the parameter vector of the run.

use super::expr::{Inputs, Term};
use super::model::{Cell, Loc, Method, Model, Property, Recording, StimulusKind, Value, Variable};
use myelin_runtime::morph::Morphology;
use myelin_runtime::spec::{
    self, CellLocation, CellSpec, ConnectionSpec, IonDefaultsSpec, IonField, IonSpec, MorphologySpec,
    NsegPolicy, PaintSpec, ParamValue, PointProcessSpec, ProbeSpec, PropertySpec, Region, RunSpec,
    SimulationSpec, SourceSpec, SpikeSourceSpec, StimulusSpec, WeightSpec,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The values a run uses for what a recipe leaves open.
#[derive(Debug, Clone, Copy)]
pub struct RunValues<'a> {
    /// Value of every recipe parameter (by index).
    pub params: &'a [f64],
    /// Holding current (nA), when searched.
    pub holding: Option<f64>,
    /// Threshold current (nA), when searched.
    pub threshold: Option<f64>,
}

impl RunValues<'_> {
    fn inputs(&self) -> Inputs<'_> {
        Inputs { params: self.params, geometry: None, holding: self.holding, threshold: self.threshold }
    }

    /// Evaluates a term of the run; a non-finite value is an error naming `what`.
    pub fn eval(&self, t: &Term, what: &str) -> Result<f64, String> {
        let v = t.eval(&self.inputs());
        if v.is_finite() {
            Ok(v)
        } else {
            Err(format!("{what} is {v} in this run (a parameter without a value, or a division by zero?)"))
        }
    }
}

/// Directory-like prefix of the morphology "files" of lowered cells.
pub const CELL_PREFIX: &str = "recipe-cell";

/// The spec path naming a cell's prepared morphology.
pub fn cell_morphology_path(cell: &str) -> PathBuf {
    Path::new(CELL_PREFIX).join(cell)
}

/// Access to the prepared morphologies of a model, for `BuildOptions::load_morphology`.
pub struct Lowered<'a> {
    /// The model.
    pub model: &'a Model,
}

impl Lowered<'_> {
    /// The prepared morphology a lowered spec names.
    pub fn load_morphology(&self, path: &Path) -> Result<Morphology, String> {
        let name =
            path.strip_prefix(CELL_PREFIX).map_err(|_| format!("not a recipe cell: {}", path.display()))?;
        self.model
            .cells
            .iter()
            .find(|c| Path::new(&c.name) == name)
            .map(|c| c.morphology.clone())
            .ok_or_else(|| format!("no cell {}", name.display()))
    }
}

fn region(cell: &Cell, sections: &[usize], everywhere: bool) -> Region {
    if everywhere {
        Region::All
    } else {
        Region::Sections(sections.iter().map(|&s| cell.morphology.sections[s].name.clone()).collect())
    }
}

/// The location `cell.section(x)`.
pub fn cell_location(cell: &Cell, at: Loc) -> CellLocation {
    CellLocation {
        cell: cell.name.clone(),
        section: cell.morphology.sections[at.section].name.clone(),
        x: at.x,
    }
}

/// The key under which a per-segment term is compiled and looked up.
pub fn segment_key(t: &Term) -> String {
    format!("recipe:{t}")
}

/// The cell part of a spec (morphology, properties, mechanisms, ions).
pub fn cell_spec(
    model: &Model,
    ci: usize,
    v: &RunValues<'_>,
    ion_defaults: &mut BTreeMap<String, IonDefaultsSpec>,
) -> Result<CellSpec, String> {
    let cell = &model.cells[ci];
    let mut properties = Vec::new();
    let mut ions = Vec::new();
    for p in &cell.properties {
        let value = v.eval(&p.value, "a `set` value")?;
        let reg = region(cell, &p.sections, p.sections.len() == cell.morphology.sections.len());
        match &p.what {
            Property::Cm => properties.push(PropertySpec { region: reg, cm: Some(value), ra: None }),
            Property::Ra => properties.push(PropertySpec { region: reg, cm: None, ra: Some(value) }),
            Property::Erev(ion) => ions.push(IonSpec {
                ion: ion.clone(),
                region: reg,
                erev: Some(value),
                conc_in: None,
                conc_out: None,
            }),
            Property::ConcIn(ion) => ions.push(IonSpec {
                ion: ion.clone(),
                region: reg,
                erev: None,
                conc_in: Some(value),
                conc_out: None,
            }),
            Property::ConcOut(ion) => ions.push(IonSpec {
                ion: ion.clone(),
                region: reg,
                erev: None,
                conc_in: None,
                conc_out: Some(value),
            }),
        }
    }
    let mut mechanisms = Vec::new();
    for ins in &cell.insertions {
        let mut parameters = BTreeMap::new();
        for (name, val) in &ins.params {
            let pv = match val {
                Value::Uniform(t) => {
                    ParamValue::Number(v.eval(t, &format!("`{name}` of `{}`", ins.mechanism))?)
                }
                Value::Segment(k) => ParamValue::Expr(segment_key(&model.segment_terms[*k])),
            };
            parameters.insert(name.clone(), pv);
        }
        mechanisms.push(PaintSpec {
            mechanism: ins.mechanism.clone(),
            region: region(cell, &ins.sections, ins.everywhere),
            parameters,
        });
    }
    for (ion, d) in &cell.ions {
        let e = ion_defaults.entry(ion.clone()).or_default();
        e.valence = d.valence.or(e.valence);
        e.conc_in0 = d.conc_in.or(e.conc_in0);
        e.conc_out0 = d.conc_out.or(e.conc_out0);
    }
    Ok(CellSpec {
        name: cell.name.clone(),
        morphology: MorphologySpec::File(cell_morphology_path(&cell.name)),
        nseg: NsegPolicy::Given,
        cm: v.eval(&cell.cm, "`cm`")?,
        ra: v.eval(&cell.ra, "`Ra`")?,
        properties,
        mechanisms,
        ions,
        point_processes: vec![],
        v_init: match &cell.v_init {
            Some(t) => Some(v.eval(t, "`v_init`")?),
            None => None,
        },
        spike_detector: None,
    })
}

/// Run settings of a simulation of `tstop` ms (protocol `dt` overrides the settings' one).
pub fn run_spec(model: &Model, tstop: f64, dt: Option<f64>, v: &RunValues<'_>) -> Result<RunSpec, String> {
    let s = &model.settings;
    Ok(RunSpec {
        tstop,
        dt: dt.unwrap_or(s.dt),
        celsius: v.eval(&s.celsius, "`celsius`")?,
        v_init: v.eval(&s.v_init, "`v_init`")?,
        method: match s.method {
            Method::BackwardEuler => spec::Method::BackwardEuler,
            Method::CrankNicolson => spec::Method::CrankNicolson,
        },
        record_dt: s.record_dt,
        seed: s.seed,
    })
}

/// A probe of a recording.
pub fn probe(cell: &Cell, r: &Recording) -> ProbeSpec {
    let location = cell_location(cell, r.at);
    let name = r.name.clone();
    match &r.variable {
        Variable::V => ProbeSpec::V { name, location },
        Variable::IMembrane => ProbeSpec::IMembrane { name, location },
        Variable::IonCurrent(ion) => {
            ProbeSpec::Ion { name, location, ion: ion.clone(), field: IonField::Current }
        }
        Variable::IonErev(ion) => ProbeSpec::Ion { name, location, ion: ion.clone(), field: IonField::Erev },
        Variable::IonConcIn(ion) => {
            ProbeSpec::Ion { name, location, ion: ion.clone(), field: IonField::ConcIn }
        }
        Variable::IonConcOut(ion) => {
            ProbeSpec::Ion { name, location, ion: ion.clone(), field: IonField::ConcOut }
        }
        Variable::Mechanism { mechanism, field } => {
            ProbeSpec::Mechanism { name, location, mechanism: mechanism.clone(), field: field.clone() }
        }
    }
}

/// The mechanism-wide values of the model (`global` items).
pub fn globals(model: &Model, v: &RunValues<'_>) -> Result<BTreeMap<String, BTreeMap<String, f64>>, String> {
    let mut out: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for (m, n, t) in &model.globals {
        out.entry(m.clone()).or_default().insert(n.clone(), v.eval(t, &format!("`{n}` of `{m}`"))?);
    }
    Ok(out)
}

/// The seed of the `k`-th noise stimulus (from 0, in the protocol's order) that has no `seed`
/// of its own: `settings.seed + k`, so that `settings.seed` drives every such stream and two
/// unseeded stimuli of one protocol are independent.
pub fn noise_seed(settings_seed: u64, k: u64) -> u64 {
    settings_seed.wrapping_add(k)
}

/// The simulation of protocol `pi` with the given values.
pub fn protocol_spec(model: &Model, pi: usize, v: &RunValues<'_>) -> Result<SimulationSpec, String> {
    let p = &model.protocols[pi];
    let cell = &model.cells[p.cell];
    let mut ion_defaults = BTreeMap::new();
    let mut cs = cell_spec(model, p.cell, v, &mut ion_defaults)?;
    let tstop = v.eval(&p.duration, "the protocol's duration")?;
    let dt = match &p.dt {
        Some(t) => Some(v.eval(t, "`dt`")?),
        None => None,
    };
    let mut spec = SimulationSpec {
        cells: vec![],
        artificial_cells: vec![],
        spike_sources: vec![],
        connections: vec![],
        stimuli: vec![],
        probes: p.recordings.iter().map(|r| probe(cell, r)).collect(),
        globals: globals(model, v)?,
        ion_defaults,
        run: run_spec(model, tstop, dt, v)?,
    };
    let mut unseeded = 0u64;
    for (k, s) in p.stimuli.iter().enumerate() {
        let location = cell_location(cell, s.at);
        let e = |t: &Term, what: &str| v.eval(t, what);
        match &s.kind {
            StimulusKind::Step { delay, duration, amplitude } => spec.stimuli.push(StimulusSpec::Iclamp {
                id: None,
                location,
                delay: e(delay, "`delay`")?,
                duration: e(duration, "`duration`")?,
                amplitude: e(amplitude, "`amplitude`")?,
            }),
            StimulusKind::Holding { amplitude } => spec.stimuli.push(StimulusSpec::Holding {
                id: None,
                location,
                amplitude: e(amplitude, "`amplitude`")?,
            }),
            StimulusKind::Ramp { delay, duration, from, to } => spec.stimuli.push(StimulusSpec::Ramp {
                id: None,
                location,
                delay: e(delay, "`delay`")?,
                duration: e(duration, "`duration`")?,
                amplitude_start: e(from, "`from`")?,
                amplitude_end: e(to, "`to`")?,
            }),
            StimulusKind::Pulses { delay, duration, amplitude, count, interval } => {
                let (d, du, a, i) = (
                    e(delay, "`delay`")?,
                    e(duration, "`duration`")?,
                    e(amplitude, "`amplitude`")?,
                    e(interval, "`interval`")?,
                );
                for n in 0..*count {
                    spec.stimuli.push(StimulusSpec::Iclamp {
                        id: None,
                        location: location.clone(),
                        delay: d + n as f64 * i,
                        duration: du,
                        amplitude: a,
                    });
                }
            }
            StimulusKind::Sequence { times, amplitudes } => {
                let mut ts = Vec::new();
                let mut ys = Vec::new();
                let mut level = 0.0;
                for (t, a) in times.iter().zip(amplitudes) {
                    let t = e(t, "a time")?;
                    ts.push(t);
                    ys.push(level);
                    level = e(a, "an amplitude")?;
                    ts.push(t);
                    ys.push(level);
                }
                if ts.windows(2).any(|w| w[1] < w[0]) {
                    return Err("the times of a sequence do not increase in this run".into());
                }
                spec.stimuli.push(StimulusSpec::Waveform { id: None, location, times: ts, amplitudes: ys });
            }
            StimulusKind::Noise { delay, duration, mean, std, seed } => {
                spec.stimuli.push(StimulusSpec::Noise {
                    id: None,
                    location,
                    delay: e(delay, "`delay`")?,
                    duration: e(duration, "`duration`")?,
                    mean: e(mean, "`mean`")?,
                    std: e(std, "`std`")?,
                    seed: seed.unwrap_or_else(|| {
                        unseeded += 1;
                        noise_seed(model.settings.seed, unseeded - 1)
                    }),
                })
            }
            StimulusKind::Synapse { mechanism, params, times, weight, delay } => {
                let id = format!("{}.synapse{k}", p.name);
                let mut parameters = BTreeMap::new();
                for (n, t) in params {
                    parameters.insert(n.clone(), e(t, n)?);
                }
                cs.point_processes.push(PointProcessSpec {
                    id: id.clone(),
                    mechanism: mechanism.clone(),
                    location: spec::Location { section: location.section.clone(), x: location.x },
                    parameters,
                });
                let mut ts =
                    times.iter().map(|t| e(t, "a spike time")).collect::<Result<Vec<f64>, String>>()?;
                ts.sort_by(f64::total_cmp);
                let src = format!("{id}.spikes");
                spec.spike_sources.push(SpikeSourceSpec { id: src.clone(), times: ts });
                spec.connections.push(ConnectionSpec {
                    source: SourceSpec::SpikeSource(src),
                    target: id,
                    weight: WeightSpec::Scalar(e(weight, "`weight`")?),
                    delay: e(delay, "`delay`")?,
                });
            }
            StimulusKind::Clamp { durations, levels, rs } => {
                let mut d = [0.0; 3];
                let mut a = [0.0; 3];
                for (i, (t, l)) in durations.iter().zip(levels).enumerate() {
                    d[i] = e(t, "a duration")?;
                    a[i] = e(l, "a level")?;
                }
                spec.stimuli.push(StimulusSpec::Seclamp {
                    id: None,
                    location,
                    rs: e(rs, "`rs`")?,
                    durations: d,
                    amplitudes: a,
                });
            }
        }
    }
    spec.cells.push(cs);
    Ok(spec)
}
