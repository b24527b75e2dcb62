//! `myelin import bluepyopt --config DIR|FILE --morphology FILE -o FILE.recipe`: converts a
//! BluePyOpt / BluePyEModel configuration (read by `myelin_stdlib::bluepyopt`, as
//! `myelin bluepyopt run` reads it) into a recipe that runs to the same traces.
//!
//! What becomes what (docs/recipe.md, section 21): mechanisms per section list → `insert`; each
//! parameter, in the configuration's order → `insert M on LIST { field = value }` (range and
//! mechanism section parameters), `set` (cm, Ra, e<ion>, concentrations) or `settings`
//! (`v_init`, `celsius`); distributions → `distribution` items with `{distance}` as
//! `distance / um`; free parameters and distribution meta-parameters → `param` with bounds (and
//! the value of `--params` when given); protocols → `protocol` with one `step` per square pulse
//! at `soma(0.5)` and the recordings at their locations; `features.json` → `feature` entries
//! with BluePyOpt's thresholds and windows. The recipe is checked before it is written.

use super::{mechs, EXIT_INPUT, EXIT_USAGE};
use myelin_compiler::diag::SourceMap;
use myelin_runtime::abi::MechanismMeta;
use myelin_stdlib::bluepyopt::json::Document;
use myelin_stdlib::bluepyopt::model::{expand_location, Bound, ParamKind, Parameter};
use myelin_stdlib::bluepyopt::protocols::{self, Amplitude, RecordingLocation};
use myelin_stdlib::bluepyopt::{bpem, example, ConfigError, EModelConfig};
use myelin_stdlib::scores::bluepyopt_objectives;
use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `myelin import`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// What to import.
    #[command(subcommand)]
    pub command: Sub,
}

/// Formats `myelin import` converts.
#[derive(clap::Subcommand, Debug)]
pub enum Sub {
    /// A BluePyOpt / BluePyEModel e-model configuration.
    Bluepyopt(BluepyoptArgs),
}

/// Axon replacement of the imported morphology.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq)]
pub enum Axon {
    /// BluePyOpt's `replace_axon`.
    Bluepyopt,
    /// BluePyEModel's `replace_axon_with_taper`.
    Taper,
    /// Keep the axon.
    Keep,
}

/// Arguments of `myelin import bluepyopt`.
#[derive(clap::Args, Debug)]
pub struct BluepyoptArgs {
    /// BluePyOpt configuration directory (mechanisms.json + parameters.json, or params.json +
    /// fixed_params.json; protocols.json; features.json), or a BluePyEModel model configuration
    /// file (give --protocols then).
    #[arg(long, value_name = "DIR|FILE")]
    pub config: PathBuf,
    /// Morphology (.asc or .swc).
    #[arg(long, value_name = "FILE")]
    pub morphology: PathBuf,
    /// The recipe to write.
    #[arg(short = 'o', long = "out", value_name = "FILE.recipe")]
    pub out: PathBuf,
    /// Parameter set (optimiser names to values) giving the free parameters their values.
    #[arg(long, value_name = "FILE.json")]
    pub params: Option<PathBuf>,
    /// Protocols file (default: protocols.json of the configuration directory).
    #[arg(long = "protocols", value_name = "FILE")]
    pub protocols_file: Option<PathBuf>,
    /// Features file (default: features.json of the configuration directory, when present).
    #[arg(long = "features-file", value_name = "FILE")]
    pub features_file: Option<PathBuf>,
    /// Directory (or file) of the model's .mod files; Myelin's catalogue provides the others.
    #[arg(long = "mechanisms", value_name = "DIR")]
    pub mechanisms: Vec<PathBuf>,
    /// Axon replacement.
    #[arg(long, value_enum, default_value_t = Axon::Bluepyopt)]
    pub axon: Axon,
    /// Time step (ms).
    #[arg(long, default_value_t = 0.025)]
    pub dt: f64,
}

