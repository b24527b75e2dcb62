//! From text to [`Recipe`]: the scanner cuts items, pest parses each one, and this module builds
//! the tree with spans (offsets relative to the whole file).

use super::ast::*;
use super::codes;
use super::scan;
use crate::diag::{Diagnostic, FileId, SourceMap, Span};
use pest::iterators::Pair;
use pest::Parser;
use std::path::Path;

mod grammar {
    #![allow(missing_docs)]
    /// The pest parser generated from `recipe.pest`.
    #[derive(pest_derive::Parser)]
    #[grammar = "recipe/recipe.pest"]
    pub struct RecipeGrammar;
}
use grammar::{RecipeGrammar, Rule};

/// Deepest bracket nesting accepted (the parser is recursive).
const MAX_NESTING: usize = 48;
/// Most operators in a row without brackets (each is a level of the recursive descent).
const MAX_UNARY_RUN: usize = 64;
/// Most binary operators of one kind in a row (each is a level of the tree).
const MAX_CHAIN: usize = 150;

/// Result of parsing one file: the tree (items that parsed) and every problem found.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Items that parsed.
    pub recipe: Recipe,
    /// Diagnostics in order of discovery.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads and parses a recipe file into `sources`.
pub fn parse_file(sources: &mut SourceMap, path: &Path) -> std::io::Result<(FileId, Parsed)> {
    let bytes = std::fs::read(path)?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let id = sources.add(path, text);
    Ok((id, parse_source(sources, id)))
}

/// Parses the text of `file`, already in `sources`.
pub fn parse_source(sources: &SourceMap, file: FileId) -> Parsed {
    parse_text(file, sources.text(file))
}

/// Parses recipe text (spans refer to `file`).
pub fn parse_text(file: FileId, text: &str) -> Parsed {
    let mut out = Parsed::default();
    let scanned = scan::scan(file, text);
    out.diagnostics.extend(scanned.diagnostics);
    for raw in &scanned.items {
        let slice = &text[raw.start..raw.end];
        let mut words =
            slice.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|w| !w.is_empty());
        let broken = (words.next().unwrap_or("").to_string(), words.next().unwrap_or("").to_string());
        if !raw.complete {
            out.recipe.broken.push(broken);
            continue;
        }
        if let Some(at) = too_deep(slice) {
            out.diagnostics.push(
                Diagnostic::error(codes::TOO_DEEP, "nesting is too deep")
                    .with_primary(Span::new(file, raw.start + at, raw.start + at + 1), "here")
                    .with_hint(format!("at most {MAX_NESTING} levels of brackets are accepted")),
            );
            out.recipe.broken.push(broken);
            continue;
        }
        match RecipeGrammar::parse(Rule::item, slice) {
            Ok(mut pairs) => {
                let b = Builder { file, base: raw.start };
                let item = pairs.next().and_then(|p| p.into_inner().next());
                if let Some(pair) = item {
                    match b.item(pair, Span::new(file, raw.start, raw.end)) {
                        Ok(item) => out.recipe.items.push(item),
                        Err(d) => {
                            out.diagnostics.push(d);
                            out.recipe.broken.push(broken);
                        }
                    }
                }
            }
            Err(e) => {
                out.diagnostics.push(pest_error(file, raw.start, slice, e));
                out.recipe.broken.push(broken);
            }
        }
    }
    out
}

