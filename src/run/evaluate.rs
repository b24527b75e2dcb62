//! `evaluate`: run protocols, compute their features with eFEL's definitions and score them
//! against the targets with BluePyOpt's (or BluePyEModel's) rules.
//!
//! Settings of a feature, later ones winning: eFEL's defaults; the stimulus window of the
//! protocol (its first step, ramp, pulse train or noise; the whole protocol without one) and
//! `stimulus_current` = the amplitude of its first step; the recipe's `settings { efel { … } }`;
//! the protocol's `efel { … }`; the feature's own block. Objective names are
//! `<protocol>.<recording>.<feature>`; the objective value is score × weight; the total is their
//! sum. A protocol that cannot run (e.g. a failed threshold search) scores 250 for each of its
//! features, as in BluePyOpt.

use super::search::Currents;
use super::{output, Runner, TraceData};
use myelin_compiler::recipe::lower::RunValues;
use myelin_compiler::recipe::model::{ScoreRule, SettingValue};
use myelin_stdlib::efeatures::{mean_value, Feature, FeatureExtractor, Settings, Trace};
use myelin_stdlib::efel_settings::{self, SettingValue as EfelValue};
use myelin_stdlib::scores;
use serde_json::{json, Value};
use std::path::Path;

/// What an `evaluate` produced.
pub struct Report {
    /// The JSON document written to `evaluation.json`.
    pub json: Value,
    /// Objective names and values, in order.
    pub objectives: Vec<(String, f64)>,
    /// Mean value of each feature (NaN when it failed), by objective name.
    pub means: Vec<(String, f64)>,
    /// Sum of the objective values.
    pub total: f64,
    /// Trace files written.
    pub files: usize,
}

/// A recipe eFEL setting in the standard library's form.
pub fn setting(v: &SettingValue) -> EfelValue {
    match v {
        SettingValue::Number(x) => EfelValue::Number(*x),
        SettingValue::Bool(b) => EfelValue::Bool(*b),
        SettingValue::Text(t) => EfelValue::Text(t.clone()),
    }
}

fn feature_settings(
    r: &Runner<'_>,
    pi: usize,
    values: &RunValues<'_>,
    own: &[(String, SettingValue)],
    tstop: f64,
) -> Result<Settings, String> {
    let p = &r.model.protocols[pi];
    let (start, end) = match p.window_terms() {
        Some((a, b)) => (values.eval(&a, "the stimulus start")?, values.eval(&b, "the stimulus end")?),
        None => (0.0, tstop),
    };
    let mut s = Settings::new(start, end);
    if let Some(a) = p.step_amplitude() {
        s.stimulus_current = Some(values.eval(a, "the step amplitude")?);
    }
    for (name, v) in r.model.settings.efel.iter().chain(&p.efel).chain(own) {
        efel_settings::apply_setting(&mut s, name, &setting(v)).map_err(|e| e.to_string())?;
    }
    Ok(s)
}

