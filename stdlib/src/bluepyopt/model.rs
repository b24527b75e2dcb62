//! The e-model configuration every reader produces: which mechanisms go where, and the
//! parameters (global, per section, per segment, distribution meta-parameters) with frozen values
//! or optimisation bounds. This is BluePyOpt's cell model (`CellModel` with its mechanisms and
//! parameters) as data, independent of the file format it came from.

use super::error::ConfigError;
use super::json::Document;

/// The section lists of BluePyOpt's cell template.
pub const SECTION_LISTS: &[&str] = &["all", "somatic", "axonal", "apical", "basal", "myelinated"];

/// Section lists a location name stands for: a section list itself, or one of BluePyEModel's
/// multi-location aliases (`alldend`, `somadend`, `allnoaxon`, `somaxon`, `allact`). `all` is
/// the real section list, not an alias.
pub fn expand_location(name: &str) -> Option<Vec<&'static str>> {
    if let Some(l) = SECTION_LISTS.iter().find(|l| **l == name) {
        return Some(vec![l]);
    }
    Some(match name {
        "alldend" => vec!["apical", "basal"],
        "somadend" | "allnoaxon" => vec!["apical", "basal", "somatic"],
        "somaxon" => vec!["axonal", "somatic"],
        "allact" => vec!["apical", "basal", "somatic", "axonal"],
        _ => return None,
    })
}

/// Where a configuration item was read from (file and JSON path), for errors found later.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Origin {
    /// File.
    pub file: String,
    /// JSON path in it.
    pub path: String,
}

impl Origin {
    /// An error about this item.
    pub fn error(&self, message: impl Into<String>) -> ConfigError {
        ConfigError::new(&self.file, &self.path, message)
    }
}

/// A mechanism inserted on a location (BluePyOpt's `NrnMODMechanism` on a section list).
#[derive(Debug, Clone, PartialEq)]
pub struct MechanismPlacement {
    /// The mechanism's SUFFIX (e.g. `NaTs2_t`, `pas`).
    pub suffix: String,
    /// Section list or multi-location alias.
    pub location: String,
    /// Where it was defined.
    pub origin: Origin,
}

/// A parameter's value in the configuration: frozen, or free within bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    /// A fixed value.
    Fixed(f64),
    /// Optimised between `lower` and `upper`; the value comes from a parameter set.
    Free {
        /// Lower bound.
        lower: f64,
        /// Upper bound.
        upper: f64,
    },
}

/// What a parameter sets.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamKind {
    /// A NEURON global (`v_init`, `celsius`, or a mechanism GLOBAL `<name>_<suffix>`).
    Global,
    /// A section variable set uniformly on every section of the location (`cm`, `Ra`, `ena`,
    /// or a mechanism RANGE variable such as `g_pas`).
    Section,
    /// A mechanism RANGE variable set per segment, possibly scaled by a distribution.
    Range {
        /// The mechanism, when the file names it (otherwise inferred from the name's suffix).
        mechanism: Option<String>,
    },
    /// A meta-parameter of a distribution (e.g. `constant` of `decay`).
    DistributionMeta {
        /// The distribution it belongs to.
        distribution: String,
    },
}

/// A distribution of a range parameter along the path distance from the soma: a Python
/// expression of `{distance}` (µm), `{value}` (the parameter) and meta-parameters, as BluePyOpt's
/// `NrnSegmentSomaDistanceScaler` evaluates it per segment.
#[derive(Debug, Clone, PartialEq)]
pub struct Distribution {
    /// Name (`exp`, `decay`, …).
    pub name: String,
    /// The expression, e.g. `(-0.8696 + 2.087*math.exp(({distance})*0.0031))*{value}`.
    pub function: String,
    /// Names of its meta-parameters.
    pub parameters: Vec<String>,
    /// Where on `soma[0]` distances are measured from (default 0.5).
    pub soma_ref_location: f64,
}

/// One parameter of the cell model.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// Optimiser name, the key of a parameter set (e.g. `gNaTs2_tbar_NaTs2_t.apical`).
    pub name: String,
    /// NEURON variable (e.g. `gNaTs2_tbar_NaTs2_t`, `cm`, `v_init`, `constant`).
    pub param: String,
    /// What it sets.
    pub kind: ParamKind,
    /// Section list or alias; empty for globals; the distribution name for meta-parameters.
    pub location: String,
    /// Frozen value or bounds.
    pub value: Bound,
    /// Distribution (None: uniform).
    pub distribution: Option<Distribution>,
    /// Where it was defined.
    pub origin: Origin,
}

/// A whole cell model configuration.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EModelConfig {
    /// Mechanisms and where they are inserted, in definition order.
    pub mechanisms: Vec<MechanismPlacement>,
    /// Parameters, in definition order (the order they are applied in).
    pub parameters: Vec<Parameter>,
}

impl EModelConfig {
    /// Names of the free parameters (what an optimiser varies), in order.
    pub fn free_parameters(&self) -> Vec<&str> {
        self.parameters
            .iter()
            .filter(|p| matches!(p.value, Bound::Free { .. }))
            .map(|p| p.name.as_str())
            .collect()
    }

    /// Distinct mechanism suffixes, in order of first use.
    pub fn mechanism_names(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for m in &self.mechanisms {
            if !out.contains(&m.suffix.as_str()) {
                out.push(&m.suffix);
            }
        }
        out
    }

    /// Every parameter's value: frozen ones from the configuration, free ones from `values`
    /// (a JSON object of optimiser names to numbers, or an object holding one under `params` /
    /// `parameters` as final.json entries do). Unknown names are errors: a misspelt name would
    /// otherwise leave a parameter at a default silently.
    pub fn resolve(&self, values: &Document) -> Result<Vec<f64>, ConfigError> {
        let root = values.node();
        let obj = match root.get("params").or_else(|| root.get("parameters")) {
            Some(n) => n,
            None => root,
        };
        let entries = obj.entries()?;
        let mut out = Vec::with_capacity(self.parameters.len());
        for p in &self.parameters {
            let given = entries.iter().find(|(k, _)| *k == p.name);
            let v = match (p.value, given) {
                (_, Some((_, n))) => {
                    let v = n.f64()?;
                    if let Bound::Free { lower, upper } = p.value {
                        // BluePyOpt leaves checking to the optimiser; a value far outside the
                        // bounds usually means a mix-up of parameter sets, so say so.
                        if v < lower - 1e-9 * lower.abs().max(1.0) || v > upper + 1e-9 * upper.abs().max(1.0)
                        {
                            return Err(n
                                .error(format!("{v} is outside the bounds [{lower}, {upper}]"))
                                .hint(format!("bounds of `{}` are set in {}", p.name, p.origin.file)));
                        }
                    }
                    v
                }
                (Bound::Fixed(v), None) => v,
                (Bound::Free { .. }, None) => {
                    return Err(obj
                        .error(format!("no value for the free parameter `{}`", p.name))
                        .hint(format!("free parameters: {}", self.free_parameters().join(", "))))
                }
            };
            out.push(v);
        }
        for (k, n) in &entries {
            if !self.parameters.iter().any(|p| p.name == *k) {
                return Err(n
                    .error(format!("`{k}` is not a parameter of this model"))
                    .hint(format!("free parameters: {}", self.free_parameters().join(", "))));
            }
        }
        Ok(out)
    }
}
