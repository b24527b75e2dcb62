//! Protocols (stimuli, recordings, features, eFEL settings) and the searches of
//! threshold-based protocols.

use super::cell::CellCx;
use super::quantities::{Expect, Scope};
use super::Checker;
use crate::diag::{Diagnostic, Span};
use crate::recipe::ast::{Entry, Expr, ExprKind, ItemKind, ProtocolEntry, Recipe};
use crate::recipe::codes;
use crate::recipe::expr::{CurrentVar, Term};
use crate::recipe::model::{
    self, FeatureTarget, Loc, Recording, ResponseTarget, Stimulus, StimulusKind, Variable,
};
use crate::recipe::suggest;
use myelin_runtime::abi::{FieldRole, MechanismKind};

/// Keys of each stimulus kind: (required, optional).
const STIMULI: &[(&str, &[&str], &[&str])] = &[
    ("step", &["delay", "duration", "amplitude"], &[]),
    ("holding", &["amplitude"], &[]),
    ("ramp", &["delay", "duration", "amplitude_start", "amplitude_end"], &[]),
    ("pulses", &["delay", "duration", "amplitude", "count", "interval"], &[]),
    ("sequence", &["times", "amplitudes"], &[]),
    ("noise", &["delay", "duration", "mean", "std"], &["seed"]),
    ("synapse", &["mechanism", "times", "weight"], &["delay"]),
    ("clamp", &["durations", "levels"], &["rs"]),
];

