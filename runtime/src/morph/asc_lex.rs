//! Tokens of Neurolucida ASC files, cut exactly where NEURON's `Import3d_Neurolucida3.lex`
//! cuts them.
//!
//! NEURON's lexer works on one line at a time with `sscanf` patterns tried in a fixed order
//! (number, `(`, `)`, `,`, `|`, `<`, `>`, `set`/`Set`/`SET`, `RGB`, string, empty string,
//! label). Each pattern ends in `%[^@]`, so the rest of a line is cut at an `@`, and a token
//! directly followed by `@` (or by nothing) does not match. `;` starts a comment to the end of
//! the line. Doing the same here keeps odd files tokenised as NEURON tokenises them.

use super::scan::{is_space, scan_f64};

/// Token kinds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokKind {
    /// End of input.
    Eof,
    /// A number.
    Number(f64),
    /// `(`
    LeftPar,
    /// `)`
    RightPar,
    /// `,`
    Comma,
    /// `|`
    Bar,
    /// `set` keyword.
    Set,
    /// `RGB` keyword.
    Rgb,
    /// A double-quoted string.
    Str(String),
    /// A label (`[A-Za-z0-9_]+`).
    Label(String),
    /// Something NEURON's lexer does not recognise (message says what).
    Err(String),
    /// `<` (spine start)
    LeftSp,
    /// `>` (spine end)
    RightSp,
}

/// A token with its 1-based position.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tok {
    /// Kind and value.
    pub kind: TokKind,
    /// Line.
    pub line: usize,
    /// Column (bytes).
    pub col: usize,
}

/// Line-by-line lexer state: the current line (trailing white space removed, `\n` appended)
/// and the window `[a, b)` of it that is still to be read.
struct Lexer<'t> {
    text: &'t [u8],
    /// Start of the next line in `text`.
    next_line: usize,
    line_no: usize,
    buf: Vec<u8>,
    a: usize,
    b: usize,
}

impl<'t> Lexer<'t> {
    fn new(text: &'t [u8]) -> Self {
        Lexer { text, next_line: 0, line_no: 0, buf: Vec::new(), a: 0, b: 0 }
    }

    fn rest(&self) -> &[u8] {
        &self.buf[self.a..self.b]
    }

    /// Reads the next line into the buffer; false at end of file.
    fn getline(&mut self) -> bool {
        // Nothing after the final newline is a line.
        if self.next_line >= self.text.len() {
            return false;
        }
        let rest = &self.text[self.next_line..];
        let len = rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
        let l = &rest[..len];
        self.next_line += len + 1;
        self.line_no += 1;
        let mut end = l.len();
        while end > 0 && is_space(l[end - 1]) {
            end -= 1;
        }
        self.buf.clear();
        self.buf.extend_from_slice(&l[..end]);
        self.buf.push(b'\n');
        self.a = 0;
        self.b = self.buf.len();
        true
    }

    /// `%[^@]` after a token ending at `p`: there must be at least one non-`@` byte; the window
    /// becomes that run.
    fn take_rest(&mut self, p: usize) -> bool {
        if p >= self.b || self.buf[p] == b'@' {
            return false;
        }
        let mut q = p;
        while q < self.b && self.buf[q] != b'@' {
            q += 1;
        }
        self.a = p;
        self.b = q;
        true
    }

    /// First non-space index of the window.
    fn skip_ws(&self) -> usize {
        let mut p = self.a;
        while p < self.b && is_space(self.buf[p]) {
            p += 1;
        }
        p
    }

    fn is_comment(&self) -> bool {
        // `sscanf(line, " ;%[^@]", line) == 1`
        let p = self.skip_ws();
        p < self.b && self.buf[p] == b';' && p + 1 < self.b && self.buf[p + 1] != b'@'
    }

