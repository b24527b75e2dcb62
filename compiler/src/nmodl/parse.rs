//! From text to [`ast::Module`]: the scanner cuts items, pest parses each one, and this module
//! builds the typed tree with spans (offsets relative to the whole file).

use super::ast::*;
use super::scan::{self, RawItem};
use crate::diag::{Diagnostic, FileId, SourceMap, Span};
use pest::iterators::Pair;
use pest::Parser;
use std::cell::Cell;
use std::path::{Path, PathBuf};

mod grammar {
    #![allow(missing_docs)]
    /// The pest parser generated from `nmodl.pest`.
    #[derive(pest_derive::Parser)]
    #[grammar = "nmodl/nmodl.pest"]
    pub struct NmodlGrammar;
}
use grammar::{NmodlGrammar, Rule};

/// Result of parsing one file: the tree (items that parsed) and every problem found.
#[derive(Debug, Default)]
pub struct Parsed {
    /// The module (broken items are left out).
    pub module: Module,
    /// Diagnostics, in source order of discovery.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads and parses a .mod file (and the files it INCLUDEs) into `sources`.
///
/// INCLUDE files are searched, as NEURON does, in the current directory, the directory of the
/// including file, then each directory of `include_path` (for the CLI: `$MODL_INCLUDES`).
pub fn parse_file(
    sources: &mut SourceMap,
    path: &Path,
    include_path: &[PathBuf],
) -> std::io::Result<(FileId, Parsed)> {
    let bytes = std::fs::read(path)?;
    let text = decode(&bytes);
    let id = sources.add(path, text);
    let parsed = parse_source(sources, id, include_path, 0);
    Ok((id, parsed))
}

/// Turns file bytes into text: stops at the DOS end-of-file bytes ^Z / ^D as nocmodl does, and
/// replaces invalid UTF-8 (which can only occur in comments of valid files) losslessly enough for
/// diagnostics.
pub fn decode(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0x1A || b == 0x04).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// Parses text already in `sources`.
pub fn parse_source(sources: &mut SourceMap, file: FileId, include_path: &[PathBuf], depth: u32) -> Parsed {
    let text = sources.text(file).to_string();
    let mut out = Parsed::default();
    let scanned = scan::scan(file, &text);
    out.diagnostics.extend(scanned.diagnostics);
    for raw in scanned.items {
        match raw {
            RawItem::Title { text: t, start, end } => {
                out.module.items.push(Item { kind: ItemKind::Title(t), span: Span::new(file, start, end) })
            }
            RawItem::Comment { text: t, start, end } => {
                out.module.items.push(Item { kind: ItemKind::Comment(t), span: Span::new(file, start, end) })
            }
            RawItem::Verbatim { text: t, start, end } => {
                out.module.items.push(Item { kind: ItemKind::Verbatim(t), span: Span::new(file, start, end) })
            }
            RawItem::Code { start, end, .. } => {
                let slice = &text[start..end];
                // Deep nesting would exhaust the stack of the recursive-descent parser.
                if let Some(at) = nesting_overflow(slice) {
                    out.diagnostics.push(too_deep(Span::new(file, start + at, start + at + 1)));
                    continue;
                }
                match NmodlGrammar::parse(Rule::item, slice) {
                    Ok(mut pairs) => {
                        let b = Builder { file, base: start, depth: Cell::new(0) };
                        if let Some(pair) = pairs.next() {
                            match b.item(pair) {
                                Ok(mut item) => {
                                    if let ItemKind::Include { path, path_span, module } = &mut item.kind {
                                        *module = load_include(
                                            sources,
                                            file,
                                            path,
                                            *path_span,
                                            include_path,
                                            depth,
                                            &mut out.diagnostics,
                                        );
                                    }
                                    out.module.items.push(item)
                                }
                                Err(d) => out.diagnostics.push(d),
                            }
                        }
                    }
                    Err(e) => out.diagnostics.push(pest_error(file, start, slice, e)),
                }
            }
        }
    }
    check_non_ascii(file, &text, &out.module, &mut out.diagnostics);
    out
}

fn load_include(
    sources: &mut SourceMap,
    from: FileId,
    path: &str,
    span: Span,
    include_path: &[PathBuf],
    depth: u32,
    diags: &mut Vec<Diagnostic>,
) -> Option<Box<Module>> {
    if depth > 16 {
        diags.push(
            Diagnostic::error("E0007", format!("INCLUDE nesting too deep at \"{path}\""))
                .with_primary(span, "included here")
                .with_hint("check for a file that includes itself"),
        );
        return None;
    }
    let mut candidates = vec![PathBuf::from(path)];
    if let Some(dir) = sources.path(from).parent() {
        candidates.push(dir.join(path));
    }
    candidates.extend(include_path.iter().map(|d| d.join(path)));
    let Some(found) = candidates.iter().find(|p| p.is_file()).cloned() else {
        diags.push(
            Diagnostic::error("E0006", format!("cannot find included file \"{path}\""))
                .with_primary(span, "included here")
                .with_note("searched the current directory, the directory of this file and $MODL_INCLUDES")
                .with_hint("check the name, or add its directory to MODL_INCLUDES"),
        );
        return None;
    };
    let bytes = match std::fs::read(&found) {
        Ok(b) => b,
        Err(e) => {
            diags.push(
                Diagnostic::error("E0006", format!("cannot read included file \"{path}\": {e}"))
                    .with_primary(span, "included here"),
            );
            return None;
        }
    };
    let id = sources.add(&found, decode(&bytes));
    let parsed = parse_source(sources, id, include_path, depth + 1);
    diags.extend(parsed.diagnostics);
    Some(Box::new(parsed.module))
}

/// nocmodl rejects any byte above 127 outside COMMENT blocks ("Non-Ascii character in file").
/// Such bytes in `:` comments are accepted here with a warning (they cannot change the meaning);
/// elsewhere the grammar already rejects them.
fn check_non_ascii(file: FileId, text: &str, _m: &Module, diags: &mut Vec<Diagnostic>) {
    let mut in_comment_block = false;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let first = line.split_whitespace().next().unwrap_or("");
        if !in_comment_block && first == "COMMENT" {
            in_comment_block = true;
        } else if in_comment_block && first.starts_with("ENDCOMMENT") {
            in_comment_block = false;
            offset += line.len();
            continue;
        }
        if !in_comment_block {
            if let Some(p) = line.bytes().position(|b| b > 127) {
                let colon = line.find([':', '?']);
                if colon.is_some_and(|c| c < p) {
                    diags.push(
                        Diagnostic::warning("W0001", "non-ASCII character in a comment")
                            .with_primary(Span::new(file, offset + p, offset + p + 1), "here")
                            .with_note("NEURON's nocmodl rejects non-ASCII bytes outside COMMENT blocks")
                            .with_hint("use plain ASCII (e.g. `degC` for °C) to stay compatible with NEURON"),
                    );
                }
            }
        }
        offset += line.len();
    }
}

