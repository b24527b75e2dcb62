//! Semantic analysis of an NMODL module: the symbol table, the NEURON block's rules, name
//! resolution in every block, SOLVE targets and methods, and placement rules (LOCAL first in a
//! block, WATCH and FOR_NETCONS only in NET_RECEIVE, reactions only in KINETIC, …).
//!
//! The result, [`Mechanism`], is what the mechanism-IR lowering consumes: every name used in a
//! block resolves to a [`Symbol`] whose [`SymbolKind`] says where its value lives.

use super::ast::*;
use crate::diag::{Diagnostic, Span};
use std::collections::HashMap;

/// Where a variable of the mechanism lives.
#[derive(Debug, Clone, PartialEq)]
pub enum SymbolKind {
    /// PARAMETER: `range` when listed in RANGE (per instance), else one value per mechanism.
    Parameter {
        /// Default value.
        value: f64,
        /// Per instance.
        range: bool,
    },
    /// STATE, with its start value (`START` or 0).
    State {
        /// Start value (NEURON's `name0`).
        start: f64,
    },
    /// ASSIGNED: per instance unless listed GLOBAL.
    Assigned {
        /// Per instance.
        range: bool,
    },
    /// CONSTANT.
    Constant(f64),
    /// A UNITS-block factor (value from the units database, when known).
    UnitFactor(Option<f64>),
    /// A DEFINE'd integer.
    Define(f64),
    /// One of NEURON's special variables.
    Special(Special),
    /// A POINTER variable (set from outside).
    Pointer,
    /// A top-level LOCAL (module-wide scratch).
    ModuleLocal,
    /// FUNCTION with its number of arguments.
    Function(usize),
    /// PROCEDURE with its number of arguments.
    Procedure(usize),
    /// FUNCTION_TABLE with its number of arguments.
    FunctionTable(usize),
    /// A named block (DERIVATIVE, KINETIC, LINEAR, NONLINEAR, DISCRETE).
    Block(BlockKind),
    /// A RANDOM stream variable.
    Random,
}

/// Kinds of SOLVE-able blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    /// DERIVATIVE.
    Derivative,
    /// KINETIC.
    Kinetic,
    /// LINEAR.
    Linear,
    /// NONLINEAR.
    NonLinear,
    /// DISCRETE.
    Discrete,
}

/// NEURON's special variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    /// Membrane potential (mV).
    V,
    /// Time (ms).
    T,
    /// Time step (ms).
    Dt,
    /// Temperature (degC).
    Celsius,
    /// Segment area (µm²).
    Area,
    /// Segment diameter (µm).
    Diam,
    /// `secondorder` flag.
    SecondOrder,
    /// `pi` (NMODL extension).
    Pi,
}

/// What an ion variable is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IonVarKind {
    /// `i<ion>`.
    Current,
    /// `e<ion>`.
    Erev,
    /// `<ion>i`.
    ConcIn,
    /// `<ion>o`.
    ConcOut,
}

/// A declared name.
#[derive(Debug, Clone, PartialEq)]
pub struct Symbol {
    /// Name.
    pub name: String,
    /// Where its value lives.
    pub kind: SymbolKind,
    /// Declaration span.
    pub span: Span,
    /// Array length.
    pub array: Option<u32>,
    /// Declared units text.
    pub units: Option<String>,
    /// Ion link `(ion index in Mechanism::ions, kind)` for USEION variables.
    pub ion: Option<(usize, IonVarKind)>,
    /// Named in NONSPECIFIC_CURRENT or ELECTRODE_CURRENT.
    pub current: bool,
}

/// One USEION statement, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct IonInfo {
    /// Ion name.
    pub name: String,
    /// VALENCE if given.
    pub valence: Option<f64>,
    /// READ variables (with kinds).
    pub read: Vec<(String, IonVarKind)>,
    /// WRITE variables (with kinds).
    pub write: Vec<(String, IonVarKind)>,
}

/// One SOLVE statement.
#[derive(Debug, Clone, PartialEq)]
pub struct SolveInfo {
    /// Target block name.
    pub block: String,
    /// Method name (None: the default for the block kind).
    pub method: Option<String>,
    /// STEADYSTATE form.
    pub steady: bool,
    /// In INITIAL.
    pub in_initial: bool,
    /// In a FUNCTION or PROCEDURE (a steady state computed on call).
    pub in_callable: bool,
    /// Where.
    pub span: Span,
}

/// The mechanism's kind from the NEURON block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// SUFFIX.
    Density,
    /// POINT_PROCESS.
    Point,
    /// ARTIFICIAL_CELL.
    Artificial,
}

/// The checked view of one .mod file.
#[derive(Debug)]
pub struct Mechanism<'a> {
    /// Mechanism name (SUFFIX etc., else the file stem).
    pub name: String,
    /// Kind.
    pub kind: Kind,
    /// All symbols by name.
    pub symbols: HashMap<String, Symbol>,
    /// Declaration order of variables (for stable field layout).
    pub order: Vec<String>,
    /// Ions in USEION order.
    pub ions: Vec<IonInfo>,
    /// NONSPECIFIC_CURRENT names.
    pub nonspecific: Vec<String>,
    /// ELECTRODE_CURRENT names.
    pub electrode: Vec<String>,
    /// All items, INCLUDEs flattened, in source order.
    pub items: Vec<&'a Item>,
    /// SOLVE statements.
    pub solves: Vec<SolveInfo>,
    /// THREADSAFE given.
    pub threadsafe: bool,
    /// Spans of VERBATIM blocks.
    pub verbatim: Vec<Span>,
}

impl<'a> Mechanism<'a> {
    /// Looks up a symbol.
    pub fn symbol(&self, name: &str) -> Option<&Symbol> {
        self.symbols.get(name)
    }

    /// The INITIAL blocks.
    pub fn initial_blocks(&self) -> impl Iterator<Item = &'a Block> + '_ {
        self.items.iter().filter_map(|i| match &i.kind {
            ItemKind::Initial(b) => Some(b),
            _ => None,
        })
    }

