//! Readers of BluePyOpt's example configuration (examples/l5pc/config): `mechanisms.json`
//! (`{section list: [suffix, …]}`) with `parameters.json` (a list of parameter definitions, as
//! `l5pc_model.py` reads them), or the older pair `params.json` (free parameters with bounds)
//! + `fixed_params.json` (frozen values).

use super::error::ConfigError;
use super::json::{Document, Node};
use super::model::{
    expand_location, Bound, Distribution, EModelConfig, MechanismPlacement, Origin, ParamKind, Parameter,
};
use std::path::Path;

/// BluePyOpt's exponential Ih gradient (Kole et al. 2006) that `dist_type` `exp` means in
/// `params.json`, which names the distribution without giving it.
pub const KOLE_EXP: &str = "(-0.8696 + 2.087*math.exp(({distance})*0.0031))*{value}";

fn origin(n: &Node<'_>) -> Origin {
    Origin { file: n.file.to_string(), path: n.path.clone() }
}

fn location<'a>(n: &Node<'a>, name: &'a str) -> Result<&'a str, ConfigError> {
    if expand_location(name).is_none() {
        return Err(n
            .error(format!("unknown section list `{name}`"))
            .hint("section lists: all, somatic, axonal, apical, basal, myelinated (or alldend, somadend, allnoaxon, somaxon, allact)"));
    }
    Ok(name)
}

/// Reads `mechanisms.json`: `{section list: [suffix, …]}`.
pub fn read_mechanisms(doc: &Document) -> Result<Vec<MechanismPlacement>, ConfigError> {
    let mut out = Vec::new();
    for (loc, list) in doc.node().entries()? {
        let loc = location(&list, loc)?;
        for item in list.items()? {
            out.push(MechanismPlacement {
                suffix: item.str()?.to_string(),
                location: loc.to_string(),
                origin: origin(&item),
            });
        }
    }
    Ok(out)
}

fn bound_of(n: &Node<'_>) -> Result<Bound, ConfigError> {
    if let Some(v) = n.get("value") {
        return Ok(Bound::Fixed(v.f64()?));
    }
    let Some(b) = n.get("bounds") else {
        return Err(n
            .error("neither `value` nor `bounds` given")
            .hint("a frozen parameter has \"value\": number, a free one \"bounds\": [lower, upper]"));
    };
    let items = b.items()?;
    let [lo, hi] = &items[..] else {
        return Err(b.error("bounds must be [lower, upper]"));
    };
    let (lower, upper) = (lo.f64()?, hi.f64()?);
    if lower > upper {
        return Err(b.error(format!("lower bound {lower} is above the upper bound {upper}")));
    }
    Ok(Bound::Free { lower, upper })
}

/// Reads `parameters.json`: a list of `{param_name, type: global|section|range, sectionlist,
/// dist_type: uniform|exp, dist, mech, mech_param, value | bounds}`; optimiser names are
/// `<param_name>.<sectionlist>` (`<param_name>` for globals), as in BluePyOpt's example.
pub fn read_parameters(doc: &Document) -> Result<Vec<Parameter>, ConfigError> {
    let mut out = Vec::new();
    for p in doc.node().items()? {
        p.only(&[
            "param_name",
            "type",
            "sectionlist",
            "dist_type",
            "dist",
            "mech",
            "mech_param",
            "value",
            "bounds",
        ])?;
        let name = p.req("param_name")?.str()?.to_string();
        let ty = p.req("type")?;
        let value = bound_of(&p)?;
        let kind = match ty.str()? {
            "global" => {
                out.push(Parameter {
                    name: name.clone(),
                    param: name,
                    kind: ParamKind::Global,
                    location: String::new(),
                    value,
                    distribution: None,
                    origin: origin(&p),
                });
                continue;
            }
            "section" => ParamKind::Section,
            "range" => {
                ParamKind::Range { mechanism: p.get("mech").map(|m| m.str()).transpose()?.map(String::from) }
            }
            other => {
                return Err(ty
                    .error(format!("unknown parameter type `{other}`"))
                    .hint("types: global, section, range"))
            }
        };
        let sl = p.req("sectionlist")?;
        let loc = location(&sl, sl.str()?)?.to_string();
        if let (ParamKind::Range { mechanism: Some(m) }, Some(mp)) = (&kind, p.get("mech_param")) {
            let expect = format!("{}_{m}", mp.str()?);
            if expect != name {
                return Err(
                    mp.error(format!("`{expect}` (mech_param_mech) differs from param_name `{name}`"))
                );
            }
        }
        let distribution = match p.get("dist_type") {
            None => None,
            Some(d) => match d.str()? {
                "uniform" => None,
                dist_name => {
                    let f = p.get("dist").ok_or_else(|| {
                        p.error(format!("dist_type `{dist_name}` needs the distribution in `dist`")).hint(
                            "e.g. \"dist\": \"(-0.8696 + 2.087*math.exp(({distance})*0.0031))*{value}\"",
                        )
                    })?;
                    Some(Distribution {
                        name: dist_name.to_string(),
                        function: f.str()?.to_string(),
                        parameters: vec![],
                        soma_ref_location: 0.5,
                    })
                }
            },
        };
        out.push(Parameter {
            name: format!("{name}.{loc}"),
            param: name,
            kind,
            location: loc,
            value,
            distribution,
            origin: origin(&p),
        });
    }
    Ok(out)
}