/// Human-readable names of grammar rules for "expected …" messages.
fn rule_name(r: Rule) -> Option<&'static str> {
    Some(match r {
        Rule::ident | Rule::primed | Rule::var_ref | Rule::lvalue | Rule::lvalue_plain => "a name",
        Rule::number | Rule::num_lit | Rule::integer | Rule::signed_num => "a number",
        Rule::expr | Rule::paren | Rule::call | Rule::int_call => "an expression",
        Rule::units | Rule::unit_text => "units in parentheses",
        Rule::block => "`{`",
        Rule::string => "a string",
        Rule::name_list => "a list of names",
        Rule::formals => "`(`",
        Rule::method_name => "a method name",
        Rule::EOI => "the end of the block",
        Rule::op_or
        | Rule::op_and
        | Rule::op_le
        | Rule::op_ge
        | Rule::op_eq
        | Rule::op_ne
        | Rule::op_lt
        | Rule::op_gt
        | Rule::op_add
        | Rule::op_sub
        | Rule::op_mul
        | Rule::op_div
        | Rule::op_pow => "an operator",
        Rule::op_neg | Rule::op_not => "an expression",
        Rule::assign_stmt
        | Rule::call_stmt
        | Rule::if_stmt
        | Rule::while_stmt
        | Rule::from_stmt
        | Rule::solve_stmt
        | Rule::local_stmt
        | Rule::table_stmt
        | Rule::reaction_stmt
        | Rule::equation_stmt
        | Rule::conserve_stmt
        | Rule::compartment_stmt
        | Rule::watch_stmt
        | Rule::verbatim_stmt => "a statement",
        Rule::param_decl | Rule::var_decl | Rule::const_decl => "a declaration",
        Rule::suffix_stmt
        | Rule::useion_stmt
        | Rule::range_stmt
        | Rule::global_stmt
        | Rule::nonspecific_stmt
        | Rule::electrode_stmt
        | Rule::pointer_stmt => "a NEURON-block statement",
        Rule::read_list => "READ",
        Rule::write_list => "WRITE",
        Rule::valence => "VALENCE",
        Rule::limits => "`<`",
        Rule::react_rev | Rule::react_fwd | Rule::react_flux => "`<->`, `->` or `<<`",
        Rule::solve_method | Rule::solve_steady => "METHOD or STEADYSTATE",
        Rule::unit_alias | Rule::unit_factor => "a unit definition",
        _ => return None,
    })
}

fn pest_error(file: FileId, base: usize, slice: &str, e: pest::error::Error<Rule>) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    // Extent of the offending token for the label.
    let rest = &slice[pos.min(slice.len())..];
    let tok_len = token_len(rest);
    let found = if rest.is_empty() { "end of block".to_string() } else { format!("`{}`", &rest[..tok_len]) };
    let mut expected: Vec<&str> = Vec::new();
    if let ErrorVariant::ParsingError { positives, .. } = &e.variant {
        for r in positives {
            if let Some(n) = rule_name(*r) {
                if !expected.contains(&n) {
                    expected.push(n);
                }
            }
        }
    }
    let span = Span::new(file, base + pos, base + pos + tok_len.max(if rest.is_empty() { 0 } else { 1 }));
    let only_end =
        matches!(&e.variant, ErrorVariant::ParsingError { positives, .. } if positives == &[Rule::EOI]);
    let (code, msg, hint) = if rest.starts_with(';') {
        (
            "E0010",
            "`;` is not allowed in NMODL".to_string(),
            Some("NMODL statements need no separator: remove the `;`"),
        )
    } else if rest.starts_with('}') && !rest.is_empty() && pos > 0 && expected.contains(&"an expression") {
        ("E0011", "expression is incomplete".to_string(), None)
    } else if only_end {
        // The item is complete and more text follows it: stray text at top level.
        (
            "E0002",
            format!("unexpected {found} at top level"),
            Some(
                "top level holds blocks such as NEURON { }, PARAMETER { }, BREAKPOINT { }; \
                 statements go inside a block",
            ),
        )
    } else {
        let exp = match expected.len() {
            0 => String::new(),
            1 => format!(": expected {}", expected[0]),
            _ => format!(
                ": expected {} or {}",
                expected[..expected.len() - 1].join(", "),
                expected[expected.len() - 1]
            ),
        };
        ("E0001", format!("syntax error: unexpected {found}{exp}"), None)
    };
    let mut d = Diagnostic::error(code, msg).with_primary(span, "unexpected here");
    let before = &slice[..pos.min(slice.len())];
    if let Some(h) = hint {
        d = d.with_hint(h);
    } else if before.matches('(').count() > before.matches(')').count()
        && (rest.is_empty() || rest.starts_with('}'))
    {
        d = d.with_hint("a `(` before this point is not closed");
    } else if rest.starts_with('(') && expected.contains(&"units in parentheses") {
        d = d.with_hint("units are written in parentheses closed on the same line, e.g. `(mV)`");
    } else if let Some(h) = keyword_hint(before, &rest[..tok_len]) {
        d = d.with_hint(h);
    } else if is_reserved_word(&rest[..tok_len]) {
        d = d.with_hint(format!(
            "`{}` is a reserved word in NMODL and cannot be used as a name",
            &rest[..tok_len]
        ));
    }
    d
}

/// Hints for keywords met where they cannot be: misplaced clauses and control flow.
fn keyword_hint(before: &str, word: &str) -> Option<String> {
    let in_useion = before.rfind("USEION").is_some_and(|u| {
        let tail = &before[u..];
        !tail.contains(['\n', '\r']) && tail.contains("WRITE")
    });
    Some(match word {
        "READ" if in_useion => "in USEION, READ must come before WRITE: `USEION k READ ek WRITE ik`".into(),
        "if" | "IF" | "while" | "WHILE" => {
            format!("the condition goes in parentheses: `{word} (a > 0) {{ … }}`")
        }
        "else" | "ELSE" => "`else` must follow the closing `}` of an `if (…) { … }`".into(),
        _ => return None,
    })
}

