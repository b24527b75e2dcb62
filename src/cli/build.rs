//! `myelin build`: compiles mechanisms ahead of time into an artifact directory that
//! `myelin run --aot DIR` loads without a C compiler, a linker, or recompiling. Given a recipe,
//! it builds the recipe's mechanisms and its compiled per-segment parameter values.

use super::{load, EXIT_INPUT};
use myelin_compiler::aot;
use myelin_compiler::diag::SourceMap;
use myelin_compiler::driver;
use myelin_compiler::mir::lower::LowerOptions;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `myelin build`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// .mod files or directories of .mod files, or one recipe (.recipe).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Output directory (created if needed; also the compile cache).
    #[arg(short = 'o', long = "out")]
    pub out: PathBuf,
    /// Print one line per mechanism.
    #[arg(short, long)]
    pub verbose: bool,
}

/// Every .mod file named by the inputs (directories are searched non-recursively, sorted).
pub fn mod_files(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for i in inputs {
        if i.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(i)
                .map_err(|e| format!("cannot read directory {}: {e}", i.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "mod"))
                .collect();
            v.sort();
            if v.is_empty() {
                return Err(format!("{} contains no .mod files", i.display()));
            }
            files.extend(v);
        } else if i.is_file() {
            files.push(i.clone());
        } else {
            return Err(format!("{}: no such file or directory", i.display()));
        }
    }
    Ok(files)
}

/// Runs `myelin build`.
pub fn run(args: Args) -> ExitCode {
    if args.inputs.iter().any(|i| i.extension().is_some_and(|e| e == "recipe")) {
        return build_recipe(&args);
    }
    let files = match mod_files(&args.inputs) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_INPUT);
        }
    };
    let mut sources = SourceMap::new();
    let mut mechs = Vec::new();
    let mut failed = false;
    for f in &files {
        match driver::lower_file(&mut sources, f, &load::include_path(), LowerOptions::default()) {
            Ok(l) => {
                sources.emit_stderr(&l.diagnostics);
                match l.mir {
                    Some(m) => mechs.push((m, f.clone())),
                    None => failed = true,
                }
            }
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", f.display());
                failed = true;
            }
        }
    }
    if failed {
        return ExitCode::from(EXIT_INPUT);
    }
    match aot::build(&mechs, &args.out) {
        Ok(report) => {
            let cached = report.iter().filter(|r| r.cached).count();
            if args.verbose {
                for r in &report {
                    eprintln!("{:>20} {} {}", r.name, r.fingerprint, if r.cached { "(cached)" } else { "" });
                }
            }
            eprintln!(
                "built {} mechanism(s) into {} ({} compiled, {} from cache)",
                report.len(),
                display(&args.out),
                report.len() - cached,
                cached
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_INPUT)
        }
    }
}

fn display(p: &Path) -> String {
    p.display().to_string()
}

/// `myelin build FILE.recipe -o DIR`: the recipe's mechanisms (its `builtin` and `mod`
/// sources, and the objects of its `aot` sources) and its compiled per-segment values, for
/// `myelin run FILE.recipe --aot DIR`.
fn build_recipe(args: &Args) -> ExitCode {
    let [recipe] = &args.inputs[..] else {
        eprintln!("error: `myelin build` takes one recipe at a time");
        return ExitCode::from(super::EXIT_USAGE);
    };
    let mut sources = SourceMap::new();
    let checked = match crate::run::load::check_file(recipe, None, &mut sources) {
        Ok(c) => c,
        Err(d) => {
            super::run::emit(&sources, &d, recipe);
            return ExitCode::from(EXIT_INPUT);
        }
    };
    super::run::emit(&sources, &checked.warnings, recipe);
    let mechs: Vec<_> = checked
        .mechanisms
        .into_iter()
        .map(|m| {
            let src = PathBuf::from(format!("{}.mod", m.meta.name));
            (m, src)
        })
        .collect();
    let model = checked.model;
    let result = aot::build(&mechs, &args.out).and_then(|report| {
        copy_aot_sources(&model.sources.aot, &args.out)?;
        let terms: Vec<_> = model
            .segment_terms
            .iter()
            .map(|t| (myelin_compiler::recipe::lower::segment_key(t), t.clone()))
            .collect();
        let n = aot::build_terms(&terms, &args.out)?;
        Ok((report, n))
    });
    match result {
        Ok((report, n)) => {
            let cached = report.iter().filter(|r| r.cached).count();
            eprintln!(
                "built {} mechanism(s) ({} from cache) and {n} compiled value(s) of {} into {}",
                report.len(),
                cached,
                recipe.display(),
                display(&args.out)
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_INPUT)
        }
    }
}

/// Adds the mechanisms of other artifact directories (objects copied) to `out`'s catalogue.
fn copy_aot_sources(dirs: &[PathBuf], out: &Path) -> Result<(), String> {
    if dirs.is_empty() {
        return Ok(());
    }
    let cat_path = out.join(aot::CATALOGUE_FILE);
    let read = |p: &Path| -> Result<aot::Catalogue, String> {
        let text = std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))
    };
    let mut cat = read(&cat_path)?;
    for d in dirs {
        let other = read(&d.join(aot::CATALOGUE_FILE))?;
        for e in other.mechanisms {
            if cat.mechanisms.iter().any(|m| m.meta.name == e.meta.name) {
                continue;
            }
            std::fs::copy(d.join(&e.object), out.join(&e.object))
                .map_err(|err| format!("cannot copy {}: {err}", d.join(&e.object).display()))?;
            cat.mechanisms.push(e);
        }
    }
    let json = serde_json::to_string_pretty(&cat).map_err(|e| e.to_string())?;
    std::fs::write(&cat_path, json).map_err(|e| format!("cannot write catalogue: {e}"))
}
