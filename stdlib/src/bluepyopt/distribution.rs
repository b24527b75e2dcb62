//! Distributions as BluePyOpt evaluates them, turned into the runtime's parameter expressions.
//!
//! BluePyOpt (`NrnSegmentSomaDistanceScaler`) formats the distribution string per segment,
//! replacing `{distance}` (µm from `soma[0](0.5)`), `{value}` and meta-parameters such as
//! `{constant}` by their printed values, and evaluates the result as Python with `math`
//! available. Here the value and meta-parameters are printed the same way (a shortest
//! round-trip number, so the same double), `{distance}` becomes the runtime's `distance`
//! variable (evaluated at every segment centre), `math.` is dropped and Python's `**` becomes
//! `^`, which has the same precedence and associativity (`-a**b` is `-(a**b)`). The result is
//! checked with the runtime's expression parser, so anything Python would accept but the
//! runtime cannot evaluate is an error here, not a different number later.

use myelin_runtime::expr::Expr;

/// Writes a number the way Python's `str.format` does for the purpose of re-reading it: any
/// text that parses to the same double.
fn number(x: f64) -> String {
    format!("{x:e}")
}

/// Translates a BluePyOpt distribution (`function` with `{distance}`, `{value}` and the
/// meta-parameters `meta`) into a runtime expression of `distance`. Errors say what cannot be
/// translated.
pub fn to_expression(function: &str, value: f64, meta: &[(String, f64)]) -> Result<String, String> {
    let mut out = String::with_capacity(function.len() + 32);
    let mut rest = function;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            return Err(format!("unclosed `{{` in `{function}`"));
        };
        let key = &rest[open + 1..open + close];
        match key {
            "distance" => out.push_str("distance"),
            "value" => out.push_str(&number(value)),
            _ => match meta.iter().find(|(k, _)| k == key) {
                Some((_, v)) => out.push_str(&number(*v)),
                None => {
                    return Err(format!(
                        "`{{{key}}}` is neither distance, value nor a meta-parameter of the distribution"
                    ))
                }
            },
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    let text = out.replace("math.", "").replace("**", "^");
    Expr::parse(&text).map_err(|e| format!("`{function}` cannot be evaluated ({e} in `{text}`)"))?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kole_gradient_evaluates_as_python_does() {
        let f = "(-0.8696 + 2.087*math.exp(({distance})*0.0031))*{value}";
        let e = to_expression(f, 8e-5, &[]).unwrap();
        assert_eq!(e, "(-0.8696 + 2.087*exp((distance)*0.0031))*8e-5");
        let ex = Expr::parse(&e).unwrap();
        // Python: (-0.8696 + 2.087*math.exp((123.25)*0.0031))*8e-05
        let d = 123.25_f64;
        assert_eq!(ex.eval(d, 0.5), (-0.8696 + 2.087 * (d * 0.0031).exp()) * 8e-5);
    }

    #[test]
    fn meta_parameters_powers_and_signs() {
        let e = to_expression("math.exp({distance}*{constant})*{value}", 0.1, &[("constant".into(), -0.005)])
            .unwrap();
        assert_eq!(e, "exp(distance*-5e-3)*1e-1");
        assert_eq!(Expr::parse(&e).unwrap().eval(100.0, 0.5), (100.0_f64 * -0.005).exp() * 0.1);
        // Python: -{value}**2 with value -2 is --2**2 = 4 ... and {value}**2 is -2**2 = -4.
        let e = to_expression("{value}**2", -2.0, &[]).unwrap();
        assert_eq!(Expr::parse(&e).unwrap().eval(0.0, 0.5), -4.0);
        let e = to_expression("{value}*(1+{distance}/100)**-1", 1.0, &[]).unwrap();
        assert_eq!(Expr::parse(&e).unwrap().eval(100.0, 0.5), 0.5);
    }

    #[test]
    fn untranslatable_is_an_error() {
        assert!(to_expression("{value} if {distance} > 10 else 0", 1.0, &[]).is_err());
        assert!(to_expression("{value}*{nope}", 1.0, &[]).unwrap_err().contains("{nope}"));
        assert!(to_expression("{value", 1.0, &[]).is_err());
    }
}