/// Offset of the first bracket nested deeper than [`MAX_NESTING`], or of a run of operators too
/// long for the recursive parser.
fn too_deep(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut depth = 0usize;
    let mut run = 0usize;
    let mut powers = 0usize;
    let mut in_str = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if in_str {
            if c == b'\\' {
                i += 1;
            } else if c == b'"' || c == b'\n' {
                in_str = false;
            }
        } else {
            match c {
                b'"' => in_str = true,
                b'#' => {
                    while i < b.len() && b[i] != b'\n' {
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
                b'-' | b'+' | b'^' => {
                    run += 1;
                    // `^` is right associative: the grammar recurses once per `^`.
                    powers += usize::from(c == b'^');
                    if run > MAX_UNARY_RUN || powers > MAX_UNARY_RUN {
                        return Some(i);
                    }
                }
                b' ' | b'\t' | b'\r' | b'\n' => {}
                _ => run = 0,
            }
        }
        i += 1;
    }
    None
}

fn rule_name(r: Rule) -> Option<&'static str> {
    Some(match r {
        Rule::ident | Rule::name => "a name",
        Rule::expr => "an expression",
        Rule::quantity | Rule::number => "a number",
        Rule::string => "a string",
        Rule::block => "`{`",
        Rule::entry => "`name = value`",
        Rule::k_at => "`at`",
        Rule::k_on => "`on`",
        Rule::k_in => "`in`",
        Rule::k_from => "`from`",
        Rule::k_to => "`to`",
        Rule::k_by => "`by`",
        Rule::bounds => "`in [lower, upper]`",
        Rule::mech_builtin | Rule::mech_mod | Rule::mech_aot => "`builtin`, `mod \"…\"` or `aot \"…\"`",
        Rule::stimulus | Rule::record | Rule::feature | Rule::efel => {
            "`stimulus`, `record`, `feature`, `efel` or `name = value`"
        }
        Rule::region_def | Rule::location_def | Rule::insert | Rule::set | Rule::ion => {
            "`region`, `location`, `insert`, `set`, `ion` or `name = value`"
        }
        Rule::simulate | Rule::evaluate => "`simulate` or `evaluate`",
        Rule::sweep_list | Rule::sweep_range => "`in [values]` or `from a to b by step`",
        Rule::call_args => "`(`",
        Rule::EOI => "the end of the item",
        _ => return None,
    })
}

fn token_len(rest: &str) -> usize {
    let mut it = rest.char_indices();
    match it.next() {
        None => 0,
        Some((_, c)) if c.is_alphanumeric() || c == '_' => rest
            .char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '.'))
            .map(|(i, _)| i)
            .unwrap_or(rest.len()),
        Some((_, c)) => c.len_utf8(),
    }
}

fn pest_error(file: FileId, base: usize, slice: &str, e: pest::error::Error<Rule>) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    }
    .min(slice.len());
    let rest = &slice[pos..];
    let tok = token_len(rest);
    let found = if rest.is_empty() { "end of item".to_string() } else { format!("`{}`", &rest[..tok]) };
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
    let span = Span::new(file, base + pos, base + pos + tok.max(usize::from(!rest.is_empty())));
    let first_word: String = slice.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    if pos == 0 && !scan::TOP_KEYWORDS.contains(&first_word.as_str()) {
        let mut d = Diagnostic::error(codes::TOP_LEVEL, format!("unexpected {found} at top level"))
            .with_primary(span, "not the start of an item");
        d = match super::suggest::closest(&first_word, scan::TOP_KEYWORDS.iter().copied()) {
            Some(s) if !first_word.is_empty() => d.with_hint(format!("did you mean `{s}`?")),
            _ => d.with_hint(
                "items start with mechanisms, morphology, cell, param, distribution, protocol, search, \
                 settings, global, simulate, evaluate or sweep, at the start of a line; comments start \
                 with `#`",
            ),
        };
        return d;
    }
    if rest.starts_with('"') && !rest[1..].split('\n').next().unwrap_or("").contains('"') {
        return Diagnostic::error(codes::UNTERMINATED_STRING, "string is not closed on its line")
            .with_primary(Span::new(file, base + pos, base + pos + 1), "this string")
            .with_hint("add the closing `\"` (strings cannot span lines)");
    }
    if first_word == "sweep" && pos > 0 && &rest[..tok] == "sweep" {
        return Diagnostic::error(codes::STATEMENT, "sweeps do not nest")
            .with_primary(span, "a sweep inside a sweep")
            .with_hint(
                "a sweep's block holds `simulate` and `evaluate` statements only; to vary two \
                 parameters, write one sweep per value of the other parameter",
            );
    }
    let only_end =
        matches!(&e.variant, ErrorVariant::ParsingError { positives, .. } if positives == &[Rule::EOI]);
    // Something missing at the end of a line: point at the end of what was written (the line
    // where the text is incomplete), not at the first token of the next line.
    let prev_end = last_token_end(&slice[..pos]);
    if !only_end && pos > 0 && slice[prev_end..pos].contains('\n') {
        // After the whitespace character, which may be wider than one byte (a no-break space in
        // a string).
        let prev_start = slice[..prev_end]
            .char_indices()
            .rfind(|(_, c)| c.is_whitespace())
            .map(|(i, c)| i + c.len_utf8())
            .unwrap_or(0);
        let prev = &slice[prev_start..prev_end];
        // Only a line that ends in the middle of something (an operator, `=`, `+-`, a keyword
        // that takes an operand): otherwise the next line is where the mistake is.
        let incomplete = ["+-", "±", "=", ",", "+", "-", "*", "/", "^", "|", "&", "at", "on", "in", "for"]
            .iter()
            .any(|t| {
                prev == *t || (t.len() == 1 && !t.chars().all(char::is_alphanumeric) && prev.ends_with(t))
            })
            || ["to", "by", "from"].contains(&prev);
        if incomplete {
            return missing_at_line_end(file, base, prev_start, prev_end, prev, span, &found, &expected);
        }
    }
    let msg = if only_end {
        format!("unexpected {found} after the end of the item")
    } else {
        match expected.len() {
            0 => format!("syntax error: unexpected {found}"),
            1 => format!("syntax error: unexpected {found}, expected {}", expected[0]),
            _ => format!(
                "syntax error: unexpected {found}, expected {} or {}",
                expected[..expected.len() - 1].join(", "),
                expected[expected.len() - 1]
            ),
        }
    };
    let mut d = Diagnostic::error(codes::SYNTAX, msg).with_primary(span, "unexpected here");
    let before = &slice[..pos];
    if let Some(h) = syntax_hint(before, rest, only_end) {
        d = d.with_hint(h);
    }
    d
}

