//! The checker: from the syntax tree to the [`Model`], reporting every problem it finds (names,
//! units, ranges, morphology locations) with a code, a label and a hint.
//!
//! Use: [`mechanism_sources`] first (the caller loads those mechanisms and describes them in an
//! [`Environment`]), then [`check`].

mod cell;
mod protocol;
pub(crate) mod quantities;

use super::ast::{self, Entry, Expr, ExprKind, ItemKind, MechSource, Recipe};
use super::codes;
use super::env::Environment;
use super::expr::Term;
use super::model::{self, MechanismSources, Model, SettingValue};
use crate::diag::{Diagnostic, Span};
use crate::units::Unit;
use quantities::{Expect, Scope};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// A parameter while checking.
#[derive(Debug, Clone)]
pub(crate) struct CParam {
    pub name: String,
    pub unit: Unit,
    pub unit_text: String,
    pub value: Option<f64>,
    pub bounds: Option<(f64, f64)>,
    pub span: Span,
}

/// A distribution while checking.
#[derive(Debug, Clone)]
pub(crate) struct CDist {
    pub name: String,
    pub args: Vec<String>,
    pub body: Expr,
}

/// A morphology item while checking.
#[derive(Debug, Clone)]
pub(crate) struct CMorph {
    pub name: String,
    pub source: Expr,
    pub options: Vec<Entry>,
}

/// State of one check.
pub(crate) struct Checker<'a> {
    pub env: &'a dyn Environment,
    pub base: PathBuf,
    pub diags: Vec<Diagnostic>,
    pub params: Vec<CParam>,
    pub used_params: BTreeSet<usize>,
    pub distributions: Vec<CDist>,
    pub morphologies: Vec<CMorph>,
    pub segment_terms: Vec<Term>,
    /// Items that did not parse: their names are not reported as unknown.
    pub broken: Vec<(String, String)>,
    /// Distribution calls expanded so far (bounded: expansions can grow exponentially).
    pub expansions: usize,
    /// Protocols with `feature` entries as written (some may have been dropped for errors).
    pub with_features: Vec<String>,
}

/// The mechanism sources a recipe names (paths relative to `base`, the recipe's directory).
/// Without a `mechanisms` item, Myelin's own catalogue. Problems (a second `mechanisms` item, a
/// path that does not exist) are added to `diags`.
pub fn mechanism_sources(recipe: &Recipe, base: &Path, diags: &mut Vec<Diagnostic>) -> MechanismSources {
    let mut out = MechanismSources::default();
    let mut seen: Option<Span> = None;
    for item in &recipe.items {
        let ItemKind::Mechanisms(list) = &item.kind else { continue };
        if let Some(first) = seen {
            diags.push(
                Diagnostic::error(codes::REPEATED_ITEM, "`mechanisms` is given twice")
                    .with_primary(item.span, "second one")
                    .with_secondary(first, "first one")
                    .with_hint("list every source in one `mechanisms { … }` item"),
            );
            continue;
        }
        seen = Some(item.span);
        for s in list {
            match s {
                MechSource::Builtin(_) => out.builtin = true,
                MechSource::Mod(p) | MechSource::Aot(p) => {
                    let path = base.join(&p.value);
                    let aot = matches!(s, MechSource::Aot(_));
                    if !path.exists() {
                        diags.push(
                            Diagnostic::error(codes::MECH_SOURCE, format!("`{}` does not exist", p.value))
                                .with_primary(p.span, "no such file or directory")
                                .with_hint(format!(
                                    "paths are relative to the recipe's directory ({})",
                                    shown_dir(base)
                                )),
                        );
                    } else if aot && !path.join(crate::aot::CATALOGUE_FILE).is_file() {
                        diags.push(
                            Diagnostic::error(
                                codes::MECH_SOURCE,
                                format!("`{}` is not an artifact directory", p.value),
                            )
                            .with_primary(p.span, format!("no {} in it", crate::aot::CATALOGUE_FILE))
                            .with_hint("make one with `myelin build FILES -o DIR`"),
                        );
                    } else if aot {
                        out.aot.push(path);
                    } else {
                        out.mods.push(path);
                    }
                }
            }
        }
    }
    if seen.is_none() {
        out.builtin = true;
    }
    out
}

