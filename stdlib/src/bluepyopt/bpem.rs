//! Readers of BluePyEModel's model configuration (the `params` file of a recipe), in both of its
//! formats (EMODEL.md §1.3):
//!
//! * the legacy dict: `{"mechanisms": {loc: {"mech": [...]}}, "distributions": {name: {"fun",
//!   "parameters"?, "soma_ref_location"?}}, "parameters": {loc: [{"name", "val", "dist"?}]}}`;
//! * the list format BluePyEModel stores: `{"mechanisms": [{name, location, …}],
//!   "distributions": [{name, function, parameters?, soma_ref_location?}], "parameters":
//!   [{name, value, location, distribution?, mechanism?}]}`.
//!
//! Semantics: a number is a frozen value, `[lower, upper]` bounds (a one-element list is a
//! number); location `global` holds NEURON globals, `distribution_<d>` the meta-parameters of
//! distribution `<d>`; `cm`, `Ra`, `ena`, `ek`, `eca`, `eh` and names containing `_ion` are
//! section variables; any other name is a RANGE variable of the mechanism whose suffix it
//! contains. Optimiser names are `<name>.<location>`.

use super::error::ConfigError;
use super::json::{Document, Json, Node};
use super::model::{
    expand_location, Bound, Distribution, EModelConfig, MechanismPlacement, Origin, ParamKind, Parameter,
};

const SECTION_VARS: &[&str] = &["cm", "Ra", "ena", "ek", "eca", "eh"];

fn origin(n: &Node<'_>) -> Origin {
    Origin { file: n.file.to_string(), path: n.path.clone() }
}

fn check_location(n: &Node<'_>, name: &str) -> Result<(), ConfigError> {
    if name == "global" || name.starts_with("distribution_") || expand_location(name).is_some() {
        return Ok(());
    }
    Err(n.error(format!("unknown location `{name}`")).hint(
        "locations: global, distribution_<name>, all, somatic, axonal, apical, basal, myelinated, \
         alldend, somadend, allnoaxon, somaxon, allact",
    ))
}

fn bound(n: &Node<'_>) -> Result<Bound, ConfigError> {
    match n.v {
        Json::Number(_) => Ok(Bound::Fixed(n.f64()?)),
        Json::Array(_) => {
            let items = n.items()?;
            match &items[..] {
                [v] => Ok(Bound::Fixed(v.f64()?)),
                [lo, hi] => {
                    let (lower, upper) = (lo.f64()?, hi.f64()?);
                    if lower > upper {
                        return Err(n.error(format!("lower bound {lower} is above the upper bound {upper}")));
                    }
                    Ok(Bound::Free { lower, upper })
                }
                _ => Err(n.error("expected a number or [lower, upper]")),
            }
        }
        _ => Err(n.error(format!("expected a number or [lower, upper], found {}", n.v.kind()))),
    }
}

/// The mechanism a legacy parameter belongs to: the suffix it ends with (`_<suffix>`), else one
/// it contains (BluePyEModel takes the first contained suffix of an unordered set; preferring
/// the ending is the same whenever the choice is unambiguous).
fn mechanism_of(name: &str, suffixes: &[String]) -> Option<String> {
    let ends = suffixes.iter().filter(|s| name.ends_with(&format!("_{s}"))).max_by_key(|s| s.len());
    ends.or_else(|| suffixes.iter().filter(|s| name.contains(s.as_str())).max_by_key(|s| s.len())).cloned()
}

fn kind_of(
    n: &Node<'_>,
    name: &str,
    location: &str,
    mechanism: Option<String>,
    suffixes: &[String],
) -> Result<ParamKind, ConfigError> {
    if location == "global" {
        return Ok(ParamKind::Global);
    }
    if let Some(d) = location.strip_prefix("distribution_") {
        return Ok(ParamKind::DistributionMeta { distribution: d.to_string() });
    }
    if SECTION_VARS.contains(&name) || name.contains("_ion") {
        return Ok(ParamKind::Section);
    }
    match mechanism.or_else(|| mechanism_of(name, suffixes)) {
        Some(m) => Ok(ParamKind::Range { mechanism: Some(m) }),
        None => Err(n
            .error(format!("`{name}` belongs to none of the mechanisms"))
            .hint(format!("mechanisms of this model: {}", suffixes.join(", ")))),
    }
}

