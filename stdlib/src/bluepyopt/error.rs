//! Errors in e-model configuration files: which file, where in it (a JSON path such as
//! `bAP.extra_recordings[0].somadistance`), what is wrong and how to fix it.

use std::fmt;

/// A problem in one of the input files of an e-model (or in combining them).
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    /// The file (as given by the user); empty when the problem is not in one file.
    pub file: String,
    /// JSON path of the offending value; empty for the whole file.
    pub path: String,
    /// Line and column (1-based) when known directly (JSON syntax errors).
    pub line: Option<(usize, usize)>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl ConfigError {
    /// An error at `path` of `file`.
    pub fn new(file: &str, path: &str, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: file.to_string(),
            path: path.to_string(),
            line: None,
            message: message.into(),
            hint: None,
        }
    }

    /// The same error with a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> ConfigError {
        self.hint = Some(hint.into());
        self
    }

    /// The same error at a known line and column.
    pub fn at_line(mut self, line: usize, column: usize) -> ConfigError {
        self.line = Some((line, column));
        self
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.file.is_empty() {
            write!(f, "{}", self.file)?;
            if let Some((l, c)) = self.line {
                write!(f, ":{l}:{c}")?;
            }
            write!(f, ": ")?;
        }
        if !self.path.is_empty() {
            write!(f, "`{}`: ", self.path)?;
        }
        write!(f, "{}", self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}