/// Checks a parsed recipe. `base` is the recipe's directory (relative paths start there).
/// Returns the model when there are no errors, and every diagnostic (warnings included).
pub fn check(recipe: &Recipe, base: &Path, env: &dyn Environment) -> (Option<Model>, Vec<Diagnostic>) {
    let mut c = Checker {
        env,
        base: base.to_path_buf(),
        diags: Vec::new(),
        params: Vec::new(),
        used_params: BTreeSet::new(),
        distributions: Vec::new(),
        morphologies: Vec::new(),
        segment_terms: Vec::new(),
        broken: recipe.broken.clone(),
        expansions: 0,
        with_features: Vec::new(),
    };
    let mut model = Model { sources: mechanism_sources(recipe, base, &mut Vec::new()), ..Model::default() };
    c.declarations(recipe);
    model.settings = c.settings(recipe);
    model.cells = c.cells(recipe);
    model.protocols = c.protocols(recipe, &model.cells);
    model.search = c.search(recipe, &model.cells, &model.protocols);
    model.globals = c.globals(recipe);
    model.statements = c.statements(recipe, &model.protocols);
    model.segment_terms = std::mem::take(&mut c.segment_terms);
    for s in &model.statements {
        c.values_needed(&model, s, &[]);
    }
    // Unused parameters are not reported next to errors: the item that used one may be broken.
    let errors = c.diags.iter().any(Diagnostic::is_error) || !c.broken.is_empty();
    for (i, p) in c.params.iter().enumerate() {
        if !c.used_params.contains(&i) && !errors {
            c.diags.push(
                Diagnostic::warning(codes::UNUSED_PARAM, format!("parameter `{}` is not used", p.name))
                    .with_primary(p.span, "defined here")
                    .with_hint("use it in a value, or remove it"),
            );
        }
    }
    model.params = c
        .params
        .iter()
        .map(|p| model::Param {
            name: p.name.clone(),
            unit: p.unit_text.clone(),
            value: p.value,
            bounds: p.bounds,
            span: p.span,
        })
        .collect();
    let failed = c.diags.iter().any(Diagnostic::is_error);
    (if failed { None } else { Some(model) }, c.diags)
}

/// A directory as shown in hints (`.` for the current one).
pub(crate) fn shown_dir(d: &Path) -> String {
    if d.as_os_str().is_empty() {
        ".".into()
    } else {
        d.display().to_string()
    }
}

/// The unit text of a constant expression as written, if it is one quantity (`0.1 S/cm2`).
fn written_unit(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Number { unit, .. } => Some(unit.as_ref().map(|(u, _)| u.clone()).unwrap_or_default()),
        ExprKind::Neg(a) => written_unit(a),
        _ => None,
    }
}

