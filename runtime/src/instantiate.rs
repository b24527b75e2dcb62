//! Building a [`Simulation`] from a [`SimulationSpec`] and a [`Catalogue`]: morphologies are
//! discretised, mechanisms instantiated on their regions with per-segment parameter values, ions
//! set up with their styles, point processes, stimuli, sources, connections and probes resolved.
//! Every problem is reported as a [`SpecError`] with the path of the offending entry.

use crate::abi::{FieldRole, MechanismKind, MechanismMeta};
use crate::cable::Cable;
use crate::catalogue::{parameter_names, Catalogue};
use crate::engine::{Names, Simulation};
use crate::error::SpecError;
use crate::events::{EventSystem, NetCon, PreSyn, SourceKind};
use crate::expr::Expr;
use crate::geometry::{nseg_d_lambda, nseg_per_40um};
use crate::ions::{builtin_defaults, Ion};
use crate::layout::{CellInput, Layout, END_NODE_AREA};
use crate::mechanisms::MechanismInstances;
use crate::morph::{Morphology, SectionKind};
use crate::probes::{Probe, ProbeSource};
use crate::spec::*;
use crate::stimuli::Stimuli;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Most steps a run may take.
const MAX_STEPS: f64 = 1e12;
/// Samples reserved per probe up front; longer recordings grow their buffers as they go.
const MAX_RESERVED_SAMPLES: usize = 1 << 24;

/// Loads a morphology file (SWC, ASC, …) for a cell whose description names a file.
pub type MorphologyLoader<'a> = &'a dyn Fn(&Path) -> Result<Morphology, String>;

/// Compiled code of a per-segment parameter value: the value at a segment from its geometry
/// (`[distance, x, diam, area, section length]`, µm and µm²) and a parameter vector.
pub type SegmentFn = unsafe extern "C" fn(geometry: *const f64, params: *const f64) -> f64;

/// Finds compiled code for the text of a parameter expression (the recipe compiler's
/// distributions), with the parameter vector to call it with; `None` leaves the text to the
/// expression interpreter of [`crate::expr`].
pub type SegmentResolver<'a> = &'a dyn Fn(&str) -> Option<(SegmentFn, &'a [f64])>;

/// How a painted parameter gets its value per segment.
enum ParamSource<'a> {
    Constant(f64),
    Interpreted(Expr),
    Compiled(SegmentFn, &'a [f64]),
}

/// How to resolve what a description refers to outside itself.
#[derive(Clone, Copy, Default)]
pub struct BuildOptions<'a> {
    /// Directory that relative morphology paths are relative to.
    pub base_dir: Option<&'a Path>,
    /// Loader for morphology files; without one, file morphologies are an error.
    pub load_morphology: Option<MorphologyLoader<'a>>,
}

struct CellBuild {
    morph: Morphology,
    nseg: Vec<u32>,
    ra: Vec<f64>,
    cm: Vec<f64>,
}

/// One instance while building: node, label (id), field assignments in order.
type PendingInstance = (u32, String, Vec<(usize, f64)>);

/// Per mechanism while building: instance nodes and per-node field assignments.
struct MechBuild {
    meta: MechanismMeta,
    kernels: crate::abi::Kernels,
    catalogue_pos: usize,
    /// (node, label, assignments) in creation order; density instances are merged by node.
    instances: Vec<PendingInstance>,
    by_node: HashMap<u32, usize>,
}

fn region_mask(morph: &Morphology, region: &Region, path: &str) -> Result<Vec<bool>, SpecError> {
    let kinds = |f: &dyn Fn(SectionKind) -> bool| morph.sections.iter().map(|s| f(s.kind)).collect();
    Ok(match region {
        Region::All => vec![true; morph.sections.len()],
        Region::Somatic => kinds(&|k| k == SectionKind::Soma),
        Region::Axonal => kinds(&|k| k == SectionKind::Axon),
        Region::Basal => kinds(&|k| k == SectionKind::Dend),
        Region::Apical => kinds(&|k| k == SectionKind::Apic),
        Region::Myelinated => kinds(&|k| matches!(k, SectionKind::Other(_))),
        Region::Sections(names) => {
            let mut m = vec![false; morph.sections.len()];
            for (i, n) in names.iter().enumerate() {
                match morph.sections.iter().position(|s| &s.name == n) {
                    Some(k) => m[k] = true,
                    None => {
                        return Err(SpecError::new(
                            format!("{path}.sections[{i}]"),
                            format!("no section named `{n}` in this cell"),
                        )
                        .hint(section_hint(morph)))
                    }
                }
            }
            m
        }
    })
}

fn section_hint(morph: &Morphology) -> String {
    let names: Vec<&str> = morph.sections.iter().take(8).map(|s| s.name.as_str()).collect();
    let more = if morph.sections.len() > 8 { ", …" } else { "" };
    format!("sections of this cell: {}{more}", names.join(", "))
}

fn finite(path: &str, what: &str, x: f64) -> Result<f64, SpecError> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(SpecError::new(path, format!("{what} must be a finite number, got {x}")))
    }
}

fn catalogue_hint(cat: &Catalogue) -> String {
    format!("mechanisms in the catalogue: {}", cat.names().join(", "))
}

impl Simulation {
    /// Builds a simulation from a description without file access (inline morphologies only).
    pub fn new(spec: &SimulationSpec, catalogue: &Catalogue) -> Result<Simulation, SpecError> {
        Simulation::build(spec, catalogue, &BuildOptions::default())
    }

