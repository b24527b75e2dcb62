//! `myelin bluepyopt run`: runs protocols of a BluePyOpt / BluePyEModel e-model from the files
//! its users have (configuration, morphology, .mod files, a parameter set) and writes one CSV per
//! recording, `OUTDIR/<protocol>.<recording>.<var>.csv` (header `t_ms,v_mV` for voltages), with
//! NEURON's fixed step. `--features` also computes the protocols' eFEL features and BluePyOpt
//! scores into `OUTDIR/features.json`. See `docs/bluepyopt.md`.

use super::{mechs, EXIT_INPUT};
use myelin_compiler::diag::{Diagnostic, SourceMap, Span};
use myelin_compiler::driver;
use myelin_compiler::mir::{self, lower::LowerOptions};
use myelin_compiler::nmodl;
use myelin_runtime::morph::{AxonReplacement, Morphology};
use myelin_runtime::spec::{MorphologySpec, SimulationSpec};
use myelin_runtime::{BuildOptions, Simulation};
use myelin_stdlib::bluepyopt::json::Document;
use myelin_stdlib::bluepyopt::lower::{self, MorphologyOptions, Settings};
use myelin_stdlib::bluepyopt::protocols::{self, Protocol};
use myelin_stdlib::bluepyopt::{bpem, example, ConfigError, EModelConfig};
use myelin_stdlib::efeatures::{mean_value, FeatureExtractor, Trace};
use myelin_stdlib::scores::{bluepyopt_objectives, total_fitness};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// Arguments of `myelin bluepyopt`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: Sub,
}

/// Subcommands of `myelin bluepyopt`.
#[derive(clap::Subcommand, Debug)]
pub enum Sub {
    /// Run protocols of an e-model and write one CSV per recording.
    Run(RunArgs),
}

/// The axon replacement applied to the morphology.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq)]
pub enum Axon {
    /// BluePyOpt's `replace_axon` (two 30 µm sections).
    Bluepyopt,
    /// BluePyEModel's `replace_axon_with_taper`.
    Taper,
    /// Keep the morphology's axon.
    None,
}

/// Arguments of `myelin bluepyopt run`.
#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// BluePyOpt configuration directory (mechanisms.json + parameters.json, or params.json +
    /// fixed_params.json; protocols.json; features.json), or a BluePyEModel model configuration
    /// file (legacy dict or list format; give --protocols then).
    #[arg(long, value_name = "DIR|FILE")]
    pub config: PathBuf,
    /// Morphology (.asc or .swc).
    #[arg(long, value_name = "FILE")]
    pub morphology: PathBuf,
    /// Directory (or file) of .mod files, compiled on the fly; they replace Myelin's own
    /// mechanisms of the same name. Without it Myelin's catalogue is used.
    #[arg(long = "mechanisms", value_name = "DIR")]
    pub mechanisms: Vec<PathBuf>,
    /// Parameter set: a JSON object of optimiser names (e.g. `gNaTs2_tbar_NaTs2_t.somatic`) to
    /// values, for the free parameters.
    #[arg(long, value_name = "FILE.json")]
    pub params: Option<PathBuf>,
    /// Protocol to run (repeat for several).
    #[arg(long = "protocol", value_name = "NAME", required = true)]
    pub protocol: Vec<String>,
    /// Output directory (created if missing).
    #[arg(long, value_name = "OUTDIR")]
    pub out: PathBuf,
    /// Protocols file (default: protocols.json of the configuration directory).
    #[arg(long = "protocols", value_name = "FILE")]
    pub protocols_file: Option<PathBuf>,
    /// Compute the protocols' eFEL features and BluePyOpt scores into OUTDIR/features.json.
    #[arg(long)]
    pub features: bool,
    /// Features file (default: features.json of the configuration directory).
    #[arg(long = "features-file", value_name = "FILE")]
    pub features_file: Option<PathBuf>,
    /// Threshold current (nA) for amplitudes given as `thresh_perc`.
    #[arg(long, value_name = "NA", allow_negative_numbers = true)]
    pub threshold_current: Option<f64>,
    /// Holding current (nA) for holding stimuli without an amplitude.
    #[arg(long, value_name = "NA", allow_negative_numbers = true)]
    pub holding_current: Option<f64>,
    /// Time step (ms).
    #[arg(long, default_value_t = 0.025)]
    pub dt: f64,
    /// Axon replacement.
    #[arg(long, value_enum, default_value_t = Axon::Bluepyopt)]
    pub axon: Axon,
    /// Also write OUTDIR/<protocol>.spec.json and OUTDIR/morphology.json, which
    /// `myelin simulate` runs to the same traces.
    #[arg(long)]
    pub emit_spec: bool,
    /// Print the time of each phase on stderr.
    #[arg(long)]
    pub timings: bool,
    /// Print where the simulation time goes (per kernel and engine phase) on stderr.
    #[arg(long)]
    pub profile: bool,
    /// Threads for the mechanism kernels (1 or 2; default `$MYELIN_THREADS`, else 2 for cells of 200 compartments or more on a machine with two processors).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Print nothing on success.
    #[arg(long)]
    pub quiet: bool,
}