impl Checker<'_> {
    pub(crate) fn diag(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// True when an item `keyword name` failed to parse (its errors are already reported).
    pub(crate) fn broken(&self, keyword: &str, name: &str) -> bool {
        self.broken.iter().any(|(k, n)| k == keyword && n == name)
    }

    pub(crate) fn param_index(&self, name: &str) -> Option<usize> {
        self.params.iter().position(|p| p.name == name)
    }

    /// Parameters, distributions and morphologies: names usable anywhere in the recipe.
    fn declarations(&mut self, recipe: &Recipe) {
        let mut names: Vec<(String, Span, &'static str)> = Vec::new();
        let mut declare = |c: &mut Checker<'_>, name: &ast::Ident, what: &'static str| -> bool {
            if let Some((_, first, w)) = names.iter().find(|(n, _, w)| {
                n == &name.name && (*w == what || what != "morphology" && *w != "morphology")
            }) {
                c.diag(
                    Diagnostic::error(codes::DUPLICATE, format!("`{}` is defined twice", name.name))
                        .with_primary(name.span, format!("a second {what}"))
                        .with_secondary(*first, format!("first defined here as a {w}"))
                        .with_hint("give it another name"),
                );
                return false;
            }
            names.push((name.name.clone(), name.span, what));
            true
        };
        for item in &recipe.items {
            match &item.kind {
                ItemKind::Param { name, value, bounds } => {
                    if !declare(self, name, "parameter") {
                        continue;
                    }
                    if super::expr::GeomVar::from_name(&name.name).is_some()
                        || matches!(name.name.as_str(), "holding_current" | "threshold_current" | "pi")
                    {
                        self.diag(
                            Diagnostic::error(
                                codes::DUPLICATE,
                                format!("`{}` is a built-in name", name.name),
                            )
                            .with_primary(name.span, "cannot be a parameter")
                            .with_hint("give the parameter another name"),
                        );
                        continue;
                    }
                    self.param(name, value.as_ref(), bounds.as_ref());
                }
                ItemKind::Distribution { name, args, body } => {
                    if !declare(self, name, "distribution") {
                        continue;
                    }
                    for (i, a) in args.iter().enumerate() {
                        if args[..i].iter().any(|b| b.name == a.name) {
                            self.diag(
                                Diagnostic::error(
                                    codes::DUPLICATE,
                                    format!("argument `{}` is given twice", a.name),
                                )
                                .with_primary(a.span, "again"),
                            );
                        }
                    }
                    self.distributions.push(CDist {
                        name: name.name.clone(),
                        args: args.iter().map(|a| a.name.clone()).collect(),
                        body: body.clone(),
                    });
                }
                ItemKind::Morphology { name, source, options } if declare(self, name, "morphology") => {
                    self.morphologies.push(CMorph {
                        name: name.name.clone(),
                        source: source.clone(),
                        options: options.clone(),
                    });
                }
                ItemKind::Planned { keyword } => {
                    self.diag(
                        Diagnostic::error(
                            codes::PLANNED,
                            format!("`{}` is planned but not yet available", keyword.name),
                        )
                        .with_primary(keyword.span, "not yet available")
                        .with_hint(
                            "see \"Planned statements\" in docs/recipe.md; remove the item to run the recipe",
                        ),
                    );
                }
                _ => {}
            }
        }
    }

    fn param(&mut self, name: &ast::Ident, value: Option<&Expr>, bounds: Option<&(Expr, Expr)>) {
        if value.is_none() && bounds.is_none() {
            self.diag(
                Diagnostic::error(
                    codes::NO_VALUE,
                    format!("parameter `{}` has neither a value nor bounds", name.name),
                )
                .with_primary(name.span, "no value")
                .with_hint(
                    "write `param NAME = VALUE`, or `param NAME in [LOWER, UPPER]` for a free parameter",
                ),
            );
            self.broken.push(("param".into(), name.name.clone()));
            return;
        }
        // The parameter's unit is the unit written with its value (or lower bound).
        let first = value.or(bounds.map(|b| &b.0)).expect("value or bounds");
        let unit_text = written_unit(first).unwrap_or_default();
        let n_before = self.diags.len();
        let typed = self.typed(first, Scope::CONST, &mut Vec::new(), 0);
        let Some(typed) = typed else {
            // Dropped for its own errors: later uses are not reported again (nor read as units).
            self.broken.push(("param".into(), name.name.clone()));
            return;
        };
        // The unit as written (`S/cm2`, `1/um`) when there is one; otherwise the value is kept in
        // base units (plain numbers for dimensionless values).
        let (unit, unit_text) = match typed.text.clone() {
            Some(t) if !t.is_empty() => (typed.unit, t),
            _ if !unit_text.is_empty()
                && quantities::dim_of(&unit_text.replace('*', "-")) == typed.unit.dim =>
            {
                (typed.unit, unit_text)
            }
            _ => {
                let base = Unit { scale: 1.0, dim: typed.unit.dim };
                (base, if base.dim.is_none() { String::new() } else { base.dim.to_string() })
            }
        };
        let as_own = |c: &mut Checker<'_>, e: &Expr, what: &str| -> Option<f64> {
            let t = c.typed(e, Scope::CONST, &mut Vec::new(), 0)?;
            if t.unit.dim != unit.dim {
                c.diag(
                    Diagnostic::error(
                        codes::UNIT_MISMATCH,
                        format!("the {what} of `{}` must have the unit of its first value", name.name),
                    )
                    .with_primary(e.span, format!("this is {}", quantities::describe(&t)))
                    .with_secondary(first.span, "the parameter's unit is set here"),
                );
                return None;
            }
            t.term.scaled(t.unit.scale / unit.scale).folded().constant()
        };
        let value_v = match value {
            Some(v) => as_own(self, v, "value"),
            None => None,
        };
        let bounds_v = match bounds {
            Some((lo, hi)) => match (as_own(self, lo, "lower bound"), as_own(self, hi, "upper bound")) {
                (Some(a), Some(b)) => {
                    if a > b {
                        self.diag(
                            Diagnostic::error(
                                codes::BAD_BOUNDS,
                                format!("bounds of `{}` are inverted", name.name),
                            )
                            .with_primary(lo.span.to(hi.span), format!("lower {a} > upper {b}"))
                            .with_hint("write `in [LOWER, UPPER]` with LOWER ≤ UPPER"),
                        );
                        None
                    } else {
                        if let (Some(v), Some(e)) = (value_v, value) {
                            if v < a || v > b {
                                self.diag(
                                    Diagnostic::error(
                                        codes::BAD_BOUNDS,
                                        format!("the value of `{}` is outside its bounds", name.name),
                                    )
                                    .with_primary(e.span, format!("{v} is not in [{a}, {b}]")),
                                );
                            }
                        }
                        Some((a, b))
                    }
                }
                _ => None,
            },
            None => None,
        };
        if self.diags.len() > n_before {
            self.broken.push(("param".into(), name.name.clone()));
            return;
        }
        self.params.push(CParam {
            name: name.name.clone(),
            unit,
            unit_text,
            value: value_v,
            bounds: bounds_v,
            span: name.span,
        });
    }

    /// Checks the keys of a block: reports unknown and repeated keys; returns the entries in
    /// order (each key once).
    pub(crate) fn keys<'e>(&mut self, entries: &'e [Entry], known: &[&str], what: &str) -> Vec<&'e Entry> {
        let mut out: Vec<&Entry> = Vec::new();
        for e in entries {
            if !known.contains(&e.key.name.as_str()) {
                let hint = super::suggest::hint(&e.key.name, "keys", known.iter().copied());
                self.diag(
                    Diagnostic::error(codes::UNKNOWN_KEY, format!("{what} has no setting `{}`", e.key.name))
                        .with_primary(e.key.span, "unknown key")
                        .with_hint(hint),
                );
                continue;
            }
            if let Some(first) = out.iter().find(|x| x.key.name == e.key.name) {
                self.diag(
                    Diagnostic::error(codes::DUPLICATE, format!("`{}` is set twice", e.key.name))
                        .with_primary(e.key.span, "again")
                        .with_secondary(first.key.span, "first set here"),
                );
                continue;
            }
            if let (Some(std), false) = (&e.std, e.key.name == "score") {
                self.diag(
                    Diagnostic::error(
                        codes::SYNTAX,
                        format!("`{}` takes one value, not `mean +- std`", e.key.name),
                    )
                    .with_primary(std.span, "unexpected spread"),
                );
            }
            out.push(e);
        }
        out
    }

    /// Reports a missing key.
    pub(crate) fn missing(&mut self, span: Span, key: &str, what: &str, example: &str) {
        self.diag(
            Diagnostic::error(codes::MISSING_KEY, format!("{what} needs `{key}`"))
                .with_primary(span, format!("`{key}` is missing"))
                .with_hint(format!("add e.g. `{key} = {example}`")),
        );
    }

    /// A name from a fixed set (e.g. `backward_euler`).
    pub(crate) fn choice<'c>(&mut self, e: &Expr, choices: &[&'c str], what: &str) -> Option<&'c str> {
        let name = match &e.kind {
            ExprKind::Name(n) => n.as_str(),
            ExprKind::Str(s) => s.as_str(),
            _ => "",
        };
        if let Some(c) = choices.iter().find(|c| **c == name) {
            return Some(c);
        }
        let hint = super::suggest::hint(name, "choices", choices.iter().copied());
        self.diag(
            Diagnostic::error(codes::WRONG_KIND, format!("{what} must be one of {}", choices.join(", ")))
                .with_primary(e.span, "not one of the choices")
                .with_hint(hint),
        );
        None
    }

    /// A whole number ≥ `min` (dimensionless).
    pub(crate) fn count(&mut self, e: &Expr, what: &str, min: f64) -> Option<u32> {
        let v = self.constant(e, Expect { unit: "", what })?;
        if v.fract() != 0.0 || v < min || v > u32::MAX as f64 {
            self.diag(
                Diagnostic::error(codes::OUT_OF_RANGE, format!("{what} must be a whole number ≥ {min}"))
                    .with_primary(e.span, format!("{v}")),
            );
            return None;
        }
        Some(v as u32)
    }

    /// A positive constant in the expected unit.
    pub(crate) fn positive(&mut self, e: &Expr, expect: Expect<'_>) -> Option<f64> {
        let v = self.constant(e, expect)?;
        if v.is_nan() || v <= 0.0 {
            self.diag(
                Diagnostic::error(codes::OUT_OF_RANGE, format!("{} must be positive", expect.what))
                    .with_primary(e.span, format!("{v} {}", expect.unit)),
            );
            return None;
        }
        Some(v)
    }

    /// A boolean (`true`/`false`).
    pub(crate) fn boolean(&mut self, e: &Expr, what: &str) -> Option<bool> {
        self.choice(e, &["true", "false"], what).map(|c| c == "true")
    }

    fn settings(&mut self, recipe: &Recipe) -> model::Settings {
        let mut s = model::Settings::default();
        let mut seen: Option<Span> = None;
        for item in &recipe.items {
            let ItemKind::Settings { entries, efel } = &item.kind else { continue };
            if let Some(first) = seen {
                self.diag(
                    Diagnostic::error(codes::REPEATED_ITEM, "`settings` is given twice")
                        .with_primary(item.span, "second one")
                        .with_secondary(first, "first one")
                        .with_hint("put every setting in one `settings { … }` item"),
                );
                continue;
            }
            seen = Some(item.span);
            let known = ["celsius", "v_init", "dt", "method", "record_dt", "seed", "scores"];
            for e in self.keys(entries, &known, "`settings`") {
                let v = &e.value;
                match e.key.name.as_str() {
                    "celsius" => {
                        if let Some(t) = self.temperature(v) {
                            s.celsius = t;
                        }
                    }
                    "v_init" => {
                        if let Some(t) =
                            self.quantity(v, Expect { unit: "mV", what: "`v_init`" }, Scope::PARAMS)
                        {
                            s.v_init = t;
                        }
                    }
                    "dt" => {
                        if let Some(x) = self.positive(v, Expect { unit: "ms", what: "`dt`" }) {
                            s.dt = x;
                        }
                    }
                    "record_dt" => s.record_dt = self.positive(v, Expect { unit: "ms", what: "`record_dt`" }),
                    "seed" => {
                        if let Some(x) = self.count(v, "`seed`", 0.0) {
                            s.seed = x as u64;
                        }
                    }
                    "method" => match self.choice(v, &["backward_euler", "crank_nicolson"], "`method`") {
                        Some("crank_nicolson") => s.method = model::Method::CrankNicolson,
                        Some(_) => s.method = model::Method::BackwardEuler,
                        None => {}
                    },
                    _ => match self.choice(v, &["bluepyopt", "bluepyemodel"], "`scores`") {
                        Some("bluepyemodel") => s.scores = model::ScoreRule::BluePyEModel,
                        Some(_) => s.scores = model::ScoreRule::BluePyOpt,
                        None => {}
                    },
                }
            }
            for block in efel {
                let set = self.efel_settings(block, false);
                s.efel.extend(set);
            }
        }
        if let Some(r) = s.record_dt {
            let k = (r / s.dt).round();
            if k < 1.0 || (k * s.dt - r).abs() > 1e-9 * r {
                let span = recipe
                    .items
                    .iter()
                    .find_map(|i| match &i.kind {
                        ItemKind::Settings { entries, .. } => {
                            entries.iter().find(|e| e.key.name == "record_dt").map(|e| e.value.span)
                        }
                        _ => None,
                    })
                    .unwrap_or_default();
                self.diag(
                    Diagnostic::error(codes::OUT_OF_RANGE, "`record_dt` must be a whole multiple of `dt`")
                        .with_primary(span, format!("{r} ms is not a multiple of {} ms", s.dt)),
                );
            }
        }
        s
    }

    /// A temperature in °C (`34 degC`; kelvin is converted).
    pub(crate) fn temperature(&mut self, e: &Expr) -> Option<Term> {
        let t = self.typed(e, Scope::PARAMS, &mut Vec::new(), 0)?;
        let is_kelvin = matches!(&t.text, Some(u) if u == "K" || u == "kelvin");
        let term = self.convert(t, e.span, Expect { unit: "degC", what: "a temperature" })?;
        Some(if is_kelvin {
            Term::bin(super::expr::Op::Sub, term, Term::Const(273.15)).folded()
        } else {
            term
        })
    }

    /// eFEL settings of a block (`efel { … }` or a feature's own); `weight` is allowed for
    /// features and returned under that name.
    pub(crate) fn efel_settings(&mut self, entries: &[Entry], feature: bool) -> Vec<(String, SettingValue)> {
        let mut out = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for e in entries {
            let name = e.key.name.as_str();
            if seen.contains(&name) {
                self.diag(
                    Diagnostic::error(codes::DUPLICATE, format!("`{name}` is set twice"))
                        .with_primary(e.key.span, "again"),
                );
                continue;
            }
            seen.push(name);
            if name == "weight" && feature {
                if let Some(w) = self.constant(&e.value, Expect { unit: "", what: "`weight`" }) {
                    out.push((name.to_string(), SettingValue::Number(w)));
                }
                continue;
            }
            let Some((_, kind)) = EFEL_SETTINGS.iter().find(|(n, _)| *n == name) else {
                let hint = super::suggest::hint(name, "eFEL settings", EFEL_SETTINGS.iter().map(|(n, _)| *n));
                self.diag(
                    Diagnostic::warning(
                        codes::IGNORED_SETTING,
                        format!("`{name}` is not an eFEL setting Myelin uses"),
                    )
                    .with_primary(e.key.span, "ignored")
                    .with_hint(hint),
                );
                continue;
            };
            let what = format!("eFEL setting `{name}`");
            let v = match kind {
                SettingKind::Unit(u) => {
                    self.constant(&e.value, Expect { unit: u, what: &what }).map(SettingValue::Number)
                }
                SettingKind::Count => {
                    self.count(&e.value, &what, 0.0).map(|n| SettingValue::Number(n as f64))
                }
                SettingKind::Bool => self.boolean(&e.value, &what).map(SettingValue::Bool),
                SettingKind::Text(choices) => {
                    self.choice(&e.value, choices, &what).map(|c| SettingValue::Text(c.to_string()))
                }
            };
            if let Some(v) = v {
                out.push((name.to_string(), v));
            }
        }
        out
    }
}