fn token_len(rest: &str) -> usize {
    let b = rest.as_bytes();
    if b.is_empty() {
        return 0;
    }
    if b[0].is_ascii_alphanumeric() || b[0] == b'_' || b[0] == b'.' {
        b.iter().position(|c| !(c.is_ascii_alphanumeric() || *c == b'_' || *c == b'.')).unwrap_or(b.len())
    } else {
        rest.chars().next().map(|c| c.len_utf8()).unwrap_or(1)
    }
}

/// True when `word` is one of NMODL's reserved words.
pub fn is_reserved_word(word: &str) -> bool {
    NmodlGrammar::parse(Rule::keyword, word).map(|p| p.as_str().len() == word.len()).unwrap_or(false)
}

/// Builds AST nodes from pest pairs; `base` is the offset of the item in the file.
struct Builder {
    file: FileId,
    base: usize,
    /// Recursion depth inside the expression being built (bounded, see [`MAX_EXPR_DEPTH`]).
    depth: Cell<u32>,
}

/// Deepest bracket nesting (`(`, `[`, `{` together) accepted in an item; real files stay far
/// below (about 10), and the recursive-descent parser needs stack for every level.
const MAX_NESTING: usize = 64;

/// Deepest expression tree accepted. Every later pass walks trees recursively; a bound keeps
/// them safe on small thread stacks whatever the input.
const MAX_EXPR_DEPTH: u32 = 256;

fn too_deep(span: Span) -> Diagnostic {
    Diagnostic::error("E0015", "nesting is too deep")
        .with_primary(span, "too deep here")
        .with_note(format!(
            "Myelin accepts up to {MAX_NESTING} nested brackets and expressions {MAX_EXPR_DEPTH} operations deep"
        ))
        .with_hint("split the expression with LOCAL variables")
}

