//! Lowering an e-model (configuration, parameter values, morphology, protocol) to the runtime's
//! [`SimulationSpec`], with BluePyOpt's semantics:
//!
//! * morphology: NEURON's Import3d, then `nseg = 1 + 2·int(L/40)`, then the axon replacement
//!   ([`prepare_morphology`], the order of `NrnFileMorphology.instantiate`);
//! * every mechanism inserted on the sections of its section list(s);
//! * parameters applied in definition order (later values win where locations overlap):
//!   `cm`/`Ra` as section properties, `e<ion>` / `<ion>i` / `<ion>o` as ion values, RANGE
//!   variables per segment (distributions as expressions of the path distance from
//!   `soma[0](0.5)`), `v_init`/`celsius` and mechanism GLOBALs as run settings;
//! * stimuli as NEURON IClamps at `soma[0](0.5)`; recordings at the locations BluePyOpt computes;
//! * NEURON's fixed step (0.025 ms by default), backward Euler, every step recorded.

use super::distribution::to_expression;
use super::error::ConfigError;
use super::model::{expand_location, EModelConfig, ParamKind, Parameter};
use super::protocols::{Amplitude, Protocol, RecordingLocation};
use myelin_runtime::morph::{self, AxonReplacement, Morphology, SectionKind, TrunkDirection};
use myelin_runtime::spec::{
    CellLocation, CellSpec, IonField, IonSpec, Method, MorphologySpec, NsegPolicy, PaintSpec, ParamValue,
    ProbeSpec, PropertySpec, Region, RunSpec, SimulationSpec, StimulusSpec,
};
use std::collections::BTreeMap;
use std::path::Path;

/// The name of the cell in the lowered description.
pub const CELL: &str = "cell";

/// How the morphology is prepared.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MorphologyOptions {
    /// BluePyOpt's nseg frequency (µm): `nseg = 1 + 2·int(L/f)`.
    pub nseg_frequency: f64,
    /// Axon replacement applied after the nseg rule.
    pub axon: AxonReplacement,
}

impl Default for MorphologyOptions {
    fn default() -> Self {
        MorphologyOptions { nseg_frequency: 40.0, axon: AxonReplacement::BluePyOpt }
    }
}

/// Run settings and the currents that threshold-based protocols need.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Time step (ms).
    pub dt: f64,
    /// The cell's threshold current (nA), for `thresh_perc` amplitudes.
    pub threshold_current: Option<f64>,
    /// The cell's holding current (nA), for holding stimuli without an amplitude.
    pub holding_current: Option<f64>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { dt: 0.025, threshold_current: None, holding_current: None }
    }
}

/// Reads a morphology file and prepares it as BluePyOpt's `NrnFileMorphology` does.
pub fn prepare_morphology(path: &Path, opts: MorphologyOptions) -> Result<Morphology, ConfigError> {
    let file = path.display().to_string();
    let merr = |e: morph::MorphError| {
        let mut c = ConfigError::new(&file, "", e.message.clone());
        if e.line > 0 {
            c = c.at_line(e.line, e.column.max(1));
        }
        if let Some(h) = e.hint {
            c = c.hint(h);
        }
        c
    };
    let mut m = morph::load(path).map_err(merr)?;
    m.set_nseg_frequency(opts.nseg_frequency).map_err(merr)?;
    m.replace_axon(opts.axon).map_err(merr)?;
    Ok(m)
}

fn region(list: &str) -> Region {
    match list {
        "somatic" => Region::Somatic,
        "axonal" => Region::Axonal,
        "basal" => Region::Basal,
        "apical" => Region::Apical,
        "myelinated" => Region::Myelinated,
        _ => Region::All,
    }
}

fn in_list(kind: SectionKind, list: &str) -> bool {
    match list {
        "all" => true,
        "somatic" => kind == SectionKind::Soma,
        "axonal" => kind == SectionKind::Axon,
        "basal" => kind == SectionKind::Dend,
        "apical" => kind == SectionKind::Apic,
        "myelinated" => matches!(kind, SectionKind::Other(_)),
        _ => false,
    }
}

fn lists(p: &Parameter) -> Result<Vec<&'static str>, ConfigError> {
    expand_location(&p.location).ok_or_else(|| p.origin.error(format!("unknown location `{}`", p.location)))
}