/// The kind of value an eFEL setting takes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SettingKind {
    /// A quantity in this unit (empty: dimensionless).
    Unit(&'static str),
    /// A whole number.
    Count,
    /// true / false.
    Bool,
    /// One of these words.
    Text(&'static [&'static str]),
}

/// eFEL settings Myelin's features read, with their units.
pub(crate) const EFEL_SETTINGS: &[(&str, SettingKind)] = &[
    ("stim_start", SettingKind::Unit("ms")),
    ("stim_end", SettingKind::Unit("ms")),
    ("Threshold", SettingKind::Unit("mV")),
    ("DerivativeThreshold", SettingKind::Unit("mV/ms")),
    ("DownDerivativeThreshold", SettingKind::Unit("mV/ms")),
    ("DerivativeWindow", SettingKind::Count),
    ("interp_step", SettingKind::Unit("ms")),
    ("strict_stiminterval", SettingKind::Bool),
    ("voltage_base_start_perc", SettingKind::Unit("")),
    ("voltage_base_end_perc", SettingKind::Unit("")),
    ("voltage_base_mode", SettingKind::Text(&["mean", "median"])),
    ("precision_threshold", SettingKind::Unit("ms")),
    ("ignore_first_ISI", SettingKind::Bool),
    ("burst_factor", SettingKind::Unit("")),
    ("sahp_start", SettingKind::Unit("ms")),
    ("rise_start_perc", SettingKind::Unit("")),
    ("rise_end_perc", SettingKind::Unit("")),
    ("offset", SettingKind::Unit("ms")),
    ("decay_start_after_stim", SettingKind::Unit("ms")),
    ("decay_end_after_stim", SettingKind::Unit("ms")),
    ("stimulus_current", SettingKind::Unit("nA")),
];