/// E1001 for a line that ends where something is still expected: at the end of that line.
#[allow(clippy::too_many_arguments)]
fn missing_at_line_end(
    file: FileId,
    base: usize,
    prev_start: usize,
    prev_end: usize,
    prev: &str,
    found_span: Span,
    found: &str,
    expected: &[&str],
) -> Diagnostic {
    let what = if expected.is_empty() {
        "a value".to_string()
    } else if expected.len() == 1 {
        expected[0].to_string()
    } else {
        format!("{} or {}", expected[..expected.len() - 1].join(", "), expected[expected.len() - 1])
    };
    let mut d = Diagnostic::error(
        codes::SYNTAX,
        format!("syntax error: the line ends after `{prev}`, expected {what}"),
    )
    .with_primary(Span::new(file, base + prev_start, base + prev_end), format!("expected {what} after this"))
    .with_secondary(found_span, format!("found {found}"));
    if prev == "+-" || prev == "±" {
        d = d.with_hint("a target is `MEAN +- STD` on one line, e.g. `-65 mV +- 2 mV`");
    } else if prev == "=" {
        d = d.with_hint("write the value after `=` on the same line");
    }
    d
}

/// End of the last token of `s` (comments and whitespace skipped).
fn last_token_end(s: &str) -> usize {
    let mut end = s.len();
    loop {
        let t = s[..end].trim_end();
        end = t.len();
        // A comment at the end of the last line: drop it and look again.
        let line_start = t.rfind('\n').map(|i| i + 1).unwrap_or(0);
        match t[line_start..].find('#') {
            Some(h) if !t[line_start..line_start + h].contains('"') => end = line_start + h,
            _ => return end,
        }
    }
}