/// Splits `<field>_<suffix>` for a suffix among `mechs` (the longest match).
fn split_suffix<'a>(name: &'a str, mechs: &[&'a str]) -> Option<(&'a str, &'a str)> {
    mechs
        .iter()
        .filter(|m| {
            name.len() > m.len() + 1 && name.ends_with(*m) && name[..name.len() - m.len()].ends_with('_')
        })
        .max_by_key(|m| m.len())
        .map(|m| (&name[..name.len() - m.len() - 1], *m))
}

fn cell_location(section: &str, x: f64) -> CellLocation {
    CellLocation { cell: CELL.to_string(), section: section.to_string(), x }
}

/// Lowers one protocol of an e-model with parameter `values` (aligned with
/// `config.parameters`, see [`EModelConfig::resolve`]) on a prepared morphology; the cell's
/// morphology is referred to as `morphology_file` (build it with a loader that returns `morph`).
pub fn lower(
    config: &EModelConfig,
    values: &[f64],
    morph: &Morphology,
    morphology_file: &Path,
    protocol: &Protocol,
    settings: &Settings,
) -> Result<SimulationSpec, ConfigError> {
    let mech_names = config.mechanism_names();
    let soma = morph.soma_center().map_err(|e| {
        ConfigError::new(&morphology_file.display().to_string(), "", e.message)
            .hint("BluePyOpt cells need a soma")
    })?;
    let soma_name = morph.sections[soma.section].name.clone();
    let root_is_soma = morph.sections[soma.section].parent.is_none();

    // Which sections each mechanism is inserted on.
    let mut inserted: BTreeMap<&str, Vec<bool>> = BTreeMap::new();
    let mut paints = Vec::new();
    for m in &config.mechanisms {
        let ls = expand_location(&m.location)
            .ok_or_else(|| m.origin.error(format!("unknown location `{}`", m.location)))?;
        let mask = inserted.entry(&m.suffix).or_insert_with(|| vec![false; morph.sections.len()]);
        for l in ls {
            for (i, s) in morph.sections.iter().enumerate() {
                mask[i] |= in_list(s.kind, l);
            }
            paints.push(PaintSpec {
                mechanism: m.suffix.clone(),
                region: region(l),
                parameters: BTreeMap::new(),
            });
        }
    }

    let mut run = RunSpec {
        tstop: protocol.total_duration(),
        dt: settings.dt,
        celsius: 6.3,
        v_init: -65.0,
        method: Method::BackwardEuler,
        record_dt: None,
        seed: 1,
    };
    let mut globals: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    let mut properties = Vec::new();
    let mut ions = Vec::new();

    // Meta-parameters of distributions, by distribution.
    let meta: Vec<(&str, String, f64)> = config
        .parameters
        .iter()
        .zip(values)
        .filter_map(|(p, &v)| match &p.kind {
            ParamKind::DistributionMeta { distribution } => Some((distribution.as_str(), p.param.clone(), v)),
            _ => None,
        })
        .collect();

    for (p, &v) in config.parameters.iter().zip(values) {
        match &p.kind {
            ParamKind::DistributionMeta { .. } => {}
            ParamKind::Global => match p.param.as_str() {
                "v_init" => run.v_init = v,
                "celsius" => run.celsius = v,
                name => match split_suffix(name, &mech_names) {
                    Some((field, mech)) => {
                        globals.entry(mech.to_string()).or_default().insert(field.to_string(), v);
                    }
                    None => {
                        return Err(p.origin.error(format!("`{name}` is not a global Myelin knows")).hint(
                            "globals: v_init, celsius, or <name>_<mechanism> of an inserted mechanism",
                        ))
                    }
                },
            },
            ParamKind::Section | ParamKind::Range { .. } => {
                let field_mech = match &p.kind {
                    ParamKind::Range { mechanism: Some(m) } => {
                        let field = p
                            .param
                            .strip_suffix(&format!("_{m}"))
                            .ok_or_else(|| p.origin.error(format!("`{}` does not end in `_{m}`", p.param)))?;
                        Some((field.to_string(), m.clone()))
                    }
                    _ => split_suffix(&p.param, &mech_names).map(|(f, m)| (f.to_string(), m.to_string())),
                };
                let ls = lists(p)?;
                let Some((field, mech)) = field_mech else {
                    if matches!(p.kind, ParamKind::Range { .. }) {
                        return Err(p
                            .origin
                            .error(format!("`{}` belongs to none of the inserted mechanisms", p.param))
                            .hint(format!("mechanisms: {}", mech_names.join(", "))));
                    }
                    section_variable(p, v, &ls, &mut properties, &mut ions)?;
                    continue;
                };
                let Some(mask) = inserted.get(mech.as_str()) else {
                    return Err(p
                        .origin
                        .error(format!("mechanism `{mech}` of `{}` is not inserted anywhere", p.name))
                        .hint("insert it in the mechanisms configuration"));
                };
                for l in &ls {
                    if let Some(s) =
                        morph.sections.iter().enumerate().find(|(i, s)| in_list(s.kind, l) && !mask[*i])
                    {
                        return Err(p.origin.error(format!(
                            "`{}` sets `{mech}` on section list `{l}`, but `{mech}` is not inserted on {}",
                            p.name, s.1.name
                        )));
                    }
                }
                let value = match &p.distribution {
                    None => ParamValue::Number(v),
                    Some(d) => {
                        if matches!(p.kind, ParamKind::Section) {
                            return Err(p.origin.error("a section parameter cannot have a distribution"));
                        }
                        if d.soma_ref_location != 0.5 || !root_is_soma {
                            return Err(p.origin.error(format!(
                                "distribution `{}` measures from {soma_name}({}); Myelin measures from the root's centre",
                                d.name, d.soma_ref_location
                            ))
                            .hint("use soma_ref_location 0.5 on a morphology rooted at soma[0]"));
                        }
                        let m: Vec<(String, f64)> = meta
                            .iter()
                            .filter(|(dist, _, _)| *dist == d.name)
                            .map(|(_, k, v)| (k.clone(), *v))
                            .collect();
                        for needed in &d.parameters {
                            if !m.iter().any(|(k, _)| k == needed) {
                                return Err(p.origin.error(format!(
                                    "distribution `{}` needs the meta-parameter `{needed}` (location distribution_{})",
                                    d.name, d.name
                                )));
                            }
                        }
                        ParamValue::Expr(to_expression(&d.function, v, &m).map_err(|e| p.origin.error(e))?)
                    }
                };
                for l in ls {
                    let mut parameters = BTreeMap::new();
                    parameters.insert(field.clone(), value.clone());
                    paints.push(PaintSpec { mechanism: mech.clone(), region: region(l), parameters });
                }
            }
        }
    }

    // Stimuli: IClamps at the soma centre.
    let mut stimuli = Vec::new();
    for (i, s) in protocol.stimuli.iter().enumerate() {
        let amplitude = match s.amplitude {
            Amplitude::Absolute(a) => a,
            Amplitude::ThresholdPercent(pc) => match settings.threshold_current {
                Some(t) => t * pc / 100.0,
                None => {
                    return Err(s
                        .origin
                        .error(format!("the amplitude is {pc}% of the threshold current, which is not known"))
                        .hint("give the cell's threshold current (--threshold-current NA)"))
                }
            },
            Amplitude::HoldingCurrent => match settings.holding_current {
                Some(h) => h,
                None => {
                    return Err(s
                        .origin
                        .error("the amplitude is the cell's holding current, which is not known")
                        .hint("give the cell's holding current (--holding-current NA)"))
                }
            },
        };
        stimuli.push(StimulusSpec::Iclamp {
            id: Some(format!("stim{i}")),
            location: cell_location(&soma_name, 0.5),
            delay: s.delay,
            duration: s.duration,
            amplitude,
        });
    }

    // Recordings.
    let mut probes = Vec::new();
    for (r, name) in protocol.recordings.iter().zip(protocol.recording_names()) {
        let rerr = |e: morph::MorphError| {
            let mut c = r.origin.error(e.message);
            if let Some(h) = e.hint {
                c = c.hint(h);
            }
            c
        };
        let loc = match &r.location {
            RecordingLocation::Soma => soma,
            RecordingLocation::Ais => morph.location("axon[0](0.5)").map_err(rerr)?,
            RecordingLocation::SomaDistance { seclist, distance } => {
                morph.soma_distance_location(seclist, *distance).map_err(rerr)?
            }
            RecordingLocation::TrunkDistance { seclist, distance } => morph
                .trunk_soma_distance_location(seclist, *distance, TrunkDirection::Radial)
                .map_err(rerr)?,
            RecordingLocation::SeclistComp { seclist, index, x } => {
                morph.seclist_location(seclist, *index, *x).map_err(rerr)?
            }
        };
        let location = cell_location(&morph.sections[loc.section].name, loc.x);
        probes.push(probe(&r.var, name, location, &mech_names).map_err(|e| r.origin.error(e))?);
    }

    Ok(SimulationSpec {
        cells: vec![CellSpec {
            name: CELL.to_string(),
            morphology: MorphologySpec::File(morphology_file.to_path_buf()),
            nseg: NsegPolicy::Given,
            cm: 1.0,
            ra: 35.4,
            properties,
            mechanisms: paints,
            ions,
            point_processes: vec![],
            v_init: None,
            spike_detector: None,
        }],
        artificial_cells: vec![],
        spike_sources: vec![],
        connections: vec![],
        stimuli,
        probes,
        globals,
        ion_defaults: BTreeMap::new(),
        run,
    })
}

