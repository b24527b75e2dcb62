//! Errors of the runtime: problems in a simulation description (found while building) and
//! problems raised during a run.

use std::fmt;

/// A problem in a simulation description.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecError {
    /// Where in the description, as a path of keys and indices (e.g.
    /// `cells[0].mechanisms[2].parameters.gnabar`); empty for the whole description.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when there is something useful to say.
    pub hint: Option<String>,
}

impl SpecError {
    /// An error at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> SpecError {
        SpecError { path: path.into(), message: message.into(), hint: None }
    }

    /// The same error with a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> SpecError {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)?;
        } else {
            write!(f, "{}: {}", self.path, self.message)?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecError {}

/// A problem during a run (raised by a mechanism through the runtime services, or a numerical
/// breakdown).
#[derive(Debug, Clone, PartialEq)]
pub struct RunError {
    /// Simulation time at which it happened (ms).
    pub t: f64,
    /// What happened.
    pub message: String,
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at t = {} ms: {}", self.t, self.message)
    }
}

impl std::error::Error for RunError {}
