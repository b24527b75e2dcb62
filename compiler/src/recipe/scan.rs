//! Cuts a recipe into top-level items before the grammar sees them, so that every item is parsed
//! on its own and one broken item does not hide the errors of the others.
//!
//! An item starts with a top-level keyword at the start of a line, outside any bracket. A keyword
//! that can only start an item (all but `simulate` and `evaluate`, which also appear inside a
//! `sweep`) met at the start of a line inside an unclosed `{` ends the broken item there: the
//! missing `}` is reported at its `{` and the next item is parsed normally.

use super::codes;
use crate::diag::{Diagnostic, FileId, Span};

/// Keywords that start a top-level item.
pub const TOP_KEYWORDS: &[&str] = &[
    "mechanisms",
    "morphology",
    "cell",
    "param",
    "distribution",
    "protocol",
    "search",
    "settings",
    "global",
    "sweep",
    "simulate",
    "evaluate",
    "optimise",
    "optimize",
    "validate",
    "store",
    "export",
    "manage",
    "extracellular",
];

/// One top-level item: `text[start..end]`.
#[derive(Debug, Clone, PartialEq)]
pub struct RawItem {
    /// Start offset.
    pub start: usize,
    /// End offset (exclusive).
    pub end: usize,
    /// False when the item's `{` is not closed (already reported; the item is skipped).
    pub complete: bool,
}

