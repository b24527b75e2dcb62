//! Cuts an NMODL file into top-level items before the grammar sees them.
//!
//! Parsing item by item lets one broken block be reported without hiding the errors of the
//! others (NMODL has no statement terminators, so a PEG parser cannot resynchronise inside a
//! file). The scanner understands just enough lexical structure to find item boundaries: `:` and
//! `?` comments, COMMENT/VERBATIM blocks (line based, as nocmodl reads them), strings, unit texts
//! and brace depth. A top-level block keyword at the start of a line inside an unclosed block is
//! taken as the start of the next item, so that a missing `}` is reported where it is.

use crate::diag::{Diagnostic, FileId, Span};

/// One top-level piece of a file.
#[derive(Debug, Clone, PartialEq)]
pub enum RawItem {
    /// `TITLE …` with the title text.
    Title {
        /// Title text (trimmed).
        text: String,
        /// Byte range of the whole line.
        start: usize,
        /// End of the line.
        end: usize,
    },
    /// A top-level COMMENT block with its text.
    Comment {
        /// Text between the COMMENT line and the ENDCOMMENT line.
        text: String,
        /// Start offset.
        start: usize,
        /// End offset.
        end: usize,
    },
    /// A top-level VERBATIM block with its text.
    Verbatim {
        /// Raw text.
        text: String,
        /// Start offset.
        start: usize,
        /// End offset.
        end: usize,
    },
    /// Any other item, to be parsed by the grammar: `text[start..end]`.
    Code {
        /// Start offset.
        start: usize,
        /// End offset.
        end: usize,
        /// The leading keyword.
        keyword: String,
    },
}

/// Keywords that start a top-level item.
const TOP_KEYWORDS: &[&str] = &[
    "TITLE",
    "COMMENT",
    "VERBATIM",
    "DEFINE",
    "INCLUDE",
    "UNITSON",
    "UNITSOFF",
    "LOCAL",
    "NEURON",
    "UNITS",
    "PARAMETER",
    "CONSTANT",
    "ASSIGNED",
    "STATE",
    "INDEPENDENT",
    "INITIAL",
    "BREAKPOINT",
    "EQUATION",
    "DERIVATIVE",
    "KINETIC",
    "LINEAR",
    "NONLINEAR",
    "PROCEDURE",
    "FUNCTION",
    "FUNCTION_TABLE",
    "NET_RECEIVE",
    "DISCRETE",
    "BEFORE",
    "AFTER",
    "CONSTRUCTOR",
    "DESTRUCTOR",
];

/// Keywords that can only start a top-level *block*: seeing one at the start of a line inside an
/// unclosed block means a `}` is missing.
const BLOCK_ONLY_KEYWORDS: &[&str] = &[
    "NEURON",
    "UNITS",
    "PARAMETER",
    "CONSTANT",
    "ASSIGNED",
    "STATE",
    "INDEPENDENT",
    "BREAKPOINT",
    "DERIVATIVE",
    "KINETIC",
    "LINEAR",
    "NONLINEAR",
    "PROCEDURE",
    "FUNCTION",
    "FUNCTION_TABLE",
    "NET_RECEIVE",
    "DISCRETE",
    "CONSTRUCTOR",
    "DESTRUCTOR",
    "TITLE",
    "DEFINE",
    "INCLUDE",
];

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic()
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The byte-level cursor of the scanner.
struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn at_line_start(&self, p: usize) -> bool {
        // True when only blanks separate `p` from the previous newline (or the file start).
        let mut q = p;
        while q > 0 {
            match self.s[q - 1] {
                b' ' | b'\t' | b'\x0C' => q -= 1,
                b'\n' | b'\r' => return true,
                _ => return false,
            }
        }
        true
    }

    fn word_at(&self, p: usize) -> &'a str {
        let mut q = p;
        while q < self.s.len() && is_ident_char(self.s[q]) {
            q += 1;
        }
        std::str::from_utf8(&self.s[p..q]).unwrap_or("")
    }

    fn skip_line(&mut self) {
        while let Some(b) = self.peek() {
            if b == b'\n' || b == b'\r' {
                break;
            }
            self.pos += 1;
        }
    }

    /// Skips to the end of the line whose first word is `end_word` (COMMENT/VERBATIM bodies).
    /// Returns the offset where the body text ends (start of the end line), or None at EOF.
    fn skip_raw_block(&mut self, end_word: &str) -> Option<usize> {
        self.skip_line();
        loop {
            // at a newline (or EOF)
            match self.peek() {
                None => return None,
                Some(b'\r') => {
                    self.pos += 1;
                    if self.peek() == Some(b'\n') {
                        self.pos += 1;
                    }
                }
                Some(b'\n') => self.pos += 1,
                _ => {}
            }
            let line_start = self.pos;
            while matches!(self.peek(), Some(b' ' | b'\t' | b'\x0C')) {
                self.pos += 1;
            }
            if self.s[self.pos..].starts_with(end_word.as_bytes()) {
                let body_end = line_start;
                self.skip_line();
                return Some(body_end);
            }
            self.skip_line();
            self.peek()?;
        }
    }
}

