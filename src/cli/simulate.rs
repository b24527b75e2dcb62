//! `myelin simulate SPEC.json --out DIR`: builds the simulation a description gives, runs it and
//! writes one CSV per probe (`<name>.csv`, header `t_ms,<var>`) and, when any source records
//! spikes, `spikes.csv` (`source,t_ms`). The format is documented in `docs/simulation.md`.

use super::{mechs, EXIT_INPUT};
use myelin_compiler::diag::{Diagnostic, FileId, SourceMap, Span};
use myelin_runtime::morph::Morphology;
use myelin_runtime::spec::SimulationSpec;
use myelin_runtime::{BuildOptions, Simulation};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// Arguments of `myelin simulate`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The simulation description (JSON).
    pub spec: PathBuf,
    /// Directory for the output CSV files (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Print nothing on success.
    #[arg(long)]
    pub quiet: bool,
    /// Threads for the mechanism kernels (1 or 2; default `$MYELIN_THREADS`, else 2 for cells of 200 compartments or more on a machine with two processors).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// .mod files or directories of .mod files to compile (JIT) in addition to Myelin's own
    /// catalogue; a mechanism here replaces a built-in of the same name.
    #[arg(long = "mechanisms", value_name = "PATH")]
    pub mechanisms: Vec<PathBuf>,
}

/// Loads a morphology file named in a description: SWC and Neurolucida ASC with NEURON's
/// Import3d rules, or `.json` holding serialised sections.
pub fn load_morphology(path: &Path) -> Result<Morphology, String> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "json" => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
            serde_json::from_str(&text)
                .map_err(|e| format!("not a morphology (line {}, column {}): {e}", e.line(), e.column()))
        }
        "swc" | "asc" => myelin_runtime::morph::load(path).map_err(|e| e.to_string()),
        _ => Err(format!("no morphology reader for `.{ext}` files (supported: .swc, .asc, .json)")),
    }
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

fn span(file: FileId, range: (usize, usize)) -> Span {
    Span::new(file, range.0, range.1)
}

