//! Units: a unit database compatible with NEURON's (`nrnunits.lib`), a reader for unit
//! expressions as written in .mod files, UNITS-block aliases and factor definitions, and a
//! dimensional check of expressions where UNITSON applies.
//!
//! In NEURON, units are annotations: they never change the generated arithmetic. They matter in
//! two places, both reproduced here exactly: UNITS-block factor definitions such as
//! `F = (faraday) (coulomb)`, whose values nocmodl computes from its units database, and the
//! separate checker `modlunit`. Myelin's checker is deliberately more conservative than modlunit
//! (most real files that NEURON compiles do not pass modlunit): see [`check`] for what is checked
//! and at which severity.

pub mod check;
pub mod dim;
pub mod library;
pub mod suggest;
pub mod table;
mod text;

pub use check::{check_module, FactorConst, UnitsReport};
pub use dim::Dim;
pub use table::{Origin, Rules, UnitTable};

use std::fmt;
use std::ops::Range;
use std::ops::{Div, Mul};
use std::sync::OnceLock;

/// Stable diagnostic codes of the units checker.
pub mod codes {
    /// A unit name that neither NEURON's database, Myelin's additions nor a UNITS-block alias
    /// defines.
    pub const UNKNOWN_UNIT: &str = "E0201";
    /// Operands whose dimensions differ, where the units of both are certain.
    pub const MISMATCH: &str = "E0202";
    /// A UNITS-block alias redefines an existing unit (nocmodl: "Units redefinition").
    pub const REDEFINITION: &str = "E0203";
    /// A factor definition NEURON cannot translate (`F = 96520` without units).
    pub const BAD_FACTOR: &str = "E0204";
    /// A unit whose scale overflows or underflows.
    pub const OUT_OF_RANGE: &str = "E0205";
    /// A unit in the UNITS block that NEURON's database does not know (Myelin does).
    pub const NOT_IN_NEURON: &str = "W0201";
    /// Operands whose dimensions differ (probable bug; not certain enough to reject the file).
    pub const MISMATCH_WARNING: &str = "W0202";
    /// Same dimension, different scale: a conversion factor is missing.
    pub const MISSING_FACTOR: &str = "W0203";
    /// The argument of `exp`, `log`, … (or an exponent) is not dimensionless.
    pub const NOT_DIMENSIONLESS: &str = "W0204";
    /// A unit name known only in another letter case (`mv` for `mV`), read as that spelling.
    pub const CASE: &str = "W0205";
}

/// A unit: a scale factor relative to the primitives and a dimension vector.
///
/// `mV` is `Unit { scale: 0.001, dim: m2-kg/sec2-coul }`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unit {
    /// Magnitude in primitive units (metre, kilogram, second, coulomb, kelvin …).
    pub scale: f64,
    /// Exponents of the primitives.
    pub dim: Dim,
}

impl Unit {
    /// The dimensionless unit 1.
    pub const ONE: Unit = Unit { scale: 1.0, dim: Dim::NONE };

    /// True when both have the same dimension (whatever the scale).
    pub fn conformable(&self, other: &Unit) -> bool {
        self.dim == other.dim
    }

    /// True when the scales agree within NEURON's tolerance (relative 1e-5, as modlunit).
    pub fn same_scale(&self, other: &Unit) -> bool {
        (other.scale / self.scale - 1.0).abs() <= 1e-5
    }

    /// Integer power, `None` if the exponents overflow.
    pub fn powi(&self, n: i32) -> Option<Unit> {
        Some(Unit { scale: self.scale.powi(n), dim: self.dim.pow(n)? })
    }
}

impl Mul for Unit {
    type Output = Unit;

    /// Product: scales multiply, exponents add.
    fn mul(self, o: Unit) -> Unit {
        Unit { scale: self.scale * o.scale, dim: self.dim * o.dim }
    }
}

impl Div for Unit {
    type Output = Unit;

    /// Quotient: scales divide, exponents subtract.
    fn div(self, o: Unit) -> Unit {
        Unit { scale: self.scale / o.scale, dim: self.dim / o.dim }
    }
}

impl fmt::Display for Unit {
    /// `0.001 m2-kg/sec2-coul`, or just the dimension when the scale is 1.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.scale == 1.0 {
            write!(f, "{}", self.dim)
        } else {
            write!(f, "{} {}", self.scale, self.dim)
        }
    }
}

/// What went wrong reading a unit.
#[derive(Debug, Clone, PartialEq)]
pub enum UnitErrorKind {
    /// A name no rule resolves.
    UnknownName {
        /// The name as written.
        name: String,
    },
    /// A UNITS-block alias of a name that is already defined.
    Redefinition {
        /// The name.
        name: String,
        /// Where the existing definition comes from.
        origin: Origin,
    },
    /// The scale is infinite or zero.
    OutOfRange,
}

/// An error reading or defining a unit; `range` is the byte range of the cause in the unit text.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitError {
    /// What.
    pub kind: UnitErrorKind,
    /// Where, relative to the start of the unit text.
    pub range: Range<usize>,
}

impl fmt::Display for UnitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            UnitErrorKind::UnknownName { name } => write!(f, "unknown unit `{name}`"),
            UnitErrorKind::Redefinition { name, .. } => write!(f, "unit `{name}` is already defined"),
            UnitErrorKind::OutOfRange => write!(f, "unit scale out of range"),
        }
    }
}

impl std::error::Error for UnitError {}

/// Reads a unit expression (`mA/cm2`, `/ms`, `k-mole`, `10000 coulomb`) with the default table.
pub fn parse_unit(text: &str) -> Result<Unit, UnitError> {
    static TABLE: OnceLock<UnitTable> = OnceLock::new();
    TABLE.get_or_init(UnitTable::neuron_default).parse(text)
}

/// The value of a factor definition `X = (from) (to)`: the magnitude of `from` expressed in
/// `to`, computed as nocmodl does (`from`'s scale divided by `to`'s, with no conformability
/// check: `(millivolt) -> (ms)` is 1).
pub fn factor_value(from: &str, to: &str, table: &UnitTable) -> Result<f64, UnitError> {
    let a = table.parse(from)?;
    let b = table.parse(to)?;
    Ok(a.scale / b.scale)
}