fn dist_by_type(n: &Node<'_>, ty: &str) -> Result<Option<Distribution>, ConfigError> {
    match ty {
        "uniform" => Ok(None),
        "exp" => Ok(Some(Distribution {
            name: "exp".into(),
            function: KOLE_EXP.into(),
            parameters: vec![],
            soma_ref_location: 0.5,
        })),
        other => Err(n
            .error(format!("unknown distribution type `{other}`"))
            .hint("params.json knows `uniform` and `exp` (the Kole 2006 Ih gradient)")),
    }
}

/// Reads the older pair: `params.json` (`{section list: [[suffix, param, lower, upper,
/// dist_type], …]}`, free) and `fixed_params.json` (`{"global": [[name, value]], section list:
/// [[name, value, dist_type]]}`, frozen). Mechanisms come from the free parameters' suffixes
/// unless `mechanisms.json` is given. Fixed parameters are applied first.
pub fn read_params_pair(params: &Document, fixed: &Document) -> Result<Vec<Parameter>, ConfigError> {
    let mut out = Vec::new();
    for (loc, list) in fixed.node().entries()? {
        for item in list.items()? {
            let f = item.items()?;
            if loc == "global" {
                let [n, v] = &f[..] else {
                    return Err(item.error("a global is [name, value]"));
                };
                let name = n.str()?.to_string();
                out.push(Parameter {
                    name: name.clone(),
                    param: name,
                    kind: ParamKind::Global,
                    location: String::new(),
                    value: Bound::Fixed(v.f64()?),
                    distribution: None,
                    origin: origin(&item),
                });
                continue;
            }
            let loc = location(&list, loc)?;
            let [n, v, d] = &f[..] else {
                return Err(item.error("a fixed parameter is [name, value, dist_type]"));
            };
            let name = n.str()?.to_string();
            // cm, Ra, ena … are section variables; `g_pas`-style names are set the same way
            // (BluePyOpt's NrnSectionParameter), uniformly.
            out.push(Parameter {
                name: format!("{name}.{loc}"),
                param: name,
                kind: ParamKind::Section,
                location: loc.to_string(),
                value: Bound::Fixed(v.f64()?),
                distribution: dist_by_type(d, d.str()?)?,
                origin: origin(&item),
            });
        }
    }
    for (loc, list) in params.node().entries()? {
        let loc = location(&list, loc)?;
        for item in list.items()? {
            let f = item.items()?;
            let [m, p, lo, hi, d] = &f[..] else {
                return Err(item.error("a free parameter is [suffix, name, lower, upper, dist_type]"));
            };
            let (lower, upper) = (lo.f64()?, hi.f64()?);
            if lower > upper {
                return Err(item.error(format!("lower bound {lower} is above the upper bound {upper}")));
            }
            let mech = m.str()?.to_string();
            let param = format!("{}_{mech}", p.str()?);
            out.push(Parameter {
                name: format!("{param}.{loc}"),
                param,
                kind: ParamKind::Range { mechanism: Some(mech) },
                location: loc.to_string(),
                value: Bound::Free { lower, upper },
                distribution: dist_by_type(d, d.str()?)?,
                origin: origin(&item),
            });
        }
    }
    Ok(out)
}