/// Runs the subcommand.
pub fn run(args: Args) -> ExitCode {
    let Sub::Bluepyopt(a) = args.command;
    if !(a.dt > 0.0 && a.dt.is_finite()) {
        eprintln!("error: --dt must be > 0");
        return ExitCode::from(EXIT_USAGE);
    }
    let text = match convert(&a) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_INPUT);
        }
    };
    if let Some(d) = a.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Err(e) = std::fs::create_dir_all(d) {
            eprintln!("error: cannot create `{}`: {e}", d.display());
            return ExitCode::from(EXIT_INPUT);
        }
    }
    if let Err(e) = std::fs::write(&a.out, &text) {
        eprintln!("error: cannot write `{}`: {e}", a.out.display());
        return ExitCode::from(EXIT_INPUT);
    }
    let mut sources = SourceMap::new();
    match crate::run::load::check_file(&a.out, None, &mut sources) {
        Ok(c) => {
            super::run::emit(&sources, &c.warnings, &a.out);
            eprintln!("wrote {}", a.out.display());
            ExitCode::SUCCESS
        }
        Err(d) => {
            super::run::emit(&sources, &d, &a.out);
            eprintln!("error: the converted recipe {} does not check (see above)", a.out.display());
            ExitCode::from(EXIT_INPUT)
        }
    }
}

fn cfg_err(e: ConfigError) -> String {
    let mut s = e.message.clone();
    if !e.file.is_empty() {
        s = if e.path.is_empty() {
            format!("{}: {s}", e.file)
        } else {
            format!("{} at `{}`: {s}", e.file, e.path)
        };
    }
    if let Some(h) = e.hint {
        s.push_str(&format!("\n  hint: {h}"));
    }
    s
}

/// `path` relative to `dir` when both are on the same root, else absolute.
fn relative(path: &Path, dir: &Path) -> String {
    let abs = |p: &Path| {
        std::fs::canonicalize(p).unwrap_or_else(|_| std::env::current_dir().unwrap_or_default().join(p))
    };
    let (p, d) = (abs(path), abs(dir));
    let pc: Vec<Component> = p.components().collect();
    let dc: Vec<Component> = d.components().collect();
    let common = pc.iter().zip(&dc).take_while(|(a, b)| a == b).count();
    // Only the root in common: an absolute path reads better than a climb to the root.
    if common <= 1 {
        return p.display().to_string();
    }
    let mut out = PathBuf::new();
    for _ in common..dc.len() {
        out.push("..");
    }
    for c in &pc[common..] {
        out.push(c.as_os_str());
    }
    out.display().to_string()
}

/// A recipe name from any text: letters, digits and `_`, not starting with a digit.
fn ident(s: &str) -> String {
    let mut out: String =
        s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if ["in", "from", "to", "by", "at", "on", "for", "simulate", "evaluate", "sweep"].contains(&out.as_str())
    {
        out.push('_');
    }
    out
}

/// A number that reads back to the same double.
fn num(v: f64) -> String {
    if v == 0.0 || (1e-4..1e7).contains(&v.abs()) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

/// `value unit` (a bare number when the unit is empty), the unit in recipe notation.
fn quantity(v: f64, unit: &str) -> String {
    let u = unit.trim().trim_start_matches('(').trim_end_matches(')').trim();
    if u.is_empty() || u == "1" {
        return num(v);
    }
    // NEURON's unit texts: `-` multiplies, `/x` is `1/x`.
    let u = u.replace('-', "*");
    let u = if u.starts_with('/') { format!("1{u}") } else { u };
    format!("{} {u}", num(v))
}

fn region(location: &str) -> Result<String, String> {
    let lists = expand_location(location).ok_or_else(|| format!("unknown location `{location}`"))?;
    Ok(lists.join(" | "))
}

/// `<field>_<suffix>` split at the longest mechanism suffix.
fn split_suffix<'a>(name: &'a str, mechs: &[&'a str]) -> Option<(&'a str, &'a str)> {
    mechs
        .iter()
        .filter(|m| {
            name.len() > m.len() + 1 && name.ends_with(*m) && name[..name.len() - m.len()].ends_with('_')
        })
        .max_by_key(|m| m.len())
        .map(|m| (&name[..name.len() - m.len() - 1], *m))
}

/// The unit of a section variable.
fn section_unit(name: &str) -> Option<&'static str> {
    Some(match name {
        "cm" => "uF/cm2",
        "Ra" => "ohm*cm",
        n if n.starts_with('e') && n.len() > 1 => "mV",
        n if (n.ends_with('i') || n.ends_with('o')) && n.len() > 1 => "mM",
        _ => return None,
    })
}