/// Offset where bracket nesting first exceeds [`MAX_NESTING`] (comments and strings skipped).
fn nesting_overflow(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let (mut i, mut depth) = (0, 0usize);
    while i < b.len() {
        match b[i] {
            b':' | b'?' => {
                while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += 1;
                }
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(i);
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

type BResult<T> = Result<T, Diagnostic>;

impl Builder {
    fn span(&self, p: &Pair<Rule>) -> Span {
        let s = p.as_span();
        let end = s.start() + content_len(s.as_str());
        Span::new(self.file, self.base + s.start(), self.base + end)
    }

    fn ident(&self, p: Pair<Rule>) -> Ident {
        let span = self.span(&p);
        let s = p.as_str();
        let name = s.trim_end_matches('\'');
        Ident { name: name.to_string(), primes: (s.len() - name.len()) as u8, span }
    }

    fn number(&self, p: Pair<Rule>) -> BResult<Number> {
        let span = self.span(&p);
        let text = p.as_str().to_string();
        let value = text.parse::<f64>().map_err(|_| {
            Diagnostic::error("E0012", format!("invalid number `{text}`")).with_primary(span, "here")
        })?;
        Ok(Number { value, text, span })
    }

    fn units(&self, p: Pair<Rule>) -> Units {
        let span = self.span(&p);
        let text = p.into_inner().next().map(|t| t.as_str().to_string()).unwrap_or_default();
        Units { text, span }
    }

    fn signed(&self, p: Pair<Rule>) -> BResult<SignedNum> {
        let span = self.span(&p);
        let mut negative = false;
        let mut value = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::neg => negative = true,
                Rule::number => value = Some(NumOrName::Num(self.number(c)?)),
                Rule::ident => value = Some(NumOrName::Name(self.ident(c))),
                _ => {}
            }
        }
        Ok(SignedNum { negative, value: value.expect("grammar: signed_num has a value"), span })
    }

    fn array_size(&self, p: Pair<Rule>) -> BResult<ArraySize> {
        // p is array_dim or array_size
        let inner = if p.as_rule() == Rule::array_dim { p.into_inner().next().expect("size") } else { p };
        let c = inner.into_inner().next().expect("grammar: array_size has content");
        Ok(match c.as_rule() {
            Rule::integer => ArraySize::Int(self.number(c)?),
            _ => ArraySize::Name(self.ident(c)),
        })
    }

    fn names(&self, p: Pair<Rule>) -> Vec<Ident> {
        p.into_inner().filter(|c| c.as_rule() == Rule::ident).map(|c| self.ident(c)).collect()
    }

    fn item(&self, p: Pair<Rule>) -> BResult<Item> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let first_text = p.as_str().split_whitespace().next().unwrap_or("").to_string();
        let mut inner = p.into_inner();
        let kind = match rule {
            Rule::define_item => {
                let name = self.ident(inner.next().expect("name"));
                let value = self.signed(inner.next().expect("value"))?;
                ItemKind::Define { name, value }
            }
            Rule::include_item => {
                let s = inner.next().expect("string");
                let path_span = self.span(&s);
                let raw = s.as_str();
                ItemKind::Include { path: raw[1..raw.len() - 1].to_string(), path_span, module: None }
            }
            Rule::unitson_item => ItemKind::UnitsOn,
            Rule::unitsoff_item => ItemKind::UnitsOff,
            Rule::local_item => ItemKind::Local(self.local_list(inner.next().expect("list"))?),
            Rule::neuron_block => {
                let mut v = Vec::new();
                for c in inner {
                    v.push(self.neuron_stmt(c)?);
                }
                ItemKind::Neuron(v)
            }
            Rule::units_block => {
                let mut v = Vec::new();
                for c in inner {
                    v.push(self.unit_def(c)?);
                }
                ItemKind::Units(v)
            }
            Rule::parameter_block => {
                let mut v = Vec::new();
                for c in inner {
                    if c.as_rule() == Rule::param_decl {
                        v.push(self.param_decl(c)?);
                    }
                }
                ItemKind::Parameter(v)
            }
            Rule::constant_block => {
                let mut v = Vec::new();
                for c in inner {
                    let span = self.span(&c);
                    let mut it = c.into_inner();
                    let name = self.ident(it.next().expect("name"));
                    let value = self.signed(it.next().expect("value"))?;
                    let units = it.next().map(|u| self.units(u));
                    v.push(ConstDecl { name, value, units, span });
                }
                ItemKind::Constant(v)
            }
            Rule::assigned_block | Rule::state_block => {
                let mut v = Vec::new();
                for c in inner {
                    if c.as_rule() == Rule::var_decl {
                        v.push(self.var_decl(c)?);
                    }
                }
                if rule == Rule::assigned_block {
                    ItemKind::Assigned(v)
                } else {
                    ItemKind::State(v)
                }
            }
            Rule::independent_block => {
                let mut v = Vec::new();
                for c in inner {
                    v.push(self.indep_decl(c)?);
                }
                ItemKind::Independent(v)
            }
            Rule::initial_block => ItemKind::Initial(self.block(inner.next().expect("block"))?),
            Rule::breakpoint_block => {
                if first_text.starts_with("EQUATION") {
                    return Err(Diagnostic::error("E0013", "EQUATION blocks are not accepted by NEURON")
                        .with_primary(
                            Span::new(self.file, span.start as usize, span.start as usize + 8),
                            "here",
                        )
                        .with_hint("write BREAKPOINT instead of EQUATION"));
                }
                ItemKind::Breakpoint(self.block(inner.next().expect("block"))?)
            }
            Rule::derivative_block | Rule::discrete_block => {
                let name = self.ident(inner.next().expect("name"));
                let body = self.block(inner.next().expect("block"))?;
                if rule == Rule::derivative_block {
                    ItemKind::Derivative { name, body }
                } else {
                    ItemKind::Discrete { name, body }
                }
            }
            Rule::kinetic_block | Rule::linear_block | Rule::nonlinear_block => {
                let name = self.ident(inner.next().expect("name"));
                let mut solvefor = Vec::new();
                let mut body = None;
                for c in inner {
                    match c.as_rule() {
                        Rule::solvefor => {
                            solvefor = self.names(c.into_inner().next().expect("names"));
                        }
                        Rule::block => body = Some(self.block(c)?),
                        _ => {}
                    }
                }
                let body = body.expect("grammar: block");
                match rule {
                    Rule::kinetic_block => ItemKind::Kinetic { name, solvefor, body },
                    Rule::linear_block => ItemKind::Linear { name, solvefor, body },
                    _ => ItemKind::NonLinear { name, solvefor, body },
                }
            }
            Rule::procedure_block | Rule::function_block => {
                let name = self.ident(inner.next().expect("name"));
                let params = self.formals(inner.next().expect("formals"));
                let mut units = None;
                let mut body = None;
                for c in inner {
                    match c.as_rule() {
                        Rule::units => units = Some(self.units(c)),
                        Rule::block => body = Some(self.block(c)?),
                        _ => {}
                    }
                }
                let callable = Callable { name, params, units, body: body.expect("grammar: block") };
                if rule == Rule::procedure_block {
                    ItemKind::Procedure(callable)
                } else {
                    ItemKind::Function(callable)
                }
            }
            Rule::function_table_block => {
                let name = self.ident(inner.next().expect("name"));
                let params = self.formals(inner.next().expect("formals"));
                let units = inner.next().map(|u| self.units(u));
                ItemKind::FunctionTable { name, params, units }
            }
            Rule::net_receive_block => {
                let mut params = None;
                let mut body = None;
                for c in inner {
                    match c.as_rule() {
                        Rule::formals => params = Some(self.formals(c)),
                        Rule::block => body = Some(self.block(c)?),
                        _ => {}
                    }
                }
                ItemKind::NetReceive { params, body: body.expect("grammar: block") }
            }
            Rule::before_after_block => {
                let before = inner.next().expect("kw").as_str() == "BEFORE";
                let phase = inner.next().expect("phase").as_str().to_string();
                let body = self.block(inner.next().expect("block"))?;
                ItemKind::BeforeAfter { before, phase, body }
            }
            Rule::constructor_block => ItemKind::Constructor(self.block(inner.next().expect("block"))?),
            Rule::destructor_block => ItemKind::Destructor(self.block(inner.next().expect("block"))?),
            other => unreachable!("grammar: unexpected item rule {other:?}"),
        };
        Ok(Item { kind, span })
    }

    fn local_list(&self, p: Pair<Rule>) -> BResult<Vec<LocalVar>> {
        let mut v = Vec::new();
        for lv in p.into_inner() {
            let mut it = lv.into_inner();
            let name = self.ident(it.next().expect("name"));
            let size = match it.next() {
                Some(s) => Some(self.array_size(s)?),
                None => None,
            };
            v.push(LocalVar { name, size });
        }
        Ok(v)
    }

    fn formals(&self, p: Pair<Rule>) -> Vec<Formal> {
        p.into_inner()
            .map(|f| {
                let mut it = f.into_inner();
                let name = self.ident(it.next().expect("name"));
                let units = it.next().map(|u| self.units(u));
                Formal { name, units }
            })
            .collect()
    }

    fn neuron_stmt(&self, p: Pair<Rule>) -> BResult<NeuronStmt> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let text = p.as_str().to_string();
        let mut inner = p.into_inner();
        let kind = match rule {
            Rule::suffix_stmt => {
                let kw = inner.next().expect("kw").as_str();
                let kind = match kw {
                    "SUFFIX" => SuffixKind::Suffix,
                    "POINT_PROCESS" => SuffixKind::PointProcess,
                    _ => SuffixKind::ArtificialCell,
                };
                NeuronStmtKind::Suffix { kind, name: self.ident(inner.next().expect("name")) }
            }
            Rule::useion_stmt => {
                let ion = self.ident(inner.next().expect("ion"));
                let mut read = Vec::new();
                let mut write = Vec::new();
                let mut valence = None;
                let mut represents = None;
                for c in inner {
                    match c.as_rule() {
                        Rule::read_list => read = self.names(c.into_inner().next().expect("names")),
                        Rule::write_list => write = self.names(c.into_inner().next().expect("names")),
                        Rule::valence => {
                            let vspan = self.span(&c);
                            let mut neg = false;
                            let mut val = 0.0;
                            let mut txt = String::new();
                            for d in c.into_inner() {
                                match d.as_rule() {
                                    Rule::neg => neg = true,
                                    Rule::number => {
                                        let n = self.number(d)?;
                                        val = n.value;
                                        txt = n.text;
                                    }
                                    _ => {}
                                }
                            }
                            if neg {
                                val = -val;
                                txt = format!("-{txt}");
                            }
                            valence = Some((val, txt, vspan));
                        }
                        Rule::represents => {
                            represents = c.into_inner().next().map(|o| o.as_str().to_string());
                        }
                        _ => {}
                    }
                }
                NeuronStmtKind::UseIon { ion, read, write, valence, represents }
            }
            Rule::nonspecific_stmt => NeuronStmtKind::Nonspecific(self.names(inner.next().expect("n"))),
            Rule::electrode_stmt => NeuronStmtKind::Electrode(self.names(inner.next().expect("n"))),
            Rule::range_stmt => NeuronStmtKind::Range(self.names(inner.next().expect("n"))),
            Rule::global_stmt => NeuronStmtKind::Global(self.names(inner.next().expect("n"))),
            Rule::pointer_stmt => NeuronStmtKind::Pointer(self.names(inner.next().expect("n"))),
            Rule::bbcorepointer_stmt => NeuronStmtKind::BbcorePointer(self.names(inner.next().expect("n"))),
            Rule::external_stmt => NeuronStmtKind::External(self.names(inner.next().expect("n"))),
            Rule::random_stmt => NeuronStmtKind::Random(self.names(inner.next().expect("n"))),
            Rule::threadsafe_stmt => {
                NeuronStmtKind::ThreadSafe(inner.next().map(|n| self.names(n)).unwrap_or_default())
            }
            Rule::represents_stmt => NeuronStmtKind::Represents(
                inner
                    .next()
                    .and_then(|r| r.into_inner().next())
                    .map(|o| o.as_str().to_string())
                    .unwrap_or_default(),
            ),
            Rule::verbatim_stmt => NeuronStmtKind::Verbatim(verbatim_text(&text)),
            Rule::unitson_stmt => NeuronStmtKind::UnitsOn,
            Rule::unitsoff_stmt => NeuronStmtKind::UnitsOff,
            other => unreachable!("grammar: unexpected NEURON rule {other:?}"),
        };
        Ok(NeuronStmt { kind, span })
    }

    fn unit_def(&self, p: Pair<Rule>) -> BResult<UnitDef> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let mut inner = p.into_inner();
        let kind = match rule {
            Rule::unit_alias => {
                let new = self.units(inner.next().expect("u"));
                let old = self.units(inner.next().expect("u"));
                UnitDefKind::Alias { new, old }
            }
            _ => {
                let name = self.ident(inner.next().expect("name"));
                let body = inner.next().expect("body");
                match body.as_rule() {
                    Rule::factor_value => {
                        let mut negative = false;
                        let mut value = None;
                        let mut units = None;
                        for c in body.into_inner() {
                            match c.as_rule() {
                                Rule::neg => negative = true,
                                Rule::number => value = Some(self.number(c)?),
                                Rule::units => units = Some(self.units(c)),
                                _ => {}
                            }
                        }
                        UnitDefKind::FactorValue { name, negative, value: value.expect("number"), units }
                    }
                    _ => {
                        let mut us = Vec::new();
                        let mut arrow = false;
                        for c in body.into_inner() {
                            match c.as_rule() {
                                Rule::arrow => arrow = true,
                                Rule::units => us.push(self.units(c)),
                                _ => {}
                            }
                        }
                        let to = us.pop().expect("units");
                        let from = us.pop().expect("units");
                        UnitDefKind::FactorRatio { name, from, to, arrow }
                    }
                }
            }
        };
        Ok(UnitDef { kind, span })
    }

    fn param_decl(&self, p: Pair<Rule>) -> BResult<ParamDecl> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let name = self.ident(it.next().expect("name"));
        let mut d = ParamDecl { name, size: None, value: None, units: None, limits: None, span };
        for c in it {
            match c.as_rule() {
                Rule::array_dim => d.size = Some(self.array_size(c)?),
                Rule::signed_num => d.value = Some(self.signed(c)?),
                Rule::units => d.units = Some(self.units(c)),
                Rule::limits => {
                    let mut l = c.into_inner();
                    let lo = self.signed(l.next().expect("lo"))?;
                    let hi = self.signed(l.next().expect("hi"))?;
                    d.limits = Some((lo, hi));
                }
                _ => {}
            }
        }
        Ok(d)
    }

    fn var_decl(&self, p: Pair<Rule>) -> BResult<VarDecl> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let name = self.ident(it.next().expect("name"));
        let mut d = VarDecl { name, size: None, from_to: None, start: None, units: None, abstol: None, span };
        for c in it {
            match c.as_rule() {
                Rule::array_dim => d.size = Some(self.array_size(c)?),
                Rule::from_to => {
                    let mut l = c.into_inner();
                    let lo = self.signed(l.next().expect("lo"))?;
                    let hi = self.signed(l.next().expect("hi"))?;
                    d.from_to = Some((lo, hi));
                }
                Rule::start_val => d.start = Some(self.signed(c.into_inner().next().expect("v"))?),
                Rule::units => d.units = Some(self.units(c)),
                Rule::abstol => d.abstol = Some(self.signed(c.into_inner().next().expect("v"))?),
                _ => {}
            }
        }
        Ok(d)
    }

    fn indep_decl(&self, p: Pair<Rule>) -> BResult<IndepDecl> {
        let span = self.span(&p);
        let mut sweep = false;
        let mut name = None;
        let mut nums = Vec::new();
        let mut with = None;
        let mut start = None;
        let mut units = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::sweep => sweep = true,
                Rule::ident => name = Some(self.ident(c)),
                Rule::signed_num => nums.push(self.signed(c)?),
                Rule::integer => with = Some(self.number(c)?),
                Rule::start_val => start = Some(self.signed(c.into_inner().next().expect("v"))?),
                Rule::units => units = Some(self.units(c)),
                _ => {}
            }
        }
        let to = nums.pop().expect("to");
        let from = nums.pop().expect("from");
        Ok(IndepDecl {
            sweep,
            name: name.expect("name"),
            from,
            to,
            with: with.expect("with"),
            start,
            units,
            span,
        })
    }

    fn block(&self, p: Pair<Rule>) -> BResult<Block> {
        let span = self.span(&p);
        let mut stmts = Vec::new();
        for c in p.into_inner() {
            stmts.push(self.stmt(c)?);
        }
        Ok(Block { stmts, span })
    }

    fn lvalue(&self, p: Pair<Rule>) -> BResult<LValue> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let first = it.next().expect("name");
        let name = self.ident(first);
        let mut lv = LValue { name, index: None, lag: None, span };
        for c in it {
            match c.as_rule() {
                Rule::index => lv.index = Some(Box::new(self.expr(c.into_inner().next().expect("e"))?)),
                Rule::at_lag => {
                    for d in c.into_inner() {
                        match d.as_rule() {
                            Rule::integer => lv.lag = Some(self.number(d)?),
                            Rule::index => {
                                lv.index = Some(Box::new(self.expr(d.into_inner().next().expect("e"))?))
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(lv)
    }

    fn react_side(&self, p: Pair<Rule>) -> BResult<Vec<ReactTerm>> {
        let mut v = Vec::new();
        for t in p.into_inner() {
            let mut coef = 1;
            let mut coef_written = false;
            let mut var = None;
            for c in t.into_inner() {
                match c.as_rule() {
                    Rule::integer => {
                        let n = self.number(c)?;
                        coef = n.value as u32;
                        coef_written = true;
                    }
                    Rule::lvalue_plain => var = Some(self.lvalue(c)?),
                    _ => {}
                }
            }
            v.push(ReactTerm { coef, coef_written, var: var.expect("species") });
        }
        Ok(v)
    }

    fn stmt(&self, p: Pair<Rule>) -> BResult<Stmt> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let text = p.as_str().to_string();
        let mut inner = p.into_inner();
        let kind = match rule {
            Rule::local_stmt => StmtKind::Local(self.local_list(inner.next().expect("list"))?),
            Rule::verbatim_stmt => StmtKind::Verbatim(verbatim_text(&text)),
            Rule::unitson_stmt => StmtKind::UnitsOn,
            Rule::unitsoff_stmt => StmtKind::UnitsOff,
            Rule::mutexlock_stmt => StmtKind::MutexLock,
            Rule::mutexunlock_stmt => StmtKind::MutexUnlock,
            Rule::semicolon => {
                return Err(Diagnostic::error("E0010", "`;` is not allowed in NMODL")
                    .with_primary(span, "statement separator")
                    .with_hint("NMODL statements need no separator: remove the `;`"))
            }
            Rule::solve_stmt => {
                let name = self.ident(inner.next().expect("name"));
                let method = inner.next().map(|m| {
                    let is_method = m.as_rule() == Rule::solve_method;
                    let id = self.ident(m.into_inner().next().expect("method"));
                    if is_method {
                        SolveMethod::Method(id)
                    } else {
                        SolveMethod::SteadyState(id)
                    }
                });
                StmtKind::Solve { name, method }
            }
            Rule::table_stmt => {
                let mut vars = Vec::new();
                let mut depend = Vec::new();
                let mut exprs = Vec::new();
                for c in inner {
                    match c.as_rule() {
                        Rule::name_list => vars = self.names(c),
                        Rule::table_depend => depend = self.names(c.into_inner().next().expect("names")),
                        Rule::expr => exprs.push(self.expr(c)?),
                        _ => {}
                    }
                }
                let with = exprs.pop().expect("with");
                let to = exprs.pop().expect("to");
                let from = exprs.pop().expect("from");
                StmtKind::Table { vars, depend, from, to, with }
            }
            Rule::conductance_stmt => {
                let name = self.ident(inner.next().expect("name"));
                let ion = inner.next().map(|i| self.ident(i));
                StmtKind::Conductance { name, ion }
            }
            Rule::if_stmt => self.if_kind(inner, span.end as usize)?,
            Rule::while_stmt => {
                let mut inner = inner.filter(|c| c.as_rule() != Rule::kw_while);
                let cond = self.expr(inner.next().expect("cond"))?;
                let body = self.block(inner.next().expect("body"))?;
                StmtKind::While { cond, body }
            }
            Rule::from_stmt => {
                let var = self.ident(inner.next().expect("var"));
                let lo = self.expr(inner.next().expect("lo"))?;
                let hi = self.expr(inner.next().expect("hi"))?;
                let mut by = None;
                let mut body = None;
                for c in inner {
                    match c.as_rule() {
                        Rule::expr => by = Some(self.expr(c)?),
                        Rule::block => body = Some(self.block(c)?),
                        _ => {}
                    }
                }
                StmtKind::From { var, lo, hi, by, body: body.expect("body") }
            }
            Rule::protect_stmt => {
                let lhs = self.lvalue(inner.next().expect("lhs"))?;
                let rhs = self.expr(inner.next().expect("rhs"))?;
                StmtKind::Protect { lhs, rhs }
            }
            Rule::conserve_stmt => {
                let lhs = self.react_side(inner.next().expect("lhs"))?;
                let rhs = self.expr(inner.next().expect("rhs"))?;
                StmtKind::Conserve { lhs, rhs }
            }
            Rule::compartment_stmt | Rule::longdiff_stmt => {
                let parts: Vec<Pair<Rule>> = inner.collect();
                let mut index = None;
                let mut expr = None;
                let mut states = Vec::new();
                for c in parts {
                    match c.as_rule() {
                        Rule::ident if expr.is_none() => index = Some(self.ident(c)),
                        Rule::ident => states.push(self.ident(c)),
                        Rule::expr => expr = Some(self.expr(c)?),
                        _ => {}
                    }
                }
                let expr = expr.expect("expr");
                if rule == Rule::compartment_stmt {
                    StmtKind::Compartment { index, volume: expr, states }
                } else {
                    StmtKind::LongitudinalDiffusion { index, expr, states }
                }
            }
            Rule::watch_stmt => {
                let mut items = Vec::new();
                for w in inner {
                    let wspan = self.span(&w);
                    let mut it = w.into_inner();
                    let cond = self.expr(it.next().expect("cond"))?;
                    let flag = self.expr(it.next().expect("flag"))?;
                    items.push(WatchItem { cond, flag, span: wspan });
                }
                StmtKind::Watch(items)
            }
            Rule::for_netcons_stmt => {
                let params = self.formals(inner.next().expect("formals"));
                let body = self.block(inner.next().expect("body"))?;
                StmtKind::ForNetcons { params, body }
            }
            Rule::initial_stmt => StmtKind::Initial(self.block(inner.next().expect("block"))?),
            Rule::lag_stmt => {
                let name = self.ident(inner.next().expect("name"));
                let by = self.ident(inner.next().expect("by"));
                StmtKind::Lag { name, by }
            }
            Rule::reaction_stmt => {
                let lhs = self.react_side(inner.next().expect("lhs"))?;
                let rest = inner.next().expect("rest");
                let kind = match rest.as_rule() {
                    Rule::react_rev => {
                        let mut it = rest.into_inner();
                        let rhs = self.react_side(it.next().expect("rhs"))?;
                        let kf = self.expr(it.next().expect("kf"))?;
                        let kb = self.expr(it.next().expect("kb"))?;
                        ReactionKind::Reversible { rhs, kf, kb }
                    }
                    Rule::react_fwd => {
                        ReactionKind::Forward { k: self.expr(rest.into_inner().next().expect("k"))? }
                    }
                    _ => ReactionKind::Flux { flux: self.expr(rest.into_inner().next().expect("f"))? },
                };
                StmtKind::Reaction { lhs, kind }
            }
            Rule::equation_stmt => {
                let addition = inner.next().expect("tilde").as_str() == "~+";
                let lhs = self.expr(inner.next().expect("lhs"))?;
                let rhs = self.expr(inner.next().expect("rhs"))?;
                StmtKind::Equation { addition, lhs, rhs }
            }
            Rule::assign_stmt => {
                let lhs = self.lvalue(inner.next().expect("lhs"))?;
                let rhs = self.expr(inner.next().expect("rhs"))?;
                StmtKind::Assign { lhs, rhs }
            }
            Rule::call_stmt => StmtKind::Call(self.call(inner.next().expect("call"))?),
            Rule::block => {
                let mut stmts = Vec::new();
                for c in inner {
                    stmts.push(self.stmt(c)?);
                }
                StmtKind::Block(Block { stmts, span })
            }
            other => unreachable!("grammar: unexpected statement rule {other:?}"),
        };
        Ok(Stmt { kind, span })
    }

    /// `if (c) {…} else if (c2) {…} … else {…}`: the flat chain of the grammar becomes nested
    /// `If` statements, each `else if` spanning from its `if` to the end of the chain.
    fn if_kind(&self, inner: pest::iterators::Pairs<Rule>, chain_end: usize) -> BResult<StmtKind> {
        let mut inner = inner.filter(|c| c.as_rule() != Rule::kw_if);
        let cond = self.expr(inner.next().expect("cond"))?;
        let then = self.block(inner.next().expect("then"))?;
        let mut else_ifs = Vec::new();
        let mut els = None;
        for part in inner {
            match part.as_rule() {
                Rule::else_if => {
                    if else_ifs.len() as u32 >= MAX_EXPR_DEPTH {
                        return Err(too_deep(self.span(&part)));
                    }
                    let mut it = part.into_inner().filter(|c| !matches!(c.as_rule(), Rule::kw_else));
                    let kw = it.next().expect("if");
                    let start = self.base + kw.as_span().start();
                    let c = self.expr(it.next().expect("cond"))?;
                    let b = self.block(it.next().expect("block"))?;
                    else_ifs.push((start, c, b));
                }
                _ => {
                    let c = part.into_inner().find(|c| c.as_rule() != Rule::kw_else).expect("else body");
                    let cspan = self.span(&c);
                    els = Some(Box::new(Stmt { kind: StmtKind::Block(self.block(c)?), span: cspan }));
                }
            }
        }
        for (start, cond, then) in else_ifs.into_iter().rev() {
            let span = Span::new(self.file, start, chain_end);
            els = Some(Box::new(Stmt { kind: StmtKind::If { cond, then, els }, span }));
        }
        Ok(StmtKind::If { cond, then, els })
    }

    fn call(&self, p: Pair<Rule>) -> BResult<Call> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let name = self.ident(it.next().expect("name"));
        let mut args = Vec::new();
        for a in it {
            args.push(match a.as_rule() {
                Rule::string => {
                    let s = a.as_str();
                    Expr { kind: ExprKind::Str(s[1..s.len() - 1].to_string()), span: self.span(&a) }
                }
                _ => self.expr(a)?,
            });
        }
        Ok(Call { name, args, span })
    }

    /// Precedence climbing over the flat `prefix* primary (infix prefix* primary)*` sequence.
    fn expr(&self, p: Pair<Rule>) -> BResult<Expr> {
        let span = self.span(&p);
        let toks: Vec<Pair<Rule>> = p.into_inner().collect();
        let mut pos = 0;
        let e = self.climb(&toks, &mut pos, 0)?;
        // Left-associative chains are built by a loop, so their depth is only known here.
        if depth_of(&e) > MAX_EXPR_DEPTH {
            return Err(too_deep(span));
        }
        Ok(e)
    }

    /// Counts one level of recursion; fails beyond the bound (before the stack is at risk).
    fn enter(&self, at: &Pair<Rule>) -> BResult<()> {
        let d = self.depth.get() + 1;
        if d > 4 * MAX_EXPR_DEPTH {
            return Err(too_deep(self.span(at)));
        }
        self.depth.set(d);
        Ok(())
    }

    fn leave(&self) {
        self.depth.set(self.depth.get().saturating_sub(1));
    }

    fn climb(&self, toks: &[Pair<Rule>], pos: &mut usize, min_prec: u8) -> BResult<Expr> {
        let Some(first) = toks.get(*pos) else { unreachable!("grammar: an expression has an operand here") };
        self.enter(first)?;
        let r = self.climb_inner(toks, pos, min_prec);
        self.leave();
        r
    }

    fn climb_inner(&self, toks: &[Pair<Rule>], pos: &mut usize, min_prec: u8) -> BResult<Expr> {
        let mut lhs = self.unary(toks, pos)?;
        let mut chain = 0;
        while *pos < toks.len() {
            let op = match binop(toks[*pos].as_rule()) {
                Some(op) => op,
                None => break,
            };
            let prec = op.precedence();
            if prec < min_prec {
                break;
            }
            *pos += 1;
            // `^` is right-associative; everything else left-associative.
            let next_min = if op == BinOp::Pow { prec } else { prec + 1 };
            let rhs = self.climb(toks, pos, next_min)?;
            let span = lhs.span.to(rhs.span);
            chain += 1;
            if chain > MAX_EXPR_DEPTH {
                return Err(too_deep(span));
            }
            lhs = Expr { kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)), span };
        }
        Ok(lhs)
    }

    fn unary(&self, toks: &[Pair<Rule>], pos: &mut usize) -> BResult<Expr> {
        let t = &toks[*pos];
        match t.as_rule() {
            Rule::op_neg | Rule::op_not => {
                let op = if t.as_rule() == Rule::op_neg { UnOp::Neg } else { UnOp::Not };
                let start = self.span(t);
                *pos += 1;
                // Unary binds tighter than * / but looser than ^: parse the operand with ^ only.
                let operand = self.climb_from_unary(toks, pos)?;
                let span = start.to(operand.span);
                Ok(Expr { kind: ExprKind::Unary(op, Box::new(operand)), span })
            }
            _ => {
                *pos += 1;
                self.primary(t.clone())
            }
        }
    }

    fn climb_from_unary(&self, toks: &[Pair<Rule>], pos: &mut usize) -> BResult<Expr> {
        self.climb(toks, pos, BinOp::Pow.precedence())
    }

    fn primary(&self, p: Pair<Rule>) -> BResult<Expr> {
        let span = self.span(&p);
        let kind = match p.as_rule() {
            Rule::num_lit => {
                let mut it = p.into_inner();
                let num = self.number(it.next().expect("number"))?;
                let units = it.next().map(|u| self.units(u));
                ExprKind::Num { num, units }
            }
            Rule::call => ExprKind::Call(self.call(p)?),
            Rule::string => {
                let s = p.as_str();
                ExprKind::Str(s[1..s.len() - 1].to_string())
            }
            Rule::paren => ExprKind::Paren(Box::new(self.expr(p.into_inner().next().expect("e"))?)),
            Rule::int_call => ExprKind::Int(Box::new(self.expr(p.into_inner().next().expect("e"))?)),
            Rule::var_ref => ExprKind::Var(self.lvalue(p)?),
            other => unreachable!("grammar: unexpected primary {other:?}"),
        };
        Ok(Expr { kind, span })
    }
}

