//! Cells: the morphology (loaded and prepared here, so that regions and locations are checked
//! against it), regions, locations, inserted mechanisms with their parameter values, membrane
//! and ion properties.

use super::quantities::{Expect, Scope};
use super::Checker;
use crate::diag::{Diagnostic, Span};
use crate::recipe::ast::{BinOp, CellEntry, Entry, Expr, ExprKind, ItemKind, Recipe};
use crate::recipe::codes;
use crate::recipe::expr::{Inputs, Term};
use crate::recipe::geometry::{self, NsegRule};
use crate::recipe::model::{self, Insertion, IonDefaults, Loc, Property, PropertySet, Value};
use crate::recipe::shapes;
use crate::recipe::suggest;
use myelin_runtime::abi::{FieldRole, MechanismKind};
use myelin_runtime::morph::{AxonReplacement, Location, Morphology, TrunkDirection};
use std::collections::{BTreeMap, HashMap};

/// Region and location definitions of a cell, evaluated on demand.
pub(crate) struct CellCx<'m> {
    pub morph: &'m Morphology,
    pub regions: Vec<(String, Expr)>,
    pub locations: Vec<(String, Expr)>,
    region_cache: HashMap<String, Option<Vec<bool>>>,
    location_cache: HashMap<String, Option<Loc>>,
    stack: Vec<String>,
    /// True for a stand-in cell whose morphology could not be loaded (already reported):
    /// regions and locations are not evaluated and report nothing, so that the rest of the cell
    /// and its protocols are still checked without false errors.
    pub unknown: bool,
}

impl<'m> CellCx<'m> {
    pub(crate) fn new(
        morph: &'m Morphology,
        regions: Vec<(String, Expr)>,
        locations: Vec<(String, Expr)>,
    ) -> Self {
        CellCx {
            morph,
            regions,
            locations,
            region_cache: HashMap::new(),
            location_cache: HashMap::new(),
            stack: vec![],
            unknown: false,
        }
    }

    /// A context for a checked cell: its named locations are already resolved.
    pub(crate) fn for_cell(cell: &'m model::Cell) -> Self {
        let mut cx = CellCx::new(&cell.morphology, vec![], vec![]);
        cx.unknown = is_stand_in(cell);
        for (n, l) in &cell.locations {
            cx.location_cache.insert(n.clone(), Some(*l));
            cx.locations.push((n.clone(), Expr { kind: ExprKind::Name(n.clone()), span: Span::default() }));
        }
        cx
    }
}

/// True for a cell that stands in for one whose morphology could not be loaded or prepared (or a
/// protocol's cell that could not be resolved): its errors are reported, the model is not built,
/// and checks that need the morphology are skipped.
pub(crate) fn is_stand_in(cell: &model::Cell) -> bool {
    cell.morphology.sections.is_empty()
}

/// A cell without a morphology or mechanisms, to check a protocol whose cell is unknown.
pub(crate) fn stand_in(name: &str) -> model::Cell {
    model::Cell {
        name: name.to_string(),
        morphology: Morphology::default(),
        morphology_source: String::new(),
        cm: Term::Const(1.0),
        ra: Term::Const(35.4),
        v_init: None,
        properties: vec![],
        insertions: vec![],
        ions: BTreeMap::new(),
        locations: BTreeMap::new(),
    }
}

/// Where a `set` applies: its region, or its name when it has none.
fn value_span(region: &Option<Expr>, name: &crate::recipe::ast::Ident) -> Span {
    region.as_ref().map(|r| r.span).unwrap_or(name.span)
}

/// `name[index]`, or `name` then `name[0]` without an index.
fn find_section(m: &Morphology, name: &str, index: Option<i64>) -> Option<usize> {
    match index {
        Some(i) => m.find(&format!("{name}[{i}]")),
        None => m.find(name).or_else(|| m.find(&format!("{name}[0]"))),
    }
}

/// What the morphology's sections are called, grouped: `soma[0], dend[0..11], apic[0..40]`.
pub(crate) fn section_summary(m: &Morphology) -> String {
    let mut groups: Vec<(String, usize)> = Vec::new();
    for s in &m.sections {
        let base = s.name.split('[').next().unwrap_or(&s.name).to_string();
        match groups.iter_mut().find(|(b, _)| *b == base) {
            Some(g) => g.1 += 1,
            None => groups.push((base, 1)),
        }
    }
    let parts: Vec<String> = groups
        .iter()
        .map(|(b, n)| if *n == 1 { format!("{b}[0]") } else { format!("{b}[0..{}]", n - 1) })
        .collect();
    format!("the morphology has {}", parts.join(", "))
}

