//! The executor of recipe statements (`myelin run`): it owns what the compiler does not do —
//! simulations, the searches of threshold-based protocols, features and scores, output files,
//! plots and the progress bar.
//!
//! It lives in the `myelin` crate because it needs all three libraries: the compiler's checked
//! model and lowering (`myelin_compiler::recipe`), the runtime's simulations and the standard
//! library's features and scores. Nothing here parses or checks: a recipe that reaches the
//! executor is a checked [`Model`].
//!
//! Output layout (`--out DIR`):
//! * `DIR/<protocol>/<recording>.csv` (`t_ms,<column>`) and `.svg` for every protocol a
//!   `simulate` or `evaluate` runs;
//! * `DIR/evaluation.json` (then `evaluation_2.json`, …): features, scores and searched currents
//!   of each `evaluate` statement, numbered by statement among the statements of the same block
//!   (the top level, or a sweep's body);
//! * `DIR/sweep_<param>.csv` and `.svg` (`sweep_<param>_<n>` for the n-th sweep over the same
//!   parameter): one row per value of a sweep with `evaluate` statements
//!   (the feature means of all of them, then their summed `total_score`), with each iteration's
//!   files in `DIR/sweep_<param>/<i>/`.

pub mod env;
mod evaluate;
pub mod load;
mod output;
mod plot;
mod progress;
mod search;

use myelin_compiler::recipe::lower::{self, RunValues};
use myelin_compiler::recipe::model::{Model, Statement};
use myelin_runtime::instantiate::SegmentFn;
use myelin_runtime::{BuildOptions, Catalogue, Simulation, SimulationSpec};
use progress::Progress;
use search::Currents;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// One recorded trace of a run.
#[derive(Debug, Clone)]
pub struct TraceData {
    /// Recording name.
    pub name: String,
    /// CSV column (`v`, `ica`, `m_hh` …).
    pub column: String,
    /// Unit, for plots.
    pub unit: String,
    /// Times (ms).
    pub t: Vec<f64>,
    /// Values.
    pub values: Vec<f64>,
}

/// What a run of the statements produced, for the command's summary.
#[derive(Debug, Default)]
pub struct Summary {
    /// One line per statement.
    pub lines: Vec<String>,
    /// Files written.
    pub files: usize,
}

/// Executes the statements of a model.
pub struct Runner<'a> {
    model: &'a Model,
    catalogue: &'a Catalogue,
    terms: HashMap<String, SegmentFn>,
    out: PathBuf,
    progress: Progress,
    currents: HashMap<Vec<u64>, Result<Currents, String>>,
    summary: Summary,
}

/// One row of a sweep table: the feature means of the iteration's evaluations, in order, and
/// the sum of their total scores (None when the sweep evaluates nothing).
#[derive(Default)]
struct SweepRow {
    columns: Vec<(String, f64)>,
    total: Option<f64>,
}

impl<'a> Runner<'a> {
    /// A runner writing into `out`, with the mechanisms of `catalogue` and the compiled
    /// per-segment values `terms` (one per `model.segment_terms`, in order).
    pub fn new(
        model: &'a Model,
        catalogue: &'a Catalogue,
        terms: &[SegmentFn],
        out: &Path,
        quiet: bool,
    ) -> Self {
        let terms = model.segment_terms.iter().zip(terms).map(|(t, f)| (lower::segment_key(t), *f)).collect();
        Runner {
            model,
            catalogue,
            terms,
            out: out.to_path_buf(),
            progress: Progress::new(quiet),
            currents: HashMap::new(),
            summary: Summary::default(),
        }
    }

    /// Runs every statement in order; stops at the first that fails.
    pub fn run_all(mut self) -> Result<Summary, String> {
        let params = self.default_params();
        std::fs::create_dir_all(&self.out)
            .map_err(|e| format!("cannot create `{}`: {e}", self.out.display()))?;
        let out = self.out.clone();
        self.block(&self.model.statements, &params, &out, None)?;
        self.progress.finish();
        Ok(self.summary)
    }

    /// Parameter values as written (NaN for free parameters without a value).
    fn default_params(&self) -> Vec<f64> {
        self.model.params.iter().map(|p| p.value.unwrap_or(f64::NAN)).collect()
    }

    fn check_params(&self, params: &[f64], used: &[usize]) -> Result<(), String> {
        for &i in used {
            if !params[i].is_finite() {
                return Err(format!(
                    "parameter `{}` has no value (it is free, with bounds only): give it one, `param {} = VALUE in [..]`",
                    self.model.params[i].name, self.model.params[i].name
                ));
            }
        }
        Ok(())
    }