    /// The BREAKPOINT block, if any.
    pub fn breakpoint(&self) -> Option<&'a Block> {
        self.items.iter().find_map(|i| match &i.kind {
            ItemKind::Breakpoint(b) => Some(b),
            _ => None,
        })
    }

    /// The FUNCTION or PROCEDURE with this name.
    pub fn callable(&self, name: &str) -> Option<(&'a Callable, bool)> {
        self.items.iter().find_map(|i| match &i.kind {
            ItemKind::Function(c) if c.name.name == name => Some((c, true)),
            ItemKind::Procedure(c) if c.name.name == name => Some((c, false)),
            _ => None,
        })
    }

    /// A named block (DERIVATIVE, KINETIC, LINEAR, NONLINEAR, DISCRETE) with its SOLVEFOR list.
    pub fn named_block(&self, name: &str) -> Option<(BlockKind, &'a Block, &'a [Ident])> {
        self.items.iter().find_map(|i| match &i.kind {
            ItemKind::Derivative { name: n, body } if n.name == name => {
                Some((BlockKind::Derivative, body, &[][..]))
            }
            ItemKind::Kinetic { name: n, body, solvefor } if n.name == name => {
                Some((BlockKind::Kinetic, body, &solvefor[..]))
            }
            ItemKind::Linear { name: n, body, solvefor } if n.name == name => {
                Some((BlockKind::Linear, body, &solvefor[..]))
            }
            ItemKind::NonLinear { name: n, body, solvefor } if n.name == name => {
                Some((BlockKind::NonLinear, body, &solvefor[..]))
            }
            ItemKind::Discrete { name: n, body } if n.name == name => {
                Some((BlockKind::Discrete, body, &[][..]))
            }
            _ => None,
        })
    }

    /// NET_RECEIVE's parameters and body.
    pub fn net_receive(&self) -> Option<(&'a [Formal], &'a Block)> {
        self.items.iter().find_map(|i| match &i.kind {
            ItemKind::NetReceive { params, body } => Some((params.as_deref().unwrap_or(&[]), body)),
            _ => None,
        })
    }

    /// True when the mechanism writes a membrane current.
    pub fn writes_current(&self) -> bool {
        !self.nonspecific.is_empty()
            || !self.electrode.is_empty()
            || self.ions.iter().any(|i| i.write.iter().any(|(_, k)| *k == IonVarKind::Current))
    }

    /// State names in declaration order.
    pub fn states(&self) -> Vec<&Symbol> {
        self.order
            .iter()
            .filter_map(|n| self.symbols.get(n))
            .filter(|s| matches!(s.kind, SymbolKind::State { .. }))
            .collect()
    }
}

/// Built-in functions of nocmodl that need no declaration (math and NEURON/scopmath helpers).
pub const MATH_FUNCTIONS: &[&str] = &[
    "exp", "log", "log10", "pow", "sqrt", "fabs", "floor", "ceil", "fmod", "sin", "cos", "tan", "asin",
    "acos", "atan", "atan2", "sinh", "cosh", "tanh", "erf", "erfc",
];

/// NEURON runtime functions callable from .mod code.
pub const NEURON_FUNCTIONS: &[&str] = &[
    "net_send",
    "net_event",
    "net_move",
    "at_time",
    "state_discontinuity",
    "nrn_pointing",
    "nrn_random_play",
    "nrn_ghk",
    "scop_random",
    "exprand",
    "normrand",
    "poisrand",
    "poisson",
    "gauss",
    "set_seed",
    "setseed",
    "random_setseq",
    "random_setids",
    "random_uniform",
    "random_negexp",
    "random_normal",
    "random_ipick",
    "random_dpick",
    "threshold",
    "squarewave",
    "sawtooth",
    "revsawtooth",
    "ramp",
    "pulse",
    "perpulse",
    "step",
    "perstep",
    "stepforce",
    "schedule",
    "sigmoid",
    "revsigmoid",
    "hyperbol",
    "revhyperbol",
    "harmonic",
    "deflate",
    "expfit",
    "derivs",
    "spline",
    "boundary",
    "romberg",
    "legendre",
    "invert",
    "force",
    "factorial",
    "printf",
    "prterr",
    "error",
    "first_time",
    "f_flux",
    "b_flux",
    "fprintf",
    "hoc_execerror",
];

/// Method names nocmodl knows, with the block kinds they apply to.
fn method_applies(method: &str, kind: BlockKind) -> Option<bool> {
    Some(match method {
        "cnexp" | "derivimplicit" => kind == BlockKind::Derivative,
        "euler" | "runge" => matches!(kind, BlockKind::Derivative | BlockKind::Kinetic),
        "sparse" | "_advance" => kind == BlockKind::Kinetic,
        "newton" => kind == BlockKind::NonLinear,
        "simeq" => kind == BlockKind::Linear,
        "after_cvode" | "cvode_t" | "cvode_t_v" => true,
        _ => return None,
    })
}

fn ion_var_kind(ion: &str, var: &str) -> Option<IonVarKind> {
    if var == format!("i{ion}") {
        Some(IonVarKind::Current)
    } else if var == format!("e{ion}") {
        Some(IonVarKind::Erev)
    } else if var == format!("{ion}i") {
        Some(IonVarKind::ConcIn)
    } else if var == format!("{ion}o") {
        Some(IonVarKind::ConcOut)
    } else {
        None
    }
}

/// Flattens INCLUDEd modules into one item list.
fn flatten<'a>(m: &'a Module, out: &mut Vec<&'a Item>) {
    for item in &m.items {
        match &item.kind {
            ItemKind::Include { module: Some(inner), .. } => flatten(inner, out),
            _ => out.push(item),
        }
    }
}

fn signed_value(s: &SignedNum, defines: &HashMap<String, f64>) -> Option<f64> {
    let v = match &s.value {
        NumOrName::Num(n) => n.value,
        NumOrName::Name(i) => *defines.get(&i.name)?,
    };
    Some(if s.negative { -v } else { v })
}

/// Analyses a parsed module. `file_stem` names the mechanism when the NEURON block does not;
/// `factors` holds UNITS-block factor values computed by the units checker.
pub fn analyse<'a>(
    module: &'a Module,
    file_stem: &str,
    factors: &HashMap<String, f64>,
    diags: &mut Vec<Diagnostic>,
) -> Mechanism<'a> {
    let mut items = Vec::new();
    flatten(module, &mut items);
    let mut a = Analyser {
        mech: Mechanism {
            name: file_stem.to_string(),
            kind: Kind::Density,
            symbols: HashMap::new(),
            order: Vec::new(),
            ions: Vec::new(),
            nonspecific: Vec::new(),
            electrode: Vec::new(),
            items,
            solves: Vec::new(),
            threadsafe: false,
            verbatim: Vec::new(),
        },
        diags,
        defines: HashMap::new(),
    };
    a.declarations(factors);
    a.neuron_block();
    a.mech.verbatim.extend(verbatim_statements(&a.mech.items));
    a.check_blocks();
    a.mech
}

struct Analyser<'a, 'd> {
    mech: Mechanism<'a>,
    diags: &'d mut Vec<Diagnostic>,
    defines: HashMap<String, f64>,
}

/// Which block a statement is in (for placement rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Initial,
    Breakpoint,
    Derivative,
    Kinetic,
    Linear,
    NonLinear,
    Discrete,
    Procedure,
    Function,
    NetReceive,
    BeforeAfter,
    ConstructorDestructor,
}

/// Scope of local names while walking a block.
struct Scope {
    frames: Vec<Vec<String>>,
}

impl Scope {
    fn has(&self, n: &str) -> bool {
        self.frames.iter().any(|f| f.iter().any(|x| x == n))
    }
}