/// Items and the problems found while cutting.
#[derive(Debug, Default)]
pub struct Scanned {
    /// Items in order.
    pub items: Vec<RawItem>,
    /// Unclosed blocks and unmatched closing brackets.
    pub diagnostics: Vec<Diagnostic>,
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn word_at(s: &[u8], p: usize) -> &str {
    let mut q = p;
    while q < s.len() && is_ident(s[q]) {
        q += 1;
    }
    std::str::from_utf8(&s[p..q]).unwrap_or("")
}

/// Indentation (spaces and tabs) of the line that holds offset `p`.
fn line_indent(s: &[u8], p: usize) -> usize {
    let mut q = p;
    while q > 0 && s[q - 1] != b'\n' {
        q -= 1;
    }
    s[q..].iter().take_while(|&&c| c == b' ' || c == b'\t').count()
}

fn at_line_start(s: &[u8], p: usize) -> bool {
    let mut q = p;
    while q > 0 {
        match s[q - 1] {
            b' ' | b'\t' => q -= 1,
            b'\n' | b'\r' => return true,
            _ => return false,
        }
    }
    true
}

/// Cuts `text` into items.
pub fn scan(file: FileId, text: &str) -> Scanned {
    let s = text.as_bytes();
    let mut out = Scanned::default();
    // Open brackets of the current item: (byte, offset).
    let mut open: Vec<(u8, usize)> = Vec::new();
    let mut start: Option<usize> = None;
    let mut p = 0;
    let close_item = |out: &mut Scanned, start: &mut Option<usize>, end: usize, complete: bool| {
        if let Some(st) = start.take() {
            let mut e = end;
            while e > st && s[e - 1].is_ascii_whitespace() {
                e -= 1;
            }
            out.items.push(RawItem { start: st, end: e, complete });
        }
    };
    // True right after the `}` that closes an item's outermost block: nothing else belongs to
    // that item, so text that follows (other than the next item) is stray and is cut off as an
    // item of its own (reported as E1002), not glued to the item before.
    let mut closed_block = false;
    // A `{` that was probably left open: closed by a `}` that lines up with an outer block's
    // line instead of its own (offset of the `{`, offset of that `}`).
    let mut suspect: Option<(usize, usize)> = None;
    while p < s.len() {
        let b = s[p];
        if closed_block && !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'#') {
            closed_block = false;
            let w = word_at(s, p);
            if !(TOP_KEYWORDS.contains(&w) && at_line_start(s, p)) {
                close_item(&mut out, &mut start, p, true);
                start = Some(p);
            }
        }
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => p += 1,
            b'#' => {
                while p < s.len() && s[p] != b'\n' {
                    p += 1;
                }
            }
            b'"' => {
                if start.is_none() {
                    start = Some(p);
                }
                p += 1;
                while p < s.len() && s[p] != b'"' && s[p] != b'\n' {
                    p += if s[p] == b'\\' && p + 1 < s.len() && s[p + 1] != b'\n' { 2 } else { 1 };
                }
                if p < s.len() && s[p] == b'"' {
                    p += 1;
                }
            }
            b'{' | b'[' | b'(' => {
                if start.is_none() {
                    start = Some(p);
                }
                open.push((b, p));
                p += 1;
            }
            b'}' | b']' | b')' => {
                let want = match b {
                    b'}' => b'{',
                    b']' => b'[',
                    _ => b'(',
                };
                if open.last().is_some_and(|(o, _)| *o == want) {
                    let (_, ob) = open.pop().expect("an open bracket");
                    closed_block = b == b'}' && open.is_empty();
                    let ind = line_indent(s, p);
                    if b == b'}'
                        && at_line_start(s, p)
                        && ind < line_indent(s, ob)
                        && open.iter().any(|&(o, off)| o == b'{' && line_indent(s, off) == ind)
                    {
                        suspect = Some((ob, p));
                    }
                } else if let Some(k) = open.iter().rposition(|(o, _)| *o == want) {
                    // Inner brackets left open: the grammar reports them; resynchronise here.
                    open.truncate(k);
                } else if b == b'}' {
                    out.diagnostics.push(
                        Diagnostic::error(codes::UNMATCHED, format!("unmatched `{}`", b as char))
                            .with_primary(Span::new(file, p, p + 1), "nothing to close here")
                            .with_hint("remove it, or add the opening bracket it belongs to"),
                    );
                    // Keep the text before it as an item of its own, skip the bracket.
                    close_item(&mut out, &mut start, p, true);
                    p += 1;
                    continue;
                }
                if start.is_none() {
                    start = Some(p);
                }
                p += 1;
            }
            _ if b.is_ascii_alphabetic() || b == b'_' => {
                let w = word_at(s, p);
                // `morphology = m` inside a cell is an entry, not the start of an item.
                let mut q = p + w.len();
                while q < s.len() && (s[q] == b' ' || s[q] == b'\t') {
                    q += 1;
                }
                let is_entry = q < s.len() && s[q] == b'=' && s.get(q + 1) != Some(&b'=');
                let keyword = TOP_KEYWORDS.contains(&w) && at_line_start(s, p) && !is_entry;
                // `simulate`, `evaluate` (and a nested `sweep`, reported by the parser) inside a
                // sweep's block belong to it.
                let in_sweep = start.is_some_and(|st| word_at(s, st) == "sweep");
                let inner = w == "simulate" || w == "evaluate" || (w == "sweep" && in_sweep);
                if keyword && (open.is_empty() || !inner) {
                    if let Some(&(_, brace)) = open.iter().find(|(o, _)| *o == b'{') {
                        let mut d = Diagnostic::error(codes::UNCLOSED, "`{` is not closed");
                        d = match suspect.filter(|&(ob, _)| ob > start.unwrap_or(0)) {
                            Some((ob, close)) => d
                                .with_primary(Span::new(file, ob, ob + 1), "this block is not closed")
                                .with_secondary(
                                    Span::new(file, close, close + 1),
                                    "this `}`, by its indentation, closes an outer block",
                                ),
                            None => d.with_primary(Span::new(file, brace, brace + 1), "this block"),
                        };
                        out.diagnostics.push(
                            d.with_secondary(
                                Span::new(file, p, p + w.len()),
                                format!("`{w}` starts the next item"),
                            )
                            .with_hint("add the missing `}`"),
                        );
                        close_item(&mut out, &mut start, p, false);
                    } else {
                        close_item(&mut out, &mut start, p, true);
                    }
                    open.clear();
                    suspect = None;
                    closed_block = false;
                    start = Some(p);
                } else if start.is_none() {
                    start = Some(p);
                }
                p += w.len().max(1);
            }
            _ => {
                if start.is_none() {
                    start = Some(p);
                }
                p += 1;
            }
        }
    }
    if let Some(&(_, brace)) = open.iter().find(|(o, _)| *o == b'{') {
        let d = Diagnostic::error(codes::UNCLOSED, "`{` is not closed at the end of the file");
        let d = match suspect.filter(|&(ob, _)| ob > start.unwrap_or(0)) {
            Some((ob, close)) => {
                d.with_primary(Span::new(file, ob, ob + 1), "this block is not closed").with_secondary(
                    Span::new(file, close, close + 1),
                    "this `}`, by its indentation, closes an outer block",
                )
            }
            None => d.with_primary(Span::new(file, brace, brace + 1), "this block"),
        };
        out.diagnostics.push(d.with_hint("add the missing `}`"));
        close_item(&mut out, &mut start, s.len(), false);
    } else {
        close_item(&mut out, &mut start, s.len(), true);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(text: &str) -> Vec<(String, bool)> {
        scan(FileId(0), text).items.iter().map(|i| (text[i.start..i.end].to_string(), i.complete)).collect()
    }

    #[test]
    fn items_start_at_keywords_on_line_starts() {
        let t = "param a = 1\n# comment\nparam b = 2 *\n  3\ncell c {\n  cm = 1 uF/cm2\n}\nsimulate p";
        let items = cut(t);
        assert_eq!(items.len(), 4);
        assert_eq!(items[1].0, "param b = 2 *\n  3");
        assert!(items[2].0.starts_with("cell c {") && items[2].0.ends_with('}'));
    }

    #[test]
    fn unclosed_block_is_cut_at_the_next_item() {
        let s = scan(FileId(0), "cell c {\n  cm = 1 uF/cm2\nprotocol p {\n}\n");
        assert_eq!(s.items.len(), 2);
        assert!(!s.items[0].complete && s.items[1].complete);
        assert_eq!(s.diagnostics.len(), 1);
        // simulate inside a sweep does not cut.
        let s = scan(FileId(0), "sweep a in [1] {\n  simulate p\n  evaluate p\n}\n");
        assert_eq!(s.items.len(), 1);
        assert!(s.diagnostics.is_empty());
    }

    #[test]
    fn stray_text_after_a_block_is_an_item_of_its_own() {
        let t = "cell c {\n}\nthis is garbage\nprotocol p {\n}\n";
        let items = cut(t);
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].0, "cell c {\n}");
        assert_eq!(items[1].0, "this is garbage");
        assert!(items[2].0.starts_with("protocol p"));
        // Continuation lines of items without a block are kept.
        assert_eq!(cut("param b = 2 *\n  3\n").len(), 1);
    }

    #[test]
    fn strings_and_comments_hide_brackets() {
        let s = scan(FileId(0), "morphology m = \"a{b\" # {\nparam x = 1\n");
        assert_eq!(s.items.len(), 2);
        assert!(s.diagnostics.is_empty());
        let s = scan(FileId(0), "}\nparam x = 1\n");
        assert_eq!(s.diagnostics.len(), 1);
    }
}