    /// Builds and runs a simulation; `label` names it in the progress bar.
    pub(crate) fn simulate(
        &mut self,
        spec: &SimulationSpec,
        params: &[f64],
        label: &str,
    ) -> Result<Simulation, String> {
        let lowered = lower::Lowered { model: self.model };
        let loader = |p: &Path| lowered.load_morphology(p);
        let opts = BuildOptions { base_dir: None, load_morphology: Some(&loader) };
        let terms = &self.terms;
        let resolver = |text: &str| terms.get(text).map(|f| (*f, params));
        let mut sim = Simulation::build_with(spec, self.catalogue, &opts, Some(&resolver))
            .map_err(|e| format!("{label}: cannot build the simulation: {e}"))?;
        let threads = crate::cli::default_threads(sim.voltages().len());
        sim.set_threads(threads).map_err(|e| format!("{label}: cannot start a worker thread: {e}"))?;
        let steps = sim.steps();
        let dt = sim.dt();
        self.progress.start(label, steps as f64 * dt);
        sim.finitialize();
        let chunk = 2000usize;
        let mut done = 0;
        while done < steps {
            let n = chunk.min(steps - done);
            sim.advance(n).map_err(|e| format!("{label}: the simulation failed {e}"))?;
            done += n;
            self.progress.advance(n as f64 * dt);
        }
        if let Some(i) = sim.voltages().iter().position(|v| !v.is_finite()) {
            return Err(format!(
                "{label}: the membrane potential of node {i} is not finite (numerical breakdown)"
            ));
        }
        Ok(sim)
    }

    /// Runs protocol `pi` with the given parameters (searching currents first when it uses
    /// them) and returns its traces.
    pub(crate) fn run_protocol(
        &mut self,
        pi: usize,
        params: &[f64],
    ) -> Result<(Vec<TraceData>, Option<Currents>), String> {
        let p = &self.model.protocols[pi];
        let mut used = Vec::new();
        for s in &p.stimuli {
            for t in s.kind.terms() {
                t.params(&mut used);
            }
        }
        for ins in &self.model.cells[p.cell].insertions {
            for (_, v) in &ins.params {
                match v {
                    myelin_compiler::recipe::model::Value::Uniform(t) => t.params(&mut used),
                    myelin_compiler::recipe::model::Value::Segment(k) => {
                        self.model.segment_terms[*k].params(&mut used)
                    }
                }
            }
        }
        self.check_params(params, &used)?;
        let uses = |c| p.uses(c);
        let currents = if uses(myelin_compiler::recipe::expr::CurrentVar::Holding)
            || uses(myelin_compiler::recipe::expr::CurrentVar::Threshold)
        {
            Some(self.currents(params)?)
        } else {
            None
        };
        let values = RunValues {
            params,
            holding: currents.as_ref().map(|c| c.holding),
            threshold: currents.as_ref().and_then(|c| c.threshold),
        };
        if uses(myelin_compiler::recipe::expr::CurrentVar::Threshold) && values.threshold.is_none() {
            return Err(format!("protocol `{}`: the threshold current was not found", p.name));
        }
        let spec = lower::protocol_spec(self.model, pi, &values)
            .map_err(|e| format!("protocol `{}`: {e}", p.name))?;
        let name = p.name.clone();
        let sim = self.simulate(&spec, params, &name)?;
        let p = &self.model.protocols[pi];
        let traces = p
            .recordings
            .iter()
            .map(|r| {
                let tr = sim.trace(&r.name).expect("every recording is a probe");
                TraceData {
                    name: r.name.clone(),
                    column: r.column.clone(),
                    unit: r.unit.to_string(),
                    t: tr.t.to_vec(),
                    values: tr.values.to_vec(),
                }
            })
            .collect();
        Ok((traces, currents))
    }

    /// The searched currents of a parameter set (cached).
    fn currents(&mut self, params: &[f64]) -> Result<Currents, String> {
        let key: Vec<u64> = params.iter().map(|x| x.to_bits()).collect();
        if let Some(c) = self.currents.get(&key) {
            return c.clone();
        }
        let r = search::find(self, params);
        self.currents.insert(key, r.clone());
        r
    }

    /// Runs a block of statements (the top level, or a sweep's body once, `row` collecting its
    /// evaluations) writing into `dir`. The n-th `evaluate` statement of the block writes
    /// `evaluation.json` (n = 1) or `evaluation_<n>.json`.
    fn block(
        &mut self,
        statements: &[Statement],
        params: &[f64],
        dir: &Path,
        mut row: Option<&mut SweepRow>,
    ) -> Result<(), String> {
        let mut evaluations = 0;
        for (k, s) in statements.iter().enumerate() {
            let ordinal = match s {
                Statement::Evaluate { .. } => {
                    evaluations += 1;
                    evaluations
                }
                // A later sweep over the same parameter gets its own files.
                Statement::Sweep { param, .. } => statements[..=k]
                    .iter()
                    .filter(|e| matches!(e, Statement::Sweep { param: q, .. } if q == param))
                    .count(),
                _ => 0,
            };
            self.statement(s, params, dir, row.as_deref_mut(), ordinal)?;
        }
        Ok(())
    }