/// Length of `text` without trailing whitespace and comments. Pest's implicit whitespace leaves
/// them at the end of a pair whose rule ends with an optional part that did not match (`v` in
/// `x = v : note` would otherwise span the comment and the newline).
fn content_len(text: &str) -> usize {
    let b = text.as_bytes();
    let last_line = text.rsplit(['\n', '\r']).next().unwrap_or("");
    let clean_end = b.last().is_some_and(|c| !c.is_ascii_whitespace());
    if clean_end && !last_line.contains([':', '?']) && !text.contains("ENDCOMMENT") {
        return b.len();
    }
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let (mut i, mut last) = (0, 0);
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\r' | b'\n' | b'\x0C' => i += 1,
            b':' | b'?' => {
                while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += 1;
                }
                i = (i + 1).min(b.len());
                last = i;
            }
            b'C' if text[i..].starts_with("COMMENT")
                && (i == 0 || !ident(b[i - 1]))
                && !b.get(i + 7).is_some_and(|&c| ident(c)) =>
            {
                // A COMMENT block as trivia: up to the end of its ENDCOMMENT line.
                let mut j = i + 7;
                loop {
                    while j < b.len() && b[j] != b'\n' && b[j] != b'\r' {
                        j += 1;
                    }
                    while j < b.len() && (b[j] == b'\n' || b[j] == b'\r') {
                        j += 1;
                    }
                    let rest = text[j..].trim_start_matches([' ', '\t', '\x0C']);
                    if j >= b.len() || rest.starts_with("ENDCOMMENT") {
                        break;
                    }
                }
                while j < b.len() && b[j] != b'\n' && b[j] != b'\r' {
                    j += 1;
                }
                i = j;
            }
            _ => {
                i += 1;
                last = i;
            }
        }
    }
    last
}

