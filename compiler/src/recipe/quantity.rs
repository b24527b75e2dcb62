//! Units of recipe quantities, read with the same unit database as NMODL files
//! ([`crate::units`]): `0.1 nA`, `100 ohm*cm`, `1 uF/cm2`, `34 degC`, `50 %`.
//!
//! A recipe unit is unit names joined by `*` and `/` (left to right, as arithmetic:
//! `mV/ms`, `ohm*cm`, `S/cm2`); a name may carry a power, NEURON's `cm2` or `um^2`, `s^-1`.
//! Each name is looked up as in a .mod file (`mV`, `um`, `uF`, `degC`, `megohm`, `Hz` …); `µ` is
//! read as `u`, and `%` is 1/100.

use crate::units::{parse_unit, Dim, Unit};

/// Why a unit text could not be read: the offending name and its byte range in the text.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitTextError {
    /// The name that is not a unit.
    pub name: String,
    /// Byte range in the unit text.
    pub range: std::ops::Range<usize>,
}

/// Reads a recipe unit text.
pub fn parse(text: &str) -> Result<Unit, UnitTextError> {
    let mut unit = Unit::ONE;
    let mut divide = false;
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    loop {
        if i == bytes.len() || bytes[i] == b'*' || bytes[i] == b'/' {
            let atom = &text[start..i];
            let u = atom_unit(atom).ok_or_else(|| UnitTextError {
                name: atom.split('^').next().unwrap_or(atom).to_string(),
                range: start..i,
            })?;
            unit = if divide { unit / u } else { unit * u };
            if i == bytes.len() {
                return Ok(unit);
            }
            divide = bytes[i] == b'/';
            start = i + 1;
        }
        i += 1;
    }
}

fn atom_unit(atom: &str) -> Option<Unit> {
    let (name, power) = match atom.split_once('^') {
        Some((n, p)) => (n, p.parse::<i32>().ok()?),
        None => (atom, 1),
    };
    if name.is_empty() {
        return None;
    }
    let base = if name == "%" {
        Unit { scale: 0.01, dim: Dim::NONE }
    } else {
        let name = name.replace(['µ', 'μ'], "u");
        // NEURON reads a leading digit sequence as a number; in a recipe a unit is a name.
        if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return None;
        }
        parse_unit(&name).ok()?
    };
    if power == 1 {
        Some(base)
    } else {
        base.powi(power)
    }
}

/// True when two scales are equal up to rounding (relative 1e-12): conversions between them are
/// skipped so that `0.1 nA` given where nA is expected stays exactly 0.1.
pub fn same_scale(a: f64, b: f64) -> bool {
    (a / b - 1.0).abs() <= 1e-12
}

/// A name for a dimension, for diagnostics ("a current", "a length" …).
pub fn dimension_name(dim: Dim) -> String {
    const KNOWN: &[(&str, &str)] = &[
        ("mV", "a voltage"),
        ("nA", "a current"),
        ("ms", "a time"),
        ("um", "a length"),
        ("um2", "an area"),
        ("S/cm2", "a conductance density"),
        ("uF/cm2", "a capacitance density"),
        ("ohm-cm", "a resistivity"),
        ("megohm", "a resistance"),
        ("uS", "a conductance"),
        ("degC", "a temperature"),
        ("mM", "a concentration"),
        ("Hz", "a frequency"),
        ("mA/cm2", "a current density"),
        ("mV/ms", "a rate of voltage change"),
        ("uF", "a capacitance"),
    ];
    if dim.is_none() {
        return "dimensionless".into();
    }
    for (u, name) in KNOWN {
        if parse_unit(u).is_ok_and(|x| x.dim == dim) {
            return (*name).into();
        }
    }
    format!("of dimension {dim}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_recipe_units() {
        let ohm_cm = parse("ohm*cm").unwrap();
        assert_eq!(ohm_cm.dim, parse_unit("ohm-cm").unwrap().dim);
        assert!(same_scale(ohm_cm.scale, 0.01));
        assert!(same_scale(parse("uF/cm2").unwrap().scale, 1e-2));
        assert_eq!(parse("µm").unwrap(), parse("um").unwrap());
        assert_eq!(parse("um^2").unwrap().dim, parse("um2").unwrap().dim);
        assert!(same_scale(parse("s^-1").unwrap().scale, 1.0));
        assert_eq!(parse("%").unwrap().scale, 0.01);
        assert!(same_scale(parse("mV/ms").unwrap().scale, 1.0));
        let e = parse("mV/frob").unwrap_err();
        assert_eq!((e.name.as_str(), e.range), ("frob", 3..7));
        assert!(parse("2um").is_err());
        assert_eq!(dimension_name(parse("nA").unwrap().dim), "a current");
        assert_eq!(dimension_name(parse("pA").unwrap().dim), "a current");
        assert_eq!(dimension_name(Dim::NONE), "dimensionless");
    }
}