/// Runs the subcommand.
pub fn run(args: Args) -> ExitCode {
    let mut sources = SourceMap::new();
    match execute(&args, &mut sources) {
        Ok(summary) => {
            if !args.quiet {
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

/// Reads, builds, runs and writes; returns a one-line summary or the diagnostic to show (the
/// description's text is added to `sources` so that the diagnostic can point into it).
pub fn execute(args: &Args, sources: &mut SourceMap) -> Result<String, Diagnostic> {
    let text = std::fs::read_to_string(&args.spec)
        .map_err(|e| Diagnostic::error("E0904", format!("cannot read `{}`: {e}", args.spec.display())))?;
    let file = sources.add(&args.spec, text.clone());
    let spec: SimulationSpec = serde_json::from_str(&text).map_err(|e| {
        let at = offset_of(&text, e.line(), e.column());
        let msg = e.to_string();
        let what = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        Diagnostic::error("E0901", format!("invalid simulation description: {what}"))
            .with_primary(span(file, (at, (at + 1).min(text.len()))), "here")
            .with_hint("see docs/simulation.md for the format and a complete example")
    })?;
    let base = args.spec.parent().map(Path::to_path_buf).unwrap_or_default();
    let opts = BuildOptions { base_dir: Some(&base), load_morphology: Some(&load_morphology) };
    let mechs = mechs::load(&mechs::Sources { builtin: true, paths: args.mechanisms.clone() }).map_err(
        |(src, d)| {
            let text = src.render(&d);
            Diagnostic::error("E0906", format!("mechanisms do not compile:\n{text}"))
        },
    )?;
    let catalogue = &mechs.catalogue;
    let mut sim = Simulation::build(&spec, catalogue, &opts).map_err(|e| {
        let mut d = Diagnostic::error("E0902", e.message.clone());
        if let Some(r) = myelin_runtime::json_path::locate(&text, &e.path) {
            d = d.with_primary(span(file, r), format!("in `{}`", e.path));
        } else if !e.path.is_empty() {
            d = d.with_note(format!("at `{}`", e.path));
        }
        if let Some(h) = e.hint {
            d = d.with_hint(h);
        }
        d
    })?;
    let start = Instant::now();
    sim.set_threads(args.threads.unwrap_or_else(|| super::default_threads(sim.voltages().len())))
        .map_err(|e| Diagnostic::error("E0913", format!("cannot start a worker thread: {e}")))?;
    sim.run().map_err(|e| Diagnostic::error("E0903", format!("the simulation failed {e}")))?;
    let elapsed = start.elapsed().as_secs_f64();
    let n = write_outputs(&sim, &args.out).map_err(|e| Diagnostic::error("E0904", e))?;
    let comps: usize = sim.layout().cells.iter().flat_map(|c| &c.sections).map(|s| s.nseg as usize).sum();
    Ok(format!(
        "simulated {} ms: {} cells, {comps} compartments, {} steps of {} ms in {elapsed:.3} s; wrote {n} files to {}",
        sim.time(),
        sim.layout().n_cells,
        sim.steps(),
        sim.dt(),
        args.out.display()
    ))
}

/// Writes the probe CSVs and `spikes.csv`; returns the number of files written.
pub fn write_outputs(sim: &Simulation, dir: &Path) -> Result<usize, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
    let mut n = 0;
    for tr in sim.traces() {
        let mut s = String::with_capacity(tr.t.len() * 24);
        let _ = writeln!(s, "t_ms,{}", tr.var);
        for (t, v) in tr.t.iter().zip(tr.values) {
            let _ = writeln!(s, "{t},{v}");
        }
        let path = dir.join(format!("{}.csv", tr.name));
        std::fs::write(&path, s).map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
        n += 1;
    }
    let spikes = sim.spikes();
    if !spikes.is_empty() {
        let mut s = String::from("source,t_ms\n");
        for train in &spikes {
            for t in train.times {
                let _ = writeln!(s, "{},{t}", train.source);
            }
        }
        let path = dir.join("spikes.csv");
        std::fs::write(&path, s).map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("myelin-simulate-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn documented_example_runs_and_matches_the_docs() {
        let doc = std::fs::read_to_string(repo().join("docs/simulation.md")).unwrap();
        let block = doc.split("```json\n").nth(1).unwrap().split("```").next().unwrap();
        let file = std::fs::read_to_string(repo().join("docs/examples/two_cells.json")).unwrap();
        assert_eq!(block, file, "docs/simulation.md and docs/examples/two_cells.json differ");
        let out = tmp("example");
        let args = Args {
            spec: repo().join("docs/examples/two_cells.json"),
            out: out.clone(),
            quiet: true,
            mechanisms: vec![],
            threads: None,
        };
        let mut sources = SourceMap::new();
        let summary = execute(&args, &mut sources).unwrap_or_else(|d| panic!("{}", sources.render(&[d])));
        assert!(summary.contains("2 cells"), "{summary}");
        let v = std::fs::read_to_string(out.join("a_soma_v.csv")).unwrap();
        assert!(v.starts_with("t_ms,v\n0,-65\n"), "{}", &v[..40]);
        assert_eq!(v.lines().count(), 1 + 501);
        let m = std::fs::read_to_string(out.join("a_m.csv")).unwrap();
        assert!(m.starts_with("t_ms,m_hh\n"));
        let spikes = std::fs::read_to_string(out.join("spikes.csv")).unwrap();
        let count = |src: &str| spikes.lines().filter(|l| l.starts_with(&format!("{src},"))).count();
        assert_eq!(count("drive"), 3);
        assert!(count("a") >= 3, "{spikes}");
        assert!(count("b") >= 1, "{spikes}");
        let _ = std::fs::remove_dir_all(&out);
    }

    fn diagnose(name: &str, text: &str) -> String {
        let dir = tmp(name);
        std::fs::create_dir_all(&dir).unwrap();
        let spec = dir.join("spec.json");
        std::fs::write(&spec, text).unwrap();
        let args = Args { spec, out: dir.join("out"), quiet: true, mechanisms: vec![], threads: None };
        let mut sources = SourceMap::new();
        let d = execute(&args, &mut sources).expect_err("the description is wrong");
        let r = sources.render(&[d]);
        let _ = std::fs::remove_dir_all(&dir);
        r
    }

    #[test]
    fn errors_name_file_line_and_fix() {
        let cell = |mech: &str| {
            format!(
                "{{\n  \"cells\": [{{\"name\": \"c\",\n    \"morphology\": {{\"sections\": [{{\"name\": \"soma\", \"length\": 10, \"diam\": 10}}]}},\n    \"mechanisms\": [{{\"mechanism\": \"{mech}\"}}]}}],\n  \"run\": {{\"tstop\": 1}}\n}}"
            )
        };
        let r = diagnose("unknown-mech", &cell("hhx"));
        assert!(r.contains("E0902") && r.contains("unknown mechanism `hhx`"), "{r}");
        assert!(r.contains("spec.json:4:"), "line of the mechanism: {r}");
        assert!(r.contains("help: mechanisms in the catalogue: pas, hh"), "{r}");
        let r = diagnose("syntax", "{\"cells\": [], \"run\": {\"tstop\": 1,}}");
        assert!(r.contains("E0901") && r.contains("spec.json:1:"), "{r}");
        let r = diagnose("unknown-key", "{\"run\": {\"tstop\": 1, \"dtt\": 0.1}}");
        assert!(r.contains("unknown field `dtt`"), "{r}");
        let r = diagnose("missing-file", "{\"cells\": [{\"name\": \"c\", \"morphology\": {\"file\": \"nope.swc\"}}], \"run\": {\"tstop\": 1}}");
        assert!(r.contains("nope.swc") && r.contains("E0902"), "{r}");
    }
}