/// `cm`, `Ra`, `e<ion>`, `<ion>i`, `<ion>o` set uniformly on the section lists.
fn section_variable(
    p: &Parameter,
    v: f64,
    ls: &[&str],
    properties: &mut Vec<PropertySpec>,
    ions: &mut Vec<IonSpec>,
) -> Result<(), ConfigError> {
    if p.distribution.is_some() {
        return Err(p
            .origin
            .error(format!("`{}` is a section variable and cannot have a distribution", p.param)));
    }
    let name = p.param.as_str();
    for l in ls {
        let r = region(l);
        match name {
            "cm" => properties.push(PropertySpec { region: r, cm: Some(v), ra: None }),
            "Ra" => properties.push(PropertySpec { region: r, cm: None, ra: Some(v) }),
            _ => {
                let ion = |ion: &str| IonSpec {
                    ion: ion.to_string(),
                    region: r.clone(),
                    erev: None,
                    conc_in: None,
                    conc_out: None,
                };
                let spec = if let Some(i) = name.strip_prefix('e').filter(|i| !i.is_empty()) {
                    IonSpec { erev: Some(v), ..ion(i) }
                } else if let Some(i) = name.strip_suffix('i').filter(|i| !i.is_empty()) {
                    IonSpec { conc_in: Some(v), ..ion(i) }
                } else if let Some(i) = name.strip_suffix('o').filter(|i| !i.is_empty()) {
                    IonSpec { conc_out: Some(v), ..ion(i) }
                } else {
                    return Err(p
                        .origin
                        .error(format!("`{name}` is neither a section variable nor a variable of an inserted mechanism"))
                        .hint("section variables: cm, Ra, e<ion>, <ion>i, <ion>o; mechanism variables end in _<suffix>"));
                };
                ions.push(spec);
            }
        }
    }
    Ok(())
}