/// Result of scanning: items and the diagnostics found while scanning.
#[derive(Debug, Default)]
pub struct Scanned {
    /// Items in order.
    pub items: Vec<RawItem>,
    /// Problems (unterminated blocks, stray braces, garbage at top level).
    pub diagnostics: Vec<Diagnostic>,
}

/// Splits `text` into top-level items. `text` must already be truncated at an end-of-file byte.
pub fn scan(file: FileId, text: &str) -> Scanned {
    let mut out = Scanned::default();
    let mut c = Cursor { s: text.as_bytes(), pos: 0 };
    let n = c.s.len();
    // State of the item being accumulated.
    let mut cur: Option<(usize, String)> = None;
    let mut depth: usize = 0;
    let mut open_braces: Vec<usize> = Vec::new();
    let mut garbage_start: Option<usize> = None;
    // Whether the current item has opened a brace yet.
    let mut seen_brace = false;

    let flush_garbage = |out: &mut Scanned, g: &mut Option<usize>, end: usize| {
        if let Some(s) = g.take() {
            let word = std::str::from_utf8(&c_slice(text, s, end)).unwrap_or("").trim().to_string();
            let shown: String = word.chars().take(40).collect();
            out.diagnostics.push(
                Diagnostic::error("E0002", format!("unexpected `{shown}` at top level"))
                    .with_primary(
                        Span::new(file, s, (s + shown_len(text, s, end)).max(s + 1).min(n)),
                        "not the start of a block",
                    )
                    .with_hint(
                        "top level holds blocks such as NEURON { }, PARAMETER { }, BREAKPOINT { }, \
                         PROCEDURE name() { }; statements go inside a block",
                    ),
            );
        }
    };

    while c.pos < n {
        let b = c.s[c.pos];
        // After a block's closing `}`, anything but the next item is stray text: end the item
        // there, so that the stray text is reported as such and not as an error of the block.
        if depth == 0
            && seen_brace
            && !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0C' | b':' | b'?' | b'}')
        {
            let next_is_item = is_ident_start(b) && TOP_KEYWORDS.contains(&c.word_at(c.pos));
            if !next_is_item {
                if let Some((s, kw)) = cur.take() {
                    out.items.push(RawItem::Code { start: s, end: trim_end(text, c.pos), keyword: kw });
                }
            }
        }
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0C' => c.pos += 1,
            b':' | b'?' => c.skip_line(),
            b'"' => {
                let start = c.pos;
                c.pos += 1;
                while let Some(ch) = c.peek() {
                    c.pos += 1;
                    if ch == b'"' {
                        break;
                    }
                }
                if cur.is_none() && garbage_start.is_none() {
                    garbage_start = Some(start);
                }
            }
            b'{' => {
                if cur.is_none() && garbage_start.is_none() {
                    garbage_start = Some(c.pos);
                }
                depth += 1;
                seen_brace = true;
                open_braces.push(c.pos);
                c.pos += 1;
            }
            b'}' => {
                if depth == 0 {
                    // The item before the stray `}` ends there (its text must not include it).
                    if let Some((s, kw)) = cur.take() {
                        out.items.push(RawItem::Code { start: s, end: trim_end(text, c.pos), keyword: kw });
                    }
                    flush_garbage(&mut out, &mut garbage_start, c.pos);
                    out.diagnostics.push(
                        Diagnostic::error("E0003", "unmatched `}`")
                            .with_primary(Span::new(file, c.pos, c.pos + 1), "no block is open here")
                            .with_hint("remove the extra `}` or add the `{` it was meant to close"),
                    );
                } else {
                    depth -= 1;
                    open_braces.pop();
                }
                c.pos += 1;
            }
            _ if is_ident_start(b) => {
                let start = c.pos;
                let word = c.word_at(start).to_string();
                let prev_ident = start > 0 && is_ident_char(c.s[start - 1]);
                if prev_ident {
                    c.pos += word.len().max(1);
                    continue;
                }
                let is_top = TOP_KEYWORDS.contains(&word.as_str());
                // A block keyword at the start of a line inside an unclosed block: a `}` is missing.
                let cut_inside = depth > 0
                    && c.at_line_start(start)
                    && BLOCK_ONLY_KEYWORDS.contains(&word.as_str())
                    && word != "INITIAL"
                    && looks_like_block_start(&c, start + word.len(), &word);
                if word == "COMMENT" || word == "VERBATIM" {
                    let end_word = if word == "COMMENT" { "ENDCOMMENT" } else { "ENDVERBATIM" };
                    let body_start = {
                        let mut p = start + word.len();
                        while p < n && c.s[p] != b'\n' && c.s[p] != b'\r' {
                            p += 1;
                        }
                        p
                    };
                    match c.skip_raw_block(end_word) {
                        Some(body_end) => {
                            if depth == 0 {
                                if let Some((s, kw)) = cur.take() {
                                    out.items.push(RawItem::Code {
                                        start: s,
                                        end: trim_end(text, start),
                                        keyword: kw,
                                    });
                                }
                                flush_garbage(&mut out, &mut garbage_start, start);
                                let body = trim_newlines(&text[body_start..body_end]);
                                let item = if word == "COMMENT" {
                                    RawItem::Comment { text: body.to_string(), start, end: c.pos }
                                } else {
                                    RawItem::Verbatim { text: body.to_string(), start, end: c.pos }
                                };
                                out.items.push(item);
                            }
                        }
                        None => {
                            // Everything up to the end of the file is the raw block: the item
                            // before it ends where it starts; an item it is inside is lost (its
                            // closing brace was swallowed), and this is its only error.
                            if depth == 0 {
                                if let Some((s, kw)) = cur.take() {
                                    out.items.push(RawItem::Code {
                                        start: s,
                                        end: trim_end(text, start),
                                        keyword: kw,
                                    });
                                }
                            } else {
                                cur = None;
                                depth = 0;
                                open_braces.clear();
                            }
                            flush_garbage(&mut out, &mut garbage_start, start);
                            out.diagnostics.push(
                                Diagnostic::error("E0004", format!("unterminated {word} block"))
                                    .with_primary(Span::new(file, start, start + word.len()), "opened here")
                                    .with_hint(format!("end it with a line whose first word is {end_word}")),
                            );
                            c.pos = n;
                        }
                    }
                    continue;
                }
                // `BEFORE BREAKPOINT { … }`: the phase word belongs to the BEFORE/AFTER item.
                let phase_of_before_after = depth == 0
                    && matches!(&cur, Some((_, kw)) if kw == "BEFORE" || kw == "AFTER")
                    && matches!(word.as_str(), "BREAKPOINT" | "SOLVE" | "INITIAL" | "STEP")
                    && open_braces.is_empty()
                    && !seen_brace;
                if phase_of_before_after {
                    c.pos = start + word.len();
                    continue;
                }
                if (depth == 0 && is_top) || cut_inside {
                    seen_brace = false;
                    if cut_inside {
                        if let Some((s, kw)) = cur.take() {
                            let open = open_braces.first().copied().unwrap_or(s);
                            out.diagnostics.push(
                                Diagnostic::error(
                                    "E0005",
                                    format!("missing `}}`: the {kw} block is not closed"),
                                )
                                .with_primary(Span::new(file, open, open + 1), "this `{` is never closed")
                                .with_secondary(
                                    Span::new(file, start, start + word.len()),
                                    "the next block starts here",
                                )
                                .with_hint("add the missing `}` before the next block"),
                            );
                            // The broken item is not parsed again: its error is this one.
                            let _ = s;
                        }
                        depth = 0;
                        open_braces.clear();
                    } else if let Some((s, kw)) = cur.take() {
                        out.items.push(RawItem::Code { start: s, end: trim_end(text, start), keyword: kw });
                    }
                    flush_garbage(&mut out, &mut garbage_start, start);
                    if word == "TITLE" {
                        let mut p = start + word.len();
                        while p < n && c.s[p] != b'\n' && c.s[p] != b'\r' {
                            p += 1;
                        }
                        let t = text[start + word.len()..p].trim().to_string();
                        out.items.push(RawItem::Title { text: t, start, end: p });
                        c.pos = p;
                        continue;
                    }
                    cur = Some((start, word.clone()));
                    c.pos = start + word.len();
                    continue;
                }
                if cur.is_none() && garbage_start.is_none() {
                    garbage_start = Some(start);
                }
                c.pos = start + word.len().max(1);
            }
            b'(' => {
                // Skip a parenthesised run on one line without interpreting it (units may contain
                // anything but `)`); braces never occur in it in valid files.
                if cur.is_none() && garbage_start.is_none() {
                    garbage_start = Some(c.pos);
                }
                c.pos += 1;
            }
            _ => {
                if cur.is_none() && garbage_start.is_none() {
                    garbage_start = Some(c.pos);
                }
                c.pos += 1;
            }
        }
    }
    if let Some((s, kw)) = cur.take() {
        if depth > 0 {
            let open = open_braces.first().copied().unwrap_or(s);
            out.diagnostics.push(
                Diagnostic::error("E0005", format!("missing `}}`: the {kw} block is not closed"))
                    .with_primary(Span::new(file, open, open + 1), "this `{` is never closed")
                    .with_hint("add the missing `}` at the end of the block"),
            );
        } else {
            out.items.push(RawItem::Code { start: s, end: trim_end(text, n), keyword: kw });
        }
    }
    flush_garbage(&mut out, &mut garbage_start, n);
    out
}