/// Translates a BluePyOpt distribution string into a recipe expression of `value`, `distance`
/// and its meta-parameters.
fn distribution_body(function: &str, meta: &[String]) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = function;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').ok_or_else(|| format!("unclosed `{{` in `{function}`"))?;
        let key = &rest[open + 1..open + close];
        match key {
            "distance" => out.push_str("(distance / um)"),
            "value" => out.push_str("value"),
            k if meta.iter().any(|m| m == k) => out.push_str(&ident(k)),
            k => return Err(format!("`{{{k}}}` in `{function}` is not distance, value or a meta-parameter")),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    Ok(out.replace("math.", "").replace("**", "^"))
}

struct Inputs {
    config: EModelConfig,
    protocols_file: PathBuf,
    features_file: Option<PathBuf>,
}

fn read_inputs(a: &BluepyoptArgs) -> Result<Inputs, String> {
    if a.config.is_dir() {
        let config = example::read_dir(&a.config).map_err(cfg_err)?;
        let features =
            a.features_file.clone().or_else(|| Some(a.config.join("features.json")).filter(|p| p.is_file()));
        Ok(Inputs {
            config,
            protocols_file: a.protocols_file.clone().unwrap_or_else(|| a.config.join("protocols.json")),
            features_file: features,
        })
    } else {
        let config = bpem::read(&Document::read(&a.config).map_err(cfg_err)?).map_err(cfg_err)?;
        let protocols_file = a.protocols_file.clone().ok_or_else(|| {
            format!(
                "{}: this model configuration has no protocols; give --protocols FILE",
                a.config.display()
            )
        })?;
        Ok(Inputs { config, protocols_file, features_file: a.features_file.clone() })
    }
}

/// Metadata of the mechanisms the model uses (for the units of their parameters).
fn metas(a: &BluepyoptArgs, used: &[&str]) -> Result<Vec<MechanismMeta>, String> {
    let mut sources = SourceMap::new();
    let src = mechs::Sources { builtin: true, paths: a.mechanisms.clone() };
    let all = mechs::lower_all(&src, &mut sources)
        .map_err(|d| format!("the mechanisms do not compile:\n{}", sources.render(&d)))?;
    let out: Vec<MechanismMeta> =
        all.into_iter().map(|m| m.meta).filter(|m| used.contains(&m.name.as_str())).collect();
    if let Some(missing) = used.iter().find(|u| !out.iter().any(|m| m.name == **u)) {
        return Err(format!(
            "no mechanism `{missing}` in the .mod files or Myelin's catalogue; give --mechanisms DIR"
        ));
    }
    Ok(out)
}

