//! Subcommands. Each lives in its own module with a `run` function returning the exit code.

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
    /// Run a simulation description (JSON) and write one CSV per probe.
    Simulate(simulate::Args),
}

/// Runs one subcommand.
pub fn dispatch(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Simulate(a) => simulate::run(a),
    }
}