/// Runs the subcommand.
pub fn run(args: Args) -> ExitCode {
    match args.command {
        Sub::Run(a) => {
            let mut sources = SourceMap::new();
            match execute(&a, &mut sources) {
                Ok(summary) => {
                    if !a.quiet {
                        println!("{summary}");
                    }
                    ExitCode::SUCCESS
                }
                Err(d) => {
                    sources.emit_stderr(&[d]);
                    ExitCode::from(EXIT_INPUT)
                }
            }
        }
    }
}

/// A configuration error as a diagnostic pointing into its file.
fn diagnose(e: ConfigError, sources: &mut SourceMap) -> Diagnostic {
    let mut d = Diagnostic::error("E0910", e.message.clone());
    let text = if e.file.is_empty() { None } else { std::fs::read_to_string(&e.file).ok() };
    match text {
        Some(text) => {
            let range = match e.line {
                Some((l, c)) => {
                    let at = offset_of(&text, l, c);
                    Some((at, (at + 1).min(text.len())))
                }
                None if e.path.is_empty() => None,
                None => myelin_runtime::json_path::locate(&text, &e.path),
            };
            let len = text.len();
            let id = sources.add(Path::new(&e.file), text);
            match range {
                Some((a, b)) => {
                    let label =
                        if e.path.is_empty() { "here".to_string() } else { format!("in `{}`", e.path) };
                    d = d.with_primary(Span::new(id, a, b), label);
                }
                None if !e.path.is_empty() => d = d.with_note(format!("in {} at `{}`", e.file, e.path)),
                None => d = d.with_primary(Span::new(id, 0, len.min(1)), "in this file"),
            }
        }
        None if !e.file.is_empty() => {
            d = d.with_note(if e.path.is_empty() {
                e.file.clone()
            } else {
                format!("in {} at `{}`", e.file, e.path)
            })
        }
        None => {}
    }
    if let Some(h) = e.hint {
        d = d.with_hint(h);
    }
    d
}

fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut off = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return (off + column.saturating_sub(1)).min(text.len());
        }
        off += l.len();
    }
    text.len()
}

/// The configuration and where its companion files are.
struct Inputs {
    config: EModelConfig,
    protocols_file: PathBuf,
    features_file: Option<PathBuf>,
}

fn read_inputs(a: &RunArgs) -> Result<Inputs, ConfigError> {
    if a.config.is_dir() {
        let config = example::read_dir(&a.config)?;
        Ok(Inputs {
            config,
            protocols_file: a.protocols_file.clone().unwrap_or_else(|| a.config.join("protocols.json")),
            features_file: a.features_file.clone().or_else(|| Some(a.config.join("features.json"))),
        })
    } else {
        let config = bpem::read(&Document::read(&a.config)?)?;
        let protocols_file = a.protocols_file.clone().ok_or_else(|| {
            ConfigError::new(&a.config.display().to_string(), "", "this model configuration has no protocols")
                .hint("give the protocols file with --protocols FILE")
        })?;
        Ok(Inputs { config, protocols_file, features_file: a.features_file.clone() })
    }
}