/// The recipe text of a configuration.
pub fn convert(a: &BluepyoptArgs) -> Result<String, String> {
    let inputs = read_inputs(a)?;
    let config = &inputs.config;
    let values: Option<Vec<f64>> = match &a.params {
        Some(p) => Some(config.resolve(&Document::read(p).map_err(cfg_err)?).map_err(cfg_err)?),
        None => None,
    };
    let used = config.mechanism_names();
    let metas = metas(a, &used)?;
    let unit_of = |mech: &str, field: &str| -> Result<String, String> {
        let m = metas.iter().find(|m| m.name == mech).ok_or_else(|| format!("no mechanism `{mech}`"))?;
        let f = m
            .fields
            .iter()
            .find(|f| f.name == field)
            .ok_or_else(|| format!("`{field}` is not a field of `{mech}`"))?;
        Ok(f.units.clone())
    };
    let out_dir = a
        .out
        .parent()
        .map(Path::to_path_buf)
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."));
    let mut r = String::new();
    let _ = writeln!(r, "# Converted by `myelin import bluepyopt` from {}", a.config.display());
    if let Some(p) = &a.params {
        let _ = writeln!(r, "# with the parameter set {}", p.display());
    }
    let _ = writeln!(r);
    let mut sources = vec!["builtin".to_string()];
    for m in &a.mechanisms {
        sources.push(format!("mod \"{}\"", relative(m, &out_dir)));
    }
    let _ = writeln!(r, "mechanisms {{ {} }}\n", sources.join("  "));
    let axon = match a.axon {
        Axon::Bluepyopt => "bluepyopt",
        Axon::Taper => "taper",
        Axon::Keep => "keep",
    };
    let _ = writeln!(
        r,
        "morphology cell_morphology = \"{}\" {{ axon = {axon} }}\n",
        relative(&a.morphology, &out_dir)
    );

    // Distributions used by parameters, and the meta-parameters they take.
    let meta_of = |d: &str| -> Vec<&Parameter> {
        config
            .parameters
            .iter()
            .filter(|p| matches!(&p.kind, ParamKind::DistributionMeta { distribution } if distribution == d))
            .collect()
    };
    let mut dists: Vec<String> = Vec::new();
    for p in &config.parameters {
        if let Some(d) = &p.distribution {
            if dists.contains(&d.name) {
                continue;
            }
            if d.soma_ref_location != 0.5 {
                return Err(format!(
                    "distribution `{}` measures from soma[0]({}); recipes measure from soma[0](0.5)",
                    d.name, d.soma_ref_location
                ));
            }
            let meta: Vec<String> = meta_of(&d.name).iter().map(|m| m.param.clone()).collect();
            let mut args = vec!["value".to_string()];
            args.extend(meta.iter().map(|m| ident(m)));
            let _ = writeln!(r, "# {}", d.function);
            let _ = writeln!(
                r,
                "distribution d_{}({}) = {}",
                ident(&d.name),
                args.join(", "),
                distribution_body(&d.function, &meta)?
            );
            dists.push(d.name.clone());
        }
    }
    if !dists.is_empty() {
        let _ = writeln!(r);
    }

    // Parameters: free ones (and meta-parameters) become `param` items; fixed ones are inlined.
    let value_of = |k: usize| -> Option<f64> {
        match (&values, config.parameters[k].value) {
            (Some(v), _) => Some(v[k]),
            (None, Bound::Fixed(x)) => Some(x),
            (None, Bound::Free { .. }) => None,
        }
    };
    let mut settings: Vec<String> = Vec::new();
    let mut globals: Vec<String> = Vec::new();
    let mut body: Vec<String> = Vec::new();
    let mut params: Vec<String> = Vec::new();
    let mech_names: Vec<&str> = used.clone();
    let param_text = |k: usize, unit: &str| -> String {
        let p = &config.parameters[k];
        match p.value {
            Bound::Fixed(v) => quantity(values.as_ref().map(|x| x[k]).unwrap_or(v), unit),
            Bound::Free { .. } => ident(&p.name.replace('.', "__")),
        }
    };
    let declare = |k: usize, unit: &str, params: &mut Vec<String>| {
        let p = &config.parameters[k];
        if let Bound::Free { lower, upper } = p.value {
            let name = ident(&p.name.replace('.', "__"));
            let bounds = format!("[{}, {}]", quantity(lower, unit), quantity(upper, unit));
            let line = match value_of(k) {
                Some(v) => format!("param {name} = {} in {bounds}", quantity(v, unit)),
                None => format!("param {name} in {bounds}"),
            };
            if !params.contains(&line) {
                params.push(line);
            }
        }
    };
    for m in &config.mechanisms {
        body.push(format!("    insert {} on {}", m.suffix, region(&m.location)?));
    }
    for (k, p) in config.parameters.iter().enumerate() {
        match &p.kind {
            ParamKind::DistributionMeta { .. } => {
                declare(k, "", &mut params);
                if let Bound::Fixed(v) = p.value {
                    // Fixed meta-parameters are parameters too: distributions take them as arguments.
                    let name = ident(&p.name.replace('.', "__"));
                    let line = format!("param {name} = {}", num(values.as_ref().map(|x| x[k]).unwrap_or(v)));
                    if !params.contains(&line) {
                        params.push(line);
                    }
                }
            }
            ParamKind::Global => {
                let unit = match p.param.as_str() {
                    "v_init" => "mV",
                    "celsius" => "degC",
                    other => {
                        // `<name>_<mechanism>`: a mechanism-wide value.
                        let (name, mech) = split_suffix(other, &mech_names).ok_or_else(|| {
                            format!("`{other}` is not a global: v_init, celsius or <name>_<mechanism>")
                        })?;
                        let m = metas
                            .iter()
                            .find(|m| m.name == mech)
                            .ok_or_else(|| format!("no mechanism `{mech}`"))?;
                        let unit = m
                            .globals
                            .iter()
                            .find(|g| g.name == name)
                            .map(|g| g.units.clone())
                            .unwrap_or_default();
                        declare(k, &unit, &mut params);
                        globals.push(format!("global {mech} {{ {name} = {} }}", param_text(k, &unit)));
                        continue;
                    }
                };
                declare(k, unit, &mut params);
                settings.push(format!("{} = {}", p.param, param_text(k, unit)));
            }
            ParamKind::Section | ParamKind::Range { .. } => {
                let field_mech = match &p.kind {
                    ParamKind::Range { mechanism: Some(m) } => p
                        .param
                        .strip_suffix(&format!("_{m}"))
                        .map(|f| (f.to_string(), m.clone()))
                        .ok_or_else(|| format!("`{}` does not end in `_{m}`", p.param))
                        .map(Some)?,
                    _ => split_suffix(&p.param, &mech_names).map(|(f, m)| (f.to_string(), m.to_string())),
                };
                let where_ = region(&p.location)?;
                match field_mech {
                    Some((field, mech)) => {
                        let unit = unit_of(&mech, &field)?;
                        declare(k, &unit, &mut params);
                        let value = match &p.distribution {
                            None => param_text(k, &unit),
                            Some(d) => {
                                let mut args = vec![param_text(k, &unit)];
                                args.extend(
                                    meta_of(&d.name).iter().map(|m| ident(&m.name.replace('.', "__"))),
                                );
                                format!("d_{}({})", ident(&d.name), args.join(", "))
                            }
                        };
                        body.push(format!("    insert {mech} on {where_} {{ {field} = {value} }}"));
                    }
                    None => {
                        let unit = section_unit(&p.param).ok_or_else(|| {
                            format!("`{}` is neither a section variable nor a mechanism variable", p.param)
                        })?;
                        if p.distribution.is_some() {
                            return Err(format!(
                                "`{}` is a section variable and cannot have a distribution",
                                p.param
                            ));
                        }
                        declare(k, unit, &mut params);
                        body.push(format!("    set {} = {} on {where_}", p.param, param_text(k, unit)));
                    }
                }
            }
        }
    }
    for line in &params {
        let _ = writeln!(r, "{line}");
    }
    if !params.is_empty() {
        let _ = writeln!(r);
    }
    let _ = writeln!(r, "cell emodel {{\n    morphology = cell_morphology\n    nseg = per_length(40 um)");
    for line in &body {
        let _ = writeln!(r, "{line}");
    }
    let _ = writeln!(r, "}}\n");
    for g in &globals {
        let _ = writeln!(r, "{g}");
    }
    if !globals.is_empty() {
        let _ = writeln!(r);
    }
    settings.push(format!("dt = {} ms", num(a.dt)));
    let _ = writeln!(r, "settings {{\n    {}\n}}\n", settings.join("\n    "));

    // Protocols, with BluePyOpt's features.
    let pdoc = Document::read(&inputs.protocols_file).map_err(cfg_err)?;
    let all = protocols::read(&pdoc).map_err(cfg_err)?;
    let objectives = match &inputs.features_file {
        Some(f) => {
            let ftext =
                std::fs::read_to_string(f).map_err(|e| format!("cannot read {}: {e}", f.display()))?;
            bluepyopt_objectives(&ftext, &pdoc.text).map_err(|e| e.to_string())?
        }
        None => vec![],
    };
    let mut evaluated = Vec::new();
    let mut simulated = Vec::new();
    let mut needs_threshold = false;
    let mut needs_holding = false;
    for p in &all {
        if let Some(e) = &p.unsupported {
            let _ = writeln!(r, "# protocol {} is not converted: {}\n", p.name, e.message);
            continue;
        }
        let name = ident(&p.name);
        let _ = writeln!(r, "protocol {name} {{\n    duration = {} ms", num(p.total_duration()));
        for s in &p.stimuli {
            let amp = match s.amplitude {
                Amplitude::Absolute(x) => quantity(x, "nA"),
                Amplitude::ThresholdPercent(pc) => {
                    needs_threshold = true;
                    format!("{} % * threshold_current", num(pc))
                }
                Amplitude::HoldingCurrent => {
                    needs_holding = true;
                    "holding_current".to_string()
                }
            };
            let _ = writeln!(
                r,
                "    stimulus step at soma(0.5) {{ delay = {} ms, duration = {} ms, amplitude = {amp} }}",
                num(s.delay),
                num(s.duration)
            );
        }
        for rec in &p.recordings {
            let at = match &rec.location {
                RecordingLocation::Soma => "soma(0.5)".to_string(),
                RecordingLocation::Ais => "axon[0](0.5)".to_string(),
                RecordingLocation::SomaDistance { seclist, distance } => {
                    format!("somadistance({seclist}, {} um)", num(*distance))
                }
                RecordingLocation::TrunkDistance { seclist, distance } => {
                    format!("trunk({seclist}, {} um, radial)", num(*distance))
                }
                RecordingLocation::SeclistComp { seclist, index, x } => {
                    format!("seclist({seclist}, {index}, {})", num(*x))
                }
            };
            let var = match split_suffix(&rec.var, &mech_names) {
                Some((field, mech)) => format!("{mech}.{field}"),
                None => rec.var.clone(),
            };
            let rname =
                if rec.var == "v" { ident(&rec.name) } else { ident(&format!("{}_{}", rec.name, rec.var)) };
            let _ = writeln!(r, "    record {rname} = {var} at {at}");
        }
        let feats: Vec<_> = objectives.iter().filter(|o| o.protocol == p.name).collect();
        // The window recipes use by default: the first step.
        let default = p.stimuli.first().map(|s| (s.delay, s.delay + s.duration));
        for o in &feats {
            let unit = crate::run::env::feature_unit(o.feature.name()).unwrap_or("");
            let mut settings = Vec::new();
            if o.settings.threshold != -20.0 {
                settings.push(format!("Threshold = {} mV", num(o.settings.threshold)));
            }
            if default.map(|d| d.0) != Some(o.settings.stim_start) {
                settings.push(format!("stim_start = {} ms", num(o.settings.stim_start)));
            }
            if default.map(|d| d.1) != Some(o.settings.stim_end) {
                settings.push(format!("stim_end = {} ms", num(o.settings.stim_end)));
            }
            let block =
                if settings.is_empty() { String::new() } else { format!(" {{ {} }}", settings.join(", ")) };
            let _ = writeln!(
                r,
                "    feature {} {} = {} +- {}{block}",
                ident(&o.location),
                o.feature.name(),
                quantity(o.mean, unit),
                quantity(o.std, unit)
            );
        }
        let _ = writeln!(r, "}}\n");
        if feats.is_empty() {
            simulated.push(name);
        } else {
            evaluated.push(name);
        }
    }
    if needs_holding {
        let _ = writeln!(r, "# BluePyEModel's holding current search: give the target voltage.\nsearch holding_current {{ target = -80 mV }}\n");
    }
    if needs_threshold {
        let _ = writeln!(r, "search threshold_current {{ }}\n");
    }
    if !simulated.is_empty() {
        let _ = writeln!(r, "simulate {}", simulated.join(", "));
    }
    if !evaluated.is_empty() {
        let _ = writeln!(r, "evaluate {}", evaluated.join(", "));
    }
    Ok(r)
}