    /// Runs one statement with the given parameter values, writing into `dir`; inside a sweep
    /// (`row`), evaluations add their feature means and total to the row. `ordinal` numbers the
    /// evaluation file of an `evaluate`, and the files of a sweep among the block's sweeps over the
    /// same parameter.
    fn statement(
        &mut self,
        s: &Statement,
        params: &[f64],
        dir: &Path,
        row: Option<&mut SweepRow>,
        ordinal: usize,
    ) -> Result<(), String> {
        let nested = row.is_some();
        match s {
            Statement::Simulate { protocols, .. } => {
                for &pi in protocols {
                    let start = Instant::now();
                    let (traces, currents) = self.run_protocol(pi, params)?;
                    let pdir = dir.join(&self.model.protocols[pi].name);
                    self.summary.files += output::write_traces(&pdir, &traces)?;
                    if let Some(c) = currents {
                        self.summary.files += output::write_json(&pdir.join("currents.json"), &c.to_json())?;
                    }
                    if nested {
                        continue;
                    }
                    self.summary.lines.push(format!(
                        "simulate {}: {} recording(s) in {:.2} s -> {}",
                        self.model.protocols[pi].name,
                        traces.len(),
                        start.elapsed().as_secs_f64(),
                        pdir.display()
                    ));
                }
                Ok(())
            }
            Statement::Evaluate { protocols, .. } => {
                let start = Instant::now();
                let report = evaluate::evaluate(self, protocols, params, dir)?;
                let file = if ordinal <= 1 {
                    dir.join("evaluation.json")
                } else {
                    dir.join(format!("evaluation_{ordinal}.json"))
                };
                self.summary.files += output::write_json(&file, &report.json)? + report.files;
                if let Some(row) = row {
                    for (name, mean) in report.means {
                        // The same objective evaluated twice in a sweep gets its statement's
                        // number as a prefix, so that no column is lost.
                        let name = if row.columns.iter().any(|(c, _)| *c == name) {
                            format!("evaluation_{ordinal}.{name}")
                        } else {
                            name
                        };
                        row.columns.push((name, mean));
                    }
                    row.total = Some(row.total.unwrap_or(0.0) + report.total);
                }
                if nested {
                    return Ok(());
                }
                self.summary.lines.push(format!(
                    "evaluate {}: {} objective(s), total score {:.4} in {:.2} s -> {}",
                    protocols
                        .iter()
                        .map(|&i| self.model.protocols[i].name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    report.objectives.len(),
                    report.total,
                    start.elapsed().as_secs_f64(),
                    file.display()
                ));
                Ok(())
            }
            Statement::Sweep { param, values, body, .. } => {
                let p = &self.model.params[*param];
                let pname = p.name.clone();
                let unit = p.unit.clone();
                let stem =
                    if ordinal <= 1 { format!("sweep_{pname}") } else { format!("sweep_{pname}_{ordinal}") };
                let sdir = dir.join(&stem);
                let mut rows: Vec<(f64, Vec<(String, f64)>)> = Vec::new();
                let start = Instant::now();
                for (k, v) in values.iter().enumerate() {
                    let mut ps = params.to_vec();
                    ps[*param] = *v;
                    let idir = sdir.join(k.to_string());
                    let mut row = SweepRow::default();
                    self.block(body, &ps, &idir, Some(&mut row))?;
                    let mut columns = row.columns;
                    if let Some(t) = row.total {
                        columns.push(("total_score".into(), t));
                    }
                    rows.push((*v, columns));
                }
                if rows.iter().all(|(_, r)| r.is_empty()) {
                    // Nothing evaluated: no table, only the iterations' traces.
                    self.summary.lines.push(format!(
                        "sweep {pname}: {} value(s) in {:.2} s -> {}",
                        values.len(),
                        start.elapsed().as_secs_f64(),
                        sdir.display()
                    ));
                    return Ok(());
                }
                let column = if unit.is_empty() {
                    pname.clone()
                } else {
                    format!("{pname}_{}", unit.replace(['*', '/'], "_"))
                };
                self.summary.files += output::write_sweep(dir, &stem, &pname, &column, &unit, &rows)?;
                self.summary.lines.push(format!(
                    "sweep {pname}: {} value(s) in {:.2} s -> {}",
                    values.len(),
                    start.elapsed().as_secs_f64(),
                    dir.join(format!("{stem}.csv")).display()
                ));
                Ok(())
            }
        }
    }
}