/// Lowers and compiles the mechanisms the model inserts, in NEURON's registration order:
/// NEURON's own mechanisms first, then the others sorted by name as nrnivmodl lists its files
/// (the order matters where one mechanism reads what another wrote in the same step). The
/// user's .mod files come first; Myelin's own catalogue provides only what they lack (e.g.
/// `pas`, which NEURON has built in), and only those are lowered.
fn mechanisms(paths: &[PathBuf], used: &[&str]) -> Result<mechs::Mechanisms, Diagnostic> {
    let mut sources = SourceMap::new();
    let fail = |sources: &SourceMap, d: Vec<Diagnostic>| {
        Diagnostic::error("E0906", format!("mechanisms do not compile:\n{}", sources.render(&d)))
    };
    let mut keep = Vec::new();
    if !paths.is_empty() {
        let src = mechs::Sources { builtin: false, paths: paths.to_vec() };
        let user = mechs::lower_all(&src, &mut sources).map_err(|d| fail(&sources, d))?;
        keep.extend(user.into_iter().filter(|m| used.contains(&m.meta.name.as_str())));
    }
    for (file, text) in mechs::BUILTIN {
        let name = file.trim_end_matches(".mod");
        if !used.contains(&name) || keep.iter().any(|m: &mir::Mechanism| m.meta.name == name) {
            continue;
        }
        let id = sources.add(Path::new(&format!("<builtin>/{file}")), text.to_string());
        let parsed = nmodl::parse_source(&mut sources, id, &[], 0);
        let l = driver::lower_module(&parsed.module, name, parsed.diagnostics, LowerOptions::default());
        if l.diagnostics.iter().any(Diagnostic::is_error) {
            let errors = l.diagnostics.into_iter().filter(Diagnostic::is_error).collect();
            return Err(fail(&sources, errors));
        }
        keep.extend(l.mir);
    }
    mechs::sort_neuron_order(&mut keep);
    if let Some(missing) = used.iter().find(|u| !keep.iter().any(|m| m.meta.name == **u)) {
        let have: Vec<String> = keep.iter().map(|m| m.meta.name.clone()).collect();
        return Err(Diagnostic::error(
            "E0907",
            format!("no mechanism `{missing}` in the .mod files or Myelin's catalogue"),
        )
        .with_hint(if paths.is_empty() {
            "give the directory of the model's .mod files with --mechanisms DIR".to_string()
        } else {
            format!("found: {}", have.join(", "))
        }));
    }
    mechs::compile(keep).map_err(|e| Diagnostic::error("E0906", e))
}

/// One protocol's recordings, in memory.
struct Run {
    protocol: String,
    traces: Vec<(String, String, Vec<f64>)>,
    t: Vec<f64>,
}