impl Checker<'_> {
    pub(super) fn cells(&mut self, recipe: &Recipe) -> Vec<model::Cell> {
        let mut out: Vec<model::Cell> = Vec::new();
        let mut spans: Vec<Span> = Vec::new();
        for item in &recipe.items {
            let ItemKind::Cell { name, body } = &item.kind else { continue };
            if let Some(k) = out.iter().position(|c| c.name == name.name) {
                self.diag(
                    Diagnostic::error(codes::DUPLICATE, format!("cell `{}` is defined twice", name.name))
                        .with_primary(name.span, "again")
                        .with_secondary(spans[k], "first here"),
                );
                continue;
            }
            if let Some(c) = self.cell(&name.name, name.span, body, item.span) {
                out.push(c);
                spans.push(name.span);
            }
        }
        out
    }

    fn cell(&mut self, name: &str, name_span: Span, body: &[CellEntry], span: Span) -> Option<model::Cell> {
        let entries: Vec<Entry> = body
            .iter()
            .filter_map(|e| match e {
                CellEntry::Entry(e) => Some(e.clone()),
                _ => None,
            })
            .collect();
        let keys = self.keys(&entries, &["morphology", "nseg", "cm", "Ra", "v_init"], "a cell");
        let get = |k: &str| keys.iter().find(|e| e.key.name == k).map(|e| &e.value);
        let cm = match get("cm") {
            Some(v) => self.quantity(v, Expect { unit: "uF/cm2", what: "`cm`" }, Scope::PARAMS),
            None => Some(Term::Const(1.0)),
        };
        let ra = match get("Ra") {
            Some(v) => self.quantity(v, Expect { unit: "ohm-cm", what: "`Ra`" }, Scope::PARAMS),
            None => Some(Term::Const(35.4)),
        };
        let v_init =
            get("v_init").map(|v| self.quantity(v, Expect { unit: "mV", what: "`v_init`" }, Scope::PARAMS));
        let nseg = match get("nseg") {
            Some(v) => self.nseg(v),
            None => Some(NsegRule::Given),
        };
        // A value with an error is reported and replaced by its default, so that the rest of the
        // cell (and its protocols) is still checked: one mistake, one message.
        let (cm, ra, nseg) = (
            cm.unwrap_or(Term::Const(1.0)),
            ra.unwrap_or(Term::Const(35.4)),
            nseg.unwrap_or(NsegRule::Given),
        );
        let loaded = match get("morphology") {
            Some(e) => self.load_morphology(e),
            None => {
                self.missing(
                    name_span,
                    "morphology",
                    &format!("cell `{name}`"),
                    "NAME (of a `morphology` item)",
                );
                None
            }
        };
        let mut known = loaded.is_some();
        let (mut morph, axon, source) =
            loaded.unwrap_or_else(|| (Morphology::default(), AxonReplacement::None, String::new()));
        // Region and location definitions, by name.
        let mut regions: Vec<(String, Expr)> = Vec::new();
        let mut locations: Vec<(String, Expr)> = Vec::new();
        for e in body {
            let (list, n, v, what) = match e {
                CellEntry::Region { name, value } => (&mut regions, name, value, "region"),
                CellEntry::Location { name, value } => (&mut locations, name, value, "location"),
                _ => continue,
            };
            let predefined = what == "region" && geometry::SECTION_LISTS.contains(&n.name.as_str());
            if let Some((_, first)) = list.iter().find(|(x, _)| *x == n.name) {
                self.diag(
                    Diagnostic::error(codes::DUPLICATE, format!("{what} `{}` is defined twice", n.name))
                        .with_primary(n.span, "again")
                        .with_secondary(first.span, "first definition")
                        .with_hint(format!("give the second {what} another name")),
                );
                continue;
            }
            if predefined {
                self.diag(
                    Diagnostic::error(codes::DUPLICATE, format!("region `{}` is predefined", n.name))
                        .with_primary(n.span, "a section list")
                        .with_hint(format!(
                            "section lists ({}) are predefined: give the region another name",
                            geometry::SECTION_LISTS.join(", ")
                        )),
                );
                continue;
            }
            list.push((n.name.clone(), v.clone()));
        }
        // The nseg rule runs on the morphology as loaded (BluePyOpt's order), with the cm and
        // Ra it will have there (for d_lambda).
        let params: Vec<f64> = self.params.iter().map(|p| p.value.unwrap_or(f64::NAN)).collect();
        let eval = |t: &Term| t.eval(&Inputs { params: &params, ..Default::default() });
        let (cm0, ra0) = (eval(&cm), eval(&ra));
        let mut per_sec = vec![(ra0, cm0); morph.sections.len()];
        if known && matches!(nseg, NsegRule::DLambda { .. }) {
            let n_diags = self.diags.len();
            let mut cx = CellCx::new(&morph, regions.clone(), locations.clone());
            for e in body {
                if let CellEntry::Set { name, value, region } = e {
                    if name.name != "cm" && name.name != "Ra" {
                        continue;
                    }
                    let unit = if name.name == "cm" { "uF/cm2" } else { "ohm-cm" };
                    let v = self.quantity(value, Expect { unit, what: "" }, Scope::PARAMS).map(|t| eval(&t));
                    let mask = match region {
                        Some(r) => self.region(r, &mut cx),
                        None => Some(vec![true; morph.sections.len()]),
                    };
                    if let (Some(v), Some(mask)) = (v, mask) {
                        for (i, m) in mask.iter().enumerate() {
                            if *m {
                                if name.name == "cm" {
                                    per_sec[i].1 = v;
                                } else {
                                    per_sec[i].0 = v;
                                }
                            }
                        }
                    }
                }
            }
            // Reported again (once) on the prepared morphology below.
            self.diags.truncate(n_diags);
            if per_sec.iter().any(|(r, c)| !r.is_finite() || !c.is_finite()) {
                self.diag(
                    Diagnostic::error(codes::NO_VALUE, "the d_lambda rule needs the values of cm and Ra")
                        .with_primary(get("nseg").map(|e| e.span).unwrap_or(span), "here")
                        .with_hint("give the parameters used in cm and Ra a value"),
                );
                known = false;
            }
        }
        if !known {
            morph = Morphology::default();
        } else if let Err(msg) = geometry::prepare(&mut morph, nseg, |i| per_sec[i], axon) {
            self.diag(
                Diagnostic::error(
                    codes::MORPHOLOGY,
                    format!("cannot prepare the morphology of cell `{name}`: {msg}"),
                )
                .with_primary(get("morphology").map(|e| e.span).unwrap_or(name_span), "this morphology")
                .with_hint("check the nseg rule and the axon replacement"),
            );
            morph = Morphology::default();
        }
        let morph = morph;
        let mut cx = CellCx::new(&morph, regions, locations);
        cx.unknown = morph.sections.is_empty();
        let mut cell = model::Cell {
            name: name.to_string(),
            morphology: morph.clone(),
            morphology_source: source,
            cm,
            ra,
            v_init: v_init.flatten(),
            properties: vec![],
            insertions: vec![],
            ions: BTreeMap::new(),
            locations: BTreeMap::new(),
        };
        // Every region and location definition is checked, used or not.
        for (n, _) in cx.regions.clone() {
            let e = cx.regions.iter().find(|(x, _)| *x == n).map(|(_, e)| e.clone()).expect("defined");
            self.region(&Expr { kind: ExprKind::Name(n), span: e.span }, &mut cx);
        }
        for (n, e) in cx.locations.clone() {
            if let Some(l) = self.location(&Expr { kind: ExprKind::Name(n.clone()), span: e.span }, &mut cx) {
                cell.locations.insert(n, l);
            }
        }
        let mut sets = Vec::new();
        for e in body {
            match e {
                CellEntry::Insert { mechanism, region, params, span } => {
                    if let Some(ins) = self.insert(mechanism, region.as_ref(), params, *span, &mut cx) {
                        cell.insertions.push(ins);
                    }
                }
                CellEntry::Set { name, value, region } => sets.push((name, value, region)),
                CellEntry::Ion { name, entries } => {
                    if let Some(d) = self.ion_defaults(entries) {
                        cell.ions.insert(name.name.clone(), d);
                    }
                }
                _ => {}
            }
        }
        let ions: Vec<String> = {
            let mut v: Vec<String> = Vec::new();
            for ins in &cell.insertions {
                if let Some(m) = self.env.mechanism(&ins.mechanism) {
                    for u in &m.ions {
                        if !v.contains(&u.ion) {
                            v.push(u.ion.clone());
                        }
                    }
                }
            }
            v
        };
        // `ion X { conc_in = C }` is also the initial concentration of the sections where no
        // mechanism writes it (NEURON gives the globals to a section when the ion is inserted;
        // here they are given before `set`, which wins).
        let mut first = Vec::new();
        for (ion, d) in &cell.ions {
            if !ions.contains(ion) {
                continue;
            }
            let all: Vec<usize> = (0..morph.sections.len()).collect();
            if let Some(c) = d.conc_in {
                first.push(PropertySet {
                    sections: all.clone(),
                    what: Property::ConcIn(ion.clone()),
                    value: Term::Const(c),
                });
            }
            if let Some(c) = d.conc_out {
                first.push(PropertySet {
                    sections: all,
                    what: Property::ConcOut(ion.clone()),
                    value: Term::Const(c),
                });
            }
        }
        for (name, value, region) in sets {
            let n = name.name.as_str();
            let ion_of = |prefix: Option<&str>, suffix: Option<&str>| -> Option<String> {
                let mut s = n;
                if let Some(p) = prefix {
                    s = s.strip_prefix(p)?;
                }
                if let Some(x) = suffix {
                    s = s.strip_suffix(x)?;
                }
                ions.iter().find(|i| i.as_str() == s).cloned()
            };
            let (what, unit) = if n == "cm" {
                (Property::Cm, "uF/cm2")
            } else if n == "Ra" {
                (Property::Ra, "ohm-cm")
            } else if let Some(i) = ion_of(Some("e"), None) {
                (Property::Erev(i), "mV")
            } else if let Some(i) = ion_of(None, Some("i")) {
                (Property::ConcIn(i), "mM")
            } else if let Some(i) = ion_of(None, Some("o")) {
                (Property::ConcOut(i), "mM")
            } else {
                let ion_list = if ions.is_empty() { "none".to_string() } else { ions.join(", ") };
                self.diag(
                    Diagnostic::error(codes::UNKNOWN_KEY, format!("`set` cannot set `{n}`"))
                        .with_primary(name.span, "not a membrane or ion property of this cell")
                        .with_hint(format!(
                            "`set` takes cm, Ra, e<ion>, <ion>i, <ion>o; ions used by the inserted mechanisms: {ion_list}"
                        )),
                );
                continue;
            };
            let what_s = format!("`{n}`");
            let Some(value) = self.quantity(value, Expect { unit, what: &what_s }, Scope::PARAMS) else {
                continue;
            };
            let Some(mask) = self.region_or_all(region.as_ref(), &mut cx, name.span) else { continue };
            let sections: Vec<usize> = (0..mask.len()).filter(|&i| mask[i]).collect();
            if !cx.unknown {
                self.ion_set_effect(&mut cell, &what, &value, &sections, name.span, value_span(region, name));
            }
            cell.properties.push(PropertySet { sections, what, value });
        }
        first.append(&mut cell.properties);
        cell.properties = first;
        Some(cell)
    }

    /// NEURON's initialisation overrides some ion values (`ion_style`): where a mechanism writes a
    /// concentration, finitialize resets it to the ion's global initial value (`cai0_ca_ion`);
    /// where a mechanism reads or writes a concentration or writes the reversal potential, the
    /// reversal potential is computed (Nernst). A `set` of a concentration that covers every
    /// section where it is written gives that initial value (as setting `cai0_ca_ion` in
    /// NEURON); any other overridden value is reported (W1005), as it would have no effect.
    fn ion_set_effect(
        &mut self,
        cell: &mut model::Cell,
        what: &Property,
        value: &Term,
        sections: &[usize],
        name_span: Span,
        span: Span,
    ) {
        let (ion, conc_in) = match what {
            Property::ConcIn(i) => (i, Some(true)),
            Property::ConcOut(i) => (i, Some(false)),
            Property::Erev(i) => (i, None),
            _ => return,
        };
        // Sections where the value is overridden, and a mechanism that does it.
        let mut overridden: Vec<usize> = Vec::new();
        let mut by: Option<String> = None;
        let mut writers: Vec<usize> = Vec::new();
        for ins in &cell.insertions {
            let Some(m) = self.env.mechanism(&ins.mechanism) else { continue };
            let Some(u) = m.ions.iter().find(|u| u.ion == *ion) else { continue };
            // Writing either concentration makes NEURON reset both at finitialize.
            let hit = match conc_in {
                Some(_) => u.writes_conc_in || u.writes_conc_out,
                None => {
                    u.writes_erev
                        || u.writes_conc_in
                        || u.writes_conc_out
                        || u.reads_conc_in
                        || u.reads_conc_out
                }
            };
            if !hit {
                continue;
            }
            writers.extend(&ins.sections);
            for s in sections.iter().filter(|s| ins.sections.contains(s)) {
                if !overridden.contains(s) {
                    overridden.push(*s);
                }
                by.get_or_insert_with(|| ins.mechanism.clone());
            }
        }
        let Some(by) = by else { return };
        let n = match (conc_in, what) {
            (Some(true), _) => format!("{ion}i"),
            (Some(false), _) => format!("{ion}o"),
            _ => format!("e{ion}"),
        };
        if let (Some(inner), Some(v)) = (conc_in, value.constant()) {
            if writers.iter().all(|s| sections.contains(s)) {
                // Every written section is covered: the value is the ion's initial one there.
                let d = cell.ions.entry(ion.clone()).or_default();
                if inner {
                    d.conc_in = Some(v);
                } else {
                    d.conc_out = Some(v);
                }
                return;
            }
        }
        let m = &cell.morphology;
        let names: Vec<&str> = overridden.iter().take(3).map(|&s| m.sections[s].name.as_str()).collect();
        let more = if overridden.len() > 3 { ", …" } else { "" };
        let (msg, hint) = match conc_in {
            Some(_) => (
                format!("`set {n}` has no effect where `{by}` writes the concentrations of `{ion}`"),
                format!(
                    "NEURON starts a concentration that a mechanism writes from the ion's initial \
                     value, one per ion: set it with `ion {ion} {{ conc_{} = … }}`, or with `set {n}` \
                     on a region that holds every section where it is written",
                    if conc_in == Some(true) { "in" } else { "out" }
                ),
            ),
            None => (
                format!("`set {n}` has no effect where `{by}` uses the concentrations of `{ion}`"),
                format!(
                    "NEURON computes `{n}` from the concentrations (Nernst) where a mechanism reads \
                     or writes them, or writes `{n}`: set the concentrations instead"
                ),
            ),
        };
        self.diag(
            Diagnostic::warning(codes::NO_EFFECT, msg)
                .with_primary(span, format!("overridden on {}{more}", names.join(", ")))
                .with_secondary(name_span, "set here")
                .with_hint(hint),
        );
    }

    fn region_or_all(&mut self, region: Option<&Expr>, cx: &mut CellCx<'_>, at: Span) -> Option<Vec<bool>> {
        if cx.unknown {
            return Some(vec![]);
        }
        let mask = match region {
            Some(r) => self.region(r, cx)?,
            None => vec![true; cx.morph.sections.len()],
        };
        if !mask.iter().any(|&m| m) {
            self.diag(
                Diagnostic::warning(codes::EMPTY_REGION, "the region selects no section")
                    .with_primary(region.map(|r| r.span).unwrap_or(at), "empty on this morphology")
                    .with_hint(section_summary(cx.morph)),
            );
        }
        Some(mask)
    }

    fn nseg(&mut self, e: &Expr) -> Option<NsegRule> {
        if let ExprKind::Call(f, args) = &e.kind {
            let arg = |k: usize, n: &str| {
                args.iter()
                    .find(|a| a.name.as_ref().is_some_and(|x| x.name == n))
                    .or_else(|| args.get(k).filter(|a| a.name.is_none()))
            };
            match f.as_name() {
                Some("per_length") if args.len() == 1 => {
                    let l = self.positive(
                        &args[0].value,
                        Expect { unit: "um", what: "the segment length of `per_length`" },
                    )?;
                    return Some(NsegRule::PerLength(l));
                }
                Some("d_lambda") if args.len() == 2 => {
                    let (Some(d), Some(fr)) = (arg(0, "d_lambda"), arg(1, "frequency")) else {
                        self.diag(
                            Diagnostic::error(codes::BAD_CALL, "`d_lambda` takes `d_lambda` and `frequency`")
                                .with_primary(e.span, "here")
                                .with_hint("write `d_lambda(0.1, 100 Hz)`"),
                        );
                        return None;
                    };
                    let d = self.positive(&d.value, Expect { unit: "", what: "`d_lambda`" });
                    let fr =
                        self.positive(&fr.value, Expect { unit: "Hz", what: "the frequency of `d_lambda`" });
                    return Some(NsegRule::DLambda { d_lambda: d?, frequency: fr? });
                }
                _ => {}
            }
        }
        if let ExprKind::Number { .. } = e.kind {
            let n = self.count(e, "`nseg`", 1.0)?;
            if n > 32767 {
                self.diag(
                    Diagnostic::error(codes::OUT_OF_RANGE, "`nseg` must be at most 32767")
                        .with_primary(e.span, "too many segments"),
                );
                return None;
            }
            return Some(NsegRule::Fixed(n));
        }
        self.diag(
            Diagnostic::error(codes::WRONG_KIND, "`nseg` is a number of segments or a rule")
                .with_primary(e.span, "not an nseg rule")
                .with_hint("write `nseg = 3`, `nseg = per_length(40 um)` or `nseg = d_lambda(0.1, 100 Hz)`"),
        );
        None
    }

    /// Loads a morphology item by name: the file or built-in shape, and its axon option.
    fn load_morphology(&mut self, e: &Expr) -> Option<(Morphology, AxonReplacement, String)> {
        let Some(name) = e.as_name() else {
            self.diag(
                Diagnostic::error(codes::WRONG_KIND, "`morphology` names a `morphology` item")
                    .with_primary(e.span, "not a name")
                    .with_hint(
                        "define `morphology m = \"cell.swc\"` at top level, then write `morphology = m`",
                    ),
            );
            return None;
        };
        let Some(m) = self.morphologies.iter().find(|m| m.name == name).cloned() else {
            if self.broken("morphology", name) {
                return None;
            }
            let hint = suggest::hint(name, "morphologies", self.morphologies.iter().map(|m| m.name.as_str()));
            self.diag(
                Diagnostic::error(codes::UNKNOWN_NAME, format!("unknown morphology `{name}`"))
                    .with_primary(e.span, "no `morphology` item has this name")
                    .with_hint(hint),
            );
            return None;
        };
        let opts = self.keys(&m.options, &["axon"], "a morphology");
        let mut axon = AxonReplacement::None;
        for o in opts {
            match self.choice(&o.value, &["keep", "bluepyopt", "taper"], "`axon`") {
                Some("bluepyopt") => axon = AxonReplacement::BluePyOpt,
                Some("taper") => axon = AxonReplacement::Taper,
                _ => {}
            }
        }
        match &m.source.kind {
            ExprKind::Str(file) => {
                let path = self.base.join(file);
                let ext = path.extension().and_then(|x| x.to_str()).unwrap_or("").to_ascii_lowercase();
                let loaded = if ext == "swc" || ext == "asc" {
                    myelin_runtime::morph::load(&path).map_err(|e| {
                        if e.line > 0 {
                            format!("line {}: {}", e.line, e.message)
                        } else {
                            e.message.clone()
                        }
                    })
                } else {
                    Err("only .swc and .asc (Neurolucida) files are read".to_string())
                };
                match loaded {
                    Ok(morph) => Some((morph, axon, path.display().to_string())),
                    Err(msg) => {
                        self.diag(
                            Diagnostic::error(codes::MORPHOLOGY, format!("cannot read morphology `{file}`"))
                                .with_primary(m.source.span, msg.lines().next().unwrap_or("").to_string())
                                .with_hint(format!(
                                    "paths are relative to the recipe's directory ({})",
                                    super::shown_dir(&self.base)
                                )),
                        );
                        None
                    }
                }
            }
            ExprKind::Call(f, args) => {
                let shape = f.as_name().unwrap_or("");
                let Some((_, params)) = shapes::SHAPES.iter().find(|(n, _)| *n == shape) else {
                    let hint =
                        suggest::hint(shape, "built-in shapes", shapes::SHAPES.iter().map(|(n, _)| *n));
                    self.diag(
                        Diagnostic::error(
                            codes::UNKNOWN_NAME,
                            format!("unknown built-in morphology `{shape}`"),
                        )
                        .with_primary(f.span, "not a built-in shape")
                        .with_hint(hint),
                    );
                    return None;
                };
                let mut vals: Vec<f64> = params.iter().map(|(_, d)| *d).collect();
                for a in args {
                    let Some(an) = &a.name else {
                        self.diag(
                            Diagnostic::error(codes::BAD_CALL, format!("arguments of `{shape}` are named"))
                                .with_primary(a.value.span, "name this argument")
                                .with_hint(format!("write e.g. `{shape}({} = 20 um)`", params[0].0)),
                        );
                        return None;
                    };
                    let Some(k) = params.iter().position(|(n, _)| *n == an.name) else {
                        let hint = suggest::hint(&an.name, "arguments", params.iter().map(|(n, _)| *n));
                        self.diag(
                            Diagnostic::error(
                                codes::UNKNOWN_KEY,
                                format!("`{shape}` has no argument `{}`", an.name),
                            )
                            .with_primary(an.span, "unknown argument")
                            .with_hint(hint),
                        );
                        return None;
                    };
                    let what = format!("`{}`", an.name);
                    vals[k] = self.positive(&a.value, Expect { unit: "um", what: &what })?;
                }
                let morph = if shape == "cylinder" {
                    shapes::cylinder(vals[0], vals[1])
                } else {
                    shapes::ball_and_stick(vals[0], vals[1], vals[2], vals[3])
                };
                Some((morph, axon, shape.to_string()))
            }
            _ => {
                self.diag(
                    Diagnostic::error(codes::WRONG_KIND, "a morphology is a file name or a built-in shape")
                        .with_primary(m.source.span, "neither")
                        .with_hint("write `morphology m = \"cell.swc\"` or `morphology m = cylinder(length = 20 um, diam = 20 um)`"),
                );
                None
            }
        }
    }

    /// Evaluates a region to a section mask.
    pub(crate) fn region(&mut self, e: &Expr, cx: &mut CellCx<'_>) -> Option<Vec<bool>> {
        if cx.unknown {
            return None;
        }
        let n_secs = cx.morph.sections.len();
        match &e.kind {
            ExprKind::Name(n) => {
                if let Some(m) = geometry::section_list(cx.morph, n) {
                    return Some(m);
                }
                if let Some(c) = cx.region_cache.get(n) {
                    return c.clone();
                }
                let Some((_, def)) = cx.regions.iter().find(|(x, _)| x == n).cloned() else {
                    // A section array name: every section `n[i]` (or the section `n`).
                    let arr: Vec<bool> = cx
                        .morph
                        .sections
                        .iter()
                        .map(|s| {
                            s.name == *n
                                || s.name.split('[').next() == Some(n.as_str()) && s.name.contains('[')
                        })
                        .collect();
                    if arr.iter().any(|&b| b) {
                        return Some(arr);
                    }
                    let mut cands: Vec<&str> = geometry::SECTION_LISTS.to_vec();
                    let defined: Vec<String> = cx.regions.iter().map(|(x, _)| x.clone()).collect();
                    cands.extend(defined.iter().map(String::as_str));
                    let hint = suggest::hint(n, "regions", cands.iter().copied());
                    self.diag(
                        Diagnostic::error(codes::UNKNOWN_REGION, format!("unknown region `{n}`"))
                            .with_primary(
                                e.span,
                                "not a section list, a region or a section name of this cell",
                            )
                            .with_hint(hint),
                    );
                    return None;
                };
                if cx.stack.contains(n) {
                    self.diag(
                        Diagnostic::error(
                            codes::RECURSION,
                            format!("region `{n}` is defined in terms of itself"),
                        )
                        .with_primary(e.span, "circular definition"),
                    );
                    return None;
                }
                cx.stack.push(n.clone());
                let r = self.region(&def, cx);
                cx.stack.pop();
                cx.region_cache.insert(n.clone(), r.clone());
                r
            }
            ExprKind::Index(base, idx) => {
                let s = self.section_ref(base, idx, e.span, cx.morph)?;
                let mut m = vec![false; n_secs];
                m[s] = true;
                Some(m)
            }
            ExprKind::Call(f, args) => match f.as_name() {
                Some("type") if args.len() == 1 => {
                    let t = self.constant(&args[0].value, Expect { unit: "", what: "an SWC type" })?;
                    if t.fract() != 0.0 || t.abs() > 1e6 {
                        self.diag(
                            Diagnostic::error(codes::OUT_OF_RANGE, "an SWC type is a whole number")
                                .with_primary(args[0].value.span, format!("{t}")),
                        );
                        return None;
                    }
                    Some(geometry::of_type(cx.morph, t as i32))
                }
                Some("distance") if args.len() == 2 => {
                    let lo = self.constant(&args[0].value, Expect { unit: "um", what: "the lower distance" });
                    let hi = self.constant(&args[1].value, Expect { unit: "um", what: "the upper distance" });
                    let (lo, hi) = (lo?, hi?);
                    if lo > hi {
                        self.diag(
                            Diagnostic::error(codes::OUT_OF_RANGE, "the distance range is inverted")
                                .with_primary(e.span, format!("{lo} µm > {hi} µm"))
                                .with_hint("write `distance(LOWER, UPPER)`"),
                        );
                        return None;
                    }
                    let Some(d) = geometry::midpoint_distances(cx.morph) else {
                        self.diag(
                            Diagnostic::error(codes::BAD_LOCATION, "distances need a soma")
                                .with_primary(e.span, "the morphology has no soma[0]")
                                .with_hint("distances are measured from soma[0](0.5)"),
                        );
                        return None;
                    };
                    Some(d.iter().map(|&x| x >= lo && x <= hi).collect())
                }
                _ => {
                    self.diag(
                        Diagnostic::error(codes::WRONG_KIND, "expected a region")
                            .with_primary(e.span, "not a region")
                            .with_hint("regions are section lists (all, somatic, axonal, basal, apical, myelinated), \
                                        region names, sections such as `apic[3]`, `type(N)`, `distance(LOWER, UPPER)`, \
                                        combined with `|`, `&` and `-`"),
                    );
                    None
                }
            },
            ExprKind::Binary(op @ (BinOp::Union | BinOp::Intersect | BinOp::Sub), a, b) => {
                let ra = self.region(a, cx);
                let rb = self.region(b, cx);
                let (ra, rb) = (ra?, rb?);
                Some(
                    ra.iter()
                        .zip(&rb)
                        .map(|(&x, &y)| match op {
                            BinOp::Union => x || y,
                            BinOp::Intersect => x && y,
                            _ => x && !y,
                        })
                        .collect(),
                )
            }
            _ => {
                self.diag(
                    Diagnostic::error(codes::WRONG_KIND, "expected a region")
                        .with_primary(e.span, "not a region")
                        .with_hint(
                            "combine regions with `|` (union), `&` (intersection) and `-` (difference)",
                        ),
                );
                None
            }
        }
    }

    /// `name[index]` as a section.
    fn section_ref(&mut self, base: &Expr, idx: &Expr, span: Span, m: &Morphology) -> Option<usize> {
        let Some(name) = base.as_name() else {
            self.diag(
                Diagnostic::error(codes::WRONG_KIND, "expected a section name")
                    .with_primary(base.span, "here"),
            );
            return None;
        };
        let i = self.constant(idx, Expect { unit: "", what: "a section index" })?;
        if i.fract() != 0.0 || i < 0.0 {
            self.diag(
                Diagnostic::error(codes::OUT_OF_RANGE, "a section index is a whole number ≥ 0")
                    .with_primary(idx.span, format!("{i}")),
            );
            return None;
        }
        match find_section(m, name, Some(i as i64)) {
            Some(s) => Some(s),
            None => {
                self.diag(
                    Diagnostic::error(
                        codes::UNKNOWN_SECTION,
                        format!("the morphology has no section `{name}[{i}]`"),
                    )
                    .with_primary(span, "no such section")
                    .with_hint(section_summary(m)),
                );
                None
            }
        }
    }

    /// Evaluates a location.
    pub(crate) fn location(&mut self, e: &Expr, cx: &mut CellCx<'_>) -> Option<Loc> {
        if cx.unknown {
            return None;
        }
        let m = cx.morph;
        let bad = |c: &mut Checker<'_>, msg: String, hint: String| {
            c.diag(
                Diagnostic::error(codes::BAD_LOCATION, msg)
                    .with_primary(e.span, "not on this morphology")
                    .with_hint(hint),
            );
        };
        let to_loc = |l: Location| Loc { section: l.section, x: l.x };
        match &e.kind {
            ExprKind::Name(n) => {
                if let Some(c) = cx.location_cache.get(n) {
                    return *c;
                }
                if let Some((_, def)) = cx.locations.iter().find(|(x, _)| x == n).cloned() {
                    if cx.stack.contains(n) {
                        self.diag(
                            Diagnostic::error(
                                codes::RECURSION,
                                format!("location `{n}` is defined in terms of itself"),
                            )
                            .with_primary(e.span, "circular definition"),
                        );
                        return None;
                    }
                    cx.stack.push(n.clone());
                    let r = self.location(&def, cx);
                    cx.stack.pop();
                    cx.location_cache.insert(n.clone(), r);
                    return r;
                }
                if let Some(s) = find_section(m, n, None) {
                    return Some(Loc { section: s, x: 0.5 });
                }
                let names: Vec<String> = cx.locations.iter().map(|(x, _)| x.clone()).collect();
                let hint = if names.is_empty() {
                    format!("write `section(x)`, e.g. `soma(0.5)`; {}", section_summary(m))
                } else {
                    suggest::hint(n, "locations", names.iter().map(String::as_str))
                };
                self.diag(
                    Diagnostic::error(codes::UNKNOWN_NAME, format!("unknown location `{n}`"))
                        .with_primary(e.span, "not a location of this cell or a section")
                        .with_hint(hint),
                );
                None
            }
            ExprKind::Index(base, idx) => {
                Some(Loc { section: self.section_ref(base, idx, e.span, m)?, x: 0.5 })
            }
            ExprKind::Call(f, args) => {
                let list_arg = |c: &mut Checker<'_>, a: &Expr| -> Option<String> {
                    match a.as_name() {
                        Some(l) if geometry::SECTION_LISTS.contains(&l) => Some(l.to_string()),
                        _ => {
                            c.diag(
                                Diagnostic::error(codes::UNKNOWN_REGION, "expected a section list")
                                    .with_primary(a.span, "not a section list")
                                    .with_hint(
                                        "section lists: all, somatic, axonal, basal, apical, myelinated",
                                    ),
                            );
                            None
                        }
                    }
                };
                match f.as_name() {
                    Some(k @ ("somadistance" | "trunk")) => {
                        // `trunk(LIST, D, radial)`: the end furthest from the origin, not along +y.
                        let radial =
                            k == "trunk" && args.len() == 3 && args[2].value.as_name() == Some("radial");
                        if args.len() != 2 && !radial {
                            self.diag(
                                Diagnostic::error(
                                    codes::BAD_CALL,
                                    format!("`{k}` takes a section list and a distance"),
                                )
                                .with_primary(e.span, "here")
                                .with_hint(format!("write `{k}(apical, 400 um)`")),
                            );
                            return None;
                        }
                        let list = list_arg(self, &args[0].value);
                        let d = self.constant(&args[1].value, Expect { unit: "um", what: "the distance" });
                        let (list, d) = (list?, d?);
                        let r = if k == "trunk" {
                            let dir = if radial {
                                TrunkDirection::Radial
                            } else {
                                TrunkDirection::Along([0.0, 1.0, 0.0])
                            };
                            m.trunk_soma_distance_location(&list, d, dir)
                        } else {
                            m.soma_distance_location(&list, d)
                        };
                        match r {
                            Ok(l) => Some(to_loc(l)),
                            Err(err) => {
                                bad(
                                    self,
                                    format!("no point of `{list}` at {d} µm from the soma"),
                                    err.message.clone(),
                                );
                                None
                            }
                        }
                    }
                    Some("seclist") => {
                        if args.len() != 3 {
                            self.diag(
                                Diagnostic::error(
                                    codes::BAD_CALL,
                                    "`seclist` takes a section list, an index and x",
                                )
                                .with_primary(e.span, "here")
                                .with_hint("write `seclist(apical, 3, 0.5)`"),
                            );
                            return None;
                        }
                        let list = list_arg(self, &args[0].value);
                        let i = self.count(&args[1].value, "a section index", 0.0);
                        let x = self.x(&args[2].value);
                        let (list, i, x) = (list?, i?, x?);
                        match m.seclist_location(&list, i as usize, x) {
                            Ok(l) => Some(to_loc(l)),
                            Err(err) => {
                                bad(self, format!("`{list}` has no section {i}"), err.message.clone());
                                None
                            }
                        }
                    }
                    _ => {
                        let sec = match &f.kind {
                            ExprKind::Name(n) => match find_section(m, n, None) {
                                Some(s) => Some(s),
                                None => {
                                    self.diag(
                                        Diagnostic::error(
                                            codes::UNKNOWN_SECTION,
                                            format!("the morphology has no section `{n}`"),
                                        )
                                        .with_primary(f.span, "no such section")
                                        .with_hint(section_summary(m)),
                                    );
                                    None
                                }
                            },
                            ExprKind::Index(base, idx) => self.section_ref(base, idx, f.span, m),
                            _ => {
                                self.diag(
                                    Diagnostic::error(codes::WRONG_KIND, "expected a location")
                                        .with_primary(e.span, "not a location")
                                        .with_hint("write `section(x)`, e.g. `soma(0.5)`, `dend[3](0.2)`"),
                                );
                                None
                            }
                        };
                        if args.len() != 1 {
                            self.diag(
                                Diagnostic::error(codes::BAD_CALL, "a location is `section(x)` with one x")
                                    .with_primary(e.span, "here"),
                            );
                            return None;
                        }
                        let x = self.x(&args[0].value);
                        Some(Loc { section: sec?, x: x? })
                    }
                }
            }
            _ => {
                self.diag(
                    Diagnostic::error(codes::WRONG_KIND, "expected a location")
                        .with_primary(e.span, "not a location")
                        .with_hint("write `soma(0.5)`, `dend[3](0.2)`, `somadistance(apical, 400 um)` or a location name"),
                );
                None
            }
        }
    }

    fn x(&mut self, e: &Expr) -> Option<f64> {
        let x = self.constant(e, Expect { unit: "", what: "the position x" })?;
        if !(0.0..=1.0).contains(&x) {
            self.diag(
                Diagnostic::error(codes::BAD_LOCATION, format!("x = {x} is outside the section"))
                    .with_primary(e.span, "must be within 0..1")
                    .with_hint(
                        "x is the relative position along the section, 0 at its start and 1 at its end",
                    ),
            );
            return None;
        }
        Some(x)
    }

    fn insert(
        &mut self,
        mech: &crate::recipe::ast::Ident,
        region: Option<&Expr>,
        params: &[Entry],
        span: Span,
        cx: &mut CellCx<'_>,
    ) -> Option<Insertion> {
        let Some(meta) = self.env.mechanism(&mech.name).cloned() else {
            let names = self.env.mechanism_names();
            let hint = match suggest::closest(&mech.name, names.iter().map(String::as_str)) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "add the .mod file's folder to the sources: `mechanisms { builtin  mod \"DIR\" }`"
                    .to_string(),
            };
            self.diag(
                Diagnostic::error(codes::UNKNOWN_MECHANISM, format!("unknown mechanism `{}`", mech.name))
                    .with_primary(mech.span, "no mechanism source provides it")
                    .with_hint(hint),
            );
            return None;
        };
        if meta.kind != MechanismKind::Density {
            self.diag(
                Diagnostic::error(
                    codes::MECH_KIND,
                    format!(
                        "`{}` is {}, not a density mechanism",
                        mech.name,
                        if meta.kind == MechanismKind::Point { "a point process" } else { "an artificial cell" }
                    ),
                )
                .with_primary(mech.span, "cannot be inserted on a region")
                .with_hint("point processes are placed by protocols: `stimulus synapse at LOCATION { mechanism = NAME … }`"),
            );
            return None;
        }
        let mask = self.region_or_all(region, cx, span);
        let mut values = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for p in params {
            let pn = p.key.name.as_str();
            if seen.contains(&pn) {
                self.diag(
                    Diagnostic::error(codes::DUPLICATE, format!("`{pn}` is set twice"))
                        .with_primary(p.key.span, "again"),
                );
                continue;
            }
            seen.push(pn);
            let field = meta.field_index(pn).map(|f| &meta.fields[f]);
            let Some(field) = field.filter(|f| f.role == FieldRole::Parameter) else {
                let pnames: Vec<&str> = meta
                    .fields
                    .iter()
                    .filter(|f| f.role == FieldRole::Parameter)
                    .map(|f| f.name.as_str())
                    .collect();
                let suffix = format!("_{}", meta.name);
                let hint = if let Some(f) = field {
                    format!("`{pn}` is {} of `{}`, set by the mechanism itself", role_name(f.role), meta.name)
                } else if let Some(base) = pn.strip_suffix(&suffix).filter(|b| pnames.contains(b)) {
                    format!("inside `insert {}`, write the parameter without the suffix: `{base}`", meta.name)
                } else if meta.globals.iter().any(|g| g.name == pn) {
                    format!(
                        "`{pn}` is a GLOBAL of `{}`: mechanism-wide values cannot be set per region",
                        meta.name
                    )
                } else {
                    suggest::hint(pn, &format!("parameters of `{}`", meta.name), pnames.iter().copied())
                };
                self.diag(
                    Diagnostic::error(
                        codes::UNKNOWN_MECH_PARAM,
                        format!("`{pn}` is not a parameter of `{}`", meta.name),
                    )
                    .with_primary(p.key.span, "not settable here")
                    .with_hint(hint),
                );
                continue;
            };
            if let Some(std) = &p.std {
                self.diag(
                    Diagnostic::error(codes::SYNTAX, "a parameter value takes no `+-`")
                        .with_primary(std.span, "unexpected"),
                );
                continue;
            }
            let unit = field.units.trim().trim_start_matches('(').trim_end_matches(')').trim().to_string();
            let known = unit.is_empty() || crate::units::parse_unit(&unit).is_ok();
            let what = format!("`{pn}` of `{}`", meta.name);
            let term = if known {
                self.quantity(&p.value, Expect { unit: &unit, what: &what }, Scope::SEGMENT)
            } else {
                self.diag(
                    Diagnostic::warning(
                        codes::UNCHECKED_UNIT,
                        format!(
                            "the unit of `{pn}` in `{}` is `{unit}`, which Myelin cannot read",
                            meta.name
                        ),
                    )
                    .with_primary(p.value.span, "used as written, without a unit check"),
                );
                self.typed(&p.value, Scope::SEGMENT, &mut Vec::new(), 0).map(|t| t.term)
            };
            let Some(term) = term else { continue };
            let v = if term.uses_geometry() {
                let k = match self.segment_terms.iter().position(|t| *t == term) {
                    Some(k) => k,
                    None => {
                        self.segment_terms.push(term);
                        self.segment_terms.len() - 1
                    }
                };
                Value::Segment(k)
            } else {
                Value::Uniform(term)
            };
            values.push((pn.to_string(), v));
        }
        let mask = mask?;
        Some(Insertion {
            mechanism: meta.name.clone(),
            everywhere: mask.iter().all(|&m| m),
            sections: (0..mask.len()).filter(|&i| mask[i]).collect(),
            params: values,
        })
    }

    fn ion_defaults(&mut self, entries: &[Entry]) -> Option<IonDefaults> {
        let mut d = IonDefaults::default();
        for e in self.keys(entries, &["valence", "conc_in", "conc_out"], "an ion") {
            match e.key.name.as_str() {
                "valence" => d.valence = self.constant(&e.value, Expect { unit: "", what: "`valence`" }),
                "conc_in" => d.conc_in = self.positive(&e.value, Expect { unit: "mM", what: "`conc_in`" }),
                _ => d.conc_out = self.positive(&e.value, Expect { unit: "mM", what: "`conc_out`" }),
            }
        }
        Some(d)
    }
}

fn role_name(r: FieldRole) -> &'static str {
    match r {
        FieldRole::Parameter => "a parameter",
        FieldRole::State => "a state",
        FieldRole::Assigned => "an assigned variable",
        FieldRole::Internal => "internal storage",
    }
}