fn read_distribution(name: &str, n: &Node<'_>, fun_key: &str) -> Result<Distribution, ConfigError> {
    let parameters = match n.get("parameters") {
        Some(p) => p.items()?.iter().map(|x| x.str().map(String::from)).collect::<Result<_, _>>()?,
        None => vec![],
    };
    let soma_ref_location = match n.get("soma_ref_location") {
        Some(x) => x.f64()?,
        None => 0.5,
    };
    Ok(Distribution {
        name: name.to_string(),
        function: n.req(fun_key)?.str()?.to_string(),
        parameters,
        soma_ref_location,
    })
}

fn distribution(
    n: &Node<'_>,
    name: Option<&str>,
    dists: &[Distribution],
) -> Result<Option<Distribution>, ConfigError> {
    match name {
        None | Some("uniform") | Some("constant") => Ok(None),
        Some(d) => match dists.iter().find(|x| x.name == d) {
            Some(x) => Ok(Some(x.clone())),
            None => Err(n.error(format!("distribution `{d}` is not defined")).hint(format!(
                "defined distributions: uniform{}",
                dists.iter().map(|x| format!(", {}", x.name)).collect::<String>()
            ))),
        },
    }
}

/// Where a parameter applies, as one of the two formats spells it.
struct Placement<'a> {
    /// Section list, `global` or `distribution_<name>`.
    location: &'a str,
    /// The mechanism named with the parameter (list format), if any.
    mechanism: Option<String>,
    /// Key of the parameter's distribution (`dist` or `distribution`).
    dist_key: &'static str,
}

/// A parameter of either format, from its name and value already read.
fn parameter(
    p: &Node<'_>,
    name: String,
    value: Bound,
    place: Placement<'_>,
    suffixes: &[String],
    dists: &[Distribution],
) -> Result<Parameter, ConfigError> {
    let loc = place.location;
    let kind = kind_of(p, &name, loc, place.mechanism, suffixes)?;
    let dist_node = p.get(place.dist_key);
    let dist_name = dist_node.as_ref().map(|d| d.str()).transpose()?;
    let distribution = distribution(dist_node.as_ref().unwrap_or(p), dist_name, dists)?;
    Ok(Parameter {
        name: format!("{name}.{loc}"),
        param: name,
        kind,
        location: loc.to_string(),
        value,
        distribution,
        origin: origin(p),
    })
}

/// Reads a BluePyEModel model configuration (either format).
pub fn read(doc: &Document) -> Result<EModelConfig, ConfigError> {
    let root = doc.node();
    let mechs = root.req("mechanisms")?;
    if matches!(mechs.v, Json::Object(_)) {
        read_legacy(&root)
    } else {
        read_list(&root)
    }
}

fn read_legacy(root: &Node<'_>) -> Result<EModelConfig, ConfigError> {
    let mut mechanisms = Vec::new();
    for (loc, entry) in root.req("mechanisms")?.entries()? {
        check_location(&entry, loc)?;
        for m in entry.req("mech")?.items()? {
            mechanisms.push(MechanismPlacement {
                suffix: m.str()?.to_string(),
                location: loc.to_string(),
                origin: origin(&m),
            });
        }
    }
    let suffixes: Vec<String> = mechanisms.iter().map(|m| m.suffix.clone()).collect();
    let mut dists = Vec::new();
    if let Some(d) = root.get("distributions") {
        for (name, n) in d.entries()? {
            if name.starts_with("__comment") {
                continue;
            }
            dists.push(read_distribution(name, &n, "fun")?);
        }
    }
    let mut parameters = Vec::new();
    for (loc, list) in root.req("parameters")?.entries()? {
        if loc.starts_with("__comment") {
            continue;
        }
        check_location(&list, loc)?;
        for p in list.items()? {
            let name = p.req("name")?.str()?.to_string();
            let value = bound(&p.req("val")?)?;
            let place = Placement { location: loc, mechanism: None, dist_key: "dist" };
            parameters.push(parameter(&p, name, value, place, &suffixes, &dists)?);
        }
    }
    Ok(EModelConfig { mechanisms, parameters })
}