impl Checker<'_> {
    /// `global MECHANISM { NAME = VALUE }` items.
    fn globals(&mut self, recipe: &Recipe) -> Vec<(String, String, Term)> {
        let mut out: Vec<(String, String, Term)> = Vec::new();
        for item in &recipe.items {
            let ItemKind::Global { mechanism, entries } = &item.kind else { continue };
            let Some(meta) = self.env.mechanism(&mechanism.name).cloned() else {
                let names = self.env.mechanism_names();
                let hint =
                    super::suggest::hint(&mechanism.name, "mechanisms", names.iter().map(String::as_str));
                self.diag(
                    Diagnostic::error(
                        codes::UNKNOWN_MECHANISM,
                        format!("unknown mechanism `{}`", mechanism.name),
                    )
                    .with_primary(mechanism.span, "no mechanism source provides it")
                    .with_hint(hint),
                );
                continue;
            };
            for e in entries {
                let Some(g) = meta.globals.iter().find(|g| g.name == e.key.name && g.settable) else {
                    let settable: Vec<&str> =
                        meta.globals.iter().filter(|g| g.settable).map(|g| g.name.as_str()).collect();
                    let hint = if meta.globals.iter().any(|g| g.name == e.key.name) {
                        format!("`{}` is computed by `{}`, not set", e.key.name, meta.name)
                    } else {
                        super::suggest::hint(
                            &e.key.name,
                            &format!("settable globals of `{}`", meta.name),
                            settable.iter().copied(),
                        )
                    };
                    self.diag(
                        Diagnostic::error(
                            codes::UNKNOWN_MECH_PARAM,
                            format!("`{}` is not a settable global of `{}`", e.key.name, meta.name),
                        )
                        .with_primary(e.key.span, "not settable")
                        .with_hint(hint),
                    );
                    continue;
                };
                if out.iter().any(|(m, n, _)| *m == meta.name && *n == g.name) {
                    self.diag(
                        Diagnostic::error(
                            codes::DUPLICATE,
                            format!("`{}` of `{}` is set twice", g.name, meta.name),
                        )
                        .with_primary(e.key.span, "again"),
                    );
                    continue;
                }
                let unit = g.units.trim().trim_start_matches('(').trim_end_matches(')').trim().to_string();
                let what = format!("`{}` of `{}`", g.name, meta.name);
                let term = if unit.is_empty() || crate::units::parse_unit(&unit).is_ok() {
                    self.quantity(&e.value, Expect { unit: &unit, what: &what }, Scope::PARAMS)
                } else {
                    self.typed(&e.value, Scope::PARAMS, &mut Vec::new(), 0).map(|t| t.term)
                };
                if let Some(t) = term {
                    out.push((meta.name.clone(), g.name.clone(), t));
                }
            }
        }
        out
    }

    fn statements(&mut self, recipe: &Recipe, protocols: &[model::Protocol]) -> Vec<model::Statement> {
        let mut out = Vec::new();
        for item in &recipe.items {
            if let ItemKind::Statement(s) = &item.kind {
                if let Some(s) = self.statement(s, protocols) {
                    out.push(s);
                }
            }
        }
        out
    }

    /// Reports the free parameters (bounds only) that statement `s` needs a value of: those of
    /// its protocols' cells, stimuli and durations, of the settings and of `global` items; a
    /// sweep gives its parameter a value (`given`).
    fn values_needed(&mut self, model: &Model, s: &model::Statement, given: &[usize]) {
        let (protocols, span, what) = match s {
            model::Statement::Simulate { protocols, span } => (protocols, *span, "simulate"),
            model::Statement::Evaluate { protocols, span } => (protocols, *span, "evaluate"),
            model::Statement::Sweep { param, body, .. } => {
                let mut g = given.to_vec();
                g.push(*param);
                for b in body {
                    self.values_needed(model, b, &g);
                }
                return;
            }
        };
        let mut used = Vec::new();
        model.settings.celsius.params(&mut used);
        model.settings.v_init.params(&mut used);
        for (_, _, t) in &model.globals {
            t.params(&mut used);
        }
        for &pi in protocols {
            let p = &model.protocols[pi];
            p.duration.params(&mut used);
            if let Some(dt) = &p.dt {
                dt.params(&mut used);
            }
            for st in &p.stimuli {
                for t in st.kind.terms() {
                    t.params(&mut used);
                }
            }
            let cell = &model.cells[p.cell];
            cell.cm.params(&mut used);
            cell.ra.params(&mut used);
            if let Some(v) = &cell.v_init {
                v.params(&mut used);
            }
            for ps in &cell.properties {
                ps.value.params(&mut used);
            }
            for ins in &cell.insertions {
                for (_, v) in &ins.params {
                    match v {
                        model::Value::Uniform(t) => t.params(&mut used),
                        model::Value::Segment(k) => model.segment_terms[*k].params(&mut used),
                    }
                }
            }
        }
        used.sort_unstable();
        let missing: Vec<&CParam> = used
            .iter()
            .filter(|i| !given.contains(i))
            .map(|&i| &self.params[i])
            .filter(|p| p.value.is_none())
            .collect();
        if missing.is_empty() {
            return;
        }
        let names: Vec<String> = missing.iter().map(|p| format!("`{}`", p.name)).collect();
        let mut d = Diagnostic::error(
            codes::NO_VALUE,
            format!(
                "`{what}` needs a value for the free parameter{} {}",
                if names.len() > 1 { "s" } else { "" },
                names.join(", ")
            ),
        )
        .with_primary(span, "cannot run without it");
        for p in &missing {
            d = d.with_secondary(p.span, "bounds only, no value");
        }
        let example = &missing[0].name;
        self.diag(d.with_hint(format!(
            "give it a value within its bounds, `param {example} = VALUE in [LOWER, UPPER]`, or sweep it"
        )));
    }

    fn protocol_refs(&mut self, names: &[ast::Ident], protocols: &[model::Protocol]) -> Option<Vec<usize>> {
        let mut out = Vec::new();
        let mut ok = true;
        for n in names {
            match protocols.iter().position(|p| p.name == n.name) {
                Some(i) => out.push(i),
                None if self.broken("protocol", &n.name) => ok = false,
                None => {
                    ok = false;
                    // Protocols with errors of their own are candidates too.
                    let names: Vec<&str> = protocols
                        .iter()
                        .map(|p| p.name.as_str())
                        .chain(self.broken.iter().filter(|(k, _)| k == "protocol").map(|(_, n)| n.as_str()))
                        .collect();
                    let hint = super::suggest::hint(&n.name, "protocols", names.iter().copied());
                    self.diag(
                        Diagnostic::error(codes::UNKNOWN_PROTOCOL, format!("unknown protocol `{}`", n.name))
                            .with_primary(n.span, "not a protocol of this recipe")
                            .with_hint(hint),
                    );
                }
            }
        }
        ok.then_some(out)
    }

    fn statement(&mut self, s: &ast::Statement, protocols: &[model::Protocol]) -> Option<model::Statement> {
        match s {
            ast::Statement::Simulate { protocols: names, span } => {
                let p = self.protocol_refs(names, protocols)?;
                Some(model::Statement::Simulate { protocols: p, span: *span })
            }
            ast::Statement::Evaluate { protocols: names, span } => {
                let p = if names.is_empty() {
                    let all: Vec<usize> =
                        (0..protocols.len()).filter(|&i| !protocols[i].features.is_empty()).collect();
                    if all.is_empty() && !self.with_features.is_empty() {
                        // Features were written, but dropped for their errors (reported).
                        return None;
                    }
                    if all.is_empty() {
                        self.diag(
                            Diagnostic::error(codes::STATEMENT, "`evaluate` has nothing to evaluate")
                                .with_primary(*span, "no protocol has features")
                                .with_hint("add `feature RECORDING NAME = MEAN +- STD` to a protocol"),
                        );
                        return None;
                    }
                    all
                } else {
                    let p = self.protocol_refs(names, protocols)?;
                    for (&i, n) in p.iter().zip(names) {
                        if protocols[i].features.is_empty() && !self.with_features.contains(&n.name) {
                            self.diag(
                                Diagnostic::error(
                                    codes::STATEMENT,
                                    format!("protocol `{}` has no features to evaluate", n.name),
                                )
                                .with_primary(n.span, "no features")
                                .with_hint("add features to it, or use `simulate` to only record traces"),
                            );
                        }
                    }
                    p
                };
                Some(model::Statement::Evaluate { protocols: p, span: *span })
            }
            ast::Statement::Sweep { param, values, body, span } => {
                let Some(pi) = self.param_index(&param.name) else {
                    if self.broken("param", &param.name) {
                        return None;
                    }
                    let hint = super::suggest::hint(
                        &param.name,
                        "parameters",
                        self.params.iter().map(|p| p.name.as_str()),
                    );
                    self.diag(
                        Diagnostic::error(
                            codes::UNKNOWN_NAME,
                            format!("`{}` is not a parameter", param.name),
                        )
                        .with_primary(param.span, "a sweep varies a parameter")
                        .with_hint(hint),
                    );
                    return None;
                };
                self.used_params.insert(pi);
                let p = self.params[pi].clone();
                let expect_unit = p.unit_text.replace('*', "-");
                let what = format!("a value of `{}`", p.name);
                let conv = |c: &mut Checker<'_>, e: &Expr| -> Option<f64> {
                    let t = c.typed(e, Scope::CONST, &mut Vec::new(), 0)?;
                    if t.unit.dim != p.unit.dim {
                        c.diag(
                            Diagnostic::error(
                                codes::UNIT_MISMATCH,
                                format!(
                                    "{what} must have the unit of `{}` ({})",
                                    p.name,
                                    if expect_unit.is_empty() { "dimensionless" } else { &expect_unit }
                                ),
                            )
                            .with_primary(e.span, format!("this is {}", quantities::describe(&t)))
                            .with_secondary(p.span, "the parameter"),
                        );
                        return None;
                    }
                    t.term.scaled(t.unit.scale / p.unit.scale).folded().constant()
                };
                let vals: Option<Vec<f64>> = match values.as_ref() {
                    ast::SweepValues::List(e) => match &e.kind {
                        ExprKind::List(items) if !items.is_empty() => {
                            let v: Vec<Option<f64>> = items.iter().map(|x| conv(self, x)).collect();
                            v.into_iter().collect()
                        }
                        _ => {
                            self.diag(
                                Diagnostic::error(
                                    codes::WRONG_KIND,
                                    "a sweep takes a non-empty list of values",
                                )
                                .with_primary(e.span, "not a list")
                                .with_hint("write `in [0.1 nA, 0.2 nA]` or `from 0 nA to 1 nA by 0.1 nA`"),
                            );
                            None
                        }
                    },
                    ast::SweepValues::Range { from, to, by } => {
                        let (a, b, d) = (conv(self, from), conv(self, to), conv(self, by));
                        match (a, b, d) {
                            (Some(a), Some(b), Some(d)) => {
                                let n = ((b - a) / d + 1e-9).floor();
                                if !(d != 0.0 && n.is_finite() && n >= 0.0) || n > 100_000.0 {
                                    self.diag(
                                        Diagnostic::error(codes::OUT_OF_RANGE, "the sweep range gives no values (or too many)")
                                            .with_primary(from.span.to(by.span), format!("from {a} to {b} by {d}"))
                                            .with_hint("the step must go from the first value towards the last (at most 100000 values)"),
                                    );
                                    None
                                } else {
                                    // a + k·d rounded to 13 significant digits, so that
                                    // `from 0 nA to 0.5 nA by 0.1 nA` gives 0.3, not
                                    // 0.30000000000000004.
                                    Some(
                                        (0..=n as usize)
                                            .map(|k| {
                                                let v = a + k as f64 * d;
                                                format!("{v:.12e}").parse().unwrap_or(v)
                                            })
                                            .collect(),
                                    )
                                }
                            }
                            _ => None,
                        }
                    }
                };
                let mut stmts = Vec::new();
                for b in body {
                    if let Some(s) = self.statement(b, protocols) {
                        stmts.push(s);
                    }
                }
                Some(model::Statement::Sweep { param: pi, values: vals?, body: stmts, span: *span })
            }
        }
    }
}