impl Checker<'_> {
    pub(super) fn protocols(&mut self, recipe: &Recipe, cells: &[model::Cell]) -> Vec<model::Protocol> {
        let mut out: Vec<model::Protocol> = Vec::new();
        let mut cell_spans = Vec::new();
        for item in &recipe.items {
            if let ItemKind::Cell { name, .. } = &item.kind {
                cell_spans.push(name.clone());
            }
        }
        for item in &recipe.items {
            let ItemKind::Protocol { name, cell, body } = &item.kind else { continue };
            if out.iter().any(|p| p.name == name.name) {
                self.diag(
                    Diagnostic::error(codes::DUPLICATE, format!("protocol `{}` is defined twice", name.name))
                        .with_primary(name.span, "again"),
                );
                continue;
            }
            // Without a cell, the body is still checked against a stand-in (no morphology, no
            // mechanisms) so that its own errors are reported; the protocol is then known by
            // name but not runnable, and statements that use it report nothing more.
            let ci = match cell {
                Some(c) => match cells.iter().position(|x| x.name == c.name) {
                    Some(i) => Some(i),
                    None => {
                        if !cell_spans.iter().any(|s| s.name == c.name) && !self.broken("cell", &c.name) {
                            let hint =
                                suggest::hint(&c.name, "cells", cell_spans.iter().map(|s| s.name.as_str()));
                            self.diag(
                                Diagnostic::error(codes::CELL, format!("unknown cell `{}`", c.name))
                                    .with_primary(c.span, "no cell has this name")
                                    .with_hint(hint),
                            );
                        }
                        None
                    }
                },
                None if cells.len() == 1 => Some(0),
                None => {
                    if cell_spans.len() > 1 {
                        self.diag(
                            Diagnostic::error(
                                codes::CELL,
                                format!("protocol `{}` does not say which cell it runs on", name.name),
                            )
                            .with_primary(name.span, "several cells are defined")
                            .with_hint(format!("write `protocol {} for CELL {{ … }}`", name.name)),
                        );
                    } else if cell_spans.is_empty() && !self.broken.iter().any(|(k, _)| k == "cell") {
                        self.diag(
                            Diagnostic::error(
                                codes::CELL,
                                format!("protocol `{}` has no cell to run on", name.name),
                            )
                            .with_primary(name.span, "no cell is defined")
                            .with_hint("define one: `cell NAME { morphology = M … }`"),
                        );
                    }
                    None
                }
            };
            let checked = match ci {
                Some(ci) => self.protocol(&name.name, name.span, ci, &cells[ci], true, body, item.span),
                None => {
                    let stand_in = super::cell::stand_in("");
                    self.protocol(&name.name, name.span, 0, &stand_in, false, body, item.span);
                    None
                }
            };
            match checked {
                Some(p) => out.push(p),
                None => self.broken.push(("protocol".into(), name.name.clone())),
            }
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn protocol(
        &mut self,
        name: &str,
        name_span: Span,
        ci: usize,
        cell: &model::Cell,
        cell_known: bool,
        body: &[ProtocolEntry],
        span: Span,
    ) -> Option<model::Protocol> {
        let mut cx = CellCx::for_cell(cell);
        let entries: Vec<Entry> = body
            .iter()
            .filter_map(|e| match e {
                ProtocolEntry::Entry(e) => Some(e.clone()),
                _ => None,
            })
            .collect();
        let keys = self.keys(&entries, &["duration", "dt"], "a protocol");
        let mut duration = None;
        let mut dt = None;
        for e in &keys {
            if e.key.name == "duration" {
                duration = self.time(&e.value, "the protocol's `duration`", true);
            } else {
                dt = self.positive(&e.value, Expect { unit: "ms", what: "`dt`" }).map(Term::Const);
            }
        }
        if !keys.iter().any(|e| e.key.name == "duration") {
            self.missing(name_span, "duration", &format!("protocol `{name}`"), "1000 ms");
        }
        let mut p = model::Protocol {
            name: name.to_string(),
            cell: ci,
            duration: duration.clone().unwrap_or(Term::Const(0.0)),
            dt,
            stimuli: vec![],
            recordings: vec![],
            features: vec![],
            efel: vec![],
            span,
        };
        if body.iter().any(|e| matches!(e, ProtocolEntry::Feature { .. })) {
            self.with_features.push(name.to_string());
        }
        let mut rec_spans: Vec<Span> = Vec::new();
        // Recordings written in the protocol, including those with errors (already reported):
        // features of those are still checked, without a second message about the recording.
        let declared: Vec<&str> = body
            .iter()
            .filter_map(|e| match e {
                ProtocolEntry::Record { name, .. } => Some(name.name.as_str()),
                _ => None,
            })
            .collect();
        for e in body {
            match e {
                ProtocolEntry::Stimulus { kind, at, entries, span } => {
                    let loc = self.location(at, &mut cx);
                    if let Some(k) = self.stimulus(&kind.name, kind.span, entries, *span, loc) {
                        if let Some(at) = loc {
                            p.stimuli.push(Stimulus { at, kind: k, span: *span });
                        }
                    }
                }
                ProtocolEntry::Record { name: rn, variable, at } => {
                    if let Some(k) = p.recordings.iter().position(|r| r.name == rn.name) {
                        self.diag(
                            Diagnostic::error(
                                codes::DUPLICATE,
                                format!("recording `{}` is defined twice", rn.name),
                            )
                            .with_primary(rn.span, "again")
                            .with_secondary(rec_spans[k], "first here"),
                        );
                        continue;
                    }
                    let loc = self.location(at, &mut cx);
                    let var = self.variable(variable, cell, cell_known, loc);
                    if let (Some(at), Some((variable, column, unit))) = (loc, var) {
                        p.recordings.push(Recording { name: rn.name.clone(), variable, at, column, unit });
                        rec_spans.push(rn.span);
                    }
                }
                ProtocolEntry::Efel(entries) => {
                    let s = self.efel_settings(entries, false);
                    p.efel.extend(s);
                }
                _ => {}
            }
        }
        for e in body {
            if let ProtocolEntry::Feature { recording, feature, mean, std, settings, span } = e {
                let recorded = p.recordings.iter().any(|r| r.name == recording.name);
                if !recorded && !declared.contains(&recording.name.as_str()) {
                    let hint = suggest::hint(&recording.name, "recordings", declared.iter().copied());
                    self.diag(
                        Diagnostic::error(
                            codes::UNKNOWN_NAME,
                            format!("protocol `{name}` has no recording `{}`", recording.name),
                        )
                        .with_primary(recording.span, "not a recording of this protocol")
                        .with_hint(hint),
                    );
                    continue;
                }
                let info = match self.env.feature(&feature.name) {
                    Ok(i) => i,
                    Err(s) => {
                        let hint = match s {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => "features have eFEL's names, e.g. Spikecount, AP_amplitude, mean_frequency, voltage_base".to_string(),
                        };
                        self.diag(
                            Diagnostic::error(
                                codes::UNKNOWN_FEATURE,
                                format!("unknown feature `{}`", feature.name),
                            )
                            .with_primary(feature.span, "not an eFEL feature Myelin computes")
                            .with_hint(hint),
                        );
                        continue;
                    }
                };
                let unit = info.unit.to_string();
                let what = format!("the target of `{}`", feature.name);
                let m = self.constant(mean, Expect { unit: &unit, what: &what });
                // The spread is checked once the mean is right (one message for one mistake).
                let s = match m {
                    Some(_) => self.constant(std, Expect { unit: &unit, what: &what }),
                    None => None,
                };
                let settings = self.efel_settings(settings, true);
                let (Some(m), Some(s)) = (m, s) else { continue };
                if s.is_nan() || s <= 0.0 {
                    self.diag(
                        Diagnostic::error(
                            codes::OUT_OF_RANGE,
                            "the standard deviation of a target must be positive",
                        )
                        .with_primary(std.span, format!("{s}"))
                        .with_hint("scores divide by it"),
                    );
                    continue;
                }
                let weight = settings
                    .iter()
                    .find_map(|(n, v)| match (n.as_str(), v) {
                        ("weight", model::SettingValue::Number(w)) => Some(*w),
                        _ => None,
                    })
                    .unwrap_or(1.0);
                let settings = settings.into_iter().filter(|(n, _)| n != "weight").collect();
                if !recorded {
                    continue;
                }
                p.features.push(FeatureTarget {
                    recording: recording.name.clone(),
                    feature: feature.name.clone(),
                    mean: m,
                    std: s,
                    weight,
                    settings,
                    span: *span,
                });
            }
        }
        duration?;
        Some(p)
    }

    /// A time (ms) that may depend on parameters; constant ones are checked to be ≥ 0 (> 0 when
    /// `positive`).
    fn time(&mut self, e: &Expr, what: &str, positive: bool) -> Option<Term> {
        let t = self.quantity(e, Expect { unit: "ms", what }, Scope::PARAMS)?;
        if let Some(v) = t.constant() {
            if v < 0.0 || (positive && v == 0.0) || !v.is_finite() {
                self.diag(
                    Diagnostic::error(
                        codes::OUT_OF_RANGE,
                        format!("{what} must be {}", if positive { "positive" } else { "≥ 0" }),
                    )
                    .with_primary(e.span, format!("{v} ms")),
                );
                return None;
            }
        }
        Some(t)
    }

    fn list<'e>(&mut self, e: &'e Expr, what: &str) -> Option<&'e [Expr]> {
        match &e.kind {
            ExprKind::List(items) => Some(items),
            _ => {
                self.diag(
                    Diagnostic::error(codes::WRONG_KIND, format!("{what} is a list"))
                        .with_primary(e.span, "not a list")
                        .with_hint("write `[a, b, c]`"),
                );
                None
            }
        }
    }

    fn stimulus(
        &mut self,
        kind: &str,
        kind_span: Span,
        entries: &[Entry],
        span: Span,
        loc: Option<Loc>,
    ) -> Option<StimulusKind> {
        let Some((_, required, optional)) = STIMULI.iter().find(|(k, _, _)| *k == kind) else {
            let hint = suggest::hint(kind, "stimuli", STIMULI.iter().map(|(k, _, _)| *k));
            self.diag(
                Diagnostic::error(codes::UNKNOWN_NAME, format!("unknown stimulus `{kind}`"))
                    .with_primary(kind_span, "not a kind of stimulus")
                    .with_hint(hint),
            );
            return None;
        };
        // A synapse also takes the mechanism's parameters.
        let mech_meta = if kind == "synapse" {
            let m = entries.iter().find(|e| e.key.name == "mechanism");
            match m.and_then(|e| e.value.as_name().map(|n| (n, e.value.span))) {
                Some((n, sp)) => match self.env.mechanism(n).cloned() {
                    Some(meta) if meta.kind == MechanismKind::Point && meta.net_receive_args > 0 => {
                        Some(meta)
                    }
                    Some(_) => {
                        self.diag(
                            Diagnostic::error(codes::MECH_KIND, format!("`{n}` is not a synapse"))
                                .with_primary(sp, "not a point process that receives spikes")
                                .with_hint("a synapse is a POINT_PROCESS with a NET_RECEIVE block, e.g. ExpSyn, Exp2Syn"),
                        );
                        return None;
                    }
                    None => {
                        let names = self.env.mechanism_names();
                        let hint = suggest::hint(n, "mechanisms", names.iter().map(String::as_str));
                        self.diag(
                            Diagnostic::error(codes::UNKNOWN_MECHANISM, format!("unknown mechanism `{n}`"))
                                .with_primary(sp, "no mechanism source provides it")
                                .with_hint(hint),
                        );
                        return None;
                    }
                },
                None => {
                    if let Some(e) = m {
                        self.diag(
                            Diagnostic::error(codes::WRONG_KIND, "`mechanism` is a mechanism name")
                                .with_primary(e.value.span, "not a name")
                                .with_hint("write `mechanism = ExpSyn`"),
                        );
                        return None;
                    }
                    None
                }
            }
        } else {
            None
        };
        let mut known: Vec<&str> = required.iter().chain(optional.iter()).copied().collect();
        let pnames: Vec<String> = mech_meta
            .iter()
            .flat_map(|m| m.fields.iter().filter(|f| f.role == FieldRole::Parameter).map(|f| f.name.clone()))
            .collect();
        known.extend(pnames.iter().map(String::as_str));
        let what = format!("a `{kind}` stimulus");
        let got = self.keys(entries, &known, &what);
        let mut ok = true;
        for r in *required {
            if !got.iter().any(|e| e.key.name == *r) {
                let example = match *r {
                    "delay" | "duration" | "interval" => "100 ms",
                    "amplitude" | "amplitude_start" | "amplitude_end" | "mean" | "std" => "0.1 nA",
                    "count" => "5",
                    "times" => "[10 ms, 20 ms]",
                    "amplitudes" => "[0 nA, 0.2 nA]",
                    "mechanism" => "ExpSyn",
                    "weight" => "0.01 uS",
                    "durations" => "[100 ms, 50 ms]",
                    _ => "[-70 mV, -10 mV]",
                };
                self.missing(span, r, &what, example);
                ok = false;
            }
        }
        let _ = loc;
        let get = |k: &str| got.iter().find(|e| e.key.name == k).map(|e| &e.value);
        let amp = |c: &mut Checker<'_>, k: &str| -> Option<Term> {
            let what = format!("`{k}`");
            c.quantity(get(k)?, Expect { unit: "nA", what: &what }, Scope::STIMULUS)
        };
        let time = |c: &mut Checker<'_>, k: &str, positive: bool| -> Option<Term> {
            let what = format!("`{k}`");
            c.time(get(k)?, &what, positive)
        };
        if !ok {
            return None;
        }
        Some(match kind {
            "step" => {
                let (d, du, a) =
                    (time(self, "delay", false), time(self, "duration", false), amp(self, "amplitude"));
                StimulusKind::Step { delay: d?, duration: du?, amplitude: a? }
            }
            "holding" => StimulusKind::Holding { amplitude: amp(self, "amplitude")? },
            "ramp" => {
                let (d, du) = (time(self, "delay", false), time(self, "duration", false));
                let (f, t) = (amp(self, "amplitude_start"), amp(self, "amplitude_end"));
                StimulusKind::Ramp { delay: d?, duration: du?, from: f?, to: t? }
            }
            "pulses" => {
                let (d, du, a) =
                    (time(self, "delay", false), time(self, "duration", false), amp(self, "amplitude"));
                let n = self.count(get("count")?, "`count`", 1.0);
                if n.is_some_and(|n| n > 100_000) {
                    self.diag(
                        Diagnostic::error(codes::OUT_OF_RANGE, "a pulse train has at most 100000 pulses")
                            .with_primary(get("count")?.span, "too many pulses"),
                    );
                    return None;
                }
                let i = time(self, "interval", true);
                StimulusKind::Pulses { delay: d?, duration: du?, amplitude: a?, count: n?, interval: i? }
            }
            "sequence" => {
                let times = self.list(get("times")?, "`times`")?;
                let amps = self.list(get("amplitudes")?, "`amplitudes`")?;
                if times.len() != amps.len() || times.is_empty() {
                    self.diag(
                        Diagnostic::error(
                            codes::OUT_OF_RANGE,
                            "`times` and `amplitudes` must have the same, non-zero length",
                        )
                        .with_primary(span, format!("{} times, {} amplitudes", times.len(), amps.len())),
                    );
                    return None;
                }
                let t: Vec<Option<Term>> = times.iter().map(|x| self.time(x, "a time", false)).collect();
                let a: Vec<Option<Term>> = amps
                    .iter()
                    .map(|x| self.quantity(x, Expect { unit: "nA", what: "an amplitude" }, Scope::STIMULUS))
                    .collect();
                let t: Vec<Term> = t.into_iter().collect::<Option<_>>()?;
                let a: Vec<Term> = a.into_iter().collect::<Option<_>>()?;
                let consts: Vec<f64> = t.iter().filter_map(Term::constant).collect();
                if consts.len() == t.len() && consts.windows(2).any(|w| w[1] < w[0]) {
                    self.diag(
                        Diagnostic::error(codes::OUT_OF_RANGE, "the times of a sequence must increase")
                            .with_primary(get("times")?.span, "not in increasing order"),
                    );
                    return None;
                }
                StimulusKind::Sequence { times: t, amplitudes: a }
            }
            "noise" => {
                let (d, du) = (time(self, "delay", false), time(self, "duration", false));
                let (m, s) = (amp(self, "mean"), amp(self, "std"));
                let seed = match get("seed") {
                    Some(e) => Some(Some(self.count(e, "`seed`", 0.0)? as u64)),
                    None => Some(None),
                };
                StimulusKind::Noise { delay: d?, duration: du?, mean: m?, std: s?, seed: seed? }
            }
            "synapse" => {
                let meta = mech_meta?;
                let times = self.list(get("times")?, "`times`")?;
                let t: Vec<Option<Term>> =
                    times.iter().map(|x| self.time(x, "a spike time", false)).collect();
                let weight = {
                    let e = get("weight")?;
                    let t = self.typed(e, Scope::PARAMS, &mut Vec::new(), 0)?;
                    if t.bare {
                        Some(t.term)
                    } else {
                        self.convert(t, e.span, Expect { unit: "uS", what: "the `weight` of a synapse" })
                    }
                };
                let delay = match get("delay") {
                    Some(_) => time(self, "delay", false),
                    None => Some(Term::Const(0.0)),
                };
                let mut params = Vec::new();
                for e in &got {
                    let Some(f) =
                        meta.fields.iter().find(|f| f.name == e.key.name && f.role == FieldRole::Parameter)
                    else {
                        continue;
                    };
                    let unit = f.units.trim().to_string();
                    let what = format!("`{}` of `{}`", f.name, meta.name);
                    let v = if unit.is_empty() || crate::units::parse_unit(&unit).is_ok() {
                        self.quantity(&e.value, Expect { unit: &unit, what: &what }, Scope::PARAMS)
                    } else {
                        self.typed(&e.value, Scope::PARAMS, &mut Vec::new(), 0).map(|t| t.term)
                    };
                    params.push((f.name.clone(), v?));
                }
                StimulusKind::Synapse {
                    mechanism: meta.name.clone(),
                    params,
                    times: t.into_iter().collect::<Option<_>>()?,
                    weight: weight?,
                    delay: delay?,
                }
            }
            _ => {
                let durs = self.list(get("durations")?, "`durations`")?;
                let levels = self.list(get("levels")?, "`levels`")?;
                if durs.len() != levels.len() || durs.is_empty() || durs.len() > 3 {
                    self.diag(
                        Diagnostic::error(
                            codes::OUT_OF_RANGE,
                            "a clamp has 1 to 3 levels, each with a duration",
                        )
                        .with_primary(span, format!("{} durations, {} levels", durs.len(), levels.len())),
                    );
                    return None;
                }
                let d: Vec<Option<Term>> = durs.iter().map(|x| self.time(x, "a duration", false)).collect();
                let l: Vec<Option<Term>> = levels
                    .iter()
                    .map(|x| self.quantity(x, Expect { unit: "mV", what: "a clamp level" }, Scope::STIMULUS))
                    .collect();
                let rs = match get("rs") {
                    Some(e) => self.positive(e, Expect { unit: "megohm", what: "`rs`" }).map(Term::Const),
                    None => Some(Term::Const(1.0)),
                };
                StimulusKind::Clamp {
                    durations: d.into_iter().collect::<Option<_>>()?,
                    levels: l.into_iter().collect::<Option<_>>()?,
                    rs: rs?,
                }
            }
        })
    }

    /// A recorded variable: (variable, CSV column, unit).
    fn variable(
        &mut self,
        e: &Expr,
        cell: &model::Cell,
        cell_known: bool,
        loc: Option<Loc>,
    ) -> Option<(Variable, String, &'static str)> {
        let inserted_at = |m: &str| -> bool {
            cell.insertions
                .iter()
                .any(|i| i.mechanism == m && loc.is_none_or(|l| i.sections.contains(&l.section)))
        };
        let mut ions: Vec<String> = Vec::new();
        for ins in &cell.insertions {
            if loc.is_some_and(|l| !ins.sections.contains(&l.section)) {
                continue;
            }
            if let Some(m) = self.env.mechanism(&ins.mechanism) {
                for u in &m.ions {
                    if !ions.contains(&u.ion) {
                        ions.push(u.ion.clone());
                    }
                }
            }
        }
        match &e.kind {
            ExprKind::Name(n) => {
                if n == "v" {
                    return Some((Variable::V, "v".into(), "mV"));
                }
                if n == "i_membrane" {
                    return Some((Variable::IMembrane, "i_membrane_".into(), "nA"));
                }
                for ion in &ions {
                    if *n == format!("i{ion}") {
                        return Some((Variable::IonCurrent(ion.clone()), n.clone(), "mA/cm2"));
                    }
                    if *n == format!("e{ion}") {
                        return Some((Variable::IonErev(ion.clone()), n.clone(), "mV"));
                    }
                    if *n == format!("{ion}i") {
                        return Some((Variable::IonConcIn(ion.clone()), n.clone(), "mM"));
                    }
                    if *n == format!("{ion}o") {
                        return Some((Variable::IonConcOut(ion.clone()), n.clone(), "mM"));
                    }
                }
                if !cell_known {
                    // Ions depend on the cell's mechanisms, which are not known.
                    return None;
                }
                let ion_vars: Vec<String> = ions
                    .iter()
                    .flat_map(|i| [format!("i{i}"), format!("e{i}"), format!("{i}i"), format!("{i}o")])
                    .collect();
                let mut cands = vec!["v", "i_membrane"];
                cands.extend(ion_vars.iter().map(String::as_str));
                let hint = match suggest::closest(n, cands.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!(
                        "recordable here: {}, and mechanism fields as `MECHANISM.FIELD` (e.g. `hh.m`)",
                        cands.join(", ")
                    ),
                };
                self.diag(
                    Diagnostic::error(codes::UNKNOWN_VARIABLE, format!("cannot record `{n}` here"))
                        .with_primary(e.span, "not a variable at this location")
                        .with_hint(hint),
                );
                None
            }
            ExprKind::Field(base, field) => {
                let Some(mech) = base.as_name() else {
                    self.diag(
                        Diagnostic::error(codes::UNKNOWN_VARIABLE, "expected `MECHANISM.FIELD`")
                            .with_primary(e.span, "here"),
                    );
                    return None;
                };
                let Some(meta) = self.env.mechanism(mech).cloned() else {
                    let names = self.env.mechanism_names();
                    let hint = suggest::hint(mech, "mechanisms", names.iter().map(String::as_str));
                    self.diag(
                        Diagnostic::error(codes::UNKNOWN_MECHANISM, format!("unknown mechanism `{mech}`"))
                            .with_primary(base.span, "no mechanism source provides it")
                            .with_hint(hint),
                    );
                    return None;
                };
                if cell_known && !inserted_at(mech) {
                    self.diag(
                        Diagnostic::error(
                            codes::UNKNOWN_VARIABLE,
                            format!("`{mech}` is not inserted at this location"),
                        )
                        .with_primary(e.span, "nothing to record")
                        .with_hint(format!("insert `{mech}` on the section, or record elsewhere")),
                    );
                    return None;
                }
                match meta.fields.iter().find(|f| f.name == field.name && f.role != FieldRole::Internal) {
                    Some(_) => Some((
                        Variable::Mechanism { mechanism: mech.to_string(), field: field.name.clone() },
                        format!("{}_{}", field.name, mech),
                        "",
                    )),
                    None => {
                        let fields: Vec<&str> = meta
                            .fields
                            .iter()
                            .filter(|f| f.role != FieldRole::Internal)
                            .map(|f| f.name.as_str())
                            .collect();
                        let hint = suggest::hint(
                            &field.name,
                            &format!("fields of `{mech}`"),
                            fields.iter().copied(),
                        );
                        self.diag(
                            Diagnostic::error(
                                codes::UNKNOWN_VARIABLE,
                                format!("`{mech}` has no field `{}`", field.name),
                            )
                            .with_primary(field.span, "unknown field")
                            .with_hint(hint),
                        );
                        None
                    }
                }
            }
            _ => {
                self.diag(
                    Diagnostic::error(codes::UNKNOWN_VARIABLE, "expected a variable to record")
                        .with_primary(e.span, "not a variable")
                        .with_hint("record `v`, `i_membrane`, ion variables such as `ica`, `cai`, or `MECHANISM.FIELD`"),
                );
                None
            }
        }
    }

    pub(super) fn search(
        &mut self,
        recipe: &Recipe,
        cells: &[model::Cell],
        protocols: &[model::Protocol],
    ) -> model::Search {
        let mut s = model::Search::default();
        let users: Vec<&model::Protocol> = protocols
            .iter()
            .filter(|p| p.uses(CurrentVar::Holding) || p.uses(CurrentVar::Threshold))
            .collect();
        if let Some(first) = users.first() {
            s.cell = first.cell;
            if let Some(other) = users.iter().find(|p| p.cell != first.cell) {
                self.diag(
                    Diagnostic::error(codes::CELL, "searched currents are found on one cell only")
                        .with_primary(other.span, format!("protocol `{}` runs on another cell", other.name))
                        .with_secondary(first.span, format!("protocol `{}` uses them too", first.name)),
                );
            }
        }
        let mut seen: Vec<(String, Span)> = Vec::new();
        let mut holding_span = None;
        for item in &recipe.items {
            let ItemKind::Search { kind, at, body } = &item.kind else { continue };
            if let Some((_, first)) = seen.iter().find(|(k, _)| *k == kind.name) {
                self.diag(
                    Diagnostic::error(codes::DUPLICATE, format!("`search {}` is given twice", kind.name))
                        .with_primary(kind.span, "again")
                        .with_secondary(*first, "first here"),
                );
                continue;
            }
            seen.push((kind.name.clone(), kind.span));
            if let (Some(at), Some(cell)) = (at, cells.get(s.cell).filter(|c| !super::cell::is_stand_in(c))) {
                let mut cx = CellCx::for_cell(cell);
                if let Some(l) = self.location(at, &mut cx) {
                    s.at = Some(l);
                }
            }
            let score = |c: &mut Checker<'_>, e: &Entry| -> Option<ResponseTarget> {
                let Some(std) = &e.std else {
                    c.diag(
                        Diagnostic::error(codes::SYNTAX, "`score` is a target `MEAN +- STD`")
                            .with_primary(e.value.span, "no `+- STD`")
                            .with_hint("write e.g. `score = 0.3 nA +- 0.05 nA`"),
                    );
                    return None;
                };
                let m = c.constant(&e.value, Expect { unit: "nA", what: "the target" });
                let sd = c.positive(std, Expect { unit: "nA", what: "the target's standard deviation" });
                Some(ResponseTarget { mean: m?, std: sd? })
            };
            match kind.name.as_str() {
                "holding_current" => {
                    s.holding_declared = true;
                    holding_span = Some(kind.span);
                    let keys = [
                        "target",
                        "lower",
                        "upper",
                        "duration",
                        "max_depth",
                        "tolerance",
                        "strict_bounds",
                        "score",
                    ];
                    let h = &mut s.holding.clone();
                    for e in self.keys(body, &keys, "`search holding_current`") {
                        let v = &e.value;
                        match e.key.name.as_str() {
                            "target" => h.target = self.constant(v, Expect { unit: "mV", what: "`target`" }),
                            "lower" => {
                                h.lower = self
                                    .constant(v, Expect { unit: "nA", what: "`lower`" })
                                    .unwrap_or(h.lower)
                            }
                            "upper" => {
                                h.upper = self
                                    .constant(v, Expect { unit: "nA", what: "`upper`" })
                                    .unwrap_or(h.upper)
                            }
                            "duration" => {
                                h.duration = self
                                    .positive(v, Expect { unit: "ms", what: "`duration`" })
                                    .unwrap_or(h.duration)
                            }
                            "max_depth" => {
                                h.max_depth = self.count(v, "`max_depth`", 0.0).unwrap_or(h.max_depth)
                            }
                            "tolerance" => {
                                h.tolerance = self
                                    .positive(v, Expect { unit: "mV", what: "`tolerance`" })
                                    .unwrap_or(h.tolerance)
                            }
                            "strict_bounds" => {
                                h.strict_bounds =
                                    self.boolean(v, "`strict_bounds`").unwrap_or(h.strict_bounds)
                            }
                            _ => h.score = score(self, e),
                        }
                    }
                    if h.lower > h.upper {
                        self.diag(
                            Diagnostic::error(codes::BAD_BOUNDS, "the holding current bounds are inverted")
                                .with_primary(
                                    kind.span,
                                    format!("lower {} nA > upper {} nA", h.lower, h.upper),
                                ),
                        );
                    }
                    s.holding = h.clone();
                }
                "threshold_current" => {
                    let keys = [
                        "delay",
                        "duration",
                        "total",
                        "max_depth",
                        "precision",
                        "max_voltage",
                        "rmp_duration",
                        "rin_amplitude",
                        "rin_delay",
                        "rin_duration",
                        "rin_total",
                        "spike_threshold",
                        "score",
                    ];
                    let t = &mut s.threshold.clone();
                    for e in self.keys(body, &keys, "`search threshold_current`") {
                        let v = &e.value;
                        let ms = |c: &mut Checker<'_>, old: f64, w: &str| {
                            c.positive(v, Expect { unit: "ms", what: w }).unwrap_or(old)
                        };
                        match e.key.name.as_str() {
                            "delay" => {
                                t.delay = self
                                    .constant(v, Expect { unit: "ms", what: "`delay`" })
                                    .unwrap_or(t.delay)
                            }
                            "duration" => t.duration = ms(self, t.duration, "`duration`"),
                            "total" => t.total = ms(self, t.total, "`total`"),
                            "max_depth" => {
                                t.max_depth = self.count(v, "`max_depth`", 0.0).unwrap_or(t.max_depth)
                            }
                            "precision" => {
                                t.precision = self
                                    .positive(v, Expect { unit: "nA", what: "`precision`" })
                                    .unwrap_or(t.precision)
                            }
                            "max_voltage" => {
                                t.max_voltage = self
                                    .constant(v, Expect { unit: "mV", what: "`max_voltage`" })
                                    .unwrap_or(t.max_voltage)
                            }
                            "rmp_duration" => t.rmp_duration = ms(self, t.rmp_duration, "`rmp_duration`"),
                            "rin_amplitude" => {
                                t.rin_amplitude = self
                                    .constant(v, Expect { unit: "nA", what: "`rin_amplitude`" })
                                    .unwrap_or(t.rin_amplitude)
                            }
                            "rin_delay" => {
                                t.rin_delay = self
                                    .constant(v, Expect { unit: "ms", what: "`rin_delay`" })
                                    .unwrap_or(t.rin_delay)
                            }
                            "rin_duration" => t.rin_duration = ms(self, t.rin_duration, "`rin_duration`"),
                            "rin_total" => t.rin_total = ms(self, t.rin_total, "`rin_total`"),
                            "spike_threshold" => {
                                t.spike_threshold = self
                                    .constant(v, Expect { unit: "mV", what: "`spike_threshold`" })
                                    .unwrap_or(t.spike_threshold)
                            }
                            _ => t.score = score(self, e),
                        }
                    }
                    if t.delay + t.duration > t.total {
                        self.diag(
                            Diagnostic::error(
                                codes::OUT_OF_RANGE,
                                "the threshold search's step ends after the trial",
                            )
                            .with_primary(kind.span, format!("{} + {} > {} ms", t.delay, t.duration, t.total))
                            .with_hint("make `total` at least `delay + duration`"),
                        );
                    }
                    s.threshold = t.clone();
                }
                other => {
                    self.diag(
                        Diagnostic::error(codes::UNKNOWN_NAME, format!("unknown search `{other}`"))
                            .with_primary(kind.span, "not a search")
                            .with_hint(suggest::hint(
                                other,
                                "searches",
                                ["holding_current", "threshold_current"],
                            )),
                    );
                }
            }
        }
        let holding_needed = users.iter().any(|p| p.uses(CurrentVar::Holding))
            || (s.holding_declared && users.iter().any(|p| p.uses(CurrentVar::Threshold)));
        if holding_needed && s.holding.target.is_none() {
            let first_use = users
                .iter()
                .flat_map(|p| &p.stimuli)
                .find(|st| st.kind.terms().iter().any(|t| t.uses_current(CurrentVar::Holding)))
                .map(|st| st.span)
                .unwrap_or(users[0].span);
            let (span, label) = match holding_span {
                Some(sp) => (sp, "no `target`"),
                None => (first_use, "uses `holding_current`"),
            };
            self.diag(
                Diagnostic::error(codes::MISSING_KEY, "the holding current search needs a target voltage")
                    .with_primary(span, label)
                    .with_hint("add `search holding_current { target = -80 mV }`"),
            );
        }
        if !users.is_empty() && s.at.is_none() {
            if let Some(cell) = cells.get(s.cell).filter(|c| !super::cell::is_stand_in(c)) {
                match cell.morphology.soma_center() {
                    Ok(l) => s.at = Some(Loc { section: l.section, x: l.x }),
                    Err(_) => self.diag(
                        Diagnostic::error(
                            codes::BAD_LOCATION,
                            "the searches inject current at the soma, which this cell lacks",
                        )
                        .with_primary(users[0].span, "uses searched currents")
                        .with_hint("give the location: `search threshold_current at LOCATION { … }`"),
                    ),
                }
            }
        }
        s
    }
}