fn syntax_hint(before: &str, rest: &str, only_end: bool) -> Option<String> {
    let prev_line = before.rsplit('\n').next().unwrap_or("");
    if only_end {
        return Some(
            "each item starts on its own line with a keyword; inside blocks, put one entry per line or \
             separate entries with `,`"
                .into(),
        );
    }
    if rest.starts_with("=") && prev_line.trim_end().ends_with(|c: char| c.is_ascii_alphanumeric()) {
        let tok: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        if ["in", "from", "to", "by", "at", "on", "for", "simulate", "evaluate", "sweep"]
            .contains(&tok.as_str())
            && before.trim_end().ends_with(|c: char| c.is_ascii_alphabetic())
        {
            return Some(format!("`{tok}` is a reserved word and cannot be a name"));
        }
        let words: Vec<&str> = prev_line.split_whitespace().collect();
        if words.len() >= 2 {
            return Some(format!(
                "`{}` was read as the unit of the number before it: units follow a number on the same \
                 line; start the next entry on a new line or after a `,`",
                words[words.len() - 1]
            ));
        }
    }
    if before.matches('(').count() > before.matches(')').count() && (rest.is_empty() || rest.starts_with('}'))
    {
        return Some("a `(` before this point is not closed".into());
    }
    if before.matches('[').count() > before.matches(']').count() && (rest.is_empty() || rest.starts_with('}'))
    {
        return Some("a `[` before this point is not closed".into());
    }
    let tok: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    if ["in", "from", "to", "by", "at", "on", "for", "simulate", "evaluate", "sweep"].contains(&tok.as_str())
        && before.trim_end().ends_with(|c: char| c.is_ascii_alphabetic())
    {
        return Some(format!("`{tok}` is a reserved word and cannot be a name"));
    }
    let words: Vec<&str> = prev_line.split_whitespace().collect();
    if words.len() == 2
        && ["param", "morphology", "region", "location", "set"].contains(&words[0])
        && !rest.starts_with('=')
    {
        return Some(format!("write `{} {} = VALUE`", words[0], words[1]));
    }
    if rest.starts_with(':') {
        return Some("write `name = value`, not `name: value`".into());
    }
    if rest.starts_with("\"") && before.trim_end().ends_with('=') {
        return None;
    }
    None
}

/// Builds AST nodes from pest pairs; `base` is the offset of the item in the file.
struct Builder {
    file: FileId,
    base: usize,
}

type R<T> = Result<T, Diagnostic>;

impl Builder {
    fn span(&self, p: &Pair<'_, Rule>) -> Span {
        let s = p.as_span();
        Span::new(self.file, self.base + s.start(), self.base + s.end())
    }

    fn ident(&self, p: Pair<'_, Rule>) -> Ident {
        Ident { name: p.as_str().to_string(), span: self.span(&p) }
    }

    fn item(&self, p: Pair<'_, Rule>, span: Span) -> R<Item> {
        let rule = p.as_rule();
        if matches!(rule, Rule::simulate | Rule::evaluate | Rule::sweep) {
            return Ok(Item { kind: ItemKind::Statement(self.statement(p)?), span });
        }
        let mut it = p.into_inner();
        let kind = match rule {
            Rule::mechanisms => {
                let mut v = Vec::new();
                for s in it.skip(1) {
                    let sp = self.span(&s);
                    match s.as_rule() {
                        Rule::mech_builtin => v.push(MechSource::Builtin(sp)),
                        Rule::mech_mod => v.push(MechSource::Mod(self.string(last(s)))),
                        Rule::mech_aot => v.push(MechSource::Aot(self.string(last(s)))),
                        _ => {}
                    }
                }
                ItemKind::Mechanisms(v)
            }
            Rule::morphology => {
                it.next();
                let name = self.ident(it.next().expect("name"));
                let source = self.expr(it.next().expect("source"))?;
                let options = match it.next() {
                    Some(b) => self.block(b)?,
                    None => vec![],
                };
                ItemKind::Morphology { name, source, options }
            }
            Rule::cell => {
                it.next();
                let name = self.ident(it.next().expect("name"));
                let mut body = Vec::new();
                for e in it {
                    body.push(self.cell_entry(e)?);
                }
                ItemKind::Cell { name, body }
            }
            Rule::param => {
                it.next();
                let name = self.ident(it.next().expect("name"));
                let mut value = None;
                let mut bounds = None;
                for x in it {
                    if x.as_rule() == Rule::bounds {
                        let mut b = x.into_inner();
                        b.next();
                        let lo = self.expr(b.next().expect("lower"))?;
                        let hi = self.expr(b.next().expect("upper"))?;
                        bounds = Some((lo, hi));
                    } else {
                        value = Some(self.expr(x)?);
                    }
                }
                ItemKind::Param { name, value, bounds }
            }
            Rule::distribution => {
                it.next();
                let name = self.ident(it.next().expect("name"));
                let mut args = Vec::new();
                let mut body = None;
                for x in it {
                    if x.as_rule() == Rule::ident {
                        args.push(self.ident(x));
                    } else {
                        body = Some(self.expr(x)?);
                    }
                }
                ItemKind::Distribution { name, args, body: body.expect("body") }
            }
            Rule::protocol => {
                it.next();
                let name = self.ident(it.next().expect("name"));
                let mut cell = None;
                let mut body = Vec::new();
                for x in it {
                    if x.as_rule() == Rule::for_cell {
                        cell = Some(self.ident(last(x)));
                    } else {
                        body.push(self.protocol_entry(x)?);
                    }
                }
                ItemKind::Protocol { name, cell, body }
            }
            Rule::search => {
                it.next();
                let kind = self.ident(it.next().expect("kind"));
                let mut at = None;
                let mut body = Vec::new();
                for x in it {
                    match x.as_rule() {
                        Rule::k_at => {}
                        Rule::block => body = self.block(x)?,
                        _ => at = Some(self.expr(x)?),
                    }
                }
                ItemKind::Search { kind, at, body }
            }
            Rule::settings => {
                let mut entries = Vec::new();
                let mut efel = Vec::new();
                for x in it.skip(1) {
                    match x.as_rule() {
                        Rule::efel => efel.push(self.block(last(x))?),
                        _ => entries.push(self.entry(x)?),
                    }
                }
                ItemKind::Settings { entries, efel }
            }
            Rule::global => {
                it.next();
                let mechanism = self.ident(it.next().expect("mechanism"));
                let entries = self.block(it.next().expect("block"))?;
                ItemKind::Global { mechanism, entries }
            }
            Rule::planned => {
                let kw = it.next().expect("keyword");
                ItemKind::Planned { keyword: self.ident(kw) }
            }
            _ => {
                return Err(Diagnostic::error(codes::SYNTAX, "unexpected item").with_primary(span, "here"));
            }
        };
        Ok(Item { kind, span })
    }
}

