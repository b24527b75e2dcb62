//! Subcommands. Each lives in its own module with a `run` function returning the exit code.

mod bluepyopt;
mod build;
mod check;
mod dump;
mod features;
mod fmt;
mod import;
mod load;
pub mod mechs;
mod run;
pub mod simulate;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Exit code for input errors.
pub const EXIT_INPUT: u8 = 1;
/// Exit code for usage errors.
pub const EXIT_USAGE: u8 = 2;

/// Myelin: compiler and runtime for biophysical neuron models.
#[derive(Parser, Debug)]
#[command(name = "myelin", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check .mod and .recipe files (syntax, names, units); diagnostics go to stderr.
    Check(check::Args),
    /// Print a .mod file in canonical layout.
    Fmt(fmt::Args),
    /// Show the compiler's view of a file (syntax tree, mechanism IR).
    Dump(dump::Args),
    /// Compile mechanisms (or a recipe's mechanisms and distributions) ahead of time.
    Build(build::Args),
    /// eFEL-compatible features of a voltage trace (CSV), printed as JSON.
    Features(features::FeaturesArgs),
    /// Run a simulation description (JSON) and write one CSV per probe.
    Simulate(simulate::Args),
    /// Run the statements of a recipe (.recipe): traces, features, scores, sweeps.
    Run(run::Args),
    /// Convert a model configuration (BluePyOpt / BluePyEModel) into a recipe.
    Import(import::Args),
    /// BluePyOpt / BluePyEModel e-models: run protocols from their configuration files.
    Bluepyopt(bluepyopt::Args),
}

/// Cells with at least this many compartments get a second thread by default.
pub const THREADED_NODES: usize = 200;

/// Threads a simulation of `nodes` compartments uses when `--threads` is not given:
/// `$MYELIN_THREADS` if set, else two for cells of at least [`THREADED_NODES`] compartments on a
/// machine with two processors or more, else one. Two threads give the same numbers as one; the
/// engine keeps measuring both forms while it runs and continues on one thread while other
/// processes take the processors (a preempted worker would cost more than it saves).
pub fn default_threads(nodes: usize) -> usize {
    if let Some(n) = std::env::var("MYELIN_THREADS").ok().and_then(|v| v.parse().ok()) {
        return n;
    }
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    if nodes >= THREADED_NODES && cores >= 2 {
        2
    } else {
        1
    }
}

/// Runs one subcommand.
pub fn dispatch(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Check(a) => check::run(a),
        Command::Fmt(a) => fmt::run(a),
        Command::Dump(a) => dump::run(a),
        Command::Build(a) => build::run(a),
        Command::Features(a) => features::run(a),
        Command::Simulate(a) => simulate::run(a),
        Command::Run(a) => run::run(a),
        Command::Import(a) => import::run(a),
        Command::Bluepyopt(a) => bluepyopt::run(a),
    }
}
