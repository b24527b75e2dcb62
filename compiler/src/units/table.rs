//! The unit table: names with their scale and dimension, NEURON's lookup rules, and the
//! UNITS-block aliases a file adds.
//!
//! A name is looked up as NEURON does it: the table; else a known prefix is stripped (`milli`,
//! `micro`…, accumulating its factor) and the rest looked up again; else a trailing `s` is
//! dropped (plurals: `coulombs`, `amps`). Only when that fails does Myelin try its additions:
//! one-letter prefixes (`mV`, `uS`, `nA`) and a few extra names (`A`, `S`, `M`, `mol`…).

use super::dim::{Dim, NDIM};
use super::library::{MYELIN_UNITS, NEURON_PREFIXES, NEURON_UNITS, SHORT_PREFIXES};
use super::text::read_unit;
use super::{Unit, UnitError, UnitErrorKind};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Longest unit name looked up (longer ones are unknown).
const MAX_NAME: usize = 64;

/// Which lookup rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rules {
    /// Exactly NEURON's: its database, long prefixes, plurals, and the file's aliases.
    Neuron,
    /// NEURON's rules first; then Myelin's additions (one-letter prefixes, extra names).
    Myelin,
}

/// Where a table entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// NEURON's units database (including the primitives).
    Neuron,
    /// Myelin's additions (`A`, `S`, `M`…): known to Myelin only.
    Myelin,
    /// A UNITS-block alias of the file being checked, e.g. `(mV) = (millivolt)`.
    Alias,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    unit: Unit,
    origin: Origin,
}

/// Unit names with their definitions. Cheap to clone (a hundred-odd entries).
#[derive(Debug, Clone)]
pub struct UnitTable {
    entries: HashMap<String, Entry>,
}

impl UnitTable {
    /// NEURON's database plus Myelin's additions, as every file starts with.
    pub fn neuron_default() -> UnitTable {
        static DEFAULT: OnceLock<UnitTable> = OnceLock::new();
        DEFAULT.get_or_init(build_default).clone()
    }

    /// Defines `name` as `definition` (a UNITS-block alias `(name) = (definition)`).
    ///
    /// As in NEURON, redefining a name of its database or an earlier alias is an error; a name
    /// that only Myelin's additions know is replaced.
    pub fn add_alias(&mut self, name: &str, definition: &str) -> Result<Unit, UnitError> {
        let unit = self.parse(definition)?;
        if let Some(old) = self.entries.get(name) {
            if old.origin != Origin::Myelin {
                return Err(UnitError {
                    kind: UnitErrorKind::Redefinition { name: name.to_string(), origin: old.origin },
                    range: 0..name.len(),
                });
            }
        }
        self.entries.insert(name.to_string(), Entry { unit, origin: Origin::Alias });
        Ok(unit)
    }

    /// Reads a unit expression with Myelin's rules (NEURON's, then Myelin's additions).
    pub fn parse(&self, text: &str) -> Result<Unit, UnitError> {
        read_unit(text, self, Rules::Myelin)
    }

    /// Reads a unit expression with NEURON's rules only: what nocmodl would accept in a UNITS
    /// block.
    pub fn parse_neuron(&self, text: &str) -> Result<Unit, UnitError> {
        read_unit(text, self, Rules::Neuron)
    }

    /// Where `name` is defined, if it is a table entry (prefixed forms are not entries).
    pub fn origin(&self, name: &str) -> Option<Origin> {
        self.entries.get(name).map(|e| e.origin)
    }

    /// Every entry name (for suggestions), in no particular order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str).filter(|n| !n.is_empty() && !n.starts_with('*'))
    }

    fn get(&self, name: &str, rules: Rules) -> Option<&Entry> {
        self.entries.get(name).filter(|e| rules == Rules::Myelin || e.origin != Origin::Myelin)
    }

    /// The factor and dimension of one name (`q->factor * e` in NEURON's terms), or None.
    pub(crate) fn lookup_name(&self, name: &str, rules: Rules) -> Option<(f64, Dim)> {
        // No unit name is this long; stripping prefixes one letter at a time would be slow.
        if name.len() > MAX_NAME {
            return None;
        }
        if let Some(found) = self.lookup_with(name, Rules::Neuron) {
            return Some(found);
        }
        match rules {
            Rules::Neuron => None,
            Rules::Myelin => self.lookup_with(name, Rules::Myelin),
        }
    }

    fn lookup_with(&self, name: &str, rules: Rules) -> Option<(f64, Dim)> {
        let mut name = name;
        let mut e = 1.0f64;
        // Each step shortens the name, so this terminates.
        'again: loop {
            if let Some(entry) = self.get(name, rules) {
                return Some((entry.unit.scale * e, entry.unit.dim));
            }
            let short: &[(&str, f64)] = if rules == Rules::Myelin { SHORT_PREFIXES } else { &[] };
            for &(p, f) in NEURON_PREFIXES.iter().chain(short) {
                if let Some(rest) = name.strip_prefix(p) {
                    e *= f;
                    name = rest;
                    continue 'again;
                }
            }
            if name.len() > 1 {
                if let Some(stem) = name.strip_suffix('s') {
                    name = stem;
                    continue 'again;
                }
            }
            return None;
        }
    }
}

fn build_default() -> UnitTable {
    let mut t = UnitTable { entries: HashMap::new() };
    // The empty name is 1: what remains of `milli` after its prefix is stripped.
    t.entries.insert(String::new(), Entry { unit: Unit::ONE, origin: Origin::Neuron });
    for (i, name) in super::dim::PRIMITIVE_NAMES.iter().enumerate().take(NDIM) {
        let unit = Unit { scale: 1.0, dim: Dim::primitive(i) };
        t.entries.insert((*name).to_string(), Entry { unit, origin: Origin::Neuron });
    }
    for &(name, def) in NEURON_UNITS {
        let unit = read_unit(def, &t, Rules::Neuron).unwrap_or_else(|e| panic!("library entry {name}: {e}"));
        t.entries.insert(name.to_string(), Entry { unit, origin: Origin::Neuron });
    }
    for &(name, def) in MYELIN_UNITS {
        let unit = read_unit(def, &t, Rules::Myelin).unwrap_or_else(|e| panic!("Myelin entry {name}: {e}"));
        t.entries.insert(name.to_string(), Entry { unit, origin: Origin::Myelin });
    }
    t
}
