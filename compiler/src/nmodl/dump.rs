//! A span-free text dump of the syntax tree (`myelin dump --ast`, snapshots, round-trip checks).

use super::ast::Module;

/// Renders the tree as indented text without spans, so that two trees parsed from different
/// layouts of the same program dump identically.
pub fn dump_module(m: &Module) -> String {
    strip_spans(&format!("{m:#?}"))
}

/// Removes every `span: Span { … }` (and `path_span`) field from a pretty Debug rendering.
fn strip_spans(debug: &str) -> String {
    let mut out = String::with_capacity(debug.len());
    let mut skipping: Option<usize> = None;
    for line in debug.lines() {
        let indent = line.len() - line.trim_start().len();
        if let Some(ind) = skipping {
            if indent == ind && line.trim_start().starts_with('}') {
                skipping = None;
            }
            continue;
        }
        let t = line.trim_start();
        if (t.starts_with("span: Span {") || t.starts_with("path_span: Span {")) && !t.ends_with("},") {
            skipping = Some(indent);
            continue;
        }
        if t.starts_with("span: Span") || t.starts_with("path_span: Span") {
            continue;
        }
        // Spans inside tuples (e.g. the VALENCE value) print as bare `Span {`.
        if t == "Span {" {
            skipping = Some(indent);
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}