/// Reads, lowers, builds, runs and writes; returns a summary line or the diagnostic to show.
pub fn execute(a: &RunArgs, sources: &mut SourceMap) -> Result<String, Diagnostic> {
    let mut clock = Instant::now();
    let mut phases: Vec<(String, f64)> = Vec::new();
    let mut lap = |name: &str, clock: &mut Instant| {
        phases.push((name.to_string(), clock.elapsed().as_secs_f64()));
        *clock = Instant::now();
    };
    let inputs = read_inputs(a).map_err(|e| diagnose(e, sources))?;
    let values = match &a.params {
        Some(p) => {
            let doc = Document::read(p).map_err(|e| diagnose(e, sources))?;
            inputs.config.resolve(&doc).map_err(|e| diagnose(e, sources))?
        }
        None => {
            let empty =
                Document::parse("<no --params>", "{}".to_string()).map_err(|e| diagnose(e, sources))?;
            inputs.config.resolve(&empty).map_err(|e| {
                diagnose(e, sources).with_hint("give the parameter set with --params FILE.json")
            })?
        }
    };
    let pdoc = Document::read(&inputs.protocols_file).map_err(|e| diagnose(e, sources))?;
    let all = protocols::read(&pdoc).map_err(|e| diagnose(e, sources))?;
    let mut chosen: Vec<&Protocol> = Vec::new();
    for name in &a.protocol {
        chosen.push(protocols::find(&all, name, &pdoc.file).map_err(|e| diagnose(e, sources))?);
    }
    lap("read configuration", &mut clock);

    let axon = match a.axon {
        Axon::Bluepyopt => AxonReplacement::BluePyOpt,
        Axon::Taper => AxonReplacement::Taper,
        Axon::None => AxonReplacement::None,
    };
    let morph = lower::prepare_morphology(&a.morphology, MorphologyOptions { nseg_frequency: 40.0, axon })
        .map_err(|e| diagnose(e, sources))?;
    lap("morphology", &mut clock);

    let settings =
        Settings { dt: a.dt, threshold_current: a.threshold_current, holding_current: a.holding_current };
    if !a.dt.is_finite() || a.dt <= 0.0 {
        return Err(Diagnostic::error("E0911", format!("--dt must be > 0, got {}", a.dt)));
    }
    let mut specs = Vec::new();
    for p in &chosen {
        let spec = lower::lower(&inputs.config, &values, &morph, &a.morphology, p, &settings)
            .map_err(|e| diagnose(e, sources))?;
        specs.push(spec);
    }
    lap("lowering", &mut clock);

    let used = inputs.config.mechanism_names();
    let compiled = mechanisms(&a.mechanisms, &used)?;
    lap("mechanisms (parse, lower, compile or load from cache)", &mut clock);

    std::fs::create_dir_all(&a.out)
        .map_err(|e| Diagnostic::error("E0904", format!("cannot create `{}`: {e}", a.out.display())))?;
    let loader = |_: &Path| -> Result<Morphology, String> { Ok(morph.clone()) };
    let opts = BuildOptions { base_dir: None, load_morphology: Some(&loader) };
    let mut runs = Vec::new();
    let mut files = 0;
    let mut steps = 0;
    for (p, spec) in chosen.iter().zip(&specs) {
        let mut sim = Simulation::build(spec, &compiled.catalogue, &opts).map_err(|e| {
            let mut d = Diagnostic::error("E0912", format!("protocol `{}`: {}", p.name, e.message))
                .with_note(format!("in the lowered model at `{}`", e.path));
            if let Some(h) = e.hint {
                d = d.with_hint(h);
            }
            d
        })?;
        lap(&format!("{}: build", p.name), &mut clock);
        if a.profile {
            sim.enable_profile();
        }
        sim.set_threads(a.threads.unwrap_or_else(|| super::default_threads(sim.voltages().len())))
            .map_err(|e| Diagnostic::error("E0913", format!("cannot start a worker thread: {e}")))?;
        sim.run().map_err(|e| Diagnostic::error("E0903", format!("protocol `{}` failed {e}", p.name)))?;
        steps += sim.steps();
        lap(&format!("{}: simulate {} ms", p.name, sim.time().round()), &mut clock);
        if let (true, Some(u)) = (a.timings, sim.thread_usage()) {
            eprintln!(
                "{}: mechanism phases on two threads {}, on one {} (and {} the worker missed)",
                p.name, u.two_threads, u.one_thread, u.worker_missed
            );
        }
        if let Some(prof) = sim.profile() {
            let total: f64 = prof.iter().map(|e| e.seconds).sum();
            eprintln!("profile of {} ({total:.3} s accounted):", p.name);
            for e in prof {
                eprintln!("{:9.4} s {:5.1}%  {}", e.seconds, 100.0 * e.seconds / total, e.name);
            }
        }
        files += write_traces(&sim, &a.out)?;
        if a.emit_spec {
            write_spec(spec, &morph, &a.out, &p.name)?;
            files += 1;
        }
        lap(&format!("{}: write", p.name), &mut clock);
        if a.features {
            runs.push(Run {
                protocol: p.name.clone(),
                t: sim.sample_times().to_vec(),
                traces: sim
                    .traces()
                    .iter()
                    .map(|t| (t.name.to_string(), t.var.to_string(), t.values.to_vec()))
                    .collect(),
            });
        }
    }
    if a.emit_spec {
        let path = a.out.join("morphology.json");
        let text = serde_json::to_string(&morph).map_err(|e| Diagnostic::error("E0904", e.to_string()))?;
        std::fs::write(&path, text)
            .map_err(|e| Diagnostic::error("E0904", format!("cannot write `{}`: {e}", path.display())))?;
        files += 1;
    }
    if a.features {
        let Some(ff) = &inputs.features_file else {
            return Err(Diagnostic::error("E0913", "--features needs a features file")
                .with_hint("give it with --features-file FILE"));
        };
        write_features(&runs, ff, &inputs.protocols_file, &a.out, sources)?;
        files += 1;
        lap("features", &mut clock);
    }
    if a.timings {
        for (name, s) in &phases {
            eprintln!("{s:9.4} s  {name}");
        }
    }
    let comps = morph.total_nseg();
    Ok(format!(
        "ran {} protocol(s) on {comps} compartments ({steps} steps of {} ms); wrote {files} files to {}",
        chosen.len(),
        a.dt,
        a.out.display()
    ))
}