/// Length of the stray text at `s` as shown: up to the end of its line or of `end`, trimmed.
fn shown_len(text: &str, s: usize, end: usize) -> usize {
    let end = trim_end(text, end.min(text.len()));
    let line_end = text[s.min(end)..end].find(['\n', '\r']).map(|p| s + p).unwrap_or(end);
    trim_end(text, line_end).saturating_sub(s)
}

fn c_slice(text: &str, s: usize, e: usize) -> Vec<u8> {
    let e = e.min(text.len());
    let mut v = text.as_bytes()[s.min(e)..e].to_vec();
    if let Some(p) = v.iter().position(|&b| b == b'\n' || b == b'\r') {
        v.truncate(p);
    }
    v
}

/// After a block keyword at a line start inside a block: does a block header follow (so that
/// this is really the next top-level item and not, e.g., a variable that happens to be named like
/// a keyword in another case)? Keywords are reserved, so any use means a block.
fn looks_like_block_start(_c: &Cursor<'_>, _after: usize, _word: &str) -> bool {
    true
}

/// Offset just after the last non-blank byte before `end`.
fn trim_end(text: &str, end: usize) -> usize {
    let b = text.as_bytes();
    let mut e = end.min(b.len());
    while e > 0 && matches!(b[e - 1], b' ' | b'\t' | b'\n' | b'\r' | b'\x0C') {
        e -= 1;
    }
    e
}

fn trim_newlines(s: &str) -> &str {
    let s =
        s.strip_prefix("\r\n").or_else(|| s.strip_prefix('\n')).or_else(|| s.strip_prefix('\r')).unwrap_or(s);
    s.strip_suffix("\r\n").or_else(|| s.strip_suffix('\n')).or_else(|| s.strip_suffix('\r')).unwrap_or(s)
}
