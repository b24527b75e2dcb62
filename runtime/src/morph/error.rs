//! Diagnostics for morphology files: where (file, line, column), what, and how to fix it.
//!
//! The runtime does not depend on the compiler's diagnostic machinery, so this is a small
//! self-contained error type; the CLI can render it as it likes (it implements `Display`).

use std::fmt;

/// A problem found while reading or transforming a morphology.
///
/// `line` and `column` are 1-based; 0 means "not tied to a position" (e.g. an operation on an
/// already loaded morphology, or an I/O failure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MorphError {
    /// The file (or a label such as `<memory>`) the problem is in.
    pub file: String,
    /// 1-based line, 0 when unknown.
    pub line: usize,
    /// 1-based column, 0 when unknown.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when there is something useful to say.
    pub hint: Option<String>,
}

impl MorphError {
    /// An error at a position in a file.
    pub fn at(file: &str, line: usize, column: usize, message: impl Into<String>) -> Self {
        MorphError { file: file.to_string(), line, column, message: message.into(), hint: None }
    }

    /// An error about a morphology rather than a place in a file.
    pub fn general(message: impl Into<String>) -> Self {
        MorphError { file: String::new(), line: 0, column: 0, message: message.into(), hint: None }
    }

    /// Adds a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for MorphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.file.is_empty() {
            write!(f, "{}", self.file)?;
            if self.line > 0 {
                write!(f, ":{}", self.line)?;
                if self.column > 0 {
                    write!(f, ":{}", self.column)?;
                }
            }
            write!(f, ": ")?;
        }
        write!(f, "error: {}", self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for MorphError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_has_position_message_and_hint() {
        let e = MorphError::at("a.swc", 3, 7, "bad number").with_hint("use a decimal point");
        assert_eq!(e.to_string(), "a.swc:3:7: error: bad number\n  hint: use a decimal point");
        let g = MorphError::general("no soma");
        assert_eq!(g.to_string(), "error: no soma");
    }
}
