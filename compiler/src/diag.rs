//! Diagnostics shared by every front end: spans, source files, stable error codes, and rendering
//! with codespan-reporting.
//!
//! A [`Diagnostic`] carries a stable code (`E0001`…, `W0001`…), a severity, a message, labelled
//! spans and hints. [`SourceMap`] owns the text of every file a run has read, so that any
//! diagnostic can be rendered as `file:line:column` with the offending source underlined.

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Identifies a file inside a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range in one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// File the range belongs to.
    pub file: FileId,
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// A span from byte offsets.
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span { file, start: start as u32, end: end as u32 }
    }

    /// The smallest span covering both (same file assumed).
    pub fn to(self, other: Span) -> Span {
        Span { file: self.file, start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    /// Byte range.
    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Informational remark.
    Note,
    /// The input is accepted but probably wrong.
    Warning,
    /// The input is rejected.
    Error,
}

/// A labelled span inside a diagnostic.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What to say there (may be empty).
    pub message: String,
    /// Primary labels mark the cause; secondary ones give context.
    pub primary: bool,
}

/// One problem found in a user's file.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// Severity.
    pub severity: Severity,
    /// Stable code, e.g. `E0101`.
    pub code: &'static str,
    /// One-line summary.
    pub message: String,
    /// Labelled spans (the first primary label gives file:line:column).
    pub labels: Vec<Label>,
    /// Hints and notes shown under the source excerpt.
    pub notes: Vec<String>,
}

impl Diagnostic {
    /// An error with a code and message.
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Error, code, message: message.into(), labels: vec![], notes: vec![] }
    }

    /// A warning with a code and message.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            code,
            message: message.into(),
            labels: vec![],
            notes: vec![],
        }
    }

    /// Adds the primary label.
    pub fn with_primary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label { span, message: message.into(), primary: true });
        self
    }

    /// Adds a secondary label.
    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label { span, message: message.into(), primary: false });
        self
    }

    /// Adds a hint (rendered as `= help: …`).
    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.notes.push(format!("help: {}", hint.into()));
        self
    }

    /// Adds a note (rendered as `= note: …`).
    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(format!("note: {}", note.into()));
        self
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The span of the first primary label, if any.
    pub fn primary_span(&self) -> Option<Span> {
        self.labels.iter().find(|l| l.primary).map(|l| l.span)
    }
}

/// A list of diagnostics collected during one run.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    /// Everything reported, in order.
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Records one diagnostic.
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    /// True when at least one error was reported.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    /// Number of errors.
    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    /// Appends all of `other`.
    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }
}

/// The text of every file read in a run, addressed by [`FileId`].
#[derive(Default)]
pub struct SourceMap {
    files: SimpleFiles<String, String>,
    paths: Vec<PathBuf>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Adds a file's text; `name` is how it is shown in diagnostics.
    pub fn add(&mut self, path: &Path, text: String) -> FileId {
        let id = self.files.add(path.display().to_string(), text);
        self.paths.push(path.to_path_buf());
        FileId(id as u32)
    }

    /// Text of a file.
    pub fn text(&self, id: FileId) -> &str {
        self.files.get(id.0 as usize).map(|f| f.source().as_str()).unwrap_or("")
    }

    /// Path of a file.
    pub fn path(&self, id: FileId) -> &Path {
        &self.paths[id.0 as usize]
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, id: FileId, offset: usize) -> (usize, usize) {
        let text = self.text(id);
        let offset = offset.min(text.len());
        let before = &text.as_bytes()[..offset];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before.iter().rposition(|&b| b == b'\n').map(|p| p + 1).unwrap_or(0);
        (line, offset - line_start + 1)
    }

    /// Renders diagnostics as text (no colour), as shown on a terminal.
    pub fn render(&self, diags: &[Diagnostic]) -> String {
        let mut out = term::termcolor::NoColor::new(Vec::new());
        self.emit(&mut out, diags);
        String::from_utf8_lossy(&out.into_inner()).into_owned()
    }

    /// Writes diagnostics to stderr, coloured only when it is a terminal and `NO_COLOR` is not
    /// set (<https://no-color.org>): a pipe or a file gets plain text.
    pub fn emit_stderr(&self, diags: &[Diagnostic]) {
        use std::io::IsTerminal;
        // termcolor's `Auto` looks at TERM and NO_COLOR only, not at where stderr goes.
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let choice = if std::io::stderr().is_terminal() && !no_color {
            term::termcolor::ColorChoice::Auto
        } else {
            term::termcolor::ColorChoice::Never
        };
        // Buffered: the renderer writes character by character (one system call each).
        let mut stream = term::termcolor::BufferedStandardStream::stderr(choice);
        self.emit(&mut stream, diags);
        let _ = std::io::Write::flush(&mut stream);
    }

    fn emit(&self, out: &mut dyn term::termcolor::WriteColor, diags: &[Diagnostic]) {
        let config = term::Config::default();
        for d in diags {
            let _ = term::emit_to_write_style(out, &config, &self.files, &self.to_codespan(d));
        }
    }

    fn to_codespan(&self, d: &Diagnostic) -> cs::Diagnostic<usize> {
        let sev = match d.severity {
            Severity::Note => cs::Severity::Note,
            Severity::Warning => cs::Severity::Warning,
            Severity::Error => cs::Severity::Error,
        };
        let labels = d
            .labels
            .iter()
            .map(|l| {
                let len = self.text(l.span.file).len();
                let start = (l.span.start as usize).min(len);
                let end = (l.span.end as usize).clamp(start, len);
                let style = if l.primary { cs::LabelStyle::Primary } else { cs::LabelStyle::Secondary };
                cs::Label::new(style, l.span.file.0 as usize, start..end).with_message(l.message.clone())
            })
            .collect();
        cs::Diagnostic::new(sev)
            .with_code(d.code)
            .with_message(d.message.clone())
            .with_labels(labels)
            .with_notes(d.notes.clone())
    }
}
