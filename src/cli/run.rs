//! `myelin run FILE.recipe [--out DIR] [--aot DIR]`: checks a recipe, compiles its mechanisms
//! and per-segment values (or loads them from a `myelin build` directory) and executes its
//! statements. Output layout: see `src/run/mod.rs` and docs/recipe.md.

use super::{mechs, EXIT_INPUT};
use crate::run::{load, Runner};
use myelin_compiler::aot;
use myelin_compiler::diag::{Diagnostic, SourceMap};
use myelin_compiler::recipe::{codegen, lower};
use myelin_runtime::instantiate::SegmentFn;
use myelin_runtime::Catalogue;
use std::any::Any;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `myelin run`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The recipe (`.recipe`).
    pub recipe: PathBuf,
    /// Output directory (created if missing); default `out/<recipe name>`.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Take the mechanisms and compiled values from this directory (made by
    /// `myelin build FILE.recipe -o DIR`) instead of compiling them.
    #[arg(long, value_name = "DIR")]
    pub aot: Option<PathBuf>,
    /// Print nothing on success.
    #[arg(long)]
    pub quiet: bool,
}

/// Diagnostics shown at most.
pub const MAX_SHOWN: usize = 100;

/// Renders diagnostics on stderr (at most [`MAX_SHOWN`]).
pub fn emit(sources: &SourceMap, diags: &[Diagnostic], file: &Path) {
    sources.emit_stderr(&diags[..diags.len().min(MAX_SHOWN)]);
    if diags.len() > MAX_SHOWN {
        eprintln!("{}: {} more diagnostics not shown", file.display(), diags.len() - MAX_SHOWN);
    }
}

/// Mechanisms and compiled terms, with the code they live in.
struct Compiled {
    catalogue: Catalogue,
    terms: Vec<SegmentFn>,
    _keep: Vec<Box<dyn Any>>,
}

fn compile(
    checked: load::Checked,
    aot_dir: Option<&Path>,
) -> Result<(Compiled, myelin_compiler::recipe::model::Model), String> {
    let model = checked.model;
    let mut keep: Vec<Box<dyn Any>> = Vec::new();
    let mut catalogue = Catalogue::new();
    let terms: Vec<SegmentFn> = match aot_dir {
        Some(dir) => {
            for m in aot::load_dir(dir)? {
                catalogue.register(m.meta.clone(), m.kernels)?;
                keep.push(Box::new(m));
            }
            let loaded = aot::load_terms(dir)?;
            let mut out = Vec::new();
            for t in &model.segment_terms {
                let key = lower::segment_key(t);
                let f = loaded.iter().find(|l| l.key == key).ok_or_else(|| {
                    format!(
                        "{} has no compiled code for the value `{t}`: it was built from another recipe; run `myelin build` again",
                        dir.display()
                    )
                })?;
                out.push(f.function);
            }
            keep.push(Box::new(loaded));
            out
        }
        None => {
            let compiled = mechs::compile(checked.mechanisms)?;
            for e in compiled.catalogue.entries() {
                catalogue.register(e.meta.clone(), e.kernels)?;
            }
            keep.push(Box::new(compiled));
            for dir in &model.sources.aot {
                for m in aot::load_dir(dir)? {
                    if catalogue.get(&m.meta.name).is_none() {
                        catalogue.register(m.meta.clone(), m.kernels)?;
                    }
                    keep.push(Box::new(m));
                }
            }
            let c = codegen::jit(&model.segment_terms).map_err(|e| e.to_string())?;
            let f = c.functions.clone();
            keep.push(Box::new(c));
            f
        }
    };
    Ok((Compiled { catalogue, terms, _keep: keep }, model))
}

/// Runs the subcommand.
pub fn run(args: Args) -> ExitCode {
    let mut sources = SourceMap::new();
    let checked = match load::check_file(&args.recipe, args.aot.as_deref(), &mut sources) {
        Ok(c) => c,
        Err(d) => {
            emit(&sources, &d, &args.recipe);
            return ExitCode::from(EXIT_INPUT);
        }
    };
    if !args.quiet {
        emit(&sources, &checked.warnings, &args.recipe);
    }
    let stem = args.recipe.file_stem().and_then(|s| s.to_str()).unwrap_or("recipe").to_string();
    let out = args.out.clone().unwrap_or_else(|| Path::new("out").join(&stem));
    if checked.model.statements.is_empty() {
        if !args.quiet {
            println!("{}: nothing to run (add `simulate` or `evaluate` statements)", args.recipe.display());
        }
        return ExitCode::SUCCESS;
    }
    let (compiled, model) = match compile(checked, args.aot.as_deref()) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_INPUT);
        }
    };
    let runner = Runner::new(&model, &compiled.catalogue, &compiled.terms, &out, args.quiet);
    match runner.run_all() {
        Ok(summary) => {
            if !args.quiet {
                for l in &summary.lines {
                    println!("{l}");
                }
                println!("wrote {} files to {}", summary.files, out.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_INPUT)
        }
    }
}