    /// Builds a simulation from a description.
    pub fn build(
        spec: &SimulationSpec,
        catalogue: &Catalogue,
        opts: &BuildOptions<'_>,
    ) -> Result<Simulation, SpecError> {
        Simulation::build_with(spec, catalogue, opts, None)
    }

    /// Builds a simulation, taking compiled code for parameter expressions from `segment_fns`
    /// where it has some (called once per segment at instantiation).
    pub fn build_with(
        spec: &SimulationSpec,
        catalogue: &Catalogue,
        opts: &BuildOptions<'_>,
        segment_fns: Option<SegmentResolver<'_>>,
    ) -> Result<Simulation, SpecError> {
        let run = &spec.run;
        if !(run.dt > 0.0) || !run.dt.is_finite() {
            return Err(SpecError::new("run.dt", format!("time step must be > 0, got {}", run.dt)));
        }
        if !(run.tstop >= 0.0) || !run.tstop.is_finite() {
            return Err(SpecError::new("run.tstop", format!("tstop must be ≥ 0, got {}", run.tstop)));
        }
        finite("run.celsius", "celsius", run.celsius)?;
        finite("run.v_init", "v_init", run.v_init)?;
        let steps = (run.tstop / run.dt).round();
        if steps > MAX_STEPS {
            return Err(SpecError::new(
                "run.tstop",
                format!("tstop/dt gives {steps:e} steps, more than {MAX_STEPS:e}"),
            )
            .hint("use a larger dt or a shorter tstop"));
        }
        let nsteps = steps as usize;
        let record_every = match run.record_dt {
            None => 1,
            Some(r) => {
                let k = (r / run.dt).round();
                if !(k >= 1.0) || ((k * run.dt - r).abs() > 1e-9 * r.abs().max(run.dt)) {
                    return Err(SpecError::new(
                        "run.record_dt",
                        format!("record_dt {r} is not a multiple of dt {}", run.dt),
                    )
                    .hint("use a whole multiple of dt, or leave record_dt out to record every step"));
                }
                k as usize
            }
        };

        // Cells: morphology, passive properties, discretisation.
        let mut names = Names::default();
        let mut cells: Vec<CellBuild> = Vec::with_capacity(spec.cells.len());
        for (ci, c) in spec.cells.iter().enumerate() {
            let path = format!("cells[{ci}]");
            if names.cells.insert(c.name.clone(), ci).is_some() {
                return Err(SpecError::new(
                    format!("{path}.name"),
                    format!("cell name `{}` is used twice", c.name),
                ));
            }
            let morph = match &c.morphology {
                MorphologySpec::Sections(secs) => InlineSection::to_morphology(secs)
                    .map_err(|(i, m)| SpecError::new(format!("{path}.morphology.sections[{i}]"), m))?,
                MorphologySpec::File(file) => {
                    let full: PathBuf = match opts.base_dir {
                        Some(b) if file.is_relative() => b.join(file),
                        _ => file.clone(),
                    };
                    let Some(load) = opts.load_morphology else {
                        return Err(SpecError::new(
                            format!("{path}.morphology.file"),
                            format!(
                                "cannot load morphology file `{}`: no morphology reader in this context",
                                full.display()
                            ),
                        )
                        .hint("give the sections inline, or build the simulation with a morphology loader"));
                    };
                    load(&full).map_err(|m| {
                        SpecError::new(
                            format!("{path}.morphology.file"),
                            format!("`{}`: {m}", full.display()),
                        )
                    })?
                }
            };
            let n = morph.sections.len();
            let mut sec_names = HashMap::new();
            for (i, s) in morph.sections.iter().enumerate() {
                if sec_names.insert(s.name.clone(), i).is_some() {
                    return Err(SpecError::new(
                        format!("{path}.morphology"),
                        format!("section name `{}` appears twice", s.name),
                    ));
                }
            }
            names.sections.push(sec_names);
            let mut cm = vec![finite(&format!("{path}.cm"), "cm", c.cm)?; n];
            let mut ra = vec![finite(&format!("{path}.ra"), "ra", c.ra)?; n];
            for (pi, p) in c.properties.iter().enumerate() {
                let pp = format!("{path}.properties[{pi}]");
                let mask = region_mask(&morph, &p.region, &format!("{pp}.region"))?;
                for i in 0..n {
                    if mask[i] {
                        if let Some(x) = p.cm {
                            cm[i] = finite(&format!("{pp}.cm"), "cm", x)?;
                        }
                        if let Some(x) = p.ra {
                            ra[i] = finite(&format!("{pp}.ra"), "ra", x)?;
                        }
                    }
                }
            }
            let nseg: Vec<u32> = match c.nseg {
                NsegPolicy::Given => morph.sections.iter().map(|s| s.nseg).collect(),
                NsegPolicy::Fixed(k) => {
                    if k == 0 {
                        return Err(SpecError::new(format!("{path}.nseg.fixed"), "nseg must be at least 1"));
                    }
                    vec![k; n]
                }
                NsegPolicy::Per40um => morph.sections.iter().map(nseg_per_40um).collect(),
                NsegPolicy::DLambda { frequency, d_lambda } => {
                    if !(frequency > 0.0) || !(d_lambda > 0.0) {
                        return Err(SpecError::new(
                            format!("{path}.nseg.d_lambda"),
                            "frequency and d_lambda must be > 0",
                        ));
                    }
                    (0..n)
                        .map(|i| nseg_d_lambda(&morph.sections[i], frequency, d_lambda, ra[i], cm[i]))
                        .collect()
                }
            };
            if let Some(i) = nseg.iter().position(|&k| k == 0) {
                return Err(SpecError::new(
                    format!("{path}.morphology"),
                    format!("section `{}` has nseg = 0", morph.sections[i].name),
                ));
            }
            cells.push(CellBuild { morph, nseg, ra, cm });
        }
        let inputs: Vec<CellInput<'_>> = cells
            .iter()
            .map(|c| CellInput { morph: &c.morph, nseg: &c.nseg, ra: &c.ra, cm: &c.cm })
            .collect();
        let layout = Layout::build(&inputs).map_err(|e| {
            let mut p = format!("cells[{}].morphology", e.cell);
            if let Some(s) = e.section {
                p = format!("{p} (section `{}`)", cells[e.cell].morph.sections[s].name);
            }
            SpecError::new(p, e.message)
        })?;
        let n_nodes = layout.n_nodes();

        // Locations.
        let locate = |cell: usize, section: &str, x: f64, path: &str| -> Result<(usize, u32), SpecError> {
            let Some(&s) = names.sections[cell].get(section) else {
                return Err(SpecError::new(
                    format!("{path}.section"),
                    format!("no section named `{section}`"),
                )
                .hint(section_hint(&cells[cell].morph)));
            };
            if !(0.0..=1.0).contains(&x) {
                return Err(SpecError::new(format!("{path}.x"), format!("x = {x} is outside 0..1")));
            }
            Ok((s, layout.node_at(cell, s, x)))
        };
        let locate_cell = |loc: &CellLocation, path: &str| -> Result<(usize, u32), SpecError> {
            let Some(&c) = names.cells.get(&loc.cell) else {
                return Err(SpecError::new(format!("{path}.cell"), format!("no cell named `{}`", loc.cell)));
            };
            let (_, node) = locate(c, &loc.section, loc.x, path)?;
            Ok((c, node))
        };

        // Mechanisms.
        let mut mb: Vec<MechBuild> = Vec::new();
        let mut mb_index: HashMap<String, usize> = HashMap::new();
        let mut get_mb = |name: &str,
                          path: &str,
                          kind: MechanismKind,
                          mb: &mut Vec<MechBuild>|
         -> Result<usize, SpecError> {
            if let Some(&k) = mb_index.get(name) {
                return Ok(k);
            }
            let Some(e) = catalogue.get(name) else {
                return Err(SpecError::new(path, format!("unknown mechanism `{name}`"))
                    .hint(catalogue_hint(catalogue)));
            };
            if e.meta.kind != kind {
                return Err(SpecError::new(
                    path,
                    format!("mechanism `{name}` is a {:?} mechanism, not {:?}", e.meta.kind, kind)
                        .to_lowercase(),
                ));
            }
            mb.push(MechBuild {
                meta: e.meta.clone(),
                kernels: e.kernels,
                catalogue_pos: catalogue.position(name).unwrap_or(usize::MAX),
                instances: Vec::new(),
                by_node: HashMap::new(),
            });
            mb_index.insert(name.to_string(), mb.len() - 1);
            Ok(mb.len() - 1)
        };
        let param_index = |meta: &MechanismMeta, pname: &str, path: &str| -> Result<usize, SpecError> {
            match meta.field_index(pname) {
                Some(f) if meta.fields[f].role == FieldRole::Parameter => Ok(f),
                _ => Err(SpecError::new(path, format!("`{pname}` is not a parameter of `{}`", meta.name))
                    .hint(format!("parameters of `{}`: {}", meta.name, parameter_names(meta).join(", ")))),
            }
        };

        for (ci, c) in spec.cells.iter().enumerate() {
            let morph = &cells[ci].morph;
            let cn = &layout.cells[ci];
            for (pi, p) in c.mechanisms.iter().enumerate() {
                let path = format!("cells[{ci}].mechanisms[{pi}]");
                let k = get_mb(&p.mechanism, &format!("{path}.mechanism"), MechanismKind::Density, &mut mb)?;
                let mask = region_mask(morph, &p.region, &format!("{path}.region"))?;
                let mut params: Vec<(usize, ParamSource<'_>)> = Vec::new();
                for (pname, val) in &p.parameters {
                    let pp = format!("{path}.parameters.{pname}");
                    let f = param_index(&mb[k].meta, pname, &pp)?;
                    match val {
                        ParamValue::Number(x) => {
                            params.push((f, ParamSource::Constant(finite(&pp, pname, *x)?)))
                        }
                        ParamValue::Expr(text) => {
                            if let Some((func, values)) = segment_fns.and_then(|r| r(text)) {
                                params.push((f, ParamSource::Compiled(func, values)));
                                continue;
                            }
                            let e = Expr::parse(text).map_err(|e| {
                                SpecError::new(&pp, format!("in expression `{text}`: {e}"))
                                    .hint("variables: distance (µm from the soma centre), x; functions: exp log sqrt abs min max pow …")
                            })?;
                            params.push((f, ParamSource::Interpreted(e)));
                        }
                    }
                }
                for s in 0..morph.sections.len() {
                    if !mask[s] {
                        continue;
                    }
                    let sn = &cn.sections[s];
                    for j in 0..sn.nseg {
                        let node = sn.first + j;
                        let x = (j as f64 + 0.5) / sn.nseg as f64;
                        let dist = layout.distance(ci, s, x);
                        let m = &mut mb[k];
                        let inst = match m.by_node.get(&node) {
                            Some(&i) => i,
                            None => {
                                m.instances.push((node, String::new(), Vec::new()));
                                m.by_node.insert(node, m.instances.len() - 1);
                                m.instances.len() - 1
                            }
                        };
                        for (f, src) in &params {
                            let val = match src {
                                ParamSource::Constant(v) => *v,
                                ParamSource::Interpreted(e) => e.eval(dist, x),
                                ParamSource::Compiled(func, values) => {
                                    let g = [
                                        dist,
                                        x,
                                        layout.diam[node as usize],
                                        layout.area[node as usize],
                                        sn.length,
                                    ];
                                    // SAFETY: the resolver promises code with this signature that
                                    // reads 5 geometry values and at most `values.len()` params.
                                    unsafe { func(g.as_ptr(), values.as_ptr()) }
                                }
                            };
                            if !val.is_finite() {
                                return Err(SpecError::new(
                                    format!("{path}.parameters.{}", m.meta.fields[*f].name),
                                    format!(
                                        "the expression gives {val} at {}({x:.4}) (distance {dist:.3} µm)",
                                        morph.sections[s].name
                                    ),
                                ));
                            }
                            m.instances[inst].2.push((*f, val));
                        }
                    }
                }
            }
            for (pi, p) in c.point_processes.iter().enumerate() {
                let path = format!("cells[{ci}].point_processes[{pi}]");
                let k = get_mb(&p.mechanism, &format!("{path}.mechanism"), MechanismKind::Point, &mut mb)?;
                let (_, node) = locate(ci, &p.location.section, p.location.x, &format!("{path}.location"))?;
                if layout.area[node as usize] == END_NODE_AREA
                    && layout.cm[node as usize] == 0.0
                    && !mb[k].meta.ions.is_empty()
                {
                    return Err(SpecError::new(
                        format!("{path}.location"),
                        format!("`{}` uses ions and cannot sit at a section end (x = 0 or 1)", p.mechanism),
                    )
                    .hint("place it inside the section, 0 < x < 1"));
                }
                let mut assign = Vec::new();
                for (pname, &val) in &p.parameters {
                    let pp = format!("{path}.parameters.{pname}");
                    assign.push((param_index(&mb[k].meta, pname, &pp)?, finite(&pp, pname, val)?));
                }
                if names.instances.contains_key(&p.id) {
                    return Err(SpecError::new(format!("{path}.id"), format!("id `{}` is used twice", p.id)));
                }
                names.instances.insert(p.id.clone(), (k as u32, u32::MAX));
                mb[k].instances.push((node, p.id.clone(), assign));
            }
        }
        for (ai, a) in spec.artificial_cells.iter().enumerate() {
            let path = format!("artificial_cells[{ai}]");
            let k = get_mb(&a.mechanism, &format!("{path}.mechanism"), MechanismKind::Artificial, &mut mb)?;
            let mut assign = Vec::new();
            for (pname, &val) in &a.parameters {
                let pp = format!("{path}.parameters.{pname}");
                assign.push((param_index(&mb[k].meta, pname, &pp)?, finite(&pp, pname, val)?));
            }
            if names.instances.contains_key(&a.id) {
                return Err(SpecError::new(format!("{path}.id"), format!("id `{}` is used twice", a.id)));
            }
            names.instances.insert(a.id.clone(), (k as u32, u32::MAX));
            mb[k].instances.push((0, a.id.clone(), assign));
        }

        // Final mechanism order: catalogue registration order; instances sorted by node.
        let mut order: Vec<usize> = (0..mb.len()).collect();
        order.sort_by_key(|&k| mb[k].catalogue_pos);
        let mut mechs: Vec<MechanismInstances> = Vec::with_capacity(mb.len());
        let mut build_to_id = vec![0u32; mb.len()];
        for (id, &k) in order.iter().enumerate() {
            build_to_id[k] = id as u32;
        }
        for (id, &k) in order.iter().enumerate() {
            let m = &mut mb[k];
            let mut idx: Vec<usize> = (0..m.instances.len()).collect();
            idx.sort_by_key(|&i| m.instances[i].0);
            let nodes: Vec<u32> = idx.iter().map(|&i| m.instances[i].0).collect();
            let labels: Vec<String> = idx.iter().map(|&i| m.instances[i].1.clone()).collect();
            let mut store = MechanismInstances::new(id as u32, m.meta.clone(), m.kernels, nodes, labels);
            for (new_i, &old_i) in idx.iter().enumerate() {
                for &(f, val) in &m.instances[old_i].2 {
                    store.set(f, new_i, val);
                }
                let label = &m.instances[old_i].1;
                if !label.is_empty() {
                    names.instances.insert(label.clone(), (id as u32, new_i as u32));
                }
            }
            mechs.push(store);
        }
        let mech_names: Vec<String> = mechs.iter().map(|m| m.meta.name.clone()).collect();
        let mech_id = |name: &str| mech_names.iter().position(|n| n == name);

        // Globals.
        for (mname, gl) in &spec.globals {
            let path = format!("globals.{mname}");
            let Some(entry) = catalogue.get(mname) else {
                return Err(SpecError::new(&path, format!("unknown mechanism `{mname}`"))
                    .hint(catalogue_hint(catalogue)));
            };
            for (gname, &val) in gl {
                let gp = format!("{path}.{gname}");
                let gi = match entry.meta.global_index(gname) {
                    Some(g) if entry.meta.globals[g].settable => g,
                    _ => {
                        let settable: Vec<&str> = entry
                            .meta
                            .globals
                            .iter()
                            .filter(|g| g.settable)
                            .map(|g| g.name.as_str())
                            .collect();
                        return Err(SpecError::new(
                            &gp,
                            format!("`{gname}` is not a settable global of `{mname}`"),
                        )
                        .hint(format!("settable globals: {}", settable.join(", "))));
                    }
                };
                let val = finite(&gp, gname, val)?;
                if let Some(id) = mech_id(mname) {
                    mechs[id].globals[gi] = val;
                }
            }
        }

        // Ions.
        let mut ion_names: Vec<String> = Vec::new();
        for m in &mechs {
            for u in &m.meta.ions {
                if !ion_names.contains(&u.ion) {
                    ion_names.push(u.ion.clone());
                }
            }
        }
        for (iname, _) in spec.ion_defaults.iter() {
            if !ion_names.contains(iname) {
                return Err(SpecError::new(
                    format!("ion_defaults.{iname}"),
                    format!("no mechanism uses ion `{iname}`"),
                ));
            }
        }
        let mut ions: Vec<Ion> = Vec::with_capacity(ion_names.len());
        for iname in &ion_names {
            let d = builtin_defaults(iname);
            let user = spec.ion_defaults.get(iname).cloned().unwrap_or_default();
            let mut valence = d.valence;
            let mut declared: Option<(f64, &str)> = None;
            for m in &mechs {
                for u in m.meta.ions.iter().filter(|u| &u.ion == iname) {
                    if let Some(z) = u.valence {
                        if let Some((z0, m0)) = declared {
                            if z0 != z {
                                return Err(SpecError::new(
                                    "",
                                    format!(
                                        "ion `{iname}` has valence {z0} in `{m0}` but {z} in `{}`",
                                        m.meta.name
                                    ),
                                ));
                            }
                        }
                        declared = Some((z, &m.meta.name));
                    }
                }
            }
            if let Some((z, m0)) = declared {
                if let Some(z0) = d.valence {
                    if z0 != z {
                        return Err(SpecError::new(
                            "",
                            format!("`{m0}` declares valence {z} for `{iname}`, whose valence is {z0}"),
                        ));
                    }
                }
                valence = Some(z);
            }
            if let Some(z) = user.valence {
                valence = Some(z);
            }
            let Some(valence) = valence else {
                return Err(SpecError::new(
                    format!("ion_defaults.{iname}"),
                    format!("ion `{iname}` has no valence"),
                )
                .hint(format!("give it in \"ion_defaults\": {{\"{iname}\": {{\"valence\": …}}}} or with VALENCE in the mechanism")));
            };
            let mut ion = Ion::new(iname, valence, d, n_nodes);
            if let Some(x) = user.conc_in0 {
                ion.conc_in0 = finite(&format!("ion_defaults.{iname}.conc_in0"), "conc_in0", x)?;
            }
            if let Some(x) = user.conc_out0 {
                ion.conc_out0 = finite(&format!("ion_defaults.{iname}.conc_out0"), "conc_out0", x)?;
            }
            ions.push(ion);
        }
        let ion_idx = |name: &str| ion_names.iter().position(|n| n == name);
        let mut conc_writes: Vec<Vec<usize>> = vec![Vec::new(); mechs.len()];
        for (k, m) in mechs.iter_mut().enumerate() {
            let idx: Vec<usize> = m.meta.ions.iter().map(|u| ion_idx(&u.ion).unwrap_or(0)).collect();
            if m.meta.kind != MechanismKind::Artificial {
                for (u, &ii) in m.meta.ions.iter().zip(&idx) {
                    for i in 0..m.count {
                        ions[ii].add_use(m.node[i], u);
                    }
                    if u.writes_conc_in || u.writes_conc_out {
                        conc_writes[k].push(ii);
                    }
                }
            }
            m.set_ions(idx);
        }
        for ion in &mut ions {
            ion.finish_styles();
        }
        for (ci, c) in spec.cells.iter().enumerate() {
            for (ii, is) in c.ions.iter().enumerate() {
                let path = format!("cells[{ci}].ions[{ii}]");
                let Some(k) = ion_idx(&is.ion) else {
                    return Err(SpecError::new(
                        format!("{path}.ion"),
                        format!("no mechanism uses ion `{}`", is.ion),
                    )
                    .hint("ion values can only be set where a mechanism uses the ion"));
                };
                let mask = region_mask(&cells[ci].morph, &is.region, &format!("{path}.region"))?;
                for (s, sn) in layout.cells[ci].sections.iter().enumerate() {
                    if !mask[s] {
                        continue;
                    }
                    for node in sn.first..sn.first + sn.nseg {
                        let n = node as usize;
                        if let Some(x) = is.erev {
                            ions[k].erev[n] = finite(&format!("{path}.erev"), "erev", x)?;
                        }
                        if let Some(x) = is.conc_in {
                            ions[k].conc_in[n] = finite(&format!("{path}.conc_in"), "conc_in", x)?;
                        }
                        if let Some(x) = is.conc_out {
                            ions[k].conc_out[n] = finite(&format!("{path}.conc_out"), "conc_out", x)?;
                        }
                    }
                }
            }
        }
        // Initialisation order: concentration writers first, artificial cells last (NEURON).
        let mut init_order: Vec<usize> = (0..mechs.len()).filter(|&k| !conc_writes[k].is_empty()).collect();
        init_order.extend(
            (0..mechs.len())
                .filter(|&k| conc_writes[k].is_empty() && mechs[k].meta.kind != MechanismKind::Artificial),
        );
        init_order.extend((0..mechs.len()).filter(|&k| mechs[k].meta.kind == MechanismKind::Artificial));

        // Events: sources and connections.
        let counts: Vec<usize> = mechs.iter().map(|m| m.count).collect();
        let mut es = EventSystem::new(&counts, spec.run.seed);
        let mut cell_source: Vec<Option<u32>> = vec![None; spec.cells.len()];
        let needs_detector: Vec<bool> = (0..spec.cells.len())
            .map(|ci| {
                spec.cells[ci].spike_detector.is_some()
                    || spec
                        .connections
                        .iter()
                        .any(|c| c.source == SourceSpec::Cell(spec.cells[ci].name.clone()))
            })
            .collect();
        for (ci, c) in spec.cells.iter().enumerate() {
            if !needs_detector[ci] {
                continue;
            }
            let det = c.spike_detector.clone().unwrap_or(DetectorSpec { location: None, threshold: 10.0 });
            let path = format!("cells[{ci}].spike_detector");
            let node = match &det.location {
                Some(l) => locate(ci, &l.section, l.x, &format!("{path}.location"))?.1,
                None => {
                    let root = layout.cells[ci].order[0];
                    layout.node_at(ci, root, 0.5)
                }
            };
            let threshold = finite(&format!("{path}.threshold"), "threshold", det.threshold)?;
            cell_source[ci] = Some(es.add_presyn(PreSyn::new(
                c.name.clone(),
                SourceKind::Threshold { node, threshold },
                true,
            )));
        }
        for a in &spec.artificial_cells {
            let (m, i) = names.instances[&a.id];
            es.add_presyn(PreSyn::new(a.id.clone(), SourceKind::Mechanism { mech: m, instance: i }, true));
        }
        let mut spike_src: HashMap<&str, u32> = HashMap::new();
        for (si, s) in spec.spike_sources.iter().enumerate() {
            let path = format!("spike_sources[{si}]");
            for (ti, &t) in s.times.iter().enumerate() {
                finite(&format!("{path}.times[{ti}]"), "spike time", t)?;
            }
            if spike_src.contains_key(s.id.as_str()) || names.instances.contains_key(&s.id) {
                return Err(SpecError::new(format!("{path}.id"), format!("id `{}` is used twice", s.id)));
            }
            let p = es.add_presyn(PreSyn::new(s.id.clone(), SourceKind::Times(s.times.clone()), false));
            spike_src.insert(&s.id, p);
        }
        for (ci, c) in spec.connections.iter().enumerate() {
            let path = format!("connections[{ci}]");
            let source = match &c.source {
                SourceSpec::Cell(name) => {
                    let Some(&k) = names.cells.get(name) else {
                        return Err(SpecError::new(
                            format!("{path}.source.cell"),
                            format!("no cell named `{name}`"),
                        ));
                    };
                    cell_source[k].expect("detector created for source cells")
                }
                SourceSpec::SpikeSource(id) => match spike_src.get(id.as_str()) {
                    Some(&p) => p,
                    None => {
                        return Err(SpecError::new(
                            format!("{path}.source.spike_source"),
                            format!("no spike source `{id}`"),
                        ))
                    }
                },
                SourceSpec::ArtificialCell(id) | SourceSpec::PointProcess(id) => {
                    let Some(&(m, i)) = names.instances.get(id) else {
                        return Err(SpecError::new(
                            format!("{path}.source"),
                            format!("no point process or artificial cell `{id}`"),
                        ));
                    };
                    match es.presyn_of(m, i) {
                        Some(p) => p,
                        None => es.add_presyn(PreSyn::new(
                            id.clone(),
                            SourceKind::Mechanism { mech: m, instance: i },
                            true,
                        )),
                    }
                }
            };
            let Some(&(m, i)) = names.instances.get(&c.target) else {
                return Err(SpecError::new(
                    format!("{path}.target"),
                    format!("no point process or artificial cell `{}`", c.target),
                ));
            };
            let meta = &mechs[m as usize].meta;
            if mechs[m as usize].kernels.net_receive.is_none() {
                return Err(SpecError::new(
                    format!("{path}.target"),
                    format!(
                        "`{}` ({}) has no NET_RECEIVE block and cannot receive events",
                        c.target, meta.name
                    ),
                ));
            }
            let n_args = meta.net_receive_args.max(1) as usize;
            let mut w = vec![0.0; n_args];
            match &c.weight {
                WeightSpec::Scalar(x) => w[0] = finite(&format!("{path}.weight"), "weight", *x)?,
                WeightSpec::Vector(v) => {
                    if v.len() > n_args {
                        return Err(SpecError::new(
                            format!("{path}.weight"),
                            format!("{} weights given but `{}` takes {n_args}", v.len(), meta.name),
                        ));
                    }
                    for (j, &x) in v.iter().enumerate() {
                        w[j] = finite(&format!("{path}.weight[{j}]"), "weight", x)?;
                    }
                }
            }
            let delay = finite(&format!("{path}.delay"), "delay", c.delay)?;
            if delay < 0.0 {
                return Err(SpecError::new(
                    format!("{path}.delay"),
                    format!("delay must be ≥ 0, got {delay}"),
                ));
            }
            es.add_netcon(
                NetCon {
                    source,
                    target_mech: m,
                    target_instance: i,
                    delay,
                    weight_offset: 0,
                    weight_len: 0,
                    active: true,
                },
                &w,
            );
        }

        // Stimuli.
        let mut stimuli = Stimuli::default();
        let mut stim_ids: HashMap<String, (u8, u32)> = HashMap::new();
        for (si, s) in spec.stimuli.iter().enumerate() {
            let path = format!("stimuli[{si}]");
            let (_, node) = locate_cell(s.location(), &format!("{path}.location"))?;
            let scale = 1e2 / layout.area[node as usize];
            let f = |what: &str, x: f64| finite(&format!("{path}.{what}"), what, x);
            let key = match s {
                StimulusSpec::Iclamp { delay, duration, amplitude, .. } => {
                    let c = &mut stimuli.iclamp;
                    c.node.push(node);
                    c.scale.push(scale);
                    c.del.push(f("delay", *delay)?);
                    c.dur.push(f("duration", *duration)?);
                    c.amp.push(f("amplitude", *amplitude)?);
                    c.i.push(0.0);
                    (0u8, c.node.len() as u32 - 1)
                }
                StimulusSpec::Holding { amplitude, .. } => {
                    let c = &mut stimuli.iclamp;
                    c.node.push(node);
                    c.scale.push(scale);
                    c.del.push(0.0);
                    c.dur.push(f64::INFINITY);
                    c.amp.push(f("amplitude", *amplitude)?);
                    c.i.push(0.0);
                    (0, c.node.len() as u32 - 1)
                }
                StimulusSpec::Ramp { delay, duration, amplitude_start, amplitude_end, .. } => {
                    let (d0, d1) = (f("delay", *delay)?, f("duration", *duration)?);
                    if d1 < 0.0 {
                        return Err(SpecError::new(format!("{path}.duration"), "duration must be ≥ 0"));
                    }
                    let a0 = f("amplitude_start", *amplitude_start)?;
                    let a1 = f("amplitude_end", *amplitude_end)?;
                    stimuli.waveform.push(node, scale, &[d0, d0, d0 + d1, d0 + d1], &[0.0, a0, a1, 0.0]);
                    (1, stimuli.waveform.node.len() as u32 - 1)
                }
                StimulusSpec::Waveform { times, amplitudes, .. } => {
                    if times.is_empty() || times.len() != amplitudes.len() {
                        return Err(SpecError::new(
                            format!("{path}.amplitudes"),
                            format!(
                                "{} times but {} amplitudes (need the same number, at least one)",
                                times.len(),
                                amplitudes.len()
                            ),
                        ));
                    }
                    for (j, w) in times.windows(2).enumerate() {
                        if !(w[1] >= w[0]) {
                            return Err(SpecError::new(
                                format!("{path}.times[{}]", j + 1),
                                "times must not decrease",
                            ));
                        }
                    }
                    for (j, &x) in times.iter().chain(amplitudes).enumerate() {
                        finite(&format!("{path}.waveform[{j}]"), "value", x)?;
                    }
                    stimuli.waveform.push(node, scale, times, amplitudes);
                    (1, stimuli.waveform.node.len() as u32 - 1)
                }
                StimulusSpec::Noise { delay, duration, mean, std, seed, .. } => {
                    if !(*std >= 0.0) {
                        return Err(SpecError::new(format!("{path}.std"), "std must be ≥ 0"));
                    }
                    stimuli.noise.push(
                        node,
                        scale,
                        f("delay", *delay)?,
                        f("duration", *duration)?,
                        f("mean", *mean)?,
                        *std,
                        *seed,
                    );
                    (2, stimuli.noise.node.len() as u32 - 1)
                }
                StimulusSpec::Seclamp { rs, durations, amplitudes, .. } => {
                    if !(*rs > 0.0) || !rs.is_finite() {
                        return Err(SpecError::new(
                            format!("{path}.rs"),
                            format!("series resistance must be > 0, got {rs}"),
                        ));
                    }
                    for j in 0..3 {
                        f("durations", durations[j])?;
                        f("amplitudes", amplitudes[j])?;
                    }
                    let c = &mut stimuli.seclamp;
                    c.node.push(node);
                    c.scale.push(scale);
                    c.rs.push(*rs);
                    c.dur.push(*durations);
                    c.amp.push(*amplitudes);
                    c.vc.push(0.0);
                    c.i.push(0.0);
                    c.on.push(0.0);
                    (3, c.node.len() as u32 - 1)
                }
            };
            if let Some(id) = s.id() {
                if stim_ids.insert(id.to_string(), key).is_some() {
                    return Err(SpecError::new(
                        format!("{path}.id"),
                        format!("stimulus id `{id}` is used twice"),
                    ));
                }
            }
        }

        // Probes.
        let mut probes = Vec::with_capacity(spec.probes.len());
        let mut want_imem = false;
        let n_samples = (nsteps / record_every + 2).min(MAX_RESERVED_SAMPLES);
        for (pi, p) in spec.probes.iter().enumerate() {
            let path = format!("probes[{pi}]");
            let name = p.name();
            if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
                return Err(SpecError::new(
                    format!("{path}.name"),
                    format!("`{name}` cannot be used as a file name"),
                ));
            }
            if probes.iter().any(|q: &Probe| q.name == name) || name == "spikes" {
                return Err(SpecError::new(
                    format!("{path}.name"),
                    format!("probe name `{name}` is used twice (or reserved)"),
                ));
            }
            let (source, var) = match p {
                ProbeSpec::V { location, .. } => {
                    (ProbeSource::V(locate_cell(location, &format!("{path}.location"))?.1), "v".to_string())
                }
                ProbeSpec::IMembrane { location, .. } => {
                    want_imem = true;
                    (
                        ProbeSource::IMembrane(locate_cell(location, &format!("{path}.location"))?.1),
                        "i_membrane_".to_string(),
                    )
                }
                ProbeSpec::Mechanism { location, mechanism, field, .. } => {
                    let (_, node) = locate_cell(location, &format!("{path}.location"))?;
                    let Some(id) = mech_id(mechanism) else {
                        return Err(SpecError::new(
                            format!("{path}.mechanism"),
                            format!("mechanism `{mechanism}` is not inserted anywhere"),
                        ));
                    };
                    let m = &mechs[id];
                    if m.meta.kind != MechanismKind::Density {
                        return Err(SpecError::new(
                            format!("{path}.mechanism"),
                            format!("`{mechanism}` is not a density mechanism"),
                        )
                        .hint("record point processes with kind \"point_process\" and their id"));
                    }
                    let Some(inst) = m.node[..m.count].iter().position(|&n| n == node) else {
                        return Err(SpecError::new(
                            format!("{path}.location"),
                            format!("`{mechanism}` is not inserted at {}({})", location.section, location.x),
                        ));
                    };
                    let Some(f) = m.meta.field_index(field) else {
                        return Err(SpecError::new(
                            format!("{path}.field"),
                            format!("`{mechanism}` has no field `{field}`"),
                        )
                        .hint(format!(
                            "fields: {}",
                            m.meta.fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ")
                        )));
                    };
                    (
                        ProbeSource::Field { mech: id as u32, field: f as u32, instance: inst as u32 },
                        format!("{field}_{mechanism}"),
                    )
                }
                ProbeSpec::Ion { location, ion, field, .. } => {
                    let (_, node) = locate_cell(location, &format!("{path}.location"))?;
                    let Some(k) = ion_idx(ion) else {
                        return Err(SpecError::new(
                            format!("{path}.ion"),
                            format!("no mechanism uses ion `{ion}`"),
                        ));
                    };
                    if !ions[k].present(node) {
                        return Err(SpecError::new(
                            format!("{path}.location"),
                            format!("ion `{ion}` is not used at {}({})", location.section, location.x),
                        ));
                    }
                    let var = match field {
                        IonField::Erev => format!("e{ion}"),
                        IonField::ConcIn => format!("{ion}i"),
                        IonField::ConcOut => format!("{ion}o"),
                        IonField::Current => format!("i{ion}"),
                    };
                    (ProbeSource::Ion { ion: k as u32, field: *field, node }, var)
                }
                ProbeSpec::PointProcess { id, field, .. } => {
                    let Some(&(m, i)) = names.instances.get(id) else {
                        return Err(SpecError::new(
                            format!("{path}.id"),
                            format!("no point process or artificial cell `{id}`"),
                        ));
                    };
                    let meta = &mechs[m as usize].meta;
                    let Some(f) = meta.field_index(field) else {
                        return Err(SpecError::new(
                            format!("{path}.field"),
                            format!("`{}` has no field `{field}`", meta.name),
                        )
                        .hint(format!(
                            "fields: {}",
                            meta.fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ")
                        )));
                    };
                    (ProbeSource::Field { mech: m, field: f as u32, instance: i }, field.clone())
                }
                ProbeSpec::Stimulus { id, field, .. } => {
                    let Some(&(kind, k)) = stim_ids.get(id) else {
                        return Err(SpecError::new(
                            format!("{path}.id"),
                            format!("no stimulus with id `{id}`"),
                        ));
                    };
                    let src = match (kind, field.as_str()) {
                        (0, "i") => ProbeSource::IClamp(k),
                        (1, "i") => ProbeSource::Waveform(k),
                        (2, "i") => ProbeSource::Noise(k),
                        (3, "i") => ProbeSource::SEClampI(k),
                        (3, "vc") => ProbeSource::SEClampVc(k),
                        _ => {
                            return Err(SpecError::new(
                                format!("{path}.field"),
                                format!("stimulus `{id}` has no field `{field}`"),
                            )
                            .hint("current stimuli record `i`; voltage clamps `i` and `vc`"))
                        }
                    };
                    (src, field.clone())
                }
            };
            probes.push(Probe { name: name.to_string(), var, source, values: Vec::with_capacity(n_samples) });
        }

        // Initial voltage per node.
        let mut v_init = vec![run.v_init; n_nodes];
        for (ci, c) in spec.cells.iter().enumerate() {
            if let Some(v0) = c.v_init {
                let v0 = finite(&format!("cells[{ci}].v_init"), "v_init", v0)?;
                for (n, &cell) in layout.cell_of.iter().enumerate() {
                    if cell as usize == ci {
                        v_init[n] = v0;
                    }
                }
            }
        }

        let events = Box::into_raw(Box::new(es));
        let services = Box::new(EventSystem::services(events));
        let cable = Cable::new(&layout);
        let n_ions = ions.len();
        Ok(Simulation {
            cable,
            v: v_init.clone(),
            v_init,
            i_mem: vec![0.0; n_nodes],
            g_mem: vec![0.0; n_nodes],
            i_elec: vec![0.0; n_nodes],
            g_elec: vec![0.0; n_nodes],
            sav_d: vec![0.0; n_nodes],
            imem: vec![0.0; if want_imem { n_nodes } else { 0 }],
            want_imem,
            mechs,
            init_order,
            conc_writes,
            ions,
            ion_cols: vec![
                crate::abi::IonColumns {
                    cur: std::ptr::null_mut(),
                    didv: std::ptr::null_mut(),
                    erev: std::ptr::null_mut(),
                    conc_in: std::ptr::null_mut(),
                    conc_out: std::ptr::null_mut(),
                    valence: 0.0,
                };
                n_ions
            ],
            stimuli,
            events,
            services,
            t: 0.0,
            dt: run.dt,
            celsius: run.celsius,
            secondorder: run.method == Method::CrankNicolson,
            nsteps,
            record_every,
            step_index: 0,
            probes,
            sample_t: Vec::with_capacity(n_samples),
            names,
            error: None,
            initialized: false,
            prof: None,
            par: None,
            layout,
        })
    }
}

/// Builds a map from section name to index, for callers that construct descriptions.
pub fn section_index(morph: &Morphology) -> BTreeMap<String, usize> {
    morph.sections.iter().enumerate().map(|(i, s)| (s.name.clone(), i)).collect()
}