impl Builder {
    fn string(&self, p: Pair<'_, Rule>) -> Str {
        let span = self.span(&p);
        let inner = p.into_inner().next().map(|i| i.as_str()).unwrap_or("");
        let mut value = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n') => value.push('\n'),
                    Some('t') => value.push('\t'),
                    Some(o) => value.push(o),
                    None => {}
                }
            } else {
                value.push(c);
            }
        }
        Str { value, span }
    }

    fn block(&self, p: Pair<'_, Rule>) -> R<Vec<Entry>> {
        p.into_inner().map(|e| self.entry(e)).collect()
    }

    fn entry(&self, p: Pair<'_, Rule>) -> R<Entry> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let key = self.ident(it.next().expect("key"));
        let value = self.expr(it.next().expect("value"))?;
        let std = match it.next() {
            Some(x) => Some(self.expr(x)?),
            None => None,
        };
        Ok(Entry { key, value, std, span })
    }

    fn region(&self, p: Pair<'_, Rule>) -> R<Expr> {
        self.expr(last(p))
    }

    fn cell_entry(&self, p: Pair<'_, Rule>) -> R<CellEntry> {
        let span = self.span(&p);
        let rule = p.as_rule();
        if rule == Rule::entry {
            return Ok(CellEntry::Entry(self.entry(p)?));
        }
        let mut it = p.into_inner();
        it.next();
        let name = self.ident(it.next().expect("name"));
        Ok(match rule {
            Rule::region_def => CellEntry::Region { name, value: self.expr(it.next().expect("value"))? },
            Rule::location_def => CellEntry::Location { name, value: self.expr(it.next().expect("value"))? },
            Rule::insert => {
                let mut region = None;
                let mut params = Vec::new();
                for x in it {
                    match x.as_rule() {
                        Rule::on_region => region = Some(self.region(x)?),
                        _ => params = self.block(x)?,
                    }
                }
                CellEntry::Insert { mechanism: name, region, params, span }
            }
            Rule::set => {
                let value = self.expr(it.next().expect("value"))?;
                let region = match it.next() {
                    Some(x) => Some(self.region(x)?),
                    None => None,
                };
                CellEntry::Set { name, value, region }
            }
            _ => CellEntry::Ion { name, entries: self.block(it.next().expect("block"))? },
        })
    }

    fn protocol_entry(&self, p: Pair<'_, Rule>) -> R<ProtocolEntry> {
        let span = self.span(&p);
        let rule = p.as_rule();
        match rule {
            Rule::entry => return Ok(ProtocolEntry::Entry(self.entry(p)?)),
            Rule::efel => return Ok(ProtocolEntry::Efel(self.block(last(p))?)),
            _ => {}
        }
        let mut it = p.into_inner();
        it.next();
        Ok(match rule {
            Rule::stimulus => {
                let kind = self.ident(it.next().expect("kind"));
                it.next();
                let at = self.expr(it.next().expect("location"))?;
                let entries = self.block(it.next().expect("block"))?;
                ProtocolEntry::Stimulus { kind, at, entries, span }
            }
            Rule::record => {
                let name = self.ident(it.next().expect("name"));
                let variable = self.expr(it.next().expect("variable"))?;
                it.next();
                let at = self.expr(it.next().expect("location"))?;
                ProtocolEntry::Record { name, variable, at }
            }
            _ => {
                let recording = self.ident(it.next().expect("recording"));
                let feature = self.ident(it.next().expect("feature"));
                let mean = self.expr(it.next().expect("mean"))?;
                let std = self.expr(it.next().expect("std"))?;
                let settings = match it.next() {
                    Some(b) => self.block(b)?,
                    None => vec![],
                };
                ProtocolEntry::Feature { recording, feature, mean, std, settings, span }
            }
        })
    }

    fn statement(&self, p: Pair<'_, Rule>) -> R<Statement> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let mut it = p.into_inner();
        it.next();
        Ok(match rule {
            Rule::simulate => Statement::Simulate { protocols: it.map(|x| self.ident(x)).collect(), span },
            Rule::evaluate => Statement::Evaluate { protocols: it.map(|x| self.ident(x)).collect(), span },
            _ => {
                let param = self.ident(it.next().expect("param"));
                let v = it.next().expect("values");
                let values = if v.as_rule() == Rule::sweep_list {
                    SweepValues::List(self.expr(last(v))?)
                } else {
                    let xs: Vec<Pair<'_, Rule>> =
                        v.into_inner().filter(|x| x.as_rule() == Rule::expr).collect();
                    let mut xs = xs.into_iter();
                    SweepValues::Range {
                        from: self.expr(xs.next().expect("from"))?,
                        to: self.expr(xs.next().expect("to"))?,
                        by: self.expr(xs.next().expect("by"))?,
                    }
                };
                let mut body = Vec::new();
                for x in it {
                    body.push(self.statement(x)?);
                }
                Statement::Sweep { param, values: Box::new(values), body, span }
            }
        })
    }

    fn expr(&self, p: Pair<'_, Rule>) -> R<Expr> {
        let span = self.span(&p);
        match p.as_rule() {
            Rule::expr | Rule::paren => self.expr(p.into_inner().next().expect("inner")),
            Rule::or_expr | Rule::and_expr | Rule::sum | Rule::product => {
                let mut it = p.into_inner();
                let mut lhs = self.expr(it.next().expect("operand"))?;
                let mut chain = 0;
                while let Some(op) = it.next() {
                    chain += 1;
                    if chain > MAX_CHAIN {
                        return Err(Diagnostic::error(
                            codes::TOO_DEEP,
                            format!("more than {MAX_CHAIN} operators in one expression"),
                        )
                        .with_primary(self.span(&op), "here")
                        .with_hint("split the expression, e.g. with a distribution or a parameter"));
                    }
                    let rhs = self.expr(it.next().expect("operand"))?;
                    let op = match op.as_str().trim() {
                        "|" => BinOp::Union,
                        "&" => BinOp::Intersect,
                        "+" => BinOp::Add,
                        "-" => BinOp::Sub,
                        "*" => BinOp::Mul,
                        "/" => BinOp::Div,
                        other => {
                            return Err(Diagnostic::error(
                                codes::SYNTAX,
                                format!("unknown operator `{other}`"),
                            )
                            .with_primary(self.span(&op), "here"))
                        }
                    };
                    let span = lhs.span.to(rhs.span);
                    lhs = Expr { kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)), span };
                }
                Ok(lhs)
            }
            Rule::cmp_expr => {
                let mut it = p.into_inner();
                let lhs = self.expr(it.next().expect("operand"))?;
                let Some(op) = it.next() else { return Ok(lhs) };
                let rhs = self.expr(it.next().expect("operand"))?;
                let op = match op.as_str().trim() {
                    "<" => BinOp::Lt,
                    "<=" => BinOp::Le,
                    ">" => BinOp::Gt,
                    ">=" => BinOp::Ge,
                    "==" => BinOp::Eq,
                    _ => BinOp::Ne,
                };
                Ok(Expr { kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)), span })
            }
            Rule::unary => {
                let parts: Vec<Pair<'_, Rule>> = p.into_inner().collect();
                let (negs, rest) = parts.split_at(parts.len() - 1);
                let mut e = self.expr(rest[0].clone())?;
                for n in negs.iter().rev() {
                    let s = self.span(n).to(e.span);
                    e = Expr { kind: ExprKind::Neg(Box::new(e)), span: s };
                }
                Ok(e)
            }
            Rule::power => {
                let mut it = p.into_inner();
                let base = self.expr(it.next().expect("base"))?;
                match it.next() {
                    None => Ok(base),
                    Some(x) => {
                        let exp = self.expr(x)?;
                        Ok(Expr { kind: ExprKind::Binary(BinOp::Pow, Box::new(base), Box::new(exp)), span })
                    }
                }
            }
            Rule::postfix => {
                let mut it = p.into_inner();
                let mut e = self.expr(it.next().expect("primary"))?;
                for s in it {
                    let sspan = e.span.to(self.span(&s));
                    e = match s.as_rule() {
                        Rule::call_args => {
                            let mut args = Vec::new();
                            for a in s.into_inner() {
                                let mut ai = a.into_inner();
                                let first = ai.next().expect("arg");
                                let arg = if first.as_rule() == Rule::ident {
                                    let name = self.ident(first);
                                    Arg { name: Some(name), value: self.expr(ai.next().expect("value"))? }
                                } else {
                                    Arg { name: None, value: self.expr(first)? }
                                };
                                args.push(arg);
                            }
                            Expr { kind: ExprKind::Call(Box::new(e), args), span: sspan }
                        }
                        Rule::index => {
                            let i = self.expr(last(s))?;
                            Expr { kind: ExprKind::Index(Box::new(e), Box::new(i)), span: sspan }
                        }
                        _ => {
                            let f = self.ident(last(s));
                            Expr { kind: ExprKind::Field(Box::new(e), f), span: sspan }
                        }
                    };
                }
                Ok(e)
            }
            Rule::list => {
                let items = p.into_inner().map(|x| self.expr(x)).collect::<R<Vec<_>>>()?;
                Ok(Expr { kind: ExprKind::List(items), span })
            }
            Rule::name => Ok(Expr { kind: ExprKind::Name(p.as_str().to_string()), span }),
            Rule::string => {
                let s = self.string(p);
                Ok(Expr { kind: ExprKind::Str(s.value), span })
            }
            Rule::quantity => {
                let mut it = p.into_inner();
                let num = it.next().expect("number");
                let text = num.as_str();
                let value: f64 = text.parse().map_err(|_| {
                    Diagnostic::error(codes::SYNTAX, format!("malformed number `{text}`"))
                        .with_primary(self.span(&num), "here")
                })?;
                if !value.is_finite() {
                    return Err(Diagnostic::error(
                        codes::OUT_OF_RANGE,
                        format!("number `{text}` is too large"),
                    )
                    .with_primary(self.span(&num), "not a finite double"));
                }
                let unit = it.next().map(|u| (u.as_str().to_string(), self.span(&u)));
                Ok(Expr { kind: ExprKind::Number { value, unit }, span })
            }
            r => {
                Err(Diagnostic::error(codes::SYNTAX, format!("unexpected {r:?}")).with_primary(span, "here"))
            }
        }
    }
}

fn last(p: Pair<'_, Rule>) -> Pair<'_, Rule> {
    p.into_inner().last().expect("inner pair")
}
