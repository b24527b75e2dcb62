//! The built-in unit definitions.
//!
//! [`NEURON_UNITS`] is the part of NEURON's units database (`share/nmodl/nrnunits.lib`, CODATA
//! 2018 constants since NEURON 8) that neuron models can plausibly use, written here in the same
//! definition syntax and evaluated in the same order with the same floating point operations, so
//! that every factor comes out bit for bit as nocmodl computes it. Each name below is also a name
//! of that database; the currencies, imperial trivia and computer units are left out.
//!
//! Definition syntax (the database's own): an optional leading number (`2.54`, `1|180` for a
//! fraction, `1.5+2` for 1.5e2), then unit names separated by blanks or `-` (multiply); a `/` puts
//! every later name in the denominator; a digit 2–9 right after a name is an exponent.
//!
//! [`MYELIN_UNITS`] are spellings NEURON's database does not know but .mod files use all the time
//! (`mV`, `um`, `mM`, `S/cm2`, `nA`…, which NEURON only accepts after a UNITS-block declaration
//! such as `(mV) = (millivolt)`). Myelin resolves them only after NEURON's own rules fail, and a
//! UNITS-block alias of the same name replaces them silently; see `table.rs`.

/// Prefixes NEURON recognises (`modlunit/units.cpp`), tried in this order. Longer spellings come
/// first where one is a prefix of another (`mega` before `meg`).
pub const NEURON_PREFIXES: &[(&str, f64)] = &[
    ("atto", 1e-18),
    ("femto", 1e-15),
    ("pico", 1e-12),
    ("nano", 1e-9),
    ("micro", 1e-6),
    ("milli", 1e-3),
    ("centi", 1e-2),
    ("deci", 1e-1),
    ("deka", 1e1),
    ("hecta", 1e2),
    ("hecto", 1e2),
    ("kilo", 1e3),
    ("mega", 1e6),
    ("meg", 1e6),
    ("giga", 1e9),
    ("tera", 1e12),
];

/// One-letter SI prefixes Myelin adds (`mV`, `uS`, `nA`, `kohm`, `MOhm`…). Only tried after a
/// name fails NEURON's rules, so `ms`, `cm`, `nm`, `pf` keep NEURON's meaning.
pub const SHORT_PREFIXES: &[(&str, f64)] = &[
    ("Y", 1e24),
    ("Z", 1e21),
    ("E", 1e18),
    ("P", 1e15),
    ("T", 1e12),
    ("G", 1e9),
    ("M", 1e6),
    ("k", 1e3),
    ("h", 1e2),
    ("d", 1e-1),
    ("c", 1e-2),
    ("m", 1e-3),
    ("u", 1e-6),
    ("n", 1e-9),
    ("p", 1e-12),
    ("f", 1e-15),
    ("a", 1e-18),
    ("z", 1e-21),
    ("y", 1e-24),
];

/// NEURON's database entries, in the database's order (each may only use earlier names). The
/// nine primitives (m kg sec coul candela dollar bit erlang K) are installed before these.
pub const NEURON_UNITS: &[(&str, &str)] = &[
    // constants
    ("fuzz", "1"),
    ("two", "2"),
    ("pi", "3.14159265358979323846"),
    ("c", "2.99792458+8 m/sec fuzz"),
    ("g", "9.80665 m/sec2"),
    ("mole", "6.02214076+23 fuzz"),
    ("e", "1.602176634-19 coul fuzz"),
    ("mercury", "1.33322+5 kg/m2-sec2"),
    ("hg", "mercury"),
    // dimensionless
    ("radian", ".5 / pi"),
    ("degree", "1|180 pi-radian"),
    ("circle", "2 pi-radian"),
    ("turn", "2 pi-radian"),
    ("revolution", "turn"),
    ("rev", "turn"),
    ("steradian", "radian2"),
    ("sr", "steradian"),
    // time
    ("second", "sec"),
    ("s", "sec"),
    ("minute", "60 sec"),
    ("min", "minute"),
    ("hour", "60 min"),
    ("hr", "hour"),
    ("day", "24 hr"),
    ("week", "7 day"),
    ("year", "365.24219879 day fuzz"),
    ("yr", "year"),
    ("ms", "millisec"),
    ("us", "microsec"),
    // mass
    ("gram", "millikg"),
    ("gm", "gram"),
    ("mg", "milligram"),
    // length
    ("meter", "m"),
    ("cm", "centimeter"),
    ("mm", "millimeter"),
    ("km", "kilometer"),
    ("nm", "nanometer"),
    ("micron", "micrometer"),
    ("angstrom", "decinanometer"),
    ("inch", "2.54 cm"),
    ("in", "inch"),
    ("foot", "12 in"),
    ("feet", "foot"),
    ("ft", "foot"),
    // volume
    ("cc", "cm3"),
    ("liter", "kilocc"),
    ("ml", "milliliter"),
    // energy, work
    ("newton", "kg-m/sec2"),
    ("nt", "newton"),
    ("N", "newton"),
    ("joule", "nt-m"),
    ("cal", "4.1868 joule"),
    // electrical
    ("coulomb", "coul"),
    ("C", "coul"),
    ("ampere", "coul/sec"),
    ("amp", "ampere"),
    ("watt", "joule/sec"),
    ("volt", "watt/amp"),
    ("ohm", "volt/amp"),
    ("mho", "/ohm"),
    ("farad", "coul/volt"),
    ("henry", "sec2/farad"),
    ("weber", "volt-sec"),
    // miscellaneous entries of the database that neuron models use
    ("atmosphere", "1.01325+5 nt/m2"),
    ("atm", "atmosphere"),
    ("bar", "1+5 nt/m2"),
    ("calorie", "cal"),
    ("dyne", "cm-gm/sec2"),
    ("erg", "cm2-gm/sec2"),
    ("electronvolt", "e-volt"),
    ("ev", "e-volt"),
    ("faraday", "e-mole"),
    ("hertz", "/sec"),
    ("Hz", "hertz"),
    ("hz", "/sec"),
    ("boltzmann", "1.380649-23 joule/K"),
    ("k", "boltzmann"),
    ("kcal", "kilocal"),
    ("mh", "millihenry"),
    ("ns", "nanosec"),
    ("gasconstant", "k-mole"),
    ("R", "gasconstant"),
    ("pascal", "nt/m2"),
    ("%", "1|100"),
    ("percent", "%"),
    ("pf", "picofarad"),
    ("rad", "100 erg/gm"),
    ("siemens", "/ohm"),
    ("tesla", "weber/m2"),
    ("torr", "mm hg"),
    ("degC", "K"),
    ("kelvin", "K"),
    ("degF", "5|9 degC"),
    ("planck", "6.62607015-34 joule-sec"),
    ("hbar", "planck/two-pi"),
    ("V", "volt"),
    ("eV", "e V"),
    ("kilohm", "kiloohm"),
    ("megohm", "megaohm"),
    ("metre", "meter"),
    ("litre", "liter"),
    ("gramme", "gram"),
];

/// Myelin's additions: common spellings in .mod files that NEURON's database lacks. Evaluated
/// after [`NEURON_UNITS`]; `M`/`molar` follow the NEURON idiom `(mM) = (milli/liter)`.
pub const MYELIN_UNITS: &[(&str, &str)] = &[
    ("A", "amp"),
    ("S", "siemens"),
    ("F", "farad"),
    ("L", "liter"),
    ("M", "/liter"),
    ("molar", "/liter"),
    ("mol", "mole"),
    ("Ohm", "ohm"),
    ("deg", "degC"),
    ("degK", "K"),
];