/// Runs the protocols and scores their features; traces go to `dir/<protocol>/`.
pub fn evaluate(
    r: &mut Runner<'_>,
    protocols: &[usize],
    params: &[f64],
    dir: &Path,
) -> Result<Report, String> {
    let rule = r.model.settings.scores;
    let mut features = Vec::new();
    let mut objectives = Vec::new();
    let mut means = Vec::new();
    let mut currents_json = Value::Null;
    let mut currents: Option<Currents> = None;
    let mut errors = Vec::new();
    let mut files = 0;
    let mut searched = false;
    for &pi in protocols {
        let run = r.run_protocol(pi, params);
        let p = &r.model.protocols[pi];
        use myelin_compiler::recipe::expr::CurrentVar;
        searched |= p.uses(CurrentVar::Holding) || p.uses(CurrentVar::Threshold);
        let (traces, cur): (Vec<TraceData>, Option<Currents>) = match run {
            Ok(x) => x,
            Err(e) => {
                super::progress::warn(&format!("warning: {e}; its features score {}", scores::MAX_SCORE));
                errors.push(json!({"protocol": p.name, "error": e}));
                (vec![], None)
            }
        };
        if !traces.is_empty() {
            files += output::write_traces(&dir.join(&p.name), &traces)?;
        }
        if let Some(c) = cur {
            currents_json = c.to_json();
            currents = Some(c);
        }
        let values = RunValues {
            params,
            holding: currents.as_ref().map(|c| c.holding),
            threshold: currents.as_ref().and_then(|c| c.threshold),
        };
        let tstop = values.eval(&p.duration, "the duration").unwrap_or(0.0);
        for f in &p.features {
            let name = scores::bluepyopt_objective_name(&p.name, &f.recording, &f.feature);
            let trace = traces.iter().find(|t| t.name == f.recording);
            let feature =
                Feature::from_name(&f.feature).ok_or_else(|| format!("unknown feature {}", f.feature))?;
            let vals: Option<Vec<f64>> = match trace {
                None => None,
                Some(t) => {
                    let settings = feature_settings(r, pi, &values, &f.settings, tstop)?;
                    match Trace::new(&t.t, &t.values) {
                        Ok(tr) => FeatureExtractor::new(tr, settings).ok().and_then(|mut ex| ex.get(feature)),
                        Err(_) => None,
                    }
                }
            };
            let score = match rule {
                ScoreRule::BluePyOpt => {
                    scores::bluepyopt_score(vals.as_deref(), f.mean, f.std, scores::MAX_SCORE, false)
                }
                ScoreRule::BluePyEModel => scores::bpem_score(vals.as_deref(), Some(f.mean), f.std),
            };
            let value = score * f.weight;
            let mean = mean_value(&vals);
            means.push((name.clone(), mean.unwrap_or(f64::NAN)));
            objectives.push((name.clone(), value));
            features.push(json!({
                "objective": name,
                "protocol": p.name,
                "recording": f.recording,
                "feature": f.feature,
                "values": vals,
                "mean": mean,
                "target": {"mean": f.mean, "std": f.std},
                "weight": f.weight,
                "score": score,
            }));
        }
    }
    // Search responses with a target are objectives too (BluePyEModel's bpo_* features).
    let s = &r.model.search;
    let responses = [
        (
            "search.holding_current",
            s.holding.score,
            currents.as_ref().filter(|c| c.holding_searched).map(|c| c.holding),
        ),
        ("search.threshold_current", s.threshold.score, currents.as_ref().and_then(|c| c.threshold)),
    ];
    for (name, target, value) in responses {
        let Some(t) = target else { continue };
        // Scored when a protocol needed the searches (250 when they failed).
        if !searched {
            continue;
        }
        let score = scores::bpem_bpo_score(value, t.mean, t.std);
        objectives.push((name.to_string(), score));
        means.push((name.to_string(), value.unwrap_or(f64::NAN)));
        features.push(json!({
            "objective": name,
            "values": value.map(|v| vec![v]),
            "mean": value,
            "target": {"mean": t.mean, "std": t.std},
            "weight": 1.0,
            "score": score,
        }));
    }
    let total = scores::total_fitness(&objectives.iter().map(|(_, v)| *v).collect::<Vec<_>>());
    let params_json: serde_json::Map<String, Value> = r
        .model
        .params
        .iter()
        .zip(params)
        .map(|(p, v)| (p.name.clone(), json!({"value": v, "unit": p.unit})))
        .collect();
    let json = json!({
        "protocols": protocols.iter().map(|&i| r.model.protocols[i].name.clone()).collect::<Vec<_>>(),
        "score_rule": match rule { ScoreRule::BluePyOpt => "bluepyopt", ScoreRule::BluePyEModel => "bluepyemodel" },
        "parameters": params_json,
        "currents": currents_json,
        "features": features,
        "scores": objectives.iter().map(|(n, v)| (n.clone(), json!(v))).collect::<serde_json::Map<String, Value>>(),
        "total_score": total,
        "errors": errors,
    });
    Ok(Report { json, objectives, means, total, files })
}