    fn next_tok(&mut self) -> Tok {
        while self.rest().len() <= 1 || self.is_comment() {
            if !self.getline() {
                return Tok { kind: TokKind::Eof, line: self.line_no, col: 0 };
            }
        }
        let p = self.skip_ws();
        let col = p + 1;
        let line = self.line_no;
        let tok = |kind| Tok { kind, line, col };
        // number
        if let Some((v, q)) = scan_f64(&self.buf[..self.b], self.a) {
            if self.take_rest(q) {
                return tok(TokKind::Number(v));
            }
        }
        if p < self.b {
            let single = match self.buf[p] {
                b'(' => Some(TokKind::LeftPar),
                b')' => Some(TokKind::RightPar),
                b',' => Some(TokKind::Comma),
                b'|' => Some(TokKind::Bar),
                b'<' => Some(TokKind::LeftSp),
                b'>' => Some(TokKind::RightSp),
                _ => None,
            };
            if let Some(k) = single {
                if self.take_rest(p + 1) {
                    return tok(k);
                }
            }
        }
        for (kw, kind) in [
            (&b"set"[..], TokKind::Set),
            (b"Set", TokKind::Set),
            (b"SET", TokKind::Set),
            (b"RGB", TokKind::Rgb),
        ] {
            if self.buf[p..self.b].starts_with(kw) {
                // " set %[^@]": the blank in the format skips any white space, even none.
                let mut q = p + kw.len();
                while q < self.b && is_space(self.buf[q]) {
                    q += 1;
                }
                if self.take_rest(q) {
                    return tok(kind);
                }
            }
        }
        if p < self.b && self.buf[p] == b'"' {
            // ` "%[^"]"%[^@]` then ` ""%[^@]`
            let mut q = p + 1;
            while q < self.b && self.buf[q] != b'"' {
                q += 1;
            }
            if q > p + 1 {
                let s = String::from_utf8_lossy(&self.buf[p + 1..q]).into_owned();
                if q < self.b && self.take_rest(q + 1) {
                    return tok(TokKind::Str(s));
                }
                // NEURON: "no closing '\"' in string"; the line is dropped.
                self.a = self.b;
                return tok(TokKind::Err("no closing '\"' in string".into()));
            }
            if q < self.b && self.take_rest(q + 1) {
                return tok(TokKind::Str(String::new()));
            }
        }
        let mut q = p;
        while q < self.b && (self.buf[q].is_ascii_alphanumeric() || self.buf[q] == b'_') {
            q += 1;
        }
        if q > p {
            let s = String::from_utf8_lossy(&self.buf[p..q]).into_owned();
            if self.take_rest(q) {
                return tok(TokKind::Label(s));
            }
        }
        // Unrecognised: NEURON returns an error token without consuming anything, which makes
        // its parser stop. Consume the line so that a caller that continues cannot loop.
        let shown =
            String::from_utf8_lossy(&self.buf[p..self.b]).trim_end().chars().take(20).collect::<String>();
        self.a = self.b;
        tok(TokKind::Err(format!("unexpected `{shown}`")))
    }
}

/// All tokens of a file, ending with one `Eof`.
pub(crate) fn tokenize(text: &[u8]) -> Vec<Tok> {
    let mut lx = Lexer::new(text);
    let mut out = Vec::new();
    loop {
        let t = lx.next_tok();
        let eof = t.kind == TokKind::Eof;
        out.push(t);
        if eof {
            return out;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TokKind::*;

    fn kinds(s: &str) -> Vec<TokKind> {
        tokenize(s.as_bytes()).into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn lexes_points_comments_and_strings() {
        assert_eq!(
            kinds("(\"CellBody\" ; c\n  (1.5, -2 3e1 0.5)  ;  1, 1\n)"),
            vec![
                LeftPar,
                Str("CellBody".into()),
                LeftPar,
                Number(1.5),
                Comma,
                Number(-2.0),
                Number(30.0),
                Number(0.5),
                RightPar,
                RightPar,
                Eof
            ]
        );
    }

    #[test]
    fn keywords_labels_and_errors() {
        assert_eq!(kinds("(Color RGB (1,2,3))")[2], Rgb);
        assert_eq!(kinds("Settings x")[0], Set);
        assert_eq!(kinds("set")[0], Label("set".into()));
        assert_eq!(kinds("\"\" x")[0], Str(String::new()));
        assert!(matches!(kinds("\"abc")[0], Err(_)));
        assert!(matches!(kinds("#")[0], Err(_)));
        // A token followed by `@` does not match.
        assert!(matches!(kinds("(@")[0], Err(_)));
        let t = tokenize(b"\n\n   (Axon)");
        assert_eq!((t[0].line, t[0].col, t[1].col), (3, 4, 5));
    }
}