/// Depth of an expression tree, without recursion (the tree may be deep).
fn depth_of(e: &Expr) -> u32 {
    let mut max = 0;
    let mut stack = vec![(e, 1u32)];
    while let Some((e, d)) = stack.pop() {
        max = max.max(d);
        match &e.kind {
            ExprKind::Num { .. } | ExprKind::Str(_) => {}
            ExprKind::Var(lv) => {
                if let Some(i) = &lv.index {
                    stack.push((i, d + 1));
                }
            }
            ExprKind::Call(c) => stack.extend(c.args.iter().map(|a| (a, d + 1))),
            ExprKind::Int(x) | ExprKind::Paren(x) | ExprKind::Unary(_, x) => stack.push((x, d + 1)),
            ExprKind::Binary(_, a, b) => {
                stack.push((a, d + 1));
                stack.push((b, d + 1));
            }
        }
    }
    max
}

fn binop(r: Rule) -> Option<BinOp> {
    Some(match r {
        Rule::op_or => BinOp::Or,
        Rule::op_and => BinOp::And,
        Rule::op_lt => BinOp::Lt,
        Rule::op_le => BinOp::Le,
        Rule::op_gt => BinOp::Gt,
        Rule::op_ge => BinOp::Ge,
        Rule::op_eq => BinOp::Eq,
        Rule::op_ne => BinOp::Ne,
        Rule::op_add => BinOp::Add,
        Rule::op_sub => BinOp::Sub,
        Rule::op_mul => BinOp::Mul,
        Rule::op_div => BinOp::Div,
        Rule::op_pow => BinOp::Pow,
        _ => return None,
    })
}

/// The text between VERBATIM and ENDVERBATIM.
fn verbatim_text(full: &str) -> String {
    let body = full.strip_prefix("VERBATIM").unwrap_or(full);
    let end = body.rfind("ENDVERBATIM").unwrap_or(body.len());
    let body = &body[..end];
    // Drop the rest of the VERBATIM line's newline and the blank prefix of the ENDVERBATIM line.
    let body = body.trim_end_matches([' ', '\t']);
    let body = body.strip_suffix("\r\n").or_else(|| body.strip_suffix('\n')).unwrap_or(body);
    let body = body.strip_prefix("\r\n").or_else(|| body.strip_prefix('\n')).unwrap_or(body);
    body.to_string()
}