/// Reads a BluePyOpt example configuration directory: `mechanisms.json` with `parameters.json`,
/// or (without `parameters.json`) `params.json` + `fixed_params.json`.
pub fn read_dir(dir: &Path) -> Result<EModelConfig, ConfigError> {
    let mechs = Document::read(&dir.join("mechanisms.json"))?;
    let mechanisms = read_mechanisms(&mechs)?;
    let parameters = if dir.join("parameters.json").is_file() {
        read_parameters(&Document::read(&dir.join("parameters.json"))?)?
    } else if dir.join("params.json").is_file() {
        read_params_pair(
            &Document::read(&dir.join("params.json"))?,
            &Document::read(&dir.join("fixed_params.json"))?,
        )?
    } else {
        return Err(ConfigError::new(
            &dir.display().to_string(),
            "",
            "no parameters.json or params.json here",
        )
        .hint("a BluePyOpt configuration directory holds mechanisms.json and parameters.json"));
    };
    Ok(EModelConfig { mechanisms, parameters })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Document {
        Document::parse("t.json", text.to_string()).unwrap()
    }

    #[test]
    fn parameters_json_kinds_bounds_and_names() {
        let d = doc(r#"[
          {"param_name": "v_init", "type": "global", "value": -65},
          {"param_name": "cm", "sectionlist": "apical", "type": "section", "dist_type": "uniform", "value": 2},
          {"param_name": "gIhbar_Ih", "mech": "Ih", "mech_param": "gIhbar", "type": "range", "sectionlist": "apical",
           "dist_type": "exp", "dist": "exp({distance})*{value}", "value": 8e-05},
          {"param_name": "gImbar_Im", "mech": "Im", "mech_param": "gImbar", "type": "range", "sectionlist": "apical",
           "dist_type": "uniform", "bounds": [0, 0.001]}]"#);
        let ps = read_parameters(&d).unwrap();
        let names: Vec<_> = ps.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["v_init", "cm.apical", "gIhbar_Ih.apical", "gImbar_Im.apical"]);
        assert_eq!(ps[3].value, Bound::Free { lower: 0.0, upper: 0.001 });
        assert_eq!(ps[2].distribution.as_ref().unwrap().function, "exp({distance})*{value}");
        assert_eq!(ps[2].kind, ParamKind::Range { mechanism: Some("Ih".into()) });
    }

    #[test]
    fn errors_name_the_field() {
        let e = read_parameters(&doc(
            r#"[{"param_name": "x", "type": "range", "sectionlist": "apicl", "value": 1}]"#,
        ))
        .unwrap_err();
        assert_eq!(e.path, "[0].sectionlist");
        assert!(e.message.contains("unknown section list `apicl`"), "{e}");
        let e = read_parameters(&doc(
            r#"[{"param_name": "x", "type": "range", "sectionlist": "all", "bounds": [2, 1]}]"#,
        ))
        .unwrap_err();
        assert_eq!(e.path, "[0].bounds");
        let e = read_parameters(&doc(
            r#"[{"param_name": "x", "type": "range", "sectionlist": "all", "valu": 1}]"#,
        ))
        .unwrap_err();
        assert!(e.message.contains("unknown key `valu`"), "{e}");
        let e = read_mechanisms(&doc(r#"{"somatic": ["pas", 3]}"#)).unwrap_err();
        assert_eq!(e.path, "somatic[1]");
    }

    #[test]
    fn older_pair_reads_fixed_then_free() {
        let params = doc(r#"{"apical": [["Ih", "gIhbar", 1e-5, 1e-4, "exp"]]}"#);
        let fixed = doc(r#"{"global": [["celsius", 34]], "all": [["g_pas", 3e-5, "uniform"]]}"#);
        let ps = read_params_pair(&params, &fixed).unwrap();
        let names: Vec<_> = ps.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["celsius", "g_pas.all", "gIhbar_Ih.apical"]);
        assert_eq!(ps[2].distribution.as_ref().unwrap().function, KOLE_EXP);
    }
}