/// The probe recording `var` at `location`.
fn probe(var: &str, name: String, location: CellLocation, mechs: &[&str]) -> Result<ProbeSpec, String> {
    if var == "v" {
        return Ok(ProbeSpec::V { name, location });
    }
    if let Some((field, mech)) = split_suffix(var, mechs) {
        return Ok(ProbeSpec::Mechanism {
            name,
            location,
            mechanism: mech.to_string(),
            field: field.to_string(),
        });
    }
    let ion = |ion: &str, field| ProbeSpec::Ion {
        name: name.clone(),
        location: location.clone(),
        ion: ion.to_string(),
        field,
    };
    if let Some(i) = var.strip_prefix('i').filter(|i| !i.is_empty()) {
        return Ok(ion(i, IonField::Current));
    }
    if let Some(i) = var.strip_prefix('e').filter(|i| !i.is_empty()) {
        return Ok(ion(i, IonField::Erev));
    }
    if let Some(i) = var.strip_suffix('i').filter(|i| !i.is_empty()) {
        return Ok(ion(i, IonField::ConcIn));
    }
    if let Some(i) = var.strip_suffix('o').filter(|i| !i.is_empty()) {
        return Ok(ion(i, IonField::ConcOut));
    }
    Err(format!("cannot record `{var}`: known are v, i<ion>, e<ion>, <ion>i, <ion>o and <field>_<mechanism>"))
}