/// Writes every probe of a run: `<name>.csv`, `t_ms,v_mV` for voltages (t to 0.1 µs, v to
/// 1 nV, the format of NEURON reference traces), `t_ms,<var>` with full precision otherwise.
fn write_traces(sim: &Simulation, dir: &Path) -> Result<usize, Diagnostic> {
    let mut n = 0;
    let t = sim.sample_times();
    let mut s = String::new();
    for tr in sim.traces() {
        s.clear();
        s.reserve(t.len() * 24);
        if tr.var == "v" {
            s.push_str("t_ms,v_mV\n");
            for (t, v) in t.iter().zip(tr.values) {
                let _ = writeln!(s, "{t:.4},{v:.6}");
            }
        } else {
            let _ = writeln!(s, "t_ms,{}", tr.var);
            for (t, v) in t.iter().zip(tr.values) {
                let _ = writeln!(s, "{t:.4},{v}");
            }
        }
        let path = dir.join(format!("{}.csv", tr.name));
        std::fs::write(&path, &s)
            .map_err(|e| Diagnostic::error("E0904", format!("cannot write `{}`: {e}", path.display())))?;
        n += 1;
    }
    Ok(n)
}

fn write_spec(
    spec: &SimulationSpec,
    _morph: &Morphology,
    dir: &Path,
    protocol: &str,
) -> Result<(), Diagnostic> {
    let mut spec = spec.clone();
    for c in &mut spec.cells {
        c.morphology = MorphologySpec::File(PathBuf::from("morphology.json"));
    }
    let path = dir.join(format!("{protocol}.spec.json"));
    let text = serde_json::to_string_pretty(&spec).map_err(|e| Diagnostic::error("E0904", e.to_string()))?;
    std::fs::write(&path, text)
        .map_err(|e| Diagnostic::error("E0904", format!("cannot write `{}`: {e}", path.display())))
}

/// Features and BluePyOpt scores of the objectives of the protocols that ran.
fn write_features(
    runs: &[Run],
    features_file: &Path,
    protocols_file: &Path,
    dir: &Path,
    sources: &mut SourceMap,
) -> Result<(), Diagnostic> {
    let read = |p: &Path, sources: &mut SourceMap| {
        std::fs::read_to_string(p).map_err(|e| {
            diagnose(
                ConfigError::new(&p.display().to_string(), "", format!("cannot read the file: {e}")),
                sources,
            )
        })
    };
    let ftext = read(features_file, sources)?;
    let ptext = read(protocols_file, sources)?;
    let objectives = bluepyopt_objectives(&ftext, &ptext).map_err(|e| {
        let file = if e.file == "features.json" { features_file } else { protocols_file };
        diagnose(ConfigError::new(&file.display().to_string(), "", e.message), sources)
            .with_hint("--features reads BluePyOpt's features.json format ({protocol: {location: {feature: [mean, std]}}})")
    })?;
    let mut features = serde_json::Map::new();
    let mut scores = serde_json::Map::new();
    let mut values = Vec::new();
    for o in &objectives {
        let Some(run) = runs.iter().find(|r| r.protocol == o.protocol) else { continue };
        let Some((_, _, v)) = run.traces.iter().find(|(name, _, _)| *name == o.recording) else {
            return Err(Diagnostic::error(
                "E0914",
                format!(
                    "objective `{}` needs the recording `{}`, which the protocol does not make",
                    o.name, o.recording
                ),
            ));
        };
        let trace = Trace::new(&run.t, v).map_err(|e| {
            Diagnostic::error("E0914", format!("{}: the trace cannot be analysed: {e}", o.recording))
        })?;
        let value = FeatureExtractor::new(trace, o.settings.clone())
            .map(|mut ex| ex.get(o.feature))
            .map_err(|e| Diagnostic::error("E0914", format!("{}: {e}", o.name)))?;
        let score = o.score(value.as_deref());
        let mean = mean_value(&value);
        features.insert(o.name.clone(), mean.map_or(serde_json::Value::Null, serde_json::Value::from));
        scores.insert(o.name.clone(), serde_json::Value::from(score));
        values.push(score);
    }
    let out = serde_json::json!({
        "features": features,
        "scores": scores,
        "total_fitness": total_fitness(&values),
    });
    let path = dir.join("features.json");
    std::fs::write(&path, serde_json::to_string_pretty(&out).unwrap_or_default())
        .map_err(|e| Diagnostic::error("E0904", format!("cannot write `{}`: {e}", path.display())))
}
