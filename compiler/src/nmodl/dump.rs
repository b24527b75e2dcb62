//! A span-free text dump of the syntax tree (`myelin dump --ast`, snapshots, round-trip checks).
//!
//! The dump is the tree's pretty `Debug` form with every span removed. It is produced from the
//! compact `Debug` form in two linear passes: the standard pretty printer re-indents through one
//! adapter per nesting level, which is quadratic on deep trees (a long `else if` chain).

use super::ast::Module;

/// Renders the tree as indented text without spans, so that two trees parsed from different
/// layouts of the same program dump identically.
pub fn dump_module(m: &Module) -> String {
    indent(&strip_spans(&format!("{m:?}")))
}

/// Copies a Debug string literal starting at `i` (an opening quote); returns the index after it.
fn copy_string(b: &[u8], mut i: usize, out: &mut Vec<u8>) -> usize {
    out.push(b[i]);
    i += 1;
    while i < b.len() {
        out.push(b[i]);
        match b[i] {
            b'\\' if i + 1 < b.len() => {
                out.push(b[i + 1]);
                i += 2;
            }
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

/// Removes `span: Span { … }`, `path_span: Span { … }` and bare `Span { … }` tuple elements
/// (with one adjacent `, `) from a compact Debug rendering.
fn strip_spans(debug: &str) -> String {
    const SPAN: &[u8] = b"Span { file: FileId(";
    let b = debug.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'"' {
            i = copy_string(b, i, &mut out);
            continue;
        }
        let prefix = [&b"path_span: "[..], b"span: ", b""]
            .into_iter()
            .find(|p| b[i..].starts_with(p) && b[i + p.len()..].starts_with(SPAN));
        if let Some(p) = prefix {
            // A Span's Debug form holds no braces: it ends at the next `}`.
            let close =
                b[i + p.len()..].iter().position(|&c| c == b'}').map_or(b.len(), |e| i + p.len() + e + 1);
            i = close;
            if out.ends_with(b", ") {
                out.truncate(out.len() - 2);
            } else if b[i..].starts_with(b", ") {
                i += 2;
            }
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Turns compact Debug output into the layout of `{:#?}` (four spaces per level, one element
/// per line, trailing commas).
fn indent(compact: &str) -> String {
    let b = compact.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len() * 2);
    let mut level = 0usize;
    let newline = |out: &mut Vec<u8>, level: usize| {
        out.push(b'\n');
        out.extend(std::iter::repeat_n(b' ', 4 * level));
    };
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i = copy_string(b, i, &mut out);
                continue;
            }
            open @ (b'{' | b'(' | b'[') => {
                let close = match open {
                    b'{' => b'}',
                    b'(' => b')',
                    _ => b']',
                };
                if b.get(i + 1) == Some(&close) {
                    out.extend([open, close]);
                    i += 2;
                    continue;
                }
                out.push(open);
                level += 1;
                newline(&mut out, level);
                // `Name { a: 1 }`: the blank after `{` is layout.
                if open == b'{' && b.get(i + 1) == Some(&b' ') {
                    i += 1;
                }
            }
            close @ (b'}' | b')' | b']') => {
                if close == b'}' && out.last() == Some(&b' ') {
                    out.pop();
                }
                out.push(b',');
                level = level.saturating_sub(1);
                newline(&mut out, level);
                out.push(close);
            }
            b',' if b.get(i + 1) == Some(&b' ') => {
                out.push(b',');
                newline(&mut out, level);
                i += 1;
            }
            c => out.push(c),
        }
        i += 1;
    }
    out.push(b'\n');
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The previous implementation: pretty Debug, then span fields removed line by line.
    fn reference(m: &Module) -> String {
        let debug = format!("{m:#?}");
        let mut out = String::new();
        let mut skipping: Option<usize> = None;
        for line in debug.lines() {
            let ind = line.len() - line.trim_start().len();
            if let Some(s) = skipping {
                if ind == s && line.trim_start().starts_with('}') {
                    skipping = None;
                }
                continue;
            }
            let t = line.trim_start();
            if t.starts_with("span: Span {") || t.starts_with("path_span: Span {") || t == "Span {" {
                skipping = Some(ind);
                continue;
            }
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    #[test]
    fn same_text_as_pretty_debug_without_spans() {
        let src = "TITLE t \"q\" {x}\nNEURON { SUFFIX s USEION ca READ cai VALENCE 2 RANGE a, b }\n\
                   PARAMETER { a = 1 (mV) <0, 1> }\nINITIAL { if (a > 0) { a = -2^3 } else { f(\"s, }\", a) } }\n\
                   COMMENT\nSpan { file: FileId(0), start: 1, end: 2 }\nENDCOMMENT\n";
        let mut sources = crate::diag::SourceMap::new();
        let id = sources.add(std::path::Path::new("t.mod"), src.to_string());
        let parsed = crate::nmodl::parse_source(&mut sources, id, &[], 0);
        assert!(parsed.diagnostics.is_empty());
        assert_eq!(dump_module(&parsed.module), reference(&parsed.module));
    }
}