fn read_list(root: &Node<'_>) -> Result<EModelConfig, ConfigError> {
    let mut mechanisms = Vec::new();
    for m in root.req("mechanisms")?.items()? {
        let loc = m.req("location")?;
        check_location(&loc, loc.str()?)?;
        mechanisms.push(MechanismPlacement {
            suffix: m.req("name")?.str()?.to_string(),
            location: loc.str()?.to_string(),
            origin: origin(&m),
        });
    }
    let suffixes: Vec<String> = mechanisms.iter().map(|m| m.suffix.clone()).collect();
    let mut dists = Vec::new();
    if let Some(d) = root.get("distributions") {
        for n in d.items()? {
            let name = n.req("name")?.str()?;
            if name == "uniform" && n.get("function").is_none() {
                continue;
            }
            dists.push(read_distribution(name, &n, "function")?);
        }
    }
    let mut parameters = Vec::new();
    for p in root.req("parameters")?.items()? {
        let name = p.req("name")?.str()?.to_string();
        let locn = p.req("location")?;
        let loc = locn.str()?;
        check_location(&locn, loc)?;
        let value = bound(&p.req("value")?)?;
        let mechanism = p.get("mechanism").map(|m| m.str()).transpose()?.map(String::from);
        let place = Placement { location: loc, mechanism, dist_key: "distribution" };
        parameters.push(parameter(&p, name, value, place, &suffixes, &dists)?);
    }
    Ok(EModelConfig { mechanisms, parameters })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Document {
        Document::parse("pyr.json", text.to_string()).unwrap()
    }

    #[test]
    fn legacy_dict() {
        let d = doc(r#"{"mechanisms": {"all": {"mech": ["pas"]}, "somadend": {"mech": ["Ih"]}},
            "distributions": {"decay": {"fun": "math.exp({distance}*{constant})*{value}", "parameters": ["constant"]}},
            "parameters": {"__comment": "x",
              "global": [{"name": "celsius", "val": 34}],
              "distribution_decay": [{"name": "constant", "val": [-0.1, 0.0]}],
              "all": [{"name": "g_pas", "val": [1e-5, 6e-5]}, {"name": "Ra", "val": 100}],
              "somadend": [{"name": "gIhbar_Ih", "val": [0, 2e-4], "dist": "decay"}]}}"#);
        let c = read(&d).unwrap();
        let names: Vec<_> = c.parameters.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            ["celsius.global", "constant.distribution_decay", "g_pas.all", "Ra.all", "gIhbar_Ih.somadend"]
        );
        assert_eq!(c.parameters[1].kind, ParamKind::DistributionMeta { distribution: "decay".into() });
        assert_eq!(c.parameters[2].kind, ParamKind::Range { mechanism: Some("pas".into()) });
        assert_eq!(c.parameters[3].kind, ParamKind::Section);
        assert_eq!(c.parameters[4].distribution.as_ref().unwrap().parameters, ["constant"]);
        assert_eq!(c.mechanisms[1].location, "somadend");
    }

    #[test]
    fn list_format() {
        let d = doc(r#"{"mechanisms": [{"name": "pas", "location": "all", "stochastic": false}],
            "distributions": [{"name": "exp", "function": "{value}*math.exp({distance}*0.01)", "soma_ref_location": 0.5}],
            "parameters": [{"name": "g_pas", "value": [1e-5, 1e-4], "location": "all", "distribution": "exp", "mechanism": "pas"},
                           {"name": "v_init", "value": -80, "location": "global"}]}"#);
        let c = read(&d).unwrap();
        assert_eq!(c.parameters[0].name, "g_pas.all");
        assert!(c.parameters[0].distribution.is_some());
        assert_eq!(c.parameters[1].kind, ParamKind::Global);
    }

    #[test]
    fn errors() {
        let e = read(&doc(r#"{"mechanisms": {"all": {"mech": ["pas"]}}, "parameters": {"all": [{"name": "gbar_Foo", "val": 1}]}}"#))
            .unwrap_err();
        assert_eq!(e.path, "parameters.all[0]");
        assert!(e.message.contains("belongs to none"), "{e}");
        let e = read(&doc(r#"{"mechanisms": {"all": {"mech": ["pas"]}}, "parameters": {"all": [{"name": "g_pas", "val": 1, "dist": "nope"}]}}"#))
            .unwrap_err();
        assert_eq!(e.path, "parameters.all[0].dist");
        let e =
            read(&doc(r#"{"mechanisms": {"sommatic": {"mech": ["pas"]}}, "parameters": {}}"#)).unwrap_err();
        assert_eq!(e.path, "mechanisms.sommatic");
    }
}