impl<'a> Analyser<'a, '_> {
    fn declare(&mut self, sym: Symbol) {
        if let Some(prev) = self.mech.symbols.get(&sym.name) {
            // Re-declaring a special variable (v, celsius …) in PARAMETER/ASSIGNED is the
            // convention; re-declaring the same kind twice is harmless in nocmodl.
            let same_family = matches!(
                (&prev.kind, &sym.kind),
                (SymbolKind::Parameter { .. }, SymbolKind::Parameter { .. })
                    | (SymbolKind::Assigned { .. }, SymbolKind::Assigned { .. })
                    | (SymbolKind::State { .. }, SymbolKind::State { .. })
            );
            if same_family || matches!(prev.kind, SymbolKind::Special(_)) {
                return;
            }
            let callable_clash = matches!(
                prev.kind,
                SymbolKind::Function(_) | SymbolKind::Procedure(_) | SymbolKind::FunctionTable(_)
            ) || matches!(
                sym.kind,
                SymbolKind::Function(_) | SymbolKind::Procedure(_) | SymbolKind::FunctionTable(_)
            );
            let d = Diagnostic::error("E0101", format!("`{}` is declared twice", sym.name))
                .with_primary(sym.span, "declared again here")
                .with_secondary(prev.span, "first declared here");
            let d = if callable_clash {
                d.with_hint("a name cannot be both a variable and a FUNCTION/PROCEDURE; rename one of them")
            } else {
                d.with_hint("remove one of the declarations")
            };
            self.diags.push(d);
            return;
        }
        self.mech.order.push(sym.name.clone());
        self.mech.symbols.insert(sym.name.clone(), sym);
    }

    fn array_len(&mut self, s: &Option<ArraySize>) -> Option<u32> {
        match s {
            None => None,
            Some(ArraySize::Int(n)) => Some(n.value as u32),
            Some(ArraySize::Name(i)) => match self.defines.get(&i.name) {
                Some(v) => Some(*v as u32),
                None => {
                    self.diags.push(
                        Diagnostic::error(
                            "E0102",
                            format!("array size `{}` is not a DEFINE'd integer", i.name),
                        )
                        .with_primary(i.span, "unknown size")
                        .with_hint("declare it first with `DEFINE NAME integer`"),
                    );
                    Some(1)
                }
            },
        }
    }

    fn value_of(&mut self, s: &SignedNum) -> f64 {
        match signed_value(s, &self.defines) {
            Some(v) => v,
            None => {
                let name = match &s.value {
                    NumOrName::Name(i) => i.name.clone(),
                    NumOrName::Num(n) => n.text.clone(),
                };
                self.diags.push(
                    Diagnostic::error("E0103", format!("`{name}` is not a number or a DEFINE'd name"))
                        .with_primary(s.span, "expected a number")
                        .with_hint("declaration values must be literal numbers"),
                );
                0.0
            }
        }
    }

    fn special_of(name: &str) -> Option<Special> {
        Some(match name {
            "v" => Special::V,
            "t" => Special::T,
            "dt" => Special::Dt,
            "celsius" => Special::Celsius,
            "area" => Special::Area,
            "diam" => Special::Diam,
            "secondorder" => Special::SecondOrder,
            _ => return None,
        })
    }

    /// Pass 1: every declaration block, DEFINEs, functions and named blocks.
    fn declarations(&mut self, factors: &HashMap<String, f64>) {
        let items = self.mech.items.clone();
        // DEFINEs first: they are substituted while parsing in nocmodl, so order of use is free.
        for item in &items {
            if let ItemKind::Define { name, value } = &item.kind {
                let v = self.value_of(value);
                self.defines.insert(name.name.clone(), v);
                self.declare(Symbol {
                    name: name.name.clone(),
                    kind: SymbolKind::Define(v),
                    span: name.span,
                    array: None,
                    units: None,
                    ion: None,
                    current: false,
                });
            }
        }
        for item in &items {
            match &item.kind {
                ItemKind::Parameter(decls) => {
                    for d in decls {
                        if let Some(sp) = Self::special_of(&d.name.name) {
                            self.declare_special(&d.name, sp, &d.units);
                            continue;
                        }
                        let value = d.value.as_ref().map(|v| self.value_of(v)).unwrap_or(0.0);
                        let value = as_nocmodl_writes_it(value);
                        let array = self.array_len(&d.size);
                        self.declare(Symbol {
                            name: d.name.name.clone(),
                            kind: SymbolKind::Parameter { value, range: false },
                            span: d.name.span,
                            array,
                            units: d.units.as_ref().map(|u| u.text.clone()),
                            ion: None,
                            current: false,
                        });
                    }
                }
                ItemKind::Assigned(decls) | ItemKind::State(decls) => {
                    let is_state = matches!(item.kind, ItemKind::State(_));
                    for d in decls {
                        if let Some(sp) = Self::special_of(&d.name.name) {
                            if is_state {
                                self.diags.push(
                                    Diagnostic::error(
                                        "E0104",
                                        format!(
                                            "`{}` is a NEURON variable and cannot be a STATE",
                                            d.name.name
                                        ),
                                    )
                                    .with_primary(d.name.span, "declared as STATE")
                                    .with_hint("declare it in ASSIGNED or PARAMETER"),
                                );
                            }
                            self.declare_special(&d.name, sp, &d.units);
                            continue;
                        }
                        let start = d.start.as_ref().map(|s| self.value_of(s)).unwrap_or(0.0);
                        let array = self.array_len(&d.size);
                        self.declare(Symbol {
                            name: d.name.name.clone(),
                            kind: if is_state {
                                SymbolKind::State { start }
                            } else {
                                SymbolKind::Assigned { range: true }
                            },
                            span: d.name.span,
                            array,
                            units: d.units.as_ref().map(|u| u.text.clone()),
                            ion: None,
                            current: false,
                        });
                    }
                }
                ItemKind::Constant(decls) => {
                    for d in decls {
                        let v = self.value_of(&d.value);
                        self.declare(Symbol {
                            name: d.name.name.clone(),
                            kind: SymbolKind::Constant(v),
                            span: d.name.span,
                            array: None,
                            units: d.units.as_ref().map(|u| u.text.clone()),
                            ion: None,
                            current: false,
                        });
                    }
                }
                ItemKind::Units(defs) => {
                    for d in defs {
                        let (name, value) = match &d.kind {
                            UnitDefKind::Alias { .. } => continue,
                            UnitDefKind::FactorValue { name, negative, value, .. } => {
                                (name, Some(if *negative { -value.value } else { value.value }))
                            }
                            UnitDefKind::FactorRatio { name, .. } => (name, factors.get(&name.name).copied()),
                        };
                        self.declare(Symbol {
                            name: name.name.clone(),
                            kind: SymbolKind::UnitFactor(value),
                            span: name.span,
                            array: None,
                            units: None,
                            ion: None,
                            current: false,
                        });
                    }
                }
                ItemKind::Local(vars) => {
                    for v in vars {
                        let array = self.array_len(&v.size);
                        self.declare(Symbol {
                            name: v.name.name.clone(),
                            kind: SymbolKind::ModuleLocal,
                            span: v.name.span,
                            array,
                            units: None,
                            ion: None,
                            current: false,
                        });
                    }
                }
                ItemKind::Function(c) | ItemKind::Procedure(c) => {
                    let kind = if matches!(item.kind, ItemKind::Function(_)) {
                        SymbolKind::Function(c.params.len())
                    } else {
                        SymbolKind::Procedure(c.params.len())
                    };
                    self.declare(Symbol {
                        name: c.name.name.clone(),
                        kind,
                        span: c.name.span,
                        array: None,
                        units: c.units.as_ref().map(|u| u.text.clone()),
                        ion: None,
                        current: false,
                    });
                }
                ItemKind::FunctionTable { name, params, units } => self.declare(Symbol {
                    name: name.name.clone(),
                    kind: SymbolKind::FunctionTable(params.len()),
                    span: name.span,
                    array: None,
                    units: units.as_ref().map(|u| u.text.clone()),
                    ion: None,
                    current: false,
                }),
                ItemKind::Derivative { name, .. }
                | ItemKind::Kinetic { name, .. }
                | ItemKind::Linear { name, .. }
                | ItemKind::NonLinear { name, .. }
                | ItemKind::Discrete { name, .. } => {
                    let kind = match item.kind {
                        ItemKind::Derivative { .. } => BlockKind::Derivative,
                        ItemKind::Kinetic { .. } => BlockKind::Kinetic,
                        ItemKind::Linear { .. } => BlockKind::Linear,
                        ItemKind::NonLinear { .. } => BlockKind::NonLinear,
                        _ => BlockKind::Discrete,
                    };
                    self.declare(Symbol {
                        name: name.name.clone(),
                        kind: SymbolKind::Block(kind),
                        span: name.span,
                        array: None,
                        units: None,
                        ion: None,
                        current: false,
                    });
                }
                ItemKind::Verbatim(_) => self.mech.verbatim.push(item.span),
                ItemKind::Independent(decls) => {
                    for d in decls {
                        if d.name.name != "t" {
                            self.diags.push(
                                Diagnostic::warning("W0102", "only `t` may be the INDEPENDENT variable")
                                    .with_primary(d.name.span, "ignored")
                                    .with_note("NEURON ignores INDEPENDENT declarations other than t"),
                            );
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn declare_special(&mut self, name: &Ident, sp: Special, units: &Option<Units>) {
        if self.mech.symbols.contains_key(&name.name) {
            return;
        }
        self.declare(Symbol {
            name: name.name.clone(),
            kind: SymbolKind::Special(sp),
            span: name.span,
            array: None,
            units: units.as_ref().map(|u| u.text.clone()),
            ion: None,
            current: false,
        });
    }

    /// Pass 2: the NEURON block.
    fn neuron_block(&mut self) {
        let items = self.mech.items.clone();
        let mut suffix_seen: Option<Span> = None;
        let mut range_names: Vec<Ident> = Vec::new();
        let mut global_names: Vec<Ident> = Vec::new();
        for item in &items {
            let ItemKind::Neuron(stmts) = &item.kind else { continue };
            for s in stmts {
                match &s.kind {
                    NeuronStmtKind::Suffix { kind, name } => {
                        if let Some(prev) = suffix_seen {
                            self.diags.push(
                                Diagnostic::error("E0110", "the mechanism kind is given twice")
                                    .with_primary(s.span, "second SUFFIX/POINT_PROCESS/ARTIFICIAL_CELL")
                                    .with_secondary(prev, "first given here")
                                    .with_hint("a .mod file defines exactly one mechanism"),
                            );
                            continue;
                        }
                        suffix_seen = Some(s.span);
                        self.mech.kind = match kind {
                            SuffixKind::Suffix => Kind::Density,
                            SuffixKind::PointProcess => Kind::Point,
                            SuffixKind::ArtificialCell => Kind::Artificial,
                        };
                        if name.name != "nothing" {
                            self.mech.name = name.name.clone();
                        }
                    }
                    NeuronStmtKind::UseIon { ion, read, write, valence, .. } => {
                        let idx = match self.mech.ions.iter().position(|i| i.name == ion.name) {
                            Some(i) => i,
                            None => {
                                self.mech.ions.push(IonInfo {
                                    name: ion.name.clone(),
                                    valence: None,
                                    read: vec![],
                                    write: vec![],
                                });
                                self.mech.ions.len() - 1
                            }
                        };
                        if let Some((z, _, _)) = valence {
                            self.mech.ions[idx].valence = Some(*z);
                        }
                        for (list, is_write) in [(read, false), (write, true)] {
                            for var in list {
                                let Some(k) = ion_var_kind(&ion.name, &var.name) else {
                                    let i = &ion.name;
                                    self.diags.push(
                                        Diagnostic::error(
                                            "E0111",
                                            format!("`{}` is not a variable of ion `{i}`", var.name),
                                        )
                                        .with_primary(var.span, "not an ion variable")
                                        .with_hint(format!(
                                            "the variables of ion {i} are i{i}, e{i}, {i}i and {i}o"
                                        )),
                                    );
                                    continue;
                                };
                                let info = &mut self.mech.ions[idx];
                                if is_write {
                                    info.write.push((var.name.clone(), k));
                                } else {
                                    info.read.push((var.name.clone(), k));
                                }
                                self.link_ion(var, idx, k);
                            }
                        }
                    }
                    NeuronStmtKind::Nonspecific(v) | NeuronStmtKind::Electrode(v) => {
                        let electrode = matches!(s.kind, NeuronStmtKind::Electrode(_));
                        for var in v {
                            if electrode {
                                self.mech.electrode.push(var.name.clone());
                            } else {
                                self.mech.nonspecific.push(var.name.clone());
                            }
                            match self.mech.symbols.get_mut(&var.name) {
                                Some(sym) => sym.current = true,
                                None => self.undeclared_interface(var, "a current"),
                            }
                        }
                    }
                    NeuronStmtKind::Range(v) => range_names.extend(v.iter().cloned()),
                    NeuronStmtKind::Global(v) => global_names.extend(v.iter().cloned()),
                    NeuronStmtKind::Pointer(v) | NeuronStmtKind::BbcorePointer(v) => {
                        for var in v {
                            match self.mech.symbols.get_mut(&var.name) {
                                Some(sym) => sym.kind = SymbolKind::Pointer,
                                None => self.undeclared_interface(var, "a POINTER"),
                            }
                        }
                    }
                    NeuronStmtKind::Random(v) => {
                        for var in v {
                            self.declare(Symbol {
                                name: var.name.clone(),
                                kind: SymbolKind::Random,
                                span: var.span,
                                array: None,
                                units: None,
                                ion: None,
                                current: false,
                            });
                        }
                    }
                    NeuronStmtKind::External(_) => {}
                    NeuronStmtKind::ThreadSafe(_) => self.mech.threadsafe = true,
                    NeuronStmtKind::Verbatim(_) => self.mech.verbatim.push(s.span),
                    NeuronStmtKind::Represents(_) | NeuronStmtKind::UnitsOn | NeuronStmtKind::UnitsOff => {}
                }
            }
        }
        for var in &range_names {
            match self.mech.symbols.get_mut(&var.name) {
                Some(sym) => match &mut sym.kind {
                    SymbolKind::Parameter { range, .. } | SymbolKind::Assigned { range } => *range = true,
                    _ => {}
                },
                None => self.unused_interface_name(var, "RANGE"),
            }
        }
        for var in &global_names {
            match self.mech.symbols.get_mut(&var.name) {
                Some(sym) => match &mut sym.kind {
                    SymbolKind::Parameter { range, .. } | SymbolKind::Assigned { range } => *range = false,
                    SymbolKind::State { .. } => self.diags.push(
                        Diagnostic::warning("W0103", format!("STATE `{}` cannot be GLOBAL", var.name))
                            .with_primary(var.span, "listed as GLOBAL")
                            .with_note("states are always per instance (RANGE)"),
                    ),
                    _ => {}
                },
                None => self.unused_interface_name(var, "GLOBAL"),
            }
        }
        if self.mech.kind == Kind::Artificial && self.mech.writes_current() {
            self.diags.push(
                Diagnostic::error("E0112", "an ARTIFICIAL_CELL cannot write a membrane current")
                    .with_primary(suffix_seen.unwrap_or_default(), "declared ARTIFICIAL_CELL here")
                    .with_hint("use POINT_PROCESS for a mechanism that injects current"),
            );
        }
    }

    fn link_ion(&mut self, var: &Ident, idx: usize, k: IonVarKind) {
        if let Some(sym) = self.mech.symbols.get(&var.name) {
            if matches!(sym.kind, SymbolKind::Constant(_)) {
                let decl = sym.span;
                self.diags.push(
                    Diagnostic::error(
                        "E0115",
                        format!("ion variable `{}` is declared as a CONSTANT", var.name),
                    )
                    .with_primary(decl, "declared CONSTANT here")
                    .with_secondary(var.span, "used as an ion variable here")
                    .with_hint(format!(
                        "NEURON rejects this: declare `{}` in ASSIGNED (or PARAMETER) instead",
                        var.name
                    )),
                );
                return;
            }
        }
        match self.mech.symbols.get_mut(&var.name) {
            Some(sym) => sym.ion = Some((idx, k)),
            None => self.undeclared_interface(var, "an ion variable"),
        }
    }

    /// A RANGE/GLOBAL name never declared: NEURON compiles such files (the name is simply not
    /// exported), so it is a warning; using the name is caught as an undeclared variable.
    fn unused_interface_name(&mut self, var: &Ident, what: &str) {
        self.diags.push(
            Diagnostic::warning("W0113", format!("`{}` is listed in {what} but never declared", var.name))
                .with_primary(var.span, "no PARAMETER, ASSIGNED or STATE declares it")
                .with_hint(format!("declare `{}` or remove it from the {what} list", var.name)),
        );
    }

    fn undeclared_interface(&mut self, var: &Ident, what: &str) {
        self.diags.push(
            Diagnostic::error(
                "E0113",
                format!("`{}` is named in the NEURON block but never declared", var.name),
            )
            .with_primary(var.span, format!("{what} without a declaration"))
            .with_hint(format!(
                "declare `{}` in PARAMETER, ASSIGNED or STATE (NEURON requires it; the generated \
                     code would not compile)",
                var.name
            )),
        );
    }

    /// Pass 3: names and placement rules in every block.
    fn check_blocks(&mut self) {
        let items = self.mech.items.clone();
        let has_net_receive = items.iter().any(|i| matches!(i.kind, ItemKind::NetReceive { .. }));
        let mut derivative_seen: HashMap<String, Span> = HashMap::new();
        for item in &items {
            match &item.kind {
                ItemKind::Initial(b) => self.walk_block(b, Ctx::Initial, &mut Scope { frames: vec![] }, None),
                ItemKind::Breakpoint(b) => {
                    self.walk_block(b, Ctx::Breakpoint, &mut Scope { frames: vec![] }, None)
                }
                ItemKind::Derivative { name, body } => {
                    derivative_seen.insert(name.name.clone(), name.span);
                    self.walk_block(body, Ctx::Derivative, &mut Scope { frames: vec![] }, None)
                }
                ItemKind::Kinetic { body, solvefor, .. } => {
                    self.check_solvefor(solvefor);
                    self.walk_block(body, Ctx::Kinetic, &mut Scope { frames: vec![] }, None)
                }
                ItemKind::Linear { body, solvefor, .. } => {
                    self.check_solvefor(solvefor);
                    self.walk_block(body, Ctx::Linear, &mut Scope { frames: vec![] }, None)
                }
                ItemKind::NonLinear { body, solvefor, .. } => {
                    self.check_solvefor(solvefor);
                    self.walk_block(body, Ctx::NonLinear, &mut Scope { frames: vec![] }, None)
                }
                ItemKind::Discrete { body, .. } => {
                    self.walk_block(body, Ctx::Discrete, &mut Scope { frames: vec![] }, None)
                }
                ItemKind::Procedure(c) | ItemKind::Function(c) => {
                    let is_fn = matches!(item.kind, ItemKind::Function(_));
                    let mut scope =
                        Scope { frames: vec![c.params.iter().map(|p| p.name.name.clone()).collect()] };
                    let ctx = if is_fn { Ctx::Function } else { Ctx::Procedure };
                    self.walk_block(&c.body, ctx, &mut scope, Some(&c.name.name));
                }
                ItemKind::NetReceive { params, body } => {
                    let mut names: Vec<String> =
                        params.iter().flatten().map(|p| p.name.name.clone()).collect();
                    names.push("flag".to_string());
                    if self.mech.kind == Kind::Density {
                        self.diags.push(
                            Diagnostic::error(
                                "E0114",
                                "NET_RECEIVE needs a POINT_PROCESS or ARTIFICIAL_CELL",
                            )
                            .with_primary(item.span, "events cannot reach a density mechanism")
                            .with_hint("declare the mechanism with POINT_PROCESS name"),
                        );
                    }
                    self.walk_block(body, Ctx::NetReceive, &mut Scope { frames: vec![names] }, None)
                }
                ItemKind::BeforeAfter { body, .. } => {
                    self.walk_block(body, Ctx::BeforeAfter, &mut Scope { frames: vec![] }, None)
                }
                ItemKind::Constructor(b) | ItemKind::Destructor(b) => {
                    self.walk_block(b, Ctx::ConstructorDestructor, &mut Scope { frames: vec![] }, None)
                }
                _ => {}
            }
        }
        // SOLVE targets: exist, method fits, and SOLVE of a DERIVATIVE precedes the block.
        let solves = std::mem::take(&mut self.mech.solves);
        for s in &solves {
            match self.mech.symbols.get(&s.block).map(|x| x.kind.clone()) {
                Some(SymbolKind::Block(kind)) => {
                    if let Some(m) = &s.method {
                        match method_applies(m, kind) {
                            None => self.diags.push(
                                Diagnostic::error("E0121", format!("unknown integration method `{m}`"))
                                    .with_primary(s.span, "in this SOLVE")
                                    .with_hint(
                                        "methods are cnexp, derivimplicit, euler, runge (DERIVATIVE), \
                                         sparse (KINETIC), newton (NONLINEAR), simeq (LINEAR)",
                                    ),
                            ),
                            Some(false) => self.diags.push(
                                Diagnostic::error(
                                    "E0122",
                                    format!("method `{m}` cannot be used with a {kind:?} block"),
                                )
                                .with_primary(s.span, "in this SOLVE")
                                .with_hint(match kind {
                                    BlockKind::Derivative => "use cnexp, derivimplicit or euler",
                                    BlockKind::Kinetic => "use sparse",
                                    BlockKind::Linear => "omit METHOD (LINEAR blocks are solved directly)",
                                    BlockKind::NonLinear => "use newton",
                                    BlockKind::Discrete => "omit METHOD",
                                }),
                            ),
                            Some(true) => {}
                        }
                    }
                    if kind == BlockKind::Derivative {
                        if let Some(dspan) = derivative_seen.get(&s.block) {
                            if dspan.start < s.span.start && dspan.file == s.span.file {
                                self.diags.push(
                                    Diagnostic::error(
                                        "E0123",
                                        format!("SOLVE {} comes after its DERIVATIVE block", s.block),
                                    )
                                    .with_primary(s.span, "SOLVE here")
                                    .with_secondary(*dspan, "DERIVATIVE block defined earlier")
                                    .with_hint(
                                        "NEURON requires the SOLVE (normally in BREAKPOINT) before the \
                                         DERIVATIVE block: move BREAKPOINT above it",
                                    ),
                                );
                            }
                        }
                    }
                }
                Some(SymbolKind::Procedure(_)) => {
                    if let Some(m) = &s.method {
                        if !matches!(m.as_str(), "after_cvode" | "cvode_t" | "cvode_t_v") {
                            self.diags.push(
                                Diagnostic::error("E0124", format!("a PROCEDURE cannot be solved with METHOD {m}"))
                                    .with_primary(s.span, "in this SOLVE")
                                    .with_hint("write `SOLVE name` without METHOD to call the procedure every step"),
                            );
                        }
                    }
                }
                _ => self.diags.push(
                    Diagnostic::error("E0120", format!("SOLVE of `{}`, which is not a block", s.block))
                        .with_primary(s.span, "nothing to solve")
                        .with_hint(format!(
                            "define `DERIVATIVE {0} {{ … }}`, `KINETIC {0} {{ … }}` or `PROCEDURE {0}() {{ … }}`",
                            s.block
                        )),
                ),
            }
        }
        self.mech.solves = solves;
        let _ = has_net_receive;
    }

    fn check_solvefor(&mut self, names: &[Ident]) {
        for n in names {
            match self.mech.symbols.get(&n.name).map(|s| &s.kind) {
                Some(SymbolKind::State { .. }) => {}
                _ => self.diags.push(
                    Diagnostic::error("E0125", format!("SOLVEFOR `{}` is not a STATE", n.name))
                        .with_primary(n.span, "not a state")
                        .with_hint("declare it in the STATE block"),
                ),
            }
        }
    }

    fn walk_block(&mut self, b: &Block, ctx: Ctx, scope: &mut Scope, callable: Option<&str>) {
        scope.frames.push(Vec::new());
        for (i, s) in b.stmts.iter().enumerate() {
            if let StmtKind::Local(vars) = &s.kind {
                if i != 0 {
                    self.diags.push(
                        Diagnostic::error("E0130", "LOCAL must be the first statement of its block")
                            .with_primary(s.span, "LOCAL after other statements")
                            .with_hint(
                                "move this LOCAL to the top of the block (one LOCAL statement per block)",
                            ),
                    );
                }
                for v in vars {
                    scope.frames.last_mut().expect("frame").push(v.name.name.clone());
                }
                continue;
            }
            self.walk_stmt(s, ctx, scope, callable);
        }
        scope.frames.pop();
    }

    fn walk_stmt(&mut self, s: &Stmt, ctx: Ctx, scope: &mut Scope, callable: Option<&str>) {
        let placement = |what: &str, allowed: &str| {
            Diagnostic::error("E0131", format!("{what} is not allowed here"))
                .with_primary(s.span, format!("{what} outside {allowed}"))
                .with_hint(format!("{what} may only appear in {allowed}"))
        };
        match &s.kind {
            StmtKind::Local(_) => {}
            StmtKind::Assign { lhs, rhs } | StmtKind::Protect { lhs, rhs } => {
                self.assign_target(lhs, ctx, scope, callable);
                self.walk_expr(rhs, scope, callable, ctx);
            }
            StmtKind::Call(c) => self.check_call(c, scope, callable, ctx),
            StmtKind::If { cond, then, els } => {
                self.walk_expr(cond, scope, callable, ctx);
                self.walk_block(then, ctx, scope, callable);
                if let Some(e) = els {
                    match &e.kind {
                        StmtKind::Block(b) => self.walk_block(b, ctx, scope, callable),
                        _ => self.walk_stmt(e, ctx, scope, callable),
                    }
                }
            }
            StmtKind::While { cond, body } => {
                self.walk_expr(cond, scope, callable, ctx);
                self.walk_block(body, ctx, scope, callable);
            }
            StmtKind::From { var, lo, hi, by, body } => {
                // The loop index is an implicit integer local (nocmodl declares it itself).
                scope.frames.push(vec![var.name.clone()]);
                self.walk_expr(lo, scope, callable, ctx);
                self.walk_expr(hi, scope, callable, ctx);
                if let Some(b) = by {
                    self.walk_expr(b, scope, callable, ctx);
                }
                self.walk_block(body, ctx, scope, callable);
                scope.frames.pop();
            }
            StmtKind::Block(b) => self.walk_block(b, ctx, scope, callable),
            StmtKind::Solve { name, method } => {
                if !matches!(ctx, Ctx::Breakpoint | Ctx::Initial | Ctx::Procedure | Ctx::Function) {
                    self.diags.push(placement("SOLVE", "BREAKPOINT, INITIAL, PROCEDURE or FUNCTION"));
                }
                let (m, steady) = match method {
                    Some(SolveMethod::Method(m)) => (Some(m.name.clone()), false),
                    Some(SolveMethod::SteadyState(m)) => (Some(m.name.clone()), true),
                    None => (None, false),
                };
                self.mech.solves.push(SolveInfo {
                    block: name.name.clone(),
                    method: m,
                    steady,
                    in_initial: ctx == Ctx::Initial,
                    in_callable: matches!(ctx, Ctx::Procedure | Ctx::Function),
                    span: s.span,
                });
            }
            StmtKind::Table { vars, depend, from, to, with } => {
                if !matches!(ctx, Ctx::Procedure | Ctx::Function) {
                    self.diags.push(placement("TABLE", "a FUNCTION or PROCEDURE"));
                }
                for v in vars.iter().chain(depend) {
                    self.use_name(v, scope, callable, ctx);
                }
                for e in [from, to, with] {
                    self.walk_expr(e, scope, callable, ctx);
                }
            }
            StmtKind::Conductance { name, .. } => {
                if ctx != Ctx::Breakpoint {
                    self.diags.push(placement("CONDUCTANCE", "BREAKPOINT"));
                }
                self.use_name(name, scope, callable, ctx);
            }
            StmtKind::Verbatim(_) => {}
            StmtKind::UnitsOn | StmtKind::UnitsOff | StmtKind::MutexLock | StmtKind::MutexUnlock => {}
            StmtKind::Reaction { lhs, kind } => {
                if ctx != Ctx::Kinetic {
                    self.diags.push(placement("a reaction `~ … <-> …`", "a KINETIC block"));
                }
                for t in lhs {
                    self.react_var(&t.var, scope, callable, ctx);
                }
                match kind {
                    ReactionKind::Reversible { rhs, kf, kb } => {
                        for t in rhs {
                            self.react_var(&t.var, scope, callable, ctx);
                        }
                        self.walk_expr(kf, scope, callable, ctx);
                        self.walk_expr(kb, scope, callable, ctx);
                    }
                    ReactionKind::Forward { k } => self.walk_expr(k, scope, callable, ctx),
                    ReactionKind::Flux { flux } => {
                        if lhs.len() != 1 || lhs[0].coef != 1 {
                            self.diags.push(
                                Diagnostic::error("E0132", "a flux `<<` involves exactly one state")
                                    .with_primary(s.span, "several species")
                                    .with_hint("write one `~ x << (flux)` per state"),
                            );
                        }
                        self.walk_expr(flux, scope, callable, ctx)
                    }
                }
            }
            StmtKind::Equation { lhs, rhs, .. } => {
                if !matches!(ctx, Ctx::Linear | Ctx::NonLinear | Ctx::Derivative) {
                    self.diags.push(placement(
                        "an equation `~ lhs = rhs`",
                        "LINEAR, NONLINEAR or DERIVATIVE blocks",
                    ));
                }
                self.walk_expr(lhs, scope, callable, ctx);
                self.walk_expr(rhs, scope, callable, ctx);
            }
            StmtKind::Conserve { lhs, rhs } => {
                if ctx != Ctx::Kinetic {
                    self.diags.push(placement("CONSERVE", "a KINETIC block"));
                }
                for t in lhs {
                    self.react_var(&t.var, scope, callable, ctx);
                }
                self.walk_expr(rhs, scope, callable, ctx);
            }
            StmtKind::Compartment { index, volume, states }
            | StmtKind::LongitudinalDiffusion { index, expr: volume, states } => {
                if ctx != Ctx::Kinetic {
                    self.diags.push(placement("COMPARTMENT", "a KINETIC block"));
                }
                scope.frames.push(index.iter().map(|i| i.name.clone()).collect());
                self.walk_expr(volume, scope, callable, ctx);
                scope.frames.pop();
                for st in states {
                    self.use_name(st, scope, callable, ctx);
                }
            }
            StmtKind::Watch(items) => {
                if ctx != Ctx::NetReceive {
                    self.diags.push(placement("WATCH", "NET_RECEIVE"));
                }
                for w in items {
                    let is_cmp = matches!(&w.cond.kind, ExprKind::Binary(op, _, _) if matches!(op, BinOp::Gt | BinOp::Lt | BinOp::Ge | BinOp::Le));
                    if !is_cmp {
                        self.diags.push(
                            Diagnostic::error("E0133", "WATCH needs a comparison `(a > b)` or `(a < b)`")
                                .with_primary(w.cond.span, "not a comparison"),
                        );
                    }
                    self.walk_expr(&w.cond, scope, callable, ctx);
                    self.walk_expr(&w.flag, scope, callable, ctx);
                }
            }
            StmtKind::ForNetcons { params, body } => {
                if ctx != Ctx::NetReceive {
                    self.diags.push(placement("FOR_NETCONS", "NET_RECEIVE"));
                }
                scope.frames.push(params.iter().map(|p| p.name.name.clone()).collect());
                self.walk_block(body, ctx, scope, callable);
                scope.frames.pop();
            }
            StmtKind::Initial(b) => {
                if ctx != Ctx::NetReceive {
                    self.diags.push(placement("INITIAL inside a block", "NET_RECEIVE"));
                }
                self.walk_block(b, ctx, scope, callable);
            }
            StmtKind::Lag { name, by } => {
                self.use_name(name, scope, callable, ctx);
                self.use_name(by, scope, callable, ctx);
            }
            StmtKind::Semicolon => {}
        }
    }

    fn react_var(&mut self, v: &LValue, scope: &mut Scope, callable: Option<&str>, ctx: Ctx) {
        self.use_name(&v.name, scope, callable, ctx);
        if let Some(i) = &v.index {
            self.walk_expr(i, scope, callable, ctx);
        }
    }

    fn assign_target(&mut self, lhs: &LValue, ctx: Ctx, scope: &mut Scope, callable: Option<&str>) {
        if let Some(i) = &lhs.index {
            self.walk_expr(i, scope, callable, ctx);
        }
        let name = &lhs.name;
        if name.primes > 0 {
            match self.mech.symbols.get(&name.name).map(|s| &s.kind) {
                Some(SymbolKind::State { .. }) => {}
                Some(_) => self.diags.push(
                    Diagnostic::error("E0140", format!("`{}'` is the derivative of a non-STATE", name.name))
                        .with_primary(name.span, "not a state")
                        .with_hint(format!("declare `{}` in the STATE block", name.name)),
                ),
                None => self.undeclared(name, "variable"),
            }
            if ctx != Ctx::Derivative {
                self.diags.push(
                    Diagnostic::error("E0141", "derivatives may only be assigned in a DERIVATIVE block")
                        .with_primary(name.span, "derivative assigned here")
                        .with_hint("move this equation into a DERIVATIVE block and SOLVE it"),
                );
            }
            return;
        }
        if scope.has(&name.name) || callable == Some(name.name.as_str()) {
            return;
        }
        match self.mech.symbols.get(&name.name).map(|s| s.kind.clone()) {
            None => self.undeclared(name, "variable"),
            Some(SymbolKind::Special(sp)) => {
                if matches!(sp, Special::Area | Special::Diam | Special::T | Special::Dt | Special::Celsius) {
                    self.diags.push(
                        Diagnostic::error(
                            "E0142",
                            format!("`{}` is a NEURON variable and cannot be assigned", name.name),
                        )
                        .with_primary(name.span, "assigned here")
                        .with_hint("NEURON sets it; use a LOCAL or ASSIGNED variable instead"),
                    );
                }
            }
            Some(SymbolKind::Constant(_)) | Some(SymbolKind::UnitFactor(_)) | Some(SymbolKind::Define(_)) => {
                self.diags.push(
                    Diagnostic::error(
                        "E0143",
                        format!("`{}` is a constant and cannot be assigned", name.name),
                    )
                    .with_primary(name.span, "assigned here")
                    .with_hint("declare a PARAMETER or ASSIGNED variable if its value must change"),
                )
            }
            Some(SymbolKind::Function(_))
            | Some(SymbolKind::Procedure(_))
            | Some(SymbolKind::FunctionTable(_))
            | Some(SymbolKind::Block(_)) => self.diags.push(
                Diagnostic::error("E0144", format!("`{}` is not a variable", name.name))
                    .with_primary(name.span, "assigned here")
                    .with_hint("only the FUNCTION itself may assign its own name (its return value)"),
            ),
            Some(SymbolKind::Parameter { range: false, .. }) => {
                if !matches!(ctx, Ctx::Initial | Ctx::Procedure | Ctx::Function | Ctx::ConstructorDestructor)
                {
                    self.diags.push(
                        Diagnostic::warning("W0140", format!("GLOBAL parameter `{}` is assigned", name.name))
                            .with_primary(name.span, "assigned here")
                            .with_note(
                                "a GLOBAL PARAMETER is shared by all instances; assigning it per instance is \
                                 not thread safe in NEURON and the last instance wins",
                            )
                            .with_hint(format!("list `{}` in RANGE if each instance needs its own value", name.name)),
                    );
                }
            }
            Some(_) => {}
        }
    }

    fn use_name(&mut self, name: &Ident, scope: &Scope, callable: Option<&str>, ctx: Ctx) {
        if scope.has(&name.name) || callable == Some(name.name.as_str()) {
            return;
        }
        if self.mech.symbols.contains_key(&name.name) {
            return;
        }
        if Self::special_of(&name.name).is_some()
            || name.name == "pi"
            || (ctx == Ctx::NetReceive && name.name == "flag")
            || (ctx == Ctx::Kinetic && matches!(name.name.as_str(), "f_flux" | "b_flux"))
            || name.name.starts_with("usetable_")
        {
            return;
        }
        // Ion variables of a USEION'd ion used without declaration are reported on the NEURON
        // block already; do not repeat.
        if self.mech.ions.iter().any(|i| ion_var_kind(&i.name, &name.name).is_some()) {
            return;
        }
        self.undeclared(name, "variable");
    }

    fn undeclared(&mut self, name: &Ident, what: &str) {
        let mut d = Diagnostic::error("E0150", format!("undeclared {what} `{}`", name.name))
            .with_primary(name.span, "not declared");
        if !self.mech.verbatim.is_empty() {
            // C code in VERBATIM may declare it (nocmodl: "declared within VERBATIM?").
            d.severity = crate::diag::Severity::Warning;
            d = d.with_note("the file has VERBATIM blocks, which may declare it in C");
        }
        if let Some(s) = self.closest_symbol(&name.name) {
            d = d.with_hint(format!("did you mean `{s}`?"));
        } else {
            d = d.with_hint(format!(
                "declare `{}` in PARAMETER, ASSIGNED, STATE or as a LOCAL of the block",
                name.name
            ));
        }
        self.diags.push(d);
    }

    fn closest_symbol(&self, name: &str) -> Option<String> {
        let mut best: Option<(usize, &String)> = None;
        for k in self.mech.symbols.keys() {
            let d = edit_distance(name, k);
            if d <= 2 && d < name.len() && best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, k));
            }
        }
        best.map(|(_, k)| k.clone())
    }

    fn check_call(&mut self, c: &Call, scope: &mut Scope, callable: Option<&str>, ctx: Ctx) {
        for a in &c.args {
            self.walk_expr(a, scope, callable, ctx);
        }
        let n = c.name.name.as_str();
        match self.mech.symbols.get(n).map(|s| s.kind.clone()) {
            Some(SymbolKind::Function(k))
            | Some(SymbolKind::Procedure(k))
            | Some(SymbolKind::FunctionTable(k)) => {
                if k != c.args.len() && !matches!(self.mech.symbols[n].kind, SymbolKind::FunctionTable(_)) {
                    self.diags.push(
                        Diagnostic::error(
                            "E0151",
                            format!("`{n}` takes {k} argument(s), {} given", c.args.len()),
                        )
                        .with_primary(c.span, "wrong number of arguments")
                        .with_secondary(self.mech.symbols[n].span, "declared here"),
                    );
                }
            }
            Some(_) => self.diags.push(
                Diagnostic::error("E0152", format!("`{n}` is not a FUNCTION or PROCEDURE"))
                    .with_primary(c.name.span, "called here")
                    .with_secondary(self.mech.symbols[n].span, "declared as a variable here"),
            ),
            None => {
                if MATH_FUNCTIONS.contains(&n) || NEURON_FUNCTIONS.contains(&n) {
                    if n == "net_send" && !matches!(ctx, Ctx::Initial | Ctx::NetReceive) {
                        self.diags.push(
                            Diagnostic::error("E0153", "net_send is only allowed in INITIAL and NET_RECEIVE")
                                .with_primary(c.span, "here"),
                        );
                    }
                    if n == "net_move" && ctx != Ctx::NetReceive {
                        self.diags.push(
                            Diagnostic::error("E0154", "net_move is only allowed in NET_RECEIVE")
                                .with_primary(c.span, "here"),
                        );
                    }
                    if n == "net_send" && self.mech.net_receive().is_none() {
                        self.diags.push(
                            Diagnostic::error("E0155", "net_send needs a NET_RECEIVE block to deliver to")
                                .with_primary(c.span, "self-event sent here")
                                .with_hint("add a NET_RECEIVE block"),
                        );
                    }
                    return;
                }
                let mut d = Diagnostic::error("E0156", format!("unknown function `{n}`"))
                    .with_primary(c.name.span, "not a FUNCTION, PROCEDURE or built-in");
                d = match n {
                    "min" | "max" | "fmin" | "fmax" | "abs" | "exprelr" | "vtrap" | "efun" | "ghk"
                    | "nernst" => d.with_hint(format!(
                        "`{n}` is not built into NEURON's NMODL: define it as a FUNCTION in this file"
                    )),
                    _ => d.with_hint("define it with FUNCTION or PROCEDURE, or check the spelling"),
                };
                self.diags.push(d);
            }
        }
    }

    fn walk_expr(&mut self, e: &Expr, scope: &mut Scope, callable: Option<&str>, ctx: Ctx) {
        match &e.kind {
            ExprKind::Num { .. } | ExprKind::Str(_) => {}
            ExprKind::Var(lv) => {
                if lv.name.primes > 0 {
                    // x' used in an expression (DERIVATIVE/equation contexts).
                    if !matches!(
                        self.mech.symbols.get(&lv.name.name).map(|s| &s.kind),
                        Some(SymbolKind::State { .. })
                    ) {
                        self.undeclared(&lv.name, "state");
                    }
                } else {
                    self.use_name(&lv.name, scope, callable, ctx);
                }
                if let Some(i) = &lv.index {
                    self.walk_expr(i, scope, callable, ctx);
                }
            }
            ExprKind::Call(c) => self.check_call(c, scope, callable, ctx),
            ExprKind::Int(x) | ExprKind::Paren(x) | ExprKind::Unary(_, x) => {
                self.walk_expr(x, scope, callable, ctx)
            }
            ExprKind::Binary(_, a, b) => {
                self.walk_expr(a, scope, callable, ctx);
                self.walk_expr(b, scope, callable, ctx);
            }
        }
    }
}

/// Levenshtein distance (for "did you mean" hints).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Spans of VERBATIM statements inside blocks (found before names are checked, since C code in
/// them may declare variables used elsewhere).
fn verbatim_statements(items: &[&Item]) -> Vec<Span> {
    fn walk(b: &Block, out: &mut Vec<Span>) {
        for s in &b.stmts {
            match &s.kind {
                StmtKind::Verbatim(_) => out.push(s.span),
                StmtKind::Block(b)
                | StmtKind::While { body: b, .. }
                | StmtKind::From { body: b, .. }
                | StmtKind::ForNetcons { body: b, .. }
                | StmtKind::Initial(b) => walk(b, out),
                StmtKind::If { then, els, .. } => {
                    walk(then, out);
                    if let Some(e) = els {
                        walk(&Block { stmts: vec![(**e).clone()], span: e.span }, out);
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    for item in items {
        match &item.kind {
            ItemKind::Initial(b)
            | ItemKind::Breakpoint(b)
            | ItemKind::Constructor(b)
            | ItemKind::Destructor(b)
            | ItemKind::Derivative { body: b, .. }
            | ItemKind::Kinetic { body: b, .. }
            | ItemKind::Linear { body: b, .. }
            | ItemKind::NonLinear { body: b, .. }
            | ItemKind::Discrete { body: b, .. }
            | ItemKind::NetReceive { body: b, .. }
            | ItemKind::BeforeAfter { body: b, .. } => walk(b, &mut out),
            ItemKind::Procedure(c) | ItemKind::Function(c) => walk(&c.body, &mut out),
            _ => {}
        }
    }
    out
}

/// A PARAMETER's default as NEURON has it: nocmodl writes defaults into the generated C with
/// `%g`, six significant digits, so `PI = 3.14159265358979` is 3.14159 and `K = -23.32708` is
/// -23.3271 in NEURON (numbers inside expressions keep all their digits).
fn as_nocmodl_writes_it(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    format!("{x:.5e}").parse().unwrap_or(x)
}
