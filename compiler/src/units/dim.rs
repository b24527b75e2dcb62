//! Dimension vectors: integer exponents of the nine primitive units of NEURON's units library.
//!
//! NEURON's library (`nrnunits.lib`, after GNU units) has nine primitives: metre, kilogram,
//! second, coulomb, candela, dollar, bit, erlang and kelvin. The mole is a plain number
//! (6.02214076e23), so a concentration such as `mM` is "per cubic metre" with a scale factor.
//! Keeping the same primitives makes every factor come out exactly as NEURON's does.

use std::fmt;
use std::ops::{Div, Mul};

/// Number of primitive dimensions.
pub const NDIM: usize = 9;

/// Names of the primitives, in the order NEURON's library declares them (used for display).
pub const PRIMITIVE_NAMES: [&str; NDIM] =
    ["m", "kg", "sec", "coul", "candela", "dollar", "bit", "erlang", "K"];

/// Exponents of the primitive units, e.g. volt = m2-kg/sec2-coul.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Dim(pub [i8; NDIM]);

impl Dim {
    /// The dimensionless vector.
    pub const NONE: Dim = Dim([0; NDIM]);

    /// The vector of one primitive (index into [`PRIMITIVE_NAMES`]).
    pub fn primitive(i: usize) -> Dim {
        let mut d = [0; NDIM];
        d[i] = 1;
        Dim(d)
    }

    /// True when every exponent is zero.
    pub fn is_none(self) -> bool {
        self.0.iter().all(|&e| e == 0)
    }

    /// Integer power: exponents scale. `None` when an exponent would leave the i8 range.
    pub fn pow(self, n: i32) -> Option<Dim> {
        let mut d = [0i8; NDIM];
        for (o, &e) in d.iter_mut().zip(self.0.iter()) {
            *o = i8::try_from(i32::from(e).checked_mul(n)?).ok()?;
        }
        Some(Dim(d))
    }

    /// Square root: `None` unless every exponent is even.
    pub fn sqrt(self) -> Option<Dim> {
        let mut d = [0i8; NDIM];
        for (o, &e) in d.iter_mut().zip(self.0.iter()) {
            if e % 2 != 0 {
                return None;
            }
            *o = e / 2;
        }
        Some(Dim(d))
    }
}

impl Mul for Dim {
    type Output = Dim;

    /// Product of quantities: exponents add.
    fn mul(self, o: Dim) -> Dim {
        let mut d = self.0;
        for (a, b) in d.iter_mut().zip(o.0) {
            *a = a.saturating_add(b);
        }
        Dim(d)
    }
}

impl Div for Dim {
    type Output = Dim;

    /// Quotient of quantities: exponents subtract.
    fn div(self, o: Dim) -> Dim {
        let mut d = self.0;
        for (a, b) in d.iter_mut().zip(o.0) {
            *a = a.saturating_sub(b);
        }
        Dim(d)
    }
}

impl fmt::Display for Dim {
    /// NEURON's notation: positive exponents, then `/` and the negative ones, joined by `-`,
    /// e.g. `m2-kg/sec2-coul`; `1` when dimensionless.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = |sign: i8| -> String {
            let mut parts = Vec::new();
            for (i, &e) in self.0.iter().enumerate() {
                let e = e * sign;
                if e > 0 {
                    if e == 1 {
                        parts.push(PRIMITIVE_NAMES[i].to_string());
                    } else {
                        parts.push(format!("{}{}", PRIMITIVE_NAMES[i], e));
                    }
                }
            }
            parts.join("-")
        };
        let num = side(1);
        let den = side(-1);
        match (num.is_empty(), den.is_empty()) {
            (true, true) => write!(f, "1"),
            (false, true) => write!(f, "{num}"),
            (true, false) => write!(f, "/{den}"),
            (false, false) => write!(f, "{num}/{den}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_matches_neuron_notation() {
        // volt = kg m2 / (s2 C)
        let volt = Dim([2, 1, -2, -1, 0, 0, 0, 0, 0]);
        assert_eq!(volt.to_string(), "m2-kg/sec2-coul");
        assert_eq!(Dim::NONE.to_string(), "1");
        assert_eq!(Dim::primitive(2).pow(-1).unwrap().to_string(), "/sec");
    }

    #[test]
    fn arithmetic() {
        let m = Dim::primitive(0);
        let s = Dim::primitive(2);
        let v = m / s;
        assert_eq!(v * s, m);
        assert_eq!(m.pow(2).unwrap().sqrt(), Some(m));
        assert_eq!(m.sqrt(), None);
        assert_eq!(m.pow(200), None);
    }
}
